#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"

/*
 * Every statement the store runs, prepared once and kept: a save is then
 * a handful of sqlite3_step calls plus the WAL fsync, which is what lets it
 * stay close to a bare INSERT+COMMIT (bench/bench_store.c).
 */
enum stmt_id {
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
	S_CURRENT_ONE,
	S_CURRENT_REV,
	S_LAST_REV,
	S_GET_REV,
	S_HISTORY,
	S_HISTORY_NAMES,
	S_IS_EMPTY,
	S_DATA_VERSION,
	S_SET_REFUSED,
	S_CLEAR_REFUSED,
	S_REFUSALS,
	S_PUT_FILE,
	S_GET_FILE,
	S_LIST_FILES,
	S_DEL_FILE,
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT store_put",
	[S_RELEASE] = "RELEASE store_put",
	[S_ROLLBACK_TO] = "ROLLBACK TO store_put",
	[S_INSERT_REV] = "INSERT INTO revisions(kind, name, bytes, created_at) "
			 "VALUES (?1, ?2, ?3, ?4)",
	[S_SET_CURRENT] = "INSERT INTO current(kind, name, revision) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT(kind, name) DO UPDATE SET revision = excluded.revision",
	[S_DEL_CURRENT] = "DELETE FROM current WHERE kind = ?1 AND name = ?2",
	[S_CURRENT_ALL] = "SELECT r.id, r.name, r.bytes, r.created_at "
			  "FROM current c JOIN revisions r ON r.id = c.revision "
			  "WHERE c.kind = ?1 ORDER BY c.name",
	[S_CURRENT_ONE] = "SELECT r.id, r.name, r.bytes, r.created_at "
			  "FROM current c JOIN revisions r ON r.id = c.revision "
			  "WHERE c.kind = ?1 AND c.name = ?2",
	[S_CURRENT_REV] = "SELECT revision FROM current WHERE kind = ?1 AND name = ?2",
	[S_LAST_REV] = "SELECT coalesce(max(id), 0) FROM revisions",
	[S_GET_REV] = "SELECT id, name, bytes, created_at FROM revisions WHERE id = ?1",
	[S_HISTORY] = "SELECT id, name, bytes, created_at FROM revisions "
		      "WHERE kind = ?1 AND name = ?2 ORDER BY id",
	[S_HISTORY_NAMES] = "SELECT DISTINCT name FROM revisions WHERE kind = ?1 ORDER BY name",
	[S_IS_EMPTY] = "SELECT NOT EXISTS (SELECT 1 FROM revisions)",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_SET_REFUSED] = "INSERT INTO refusals(file, message, created_at) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT(file) DO UPDATE SET message = excluded.message, "
			  "created_at = excluded.created_at",
	[S_CLEAR_REFUSED] = "DELETE FROM refusals WHERE file = ?1",
	[S_REFUSALS] = "SELECT file, message, created_at FROM refusals ORDER BY file",
	[S_PUT_FILE] = "INSERT INTO files(kind, name, bytes, updated_at) VALUES (?1, ?2, ?3, ?4) "
		       "ON CONFLICT(kind, name) DO UPDATE SET bytes = excluded.bytes, "
		       "updated_at = excluded.updated_at",
	[S_GET_FILE] = "SELECT kind, name, bytes, updated_at FROM files "
		       "WHERE kind = ?1 AND name = ?2",
	[S_LIST_FILES] = "SELECT kind, name, bytes, updated_at FROM files "
			 "WHERE kind = ?1 ORDER BY name",
	[S_DEL_FILE] = "DELETE FROM files WHERE kind = ?1 AND name = ?2",
};

/* Format version 1. Revisions are never deleted, so the rowid alias alone
 * gives ids that are never reused (an id names one revision forever, for
 * history/ and migration records) without AUTOINCREMENT's extra write to
 * sqlite_sequence on every save. */
static const char schema_v1[] =
	"CREATE TABLE revisions ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('schema', 'meta')),"
	" name TEXT NOT NULL,"
	" bytes BLOB NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE INDEX revisions_by_name ON revisions(kind, name, id);"
	"CREATE TABLE current ("
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" revision INTEGER NOT NULL REFERENCES revisions(id),"
	" PRIMARY KEY (kind, name)) WITHOUT ROWID;"
	"CREATE TABLE refusals ("
	" file TEXT PRIMARY KEY,"
	" message TEXT NOT NULL,"
	" created_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE files ("
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" bytes BLOB NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, name)) WITHOUT ROWID;";

static const char *const required_tables[] = {
	"revisions", "current", "refusals", "files", NULL
};

#define KIND_SCHEMA "schema"
#define KIND_META "meta"
#define META_NAME ""

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[S_COUNT];
	pthread_mutex_t lock;
	bool in_batch;
	struct sbuf err;
};

