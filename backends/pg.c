#include "pg_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

/* ---- targets, shown without passwords ---- */

/* libpq's conninfo parse errors quote the offending fragment, which may be
 * a password: every quoted part is dropped. */
static int add_unquoted(struct sbuf *out, const char *msg)
{
	int rc = 0;
	bool in = false;
	for (const char *p = msg; *p && !rc; p++) {
		if (*p == '"') {
			in = !in;
			rc = sbuf_adds(out, in ? "\"..." : "\"");
			continue;
		}
		if (!in && *p != '\n')
			rc = sbuf_addch(out, *p);
	}
	return rc;
}

/* A conninfo value as libpq reads it back: quoted when it holds a blank,
 * a quote or a backslash (which are escaped), so dbname='a password=b' is
 * never shown as dbname=a password=b, a different target. */
static int add_value(struct sbuf *out, const char *val)
{
	if (*val && !strpbrk(val, " \t\n\r\f\v'\\"))
		return sbuf_adds(out, val);
	int rc = sbuf_addch(out, '\'');
	for (const char *p = val; *p && !rc; p++) {
		if (*p == '\'' || *p == '\\')
			rc = sbuf_addch(out, '\\');
		if (!rc)
			rc = sbuf_addch(out, *p);
	}
	return rc ? rc : sbuf_addch(out, '\'');
}

static bool secret_keyword(const char *kw)
{
	return !strcmp(kw, "password") || !strcmp(kw, "sslpassword");
}

int pg_target_display(const char *conninfo, struct sbuf *out)
{
	static const char *const shown[] = { "service", "host", "hostaddr", "port", "dbname",
					     "user" };
	PQconninfoOption *opts;
	char *errmsg = NULL;
	int rc = 0;
	bool any = false;

	if (!conninfo || !*conninfo) {
		/* the environment: what libpq would use */
		opts = PQconndefaults();
	} else {
		opts = PQconninfoParse(conninfo, &errmsg);
	}
	if (!opts) {
		rc = sbuf_adds(out, "(unparseable target: ");
		if (!rc)
			rc = add_unquoted(out, errmsg ? errmsg : "out of memory");
		if (!rc)
			rc = sbuf_addch(out, ')');
		PQfreemem(errmsg);
		return rc;
	}
	for (size_t k = 0; k < sizeof(shown) / sizeof(shown[0]) && !rc; k++) {
		for (PQconninfoOption *o = opts; o->keyword && !rc; o++) {
			if (strcmp(o->keyword, shown[k]) || !o->val || !*o->val ||
			    secret_keyword(o->keyword))
				continue;
			rc = sbuf_addf(out, "%s%s=", any ? " " : "", o->keyword);
			if (!rc)
				rc = add_value(out, o->val);
			any = true;
		}
	}
	if (!rc && !any)
		rc = sbuf_adds(out, "(libpq defaults)");
	PQconninfoFree(opts);
	return rc;
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
	/* NOTICEs ("already exists, skipping") are not for the user's terminal */
	(void)arg;
	(void)message;
}

int pg_connect(const char *conninfo, struct pg_conn **out, struct sbuf *err)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo && *conninfo ? conninfo : NULL, "schemafs", NULL };
	struct pg_conn *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return REG_ENOMEM;
	if (conninfo && *conninfo) {
		char *errmsg = NULL;
		PQconninfoOption *o = PQconninfoParse(conninfo, &errmsg);
		if (!o) {
			sbuf_adds(err, "invalid target connection string: ");
			add_unquoted(err, errmsg ? errmsg : "out of memory");
			PQfreemem(errmsg);
			free(c);
			return REG_EINVAL;
		}
		PQconninfoFree(o);
	}
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		sbuf_adds(err, "cannot connect to ");
		pg_target_display(conninfo, err);
		sbuf_adds(err, ": ");
		/* libpq's message ends with a newline and may span lines */
		const char *m = c->conn ? PQerrorMessage(c->conn) : "out of memory";
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		sbuf_add(err, m, n);
		PQfinish(c->conn);
		free(c);
		return REG_EIO;
	}
	PQsetNoticeProcessor(c->conn, quiet, NULL);
	*out = c;
	return 0;
}

