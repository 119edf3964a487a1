#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const fk_action_sql[] = {
	[REG_FK_NO_ACTION] = "NO ACTION",
	[REG_FK_RESTRICT] = "RESTRICT",
	[REG_FK_CASCADE] = "CASCADE",
	[REG_FK_SET_NULL] = "SET NULL",
	[REG_FK_SET_DEFAULT] = "SET DEFAULT",
};

const char *reg_fk_action_sql(enum reg_fk_action a)
{
	if ((unsigned)a < sizeof(fk_action_sql) / sizeof(fk_action_sql[0]))
		return fk_action_sql[a];
	return "NO ACTION";
}

int reg_fk_action_parse(const char *s)
{
	if (!s)
		return -1;
	for (size_t i = 0; i < sizeof(fk_action_sql) / sizeof(fk_action_sql[0]); i++)
		if (!strcasecmp(s, fk_action_sql[i]))
			return (int)i;
	return -1;
}

struct reg_schema *reg_schema_new(void)
{
	return calloc(1, sizeof(struct reg_schema));
}

void reg_strlist_release(struct reg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	free(l->locs);
	memset(l, 0, sizeof(*l));
}

int reg_strlist_push(struct reg_strlist *l, const char *str, const struct reg_loc *loc)
{
	char *copy = strdup(str);
	if (!copy)
		return REG_ENOMEM;
	char **items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		goto oom;
	l->items = items;
	/* Keep locs the same length as items once any item has a place, so
	 * that index i always means the same item in both arrays. */
	if (loc || l->locs) {
		struct reg_loc *locs = realloc(l->locs, (l->n + 1) * sizeof(*locs));
		if (!locs)
			goto oom;
		if (!l->locs)
			memset(locs, 0, l->n * sizeof(*locs));
		l->locs = locs;
		l->locs[l->n] = loc ? *loc : (struct reg_loc){ 0, 0 };
	}
	l->items[l->n++] = copy;
	return 0;
oom:
	free(copy);
	return REG_ENOMEM;
}

static void column_release(struct reg_column *c)
{
	free(c->name);
	free(c->type);
	free(c->default_expr);
	free(c->description);
	reg_strlist_release(&c->lint_ignore);
	free(c->renamed_from);
}

static void reference_release(struct reg_reference *r)
{
	free(r->schema);
	reg_strlist_release(&r->columns);
	reg_strlist_release(&r->foreign_keys);
	free(r->description);
	reg_strlist_release(&r->lint_ignore);
}

static void index_release(struct reg_index *ix)
{
	free(ix->name);
	reg_strlist_release(&ix->columns);
	free(ix->description);
	reg_strlist_release(&ix->lint_ignore);
}

static void history_release(struct reg_history_entry *h)
{
	free(h->version);
	free(h->date);
	free(h->changes);
}

void reg_schema_free(struct reg_schema *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->owner);
	free(s->version);
	free(s->description);
	free(s->renamed_from);
	for (size_t i = 0; i < s->ncolumns; i++)
		column_release(&s->columns[i]);
	free(s->columns);
	for (size_t i = 0; i < s->nrefs; i++)
		reference_release(&s->refs[i]);
	free(s->refs);
	for (size_t i = 0; i < s->nindexes; i++)
		index_release(&s->indexes[i]);
	free(s->indexes);
	for (size_t i = 0; i < s->nhistory; i++)
		history_release(&s->history[i]);
	free(s->history);
	free(s->compatibility);
	free(s->file);
	free(s->source);
	free(s);
}

struct reg_service *reg_service_new(void)
{
	return calloc(1, sizeof(struct reg_service));
}

void reg_service_free(struct reg_service *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->description);
	free(s->contact);
	reg_strlist_release(&s->reads);
	reg_strlist_release(&s->writes);
	free(s->file);
	free(s->source);
	free(s);
}

void reg_meta_release(struct reg_meta *m)
{
	free(m->name);
	free(m->description);
	free(m->target);
	free(m->lint);
	free(m->compatibility);
	free(m->file);
	free(m->source);
	memset(m, 0, sizeof(*m));
}

const struct reg_column *reg_schema_column(const struct reg_schema *s, const char *name)
{
	if (!s || !name)
		return NULL;
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].name && !strcmp(s->columns[i].name, name))
			return &s->columns[i];
	return NULL;
}

static bool listed_in(const struct reg_strlist *l, const char *item, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (!strcmp(l->items[i], item))
			return true;
	return false;
}

bool reg_schema_is_key(const struct reg_schema *s, const struct reg_strlist *cols)
{
	if (!cols->n)
		return false;
	for (size_t i = 1; i < cols->n; i++)
		if (listed_in(cols, cols->items[i], i))
			return false;
	if (cols->n == 1) {
		const struct reg_column *c = reg_schema_column(s, cols->items[0]);
		if (c && c->unique)
			return true;
	}
	size_t npk = 0;
	for (size_t i = 0; i < s->ncolumns; i++)
		npk += s->columns[i].primary_key;
	bool all_pk = npk == cols->n;
	for (size_t i = 0; i < cols->n && all_pk; i++) {
		const struct reg_column *c = reg_schema_column(s, cols->items[i]);
		all_pk = c && c->primary_key;
	}
	if (all_pk)
		return true;
	/* cols has no repeats, so same size and cols inside the index is set
	 * equality */
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *ix = &s->indexes[i];
		bool same = ix->unique && ix->columns.n == cols->n;
		for (size_t j = 0; j < cols->n && same; j++)
			same = listed_in(&ix->columns, cols->items[j], ix->columns.n);
		if (same)
			return true;
	}
	return false;
}

