/* The live database as the backend describes it: builders, lookup, release. */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

/*
 * Arrays in the live model grow one by one; keeping the capacity next to
 * each would clutter the public structs, so capacity is the next power of
 * two of the count (at least 8). Returns element n of the array whose
 * address is arrp (a T ** passed as void *), zeroed, with room made for it;
 * NULL when out of memory, the array then unchanged. The caller fills it,
 * then counts it.
 */
static void *push_zeroed(void *arrp, size_t n, size_t size)
{
	char *arr;
	memcpy(&arr, arrp, sizeof(arr));
	size_t cap = 0;
	if (n) {
		cap = 8;
		while (cap < n)
			cap *= 2;
	}
	if (n == cap) {
		size_t ncap = cap ? cap * 2 : 8;
		char *grown = realloc(arr, ncap * size);
		if (!grown)
			return NULL;
		arr = grown;
		memcpy(arrp, &arr, sizeof(arr));
	}
	memset(arr + n * size, 0, size);
	return arr + n * size;
}

struct plan_live_table *plan_live_add_table(struct plan_live *l, const char *name)
{
	struct plan_live_table *t = push_zeroed(&l->tables, l->n, sizeof(*t));
	if (!t || !(t->name = strdup(name)))
		return NULL;
	t->rows = -1;
	l->n++;
	return t;
}

struct plan_live_column *plan_live_add_column(struct plan_live_table *t, const char *name,
					      const char *type, const char *default_expr,
					      bool not_null)
{
	struct plan_live_column *c = push_zeroed(&t->columns, t->ncolumns, sizeof(*c));
	if (!c)
		return NULL;
	c->name = strdup(name);
	c->type = strdup(type);
	c->default_expr = default_expr ? strdup(default_expr) : NULL;
	c->not_null = not_null;
	if (!c->name || !c->type || (default_expr && !c->default_expr)) {
		free(c->name);
		free(c->type);
		free(c->default_expr);
		return NULL;
	}
	t->ncolumns++;
	return c;
}

struct plan_live_constraint *plan_live_add_constraint(struct plan_live_table *t,
						      const char *name,
						      enum plan_con_kind kind)
{
	struct plan_live_constraint *c = push_zeroed(&t->cons, t->ncons, sizeof(*c));
	if (!c || !(c->name = strdup(name)))
		return NULL;
	c->kind = kind;
	t->ncons++;
	return c;
}

struct plan_live_index *plan_live_add_index(struct plan_live_table *t, const char *name)
{
	struct plan_live_index *x = push_zeroed(&t->indexes, t->nindexes, sizeof(*x));
	if (!x || !(x->name = strdup(name)))
		return NULL;
	t->nindexes++;
	return x;
}

int plan_live_add_created(struct plan_live *l, const char *name)
{
	return strlist_push(&l->created, name);
}

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const struct plan_live_table *)a)->name,
		      ((const struct plan_live_table *)b)->name);
}

void plan_live_sort(struct plan_live *l)
{
	if (l->n > 1)
		qsort(l->tables, l->n, sizeof(*l->tables), cmp_table);
	strlist_sort(&l->created);
}

struct plan_live_table *plan_live_find(const struct plan_live *l, const char *name)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->tables[mid].name, name);
		if (!c)
			return &l->tables[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void live_table_release(struct plan_live_table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++) {
		free(t->columns[i].name);
		free(t->columns[i].type);
		free(t->columns[i].default_expr);
	}
	for (size_t i = 0; i < t->ncons; i++) {
		free(t->cons[i].name);
		free(t->cons[i].ref_table);
		reg_strlist_release(&t->cons[i].columns);
		reg_strlist_release(&t->cons[i].ref_columns);
	}
	for (size_t i = 0; i < t->nindexes; i++) {
		free(t->indexes[i].name);
		reg_strlist_release(&t->indexes[i].columns);
	}
	free(t->columns);
	free(t->cons);
	free(t->indexes);
	free(t->name);
}

void plan_live_release(struct plan_live *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		live_table_release(&l->tables[i]);
	free(l->tables);
	strlist_release(&l->created);
	memset(l, 0, sizeof(*l));
}