void pg_close(struct pg_conn *c)
{
	if (!c)
		return;
	PQfinish(c->conn);
	free(c);
}

/* libpq's string as one the caller frees with free(), as plan.h wants. */
static char *from_libpq(char *q)
{
	if (!q)
		return NULL;
	char *d = strdup(q);
	PQfreemem(q);
	return d;
}

static char *quote_ident(void *ctx, const char *s)
{
	struct pg_conn *c = ctx;
	return from_libpq(PQescapeIdentifier(c->conn, s, strlen(s)));
}

static char *quote_literal(void *ctx, const char *s)
{
	struct pg_conn *c = ctx;
	return from_libpq(PQescapeLiteral(c->conn, s, strlen(s)));
}

struct plan_quoter pg_quoter(struct pg_conn *c)
{
	return (struct plan_quoter){ quote_ident, quote_literal, c };
}

/* ---- errors ---- */

static void result_error(PGconn *conn, const PGresult *res, struct pg_exec_result *r)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	sbuf_reset(&r->error);
	if (state)
		snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state);
	if (primary) {
		sbuf_adds(&r->error, primary);
	} else {
		const char *m = PQerrorMessage(conn);
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		sbuf_add(&r->error, m, n);
	}
	if (detail)
		sbuf_addf(&r->error, "\nDETAIL: %s", detail);
	if (hint)
		sbuf_addf(&r->error, "\nHINT: %s", hint);
	r->position = pos ? atoi(pos) : 0;
	/* query_canceled is also statement_timeout's; only a cancel says
	 * "user request" (pg_cancel_backend, PQcancel) */
	if (state && !strcmp(state, "57014") && primary && strstr(primary, "user request"))
		r->cancelled = true;
	if (PQstatus(conn) == CONNECTION_BAD)
		r->connection_lost = true;
}

/* Runs a statement without parameters; on failure fills r and returns -1. */
static int run(PGconn *conn, const char *sql, struct pg_exec_result *r)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		result_error(conn, res, r);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* ---- execution ---- */

static const char q_history_ddl[] =
	"CREATE TABLE IF NOT EXISTS schemafs_migrations ("
	" id bigserial PRIMARY KEY,"
	" run text NOT NULL UNIQUE,"
	" kind text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now(),"
	" applied_by text NOT NULL DEFAULT current_user,"
	" registry_revisions text NOT NULL,"
	" steps integer NOT NULL,"
	" sql text NOT NULL,"
	" checksum text NOT NULL);"
	"CREATE TABLE IF NOT EXISTS schemafs_tables ("
	" name text PRIMARY KEY,"
	" created_by_run text NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now())";

static const char q_record[] =
	"INSERT INTO schemafs_migrations (run, kind, registry_revisions, steps, sql, checksum) "
	"VALUES ($1, $2, $3, $4::int, $5, encode(sha256(convert_to($5, 'UTF8')), 'hex'))";

void pg_exec_result_init(struct pg_exec_result *r)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->error);
	sbuf_init(&r->notes);
}

void pg_exec_result_release(struct pg_exec_result *r)
{
	if (!r)
		return;
	sbuf_release(&r->error);
	sbuf_release(&r->notes);
}

