/*
 * registry: the set of schemas and the seed's SchemaRegistry API.
 *
 * A struct reg_registry owns its schemas (sorted by name, so every listing
 * is deterministic) and its metadata. It is not thread-safe: callers that
 * share one (the mount) hold their own lock.
 */
#ifndef SCHEMAFS_REGISTRY_H
#define SCHEMAFS_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct reg_registry {
	struct reg_meta meta;
	struct reg_schema **schemas; /* sorted by name, owned */
	size_t n, alloc;
	struct reg_service **services; /* services/<name>.yaml, sorted by name, owned */
	size_t nservices, services_alloc;
	/* Breaking changes accepted with a MAJOR bump since the baseline
	 * (contract.h): warnings shown by validation until the next apply.
	 * Set per file by whoever judged the save (regstore). */
	struct diags contract_warnings;
	uint64_t generation;         /* bumped by every change */
};

struct reg_registry *reg_registry_new(void);
void reg_registry_free(struct reg_registry *r);

/*
 * Parses and checks one schema file's bytes: structure (yaml) and the rules
 * that refuse a write (validate.h, local rules). expected_name is the file's
 * base name ("users" for users.yaml), NULL to skip that check. file is the
 * name diagnostics use. On success *out is a new schema holding a copy of
 * the bytes; on REG_EINVAL, diags say why and *out is NULL. Warnings may be
 * added even on success.
 */
int reg_schema_from_bytes(const char *bytes, size_t len, const char *file,
			  const char *expected_name, struct reg_schema **out,
			  struct diags *diags);

/* One file for reg_schemas_from_bytes; every pointer is borrowed. */
struct reg_source {
	const char *bytes;
	size_t len;
	const char *file;          /* the name diagnostics use */
	const char *expected_name; /* NULL to skip the name check */
};
/*
 * reg_schema_from_bytes for many files at once (a whole store at startup):
 * the YAML is parsed on several threads when the machine has cores, the
 * rest runs in the calling thread. out[i] is in[i]'s new schema, or NULL
 * when refused; diagnostics come in input order, as if the files had been
 * checked one after the other. Returns 0, or REG_ENOMEM (then every out[i]
 * is NULL).
 */
int reg_schemas_from_bytes(const struct reg_source *in, size_t n,
			   struct reg_schema **out, struct diags *diags);
/* The same loader, parse only (schemafile_parse, no validation): for bytes
 * that passed every check when they were stored (regstore.h). out[i] is
 * NULL when in[i] does not parse; expected_name is not checked. */
int reg_schemas_parse_bytes(const struct reg_source *in, size_t n,
			    struct reg_schema **out, struct diags *diags);

/*
 * Loads DIR/registry.yaml (optional), every DIR/<name>.yaml and every
 * DIR/services/<service>.yaml (servicefile.h). A file that is
 * refused is reported in diags and skipped; the rest load. Returns 0 unless
 * the directory cannot be read (REG_EIO/REG_ENOENT) or memory runs out.
 * Diagnostics name files as "DIR/x.yaml" unless prefix is given, then
 * "prefix/x.yaml". Dotfiles (editor swap and lock files) and names not
 * ending in ".yaml" are ignored. Files are parsed as reg_schemas_from_bytes
 * does (several threads); diagnostics come in file name order.
 */
int reg_load_dir(struct reg_registry *r, const char *dir, const char *prefix,
		 struct diags *diags);

/* Insert or replace by name; takes ownership of s (even on error). */
int reg_register(struct reg_registry *r, struct reg_schema *s);
/* The schema called name (a binary search), or NULL; NULL name is fine.
 * Borrowed from r: valid until r changes. */
const struct reg_schema *reg_get(const struct reg_registry *r, const char *name);
/* Index in r->schemas or -1, likewise. */
long reg_find(const struct reg_registry *r, const char *name);
int reg_unregister(struct reg_registry *r, const char *name); /* REG_ENOENT */
/* Replaces the metadata; takes ownership of m's contents (m is zeroed). */
void reg_set_meta(struct reg_registry *r, struct reg_meta *m);

/* services/<name>.yaml, as schemas: insert or replace by name (takes
 * ownership of s, even on error), look up (borrowed), remove (REG_ENOENT). */
int reg_register_service(struct reg_registry *r, struct reg_service *s);
const struct reg_service *reg_get_service(const struct reg_registry *r, const char *name);
int reg_unregister_service(struct reg_registry *r, const char *name);
/* Replaces the contract warnings of file by those of d (its warnings only). */
int reg_set_contract_warnings(struct reg_registry *r, const char *file, const struct diags *d);

/* One foreign key that points at a schema. Strings borrowed from r. */
struct reg_dependent {
	const struct reg_schema *from;      /* the referencing schema */
	const struct reg_reference *ref;    /* its reference */
};
struct reg_dependents {
	const char **services;              /* sorted, unique, borrowed */
	size_t nservices;
	struct reg_dependent *refs;         /* sorted by (from->name, ref order) */
	size_t nrefs;
};
/* The seed's get_dependent_services, plus which schemas and columns.
 * Self references are not dependents. Release with reg_dependents_release. */
int reg_dependents(const struct reg_registry *r, const char *name,
		   struct reg_dependents *out);
void reg_dependents_release(struct reg_dependents *d);
/* Sorts n borrowed names in byte order and drops repeats; returns how
 * many are left (the services lists of the dependents views). */
size_t reg_names_sort_unique(const char **names, size_t n);

#endif
