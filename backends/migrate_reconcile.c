/*
 * reconcile: the record of a run whose process died between its start and
 * its outcome, settled against the target.
 *
 * run_start makes the run's token durable before BEGIN, and run_execute
 * the plan, snapshot and undone run before the first step; the pending
 * scripts are copied to applied/<id>. So a "running" record says exactly
 * what would have happened, and schemafs_migrations (where COMMIT writes
 * the token) says whether it did.
 */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A run another live process may still be running is not ours to settle:
 * the one in progress here, and one whose steps outside the transaction
 * are on record (resume continues those). */
static int settleable(struct migrate *m, const struct store_run *r, bool *yes)
{
	const char *k = r->kind ? r->kind : "", *st = r->state ? r->state : "";
	*yes = false;
	if ((strcmp(k, "apply") && strcmp(k, "rollback")) || strcmp(st, "running") || !r->token ||
	    !*r->token)
		return 0;
	pthread_mutex_lock(&m->mu);
	bool here = m->busy && m->running_id == r->id;
	pthread_mutex_unlock(&m->mu);
	if (here)
		return 0;
	struct store_run_step *v = NULL;
	size_t n = 0;
	int rc = store_run_steps(m->st, r->id, &v, &n);
	store_run_steps_free(v, n);
	*yes = !rc && !n;
	return rc == REG_ENOMEM ? rc : 0;
}

/* The committed apply: its copies in applied/<id> are its archive, the
 * pending files they came from go (unless edited since). */
static int settle_apply(struct migrate *m, struct store_run *r)
{
	char kind[64];
	struct store_file *f = NULL;
	struct sbuf names = SBUF_INIT;
	size_t n = 0;
	int rc = run_applied_kind(r->id, kind, sizeof(kind)) ?: store_list_files(m->st, kind, &f, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		struct store_file p = { 0 };
		bool found = false;
		rc = store_get_file(m->st, MIGRATE_PENDING_KIND, f[i].name, &p, &found);
		if (!rc && found && p.len == f[i].len && !memcmp(p.bytes, f[i].bytes, p.len))
			rc = store_delete_file(m->st, MIGRATE_PENDING_KIND, f[i].name);
		store_file_release(&p);
		if (!rc)
			rc = sbuf_addf(&names, "migrations/%s/%s\n", kind, f[i].name);
	}
	if (!rc && names.len && run_set_str(&r->archived, names.buf))
		rc = REG_ENOMEM;
	store_files_free(f, n);
	sbuf_release(&names);
	return rc;
}

/* The committed rollback: the registry as before the run it undid (the
 * applied run before that one), as restore_registry does it. */
static int settle_rollback(struct migrate *m, struct store_run *r)
{
	struct store_run *v = NULL, *undone = NULL, prev = { 0 };
	size_t n = 0;
	bool has_prev = false;
	int rc = store_run_list(m->st, &v, &n);
	for (size_t i = 0; i < n && !rc && !undone; i++)
		if (v[i].id == r->undoes)
			undone = &v[i];
	if (!rc && undone)
		rc = store_run_last_applied(m->st, undone->id, &prev, &has_prev);
	for (size_t i = 0; undone && i < undone->touched.n && !rc; i++) {
		const char *name = undone->touched.items[i];
		int64_t id = has_prev ? store_snapshot_rev(prev.snapshot, name) : 0;
		struct store_rev old = { 0 }, now = { 0 };
		bool fold = false, fnow = false;
		if ((rc = store_get_schema(m->st, name, &now, &fnow)))
			break;
		if (id && !(rc = store_get_rev(m->st, id, &old, &fold)) && fold &&
		    (!fnow || now.len != old.len || memcmp(now.bytes, old.bytes, old.len)))
			rc = store_put_schema(m->st, name, old.bytes, old.len, NULL);
		else if (!id && fnow && strlist_find(&undone->created, name) >= 0)
			rc = store_delete_schema(m->st, name);
		store_rev_release(&old);
		store_rev_release(&now);
	}
	if (!rc && undone) {
		undone->undone_by = r->id;
		rc = store_run_update(m->st, undone);
	}
	store_run_release(&prev);
	store_run_list_free(v, n);
	return rc;
}

