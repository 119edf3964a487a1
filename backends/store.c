#include "store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "path.h"

static const char *const stmt_sql[S_COUNT] = {
	[S_BEGIN] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_SAVEPOINT] = "SAVEPOINT store_put",
	[S_RELEASE] = "RELEASE store_put",
	[S_ROLLBACK_TO] = "ROLLBACK TO store_put",
	[S_INSERT_REV] = "INSERT INTO revisions(kind, name, bytes, created_at, uid) "
			 "VALUES (?1, ?2, ?3, ?4, ?5)",
	[S_SET_CURRENT] = "INSERT INTO current(kind, name, revision) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT(kind, name) DO UPDATE SET revision = excluded.revision",
	[S_DEL_CURRENT] = "DELETE FROM current WHERE kind = ?1 AND name = ?2",
	[S_CURRENT_ALL] = "SELECT r.id, r.name, r.bytes, r.created_at, coalesce(r.uid, -1) "
			  "FROM current c JOIN revisions r ON r.id = c.revision "
			  "WHERE c.kind = ?1 ORDER BY c.name",
	[S_CURRENT_HEADS] = "SELECT r.id, r.name, x'', r.created_at, coalesce(r.uid, -1) "
			    "FROM current c JOIN revisions r ON r.id = c.revision "
			    "WHERE c.kind = ?1 ORDER BY c.name",
	[S_CURRENT_ONE] = "SELECT r.id, r.name, r.bytes, r.created_at, coalesce(r.uid, -1) "
			  "FROM current c JOIN revisions r ON r.id = c.revision "
			  "WHERE c.kind = ?1 AND c.name = ?2",
	[S_GET_REV] = "SELECT id, name, bytes, created_at, coalesce(uid, -1) FROM revisions "
		      "WHERE id = ?1",
	[S_HISTORY] = "SELECT id, name, bytes, created_at, coalesce(uid, -1) FROM revisions "
		      "WHERE kind = ?1 AND name = ?2 ORDER BY id",
	[S_HISTORY_NAMES] = "SELECT DISTINCT name FROM revisions WHERE kind = ?1 ORDER BY name",
	[S_IS_EMPTY] = "SELECT NOT EXISTS (SELECT 1 FROM revisions)",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_ADD_REFUSAL] = "INSERT INTO refusals(file, seq, diag_file, line, col, severity, "
			  "message, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[S_CLEAR_REFUSED] = "DELETE FROM refusals WHERE file = ?1",
	[S_REFUSALS] = "SELECT diag_file, line, col, severity, message FROM refusals "
		       "ORDER BY file, seq",
	[S_REFUSED_FILES] = "SELECT DISTINCT file FROM refusals ORDER BY file",
	[S_PUT_FILE] = "INSERT INTO files(kind, name, bytes, updated_at) VALUES (?1, ?2, ?3, ?4) "
		       "ON CONFLICT(kind, name) DO UPDATE SET bytes = excluded.bytes, "
		       "updated_at = excluded.updated_at",
	[S_GET_FILE] = "SELECT kind, name, bytes, updated_at FROM files "
		       "WHERE kind = ?1 AND name = ?2",
	[S_LIST_FILES] = "SELECT kind, name, bytes, updated_at FROM files "
			 "WHERE kind = ?1 ORDER BY name",
	[S_DEL_FILE] = "DELETE FROM files WHERE kind = ?1 AND name = ?2",
	[S_RUN_ADD_TABLE] = "INSERT INTO run_tables(run, role, seq, name) VALUES (?1, ?2, ?3, ?4)",
	[S_RUN_CLEAR_TABLES] = "DELETE FROM run_tables WHERE run = ?1",
	[S_RUN_TABLES] = "SELECT role, name FROM run_tables WHERE run = ?1 ORDER BY role, seq",
};

/* Format 3's tables of schemas and files (format 2 without revisions.uid) (the run tables come from
 * store_runs_schema). Revisions are never deleted, so the rowid alias
 * alone gives ids that are never reused (an id names one revision
 * forever, for history/ and migration records) without AUTOINCREMENT's
 * extra write to sqlite_sequence on every save. */
