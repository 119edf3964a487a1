/*
 * resume and cancel: the life of a run after its transaction committed.
 *
 * A run whose steps outside the transaction did not all run ("incomplete",
 * or "running" when its process was killed) is continued from its first
 * step not done, from the step records in the store (what was planned is
 * what runs: nothing is planned again). cancel stops the running apply or
 * rollback, in this process or any other on the same database.
 */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int run_last_unfinished(struct migrate *m, int64_t exclude, struct store_run *rec, bool *found)
{
	struct store_run *v = NULL;
	size_t n = 0;
	*found = false;
	int rc = store_run_list(m->st, &v, &n);
	for (size_t i = n; i-- > 0 && !rc;) {
		const char *k = v[i].kind ? v[i].kind : "";
		if (v[i].id == exclude || (strcmp(k, "apply") && strcmp(k, "rollback")))
			continue;
		const char *st = v[i].state ? v[i].state : "";
		if (!strcmp(st, "incomplete") || !strcmp(st, "running")) {
			*rec = v[i];
			memset(&v[i], 0, sizeof(v[i]));
			*found = true;
		}
		break;
	}
	store_run_list_free(v, n);
	return rc;
}

/* The recorded steps as a plan: steps not recorded stay zeroed (they were
 * the transaction's). The strings are borrowed from v: free only steps. */
static int steps_plan(struct store_run_step *v, size_t n, struct plan *p, size_t *first)
{
	size_t max = 0;
	*first = 0;
	for (size_t i = 0; i < n; i++)
		if ((size_t)v[i].step > max)
			max = (size_t)v[i].step;
	if (!(p->steps = calloc(max + 1, sizeof(*p->steps))))
		return REG_ENOMEM;
	p->n = max;
	for (size_t i = 0; i < n; i++) {
		struct plan_step *st = &p->steps[v[i].step - 1];
		st->kind = (enum plan_step_kind)v[i].kind;
		st->schema = v[i].schema ? v[i].schema : "";
		st->what = v[i].what ? v[i].what : "";
		st->sql = v[i].sql ? v[i].sql : "";
		st->index = v[i].index;
		st->outside_tx = true;
		if (strcmp(v[i].state, "done") && (!*first || (size_t)v[i].step < *first))
			*first = (size_t)v[i].step;
	}
	return 0;
}

/* A "running" run whose process is gone and whose transaction never
 * committed: PostgreSQL rolled it back; so its record says. */
static int never_committed(struct migrate *m, struct store_run *rec, struct sbuf *out)
{
	rec->finished = time(NULL);
	int rc = run_set_str(&rec->state, "failed") ?:
		 run_set_str(&rec->outcome, "rolled back: the process ended before COMMIT, "
					    "nothing was committed") ?:
		 store_run_update(m->st, rec);
	if (!rc)
		rc = sbuf_addf(out, "resume: run %lld never committed: nothing to resume\n",
			       (long long)rec->id);
	return rc;
}

static int resume_run(struct session *s, struct store_run *rec, struct plan *p, size_t first,
		      struct sbuf *out)
{
	struct migrate *m = s->m;
	struct pg_exec_result r;
	pg_exec_result_init(&r);
	int rc = pg_lock_runs(s->pg, &r);
	if (rc) {
		sbuf_addf(out, "resume: %s\n", r.error.buf);
		goto out;
	}
	int c = pg_run_committed(s->pg, rec->token);
	if (c == 0) {
		pg_run_outside(s->pg, &(struct plan){ 0 }, 1, true, &(struct pg_exec_opts){ 0 }, &r);
		rc = never_committed(m, rec, out);
		goto out;
	}
	if (!first) {
		rc = sbuf_addf(out, "resume: run %lld has no step left to run\n", (long long)rec->id);
		if (!rc)
			rc = run_set_str(&rec->state, "succeeded") ?: store_run_update(m->st, rec);
		goto out;
	}
	struct run_progress pr = { m, p, NULL, rec };
	struct pg_exec_opts o = run_exec_opts(&pr, rec->kind, rec->token, NULL);
	pg_run_outside(s->pg, p, first, true, &o, &r);
	rec->completed = (int64_t)r.completed;
	rec->finished = time(NULL);
	if (r.ok) {
		char outcome[200];
		snprintf(outcome, sizeof(outcome),
			 "committed; resumed: steps %zu-%zu outside the transaction done", first, p->n);
		rec->failed_step = 0;
		rc = run_set_str(&rec->state, "succeeded") ?: run_set_str(&rec->outcome, outcome) ?:
		     run_set_str(&rec->error, NULL) ?: run_set_str(&rec->sqlstate, NULL) ?:
		     run_set_str(&rec->failed_what, NULL);
	} else {
		r.committed = true;
		rc = run_record_outcome(s, rec, p, &r);
	}
	if (!rc)
		rc = run_finish(m, rec);
	if (!rc)
		rc = run_report(rec, out);
	if (!rc && !r.ok)
		rc = REG_EIO;
out:
	pg_exec_result_release(&r);
	return rc;
}

