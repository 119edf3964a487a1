/*
 * check: the static checks (validation, pending SQL, lint of everything the
 * plan runs), the history's integrity, and the dry run -- or, offline, the
 * static checks against a baseline rebuilt from the store.
 */
#include "migrate_int.h"

#include <string.h>

#include "jsonw.h"

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

/* The place of the character PostgreSQL counts as position (from 1) in a
 * pending script's text, 1-based line and column. */
static struct reg_loc script_loc(const char *t, int position)
{
	size_t len = strlen(t), off = 0;
	for (int chars = 1; off < len && chars < position; off++)
		if (((unsigned char)t[off + 1] & 0xC0) != 0x80)
			chars++;
	struct reg_loc at = { 1, 1 };
	for (size_t i = 0; i < off; i++) {
		if (t[i] == '\n') {
			at.line++;
			at.col = 1;
		} else if (((unsigned char)t[i] & 0xC0) != 0x80) {
			at.col++;
		}
	}
	return at;
}

/*
 * The failed step's error at the place it comes from: a pending script's
 * own file:line:col (PostgreSQL's position is inside the script), or for a
 * generated step the YAML place that caused it (plan_step.file and .loc:
 * the column, index or reference), so `check` reads like the offline
 * checks do. A step without a place (a dropped table) gets its file.
 */
static int add_position(const struct session *s, const struct pg_exec_result *r,
			struct diags *d)
{
	if (!r->failed_step || r->failed_step > s->plan.n)
		return 0;
	const struct plan_step *st = &s->plan.steps[r->failed_step - 1];
	bool pending = st->kind == PLAN_PENDING;
	if (pending && !r->position)
		return 0;
	struct reg_loc at = pending ? script_loc(st->sql, r->position) : st->loc;
	int len = (int)strcspn(r->error.buf, "\n");
	if (pending)
		return diags_add(d, st->what, at, DIAG_ERROR, "dry run: %.*s", len, r->error.buf);
	return diags_add(d, st->file, at, DIAG_ERROR, "dry run: %.*s%s%s%s (step %zu of %zu: %s)",
			 len, r->error.buf, r->sqlstate[0] ? " (SQLSTATE " : "", r->sqlstate,
			 r->sqlstate[0] ? ")" : "", r->failed_step, s->plan.n, st->what);
}

void migrate_check_result_init(struct migrate_check_result *r)
{
	memset(r, 0, sizeof(*r));
	diags_init(&r->diags);
	sbuf_init(&r->summary);
	sbuf_init(&r->error);
	r->baseline = "live";
}

void migrate_check_result_release(struct migrate_check_result *r)
{
	diags_release(&r->diags);
	sbuf_release(&r->summary);
	sbuf_release(&r->error);
}

