#include "render.h"
#include "render_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

/*
 * Names to indexes for one render_backrefs_build: every reference of every
 * schema is looked up, and a binary search costs ~14 string compares per
 * reference at 10,000 tables; hashing each name once and each reference
 * once is 4x cheaper. Open addressing, slots hold index + 1 (0: empty).
 */
struct name_index {
	size_t *slot;
	size_t mask;
};

static size_t name_hash(const char *s)
{
	size_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static int name_index_build(const struct reg_registry *r, struct name_index *ix)
{
	size_t size = 16;
	while (size < 2 * r->n)
		size *= 2;
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot)
		return REG_ENOMEM;
	ix->mask = size - 1;
	for (size_t i = 0; i < r->n; i++) {
		size_t h = name_hash(r->schemas[i]->name) & ix->mask;
		while (ix->slot[h])
			h = (h + 1) & ix->mask;
		ix->slot[h] = i + 1;
	}
	return 0;
}

static long name_index_find(const struct reg_registry *r, const struct name_index *ix,
			    const char *name)
{
	if (!name)
		return -1;
	for (size_t h = name_hash(name) & ix->mask; ix->slot[h]; h = (h + 1) & ix->mask)
		if (!strcmp(r->schemas[ix->slot[h] - 1]->name, name))
			return (long)(ix->slot[h] - 1);
	return -1;
}

int render_backrefs_build(const struct reg_registry *r, struct render_backrefs *b)
{
	struct name_index ix;
	size_t total = 0;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < r->n; i++)
		total += r->schemas[i]->nrefs;
	b->off = calloc(r->n + 1, sizeof(*b->off));
	b->first = malloc((r->n + 1) * sizeof(*b->first));
	b->items = malloc((total ? total : 1) * sizeof(*b->items));
	b->target = malloc((total ? total : 1) * sizeof(*b->target));
	if (!b->off || !b->first || !b->items || !b->target || name_index_build(r, &ix)) {
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
			long t = name_index_find(r, &ix, s->refs[j].schema);
			b->target[k] = t;
			if (t >= 0 && (size_t)t != i)
				b->off[t + 1]++;
		}
	}
	b->first[r->n] = k;
	free(ix.slot);
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
		case '"':
			err |= sbuf_adds(out, "\\\"");
			break;
		case '\\':
			err |= sbuf_adds(out, "\\\\");
			break;
		case '\n':
			err |= sbuf_adds(out, "\\n");
			break;
		case '\r':
			err |= sbuf_adds(out, "\\r");
			break;
		case '\t':
			err |= sbuf_adds(out, "\\t");
			break;
		case '\b':
			err |= sbuf_adds(out, "\\b");
			break;
		case '\f':
			err |= sbuf_adds(out, "\\f");
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			err |= sbuf_add(out, u, sizeof(u));
		}
		}
	}
	err |= sbuf_adds(out, run);
	err |= sbuf_addch(out, '"');
	return err ? REG_ENOMEM : 0;
}

/* ["a", "b"] */
static int json_names(struct sbuf *out, const char *const *names, size_t n)
{
	int err = sbuf_addch(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			err |= sbuf_adds(out, ", ");
		err |= render_json_string(out, names[i]);
	}
	err |= sbuf_addch(out, ']');
	return err;
}

static int json_strlist(struct sbuf *out, const struct reg_strlist *l)
{
	return json_names(out, (const char *const *)l->items, l->n);
}

/* {"schema": .., "service": .., "columns": [..], "foreign_key": [..]} */
static int json_reference(struct sbuf *out, const struct reg_schema *from,
			  const struct reg_reference *ref)
{
	int err = sbuf_adds(out, "{\"schema\": ");
	err |= render_json_string(out, from->name);
	err |= sbuf_adds(out, ", \"service\": ");
	err |= render_json_string(out, from->owner ? from->owner : "");
	err |= sbuf_adds(out, ", \"columns\": ");
	err |= json_strlist(out, &ref->columns);
	err |= sbuf_adds(out, ", \"foreign_key\": ");
	err |= json_strlist(out, &ref->foreign_keys);
	err |= sbuf_addch(out, '}');
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
		err |= sbuf_adds(out, r->schemas[o.order[i]]->name);
		err |= sbuf_addch(out, '\n');
	}
	reg_graph_order_release(&o);
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
	reg_graph_order_release(&o);
	return err ? REG_ENOMEM : 0;
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
				err |= sbuf_adds(out, " -> ");
			err |= sbuf_adds(out, r->schemas[c.paths[i][k]]->name);
		}
		err |= sbuf_addch(out, '\n');
	}
	reg_graph_cycles_release(&c);
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
	reg_graph_cycles_release(&c);
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
	size_t u = 0;
	for (size_t i = 0; i < m; i++)
		if (!u || strcmp(scratch[u - 1], scratch[i]))
			scratch[u++] = scratch[i];
	return json_names(out, scratch, u);
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
			if (i)
				err |= sbuf_adds(out, ", ");
			err |= json_reference(out, from, &from->refs[items[i].ref]);
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
	err |= sbuf_adds(out, "{\"services\": ");
	err |= json_names(out, d.services, d.nservices);
	err |= sbuf_adds(out, ", \"references\": [");
	for (size_t i = 0; i < d.nrefs; i++) {
		if (i)
			err |= sbuf_adds(out, ", ");
		err |= json_reference(out, d.refs[i].from, d.refs[i].ref);
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
