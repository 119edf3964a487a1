/*
 * migrate_int: what the files of the migration backend share.
 *
 *  migrate.c          the coordinator (options, busy flag), plan/impact,
 *                     status/log/control, the command words
 *  migrate_session.c  one command's view: registry, pending scripts,
 *                     connection, plan; the post-check of pending scripts
 *  migrate_check.c    check: static checks and the dry run
 *  migrate_run.c      recording a run; apply
 *  migrate_reconcile.c runs a dead process left "running", settled
 *  migrate_rollback.c rollback, as named steps
 *  migrate_render.c   a run as the status file, as a log line, as JSON
 *  migrate_offline.c  check without a database: the baseline as a plan_live
 *  migrate_history.c  the target's history verified; baseline
 */
#ifndef SCHEMAFS_MIGRATE_INT_H
#define SCHEMAFS_MIGRATE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include "migrate.h"
#include "pg.h"
#include "plan.h"
#include "regstore.h"
#include "registry.h"

struct migrate {
	struct store *st;
	char *target;        /* override, or NULL */
	int lock_timeout_ms;
	int statement_timeout_ms;       /* apply, rollback, resume: 0 none */
	int check_statement_timeout_ms; /* the dry run of check */
	pthread_mutex_t mu;  /* guards everything below */
	bool cancel;         /* a cancel was asked for the running apply/rollback */
	bool force;          /* apply on a tampered history */
	bool busy;
	const char *busy_kind;
	size_t step, nsteps;
	char step_what[512];
	int64_t running_id;  /* the record of the run in progress here, 0 before it has one */
	int64_t since;       /* when it was claimed (unix seconds) */
	const char *phase;   /* "preparing", "in the transaction", "committing", ... */
};

/* ---- migrate_session.c ---- */

struct session {
	struct migrate *m;
	struct reg_registry *reg;
	struct regstore *rs;         /* reg as loaded: the revision of each schema */
	struct diags diags;          /* everything check reports */
	struct sbuf target;          /* shown without password */
	struct pg_conn *pg;
	struct plan_live live;
	struct plan_pending pending; /* <table>.sql */
	struct store_file *files;    /* every pending file, downs included */
	size_t nfiles;
	struct plan plan;
	struct sbuf err;             /* why the session could not be prepared */
};

void session_init(struct session *s, struct migrate *m);
void session_release(struct session *s);
/* A store failure as the session's error: REG_EIO (or REG_ENOMEM). */
int session_store_failed(struct session *s, const char *what, int rc);
/* The registry as stored (validated into s->diags). */
int session_load_registry(struct session *s);
int session_connect(struct session *s);
/* migrations/pending/ into s->pending and s->files. */
int session_load_pending(struct session *s);
/* Registry, pending scripts and a connection. Validation problems are
 * diagnostics (s->diags), not failures; a failure (store, connection) is
 * in s->err. */
int session_prepare_offline(struct session *s);
/* The live target and the plan for reg into *out (released first), its
 * problems into d; inside a run's transaction when one is open, so the
 * plan is what will run. */
int session_plan(struct session *s, const struct reg_registry *reg,
		 const struct plan_pending *pending, const char *const *only, size_t nonly,
		 struct plan *out, struct diags *d);
/* prepare_offline, then the plan of the whole registry into s->plan. */
int session_prepare(struct session *s);
/* A session that could not be prepared: says why in out and fails. */
int session_prepare_failed(struct session *s, int rc, struct sbuf *out);

/* After the pending scripts ran (inside the run's transaction): notes
 * each table that does not match its declaration in reg. */
struct postcheck {
	const struct reg_registry *reg;
	const struct plan_pending *pending;
};
int session_post_check(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err);

/* ---- migrate_run.c ---- */

/* The busy flag: false when another apply or rollback runs. */
bool run_claim(struct migrate *m, const char *kind);
void run_unclaim(struct migrate *m);
/* What the run in progress is doing, for status and control. */
void run_phase(struct migrate *m, const char *phase);
int run_set_str(char **dst, const char *s);
/* Inserts rec (kind) as running, with its token, durably: call it once the
 * target is reachable (a run that never reached a database is not
 * recorded) and before pg_begin. */
int run_start(struct migrate *m, struct store_run *rec, const char *kind);
/* run_start's failure said in out: REG_EIO (or REG_ENOMEM). */
int run_start_failed(struct migrate *m, const char *kind, int rc, struct sbuf *out);
/* "applied/<id>" into buf: where a run's pending scripts are archived. */
int run_applied_kind(int64_t id, char *buf, size_t n);
/* Removes the copies of the pending scripts of run id (it did not commit). */
int run_unstage(struct migrate *m, int64_t id);
int run_names(const struct strlist *in, struct strlist *out);
/* "users=12 policies=7" for the touched schemas (recorded in the target). */
int run_revisions_text(const struct session *s, const struct plan *p, struct sbuf *out);
/* The options every run executes with: timeouts, retries, progress, the
 * per-step records of the steps outside the transaction, cancel. ctx must
 * point to a struct run_progress that lives as long as the run. */
