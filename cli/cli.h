/*
 * cli: the schemafs command. main.c is a table of subcommands; each group
 * lives in its own cmd_*.c. Every command returns the process exit status
 * (0 ok, 1 problems found / command failed, 2 usage error) and prints its
 * own messages to stderr as "schemafs: ...".
 */
#ifndef SCHEMAFS_CLI_H
#define SCHEMAFS_CLI_H

#include <stddef.h>

#include "diag.h"
#include "sbuf.h"

/* cmd_check.c: commands on a directory of YAML files, no mount, no db.
 * cmd_view serves every view of the catalogue (render.h): argv[0] is its
 * command word (order, graph, dependents, cycles, docs, erd). */
int cmd_check(int argc, char **argv);
int cmd_view(int argc, char **argv);

/* cmd_store.c: the SQLite file without a mount */
int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* cmd_import_sql.c: PostgreSQL DDL -> a directory of YAML files */
int cmd_import_sql(int argc, char **argv);

/* cmd_lint.c: migration hazards in SQL files, no database */
int cmd_lint(int argc, char **argv);

/* cmd_mount.c: schemafs [options] MOUNTPOINT */
int cmd_mount(int argc, char **argv);

/* cmd_migrate.c: schemafs migrate plan|check|apply|rollback|status|log */
int cmd_migrate(int argc, char **argv);

/* cmd_diff.c: schemafs diff OLD_DIR NEW_DIR [MORE_DIRS...] (registry/contract.h) */
int cmd_diff(int argc, char **argv);

/* The default SQLite file: $SCHEMAFS_DB, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/schemafs/registry.db. Returns a
 * malloc'd path (caller frees) or NULL on OOM. */
char *cli_default_db(void);

/* cli_util.c: reads path ("-": standard input) and appends it to out; a
 * file longer than max bytes gives its first max (SIZE_MAX: no limit).
 * Returns 0, or with errno set CLI_READ_EOPEN (path cannot be opened) or
 * CLI_READ_EREAD (reading failed; ENOMEM when out of memory), out then
 * holding part of the file. Standard input is left open. */
#define CLI_READ_EOPEN (-1)
#define CLI_READ_EREAD (-2)
int cli_read_file(const char *path, size_t max, struct sbuf *out);

/* cli_util.c: one GitHub Actions workflow command (--format github) per
 * problem, appended to out:
 *   ::error file=F,line=L,col=C,title=T::message
 * (warning for warnings, notice for notes; no file= when file is NULL or
 * "", no line= when loc.line is 0, no title= when title is NULL). '%', CR
 * and LF are escaped everywhere, ':' and ',' also in properties, as GitHub
 * wants. Returns sbuf_error(out). */
int cli_annotate(struct sbuf *out, enum diag_severity sev, const char *file, struct reg_loc loc,
		 const char *title, const char *message);
/* cli_annotate for every item of d. */
int cli_annotate_diags(struct sbuf *out, const struct diags *d);

#endif
