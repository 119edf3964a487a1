#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

#define KIND_SCHEMA "schema"
#define KIND_META "meta"
#define META_NAME ""

static int check_name(struct store *st, const char *name)
{
	if (!name || !*name)
		return store_fail_msg(st, REG_EINVAL, "empty schema name");
	return 0;
}

/* Inserts a revision and makes it current; inside write_begin/end. */
static int put_rev(struct store *st, const char *kind, const char *name,
		   const char *bytes, size_t len, int64_t *rev_out)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_INSERT_REV, &rc);
	if (!s)
		return store_fail(st, rc, "cannot store");
	if ((rc = store_bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = store_bind_bytes(s, 3, bytes, len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 5, st->uid_source ? st->uid_source()
							  : (sqlite3_int64)getuid())) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot store");
	}
	store_stmt_done(s);
	int64_t id = sqlite3_last_insert_rowid(st->db);

	s = store_stmt(st, S_SET_CURRENT, &rc);
	if (!s)
		return store_fail(st, rc, "cannot store");
	if ((rc = store_bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 3, id)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot store");
	}
	store_stmt_done(s);
	if (rev_out)
		*rev_out = id;
	return 0;
}

/* Removes (kind, name) from current; REG_ENOENT when it was not there. */
static int del_current(struct store *st, const char *kind, const char *name)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_DEL_CURRENT, &rc);
	if (!s)
		return store_fail(st, rc, "cannot delete");
	if ((rc = store_bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot delete");
	}
	store_stmt_done(s);
	if (sqlite3_changes(st->db) == 0)
		return store_fail_msg(st, REG_ENOENT, "not registered");
	return 0;
}

int store_put_schema(struct store *st, const char *name, const char *bytes,
		     size_t len, int64_t *rev_out)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	struct store_write w;
	store_lock(st);
	rc = store_write_begin(st, &w, "cannot store");
	if (!rc)
		rc = store_write_end(st, &w, put_rev(st, KIND_SCHEMA, name, bytes, len, rev_out),
			       "cannot store");
	store_unlock(st);
	return rc;
}

int store_delete_schema(struct store *st, const char *name)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	struct store_write w;
	store_lock(st);
	rc = store_write_begin(st, &w, "cannot delete");
	if (!rc)
		rc = store_write_end(st, &w, del_current(st, KIND_SCHEMA, name), "cannot delete");
	store_unlock(st);
	return rc;
}

/* Makes revision id current again, unless name has a current revision. */
static int restore_current(struct store *st, const char *name, int64_t id)
{
	struct store_rev cur = { 0 };
	bool found = false;
	int rc = store_get_schema(st, name, &cur, &found);
	store_rev_release(&cur);
	if (rc)
		return rc;
	if (found)
		return store_fail_msg(st, REG_EEXIST, "registered again meanwhile");
	sqlite3_stmt *s = store_stmt(st, S_SET_CURRENT, &rc);
	if (!s)
		return store_fail(st, rc, "cannot restore");
	if ((rc = store_bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 3, id)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot restore");
	}
	store_stmt_done(s);
	return 0;
}

int store_restore_schema(struct store *st, const char *name, int64_t id)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	struct store_write w;
	store_lock(st);
	rc = store_write_begin(st, &w, "cannot restore");
	if (!rc)
		rc = store_write_end(st, &w, restore_current(st, name, id), "cannot restore");
	store_unlock(st);
	return rc;
}

int store_put_meta(struct store *st, const char *bytes, size_t len)
{
	struct store_write w;
	store_lock(st);
	int rc = store_write_begin(st, &w, "cannot store");
	if (!rc) {
		int r;
		if (bytes)
			r = put_rev(st, KIND_META, META_NAME, bytes, len, NULL);
		else {
			r = del_current(st, KIND_META, META_NAME);
			if (r == REG_ENOENT)
				r = 0;
		}
		rc = store_write_end(st, &w, r, "cannot store");
	}
	store_unlock(st);
	return rc;
}

void store_rev_release(struct store_rev *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->bytes);
	memset(r, 0, sizeof(*r));
}

void store_revs_free(struct store_rev *revs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_rev_release(&revs[i]);
	free(revs);
}

void store_set_uid_source(struct store *st, int64_t (*who)(void))
{
	store_lock(st);
	st->uid_source = who;
	store_unlock(st);
}

/* Columns id, name, bytes, created_at, uid of the current row into r. */
static int row_to_rev(sqlite3_stmt *s, struct store_rev *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->name = store_column_dup(s, 1, NULL);
	r->bytes = store_column_dup(s, 2, &r->len);
	r->time = sqlite3_column_int64(s, 3);
	r->uid = sqlite3_column_int64(s, 4);
	if (!r->name || !r->bytes) {
		store_rev_release(r);
		return REG_ENOMEM;
	}
	return 0;
}