/* ---- errors ---------------------------------------------------------- */

int store_map_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_NOMEM:
		return REG_ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return REG_EBUSY;
	default:
		return REG_EIO;
	}
}

/* The code of a call that failed: never 0, whatever the status says. */
static int failure_code(int rc)
{
	int code = store_map_sqlite(rc);
	return code ? code : REG_EIO;
}

/* Records "what: sqlite's message" (copied now: sqlite3_errmsg is
 * overwritten by the next call) and returns the mapped code. */
static int fail(struct store *st, int rc, const char *what)
{
	sbuf_reset(&st->err);
	sbuf_addf(&st->err, "%s: %s", what,
		  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return failure_code(rc);
}

/* Also called before taking the lock (argument checks), so it locks. */
static int fail_msg(struct store *st, int code, const char *what)
{
	pthread_mutex_lock(&st->lock);
	sbuf_reset(&st->err);
	sbuf_adds(&st->err, what);
	pthread_mutex_unlock(&st->lock);
	return code;
}

/* ---- statements ------------------------------------------------------ */

static sqlite3_stmt *stmt(struct store *st, enum stmt_id id, int *rc)
{
	if (!st->stmt[id]) {
		*rc = sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					 &st->stmt[id], NULL);
		if (*rc != SQLITE_OK)
			return NULL;
	}
	*rc = SQLITE_OK;
	return st->stmt[id];
}

static void stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* Runs a statement that returns no rows. */
static int exec_stmt(struct store *st, enum stmt_id id, const char *what)
{
	int rc;
	sqlite3_stmt *s = stmt(st, id, &rc);
	if (!s)
		return fail(st, rc, what);
	rc = sqlite3_step(s);
	stmt_done(s);
	if (rc != SQLITE_DONE)
		return fail(st, rc, what);
	return 0;
}

static int bind_text(sqlite3_stmt *s, int i, const char *text)
{
	return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

/* A zero-length blob, not NULL, for empty files. */
static int bind_bytes(sqlite3_stmt *s, int i, const char *bytes, size_t len)
{
	if (len == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, bytes, len, SQLITE_STATIC);
}

static char *column_dup(sqlite3_stmt *s, int i, size_t *len)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	if (n)
		memcpy(out, p, n);
	out[n] = '\0';
	if (len)
		*len = n;
	return out;
}

/* ---- transactions ---------------------------------------------------- */

/*
 * One write is one transaction. Inside a batch (or a transaction another
 * backend opened through store_sqlite()) it is a savepoint instead, so a
 * failed put undoes only itself and the outer transaction decides.
 */
struct write {
	bool nested;
};

static int write_begin(struct store *st, struct write *w, const char *what)
{
	w->nested = st->in_batch || !sqlite3_get_autocommit(st->db);
	return exec_stmt(st, w->nested ? S_SAVEPOINT : S_BEGIN, what);
}

static void abandon(struct store *st, const struct write *w)
{
	struct sbuf keep = SBUF_INIT;
	sbuf_add(&keep, st->err.buf, st->err.len);
	if (w->nested) {
		exec_stmt(st, S_ROLLBACK_TO, "rollback");
		exec_stmt(st, S_RELEASE, "rollback");
	} else if (!sqlite3_get_autocommit(st->db)) {
		exec_stmt(st, S_ROLLBACK, "rollback");
	}
	/* the first error is the one worth reporting */
	sbuf_reset(&st->err);
	sbuf_add(&st->err, keep.buf, keep.len);
	sbuf_release(&keep);
}

/* Ends a write: commits when err is 0, else rolls back and returns err. */
static int write_end(struct store *st, const struct write *w, int err, const char *what)
{
	if (err) {
		abandon(st, w);
		return err;
	}
	int rc = exec_stmt(st, w->nested ? S_RELEASE : S_COMMIT, what);
	/* A failed COMMIT may leave the transaction open (busy) or rolled
	 * back (I/O error); either way nothing of it is kept. */
	if (rc)
		abandon(st, w);
	return rc;
}

/* ---- opening --------------------------------------------------------- */

/* mkdir -p of path's parent; private (0700) like other XDG data dirs. */
static int make_parent_dirs(const char *path, struct sbuf *err)
{
	char *dir = strdup(path);
	int rc = 0;
	if (!dir)
		return REG_ENOMEM;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		goto out;
	*slash = '\0';
	for (char *p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			sbuf_addf(err, "%s: cannot create directory '%s': %s", path, dir,
				  strerror(errno));
			rc = REG_EIO;
			goto out;
		}
		*p = c;
		if (c == '\0')
			break;
	}
out:
	free(dir);
	return rc;
}

