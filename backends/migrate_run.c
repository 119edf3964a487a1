#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

bool run_claim(struct migrate *m, const char *kind)
{
	pthread_mutex_lock(&m->mu);
	bool ok = !m->busy;
	if (ok) {
		m->busy = true;
		m->busy_kind = kind;
		m->step = m->nsteps = 0;
		m->step_what[0] = 0;
		m->cancel = false;
		m->running_id = 0;
		m->since = time(NULL);
		m->phase = "preparing";
	}
	pthread_mutex_unlock(&m->mu);
	return ok;
}

void run_unclaim(struct migrate *m)
{
	pthread_mutex_lock(&m->mu);
	m->busy = false;
	m->running_id = 0;
	pthread_mutex_unlock(&m->mu);
}

void run_phase(struct migrate *m, const char *phase)
{
	pthread_mutex_lock(&m->mu);
	m->phase = phase;
	pthread_mutex_unlock(&m->mu);
}

static void on_step(void *ctx, size_t k, size_t n)
{
	struct run_progress *p = ctx;
	const struct plan_step *st = &p->plan->steps[k - 1];
	pthread_mutex_lock(&p->m->mu);
	p->m->step = k;
	p->m->nsteps = n;
	p->m->phase = st->outside_tx ? "outside the transaction" : "in the transaction";
	snprintf(p->m->step_what, sizeof(p->m->step_what), "%s: %s", st->schema, st->what);
	pthread_mutex_unlock(&p->m->mu);
}

static int progress_post_check(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err)
{
	const struct postcheck *pc = ((struct run_progress *)ctx)->pc;
	run_phase(((struct run_progress *)ctx)->m, "committing");
	return pc ? session_post_check((void *)pc, c, notes, err) : 0;
}

static struct store_run_step step_record(const struct plan_step *st, size_t k)
{
	return (struct store_run_step){ .step = (int64_t)k, .kind = st->kind,
					.schema = st->schema, .what = st->what, .sql = st->sql,
					.index = st->index };
}

/* Before COMMIT: every step outside the transaction on record as pending,
 * durably, so that a run killed right after COMMIT can be resumed. */
static int on_before_outside(void *ctx)
{
	struct run_progress *p = ctx;
	size_t ntx = 0;
	while (ntx < p->plan->n && !p->plan->steps[ntx].outside_tx)
		ntx++;
	/* the record as it will be if the process dies after COMMIT: its
	 * token (to tell whether COMMIT happened) and plan included */
	p->rec->completed = (int64_t)ntx;
	int rc = store_run_update(p->m->st, p->rec);
	for (size_t i = 0; i < p->plan->n && !rc; i++) {
		if (!p->plan->steps[i].outside_tx)
			continue;
		struct store_run_step r = step_record(&p->plan->steps[i], i + 1);
		r.state = "pending";
		rc = store_run_step_put(p->m->st, p->rec->id, &r);
	}
	return rc;
}

static int on_step_done(void *ctx, size_t k, int attempts, bool ok, const char *error)
{
	struct run_progress *p = ctx;
	struct store_run_step r = step_record(&p->plan->steps[k - 1], k);
	r.state = ok ? "done" : "failed";
	r.attempts = attempts;
	r.finished = time(NULL);
	r.error = ok || !error || !*error ? NULL : (char *)error;
	return store_run_step_put(p->m->st, p->rec->id, &r);
}

static bool on_cancelled(void *ctx)
{
	struct run_progress *p = ctx;
	pthread_mutex_lock(&p->m->mu);
	bool c = p->m->cancel;
	pthread_mutex_unlock(&p->m->mu);
	return c;
}

struct pg_exec_opts run_exec_opts(struct run_progress *pr, const char *kind, const char *token,
				  const char *revisions)
{
	return (struct pg_exec_opts){ .lock_timeout_ms = pr->m->lock_timeout_ms,
				      .statement_timeout_ms = pr->m->statement_timeout_ms,
				      .kind = kind, .run = token, .revisions = revisions,
				      .progress = on_step, .before_commit = progress_post_check,
				      .before_outside = on_before_outside,
				      .step_done = on_step_done, .cancelled = on_cancelled,
				      .ctx = pr };
}

static char *dup_sbuf(const struct sbuf *sb)
{
	return strndup(sb->buf, sb->len);
}

int run_set_str(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? strdup(s) : NULL;
	return s && !*dst ? REG_ENOMEM : 0;
}

