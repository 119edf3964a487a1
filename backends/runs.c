#include "runs.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

/* One table column per field; the SQL below is generated from this list,
 * so a field cannot be forgotten in one statement and kept in another. */
enum field_type { F_TEXT, F_INT };
static const struct field {
	const char *name;
	enum field_type type;
	size_t off;
} fields[] = {
#define T(f) { #f, F_TEXT, offsetof(struct run_record, f) }
#define I(f) { #f, F_INT, offsetof(struct run_record, f) }
	T(kind), T(state), I(started), I(finished), T(target), T(token), I(nsteps),
	I(completed), I(failed_step), T(failed_what), T(error), T(sqlstate), T(outcome),
	T(plan), T(snapshot), T(touched), T(created), T(irreversible), T(notes), T(archived),
	I(undoes), I(undone_by),
#undef T
#undef I
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static char **text_at(struct run_record *r, size_t i)
{
	return (char **)((char *)r + fields[i].off);
}

static int64_t *int_at(struct run_record *r, size_t i)
{
	return (int64_t *)((char *)r + fields[i].off);
}

void run_record_release(struct run_record *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_TEXT)
			free(*text_at(r, i));
	memset(r, 0, sizeof(*r));
}

/* Caller holds store_lock. */
static int ensure_table(sqlite3 *db)
{
	struct sbuf sql = SBUF_INIT;
	int rc = sbuf_adds(&sql, "CREATE TABLE IF NOT EXISTS migration_runs ("
				 "id INTEGER PRIMARY KEY");
	for (size_t i = 0; i < NFIELDS && !rc; i++)
		rc = sbuf_addf(&sql, ", %s %s", fields[i].name,
			       fields[i].type == F_TEXT ? "TEXT" : "INTEGER NOT NULL DEFAULT 0");
	if (!rc)
		rc = sbuf_adds(&sql, ")");
	if (!rc)
		rc = store_map_sqlite(sqlite3_exec(db, sql.buf, NULL, NULL, NULL));
	sbuf_release(&sql);
	return rc;
}

static int bind_all(sqlite3_stmt *s, const struct run_record *r)
{
	struct run_record *m = (struct run_record *)r; /* only read */
	int rc = 0;
	for (size_t i = 0; i < NFIELDS && !rc; i++) {
		int col = (int)i + 1;
		if (fields[i].type == F_TEXT)
			rc = store_map_sqlite(
				sqlite3_bind_text(s, col, *text_at(m, i), -1, SQLITE_TRANSIENT));
		else
			rc = store_map_sqlite(sqlite3_bind_int64(s, col, *int_at(m, i)));
	}
	return rc;
}

/* "<name><suffix>, <name><suffix>, ..." for every field. */
static int add_names(struct sbuf *sql, const char *suffix)
{
	int rc = 0;
	for (size_t i = 0; i < NFIELDS && !rc; i++)
		rc = sbuf_addf(sql, "%s%s%s", i ? ", " : "", fields[i].name, suffix);
	return rc;
}

/* Locks st, creates the table on first use and prepares sql; whatever this
 * returns, unprepare() finalizes and unlocks. */
static int prepare(struct store *st, const char *sql, sqlite3_stmt **s)
{
	*s = NULL;
	store_lock(st);
	sqlite3 *db = store_sqlite(st);
	int rc = ensure_table(db);
	if (!rc)
		rc = store_map_sqlite(sqlite3_prepare_v2(db, sql, -1, s, NULL));
	return rc;
}

static void unprepare(struct store *st, sqlite3_stmt *s)
{
	sqlite3_finalize(s);
	store_unlock(st);
}

/* Runs an INSERT or UPDATE with every field of r bound in order; *rowid
 * and *changes are read under the same lock. */
static int write_row(struct store *st, const char *sql, const struct run_record *r,
		     int64_t *rowid, int *changes)
{
	sqlite3_stmt *s;
	int rc = prepare(st, sql, &s);
	if (!rc)
		rc = bind_all(s, r);
	if (!rc)
		rc = store_map_sqlite(sqlite3_step(s));
	if (!rc) {
		*rowid = sqlite3_last_insert_rowid(store_sqlite(st));
		*changes = sqlite3_changes(store_sqlite(st));
	}
	unprepare(st, s);
	return rc;
}

