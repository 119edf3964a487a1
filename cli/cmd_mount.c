/*
 * cmd_mount: `schemafs [mount] [--db FILE] [-f] [-d] [-s] [-o OPT] MOUNTPOINT`.
 * Takes --db for itself and hands every other argument to FUSE's own
 * command-line parser (fs_main), so -o options pass through unchanged.
 */
#include "cli.h"

#include <errno.h>
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

int cmd_mount(int argc, char **argv)
{
	const char *db = NULL;
	char *db_default = NULL;
	char **fargv = calloc((size_t)argc + 1, sizeof(*fargv));
	int fargc = 0, status = 2;

	if (!fargv) {
		fprintf(stderr, "schemafs: out of memory\n");
		return 1;
	}
	fargv[fargc++] = "schemafs";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--db")) {
			if (++i >= argc) {
				fprintf(stderr, "schemafs: --db needs a file\n");
				goto out;
			}
			db = argv[i];
		} else if (!strncmp(argv[i], "--db=", 5)) {
			db = argv[i] + 5;
		} else {
			fargv[fargc++] = argv[i];
		}
	}
	if (!db) {
		db = db_default = cli_default_db();
		if (!db) {
			fprintf(stderr, "schemafs: out of memory\n");
			status = 1;
			goto out;
		}
		if (make_parents(db)) {
			fprintf(stderr, "schemafs: %s: cannot create its directory: %s\n", db,
				strerror(errno));
			status = 1;
			goto out;
		}
	}
	status = fs_main(fargc, fargv, db, fs_examples_dir());
out:
	free(db_default);
	free(fargv);
	return status;
}
