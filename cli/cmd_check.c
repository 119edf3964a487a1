#include "cli.h"
#include <stdio.h>
static int todo(const char *w) { fprintf(stderr, "schemafs: %s: not built yet\n", w); return 2; }
int cmd_check(int argc, char **argv) { (void)argc; (void)argv; return todo("check"); }
int cmd_order(int argc, char **argv) { (void)argc; (void)argv; return todo("order"); }
int cmd_graph(int argc, char **argv) { (void)argc; (void)argv; return todo("graph"); }
int cmd_dependents(int argc, char **argv) { (void)argc; (void)argv; return todo("dependents"); }
int cmd_docs(int argc, char **argv) { (void)argc; (void)argv; return todo("docs"); }
int cmd_erd(int argc, char **argv) { (void)argc; (void)argv; return todo("erd"); }
int cmd_cycles(int argc, char **argv) { (void)argc; (void)argv; return todo("cycles"); }
