#include "graph.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Everything here is linear in nodes + edges: the registry is meant to
 * hold tens of thousands of tables, and a user's cycle must never turn a
 * view into an exponential walk. Recursion is avoided too, since a long
 * chain of references would otherwise be as deep as the registry is large.
 */

static void *alloc_array(size_t n, size_t size)
{
	if (n && size > SIZE_MAX / n)
		return NULL;
	return malloc(n ? n * size : 1);
}

static void *zalloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* Rows are short (a table has a handful of references), so insertion sort
 * wins there; qsort keeps a pathological table with thousands of them fast. */
static void sort_row(size_t *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), cmp_size);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		size_t x = v[i], j = i;
		while (j > 0 && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

int reg_graph_build(const struct reg_registry *r, struct reg_graph *g)
{
	size_t total = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < r->n; i++)
		total += r->schemas[i]->nrefs;

	g->n = r->n;
	g->off = alloc_array(r->n + 1, sizeof(*g->off));
	g->dep = alloc_array(total, sizeof(*g->dep));
	if (!g->off || !g->dep)
		goto fail;

	size_t m = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		size_t start = m;

		g->off[i] = start;
		for (size_t k = 0; k < s->nrefs; k++) {
			long j = reg_find(r, s->refs[k].schema); /* -1 for NULL too */
			if (j < 0 || (size_t)j == i)
				continue;
			g->dep[m++] = (size_t)j;
		}
		sort_row(g->dep + start, m - start);
		/* unique in place */
		size_t w = start;
		for (size_t k = start; k < m; k++)
			if (w == start || g->dep[w - 1] != g->dep[k])
				g->dep[w++] = g->dep[k];
		m = w;
	}
	g->off[r->n] = m;
	return 0;

fail:
	reg_graph_release(g);
	return REG_ENOMEM;
}

void reg_graph_release(struct reg_graph *g)
{
	if (!g)
		return;
	free(g->off);
	free(g->dep);
	memset(g, 0, sizeof(*g));
}

/*
 * Tarjan's algorithm with an explicit stack of (node, next edge) frames.
 * comp[v] gets the component number; components come out in reverse
 * topological order of the condensation (dependencies first), which no
 * caller relies on: the order is recomputed with names as tie-breaks.
 * Returns the number of components, or REG_ENOMEM as a negative value.
 */
