/*
 * regstore_int: what regstore.c and regstore_contract.c share: the
 * regstore itself, and the compatibility gate of a save (issue: data
 * contracts) with the baselines it judges against.
 */
#ifndef SCHEMAFS_REGSTORE_INT_H
#define SCHEMAFS_REGSTORE_INT_H

#include <stdio.h>

#include "regstore.h"
#include "servicefile.h"
#include "strmap.h"

/* Services files are revisions named "services/<name>" (docs/store.md). */
#define SERVICE_PREFIX SERVICEFILE_DIR "/"

/* The revision of one schema that the registry holds. */
struct head {
	int64_t id;
	int64_t time;
};

struct regstore {
	struct store *st;
	struct reg_registry *reg;
	struct strmap heads;      /* name -> struct head */
	int64_t data_version;     /* the store's stamp at the last load or sync */
	int64_t writes;
	bool stamped;
	int64_t warned_run;       /* the applied run contract_warnings were computed from */
	/* the contract baselines: the last applied run (read at load and at
	 * every sync that saw a change) and each table's first revision */
	struct store_run applied;
	bool applied_known;
	struct strmap first_rev;  /* name -> first revision id, as a pointer */
	/* refusals of files that can never hold a schema (reg_validate_file_name):
	 * never stored, since nothing could ever clear them; this process's only */
	struct strmap transient;  /* file -> struct diags */
};

static inline void schema_file(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "schemas/%s.yaml", name);
}

/* The contract check of a save of s (mode and semver against its
 * baseline): errors refuse it (in d), accepted breaking changes come back
 * as warnings in *warn. 0 or REG_ENOMEM. */
int regstore_contract_gate(struct regstore *rs, const struct reg_schema *s, struct diags *d,
			   struct diags *warn);
/* Recomputes the registry's contract warnings when the last applied run
 * changed. 0 or a REG_E* of the store. */
int regstore_refresh_warnings(struct regstore *rs);

#endif
