/*
 * rollback: undoes the newest applied run that nothing undid yet.
 *
 * The steps, each a function of its own:
 *  1. the run to undo, refused when there is none or it destroyed data;
 *  2. "before": the registry as it was before that run -- the previous
 *     run's revision of every table the run touched -- and the archived
 *     down scripts of its hand-written steps;
 *  3. the reverse plan, "before" against the database as the run's
 *     transaction sees it, and its execution (the post-check compares
 *     with "before");
 *  4. the registry: new revisions with the previous content (history
 *     keeps all), and both run records, in one store transaction.
 */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a rollback works with besides its session. */
struct undo {
	struct store_run last;         /* the run undone */
	struct store_run prev;         /* the applied run before it, if any */
	bool has_prev;
	struct reg_registry *before;
	struct plan_pending downs;
	struct sbuf why;               /* reasons to refuse, one per line */
};

static void undo_release(struct undo *u)
{
	store_run_release(&u->last);
	store_run_release(&u->prev);
	reg_registry_free(u->before);
	plan_pending_release(&u->downs);
	sbuf_release(&u->why);
}

/* Step 1: u->last, u->prev. 1 when there is nothing that may be undone
 * (u->why says why). */
static int find_run(struct migrate *m, struct store_run *rec, struct undo *u)
{
	bool found = false;
	bool left = false;
	struct store_run open = { 0 };
	int rc = run_last_unfinished(m, rec->id, &open, &found);
	if (!rc && found)
		rc = run_steps_left(m, open.id, &left);
	found = found && left;
	if (!rc && found)
		sbuf_addf(&u->why, "run %lld is %s: its steps outside the transaction did not all "
			  "run; resume it first (echo resume > migrations/control)",
			  (long long)open.id, open.state);
	store_run_release(&open);
	if (rc || found)
		return rc ? rc : sbuf_error(&u->why) ?: 1;
	rc = store_run_last_applied(m->st, 0, &u->last, &found);
	if (rc)
		return rc;
	if (!found)
		return sbuf_adds(&u->why, "no applied run to roll back") ?: 1;
	rec->undoes = u->last.id;
	if (u->last.irreversible && *u->last.irreversible) {
		sbuf_addf(&u->why, "run %lld cannot be undone: its data is gone after\n%s",
			  (long long)u->last.id, u->last.irreversible);
		return sbuf_error(&u->why) ?: 1;
	}
	return store_run_last_applied(m->st, u->last.id, &u->prev, &u->has_prev);
}

/* Step 2 for one touched table: its schema in "before"; 2 when its
 * revision no longer loads (u->why says so). */
static int restore_schema(struct session *s, struct undo *u, const char *name)
{
	int64_t id = u->has_prev ? store_snapshot_rev(u->prev.snapshot, name) : 0;
	reg_unregister(u->before, name);
	if (!id) {
		if (strlist_find(&u->last.created, name) < 0)
			sbuf_addf(&u->why,
				  "'%s' was not created by run %lld and no earlier run applied "
				  "it: there is nothing to return it to\n",
				  name, (long long)u->last.id);
		return 0;
	}
	struct store_rev rev = { 0 };
	struct reg_schema *sc = NULL;
	bool found = false;
	char file[REG_MAX_IDENT_LEN + 32];
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	int rc = store_get_rev(s->m->st, id, &rev, &found);
	if (rc)
		return rc;
	if (found)
		rc = reg_schema_from_bytes(rev.bytes, rev.len, file, name, &sc, &s->diags);
	store_rev_release(&rev);
	if (rc == REG_ENOMEM)
		return rc;
	if (!sc) {
		sbuf_addf(&u->why, "revision %lld of '%s' no longer loads\n", (long long)id, name);
		return 2;
	}
	return reg_register(u->before, sc);
}

/* Step 2 for one touched table: a hand-written step is undone by its
 * hand-written down script, archived with the run. */
static int find_down_script(struct session *s, struct undo *u, const char *kind,
			    const char *name)
{
	struct store_file f = { 0 };
	bool found = false;
	char fname[REG_MAX_IDENT_LEN + 16];
	snprintf(fname, sizeof(fname), "%s.sql", name);
	int rc = store_get_file(s->m->st, kind, fname, &f, &found);
	store_file_release(&f);
	if (rc || !found)
		return rc;
	snprintf(fname, sizeof(fname), "%s.down.sql", name);
	if ((rc = store_get_file(s->m->st, kind, fname, &f, &found)))
		return rc;
	if (!found) {
		sbuf_addf(&u->why,
			  "run %lld ran migrations/%s/%s.sql and there is no %s.down.sql "
			  "to undo it (add migrations/pending/%s.down.sql before applying "
			  "next time)\n",
			  (long long)u->last.id, kind, name, name, name);
	} else {
		char file[256];
		snprintf(file, sizeof(file), "migrations/%s/%s", kind, fname);
		rc = plan_pending_add(&u->downs, name, file, f.bytes, f.len);
	}
	store_file_release(&f);
	return rc;
}