static long tarjan(const struct reg_graph *g, size_t *comp)
{
	const size_t none = SIZE_MAX;
	size_t n = g->n, counter = 0, ncomp = 0;
	size_t *index = alloc_array(n, sizeof(*index));
	size_t *low = alloc_array(n, sizeof(*low));
	size_t *stack = alloc_array(n, sizeof(*stack));
	size_t *call = alloc_array(n, sizeof(*call));
	size_t *edge = alloc_array(n, sizeof(*edge));
	bool *on_stack = zalloc_array(n, sizeof(*on_stack));
	long ret = REG_ENOMEM;
	size_t sp = 0;

	if (!index || !low || !stack || !call || !edge || !on_stack)
		goto out;
	for (size_t v = 0; v < n; v++)
		index[v] = none;

	for (size_t root = 0; root < n; root++) {
		size_t cp = 0;

		if (index[root] != none)
			continue;
		call[cp++] = root;
		index[root] = low[root] = counter++;
		edge[root] = g->off[root];
		stack[sp++] = root;
		on_stack[root] = true;

		while (cp > 0) {
			size_t v = call[cp - 1];

			if (edge[v] < g->off[v + 1]) {
				size_t w = g->dep[edge[v]++];
				if (index[w] == none) {
					index[w] = low[w] = counter++;
					edge[w] = g->off[w];
					stack[sp++] = w;
					on_stack[w] = true;
					call[cp++] = w;
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			/* v is finished: close its component, then return to the caller */
			if (low[v] == index[v]) {
				size_t w;
				do {
					w = stack[--sp];
					on_stack[w] = false;
					comp[w] = ncomp;
				} while (w != v);
				ncomp++;
			}
			cp--;
			if (cp > 0) {
				size_t u = call[cp - 1];
				if (low[v] < low[u])
					low[u] = low[v];
			}
		}
	}
	ret = (long)ncomp;
out:
	free(index);
	free(low);
	free(stack);
	free(call);
	free(edge);
	free(on_stack);
	return ret;
}

/* Per component: its size and its smallest node (= smallest name). */
static int component_stats(const size_t *comp, size_t n, size_t ncomp, size_t **size_out,
			   size_t **min_out)
{
	size_t *size = zalloc_array(ncomp, sizeof(*size));
	size_t *min = alloc_array(ncomp, sizeof(*min));

	if (!size || !min) {
		free(size);
		free(min);
		return REG_ENOMEM;
	}
	for (size_t c = 0; c < ncomp; c++)
		min[c] = SIZE_MAX;
	for (size_t v = 0; v < n; v++) {
		size[comp[v]]++;
		if (v < min[comp[v]])
			min[comp[v]] = v;
	}
	*size_out = size;
	*min_out = min;
	return 0;
}

/*
 * The shortest cycle through start inside its component: a breadth-first
 * search over edges that stay in the component, in sorted edge order, so
 * the path is deterministic. seen[] is stamped with start+1 instead of
 * cleared, which keeps the total work linear over all components.
 */
static int shortest_cycle(const struct reg_graph *g, const size_t *comp, size_t start, size_t *seen,
			  size_t *parent, size_t *queue, size_t **path_out, size_t *len_out)
{
	size_t head = 0, tail = 0, last = SIZE_MAX;
	const size_t stamp = start + 1;

	queue[tail++] = start;
	seen[start] = stamp;
	parent[start] = SIZE_MAX;
	while (head < tail && last == SIZE_MAX) {
		size_t u = queue[head++];
		for (size_t e = g->off[u]; e < g->off[u + 1]; e++) {
			size_t w = g->dep[e];
			if (comp[w] != comp[start])
				continue;
			if (w == start) {
				last = u;
				break;
			}
			if (seen[w] == stamp)
				continue;
			seen[w] = stamp;
			parent[w] = u;
			queue[tail++] = w;
		}
	}
	/* a component of two or more nodes always leads back to start */
	if (last == SIZE_MAX)
		return REG_ESTATE;

	size_t len = 1;
	for (size_t v = last; v != SIZE_MAX; v = parent[v])
		len++;
	size_t *path = alloc_array(len, sizeof(*path));
	if (!path)
		return REG_ENOMEM;
	path[len - 1] = start;
	size_t i = len - 1;
	for (size_t v = last; v != SIZE_MAX; v = parent[v])
		path[--i] = v;
	*path_out = path;
	*len_out = len;
	return 0;
}

int reg_graph_cycles(const struct reg_graph *g, struct reg_cycles *out)
{
	size_t n = g->n;
	size_t *comp = alloc_array(n, sizeof(*comp));
	size_t *size = NULL, *min = NULL;
	size_t *seen = NULL, *parent = NULL, *queue = NULL;
	int ret = REG_ENOMEM;

	memset(out, 0, sizeof(*out));
	if (!comp)
		goto out;
	long ncomp = tarjan(g, comp);
	if (ncomp < 0)
		goto out;
	ret = component_stats(comp, n, (size_t)ncomp, &size, &min);
	if (ret)
		goto out;
	ret = REG_ENOMEM;

	size_t ncycles = 0;
	for (size_t c = 0; c < (size_t)ncomp; c++)
		if (size[c] >= 2)
			ncycles++;
	out->component = alloc_array(n, sizeof(*out->component));
	out->paths = zalloc_array(ncycles, sizeof(*out->paths));
	out->lens = zalloc_array(ncycles, sizeof(*out->lens));
	seen = zalloc_array(n, sizeof(*seen));
	parent = alloc_array(n, sizeof(*parent));
	queue = alloc_array(n, sizeof(*queue));
	if (!out->component || !out->paths || !out->lens || !seen || !parent || !queue)
		goto out;

	/* Nodes in index order meet each component at its smallest name first,
	 * so cycles come out sorted by their first table. */
	size_t *cycle_of = size; /* reuse: component -> cycle number */
	for (size_t c = 0; c < (size_t)ncomp; c++)
		cycle_of[c] = size[c] >= 2 ? SIZE_MAX - 1 : SIZE_MAX;
	for (size_t v = 0; v < n; v++) {
		size_t c = comp[v];
		if (cycle_of[c] == SIZE_MAX) {
			out->component[v] = -1;
			continue;
		}
		if (min[c] == v) {
			ret = shortest_cycle(g, comp, v, seen, parent, queue, &out->paths[out->n],
					     &out->lens[out->n]);
			if (ret)
				goto out;
			ret = REG_ENOMEM;
			cycle_of[c] = out->n++;
		}
		out->component[v] = (long)cycle_of[c];
	}
	ret = 0;
out:
	free(comp);
	free(size);
	free(min);
	free(seen);
	free(parent);
	free(queue);
	if (ret)
		reg_graph_cycles_release(out);
	return ret;
}

void reg_graph_cycles_release(struct reg_cycles *c)
{
	if (!c)
		return;
	if (c->paths)
		for (size_t i = 0; i < c->n; i++)
			free(c->paths[i]);
	free(c->paths);
	free(c->lens);
	free(c->component);
	memset(c, 0, sizeof(*c));
}

/* A binary min-heap of component numbers keyed by their smallest node. */
struct heap {
	size_t *v;
	size_t n;
	const size_t *key;
};

static void heap_push(struct heap *h, size_t c)
{
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h->key[h->v[p]] <= h->key[c])
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = c;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l >= h->n)
			break;
		m = l;
		if (l + 1 < h->n && h->key[h->v[l + 1]] < h->key[h->v[l]])
			m = l + 1;
		if (h->key[last] <= h->key[h->v[m]])
			break;
		h->v[i] = h->v[m];
		i = m;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/*
 * Kahn's algorithm over the condensation: a component is ready when every
 * component it depends on has been placed; among the ready ones the one
 * holding the smallest name goes first. Node indices are name order, so
 * comparing indices is comparing names.
 */
int reg_graph_order(const struct reg_graph *g, const struct reg_registry *r,
			struct reg_order *out)
{
	size_t n = g->n;
	size_t *comp = NULL;
	size_t *size = NULL, *min = NULL;
	size_t *waiting = NULL, *roff = NULL, *rdep = NULL, *moff = NULL, *member = NULL;
	struct heap heap = {0};
	int ret = REG_ENOMEM;

	memset(out, 0, sizeof(*out));
	if (r && r->n != n)
		return REG_EINVAL;
	comp = alloc_array(n, sizeof(*comp));
	if (!comp)
		goto out;
	long lcomp = tarjan(g, comp);
	if (lcomp < 0)
		goto out;
	size_t ncomp = (size_t)lcomp;
	ret = component_stats(comp, n, ncomp, &size, &min);
	if (ret)
		goto out;
	ret = REG_ENOMEM;

	size_t m = g->off[n];
	out->order = alloc_array(n, sizeof(*out->order));
	out->in_cycle = zalloc_array(n, sizeof(*out->in_cycle));
	waiting = zalloc_array(ncomp, sizeof(*waiting));
	roff = zalloc_array(n + 1, sizeof(*roff));
	rdep = alloc_array(m, sizeof(*rdep));
	moff = zalloc_array(ncomp + 1, sizeof(*moff));
	member = alloc_array(n, sizeof(*member));
	heap.v = alloc_array(ncomp, sizeof(*heap.v));
	heap.key = min;
	if (!out->order || !out->in_cycle || !waiting || !roff || !rdep || !moff || !member ||
	    !heap.v)
		goto out;

	/* reverse edges: who depends on each node */
	for (size_t e = 0; e < m; e++)
		roff[g->dep[e] + 1]++;
	for (size_t v = 0; v < n; v++)
		roff[v + 1] += roff[v];
	for (size_t v = 0; v < n; v++) {
		for (size_t e = g->off[v]; e < g->off[v + 1]; e++) {
			size_t w = g->dep[e];
			rdep[roff[w]++] = v;
			if (comp[w] != comp[v])
				waiting[comp[v]]++;
		}
	}
	for (size_t v = n; v > 0; v--)
		roff[v] = roff[v - 1];
	roff[0] = 0;

	/* members of each component, in name order (a counting sort) */
	for (size_t v = 0; v < n; v++)
		moff[comp[v] + 1]++;
	for (size_t c = 0; c < ncomp; c++)
		moff[c + 1] += moff[c];
	for (size_t v = 0; v < n; v++)
		member[moff[comp[v]]++] = v;
	for (size_t c = ncomp; c > 0; c--)
		moff[c] = moff[c - 1];
	moff[0] = 0;

	for (size_t c = 0; c < ncomp; c++)
		if (waiting[c] == 0)
			heap_push(&heap, c);
	while (heap.n > 0) {
		size_t c = heap_pop(&heap);
		for (size_t i = moff[c]; i < moff[c + 1]; i++) {
			size_t v = member[i];
			out->order[out->n++] = v;
			out->in_cycle[v] = size[c] >= 2;
		}
		for (size_t i = moff[c]; i < moff[c + 1]; i++) {
			size_t v = member[i];
			for (size_t e = roff[v]; e < roff[v + 1]; e++) {
				size_t d = comp[rdep[e]];
				if (d != c && --waiting[d] == 0)
					heap_push(&heap, d);
			}
		}
	}
	/* the condensation is acyclic, so every component was placed */
	ret = out->n == n ? 0 : REG_ESTATE;
out:
	free(comp);
	free(size);
	free(min);
	free(waiting);
	free(roff);
	free(rdep);
	free(moff);
	free(member);
	free(heap.v);
	if (ret)
		reg_graph_order_release(out);
	return ret;
}

void reg_graph_order_release(struct reg_order *o)
{
	if (!o)
		return;
	free(o->order);
	free(o->in_cycle);
	memset(o, 0, sizeof(*o));
}