static void fsync_parent_dir(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return;
	char *slash = strrchr(dir, '/');
	const char *d = ".";
	if (slash == dir)
		d = "/";
	else if (slash) {
		*slash = '\0';
		d = dir;
	}
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(s, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(s);
	return rc;
}

static bool is_known_table(const char *name)
{
	if (!strcmp(name, "sqlite_sequence"))
		return true;
	for (size_t i = 0; required_tables[i]; i++)
		if (!strcmp(name, required_tables[i]))
			return true;
	return false;
}

/*
 * The URI for the read-only look. A read-only connection to a WAL-mode
 * file still creates PATH-wal and PATH-shm; with no PATH-wal there is
 * nothing to recover, so immutable=1 reads the file alone and creates
 * nothing. With a PATH-wal (a crash, or another process has it open) the
 * WAL holds committed data and must be read, so the file is opened
 * normally. Characters with a meaning in URIs are percent-encoded.
 */
static char *inspect_uri(const char *path)
{
	struct sbuf uri = SBUF_INIT;
	struct sbuf wal = SBUF_INIT;
	struct stat sb;
	int rc = sbuf_addf(&wal, "%s-wal", path);
	bool has_wal = rc == 0 && stat(wal.buf, &sb) == 0;
	sbuf_release(&wal);
	/* "file:///abs" for absolute paths: "file://x" would name a host */
	rc |= sbuf_adds(&uri, path[0] == '/' ? "file://" : "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p && !rc; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
			rc = sbuf_addf(&uri, "%%%02X", *p);
		else
			rc = sbuf_addch(&uri, (char)*p);
	}
	if (!rc && !has_wal)
		rc = sbuf_adds(&uri, "?immutable=1");
	if (rc) {
		sbuf_release(&uri);
		return NULL;
	}
	return sbuf_detach(&uri, NULL);
}

/* SQLite's reasons may span lines (quick_check); a message is one line. */
static void add_reason(struct sbuf *why, int rc, const char *text)
{
	if ((rc & 0xff) == SQLITE_CORRUPT)
		sbuf_adds(why, "corrupt: ");
	for (const char *p = text; *p; p++)
		sbuf_addch(why, (*p == '\n' || *p == '\t') ? ' ' : *p);
}

enum inspect_result {
	INSPECT_FRESH,   /* an empty database: ours to initialise */
	INSPECT_OURS,
};

/*
 * Looks at an existing file through a read-only connection, so a file
 * that turns out to be foreign or corrupt has never been written to.
 * On refusal why holds the reason for "not a schemafs database (why)".
 */
static int inspect(const char *path, enum inspect_result *res, struct sbuf *why)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t app_id = 0, version = 0, ntables = 0;
	int ret = REG_EINVAL;
	char *uri = inspect_uri(path);
	if (!uri) {
		sbuf_adds(why, "out of memory");
		return REG_ENOMEM;
	}
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
				 SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		sbuf_addf(why, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		ret = store_map_sqlite(rc) == REG_ENOMEM ? REG_ENOMEM : REG_EIO;
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = query_int(db, "PRAGMA application_id", &app_id);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &version);
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &ntables);
	if (rc != SQLITE_OK) {
		add_reason(why, rc, sqlite3_errmsg(db));
		if ((rc & 0xff) == SQLITE_BUSY)
			ret = REG_EBUSY;
		goto out;
	}
	if (app_id != 0 && app_id != STORE_APPLICATION_ID) {
		sbuf_addf(why, "application_id 0x%08llx belongs to another program",
			  (unsigned long long)(uint32_t)app_id);
		goto out;
	}
	if (app_id == 0) {
		if (ntables == 0 && version == 0) {
			*res = INSPECT_FRESH;
			ret = 0;
			goto out;
		}
		/* No mark and not empty: some other program's database. */
		rc = sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
					"ORDER BY name", -1, &s, NULL);
		bool listed = false;
		while (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(s, 0);
			if (name && !is_known_table(name)) {
				sbuf_addf(why, "%s'%s'", listed ? ", " : "unknown tables ", name);
				listed = true;
			}
		}
		if (!listed)
			sbuf_addf(why, "no schemafs application_id, user_version %lld",
				  (long long)version);
		goto out;
	}
	if (version > STORE_FORMAT_VERSION) {
		sbuf_addf(why, "format version %lld is newer than this schemafs (%d)",
			  (long long)version, STORE_FORMAT_VERSION);
		goto out;
	}
	if (version < 1) {
		sbuf_addf(why, "format version %lld is unknown", (long long)version);
		goto out;
	}
	for (size_t i = 0; required_tables[i]; i++) {
		int64_t has = 0;
		sqlite3_finalize(s);
		s = NULL;
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema "
					"WHERE type = 'table' AND name = ?1", -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(s, 1, required_tables[i], -1, SQLITE_STATIC);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			has = sqlite3_column_int64(s, 0);
		if (!has) {
			sbuf_addf(why, "table '%s' is missing", required_tables[i]);
			goto out;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	/* quick_check: structure of every page, without the index-vs-table
	 * cross check that makes integrity_check slow on a large file. */
	rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		add_reason(why, rc, sqlite3_errmsg(db));
		goto out;
	}
	const char *ok = (const char *)sqlite3_column_text(s, 0);
	if (!ok || strcmp(ok, "ok")) {
		add_reason(why, SQLITE_CORRUPT, ok ? ok : "quick_check failed");
		goto out;
	}
	*res = INSPECT_OURS;
	ret = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}

