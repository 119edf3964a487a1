/*
 * store: all schemafs state in one SQLite file.
 *
 * What is kept: the accepted bytes of every schema and of registry.yaml,
 * every revision ever accepted (history survives unregistering), and the
 * last refused write per file. Every write is its own transaction in WAL
 * mode with synchronous=FULL, so when a store_put_* call returns 0 the
 * revision survives a crash of the process and of the machine.
 *
 * Opening is careful: a file that is not a SQLite database, is corrupt, or
 * is some other program's database (application_id) is refused with a
 * clear message and never written to.
 *
 * Thread safety: one struct store may be used from several threads; calls
 * are serialised by an internal mutex.
 *
 * Errors: functions return 0 or a negative REG_E* code (diag.h); the last
 * error message is available from store_errmsg() (copied, per store).
 * SQLite statuses map once, here: busy/locked -> REG_EBUSY, out of memory
 * -> REG_ENOMEM, everything else (I/O, full disk, corruption) -> REG_EIO.
 * A name that cannot be stored (NULL or empty) is REG_EINVAL.
 *
 * On-disk format (docs/store.md): PRAGMA application_id 0x53636846
 * ("ScHF") marks the file as ours, PRAGMA user_version is the format
 * version (STORE_FORMAT_VERSION); a newer format is refused, not guessed.
 * Tables: revisions, current, refusals, files, migration_runs,
 * run_tables. Format 3 added revisions.uid (who saved each revision). An older format is upgraded when the file is opened, in one
 * transaction (store_upgrade.c).
 *
 * The files: store.c (open, format, transactions), store_revs.c,
 * store_refusals.c, store_files.c, store_runs.c; store_int.h is what they
 * share (and what tests reach).
 */
#ifndef SCHEMAFS_STORE_H
#define SCHEMAFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "sbuf.h"
#include "strlist.h"

struct store;

#define STORE_APPLICATION_ID 0x53636846 /* "ScHF" */
#define STORE_FORMAT_VERSION 3

/* Creates the file (its parent directories, mode 0700, and its tables)
 * when missing. An existing file is first inspected read-only and refused
 * unless it is an empty database or ours: then err holds
 * "path: not a schemafs database (why)" and the file is untouched. On
 * failure *out is NULL and err holds "path: what is wrong". The WAL
 * (PATH-wal) is kept when the store closes, so that saves overwrite it in
 * place instead of growing it again after every open. */
int store_open(const char *path, struct store **out, struct sbuf *err);
/*
 * How a store is opened. STORE_OPEN_WRITE is store_open: a missing file is
 * created, mode 0600 (and so are its -wal and -shm, which SQLite gives the
 * database's mode), an older format upgraded. STORE_OPEN_READ is for
 * commands that only read (migrate status, log): a missing file is
 * REG_ENOENT ("path: no database (nothing stored yet)") and nothing is
 * created; an older format or an uninitialised file is REG_ESTATE (a
 * writing command upgrades it); every write fails.
 */
enum store_open_mode { STORE_OPEN_WRITE, STORE_OPEN_READ };
int store_open_mode(const char *path, enum store_open_mode mode, struct store **out,
		    struct sbuf *err);
/* What opening found worth a warning, NULL when nothing: an existing
 * database other users can read or write ("path: readable by other users
 * (mode 0644): it holds every schema and refusal; chmod 600 path"). The
 * file is left as it is; callers print this. */
const char *store_warning(const struct store *st);
void store_close(struct store *st);
/* The message of the last failed call; valid until the next call. Threads
 * that share a store read it under store_lock(). */
const char *store_errmsg(struct store *st);
/* The store's lock, for callers that read store_errmsg() from several
 * threads. Recursive: store_* calls made while holding it are fine. */
void store_lock(struct store *st);
void store_unlock(struct store *st);

/* True when nothing was ever stored (the first run imports the examples). */
int store_is_empty(struct store *st, bool *empty);

/* Group many puts in one transaction (import). Durable at commit.
 * store_begin takes the store's lock and keeps it until store_commit or
 * store_rollback, so other threads wait rather than join the batch; call
 * all three from the same thread. A failed put inside the batch undoes only
 * itself (savepoint); store_commit failing leaves nothing of the batch.
 * REG_ESTATE when a batch is already open. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* A new accepted revision of schema name; it becomes current. Always a new
 * revision, even when bytes equal the current ones (callers that want
 * idempotence compare first, as import does). Bytes are stored as given,
 * byte-exact; they are copied. rev_out may be NULL. Outside a batch the
 * call is one transaction, durable when it returns 0. */