static const char schema_v2[] =
	"CREATE TABLE revisions ("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('schema', 'meta')),"
	" name TEXT NOT NULL,"
	" bytes BLOB NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" uid INTEGER);"
	"CREATE INDEX revisions_by_name ON revisions(kind, name, id);"
	"CREATE TABLE current ("
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" revision INTEGER NOT NULL REFERENCES revisions(id),"
	" PRIMARY KEY (kind, name)) WITHOUT ROWID;"
	STORE_REFUSALS_V2
	"CREATE TABLE files ("
	" kind TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" bytes BLOB NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (kind, name)) WITHOUT ROWID;";

/* The tables each format must have (a file missing one is refused). */
static const char *const tables_v1[] = { "revisions", "current", "refusals", "files", NULL };
static const char *const tables_v2[] = { "revisions", "current", "refusals", "files",
					 "migration_runs", "run_tables", NULL };

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
int store_fail(struct store *st, int rc, const char *what)
{
	sbuf_reset(&st->err);
	sbuf_addf(&st->err, "%s: %s", what,
		  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
	return failure_code(rc);
}

/* Also called before taking the lock (argument checks), so it locks. */
int store_fail_msg(struct store *st, int code, const char *what)
{
	pthread_mutex_lock(&st->lock);
	sbuf_reset(&st->err);
	sbuf_adds(&st->err, what);
	pthread_mutex_unlock(&st->lock);
	return code;
}

/* ---- statements ------------------------------------------------------ */

sqlite3_stmt *store_stmt(struct store *st, enum store_stmt_id id, int *rc)
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

void store_stmt_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

int store_exec_stmt(struct store *st, enum store_stmt_id id, const char *what)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, id, &rc);
	if (!s)
		return store_fail(st, rc, what);
	rc = sqlite3_step(s);
	store_stmt_done(s);
	if (rc != SQLITE_DONE)
		return store_fail(st, rc, what);
	return 0;
}

int store_bind_text(sqlite3_stmt *s, int i, const char *text)
{
	return sqlite3_bind_text(s, i, text, -1, SQLITE_STATIC);
}

int store_bind_bytes(sqlite3_stmt *s, int i, const char *bytes, size_t len)
{
	if (len == 0)
		return sqlite3_bind_zeroblob(s, i, 0);
	return sqlite3_bind_blob64(s, i, bytes, len, SQLITE_STATIC);
}

char *store_column_dup(sqlite3_stmt *s, int i, size_t *len)
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

int store_write_begin(struct store *st, struct store_write *w, const char *what)
{
	w->nested = st->in_batch || !sqlite3_get_autocommit(st->db);
	return store_exec_stmt(st, w->nested ? S_SAVEPOINT : S_BEGIN, what);
}

static void abandon(struct store *st, const struct store_write *w)
{
	struct sbuf keep = SBUF_INIT;
	sbuf_add(&keep, st->err.buf, st->err.len);
	if (w->nested) {
		store_exec_stmt(st, S_ROLLBACK_TO, "rollback");
		store_exec_stmt(st, S_RELEASE, "rollback");
	} else if (!sqlite3_get_autocommit(st->db)) {
		store_exec_stmt(st, S_ROLLBACK, "rollback");
	}
	/* the first error is the one worth reporting */
	sbuf_reset(&st->err);
	sbuf_add(&st->err, keep.buf, keep.len);
	sbuf_release(&keep);
}

int store_write_end(struct store *st, const struct store_write *w, int err, const char *what)
{
	if (err) {
		abandon(st, w);
		return err;
	}
	int rc = store_exec_stmt(st, w->nested ? S_RELEASE : S_COMMIT, what);
	if (!rc)
		st->writes++;
	/* A failed COMMIT may leave the transaction open (busy) or rolled
	 * back (I/O error); either way nothing of it is kept. */
	if (rc)
		abandon(st, w);
	return rc;
}
int store_collect_rows(struct store *st, sqlite3_stmt *s, size_t size,
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
				ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
				goto out;
			}
			items = p;
			alloc = na;
		}
		if (row(s, items + count * size)) {
			ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
			goto out;
		}
		count++;
	}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, what);
out:
	store_stmt_done(s);
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

/* ---- opening --------------------------------------------------------- */

