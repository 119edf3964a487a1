#include "migrate.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "pg.h"
#include "plan.h"
#include "registry.h"
#include "runs.h"
#include "validate.h"
#include "schemafile.h"

struct migrate {
	struct store *st;
	char *target;        /* override, or NULL */
	int lock_timeout_ms;
	pthread_mutex_t mu;  /* guards everything below */
	bool busy;
	const char *busy_kind;
	size_t step, nsteps;
	char step_what[512];
};

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
	if (m->lock_timeout_ms <= 0) {
		const char *env = getenv("SCHEMAFS_LOCK_TIMEOUT");
		m->lock_timeout_ms = env && atoi(env) > 0 ? atoi(env) : PG_DEFAULT_LOCK_TIMEOUT_MS;
	}
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

/* ---- one command's view of the world ---- */

struct session {
	struct migrate *m;
	struct reg_registry *reg;
	struct store_rev *revs;      /* current schemas: names and revision ids */
	size_t nrevs;
	struct diags diags;          /* everything check reports */
	struct sbuf target;          /* shown without password */
	struct pg_conn *pg;
	struct plan_live live;
	struct plan_pending pending; /* <table>.sql */
	struct store_file *files;    /* every pending file, downs included */
	size_t nfiles;
	struct plan plan;
	struct sbuf err;             /* why the session could not be prepared */
};

static void session_init(struct session *s, struct migrate *m)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	diags_init(&s->diags);
	sbuf_init(&s->target);
	sbuf_init(&s->err);
}

static void session_release(struct session *s)
{
	plan_release(&s->plan);
	plan_live_release(&s->live);
	plan_pending_release(&s->pending);
	store_files_free(s->files, s->nfiles);
	store_revs_free(s->revs, s->nrevs);
	pg_close(s->pg);
	reg_registry_free(s->reg);
	diags_release(&s->diags);
	sbuf_release(&s->target);
	sbuf_release(&s->err);
}

static int store_failed(struct session *s, const char *what, int rc)
{
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(&s->err, "%s: %s", what, store_errmsg(s->m->st));
	return REG_EIO;
}

/* The registry as stored: every current schema (a stored revision that no
 * longer loads is an error, never silently skipped) and registry.yaml. */
static int load_registry(struct session *s)
{
	struct store_rev meta = { 0 };
	bool found = false;
	int rc;
	if (!(s->reg = reg_registry_new()))
		return REG_ENOMEM;
	if ((rc = store_current(s->m->st, &s->revs, &s->nrevs)))
		return store_failed(s, "reading the registry", rc);
	for (size_t i = 0; i < s->nrevs; i++) {
		struct store_rev *r = &s->revs[i];
		struct reg_schema *sc = NULL;
		char file[128 + REG_MAX_IDENT_LEN];
		snprintf(file, sizeof(file), "schemas/%s.yaml", r->name);
		/* accepted bytes passed every local rule when they were saved:
		 * parsing is enough (plan.c checks types and defaults again
		 * before it splices them) */
		rc = schemafile_parse(r->bytes, r->len, file, &sc, &s->diags);
		if (rc == REG_ENOMEM)
			return rc;
		if (sc && (rc = reg_register(s->reg, sc)))
			return rc;
	}
	if ((rc = store_get_meta(s->m->st, &meta, &found)))
		return store_failed(s, "reading registry.yaml", rc);
	if (found) {
		struct reg_meta m = { 0 };
		rc = schemafile_parse_meta(meta.bytes, meta.len, "registry.yaml", &m, &s->diags);
		if (!rc)
			reg_set_meta(s->reg, &m);
		reg_meta_release(&m);
		if (rc == REG_ENOMEM) {
			store_rev_release(&meta);
			return rc;
		}
	}
	store_rev_release(&meta);
	return reg_validate_registry(s->reg, &s->diags);
}

static const char *target_of(struct session *s)
{
	if (s->m->target)
		return s->m->target;
	return s->reg && s->reg->meta.target ? s->reg->meta.target : NULL;
}

static int load_pending(struct session *s)
{
	int rc = store_list_files(s->m->st, MIGRATE_PENDING_KIND, &s->files, &s->nfiles);
	if (rc)
		return store_failed(s, "reading migrations/pending", rc);
	for (size_t i = 0; i < s->nfiles; i++) {
		struct store_file *f = &s->files[i];
		char table[REG_MAX_IDENT_LEN + 16], file[REG_MAX_IDENT_LEN + 64];
		bool down;
		snprintf(file, sizeof(file), "migrations/pending/%s", f->name);
		if (!migrate_pending_name(f->name, table, sizeof(table), &down)) {
			if (diags_add(&s->diags, file, (struct reg_loc){ 0, 0 }, DIAG_WARNING,
				      "ignored: pending files are named <table>.sql or "
				      "<table>.down.sql"))
				return REG_ENOMEM;
			continue;
		}
		if (!down && (rc = plan_pending_add(&s->pending, table, file, f->bytes, f->len)))
			return rc;
	}
	return 0;
}

