/*
 * cli: the schemafs command. main.c is a table of subcommands; each group
 * lives in its own cmd_*.c. Every command returns the process exit status
 * (0 ok, 1 problems found / command failed, 2 usage error) and prints its
 * own messages to stderr as "schemafs: ...".
 */
#ifndef SCHEMAFS_CLI_H
#define SCHEMAFS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

/* cmd_mount.c: schemafs mount [options] MOUNTPOINT, schemafs [options]
 * MOUNTPOINT, schemafs DATABASE MOUNTPOINT [-o OPT] (mount.fuse3) */
int cmd_mount(int argc, char **argv);

/* cmd_migrate.c: schemafs migrate plan|check|apply|rollback|status|log */
int cmd_migrate(int argc, char **argv);

/* cmd_history.c: schemafs history NAME, schemafs show NAME[@REV] (the store) */
int cmd_history(int argc, char **argv);
int cmd_show(int argc, char **argv);

/* cmd_diff.c: schemafs diff OLD_DIR NEW_DIR [MORE_DIRS...] (registry/contract.h) */
int cmd_diff(int argc, char **argv);

/* cli_util.c: the default SQLite file: $SCHEMAFS_DB, else
 * ${XDG_DATA_HOME:-$HOME/.local/share}/schemafs/registry.db. Returns a
 * malloc'd path (caller frees) or NULL on OOM. */
char *cli_default_db(void);

/* cli_util.c: before opening the SQLite file path. A missing file is a new
 * registry: "schemafs: creating a new registry at PATH" on stderr. Its
 * missing parent directories are created (0700) only when create is set
 * (the default location of cli_default_db without $SCHEMAFS_DB, or an
 * explicit --create); otherwise a mistyped path is an error, printed:
 * returns 1. Returns 0 when the file may be opened. */
int cli_db_prepare(const char *path, bool create);

/* help.c: the table of help texts, one per command word. */
struct cli_help {
	const char *name;     /* the command word */
	const char *synopsis; /* its line in the list of commands */
	const char *what;     /* ... and what it does, in a few words */
	const char *text;     /* usage, what it does, options, environment, exit status */
};
/* NULL when name is no command. */
const struct cli_help *cli_help_find(const char *name);
/* The command name nearest to a mistyped word; NULL when none is near. */
const char *cli_help_nearest(const char *word);
/* Every command, one line each (schemafs help). */
void cli_help_list(FILE *f);
/* One command's text; mount's goes on with libfuse's options (on stdout). */
void cli_help_print(const struct cli_help *h, FILE *f);
/* A usage error of command name: its synopsis on stderr. Returns 2, the
 * exit status of a usage error. */
int cli_usage_error(const char *name);
/* "schemafs version V" then "FUSE library version V", as sshfs -V. */
void cli_version(FILE *f);

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

/* --format WORD of every command that takes one: text, json or github
 * (GitHub Actions annotations). False, with a message on stderr naming
 * cmd, for any other word. */
enum cli_format { CLI_FORMAT_TEXT, CLI_FORMAT_JSON, CLI_FORMAT_GITHUB };
bool cli_parse_format(const char *cmd, const char *word, enum cli_format *out);

#endif
