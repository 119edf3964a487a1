/*
 * render_erd_dot: Graphviz DOT of an ERD selection (render_int.h), for
 * `dot` (the mount's erd.svg and erd/ files, `schemafs erd --dot|--svg`).
 *
 * What makes the drawing readable at the sizes real registries have:
 *  - tables are grouped in one cluster per owner (service), so a
 *    registry reads as its services;
 *  - every column row has a port at each end ("w<i>" on its left cell,
 *    "e<i>" on its right one), and an edge leaves the foreign-key row at
 *    its east end and enters the referenced row at its west end, so edges
 *    attach to their columns and never cross a table's rows;
 *  - edges into one column with the same end meet at a junction point
 *    first, and one edge with that end goes on from there, so five
 *    references to users.id draw one end there instead of five heads piled
 *    into a blot (samehead would do it, but it ignores HTML ports);
 *  - a self reference leaves and enters on the east side, looping outside
 *    the table;
 *  - ends are crow's feet (dir=both): the referenced side "teetee"
 *    (exactly one) or "teeodot" (zero or one), the referencing side
 *    "crowodot" (zero or more) or "teeodot" (zero or one).
 * The compact form draws a box per table (no columns) for registries too
 * large for a drawing of every column; its edges attach to the tables.
 */
#include "render.h"
#include "render_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strlist.h"

/* Text inside an HTML-like label: XML escaping, no control characters. */
static void dot_html(struct sbuf *out, const char *s)
{
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && !strchr("&<>\"'", c))
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '&':
			sbuf_adds(out, "&amp;");
			break;
		case '<':
			sbuf_adds(out, "&lt;");
			break;
		case '>':
			sbuf_adds(out, "&gt;");
			break;
		case '"':
			sbuf_adds(out, "&quot;");
			break;
		case '\'':
			sbuf_adds(out, "&#39;");
			break;
		default:
			sbuf_addch(out, ' ');
		}
	}
	sbuf_add(out, run, (size_t)(p - run));
}

/* A double-quoted DOT ID: '"' and '\' escaped (a backslash would
 * otherwise start an escString sequence such as \N). */
static void dot_id(struct sbuf *out, const char *s)
{
	sbuf_addch(out, '"');
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		if (c == '"' || c == '\\') {
			sbuf_addch(out, '\\');
			sbuf_addch(out, (char)c);
		} else {
			sbuf_addch(out, ' ');
		}
	}
	sbuf_add(out, run, (size_t)(p - run));
	sbuf_addch(out, '"');
}

/* The row of the first column of cols, -1: none (the edge attaches to the
 * table). */
static long col_row(const struct reg_schema *s, const struct reg_strlist *cols)
{
	const struct reg_column *c = cols->n ? reg_schema_column(s, cols->items[0]) : NULL;
	return c ? (long)(c - s->columns) : -1;
}

static void dot_table(struct sbuf *out, const struct render_erd_sel *sel, size_t m)
{
	const struct reg_schema *s = sel->r->schemas[sel->table[m]];
	const bool *shown = sel->shown[m];
	size_t hidden = 0;

	sbuf_adds(out, "    ");
	dot_id(out, s->name);
	sbuf_adds(out, " [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\""
		       " cellpadding=\"4\" bgcolor=\"white\">\n      <tr><td colspan=\"3\" bgcolor=\"");
	/* a neighbour, drawn with its keys only, is the paler one */
	sbuf_adds(out, shown ? "#eeeeee" : "#dde4ee");
	sbuf_adds(out, "\"><b>");
	dot_html(out, s->name);
	sbuf_adds(out, "</b></td></tr>\n");
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		if (shown && !shown[i]) {
			hidden++;
			continue;
		}
		sbuf_addf(out, "      <tr><td port=\"w%zu\" align=\"left\">", i);
		dot_html(out, c->name);
		sbuf_adds(out, "</td><td align=\"left\">");
		dot_html(out, c->type ? c->type : "");
		if (c->nullable)
			sbuf_adds(out, " NULL");
		sbuf_addf(out, "</td><td port=\"e%zu\">", i);
		render_erd_keys(out, s, c, "");
		sbuf_adds(out, "</td></tr>\n");
	}
	if (hidden)
		sbuf_addf(out, "      <tr><td colspan=\"3\" align=\"left\"><i>%zu more column%s</i>"
			       "</td></tr>\n", hidden, hidden == 1 ? "" : "s");
	sbuf_adds(out, "    </table>>];\n");
}

static void dot_box(struct sbuf *out, const struct render_erd_sel *sel, size_t m)
{
	const struct reg_schema *s = sel->r->schemas[sel->table[m]];
	sbuf_adds(out, "    ");
	dot_id(out, s->name);
	sbuf_addf(out, " [tooltip=\"%zu columns\"];\n", s->ncolumns);
}

struct dot_edge {
	size_t child, ref, parent; /* members, and the child's reference */
	long from, to;             /* rows, -1: the table itself */
	bool optional;             /* the parent end: zero or one, not exactly one */
};

