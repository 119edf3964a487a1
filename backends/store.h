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
 */
#ifndef SCHEMAFS_STORE_H
#define SCHEMAFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct store;
struct sqlite3;

/* Creates the file (and its tables) when missing. On failure *out is NULL
 * and err holds "path: what is wrong". */
int store_open(const char *path, struct store **out, struct sbuf *err);
void store_close(struct store *st);
const char *store_errmsg(struct store *st);
/* The connection, for backends that keep their own tables (migration runs).
 * Callers must hold store_lock() while using it. */
struct sqlite3 *store_sqlite(struct store *st);
void store_lock(struct store *st);
void store_unlock(struct store *st);

/* True when nothing was ever stored (the first run imports the examples). */
int store_is_empty(struct store *st, bool *empty);

/* Group many puts in one transaction (import). Durable at commit. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);

/* A new accepted revision of schema name; it becomes current. */
int store_put_schema(struct store *st, const char *name, const char *bytes,
		     size_t len, int64_t *rev_out);
/* Unregisters name: it has no current revision any more; history stays. */
int store_delete_schema(struct store *st, const char *name);
/* Current revision of registry.yaml; NULL bytes when none. */
int store_put_meta(struct store *st, const char *bytes, size_t len);

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
/* Names that have any history (current or unregistered), sorted. */
int store_history_names(struct store *st, char ***names, size_t *n);
void store_names_free(char **names, size_t n);

/* The last refused write per file (file as in diagnostics, e.g.
 * "schemas/users.yaml"); cleared by the next accepted write of that file. */
int store_set_refused(struct store *st, const char *file, const char *message);
int store_clear_refused(struct store *st, const char *file);
struct store_refusal {
	char *file;
	char *message;
	int64_t time;
};
int store_refusals(struct store *st, struct store_refusal **out, size_t *n);
void store_refusals_free(struct store_refusal *r, size_t n);

#endif
