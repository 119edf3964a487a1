#include "render.h"
#include "render_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

long render_find(const struct reg_registry *r, const char *name)
{
	size_t lo = 0, hi = r->n;
	if (!name)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->schemas[mid]->name, name);
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int render_backrefs_build(const struct reg_registry *r, struct render_backrefs *b)
{
	size_t total = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < r->n; i++)
		total += r->schemas[i]->nrefs;
	b->off = calloc(r->n + 1, sizeof(*b->off));
	b->items = malloc((total ? total : 1) * sizeof(*b->items));
	long *target = malloc((total ? total : 1) * sizeof(*target));
	if (!b->off || !b->items || !target) {
		free(target);
		render_backrefs_release(b);
		return REG_ENOMEM;
	}
	/* a counting sort by target; visiting sources in name order keeps each
	 * bucket sorted by (from name, ref order) */
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		for (size_t j = 0; j < s->nrefs; j++, k++) {
			long t = render_find(r, s->refs[j].schema);
			target[k] = (t < 0 || (size_t)t == i) ? -1 : t;
			if (target[k] >= 0)
				b->off[target[k] + 1]++;
		}
	}
	for (size_t t = 0; t < r->n; t++)
		b->off[t + 1] += b->off[t];
	k = 0;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t j = 0; j < r->schemas[i]->nrefs; j++, k++) {
			if (target[k] < 0)
				continue;
			struct render_backref *it = &b->items[b->off[target[k]]++];
			it->from = i;
			it->ref = j;
		}
	}
	for (size_t t = r->n; t > 0; t--)
		b->off[t] = b->off[t - 1];
	b->off[0] = 0;
	free(target);
	return 0;
}

void render_backrefs_release(struct render_backrefs *b)
{
	free(b->off);
	free(b->items);
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

static bool list_has(const struct reg_strlist *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], item))
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

bool render_columns_unique(const struct reg_schema *s, const struct reg_strlist *cols)
{
	if (cols->n == 0)
		return false;
	if (cols->n == 1) {
		const struct reg_column *c = reg_schema_column(s, cols->items[0]);
		if (c && c->unique)
			return true;
	}
	size_t npk = 0;
	bool all_pk = true;
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].primary_key)
			npk++;
	for (size_t i = 0; i < cols->n; i++) {
		const struct reg_column *c = reg_schema_column(s, cols->items[i]);
		if (!c || !c->primary_key)
			all_pk = false;
	}
	if (all_pk && npk == cols->n)
		return true;
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *ix = &s->indexes[i];
		if (!ix->unique || ix->columns.n != cols->n)
			continue;
		bool same = true;
		for (size_t j = 0; j < cols->n && same; j++)
			same = list_has(&ix->columns, cols->items[j]);
		if (same)
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

/*
 * JSON: quotes, backslashes and every control character are escaped; all
 * other bytes pass through, so UTF-8 (Korean descriptions) stays readable.
 * The registry only holds valid UTF-8 (the YAML reader refuses the rest).
 */
int render_json_string(struct sbuf *out, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	int err = sbuf_addch(out, '"');
	const char *run = s;

	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		err |= sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '"': err |= sbuf_adds(out, "\\\""); break;
		case '\\': err |= sbuf_adds(out, "\\\\"); break;
		case '\n': err |= sbuf_adds(out, "\\n"); break;
		case '\r': err |= sbuf_adds(out, "\\r"); break;
		case '\t': err |= sbuf_adds(out, "\\t"); break;
		case '\b': err |= sbuf_adds(out, "\\b"); break;
		case '\f': err |= sbuf_adds(out, "\\f"); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			err |= sbuf_add(out, u, sizeof(u));
		}
		}
	}
	err |= sbuf_adds(out, run);
	err |= sbuf_addch(out, '"');
	return err ? REG_ENOMEM : 0;
}

static int json_strlist(struct sbuf *out, const struct reg_strlist *l)
{
	int err = sbuf_addch(out, '[');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			err |= sbuf_adds(out, ", ");
		err |= render_json_string(out, l->items[i]);
	}
	err |= sbuf_addch(out, ']');
	return err;
}

int render_graph(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	for (size_t i = 0; i < g.n; i++) {
		err |= sbuf_adds(out, r->schemas[i]->name);
		err |= sbuf_addch(out, ':');
		for (size_t e = g.off[i]; e < g.off[i + 1]; e++) {
			err |= sbuf_addch(out, ' ');
			err |= sbuf_adds(out, r->schemas[g.dep[e]]->name);
		}
		err |= sbuf_addch(out, '\n');
	}
	reg_graph_release(&g);
	return err ? REG_ENOMEM : 0;
}

