#include "cli.h"
#include <stdio.h>
int cmd_import(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not built yet\n"); return 2; }
int cmd_export(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not built yet\n"); return 2; }
