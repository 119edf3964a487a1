#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "validate.h"

int migrate_new(struct store *st, const struct migrate_opts *o, struct migrate **out)
{
	struct migrate *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m)
		return REG_ENOMEM;
	m->st = st;
	if (o && o->target && !(m->target = strdup(o->target))) {
		free(m);
		return REG_ENOMEM;
	}
	m->lock_timeout_ms = o ? o->lock_timeout_ms : 0;
	m->force = o && o->force;
	if (m->lock_timeout_ms <= 0) {
		const char *env = getenv("SCHEMAFS_LOCK_TIMEOUT");
		m->lock_timeout_ms = env && atoi(env) > 0 ? atoi(env) : PG_DEFAULT_LOCK_TIMEOUT_MS;
	}
	m->statement_timeout_ms = o ? o->statement_timeout_ms : 0;
	if (m->statement_timeout_ms <= 0) {
		const char *env = getenv("SCHEMAFS_STATEMENT_TIMEOUT");
		m->statement_timeout_ms = env && atoi(env) > 0 ? atoi(env) : 0;
	}
	m->check_statement_timeout_ms = m->statement_timeout_ms > 0
					? m->statement_timeout_ms
					: MIGRATE_CHECK_STATEMENT_TIMEOUT_MS;
	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return 0;
}

void migrate_free(struct migrate *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m->target);
	free(m);
}

bool migrate_pending_name(const char *file, char *table, size_t n, bool *down)
{
	size_t len = strlen(file), base;
	*down = false;
	if (len > 9 && !strcmp(file + len - 9, ".down.sql")) {
		*down = true;
		base = len - 9;
	} else if (len > 4 && !strcmp(file + len - 4, ".sql")) {
		base = len - 4;
	} else {
		return false;
	}
	if (base + 1 > n)
		return false;
	memcpy(table, file, base);
	table[base] = 0;
	return reg_validate_ident(table, NULL) == 1;
}

/* ---- plan, impact ---- */

static int render_plan(struct session *s, struct sbuf *out)
{
	return plan_render(&s->plan, out);
}

static int render_impact(struct session *s, struct sbuf *out)
{
	return plan_render_impact(&s->plan, s->reg, out);
}

/* A prepared session rendered into out, or why it could not be prepared. */
static int with_plan(struct migrate *m, int (*render)(struct session *s, struct sbuf *out),
		     struct sbuf *out)
{
	struct session s;
	struct sbuf notes = SBUF_INIT;
	int rc = migrate_reconcile(m, &notes);
	sbuf_release(&notes);
	if (rc)
		return rc;
	session_init(&s, m);
	rc = session_prepare(&s);
	if (rc)
		rc = session_prepare_failed(&s, rc, out);
	else
		rc = render(&s, out);
	session_release(&s);
	return rc;
}

int migrate_plan(struct migrate *m, struct sbuf *out)
{
	return with_plan(m, render_plan, out);
}

int migrate_impact(struct migrate *m, struct sbuf *out)
{
	return with_plan(m, render_impact, out);
}

/* ---- status, log, control ---- */

/* The run in progress in this process: "progress: step k of n: what"
 * with its phase and how long it has run; "" when none. */
static int progress_text(struct migrate *m, char *buf, size_t n, bool *here)
{
	pthread_mutex_lock(&m->mu);
	*here = m->busy;
	long long secs = (long long)(time(NULL) - m->since);
	buf[0] = 0;
	if (m->busy && m->nsteps)
		snprintf(buf, n, "progress: step %zu of %zu: %s\nphase: %s\nelapsed: %llds\n",
			 m->step, m->nsteps, m->step_what, m->phase, secs);
	else if (m->busy)
		snprintf(buf, n, "phase: %s\nelapsed: %llds\n", m->phase, secs);
	pthread_mutex_unlock(&m->mu);
	return 0;
}

int migrate_status(struct migrate *m, struct sbuf *out)
{
	struct store_run r;
	bool found, here, settled = false;
	struct sbuf notes = SBUF_INIT;
	int rc = migrate_reconcile(m, &notes);
	sbuf_release(&notes);
	if (rc)
		return rc;
	if ((rc = store_run_last(m->st, &r, &found)))
		return rc == REG_ENOMEM ? rc : REG_EIO;
	if (!found)
		return sbuf_adds(out, "no runs yet\n");
	char progress[800];
	progress_text(m, progress, sizeof(progress), &here);
	bool running = r.state && !strcmp(r.state, "running");
	/* a store this command cannot write (read-only status) still shows
	 * how the run ended */
	if (running && (rc = reconcile_run(m, &r, &settled)))
		goto out;
	rc = migrate_render_status(&r, out);
	if (!rc)
		rc = run_render_steps(m, &r, out);
	if (!rc && settled)
		rc = sbuf_adds(out, "note: settled from the target now; recorded at the next "
				    "command that writes the store\n");
	running = r.state && !strcmp(r.state, "running");
	if (!rc && running && here && m->running_id == r.id)
		rc = sbuf_adds(out, progress);
	else if (!rc && running)
		rc = sbuf_adds(out, "note: this run has not finished: it runs in another process, "
				    "or its process ended and the target cannot be asked now (its "
				    "token in schemafs_migrations says whether it committed)\n");
out:
	store_run_release(&r);
	return rc;
}