static struct dot_edge edge_of(const struct render_erd_sel *sel, size_t m, size_t k, size_t p,
			       bool compact)
{
	const struct reg_schema *s = sel->r->schemas[sel->table[m]];
	const struct reg_reference *ref = &s->refs[k];
	struct dot_edge e = { m, k, p, -1, -1, !render_columns_not_null(s, &ref->foreign_keys) };
	if (!compact) {
		e.from = col_row(s, &ref->foreign_keys);
		e.to = col_row(sel->r->schemas[sel->table[p]], &ref->columns);
	}
	return e;
}

static int cmp_end(const void *a, const void *b, void *arg)
{
	const struct dot_edge *e = arg, *x = &e[*(const size_t *)a], *y = &e[*(const size_t *)b];
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	return (int)x->optional - (int)y->optional;
}

/* Where edges of one end into one column meet: "j<member>_<row>_<kind>". */
static void dot_junction_id(struct sbuf *out, const struct dot_edge *e)
{
	sbuf_addf(out, "\"j%zu_%ld_%d\"", e->parent, e->to, e->optional);
}

static const char *head_of(const struct dot_edge *e)
{
	return e->optional ? "teeodot" : "teetee";
}

/* child -> parent (or -> its junction, without the parent end); the tail
 * end is the child's. */
static void dot_edge(struct sbuf *out, const struct render_erd_sel *sel, const struct dot_edge *e,
		     bool junction, struct sbuf *label)
{
	const struct reg_schema *s = sel->r->schemas[sel->table[e->child]];
	const struct reg_schema *ps = sel->r->schemas[sel->table[e->parent]];
	const struct reg_reference *ref = &s->refs[e->ref];
	bool single = reg_schema_is_key(s, &ref->foreign_keys);

	sbuf_adds(out, "  ");
	dot_id(out, s->name);
	if (e->from >= 0)
		sbuf_addf(out, ":e%ld:e", e->from);
	sbuf_adds(out, " -> ");
	if (junction) {
		dot_junction_id(out, e);
	} else {
		dot_id(out, ps->name);
		if (e->to >= 0)
			sbuf_addf(out, e->child == e->parent ? ":e%ld:e" : ":w%ld:w", e->to);
	}
	sbuf_adds(out, " [");
	if (e->from >= 0) {
		/* dot 2.43 cannot route a labelled edge into a point ("unable to
		 * reclaim box space"): the label goes at the child's end then */
		sbuf_adds(out, junction ? "taillabel=" : "label=");
		dot_id(out, render_erd_label(label, &ref->foreign_keys, out));
		sbuf_adds(out, ", ");
	}
	sbuf_addf(out, "arrowtail=%s, arrowhead=%s];\n", single ? "teeodot" : "crowodot",
		  junction ? "none" : head_of(e));
}

/* The one edge from e's junction on to the parent's column. */
static void dot_junction(struct sbuf *out, const struct render_erd_sel *sel,
			 const struct dot_edge *e)
{
	sbuf_adds(out, "  ");
	dot_junction_id(out, e);
	sbuf_adds(out, " -> ");
	dot_id(out, sel->r->schemas[sel->table[e->parent]]->name);
	sbuf_addf(out, ":w%ld:w [dir=forward, arrowhead=%s];\n", e->to, head_of(e));
}

/* How many edges share edge i's (parent, row, end), and whether i is the
 * first of them. */
struct dot_end {
	size_t n;
	bool first;
};

static bool is_junction(const struct dot_edge *e, const struct dot_end *end)
{
	return e->to >= 0 && e->child != e->parent && end->n > 1;
}

/* Every edge drawn, and its end. */
static int dot_edges_list(const struct render_erd_sel *sel, bool compact, struct dot_edge **out,
			  size_t *n, struct dot_end **ends)
{
	size_t cap = 0, k = 0;
	for (size_t m = 0; m < sel->n; m++)
		cap += sel->r->schemas[sel->table[m]]->nrefs;
	struct dot_edge *e = malloc((cap ? cap : 1) * sizeof(*e));
	struct dot_end *c = calloc(cap ? cap : 1, sizeof(*c));
	if (!e || !c) {
		free(e);
		free(c);
		return REG_ENOMEM;
	}
	for (size_t m = 0; m < sel->n; m++) {
		const struct reg_schema *s = sel->r->schemas[sel->table[m]];
		for (size_t j = 0; j < s->nrefs; j++) {
			size_t p;
			if (render_erd_sel_edge(sel, m, j, &p))
				e[k++] = edge_of(sel, m, j, p, compact);
		}
	}
	/* a registry has few references per column: a scan per edge of the
	 * edges into the same parent would be quadratic in a hub, so sort an
	 * index by (parent, row, end) instead */
	size_t *ix = malloc((k ? k : 1) * sizeof(*ix));
	if (!ix) {
		free(e);
		free(c);
		return REG_ENOMEM;
	}
	for (size_t i = 0; i < k; i++)
		ix[i] = i;
	qsort_r(ix, k, sizeof(*ix), cmp_end, e);
	for (size_t i = 0; i < k;) {
		size_t j = i;
		while (j < k && !cmp_end(&ix[i], &ix[j], e))
			j++;
		/* a self reference loops on its own; the sort is not stable: the
		 * first is the smallest index */
		size_t first = SIZE_MAX, others = 0;
		for (size_t t = i; t < j; t++)
			if (e[ix[t]].child != e[ix[t]].parent) {
				others++;
				first = ix[t] < first ? ix[t] : first;
			}
		for (size_t t = i; t < j; t++)
			c[ix[t]].n = others;
		if (others)
			c[first].first = true;
		i = j;
	}
	free(ix);
	*out = e;
	*n = k;
	*ends = c;
	return 0;
}