static int connect_target(struct session *s)
{
	const char *t = target_of(s);
	if (pg_target_display(t, &s->target))
		return REG_ENOMEM;
	return pg_connect(t, &s->pg, &s->err);
}

static int introspect(struct session *s, const struct reg_registry *r)
{
	char **names = malloc((r->n + 1) * sizeof(*names));
	if (!names)
		return REG_ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		names[i] = r->schemas[i]->name;
	int rc = pg_introspect(s->pg, names, r->n, &s->live, &s->err);
	free(names);
	return rc;
}

/* Registry, pending scripts and a connection. Validation problems are
 * diagnostics (s->diags), not failures; a failure (store, connection) is
 * in s->err. */
static int prepare_offline(struct session *s)
{
	int rc;
	if ((rc = load_registry(s)) || (rc = load_pending(s)) || (rc = connect_target(s)))
		return rc;
	return 0;
}

/* The live target and the plan for reg; inside a run's transaction when
 * one is open, so the plan is what will run. */
static int plan_now(struct session *s, const struct reg_registry *reg,
		    const struct plan_pending *pending, const char *const *only, size_t nonly)
{
	int rc;
	plan_release(&s->plan);
	plan_live_release(&s->live);
	if ((rc = introspect(s, reg)))
		return rc;
	struct plan_quoter q = pg_quoter(s->pg);
	struct plan_input in = { .reg = reg, .live = &s->live, .pending = pending,
				 .quote = &q, .only = only, .nonly = nonly };
	return plan_build(&in, &s->plan, &s->diags);
}

static int prepare(struct session *s)
{
	int rc = prepare_offline(s);
	return rc ? rc : plan_now(s, s->reg, &s->pending, NULL, 0);
}

/* A session that could not be prepared: say why and fail. */
static int prepare_failed(struct session *s, int rc, struct sbuf *out)
{
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(out, "%s\n", s->err.len ? s->err.buf : reg_strerror(rc));
	return REG_EIO;
}

/* ---- plan, impact ---- */

static int render_plan(struct session *s, struct sbuf *out)
{
	return plan_render(&s->plan, out);
}

static int render_plan_json(struct session *s, struct sbuf *out)
{
	return plan_render_json(&s->plan, out);
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
	session_init(&s, m);
	int rc = prepare(&s);
	if (rc)
		rc = prepare_failed(&s, rc, out);
	else
		rc = render(&s, out);
	session_release(&s);
	return rc;
}

int migrate_plan(struct migrate *m, struct sbuf *out)
{
	return with_plan(m, render_plan, out);
}

int migrate_plan_json(struct migrate *m, struct sbuf *out)
{
	return with_plan(m, render_plan_json, out);
}

int migrate_impact(struct migrate *m, struct sbuf *out)
{
	return with_plan(m, render_impact, out);
}

/* ---- after a pending script: does the table match its declaration? ---- */

struct postcheck {
	struct session *s;
};