int render_graph_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	err |= sbuf_addch(out, '{');
	for (size_t i = 0; i < g.n; i++) {
		err |= sbuf_adds(out, i ? ",\n  " : "\n  ");
		err |= render_json_string(out, r->schemas[i]->name);
		err |= sbuf_adds(out, ": [");
		for (size_t e = g.off[i]; e < g.off[i + 1]; e++) {
			if (e > g.off[i])
				err |= sbuf_adds(out, ", ");
			err |= render_json_string(out, r->schemas[g.dep[e]]->name);
		}
		err |= sbuf_addch(out, ']');
	}
	err |= sbuf_adds(out, g.n ? "\n}\n" : "}\n");
	reg_graph_release(&g);
	return err ? REG_ENOMEM : 0;
}

static int order_of(const struct reg_registry *r, struct reg_order *o)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	err = reg_migration_order(&g, r, o);
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
		err |= sbuf_adds(out, r->schemas[o.order[i]]->name);
		err |= sbuf_addch(out, '\n');
	}
	reg_order_release(&o);
	return err ? REG_ENOMEM : 0;
}

int render_order_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_order o;
	int err = order_of(r, &o);
	if (err)
		return err;
	err |= sbuf_addch(out, '[');
	for (size_t i = 0; i < o.n; i++) {
		err |= sbuf_adds(out, i ? ",\n  " : "\n  ");
		err |= sbuf_adds(out, "{\"schema\": ");
		err |= render_json_string(out, r->schemas[o.order[i]]->name);
		err |= sbuf_adds(out, o.in_cycle[o.order[i]] ? ", \"in_cycle\": true}"
							     : ", \"in_cycle\": false}");
	}
	err |= sbuf_adds(out, o.n ? "\n]\n" : "]\n");
	reg_order_release(&o);
	return err ? REG_ENOMEM : 0;
}

static int cycles_of(const struct reg_registry *r, struct reg_cycles *c)
{
	struct reg_graph g;
	int err = reg_graph_build(r, &g);
	if (err)
		return err;
	err = reg_detect_cycles(&g, c);
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
				err |= sbuf_adds(out, " -> ");
			err |= sbuf_adds(out, r->schemas[c.paths[i][k]]->name);
		}
		err |= sbuf_addch(out, '\n');
	}
	reg_cycles_release(&c);
	return err ? REG_ENOMEM : 0;
}

int render_cycles_json(const struct reg_registry *r, struct sbuf *out)
{
	struct reg_cycles c;
	int err = cycles_of(r, &c);
	if (err)
		return err;
	err |= sbuf_addch(out, '[');
	for (size_t i = 0; i < c.n; i++) {
		err |= sbuf_adds(out, i ? ",\n  [" : "\n  [");
		for (size_t k = 0; k < c.lens[i]; k++) {
			if (k)
				err |= sbuf_adds(out, ", ");
			err |= render_json_string(out, r->schemas[c.paths[i][k]]->name);
		}
		err |= sbuf_addch(out, ']');
	}
	err |= sbuf_adds(out, c.n ? "\n]\n" : "]\n");
	reg_cycles_release(&c);
	return err ? REG_ENOMEM : 0;
}

int render_dependents(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct reg_dependents d;
	int err = reg_dependents(r, name, &d);
	if (err)
		return err;
	for (size_t i = 0; i < d.nservices; i++) {
		err |= sbuf_adds(out, d.services[i]);
		err |= sbuf_addch(out, '\n');
	}
	reg_dependents_release(&d);
	return err ? REG_ENOMEM : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The services of one bucket, sorted and unique, as a JSON array. */
static int json_services(struct sbuf *out, const struct reg_registry *r,
			 const struct render_backref *items, size_t n, const char **scratch)
{
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const char *owner = r->schemas[items[i].from]->owner;
		if (owner)
			scratch[m++] = owner;
	}
	qsort(scratch, m, sizeof(*scratch), cmp_str);
	int err = sbuf_addch(out, '[');
	for (size_t i = 0, w = 0; i < m; i++) {
		if (i && !strcmp(scratch[i], scratch[i - 1]))
			continue;
		if (w++)
			err |= sbuf_adds(out, ", ");
		err |= render_json_string(out, scratch[i]);
	}
	err |= sbuf_addch(out, ']');
	return err;
}

