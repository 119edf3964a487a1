/*
 * schemafs import / export: a directory in the seed's layout (registry.yaml
 * plus <name>.yaml per table) <-> the SQLite store, without a mount.
 * Behaviour is documented in docs/store.md.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "store.h"
#include "schemafile.h"

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

/* [--db FILE | --db=FILE] [--prune when allowed] DIR */
static int parse_opts(int argc, char **argv, bool allow_prune, struct opts *o)
{
	const char *cmd = argv[0];
	const char *extra = allow_prune ? " [--prune]" : "";
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			printf("usage: schemafs %s [--db FILE]%s DIR\n", cmd, extra);
			return 0;
		} else if (!strcmp(a, "--db")) {
			if (++i == argc)
				return usage_error(cmd, extra, "'--db' needs a file");
			o->db = argv[i];
		} else if (!strncmp(a, "--db=", 5)) {
			o->db = a + 5;
		} else if (allow_prune && !strcmp(a, "--prune")) {
			o->prune = true;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc && !o->dir && i + 2 == argc)
				o->dir = argv[i + 1];
			else
				return usage_error(cmd, extra, "expected one directory");
			break;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "schemafs %s: unknown option '%s'\n", cmd, a);
			return usage_error(cmd, extra, NULL);
		} else if (o->dir) {
			return usage_error(cmd, extra, "expected one directory");
		} else {
			o->dir = a;
		}
	}
	if (!o->dir)
		return usage_error(cmd, extra, "no directory given");
	if (o->db && !*o->db)
		return usage_error(cmd, extra, "'--db' needs a file");
	return -1; /* go on */
}

/* "dir/name" without doubling a trailing slash; malloc'd or NULL. */
static char *path_join(const char *dir, const char *name)
{
	struct sbuf sb = SBUF_INIT;
	size_t n = strlen(dir);
	int rc = sbuf_add(&sb, dir, n);
	if (!rc && (n == 0 || dir[n - 1] != '/'))
		rc = sbuf_addch(&sb, '/');
	if (!rc)
		rc = sbuf_adds(&sb, name);
	if (rc) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && !strcmp(s + n - k, suffix);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml names in dir that can be schemas or registry.yaml: regular
 * files (symlinks followed), not hidden (editor locks and swap files are
 * dotfiles). Sorted. -1 with errno when dir cannot be read. */
static int list_yaml(const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t count = 0, alloc = 0;
	struct dirent *e;
	int saved;
	*out = NULL;
	*n = 0;
	if (!d)
		return -1;
	errno = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !has_suffix(e->d_name, SUFFIX))
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), e->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (count == alloc) {
			size_t na = alloc ? alloc * 2 : 32;
			char **p = realloc(names, na * sizeof(*p));
			if (!p)
				goto oom;
			names = p;
			alloc = na;
		}
		if (!(names[count] = strdup(e->d_name)))
			goto oom;
		count++;
		errno = 0;
	}
	saved = errno;
	closedir(d);
	if (saved) {
		store_names_free(names, count);
		errno = saved;
		return -1;
	}
	if (count)
		qsort(names, count, sizeof(*names), cmp_str);
	*out = names;
	*n = count;
	return 0;
oom:
	closedir(d);
	store_names_free(names, count);
	errno = ENOMEM;
	return -1;
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
	sbuf_release(&err);
	return st;
}

/* ---- import ---------------------------------------------------------- */

struct accepted {
	char *name;   /* schema name; NULL for registry.yaml */
	char *bytes;
	size_t len;
};

static void accepted_free(struct accepted *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].bytes);
	}
	free(a);
}

/* Parses one file; on acceptance moves its bytes into *acc. Returns 1 when
 * refused (already reported), 0 when accepted, -1 on out of memory. */