static int post_check(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err)
{
	struct session *s = ((struct postcheck *)ctx)->s;
	struct plan_live live = { 0 };
	struct plan p = { 0 };
	struct diags d = DIAGS_INIT;
	const char **only = calloc(s->pending.n + 1, sizeof(*only));
	char **names = calloc(s->pending.n + 1, sizeof(*names));
	size_t n = 0;
	int rc = REG_ENOMEM;
	if (!only || !names)
		goto out;
	for (size_t i = 0; i < s->pending.n; i++)
		if (reg_get(s->reg, s->pending.items[i].table)) {
			only[n] = names[n] = s->pending.items[i].table;
			n++;
		}
	rc = 0;
	if (!n)
		goto out;
	/* inside the run's transaction: this sees what the scripts did */
	if ((rc = pg_introspect(c, names, n, &live, err)))
		goto out;
	struct plan_quoter q = pg_quoter(c);
	struct plan_input in = { .reg = s->reg, .live = &live, .quote = &q, .only = only,
				 .nonly = n, .no_drop_tables = true };
	if ((rc = plan_build(&in, &p, &d)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct plan_script *ps = plan_pending_find(&s->pending, names[i]);
		bool first = true;
		for (size_t k = 0; k < p.n && !rc; k++) {
			if (strcmp(p.steps[k].schema, names[i]))
				continue;
			if (first)
				rc = sbuf_addf(notes, "after %s, '%s' does not match "
						      "schemas/%s.yaml; the next plan would:",
					       ps->file, names[i], names[i]);
			first = false;
			if (!rc)
				rc = sbuf_addf(notes, " %s;", p.steps[k].what);
		}
		if (!first && !rc)
			notes->buf[notes->len - 1] = '\n'; /* the last ';' ends the line */
	}
out:
	free(only);
	free(names);
	plan_release(&p);
	plan_live_release(&live);
	diags_release(&d);
	if (rc == REG_ENOMEM)
		sbuf_adds(err, "out of memory");
	return rc;
}

/* ---- check ---- */

static int describe_failure(const struct session *s, const struct pg_exec_result *r,
			    struct sbuf *out)
{
	int rc = 0;
	if (r->failed_step && r->failed_step <= s->plan.n) {
		const struct plan_step *st = &s->plan.steps[r->failed_step - 1];
		rc = sbuf_addf(out, "step %zu of %zu (%s: %s) failed: ", r->failed_step, s->plan.n,
			       st->schema, st->what);
	}
	if (!rc)
		rc = sbuf_add(out, r->error.buf, r->error.len);
	if (!rc && r->sqlstate[0])
		rc = sbuf_addf(out, " (SQLSTATE %s)", r->sqlstate);
	return rc;
}

/* The pending script's own file:line:col for an error PostgreSQL placed. */
static int add_position(const struct session *s, const struct pg_exec_result *r,
			struct diags *d)
{
	if (!r->failed_step || !r->position || r->failed_step > s->plan.n)
		return 0;
	const struct plan_step *st = &s->plan.steps[r->failed_step - 1];
	if (st->kind != PLAN_PENDING)
		return 0;
	const char *t = st->sql;
	size_t len = strlen(t), off = 0;
	/* PostgreSQL counts characters from 1 */
	for (int chars = 1; off < len && chars < r->position; off++)
		if (((unsigned char)t[off + 1] & 0xC0) != 0x80)
			chars++;
	uint32_t line = 1, col = 1;
	for (size_t i = 0; i < off; i++) {
		if (t[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)t[i] & 0xC0) != 0x80) {
			col++;
		}
	}
	struct sbuf msg = SBUF_INIT;
	int rc = sbuf_add(&msg, r->error.buf, strcspn(r->error.buf, "\n"));
	if (!rc)
		rc = diags_add(d, st->what, (struct reg_loc){ line, col }, DIAG_ERROR,
			       "dry run: %s", msg.buf);
	sbuf_release(&msg);
	return rc;
}

int migrate_check(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct pg_exec_result r;
	struct postcheck pc = { &s };
	struct sbuf dry = SBUF_INIT;
	session_init(&s, m);
	pg_exec_result_init(&r);
	int rc = prepare_offline(&s);
	if (rc)
		goto failed;
	/* the dry run's transaction first: the plan checked is the one that
	 * runs, against the catalog as the run sees it */
	int brc = pg_begin(s.pg, m->lock_timeout_ms, &r);
	if (brc == REG_EBUSY || brc == REG_EIO) {
		/* the static checks still help */
		if ((rc = plan_now(&s, s.reg, &s.pending, NULL, 0)))
			goto failed;
		sbuf_adds(&dry, "dry run: not run: ");
		sbuf_add(&dry, r.error.buf, r.error.len);
		sbuf_addch(&dry, '\n');
		rc = brc;
		goto render;
	}
	if (brc)
		goto failed;
	if ((rc = plan_now(&s, s.reg, &s.pending, NULL, 0))) {
		pg_abort(s.pg);
		goto failed;
	}
	if (s.diags.errors) {
		pg_abort(s.pg);
		sbuf_adds(&dry, "dry run: not run: fix the errors above first\n");
	} else if (!s.plan.n) {
		pg_abort(s.pg);
		sbuf_adds(&dry, "dry run: nothing to do\n");
	} else {
		struct pg_exec_opts o = { .dry_run = true, .kind = "check", .run = "check",
					  .before_commit = post_check, .ctx = &pc };
		pg_finish(s.pg, &s.plan, &o, &r);
		if (r.ok) {
			sbuf_addf(&dry, "dry run: ok: %zu step%s ran and were rolled back\n",
				  s.plan.n, s.plan.n == 1 ? "" : "s");
		} else {
			sbuf_adds(&dry, "dry run: ");
			describe_failure(&s, &r, &dry);
			sbuf_adds(&dry, "; rolled back\n");
			if (add_position(&s, &r, &s.diags) ||
			    diags_add(&s.diags, "", (struct reg_loc){ 0, 0 }, DIAG_ERROR,
				      "the dry run failed (see the last line)"))
				rc = REG_ENOMEM;
		}
		/* the post-check's findings are warnings */
		for (const char *p = r.notes.buf; *p && !rc;) {
			size_t n = strcspn(p, "\n");
			rc = diags_add(&s.diags, "", (struct reg_loc){ 0, 0 }, DIAG_WARNING, "%.*s",
				       (int)n, p);
			p += n + (p[n] == '\n');
		}
	}
render:
	diags_sort(&s.diags);
	if (rc != REG_ENOMEM) {
		int xrc = diags_render(&s.diags, out) ?: sbuf_add(out, dry.buf, dry.len);
		if (xrc)
			rc = xrc;
		else if (!rc && s.diags.errors)
			rc = REG_EIO;
	}
	goto out;
failed:
	/* what is known so far still helps */
	diags_sort(&s.diags);
	if (rc != REG_ENOMEM)
		diags_render(&s.diags, out);
	rc = prepare_failed(&s, rc, out);
out:
	sbuf_release(&dry);
	pg_exec_result_release(&r);
	session_release(&s);
	return rc;
}

