#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *path_join(const char *base, const char *rel)
{
	size_t n = strlen(base) + strlen(rel) + 2;
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", base, rel);
	return p;
}

/* $env/rel, or fallback/rel when env is unset or empty. */
static char *join(const char *env, const char *fallback, const char *rel)
{
	const char *base = getenv(env);
	return path_join(base && *base ? base : fallback, rel);
}

char *tu_src_path(const char *rel) { return join("SCHEMAFS_SRC", ".", rel); }
char *tu_shared_path(const char *rel) { return join("SCHEMAFS_SHARED", "../shared", rel); }

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *p = realloc(buf, cap * 2 + 1);
			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int tu_write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(data, 1, len, f);
	int rc = fclose(f);
	return (w == len && rc == 0) ? 0 : -1;
}

char *tu_mkdtemp(void)
{
	char *p = join("TMPDIR", "/tmp", "schemafs-test-XXXXXX");
	if (p && !mkdtemp(p)) {
		free(p);
		return NULL;
	}
	return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rm_rf(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_tmpdir;

void tu_tmpdir_setup(void)
{
	tu_tmpdir = tu_mkdtemp();
	ck_assert_ptr_nonnull(tu_tmpdir);
}

void tu_tmpdir_teardown(void)
{
	tu_rm_rf(tu_tmpdir);
	free(tu_tmpdir);
	tu_tmpdir = NULL;
}

char *tu_tmp_path(const char *rel)
{
	char *p = path_join(tu_tmpdir, rel);
	ck_assert_ptr_nonnull(p);
	return p;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int tu_service_missing(const char *what)
{
	const char *ci = getenv("CI");
	if (ci && !strcmp(ci, "true")) {
		fprintf(stderr, "FAIL: %s is not available, and CI=true forbids skipping\n", what);
		exit(EXIT_FAILURE);
	}
	fprintf(stderr, "SKIP: %s is not available\n", what);
	return 1;
}

char *tu_checker(const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "tools/%s", name);
	char *p = tu_shared_path(rel);
	ck_assert_ptr_nonnull(p);
	if (access(p, X_OK) != 0) {
		free(p);
		tu_service_missing(name);
		return NULL;
	}
	return p;
}
