/*
 * validate: the rules, as diagnostics.
 *
 * Local rules are those one file decides alone; they refuse a write
 * (SPEC §3): identifiers (lower-case PostgreSQL names, at most 63 bytes:
 * quoting is never a way around this), duplicate column/index names,
 * semver, name equal to the file's base name, foreign keys and indexes
 * naming undeclared columns, on_delete/on_update values, SET NULL on a
 * NOT NULL foreign-key column, column types and defaults (sqlcheck.h),
 * at least one column, no table called "registry", no control character
 * in owner, types, defaults and history dates (they reach line views).
 * Linear in the file; at most DIAG_MAX_PER_FILE problems per file, then
 * one "... and N more problems" (validate.c).
 *
 * Cross rules need the whole registry and never refuse a write: missing
 * schema or column, referenced columns not a primary key or unique, type
 * mismatch after alias normalisation (column by column for composite
 * keys), an index name already used by another table's index or by a table
 * (one namespace in PostgreSQL). Messages name both ends and suggest the
 * near name on a typo (within a budget per file). validate_cross.c.
 * docs/validation.md lists every message.
 */
#ifndef SCHEMAFS_VALIDATE_H
#define SCHEMAFS_VALIDATE_H

#include <stdbool.h>

#include "registry.h"

/* Adds a diagnostic per broken local rule. expected_name may be NULL.
 * Returns 0 or REG_ENOMEM; diags->errors tells whether s is acceptable. */
int reg_validate_schema(const struct reg_schema *s, const char *expected_name,
			struct diags *diags);

/* The seed's validate_references: cross-schema rules for every schema. */
int reg_validate_references(const struct reg_registry *r, struct diags *diags);

/* Everything a `check` reports for a loaded registry: references and
 * cycles (as errors, one per cycle). Sorted by file, line, column. */
int reg_validate_registry(const struct reg_registry *r, struct diags *diags);

/* 1 when s is a valid identifier by our rules, else 0 and *why set to a
 * static message. */
int reg_validate_ident(const char *s, const char **why);
/* The one name no table may have: registry.yaml is the registry's own file. */
#define REG_RESERVED_NAME "registry"

/*
 * 1 when a file called fname (a base name, "users.yaml") can ever hold an
 * acceptable schema: it ends in ".yaml" and the rest is a valid table name
 * (reg_validate_ident) other than REG_RESERVED_NAME. Else 0 and *why set
 * to a static reason. No content can make "Users.yaml" or "$x.yaml"
 * acceptable, so a caller can refuse creating one at once rather than
 * keep a refusal nothing can clear.
 */
int reg_validate_file_name(const char *fname, const char **why);
/* True when registry.yaml's target (a libpq conninfo string or a
 * postgresql:// URI) holds a password: password= or sslpassword= (also as
 * URI parameters, percent-encoded or not) or a user:password@ in a URI.
 * A password there is kept in every revision of registry.yaml. */
bool reg_target_has_password(const char *target);
/* 1 when s is MAJOR.MINOR.PATCH (no leading zeros, optional -pre/+build). */
int reg_validate_semver(const char *s);

#endif
