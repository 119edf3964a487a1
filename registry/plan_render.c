/* A plan as the migrations/plan file, as plan.json, and as the impact report. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "render.h"
#include "strmap.h"

/* Each line of sql after a tab; blank lines of a script stay blank, with
 * no trailing tab. */
static void add_indented(struct sbuf *out, const char *sql)
{
	const char *p = sql;
	while (*p && !sbuf_error(out)) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n) {
			sbuf_addch(out, '\t');
			sbuf_add(out, p, n);
		}
		sbuf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
}

int plan_render(const struct plan *p, struct sbuf *out)
{
	if (!p->n)
		return sbuf_adds(out, "nothing to do\n");
	for (size_t i = 0; i < p->n && !sbuf_error(out); i++) {
		const struct plan_step *st = &p->steps[i];
		/* names, owners and descriptions are user text: escaped, so
		 * none can forge a step or a field */
		sbuf_addf(out, "%zu\t", i + 1);
		render_plain(out, *st->service ? st->service : "-");
		sbuf_addch(out, '\t');
		render_plain(out, st->schema);
		sbuf_addch(out, '\t');
		for (size_t d = 0; d < st->deps.n; d++) {
			if (d)
				sbuf_addch(out, ',');
			render_plain(out, st->deps.items[d]);
		}
		if (!st->deps.n)
			sbuf_addch(out, '-');
		sbuf_addch(out, '\t');
		render_plain(out, st->what);
		sbuf_addch(out, '\n');
		add_indented(out, st->sql);
		sbuf_addch(out, '\n');
	}
	return sbuf_error(out);
}

static void json_step(struct sbuf *out, size_t k, const struct plan_step *st)
{
	struct jsonw w;
	jsonw_init_layout(&w, out, JSONW_SPACED);
	jsonw_obj(&w);
	jsonw_kint(&w, "step", (int64_t)k);
	jsonw_kstr(&w, "kind", plan_step_kind_name(st->kind));
	jsonw_kstr(&w, "service", st->service);
	jsonw_kstr(&w, "schema", st->schema);
	jsonw_key(&w, "dependencies");
	jsonw_arr(&w);
	for (size_t d = 0; d < st->deps.n; d++)
		jsonw_str(&w, st->deps.items[d]);
	jsonw_end(&w);
	jsonw_kstr(&w, "what", st->what);
	jsonw_kstr(&w, "sql", st->sql);
	jsonw_kbool(&w, "destructive", st->destructive);
	jsonw_end(&w);
	jsonw_finish(&w);
}

/* The array is laid out by hand, one step per line, so the file reads
 * (and diffs) step by step; each step is one JSON object from jsonw. */
int plan_render_json(const struct plan *p, struct sbuf *out)
{
	sbuf_addch(out, '[');
	for (size_t i = 0; i < p->n && !sbuf_error(out); i++) {
		sbuf_adds(out, i ? ",\n  " : "\n  ");
		json_step(out, i + 1, &p->steps[i]);
	}
	sbuf_adds(out, p->n ? "\n]\n" : "]\n");
	return sbuf_error(out);
}

/* What the impact report needs of every touched table, built in one pass
 * over the steps and one over the registry's references (linear: a
 * per-table search of either is quadratic at 20,000 tables). */
struct impact_row {
	size_t steps;
	struct strlist dependents; /* owners of the tables referencing it */
};

struct impact_index {
	struct strmap rows; /* touched name (borrowed) -> struct impact_row */
};

static void impact_row_free(void *v)
{
	struct impact_row *row = v;
	strlist_release(&row->dependents);
	free(row);
}

static void impact_index_release(struct impact_index *ix)
{
	strmap_release(&ix->rows, impact_row_free);
}

static int impact_index_build(struct impact_index *ix, const struct plan *p,
			      const struct reg_registry *r)
{
	int rc = 0;
	strmap_init_borrowed(&ix->rows);
	for (size_t i = 0; i < p->touched.n && !rc; i++) {
		struct impact_row *row = calloc(1, sizeof(*row));
		rc = row ? strmap_put_s(&ix->rows, p->touched.items[i], row, NULL) : REG_ENOMEM;
		if (rc)
			free(row);
	}
	for (size_t k = 0; k < p->n && !rc; k++) {
		struct impact_row *row = strmap_get_s(&ix->rows, p->steps[k].schema);
		if (row)
			row->steps++;
	}
	for (size_t i = 0; i < r->n && !rc; i++) {
		const struct reg_schema *s = r->schemas[i];
		for (size_t k = 0; k < s->nrefs && !rc; k++) {
			struct impact_row *row = s->refs[k].schema && s->owner
						 ? strmap_get_s(&ix->rows, s->refs[k].schema)
						 : NULL;
			if (row && strcmp(s->refs[k].schema, s->name))
				rc = strlist_push(&row->dependents, s->owner);
		}
	}
	for (struct strmap_entry *e = NULL; !rc && (e = strmap_next(&ix->rows, e));) {
		struct impact_row *row = e->value;
		strlist_sort(&row->dependents);
		strlist_uniq(&row->dependents);
	}
	return rc;
}

