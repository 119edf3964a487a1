/*
 * pg: the PostgreSQL side of migrations, on libpq.
 *
 *  - connect: from a libpq conninfo or "service=NAME" (registry.yaml's
 *    target, or --target), else libpq's environment (PGHOST, PGPORT, ...).
 *    Passwords never appear in anything this module prints or returns:
 *    targets are shown rebuilt from their parsed keywords without password,
 *    and libpq's parse errors lose their quoted fragments.
 *  - introspect: pg_catalog of the current schema (search_path's first) for
 *    the tables the registry manages (plus those schemafs created, from its
 *    schemafs_tables), in a fixed number of queries whatever the count.
 *  - execute: a plan in ONE transaction: SET LOCAL lock_timeout,
 *    pg_try_advisory_xact_lock (another run holding it -> busy, nothing
 *    done), every step, a row in schemafs_migrations (what ran, when, by
 *    which registry revisions, sha256 of the SQL), schemafs_tables updated,
 *    then COMMIT -- or ROLLBACK for a dry run. Any failure rolls everything
 *    back and names the step, PostgreSQL's message and SQLSTATE.
 *
 * A struct pg_conn is not thread-safe; use one per thread.
 */
#ifndef SCHEMAFS_PG_H
#define SCHEMAFS_PG_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"
#include "sbuf.h"

/* The key of the advisory lock that serialises runs across mounts and
 * processes (pg_try_advisory_xact_lock(bigint)): "schemafs" in ASCII. */
#define PG_ADVISORY_KEY 0x736368656d616673LL
#define PG_DEFAULT_LOCK_TIMEOUT_MS 5000

struct pg_conn;

/* conninfo NULL or "" means libpq's environment. On failure *out is NULL
 * and err holds "cannot connect to <target>: <libpq's reason>". */
int pg_connect(const char *conninfo, struct pg_conn **out, struct sbuf *err);
void pg_close(struct pg_conn *c);
/* "host=/run/pg port=5432 dbname=app user=me" without any password.
 * conninfo NULL/"" describes the libpq environment. */
int pg_target_display(const char *conninfo, struct sbuf *out);

/* Quoting with PQescapeIdentifier / PQescapeLiteral on this connection. */
struct plan_quoter pg_quoter(struct pg_conn *c);
/* The server's version number (150004), 0 when not connected: what lint
 * judges the plan against. */
int pg_server_version(const struct pg_conn *c);

/* Fills *out (which must be zeroed) for the tables named (plus those in
 * schemafs_tables, which also fill out->created). Sorted. */
int pg_introspect(struct pg_conn *c, char *const *names, size_t n, struct plan_live *out,
		  struct sbuf *err);

/* A step that waits longer than lock_timeout for a lock is tried again
 * after a pause, PG_LOCK_TRIES times in all, the pause doubling from
 * PG_LOCK_BACKOFF_MS (so 0.2 s, 0.4 s): a short wait behind a long query
 * must not fail the run, a lock held for good must not hang it. */
#define PG_LOCK_TRIES 3
#define PG_LOCK_BACKOFF_MS 200

struct pg_exec_opts {
	bool dry_run;                /* ROLLBACK instead of COMMIT, no history */
	int lock_timeout_ms;         /* 0: PG_DEFAULT_LOCK_TIMEOUT_MS */
	int statement_timeout_ms;    /* 0: none */
	int lock_tries;              /* 0: PG_LOCK_TRIES */
	const char *kind;            /* "apply" or "rollback": recorded */
	const char *run;             /* a unique token for this run: recorded */
	const char *revisions;       /* "users=12 policies=7": recorded */
	/* step k (1-based) of n is about to run */
	void (*progress)(void *ctx, size_t k, size_t n);
	/* after the last step, inside the transaction; a non-zero return fails
	 * the run (message in err) */
	int (*before_commit)(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err);
	/* the plan has steps outside the transaction: called before COMMIT
	 * (so they are on record before they can be run); non-zero fails
	 * the run, rolled back */
	int (*before_outside)(void *ctx);
	/* outside step k (1-based in the plan) is done after `attempts` tries,
	 * or failed (r->error); non-zero stops the run there */
	int (*step_done)(void *ctx, size_t k, int attempts, bool ok, const char *error);
	/* polled between tries and steps: true stops the run (cancel) */
	bool (*cancelled)(void *ctx);
	void *ctx;
};