int runs_insert(struct store *st, struct run_record *r)
{
	struct sbuf sql = SBUF_INIT;
	int64_t rowid = 0;
	int changes = 0;
	if (!r->state && !(r->state = strdup("running")))
		return REG_ENOMEM;
	if (!r->started)
		r->started = time(NULL);
	int rc = sbuf_adds(&sql, "INSERT INTO migration_runs (");
	if (!rc)
		rc = add_names(&sql, "");
	if (!rc)
		rc = sbuf_adds(&sql, ") VALUES (");
	for (size_t i = 0; i < NFIELDS && !rc; i++)
		rc = sbuf_addf(&sql, "%s?", i ? ", " : "");
	if (!rc)
		rc = sbuf_adds(&sql, ")");
	if (!rc)
		rc = write_row(st, sql.buf, r, &rowid, &changes);
	if (!rc)
		r->id = rowid;
	sbuf_release(&sql);
	return rc;
}

int runs_update(struct store *st, const struct run_record *r)
{
	struct sbuf sql = SBUF_INIT;
	int64_t rowid = 0;
	int changes = 0;
	int rc = sbuf_adds(&sql, "UPDATE migration_runs SET ");
	if (!rc)
		rc = add_names(&sql, " = ?");
	if (!rc)
		rc = sbuf_addf(&sql, " WHERE id = %lld", (long long)r->id);
	if (!rc)
		rc = write_row(st, sql.buf, r, &rowid, &changes);
	if (!rc && changes != 1)
		rc = REG_ENOENT;
	sbuf_release(&sql);
	return rc;
}

static int read_row(sqlite3_stmt *s, struct run_record *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	for (size_t i = 0; i < NFIELDS; i++) {
		int col = (int)i + 1;
		if (fields[i].type == F_INT) {
			*int_at(r, i) = sqlite3_column_int64(s, col);
			continue;
		}
		const unsigned char *t = sqlite3_column_text(s, col);
		if (t && !(*text_at(r, i) = strdup((const char *)t))) {
			run_record_release(r);
			return REG_ENOMEM;
		}
	}
	return 0;
}

/* Runs "SELECT id, <fields> FROM migration_runs <where>" and hands every
 * row to each(); stops at the first non-zero return. */
static int select_rows(struct store *st, const char *where, int64_t arg,
		       int (*each)(void *ctx, sqlite3_stmt *s), void *ctx)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *s = NULL;
	int rc = sbuf_adds(&sql, "SELECT id, ");
	if (!rc)
		rc = add_names(&sql, "");
	if (!rc)
		rc = sbuf_addf(&sql, " FROM migration_runs %s", where);
	if (rc)
		goto out;
	rc = prepare(st, sql.buf, &s);
	if (!rc && sqlite3_bind_parameter_count(s) > 0)
		rc = store_map_sqlite(sqlite3_bind_int64(s, 1, arg));
	while (!rc) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = store_map_sqlite(step);
			break;
		}
		rc = each(ctx, s);
	}
	if (rc == 1)
		rc = 0;
	unprepare(st, s);
out:
	sbuf_release(&sql);
	return rc;
}

struct one {
	struct run_record *r;
	bool *found;
};

static int take_one(void *ctx, sqlite3_stmt *s)
{
	struct one *o = ctx;
	int rc = read_row(s, o->r);
	if (rc)
		return rc;
	*o->found = true;
	return 1; /* stop */
}

int runs_get(struct store *st, int64_t id, struct run_record *r, bool *found)
{
	struct one o = { r, found };
	*found = false;
	memset(r, 0, sizeof(*r));
	return select_rows(st, "WHERE id = ?", id, take_one, &o);
}

int runs_last(struct store *st, struct run_record *r, bool *found)
{
	struct one o = { r, found };
	*found = false;
	memset(r, 0, sizeof(*r));
	return select_rows(st, "ORDER BY id DESC LIMIT 1", 0, take_one, &o);
}

int runs_last_applied(struct store *st, int64_t before, struct run_record *r, bool *found)
{
	struct one o = { r, found };
	*found = false;
	memset(r, 0, sizeof(*r));
	if (before <= 0)
		before = INT64_MAX;
	return select_rows(st, "WHERE kind = 'apply' AND state = 'succeeded' AND undone_by = 0 "
			       "AND id < ? ORDER BY id DESC LIMIT 1", before, take_one, &o);
}

