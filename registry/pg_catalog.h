/*
 * pg_catalog: the names PostgreSQL 15 knows without being told -- its
 * built-in types and functions (pg_catalog of a fresh cluster) -- and those
 * of the extensions it ships (contrib, and PostGIS's column types), with
 * the extension each comes from. sqlcheck asks it whether a type or a
 * called function exists; validate asks it for "did you mean".
 *
 * The data is generated (registry/pg_catalog_names.c, by
 * scripts/gen-catalog-names.sh from a real server): static, read-only,
 * nothing to initialise or free. Names are as the catalog stores them:
 * lower case, arrays as "_int4".
 */
#ifndef SCHEMAFS_PG_CATALOG_H
#define SCHEMAFS_PG_CATALOG_H

#include <stddef.h>

/* ---- the data (pg_catalog_names.c); arrays sorted in C order ---- */

extern const char *const pg_catalog_types[];
extern const size_t pg_catalog_ntypes;
/* pg_type.typtype of pg_catalog_types[i]: 'b' base, 'c' composite,
 * 'm' multirange, 'p' pseudo, 'r' range. */
extern const char pg_catalog_type_kinds[];
/* What to suggest for an unknown type, in order of preference (not
 * sorted): the SQL spellings ("boolean", "integer"), then the base, range
 * and multirange types that are not arrays. */
extern const char *const pg_catalog_type_words[];
extern const size_t pg_catalog_ntype_words;
extern const char *const pg_catalog_functions[];
extern const size_t pg_catalog_nfunctions;
/* Extensions by index (not sorted by anything that matters). */
extern const char *const pg_catalog_extensions[];
/* Types and functions an extension adds (functions only where no built-in
 * one has the name), and which extension: an index into the above. */
extern const char *const pg_catalog_ext_types[];
extern const size_t pg_catalog_next_types;
extern const unsigned char pg_catalog_ext_type_of[];
extern const char *const pg_catalog_ext_functions[];
extern const size_t pg_catalog_next_functions;
extern const unsigned char pg_catalog_ext_function_of[];

/* ---- lookups ---- */

/* The typtype of a built-in type name ('b', 'p', ...), 0 when none. */
char pg_catalog_type_kind(const char *name);
/* True when name is a built-in function (any arguments). */
int pg_catalog_has_function(const char *name);
/* The extension that defines the type or function name, or NULL. */
const char *pg_catalog_type_extension(const char *name);
const char *pg_catalog_function_extension(const char *name);

/*
 * "Did you mean": first the catalog name that is word with two adjacent
 * characters swapped ("nwo" -> "now", found by binary search: the commonest
 * typo, and one edit distance counts as two), then the nearest by edit
 * distance (reg_nearest_within over the candidates, paying from *budget;
 * budget NULL means no limit). NULL when nothing is near. Linear in the
 * number of candidates, at most once per call.
 */
const char *pg_catalog_suggest_type(const char *word, size_t *budget);
const char *pg_catalog_suggest_function(const char *word, size_t *budget);
/* True when b is one typo away from a: one character inserted, deleted or
 * replaced, or two adjacent ones swapped. */
int pg_catalog_one_typo(const char *a, const char *b);

#endif