static int params(PGconn *conn, const char *sql, int n, const char *const *v,
		  struct pg_exec_result *r)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, v, NULL, NULL, 0);
	int rc = 0;
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		     PQresultStatus(res) != PGRES_TUPLES_OK)) {
		result_error(conn, res, r);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The history rows: what ran, and which tables schemafs now owns. */
static int record(PGconn *conn, const struct plan *p, const struct pg_exec_opts *o,
		  struct pg_exec_result *r)
{
	struct sbuf sql = SBUF_INIT;
	char steps[32];
	int rc = 0;
	for (size_t i = 0; i < p->n && !rc; i++)
		rc = sbuf_addf(&sql, "-- step %zu: %s %s\n%s\n", i + 1, p->steps[i].schema,
			       p->steps[i].what, p->steps[i].sql);
	if (rc) {
		sbuf_adds(&r->error, "out of memory");
		return -1;
	}
	snprintf(steps, sizeof(steps), "%zu", p->n);
	const char *v[] = { o->run, o->kind ? o->kind : "apply", o->revisions ? o->revisions : "",
			    steps, sql.buf };
	rc = params(conn, q_record, 5, v, r);
	for (size_t i = 0; i < p->created.n && !rc; i++) {
		const char *cv[] = { p->created.items[i], o->run };
		rc = params(conn,
			    "INSERT INTO schemafs_tables (name, created_by_run) VALUES ($1, $2) "
			    "ON CONFLICT (name) DO NOTHING",
			    2, cv, r);
	}
	for (size_t i = 0; i < p->dropped.n && !rc; i++) {
		const char *dv[] = { p->dropped.items[i] };
		rc = params(conn, "DELETE FROM schemafs_tables WHERE name = $1", 1, dv, r);
	}
	sbuf_release(&sql);
	return rc;
}

static int reconnect(PGconn *conn, struct pg_exec_result *r)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return 0;
	/* a server that went away and came back: one fresh attempt */
	PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK) {
		result_error(conn, NULL, r);
		r->connection_lost = true;
		return REG_EIO;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return 0;
}

int pg_begin(struct pg_conn *c, int lock_timeout_ms, struct pg_exec_result *r)
{
	PGconn *conn = c->conn;
	char sql[128];
	int timeout = lock_timeout_ms > 0 ? lock_timeout_ms : PG_DEFAULT_LOCK_TIMEOUT_MS;
	if (reconnect(conn, r))
		return REG_EIO;
	if (run(conn, "BEGIN", r))
		return REG_EIO;
	/* an int formatted here: nothing from outside reaches this text */
	snprintf(sql, sizeof(sql), "SET LOCAL lock_timeout = %d", timeout);
	if (run(conn, sql, r))
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_xact_lock(%lld)", PG_ADVISORY_KEY);
	PGresult *res = PQexec(conn, sql);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		result_error(conn, res, r);
		PQclear(res);
		goto fail;
	}
	bool locked = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!locked) {
		r->busy = true;
		sbuf_adds(&r->error, "another migration is running on this database "
				     "(advisory lock held)");
		pg_abort(c);
		return REG_EBUSY;
	}
	if (run(conn, q_history_ddl, r))
		goto fail;
	return 0;
fail:
	pg_abort(c);
	return REG_EIO;
}

void pg_abort(struct pg_conn *c)
{
	/* keep the caller's error: the ROLLBACK's own result is not news */
	struct pg_exec_result scratch;
	if (PQstatus(c->conn) != CONNECTION_OK)
		return;
	pg_exec_result_init(&scratch);
	run(c->conn, "ROLLBACK", &scratch);
	pg_exec_result_release(&scratch);
}

/* ---- retries, phases ---- */

static bool lock_timed_out(const struct pg_exec_result *r)
{
	return !strcmp(r->sqlstate, "55P03");
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts))
		;
}

static int tries_of(const struct pg_exec_opts *o)
{
	return o->lock_tries > 0 ? o->lock_tries : PG_LOCK_TRIES;
}

static bool stop_requested(const struct pg_exec_opts *o, struct pg_exec_result *r)
{
	if (!r->cancelled && !(o->cancelled && o->cancelled(o->ctx)))
		return false;
	r->cancelled = true;
	sbuf_reset(&r->error);
	sbuf_adds(&r->error, "cancelled");
	snprintf(r->sqlstate, sizeof(r->sqlstate), "57014");
	return true;
}

static void clear_error(struct pg_exec_result *r)
{
	sbuf_reset(&r->error);
	r->sqlstate[0] = 0;
	r->position = 0;
}

/* One step of the transaction, under a savepoint: a lock timeout undoes
 * only this step, which is tried again after a pause, the locks of the
 * steps before it kept. */