static int make_token(int64_t id, char **out)
{
	unsigned char rnd[8] = { 0 };
	char buf[64];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t t = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
		memcpy(rnd, &t, sizeof(rnd));
	}
	int k = snprintf(buf, sizeof(buf), "run-%lld-", (long long)id);
	for (size_t i = 0; i < sizeof(rnd); i++)
		k += snprintf(buf + k, sizeof(buf) - (size_t)k, "%02x", rnd[i]);
	return run_set_str(out, buf);
}

int run_names(const struct strlist *in, struct strlist *out)
{
	int rc = 0;
	for (size_t i = 0; i < in->n && !rc; i++)
		rc = strlist_push(out, in->items[i]);
	return rc;
}

int run_snapshot_text(const struct session *s, char **out)
{
	struct sbuf sb = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < s->reg->n && !rc; i++) {
		int64_t id = 0;
		const char *name = s->reg->schemas[i]->name;
		if (regstore_head(s->rs, name, &id, NULL))
			rc = sbuf_addf(&sb, "%s\t%lld\n", name, (long long)id);
	}
	if (!rc && !(*out = sbuf_detach(&sb, NULL)))
		rc = REG_ENOMEM;
	sbuf_release(&sb);
	return rc;
}

int run_revisions_text(const struct session *s, const struct plan *p, struct sbuf *out)
{
	int rc = 0;
	for (size_t i = 0; i < p->touched.n && !rc; i++) {
		int64_t id = 0;
		regstore_head(s->rs, p->touched.items[i], &id, NULL);
		rc = sbuf_addf(out, "%s%s=%lld", i ? " " : "", p->touched.items[i], (long long)id);
	}
	return rc;
}

int run_execute(struct session *s, struct store_run *rec, const struct plan *p,
		const char *kind, const char *revisions, const struct postcheck *pc,
		struct pg_exec_result *r)
{
	struct run_progress pr = { s->m, p, pc, rec };
	struct pg_exec_opts o = run_exec_opts(&pr, kind, rec->token, revisions);
	/* what will run, on record before anything runs: a process killed
	 * after COMMIT leaves a record that migrate_reconcile can finish */
	int rc = store_run_update(s->m->st, rec);
	if (rc) {
		pg_abort(s->pg);
		return session_store_failed(s, "recording the run", rc);
	}
	run_phase(s->m, "in the transaction");
	rc = pg_finish(s->pg, p, &o, r);
	if (rc == REG_ENOMEM)
		return rc;
	return run_record_outcome(s, rec, p, r);
}

/* The step that failed, as status shows it ("users: add column 'x'"). */
static int failed_step(struct store_run *rec, const struct plan *p, const struct pg_exec_result *r)
{
	rec->failed_step = (int64_t)r->failed_step;
	if (!p || !r->failed_step || r->failed_step > p->n)
		return 0;
	char what[600];
	snprintf(what, sizeof(what), "%s: %s", p->steps[r->failed_step - 1].schema,
		 p->steps[r->failed_step - 1].what);
	return run_set_str(&rec->failed_what, what);
}

/* The transaction committed, a step outside it did not run: the run is
 * "incomplete" until resumed (or rolled back). */
static int run_record_incomplete(struct session *s, struct store_run *rec, const struct plan *p,
				 const struct pg_exec_result *r)
{
	char outcome[400];
	size_t ntx = 0;
	(void)s;
	while (p && ntx < p->n && !p->steps[ntx].outside_tx)
		ntx++;
	snprintf(outcome, sizeof(outcome),
		 "partly applied: steps 1-%zu committed in one transaction; step %zu, outside "
		 "it, %s; steps before it are done, the rest did not run: `echo resume > "
		 "migrations/control` continues, rollback undoes",
		 ntx, r->failed_step, r->cancelled ? "was cancelled" : "failed");
	if (failed_step(rec, p, r))
		return REG_ENOMEM;
	return run_set_str(&rec->state, "incomplete") ?: run_set_str(&rec->outcome, outcome) ?:
	       run_set_str(&rec->error, r->error.len ? r->error.buf : NULL) ?:
	       run_set_str(&rec->sqlstate, r->sqlstate[0] ? r->sqlstate : NULL);
}

