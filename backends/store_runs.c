#include "store_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

/* One migration_runs column per scalar field; the SQL below is generated
 * from this list, so a field cannot be forgotten in one statement and kept
 * in another. The lists of table names are rows of run_tables. */
enum field_type { F_TEXT, F_INT };
static const struct field {
	const char *name;
	enum field_type type;
	size_t off;
} fields[] = {
#define T(f) { #f, F_TEXT, offsetof(struct store_run, f) }
#define I(f) { #f, F_INT, offsetof(struct store_run, f) }
	T(kind), T(state), I(started), I(finished), T(target), T(token), I(nsteps),
	I(completed), I(failed_step), T(failed_what), T(error), T(sqlstate), T(outcome),
	T(plan), T(snapshot), T(irreversible), T(notes), T(archived), I(undoes), I(undone_by),
#undef T
#undef I
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The child lists, by their role in run_tables. */
static const struct {
	const char *role;
	size_t off;
} lists[] = {
	{ "created", offsetof(struct store_run, created) },
	{ "touched", offsetof(struct store_run, touched) },
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static char **text_at(struct store_run *r, size_t i)
{
	return (char **)((char *)r + fields[i].off);
}

static int64_t *int_at(struct store_run *r, size_t i)
{
	return (int64_t *)((char *)r + fields[i].off);
}

static struct strlist *list_at(struct store_run *r, size_t i)
{
	return (struct strlist *)((char *)r + lists[i].off);
}

void store_run_release(struct store_run *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].type == F_TEXT)
			free(*text_at(r, i));
	for (size_t i = 0; i < NLISTS; i++)
		strlist_release(list_at(r, i));
	memset(r, 0, sizeof(*r));
}

int store_runs_schema(struct sbuf *sql)
{
	sbuf_adds(sql, "CREATE TABLE migration_runs (id INTEGER PRIMARY KEY");
	for (size_t i = 0; i < NFIELDS; i++)
		sbuf_addf(sql, ", %s %s", fields[i].name,
			  fields[i].type == F_TEXT ? "TEXT" : "INTEGER NOT NULL DEFAULT 0");
	sbuf_adds(sql, ");"
		  "CREATE TABLE run_tables ("
		  " run INTEGER NOT NULL REFERENCES migration_runs(id),"
		  " role TEXT NOT NULL CHECK (role IN ('created', 'touched')),"
		  " seq INTEGER NOT NULL,"
		  " name TEXT NOT NULL,"
		  " PRIMARY KEY (run, role, seq)) WITHOUT ROWID;");
	return sbuf_error(sql);
}

static int bind_all(sqlite3_stmt *s, const struct store_run *r)
{
	struct store_run *m = (struct store_run *)r; /* only read */
	int rc = SQLITE_OK;
	for (size_t i = 0; i < NFIELDS && rc == SQLITE_OK; i++) {
		int col = (int)i + 1;
		if (fields[i].type == F_TEXT)
			rc = sqlite3_bind_text(s, col, *text_at(m, i), -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_int64(s, col, *int_at(m, i));
	}
	return rc;
}

/* "<name><suffix>, <name><suffix>, ..." for every field. */
static void add_names(struct sbuf *sql, const char *suffix)
{
	for (size_t i = 0; i < NFIELDS; i++)
		sbuf_addf(sql, "%s%s%s", i ? ", " : "", fields[i].name, suffix);
}

/* Replaces the run's rows in run_tables by r's lists; inside a write. */
static int write_lists(struct store *st, const struct store_run *r)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_RUN_CLEAR_TABLES, &rc);
	if (!s || (rc = sqlite3_bind_int64(s, 1, r->id)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot record the run");
	}
	store_stmt_done(s);
	for (size_t i = 0; i < NLISTS; i++) {
		const struct strlist *l = list_at((struct store_run *)r, i);
		for (size_t k = 0; k < l->n; k++) {
			s = store_stmt(st, S_RUN_ADD_TABLE, &rc);
			if (!s || (rc = sqlite3_bind_int64(s, 1, r->id)) != SQLITE_OK ||
			    (rc = store_bind_text(s, 2, lists[i].role)) != SQLITE_OK ||
			    (rc = sqlite3_bind_int64(s, 3, (int64_t)k)) != SQLITE_OK ||
			    (rc = store_bind_text(s, 4, l->items[k])) != SQLITE_OK ||
			    (rc = sqlite3_step(s)) != SQLITE_DONE) {
				store_stmt_done(s);
				return store_fail(st, rc, "cannot record the run");
			}
			store_stmt_done(s);
		}
	}
	return 0;
}

/* Runs the INSERT or UPDATE sql with every field of r bound in order, then
 * writes its lists: one write. An insert sets r->id. */