struct many {
	struct run_record *v;
	size_t n, alloc;
};

static int take_all(void *ctx, sqlite3_stmt *s)
{
	struct many *m = ctx;
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 16;
		struct run_record *nv = realloc(m->v, na * sizeof(*nv));
		if (!nv)
			return REG_ENOMEM;
		m->v = nv;
		m->alloc = na;
	}
	int rc = read_row(s, &m->v[m->n]);
	if (!rc)
		m->n++;
	return rc;
}

int runs_list(struct store *st, struct run_record **v, size_t *n)
{
	struct many m = { 0 };
	int rc = select_rows(st, "ORDER BY id", 0, take_all, &m);
	if (rc) {
		runs_free(m.v, m.n);
		*v = NULL;
		*n = 0;
		return rc;
	}
	*v = m.v;
	*n = m.n;
	return 0;
}

void runs_free(struct run_record *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_record_release(&v[i]);
	free(v);
}

static int add_time(struct sbuf *out, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (!t)
		return sbuf_adds(out, "-");
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return sbuf_adds(out, buf);
}

/* A multi-line value: continuation lines indented so that every line of
 * the file still starts with a key or whitespace. */
static int add_field(struct sbuf *out, const char *key, const char *value)
{
	if (!value || !*value)
		return 0;
	int rc = sbuf_addf(out, "%s: ", key);
	for (const char *p = value; *p && !rc; p++) {
		if (*p == '\n' && p[1])
			rc = sbuf_adds(out, "\n  ");
		else if (*p != '\n')
			rc = sbuf_addch(out, *p);
	}
	return rc ?: sbuf_addch(out, '\n');
}

int runs_render_status(const struct run_record *r, struct sbuf *out)
{
	int rc = sbuf_addf(out, "run: %lld\nkind: %s\nstate: %s\nstarted: ", (long long)r->id,
			   r->kind ? r->kind : "?", r->state ? r->state : "?");
	if (!rc)
		rc = add_time(out, r->started);
	if (!rc)
		rc = sbuf_adds(out, "\nfinished: ");
	if (!rc)
		rc = add_time(out, r->finished);
	if (!rc)
		rc = sbuf_addf(out, "\n");
	if (!rc)
		rc = add_field(out, "target", r->target);
	if (!rc)
		rc = sbuf_addf(out, "steps: %lld\ncompleted steps: %lld\n", (long long)r->nsteps,
			       (long long)r->completed);
	if (!rc && r->failed_step)
		rc = sbuf_addf(out, "failed step: %lld of %lld: %s\n", (long long)r->failed_step,
			       (long long)r->nsteps, r->failed_what ? r->failed_what : "");
	if (!rc)
		rc = add_field(out, "error", r->error);
	if (!rc)
		rc = add_field(out, "sqlstate", r->sqlstate);
	if (!rc)
		rc = add_field(out, "database", r->outcome);
	if (!rc)
		rc = add_field(out, "archived", r->archived);
	if (!rc)
		rc = add_field(out, "notes", r->notes);
	if (!rc && r->undoes)
		rc = sbuf_addf(out, "undoes run: %lld\n", (long long)r->undoes);
	if (!rc && r->undone_by)
		rc = sbuf_addf(out, "undone by run: %lld\n", (long long)r->undone_by);
	return rc;
}

int runs_render_log_line(const struct run_record *r, struct sbuf *out)
{
	int rc = sbuf_addf(out, "%lld\t%s\t%s\t", (long long)r->id, r->kind ? r->kind : "?",
			   r->state ? r->state : "?");
	if (!rc)
		rc = add_time(out, r->started);
	if (!rc)
		rc = sbuf_addf(out, "\t%lld/%lld\t", (long long)r->completed, (long long)r->nsteps);
	/* the summary: the first line of the error, else the outcome */
	const char *sum = r->error && *r->error ? r->error : r->outcome ? r->outcome : "";
	size_t n = strcspn(sum, "\n");
	if (!rc && r->failed_step)
		rc = sbuf_addf(out, "step %lld: ", (long long)r->failed_step);
	if (!rc)
		rc = sbuf_add(out, sum, n);
	return rc ?: sbuf_addch(out, '\n');
}
