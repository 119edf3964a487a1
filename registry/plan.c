/* plan_build: the phases of a plan, its steps and diagnostics (plan.h). */
#include "plan_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static const char *const kind_names[] = {
	[PLAN_DROP_FK] = "drop foreign key",
	[PLAN_PENDING] = "pending script",
	[PLAN_CREATE_TABLE] = "create table",
	[PLAN_DROP_INDEX] = "drop index",
	[PLAN_DROP_CONSTRAINT] = "drop constraint",
	[PLAN_ADD_COLUMN] = "add column",
	[PLAN_ALTER_TYPE] = "alter column type",
	[PLAN_SET_DEFAULT] = "set default",
	[PLAN_DROP_DEFAULT] = "drop default",
	[PLAN_SET_NOT_NULL] = "set not null",
	[PLAN_DROP_NOT_NULL] = "drop not null",
	[PLAN_DROP_COLUMN] = "drop column",
	[PLAN_ADD_PRIMARY] = "add primary key",
	[PLAN_ADD_UNIQUE] = "add unique",
	[PLAN_CREATE_INDEX] = "create index",
	[PLAN_ADD_FK] = "add foreign key",
	[PLAN_DROP_TABLE] = "drop table",
	[PLAN_RENAME_TABLE] = "rename table",
	[PLAN_RENAME_COLUMN] = "rename column",
};

const char *plan_step_kind_name(enum plan_step_kind k)
{
	if ((size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k])
		return kind_names[k];
	return "step";
}

bool plan_reserved_table(const char *name)
{
	return !strcmp(name, "schemafs_migrations") || !strcmp(name, "schemafs_tables");
}

/* ---- steps ---- */

static void step_release(struct plan_step *s)
{
	free(s->schema);
	free(s->service);
	strlist_release(&s->deps);
	free(s->sql);
	free(s->what);
	free(s->file);
	strlist_release(&s->lint_ignore);
	free(s->index);
}

/* The tables s references, other than itself: sorted, unique. */
static int step_deps(struct plan_step *st, const struct reg_schema *s)
{
	for (size_t i = 0; s && i < s->nrefs; i++) {
		const char *d = s->refs[i].schema;
		if (!d || !strcmp(d, s->name))
			continue;
		int rc = strlist_push(&st->deps, d);
		if (rc)
			return rc;
	}
	strlist_sort(&st->deps);
	strlist_uniq(&st->deps);
	return 0;
}

static char *schema_file(const struct reg_schema *s, const char *name)
{
	struct sbuf f = SBUF_INIT;
	if (s && s->file)
		return strdup(s->file);
	if (sbuf_addf(&f, "schemas/%s.yaml", name))
		return NULL;
	return sbuf_detach(&f, NULL);
}

static struct plan_step *steps_push(struct plan_steps *sv)
{
	if (sv->n == sv->alloc) {
		size_t n = sv->alloc ? sv->alloc * 2 : 8;
		struct plan_step *v = realloc(sv->v, n * sizeof(*v));
		if (!v)
			return NULL;
		sv->v = v;
		sv->alloc = n;
	}
	memset(&sv->v[sv->n], 0, sizeof(sv->v[sv->n]));
	return &sv->v[sv->n];
}

void plan_step_add(struct plan_builder *b, enum plan_phase ph, enum plan_step_kind kind,
		   const char *table, const struct reg_schema *s, bool destructive,
		   const char *fmt, ...)
{
	struct sbuf what = SBUF_INIT;
	va_list ap;
	if (plan_builder_error(b))
		return;
	struct plan_step *st = steps_push(&b->phase[ph]);
	if (!st) {
		plan_builder_fail(b, REG_ENOMEM);
		return;
	}
	st->kind = kind;
	st->destructive = destructive;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(&what, fmt, ap);
	va_end(ap);
	st->schema = strdup(table);
	st->service = strdup(s && s->owner ? s->owner : "");
	st->sql = sbuf_detach(&b->sql, NULL);
	st->what = rc ? NULL : sbuf_detach(&what, NULL);
	st->file = kind == PLAN_PENDING && st->what ? strdup(st->what) : schema_file(s, table);
	st->loc = s ? s->name_loc : (struct reg_loc){ 0, 0 };
	if (!st->schema || !st->service || !st->sql || !st->what || !st->file ||
	    step_deps(st, s)) {
		step_release(st);
		plan_builder_fail(b, REG_ENOMEM);
	} else {
		b->phase[ph].n++;
		b->last = ph;
	}
	sbuf_release(&what);
}

/* ---- diagnostics ---- */

void plan_diag(struct plan_builder *b, const struct reg_schema *s, const char *table,
	       struct reg_loc loc, enum diag_severity sev, struct sbuf *msg)
{
	char *file = NULL;
	if (plan_builder_error(b))
		goto out;
	if (sbuf_error(msg) || !msg->len || !(file = schema_file(s, table)) ||
	    diags_add(b->diags, file, loc, sev, "%s", msg->buf))
		plan_builder_fail(b, REG_ENOMEM);
out:
	free(file);
	sbuf_release(msg);
}

void plan_step_at(struct plan_builder *b, struct reg_loc loc, const struct reg_strlist *ignore)
{
	struct plan_steps *sv = &b->phase[b->last];
	if (plan_builder_error(b) || !sv->n)
		return;
	struct plan_step *st = &sv->v[sv->n - 1];
	if (loc.line)
		st->loc = loc;
	for (size_t i = 0; ignore && i < ignore->n; i++)
		if (strlist_find(&st->lint_ignore, ignore->items[i]) < 0 &&
		    strlist_push(&st->lint_ignore, ignore->items[i]))
			plan_builder_fail(b, REG_ENOMEM);
}

