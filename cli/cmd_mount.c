/*
 * cmd_mount: `schemafs mount [OPTIONS] [DATABASE] MOUNTPOINT` (help.c says
 * which options). Takes its own options (--db, --create, --examples, --seed,
 * -v, and -o db=, -o loglevel=) and hands every other argument to FUSE's
 * own command-line parser (fs_main), so other -o options pass through
 * unchanged; options may stand anywhere.
 */
#include "cli.h"

#include <fuse_opt.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"

enum { OPT_DB = 256, OPT_CREATE, OPT_EXAMPLES, OPT_SEED };

/* What the command line asks for, beside FUSE's own options. */
struct mount_args {
	const char *db;       /* --db */
	const char *source;   /* DATABASE of `schemafs DATABASE MOUNTPOINT` */
	bool create;          /* --create */
	struct fs_mount_opts o;
};

/*
 * Splits argv into our options and FUSE's command line: FUSE's options
 * (-f, -d, -s, -o OPT; anything unknown is FUSE's to refuse), then the
 * mountpoint, after "--" when it looks like an option. With two
 * positional arguments the first is the database (mount.fuse3 passes
 * SOURCE MOUNTPOINT). fargv has room for 2 * argc + 2 entries and spare
 * for argc short options of 3 bytes. Returns -1 to go on, else the exit
 * status (0 after --help or --version; 2 with a message printed).
 */
static int split_args(int argc, char **argv, struct mount_args *a, char **fargv, int *fargc,
		      char *spare)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "create", no_argument, NULL, OPT_CREATE },
		{ "examples", required_argument, NULL, OPT_EXAMPLES },
		{ "seed", no_argument, NULL, OPT_SEED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n = 0;
	bool dashes = false;

	fargv[n++] = "schemafs";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fdsvho:V", longopts, NULL)) != -1) {
		if (c == OPT_DB) {
			a->db = optarg;
		} else if (c == OPT_CREATE) {
			a->create = true;
		} else if (c == OPT_EXAMPLES) {
			a->o.examples = optarg;
		} else if (c == OPT_SEED) {
			a->o.examples = fs_examples_dir();
		} else if (c == 'v') {
			a->o.verbose = true;
		} else if (c == 'h') {
			cli_help_print(cli_help_find("mount"), stdout);
			return 0;
		} else if (c == 'V') {
			cli_version(stdout);
			return 0;
		} else if (c == ':' && optopt >= OPT_DB) {
			fprintf(stderr, "schemafs: '%s' needs a value\n", argv[optind - 1]);
			return 2;
		} else if (c == 'o') {
			fargv[n++] = "-o";
			fargv[n++] = optarg;
		} else if ((c == '?' || c == ':') && (optopt <= 0 || optopt >= 256)) {
			fargv[n++] = argv[optind - 1]; /* a long option, as written */
		} else {
			/* a short one (known, or for FUSE to refuse) */
			char *opt = spare;
			spare += 3;
			opt[0] = '-';
			opt[1] = (char)(c == '?' || c == ':' ? optopt : c);
			opt[2] = '\0';
			fargv[n++] = opt;
		}
	}
	if (argc - optind > 2) {
		fprintf(stderr, "schemafs: too many arguments: a mountpoint, or a database and a "
				"mountpoint\n");
		return 2;
	}
	if (argc - optind == 2)
		a->source = argv[optind++];
	for (int i = optind; i < argc; i++)
		dashes = dashes || argv[i][0] == '-';
	if (dashes)
		fargv[n++] = "--";
	for (int i = optind; i < argc; i++)
		fargv[n++] = argv[i];
	*fargc = n;
	return -1;
}

/* -o db=FILE and -o loglevel=LEVEL are ours: fuse_opt_parse takes them
 * out of the -o lists and keeps everything else for FUSE. */
struct fuse_o {
	char *db;
	char *loglevel;
};

static const struct fuse_opt fuse_o_spec[] = {
	{ "db=%s", offsetof(struct fuse_o, db), 0 },
	{ "loglevel=%s", offsetof(struct fuse_o, loglevel), 0 },
	FUSE_OPT_END
};

int cmd_mount(int argc, char **argv)
{
	struct mount_args a = { 0 };
	struct fuse_o fo = { 0 };
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	char *db_default = NULL;
	char **fargv = calloc(2 * (size_t)argc + 2, sizeof(*fargv));
	char *spare = calloc((size_t)argc, 3);
	int fargc = 0, status = 1;

	if (!fargv || !spare) {
		fprintf(stderr, "schemafs: out of memory\n");
		goto out;
	}
	if ((status = split_args(argc, argv, &a, fargv, &fargc, spare)) >= 0)
		goto out;
	args = (struct fuse_args)FUSE_ARGS_INIT(fargc, fargv);
	if (fuse_opt_parse(&args, &fo, fuse_o_spec, NULL) == -1) {
		status = 2;
		goto out;
	}
	/* --db, then -o db=, then mount.fuse3's source, then the default */
	a.o.db = a.db ? a.db : fo.db ? fo.db : a.source;
	a.o.loglevel = fo.loglevel;
	status = 1;
	if (!a.o.db) {
		const char *env = getenv("SCHEMAFS_DB");
		/* the default location's directories are ours to create */
		a.create = a.create || !env || !*env;
		a.o.db = db_default = cli_default_db();
		if (!a.o.db) {
			fprintf(stderr, "schemafs: out of memory\n");
			goto out;
		}
	}
	if (cli_db_prepare(a.o.db, a.create))
		goto out;
	status = fs_main(args.argc, args.argv, &a.o);
out:
	fuse_opt_free_args(&args);
	free(fo.db);
	free(fo.loglevel);
	free(db_default);
	free(spare);
	free(fargv);
	return status;
}
