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
 * Return values of the commands: 0 done; REG_EIO the command failed or was
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
};

/* st is borrowed and must outlive m. */
int migrate_new(struct store *st, const struct migrate_opts *o, struct migrate **out);
void migrate_free(struct migrate *m);

int migrate_plan(struct migrate *m, struct sbuf *out);
int migrate_plan_json(struct migrate *m, struct sbuf *out);
/* Problems one per line (file:line:col: severity: message), then a
 * "dry run: ..." line. REG_EIO when there is any error. */
int migrate_check(struct migrate *m, struct sbuf *out);
int migrate_impact(struct migrate *m, struct sbuf *out);
int migrate_apply(struct migrate *m, struct sbuf *out);
int migrate_rollback(struct migrate *m, struct sbuf *out);
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
 * apply, rollback. */
int migrate_command(struct migrate *m, const char *cmd, size_t len, struct sbuf *out);

/* "users.sql" -> true, table "users"; "users.down.sql" -> false. A name
 * that is neither a pending script nor a down script is refused by the
 * mount. Writes the table name into table (size n). */
bool migrate_pending_name(const char *file, char *table, size_t n, bool *down);

#endif
