#include "render.h"
#include "render_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "graph.h"
#include "jsonw.h"
#include "strmap.h"

/* Names to indexes for one render_backrefs_build: every reference of every
 * schema is looked up, and hashing each name and each reference once is 4x
 * cheaper than a binary search at 10,000 tables. Values are index + 1. */
static int name_index_build(const struct reg_registry *r, struct strmap *ix)
{
	strmap_init_borrowed(ix);
	for (size_t i = 0; i < r->n; i++)
		if (strmap_put_s(ix, r->schemas[i]->name, (void *)(uintptr_t)(i + 1), NULL))
			return REG_ENOMEM;
	return 0;
}

static long name_index_find(const struct strmap *ix, const char *name)
{
	return name ? (long)(uintptr_t)strmap_get_s(ix, name) - 1 : -1;
}

int render_backrefs_build(const struct reg_registry *r, struct render_backrefs *b)
{
	struct strmap ix = STRMAP_INIT_BORROWED;
	size_t total = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < r->n; i++)
		total += r->schemas[i]->nrefs;
	b->off = calloc(r->n + 1, sizeof(*b->off));
	b->first = malloc((r->n + 1) * sizeof(*b->first));
	b->items = malloc((total ? total : 1) * sizeof(*b->items));
	b->target = malloc((total ? total : 1) * sizeof(*b->target));
	if (!b->off || !b->first || !b->items || !b->target || name_index_build(r, &ix)) {
		strmap_release(&ix, NULL);
		render_backrefs_release(b);
		return REG_ENOMEM;
	}
	/* a counting sort by target; visiting sources in name order keeps each
	 * bucket sorted by (from name, ref order) */
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		b->first[i] = k;
		for (size_t j = 0; j < s->nrefs; j++, k++) {
			long t = name_index_find(&ix, s->refs[j].schema);
			b->target[k] = t;
			if (t >= 0 && (size_t)t != i)
				b->off[t + 1]++;
		}
	}
	b->first[r->n] = k;
	strmap_release(&ix, NULL);
	for (size_t t = 0; t < r->n; t++)
		b->off[t + 1] += b->off[t];
	k = 0;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->schemas[i]->nrefs; j++, k++) {
			long t = b->target[k];
			if (t < 0 || (size_t)t == i)
				continue;
			struct render_backref *it = &b->items[b->off[t]++];
			it->from = i;
			it->ref = j;
		}
	}
	for (size_t t = r->n; t > 0; t--)
		b->off[t] = b->off[t - 1];
	b->off[0] = 0;
	return 0;
}

void render_backrefs_release(struct render_backrefs *b)
{
	free(b->off);
	free(b->items);
	free(b->target);
	free(b->first);
	memset(b, 0, sizeof(*b));
}

bool render_column_is_fk(const struct reg_schema *s, const char *col)
{
	for (size_t i = 0; i < s->nrefs; i++)
		for (size_t j = 0; j < s->refs[i].foreign_keys.n; j++)
			if (!strcmp(s->refs[i].foreign_keys.items[j], col))
				return true;
	return false;
}

bool render_column_unique(const struct reg_schema *s, const struct reg_column *col)
{
	if (col->unique)
		return true;
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *ix = &s->indexes[i];
		if (ix->unique && ix->columns.n == 1 && !strcmp(ix->columns.items[0], col->name))
			return true;
	}
	return false;
}

bool render_columns_not_null(const struct reg_schema *s, const struct reg_strlist *cols)
{
	for (size_t i = 0; i < cols->n; i++) {
		const struct reg_column *c = reg_schema_column(s, cols->items[i]);
		if (!c || c->nullable)
			return false;
	}
	return cols->n > 0;
}

/* ["a", "b"] */
static void json_names(struct jsonw *w, const char *const *names, size_t n)
{
	jsonw_arr(w);
	for (size_t i = 0; i < n; i++)
		jsonw_str(w, names[i]);
	jsonw_end(w);
}

static void json_strlist(struct jsonw *w, const struct reg_strlist *l)
{
	json_names(w, (const char *const *)l->items, l->n);
}

/* {"schema": .., "service": .., "columns": [..], "foreign_key": [..]} */
static void json_reference(struct jsonw *w, const struct reg_schema *from,
			   const struct reg_reference *ref)
{
	jsonw_obj(w);
	jsonw_kstr(w, "schema", from->name);
	jsonw_kstr(w, "service", from->owner ? from->owner : "");
	jsonw_key(w, "columns");
	json_strlist(w, &ref->columns);
	jsonw_key(w, "foreign_key");
	json_strlist(w, &ref->foreign_keys);
	jsonw_end(w);
}