static int tx_step(PGconn *conn, const char *sql, const struct pg_exec_opts *o,
		   struct pg_exec_result *r)
{
	int wait = PG_LOCK_BACKOFF_MS;
	for (int k = 1;; k++) {
		if (run(conn, "SAVEPOINT schemafs_step", r))
			return -1;
		if (!run(conn, sql, r)) {
			clear_error(r);
			return run(conn, "RELEASE SAVEPOINT schemafs_step", r);
		}
		if (!lock_timed_out(r) || k >= tries_of(o) || stop_requested(o, r))
			return -1;
		struct pg_exec_result scratch;
		pg_exec_result_init(&scratch);
		int rc = run(conn, "ROLLBACK TO SAVEPOINT schemafs_step", &scratch);
		pg_exec_result_release(&scratch);
		if (rc)
			return -1;
		pause_ms(wait);
		wait *= 2;
	}
}

static int advisory(PGconn *conn, const char *fn, bool *got, struct pg_exec_result *r)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT %s(%lld)", fn, PG_ADVISORY_KEY);
	PGresult *res = PQexec(conn, sql);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		result_error(conn, res, r);
		PQclear(res);
		return -1;
	}
	if (got)
		*got = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return 0;
}

/* Session-level advisory locks survive ROLLBACK: released explicitly. */
static void unlock_all(PGconn *conn)
{
	struct pg_exec_result scratch;
	pg_exec_result_init(&scratch);
	run(conn, "RESET lock_timeout; RESET statement_timeout", &scratch);
	advisory(conn, "pg_advisory_unlock_all", NULL, &scratch);
	pg_exec_result_release(&scratch);
}

static bool has_outside(const struct plan *p)
{
	return p->n && p->steps[p->n - 1].outside_tx;
}

int pg_finish(struct pg_conn *c, const struct plan *p, const struct pg_exec_opts *o,
	      struct pg_exec_result *r)
{
	PGconn *conn = c->conn;
	char sql[96];
	size_t ntx = 0;
	r->ok = false;
	while (ntx < p->n && !p->steps[ntx].outside_tx)
		ntx++;
	if (o->statement_timeout_ms > 0) {
		snprintf(sql, sizeof(sql), "SET LOCAL statement_timeout = %d",
			 o->statement_timeout_ms);
		if (run(conn, sql, r))
			goto fail;
	}
	for (size_t i = 0; i < ntx; i++) {
		if (stop_requested(o, r))
			goto fail;
		if (o->progress)
			o->progress(o->ctx, i + 1, p->n);
		if (tx_step(conn, p->steps[i].sql, o, r)) {
			r->failed_step = i + 1;
			goto fail;
		}
		r->completed = i + 1;
	}
	if (o->before_commit) {
		struct sbuf err = SBUF_INIT;
		int hrc = o->before_commit(o->ctx, c, &r->notes, &err);
		if (hrc) {
			sbuf_reset(&r->error);
			sbuf_add(&r->error, err.buf, err.len);
			sbuf_release(&err);
			if (PQstatus(conn) == CONNECTION_BAD)
				r->connection_lost = true;
			goto fail;
		}
		sbuf_release(&err);
	}
	if (o->dry_run) {
		if (ntx < p->n)
			sbuf_addf(&r->notes, "steps %zu-%zu run outside a transaction "
					     "(CONCURRENTLY, VALIDATE) and are not part of the "
					     "dry run\n", ntx + 1, p->n);
		if (run(conn, "ROLLBACK", r))
			goto fail;
		r->ok = true;
		return 0;
	}
	if (record(conn, p, o, r))
		goto fail;
	if (ntx < p->n) {
		/* the session lock outlives COMMIT: no other run starts between
		 * the phases (this session holds the transaction's lock already,
		 * so it is granted at once) */
		if (advisory(conn, "pg_advisory_lock", NULL, r))
			goto fail;
		if (o->before_outside && o->before_outside(o->ctx)) {
			if (!r->error.len)
				sbuf_adds(&r->error, "cannot record the steps outside the transaction");
			goto fail;
		}
	}
	if (run(conn, "COMMIT", r)) {
		if (r->connection_lost)
			r->commit_unknown = true;
		goto fail;
	}
	r->committed = true;
	if (ntx < p->n)
		return pg_run_outside(c, p, ntx + 1, false, o, r);
	r->ok = true;
	return 0;
fail:
	if (!r->connection_lost) {
		pg_abort(c);
		if (has_outside(p) && !o->dry_run)
			unlock_all(conn);
	}
	if (!r->error.len)
		sbuf_adds(&r->error, "out of memory");
	return REG_EIO;
}