int run_record_outcome(struct session *s, struct store_run *rec, const struct plan *p,
		       struct pg_exec_result *r)
{
	rec->completed = (int64_t)r->completed;
	rec->finished = time(NULL);
	if (r->notes.len && !(rec->notes = dup_sbuf(&r->notes)))
		return REG_ENOMEM;
	if (r->ok)
		return run_set_str(&rec->state, "succeeded") ?: run_set_str(&rec->outcome, "committed");
	if (r->committed)
		return run_record_incomplete(s, rec, p, r);
	struct sbuf e = SBUF_INIT;
	int xrc = sbuf_add(&e, r->error.buf, r->error.len);
	if (xrc || run_set_str(&rec->error, e.buf) ||
	    run_set_str(&rec->state, r->busy ? "busy" : "failed") ||
	    run_set_str(&rec->sqlstate, r->sqlstate[0] ? r->sqlstate : NULL)) {
		sbuf_release(&e);
		return REG_ENOMEM;
	}
	sbuf_release(&e);
	if (failed_step(rec, p, r))
		return REG_ENOMEM;
	const char *outcome;
	if (r->busy) {
		outcome = "untouched: another migration holds the lock";
	} else if (r->commit_unknown) {
		int c = pg_run_committed(s->pg, rec->token);
		outcome = c == 1 ? "committed (the connection was lost after COMMIT was sent)"
			: c == 0 ? "rolled back: the connection was lost during COMMIT, nothing "
				   "was committed"
				 : "unknown: the connection was lost during COMMIT; look for run "
				   "token in schemafs_migrations once the server is back";
		if (c == 1) {
			run_set_str(&rec->state, "succeeded");
			r->ok = true;
		}
	} else if (r->cancelled) {
		run_set_str(&rec->state, "cancelled");
		outcome = "rolled back: cancelled; the database is exactly as before";
	} else if (r->connection_lost) {
		outcome = "rolled back: the connection to the server was lost before COMMIT, "
			  "so nothing was committed";
	} else {
		outcome = "rolled back: the database is exactly as before";
	}
	return run_set_str(&rec->outcome, outcome);
}

int run_finish(struct migrate *m, struct store_run *rec)
{
	return store_run_update(m->st, rec);
}

/* Moves the pending files a run used to applied/<id>; one batch with the
 * run's record, so both or neither happen. */
static int archive_and_record(struct session *s, struct store_run *rec)
{
	struct sbuf names = SBUF_INIT;
	char kind[64];
	int rc = store_begin(s->m->st);
	if (rc)
		return session_store_failed(s, "recording the run", rc);
	snprintf(kind, sizeof(kind), MIGRATE_APPLIED_KIND "/%lld", (long long)rec->id);
	for (size_t i = 0; i < s->nfiles && !rc; i++) {
		const struct store_file *f = &s->files[i];
		char table[REG_MAX_IDENT_LEN + 16];
		bool down;
		if (!migrate_pending_name(f->name, table, sizeof(table), &down) ||
		    !plan_pending_find(&s->pending, table))
			continue;
		rc = store_put_file(s->m->st, kind, f->name, f->bytes, f->len);
		if (!rc)
			rc = store_delete_file(s->m->st, MIGRATE_PENDING_KIND, f->name);
		if (!rc)
			rc = sbuf_addf(&names, "migrations/%s/%s\n", kind, f->name);
	}
	if (!rc && names.len && !(rec->archived = dup_sbuf(&names)))
		rc = REG_ENOMEM;
	if (!rc)
		rc = store_run_update(s->m->st, rec);
	if (!rc)
		rc = store_commit(s->m->st);
	else
		store_rollback(s->m->st);
	sbuf_release(&names);
	return rc ? session_store_failed(s, "recording the run", rc) : 0;
}

int run_refuse(struct session *s, struct store_run *rec, const char *why, struct sbuf *out)
{
	int rc = run_set_str(&rec->state, "refused") ?: run_set_str(&rec->error, why) ?:
		 run_set_str(&rec->outcome, "untouched: nothing ran");
	rec->finished = time(NULL);
	if (!rc)
		rc = run_finish(s->m, rec);
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(out, "%s: refused:\n%s", rec->kind, why);
	if (why[0] && why[strlen(why) - 1] != '\n')
		sbuf_addch(out, '\n');
	return REG_EIO;
}

static int irreversible_text(const struct plan *p, char **out)
{
	struct sbuf sb = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < p->n && !rc; i++)
		if (p->steps[i].destructive)
			rc = sbuf_addf(&sb, "step %zu: %s: %s\n", i + 1, p->steps[i].schema,
				       p->steps[i].what);
	if (!rc && sb.len && !(*out = sbuf_detach(&sb, NULL)))
		rc = REG_ENOMEM;
	sbuf_release(&sb);
	return rc;
}

