#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

static int check_file_key(struct store *st, const char *kind, const char *name)
{
	if (!kind || !*kind || !name || !*name)
		return store_fail_msg(st, REG_EINVAL, "empty file kind or name");
	return 0;
}

void store_file_release(struct store_file *f)
{
	if (!f)
		return;
	free(f->kind);
	free(f->name);
	free(f->bytes);
	memset(f, 0, sizeof(*f));
}

void store_files_free(struct store_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_file_release(&files[i]);
	free(files);
}

static int row_to_file(sqlite3_stmt *s, struct store_file *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = store_column_dup(s, 0, NULL);
	f->name = store_column_dup(s, 1, NULL);
	f->bytes = store_column_dup(s, 2, &f->len);
	f->time = sqlite3_column_int64(s, 3);
	if (!f->kind || !f->name || !f->bytes) {
		store_file_release(f);
		return REG_ENOMEM;
	}
	return 0;
}

static int put_file(struct store *st, const char *kind, const char *name,
		    const char *bytes, size_t len)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_PUT_FILE, &rc);
	if (!s || (rc = store_bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = store_bind_bytes(s, 3, bytes, len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = store_fail(st, rc, "cannot store file");
	else
		rc = 0;
	store_stmt_done(s);
	return rc;
}

int store_put_file(struct store *st, const char *kind, const char *name,
		   const char *bytes, size_t len)
{
	int rc = check_file_key(st, kind, name);
	if (rc)
		return rc;
	struct store_write w;
	store_lock(st);
	rc = store_write_begin(st, &w, "cannot store file");
	if (!rc)
		rc = store_write_end(st, &w, put_file(st, kind, name, bytes, len), "cannot store file");
	store_unlock(st);
	return rc;
}

int store_get_file(struct store *st, const char *kind, const char *name,
		   struct store_file *f, bool *found)
{
	int rc = check_file_key(st, kind, name);
	memset(f, 0, sizeof(*f));
	*found = false;
	if (rc)
		return rc;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_GET_FILE, &rc);
	if (s && (rc = store_bind_text(s, 1, kind)) == SQLITE_OK &&
	    (rc = store_bind_text(s, 2, name)) == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = row_to_file(s, f) ? store_fail_msg(st, REG_ENOMEM, "out of memory") : 0;
		*found = rc == 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_fail(st, rc, "cannot read file");
	}
	store_stmt_done(s);
	store_unlock(st);
	return rc;
}

static int file_row(sqlite3_stmt *s, void *item) { return row_to_file(s, item); }
static void file_release(void *item) { store_file_release(item); }

int store_list_files(struct store *st, const char *kind, struct store_file **out,
		     size_t *n)
{
	void *files = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	if (!kind || !*kind)
		return store_fail_msg(st, REG_EINVAL, "empty file kind");
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_LIST_FILES, &rc);
	if (!s || (rc = store_bind_text(s, 1, kind)) != SQLITE_OK)
		rc = store_fail(st, rc, "cannot list files");
	else
		rc = store_collect_rows(st, s, sizeof(**out), file_row, file_release, &files, n,
				  "cannot list files");
	store_stmt_done(s);
	store_unlock(st);
	*out = files;
	return rc;
}

static int del_file(struct store *st, const char *kind, const char *name)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_DEL_FILE, &rc);
	if (!s || (rc = store_bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = store_fail(st, rc, "cannot delete file");
	else
		rc = sqlite3_changes(st->db) ? 0 : store_fail_msg(st, REG_ENOENT, "no such file");
	store_stmt_done(s);
	return rc;
}

int store_delete_file(struct store *st, const char *kind, const char *name)
{
	int rc = check_file_key(st, kind, name);
	if (rc)
		return rc;
	struct store_write w;
	store_lock(st);
	rc = store_write_begin(st, &w, "cannot delete file");
	if (!rc)
		rc = store_write_end(st, &w, del_file(st, kind, name), "cannot delete file");
	store_unlock(st);
	return rc;
}
