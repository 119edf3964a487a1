/*
 * Lint on what a plan will run (plan.h, plan_lint_steps): the pending
 * scripts one by one as hand-written SQL, the generated steps as one
 * generated script, so rules that span statements (a unique column and a
 * unique index on it) see the whole plan, and every finding goes back to
 * the step, and the YAML line, it came from.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "sqllex.h"

struct plan_linter {
	const struct plan *p;
	const struct reg_registry *reg;
	const struct plan_live *live;
	struct lint_options opt;
	struct diags *d;
};

static bool live_exists(void *ctx, const char *table)
{
	return plan_live_find(ctx, table) != NULL;
}

/* The quoted identifier starting at t[i] ('"'), unquoted into buf; false
 * when there is none or it does not fit. *end: the byte after it. */
static bool quoted_ident(const char *t, size_t i, size_t n, char *buf, size_t size, size_t *end)
{
	size_t k = 0;
	if (i >= n || t[i] != '"')
		return false;
	for (i++; i < n; i++) {
		if (t[i] == '"') {
			if (i + 1 < n && t[i + 1] == '"') {
				i++;
			} else {
				buf[k] = 0;
				*end = i + 1;
				return true;
			}
		}
		if (k + 1 >= size)
			return false;
		buf[k++] = t[i];
	}
	return false;
}

static bool is_type_rule(enum lint_rule_id r)
{
	return r == LINT_CHAR_FIELD || r == LINT_TIMESTAMPTZ || r == LINT_BIGINT_OVER_INT ||
	       r == LINT_BIGINT_OVER_SMALLINT || r == LINT_IDENTITY || r == LINT_TEXT_FIELD;
}

/* In a CREATE TABLE, one line per column or key: the first column of s
 * that the finding's line names. */
static const struct reg_column *line_column(const struct reg_schema *s, const char *t,
					    size_t len, size_t off)
{
	size_t a = off, b = off;
	while (a > 0 && t[a - 1] != '\n')
		a--;
	while (b < len && t[b] != '\n')
		b++;
	for (size_t i = a; i < b; i++) {
		char name[4 * REG_MAX_IDENT_LEN + 8];
		size_t end;
		if (t[i] != '"' || !quoted_ident(t, i, b, name, sizeof(name), &end))
			continue;
		const struct reg_column *c = reg_schema_column(s, name);
		if (c)
			return c;
		i = end - 1;
	}
	return NULL;
}

static bool listed(const struct reg_strlist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], id))
			return true;
	return false;
}

/* One finding of the generated script (steps[k] holds it, at byte rel of
 * that step's SQL) as a diagnostic at its YAML place. */
static int generated_finding(struct plan_linter *L, const struct plan_step *st, size_t rel,
			     const struct lint_finding *f)
{
	const char *id = lint_rules[f->rule].id;
	struct reg_loc loc = st->loc;
	if (strlist_find(&st->lint_ignore, id) >= 0)
		return 0;
	const struct reg_schema *s = reg_get(L->reg, st->schema);
	if (s && st->kind == PLAN_CREATE_TABLE) {
		const struct reg_column *c = line_column(s, st->sql, strlen(st->sql), rel);
		if (c && listed(&c->lint_ignore, id))
			return 0;
		if (c)
			loc = is_type_rule(f->rule) && c->type_loc.line ? c->type_loc : c->loc;
	}
	struct sbuf msg = SBUF_INIT;
	int rc = lint_finding_render(f, &msg);
	if (!rc && diags_add(L->d, st->file, loc, f->severity, "%s", msg.buf))
		rc = REG_ENOMEM;
	sbuf_release(&msg);
	return rc;
}

/*
 * The generated steps as the one script they are: the transactional phase
 * between BEGIN and COMMIT, then the steps that run outside it. One script,
 * so that what a step relies on is seen (a VALIDATE after its NOT VALID
 * constraint, a SET NOT NULL after the valid CHECK that proves it).
 */
static int lint_generated(struct plan_linter *L)
{
	struct sbuf text = SBUF_INIT;
	struct lint_report r = LINT_REPORT_INIT;
	size_t *start = calloc(L->p->n + 1, sizeof(*start));
	size_t *which = calloc(L->p->n + 1, sizeof(*which));
	size_t n = 0;
	int rc = REG_ENOMEM;
	if (!start || !which)
		goto out;
	sbuf_adds(&text, "BEGIN;\n");
	for (int outside = 0; outside < 2; outside++) {
		for (size_t i = 0; i < L->p->n; i++) {
			const struct plan_step *st = &L->p->steps[i];
			if (st->kind == PLAN_PENDING || st->outside_tx != (bool)outside)
				continue;
			start[n] = text.len;
			which[n++] = i;
			sbuf_adds(&text, st->sql);
			sbuf_addch(&text, '\n');
		}
		if (!outside)
			sbuf_adds(&text, "COMMIT;\n");
	}
	if ((rc = sbuf_error(&text)) || !n)
		goto out;
	struct lint_options o = L->opt;
	o.in_transaction = false; /* the script says where the transaction is */
	o.hand_written = false;
	o.no_script_lines = true;
	if ((rc = lint_run(text.buf, text.len, &o, &r)))
		goto out;
	for (size_t i = 0; i < r.n && !rc; i++) {
		size_t k = n;
		while (k > 0 && start[k - 1] > r.items[i].offset)
			k--;
		k = k ? k - 1 : 0;
		size_t rel = r.items[i].offset > start[k] ? r.items[i].offset - start[k] : 0;
		rc = generated_finding(L, &L->p->steps[which[k]], rel, &r.items[i]);
	}
out:
	lint_report_release(&r);
	sbuf_release(&text);
	free(start);
	free(which);
	return rc;
}

/* A pending script: hand-written SQL in the run's transaction. */
static int lint_pending(struct plan_linter *L, const struct plan_step *st)
{
	size_t len = strlen(st->sql);
	if (sqllex_skip_blank(st->sql, 0, len) == len)
		return diags_add(L->d, st->file, (struct reg_loc){ 1, 1 }, DIAG_ERROR,
				 "no SQL statement in the file");
	struct lint_report r = LINT_REPORT_INIT;
	struct lint_options o = L->opt;
	o.in_transaction = true;
	o.hand_written = true;
	int rc = lint_run(st->sql, len, &o, &r);
	for (size_t i = 0; i < r.n && !rc; i++) {
		struct sbuf msg = SBUF_INIT;
		rc = lint_finding_render(&r.items[i], &msg);
		if (!rc && diags_add(L->d, st->file, r.items[i].loc, r.items[i].severity, "%s",
				     msg.buf))
			rc = REG_ENOMEM;
		sbuf_release(&msg);
	}
	lint_report_release(&r);
	return rc;
}

int plan_lint_steps(const struct plan *p, const struct reg_registry *reg,
		    const struct plan_live *live, int pg_version, struct diags *d)
{
	struct plan_linter L = { .p = p, .reg = reg, .live = live, .d = d };
	int rc = 0;
	lint_options_init(&L.opt);
	if (pg_version)
		L.opt.pg_version = pg_version;
	if (live) {
		L.opt.table_exists = live_exists;
		L.opt.ctx = (void *)live;
	}
	for (size_t i = 0; reg && i < reg->meta.nlint; i++)
		L.opt.level[reg->meta.lint[i].rule] = (unsigned char)reg->meta.lint[i].level;
	for (size_t i = 0; i < p->n && !rc; i++)
		if (p->steps[i].kind == PLAN_PENDING)
			rc = lint_pending(&L, &p->steps[i]);
	if (!rc)
		rc = lint_generated(&L);
	return rc;
}