int run_report(const struct store_run *rec, struct sbuf *out)
{
	return migrate_render_status(rec, out);
}

int run_report_unsuccessful(struct migrate *m, struct store_run *rec, bool busy,
			    struct sbuf *out)
{
	int rc = run_finish(m, rec) ?: run_report(rec, out);
	return rc ? rc : busy ? REG_EBUSY : REG_EIO;
}


int run_start(struct migrate *m, struct store_run *rec, const char *kind)
{
	/* the token is durable before BEGIN on the target: whatever happens
	 * next, schemafs_migrations can tell whether this run committed */
	int rc = run_set_str(&rec->kind, kind) ?: store_run_insert(m->st, rec) ?:
		 make_token(rec->id, &rec->token) ?: store_run_update(m->st, rec);
	if (!rc) {
		pthread_mutex_lock(&m->mu);
		m->running_id = rec->id;
		pthread_mutex_unlock(&m->mu);
	}
	return rc;
}

int run_start_failed(struct migrate *m, const char *kind, int rc, struct sbuf *out)
{
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(out, "%s: cannot record the run: %s\n", kind, store_errmsg(m->st));
	return REG_EIO;
}

int run_applied_kind(int64_t id, char *buf, size_t n)
{
	int k = snprintf(buf, n, MIGRATE_APPLIED_KIND "/%lld", (long long)id);
	return k < 0 || (size_t)k >= n ? REG_EINVAL : 0;
}

/* The pending scripts a run uses, copied to applied/<id> before the run
 * starts: when the process dies after COMMIT, migrate_reconcile knows what
 * ran. archive_and_record moves them for good; a run that did not commit
 * removes the copies (run_unstage). */
static int run_stage_pending(struct session *s, const struct store_run *rec)
{
	char kind[64];
	int rc = run_applied_kind(rec->id, kind, sizeof(kind));
	for (size_t i = 0; i < s->nfiles && !rc; i++) {
		const struct store_file *f = &s->files[i];
		char table[REG_MAX_IDENT_LEN + 16];
		bool down;
		if (migrate_pending_name(f->name, table, sizeof(table), &down) &&
		    plan_pending_find(&s->pending, table))
			rc = store_put_file(s->m->st, kind, f->name, f->bytes, f->len);
	}
	return rc;
}

