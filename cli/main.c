#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "check", cmd_check,
	  "check DIR [--json]: every problem, file:line:col; exit 1 on errors" },
	{ "order", cmd_view, "order DIR [--json]: migration order, dependencies first" },
	{ "graph", cmd_view, "graph DIR [--json]: each schema and what it depends on" },
	{ "dependents", cmd_view,
	  "dependents DIR NAME [--json] | DIR --json: services depending on NAME" },
	{ "cycles", cmd_view, "cycles DIR [--json]: one dependency cycle per line" },
	{ "diff", cmd_diff, "diff [--mode MODE] [--json] [--format github] OLD_DIR NEW_DIR...: "
	  "classified changes, services broken; exit 1 on a break" },
	{ "docs", cmd_view, "docs DIR: Markdown documentation" },
	{ "erd", cmd_view, "erd DIR [--table T|--service S] [--dot|--svg]: Mermaid, DOT or SVG ERD" },
	{ "import", cmd_import,
	  "import [--db FILE] [--prune] DIR: load a directory into the database" },
	{ "import-sql", cmd_import_sql,
	  "import-sql [--schema NAME] [--owner NAME] [--force] FILE.sql OUTDIR: "
	  "DDL to YAML files" },
	{ "export", cmd_export,
	  "export [--db FILE] DIR: write the registry back to a directory" },
	{ "lint", cmd_lint,
	  "lint [--pg-version N] [--in-transaction] [--strict] [--json] FILE.sql...: hazards" },
	{ "migrate", cmd_migrate, "migrate [--db FILE] plan|check|apply|rollback|status|log" },
	{ "mount", cmd_mount, "mount [--db FILE] [-f] [-d] [-o OPT] MOUNTPOINT" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: schemafs [--db FILE] [-f] [-d] [-o OPT] MOUNTPOINT\n"
		   "       schemafs COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].summary);
}

char *cli_default_db(void)
{
	const char *env = getenv("SCHEMAFS_DB");
	if (env && *env)
		return strdup(env);
	const char *data = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path;
	int n;
	if (data && *data)
		n = asprintf(&path, "%s/schemafs/registry.db", data);
	else
		n = asprintf(&path, "%s/.local/share/schemafs/registry.db",
			     home && *home ? home : ".");
	return n < 0 ? NULL : path;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	/* no command word: the main job, mount the registry */
	return cmd_mount(argc, argv);
}