/* Step 2: u->before and u->downs; what makes it impossible goes to u->why. */
static int build_before(struct session *s, struct undo *u)
{
	char kind[64];
	int rc = 0;
	if (!(u->before = reg_registry_new()))
		return REG_ENOMEM;
	for (size_t i = 0; i < s->reg->n && !rc; i++) {
		struct reg_schema *dup = reg_schema_dup(s->reg->schemas[i]);
		rc = dup ? reg_register(u->before, dup) : REG_ENOMEM;
	}
	snprintf(kind, sizeof(kind), MIGRATE_APPLIED_KIND "/%lld", (long long)u->last.id);
	for (size_t i = 0; i < u->last.touched.n && !rc; i++) {
		const char *name = u->last.touched.items[i];
		rc = restore_schema(s, u, name);
		if (rc == 2)
			rc = 0;
		else if (!rc)
			rc = find_down_script(s, u, kind, name);
	}
	return rc ? rc : sbuf_error(&u->why);
}

/* Step 3: the reverse plan into rp, inside the transaction pg_begin
 * opened; its problems are a refusal (in u->why). */
static int plan_reverse(struct session *s, struct undo *u, struct store_run *rec,
			struct plan *rp)
{
	struct diags pd = DIAGS_INIT;
	struct sbuf tmp = SBUF_INIT;
	int rc = session_plan(s, u->before, &u->downs,
			      (const char *const *)u->last.touched.items, u->last.touched.n, rp,
			      &pd);
	if (!rc && pd.errors)
		rc = diags_render(&pd, &u->why) ?: 1;
	if (!rc) {
		rec->nsteps = (int64_t)rp->n;
		plan_render(rp, &tmp);
		if ((rc = sbuf_error(&tmp)) || !(rec->plan = strndup(tmp.buf, tmp.len)))
			rc = REG_ENOMEM;
	}
	if (!rc)
		rc = run_names(&rp->touched, &rec->touched);
	diags_release(&pd);
	sbuf_release(&tmp);
	return rc;
}

/* Step 3: runs rp (nothing to run: ends the transaction); r->ok says how
 * it went. */
static int execute_reverse(struct session *s, struct undo *u, struct store_run *rec,
			   const struct plan *rp, struct pg_exec_result *r)
{
	if (!rp->n) {
		pg_abort(s->pg);
		r->ok = true;
		rec->finished = time(NULL);
		return run_set_str(&rec->state, "succeeded") ?:
		       run_set_str(&rec->outcome, "nothing to undo in the database");
	}
	struct sbuf revisions = SBUF_INIT;
	struct postcheck pc = { u->before, &u->downs };
	int rc = run_revisions_text(s, rp, &revisions) ?:
		 run_execute(s, rec, rp, "rollback", revisions.buf, &pc, r);
	sbuf_release(&revisions);
	return rc;
}

/* Step 4: the registry as before, and both records, in one transaction. */
static int restore_registry(struct session *s, struct undo *u, struct store_run *rec)
{
	struct store *st = s->m->st;
	int rc = store_begin(st);
	if (rc)
		return rc;
	for (size_t i = 0; i < u->last.touched.n && !rc; i++) {
		const char *name = u->last.touched.items[i];
		const struct reg_schema *b = reg_get(u->before, name);
		const struct reg_schema *now = reg_get(s->reg, name);
		if (b && (!now || now->source_len != b->source_len ||
			  memcmp(now->source, b->source, b->source_len)))
			rc = store_put_schema(st, name, b->source, b->source_len, NULL);
		else if (!b && now)
			rc = store_delete_schema(st, name);
	}
	u->last.undone_by = rec->id;
	if (!rc)
		rc = store_run_update(st, &u->last);
	if (!rc)
		rc = store_run_update(st, rec);
	if (!rc)
		return store_commit(st);
	store_rollback(st);
	return rc;
}

/* Steps 1 and 2 (the session connected): 1 when refused (u->why). */
static int prepare_undo(struct session *s, struct store_run *rec, struct undo *u)
{
	int rc = find_run(s->m, rec, u);
	if (rc)
		return rc;
	if ((rc = run_set_str(&rec->target, s->target.buf)) || (rc = build_before(s, u)))
		return rc;
	return u->why.len ? 1 : 0;
}