/* ---- the build ---- */

static bool in_scope(const struct plan_builder *b, const char *name)
{
	return !b->in->only || strmap_has_s(&b->only, name);
}

/* The steps of every phase, in phase order, into out; then the sorted
 * sets of tables touched, created and dropped. */
static int finish(struct plan_builder *b, struct plan *out)
{
	size_t total = 0;
	for (int ph = 0; ph < PLAN_NPHASES; ph++)
		total += b->phase[ph].n;
	out->steps = calloc(total ? total : 1, sizeof(*out->steps));
	if (!out->steps)
		return REG_ENOMEM;
	for (int ph = 0; ph < PLAN_NPHASES; ph++) {
		if (!b->phase[ph].n)
			continue;
		memcpy(out->steps + out->n, b->phase[ph].v, b->phase[ph].n * sizeof(*out->steps));
		out->n += b->phase[ph].n;
		free(b->phase[ph].v);
		b->phase[ph] = (struct plan_steps){ 0 };
	}
	int rc = 0;
	for (size_t i = 0; i < out->n && !rc; i++) {
		const struct plan_step *st = &out->steps[i];
		const char *prev = i ? out->steps[i - 1].schema : "";
		bool same = !strcmp(prev, st->schema);
		if (!same)
			rc = strlist_push(&out->touched, st->schema);
		if (!rc && (st->kind == PLAN_CREATE_TABLE ||
			    (st->kind == PLAN_PENDING && !plan_live_find(b->in->live, st->schema))))
			rc = strlist_push(&out->created, st->schema);
		if (!rc && st->kind == PLAN_DROP_TABLE)
			rc = strlist_push(&out->dropped, st->schema);
	}
	struct strlist *sets[] = { &out->touched, &out->created, &out->dropped };
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		strlist_sort(sets[i]);
		strlist_uniq(sets[i]);
	}
	return rc;
}

/* An error for each pending script whose table the registry does not
 * declare: there is nothing to replace, so it would run unchecked. */
static void orphan_scripts(struct plan_builder *b)
{
	const struct plan_pending *p = b->in->pending;
	for (size_t i = 0; p && i < p->n && !plan_builder_error(b); i++) {
		const struct plan_script *ps = &p->items[i];
		if (!in_scope(b, ps->table) || reg_get(b->in->reg, ps->table))
			continue;
		if (diags_add(b->diags, ps->file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			      "no schema '%s' is registered for this pending script", ps->table))
			plan_builder_fail(b, REG_ENOMEM);
	}
}

/* Whether a schema is renamed from the live table name (it is kept). */
static bool renamed_to_schema(const struct plan_builder *b, const char *name)
{
	const struct reg_registry *r = b->in->reg;
	for (size_t i = 0; i < r->n; i++)
		if (r->schemas[i]->renamed_from && !strcmp(r->schemas[i]->renamed_from, name) &&
		    plan_diff_renamed_table(b, r->schemas[i]))
			return true;
	return false;
}

/* What the registry created and the user unregistered. */
static void dropped_tables(struct plan_builder *b)
{
	const struct plan_live *live = b->in->live;
	for (size_t i = 0; i < live->created.n && !plan_builder_error(b); i++) {
		const char *name = live->created.items[i];
		const struct plan_live_table *t = plan_live_find(live, name);
		if (t && !reg_get(b->in->reg, name) && in_scope(b, name) &&
		    !plan_reserved_table(name) && !renamed_to_schema(b, name))
			plan_ddl_drop_table(b, t);
	}
}

int plan_build(const struct plan_input *in, struct plan *out, struct diags *diags)
{
	struct plan_builder b = { .in = in, .diags = diags, .sql = SBUF_INIT };
	struct reg_graph g = { 0 };
	struct reg_order ord = { 0 };
	const struct reg_registry *r = in->reg;
	int rc;

	memset(out, 0, sizeof(*out));
	strmap_init_borrowed(&b.only);
	for (size_t i = 0; in->only && i < in->nonly; i++)
		if ((rc = strmap_put_s(&b.only, in->only[i], NULL, NULL)))
			goto out;
	if ((rc = reg_graph_build(r, &g)) || (rc = reg_graph_order(&g, r, &ord)))
		goto out;

	orphan_scripts(&b);
	for (size_t k = 0; k < ord.n && !plan_builder_error(&b); k++) {
		const struct reg_schema *s = r->schemas[ord.order[k]];
		if (in_scope(&b, s->name))
			plan_diff_schema(&b, s);
	}
	if (!in->no_drop_tables)
		dropped_tables(&b);
	rc = plan_builder_error(&b);
	if (!rc)
		rc = finish(&b, out);
	if (!rc && !in->no_lint)
		rc = plan_lint_steps(out, r, in->live, in->pg_version, diags);
out:
	for (int ph = 0; ph < PLAN_NPHASES; ph++) {
		for (size_t i = 0; i < b.phase[ph].n; i++)
			step_release(&b.phase[ph].v[i]);
		free(b.phase[ph].v);
	}
	sbuf_release(&b.sql);
	strmap_release(&b.only, NULL);
	reg_graph_order_release(&ord);
	reg_graph_release(&g);
	if (rc)
		plan_release(out);
	return rc;
}

void plan_release(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		step_release(&p->steps[i]);
	free(p->steps);
	strlist_release(&p->touched);
	strlist_release(&p->created);
	strlist_release(&p->dropped);
	memset(p, 0, sizeof(*p));
}
