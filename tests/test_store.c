/* Unit tests for backends/store.c: a real SQLite file in a temp dir. */
#include "testutil.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "store_int.h"

static struct store *open_ok(const char *path)
{
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	int rc = store_open(path, &st, &err);
	ck_assert_msg(rc == 0, "store_open: %s", err.buf);
	ck_assert_ptr_nonnull(st);
	sbuf_release(&err);
	return st;
}

static int64_t pragma_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t v = -1;
	store_lock(st);
	ck_assert_int_eq(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	store_unlock(st);
	return v;
}

static char *pragma_text(struct store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	store_lock(st);
	ck_assert_int_eq(sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	char *v = strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	store_unlock(st);
	return v;
}

static void assert_integrity(struct store *st)
{
	char *ok = pragma_text(st, "PRAGMA integrity_check");
	ck_assert_str_eq(ok, "ok");
	free(ok);
	/* foreign_key_check returns one row per violation */
	sqlite3_stmt *s = NULL;
	store_lock(st);
	ck_assert_int_eq(sqlite3_prepare_v2(store_sqlite(st), "PRAGMA foreign_key_check",
					    -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	store_unlock(st);
}


/* The highest revision id ever given (0 for an empty store). */
static int64_t last_rev(struct store *st)
{
	return pragma_int(st, "SELECT coalesce(max(id), 0) FROM revisions");
}

/* The current revision id of name; REG_ENOENT when not registered. */
static int current_rev(struct store *st, const char *name, int64_t *rev)
{
	struct store_rev r;
	bool found = false;
	int rc = store_get_schema(st, name, &r, &found);
	*rev = found ? r.id : 0;
	store_rev_release(&r);
	return rc ? rc : found ? 0 : REG_ENOENT;
}

/* A refusal of file with one error at 1:1. */
static int set_refused(struct store *st, const char *file, const char *msg)
{
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(diags_add(&d, file, (struct reg_loc){ 1, 1 }, DIAG_ERROR, "%s", msg), 0);
	int rc = store_set_refused(st, file, &d);
	diags_release(&d);
	return rc;
}

static void put(struct store *st, const char *name, const char *bytes, int64_t *rev)
{
	int rc = store_put_schema(st, name, bytes, strlen(bytes), rev);
	ck_assert_msg(rc == 0, "put %s: %s", name, store_errmsg(st));
}

/* ---- open and reopen ----------------------------------------------- */

START_TEST(open_creates_parents_and_marks_file)
{
	char *path = tu_tmp_path("a/b/c/registry.db");
	struct store *st = open_ok(path);
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	char *dir = tu_tmp_path("a/b/c");
	ck_assert_int_eq(stat(dir, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	ck_assert_int_eq(pragma_int(st, "PRAGMA application_id"), STORE_APPLICATION_ID);
	ck_assert_int_eq(pragma_int(st, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	char *mode = pragma_text(st, "PRAGMA journal_mode");
	ck_assert_str_eq(mode, "wal");
	free(mode);
	ck_assert_int_eq(pragma_int(st, "PRAGMA synchronous"), 2); /* FULL */
	ck_assert_int_eq(pragma_int(st, "PRAGMA foreign_keys"), 1);
	bool empty = false;
	ck_assert_int_eq(store_is_empty(st, &empty), 0);
	ck_assert(empty);
	int64_t last = -1;
	last = last_rev(st);
	ck_assert_int_eq(last, 0);
	store_close(st);
	free(dir);
	free(path);
}
END_TEST

START_TEST(open_empty_file_initialises_it)
{
	char *path = tu_tmp_path("touched.db");
	ck_assert_int_eq(tu_write_file(path, "", 0), 0);
	struct store *st = open_ok(path);
	ck_assert_int_eq(pragma_int(st, "PRAGMA application_id"), STORE_APPLICATION_ID);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(reopen_keeps_everything_byte_exact)
{
	char *path = tu_tmp_path("registry.db");
	/* Korean text, CRLF, a comment, a NUL and a trailing space survive */
	static const char users[] = "# comment\r\nname: users\r\ndescription: 사용자 \0x \n";
	static const char meta[] = "name: aegis\ntarget: \"service=aegis\"\n";
	int64_t rev = 0;
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_put_schema(st, "users", users, sizeof(users) - 1, &rev), 0);
	ck_assert_int_gt(rev, 0);
	ck_assert_int_eq(store_put_meta(st, meta, strlen(meta)), 0);
	ck_assert_int_eq(store_put_file(st, "pending", "users.sql", "ALTER TABLE users;", 18), 0);
	ck_assert_int_eq(set_refused(st, "schemas/x.yaml", "bad"), 0);
	store_close(st);

	st = open_ok(path);
	bool empty = true, found = false;
	ck_assert_int_eq(store_is_empty(st, &empty), 0);
	ck_assert(!empty);
	struct store_rev r;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(found);
	ck_assert_uint_eq(r.len, sizeof(users) - 1);
	ck_assert_mem_eq(r.bytes, users, sizeof(users) - 1);
	ck_assert_int_eq(r.bytes[r.len], '\0');
	ck_assert_int_eq(r.id, rev);
	ck_assert_str_eq(r.name, "users");
	ck_assert_int_gt(r.time, 1600000000);
	store_rev_release(&r);
	ck_assert_int_eq(store_get_meta(st, &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, meta);
	ck_assert_str_eq(r.name, "");
	store_rev_release(&r);
	struct store_file f;
	ck_assert_int_eq(store_get_file(st, "pending", "users.sql", &f, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(f.bytes, "ALTER TABLE users;");
	store_file_release(&f);
	struct diags ref = DIAGS_INIT;
	ck_assert_int_eq(store_refusals(st, &ref), 0);
	ck_assert_uint_eq(ref.n, 1);
	ck_assert_str_eq(ref.items[0].file, "schemas/x.yaml");
	ck_assert_str_eq(ref.items[0].message, "bad");
	ck_assert_uint_eq(ref.items[0].loc.line, 1);
	diags_release(&ref);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(path_with_uri_characters)
{
	char *path = tu_tmp_path("we ird?%#x.db");
	struct store *st = open_ok(path);
	put(st, "users", "u\n", NULL);
	store_close(st);
	st = open_ok(path); /* inspection reads the same file, not "we ird" */
	int64_t rev = 0;
	ck_assert_int_eq(current_rev(st, "users", &rev), 0);
	store_close(st);
	free(path);
}
END_TEST

/* A process killed after a put leaves PATH-wal holding the commit; the
 * next open must read it (not refuse, not lose the save). */
/* Saves overwrite a WAL of its working size in place; a clean close keeps
 * the file (checkpointed) so that the next open does not grow it anew. */
START_TEST(close_keeps_the_wal)
{
	char *path = tu_tmp_path("registry.db");
	char *wal = tu_tmp_path("registry.db-wal");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_put_schema(st, "users", "kept\n", 5, NULL), 0);
	store_close(st);
	struct stat sb;
	ck_assert_msg(stat(wal, &sb) == 0, "%s was removed", wal);
	st = open_ok(path);
	struct store_rev r;
	bool found = false;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, "kept\n");
	store_rev_release(&r);
	assert_integrity(st);
	store_close(st);
	free(wal);
	free(path);
}
END_TEST

START_TEST(reopen_after_crash_reads_the_wal)
{
	char *path = tu_tmp_path("registry.db");
	char *wal = tu_tmp_path("registry.db-wal");
	store_close(open_ok(path));
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store *st = NULL;
		struct sbuf err = SBUF_INIT;
		if (store_open(path, &st, &err) ||
		    store_put_schema(st, "users", "saved\n", 6, NULL))
			_exit(1);
		_exit(0); /* no store_close: the WAL is not checkpointed */
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct stat sb;
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_int_gt(sb.st_size, 0);
	struct store *st = open_ok(path);
	struct store_rev r;
	bool found = false;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, "saved\n");
	store_rev_release(&r);
	assert_integrity(st);
	store_close(st);
	free(wal);
	free(path);
}
END_TEST

START_TEST(two_handles_see_each_others_writes)
{
	char *path = tu_tmp_path("registry.db");
	struct store *a = open_ok(path);
	struct store *b = open_ok(path);
	int64_t rev = 0, seen = 0, va = 0, vb = 0, v = 0;
	ck_assert_int_eq(store_data_version(a, &va), 0);
	ck_assert_int_eq(store_data_version(b, &vb), 0);
	put(a, "users", "name: users\n", &rev);
	ck_assert_int_eq(store_data_version(a, &v), 0);
	ck_assert_int_eq(v, va); /* its own write */
	ck_assert_int_eq(store_data_version(b, &v), 0);
	ck_assert_int_ne(v, vb); /* the other's write */
	ck_assert_int_eq(current_rev(b, "users", &seen), 0);
	ck_assert_int_eq(seen, rev);
	seen = last_rev(b);
	ck_assert_int_eq(seen, rev);
	store_close(b);
	store_close(a);
	free(path);
}
END_TEST

/* ---- revisions ----------------------------------------------------- */

START_TEST(history_is_ordered_and_current_is_last)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	int64_t r1, r2, r3, other, cur = 0;
	put(st, "users", "v1\n", &r1);
	put(st, "policies", "p1\n", &other);
	put(st, "users", "v2\n", &r2);
	put(st, "users", "v2\n", &r3); /* same bytes: still a new revision */
	ck_assert_int_lt(r1, other);
	ck_assert_int_lt(other, r2);
	ck_assert_int_lt(r2, r3);

	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_history(st, "users", &revs, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(revs[0].id, r1);
	ck_assert_str_eq(revs[0].bytes, "v1\n");
	ck_assert_int_eq(revs[1].id, r2);
	ck_assert_int_eq(revs[2].id, r3);
	store_revs_free(revs, n);

	ck_assert_int_eq(current_rev(st, "users", &cur), 0);
	ck_assert_int_eq(cur, r3);
	cur = last_rev(st);
	ck_assert_int_eq(cur, r3);

	ck_assert_int_eq(store_current(st, &revs, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(revs[0].name, "policies"); /* sorted by name */
	ck_assert_str_eq(revs[1].name, "users");
	ck_assert_str_eq(revs[1].bytes, "v2\n");
	store_revs_free(revs, n);

	struct store_rev r;
	bool found = false;
	ck_assert_int_eq(store_get_rev(st, r1, &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, "v1\n");
	ck_assert_str_eq(r.name, "users");
	store_rev_release(&r);
	ck_assert_int_eq(store_get_rev(st, 9999, &r, &found), 0);
	ck_assert(!found);
	ck_assert_ptr_null(r.bytes);

	ck_assert_int_eq(store_history(st, "never", &revs, &n), 0);
	ck_assert_uint_eq(n, 0);
	store_revs_free(revs, n);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(delete_keeps_history)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	int64_t r1, r2, cur;
	put(st, "users", "v1\n", &r1);
	put(st, "users", "v2\n", &r2);
	ck_assert_int_eq(store_delete_schema(st, "users"), 0);

	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_current(st, &revs, &n), 0);
	ck_assert_uint_eq(n, 0);
	store_revs_free(revs, n);
	ck_assert_int_eq(current_rev(st, "users", &cur), REG_ENOENT);
	struct store_rev r;
	bool found = true;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(!found);
	ck_assert_int_eq(store_delete_schema(st, "users"), REG_ENOENT);
	ck_assert_str_eq(store_errmsg(st), "not registered");

	ck_assert_int_eq(store_history(st, "users", &revs, &n), 0);
	ck_assert_uint_eq(n, 2);
	store_revs_free(revs, n);
	char **names = NULL;
	ck_assert_int_eq(store_history_names(st, &names, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(names[0], "users");
	store_names_free(names, n);

	/* re-registering continues the same history */
	int64_t r3;
	put(st, "users", "v3\n", &r3);
	ck_assert_int_eq(store_history(st, "users", &revs, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(revs[2].bytes, "v3\n");
	store_revs_free(revs, n);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(meta_put_and_remove)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	struct store_rev r;
	bool found = true;
	ck_assert_int_eq(store_get_meta(st, &r, &found), 0);
	ck_assert(!found);
	ck_assert_int_eq(store_put_meta(st, "name: a\n", 8), 0);
	ck_assert_int_eq(store_put_meta(st, "name: b\n", 8), 0);
	ck_assert_int_eq(store_get_meta(st, &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, "name: b\n");
	store_rev_release(&r);
	ck_assert_int_eq(store_put_meta(st, NULL, 0), 0);
	ck_assert_int_eq(store_get_meta(st, &r, &found), 0);
	ck_assert(!found);
	ck_assert_int_eq(store_put_meta(st, NULL, 0), 0); /* removing twice is fine */
	/* registry.yaml revisions are not schema history */
	char **names = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_history_names(st, &names, &n), 0);
	ck_assert_uint_eq(n, 0);
	store_names_free(names, n);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(bad_names_are_refused)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_put_schema(st, "", "x", 1, NULL), REG_EINVAL);
	ck_assert_int_eq(store_put_schema(st, NULL, "x", 1, NULL), REG_EINVAL);
	ck_assert_int_eq(store_put_file(st, "", "a", "x", 1), REG_EINVAL);
	ck_assert_int_eq(store_put_file(st, "k", "", "x", 1), REG_EINVAL);
	ck_assert_int_eq(set_refused(st, "", "m"), REG_EINVAL);
	struct diags none = DIAGS_INIT;
	ck_assert_int_eq(store_set_refused(st, "schemas/x.yaml", &none), REG_EINVAL);
	int64_t last;
	last = last_rev(st);
	ck_assert_int_eq(last, 0);
	store_close(st);
	free(path);
}
END_TEST

/* An SQL-looking name is data, never SQL. */
START_TEST(names_are_bound_not_spliced)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	const char *evil = "x'); DROP TABLE revisions; --";
	put(st, evil, "a\n", NULL);
	int64_t rev = 0;
	ck_assert_int_eq(current_rev(st, evil, &rev), 0);
	ck_assert_int_gt(rev, 0);
	ck_assert_int_eq(store_put_file(st, evil, evil, "b", 1), 0);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

/* ---- refusals and files --------------------------------------------- */

START_TEST(refusal_set_replace_clear)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(set_refused(st, "schemas/users.yaml", "first"), 0);
	ck_assert_int_eq(set_refused(st, "schemas/a.yaml", "a"), 0);
	ck_assert_int_eq(set_refused(st, "schemas/users.yaml", "second"), 0);
	struct diags r = DIAGS_INIT;
	ck_assert_int_eq(store_refusals(st, &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.items[0].file, "schemas/a.yaml");
	ck_assert_str_eq(r.items[1].file, "schemas/users.yaml");
	ck_assert_str_eq(r.items[1].message, "second");
	diags_release(&r);
	ck_assert_int_eq(store_clear_refused(st, "schemas/users.yaml"), 0);
	ck_assert_int_eq(store_clear_refused(st, "schemas/none.yaml"), 0);
	ck_assert_int_eq(store_refusals(st, &r), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.items[0].file, "schemas/a.yaml");
	diags_release(&r);
	struct strlist files = STRLIST_INIT;
	ck_assert_int_eq(store_refused_files(st, &files), 0);
	ck_assert_uint_eq(files.n, 1);
	ck_assert_str_eq(files.items[0], "schemas/a.yaml");
	strlist_release(&files);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(files_put_get_list_delete)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_put_file(st, "pending", "users.sql", "A;", 2), 0);
	ck_assert_int_eq(store_put_file(st, "pending", "b.sql", "", 0), 0);
	ck_assert_int_eq(store_put_file(st, "applied/1", "users.sql", "old", 3), 0);
	ck_assert_int_eq(store_put_file(st, "pending", "users.sql", "B;", 2), 0);

	struct store_file *f = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_list_files(st, "pending", &f, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].name, "b.sql");
	ck_assert_uint_eq(f[0].len, 0);
	ck_assert_str_eq(f[0].bytes, "");
	ck_assert_str_eq(f[1].name, "users.sql");
	ck_assert_str_eq(f[1].bytes, "B;");
	ck_assert_str_eq(f[1].kind, "pending");
	store_files_free(f, n);

	ck_assert_int_eq(store_delete_file(st, "pending", "users.sql"), 0);
	ck_assert_int_eq(store_delete_file(st, "pending", "users.sql"), REG_ENOENT);
	struct store_file one;
	bool found = true;
	ck_assert_int_eq(store_get_file(st, "pending", "users.sql", &one, &found), 0);
	ck_assert(!found);
	ck_assert_int_eq(store_get_file(st, "applied/1", "users.sql", &one, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(one.bytes, "old");
	store_file_release(&one);
	ck_assert_int_eq(store_list_files(st, "nothing", &f, &n), 0);
	ck_assert_uint_eq(n, 0);
	store_files_free(f, n);
	/* files are not revisions */
	bool empty = false;
	ck_assert_int_eq(store_is_empty(st, &empty), 0);
	ck_assert(empty);
	store_close(st);
	free(path);
}
END_TEST

/* ---- batches -------------------------------------------------------- */

START_TEST(batch_commit_and_rollback)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_begin(st), 0);
	ck_assert_int_eq(store_begin(st), REG_ESTATE);
	put(st, "a", "a\n", NULL);
	put(st, "b", "b\n", NULL);
	ck_assert_int_eq(store_rollback(st), 0);
	int64_t last = -1;
	last = last_rev(st);
	ck_assert_int_eq(last, 0);

	ck_assert_int_eq(store_begin(st), 0);
	put(st, "a", "a\n", NULL);
	/* a failing put inside the batch undoes only itself */
	ck_assert_int_eq(store_put_schema(st, "", "x", 1, NULL), REG_EINVAL);
	ck_assert_int_eq(store_put_file(st, "pending", "a.sql", "x", 1), 0);
	ck_assert_int_eq(store_delete_schema(st, "nope"), REG_ENOENT);
	put(st, "b", "b\n", NULL);
	ck_assert_int_eq(store_commit(st), 0);
	ck_assert_int_eq(store_commit(st), REG_ESTATE);
	ck_assert_int_eq(store_rollback(st), REG_ESTATE);
	store_close(st);

	st = open_ok(path);
	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_current(st, &revs, &n), 0);
	ck_assert_uint_eq(n, 2);
	store_revs_free(revs, n);
	struct store_file f;
	bool found = false;
	ck_assert_int_eq(store_get_file(st, "pending", "a.sql", &f, &found), 0);
	ck_assert(found);
	store_file_release(&f);
	store_close(st);
	free(path);
}
END_TEST

/* Another backend's transaction through store_sqlite(): puts join it. */
START_TEST(puts_join_a_raw_transaction)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	store_lock(st);
	ck_assert_int_eq(sqlite3_exec(store_sqlite(st), "BEGIN; CREATE TABLE runs(id INTEGER)",
				      NULL, NULL, NULL), SQLITE_OK);
	put(st, "a", "a\n", NULL);
	ck_assert_int_eq(sqlite3_exec(store_sqlite(st), "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	store_unlock(st);
	int64_t last = -1;
	last = last_rev(st);
	ck_assert_int_eq(last, 0);

	/* and a file with a backend's extra table is still ours */
	store_lock(st);
	ck_assert_int_eq(sqlite3_exec(store_sqlite(st), "CREATE TABLE runs(id INTEGER)",
				      NULL, NULL, NULL), SQLITE_OK);
	store_unlock(st);
	store_close(st);
	st = open_ok(path);
	store_close(st);
	free(path);
}
END_TEST

/* Another process holding the write lock beyond the busy timeout: the put
 * fails with REG_EBUSY and a message, and leaves nothing behind. */
START_TEST(busy_database_is_reported)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	sqlite3 *other = NULL;
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	store_lock(st);
	sqlite3_busy_timeout(store_sqlite(st), 20);
	ck_assert_int_eq(store_put_schema(st, "users", "u\n", 2, NULL), REG_EBUSY);
	ck_assert_str_eq(store_errmsg(st), "cannot store: database is locked");
	ck_assert_int_eq(store_put_file(st, "pending", "a.sql", "x", 1), REG_EBUSY);
	ck_assert_int_eq(store_begin(st), REG_EBUSY);
	store_unlock(st);
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	put(st, "users", "u\n", NULL); /* and works once the lock is gone */
	int64_t last = 0;
	last = last_rev(st);
	ck_assert_int_eq(last, 1);
	store_close(st);
	free(path);
}
END_TEST

/* ---- concurrency ---------------------------------------------------- */

#define THREADS 6
#define PUTS 40

struct worker {
	struct store *st;
	int index;
	int failures;
	int64_t revs[PUTS];
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char name[32], bytes[64];
	for (int i = 0; i < PUTS; i++) {
		/* half the puts on a shared name, half on the thread's own */
		snprintf(name, sizeof(name), i % 2 ? "shared" : "t%d", w->index);
		snprintf(bytes, sizeof(bytes), "thread %d put %d\n", w->index, i);
		if (store_put_schema(w->st, name, bytes, strlen(bytes), &w->revs[i]))
			w->failures++;
		int64_t rev;
		if (current_rev(w->st, name, &rev))
			w->failures++;
	}
	return NULL;
}

START_TEST(concurrent_puts_from_threads)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .st = st, .index = i };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
		for (int j = 1; j < PUTS; j++)
			ck_assert_int_lt(w[i].revs[j - 1], w[i].revs[j]);
	}
	int64_t last = 0;
	last = last_rev(st);
	ck_assert_int_eq(last, THREADS * PUTS);
	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_history(st, "shared", &revs, &n), 0);
	ck_assert_uint_eq(n, THREADS * PUTS / 2);
	store_revs_free(revs, n);
	ck_assert_int_eq(store_current(st, &revs, &n), 0);
	ck_assert_uint_eq(n, THREADS + 1);
	store_revs_free(revs, n);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

/* Two connections (as two processes would have) writing at once: the
 * busy timeout makes them wait, never fail. */
struct conn_worker {
	const char *path;
	int index;
	int failures;
};

static void *conn_run(void *arg)
{
	struct conn_worker *w = arg;
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	if (store_open(w->path, &st, &err)) {
		w->failures++;
		sbuf_release(&err);
		return NULL;
	}
	char name[32];
	snprintf(name, sizeof(name), "c%d", w->index);
	for (int i = 0; i < PUTS; i++)
		if (store_put_schema(st, name, "x\n", 2, NULL))
			w->failures++;
	store_close(st);
	sbuf_release(&err);
	return NULL;
}

START_TEST(concurrent_connections)
{
	char *path = tu_tmp_path("registry.db");
	store_close(open_ok(path));
	struct conn_worker w[3];
	pthread_t tid[3];
	for (int i = 0; i < 3; i++) {
		w[i] = (struct conn_worker){ .path = path, .index = i };
		ck_assert_int_eq(pthread_create(&tid[i], NULL, conn_run, &w[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	struct store *st = open_ok(path);
	int64_t last = 0;
	last = last_rev(st);
	ck_assert_int_eq(last, 3 * PUTS);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

/* ---- foreign and damaged files -------------------------------------- */

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Opening path fails with "not a schemafs database (<why>)" naming path;
 * the file is byte-identical afterwards and got no -wal/-shm. */
static void assert_refused(const char *path, const char *why)
{
	size_t before_len = 0, after_len = 0;
	char *before = tu_read_file(path, &before_len);
	ck_assert_ptr_nonnull(before);
	struct store *st = (struct store *)0x1;
	struct sbuf err = SBUF_INIT;
	int rc = store_open(path, &st, &err);
	ck_assert_int_ne(rc, 0);
	ck_assert_ptr_null(st);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "refused: %s\n", err.buf);
	char *prefix = NULL;
	ck_assert_int_gt(asprintf(&prefix, "%s: not a schemafs database (", path), 0);
	ck_assert_msg(strncmp(err.buf, prefix, strlen(prefix)) == 0, "message: %s", err.buf);
	ck_assert_msg(strstr(err.buf, why) != NULL, "message: %s, expected %s", err.buf, why);
	ck_assert_int_eq(err.buf[err.len - 1], ')');
	char *after = tu_read_file(path, &after_len);
	ck_assert_uint_eq(before_len, after_len);
	ck_assert_mem_eq(before, after, before_len);
	char *wal = NULL;
	ck_assert_int_gt(asprintf(&wal, "%s-wal", path), 0);
	ck_assert_msg(!exists(wal), "%s was created", wal);
	free(wal);
	free(prefix);
	free(before);
	free(after);
	sbuf_release(&err);
}

static void sql_file(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	ck_assert_msg(rc == SQLITE_OK, "%s", msg ? msg : "");
	sqlite3_close(db);
}

START_TEST(refuses_text_file)
{
	char *path = tu_tmp_path("notes.txt");
	const char text[] = "name: users\nthis is not a database, but a long enough text file "
			    "to hold a whole SQLite header and then some more bytes.\n";
	ck_assert_int_eq(tu_write_file(path, text, sizeof(text) - 1), 0);
	assert_refused(path, "file is not a database");
	free(path);
}
END_TEST

START_TEST(refuses_short_text_file)
{
	char *path = tu_tmp_path("short.db");
	ck_assert_int_eq(tu_write_file(path, "hi\n", 3), 0);
	assert_refused(path, "file is not a database");
	free(path);
}
END_TEST

START_TEST(refuses_other_programs_database)
{
	char *path = tu_tmp_path("other.db");
	sql_file(path, "CREATE TABLE accounts(id INTEGER, owner TEXT);"
		       "INSERT INTO accounts VALUES (1, 'me');");
	assert_refused(path, "unknown tables 'accounts'");
	free(path);
}
END_TEST

START_TEST(refuses_other_application_id)
{
	char *path = tu_tmp_path("other.db");
	/* even with our table names, another program's mark wins */
	sql_file(path, "PRAGMA application_id = 42; CREATE TABLE revisions(x);");
	assert_refused(path, "application_id 0x0000002a belongs to another program");
	free(path);
}
END_TEST

START_TEST(refuses_user_version_without_mark)
{
	char *path = tu_tmp_path("other.db");
	sql_file(path, "PRAGMA user_version = 7;");
	assert_refused(path, "no schemafs application_id, user_version 7");
	free(path);
}
END_TEST

/* A clean close keeps PATH-wal (store_open), holding copies of pages
 * that are in PATH too; the refusal tests damage PATH alone, as a copy
 * of the file without its WAL would be. */
static void drop_wal(const char *path)
{
	char *wal = NULL;
	ck_assert_int_gt(asprintf(&wal, "%s-wal", path), 0);
	ck_assert_int_eq(unlink(wal), 0);
	free(wal);
}

START_TEST(refuses_newer_format)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	store_lock(st);
	ck_assert_int_eq(sqlite3_exec(store_sqlite(st), "PRAGMA user_version = 99",
				      NULL, NULL, NULL), SQLITE_OK);
	store_unlock(st);
	store_close(st);
	drop_wal(path);
	assert_refused(path, "format version 99 is newer than this schemafs (3)");
	free(path);
}
END_TEST

START_TEST(refuses_ours_without_its_tables)
{
	char *path = tu_tmp_path("registry.db");
	store_close(open_ok(path));
	sql_file(path, "DROP TABLE files");
	assert_refused(path, "table 'files' is missing");
	free(path);
}
END_TEST

START_TEST(refuses_ours_with_format_zero)
{
	char *path = tu_tmp_path("registry.db");
	sql_file(path, "PRAGMA application_id = 1399023686; CREATE TABLE revisions(x)");
	assert_refused(path, "format version 0 is unknown");
	free(path);
}
END_TEST

/* ---- format 1 -> 2 ---------------------------------------------------- */

/* A file as format 1 wrote it (backends/store.c and runs.c before format
 * 2): refusals as rendered text, a run's tables as newline lists. */
static const char format1[] =
	"CREATE TABLE revisions (id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('schema', 'meta')), name TEXT NOT NULL,"
	" bytes BLOB NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX revisions_by_name ON revisions(kind, name, id);"
	"CREATE TABLE current (kind TEXT NOT NULL, name TEXT NOT NULL,"
	" revision INTEGER NOT NULL REFERENCES revisions(id),"
	" PRIMARY KEY (kind, name)) WITHOUT ROWID;"
	"CREATE TABLE refusals (file TEXT PRIMARY KEY, message TEXT NOT NULL,"
	" created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE files (kind TEXT NOT NULL, name TEXT NOT NULL, bytes BLOB NOT NULL,"
	" updated_at INTEGER NOT NULL, PRIMARY KEY (kind, name)) WITHOUT ROWID;"
	"PRAGMA application_id = 1399023686; PRAGMA user_version = 1;"
	"INSERT INTO revisions VALUES (1, 'schema', 'users', CAST('name: users\n' AS BLOB), 1700000000);"
	"INSERT INTO current VALUES ('schema', 'users', 1);"
	"INSERT INTO refusals VALUES ('schemas/x.yaml',"
	" 'schemas/x.yaml:6:5: error: unknown key ''nulable''\n"
	"schemas/x.yaml:2:1: warning: odd\n', 1700000001);"
	"INSERT INTO refusals VALUES ('registry.yaml', 'registry.yaml: error: refused\n', 1700000002);";

static const char format1_runs[] =
	"CREATE TABLE migration_runs (id INTEGER PRIMARY KEY, kind TEXT, state TEXT,"
	" started INTEGER NOT NULL DEFAULT 0, finished INTEGER NOT NULL DEFAULT 0, target TEXT,"
	" token TEXT, nsteps INTEGER NOT NULL DEFAULT 0, completed INTEGER NOT NULL DEFAULT 0,"
	" failed_step INTEGER NOT NULL DEFAULT 0, failed_what TEXT, error TEXT, sqlstate TEXT,"
	" outcome TEXT, plan TEXT, snapshot TEXT, touched TEXT, created TEXT, irreversible TEXT,"
	" notes TEXT, archived TEXT, undoes INTEGER NOT NULL DEFAULT 0,"
	" undone_by INTEGER NOT NULL DEFAULT 0);"
	"INSERT INTO migration_runs (id, kind, state, started, snapshot, touched, created)"
	" VALUES (1, 'apply', 'succeeded', 1700000003, 'users\t1\n', 'users\nposts\n', 'posts\n');"
	"INSERT INTO migration_runs (id, kind, state, started) VALUES (2, 'check', 'failed', 5);";

START_TEST(upgrades_format_1)
{
	char *path = tu_tmp_path("old.db");
	sql_file(path, format1);
	sql_file(path, format1_runs);
	struct store *st = open_ok(path);
	/* every step at once: 1 -> 2 -> 3 */
	ck_assert_int_eq(pragma_int(st, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	ck_assert_int_eq(STORE_FORMAT_VERSION, 3);

	struct store_rev r;
	bool found = false;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(found);
	ck_assert_str_eq(r.bytes, "name: users\n");
	ck_assert_int_eq(r.uid, -1); /* saved before format 3: nobody knows who */
	store_rev_release(&r);

	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(store_refusals(st, &d), 0);
	ck_assert_uint_eq(d.n, 3);
	ck_assert_str_eq(d.items[0].file, "registry.yaml");
	ck_assert_uint_eq(d.items[0].loc.line, 0);
	ck_assert_str_eq(d.items[0].message, "refused");
	ck_assert_str_eq(d.items[1].file, "schemas/x.yaml");
	ck_assert_uint_eq(d.items[1].loc.line, 6);
	ck_assert_uint_eq(d.items[1].loc.col, 5);
	ck_assert_int_eq(d.items[1].severity, DIAG_ERROR);
	ck_assert_str_eq(d.items[1].message, "unknown key 'nulable'");
	ck_assert_int_eq(d.items[2].severity, DIAG_WARNING);
	ck_assert_str_eq(d.items[2].message, "odd");
	diags_release(&d);

	struct store_run *v = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_run_list(st, &v, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0].kind, "apply");
	ck_assert_str_eq(v[0].snapshot, "users\t1\n");
	ck_assert_uint_eq(v[0].touched.n, 2);
	ck_assert_str_eq(v[0].touched.items[0], "users");
	ck_assert_str_eq(v[0].touched.items[1], "posts");
	ck_assert_uint_eq(v[0].created.n, 1);
	ck_assert_str_eq(v[0].created.items[0], "posts");
	ck_assert_uint_eq(v[1].touched.n, 0);
	store_run_list_free(v, n);
	assert_integrity(st);
	store_close(st);

	/* and it stays at the current format */
	st = open_ok(path);
	ck_assert_int_eq(pragma_int(st, "PRAGMA user_version"), STORE_FORMAT_VERSION);
	store_close(st);
	free(path);
}
END_TEST

/* A format-1 file that never recorded a run gets format 2's run tables. */
START_TEST(upgrades_format_1_without_runs)
{
	char *path = tu_tmp_path("old.db");
	sql_file(path, format1);
	struct store *st = open_ok(path);
	struct store_run rec = { 0 };
	ck_assert_int_eq(strlist_push(&rec.touched, "users"), 0);
	ck_assert_int_eq(store_run_insert(st, &rec), 0);
	ck_assert_int_gt(rec.id, 0);
	store_run_release(&rec);
	store_close(st);
	free(path);
}
END_TEST

static int64_t uid_4242(void)
{
	return 4242;
}

/* Format 2 -> 3: revisions get a uid; the older ones read as unknown (-1),
 * new ones say who saved them (the process, or the uid source). */
START_TEST(upgrades_format_2)
{
	char *path = tu_tmp_path("v2.db");
	struct store *st = open_ok(path);
	ck_assert_int_eq(store_put_schema(st, "users", "name: users\n", 12, NULL), 0);
	store_close(st);
	/* what a format-2 file is: the same tables without revisions.uid */
	sql_file(path, "ALTER TABLE revisions DROP COLUMN uid; PRAGMA user_version = 2;");

	st = open_ok(path);
	ck_assert_int_eq(pragma_int(st, "PRAGMA user_version"), 3);
	ck_assert_int_eq(store_put_schema(st, "users", "name: users\n#2\n", 15, NULL), 0);
	store_set_uid_source(st, uid_4242);
	ck_assert_int_eq(store_put_schema(st, "users", "name: users\n#3\n", 15, NULL), 0);
	store_set_uid_source(st, NULL);
	ck_assert_int_eq(store_put_schema(st, "users", "name: users\n#4\n", 15, NULL), 0);
	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_history(st, "users", &revs, &n), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(revs[0].uid, -1);
	ck_assert_int_eq(revs[1].uid, (int64_t)getuid());
	ck_assert_int_eq(revs[2].uid, 4242);
	ck_assert_int_eq(revs[3].uid, (int64_t)getuid());
	ck_assert_int_gt(revs[0].time, 0);
	store_revs_free(revs, n);
	struct store_rev r;
	bool found = false;
	ck_assert_int_eq(store_get_schema(st, "users", &r, &found), 0);
	ck_assert(found);
	ck_assert_int_eq(r.uid, (int64_t)getuid());
	store_rev_release(&r);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

/* ---- runs ------------------------------------------------------------ */

START_TEST(runs_keep_their_tables_as_rows)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	struct store_run a = { 0 }, b = { 0 }, got = { 0 };
	bool found = false;
	a.kind = strdup("apply");
	ck_assert_int_eq(strlist_push(&a.touched, "users"), 0);
	ck_assert_int_eq(strlist_push(&a.touched, "orders"), 0);
	ck_assert_int_eq(strlist_push(&a.created, "orders"), 0);
	ck_assert_int_eq(store_run_insert(st, &a), 0);
	ck_assert_str_eq(a.state, "running");
	free(a.state);
	a.state = strdup("succeeded");
	strlist_release(&a.touched);
	ck_assert_int_eq(strlist_push(&a.touched, "users"), 0);
	ck_assert_int_eq(store_run_update(st, &a), 0);
	b.kind = strdup("rollback");
	ck_assert_int_eq(store_run_insert(st, &b), 0);

	ck_assert_int_eq(store_run_last_applied(st, 0, &got, &found), 0);
	ck_assert(found);
	ck_assert_int_eq(got.id, a.id);
	ck_assert_uint_eq(got.touched.n, 1);
	ck_assert_str_eq(got.touched.items[0], "users");
	ck_assert_uint_eq(got.created.n, 1);
	store_run_release(&got);
	ck_assert_int_eq(store_run_last(st, &got, &found), 0);
	ck_assert(found);
	ck_assert_int_eq(got.id, b.id);
	store_run_release(&got);
	ck_assert_int_eq(store_run_last_applied(st, a.id, &got, &found), 0);
	ck_assert(!found);
	b.id = 999;
	ck_assert_int_eq(store_run_update(st, &b), REG_ENOENT);
	store_run_release(&a);
	store_run_release(&b);
	assert_integrity(st);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(writes_are_counted)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	int64_t w = store_writes(st);
	put(st, "users", "u\n", NULL);
	ck_assert_int_gt(store_writes(st), w);
	w = store_writes(st);
	ck_assert_int_eq(store_put_schema(st, "", "x", 1, NULL), REG_EINVAL);
	ck_assert_int_eq(store_writes(st), w);
	store_close(st);
	free(path);
}
END_TEST

START_TEST(refuses_directory)
{
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	ck_assert_int_ne(store_open(tu_tmpdir, &st, &err), 0);
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(strstr(err.buf, "not a schemafs database (not a regular file)"));
	sbuf_release(&err);
}
END_TEST

/* A real store with enough pages that damage lands in a b-tree. */
static char *filled_store(void)
{
	char *path = tu_tmp_path("registry.db");
	struct store *st = open_ok(path);
	char name[32], bytes[600];
	memset(bytes, 'y', sizeof(bytes) - 1);
	bytes[sizeof(bytes) - 1] = '\0';
	ck_assert_int_eq(store_begin(st), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "table_%03d", i);
		put(st, name, bytes, NULL);
	}
	ck_assert_int_eq(store_commit(st), 0);
	store_close(st); /* checkpoints the WAL into the file */
	drop_wal(path);
	return path;
}

START_TEST(refuses_truncated_database)
{
	char *path = filled_store();
	struct stat sb;
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_gt(sb.st_size, 40 * 4096);
	ck_assert_int_eq(truncate(path, 8 * 4096), 0);
	assert_refused(path, "corrupt: ");
	free(path);
}
END_TEST

START_TEST(refuses_corrupt_database)
{
	char *path = filled_store();
	size_t len = 0;
	char *bytes = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(bytes);
	/* scribble over the b-tree headers of pages 3..20 */
	for (size_t page = 2; page < 20 && (page + 1) * 4096 <= len; page++)
		memset(bytes + page * 4096, 0x5a, 64);
	ck_assert_int_eq(tu_write_file(path, bytes, len), 0);
	free(bytes);
	assert_refused(path, "corrupt: ");
	free(path);
}
END_TEST

START_TEST(unwritable_parent_is_reported)
{
	if (geteuid() == 0)
		return; /* root creates directories anywhere */
	char *ro = tu_tmp_path("ro");
	ck_assert_int_eq(mkdir(ro, 0500), 0);
	char *path = tu_tmp_path("ro/sub/registry.db");
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	ck_assert_int_ne(store_open(path, &st, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.buf, "cannot create directory"));
	sbuf_release(&err);
	chmod(ro, 0700);
	free(path);
	free(ro);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, open_creates_parents_and_marks_file);
	tcase_add_test(tc, open_empty_file_initialises_it);
	tcase_add_test(tc, reopen_keeps_everything_byte_exact);
	tcase_add_test(tc, path_with_uri_characters);
	tcase_add_test(tc, close_keeps_the_wal);
	tcase_add_test(tc, reopen_after_crash_reads_the_wal);
	tcase_add_test(tc, two_handles_see_each_others_writes);
	tcase_add_test(tc, history_is_ordered_and_current_is_last);
	tcase_add_test(tc, delete_keeps_history);
	tcase_add_test(tc, meta_put_and_remove);
	tcase_add_test(tc, bad_names_are_refused);
	tcase_add_test(tc, names_are_bound_not_spliced);
	tcase_add_test(tc, refusal_set_replace_clear);
	tcase_add_test(tc, upgrades_format_1);
	tcase_add_test(tc, upgrades_format_1_without_runs);
	tcase_add_test(tc, upgrades_format_2);
	tcase_add_test(tc, runs_keep_their_tables_as_rows);
	tcase_add_test(tc, writes_are_counted);
	tcase_add_test(tc, files_put_get_list_delete);
	tcase_add_test(tc, batch_commit_and_rollback);
	tcase_add_test(tc, puts_join_a_raw_transaction);
	tcase_add_test(tc, busy_database_is_reported);
	tcase_add_test(tc, concurrent_puts_from_threads);
	tcase_add_test(tc, concurrent_connections);
	tcase_add_test(tc, refuses_text_file);
	tcase_add_test(tc, refuses_short_text_file);
	tcase_add_test(tc, refuses_other_programs_database);
	tcase_add_test(tc, refuses_other_application_id);
	tcase_add_test(tc, refuses_user_version_without_mark);
	tcase_add_test(tc, refuses_newer_format);
	tcase_add_test(tc, refuses_ours_without_its_tables);
	tcase_add_test(tc, refuses_ours_with_format_zero);
	tcase_add_test(tc, refuses_directory);
	tcase_add_test(tc, refuses_truncated_database);
	tcase_add_test(tc, refuses_corrupt_database);
	tcase_add_test(tc, unwritable_parent_is_reported);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(store_suite());
}