struct run_progress {
	struct migrate *m;
	const struct plan *plan;
	const struct postcheck *pc;
	struct store_run *rec;   /* the run's record (its id: its step records) */
};
struct pg_exec_opts run_exec_opts(struct run_progress *pr, const char *kind, const char *token,
				  const char *revisions);
/* migrate_resume.c: the newest apply or rollback other than run `exclude`
 * when it is "incomplete" or "running" (it may need resuming); *found
 * false otherwise. */
int run_last_unfinished(struct migrate *m, int64_t exclude, struct store_run *rec, bool *found);
/* Whether run has steps outside its transaction that are not done. */
int run_steps_left(struct migrate *m, int64_t run, bool *left);
/* The steps outside the transaction of a run, as status shows them. */
int run_render_steps(struct migrate *m, const struct store_run *rec, struct sbuf *out);
/* Runs p (begun with pg_begin) and fills the record's outcome fields. */
int run_execute(struct session *s, struct store_run *rec, const struct plan *p,
		const char *kind, const char *revisions, const struct postcheck *pc,
		struct pg_exec_result *r);
/* What a run's pg_begin/pg_finish did, into its record. */
int run_record_outcome(struct session *s, struct store_run *rec, const struct plan *p,
		       struct pg_exec_result *r);
int run_finish(struct migrate *m, struct store_run *rec);
/* Records rec as refused (why), says so in out: REG_EIO. */
int run_refuse(struct session *s, struct store_run *rec, const char *why, struct sbuf *out);
/* A failed rec (error: s->err), recorded and said in out: REG_EIO. */
int run_failed(struct session *s, struct store_run *rec, struct sbuf *out);
int run_report(const struct store_run *rec, struct sbuf *out);
/* A run that did not succeed, recorded and reported: REG_EBUSY when another
 * run held the lock, else REG_EIO (or the error of recording it). */
int run_report_unsuccessful(struct migrate *m, struct store_run *rec, bool busy,
			    struct sbuf *out);
/* Any failure that is not out of memory or busy is REG_EIO. */
int run_status(int rc);

/* The registry as this session loaded it: "name\trevision\n" per schema. */
int run_snapshot_text(const struct session *s, char **out);

/* ---- migrate_reconcile.c ---- */

/* Runs left "running" by a process that died (not the one in progress
 * here, nor one whose steps outside the transaction wait for resume),
 * settled against the target's schemafs_migrations: its token there ->
 * "succeeded" (the pending scripts archived, a rollback's registry
 * restored, as the run would have), absent -> "failed: interrupted before
 * commit, nothing changed". Nothing to settle: no connection is made. The
 * target unreachable, or another run holding its lock: left as they are.
 * One line per run settled into out. 0, or REG_ENOMEM. */
int migrate_reconcile(struct migrate *m, struct sbuf *out);
/* The same for one record r, in memory even when the store cannot be
 * written (a read-only status); *settled true when it was decided. */
int reconcile_run(struct migrate *m, struct store_run *r, bool *settled);

/* ---- migrate_offline.c ---- */

/* The database the offline check plans against, into res->baseline and
 * *live (zeroed by the caller): the schemas of the newest applied run's
 * snapshot, else nothing. */
int offline_live(struct session *s, struct plan_live *live, struct migrate_check_result *res);
/* Quoting without a connection (PostgreSQL's rules, for lint only). */
struct plan_quoter offline_quoter(void);

/* ---- migrate_history.c ---- */

/* s connected, inside the run's transaction: one line per problem of the
 * history into out (see migrate_verify); the count into *problems. */
int history_verify(struct session *s, struct sbuf *out, size_t *problems);
/* apply's guard, after pg_begin: refuses rec (run_refuse, REG_EIO) on a
 * tampered history unless the coordinator was told --force. */
int history_guard(struct session *s, struct store_run *rec, struct sbuf *out);

/* ---- migrate_render.c ---- */

/* The status file: one "key: value" per line. */
int migrate_render_status(const struct store_run *r, struct sbuf *out);
/* One line per run: "id\tkind\tstate\tstarted\tsteps\tsummary". */
int migrate_render_log_line(const struct store_run *r, struct sbuf *out);
/* A run as one JSON object (the status fields). */
struct jsonw;
void migrate_render_run_json(const struct store_run *r, struct jsonw *w);

#endif