/* One row of the impact report for the touched schema name; adds its owner
 * and the services depending on it to services. */
static int impact_row(const struct impact_index *ix, const struct reg_registry *r,
		      const char *name, struct strlist *services, struct sbuf *rows)
{
	const struct reg_schema *s = reg_get(r, name);
	const struct impact_row *row = strmap_get_s(&ix->rows, name);
	int rc = 0;
	if (s && s->owner)
		rc = strlist_push(services, s->owner);
	render_plain(rows, name);
	sbuf_addch(rows, '\t');
	render_plain(rows, s && s->owner ? s->owner : "-");
	sbuf_addf(rows, "\t%zu\t", row->steps);
	for (size_t k = 0; k < row->dependents.n && !rc; k++) {
		rc = strlist_push(services, row->dependents.items[k]);
		if (k)
			sbuf_addch(rows, ',');
		render_plain(rows, row->dependents.items[k]);
	}
	if (!row->dependents.n)
		sbuf_addch(rows, '-');
	sbuf_addch(rows, '\n');
	return rc ? rc : sbuf_error(rows);
}

int plan_render_impact(const struct plan *p, const struct reg_registry *r, struct sbuf *out)
{
	struct strlist services = STRLIST_INIT;
	struct sbuf rows = SBUF_INIT;
	struct impact_index ix;
	int rc = impact_index_build(&ix, p, r);

	for (size_t i = 0; i < p->touched.n && !rc; i++)
		rc = impact_row(&ix, r, p->touched.items[i], &services, &rows);
	if (rc) {
		sbuf_fail(out, rc);
		goto out;
	}
	strlist_sort(&services);
	strlist_uniq(&services);
	sbuf_addf(out, "affected services: %zu\n", services.n);
	for (size_t i = 0; i < services.n; i++) {
		sbuf_addch(out, '\t');
		render_plain(out, services.items[i]);
		sbuf_addch(out, '\n');
	}
	sbuf_addf(out, "schemas: %zu\nsteps: %zu\n", p->touched.n, p->n);
	if (p->touched.n)
		sbuf_adds(out, "\nschema\towner\tsteps\tdependent services\n");
	sbuf_add(out, rows.buf, rows.len);
out:
	impact_index_release(&ix);
	strlist_release(&services);
	sbuf_release(&rows);
	return sbuf_error(out);
}

int plan_render_impact_json(const struct plan *p, const struct reg_registry *r,
			    struct sbuf *out)
{
	struct strlist services = STRLIST_INIT;
	struct impact_index ix;
	struct jsonw w;
	int rc = impact_index_build(&ix, p, r);
	jsonw_init_layout(&w, out, JSONW_SPACED);
	jsonw_obj(&w);
	jsonw_key(&w, "schemas");
	jsonw_arr(&w);
	for (size_t i = 0; i < p->touched.n && !rc; i++) {
		const char *name = p->touched.items[i];
		const struct reg_schema *s = reg_get(r, name);
		const struct impact_row *row = strmap_get_s(&ix.rows, name);
		if (s && s->owner)
			rc = strlist_push(&services, s->owner);
		jsonw_obj(&w);
		jsonw_kstr(&w, "schema", name);
		jsonw_kstr(&w, "owner", s ? s->owner : NULL);
		jsonw_kint(&w, "steps", (int64_t)row->steps);
		jsonw_key(&w, "dependent_services");
		jsonw_arr(&w);
		for (size_t k = 0; k < row->dependents.n && !rc; k++) {
			jsonw_str(&w, row->dependents.items[k]);
			rc = strlist_push(&services, row->dependents.items[k]);
		}
		jsonw_end(&w);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	if (rc)
		sbuf_fail(out, rc);
	strlist_sort(&services);
	strlist_uniq(&services);
	jsonw_key(&w, "services");
	jsonw_arr(&w);
	for (size_t i = 0; i < services.n; i++)
		jsonw_str(&w, services.items[i]);
	jsonw_end(&w);
	jsonw_kint(&w, "steps", (int64_t)p->n);
	jsonw_end(&w);
	impact_index_release(&ix);
	strlist_release(&services);
	return jsonw_finish(&w) ?: sbuf_addch(out, '\n');
}