/* ---- runs: busy flag and progress ---- */

static bool claim(struct migrate *m, const char *kind)
{
	pthread_mutex_lock(&m->mu);
	bool ok = !m->busy;
	if (ok) {
		m->busy = true;
		m->busy_kind = kind;
		m->step = m->nsteps = 0;
		m->step_what[0] = 0;
	}
	pthread_mutex_unlock(&m->mu);
	return ok;
}

static void unclaim(struct migrate *m)
{
	pthread_mutex_lock(&m->mu);
	m->busy = false;
	pthread_mutex_unlock(&m->mu);
}

struct progress {
	struct migrate *m;
	const struct plan *plan;
	struct postcheck pc;
};

static void on_step(void *ctx, size_t k, size_t n)
{
	struct progress *p = ctx;
	const struct plan_step *st = &p->plan->steps[k - 1];
	pthread_mutex_lock(&p->m->mu);
	p->m->step = k;
	p->m->nsteps = n;
	snprintf(p->m->step_what, sizeof(p->m->step_what), "%s: %s", st->schema, st->what);
	pthread_mutex_unlock(&p->m->mu);
}

static int progress_post_check(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err)
{
	return post_check(&((struct progress *)ctx)->pc, c, notes, err);
}

static char *dup_sbuf(const struct sbuf *sb)
{
	return strndup(sb->buf, sb->len);
}

static int set_str(char **dst, const char *s)
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
	return set_str(out, buf);
}

static int names_text(char *const *v, size_t n, char **out)
{
	struct sbuf sb = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = sbuf_addf(&sb, "%s\n", v[i]);
	if (!rc && !(*out = sbuf_detach(&sb, NULL)))
		rc = REG_ENOMEM;
	sbuf_release(&sb);
	return rc;
}

static int snapshot_text(const struct session *s, char **out)
{
	struct sbuf sb = SBUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < s->nrevs && !rc; i++)
		rc = sbuf_addf(&sb, "%s\t%lld\n", s->revs[i].name, (long long)s->revs[i].id);
	if (!rc && !(*out = sbuf_detach(&sb, NULL)))
		rc = REG_ENOMEM;
	sbuf_release(&sb);
	return rc;
}

/* "users=12 policies=7" for the touched schemas (recorded in the target). */
static int revisions_text(const struct session *s, const struct plan *p, struct sbuf *out)
{
	int rc = 0;
	for (size_t i = 0; i < p->touched.n && !rc; i++) {
		long long id = 0;
		for (size_t k = 0; k < s->nrevs; k++)
			if (!strcmp(s->revs[k].name, p->touched.items[i]))
				id = (long long)s->revs[k].id;
		rc = sbuf_addf(out, "%s%s=%lld", i ? " " : "", p->touched.items[i], id);
	}
	return rc;
}

static int record_outcome(struct session *s, struct run_record *rec, const struct plan *p,
			  struct pg_exec_result *r);

/* Runs p (begun with pg_begin) and fills the record's outcome fields. */
static int execute(struct session *s, struct run_record *rec, const struct plan *p,
		   const char *kind, const char *revisions, struct pg_exec_result *r)
{
	struct progress pr = { s->m, p, { s } };
	struct pg_exec_opts o = { .lock_timeout_ms = s->m->lock_timeout_ms, .kind = kind,
				  .run = rec->token, .revisions = revisions, .progress = on_step,
				  .before_commit = progress_post_check, .ctx = &pr };
	int rc = pg_finish(s->pg, p, &o, r);
	if (rc == REG_ENOMEM)
		return rc;
	return record_outcome(s, rec, p, r);
}

/* What a run's pg_begin/pg_finish did, into its record. */
static int record_outcome(struct session *s, struct run_record *rec, const struct plan *p,
			  struct pg_exec_result *r)
{
	rec->completed = (int64_t)r->completed;
	rec->finished = time(NULL);
	if (r->notes.len && !(rec->notes = dup_sbuf(&r->notes)))
		return REG_ENOMEM;
	if (r->ok)
		return set_str(&rec->state, "succeeded") ?: set_str(&rec->outcome, "committed");
	struct sbuf e = SBUF_INIT;
	int xrc = sbuf_add(&e, r->error.buf, r->error.len);
	if (xrc || set_str(&rec->error, e.buf) ||
	    set_str(&rec->state, r->busy ? "busy" : "failed") ||
	    set_str(&rec->sqlstate, r->sqlstate[0] ? r->sqlstate : NULL)) {
		sbuf_release(&e);
		return REG_ENOMEM;
	}
	sbuf_release(&e);
	rec->failed_step = (int64_t)r->failed_step;
	if (p && r->failed_step && r->failed_step <= p->n) {
		char what[600];
		snprintf(what, sizeof(what), "%s: %s", p->steps[r->failed_step - 1].schema,
			 p->steps[r->failed_step - 1].what);
		if (set_str(&rec->failed_what, what))
			return REG_ENOMEM;
	}
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
			set_str(&rec->state, "succeeded");
			r->ok = true;
		}
	} else if (r->connection_lost) {
		outcome = "rolled back: the connection to the server was lost before COMMIT, "
			  "so nothing was committed";
	} else {
		outcome = "rolled back: the database is exactly as before";
	}
	return set_str(&rec->outcome, outcome);
}

