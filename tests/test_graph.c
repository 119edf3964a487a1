/* registry/graph.c: dependency graph, cycles (SCC), migration order. */
#include "testutil.h"
#include "testreg.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "render.h"

#define DEPS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NODEPS NULL

/* The order as "a b c", the way a reader would compare it. */
static char *order_text(const struct reg_registry *r, struct reg_order *o)
{
	struct sbuf sb = SBUF_INIT;
	struct reg_graph g;
	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	ck_assert_int_eq(reg_graph_order(&g, r, o), 0);
	ck_assert_uint_eq(o->n, r->n);
	for (size_t i = 0; i < o->n; i++) {
		if (i)
			sbuf_addch(&sb, ' ');
		sbuf_adds(&sb, r->schemas[o->order[i]]->name);
	}
	reg_graph_release(&g);
	return sbuf_detach(&sb, NULL);
}

static char *cycles_text(const struct reg_registry *r)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(render_cycles(r, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static size_t index_of(const struct reg_registry *r, const char *name)
{
	long i = reg_find(r, name);
	ck_assert_int_ge(i, 0);
	return (size_t)i;
}

START_TEST(seed_graph_and_order)
{
	struct reg_registry *r = tr_seed();
	struct reg_graph g;
	struct reg_order o;
	struct sbuf sb = SBUF_INIT;

	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	ck_assert_uint_eq(g.n, 5);
	/* applications references users twice: one edge, deps sorted by name */
	size_t a = index_of(r, "applications");
	ck_assert_uint_eq(g.off[a + 1] - g.off[a], 2);
	ck_assert_uint_eq(g.dep[g.off[a]], index_of(r, "policies"));
	ck_assert_uint_eq(g.dep[g.off[a] + 1], index_of(r, "users"));
	reg_graph_release(&g);

	ck_assert_int_eq(render_graph(r, &sb), 0);
	ck_assert_str_eq(sb.buf, "applications: policies users\n"
				 "audit_logs: users\n"
				 "notifications: users\n"
				 "policies: users\n"
				 "users:\n");
	sbuf_release(&sb);

	char *text = order_text(r, &o);
	ck_assert_str_eq(text, "users audit_logs notifications policies applications");
	for (size_t i = 0; i < o.n; i++)
		ck_assert(!o.in_cycle[i]);
	free(text);
	reg_graph_order_release(&o);

	char *cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "");
	free(cyc);
	reg_registry_free(r);
}
END_TEST

START_TEST(ties_break_by_name)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_order o;
	/* registered out of order on purpose */
	tr_node(r, "z", NODEPS);
	tr_node(r, "b", DEPS("y"));
	tr_node(r, "y", NODEPS);
	tr_node(r, "c", NODEPS);
	tr_node(r, "a", DEPS("z"));
	/* ready at first: c, y, z; a waits for z, b for y */
	char *text = order_text(r, &o);
	ck_assert_str_eq(text, "c y b z a");
	free(text);
	reg_graph_order_release(&o);
	reg_registry_free(r);
}
END_TEST

START_TEST(self_reference_and_missing_are_not_edges)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_graph g;
	struct reg_order o;
	struct sbuf sb = SBUF_INIT;

	tr_node(r, "employees", DEPS("employees", "departments"));
	tr_node(r, "departments", DEPS("ghost"));
	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	ck_assert_uint_eq(g.off[g.n], 1); /* only employees -> departments */
	reg_graph_release(&g);

	ck_assert_int_eq(render_graph(r, &sb), 0);
	ck_assert_str_eq(sb.buf, "departments:\nemployees: departments\n");
	sbuf_release(&sb);

	char *text = order_text(r, &o);
	ck_assert_str_eq(text, "departments employees");
	ck_assert(!o.in_cycle[0] && !o.in_cycle[1]);
	free(text);
	reg_graph_order_release(&o);
	char *cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "");
	free(cyc);
	reg_registry_free(r);
}
END_TEST

