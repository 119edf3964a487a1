#include "migrate_int.h"

#include <string.h>

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
	struct postcheck pc = { NULL, NULL };
	struct sbuf dry = SBUF_INIT;
	session_init(&s, m);
	pg_exec_result_init(&r);
	int rc = session_prepare_offline(&s);
	if (rc)
		goto failed;
	pc.reg = s.reg;
	pc.pending = &s.pending;
	/* the dry run's transaction first: the plan checked is the one that
	 * runs, against the catalog as the run sees it */
	int brc = pg_begin(s.pg, m->lock_timeout_ms, &r);
	if (brc == REG_EBUSY || brc == REG_EIO) {
		/* the static checks still help */
		if ((rc = session_plan(&s, s.reg, &s.pending, NULL, 0, &s.plan, &s.diags)))
			goto failed;
		sbuf_adds(&dry, "dry run: not run: ");
		sbuf_add(&dry, r.error.buf, r.error.len);
		sbuf_addch(&dry, '\n');
		rc = brc;
		goto render;
	}
	if (brc)
		goto failed;
	if ((rc = session_plan(&s, s.reg, &s.pending, NULL, 0, &s.plan, &s.diags))) {
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
					  .statement_timeout_ms = m->check_statement_timeout_ms,
					  .before_commit = session_post_check, .ctx = &pc };
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
	rc = session_prepare_failed(&s, rc, out);
out:
	sbuf_release(&dry);
	pg_exec_result_release(&r);
	session_release(&s);
	return rc;
}