static int write_run(struct store *st, const char *sql, struct store_run *r, bool insert)
{
	struct store_write w;
	sqlite3_stmt *s = NULL;
	store_lock(st);
	int rc = store_write_begin(st, &w, "cannot record the run");
	if (rc)
		goto out;
	int src = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (src == SQLITE_OK)
		src = bind_all(s, r);
	if (src == SQLITE_OK)
		src = sqlite3_step(s);
	if (src != SQLITE_DONE) {
		rc = store_fail(st, src, "cannot record the run");
	} else if (insert) {
		r->id = sqlite3_last_insert_rowid(st->db);
	} else if (sqlite3_changes(st->db) != 1) {
		rc = store_fail_msg(st, REG_ENOENT, "no such run");
	}
	sqlite3_finalize(s);
	if (!rc)
		rc = write_lists(st, r);
	rc = store_write_end(st, &w, rc, "cannot record the run");
	if (rc && insert)
		r->id = 0;
out:
	store_unlock(st);
	return rc;
}

int store_run_insert(struct store *st, struct store_run *r)
{
	struct sbuf sql = SBUF_INIT;
	if (!r->state && !(r->state = strdup("running")))
		return REG_ENOMEM;
	if (!r->started)
		r->started = time(NULL);
	sbuf_adds(&sql, "INSERT INTO migration_runs (");
	add_names(&sql, "");
	sbuf_adds(&sql, ") VALUES (");
	for (size_t i = 0; i < NFIELDS; i++)
		sbuf_addf(&sql, "%s?", i ? ", " : "");
	sbuf_adds(&sql, ")");
	int rc = sbuf_error(&sql);
	if (!rc)
		rc = write_run(st, sql.buf, r, true);
	sbuf_release(&sql);
	return rc;
}

int store_run_update(struct store *st, const struct store_run *r)
{
	struct sbuf sql = SBUF_INIT;
	sbuf_adds(&sql, "UPDATE migration_runs SET ");
	add_names(&sql, " = ?");
	sbuf_addf(&sql, " WHERE id = %lld", (long long)r->id);
	int rc = sbuf_error(&sql);
	if (!rc)
		rc = write_run(st, sql.buf, (struct store_run *)r, false);
	sbuf_release(&sql);
	return rc;
}

/* r's lists from run_tables. */
static int read_lists(struct store *st, struct store_run *r)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_RUN_TABLES, &rc);
	if (!s || (rc = sqlite3_bind_int64(s, 1, r->id)) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, rc, "cannot read the run");
	}
	int ret = 0;
	while (!ret && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(s, 0);
		for (size_t i = 0; i < NLISTS && !ret; i++)
			if (role && !strcmp(role, lists[i].role) &&
			    strlist_push(list_at(r, i), (const char *)sqlite3_column_text(s, 1)))
				ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
	}
	if (!ret && rc != SQLITE_DONE)
		ret = store_fail(st, rc, "cannot read the run");
	store_stmt_done(s);
	return ret;
}

static int read_row(struct store *st, sqlite3_stmt *s, struct store_run *r)
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
			store_run_release(r);
			return store_fail_msg(st, REG_ENOMEM, "out of memory");
		}
	}
	int rc = read_lists(st, r);
	if (rc)
		store_run_release(r);
	return rc;
}

/* Every row of "SELECT id, <fields> FROM migration_runs <where>" (with arg
 * bound when where has a parameter), at most max of them (0: all). */
static int select_runs(struct store *st, const char *where, int64_t arg, size_t max,
		       struct store_run **out, size_t *n)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *s = NULL;
	struct store_run *v = NULL;
	size_t count = 0, alloc = 0;
	int ret = 0;
	*out = NULL;
	*n = 0;
	sbuf_adds(&sql, "SELECT id, ");
	add_names(&sql, "");
	sbuf_addf(&sql, " FROM migration_runs %s", where);
	if ((ret = sbuf_error(&sql)))
		goto done;
	store_lock(st);
	int rc = sqlite3_prepare_v2(st->db, sql.buf, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_bind_parameter_count(s) > 0)
		rc = sqlite3_bind_int64(s, 1, arg);
	while (rc == SQLITE_OK && (!max || count < max)) {
		int step = sqlite3_step(s);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = step;
			break;
		}
		if (count == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			struct store_run *nv = realloc(v, na * sizeof(*nv));
			if (!nv) {
				ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
				break;
			}
			v = nv;
			alloc = na;
		}
		if ((ret = read_row(st, s, &v[count])))
			break;
		count++;
	}
	if (!ret && rc != SQLITE_OK)
		ret = store_fail(st, rc, "cannot read the runs");
	sqlite3_finalize(s);
	store_unlock(st);
done:
	sbuf_release(&sql);
	if (ret) {
		store_run_list_free(v, count);
		return ret;
	}
	*out = v;
	*n = count;
	return 0;
}

/* The first run select_runs finds, into r. */
static int select_one(struct store *st, const char *where, int64_t arg, struct store_run *r,
		      bool *found)
{
	struct store_run *v = NULL;
	size_t n = 0;
	memset(r, 0, sizeof(*r));
	*found = false;
	int rc = select_runs(st, where, arg, 1, &v, &n);
	if (!rc && n) {
		*r = v[0];
		*found = true;
		free(v);
	}
	return rc;
}

int store_run_last(struct store *st, struct store_run *r, bool *found)
{
	return select_one(st, "ORDER BY id DESC LIMIT 1", 0, r, found);
}