/* The tables, one cluster per owner (sorted; tables without an owner
 * outside any cluster). */
static void dot_nodes(struct sbuf *out, const struct render_erd_sel *sel, bool compact,
		      const struct dot_edge *edges, const struct dot_end *ends, size_t nedges)
{
	const struct reg_registry *r = sel->r;
	struct strlist owners = STRLIST_INIT;

	for (size_t m = 0; m < sel->n; m++) {
		const char *o = r->schemas[sel->table[m]]->owner;
		if (o && *o && strlist_push(&owners, o))
			sbuf_fail(out, REG_ENOMEM);
	}
	strlist_sort(&owners);
	strlist_uniq(&owners);
	for (size_t i = 0; i <= owners.n; i++) {
		const char *owner = i < owners.n ? owners.items[i] : NULL;
		if (owner) {
			sbuf_adds(out, "  subgraph ");
			sbuf_addf(out, "\"cluster_%zu\" {\n    graph [style=\"rounded,filled\", "
				       "fillcolor=\"#f6f8fb\", color=\"#8a9bb3\", "
				       "fontname=\"Helvetica-Bold\", fontsize=14, label=", i);
			dot_id(out, owner);
			sbuf_adds(out, "];\n");
		}
		for (size_t m = 0; m < sel->n; m++) {
			const char *o = r->schemas[sel->table[m]]->owner;
			bool here = owner ? o && !strcmp(o, owner) : !o || !*o;
			if (here && compact)
				dot_box(out, sel, m);
			else if (here)
				dot_table(out, sel, m);
			/* a junction into m is m's (in its cluster: dot routes
			 * edges into a cluster badly from a point outside it) */
			for (size_t e = 0; here && !compact && e < nedges; e++)
				if (edges[e].parent == m && ends[e].first && is_junction(&edges[e], &ends[e])) {
					sbuf_adds(out, "    ");
					dot_junction_id(out, &edges[e]);
					sbuf_adds(out, " [shape=point, width=0.06, label=\"\"];\n");
				}
		}
		if (owner)
			sbuf_adds(out, "  }\n");
	}
	strlist_release(&owners);
}

int render_erd_dot_sel(const struct render_erd_sel *sel, bool compact, struct sbuf *out)
{
	struct sbuf label = SBUF_INIT;
	struct dot_edge *edges;
	struct dot_end *ends;
	size_t n;
	if (dot_edges_list(sel, compact, &edges, &n, &ends))
		return sbuf_fail(out, REG_ENOMEM);
	sbuf_adds(out, "digraph erd {\n"
		       "  graph [rankdir=LR, charset=\"UTF-8\", fontname=\"Helvetica\", "
		       "nodesep=0.25, ranksep=0.8, pad=0.2];\n");
	sbuf_adds(out, compact ? "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#dde4ee\", "
				 "fontname=\"Helvetica\", fontsize=10, height=0.3];\n"
			       : "  node [shape=plain, fontname=\"Helvetica\", fontsize=11];\n");
	sbuf_adds(out, "  edge [dir=both, color=\"#44556b\", fontname=\"Helvetica\", fontsize=9];\n");
	dot_nodes(out, sel, compact, edges, ends, n);
	for (size_t i = 0; i < n; i++) {
		const struct dot_edge *e = &edges[i];
		bool junction = is_junction(e, &ends[i]);
		dot_edge(out, sel, e, junction, &label);
		/* the junction comes with the first edge into it */
		if (junction && ends[i].first)
			dot_junction(out, sel, e);
	}
	free(edges);
	free(ends);
	sbuf_release(&label);
	sbuf_adds(out, "}\n");
	return sbuf_error(out);
}

static int dot_full(const struct render_erd_sel *sel, struct sbuf *out)
{
	return render_erd_dot_sel(sel, false, out);
}

int render_erd_dot(const struct reg_registry *r, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_all(r, &sel), &sel, dot_full, out);
}

int render_erd_dot_table(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_table(r, NULL, name, &sel), &sel, dot_full, out);
}

int render_erd_dot_service(const struct reg_registry *r, const char *service, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_service(r, service, &sel), &sel, dot_full, out);
}