static int check_one(const char *dir, const char *fname, struct accepted *acc)
{
	char *path = path_join(dir, fname);
	struct sbuf text = SBUF_INIT;
	char *bytes = NULL, *name = NULL;
	size_t len = 0;
	struct diags diags = DIAGS_INIT;
	int ret = 1;
	bool is_meta = !strcmp(fname, META_FILE);
	if (!path)
		return -1;
	/* a larger file is cut to one byte over the limit, which the parser
	 * refuses as too large: no need to hold a huge file in memory */
	if (!cli_read_file(path, REG_MAX_FILE_SIZE + 1, &text) &&
	    !(bytes = sbuf_detach(&text, &len)))
		errno = ENOMEM;
	if (!bytes) {
		fprintf(stderr, "%s: error: cannot read: %s\n", path, strerror(errno));
		goto out;
	}
	int rc;
	if (is_meta) {
		struct reg_meta meta = { 0 };
		rc = schemafile_parse_meta(bytes, len, path, &meta, &diags);
		reg_meta_release(&meta);
	} else {
		struct reg_schema *s = NULL;
		name = strndup(fname, strlen(fname) - strlen(SUFFIX));
		if (!name) {
			ret = -1;
			goto out;
		}
		rc = reg_schema_from_bytes(bytes, len, path, name, &s, &diags);
		reg_schema_free(s);
	}
	if (rc == REG_ENOMEM) {
		ret = -1;
		goto out;
	}
	if (rc == 0 && diags.errors)
		rc = REG_EINVAL; /* never trust a success that came with errors */
	if (rc && !diags.errors)
		diags_add(&diags, path, (struct reg_loc){ 0, 0 }, DIAG_ERROR, "%s",
			  reg_strerror(rc));
	print_diags(&diags);
	if (rc == 0) {
		acc->name = name;
		acc->bytes = bytes;
		acc->len = len;
		name = bytes = NULL;
		ret = 0;
	}
out:
	diags_release(&diags);
	sbuf_release(&text);
	free(name);
	free(bytes);
	free(path);
	return ret;
}

/* Stores a unless the current bytes are already the same: importing the
 * same directory twice adds no history. *stored says which. */
static int import_one(struct store *st, const struct accepted *a, bool *stored)
{
	struct store_rev cur;
	bool found = false;
	int rc = a->name ? store_get_schema(st, a->name, &cur, &found)
			 : store_get_meta(st, &cur, &found);
	if (rc)
		return rc;
	*stored = !(found && cur.len == a->len && !memcmp(cur.bytes, a->bytes, a->len));
	store_rev_release(&cur);
	if (!*stored)
		return 0;
	if (a->name)
		return store_put_schema(st, a->name, a->bytes, a->len, NULL);
	return store_put_meta(st, a->bytes, a->len);
}

/* --prune: unregisters current schemas with no <name>.yaml in the
 * directory at all (a refused file keeps its schema registered). */
static int prune(struct store *st, char **files, size_t nfiles, size_t *pruned)
{
	struct store_rev *cur = NULL;
	size_t n = 0;
	int rc = store_current(st, &cur, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		char *fname = NULL;
		if (asprintf(&fname, "%s%s", cur[i].name, SUFFIX) < 0) {
			rc = REG_ENOMEM;
			break;
		}
		bool present = bsearch(&fname, files, nfiles, sizeof(*files), cmp_str) != NULL;
		free(fname);
		if (present)
			continue;
		rc = store_delete_schema(st, cur[i].name);
		if (!rc)
			(*pruned)++;
	}
	store_revs_free(cur, n);
	return rc;
}

int cmd_import(int argc, char **argv)
{
	struct opts o;
	int status = parse_opts(argc, argv, true, &o);
	if (status >= 0)
		return status;
	char *db = NULL;
	char **files = NULL;
	size_t nfiles = 0, naccepted = 0, nrefused = 0, nstored = 0;
	size_t npruned = 0;
	struct accepted *acc = NULL;
	struct store *st = NULL;
	status = 1;

	if (list_yaml(o.dir, &files, &nfiles)) {
		fprintf(stderr, "schemafs: cannot read directory '%s': %s\n", o.dir,
			strerror(errno));
		goto out;
	}
	acc = calloc(nfiles ? nfiles : 1, sizeof(*acc));
	if (!acc)
		goto oom;
	for (size_t i = 0; i < nfiles; i++) {
		int r = check_one(o.dir, files[i], &acc[naccepted]);
		if (r < 0)
			goto oom;
		if (r > 0)
			nrefused++;
		else
			naccepted++;
	}

	if (!(db = db_path(&o)) || !(st = open_store(db)))
		goto out;
	int rc = store_begin(st);
	for (size_t i = 0; !rc && i < naccepted; i++) {
		bool stored = false;
		rc = import_one(st, &acc[i], &stored);
		nstored += stored;
	}
	if (!rc && o.prune)
		rc = prune(st, files, nfiles, &npruned);
	if (rc) {
		/* prune's own allocations fail without a store message */
		fprintf(stderr, "schemafs: %s: %s; nothing imported\n", db,
			rc == REG_ENOMEM ? reg_strerror(rc) : store_errmsg(st));
		store_rollback(st);
		goto out;
	}
	if (store_commit(st)) {
		fprintf(stderr, "schemafs: %s: %s; nothing imported\n", db, store_errmsg(st));
		goto out;
	}
	printf("imported %zu file%s from %s: %zu stored, %zu unchanged, %zu refused",
	       naccepted, naccepted == 1 ? "" : "s", o.dir, nstored, naccepted - nstored,
	       nrefused);
	if (o.prune)
		printf(", %zu unregistered", npruned);
	printf("\n");
	if (nfiles == 0)
		fprintf(stderr, "schemafs: warning: no *.yaml files in '%s'\n", o.dir);
	status = nrefused ? 1 : 0;
	goto out;
oom:
	fprintf(stderr, "schemafs: out of memory\n");
out:
	store_close(st);
	accepted_free(acc, naccepted);
	store_names_free(files, nfiles);
	free(db);
	return status;
}