int store_put_schema(struct store *st, const char *name, const char *bytes,
		     size_t len, int64_t *rev_out);
/* Unregisters name: it has no current revision any more; history stays.
 * REG_ENOENT when name is not registered. */
int store_delete_schema(struct store *st, const char *name);
/* Makes revision id (an earlier revision of name) current again without a
 * new revision: an unregistration taken back (docs/mount.md, the grace
 * period). REG_EEXIST when name is current again meanwhile (another
 * process saved it): nothing changes then. */
int store_restore_schema(struct store *st, const char *name, int64_t id);
/* A new revision of registry.yaml, which becomes current. bytes NULL
 * removes registry.yaml (no current revision; history stays). */
int store_put_meta(struct store *st, const char *bytes, size_t len);

/* A revision filled by the store_get_* calls belongs to the caller, who
 * frees it with store_rev_release (arrays: store_revs_free). */
struct store_rev {
	int64_t id;        /* increasing over the whole store */
	char *name;        /* schema name ("" for registry.yaml) */
	char *bytes;       /* owned, NUL-terminated for convenience */
	size_t len;
	int64_t time;      /* unix seconds when accepted */
	int64_t uid;       /* the user who saved it; -1 unknown (saved before format 3) */
};
void store_rev_release(struct store_rev *r);
/* Who saves the revisions put from now on: who() is asked at every put
 * (the mount answers with the uid of the FUSE request being served).
 * Default, and when who is NULL: the process's uid (getuid). */
void store_set_uid_source(struct store *st, int64_t (*who)(void));
void store_revs_free(struct store_rev *revs, size_t n);

/* Every current schema, sorted by name. Caller frees with store_revs_free. */
int store_current(struct store *st, struct store_rev **revs, size_t *n);
/* The same without the bytes (bytes is "", len 0): id, name and time of
 * every current schema, for comparing with what is loaded. */
int store_current_heads(struct store *st, struct store_rev **revs, size_t *n);
/* Current registry.yaml; *found false when none. */
int store_get_meta(struct store *st, struct store_rev *rev, bool *found);
/* Every accepted revision of name, oldest first (empty when never existed). */
int store_history(struct store *st, const char *name, struct store_rev **revs, size_t *n);
/* Names that have any history (current or unregistered), sorted. Caller
 * frees with store_names_free. */
int store_history_names(struct store *st, char ***names, size_t *n);
void store_names_free(char **names, size_t n);

/* Current bytes of one schema; *found false (rev zeroed) when none. */
int store_get_schema(struct store *st, const char *name, struct store_rev *rev,
		     bool *found);
/* One revision by id, current or not, schema or registry.yaml; *found
 * false when no such id. */
int store_get_rev(struct store *st, int64_t id, struct store_rev *rev, bool *found);

/* Cheap checks for caches built from the store (no table is read). */
/* A number that changes whenever another connection (another process:
 * an import while the mount runs) commits to the file; this handle's own
 * writes do not change it. */
int store_data_version(struct store *st, int64_t *version);
/* How many writes this handle has committed (it only grows): with
 * store_data_version, a cache knows whether anything changed at all. */
int64_t store_writes(struct store *st);

/*
 * The last refused write per file (file as in diagnostics, e.g.
 * "schemas/users.yaml"): its diagnostics, one row each (file, line, col,
 * severity, message), replacing any earlier refusal of file. d must hold
 * at least one diagnostic (REG_EINVAL). The caller clears it when it
 * accepts a write of that file (the store does not map names to files);
 * store_begin/put/clear/commit makes both one transaction. Clearing a file
 * with no refusal is not an error.
 */
int store_set_refused(struct store *st, const char *file, const struct diags *d);
int store_clear_refused(struct store *st, const char *file);
/* Appends every refusal's diagnostics to out, by file, in stored order. */
int store_refusals(struct store *st, struct diags *out);
/* Appends the files that have a refusal to out, sorted. */
int store_refused_files(struct store *st, struct strlist *out);

/*
 * Small named files that are not schemas (migrations/pending/<name>.sql,
 * archived runs, ...): (kind, name) -> bytes, no history, last write wins.
 * kind is a namespace chosen by the caller ("pending", "applied/7", ...);
 * both kind and name must be non-empty. Each put/delete is durable when it
 * returns 0 (or at store_commit inside a batch, e.g. to archive pending
 * files in the same transaction as a run's record).
 */
struct store_file {
	char *kind;        /* owned */
	char *name;        /* owned */
	char *bytes;       /* owned, NUL-terminated for convenience */
	size_t len;
	int64_t time;      /* unix seconds of the last put */
};
void store_file_release(struct store_file *f);
void store_files_free(struct store_file *files, size_t n);
/* Creates or replaces (kind, name). */
int store_put_file(struct store *st, const char *kind, const char *name,
		   const char *bytes, size_t len);
