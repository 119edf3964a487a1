#include "store_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"

static const char *const severity_names[] = {
	[DIAG_ERROR] = "error", [DIAG_WARNING] = "warning", [DIAG_NOTE] = "note",
};

static int severity_of(const char *name, enum diag_severity *sev)
{
	for (size_t i = 0; i < sizeof(severity_names) / sizeof(severity_names[0]); i++)
		if (name && !strcmp(name, severity_names[i])) {
			*sev = (enum diag_severity)i;
			return 0;
		}
	return REG_EINVAL;
}

/* One row (file, seq) of a refusal; inside a write. */
static int add_row(struct store *st, const char *file, int seq, const char *diag_file,
		   struct reg_loc loc, enum diag_severity sev, const char *message, int64_t now)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_ADD_REFUSAL, &rc);
	if (!s || (rc = store_bind_text(s, 1, file)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 2, seq)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 3, diag_file && *diag_file ? diag_file : file)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 4, loc.line)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 5, loc.col)) != SQLITE_OK ||
	    (rc = store_bind_text(s, 6, severity_names[sev])) != SQLITE_OK ||
	    (rc = store_bind_text(s, 7, message)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 8, now)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = store_fail(st, rc, "cannot record refusal");
	else
		rc = 0;
	store_stmt_done(s);
	return rc;
}

static int clear(struct store *st, const char *file)
{
	int rc;
	sqlite3_stmt *s = store_stmt(st, S_CLEAR_REFUSED, &rc);
	if (!s || (rc = store_bind_text(s, 1, file)) != SQLITE_OK ||
	    (rc = sqlite3_step(s)) != SQLITE_DONE)
		rc = store_fail(st, rc, "cannot clear refusal");
	else
		rc = 0;
	store_stmt_done(s);
	return rc;
}

/* Replaces file's rows by d's; inside a write. */
static int set_rows(struct store *st, const char *file, const struct diags *d)
{
	int64_t now = (int64_t)time(NULL);
	int rc = clear(st, file);
	int seq = 0;
	for (size_t i = 0; i < d->n && !rc; i++) {
		const struct diag *g = &d->items[i];
		rc = add_row(st, file, seq++, g->file, g->loc, g->severity, g->message, now);
	}
	return rc;
}

int store_set_refused(struct store *st, const char *file, const struct diags *d)
{
	if (!file || !*file || !d || !d->n)
		return store_fail_msg(st, REG_EINVAL, "empty file name or no diagnostics");
	struct store_write w;
	store_lock(st);
	int rc = store_write_begin(st, &w, "cannot record refusal");
	if (!rc)
		rc = store_write_end(st, &w, set_rows(st, file, d), "cannot record refusal");
	store_unlock(st);
	return rc;
}

int store_clear_refused(struct store *st, const char *file)
{
	if (!file || !*file)
		return store_fail_msg(st, REG_EINVAL, "empty file name");
	struct store_write w;
	store_lock(st);
	int rc = store_write_begin(st, &w, "cannot clear refusal");
	if (!rc)
		rc = store_write_end(st, &w, clear(st, file), "cannot clear refusal");
	store_unlock(st);
	return rc;
}

int store_refusals(struct store *st, struct diags *out)
{
	int rc, ret = 0;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_REFUSALS, &rc);
	if (!s) {
		ret = store_fail(st, rc, "cannot list refusals");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		enum diag_severity sev = DIAG_ERROR;
		severity_of((const char *)sqlite3_column_text(s, 3), &sev);
		struct reg_loc loc = { (uint32_t)sqlite3_column_int64(s, 1),
				       (uint32_t)sqlite3_column_int64(s, 2) };
		const char *msg = (const char *)sqlite3_column_text(s, 4);
		if (diags_add(out, (const char *)sqlite3_column_text(s, 0), loc, sev, "%s",
			      msg ? msg : "")) {
			ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, "cannot list refusals");
out:
	store_stmt_done(s);
	store_unlock(st);
	return ret;
}

int store_refused_files(struct store *st, struct strlist *out)
{
	int rc, ret = 0;
	store_lock(st);
	sqlite3_stmt *s = store_stmt(st, S_REFUSED_FILES, &rc);
	if (!s) {
		ret = store_fail(st, rc, "cannot list refusals");
		goto out;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (strlist_push(out, (const char *)sqlite3_column_text(s, 0))) {
			ret = store_fail_msg(st, REG_ENOMEM, "out of memory");
			goto out;
		}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, rc, "cannot list refusals");
out:
	store_stmt_done(s);
	store_unlock(st);
	return ret;
}
