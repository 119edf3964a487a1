/*
 * cmd_mount: `schemafs [mount] [--db FILE] [-f] [-d] [-s] [-o OPT] MOUNTPOINT`.
 * Takes --db for itself and hands every other argument to FUSE's own
 * command-line parser (fs_main), so -o options pass through unchanged;
 * options may stand anywhere.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"

/* The default database lives in a directory that may not exist yet. */
static int make_parents(const char *path)
{
	char *dir = strdup(path);
	int ret = 0;
	if (!dir)
		return -1;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST)
			ret = -1;
		*p = '/';
	}
	free(dir);
	return ret;
}

enum { OPT_DB = 256 };

/*
 * Splits argv into --db and FUSE's command line: FUSE's options (-f, -d,
 * -s, -h, -V, -o OPT; anything unknown is FUSE's to refuse), then the
 * positional arguments (the mountpoint), after "--" when one looks like
 * an option. fargv has room for 2 * argc + 2 entries and spare for argc
 * short options of 3 bytes. Returns 0, or 2 (message printed).
 */
static int split_args(int argc, char **argv, const char **db, char **fargv, int *fargc,
		      char *spare)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, n = 0;
	bool dashes = false;

	fargv[n++] = "schemafs";
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fdsho:V", longopts, NULL)) != -1) {
		if (c == OPT_DB) {
			*db = optarg;
		} else if (c == ':' && optopt == OPT_DB) {
			fprintf(stderr, "schemafs: --db needs a file\n");
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
	for (int i = optind; i < argc; i++)
		dashes = dashes || argv[i][0] == '-';
	if (dashes)
		fargv[n++] = "--";
	for (int i = optind; i < argc; i++)
		fargv[n++] = argv[i];
	*fargc = n;
	return 0;
}

int cmd_mount(int argc, char **argv)
{
	const char *db = NULL;
	char *db_default = NULL;
	char **fargv = calloc(2 * (size_t)argc + 2, sizeof(*fargv));
	char *spare = calloc((size_t)argc, 3);
	int fargc = 0, status = 1;

	if (!fargv || !spare) {
		fprintf(stderr, "schemafs: out of memory\n");
		goto out;
	}
	if ((status = split_args(argc, argv, &db, fargv, &fargc, spare)))
		goto out;
	if (!db) {
		status = 1;
		db = db_default = cli_default_db();
		if (!db) {
			fprintf(stderr, "schemafs: out of memory\n");
			goto out;
		}
		if (make_parents(db)) {
			fprintf(stderr, "schemafs: %s: cannot create its directory: %s\n", db,
				strerror(errno));
			goto out;
		}
	}
	status = fs_main(fargc, fargv, db, fs_examples_dir());
out:
	free(db_default);
	free(spare);
	free(fargv);
	return status;
}