/* mkdir -p of path's parent; private (0700) like other XDG data dirs. */
static int make_parent_dirs(const char *path, struct sbuf *err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char *dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return REG_ENOMEM;
	int rc = path_mkdir_p(dir, 0700);
	if (rc)
		sbuf_addf(err, "%s: cannot create directory '%s': %s", path, dir,
			  strerror(errno));
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
	for (size_t i = 0; tables_v2[i]; i++)
		if (!strcmp(name, tables_v2[i]))
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
static int inspect(const char *path, enum inspect_result *res, int64_t *format,
		   struct sbuf *why)
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
	const char *const *required = version == 1 ? tables_v1 : tables_v2;
	for (size_t i = 0; required[i]; i++) {
		int64_t has = 0;
		sqlite3_finalize(s);
		s = NULL;
		rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema "
					"WHERE type = 'table' AND name = ?1", -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_text(s, 1, required[i], -1, SQLITE_STATIC);
		if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
			has = sqlite3_column_int64(s, 0);
		if (!has) {
			sbuf_addf(why, "table '%s' is missing", required[i]);
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
	*format = version;
	ret = 0;
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ret;
}

int store_exec_sql(struct store *st, const char *sql, const char *what)
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
	int rc = store_exec_sql(st, "BEGIN IMMEDIATE", "cannot initialise");
	if (rc)
		return rc;
	if (query_int(st->db, "PRAGMA application_id", &app_id) != SQLITE_OK ||
	    query_int(st->db, "SELECT count(*) FROM sqlite_schema", &ntables) != SQLITE_OK) {
		rc = store_fail(st, sqlite3_errcode(st->db), "cannot initialise");
		goto rollback;
	}
	if (app_id == STORE_APPLICATION_ID) {
		store_exec_sql(st, "ROLLBACK", "rollback");
		return 0;
	}
	if (app_id != 0 || ntables != 0) {
		rc = store_fail_msg(st, REG_EINVAL, "not a schemafs database (changed while opening)");
		goto rollback;
	}
	struct sbuf runs = SBUF_INIT;
	rc = store_exec_sql(st, schema_v2, "cannot initialise");
	if (!rc && !(rc = store_runs_schema(&runs)))
		rc = store_exec_sql(st, runs.buf, "cannot initialise");
	sbuf_release(&runs);
	if (!rc)
		rc = store_exec_sql(st, "PRAGMA application_id = 1399023686; PRAGMA user_version = 3",
				    "cannot initialise");
	if (rc)
		goto rollback;
	return store_exec_sql(st, "COMMIT", "cannot initialise");
rollback:
	store_exec_sql(st, "ROLLBACK", "rollback");
	return rc;
}

/* An older format is brought up to date in one write transaction, after
 * the read-only inspection passed. The version is read again inside it:
 * another process may have upgraded the file in between. */
static int upgrade(struct store *st)
{
	int64_t version = 0;
	int rc = store_exec_sql(st, "BEGIN IMMEDIATE", "cannot upgrade");
	if (rc)
		return rc;
	if (query_int(st->db, "PRAGMA user_version", &version) != SQLITE_OK) {
		rc = store_fail(st, sqlite3_errcode(st->db), "cannot upgrade");
		goto rollback;
	}
	if (version >= STORE_FORMAT_VERSION) {
		store_exec_sql(st, "ROLLBACK", "rollback");
		return 0;
	}
	if ((rc = store_upgrade(st, version)))
		goto rollback;
	return store_exec_sql(st, "COMMIT", "cannot upgrade");
rollback:
	store_exec_sql(st, "ROLLBACK", "rollback");
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
_Static_assert(STORE_FORMAT_VERSION == 3, "user_version literal in initialise()");

/* The database holds every schema, refusal and run: private by default.
 * SQLite creates files 0644 (less the umask) and gives -wal and -shm the
 * database file's mode, so creating the file first, empty and 0600, makes
 * all three private whatever the umask. */
static int create_private(const char *path, struct sbuf *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST)
		return 0; /* another process was first: it is inspected as any file */
	if (fd < 0) {
		sbuf_addf(err, "%s: cannot create: %s", path, strerror(errno));
		return REG_EIO;
	}
	close(fd);
	return 0;
}

/* Others able to read or write the file: warned about, left as it is (the
 * owner may share it on purpose). */
static void warn_mode(struct store *st, const char *path, const struct stat *sb)
{
	mode_t m = sb->st_mode & 07777;
	if (!(m & (S_IROTH | S_IWOTH)))
		return;
	sbuf_addf(&st->warning, "%s: %s by other users (mode %04o): it holds every schema, "
		  "refusal and migration run; chmod 600 %s", path,
		  m & S_IWOTH ? "writable" : "readable", (unsigned)m, path);
}

int store_open(const char *path, struct store **out, struct sbuf *err)
{
	return store_open_mode(path, STORE_OPEN_WRITE, out, err);
}

const char *store_warning(const struct store *st)
{
	return st->warning.len ? st->warning.buf : NULL;
}

int store_open_mode(const char *path, enum store_open_mode mode, struct store **out,
		    struct sbuf *err)
{
	bool readonly = mode == STORE_OPEN_READ;
	struct store *st = NULL;
	struct sbuf why = SBUF_INIT;
	enum inspect_result res = INSPECT_FRESH;
	int64_t format = STORE_FORMAT_VERSION;
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
		rc = inspect(path, &res, &format, &why);
		if (rc) {
			if (rc == REG_EINVAL)
				sbuf_addf(err, "%s: not a schemafs database (%s)", path, why.buf);
			else
				sbuf_addf(err, "%s: cannot open: %s", path, why.buf);
			goto fail;
		}
		if (readonly && (res == INSPECT_FRESH || format < STORE_FORMAT_VERSION)) {
			sbuf_addf(err, "%s: %s; a command that writes (import, mount) sets it up",
				  path, res == INSPECT_FRESH ? "an empty database"
				  : "an older format, not upgraded by a command that only reads");
			rc = REG_ESTATE;
			goto fail;
		}
	} else if (errno == ENOENT && readonly) {
		sbuf_addf(err, "%s: no database (nothing stored yet)", path);
		rc = REG_ENOENT;
		goto fail;
	} else if (errno == ENOENT) {
		rc = make_parent_dirs(path, err);
		if (!rc)
			rc = create_private(path, err);
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
	sbuf_init(&st->warning);
	if (!created)
		warn_mode(st, path, &sb);
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);

	/* Our own mutex serialises calls; SQLite's would only add a second
	 * lock around the same work. */
	int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
		    SQLITE_OPEN_NOMUTEX;
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
	rc = store_exec_sql(st, readonly ? "PRAGMA foreign_keys = ON"
				  : "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
				    "PRAGMA foreign_keys = ON", "cannot open");
	if (!rc && !readonly && (created || res == INSPECT_FRESH))
		rc = initialise(st);
	else if (!rc && !readonly && format < STORE_FORMAT_VERSION)
		rc = upgrade(st);
	if (rc) {
		sbuf_addf(err, "%s: %s", path, st->err.buf);
		goto fail;
	}
	if (created)
		fsync_parent_dir(path);
	if (!readonly)
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
	sbuf_release(&st->warning);
	free(st);
}

const char *store_errmsg(struct store *st)
{
	return st->err.buf;
}

sqlite3 *store_sqlite(struct store *st)
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
		return store_fail_msg(st, REG_ESTATE, "a batch is already open");
	}
	int rc = store_exec_stmt(st, S_BEGIN, "cannot begin");
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
		return store_fail_msg(st, REG_ESTATE, "no batch is open");
	}
	st->in_batch = false;
	struct store_write w = { .nested = false };
	int rc = store_write_end(st, &w, 0, "cannot commit");
	store_unlock(st);   /* this call's */
	store_unlock(st);   /* store_begin's */
	return rc;
}

int store_rollback(struct store *st)
{
	store_lock(st);
	if (!st->in_batch) {
		store_unlock(st);
		return store_fail_msg(st, REG_ESTATE, "no batch is open");
	}
	st->in_batch = false;
	int rc = store_exec_stmt(st, S_ROLLBACK, "cannot roll back");
	store_unlock(st);
	store_unlock(st);
	return rc;
}