/* The dry run of s->plan inside the begun transaction, said in res. */
static int dry_run(struct session *s, struct pg_exec_result *r, struct migrate_check_result *res)
{
	struct postcheck pc = { s->reg, &s->pending };
	struct sbuf *dry = &res->summary;
	int rc = 0;
	if (s->diags.errors) {
		pg_abort(s->pg);
		return sbuf_adds(dry, "dry run: not run: fix the errors above first\n");
	}
	if (!s->plan.n) {
		pg_abort(s->pg);
		return sbuf_adds(dry, "dry run: nothing to do\n");
	}
	struct pg_exec_opts o = { .dry_run = true, .kind = "check", .run = "check",
				  .statement_timeout_ms = s->m->check_statement_timeout_ms,
				  .before_commit = session_post_check, .ctx = &pc };
	pg_finish(s->pg, &s->plan, &o, r);
	if (r->ok) {
		/* what runs outside the transaction is not part of the dry run */
		size_t ran = 0;
		for (size_t i = 0; i < s->plan.n; i++)
			ran += !s->plan.steps[i].outside_tx;
		sbuf_addf(dry, "dry run: ok: %zu step%s ran and %s rolled back\n", ran,
			  ran == 1 ? "" : "s", ran == 1 ? "was" : "were");
	} else {
		sbuf_adds(dry, "dry run: ");
		describe_failure(s, r, dry);
		sbuf_adds(dry, "; rolled back\n");
		if (add_position(s, r, &s->diags) ||
		    diags_add(&s->diags, "", (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			      "the dry run failed (see the last line)"))
			rc = REG_ENOMEM;
	}
	/* the post-check's findings are warnings */
	for (const char *p = r->notes.buf; *p && !rc;) {
		size_t n = strcspn(p, "\n");
		rc = diags_add(&s->diags, "", (struct reg_loc){ 0, 0 }, DIAG_WARNING, "%.*s",
			       (int)n, p);
		p += n + (p[n] == '\n');
	}
	return rc ?: sbuf_error(dry);
}

/* Each line of the history check as an error of schemafs_migrations. */
static int verify_history(struct session *s)
{
	struct sbuf lines = SBUF_INIT;
	size_t problems = 0;
	int rc = history_verify(s, &lines, &problems);
	for (const char *p = lines.buf; !rc && *p;) {
		size_t n = strcspn(p, "\n");
		rc = diags_add(&s->diags, "schemafs_migrations", (struct reg_loc){ 0, 0 },
			       DIAG_ERROR, "%.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	sbuf_release(&lines);
	return rc;
}

static int check_online(struct session *s, struct migrate_check_result *res)
{
	struct pg_exec_result r;
	int rc;
	pg_exec_result_init(&r);
	if ((rc = session_connect(s)))
		goto out;
	/* the dry run's transaction first: the plan checked is the one that
	 * runs, against the catalog as the run sees it */
	int brc = pg_begin(s->pg, s->m->lock_timeout_ms, &r);
	if (brc == REG_EBUSY || brc == REG_EIO) {
		/* the static checks still help */
		if ((rc = session_plan(s, s->reg, &s->pending, NULL, 0, &s->plan, &s->diags)))
			goto out;
		sbuf_adds(&res->summary, "dry run: not run: ");
		sbuf_add(&res->summary, r.error.buf, r.error.len);
		sbuf_addch(&res->summary, '\n');
		rc = sbuf_error(&res->summary) ?: brc;
		res->failed = true;
		goto out;
	}
	if (brc) {
		rc = brc;
		goto out;
	}
	if ((rc = verify_history(s)) ||
	    (rc = session_plan(s, s->reg, &s->pending, NULL, 0, &s->plan, &s->diags))) {
		pg_abort(s->pg);
		goto out;
	}
	rc = dry_run(s, &r, res);
out:
	pg_exec_result_release(&r);
	return rc;
}

static int check_offline(struct session *s, struct migrate_check_result *res)
{
	struct plan_quoter q = offline_quoter();
	int rc = offline_live(s, &s->live, res);
	if (rc)
		return rc;
	struct plan_input in = { .reg = s->reg, .live = &s->live, .pending = &s->pending,
				 .quote = &q };
	if ((rc = plan_build(&in, &s->plan, &s->diags)))
		return rc;
	if (res->baseline_run)
		sbuf_addf(&res->summary, "offline: planned against the registry of run %lld, the "
					 "last applied\n", res->baseline_run);
	else
		sbuf_adds(&res->summary, "offline: planned against an empty database (no run "
					 "applied yet)\n");
	sbuf_addf(&res->summary, "dry run: not run (offline): %zu step%s linted\n", s->plan.n,
		  s->plan.n == 1 ? "" : "s");
	return sbuf_error(&res->summary);
}

int migrate_check_run(struct migrate *m, const struct migrate_check_opts *o,
		      struct migrate_check_result *res)
{
	struct session s;
	session_init(&s, m);
	int rc = session_load_registry(&s);
	if (!rc)
		rc = session_load_pending(&s);
	if (!rc) {
		res->strict = (o && o->strict) || s.reg->meta.lint_strict;
		rc = o && o->offline ? check_offline(&s, res) : check_online(&s, res);
	}
	res->steps = s.plan.n;
	diags_sort(&s.diags);
	int mrc = diags_move(&res->diags, &s.diags);
	if (rc != REG_ENOMEM && mrc)
		rc = mrc;
	if (rc && rc != REG_ENOMEM && !res->failed)
		sbuf_adds(&res->error, s.err.len ? s.err.buf : reg_strerror(rc));
	size_t warnings = 0;
	for (size_t i = 0; i < res->diags.n; i++)
		warnings += res->diags.items[i].severity == DIAG_WARNING;
	if (res->diags.errors || (res->strict && warnings))
		res->failed = true;
	session_release(&s);
	if (rc == REG_ENOMEM || sbuf_error(&res->error))
		return REG_ENOMEM;
	return rc || res->failed ? REG_EIO : 0;
}

int migrate_check_render(const struct migrate_check_result *r, struct sbuf *out)
{
	diags_render(&r->diags, out);
	sbuf_add(out, r->summary.buf, r->summary.len);
	if (r->error.len)
		sbuf_addf(out, "%s\n", r->error.buf);
	else if (r->failed && r->strict && !r->diags.errors)
		sbuf_adds(out, "strict: warnings fail the check\n");
	return sbuf_error(out);
}

int migrate_check_render_json(const struct migrate_check_result *r, struct sbuf *out)
{
	struct jsonw w;
	jsonw_init_layout(&w, out, JSONW_SPACED);
	jsonw_obj(&w);
	if (r->error.len) {
		jsonw_kstr(&w, "error", r->error.buf);
		jsonw_end(&w);
		sbuf_addch(out, '\n');
		return jsonw_finish(&w);
	}
	size_t warnings = 0;
	for (size_t i = 0; i < r->diags.n; i++)
		warnings += r->diags.items[i].severity == DIAG_WARNING;
	jsonw_kbool(&w, "ok", !r->failed);
	jsonw_kbool(&w, "strict", r->strict);
	jsonw_kstr(&w, "baseline", r->baseline);
	if (r->baseline_run)
		jsonw_kint(&w, "baseline_run", r->baseline_run);
	jsonw_kint(&w, "steps", (int64_t)r->steps);
	jsonw_kint(&w, "errors", (int64_t)r->diags.errors);
	jsonw_kint(&w, "warnings", (int64_t)warnings);
	jsonw_key(&w, "diagnostics");
	jsonw_arr(&w);
	for (size_t i = 0; i < r->diags.n; i++) {
		const struct diag *d = &r->diags.items[i];
		jsonw_obj(&w);
		jsonw_kstr(&w, "file", d->file ? d->file : "");
		jsonw_kint(&w, "line", d->loc.line);
		jsonw_kint(&w, "col", d->loc.col);
		jsonw_kstr(&w, "severity", diag_severity_name(d->severity));
		jsonw_kstr(&w, "message", d->message);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_key(&w, "summary");
	jsonw_strn(&w, r->summary.buf, r->summary.len);
	jsonw_end(&w);
	int rc = jsonw_finish(&w);
	return rc ?: sbuf_addch(out, '\n');
}

int migrate_check(struct migrate *m, struct sbuf *out)
{
	struct migrate_check_result res;
	migrate_check_result_init(&res);
	int rc = migrate_check_run(m, NULL, &res);
	if (rc != REG_ENOMEM && migrate_check_render(&res, out))
		rc = REG_ENOMEM;
	migrate_check_result_release(&res);
	return rc;
}