int render_dependents_json(const struct reg_registry *r, struct sbuf *out)
{
	struct render_backrefs b;
	int err = render_backrefs_build(r, &b);
	if (err)
		return err;
	size_t most = 0;
	for (size_t t = 0; t < r->n; t++)
		if (b.off[t + 1] - b.off[t] > most)
			most = b.off[t + 1] - b.off[t];
	const char **scratch = malloc((most ? most : 1) * sizeof(*scratch));
	if (!scratch) {
		render_backrefs_release(&b);
		return REG_ENOMEM;
	}

	err |= sbuf_addch(out, '{');
	for (size_t t = 0; t < r->n; t++) {
		const struct render_backref *items = b.items + b.off[t];
		size_t n = b.off[t + 1] - b.off[t];

		err |= sbuf_adds(out, t ? ",\n  " : "\n  ");
		err |= render_json_string(out, r->schemas[t]->name);
		err |= sbuf_adds(out, ": {\"services\": ");
		err |= json_services(out, r, items, n, scratch);
		err |= sbuf_adds(out, ", \"references\": [");
		for (size_t i = 0; i < n; i++) {
			const struct reg_schema *from = r->schemas[items[i].from];
			const struct reg_reference *ref = &from->refs[items[i].ref];
			if (i)
				err |= sbuf_adds(out, ", ");
			err |= sbuf_adds(out, "{\"schema\": ");
			err |= render_json_string(out, from->name);
			err |= sbuf_adds(out, ", \"service\": ");
			err |= render_json_string(out, from->owner ? from->owner : "");
			err |= sbuf_adds(out, ", \"columns\": ");
			err |= json_strlist(out, &ref->columns);
			err |= sbuf_adds(out, ", \"foreign_key\": ");
			err |= json_strlist(out, &ref->foreign_keys);
			err |= sbuf_addch(out, '}');
		}
		err |= sbuf_adds(out, "]}");
	}
	err |= sbuf_adds(out, r->n ? "\n}\n" : "}\n");
	free(scratch);
	render_backrefs_release(&b);
	return err ? REG_ENOMEM : 0;
}

int render_dependent_json(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct reg_dependents d;
	int err = reg_dependents(r, name, &d);
	if (err)
		return err;
	err |= sbuf_adds(out, "{\"services\": [");
	for (size_t i = 0; i < d.nservices; i++) {
		if (i)
			err |= sbuf_adds(out, ", ");
		err |= render_json_string(out, d.services[i]);
	}
	err |= sbuf_adds(out, "], \"references\": [");
	for (size_t i = 0; i < d.nrefs; i++) {
		const struct reg_schema *from = d.refs[i].from;
		if (i)
			err |= sbuf_adds(out, ", ");
		err |= sbuf_adds(out, "{\"schema\": ");
		err |= render_json_string(out, from->name);
		err |= sbuf_adds(out, ", \"service\": ");
		err |= render_json_string(out, from->owner ? from->owner : "");
		err |= sbuf_adds(out, ", \"columns\": ");
		err |= json_strlist(out, &d.refs[i].ref->columns);
		err |= sbuf_adds(out, ", \"foreign_key\": ");
		err |= json_strlist(out, &d.refs[i].ref->foreign_keys);
		err |= sbuf_addch(out, '}');
	}
	err |= sbuf_adds(out, "]}\n");
	reg_dependents_release(&d);
	return err ? REG_ENOMEM : 0;
}

int render_validation_json(const struct diags *d, struct sbuf *out)
{
	int err = sbuf_addch(out, '[');
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *dg = &d->items[i];
		err |= sbuf_adds(out, i ? ",\n  {\"file\": " : "\n  {\"file\": ");
		err |= render_json_string(out, dg->file ? dg->file : "");
		err |= sbuf_addf(out, ", \"line\": %lu, \"col\": %lu, \"severity\": ",
				 (unsigned long)dg->loc.line, (unsigned long)dg->loc.col);
		err |= render_json_string(out, diag_severity_name(dg->severity));
		err |= sbuf_adds(out, ", \"message\": ");
		err |= render_json_string(out, dg->message ? dg->message : "");
		err |= sbuf_addch(out, '}');
	}
	err |= sbuf_adds(out, d->n ? "\n]\n" : "]\n");
	return err ? REG_ENOMEM : 0;
}