/* ---- export ---------------------------------------------------------- */

/* mkdir -p with the user's umask (an export is an ordinary directory). */
static int mkdirs(const char *dir)
{
	char *p = strdup(dir);
	int ret = 0;
	if (!p) {
		errno = ENOMEM;
		return -1;
	}
	for (char *c = p + 1; ; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char keep = *c;
		*c = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			ret = -1;
			break;
		}
		*c = keep;
		if (!keep)
			break;
	}
	int saved = errno;
	free(p);
	errno = saved;
	return ret;
}

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

int cmd_export(int argc, char **argv)
{
	struct opts o;
	int status = parse_opts(argc, argv, false, &o);
	if (status >= 0)
		return status;
	char *db = NULL;
	char **existing = NULL, **written = NULL;
	size_t nexisting = 0, nwritten = 0, nchanged = 0;
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
	if (mkdirs(o.dir)) {
		fprintf(stderr, "schemafs: cannot create directory '%s': %s\n", o.dir,
			strerror(errno));
		goto out;
	}
	mode_t mask = umask(0);
	umask(mask);
	mode_t mode = 0666 & ~mask;

	written = calloc(nrevs + 1, sizeof(*written));
	if (!written) {
		fprintf(stderr, "schemafs: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i <= nrevs; i++) {
		bool is_meta = i == nrevs;
		if (is_meta && !has_meta)
			break;
		const struct store_rev *r = is_meta ? &meta : &revs[i];
		char *fname = NULL;
		const char *why = is_meta ? NULL : unexportable(r->name);
		if (why) {
			fprintf(stderr, "schemafs: schema '%s' not exported: its name %s\n",
				r->name, why);
			failed = true;
			continue;
		}
		if (is_meta)
			fname = strdup(META_FILE);
		else if (asprintf(&fname, "%s%s", r->name, SUFFIX) < 0)
			fname = NULL;
		char *path = fname ? path_join(o.dir, fname) : NULL;
		if (!path) {
			free(fname);
			fprintf(stderr, "schemafs: out of memory\n");
			goto out;
		}
		written[nwritten++] = fname;
		if (!same_content(path, r->bytes, r->len)) {
			if (write_atomic(o.dir, fname, r->bytes, r->len, mode)) {
				fprintf(stderr, "schemafs: cannot write '%s': %s\n", path,
					strerror(errno));
				failed = true;
			} else {
				nchanged++;
			}
		}
		free(path);
	}
	/* the renames are durable once the directory is */
	int dfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}

	/* Files the registry does not own are never deleted; say so, since a
	 * later import of this directory would register them. */
	if (nwritten)
		qsort(written, nwritten, sizeof(*written), cmp_str);
	if (list_yaml(o.dir, &existing, &nexisting) == 0) {
		for (size_t i = 0; i < nexisting; i++) {
			if (bsearch(&existing[i], written, nwritten, sizeof(*written), cmp_str))
				continue;
			char *path = path_join(o.dir, existing[i]);
			fprintf(stderr,
				"schemafs: warning: '%s' is not in the registry; left in place\n",
				path ? path : existing[i]);
			free(path);
		}
	}
	printf("exported %zu file%s to %s: %zu written, %zu unchanged\n", nwritten,
	       nwritten == 1 ? "" : "s", o.dir, nchanged, nwritten - nchanged);
	status = failed ? 1 : 0;
out:
	store_names_free(existing, nexisting);
	store_names_free(written, nwritten);
	store_revs_free(revs, nrevs);
	store_rev_release(&meta);
	store_close(st);
	free(db);
	return status;
}