/* The end of every JSON view: the writer's verdict, then a newline. */
static int json_finish(struct jsonw *w)
{
	int err = jsonw_finish(w);
	if (!err)
		err = sbuf_addch(w->out, '\n');
	return err;
}

/*
 * User text on a line of a plain view. The local rules refuse control
 * characters in names and owners, but a view must not depend on that (a
 * revision accepted before the rule, a registry built through the API): a
 * line break or a tab would forge a line or a field, so they are written
 * as \n, \t, \r, other controls as \xNN.
 */
void render_plain(struct sbuf *out, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const char *p = text ? text : "";
	while (*p) {
		size_t n = 0;
		while (p[n] && (unsigned char)p[n] >= 0x20 && p[n] != 0x7f)
			n++;
		sbuf_add(out, p, n);
		p += n;
		if (!*p)
			break;
		unsigned char ch = (unsigned char)*p++;
		if (ch == '\n')
			sbuf_adds(out, "\\n");
		else if (ch == '\t')
			sbuf_adds(out, "\\t");
		else if (ch == '\r')
			sbuf_adds(out, "\\r");
		else {
			char esc[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };
			sbuf_add(out, esc, 4);
		}
	}
}

int render_graph(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	for (size_t i = 0; i < g.n; i++) {
		render_plain(out, r->schemas[i]->name);
		sbuf_addch(out, ':');
		for (size_t e = g.off[i]; e < g.off[i + 1]; e++) {
			sbuf_addch(out, ' ');
			render_plain(out, r->schemas[g.dep[e]]->name);
		}
		sbuf_addch(out, '\n');
	}
	reg_graph_release(&g);
	return sbuf_error(out);
}

int render_graph_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_graph g;
	struct jsonw w;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	jsonw_init_layout(&w, out, JSONW_LINES);
	jsonw_obj(&w);
	for (size_t i = 0; i < g.n; i++) {
		jsonw_key(&w, r->schemas[i]->name);
		jsonw_arr(&w);
		for (size_t e = g.off[i]; e < g.off[i + 1]; e++)
			jsonw_str(&w, r->schemas[g.dep[e]]->name);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	reg_graph_release(&g);
	return json_finish(&w);
}

static int order_of(const struct reg_registry *r, struct reg_order *o)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	err = reg_graph_order(&g, r, o);
	reg_graph_release(&g);
	return err;
}

int render_order(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_order o;
	int err = order_of(r, &o);
	if (err)
		return err;
	for (size_t i = 0; i < o.n; i++) {
		render_plain(out, r->schemas[o.order[i]]->name);
		sbuf_addch(out, '\n');
	}
	reg_graph_order_release(&o);
	return sbuf_error(out);
}

int render_order_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_order o;
	struct jsonw w;
	int err = order_of(r, &o);
	if (err)
		return err;
	jsonw_init_layout(&w, out, JSONW_LINES);
	jsonw_arr(&w);
	for (size_t i = 0; i < o.n; i++) {
		jsonw_obj(&w);
		jsonw_kstr(&w, "schema", r->schemas[o.order[i]]->name);
		jsonw_kbool(&w, "in_cycle", o.in_cycle[o.order[i]]);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	reg_graph_order_release(&o);
	return json_finish(&w);
}

static int cycles_of(const struct reg_registry *r, struct reg_cycles *c)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	err = reg_graph_cycles(&g, c);
	reg_graph_release(&g);
	return err;
}

int render_cycles(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_cycles c;
	int err = cycles_of(r, &c);
	if (err)
		return err;
	for (size_t i = 0; i < c.n; i++) {
		for (size_t k = 0; k < c.lens[i]; k++) {
			if (k)
				sbuf_adds(out, " -> ");
			render_plain(out, r->schemas[c.paths[i][k]]->name);
		}
		sbuf_addch(out, '\n');
	}
	reg_graph_cycles_release(&c);
	return sbuf_error(out);
}

int render_cycles_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_cycles c;
	struct jsonw w;
	int err = cycles_of(r, &c);
	if (err)
		return err;
	jsonw_init_layout(&w, out, JSONW_LINES);
	jsonw_arr(&w);
	for (size_t i = 0; i < c.n; i++) {
		jsonw_arr(&w);
		for (size_t k = 0; k < c.lens[i]; k++)
			jsonw_str(&w, r->schemas[c.paths[i][k]]->name);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	reg_graph_cycles_release(&c);
	return json_finish(&w);
}