static int exec_sql(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		sbuf_reset(&st->err);
		sbuf_addf(&st->err, "%s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return failure_code(rc);
	}
	return 0;
}

/* Creates the tables in a file that was empty when inspected. The check
 * runs again inside the write transaction: another process may have
 * initialised (or claimed) the file in between. */
static int initialise(struct store *st)
{
	int64_t app_id = 0, ntables = 0;
	int rc = exec_sql(st, "BEGIN IMMEDIATE", "cannot initialise");
	if (rc)
		return rc;
	if (query_int(st->db, "PRAGMA application_id", &app_id) != SQLITE_OK ||
	    query_int(st->db, "SELECT count(*) FROM sqlite_schema", &ntables) != SQLITE_OK) {
		rc = fail(st, sqlite3_errcode(st->db), "cannot initialise");
		goto rollback;
	}
	if (app_id == STORE_APPLICATION_ID) {
		exec_sql(st, "ROLLBACK", "rollback");
		return 0;
	}
	if (app_id != 0 || ntables != 0) {
		rc = fail_msg(st, REG_EINVAL, "not a schemafs database (changed while opening)");
		goto rollback;
	}
	rc = exec_sql(st, schema_v1, "cannot initialise");
	if (!rc)
		rc = exec_sql(st, "PRAGMA application_id = 1399023686; PRAGMA user_version = 1",
			      "cannot initialise");
	if (rc)
		goto rollback;
	return exec_sql(st, "COMMIT", "cannot initialise");
rollback:
	exec_sql(st, "ROLLBACK", "rollback");
	return rc;
}

/* A save's fsync costs least when the WAL file keeps its size: SQLite then
 * overwrites it in place, and fdatasync has no file size to write (on a
 * journalling file system an appending commit costs 2-4x one that
 * overwrites: measured 1.8 ms against 0.45 ms on ext4). SQLite deletes the
 * WAL when the last connection closes, so every open would start with an
 * empty WAL and pay that for its first ~300 saves; kept (SQLite's
 * documented persistent-WAL mode), only the very first one does. After a
 * clean close every frame in it is in the database file too (it is
 * checkpointed), so keeping it is safe. Set only on a store that opened:
 * a file refused on the way gets no -wal at all. */
static void keep_wal(struct store *st)
{
	int keep = 1;
	sqlite3_file_control(st->db, "main", SQLITE_FCNTL_PERSIST_WAL, &keep);
}

_Static_assert(STORE_APPLICATION_ID == 1399023686, "application_id literal in initialise()");
_Static_assert(STORE_FORMAT_VERSION == 1, "user_version literal in initialise()");

int store_open(const char *path, struct store **out, struct sbuf *err)
{
	struct store *st = NULL;
	struct sbuf why = SBUF_INIT;
	enum inspect_result res = INSPECT_FRESH;
	bool created = false;
	struct stat sb;
	int rc;

	*out = NULL;
	if (!path || !*path) {
		sbuf_adds(err, "no database path given");
		return REG_EINVAL;
	}
	if (stat(path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			sbuf_addf(err, "%s: not a schemafs database (not a regular file)", path);
			return REG_EINVAL;
		}
		rc = inspect(path, &res, &why);
		if (rc) {
			if (rc == REG_EINVAL)
				sbuf_addf(err, "%s: not a schemafs database (%s)", path, why.buf);
			else
				sbuf_addf(err, "%s: cannot open: %s", path, why.buf);
			goto fail;
		}
	} else if (errno == ENOENT) {
		rc = make_parent_dirs(path, err);
		if (rc)
			goto fail;
		created = true;
	} else {
		sbuf_addf(err, "%s: %s", path, strerror(errno));
		rc = REG_EIO;
		goto fail;
	}

	st = calloc(1, sizeof(*st));
	if (!st) {
		rc = REG_ENOMEM;
		sbuf_addf(err, "%s: out of memory", path);
		goto fail;
	}
	sbuf_init(&st->err);
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	/* Our own mutex serialises calls; SQLite's would only add a second
	 * lock around the same work. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (created ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &st->db, flags, NULL);
	if (rc != SQLITE_OK) {
		sbuf_addf(err, "%s: cannot open: %s", path,
			  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		rc = failure_code(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, 5000);
	/* synchronous=FULL in WAL: every COMMIT fsyncs the WAL, so a put that
	 * returned survives power loss, not only a process crash. */
	rc = exec_sql(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			  "PRAGMA foreign_keys = ON", "cannot open");
	if (!rc && (created || res == INSPECT_FRESH))
		rc = initialise(st);
	if (rc) {
		sbuf_addf(err, "%s: %s", path, st->err.buf);
		goto fail;
	}
	if (created)
		fsync_parent_dir(path);
	keep_wal(st);
	sbuf_release(&why);
	*out = st;
	return 0;
fail:
	sbuf_release(&why);
	store_close(st);
	return rc;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	sbuf_release(&st->err);
	free(st);
}