int run_unstage(struct migrate *m, int64_t id)
{
	char kind[64];
	struct store_file *f = NULL;
	size_t n = 0;
	int rc = run_applied_kind(id, kind, sizeof(kind)) ?: store_list_files(m->st, kind, &f, &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = store_delete_file(m->st, kind, f[i].name);
	store_files_free(f, n);
	return rc;
}

int run_failed(struct session *s, struct store_run *rec, struct sbuf *out)
{
	int rc = run_set_str(&rec->state, "failed") ?: run_set_str(&rec->error, s->err.buf);
	rec->finished = time(NULL);
	if (!rc)
		rc = run_finish(s->m, rec);
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(out, "%s: %s\n", rec->kind, s->err.buf);
	return REG_EIO;
}

int run_status(int rc)
{
	return rc && rc != REG_ENOMEM && rc != REG_EBUSY && rc != REG_EIO ? REG_EIO : rc;
}

/* Validation or check errors: nothing may run; the run is refused with
 * the errors only. */
static int refuse_on_errors(struct session *s, struct store_run *rec, struct sbuf *tmp,
			    struct sbuf *out)
{
	struct diags only = DIAGS_INIT;
	int rc = 0;
	for (size_t i = 0; i < s->diags.n && !rc; i++)
		if (s->diags.items[i].severity == DIAG_ERROR)
			rc = diags_add(&only, s->diags.items[i].file, s->diags.items[i].loc,
				       DIAG_ERROR, "%s", s->diags.items[i].message);
	diags_sort(&only);
	if (!rc)
		rc = diags_render(&only, tmp);
	diags_release(&only);
	return rc ? rc : run_refuse(s, rec, tmp->buf, out);
}

int migrate_apply(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct store_run rec = { 0 };
	struct pg_exec_result r;
	struct sbuf tmp = SBUF_INIT;
	int rc;

	if (!run_claim(m, "apply")) {
		sbuf_adds(out, "apply: refused: another apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	pg_exec_result_init(&r);
	if ((rc = migrate_reconcile(m, out)) == REG_ENOMEM)
		goto out;
	/* a run that cannot reach its database is no run: nothing recorded */
	if ((rc = session_prepare_offline(&s))) {
		if (rc != REG_ENOMEM) {
			diags_sort(&s.diags);
			diags_render(&s.diags, out);
			sbuf_addf(out, "apply: %s\n", s.err.len ? s.err.buf : reg_strerror(rc));
		}
		goto out;
	}
	if ((rc = run_start(m, &rec, "apply"))) {
		rc = run_start_failed(m, "apply", rc, out);
		goto out;
	}
	if (s.target.len && run_set_str(&rec.target, s.target.buf)) {
		rc = REG_ENOMEM;
		goto out;
	}
	/* lock first, then plan inside the run's transaction: what was
	 * planned is what runs, whatever other mounts do meanwhile */
	if ((rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		bool busy = rc == REG_EBUSY;
		rc = run_record_outcome(&s, &rec, NULL, &r) ?: run_report_unsuccessful(m, &rec, busy, out);
		goto out;
	}
	if ((rc = history_guard(&s, &rec, out)))
		goto out;
	if ((rc = session_plan(&s, s.reg, &s.pending, NULL, 0, &s.plan, &s.diags))) {
		pg_abort(s.pg);
		if (rc == REG_ENOMEM)
			goto out;
		rc = run_set_str(&rec.state, "failed") ?: run_set_str(&rec.error, s.err.buf) ?:
		     run_set_str(&rec.outcome, "untouched: nothing ran");
		rec.finished = time(NULL);
		if (!rc)
			rc = run_report_unsuccessful(m, &rec, false, out);
		goto out;
	}
	if (s.diags.errors) {
		pg_abort(s.pg);
		rc = refuse_on_errors(&s, &rec, &tmp, out);
		goto out;
	}
	rec.nsteps = (int64_t)s.plan.n;
	if ((rc = plan_render(&s.plan, &tmp)) || !(rec.plan = dup_sbuf(&tmp))) {
		rc = REG_ENOMEM;
		goto out;
	}
	sbuf_reset(&tmp);
	if ((rc = run_snapshot_text(&s, &rec.snapshot)) ||
	    (rc = run_names(&s.plan.touched, &rec.touched)) ||
	    (rc = run_names(&s.plan.created, &rec.created)) ||
	    (rc = irreversible_text(&s.plan, &rec.irreversible)))
		goto out;
	if (!s.plan.n) {
		pg_abort(s.pg);
		rc = run_set_str(&rec.state, "succeeded") ?: run_set_str(&rec.outcome, "nothing to do");
		rec.finished = time(NULL);
		if (!rc)
			rc = run_finish(m, &rec);
		if (!rc)
			rc = sbuf_adds(out, "apply: nothing to do\n");
		goto out;
	}
	if ((rc = run_revisions_text(&s, &s.plan, &tmp)))
		goto out;
	if ((rc = run_stage_pending(&s, &rec))) {
		pg_abort(s.pg);
		rc = session_store_failed(&s, "recording the run", rc);
		if (rc != REG_ENOMEM)
			rc = run_failed(&s, &rec, out);
		goto out;
	}
	struct postcheck pc = { s.reg, &s.pending };
	rc = run_execute(&s, &rec, &s.plan, "apply", tmp.buf, &pc, &r);
	if (rc == REG_EIO)
		rc = run_failed(&s, &rec, out);
	if (rc)
		goto out;
	if (!r.ok && !r.committed && run_unstage(m, rec.id) == REG_ENOMEM) {
		rc = REG_ENOMEM;
		goto out;
	}
	if (r.ok || r.committed) {
		/* the pending scripts ran in the committed transaction */
		rc = archive_and_record(&s, &rec);
		if (rc == REG_EIO)
			sbuf_addf(out, "apply: the database migrated but %s\n", s.err.buf);
		if (!rc)
			rc = run_report(&rec, out);
		if (!rc && !r.ok)
			rc = REG_EIO; /* incomplete: status says where it stopped */
		goto out;
	}
	rc = run_report_unsuccessful(m, &rec, r.busy, out);
out:
	rc = run_status(rc);
	run_unclaim(m);
	store_run_release(&rec);
	pg_exec_result_release(&r);
	session_release(&s);
	sbuf_release(&tmp);
	return rc;
}