struct pg_exec_result {
	bool ok;
	bool busy;              /* another run holds the advisory lock */
	size_t completed;       /* steps that ran before the end or the failure */
	size_t failed_step;     /* 1-based; 0 when the failure is not a step's */
	int position;           /* PostgreSQL's error position in that step's SQL (1-based chars), 0 */
	char sqlstate[6];
	struct sbuf error;      /* PostgreSQL's message, DETAIL and HINT lines */
	bool connection_lost;   /* the server went away: nothing was committed */
	bool commit_unknown;    /* lost during COMMIT: it may or may not have committed */
	struct sbuf notes;      /* what before_commit reported */
	bool committed;         /* the transactional phase committed */
	bool cancelled;         /* stopped by a cancel (query_canceled, or opts.cancelled) */
};
void pg_exec_result_init(struct pg_exec_result *r);
void pg_exec_result_release(struct pg_exec_result *r);

/*
 * A run is two calls, so that the plan can be computed from the catalog
 * as seen inside the run's own transaction (no other run can change it
 * between planning and executing):
 *  pg_begin: BEGIN, SET LOCAL lock_timeout, pg_try_advisory_xact_lock,
 *    the history tables (CREATE TABLE IF NOT EXISTS). REG_EBUSY when
 *    another run holds the lock (nothing done), REG_EIO on failure (res
 *    says what); either way no transaction is left open.
 *  pg_finish: every step, before_commit, then the history rows and COMMIT,
 *    or ROLLBACK for a dry run. 0 when the run did what was asked
 *    (res->ok); REG_EIO otherwise, with the transaction rolled back.
 *  pg_abort: ROLLBACK of a begun run that will not be finished.
 */
int pg_begin(struct pg_conn *c, int lock_timeout_ms, struct pg_exec_result *res);
int pg_finish(struct pg_conn *c, const struct plan *p, const struct pg_exec_opts *o,
	      struct pg_exec_result *res);
void pg_abort(struct pg_conn *c);

/*
 * The steps outside the transaction, from step `first` (1-based) of p on:
 * each on its own (autocommit), with lock_timeout/statement_timeout set for
 * the session, retried on lock timeouts; a step with an index first looks
 * it up in pg_index: valid means built already (skipped), invalid (what an
 * interrupted CONCURRENTLY build leaves) is dropped and built again. Under
 * the session-level advisory lock, which pg_finish takes before COMMIT and
 * which this releases at the end (a resume takes it with pg_lock_runs);
 * `resuming` tolerates "already exists" from the step that was
 * interrupted. 0 when every step ran (res->ok), else REG_EIO.
 */
int pg_run_outside(struct pg_conn *c, const struct plan *p, size_t first, bool resuming,
		   const struct pg_exec_opts *o, struct pg_exec_result *res);

/* The runs' advisory lock for this session (pg_run_outside releases it):
 * REG_EBUSY when another run holds it, REG_EIO when the server cannot be
 * reached (res says why). */
int pg_lock_runs(struct pg_conn *c, struct pg_exec_result *res);

/* Cancels the statement of every session that holds the runs' advisory
 * lock on this database (another process's apply), until none holds it or
 * wait_ms passed. *n: how many runs it found. */
int pg_cancel_runs(struct pg_conn *c, int wait_ms, int *n, struct sbuf *err);

/* Whether a run with this token committed (after commit_unknown): 1 yes,
 * 0 no, negative when it cannot be told (server still away). */
int pg_run_committed(struct pg_conn *c, const char *run);

/* ---- the target's history, as verified by check, apply and log ---- */

/* One row of schemafs_migrations. checksum_ok: sha256 of the recorded sql
 * is the recorded checksum, as pg_finish wrote them (false: either was
 * edited by hand). Strings owned by the row. */
struct pg_history_row {
	long long id;
	char *run;
	char *kind;
	char *applied_at;   /* as PostgreSQL prints timestamptz */
	long long steps;
	bool checksum_ok;
};
/* Every row of schemafs_migrations in the current schema, by id (none
 * when the table does not exist: *exists false). REG_EIO with err on
 * failure. Free with pg_history_free. */
int pg_history_read(struct pg_conn *c, struct pg_history_row **rows, size_t *n, bool *exists,
		    struct sbuf *err);
void pg_history_free(struct pg_history_row *rows, size_t n);

#endif