const char *store_errmsg(struct store *st)
{
	return st->err.buf;
}

struct sqlite3 *store_sqlite(struct store *st)
{
	return st->db;
}

void store_lock(struct store *st)
{
	pthread_mutex_lock(&st->lock);
}

void store_unlock(struct store *st)
{
	pthread_mutex_unlock(&st->lock);
}

/* ---- batches --------------------------------------------------------- */

int store_begin(struct store *st)
{
	store_lock(st);
	if (st->in_batch) {
		store_unlock(st);
		return fail_msg(st, REG_ESTATE, "a batch is already open");
	}
	int rc = exec_stmt(st, S_BEGIN, "cannot begin");
	if (rc) {
		store_unlock(st);
		return rc;
	}
	st->in_batch = true;
	return 0;
}

int store_commit(struct store *st)
{
	store_lock(st);
	if (!st->in_batch) {
		store_unlock(st);
		return fail_msg(st, REG_ESTATE, "no batch is open");
	}
	st->in_batch = false;
	struct write w = { .nested = false };
	int rc = write_end(st, &w, 0, "cannot commit");
	store_unlock(st);   /* this call's */
	store_unlock(st);   /* store_begin's */
	return rc;
}

int store_rollback(struct store *st)
{
	store_lock(st);
	if (!st->in_batch) {
		store_unlock(st);
		return fail_msg(st, REG_ESTATE, "no batch is open");
	}
	st->in_batch = false;
	int rc = exec_stmt(st, S_ROLLBACK, "cannot roll back");
	store_unlock(st);
	store_unlock(st);
	return rc;
}

/* ---- revisions ------------------------------------------------------- */

static int check_name(struct store *st, const char *name)
{
	if (!name || !*name)
		return fail_msg(st, REG_EINVAL, "empty schema name");
	return 0;
}

/* Inserts a revision and makes it current; inside write_begin/end. */
static int put_rev(struct store *st, const char *kind, const char *name,
		   const char *bytes, size_t len, int64_t *rev_out)
{
	int rc;
	sqlite3_stmt *s = stmt(st, S_INSERT_REV, &rc);
	if (!s)
		return fail(st, rc, "cannot store");
	if ((rc = bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = bind_bytes(s, 3, bytes, len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		stmt_done(s);
		return fail(st, rc, "cannot store");
	}
	stmt_done(s);
	int64_t id = sqlite3_last_insert_rowid(st->db);

	s = stmt(st, S_SET_CURRENT, &rc);
	if (!s)
		return fail(st, rc, "cannot store");
	if ((rc = bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 3, id)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		stmt_done(s);
		return fail(st, rc, "cannot store");
	}
	stmt_done(s);
	if (rev_out)
		*rev_out = id;
	return 0;
}

/* Removes (kind, name) from current; REG_ENOENT when it was not there. */
static int del_current(struct store *st, const char *kind, const char *name)
{
	int rc;
	sqlite3_stmt *s = stmt(st, S_DEL_CURRENT, &rc);
	if (!s)
		return fail(st, rc, "cannot delete");
	if ((rc = bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE) {
		stmt_done(s);
		return fail(st, rc, "cannot delete");
	}
	stmt_done(s);
	if (sqlite3_changes(st->db) == 0)
		return fail_msg(st, REG_ENOENT, "not registered");
	return 0;
}

int store_put_schema(struct store *st, const char *name, const char *bytes,
		     size_t len, int64_t *rev_out)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	struct write w;
	store_lock(st);
	rc = write_begin(st, &w, "cannot store");
	if (!rc)
		rc = write_end(st, &w, put_rev(st, KIND_SCHEMA, name, bytes, len, rev_out),
			       "cannot store");
	store_unlock(st);
	return rc;
}

int store_delete_schema(struct store *st, const char *name)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	struct write w;
	store_lock(st);
	rc = write_begin(st, &w, "cannot delete");
	if (!rc)
		rc = write_end(st, &w, del_current(st, KIND_SCHEMA, name), "cannot delete");
	store_unlock(st);
	return rc;
}

int store_put_meta(struct store *st, const char *bytes, size_t len)
{
	struct write w;
	store_lock(st);
	int rc = write_begin(st, &w, "cannot store");
	if (!rc) {
		int r;
		if (bytes)
			r = put_rev(st, KIND_META, META_NAME, bytes, len, NULL);
		else {
			r = del_current(st, KIND_META, META_NAME);
			if (r == REG_ENOENT)
				r = 0;
		}
		rc = write_end(st, &w, r, "cannot store");
	}
	store_unlock(st);
	return rc;
}

void store_rev_release(struct store_rev *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->bytes);
	memset(r, 0, sizeof(*r));
}