enum index_state { INDEX_ABSENT, INDEX_VALID, INDEX_INVALID };

static const char q_index_valid[] =
	"SELECT x.indisvalid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
	"WHERE " IN_SCHEMA " AND c.relname = $1";

static int index_probe(PGconn *conn, const char *name, enum index_state *st,
		       struct pg_exec_result *r)
{
	const char *v[] = { name };
	PGresult *res = PQexecParams(conn, q_index_valid, 1, NULL, v, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		result_error(conn, res, r);
		PQclear(res);
		return -1;
	}
	*st = !PQntuples(res) ? INDEX_ABSENT
	      : PQgetvalue(res, 0, 0)[0] == 't' ? INDEX_VALID : INDEX_INVALID;
	PQclear(res);
	return 0;
}

/* An invalid index (a CONCURRENTLY build that failed or was interrupted):
 * it costs every write and serves no read; dropped before the build. */
static int drop_invalid(PGconn *conn, const char *name, struct pg_exec_result *r)
{
	char *q = PQescapeIdentifier(conn, name, strlen(name));
	struct sbuf sql = SBUF_INIT;
	if (!q) {
		result_error(conn, NULL, r);
		return -1;
	}
	sbuf_addf(&sql, "DROP INDEX CONCURRENTLY IF EXISTS %s", q);
	PQfreemem(q);
	int rc = sbuf_error(&sql) ? -1 : run(conn, sql.buf, r);
	if (!rc)
		sbuf_addf(&r->notes, "dropped the invalid index '%s' an interrupted build left, "
				     "and built it again\n", name);
	sbuf_release(&sql);
	return rc;
}

/* One step outside the transaction; *tries counts the attempts. */
static int outside_step(PGconn *conn, const struct plan_step *st, bool interrupted,
			const struct pg_exec_opts *o, struct pg_exec_result *r, int *tries)
{
	int wait = PG_LOCK_BACKOFF_MS;
	for (;;) {
		enum index_state is = INDEX_ABSENT;
		++*tries;
		if (stop_requested(o, r))
			return -1;
		if (st->index && index_probe(conn, st->index, &is, r))
			return -1;
		if (is == INDEX_VALID)
			return 0;
		if (is == INDEX_INVALID && drop_invalid(conn, st->index, r))
			return -1;
		if (!run(conn, st->sql, r)) {
			clear_error(r);
			return 0;
		}
		/* the step that was running when the run was interrupted may
		 * have committed before it: what it adds is there already */
		if (interrupted && (!strcmp(r->sqlstate, "42710") || !strcmp(r->sqlstate, "42P07"))) {
			clear_error(r);
			return 0;
		}
		if (!lock_timed_out(r) || *tries >= tries_of(o) || stop_requested(o, r))
			return -1;
		pause_ms(wait);
		wait *= 2;
	}
}

static int session_timeouts(PGconn *conn, const struct pg_exec_opts *o, struct pg_exec_result *r)
{
	char sql[128];
	int lock = o->lock_timeout_ms > 0 ? o->lock_timeout_ms : PG_DEFAULT_LOCK_TIMEOUT_MS;
	snprintf(sql, sizeof(sql), "SET lock_timeout = %d; SET statement_timeout = %d", lock,
		 o->statement_timeout_ms > 0 ? o->statement_timeout_ms : 0);
	return run(conn, sql, r);
}