/* Does a services file item ("table" or "table.column") name table? */
static bool item_names(const char *item, const char *table)
{
	size_t n = strlen(table);
	return !strncmp(item, table, n) && (item[n] == '\0' || item[n] == '.');
}

static bool service_uses(const struct reg_service *sv, const char *table)
{
	for (size_t i = 0; i < sv->reads.n; i++)
		if (item_names(sv->reads.items[i], table))
			return true;
	for (size_t i = 0; i < sv->writes.n; i++)
		if (item_names(sv->writes.items[i], table))
			return true;
	return false;
}

int render_dependents(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct reg_dependents d;
	const struct reg_schema *s = reg_get(r, name);
	int err = reg_dependents(r, name, &d);
	if (err)
		return err;
	/* the seed's FK-derived set, plus the services files that read or
	 * write the table (its owner is no dependent of it) */
	const char **names = malloc((d.nservices + r->nservices + 1) * sizeof(*names));
	if (!names) {
		reg_dependents_release(&d);
		return REG_ENOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < d.nservices; i++)
		names[n++] = d.services[i];
	for (size_t i = 0; i < r->nservices; i++) {
		const struct reg_service *sv = r->services[i];
		if ((!s || !s->owner || strcmp(s->owner, sv->name)) && service_uses(sv, name))
			names[n++] = sv->name;
	}
	n = reg_names_sort_unique(names, n);
	for (size_t i = 0; i < n; i++) {
		render_plain(out, names[i]);
		sbuf_addch(out, '\n');
	}
	free(names);
	reg_dependents_release(&d);
	return sbuf_error(out);
}

/* The uses of other services' code in one table, sorted by table, then
 * service (dependents.json's "uses"). */
struct table_uses {
	struct contract_consumers who;
	const struct contract_use **by_table;
	size_t n;
};

static int use_cmp(const void *a, const void *b)
{
	const struct contract_use *x = *(const struct contract_use *const *)a;
	const struct contract_use *y = *(const struct contract_use *const *)b;
	int c = strcmp(x->table, y->table);
	if (!c)
		c = strcmp(x->service, y->service);
	if (!c)
		c = x < y ? -1 : x > y;
	return c;
}

static int table_uses_build(const struct reg_registry *r, struct table_uses *u)
{
	memset(u, 0, sizeof(*u));
	contract_consumers_init(&u->who);
	int rc = contract_consumers_of(r, &u->who);
	if (!rc && !(u->by_table = malloc((u->who.n ? u->who.n : 1) * sizeof(*u->by_table))))
		rc = REG_ENOMEM;
	for (size_t i = 0; !rc && i < u->who.n; i++) {
		const struct contract_use *x = &u->who.items[i];
		const struct reg_schema *s = reg_get(r, x->table);
		if (x->why != CONTRACT_WHY_OWNER && s && (!s->owner || strcmp(s->owner, x->service)))
			u->by_table[u->n++] = x;
	}
	if (!rc)
		qsort(u->by_table, u->n, sizeof(*u->by_table), use_cmp);
	return rc;
}

static void table_uses_release(struct table_uses *u)
{
	free(u->by_table);
	contract_consumers_release(&u->who);
}

/* "uses": [{"service", "column", "why", "via", "file", "line"}...] of the
 * uses of table starting at *k (advanced past them). */
static void json_uses(struct jsonw *w, const struct table_uses *u, size_t *k, const char *table)
{
	static const char *const why[] = { "fk", "owner", "read", "write" };
	jsonw_key(w, "uses");
	jsonw_arr(w);
	while (*k < u->n && strcmp(u->by_table[*k]->table, table) < 0)
		(*k)++;
	for (; *k < u->n && !strcmp(u->by_table[*k]->table, table); (*k)++) {
		const struct contract_use *x = u->by_table[*k];
		size_t wi = x->why == CONTRACT_WHY_DECLARED ? (x->access == CONTRACT_READ ? 2 : 3)
							    : (size_t)x->why;
		jsonw_obj(w);
		jsonw_kstr(w, "service", x->service);
		jsonw_kstr(w, "column", x->column);
		jsonw_kstr(w, "why", why[wi]);
		jsonw_kstr(w, "via", x->via);
		jsonw_kstr(w, "file", x->file);
		jsonw_kint(w, "line", x->loc.line);
		jsonw_end(w);
	}
	jsonw_end(w);
}