void store_revs_free(struct store_rev *revs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_rev_release(&revs[i]);
	free(revs);
}

/* Columns id, name, bytes, created_at of the current row into r. */
static int row_to_rev(sqlite3_stmt *s, struct store_rev *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->name = column_dup(s, 1, NULL);
	r->bytes = column_dup(s, 2, &r->len);
	r->time = sqlite3_column_int64(s, 3);
	if (!r->name || !r->bytes) {
		store_rev_release(r);
		return REG_ENOMEM;
	}
	return 0;
}

/*
 * Steps a bound query to its end, one array item of size bytes per row,
 * filled by row() (which leaves nothing allocated when it fails). On
 * failure every item made so far is released with release().
 */
static int collect_rows(struct store *st, sqlite3_stmt *s, size_t size,
			int (*row)(sqlite3_stmt *s, void *item), void (*release)(void *item),
			void **out, size_t *n, const char *what)
{
	char *items = NULL;
	size_t count = 0, alloc = 0;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (count == alloc) {
			size_t na = alloc ? alloc * 2 : 16;
			char *p = realloc(items, na * size);
			if (!p) {
				ret = fail_msg(st, REG_ENOMEM, "out of memory");
				goto out;
			}
			items = p;
			alloc = na;
		}
		if (row(s, items + count * size)) {
			ret = fail_msg(st, REG_ENOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	if (rc != SQLITE_DONE)
		ret = fail(st, rc, what);
out:
	stmt_done(s);
	if (ret) {
		for (size_t i = 0; i < count; i++)
			release(items + i * size);
		free(items);
		return ret;
	}
	*out = items;
	*n = count;
	return 0;
}

static int rev_row(sqlite3_stmt *s, void *item) { return row_to_rev(s, item); }
static void rev_release(void *item) { store_rev_release(item); }

static int collect_revs(struct store *st, sqlite3_stmt *s, struct store_rev **out,
			size_t *n, const char *what)
{
	void *items = NULL;
	int rc = collect_rows(st, s, sizeof(**out), rev_row, rev_release, &items, n, what);
	*out = items;
	return rc;
}

int store_current(struct store *st, struct store_rev **revs, size_t *n)
{
	int rc;
	*revs = NULL;
	*n = 0;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_CURRENT_ALL, &rc);
	if (!s || (rc = bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK)
		rc = fail(st, rc, "cannot list schemas");
	else
		rc = collect_revs(st, s, revs, n, "cannot list schemas");
	stmt_done(s);
	store_unlock(st);
	return rc;
}

static int get_one(struct store *st, enum stmt_id id, const char *kind, const char *name,
		   int64_t rev_id, struct store_rev *rev, bool *found, const char *what)
{
	int rc, ret = 0;
	memset(rev, 0, sizeof(*rev));
	*found = false;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, id, &rc);
	if (!s) {
		ret = fail(st, rc, what);
		goto out;
	}
	if (kind)
		rc = bind_text(s, 1, kind);
	if (rc == SQLITE_OK && name)
		rc = bind_text(s, 2, name);
	if (rc == SQLITE_OK && !kind)
		rc = sqlite3_bind_int64(s, 1, rev_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ret = row_to_rev(s, rev) ? fail_msg(st, REG_ENOMEM, "out of memory") : 0;
		*found = ret == 0;
	} else if (rc != SQLITE_DONE) {
		ret = fail(st, rc, what);
	}
out:
	stmt_done(s);
	store_unlock(st);
	return ret;
}

int store_get_meta(struct store *st, struct store_rev *rev, bool *found)
{
	return get_one(st, S_CURRENT_ONE, KIND_META, META_NAME, 0, rev, found,
		       "cannot read registry.yaml");
}

int store_get_schema(struct store *st, const char *name, struct store_rev *rev, bool *found)
{
	int rc = check_name(st, name);
	if (rc)
		return rc;
	return get_one(st, S_CURRENT_ONE, KIND_SCHEMA, name, 0, rev, found, "cannot read schema");
}

int store_get_rev(struct store *st, int64_t id, struct store_rev *rev, bool *found)
{
	return get_one(st, S_GET_REV, NULL, NULL, id, rev, found, "cannot read revision");
}

int store_history(struct store *st, const char *name, struct store_rev **revs, size_t *n)
{
	int rc;
	*revs = NULL;
	*n = 0;
	if ((rc = check_name(st, name)))
		return rc;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_HISTORY, &rc);
	if (!s || (rc = bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK)
		rc = fail(st, rc, "cannot read history");
	else
		rc = collect_revs(st, s, revs, n, "cannot read history");
	stmt_done(s);
	store_unlock(st);
	return rc;
}

void store_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int name_row(sqlite3_stmt *s, void *item)
{
	char **name = item;
	*name = column_dup(s, 0, NULL);
	return *name ? 0 : REG_ENOMEM;
}

static void name_release(void *item)
{
	free(*(char **)item);
}

int store_history_names(struct store *st, char ***out, size_t *n)
{
	void *names = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_HISTORY_NAMES, &rc);
	if (!s || (rc = bind_text(s, 1, KIND_SCHEMA)) != SQLITE_OK)
		rc = fail(st, rc, "cannot list history");
	else
		rc = collect_rows(st, s, sizeof(char *), name_row, name_release, &names, n,
				  "cannot list history");
	stmt_done(s);
	store_unlock(st);
	*out = names;
	return rc;
}