/* A table with many references (the sort takes another path past 16). */
START_TEST(many_references_sorted_unique)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *hub = tr_schema("hub", "svc");
	struct sbuf sb = SBUF_INIT, want = SBUF_INIT;
	char name[16];
	tr_column(hub, "id", "UUID", false)->primary_key = true;
	for (int i = 29; i >= 0; i--) {
		snprintf(name, sizeof(name), "d%02d", i);
		tr_node(r, name, NODEPS);
		tr_ref(hub, name, "id", "id");
		tr_ref(hub, name, "id", "id"); /* twice: still one edge */
	}
	tr_add(r, hub);
	ck_assert_int_eq(render_graph(r, &sb), 0);
	for (int i = 0; i < 30; i++)
		sbuf_addf(&want, "d%02d:\n", i);
	sbuf_adds(&want, "hub:");
	for (int i = 0; i < 30; i++)
		sbuf_addf(&want, " d%02d", i);
	sbuf_adds(&want, "\n");
	ck_assert_str_eq(sb.buf, want.buf);
	sbuf_release(&sb);
	sbuf_release(&want);
	reg_registry_free(r);
}
END_TEST

START_TEST(two_cycle)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_graph g;
	struct reg_cycles c;

	tr_node(r, "b", DEPS("a"));
	tr_node(r, "a", DEPS("b"));
	tr_node(r, "c", DEPS("a"));
	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	ck_assert_int_eq(reg_graph_cycles(&g, &c), 0);
	ck_assert_uint_eq(c.n, 1);
	ck_assert_uint_eq(c.lens[0], 3);
	ck_assert_int_eq(c.component[index_of(r, "a")], 0);
	ck_assert_int_eq(c.component[index_of(r, "b")], 0);
	ck_assert_int_eq(c.component[index_of(r, "c")], -1);
	reg_graph_cycles_release(&c);
	reg_graph_release(&g);

	char *cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "a -> b -> a\n");
	free(cyc);
	reg_registry_free(r);
}
END_TEST

START_TEST(three_cycle_and_shortest_way_back)
{
	struct reg_registry *r = reg_registry_new();
	tr_node(r, "c", DEPS("a"));
	tr_node(r, "b", DEPS("c"));
	tr_node(r, "a", DEPS("b"));
	char *cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "a -> b -> c -> a\n");
	free(cyc);
	reg_registry_free(r);

	/* the same three, plus b -> a: the shortest way back from a is via b */
	r = reg_registry_new();
	tr_node(r, "c", DEPS("a"));
	tr_node(r, "b", DEPS("c", "a"));
	tr_node(r, "a", DEPS("b"));
	cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "a -> b -> a\n");
	free(cyc);
	reg_registry_free(r);

	/* a -> c is shorter than a -> b -> c, even though b sorts first */
	r = reg_registry_new();
	tr_node(r, "a", DEPS("b", "c"));
	tr_node(r, "b", DEPS("c"));
	tr_node(r, "c", DEPS("a"));
	cyc = cycles_text(r);
	ck_assert_str_eq(cyc, "a -> c -> a\n");
	free(cyc);
	reg_registry_free(r);
}
END_TEST

START_TEST(cycles_sorted_and_deterministic)
{
	const char *names[] = {"n", "m", "e", "d", "x"};
	char *first = NULL;
	/* two separate cycles; registration order must not matter */
	for (int round = 0; round < 5; round++) {
		struct reg_registry *r = reg_registry_new();
		for (int k = 0; k < 5; k++) {
			const char *name = names[(k + round) % 5];
			if (!strcmp(name, "n"))
				tr_node(r, name, DEPS("m"));
			else if (!strcmp(name, "m"))
				tr_node(r, name, DEPS("n", "x"));
			else if (!strcmp(name, "e"))
				tr_node(r, name, DEPS("d"));
			else if (!strcmp(name, "d"))
				tr_node(r, name, DEPS("e"));
			else
				tr_node(r, name, NODEPS);
		}
		char *cyc = cycles_text(r);
		ck_assert_str_eq(cyc, "d -> e -> d\nm -> n -> m\n");
		struct sbuf sb = SBUF_INIT;
		ck_assert_int_eq(render_cycles_json(r, &sb), 0);
		ck_assert_str_eq(sb.buf,
				 "[\n  [\"d\", \"e\", \"d\"],\n  [\"m\", \"n\", \"m\"]\n]\n");
		sbuf_release(&sb);
		if (!first)
			first = cyc;
		else {
			ck_assert_str_eq(cyc, first);
			free(cyc);
		}
		reg_registry_free(r);
	}
	free(first);
}
END_TEST