int store_run_last_applied(struct store *st, int64_t before, struct store_run *r, bool *found)
{
	if (before <= 0)
		before = INT64_MAX;
	return select_one(st, "WHERE kind = 'apply' AND state = 'succeeded' AND undone_by = 0 "
			      "AND id < ? ORDER BY id DESC LIMIT 1", before, r, found);
}

int store_run_list(struct store *st, struct store_run **v, size_t *n)
{
	return select_runs(st, "ORDER BY id", 0, 0, v, n);
}

void store_run_list_free(struct store_run *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_run_release(&v[i]);
	free(v);
}

/* ---- steps outside the transaction ---- */

#define STEPS_KIND "run-steps/%lld"

void store_run_step_release(struct store_run_step *s)
{
	if (!s)
		return;
	free(s->state);
	free(s->schema);
	free(s->what);
	free(s->sql);
	free(s->index);
	free(s->error);
	memset(s, 0, sizeof(*s));
}

void store_run_steps_free(struct store_run_step *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_run_step_release(&v[i]);
	free(v);
}

/* A record: "state attempts finished kind\n", then each text field as
 * "<length>:<bytes>\n" ("-:" for NULL), so SQL and errors keep every byte. */
static const size_t step_texts[] = {
	offsetof(struct store_run_step, schema), offsetof(struct store_run_step, what),
	offsetof(struct store_run_step, sql), offsetof(struct store_run_step, index),
	offsetof(struct store_run_step, error),
};
#define NSTEP_TEXTS (sizeof(step_texts) / sizeof(step_texts[0]))

static char **step_text(struct store_run_step *s, size_t i)
{
	return (char **)((char *)s + step_texts[i]);
}

int store_run_step_put(struct store *st, int64_t run, const struct store_run_step *s)
{
	struct sbuf b = SBUF_INIT;
	char kind[48], name[32];
	struct store_run_step *m = (struct store_run_step *)s; /* only read */
	snprintf(kind, sizeof(kind), STEPS_KIND, (long long)run);
	snprintf(name, sizeof(name), "%06lld", (long long)s->step);
	sbuf_addf(&b, "%s %lld %lld %lld\n", s->state ? s->state : "pending",
		  (long long)s->attempts, (long long)s->finished, (long long)s->kind);
	for (size_t i = 0; i < NSTEP_TEXTS; i++) {
		const char *t = *step_text(m, i);
		if (!t) {
			sbuf_adds(&b, "-:\n");
			continue;
		}
		sbuf_addf(&b, "%zu:", strlen(t));
		sbuf_adds(&b, t);
		sbuf_addch(&b, '\n');
	}
	int rc = sbuf_error(&b);
	if (!rc)
		rc = store_put_file(st, kind, name, b.buf, b.len);
	sbuf_release(&b);
	return rc;
}

static int parse_step(const struct store_file *f, struct store_run_step *s)
{
	char state[16];
	long long attempts, finished, kind;
	int used = 0;
	memset(s, 0, sizeof(*s));
	s->step = strtoll(f->name, NULL, 10);
	if (sscanf(f->bytes, "%15s %lld %lld %lld\n%n", state, &attempts, &finished, &kind,
		   &used) != 4 || !used)
		return REG_EIO;
	s->attempts = attempts;
	s->finished = finished;
	s->kind = kind;
	if (!(s->state = strdup(state)))
		return REG_ENOMEM;
	const char *p = f->bytes + used, *end = f->bytes + f->len;
	for (size_t i = 0; i < NSTEP_TEXTS; i++) {
		if (end - p >= 3 && !strncmp(p, "-:\n", 3)) {
			p += 3;
			continue;
		}
		char *colon;
		unsigned long long len = strtoull(p, &colon, 10);
		if (colon >= end || *colon != ':' || len > (size_t)(end - colon - 1))
			return REG_EIO;
		if (!(*step_text(s, i) = strndup(colon + 1, (size_t)len)))
			return REG_ENOMEM;
		p = colon + 1 + len + 1;
		if (p > end)
			return REG_EIO;
	}
	return 0;
}

int store_run_steps(struct store *st, int64_t run, struct store_run_step **out, size_t *n)
{
	char kind[48];
	struct store_file *f = NULL;
	size_t nf = 0;
	snprintf(kind, sizeof(kind), STEPS_KIND, (long long)run);
	*out = NULL;
	*n = 0;
	int rc = store_list_files(st, kind, &f, &nf);
	if (rc)
		return rc;
	struct store_run_step *v = calloc(nf + 1, sizeof(*v));
	if (!v)
		rc = REG_ENOMEM;
	for (size_t i = 0; i < nf && !rc; i++)
		if ((rc = parse_step(&f[i], &v[i])) == REG_EIO)
			store_fail_msg(st, rc, "a step record of the run is damaged");
	store_files_free(f, nf);
	if (rc) {
		store_run_steps_free(v, nf);
		return rc;
	}
	*out = v;
	*n = nf;
	return 0;
}

int64_t store_snapshot_rev(const char *snapshot, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = snapshot; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, name, n) && p[n] == '\t')
			return strtoll(p + n + 1, NULL, 10);
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}