int pg_run_outside(struct pg_conn *c, const struct plan *p, size_t first, bool resuming,
		   const struct pg_exec_opts *o, struct pg_exec_result *r)
{
	PGconn *conn = c->conn;
	r->ok = false;
	int rc = session_timeouts(conn, o, r) ? REG_EIO : 0;
	for (size_t k = first; k <= p->n && !rc; k++) {
		const struct plan_step *st = &p->steps[k - 1];
		int tries = 0;
		if (!st->outside_tx)
			continue;
		if (o->progress)
			o->progress(o->ctx, k, p->n);
		int src = outside_step(conn, st, resuming && k == first, o, r, &tries);
		if (o->step_done && o->step_done(o->ctx, k, tries, !src, r->error.buf) && !src) {
			sbuf_adds(&r->error, "cannot record the step");
			src = -1;
		}
		if (src) {
			r->failed_step = k;
			rc = REG_EIO;
			break;
		}
		r->completed = k;
	}
	if (!rc)
		r->ok = true;
	if (PQstatus(conn) == CONNECTION_OK)
		unlock_all(conn);
	else
		r->connection_lost = true;
	if (rc && !r->error.len)
		sbuf_adds(&r->error, "out of memory");
	return rc;
}

int pg_lock_runs(struct pg_conn *c, struct pg_exec_result *r)
{
	bool got = false;
	if (reconnect(c->conn, r) || advisory(c->conn, "pg_try_advisory_lock", &got, r))
		return REG_EIO;
	if (got)
		return 0;
	r->busy = true;
	sbuf_adds(&r->error, "another migration is running on this database (advisory lock held)");
	return REG_EBUSY;
}

/* The holders of the runs' advisory lock: (classid, objid) are the key's
 * high and low 32 bits, objsubid 1 a bigint key. */
static const char q_cancel_runs[] =
	"SELECT l.pid, pg_cancel_backend(l.pid) FROM pg_locks l "
	"WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
	"AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.pid <> pg_backend_pid() "
	"AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

int pg_cancel_runs(struct pg_conn *c, int wait_ms, int *n, struct sbuf *err)
{
	char hi[32], lo[32];
	snprintf(hi, sizeof(hi), "%llu", (unsigned long long)PG_ADVISORY_KEY >> 32);
	snprintf(lo, sizeof(lo), "%llu", (unsigned long long)PG_ADVISORY_KEY & 0xffffffffULL);
	const char *v[] = { hi, lo };
	*n = 0;
	/* again until the lock is free: a cancel that lands between two
	 * statements (a retry's pause) cancels nothing */
	for (int waited = 0;; waited += 100) {
		PGresult *res = PQexecParams(c->conn, q_cancel_runs, 2, NULL, v, NULL, NULL, 0);
		if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
			sbuf_adds(err, "cannot cancel: ");
			sbuf_adds(err, PQerrorMessage(c->conn));
			PQclear(res);
			return REG_EIO;
		}
		int rows = PQntuples(res);
		PQclear(res);
		if (!waited)
			*n = rows;
		if (!rows || waited >= wait_ms)
			return 0;
		pause_ms(100);
	}
}

int pg_run_committed(struct pg_conn *c, const char *run_token)
{
	if (PQstatus(c->conn) != CONNECTION_OK) {
		PQreset(c->conn);
		if (PQstatus(c->conn) != CONNECTION_OK)
			return REG_EIO;
		PQsetNoticeProcessor(c->conn, quiet, NULL);
	}
	const char *v[] = { run_token };
	PGresult *res = PQexecParams(c->conn,
				     "SELECT count(*) FROM pg_class c WHERE " IN_SCHEMA
				     " AND c.relname = 'schemafs_migrations'",
				     0, NULL, NULL, NULL, NULL, 0);
	int rc = REG_EIO;
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		goto out;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = PQexecParams(c->conn, "SELECT 1 FROM schemafs_migrations WHERE run = $1", 1, NULL,
			   v, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = PQntuples(res) > 0;
out:
	PQclear(res);
	return rc;
}