START_TEST(order_with_cycles)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_order o;
	tr_node(r, "a", DEPS("b", "q"));
	tr_node(r, "b", DEPS("a"));
	tr_node(r, "p", DEPS("b"));
	tr_node(r, "q", NODEPS);
	tr_node(r, "c", NODEPS);
	/* the cycle {a, b} waits for q and is placed together, by name; p after */
	char *text = order_text(r, &o);
	ck_assert_str_eq(text, "c q a b p");
	ck_assert(o.in_cycle[index_of(r, "a")]);
	ck_assert(o.in_cycle[index_of(r, "b")]);
	ck_assert(!o.in_cycle[index_of(r, "c")]);
	ck_assert(!o.in_cycle[index_of(r, "p")]);
	ck_assert(!o.in_cycle[index_of(r, "q")]);
	free(text);
	reg_graph_order_release(&o);

	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(render_order_json(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "{\"schema\": \"a\", \"in_cycle\": true}"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "{\"schema\": \"q\", \"in_cycle\": false}"));
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

START_TEST(empty_registry)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_order o;
	struct sbuf sb = SBUF_INIT;
	char *text = order_text(r, &o);
	ck_assert_str_eq(text, "");
	free(text);
	reg_graph_order_release(&o);
	ck_assert_int_eq(render_graph(r, &sb), 0);
	ck_assert_int_eq(render_order(r, &sb), 0);
	ck_assert_int_eq(render_cycles(r, &sb), 0);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_int_eq(render_graph_json(r, &sb), 0);
	ck_assert_int_eq(render_cycles_json(r, &sb), 0);
	ck_assert_str_eq(sb.buf, "{}\n[]\n");
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

/* 50,000 tables in one chain (t00000 -> t00001 -> ...), then the same
 * chain closed into a ring: recursion would need a 50,000-deep stack. */
START_TEST(long_chain_and_ring)
{
	enum { N = 50000 };
	for (int ring = 0; ring < 2; ring++) {
		struct reg_registry *r = reg_registry_new();
		struct reg_graph g;
		struct reg_order o;
		struct reg_cycles c;
		char name[16], dep[16];
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "t%05d", i);
			snprintf(dep, sizeof(dep), "t%05d", (i + 1) % N);
			tr_node(r, name, (i + 1 < N || ring) ? DEPS(dep) : NODEPS);
		}
		ck_assert_int_eq(reg_graph_build(r, &g), 0);
		ck_assert_int_eq(reg_graph_order(&g, r, &o), 0);
		ck_assert_int_eq(reg_graph_cycles(&g, &c), 0);
		if (!ring) {
			for (size_t i = 0; i < N; i++)
				ck_assert_uint_eq(o.order[i], N - 1 - i);
			ck_assert_uint_eq(c.n, 0);
		} else {
			for (size_t i = 0; i < N; i++) {
				ck_assert_uint_eq(o.order[i], i);
				ck_assert(o.in_cycle[i]);
			}
			ck_assert_uint_eq(c.n, 1);
			ck_assert_uint_eq(c.lens[0], N + 1);
			for (size_t i = 0; i <= N; i++)
				ck_assert_uint_eq(c.paths[0][i], i % N);
		}
		reg_graph_cycles_release(&c);
		reg_graph_order_release(&o);
		reg_graph_release(&g);
		reg_registry_free(r);
	}
}
END_TEST

static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Reachability from every node by breadth-first search: quadratic, fine for
 * a few hundred nodes, and independent of Tarjan. */
