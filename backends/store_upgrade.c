/*
 * Format 1 -> 2: what format 1 kept as text parsed back is now rows.
 *  - refusals: one "file:line:col: severity: message" line per diagnostic
 *    in a message column -> one row per diagnostic;
 *  - migration_runs.touched and .created: table names one per line ->
 *    rows of run_tables (migration_runs was created on first use, so a
 *    format-1 file may not have it: then it is created here).
 * Format 2 -> 3: revisions.uid, who saved each revision (NULL for the
 * revisions saved before: unknown, read as -1).
 * Runs inside store.c's upgrade transaction: all of it, or nothing.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* A line as diags_render wrote it into d; where it names no file, the
 * refused file. */
static int parse_line(const char *line, size_t len, const char *file, struct diags *d)
{
	struct reg_loc loc = { 0, 0 };
	enum diag_severity sev = DIAG_ERROR;
	char *copy = strndup(line, len);
	if (!copy)
		return REG_ENOMEM;
	char *p = strchr(copy, ':');
	const char *msg = copy, *where = file;
	if (p) {
		char *end;
		unsigned long l = strtoul(p + 1, &end, 10), c = 0;
		if (end != p + 1 && *end == ':') {
			char *end2;
			c = strtoul(end + 1, &end2, 10);
			if (end2 != end + 1 && *end2 == ':')
				end = end2;
			else
				c = 0;
		}
		if (end != p + 1 && *end == ':' && end[1] == ' ') {
			*p = '\0';
			where = copy;
			loc.line = (uint32_t)l;
			loc.col = (uint32_t)c;
			msg = end + 2;
		} else if (*end == ' ' || p[1] == ' ') {
			*p = '\0';
			where = copy;
			msg = p + 2;
		}
		static const char *const sevs[] = { "error: ", "warning: ", "note: " };
		for (int i = 0; i < 3; i++)
			if (!strncmp(msg, sevs[i], strlen(sevs[i]))) {
				sev = (enum diag_severity)i;
				msg += strlen(sevs[i]);
				break;
			}
	}
	int rc = diags_add(d, where, loc, sev, "%s", msg);
	free(copy);
	return rc;
}

static int parse_message(const char *file, const char *m, struct diags *d)
{
	int rc = 0;
	while (*m && !rc) {
		const char *nl = strchrnul(m, '\n');
		if (nl > m)
			rc = parse_line(m, (size_t)(nl - m), file, d);
		m = *nl ? nl + 1 : nl;
	}
	if (!rc && !d->n)
		rc = diags_add(d, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR, "refused");
	return rc;
}

static int upgrade_refusals(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int rc = store_exec_sql(st, "ALTER TABLE refusals RENAME TO refusals_v1;"
				    STORE_REFUSALS_V2, "cannot upgrade refusals");
	if (rc)
		return rc;
	int src = sqlite3_prepare_v2(st->db, "SELECT file, message FROM refusals_v1 ORDER BY file",
				     -1, &s, NULL);
	while (!rc && src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		src = SQLITE_OK;
		struct diags d = DIAGS_INIT;
		const char *file = (const char *)sqlite3_column_text(s, 0);
		const char *msg = (const char *)sqlite3_column_text(s, 1);
		rc = parse_message(file, msg ? msg : "", &d);
		if (!rc)
			rc = store_set_refused(st, file, &d);
		diags_release(&d);
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_OK)
		rc = store_fail(st, src, "cannot upgrade refusals");
	sqlite3_finalize(s);
	return rc ? rc : store_exec_sql(st, "DROP TABLE refusals_v1", "cannot upgrade refusals");
}

static int table_exists(struct store *st, const char *name, bool *exists)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_schema "
				    "WHERE type = 'table' AND name = ?1", -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = store_bind_text(s, 1, name);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		*exists = sqlite3_column_int64(s, 0) > 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_OK ? 0 : store_fail(st, rc, "cannot upgrade runs");
}

/* Copies one newline-separated list column of every run into run_tables. */
static int upgrade_list(struct store *st, const char *column)
{
	struct sbuf sql = SBUF_INIT;
	sqlite3_stmt *s = NULL, *ins = NULL;
	sbuf_addf(&sql, "SELECT id, %s FROM migration_runs ORDER BY id", column);
	int rc = sbuf_error(&sql);
	if (rc)
		goto out;
	int src = sqlite3_prepare_v2(st->db, sql.buf, -1, &s, NULL);
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(st->db, "INSERT INTO run_tables(run, role, seq, name) "
					 "VALUES (?1, ?2, ?3, ?4)", -1, &ins, NULL);
	while (!rc && src == SQLITE_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
		struct strlist names = STRLIST_INIT;
		const char *text = (const char *)sqlite3_column_text(s, 1);
		rc = strlist_split(&names, text ? text : "", '\n', true);
		for (size_t k = 0; !rc && k < names.n; k++) {
			sqlite3_reset(ins);
			if ((src = sqlite3_bind_int64(ins, 1, sqlite3_column_int64(s, 0))) ||
			    (src = store_bind_text(ins, 2, column)) ||
			    (src = sqlite3_bind_int64(ins, 3, (int64_t)k)) ||
			    (src = store_bind_text(ins, 4, names.items[k])) ||
			    (src = sqlite3_step(ins)) != SQLITE_DONE)
				rc = store_fail(st, src, "cannot upgrade runs");
		}
		strlist_release(&names);
		src = SQLITE_OK;
	}
	if (!rc && src != SQLITE_DONE && src != SQLITE_OK)
		rc = store_fail(st, src, "cannot upgrade runs");
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(s);
	sbuf_release(&sql);
	return rc;
}

static int upgrade_runs(struct store *st)
{
	struct sbuf sql = SBUF_INIT;
	bool exists = false;
	int rc = table_exists(st, "migration_runs", &exists);
	if (rc)
		return rc;
	if (!exists) {
		/* never used: format 2's tables as a new file has them */
		rc = store_runs_schema(&sql);
		if (!rc)
			rc = store_exec_sql(st, sql.buf, "cannot upgrade runs");
		sbuf_release(&sql);
		return rc;
	}
	rc = store_runs_schema(&sql);
	if (!rc) {
		/* only run_tables: migration_runs is there */
		const char *child = strstr(sql.buf, "CREATE TABLE run_tables");
		rc = store_exec_sql(st, child, "cannot upgrade runs");
	}
	sbuf_release(&sql);
	if (!rc)
		rc = upgrade_list(st, "touched");
	if (!rc)
		rc = upgrade_list(st, "created");
	if (!rc)
		rc = store_exec_sql(st, "ALTER TABLE migration_runs DROP COLUMN touched;"
				    "ALTER TABLE migration_runs DROP COLUMN created",
				    "cannot upgrade runs");
	return rc;
}

_Static_assert(STORE_FORMAT_VERSION == 3, "user_version literal in store_upgrade()");

int store_upgrade(struct store *st, int64_t from)
{
	int rc = 0;
	if (from < 2 && !(rc = upgrade_refusals(st)))
		rc = upgrade_runs(st);
	if (!rc && from < 3)
		rc = store_exec_sql(st, "ALTER TABLE revisions ADD COLUMN uid INTEGER",
				    "cannot upgrade revisions");
	if (!rc)
		rc = store_exec_sql(st, "PRAGMA user_version = 3", "cannot upgrade");
	return rc;
}