/*
 * Deep copy. Each helper copies into a zeroed destination and reports
 * failure through *ok, so that one check at the end covers every field
 * and the half-built copy is freed by reg_schema_free like any other.
 */
static char *dup_str(const char *s, int *ok)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*ok = 0;
	return d;
}

static void *dup_mem(const void *p, size_t n, int *ok)
{
	if (!p || !n)
		return NULL;
	void *d = malloc(n);
	if (!d) {
		*ok = 0;
		return NULL;
	}
	memcpy(d, p, n);
	return d;
}

/* Allocates a zeroed array of n items (NULL for n == 0). */
static void *dup_array(size_t n, size_t size, int *ok)
{
	if (!n)
		return NULL;
	void *d = calloc(n, size);
	if (!d)
		*ok = 0;
	return d;
}

static void dup_strlist(struct reg_strlist *dst, const struct reg_strlist *src, int *ok)
{
	dst->was_list = src->was_list;
	dst->items = dup_array(src->n, sizeof(char *), ok);
	if (src->n && !dst->items)
		return;
	dst->n = src->n;
	for (size_t i = 0; i < src->n; i++)
		dst->items[i] = dup_str(src->items[i], ok);
	if (src->locs)
		dst->locs = dup_mem(src->locs, src->n * sizeof(*src->locs), ok);
}

struct reg_schema *reg_schema_dup(const struct reg_schema *s)
{
	if (!s)
		return NULL;
	struct reg_schema *d = reg_schema_new();
	if (!d)
		return NULL;
	int ok = 1;

	d->name = dup_str(s->name, &ok);
	d->owner = dup_str(s->owner, &ok);
	d->version = dup_str(s->version, &ok);
	d->description = dup_str(s->description, &ok);
	d->renamed_from = dup_str(s->renamed_from, &ok);
	d->renamed_from_loc = s->renamed_from_loc;
	d->compatibility = dup_str(s->compatibility, &ok);
	d->file = dup_str(s->file, &ok);
	if (s->source) {
		/* source may hold any bytes; keep the NUL terminator too */
		d->source = dup_mem(s->source, s->source_len + 1, &ok);
		d->source_len = d->source ? s->source_len : 0;
	}
	d->name_loc = s->name_loc;
	d->owner_loc = s->owner_loc;
	d->version_loc = s->version_loc;
	d->columns_loc = s->columns_loc;

	d->columns = dup_array(s->ncolumns, sizeof(*d->columns), &ok);
	if (d->columns || !s->ncolumns) {
		d->ncolumns = s->ncolumns;
		for (size_t i = 0; i < s->ncolumns; i++) {
			const struct reg_column *a = &s->columns[i];
			struct reg_column *b = &d->columns[i];
			*b = *a;
			b->name = dup_str(a->name, &ok);
			b->type = dup_str(a->type, &ok);
			b->default_expr = dup_str(a->default_expr, &ok);
			b->description = dup_str(a->description, &ok);
			b->lint_ignore = (struct reg_strlist){ 0 };
			dup_strlist(&b->lint_ignore, &a->lint_ignore, &ok);
			b->renamed_from = dup_str(a->renamed_from, &ok);
		}
	}

	d->refs = dup_array(s->nrefs, sizeof(*d->refs), &ok);
	if (d->refs || !s->nrefs) {
		d->nrefs = s->nrefs;
		for (size_t i = 0; i < s->nrefs; i++) {
			const struct reg_reference *a = &s->refs[i];
			struct reg_reference *b = &d->refs[i];
			b->on_delete = a->on_delete;
			b->on_update = a->on_update;
			b->loc = a->loc;
			b->schema_loc = a->schema_loc;
			b->on_delete_loc = a->on_delete_loc;
			b->on_update_loc = a->on_update_loc;
			b->schema = dup_str(a->schema, &ok);
			b->description = dup_str(a->description, &ok);
			dup_strlist(&b->columns, &a->columns, &ok);
			dup_strlist(&b->foreign_keys, &a->foreign_keys, &ok);
			dup_strlist(&b->lint_ignore, &a->lint_ignore, &ok);
		}
	}

	d->indexes = dup_array(s->nindexes, sizeof(*d->indexes), &ok);
	if (d->indexes || !s->nindexes) {
		d->nindexes = s->nindexes;
		for (size_t i = 0; i < s->nindexes; i++) {
			const struct reg_index *a = &s->indexes[i];
			struct reg_index *b = &d->indexes[i];
			b->unique = a->unique;
			b->loc = a->loc;
			b->name_loc = a->name_loc;
			b->name = dup_str(a->name, &ok);
			b->description = dup_str(a->description, &ok);
			dup_strlist(&b->columns, &a->columns, &ok);
			dup_strlist(&b->lint_ignore, &a->lint_ignore, &ok);
		}
	}

	d->history = dup_array(s->nhistory, sizeof(*d->history), &ok);
	if (d->history || !s->nhistory) {
		d->nhistory = s->nhistory;
		for (size_t i = 0; i < s->nhistory; i++) {
			const struct reg_history_entry *a = &s->history[i];
			struct reg_history_entry *b = &d->history[i];
			b->loc = a->loc;
			b->version = dup_str(a->version, &ok);
			b->date = dup_str(a->date, &ok);
			b->changes = dup_str(a->changes, &ok);
		}
	}

	if (!ok) {
		reg_schema_free(d);
		return NULL;
	}
	return d;
}
