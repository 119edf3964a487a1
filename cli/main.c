/*
 * main: the table of subcommands and the front door. The first word that
 * is not an option is the command; options before it (schemafs --db X
 * migrate status) are handed to it. A word that is no command is a
 * mountpoint only when it is an existing directory (schemafs MNT), or the
 * pair DATABASE MOUNTPOINT that mount.fuse3 passes; anything else is a
 * mistyped command, answered with the nearest one.
 */
#include "cli.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
};

/* Each one's help text is in help.c's table, under the same name. */
static const struct command commands[] = {
	{ "check", cmd_check },
	{ "order", cmd_view },
	{ "graph", cmd_view },
	{ "dependents", cmd_view },
	{ "cycles", cmd_view },
	{ "docs", cmd_view },
	{ "erd", cmd_view },
	{ "diff", cmd_diff },
	{ "lint", cmd_lint },
	{ "import", cmd_import },
	{ "export", cmd_export },
	{ "history", cmd_history },
	{ "show", cmd_show },
	{ "import-sql", cmd_import_sql },
	{ "migrate", cmd_migrate },
	{ "mount", cmd_mount },
	{ "help", cmd_help },
	{ "version", cmd_version },
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int not_a_command(const char *word)
{
	const char *near = cli_help_nearest(word);
	if (near)
		fprintf(stderr, "schemafs: '%s' is not a command; did you mean '%s'?\n", word, near);
	else
		fprintf(stderr, "schemafs: '%s' is not a command (nor a directory to mount); "
				"see 'schemafs help'\n", word);
	return 2;
}

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		cli_help_list(stdout);
		return 0;
	}
	const struct cli_help *h = cli_help_find(argv[1]);
	if (!h)
		return not_a_command(argv[1]);
	cli_help_print(h, stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_version(stdout);
	return 0;
}

/* Options of the front door that take a value as the next word. */
static bool takes_value(const char *opt)
{
	static const char *const with_value[] = { "-o", "--db", "--examples", "--target",
						  "--lock-timeout", NULL };
	for (size_t i = 0; with_value[i]; i++)
		if (!strcmp(opt, with_value[i]))
			return true;
	return false;
}

/* The index of the first word that is not an option (argc when none). */
static int first_word(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return i + 1;
		if (argv[i][0] != '-' || !argv[i][1])
			return i;
		if (takes_value(argv[i]))
			i++;
	}
	return argc;
}

/* -h or --help among the command's arguments (before "--"). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	return false;
}

static int positionals_from(int at, int argc, char **argv)
{
	int n = 0;
	for (int i = at; i < argc; i++) {
		if (argv[i][0] != '-' || !argv[i][1])
			n++;
		else if (takes_value(argv[i]))
			i++;
	}
	return n;
}

static bool is_dir(const char *path)
{
	struct stat sb;
	return !stat(path, &sb) && S_ISDIR(sb.st_mode);
}

static bool exists(const char *path)
{
	struct stat sb;
	return !stat(path, &sb);
}

/* The command at argv[at], with the options before it moved after it. */
static int run_command(const struct command *c, int argc, char **argv, int at)
{
	char **cargv = calloc((size_t)argc + 1, sizeof(*cargv));
	int n = 0, status;
	if (!cargv) {
		fprintf(stderr, "schemafs: out of memory\n");
		return 1;
	}
	cargv[n++] = argv[at];
	for (int i = 1; i < at; i++)
		cargv[n++] = argv[i];
	for (int i = at + 1; i < argc; i++)
		cargv[n++] = argv[i];
	if (wants_help(n, cargv)) {
		cli_help_print(cli_help_find(c->name), stdout);
		status = 0;
	} else {
		status = c->run(n, cargv);
	}
	free(cargv);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cli_help_list(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_help_list(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return cmd_version(argc, argv);
	int at = first_word(argc, argv);
	if (at >= argc || (at > 1 && !strcmp(argv[at - 1], "--")))
		return cmd_mount(argc, argv); /* options only, or after "--": the mount's */
	const struct command *c = find_command(argv[at]);
	if (c)
		return run_command(c, argc, argv, at);
	/* schemafs MNT, and mount.fuse3's schemafs DATABASE MNT -o ... */
	int npos = positionals_from(at, argc, argv);
	if ((npos == 1 && is_dir(argv[at])) ||
	    (npos == 2 && (strchr(argv[at], '/') || exists(argv[at]))))
		return cmd_mount(argc, argv);
	return not_a_command(argv[at]);
}
