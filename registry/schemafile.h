/*
 * schemafile: schema files and registry.yaml, bytes <-> model, with libyaml
 * (schemafile_parse.c reads, schemafile_emit.c writes).
 *
 * Parsing refuses hostile input before it costs anything: more than
 * REG_MAX_FILE_SIZE bytes, NUL bytes, invalid UTF-8, aliases/anchors
 * (schema files have no use for them, and they are the expansion-bomb
 * vector), nesting deeper than the format needs.
 *
 * Structural problems (invalid YAML, wrong node kind, missing required
 * key, unknown key with a suggestion, wrong scalar type) are diagnostics
 * with file:line:col. Semantic rules (identifiers, duplicates, types) are
 * validate.h's job.
 */
#ifndef SCHEMAFS_SCHEMAFILE_H
#define SCHEMAFS_SCHEMAFILE_H

#include "model.h"
#include "sbuf.h"

/* On success *out is a new schema that owns a copy of bytes in ->source
 * and a copy of file in ->file. On REG_EINVAL (or REG_E2BIG) *out is NULL
 * and diags hold the reasons. */
int schemafile_parse(const char *bytes, size_t len, const char *file,
		     struct reg_schema **out, struct diags *diags);
/* registry.yaml: keys name, description, target, all optional (an empty
 * file is fine). Fills *out (owned); on error *out is zeroed. */
int schemafile_parse_meta(const char *bytes, size_t len, const char *file,
			  struct reg_meta *out, struct diags *diags);

/* Canonical YAML for a schema: every field, in the SPEC's key order, so
 * that schemafile_parse(schemafile_emit(s)) equals s field by field.
 * Appends to out. REG_EINVAL when a string is not valid UTF-8 (YAML cannot
 * carry it), REG_ENOMEM; on error out is left as it was. */
int schemafile_emit(const struct reg_schema *s, struct sbuf *out);
int schemafile_emit_meta(const struct reg_meta *m, struct sbuf *out);

#endif