static unsigned char *reach_matrix(const struct reg_graph *g)
{
	size_t n = g->n;
	unsigned char *m = calloc(n * n, 1);
	size_t *queue = malloc(n * sizeof(*queue));
	ck_assert(m && queue);
	for (size_t s = 0; s < n; s++) {
		size_t head = 0, tail = 0;
		unsigned char *row = m + s * n;
		queue[tail++] = s;
		while (head < tail) {
			size_t u = queue[head++];
			for (size_t e = g->off[u]; e < g->off[u + 1]; e++) {
				size_t w = g->dep[e];
				if (!row[w]) {
					row[w] = 1;
					queue[tail++] = w;
				}
			}
		}
	}
	free(queue);
	return m;
}

static bool has_edge(const struct reg_graph *g, size_t a, size_t b)
{
	for (size_t e = g->off[a]; e < g->off[a + 1]; e++)
		if (g->dep[e] == b)
			return true;
	return false;
}

/* Length of the shortest cycle through s, by BFS over the whole graph. */
static size_t shortest_cycle_len(const struct reg_graph *g, size_t s)
{
	size_t n = g->n, *dist = malloc(n * sizeof(*dist)), *queue = malloc(n * sizeof(*queue));
	size_t head = 0, tail = 0, best = SIZE_MAX;
	ck_assert(dist && queue);
	for (size_t i = 0; i < n; i++)
		dist[i] = SIZE_MAX;
	dist[s] = 0;
	queue[tail++] = s;
	while (head < tail) {
		size_t u = queue[head++];
		for (size_t e = g->off[u]; e < g->off[u + 1]; e++) {
			size_t w = g->dep[e];
			if (w == s && dist[u] + 1 < best)
				best = dist[u] + 1;
			if (dist[w] == SIZE_MAX) {
				dist[w] = dist[u] + 1;
				queue[tail++] = w;
			}
		}
	}
	free(dist);
	free(queue);
	return best;
}

/*
 * Random registries checked against brute force: the components equal
 * mutual reachability, each cycle is a real path starting at its
 * component's smallest name and as short as possible, and the order puts
 * every dependency outside a cycle first.
 */
START_TEST(random_graphs_match_brute_force)
{
	rng_state = 0x9e3779b97f4a7c15ULL + (uint64_t)_i;
	size_t n = 50 + rng() % 250, edges = n + rng() % (3 * n);
	struct reg_registry *r = reg_registry_new();
	struct reg_schema **s = calloc(n, sizeof(*s));
	ck_assert(s);
	for (size_t i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%03zu", i);
		s[i] = tr_schema(name, "svc");
		tr_column(s[i], "id", "UUID", false)->primary_key = true;
	}
	for (size_t k = 0; k < edges; k++) {
		size_t a = rng() % n, b = rng() % n;
		char target[16];
		snprintf(target, sizeof(target), "t%03zu", b);
		tr_ref(s[a], target, "id", "id");
	}
	for (size_t i = 0; i < n; i++)
		tr_add(r, s[i]);
	free(s);

	struct reg_graph g;
	struct reg_cycles c;
	struct reg_order o;
	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	for (size_t v = 0; v < n; v++)
		for (size_t e = g.off[v]; e < g.off[v + 1]; e++) {
			ck_assert_uint_ne(g.dep[e], v);
			if (e > g.off[v])
				ck_assert_uint_lt(g.dep[e - 1], g.dep[e]);
		}
	ck_assert_int_eq(reg_graph_cycles(&g, &c), 0);
	ck_assert_int_eq(reg_graph_order(&g, r, &o), 0);
	unsigned char *reach = reach_matrix(&g);

	for (size_t v = 0; v < n; v++) {
		bool cyclic = false;
		for (size_t w = 0; w < n; w++) {
			bool mutual = w != v && reach[v * n + w] && reach[w * n + v];
			cyclic |= mutual;
			if (w != v && c.component[v] >= 0)
				ck_assert_int_eq(mutual, c.component[v] == c.component[w]);
		}
		ck_assert_int_eq(cyclic, c.component[v] >= 0);
		ck_assert_int_eq(cyclic, o.in_cycle[v]);
	}
	for (size_t k = 0; k < c.n; k++) {
		size_t *p = c.paths[k], len = c.lens[k];
		ck_assert_uint_ge(len, 3);
		ck_assert_uint_eq(p[0], p[len - 1]);
		if (k)
			ck_assert_uint_lt(c.paths[k - 1][0], p[0]);
		for (size_t i = 0; i + 1 < len; i++)
			ck_assert(has_edge(&g, p[i], p[i + 1]));
		for (size_t v = 0; v < p[0]; v++)
			ck_assert_int_ne(c.component[v], (long)k);
		ck_assert_uint_eq(len - 1, shortest_cycle_len(&g, p[0]));
	}
	size_t *pos = malloc(n * sizeof(*pos));
	ck_assert(pos);
	for (size_t i = 0; i < n; i++)
		pos[o.order[i]] = i;
	for (size_t v = 0; v < n; v++)
		for (size_t e = g.off[v]; e < g.off[v + 1]; e++) {
			size_t w = g.dep[e];
			if (c.component[v] < 0 || c.component[v] != c.component[w])
				ck_assert_uint_lt(pos[w], pos[v]);
		}
	free(pos);
	free(reach);
	reg_graph_order_release(&o);
	reg_graph_cycles_release(&c);
	reg_graph_release(&g);
	reg_registry_free(r);
}
END_TEST