/* A single integer from a statement with up to two text parameters;
 * REG_ENOENT when it returns no row. */
static int get_int(struct store *st, enum stmt_id id, const char *p1, const char *p2,
		   int64_t *val, const char *what)
{
	int rc, ret = 0;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, id, &rc);
	if (!s) {
		ret = fail(st, rc, what);
		goto out;
	}
	if (p1)
		rc = bind_text(s, 1, p1);
	if (rc == SQLITE_OK && p2)
		rc = bind_text(s, 2, p2);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*val = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		ret = fail_msg(st, REG_ENOENT, "not registered");
	else
		ret = fail(st, rc, what);
out:
	stmt_done(s);
	store_unlock(st);
	return ret;
}

int store_current_rev(struct store *st, const char *name, int64_t *rev)
{
	int rc = check_name(st, name);
	*rev = 0;
	if (rc)
		return rc;
	return get_int(st, S_CURRENT_REV, KIND_SCHEMA, name, rev, "cannot read schema");
}

int store_last_rev(struct store *st, int64_t *rev)
{
	*rev = 0;
	return get_int(st, S_LAST_REV, NULL, NULL, rev, "cannot read revisions");
}

int store_data_version(struct store *st, int64_t *version)
{
	*version = 0;
	return get_int(st, S_DATA_VERSION, NULL, NULL, version, "cannot read data_version");
}

int store_is_empty(struct store *st, bool *empty)
{
	int64_t v = 0;
	int rc = get_int(st, S_IS_EMPTY, NULL, NULL, &v, "cannot read revisions");
	*empty = v != 0;
	return rc;
}

/* ---- refusals -------------------------------------------------------- */

int store_set_refused(struct store *st, const char *file, const char *message)
{
	int rc;
	if (!file || !*file || !message)
		return fail_msg(st, REG_EINVAL, "empty file name or message");
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_SET_REFUSED, &rc);
	if (!s || (rc = bind_text(s, 1, file)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, message)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = fail(st, rc, "cannot record refusal");
	else
		rc = 0;
	stmt_done(s);
	store_unlock(st);
	return rc;
}

int store_clear_refused(struct store *st, const char *file)
{
	int rc;
	if (!file || !*file)
		return fail_msg(st, REG_EINVAL, "empty file name");
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_CLEAR_REFUSED, &rc);
	if (!s || (rc = bind_text(s, 1, file)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = fail(st, rc, "cannot clear refusal");
	else
		rc = 0;
	stmt_done(s);
	store_unlock(st);
	return rc;
}

static void refusal_release(void *item)
{
	struct store_refusal *r = item;
	free(r->file);
	free(r->message);
}

static int refusal_row(sqlite3_stmt *s, void *item)
{
	struct store_refusal *r = item;
	r->file = column_dup(s, 0, NULL);
	r->message = column_dup(s, 1, NULL);
	r->time = sqlite3_column_int64(s, 2);
	if (!r->file || !r->message) {
		refusal_release(r);
		return REG_ENOMEM;
	}
	return 0;
}

void store_refusals_free(struct store_refusal *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		refusal_release(&r[i]);
	free(r);
}

int store_refusals(struct store *st, struct store_refusal **out, size_t *n)
{
	void *list = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_REFUSALS, &rc);
	if (!s)
		rc = fail(st, rc, "cannot list refusals");
	else
		rc = collect_rows(st, s, sizeof(**out), refusal_row, refusal_release, &list, n,
				  "cannot list refusals");
	stmt_done(s);
	store_unlock(st);
	*out = list;
	return rc;
}