static int finish_record(struct migrate *m, struct run_record *rec)
{
	return runs_update(m->st, rec);
}

/* Moves the pending files a run used to applied/<id>; one batch with the
 * run's record, so both or neither happen. */
static int archive_and_record(struct session *s, struct run_record *rec)
{
	struct sbuf names = SBUF_INIT;
	char kind[64];
	int rc = store_begin(s->m->st);
	if (rc)
		return store_failed(s, "recording the run", rc);
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
		rc = runs_update(s->m->st, rec);
	if (!rc)
		rc = store_commit(s->m->st);
	else
		store_rollback(s->m->st);
	sbuf_release(&names);
	return rc ? store_failed(s, "recording the run", rc) : 0;
}

static int refuse(struct session *s, struct run_record *rec, const char *why, struct sbuf *out)
{
	int rc = set_str(&rec->state, "refused") ?: set_str(&rec->error, why) ?:
		 set_str(&rec->outcome, "untouched: nothing ran");
	rec->finished = time(NULL);
	if (!rc)
		rc = finish_record(s->m, rec);
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

static int report(const struct run_record *rec, struct sbuf *out)
{
	return runs_render_status(rec, out);
}

/* A run that did not succeed, recorded and reported: REG_EBUSY when another
 * run held the lock, else REG_EIO (or the error of recording it). */
static int report_unsuccessful(struct migrate *m, struct run_record *rec, bool busy,
			       struct sbuf *out)
{
	int rc = finish_record(m, rec) ?: report(rec, out);
	return rc ? rc : busy ? REG_EBUSY : REG_EIO;
}

int migrate_apply(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct run_record rec = { 0 };
	struct pg_exec_result r;
	struct sbuf tmp = SBUF_INIT;
	int rc;

	if (!claim(m, "apply")) {
		sbuf_adds(out, "apply: refused: another apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	pg_exec_result_init(&r);
	if ((rc = set_str(&rec.kind, "apply")) || (rc = runs_insert(m->st, &rec)) ||
	    (rc = make_token(rec.id, &rec.token))) {
		if (rc != REG_ENOMEM) {
			sbuf_addf(out, "apply: cannot record the run: %s\n", store_errmsg(m->st));
			rc = REG_EIO;
		}
		goto out;
	}
	rc = prepare_offline(&s);
	if (s.target.len && set_str(&rec.target, s.target.buf)) {
		rc = REG_ENOMEM;
		goto out;
	}
	if (rc) {
		if (rc == REG_ENOMEM)
			goto out;
		diags_sort(&s.diags);
		diags_render(&s.diags, &tmp);
		sbuf_adds(&tmp, s.err.len ? s.err.buf : reg_strerror(rc));
		rc = refuse(&s, &rec, tmp.buf, out);
		goto out;
	}
	/* lock first, then plan inside the run's transaction: what was
	 * planned is what runs, whatever other mounts do meanwhile */
	if ((rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		bool busy = rc == REG_EBUSY;
		rc = record_outcome(&s, &rec, NULL, &r) ?: report_unsuccessful(m, &rec, busy, out);
		goto out;
	}
	if ((rc = plan_now(&s, s.reg, &s.pending, NULL, 0))) {
		pg_abort(s.pg);
		if (rc == REG_ENOMEM)
			goto out;
		rc = set_str(&rec.state, "failed") ?: set_str(&rec.error, s.err.buf) ?:
		     set_str(&rec.outcome, "untouched: nothing ran");
		rec.finished = time(NULL);
		if (!rc)
			rc = report_unsuccessful(m, &rec, false, out);
		goto out;
	}
	if (s.diags.errors) {
		/* validation or check errors: nothing may run */
		struct diags only = DIAGS_INIT;
		pg_abort(s.pg);
		for (size_t i = 0; i < s.diags.n; i++)
			if (s.diags.items[i].severity == DIAG_ERROR &&
			    (rc = diags_add(&only, s.diags.items[i].file, s.diags.items[i].loc,
					    DIAG_ERROR, "%s", s.diags.items[i].message)))
				break;
		diags_sort(&only);
		if (!rc)
			rc = diags_render(&only, &tmp);
		diags_release(&only);
		if (!rc)
			rc = refuse(&s, &rec, tmp.buf, out);
		goto out;
	}
	rec.nsteps = (int64_t)s.plan.n;
	if ((rc = plan_render(&s.plan, &tmp)) || !(rec.plan = dup_sbuf(&tmp))) {
		rc = REG_ENOMEM;
		goto out;
	}
	sbuf_reset(&tmp);
	if ((rc = snapshot_text(&s, &rec.snapshot)) ||
	    (rc = names_text(s.plan.touched.items, s.plan.touched.n, &rec.touched)) ||
	    (rc = names_text(s.plan.created.items, s.plan.created.n, &rec.created)) ||
	    (rc = irreversible_text(&s.plan, &rec.irreversible)))
		goto out;
	if (!s.plan.n) {
		pg_abort(s.pg);
		rc = set_str(&rec.state, "succeeded") ?: set_str(&rec.outcome, "nothing to do");
		rec.finished = time(NULL);
		if (!rc)
			rc = finish_record(m, &rec);
		if (!rc)
			rc = sbuf_adds(out, "apply: nothing to do\n");
		goto out;
	}
	if ((rc = revisions_text(&s, &s.plan, &tmp)))
		goto out;
	rc = execute(&s, &rec, &s.plan, "apply", tmp.buf, &r);
	if (rc)
		goto out;
	if (r.ok) {
		rc = archive_and_record(&s, &rec);
		if (rc == REG_EIO)
			sbuf_addf(out, "apply: the database migrated but %s\n", s.err.buf);
		if (!rc)
			rc = report(&rec, out);
		goto out;
	}
	rc = report_unsuccessful(m, &rec, r.busy, out);
out:
	if (rc && rc != REG_ENOMEM && rc != REG_EBUSY && rc != REG_EIO)
		rc = REG_EIO;
	unclaim(m);
	run_record_release(&rec);
	pg_exec_result_release(&r);
	session_release(&s);
	sbuf_release(&tmp);
	return rc;
}

/* ---- rollback ---- */

/* The revision id of name in a run's snapshot; 0 when absent. */
static int64_t snapshot_rev(const char *snapshot, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = snapshot; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, name, n) && p[n] == '\t')
			return strtoll(p + n + 1, NULL, 10);
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static bool in_lines(const char *lines, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = lines; p && *p;) {
		if (!strncmp(p, name, n) && (p[n] == '\n' || !p[n]))
			return true;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Splits "a\nb\n" into a NULL-terminated array pointing into a copy. */
static char **split_lines(const char *text, size_t *n, char **copy)
{
	*n = 0;
	*copy = strdup(text ? text : "");
	if (!*copy)
		return NULL;
	size_t cap = 1;
	for (const char *p = *copy; *p; p++)
		cap += *p == '\n';
	char **v = calloc(cap + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (char *p = *copy; *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (*p)
			v[(*n)++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	return v;
}

int migrate_rollback(struct migrate *m, struct sbuf *out)
{
	struct session s;
	struct run_record rec = { 0 }, last = { 0 }, prev = { 0 };
	struct reg_registry *before = NULL;
	struct plan_pending downs = { 0 };
	struct plan rp = { 0 };
	struct pg_exec_result r;
	struct sbuf why = SBUF_INIT, tmp = SBUF_INIT;
	char **touched = NULL, *touched_copy = NULL;
	size_t ntouched = 0;
	bool found_last = false, found_prev = false;
	int rc;

	if (!claim(m, "rollback")) {
		sbuf_adds(out, "rollback: refused: another apply or rollback is running\n");
		return REG_EBUSY;
	}
	session_init(&s, m);
	pg_exec_result_init(&r);
	if ((rc = set_str(&rec.kind, "rollback")) || (rc = runs_insert(m->st, &rec)) ||
	    (rc = make_token(rec.id, &rec.token)))
		goto out;
	if ((rc = runs_last_applied(m->st, 0, &last, &found_last)))
		goto out;
	if (!found_last) {
		rc = refuse(&s, &rec, "no applied run to roll back", out);
		goto out;
	}
	rec.undoes = last.id;
	if (last.irreversible && *last.irreversible) {
		sbuf_addf(&why, "run %lld cannot be undone: its data is gone after\n%s",
			  (long long)last.id, last.irreversible);
		rc = refuse(&s, &rec, why.buf, out);
		goto out;
	}
	if ((rc = runs_last_applied(m->st, last.id, &prev, &found_prev)))
		goto out;
	if ((rc = load_registry(&s)) || (rc = connect_target(&s))) {
		if (rc == REG_ENOMEM)
			goto out;
		rc = refuse(&s, &rec, s.err.len ? s.err.buf : reg_strerror(rc), out);
		goto out;
	}
	if ((rc = set_str(&rec.target, s.target.buf)))
		goto out;

	/* the registry as it was before the run: the previous run's revisions
	 * of every table this run touched */
	if (!(touched = split_lines(last.touched, &ntouched, &touched_copy))) {
		rc = REG_ENOMEM;
		goto out;
	}
	if (!(before = reg_registry_new())) {
		rc = REG_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s.reg->n; i++) {
		struct reg_schema *dup = reg_schema_dup(s.reg->schemas[i]);
		if (!dup || (rc = reg_register(before, dup))) {
			rc = REG_ENOMEM;
			goto out;
		}
	}
	char kind[64];
	snprintf(kind, sizeof(kind), MIGRATE_APPLIED_KIND "/%lld", (long long)last.id);
	for (size_t i = 0; i < ntouched; i++) {
		const char *name = touched[i];
		int64_t id = found_prev ? snapshot_rev(prev.snapshot, name) : 0;
		reg_unregister(before, name);
		if (id) {
			struct store_rev rev = { 0 };
			bool found = false;
			struct reg_schema *sc = NULL;
			char file[REG_MAX_IDENT_LEN + 32];
			snprintf(file, sizeof(file), "schemas/%s.yaml", name);
			if ((rc = store_get_rev(m->st, id, &rev, &found)))
				goto out;
			if (found)
				rc = reg_schema_from_bytes(rev.bytes, rev.len, file, name, &sc,
							   &s.diags);
			store_rev_release(&rev);
			if (rc == REG_ENOMEM)
				goto out;
			if (!sc) {
				sbuf_addf(&why, "revision %lld of '%s' no longer loads\n",
					  (long long)id, name);
				continue;
			}
			if ((rc = reg_register(before, sc)))
				goto out;
		} else if (!in_lines(last.created, name)) {
			sbuf_addf(&why,
				  "'%s' was not created by run %lld and no earlier run applied "
				  "it: there is nothing to return it to\n",
				  name, (long long)last.id);
		}
		/* a hand-written step is undone by its hand-written down script */
		struct store_file f = { 0 };
		bool found = false;
		char fname[REG_MAX_IDENT_LEN + 16];
		snprintf(fname, sizeof(fname), "%s.sql", name);
		if ((rc = store_get_file(m->st, kind, fname, &f, &found)))
			goto out;
		store_file_release(&f);
		if (!found)
			continue;
		snprintf(fname, sizeof(fname), "%s.down.sql", name);
		if ((rc = store_get_file(m->st, kind, fname, &f, &found)))
			goto out;
		if (!found) {
			sbuf_addf(&why,
				  "run %lld ran migrations/%s/%s.sql and there is no %s.down.sql "
				  "to undo it (add migrations/pending/%s.down.sql before applying "
				  "next time)\n",
				  (long long)last.id, kind, name, name, name);
		} else {
			char file[256];
			snprintf(file, sizeof(file), "migrations/%s/%s", kind, fname);
			rc = plan_pending_add(&downs, name, file, f.bytes, f.len);
		}
		store_file_release(&f);
		if (rc)
			goto out;
	}
	if (why.len) {
		rc = refuse(&s, &rec, why.buf, out);
		goto out;
	}
	if ((rc = pg_begin(s.pg, m->lock_timeout_ms, &r))) {
		bool busy = rc == REG_EBUSY;
		rc = record_outcome(&s, &rec, NULL, &r) ?: report_unsuccessful(m, &rec, busy, out);
		goto out;
	}
	/* the reverse plan: "before" against the database as this transaction sees it */
	struct diags keep_d = s.diags;
	diags_init(&s.diags);
	rc = plan_now(&s, before, &downs, (const char *const *)touched, ntouched);
	struct diags pd = s.diags;
	s.diags = keep_d;
	rp = s.plan;
	memset(&s.plan, 0, sizeof(s.plan));
	if (rc) {
		pg_abort(s.pg);
		diags_release(&pd);
		goto out_failed;
	}
	if (pd.errors) {
		pg_abort(s.pg);
		diags_render(&pd, &tmp);
		diags_release(&pd);
		rc = refuse(&s, &rec, tmp.buf, out);
		goto out;
	}
	diags_release(&pd);
	rec.nsteps = (int64_t)rp.n;
	if ((rc = plan_render(&rp, &tmp)) || !(rec.plan = dup_sbuf(&tmp))) {
		rc = REG_ENOMEM;
		goto out;
	}
	sbuf_reset(&tmp);
	if ((rc = names_text(rp.touched.items, rp.touched.n, &rec.touched)))
		goto out;
	if (!rp.n)
		pg_abort(s.pg);
	if (rp.n) {
		/* the post-check compares with "before", the registry being restored */
		struct reg_registry *keep = s.reg;
		struct plan_pending keep_p = s.pending;
		s.reg = before;
		s.pending = downs;
		rc = revisions_text(&s, &rp, &tmp)
			 ?: execute(&s, &rec, &rp, "rollback", tmp.buf, &r);
		s.reg = keep;
		s.pending = keep_p;
		if (rc)
			goto out;
	} else {
		r.ok = true;
		rc = set_str(&rec.state, "succeeded") ?: set_str(&rec.outcome, "nothing to undo in "
								 "the database");
		rec.finished = time(NULL);
		if (rc)
			goto out;
	}
	if (!r.ok) {
		rc = report_unsuccessful(m, &rec, r.busy, out);
		goto out;
	}
	/* the registry: new revisions with the previous content; history keeps all */
	if ((rc = store_begin(m->st)))
		goto out_store;
	for (size_t i = 0; i < ntouched && !rc; i++) {
		const struct reg_schema *b = reg_get(before, touched[i]);
		const struct reg_schema *now = reg_get(s.reg, touched[i]);
		if (b && (!now || now->source_len != b->source_len ||
			  memcmp(now->source, b->source, b->source_len)))
			rc = store_put_schema(m->st, touched[i], b->source, b->source_len, NULL);
		else if (!b && now)
			rc = store_delete_schema(m->st, touched[i]);
	}
	last.undone_by = rec.id;
	if (!rc)
		rc = runs_update(m->st, &last);
	if (!rc)
		rc = runs_update(m->st, &rec);
	if (!rc)
		rc = store_commit(m->st);
	else
		store_rollback(m->st);
	if (rc)
		goto out_store;
	rc = report(&rec, out);
	goto out;
out_store:
	if (rc != REG_ENOMEM) {
		sbuf_addf(out,
			  "rollback: the database was rolled back but the registry could not be "
			  "restored: %s\n",
			  store_errmsg(m->st));
		rc = REG_EIO;
	}
	goto out;
out_failed:
	if (rc != REG_ENOMEM) {
		set_str(&rec.state, "failed");
		set_str(&rec.error, s.err.buf);
		rec.finished = time(NULL);
		finish_record(m, &rec);
		sbuf_addf(out, "rollback: %s\n", s.err.buf);
		rc = REG_EIO;
	}
out:
	if (rc && rc != REG_ENOMEM && rc != REG_EBUSY && rc != REG_EIO)
		rc = REG_EIO;
	unclaim(m);
	free(touched);
	free(touched_copy);
	plan_release(&rp);
	plan_pending_release(&downs);
	reg_registry_free(before);
	run_record_release(&rec);
	run_record_release(&last);
	run_record_release(&prev);
	pg_exec_result_release(&r);
	session_release(&s);
	sbuf_release(&why);
	sbuf_release(&tmp);
	return rc;
}

/* ---- status, log, control ---- */

int migrate_status(struct migrate *m, struct sbuf *out)
{
	struct run_record r;
	bool found;
	int rc = runs_last(m->st, &r, &found);
	if (rc)
		return rc == REG_ENOMEM ? rc : REG_EIO;
	if (!found)
		return sbuf_adds(out, "no runs yet\n");
	char progress[700] = "";
	pthread_mutex_lock(&m->mu);
	bool running_here = m->busy;
	if (running_here && m->nsteps)
		snprintf(progress, sizeof(progress), "progress: step %zu of %zu: %s\n", m->step,
			 m->nsteps, m->step_what);
	pthread_mutex_unlock(&m->mu);
	rc = runs_render_status(&r, out);
	if (!rc && r.state && !strcmp(r.state, "running") && running_here)
		rc = sbuf_adds(out, progress);
	if (!rc && r.state && !strcmp(r.state, "running") && !running_here)
		rc = sbuf_adds(out, "note: this run never finished (the process ended); the "
				    "target rolled back whatever it had not committed\n");
	run_record_release(&r);
	return rc;
}

int migrate_log(struct migrate *m, struct sbuf *out)
{
	struct run_record *v;
	size_t n;
	int rc = runs_list(m->st, &v, &n);
	if (rc)
		return rc == REG_ENOMEM ? rc : REG_EIO;
	for (size_t i = 0; i < n && !rc; i++)
		rc = runs_render_log_line(&v[i], out);
	runs_free(v, n);
	return rc;
}

int migrate_state(struct migrate *m, struct sbuf *out)
{
	int rc;
	pthread_mutex_lock(&m->mu);
	if (m->busy && m->nsteps)
		rc = sbuf_addf(out, "running %s: step %zu of %zu: %s\n", m->busy_kind, m->step,
			       m->nsteps, m->step_what);
	else if (m->busy)
		rc = sbuf_addf(out, "running %s: preparing\n", m->busy_kind);
	else
		rc = sbuf_adds(out, "idle\n");
	pthread_mutex_unlock(&m->mu);
	struct run_record r;
	bool found;
	if (!rc && !runs_last(m->st, &r, &found) && found) {
		rc = sbuf_addf(out, "last: run %lld %s %s", (long long)r.id, r.kind ? r.kind : "?",
			       r.state ? r.state : "?");
		if (!rc && r.failed_step)
			rc = sbuf_addf(out, " at step %lld of %lld", (long long)r.failed_step,
				       (long long)r.nsteps);
		if (!rc)
			rc = sbuf_addch(out, '\n');
		run_record_release(&r);
	}
	if (!rc)
		rc = sbuf_adds(out, "commands: plan check impact apply rollback\n");
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