int migrate_resume(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct store_run rec = { 0 };
	struct store_run_step *v = NULL;
	struct plan p = { 0 };
	size_t n = 0, first = 0;
	bool found = false;
	int rc;

	if (!run_claim(m, "resume")) {
		sbuf_adds(out, "resume: refused: another apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	if ((rc = migrate_reconcile(m, out)) || (rc = run_last_unfinished(m, 0, &rec, &found)))
		goto out;
	if (!found) {
		rc = sbuf_adds(out, "resume: nothing to resume\n");
		goto out;
	}
	if ((rc = store_run_steps(m->st, rec.id, &v, &n)) || (rc = steps_plan(v, n, &p, &first)))
		goto out;
	if ((rc = session_load_registry(&s)) || (rc = session_connect(&s))) {
		rc = session_prepare_failed(&s, rc, out);
		goto out;
	}
	rc = resume_run(&s, &rec, &p, first, out);
out:
	rc = run_status(rc);
	run_unclaim(m);
	free(p.steps);
	store_run_steps_free(v, n);
	store_run_release(&rec);
	session_release(&s);
	return rc;
}

int migrate_cancel(struct migrate *m, struct sbuf *out)
{
	struct session s;
	int n = 0, rc;
	pthread_mutex_lock(&m->mu);
	bool here = m->busy;
	if (here)
		m->cancel = true;
	pthread_mutex_unlock(&m->mu);
	session_init(&s, m);
	if ((rc = session_load_registry(&s)) || (rc = session_connect(&s))) {
		rc = session_prepare_failed(&s, rc, out);
		goto out;
	}
	if ((rc = pg_cancel_runs(s.pg, 10000, &n, &s.err))) {
		rc = session_prepare_failed(&s, rc, out);
		goto out;
	}
	if (!here && !n)
		rc = sbuf_adds(out, "cancel: no run is running on the target\n");
	else
		rc = sbuf_adds(out, "cancel: the running run was cancelled (status says how it "
				    "ended)\n");
out:
	session_release(&s);
	return run_status(rc);
}

int run_steps_left(struct migrate *m, int64_t run, bool *left)
{
	struct store_run_step *v = NULL;
	size_t n = 0;
	int rc = store_run_steps(m->st, run, &v, &n);
	*left = false;
	for (size_t i = 0; i < n && !rc; i++)
		*left = *left || strcmp(v[i].state, "done");
	store_run_steps_free(v, n);
	return rc;
}

int run_render_steps(struct migrate *m, const struct store_run *rec, struct sbuf *out)
{
	struct store_run_step *v = NULL;
	size_t n = 0;
	int rc = store_run_steps(m->st, rec->id, &v, &n);
	if (rc || !n)
		goto out;
	rc = sbuf_adds(out, "outside the transaction:\n");
	for (size_t i = 0; i < n && !rc; i++) {
		rc = sbuf_addf(out, "  step %lld: %s", (long long)v[i].step, v[i].state);
		if (!rc && v[i].attempts)
			rc = sbuf_addf(out, " (%lld %s)", (long long)v[i].attempts,
				       v[i].attempts == 1 ? "try" : "tries");
		if (!rc)
			rc = sbuf_addf(out, ": %s: %s", v[i].schema ? v[i].schema : "",
				       v[i].what ? v[i].what : "");
		if (!rc && v[i].error)
			rc = sbuf_addf(out, ": %.*s", (int)strcspn(v[i].error, "\n"), v[i].error);
		if (!rc)
			rc = sbuf_addch(out, '\n');
	}
out:
	store_run_steps_free(v, n);
	return rc;
}