int migrate_rollback(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct store_run rec = { 0 };
	struct undo u = { 0 };
	struct plan rp = { 0 };
	struct pg_exec_result r;
	int rc;

	if (!run_claim(m, "rollback")) {
		sbuf_adds(out, "rollback: refused: another apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	pg_exec_result_init(&r);
	sbuf_init(&u.why);
	if ((rc = migrate_reconcile(m, out)) == REG_ENOMEM)
		goto out;
	/* a rollback that cannot reach its database is not recorded */
	if ((rc = session_load_registry(&s)) || (rc = session_connect(&s))) {
		if (rc != REG_ENOMEM)
			sbuf_addf(out, "rollback: %s\n", s.err.len ? s.err.buf : reg_strerror(rc));
		goto out;
	}
	if ((rc = run_start(m, &rec, "rollback"))) {
		rc = run_start_failed(m, "rollback", rc, out);
		goto out;
	}
	if ((rc = prepare_undo(&s, &rec, &u)) < 0)
		goto out;
	if (rc == 1) {
		rc = run_refuse(&s, &rec, u.why.buf, out);
		goto out;
	}
	if ((rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		bool busy = rc == REG_EBUSY;
		rc = run_record_outcome(&s, &rec, NULL, &r) ?:
		     run_report_unsuccessful(m, &rec, busy, out);
		goto out;
	}
	if ((rc = plan_reverse(&s, &u, &rec, &rp))) {
		pg_abort(s.pg);
		if (rc == 1)
			rc = run_refuse(&s, &rec, u.why.buf, out);
		else if (rc != REG_ENOMEM)
			rc = run_failed(&s, &rec, out);
		goto out;
	}
	if ((rc = execute_reverse(&s, &u, &rec, &rp, &r)) == REG_EIO)
		rc = run_failed(&s, &rec, out);
	if (rc)
		goto out;
	if (!r.ok) {
		rc = run_report_unsuccessful(m, &rec, r.busy, out);
		goto out;
	}
	if ((rc = restore_registry(&s, &u, &rec))) {
		if (rc != REG_ENOMEM)
			sbuf_addf(out, "rollback: the database was rolled back but the registry "
				       "could not be restored: %s\n", store_errmsg(m->st));
		goto out;
	}
	rc = run_report(&rec, out);
out:
	rc = run_status(rc);
	run_unclaim(m);
	plan_release(&rp);
	undo_release(&u);
	store_run_release(&rec);
	pg_exec_result_release(&r);
	session_release(&s);
	return rc;
}

/* What the preview says of the registry: each touched table's fate. */
static int preview_registry(const struct undo *u, const struct reg_registry *now,
			    struct sbuf *out)
{
	for (size_t i = 0; i < u->last.touched.n; i++) {
		const char *name = u->last.touched.items[i];
		int64_t id = u->has_prev ? store_snapshot_rev(u->prev.snapshot, name) : 0;
		if (id)
			sbuf_addf(out, "registry: %s back to revision %lld\n", name, (long long)id);
		else if (reg_get(now, name))
			sbuf_addf(out, "registry: %s unregistered (run %lld created it)\n", name,
				  (long long)u->last.id);
	}
	return sbuf_error(out);
}

int migrate_rollback_plan(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct store_run rec = { 0 };
	struct undo u = { 0 };
	struct plan rp = { 0 };
	struct pg_exec_result r;
	struct sbuf notes = SBUF_INIT;
	int rc = migrate_reconcile(m, &notes);
	session_init(&s, m);
	pg_exec_result_init(&r);
	sbuf_init(&u.why);
	if (rc)
		goto out;
	if ((rc = session_load_registry(&s)) || (rc = session_connect(&s))) {
		rc = session_prepare_failed(&s, rc, out);
		goto out;
	}
	if ((rc = prepare_undo(&s, &rec, &u)) < 0)
		goto out;
	/* the reverse plan as rollback would compute it, in a transaction
	 * that is then rolled back */
	if (!rc && !(rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		rc = plan_reverse(&s, &u, &rec, &rp);
		pg_abort(s.pg);
	} else if (!rc) {
		rc = sbuf_addf(out, "rollback: %s\n", r.error.buf) ?: REG_EIO;
		goto out;
	}
	if (rc == 1) {
		rc = sbuf_addf(out, "rollback would be refused:\n%s", u.why.buf) ?: REG_EIO;
		goto out;
	}
	if (rc) {
		rc = session_prepare_failed(&s, rc, out);
		goto out;
	}
	sbuf_addf(out, "rollback would undo run %lld (%s, %lld steps)\n", (long long)u.last.id,
		  u.last.kind ? u.last.kind : "apply", (long long)u.last.nsteps);
	preview_registry(&u, s.reg, out);
	sbuf_adds(out, "database:\n");
	rc = plan_render(&rp, out);
out:
	sbuf_release(&notes);
	plan_release(&rp);
	undo_release(&u);
	store_run_release(&rec);
	pg_exec_result_release(&r);
	session_release(&s);
	return run_status(rc);
}