/* The services of one bucket, sorted and unique, as a JSON array. */
static void json_services(struct jsonw *w, const struct reg_registry *r,
			  const struct reg_schema *s, const struct render_backref *items, size_t n,
			  const char **scratch)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const char *owner = r->schemas[items[i].from]->owner;
		if (owner)
			scratch[m++] = owner;
	}
	for (size_t i = 0; i < r->nservices; i++) {
		const struct reg_service *sv = r->services[i];
		if ((!s->owner || strcmp(s->owner, sv->name)) && service_uses(sv, s->name))
			scratch[m++] = sv->name;
	}
	json_names(w, scratch, reg_names_sort_unique(scratch, m));
}

int render_dependents_json(const struct reg_registry *r, struct sbuf *out)
{
	struct render_backrefs b;
	struct jsonw w;
	int err = render_backrefs_build(r, &b);
	if (err)
		return err;
	size_t most = 0;
	for (size_t t = 0; t < r->n; t++)
		if (b.off[t + 1] - b.off[t] > most)
			most = b.off[t + 1] - b.off[t];
	const char **scratch = malloc((most + r->nservices + 1) * sizeof(*scratch));
	struct table_uses u;
	err = scratch ? table_uses_build(r, &u) : REG_ENOMEM;
	if (err) {
		if (scratch)
			table_uses_release(&u);
		free(scratch);
		render_backrefs_release(&b);
		return err;
	}
	size_t k = 0;

	jsonw_init_layout(&w, out, JSONW_LINES);
	jsonw_obj(&w);
	for (size_t t = 0; t < r->n; t++) {
		const struct render_backref *items = b.items + b.off[t];
		size_t n = b.off[t + 1] - b.off[t];

		jsonw_key(&w, r->schemas[t]->name);
		jsonw_obj(&w);
		jsonw_key(&w, "services");
		json_services(&w, r, r->schemas[t], items, n, scratch);
		jsonw_key(&w, "references");
		jsonw_arr(&w);
		for (size_t i = 0; i < n; i++) {
			const struct reg_schema *from = r->schemas[items[i].from];
			json_reference(&w, from, &from->refs[items[i].ref]);
		}
		jsonw_end(&w);
		json_uses(&w, &u, &k, r->schemas[t]->name);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	table_uses_release(&u);
	free(scratch);
	render_backrefs_release(&b);
	return json_finish(&w);
}

int render_dependent_json(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct reg_dependents d;
	struct table_uses u;
	struct sbuf names = SBUF_INIT;
	struct jsonw w;
	size_t k = 0;
	int err = reg_dependents(r, name, &d);
	if (err)
		return err;
	if ((err = table_uses_build(r, &u)) || (err = render_dependents(r, name, &names))) {
		table_uses_release(&u);
		reg_dependents_release(&d);
		return err;
	}
	jsonw_init_layout(&w, out, JSONW_SPACED);
	jsonw_obj(&w);
	jsonw_key(&w, "services");
	jsonw_arr(&w);
	for (char *p = names.buf, *nl; p && (nl = strchr(p, '\n')); p = nl + 1)
		jsonw_strn(&w, p, (size_t)(nl - p));
	jsonw_end(&w);
	jsonw_key(&w, "references");
	jsonw_arr(&w);
	for (size_t i = 0; i < d.nrefs; i++)
		json_reference(&w, d.refs[i].from, d.refs[i].ref);
	jsonw_end(&w);
	json_uses(&w, &u, &k, name);
	jsonw_end(&w);
	sbuf_release(&names);
	table_uses_release(&u);
	reg_dependents_release(&d);
	return json_finish(&w);
}

int render_validation_json(const struct diags *d, struct sbuf *out)
{
	struct jsonw w;
	jsonw_init_layout(&w, out, JSONW_LINES);
	jsonw_arr(&w);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *dg = &d->items[i];
		jsonw_obj(&w);
		jsonw_kstr(&w, "file", dg->file ? dg->file : "");
		jsonw_kint(&w, "line", (int64_t)dg->loc.line);
		jsonw_kint(&w, "col", (int64_t)dg->loc.col);
		jsonw_kstr(&w, "severity", diag_severity_name(dg->severity));
		jsonw_kstr(&w, "message", dg->message ? dg->message : "");
		jsonw_end(&w);
	}
	jsonw_end(&w);
	return json_finish(&w);
}
