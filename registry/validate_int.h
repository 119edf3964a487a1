/*
 * validate_int: what validate.c (local rules) and validate_cross.c (cross
 * rules) share.
 */
#ifndef SCHEMAFS_VALIDATE_INT_H
#define SCHEMAFS_VALIDATE_INT_H

#include "registry.h"
#include "sbuf.h"

/* Up to this many columns a scan is cheaper than building a map. */
#define VALIDATE_SMALL_TABLE 32

/* loc when it has a line, else fallback (schemas built through the C API
 * have no places). */
struct reg_loc validate_loc_or(struct reg_loc loc, struct reg_loc fallback);
/* The place of item i of l, or fallback. */
struct reg_loc validate_strlist_loc(const struct reg_strlist *l, size_t i,
				    struct reg_loc fallback);
/* The column names of s, NULL-terminated (malloc'd array, borrowed
 * names); NULL on OOM. */
const char **validate_column_names(const struct reg_schema *s);
/* Appends "; did you mean 'x'?" when one of the n cands is near word, as
 * far as the budget of comparisons goes (reg_nearest_within). */
int validate_suggest(struct sbuf *sb, const char *word, const char *const *cands, size_t n,
		     size_t *budget);

#endif