/* r's outcome into r; then the store, in one transaction. committed: 1
 * yes, 0 no. */
static int settle(struct migrate *m, struct store_run *r, int committed, bool *stored)
{
	bool apply = !strcmp(r->kind, "apply");
	r->finished = time(NULL);
	int rc = committed ? run_set_str(&r->state, "succeeded") ?:
			     run_set_str(&r->outcome, "committed (the process ended after "
						      "COMMIT; settled from the target's "
						      "schemafs_migrations)")
			   : run_set_str(&r->state, "failed") ?:
			     run_set_str(&r->error, "interrupted before commit") ?:
			     run_set_str(&r->outcome, "interrupted before commit, nothing changed");
	if (rc)
		return rc;
	r->completed = committed ? r->nsteps : 0;
	*stored = false;
	if (store_begin(m->st))
		return 0; /* read-only (status): shown, not stored */
	if (!committed)
		rc = apply ? run_unstage(m, r->id) : 0;
	else
		rc = apply ? settle_apply(m, r) : settle_rollback(m, r);
	if (!rc)
		rc = store_run_update(m->st, r);
	if (!rc && !(rc = store_commit(m->st)))
		*stored = true;
	else if (rc)
		store_rollback(m->st);
	return rc == REG_ENOMEM ? rc : 0;
}

/* The connection a settlement asks with: the registry's target. */
static int open_target(struct migrate *m, struct session *s)
{
	session_init(s, m);
	int rc = session_load_registry(s);
	if (!rc)
		rc = session_connect(s);
	if (rc)
		return rc;
	/* no run may be in progress on the target while its records are
	 * settled (a run in the transaction holds this lock) */
	struct pg_exec_result r;
	pg_exec_result_init(&r);
	rc = pg_lock_runs(s->pg, &r);
	pg_exec_result_release(&r);
	return rc;
}

static int settle_one(struct migrate *m, struct session *s, struct store_run *r, bool *settled,
		      bool *stored)
{
	int c = pg_run_committed(s->pg, r->token);
	*settled = c == 0 || c == 1;
	return *settled ? settle(m, r, c, stored) : 0;
}

int reconcile_run(struct migrate *m, struct store_run *r, bool *settled)
{
	struct session s;
	bool yes = false, stored = false;
	*settled = false;
	int rc = settleable(m, r, &yes);
	if (rc || !yes)
		return rc;
	if (!(rc = open_target(m, &s)))
		rc = settle_one(m, &s, r, settled, &stored);
	session_release(&s);
	return rc == REG_ENOMEM ? rc : 0;
}

int migrate_reconcile(struct migrate *m, struct sbuf *out)
{
	struct store_run *v = NULL;
	struct session s;
	size_t n = 0, todo = 0;
	bool opened = false;
	int rc = store_run_list(m->st, &v, &n);
	for (size_t i = 0; i < n && !rc; i++) {
		bool yes = false;
		rc = settleable(m, &v[i], &yes);
		if (!yes)
			v[i].token = (free(v[i].token), NULL);
		todo += yes;
	}
	if (rc || !todo)
		goto out;
	opened = true;
	if (open_target(m, &s))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		bool settled = false, stored = false;
		if (!v[i].token)
			continue;
		rc = settle_one(m, &s, &v[i], &settled, &stored);
		if (!rc && stored)
			rc = sbuf_addf(out, "run %lld (%s), left running by a process that ended: %s\n",
				       (long long)v[i].id, v[i].kind, v[i].outcome);
	}
out:
	if (opened)
		session_release(&s);
	store_run_list_free(v, n);
	return rc == REG_ENOMEM ? rc : 0;
}
