#include "lint_int.h"
#include "pgq.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *lint_keys_join(struct lint_ctx *c, json_object *list)
{
	struct sbuf out = SBUF_INIT;
	size_t n = pgq_arr_len(list);
	if (!n)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *item = pgq_arr_at(list, i);
		const char *name = pgq_string_node(item);
		if (!name)
			name = pgq_get_str(pgq_node_as(item, "IndexElem"), "name");
		if (!name) {
			sbuf_release(&out); /* an expression: not comparable */
			return NULL;
		}
		if (i)
			sbuf_addch(&out, ',');
		sbuf_adds(&out, name);
	}
	char *s = sbuf_error(&out) ? NULL : sbuf_detach(&out, NULL);
	sbuf_release(&out);
	if (!s)
		lint_oom(c);
	return s;
}

static char *key_of(const char *table, const char *columns)
{
	struct sbuf k = SBUF_INIT;
	sbuf_addf(&k, "%s\x1f%s", table, columns);
	char *s = sbuf_error(&k) ? NULL : sbuf_detach(&k, NULL);
	sbuf_release(&k);
	return s;
}

static struct lint_index *index_at(struct lint_ctx *c, void *v)
{
	return v ? &c->indexes[(uintptr_t)v - 1] : NULL;
}

void lint_keys_index(struct lint_ctx *c, const char *table, char *columns, const char *name,
		     bool unique, size_t off)
{
	char *key = NULL;
	if (c->err || !columns)
		goto out;
	struct lint_index *n = realloc(c->indexes, (c->nindexes + 1) * sizeof(*n));
	if (!n || !(key = key_of(table, columns)))
		goto oom;
	c->indexes = n;
	struct lint_index ix = { .table = strdup(table), .columns = columns, .name = strdup(name),
				 .unique = unique, .offset = off, .stmt = c->stmt };
	if (!ix.table || !ix.name) {
		free(ix.table);
		free(ix.name);
		goto oom;
	}
	c->indexes[c->nindexes++] = ix;
	columns = NULL;
	void *slot = (void *)(uintptr_t)c->nindexes;
	struct lint_index *old = index_at(c, strmap_get_s(&c->index_keys, key));
	/* a plain index where one already covers the same columns, or a second
	 * unique one; a unique index after a plain one adds a constraint */
	if (old && (old->unique || !unique)) {
		struct reg_loc where = text_lines_loc(&c->lines, old->offset);
		char at[48] = "";
		if (!c->opt.no_script_lines)
			snprintf(at, sizeof(at), " declared at line %u", where.line);
		lint_emit(c, LINT_DUPLICATE_INDEX, off, "keep one of them",
			  "%s%s%s on '%s' (%s) duplicates the %sindex%s, which PostgreSQL builds "
			  "and maintains separately", unique ? "unique index" : "index",
			  *name ? " " : "", name, table, ix.columns, old->unique ? "unique " : "", at);
	} else if (strmap_put_s(&c->index_keys, key, slot, NULL) < 0) {
		goto oom;
	}
	if (*name && strmap_put_s(&c->index_names, name, slot, NULL) < 0)
		goto oom;
	goto out;
oom:
	lint_oom(c);
out:
	free(key);
	free(columns);
}

bool lint_keys_drop(struct lint_ctx *c, const char *name)
{
	struct lint_index *ix = index_at(c, strmap_remove_s(&c->index_names, name));
	if (!ix)
		return false;
	char *key = key_of(ix->table, ix->columns);
	if (!key) {
		lint_oom(c);
		return true;
	}
	if (index_at(c, strmap_get_s(&c->index_keys, key)) == ix)
		strmap_remove_s(&c->index_keys, key);
	free(key);
	return true;
}

void lint_keys_fk(struct lint_ctx *c, const char *table, char *columns, const char *reftable,
		  size_t off)
{
	if (c->err || !columns || !table) {
		free(columns);
		return;
	}
	struct lint_fk *n = realloc(c->fks, (c->nfks + 1) * sizeof(*n));
	struct lint_fk fk = { .table = strdup(table), .columns = columns,
			      .reftable = strdup(reftable ? reftable : "?"), .offset = off,
			      .stmt = c->stmt };
	if (!n || !fk.table || !fk.reftable) {
		if (n)
			c->fks = n;
		free(fk.table);
		free(fk.reftable);
		free(columns);
		lint_oom(c);
		return;
	}
	c->fks = n;
	c->fks[c->nfks++] = fk;
}

/* Every leading run of columns of every index still standing, as keys: an
 * index on (a, b) serves lookups by a and by (a, b). */
static int index_prefixes(struct lint_ctx *c, struct strmap *set)
{
	for (struct strmap_entry *e = NULL; (e = strmap_next(&c->index_keys, e));) {
		struct lint_index *ix = index_at(c, e->value);
		char *key = key_of(ix->table, ix->columns);
		if (!key)
			return REG_ENOMEM;
		size_t tlen = strlen(ix->table) + 1;
		for (size_t i = tlen;; i++) {
			if (key[i] == ',' || !key[i]) {
				if (strmap_put(set, key, i, (void *)1, NULL) < 0) {
					free(key);
					return REG_ENOMEM;
				}
			}
			if (!key[i])
				break;
		}
		free(key);
	}
	return 0;
}

void lint_keys_finish(struct lint_ctx *c)
{
	struct strmap set = STRMAP_INIT;
	if (c->err || !c->nfks)
		return;
	if (index_prefixes(c, &set) < 0) {
		lint_oom(c);
		goto out;
	}
	for (size_t i = 0; i < c->nfks && !c->err; i++) {
		struct lint_fk *fk = &c->fks[i];
		/* only where the script shows every index of the table */
		if (!strmap_has_s(&c->created, fk->table))
			continue;
		char *key = key_of(fk->table, fk->columns);
		if (!key) {
			lint_oom(c);
			break;
		}
		if (!strmap_has_s(&set, key)) {
			c->stmt = fk->stmt;
			lint_emit(c, LINT_FK_WITHOUT_INDEX, fk->offset, "index the referencing columns",
				  "no index on '%s' starts with (%s), the columns of its foreign key to "
				  "'%s': each delete or key update in '%s' scans '%s'", fk->table,
				  fk->columns, fk->reftable, fk->reftable, fk->table);
		}
		free(key);
	}
out:
	strmap_release(&set, NULL);
}

void lint_keys_release(struct lint_ctx *c)
{
	for (size_t i = 0; i < c->nindexes; i++) {
		free(c->indexes[i].table);
		free(c->indexes[i].columns);
		free(c->indexes[i].name);
	}
	free(c->indexes);
	for (size_t i = 0; i < c->nfks; i++) {
		free(c->fks[i].table);
		free(c->fks[i].columns);
		free(c->fks[i].reftable);
	}
	free(c->fks);
	strmap_release(&c->index_keys, NULL);
	strmap_release(&c->index_names, NULL);
}
