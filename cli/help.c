/*
 * help: every command's help text, in one table (cli.h). `schemafs help
 * CMD` and `schemafs CMD --help` print the same entry; `schemafs help`
 * lists them all. The texts follow one plan: usage, what it does, each
 * option, environment, exit status. docs/cli.md, docs/mount.md,
 * docs/migrations.md and the man page schemafs(1) say the same at length.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "fs.h"

#define DB_ENV                                                                                     \
	"environment:\n"                                                                           \
	"  SCHEMAFS_DB     the SQLite file when --db is not given\n"                               \
	"  XDG_DATA_HOME   else $XDG_DATA_HOME/schemafs/registry.db\n"                             \
	"                  (default ~/.local/share/schemafs/registry.db)\n"

#define DIR_EXIT                                                                                   \
	"exit status: 0 done; 1 a refused file (left out of the view, its problem on\n"           \
	"stderr), an unreadable directory, a failed write; 2 usage error\n"

#define VIEW_TEXT(cmd, forms, what)                                                                \
	"usage: schemafs " cmd "\n\n" what "\n"                                                    \
	"DIR is laid out like examples/aegis: an optional registry.yaml and one\n"                 \
	"<name>.yaml per table. A file that does not load is left out, its problem\n"            \
	"printed on stderr as file:line:col: severity: message.\n\n"                              \
	"options:\n" forms "  -h, --help  this text\n\n" DIR_EXIT

static const struct cli_help help_table[] = {
	{ "check", "check DIR [--strict] [--json | --format text|json|github]",
	  "every problem as file:line:col; exit 1 on errors",
	  "usage: schemafs check DIR [--strict] [--json | --format text|json|github]\n\n"
	  "Loads every file of DIR as the mount would, then applies the cross-schema\n"
	  "rules (missing schema or column, a reference to a column that is not a key,\n"
	  "type mismatches, cycles). Prints every problem on stdout, sorted by file,\n"
	  "line and column: FILE:LINE:COL: error|warning: MESSAGE. Nothing when valid.\n\n"
	  "options:\n"
	  "  --strict            warnings fail too (also registry.yaml lint: {strict: true})\n"
	  "  --json              the same list as one JSON array\n"
	  "  --format F          text (default), json, or github (GitHub Actions annotations:\n"
	  "                      ::error file=F,line=L,col=C::message)\n"
	  "  -h, --help          this text\n\n"
	  "exit status: 0 no errors (warnings may have been printed); 1 errors (or warnings\n"
	  "with --strict), or the directory cannot be read; 2 usage error\n" },
	{ "order", "order DIR [--json]", "migration order, dependencies first",
	  VIEW_TEXT("order DIR [--json]", "  --json      a JSON array\n",
		    "Prints the migration order of the schemas of DIR, one per line, every\n"
		    "table after the tables it references.\n") },
	{ "graph", "graph DIR [--json]", "each schema and what it depends on",
	  VIEW_TEXT("graph DIR [--json]", "  --json      a JSON object\n",
		    "Prints the dependency graph, one schema per line: SCHEMA: DEP DEP...\n") },
	{ "dependents", "dependents DIR NAME [--json]", "the services depending on NAME",
	  VIEW_TEXT("dependents DIR NAME [--json] | dependents DIR --json",
		    "  --json      JSON; without NAME every schema's dependents in one object\n",
		    "Prints the services whose tables reference NAME, one per line, sorted.\n"
		    "No schema NAME is an error (exit 1); nobody referencing it, no output.\n") },
	{ "cycles", "cycles DIR [--json]", "one dependency cycle per line",
	  VIEW_TEXT("cycles DIR [--json]", "  --json      a JSON array of cycles\n",
		    "Prints each dependency cycle as a -> b -> a; nothing when there is none\n"
		    "(cycles exit 0 here: use check to fail on them).\n") },
	{ "docs", "docs DIR", "Markdown documentation of every table",
	  VIEW_TEXT("docs DIR", "", "Prints Markdown documentation of every table of DIR (the mount's\n"
		    "docs/schema.md).\n") },
	{ "erd", "erd DIR [--table TABLE | --service SERVICE] [--dot | --svg]",
	  "Mermaid, DOT or SVG entity-relationship diagram",
	  VIEW_TEXT("erd DIR [--table TABLE | --service SERVICE] [--dot | --svg]",
		    "  --table TABLE      one table's neighbourhood (also: erd DIR TABLE)\n"
		    "  --service SERVICE  the tables SERVICE owns and their neighbours\n"
		    "  --dot              Graphviz DOT instead of Mermaid\n"
		    "  --svg              an SVG picture drawn by Graphviz\n",
		    "Prints the entity-relationship diagram of DIR as a Mermaid erDiagram (the\n"
		    "mount's erd.mmd), or of one table's or one service's neighbourhood (the\n"
		    "mount's erd/TABLE.mmd and erd/service/SERVICE.mmd).\n") },
	{ "diff", "diff OLD_DIR NEW_DIR...", "classified changes and the services they break",
	  "usage: schemafs diff [--mode MODE] [--json] [--format text|github] OLD_DIR NEW_DIR\n"
	  "                     [MORE_DIRS...]\n\n"
	  "Compares each directory with the one before it: every change classified\n"
	  "(compatible or breaking, for readers and writers), the services it breaks\n"
	  "and the version bump the change needs (docs/contracts.md). No database.\n\n"
	  "options:\n"
	  "  --mode MODE        the compatibility mode where registry.yaml sets none:\n"
	  "                     BACKWARD (default), FORWARD, FULL, NONE,\n"
	  "                     BACKWARD_TRANSITIVE, FORWARD_TRANSITIVE, FULL_TRANSITIVE\n"
	  "  --json             one JSON object\n"
	  "  --format github    GitHub Actions annotations (::error file=...)\n"
	  "  -h, --help         this text\n\n"
	  "exit status: 0 no break; 1 a change breaks a consumer or a directory does not\n"
	  "load; 2 usage error\n" },
	{ "lint", "lint FILE.sql...", "migration hazards in SQL scripts, no database",
	  "usage: schemafs lint [--pg-version N] [--in-transaction] [--generated] [--strict]\n"
	  "                     [--json | --format text|json|github] [--disable RULE]...\n"
	  "                     [--warning RULE]... [--error RULE]... FILE.sql...|-\n"
	  "       schemafs lint --rules\n\n"
	  "Reads each script with PostgreSQL's parser and reports what would lock,\n"
	  "rewrite or lose data, at its line and column (docs/lint.md lists the rules).\n\n"
	  "options:\n"
	  "  --pg-version N      the server the scripts will run on (e.g. 15, 11.4)\n"
	  "  --in-transaction    the scripts run inside one transaction\n"
	  "  --generated         judge them as schemafs's own plan\n"
	  "  --strict            warnings fail too (exit 1)\n"
	  "  --json, --format F  JSON, or F: text (default), json, github\n"
	  "  --disable RULE, --warning RULE, --error RULE   change one rule\n"
	  "  --rules             list every rule\n"
	  "  -h, --help          this text\n\n"
	  "exit status: 0 no errors; 1 errors (or warnings with --strict); 2 usage error or a\n"
	  "file that cannot be read\n" },
	{ "import", "import [--db FILE] [--prune] DIR", "load a directory into the database",
	  "usage: schemafs import [--db FILE] [--prune] DIR\n\n"
	  "Stores every valid DIR/<name>.yaml (and DIR/registry.yaml) as a new revision\n"
	  "in the SQLite file, in one transaction; files with the stored bytes add\n"
	  "nothing. Refused files are reported as file:line:col and left out.\n\n"
	  "options:\n"
	  "  --db FILE   the SQLite file (created when missing)\n"
	  "  --prune     unregister every schema with no DIR/<name>.yaml\n"
	  "  -h, --help  this text\n\n" DB_ENV "\n"
	  "exit status: 0 every file imported; 1 a refused file or a store error; 2 usage\n"
	  "error\n" },
	{ "export", "export [--db FILE] DIR", "write the registry back to a directory",
	  "usage: schemafs export [--db FILE] DIR\n\n"
	  "Writes the current bytes of every schema (DIR/<name>.yaml) and of\n"
	  "registry.yaml, exactly as stored, creating DIR when needed.\n\n"
	  "options:\n"
	  "  --db FILE   the SQLite file (must exist)\n"
	  "  -h, --help  this text\n\n" DB_ENV "\n"
	  "exit status: 0 done; 1 no such database, or writing failed; 2 usage error\n" },
	{ "history", "history [--db FILE] [--json] NAME", "every stored revision of a schema",
	  "usage: schemafs history [--db FILE] [--json] NAME\n\n"
	  "Lists every accepted revision of schema NAME, oldest first, also after it was\n"
	  "removed: one line each, tab-separated: revision id, the version its bytes\n"
	  "declare, when it was saved (UTC), who saved it (user name, uid, or - for\n"
	  "revisions saved before the store kept it), and \"current\" on the current one.\n\n"
	  "options:\n"
	  "  --db FILE   the SQLite file (must exist; only read)\n"
	  "  --json      a JSON array: revision, version, time, uid, user, current\n"
	  "  -h, --help  this text\n\n" DB_ENV "\n"
	  "exit status: 0 done; 1 no such schema ever, or no such database; 2 usage error\n" },
	{ "show", "show [--db FILE] NAME[@REV]", "the bytes of a schema, or of one revision",
	  "usage: schemafs show [--db FILE] NAME[@REV]\n\n"
	  "Writes the current bytes of schema NAME exactly as stored, or with @REV those\n"
	  "of revision REV: a revision id (schemafs history NAME lists them) or a version\n"
	  "(its last revision). A removed schema has only its past revisions.\n\n"
	  "options:\n"
	  "  --db FILE   the SQLite file (must exist; only read)\n"
	  "  -h, --help  this text\n\n" DB_ENV "\n"
	  "exit status: 0 done; 1 no such schema or revision, or no such database; 2 usage\n"
	  "error\n" },
	{ "import-sql", "import-sql FILE.sql OUTDIR", "an existing database's DDL to YAML files",
	  "usage: schemafs import-sql [--schema NAME] [--owner NAME] [--force] FILE.sql OUTDIR\n\n"
	  "Reads PostgreSQL DDL (pg_dump --schema-only, \"-\" for stdin) with PostgreSQL's\n"
	  "parser and writes one YAML file per table to OUTDIR (docs/import-sql.md).\n\n"
	  "options:\n"
	  "  --schema NAME  only the tables of schema NAME\n"
	  "  --owner NAME   the owner (service) written into each file\n"
	  "  --force        overwrite files in OUTDIR\n"
	  "  -h, --help     this text\n\n"
	  "exit status: 0 done; 1 statements that could not be imported (reported as\n"
	  "file:line:col) or a write failed; 2 usage error\n" },
	{ "migrate", "migrate plan|check|impact|apply|rollback|status|log|pending|applied|"
		     "baseline|resume|cancel",
	  "PostgreSQL migrations without a mount",
	  "usage: schemafs migrate [--db FILE] [--target CONNINFO] [--lock-timeout MS]\n"
	  "                        [--statement-timeout MS] COMMAND [ARGS]\n\n"
	  "The migrations of the mount's migrations/ (docs/migrations.md), for CI:\n"
	  "the same coordinator, the same output.\n\n"
	  "commands:\n"
	  "  plan [--json]        ordered steps: service, schema, dependencies, SQL\n"
	  "  check [--offline] [--strict] [--json | --format text|json|github]\n"
	  "                       errors and warnings (validation, pending SQL, lint, the\n"
	  "                       history's checksums, dry run); exit 1 on an error, with\n"
	  "                       --strict (or registry.yaml lint: {strict: true}) on a\n"
	  "                       warning too; --offline: no database, planned against the\n"
	  "                       last applied run's registry (else an empty database)\n"
	  "  impact [--json]      affected services and the steps per schema\n"
	  "  apply [--force]      run the plan (its transactional phase in one transaction);\n"
	  "                       refused when the history was changed by hand, unless --force\n"
	  "  rollback [--dry-run] undo the last applied run, database and registry;\n"
	  "                       --dry-run: only show what it would undo (nothing runs)\n"
	  "  resume               continue a run stopped in its non-transactional steps\n"
	  "  cancel               cancel the running apply/rollback/resume (any process)\n"
	  "  baseline             mark an adopted database as applied at the current\n"
	  "                       registry (nothing runs; refused when the target has runs)\n"
	  "  status [--json]      the last run\n"
	  "  log [--json]         every run, then any run whose history was changed by hand\n"
	  "  pending list         hand-written scripts waiting in migrations/pending/\n"
	  "  pending put NAME [FILE]  store FILE (default stdin) as pending/NAME\n"
	  "                       (NAME is <table>.sql or <table>.down.sql)\n"
	  "  pending cat NAME, pending rm NAME   print, remove a pending script\n"
	  "  applied RUN [NAME]   list (or print) the scripts run RUN archived\n\n"
	  "options (before or after the command; -- ends them):\n"
	  "  --db FILE               the SQLite file\n"
	  "  --target CONNINFO       the PostgreSQL database (a libpq conninfo or URI)\n"
	  "  --lock-timeout MS       lock_timeout of a step (default 5000; retried 3 times)\n"
	  "  --statement-timeout MS  statement_timeout (default: none for apply, 5000 for\n"
	  "                          check's dry run)\n"
	  "  -h, --help              this text\n\n"
	  "--json output is always one JSON document; on failure {\"error\": ...} (and the\n"
	  "message on stderr), exit 1.\n\n"
	  "The target: --target, else registry.yaml's `target`, else libpq's environment\n"
	  "(PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE...). Passwords belong in\n"
	  "~/.pgpass or the service file; schemafs never prints one.\n\n" DB_ENV
	  "  SCHEMAFS_LOCK_TIMEOUT       lock_timeout in ms when --lock-timeout is not given\n"
	  "  SCHEMAFS_STATEMENT_TIMEOUT  statement_timeout in ms likewise\n"
	  "  PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE...  libpq's defaults\n\n"
	  "exit status: 0 done; 1 the command failed, was refused, found errors (check)\n"
	  "or was busy; 2 usage error\n" },
	{ "mount", "mount [OPTIONS] MOUNTPOINT", "mount the registry (also: schemafs DIR)",
	  "usage: schemafs mount [OPTIONS] MOUNTPOINT\n"
	  "       schemafs [OPTIONS] MOUNTPOINT         (MOUNTPOINT an existing directory)\n"
	  "       schemafs DATABASE MOUNTPOINT [-o OPT] (mount.fuse3, /etc/fstab)\n\n"
	  "Mounts the registry kept in one SQLite file: schemas/<name>.yaml to edit,\n"
	  "read-only views (migration_order, validation, docs/schema.md...), migrations/\n"
	  "(docs/mount.md). Without -f it returns once the mount is ready; unmount with\n"
	  "fusermount3 -u MOUNTPOINT (or SIGINT, SIGTERM, SIGHUP).\n\n"
	  "options:\n"
	  "  --db FILE, -o db=FILE  the SQLite file (also: a first argument DATABASE)\n"
	  "  --create         create the directories of a --db FILE that is missing\n"
	  "                   (the default location's are always created)\n"
	  "  --examples DIR   a new registry starts with the schemas of DIR\n"
	  "  --seed           a new registry starts with the shipped examples\n"
	  "                   (the seed's five schemas)\n"
	  "  -f               stay in the foreground; log to stderr (else syslog)\n"
	  "  -d               FUSE's debug trace (implies -f)\n"
	  "  -s               serve one request at a time\n"
	  "  -v               log everything (-o loglevel=debug)\n"
	  "  -o loglevel=L    error, warning, info (default: one line per save,\n"
	  "                   refusal and migration command) or debug\n"
	  "  -o OPT[,OPT...]  FUSE's options, below (allow_other, fsname=...)\n"
	  "  -V, --version    versions of schemafs and libfuse\n"
	  "  -h, --help       this text\n\n" DB_ENV
	  "  SCHEMAFS_TARGET  the PostgreSQL target of migrations/ (else registry.yaml's\n"
	  "                   `target`, else PGHOST, PGDATABASE, ...)\n"
	  "  SCHEMAFS_EXAMPLES  the directory --seed imports\n"
	  "  SCHEMAFS_LOCK_TIMEOUT  lock_timeout of a run, in ms\n\n"
	  "/etc/fstab:\n"
	  "  /var/lib/schemafs/registry.db /srv/schemas fuse.schemafs defaults,allow_other 0 0\n\n"
	  "exit status: 0 mounted (or unmounted cleanly under -f); 1 the database cannot\n"
	  "be opened or the mount failed; 2 usage error\n" },
	{ "help", "help [COMMAND]", "this list, or one command's help",
	  "usage: schemafs help [COMMAND]\n"
	  "       schemafs COMMAND --help\n\n"
	  "Without COMMAND, every command; with it, that command's usage, options,\n"
	  "environment and exit status. The man page: man schemafs.\n\n"
	  "exit status: 0; 2 no such command\n" },
	{ "version", "version", "versions of schemafs and libfuse (also -V, --version)",
	  "usage: schemafs version | schemafs --version | schemafs -V\n\n"
	  "Prints schemafs's version, then the FUSE library's.\n\n"
	  "exit status: 0\n" },
};

#define NHELP (sizeof(help_table) / sizeof(help_table[0]))

const struct cli_help *cli_help_find(const char *name)
{
	for (size_t i = 0; i < NHELP; i++)
		if (!strcmp(help_table[i].name, name))
			return &help_table[i];
	return NULL;
}

const char *cli_help_nearest(const char *word)
{
	const char *names[NHELP + 1];
	for (size_t i = 0; i < NHELP; i++)
		names[i] = help_table[i].name;
	names[NHELP] = NULL;
	return reg_nearest(word, names);
}

void cli_help_list(FILE *f)
{
	fputs("usage: schemafs COMMAND [ARGS]       (schemafs help COMMAND: its help)\n"
	      "       schemafs [OPTIONS] MOUNTPOINT (an existing directory: schemafs mount)\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < NHELP; i++) {
		const struct cli_help *h = &help_table[i];
		if (strlen(h->synopsis) > 34)
			fprintf(f, "  %s\n  %-34s %s\n", h->synopsis, "", h->what);
		else
			fprintf(f, "  %-34s %s\n", h->synopsis, h->what);
	}
	fputs("\nThe database: --db FILE, else $SCHEMAFS_DB, else\n"
	      "${XDG_DATA_HOME:-~/.local/share}/schemafs/registry.db. Manual: man schemafs.\n", f);
}

void cli_help_print(const struct cli_help *h, FILE *f)
{
	fputs(h->text, f);
	if (!strcmp(h->name, "mount")) {
		fprintf(f, "\n--seed imports %s\n", fs_examples_dir());
		fputs("\nFUSE options:\n", f);
		fflush(f);
		fs_print_fuse_help();
	}
}

int cli_usage_error(const char *name)
{
	const struct cli_help *h = cli_help_find(name);
	if (h)
		fprintf(stderr, "usage: schemafs %s\n(schemafs help %s: the whole text)\n",
			h->synopsis, name);
	return 2;
}

void cli_version(FILE *f)
{
	fprintf(f, "schemafs version %s\nFUSE library version %s\n", SCHEMAFS_VERSION,
		fs_fuse_version());
}