/* *found false (f zeroed) when there is no such file. */
int store_get_file(struct store *st, const char *kind, const char *name,
		   struct store_file *f, bool *found);
/* Every file of kind, sorted by name, with its bytes. Free with
 * store_files_free. */
int store_list_files(struct store *st, const char *kind, struct store_file **files,
		     size_t *n);
/* REG_ENOENT when there is no such file. */
int store_delete_file(struct store *st, const char *kind, const char *name);

/*
 * Migration runs (the migrate backend's record). The target database keeps
 * its own history (pg.h); this one also remembers refused and failed runs,
 * the registry snapshot a run applied (so that rollback knows what
 * "before" was) and what status/log show. A run is inserted as "running"
 * when it starts and updated when it ends, so a crash leaves a visible
 * "running" row. The tables a run touched and created are rows of their
 * own (run_tables).
 *
 * Memory: a struct store_run owns its strings (NULL when unset) and lists;
 * store_run_release frees them.
 */
struct store_run {
	int64_t id;
	char *kind;        /* "apply", "rollback", "check" */
	char *state;       /* "running", "succeeded", "failed", "refused", "busy" */
	int64_t started;   /* unix seconds */
	int64_t finished;  /* 0 while running */
	char *target;      /* shown without password */
	char *token;       /* unique run token, also in the target's history */
	int64_t nsteps;
	int64_t completed; /* steps that ran (then were rolled back, on failure) */
	int64_t failed_step;   /* 1-based, 0 none */
	char *failed_what; /* "users: add column 'x'" */
	char *error;       /* PostgreSQL's message / why it was refused */
	char *sqlstate;
	char *outcome;     /* what happened to the database, in words */
	char *plan;        /* the plan as rendered */
	char *snapshot;    /* registry after the run: "name\trevision\n" per schema */
	struct strlist touched; /* the tables the run changed */
	struct strlist created; /* the tables the run created */
	char *irreversible;/* steps that cannot be undone, one per line */
	char *notes;       /* warnings (post-checks of pending scripts) */
	char *archived;    /* pending files archived, one per line */
	int64_t undoes;    /* a rollback: the run it undid */
	int64_t undone_by; /* an apply: the rollback that undid it */
};

void store_run_release(struct store_run *r);
/* Inserts r (state "running" unless set) and sets r->id. */
int store_run_insert(struct store *st, struct store_run *r);
/* Writes every field of r over the run r->id; REG_ENOENT when none. */
int store_run_update(struct store *st, const struct store_run *r);
/* The newest run of any kind. */
int store_run_last(struct store *st, struct store_run *r, bool *found);
/* The newest succeeded apply with id < before (0: any) that no rollback
 * undid: what rollback undoes, and what it restores. */
int store_run_last_applied(struct store *st, int64_t before, struct store_run *r, bool *found);
/* Every run, oldest first. Free with store_run_list_free. */
int store_run_list(struct store *st, struct store_run **v, size_t *n);
void store_run_list_free(struct store_run *v, size_t n);

/*
 * The steps of a run that run outside its transaction (docs/migrations.md,
 * "Phases"), one record each, so that an interrupted run can be resumed
 * from the first step not done and status can say exactly which ran. Kept
 * as files of kind "run-steps/<run id>" (no format change); each update is
 * durable when it returns 0.
 */
struct store_run_step {
	int64_t step;      /* 1-based, in the run's plan */
	char *state;       /* "pending", "done", "failed" */
	int64_t attempts;  /* tries so far (lock timeouts are tried again) */
	int64_t finished;  /* unix seconds of the last try, 0 none */
	int64_t kind;      /* enum plan_step_kind */
	char *schema;
	char *what;
	char *sql;
	char *index;       /* the index a CONCURRENTLY build creates, or NULL */
	char *error;       /* the last try's error, or NULL */
};
void store_run_step_release(struct store_run_step *s);
void store_run_steps_free(struct store_run_step *v, size_t n);
/* Creates or replaces the record of step s of run. */
int store_run_step_put(struct store *st, int64_t run, const struct store_run_step *s);
/* Every step record of run, by step. */
int store_run_steps(struct store *st, int64_t run, struct store_run_step **v, size_t *n);

/* The revision id of schema name in a run's registry snapshot (the
 * "name\tid\n" lines of store_run.snapshot); 0 when absent. */
int64_t store_snapshot_rev(const char *snapshot, const char *name);

#endif
