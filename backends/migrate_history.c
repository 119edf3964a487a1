/*
 * The target's history verified against the store's record of runs (as
 * Flyway's validate and Sqitch's check do), and baseline: an adopted
 * database marked as applied at the current registry.
 *
 * Two records of every run exist: schemafs_migrations in the target (the
 * SQL that ran and its sha256, written in the run's own transaction) and
 * the store's migration_runs. A row whose SQL no longer hashes to its
 * checksum was edited; a run the store saw commit on this target whose row
 * is gone was deleted; a row whose kind or step count differs from the
 * store's was edited. Rows the store does not know (another registry on
 * the same database) are not problems.
 */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Whether the store's run r committed a row on the target shown as target. */
static bool expects_row(const struct store_run *r, const char *target)
{
	return r->token && r->state && !strcmp(r->state, "succeeded") && r->target &&
	       !strcmp(r->target, target) &&
	       (r->nsteps > 0 || (r->kind && !strcmp(r->kind, "baseline")));
}

static const struct pg_history_row *find_row(const struct pg_history_row *rows, size_t n,
					     const char *run)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].run, run))
			return &rows[i];
	return NULL;
}

static const struct store_run *find_run(const struct store_run *v, size_t n, const char *token)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].token && !strcmp(v[i].token, token))
			return &v[i];
	return NULL;
}

/* The rows against the runs: one line per problem. */
static int compare(const struct session *s, const struct pg_history_row *rows, size_t nrows,
		   bool exists, const struct store_run *v, size_t nv, struct sbuf *out,
		   size_t *problems)
{
	for (size_t i = 0; i < nrows; i++) {
		const struct pg_history_row *h = &rows[i];
		const struct store_run *r = find_run(v, nv, h->run);
		char who[64] = "";
		if (r)
			snprintf(who, sizeof(who), "run %lld ", (long long)r->id);
		if (!h->checksum_ok) {
			sbuf_addf(out, "%s(%s, row %lld of schemafs_migrations): its recorded SQL "
				       "no longer matches its checksum: edited by hand\n",
				  who, h->run, h->id);
			++*problems;
		}
		if (r && ((r->kind && strcmp(r->kind, h->kind)) ||
			  (r->nsteps != h->steps && strcmp(h->kind, "baseline")))) {
			sbuf_addf(out, "%s(%s, row %lld of schemafs_migrations): recorded as %s of "
				       "%lld steps, the store says %s of %lld: edited by hand\n",
				  who, h->run, h->id, h->kind, h->steps, r->kind ? r->kind : "?",
				  (long long)r->nsteps);
			++*problems;
		}
	}
	for (size_t i = 0; i < nv; i++) {
		if (!expects_row(&v[i], s->target.buf) || find_row(rows, nrows, v[i].token))
			continue;
		sbuf_addf(out, "run %lld (%s, %s): committed on this target but %s: deleted by "
			       "hand\n",
			  (long long)v[i].id, v[i].token, v[i].kind ? v[i].kind : "?",
			  exists ? "its row of schemafs_migrations is gone"
				 : "schemafs_migrations is gone");
		++*problems;
	}
	return sbuf_error(out);
}

int history_verify(struct session *s, struct sbuf *out, size_t *problems)
{
	struct pg_history_row *rows = NULL;
	struct store_run *v = NULL;
	size_t nrows = 0, nv = 0;
	bool exists = false;
	*problems = 0;
	int rc = pg_history_read(s->pg, &rows, &nrows, &exists, &s->err);
	if (rc)
		return rc;
	if ((rc = store_run_list(s->m->st, &v, &nv)))
		rc = session_store_failed(s, "reading the runs", rc);
	else
		rc = compare(s, rows, nrows, exists, v, nv, out, problems);
	store_run_list_free(v, nv);
	pg_history_free(rows, nrows);
	return rc;
}

int history_guard(struct session *s, struct store_run *rec, struct sbuf *out)
{
	struct sbuf why = SBUF_INIT;
	size_t problems = 0;
	int rc = history_verify(s, &why, &problems);
	if (!rc && problems && !s->m->force) {
		pg_abort(s->pg);
		sbuf_adds(&why, "the history of this database was changed by hand: see "
				"'schemafs migrate log'; apply --force runs anyway\n");
		rc = sbuf_error(&why) ?: run_refuse(s, rec, why.buf, out);
	} else if (rc) {
		pg_abort(s->pg);
		rc = rc == REG_ENOMEM ? rc : run_failed(s, rec, out);
	}
	sbuf_release(&why);
	return rc;
}

