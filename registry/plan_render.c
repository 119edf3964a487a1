/* A plan as the migrations/plan file, as plan.json, and as the impact report. */
#include "plan.h"

#include <string.h>

#include "jsonw.h"

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
		sbuf_addf(out, "%zu\t%s\t%s\t", i + 1, *st->service ? st->service : "-",
			  st->schema);
		if (st->deps.n)
			strlist_join(&st->deps, ",", out);
		else
			sbuf_addch(out, '-');
		sbuf_addf(out, "\t%s\n", st->what);
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

/* One row of the impact report for the touched schema name; adds its owner
 * and the services depending on it to services. */
static int impact_row(const struct plan *p, const struct reg_registry *r, const char *name,
		      struct strlist *services, struct sbuf *rows)
{
	const struct reg_schema *s = reg_get(r, name);
	struct reg_dependents d = { 0 };
	size_t steps = 0;
	int rc = 0;
	for (size_t k = 0; k < p->n; k++)
		steps += !strcmp(p->steps[k].schema, name);
	if (s && s->owner)
		rc = strlist_push(services, s->owner);
	if (!rc && s)
		rc = reg_dependents(r, name, &d);
	if (rc)
		goto out;
	sbuf_addf(rows, "%s\t%s\t%zu\t", name, s && s->owner ? s->owner : "-", steps);
	for (size_t k = 0; k < d.nservices && !rc; k++) {
		rc = strlist_push(services, d.services[k]);
		sbuf_addf(rows, "%s%s", k ? "," : "", d.services[k]);
	}
	if (!d.nservices)
		sbuf_addch(rows, '-');
	sbuf_addch(rows, '\n');
out:
	if (s)
		reg_dependents_release(&d);
	return rc ? rc : sbuf_error(rows);
}

int plan_render_impact(const struct plan *p, const struct reg_registry *r, struct sbuf *out)
{
	struct strlist services = STRLIST_INIT;
	struct sbuf rows = SBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < p->touched.n && !rc; i++)
		rc = impact_row(p, r, p->touched.items[i], &services, &rows);
	if (rc) {
		sbuf_fail(out, rc);
		goto out;
	}
	strlist_sort(&services);
	strlist_uniq(&services);
	sbuf_addf(out, "affected services: %zu\n", services.n);
	for (size_t i = 0; i < services.n; i++)
		sbuf_addf(out, "\t%s\n", services.items[i]);
	sbuf_addf(out, "schemas: %zu\nsteps: %zu\n", p->touched.n, p->n);
	if (p->touched.n)
		sbuf_adds(out, "\nschema\towner\tsteps\tdependent services\n");
	sbuf_add(out, rows.buf, rows.len);
out:
	strlist_release(&services);
	sbuf_release(&rows);
	return sbuf_error(out);
}

int plan_render_impact_json(const struct plan *p, const struct reg_registry *r,
			    struct sbuf *out)
{
	struct strlist services = STRLIST_INIT;
	struct jsonw w;
	int rc = 0;
	jsonw_init_layout(&w, out, JSONW_SPACED);
	jsonw_obj(&w);
	jsonw_key(&w, "schemas");
	jsonw_arr(&w);
	for (size_t i = 0; i < p->touched.n && !rc; i++) {
		const char *name = p->touched.items[i];
		const struct reg_schema *s = reg_get(r, name);
		struct reg_dependents d = { 0 };
		size_t steps = 0;
		for (size_t k = 0; k < p->n; k++)
			steps += !strcmp(p->steps[k].schema, name);
		if (s && s->owner)
			rc = strlist_push(&services, s->owner);
		if (!rc && s)
			rc = reg_dependents(r, name, &d);
		if (rc)
			break;
		jsonw_obj(&w);
		jsonw_kstr(&w, "schema", name);
		jsonw_kstr(&w, "owner", s ? s->owner : NULL);
		jsonw_kint(&w, "steps", (int64_t)steps);
		jsonw_key(&w, "dependent_services");
		jsonw_arr(&w);
		for (size_t k = 0; k < d.nservices && !rc; k++) {
			jsonw_str(&w, d.services[k]);
			rc = strlist_push(&services, d.services[k]);
		}
		jsonw_end(&w);
		jsonw_end(&w);
		if (s)
			reg_dependents_release(&d);
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
	strlist_release(&services);
	return jsonw_finish(&w) ?: sbuf_addch(out, '\n');
}
