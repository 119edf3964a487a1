/*
 * schemafs import / export: a directory in the seed's layout (registry.yaml
 * plus <name>.yaml per table) <-> the SQLite store, without a mount.
 * Behaviour is documented in docs/store.md.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "model.h"
#include "registry.h"
#include "sbuf.h"
#include "path.h"
#include "regstore.h"
#include "servicefile.h"
#include "store.h"
#include "strlist.h"

#define META_FILE "registry.yaml"
#define SUFFIX ".yaml"

struct opts {
	const char *db;
	const char *dir;
	bool prune;
};

static int usage_error(const char *cmd, const char *extra, const char *msg)
{
	if (msg)
		fprintf(stderr, "schemafs %s: %s\n", cmd, msg);
	fprintf(stderr, "usage: schemafs %s [--db FILE]%s DIR\n", cmd, extra);
	return 2;
}

/* [--db FILE | --db=FILE] [--prune when allowed] DIR, options anywhere. */
static int parse_opts(int argc, char **argv, bool allow_prune, struct opts *o)
{
	static const struct option import_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "prune", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct option export_opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = argv[0];
	const char *extra = allow_prune ? " [--prune]" : "";
	int c;
	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", allow_prune ? import_opts : export_opts,
				NULL)) != -1) {
		switch (c) {
		case 'h':
			printf("usage: schemafs %s [--db FILE]%s DIR\n", cmd, extra);
			return 0;
		case 'd':
			o->db = optarg;
			break;
		case 'p':
			o->prune = true;
			break;
		case ':':
			return usage_error(cmd, extra, "'--db' needs a file");
		default:
			fprintf(stderr, "schemafs %s: unknown option '%s'\n", cmd, argv[optind - 1]);
			return usage_error(cmd, extra, NULL);
		}
	}
	if (optind + 1 < argc)
		return usage_error(cmd, extra, "expected one directory");
	if (optind == argc)
		return usage_error(cmd, extra, "no directory given");
	o->dir = argv[optind];
	if (o->db && !*o->db)
		return usage_error(cmd, extra, "'--db' needs a file");
	return -1; /* go on */
}

static void print_diags(struct diags *d)
{
	struct sbuf out = SBUF_INIT;
	diags_sort(d);
	if (diags_render(d, &out) == 0)
		fwrite(out.buf, 1, out.len, stderr);
	sbuf_release(&out);
}

static char *db_path(const struct opts *o)
{
	char *p = o->db ? strdup(o->db) : cli_default_db();
	if (!p)
		fprintf(stderr, "schemafs: out of memory\n");
	return p;
}

static struct store *open_store(const char *path)
{
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	if (store_open(path, &st, &err))
		fprintf(stderr, "schemafs: %s\n", err.buf);
	else if (store_warning(st))
		fprintf(stderr, "schemafs: warning: %s\n", store_warning(st));
	sbuf_release(&err);
	return st;
}

/* ---- import ---------------------------------------------------------- */

int cmd_import(int argc, char **argv)
{
	struct opts o;
	int status = parse_opts(argc, argv, true, &o);
	if (status >= 0)
		return status;
	struct regstore_import im = REGSTORE_IMPORT_INIT;
	struct diags diags = DIAGS_INIT;
	struct store *st = NULL;
	char *db = NULL;
	status = 1;

	int rc = regstore_import_read(&im, o.dir, NULL, &diags);
	print_diags(&diags);
	if (rc == REG_ENOMEM)
		goto oom;
	if (rc) {
		fprintf(stderr, "schemafs: cannot read directory '%s': %s\n", o.dir,
			strerror(errno));
		goto out;
	}
	if (!(db = db_path(&o)) || !(st = open_store(db)))
		goto out;
	if ((rc = regstore_import_store(st, &im, o.prune))) {
		/* prune's own allocations fail without a store message */
		fprintf(stderr, "schemafs: %s: %s; nothing imported\n", db,
			rc == REG_ENOMEM ? reg_strerror(rc) : store_errmsg(st));
		goto out;
	}
	printf("imported %zu file%s from %s: %zu stored, %zu unchanged, %zu refused",
	       im.naccepted, im.naccepted == 1 ? "" : "s", o.dir, im.nstored,
	       im.naccepted - im.nstored, im.nrefused);
	if (o.prune)
		printf(", %zu unregistered", im.npruned);
	printf("\n");
	if (im.files.n == 0)
		fprintf(stderr, "schemafs: warning: no *.yaml files in '%s'\n", o.dir);
	status = im.nrefused ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "schemafs: out of memory\n");
out:
	store_close(st);
	regstore_import_release(&im);
	diags_release(&diags);
	free(db);
	return status;
}

/* ---- export ---------------------------------------------------------- */

static bool same_content(const char *path, const char *bytes, size_t len)
{
	struct sbuf cur = SBUF_INIT;
	/* len + 1: a longer file must not compare equal */
	bool same = !cli_read_file(path, len + 1, &cur) && cur.len == len &&
		    !memcmp(cur.buf, bytes, len);
	sbuf_release(&cur);
	return same;
}

/* Replaces path atomically: a temp file in the same directory, fsync,
 * rename. A reader (or a crash) sees the old file or the new, never half. */
static int write_atomic(const char *dir, const char *fname, const char *bytes, size_t len,
			mode_t mode)
{
	char *tmpname = NULL, *tmp = NULL, *path = NULL;
	int fd = -1, ret = -1;
	if (asprintf(&tmpname, ".%s.XXXXXX", fname) < 0)
		return -1;
	if (!(tmp = path_join(dir, tmpname)) || !(path = path_join(dir, fname)))
		goto out;
	fd = mkstemp(tmp);
	if (fd < 0)
		goto out;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, bytes + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, mode) || fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	ret = 0;
	goto out;
