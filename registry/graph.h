/*
 * graph: the dependency graph between schemas and what follows from it.
 *
 * Nodes are the registry's schemas by index (r->schemas is sorted by name,
 * so everything here is deterministic). An edge a -> b means a has a
 * foreign key to b (a depends on b). A self reference is not an edge;
 * a reference to a missing schema is not an edge either (validation
 * reports it).
 */
#ifndef SCHEMAFS_GRAPH_H
#define SCHEMAFS_GRAPH_H

#include "registry.h"

struct reg_graph {
	size_t n;
	size_t *off;   /* deps of i: dep[off[i] .. off[i+1]), sorted, unique */
	size_t *dep;
};

/* Fills g (owned by the caller: reg_graph_release). Returns 0 or REG_ENOMEM
 * (g is then empty). O(refs * log n). */
int reg_graph_build(const struct reg_registry *r, struct reg_graph *g);
void reg_graph_release(struct reg_graph *g);

/* Strongly connected components (Tarjan, iterative, linear time). */
struct reg_cycles {
	/* Each cycle is a path of schema indices whose last element equals the
	 * first: a -> b -> a. One per component of two or more tables,
	 * starting at the component's smallest name, the shortest way back. */
	size_t **paths;
	size_t *lens;
	size_t n;
	long *component; /* per node: index into paths, or -1 when not in a cycle */
};
/* Fills out (owned by the caller: reg_graph_cycles_release); 0 or REG_ENOMEM.
 * Linear in nodes + edges, no recursion (a 50,000-table chain is fine). */
int reg_graph_cycles(const struct reg_graph *g, struct reg_cycles *out);
void reg_graph_cycles_release(struct reg_cycles *c);

/*
 * Migration order: every table after the tables it references, ties broken
 * by name. Tables of a cycle cannot be ordered among themselves; they are
 * placed together, by name, where their component falls, and flagged in
 * in_cycle (so a plan can add their foreign keys after creating them).
 * order has g->n entries. r is only checked against g (same size; REG_EINVAL
 * otherwise) and may be NULL: node indices are already name order.
 * Linear apart from the heap: O((n + m) log n) at worst.
 */
struct reg_order {
	size_t *order;
	bool *in_cycle; /* indexed by node */
	size_t n;
};
int reg_graph_order(const struct reg_graph *g, const struct reg_registry *r,
			struct reg_order *out);
void reg_graph_order_release(struct reg_order *o);

#endif