/* 10,000 tables with 100,000 random edges: many cycles, one huge
 * component; must finish quickly and place every table once. */
START_TEST(dense_random_graph)
{
	enum { N = 10000, M = 100000 };
	struct reg_graph g = {0};
	struct reg_cycles c;
	struct reg_order o;
	rng_state = 42;
	g.n = N;
	g.off = calloc(N + 1, sizeof(*g.off));
	g.dep = malloc(M * sizeof(*g.dep));
	ck_assert(g.off && g.dep);
	/* a raw graph in the reg_graph layout, 10 sorted edges per node */
	for (size_t v = 0, m = 0; v < N; v++) {
		g.off[v] = m;
		size_t base = rng() % N;
		for (size_t k = 0; k < M / N; k++) {
			size_t w = (base + k * 997) % N;
			if (w != v)
				g.dep[m++] = w;
		}
		for (size_t i = g.off[v] + 1; i < m; i++)
			for (size_t j = i; j > g.off[v] && g.dep[j - 1] > g.dep[j]; j--) {
				size_t t = g.dep[j];
				g.dep[j] = g.dep[j - 1];
				g.dep[j - 1] = t;
			}
		g.off[v + 1] = m;
	}
	ck_assert_int_eq(reg_graph_cycles(&g, &c), 0);
	ck_assert_int_eq(reg_graph_order(&g, NULL, &o), 0);
	ck_assert_uint_eq(o.n, N);
	bool *seen = calloc(N, sizeof(*seen));
	ck_assert(seen);
	for (size_t i = 0; i < N; i++) {
		ck_assert(!seen[o.order[i]]);
		seen[o.order[i]] = true;
	}
	ck_assert_uint_ge(c.n, 1);
	free(seen);
	reg_graph_order_release(&o);
	reg_graph_cycles_release(&c);
	reg_graph_release(&g);
}
END_TEST

static Suite *graph_suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("graph");
	tcase_add_test(tc, seed_graph_and_order);
	tcase_add_test(tc, ties_break_by_name);
	tcase_add_test(tc, self_reference_and_missing_are_not_edges);
	tcase_add_test(tc, many_references_sorted_unique);
	tcase_add_test(tc, two_cycle);
	tcase_add_test(tc, three_cycle_and_shortest_way_back);
	tcase_add_test(tc, cycles_sorted_and_deterministic);
	tcase_add_test(tc, order_with_cycles);
	tcase_add_test(tc, empty_registry);
	tcase_add_loop_test(tc, random_graphs_match_brute_force, 0, 40);
	suite_add_tcase(s, tc);

	TCase *big = tcase_create("big");
	tcase_set_timeout(big, 120);
	tcase_add_test(big, long_chain_and_ring);
	tcase_add_test(big, dense_random_graph);
	suite_add_tcase(s, big);
	return s;
}

int main(void)
{
	return tu_run(graph_suite());
}
