/*
 * testutil: what every Check test needs. Paths come from the environment
 * meson sets (SCHEMAFS_SRC, SCHEMAFS_SHARED, SCHEMAFS_BIN).
 */
#ifndef SCHEMAFS_TESTUTIL_H
#define SCHEMAFS_TESTUTIL_H

#include <check.h>
#include <stddef.h>

/* $SCHEMAFS_SRC/rel (malloc'd). */
char *tu_src_path(const char *rel);
/* $SCHEMAFS_SHARED/rel (malloc'd). */
char *tu_shared_path(const char *rel);
/* Whole file, NUL-terminated (malloc'd); NULL when unreadable. */
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *data, size_t len);
/* A fresh directory under $TMPDIR (malloc'd); removed by tu_rm_rf. */
char *tu_mkdtemp(void);
void tu_rm_rf(const char *path);
/* A checked fixture (tcase_add_checked_fixture(tc, tu_tmpdir_setup,
 * tu_tmpdir_teardown)): each test gets a fresh tu_tmpdir, removed after. */
extern char *tu_tmpdir;
void tu_tmpdir_setup(void);
void tu_tmpdir_teardown(void);
/* tu_tmpdir/rel (malloc'd, the caller frees). */
char *tu_tmp_path(const char *rel);
/* Runs the suite with CK_NORMAL output; returns the exit status. */
int tu_run(Suite *s);
/* In CI (CI=true) a missing service is a failure, elsewhere a skip:
 * returns 1 when the caller should skip. Prints why either way. */
int tu_service_missing(const char *what);
/* $SCHEMAFS_SHARED/tools/name (malloc'd), or NULL after tu_service_missing
 * when this machine lacks it (then the caller skips; CI fails). */
char *tu_checker(const char *name);

#endif