fail:;
	int saved = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = saved;
out:
	free(path);
	free(tmp);
	free(tmpname);
	return ret;
}

/* A schema name that is a plain file name in DIR and not registry.yaml. */
static const char *unexportable(const char *name)
{
	if (!*name || name[0] == '.' || strchr(name, '/'))
		return "is not a file name";
	if (!strcmp(name, "registry"))
		return "would overwrite the registry metadata file";
	return NULL;
}

/* services/<name> revisions go to DIR/services/<name>.yaml. */
static char *export_dir(const char *dir, const char *name, const char **base)
{
	*base = name;
	if (!regstore_is_service(name))
		return strdup(dir);
	*base = name + strlen(SERVICEFILE_DIR "/");
	char *sdir = path_join(dir, SERVICEFILE_DIR);
	if (sdir && path_mkdir_p(sdir, 0777)) {
		fprintf(stderr, "schemafs: cannot create directory '%s': %s\n", sdir,
			strerror(errno));
		free(sdir);
		return NULL;
	}
	return sdir;
}

/* Writes one revision unless the file already holds its bytes. 0, 1 when
 * it could not be written (said), -1 when out of memory (said). */
static int export_one(const struct opts *o, const struct store_rev *r, bool is_meta, mode_t mode,
		      struct strlist *written, size_t *nchanged)
{
	const char *base = r->name;
	char *dir = is_meta ? strdup(o->dir) : export_dir(o->dir, r->name, &base);
	char *fname = NULL, *shown = NULL, *path = NULL;
	const char *why = is_meta ? NULL : unexportable(base);
	int ret = 1;
	if (!dir)
		return 1;
	if (why) {
		fprintf(stderr, "schemafs: schema '%s' not exported: its name %s\n", r->name, why);
		goto out;
	}
	ret = -1;
	if (is_meta)
		fname = strdup(META_FILE);
	else if (asprintf(&fname, "%s%s", base, SUFFIX) < 0)
		fname = NULL;
	if (!fname || !(path = path_join(dir, fname)) ||
	    (!is_meta && asprintf(&shown, "%s%s", r->name, SUFFIX) < 0) ||
	    strlist_push(written, is_meta ? fname : shown)) {
		fprintf(stderr, "schemafs: out of memory\n");
		goto out;
	}
	ret = 0;
	if (!same_content(path, r->bytes, r->len)) {
		if (write_atomic(dir, fname, r->bytes, r->len, mode)) {
			fprintf(stderr, "schemafs: cannot write '%s': %s\n", path, strerror(errno));
			ret = 1;
		} else {
			(*nchanged)++;
		}
	}
out:
	free(shown);
	free(path);
	free(fname);
	free(dir);
	return ret;
}

int cmd_export(int argc, char **argv)
{
	struct opts o;
	int status = parse_opts(argc, argv, false, &o);
	if (status >= 0)
		return status;
	char *db = NULL;
	struct strlist existing = STRLIST_INIT, written = STRLIST_INIT;
	size_t nchanged = 0;
	struct store *st = NULL;
	struct store_rev *revs = NULL, meta = { 0 };
	size_t nrevs = 0;
	bool has_meta = false, failed = false;
	struct stat sb;
	status = 1;

	if (!(db = db_path(&o)))
		goto out;
	/* export reads: it must not create an empty database by accident */
	if (stat(db, &sb) != 0) {
		fprintf(stderr, "schemafs: %s: %s\n", db, strerror(errno));
		goto out;
	}
	if (!(st = open_store(db)))
		goto out;
	if (store_current(st, &revs, &nrevs) || store_get_meta(st, &meta, &has_meta)) {
		fprintf(stderr, "schemafs: %s: %s\n", db, store_errmsg(st));
		goto out;
	}
	/* the user's umask applies: an export is an ordinary directory */
	if (path_mkdir_p(o.dir, 0777)) {
		fprintf(stderr, "schemafs: cannot create directory '%s': %s\n", o.dir,
			strerror(errno));
		goto out;
	}
	mode_t mask = umask(0);
	umask(mask);
	mode_t mode = 0666 & ~mask;

	for (size_t i = 0; i <= nrevs; i++) {
		bool is_meta = i == nrevs;
		if (is_meta && !has_meta)
			break;
		const struct store_rev *r = is_meta ? &meta : &revs[i];
		int w = export_one(&o, r, is_meta, mode, &written, &nchanged);
		if (w < 0)
			goto out;
		failed |= w > 0;
	}
	/* the renames are durable once the directory is */
	int dfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}

	/* Files the registry does not own are never deleted; say so, since a
	 * later import of this directory would register them. */
	strlist_sort(&written);
	if (path_list_yaml(o.dir, &existing) == 0) {
		for (size_t i = 0; i < existing.n; i++) {
			if (strlist_find_sorted(&written, existing.items[i]) >= 0)
				continue;
			char *path = path_join(o.dir, existing.items[i]);
			fprintf(stderr,
				"schemafs: warning: '%s' is not in the registry; left in place\n",
				path ? path : existing.items[i]);
			free(path);
		}
	}
	printf("exported %zu file%s to %s: %zu written, %zu unchanged\n", written.n,
	       written.n == 1 ? "" : "s", o.dir, nchanged, written.n - nchanged);
	status = failed ? 1 : 0;
out:
	strlist_release(&existing);
	strlist_release(&written);
	store_revs_free(revs, nrevs);
	store_rev_release(&meta);
	store_close(st);
	free(db);
	return status;
}
