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

/* ---- ERD selections (render_erd.c; drawn by render_erd.c and render_erd_dot.c) ----
 *
 * The tables a diagram draws: the focus (every table, one table, or the
 * tables a service owns) and their neighbours (what the focus references and
 * what references it). A focus table is drawn with all its columns; a
 * neighbour with its primary key and the columns of the relationships
 * drawn, so that a hub's neighbourhood stays small. A relationship is drawn
 * when both ends are in the selection and one of them is in the focus.
 */
enum render_erd_role { RENDER_ERD_OUT, RENDER_ERD_NEIGHBOUR, RENDER_ERD_FOCUS };

struct render_erd_sel {
	const struct reg_registry *r;
	const struct render_backrefs *b; /* borrowed, or &own */
	struct render_backrefs own;
	size_t n;                        /* tables in the selection */
	size_t *table;                   /* their indexes in r, ascending (name order) */
	unsigned char *role;             /* per member: enum render_erd_role */
	bool **shown;                    /* per member: which columns are drawn; NULL: all */
};

/* b may be NULL (the selection builds its own) or borrowed for the
 * selection's life. _table: REG_ENOENT when r has no table name; _service:
 * REG_ENOENT when no table of r has that owner. All: 0 or REG_ENOMEM. */
int render_erd_sel_all(const struct reg_registry *r, struct render_erd_sel *sel);
int render_erd_sel_table(const struct reg_registry *r, const struct render_backrefs *b,
			 const char *name, struct render_erd_sel *sel);
int render_erd_sel_service(const struct reg_registry *r, const char *service,
			   struct render_erd_sel *sel);
void render_erd_sel_release(struct render_erd_sel *sel);
/* The member index of table t, or -1 when t is not drawn. */
long render_erd_sel_member(const struct render_erd_sel *sel, size_t t);
/* Whether ref k of member m is drawn; *parent: the member it points at. */
bool render_erd_sel_edge(const struct render_erd_sel *sel, size_t m, size_t k, size_t *parent);
/* What draw makes of sel, which is then released; err: the selection's
 * construction (returned as it is when not 0). */
int render_erd_with_sel(int err, struct render_erd_sel *sel,
			int (*draw)(const struct render_erd_sel *, struct sbuf *), struct sbuf *out);
/* The diagrams of a selection: Mermaid (render_erd.c), DOT (render_erd_dot.c;
 * compact: one box per table, no columns, for registries too large for a
 * drawing of every column). */
int render_erd_mermaid_sel(const struct render_erd_sel *sel, struct sbuf *out);
int render_erd_dot_sel(const struct render_erd_sel *sel, bool compact, struct sbuf *out);
/* The lines of s's primary-key columns, then of cols, as a neighbour's
 * entity draws them: what a table's diagram shows of a table it
 * references, for the docs' keys (render_docs_table_key). */
void render_erd_mermaid_keys_of(const struct reg_schema *s, const struct reg_strlist *cols,
				struct sbuf *out);
/* The key marks of a column, "PK, FK, UK" as far as they apply, the first
 * one after lead. */
void render_erd_keys(struct sbuf *out, const struct reg_schema *s, const struct reg_column *c,
		     const char *lead);
/* "a, b": a relationship's label, in label (reset first); a failure there
 * is out's failure. */
const char *render_erd_label(struct sbuf *label, const struct reg_strlist *cols,
			     struct sbuf *out);

#endif