int migrate_verify(struct migrate *m, struct sbuf *out)
{
	struct session s;
	size_t problems = 0;
	session_init(&s, m);
	int rc = session_load_registry(&s);
	if (!rc || rc == REG_EIO)
		rc = session_connect(&s);
	if (!rc)
		rc = history_verify(&s, out, &problems);
	if (rc && rc != REG_ENOMEM)
		rc = session_prepare_failed(&s, rc, out);
	else if (!rc && problems)
		rc = REG_ESTATE;
	session_release(&s);
	return rc;
}

/* ---- baseline ---- */

/* "users=12 policies=7" for every schema of the registry. */
static int all_revisions(const struct session *s, struct sbuf *out)
{
	for (size_t i = 0; i < s->reg->n; i++) {
		int64_t id = 0;
		regstore_head(s->rs, s->reg->schemas[i]->name, &id, NULL);
		sbuf_addf(out, "%s%s=%lld", i ? " " : "", s->reg->schemas[i]->name,
			  (long long)id);
	}
	return sbuf_error(out);
}

/* Inside the begun transaction: refused when the target has runs, else
 * the empty run recorded and committed. */
static int record_baseline(struct session *s, struct store_run *rec, struct pg_exec_result *r,
			   struct sbuf *out)
{
	struct pg_history_row *rows = NULL;
	struct sbuf revs = SBUF_INIT;
	size_t n = 0;
	bool exists = false;
	struct plan empty = { 0 };
	int rc = pg_history_read(s->pg, &rows, &n, &exists, &s->err);
	pg_history_free(rows, n);
	if (rc) {
		pg_abort(s->pg);
		return rc == REG_ENOMEM ? rc : run_failed(s, rec, out);
	}
	if (n) {
		pg_abort(s->pg);
		char why[160];
		snprintf(why, sizeof(why), "the target already has %zu run%s in schemafs_migrations: "
					   "there is nothing to adopt", n, n == 1 ? "" : "s");
		return run_refuse(s, rec, why, out);
	}
	if ((rc = all_revisions(s, &revs)) || (rc = run_snapshot_text(s, &rec->snapshot))) {
		pg_abort(s->pg);
		sbuf_release(&revs);
		return rc;
	}
	for (size_t i = 0; i < s->reg->n && !rc; i++)
		rc = strlist_push(&rec->touched, s->reg->schemas[i]->name);
	struct pg_exec_opts o = { .kind = "baseline", .run = rec->token, .revisions = revs.buf };
	if (!rc)
		rc = pg_finish(s->pg, &empty, &o, r);
	sbuf_release(&revs);
	if (rc == REG_ENOMEM)
		return rc;
	if ((rc = run_record_outcome(s, rec, NULL, r)))
		return rc;
	if (!r->ok)
		return run_report_unsuccessful(s->m, rec, r->busy, out);
	return run_set_str(&rec->outcome, "marked as applied at the current registry; nothing ran")
	       ?: run_finish(s->m, rec) ?: run_report(rec, out);
}

int migrate_baseline(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct store_run rec = { 0 };
	struct pg_exec_result r;
	int rc;
	if (!run_claim(m, "baseline")) {
		sbuf_adds(out, "baseline: refused: an apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	pg_exec_result_init(&r);
	if ((rc = run_start(m, &rec, "baseline")))
		goto out;
	rc = session_prepare_offline(&s);
	if (s.target.len && run_set_str(&rec.target, s.target.buf))
		rc = REG_ENOMEM;
	if (!rc && s.diags.errors)
		rc = diags_render(&s.diags, &s.err) ?: REG_EIO;
	if (rc) {
		if (rc != REG_ENOMEM)
			rc = run_refuse(&s, &rec, s.err.len ? s.err.buf : reg_strerror(rc), out);
		goto out;
	}
	if ((rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		bool busy = rc == REG_EBUSY;
		rc = run_record_outcome(&s, &rec, NULL, &r) ?: run_report_unsuccessful(m, &rec, busy, out);
		goto out;
	}
	rc = record_baseline(&s, &rec, &r, out);
out:
	rc = run_status(rc);
	run_unclaim(m);
	store_run_release(&rec);
	pg_exec_result_release(&r);
	session_release(&s);
	return rc;
}