/* The history's problems, one "tampered: ..." line each, after the log;
 * nothing when it is intact or the target cannot be reached (the log is
 * the store's, and stays readable without a database). */
static int log_tampering(struct migrate *m, struct sbuf *out)
{
	struct sbuf lines = SBUF_INIT;
	int rc = migrate_verify(m, &lines);
	if (rc == REG_ESTATE)
		for (const char *p = lines.buf; *p;) {
			size_t n = strcspn(p, "\n");
			sbuf_addf(out, "tampered: %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
	sbuf_release(&lines);
	return rc == REG_ENOMEM ? rc : sbuf_error(out);
}

int migrate_log(struct migrate *m, struct sbuf *out)
{
	struct store_run *v;
	size_t n;
	struct sbuf notes = SBUF_INIT;
	int rc = migrate_reconcile(m, &notes); /* the log stays one line per run */
	sbuf_release(&notes);
	if (rc)
		return rc;
	if ((rc = store_run_list(m->st, &v, &n)))
		return rc == REG_ENOMEM ? rc : REG_EIO;
	for (size_t i = 0; i < n && !rc; i++)
		rc = migrate_render_log_line(&v[i], out);
	store_run_list_free(v, n);
	return rc ?: log_tampering(m, out);
}

/* ---- JSON ---- */

static int json_status(struct migrate *m, struct jsonw *w)
{
	struct store_run r;
	bool found;
	int rc = store_run_last(m->st, &r, &found);
	if (rc)
		return rc == REG_ENOMEM ? rc : REG_EIO;
	if (!found) {
		jsonw_obj(w);
		jsonw_key(w, "run");
		jsonw_null(w);
		jsonw_end(w);
		return 0;
	}
	migrate_render_run_json(&r, w);
	store_run_release(&r);
	return 0;
}

static int json_log(struct migrate *m, struct jsonw *w)
{
	struct store_run *v;
	struct sbuf lines = SBUF_INIT;
	size_t n;
	int rc = store_run_list(m->st, &v, &n);
	if (rc)
		return rc == REG_ENOMEM ? rc : REG_EIO;
	jsonw_obj(w);
	jsonw_key(w, "runs");
	jsonw_arr(w);
	for (size_t i = 0; i < n; i++)
		migrate_render_run_json(&v[i], w);
	jsonw_end(w);
	store_run_list_free(v, n);
	int vrc = migrate_verify(m, &lines);
	bool tampered = vrc == REG_ESTATE;
	jsonw_key(w, "history");
	jsonw_obj(w);
	jsonw_kbool(w, "verified", !vrc || tampered);
	jsonw_kbool(w, "intact", !vrc);
	jsonw_key(w, vrc && !tampered ? "error" : "problems");
	if (vrc && !tampered) {
		jsonw_strn(w, lines.buf, strcspn(lines.buf, "\n"));
	} else {
		jsonw_arr(w);
		for (const char *p = lines.buf; *p;) {
			size_t k = strcspn(p, "\n");
			jsonw_strn(w, p, k);
			p += k + (p[k] == '\n');
		}
		jsonw_end(w);
	}
	jsonw_end(w);
	jsonw_end(w);
	sbuf_release(&lines);
	return vrc == REG_ENOMEM ? vrc : 0;
}

/* plan, impact: a prepared session as JSON. */
static int json_plan(struct migrate *m, bool impact, struct sbuf *out, struct sbuf *err)
{
	struct session s;
	session_init(&s, m);
	int rc = session_prepare(&s);
	if (rc)
		rc = session_prepare_failed(&s, rc, err);
	else if (impact)
		rc = plan_render_impact_json(&s.plan, s.reg, out);
	else
		rc = plan_render_json(&s.plan, out);
	session_release(&s);
	return rc;
}

static int json_check(struct migrate *m, struct sbuf *out, struct sbuf *err)
{
	struct migrate_check_result res;
	migrate_check_result_init(&res);
	int rc = migrate_check_run(m, NULL, &res);
	if (rc != REG_ENOMEM && res.error.len)
		sbuf_add(err, res.error.buf, res.error.len);
	else if (rc != REG_ENOMEM && migrate_check_render_json(&res, out))
		rc = REG_ENOMEM;
	migrate_check_result_release(&res);
	return rc;
}

int migrate_json(struct migrate *m, const char *what, struct sbuf *out, struct sbuf *err)
{
	struct sbuf why = SBUF_INIT;
	struct jsonw w;
	int rc = migrate_reconcile(m, &why);
	sbuf_reset(&why);
	if (rc)
		return rc;
	jsonw_init_layout(&w, out, JSONW_SPACED);
	if (!strcmp(what, "plan") || !strcmp(what, "impact"))
		rc = json_plan(m, what[0] == 'i', out, &why);
	else if (!strcmp(what, "check"))
		rc = json_check(m, out, &why);
	else if (!strcmp(what, "status"))
		rc = json_status(m, &w) ?: jsonw_finish(&w) ?: sbuf_addch(out, '\n');
	else if (!strcmp(what, "log"))
		rc = json_log(m, &w) ?: jsonw_finish(&w) ?: sbuf_addch(out, '\n');
	else
		rc = REG_EINVAL;
	if (rc && rc != REG_ENOMEM && !out->len) {
		/* one JSON document whatever happened: the error as its content */
		while (why.len && why.buf[why.len - 1] == '\n')
			why.buf[--why.len] = 0;
		if (!why.len)
			sbuf_adds(&why, rc == REG_EINVAL ? "no such JSON view" : reg_strerror(rc));
		if (rc == REG_EIO && !strcmp(what, "status"))
			sbuf_addf(&why, ": %s", store_errmsg(m->st));
		sbuf_reset(out);
		jsonw_init_layout(&w, out, JSONW_SPACED);
		jsonw_obj(&w);
		jsonw_kstr(&w, "error", why.buf);
		jsonw_end(&w);
		if (jsonw_finish(&w) || sbuf_addch(out, '\n') || sbuf_add(err, why.buf, why.len))
			rc = REG_ENOMEM;
		else if (rc != REG_EINVAL)
			rc = REG_EIO;
	}
	sbuf_release(&why);
	return rc;
}

int migrate_state(struct migrate *m, struct sbuf *out)
{
	int rc;
	pthread_mutex_lock(&m->mu);
	long long secs = (long long)(time(NULL) - m->since);
	if (m->busy && m->nsteps)
		rc = sbuf_addf(out, "running %s: step %zu of %zu: %s\nphase: %s, %llds\n",
			       m->busy_kind, m->step, m->nsteps, m->step_what, m->phase, secs);
	else if (m->busy)
		rc = sbuf_addf(out, "running %s: preparing\nphase: %s, %llds\n", m->busy_kind,
			       m->phase, secs);
	else
		rc = sbuf_adds(out, "idle\n");
	pthread_mutex_unlock(&m->mu);
	struct store_run r;
	bool found;
	if (!rc && !store_run_last(m->st, &r, &found) && found) {
		rc = sbuf_addf(out, "last: run %lld %s %s", (long long)r.id, r.kind ? r.kind : "?",
			       r.state ? r.state : "?");
		if (!rc && r.failed_step)
			rc = sbuf_addf(out, " at step %lld of %lld", (long long)r.failed_step,
				       (long long)r.nsteps);
		if (!rc)
			rc = sbuf_addch(out, '\n');
		store_run_release(&r);
	}
	if (!rc)
		rc = sbuf_adds(out, "commands: plan check impact apply rollback rollback-plan resume cancel "
				    "baseline\n");
	return rc;
}

int migrate_command(struct migrate *m, const char *cmd, size_t len, struct sbuf *out)
{
	static const struct {
		const char *name;
		int (*run)(struct migrate *m, struct sbuf *out);
	} cmds[] = {
		{ "plan", migrate_plan }, { "check", migrate_check }, { "impact", migrate_impact },
		{ "apply", migrate_apply }, { "rollback", migrate_rollback },
		{ "rollback-plan", migrate_rollback_plan },
		{ "resume", migrate_resume }, { "cancel", migrate_cancel },
		{ "baseline", migrate_baseline },
	};
	while (len && (*cmd == ' ' || *cmd == '\t' || *cmd == '\n' || *cmd == '\r')) {
		cmd++;
		len--;
	}
	while (len && (cmd[len - 1] == ' ' || cmd[len - 1] == '\t' || cmd[len - 1] == '\n' ||
		       cmd[len - 1] == '\r'))
		len--;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strlen(cmds[i].name) == len && !memcmp(cmds[i].name, cmd, len))
			return cmds[i].run(m, out);
	return REG_EINVAL;
}

