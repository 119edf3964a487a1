/*
 * migrate: the seed's MigrationCoordinator over the SQLite store and a
 * PostgreSQL target -- plan (plan_migration), check (validate_migration:
 * registry validation, pending SQL, lint, dry run), impact, apply
 * (execute_migration), rollback (rollback_migration), status, log.
 *
 * Every command reads the registry and migrations/pending/ from the store
 * afresh and opens its own connection to the target (registry.yaml's
 * target, or the --target override, else libpq's environment), so the
 * CLI and the mount behave the same and see each other's changes.
 *
 * Return values of the commands (and of migrate_check_run, migrate_json,
 * migrate_verify, migrate_baseline below): 0 done; REG_EIO the command failed or was
 * refused (out says why, and status for apply/rollback); REG_EBUSY another
 * apply/rollback is running (in this process, or anywhere on the target:
 * advisory lock); REG_ENOMEM. migrate_command also returns REG_EINVAL for
 * a command it does not know.
 *
 * Thread safety: one struct migrate may be shared by threads (the mount);
 * apply and rollback exclude each other, everything else runs alongside,
 * and migrate_state() shows the progress of a running one.
 */
#ifndef SCHEMAFS_MIGRATE_H
#define SCHEMAFS_MIGRATE_H

#include <stdbool.h>

#include "diag.h"
#include "sbuf.h"
#include "store.h"

/* The store's file namespace of pending scripts ("users.sql",
 * "users.down.sql"), and of archived ones: "applied/<run id>". */
#define MIGRATE_PENDING_KIND "pending"
#define MIGRATE_APPLIED_KIND "applied"

struct migrate;

#define MIGRATE_CHECK_STATEMENT_TIMEOUT_MS 5000

struct migrate_opts {
	const char *target;   /* overrides registry.yaml's target; NULL: use it */
	int lock_timeout_ms;  /* 0: $SCHEMAFS_LOCK_TIMEOUT (ms), else 5000 */
	/* apply/rollback/resume; 0: $SCHEMAFS_STATEMENT_TIMEOUT (ms), else
	 * none. check's dry run: the same when set, else
	 * MIGRATE_CHECK_STATEMENT_TIMEOUT_MS. */
	int statement_timeout_ms;
	bool force;           /* apply even when the history was tampered with */
};

/* st is borrowed and must outlive m. */
int migrate_new(struct store *st, const struct migrate_opts *o, struct migrate **out);
void migrate_free(struct migrate *m);

int migrate_plan(struct migrate *m, struct sbuf *out);
/* Problems one per line (file:line:col: severity: message), then a
 * "dry run: ..." line. REG_EIO when there is any error. */
int migrate_check(struct migrate *m, struct sbuf *out);
int migrate_impact(struct migrate *m, struct sbuf *out);
int migrate_apply(struct migrate *m, struct sbuf *out);
int migrate_rollback(struct migrate *m, struct sbuf *out);
/* What rollback would do, nothing run or recorded: the run it would undo,
 * each touched table's registry fate and the reverse plan (plan_render's
 * format); REG_EIO with why when rollback would be refused. */
int migrate_rollback_plan(struct migrate *m, struct sbuf *out);
/* Continues the newest apply or rollback whose steps outside the
 * transaction did not all run (interrupted, failed, cancelled, or killed),
 * from its first step not done. "nothing to resume" is success. */
int migrate_resume(struct migrate *m, struct sbuf *out);
/* Cancels the running apply/rollback/resume -- in this process or any
 * other on the target (pg_cancel_backend of the advisory lock's holder) --
 * and returns once it stopped (at most ~10 s). */
int migrate_cancel(struct migrate *m, struct sbuf *out);
/* The last run (runs.h status format), or "no runs yet\n". */
int migrate_status(struct migrate *m, struct sbuf *out);
/* Every run, oldest first, one line each. */
int migrate_log(struct migrate *m, struct sbuf *out);
/* The control file: "idle\n" or "running apply: step k of n: ...\n",
 * then "last: ..." for the last run. */
int migrate_state(struct migrate *m, struct sbuf *out);
/* One command word (surrounding blanks ignored): plan, check, impact,
 * apply, rollback, rollback-plan, resume, cancel, baseline. */
int migrate_command(struct migrate *m, const char *cmd, size_t len, struct sbuf *out);

/* ---- check with options, JSON ---- */

struct migrate_check_opts {
	/* No database: plan against the registry of the last applied run
	 * (its snapshot in the store), else against an empty database, and
	 * lint what that plan and the pending scripts would run. */
	bool offline;
	/* Warnings fail the check too (registry.yaml lint: {strict: true}
	 * does the same). */
	bool strict;
};

/* What a check found. Owns everything; _init/_release. */
struct migrate_check_result {
	struct diags diags;     /* every problem, sorted by place */
	struct sbuf summary;    /* "dry run: ..." or "offline: ..." lines */
	const char *baseline;   /* "live", "run" (offline, a snapshot), "empty" */
	long long baseline_run; /* the run whose snapshot was the baseline */
	size_t steps;           /* of the plan checked */
	bool strict;            /* asked, or registry.yaml's */
	bool failed;            /* errors, or warnings when strict */
	struct sbuf error;      /* why the check could not run ("" when it ran) */
};
void migrate_check_result_init(struct migrate_check_result *r);
void migrate_check_result_release(struct migrate_check_result *r);
/* Runs the check (o NULL: online, strictness from registry.yaml). 0 when
 * it ran and passed; REG_EIO when it failed (r->failed) or could not run
 * (r->error); REG_ENOMEM. */
int migrate_check_run(struct migrate *m, const struct migrate_check_opts *o,
		      struct migrate_check_result *r);
/* As migrate_check prints it. Returns sbuf_error(out). */
int migrate_check_render(const struct migrate_check_result *r, struct sbuf *out);
/* {"ok", "strict", "baseline", "baseline_run", "steps", "errors",
 * "warnings", "diagnostics": [{file, line, col, severity, message}],
 * "summary"}, or {"error": ...} when it could not run. */
int migrate_check_render_json(const struct migrate_check_result *r, struct sbuf *out);

/*
 * JSON of a command: what is "plan", "check", "impact", "status" or
 * "log". Always one JSON document in out: on failure {"error": "..."},
 * with the same message (no newline) in err, and REG_EIO (REG_ENOMEM,
 * REG_EINVAL for an unknown what). The return values of the text forms
 * otherwise.
 */
int migrate_json(struct migrate *m, const char *what, struct sbuf *out, struct sbuf *err);

/* ---- the history in the target ---- */

/* Verifies the target's schemafs_migrations against the store's record of
 * runs: a row whose SQL no longer matches its checksum, a recorded run
 * whose row is gone, a row whose kind or step count differs. One line per
 * problem in out ("run 3 (run-3-...): ..."); 0 when it is intact,
 * REG_ESTATE with the lines when not, REG_EIO when it cannot be verified
 * (the target cannot be reached: out says why). check and log show these, apply refuses on them unless
 * migrate_opts.force. */
int migrate_verify(struct migrate *m, struct sbuf *out);
/* Marks the target as applied at the current registry without running
 * anything: a run of kind "baseline" in the target's history and in the
 * store (its snapshot is what the next offline check plans from).
 * Refused (REG_EIO, out says why) when the target already has runs. */
int migrate_baseline(struct migrate *m, struct sbuf *out);

/* "users.sql" -> true, table "users"; "users.down.sql" -> false. A name
 * that is neither a pending script nor a down script is refused by the
 * mount. Writes the table name into table (size n). */
bool migrate_pending_name(const char *file, char *table, size_t n, bool *down);

#endif
