#include "cli.h"
#include <stdio.h>
int cmd_mount(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "not built yet\n"); return 2; }