static int rev_row(sqlite3_stmt *s, void *item) { return row_to_rev(s, item); }
static void rev_release(void *item) { store_rev_release(item); }

static int collect_revs(struct store *st, sqlite3_stmt *s, struct store_rev **out,
			size_t *n, const char *what)
{
	void *items = NULL;
	int rc = store_collect_rows(st, s, sizeof(**out), rev_row, rev_release, &items, n, what);
	*out = items;
	return rc;
}

/* Every current schema's row through statement id (all bytes, or heads). */
static int list_current(struct store *st, enum store_stmt_id id, struct store_rev **revs,
			size_t *n)
{
	int rc;
	*revs = NULL;
	*n = 0;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, id, &rc);
	if (!s || (rc = store_bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK)
		rc = store_fail(st, rc, "cannot list schemas");
	else
		rc = collect_revs(st, s, revs, n, "cannot list schemas");
	store_stmt_done(s);
	store_unlock(st);
	return rc;
}

int store_current(struct store *st, struct store_rev **revs, size_t *n)
{
	return list_current(st, S_CURRENT_ALL, revs, n);
}

int store_current_heads(struct store *st, struct store_rev **revs, size_t *n)
{
	return list_current(st, S_CURRENT_HEADS, revs, n);
}

static int get_one(struct store *st, enum store_stmt_id id, const char *kind, const char *name,
		   int64_t rev_id, struct store_rev *rev, bool *found, const char *what)
{
	int rc, ret = 0;
	memset(rev, 0, sizeof(*rev));
	*found = false;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, id, &rc);
	if (!s) {
		ret = store_fail(st, rc, what);
		goto out;
	}
	if (kind)
		rc = store_bind_text(s, 1, kind);
	if (rc == SQLITE_OK && name)
		rc = store_bind_text(s, 2, name);
	if (rc == SQLITE_OK && !kind)
		rc = sqlite3_bind_int64(s, 1, rev_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = row_to_rev(s, rev) ? store_fail_msg(st, REG_ENOMEM, "out of memory") : 0;
		*found = ret == 0;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, rc, what);
	}
out:
	store_stmt_done(s);
	store_unlock(st);
	return ret;
}

int store_get_meta(struct store *st, struct store_rev *rev, bool *found)
{
	return get_one(st, S_CURRENT_ONE, KIND_META, META_NAME, 0, rev, found,
		       "cannot read registry.yaml");
}

int store_get_schema(struct store *st, const char *name, struct store_rev *rev, bool *found)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	return get_one(st, S_CURRENT_ONE, KIND_SCHEMA, name, 0, rev, found, "cannot read schema");
}

int store_get_rev(struct store *st, int64_t id, struct store_rev *rev, bool *found)
{
	return get_one(st, S_GET_REV, NULL, NULL, id, rev, found, "cannot read revision");
}

int store_history(struct store *st, const char *name, struct store_rev **revs, size_t *n)
{
	int rc;
	*revs = NULL;
	*n = 0;
	if ((rc = check_name(st, name)))
		return rc;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_HISTORY, &rc);
	if (!s || (rc = store_bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 2, name)) != SQLITE_OK)
		rc = store_fail(st, rc, "cannot read history");
	else
		rc = collect_revs(st, s, revs, n, "cannot read history");
	store_stmt_done(s);
	store_unlock(st);
	return rc;
}

void store_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int name_row(sqlite3_stmt *s, void *item)
{
	char **name = item;
	*name = store_column_dup(s, 0, NULL);
	return *name ? 0 : REG_ENOMEM;
}

static void name_release(void *item)
{
	free(*(char **)item);
}

int store_history_names(struct store *st, char ***out, size_t *n)
{
	void *names = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_HISTORY_NAMES, &rc);
	if (!s || (rc = store_bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK)
		rc = store_fail(st, rc, "cannot list history");
	else
		rc = store_collect_rows(st, s, sizeof(char *), name_row, name_release, &names, n,
				  "cannot list history");
	store_stmt_done(s);
	store_unlock(st);
	*out = names;
	return rc;
}

/* The single integer a statement without parameters returns. */
static int get_int(struct store *st, enum store_stmt_id id, int64_t *val, const char *what)
{
	int rc, ret = 0;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, id, &rc);
	if (s)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*val = sqlite3_column_int64(s, 0);
	else
		ret = store_fail(st, rc, what);
	store_stmt_done(s);
	store_unlock(st);
	return ret;
}

int store_data_version(struct store *st, int64_t *version)
{
	*version = 0;
	return get_int(st, S_DATA_VERSION, version, "cannot read data_version");
}

int64_t store_writes(struct store *st)
{
	store_lock(st);
	int64_t n = st->writes;
	store_unlock(st);
	return n;
}

int store_is_empty(struct store *st, bool *empty)
{
	int64_t v = 0;
	int rc = get_int(st, S_IS_EMPTY, &v, "cannot read revisions");
	*empty = v != 0;
	return rc;
}
