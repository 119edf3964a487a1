/*
 * render_int: what the render_*.c files share; not part of the public
 * contract (render.h is).
 *
 * Renderers append many small pieces without checking each one: the sbuf
 * remembers its first failure and they return sbuf_error(out) at the end.
 * On failure the caller discards the buffer, so partial output is harmless.
 */
#ifndef SCHEMAFS_RENDER_INT_H
#define SCHEMAFS_RENDER_INT_H

#include <stdbool.h>

#include "registry.h"
#include "sbuf.h"

/* Every reference that points at each schema, found in one pass over the
 * registry (so rendering all dependents is linear, not quadratic). */
struct render_backrefs {
	size_t *off; /* refs into schema t: items[off[t] .. off[t+1]) */
	struct render_backref {
		size_t from; /* index of the referencing schema */
		size_t ref;  /* index into its refs */
	} * items;	     /* per target sorted by (from name, ref order) */
	long *target;	     /* ref j of schema i points at target[first[i] + j], -1: missing */
	size_t *first;
};
/* Self references and references to missing schemas are left out of
 * items, as in reg_dependents() (target[] has them all, so each lookup is
 * done once). Returns 0 or REG_ENOMEM. */
int render_backrefs_build(const struct reg_registry *r, struct render_backrefs *b);
void render_backrefs_release(struct render_backrefs *b);

/* True when col is one of the foreign-key columns of any reference of s. */
bool render_column_is_fk(const struct reg_schema *s, const char *col);
/* True when col is declared unique or has a unique index of its own
 * (what the views mark UK). */
bool render_column_unique(const struct reg_schema *s, const struct reg_column *col);
/* True when every listed column exists in s and is NOT NULL. */
bool render_columns_not_null(const struct reg_schema *s, const struct reg_strlist *cols);

#endif
