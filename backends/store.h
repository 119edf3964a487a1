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
 * Tables: revisions, current, refusals, files. Other backends may add
 * their own tables (through store_sqlite()) to a file that is ours.
 */
#ifndef SCHEMAFS_STORE_H
#define SCHEMAFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct store;
struct sqlite3;

#define STORE_APPLICATION_ID 0x53636846 /* "ScHF" */
#define STORE_FORMAT_VERSION 1

/* Creates the file (its parent directories, mode 0700, and its tables)
 * when missing. An existing file is first inspected read-only and refused
 * unless it is an empty database or ours: then err holds
 * "path: not a schemafs database (why)" and the file is untouched. On
 * failure *out is NULL and err holds "path: what is wrong". The WAL
 * (PATH-wal) is kept when the store closes, so that saves overwrite it in
 * place instead of growing it again after every open. */
int store_open(const char *path, struct store **out, struct sbuf *err);
void store_close(struct store *st);
/* The message of the last failed call; valid until the next call. Threads
 * that share a store read it under store_lock(). */
const char *store_errmsg(struct store *st);
/* The connection, for backends that keep their own tables (migration runs).
 * Callers must hold store_lock() while using it. The lock is recursive:
 * store_* calls made while holding it are fine (and join an open batch). */
struct sqlite3 *store_sqlite(struct store *st);
void store_lock(struct store *st);
void store_unlock(struct store *st);
/* The one SQLite -> REG_E* mapping, for backends that run statements of
 * their own on store_sqlite(): 0 for SQLITE_OK/ROW/DONE, else as described
 * above. Takes primary or extended codes (the connection reports extended
 * ones). */
int store_map_sqlite(int rc);

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
};
void store_rev_release(struct store_rev *r);
void store_revs_free(struct store_rev *revs, size_t n);

/* Every current schema, sorted by name. Caller frees with store_revs_free. */
int store_current(struct store *st, struct store_rev **revs, size_t *n);
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

/* Cheap checks for the mount (one indexed lookup, no bytes copied). */
/* Current revision id of schema name; REG_ENOENT when not registered. */
int store_current_rev(struct store *st, const char *name, int64_t *rev);
/* The highest revision id ever given (0 for an empty store): it changes
 * with every put_schema/put_meta, from this process or another. */
int store_last_rev(struct store *st, int64_t *rev);
/* A number that changes whenever another connection (another process:
 * an import while the mount runs) commits to the file; this handle's own
 * writes do not change it. Compare with an earlier value to know whether
 * caches built from the store are stale. */
int store_data_version(struct store *st, int64_t *version);

/* The last refused write per file (file as in diagnostics, e.g.
 * "schemas/users.yaml"), replacing any earlier one. The caller clears it
 * when it accepts a write of that file (the store does not map names to
 * files); store_begin/put/clear/commit makes both one transaction.
 * Clearing a file with no refusal is not an error. Sorted by file. */
int store_set_refused(struct store *st, const char *file, const char *message);
int store_clear_refused(struct store *st, const char *file);
struct store_refusal {
	char *file;
	char *message;
	int64_t time;
};
/* Caller frees with store_refusals_free. */
int store_refusals(struct store *st, struct store_refusal **out, size_t *n);
void store_refusals_free(struct store_refusal *r, size_t n);

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

#endif
