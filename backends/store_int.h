/*
 * store_int: what the files of the store share and nobody else needs
 * (tests reach the connection through it, libevdev's *-int.h way).
 *
 *  store.c          open (inspection, format, upgrade), errors, statements,
 *                   transactions and batches
 *  store_upgrade.c  the step from each older on-disk format to the next
 *  store_revs.c     revisions and what is current
 *  store_refusals.c the last refused write per file, as diagnostic rows
 *  store_files.c    small named files (pending scripts, archived runs)
 *  store_runs.c     migration runs and the tables each one touched
 *
 * Every function here expects the caller to hold the store's lock.
 */
#ifndef SCHEMAFS_STORE_INT_H
#define SCHEMAFS_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "store.h"

/*
 * Every statement the store runs, prepared once and kept: a save is then
 * a handful of sqlite3_step calls plus the WAL fsync, which is what lets it
 * stay close to a bare INSERT+COMMIT (bench/bench_store.c).
 */
enum store_stmt_id {
	S_BEGIN,
	S_COMMIT,
	S_ROLLBACK,
	S_SAVEPOINT,
	S_RELEASE,
	S_ROLLBACK_TO,
	S_INSERT_REV,
	S_SET_CURRENT,
	S_DEL_CURRENT,
	S_CURRENT_ALL,
	S_CURRENT_HEADS,
	S_CURRENT_ONE,
	S_GET_REV,
	S_HISTORY,
	S_HISTORY_NAMES,
	S_IS_EMPTY,
	S_DATA_VERSION,
	S_ADD_REFUSAL,
	S_CLEAR_REFUSED,
	S_REFUSALS,
	S_REFUSED_FILES,
	S_PUT_FILE,
	S_GET_FILE,
	S_LIST_FILES,
	S_DEL_FILE,
	S_RUN_ADD_TABLE,
	S_RUN_CLEAR_TABLES,
	S_RUN_TABLES,
	S_COUNT
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	pthread_mutex_t lock;
	bool in_batch;
	int64_t writes;    /* this handle's committed writes (store_data_version) */
	struct sbuf err;
	struct sbuf warning; /* from opening; empty when none (store_warning) */
	int64_t (*uid_source)(void); /* who saves (store_set_uid_source); NULL: getuid() */
};

/* The connection (tests only: backends go through store.h). */
sqlite3 *store_sqlite(struct store *st);

/* The one SQLite -> REG_E* mapping (store.h): 0 for SQLITE_OK/ROW/DONE.
 * Takes primary or extended codes. */
int store_map_sqlite(int rc);

/* The prepared statement id, or NULL with *rc set. */
sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id, int *rc);
/* Resets a statement after use (NULL is fine). */
void store_stmt_done(sqlite3_stmt *s);
/* Runs a statement that returns no rows. */
int store_exec_stmt(struct store *st, enum store_stmt_id id, const char *what);
/* Runs SQL text (schema changes); errors as store_fail. */
int store_exec_sql(struct store *st, const char *sql, const char *what);
/* Records "what: sqlite's message" and returns the mapped code (never 0). */
int store_fail(struct store *st, int rc, const char *what);
/* Records what; returns code. Takes the lock itself (argument checks run
 * before the caller locks). */
int store_fail_msg(struct store *st, int code, const char *what);

int store_bind_text(sqlite3_stmt *s, int i, const char *text);
/* A zero-length blob, not NULL, for empty files. */
int store_bind_bytes(sqlite3_stmt *s, int i, const char *bytes, size_t len);
/* Column i as a malloc'd NUL-terminated copy; *len (may be NULL) its size. */
char *store_column_dup(sqlite3_stmt *s, int i, size_t *len);

/*
 * One write is one transaction. Inside a batch (or a transaction opened
 * on the connection otherwise) it is a savepoint instead, so a failed
 * write undoes only itself and the outer transaction decides.
 */
struct store_write {
	bool nested;
};
int store_write_begin(struct store *st, struct store_write *w, const char *what);
/* Commits when err is 0, else rolls back and returns err. */
int store_write_end(struct store *st, const struct store_write *w, int err, const char *what);

/*
 * Steps a bound query to its end, one array item of size bytes per row,
 * filled by row() (which leaves nothing allocated when it fails). On
 * failure every item made so far is released with release().
 */
int store_collect_rows(struct store *st, sqlite3_stmt *s, size_t size,
		       int (*row)(sqlite3_stmt *s, void *item), void (*release)(void *item),
		       void **out, size_t *n, const char *what);

/* Format 2's refusals: one row per diagnostic of a file's last refusal
 * (seq orders them; diag_file is where the diagnostic points, normally the
 * file itself). */
#define STORE_REFUSALS_V2 \
	"CREATE TABLE refusals (" \
	" file TEXT NOT NULL," \
	" seq INTEGER NOT NULL," \
	" diag_file TEXT NOT NULL," \
	" line INTEGER NOT NULL," \
	" col INTEGER NOT NULL," \
	" severity TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'note'))," \
	" message TEXT NOT NULL," \
	" created_at INTEGER NOT NULL," \
	" PRIMARY KEY (file, seq)) WITHOUT ROWID;"

/* store_runs.c: CREATE TABLE statements of format 2's run tables. */
int store_runs_schema(struct sbuf *sql);
/* store_upgrade.c: brings a file of format version from up to
 * STORE_FORMAT_VERSION, inside the caller's write transaction. */
int store_upgrade(struct store *st, int64_t from);

#endif