/* ---- files ----------------------------------------------------------- */

static int check_file_key(struct store *st, const char *kind, const char *name)
{
	if (!kind || !*kind || !name || !*name)
		return fail_msg(st, REG_EINVAL, "empty file kind or name");
	return 0;
}

void store_file_release(struct store_file *f)
{
	if (!f)
		return;
	free(f->kind);
	free(f->name);
	free(f->bytes);
	memset(f, 0, sizeof(*f));
}

void store_files_free(struct store_file *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		store_file_release(&files[i]);
	free(files);
}

static int row_to_file(sqlite3_stmt *s, struct store_file *f)
{
	memset(f, 0, sizeof(*f));
	f->kind = column_dup(s, 0, NULL);
	f->name = column_dup(s, 1, NULL);
	f->bytes = column_dup(s, 2, &f->len);
	f->time = sqlite3_column_int64(s, 3);
	if (!f->kind || !f->name || !f->bytes) {
		store_file_release(f);
		return REG_ENOMEM;
	}
	return 0;
}

static int put_file(struct store *st, const char *kind, const char *name,
		    const char *bytes, size_t len)
{
	int rc;
	sqlite3_stmt *s = stmt(st, S_PUT_FILE, &rc);
	if (!s || (rc = bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = bind_bytes(s, 3, bytes, len)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = fail(st, rc, "cannot store file");
	else
		rc = 0;
	stmt_done(s);
	return rc;
}

int store_put_file(struct store *st, const char *kind, const char *name,
		   const char *bytes, size_t len)
{
	int rc = check_file_key(st, kind, name);
	if (rc)
		return rc;
	struct write w;
	store_lock(st);
	rc = write_begin(st, &w, "cannot store file");
	if (!rc)
		rc = write_end(st, &w, put_file(st, kind, name, bytes, len), "cannot store file");
	store_unlock(st);
	return rc;
}

int store_get_file(struct store *st, const char *kind, const char *name,
		   struct store_file *f, bool *found)
{
	int rc = check_file_key(st, kind, name);
	memset(f, 0, sizeof(*f));
	*found = false;
	if (rc)
		return rc;
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_GET_FILE, &rc);
	if (s && (rc = bind_text(s, 1, kind)) == SQLITE_OK &&
	    (rc = bind_text(s, 2, name)) == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		rc = row_to_file(s, f) ? fail_msg(st, REG_ENOMEM, "out of memory") : 0;
		*found = rc == 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = fail(st, rc, "cannot read file");
	}
	stmt_done(s);
	store_unlock(st);
	return rc;
}

static int file_row(sqlite3_stmt *s, void *item) { return row_to_file(s, item); }
static void file_release(void *item) { store_file_release(item); }

int store_list_files(struct store *st, const char *kind, struct store_file **out,
		     size_t *n)
{
	void *files = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	if (!kind || !*kind)
		return fail_msg(st, REG_EINVAL, "empty file kind");
	store_lock(st);
	sqlite3_stmt *s = stmt(st, S_LIST_FILES, &rc);
	if (!s || (rc = bind_text(s, 1, kind)) != SQLITE_OK)
		rc = fail(st, rc, "cannot list files");
	else
		rc = collect_rows(st, s, sizeof(**out), file_row, file_release, &files, n,
				  "cannot list files");
	stmt_done(s);
	store_unlock(st);
	*out = files;
	return rc;
}

static int del_file(struct store *st, const char *kind, const char *name)
{
	int rc;
	sqlite3_stmt *s = stmt(st, S_DEL_FILE, &rc);
	if (!s || (rc = bind_text(s, 1, kind)) != SQLITE_OK ||
	    (rc = bind_text(s, 2, name)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = fail(st, rc, "cannot delete file");
	else
		rc = sqlite3_changes(st->db) ? 0 : fail_msg(st, REG_ENOENT, "no such file");
	stmt_done(s);
	return rc;
}

int store_delete_file(struct store *st, const char *kind, const char *name)
{
	int rc = check_file_key(st, kind, name);
	if (rc)
		return rc;
	struct write w;
	store_lock(st);
	rc = write_begin(st, &w, "cannot delete file");
	if (!rc)
		rc = write_end(st, &w, del_file(st, kind, name), "cannot delete file");
	store_unlock(st);
	return rc;
}
