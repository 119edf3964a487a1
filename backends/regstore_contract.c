/*
 * regstore_contract: a save judged against its table's baseline -- the
 * revision the last apply recorded, else the first accepted one
 * (docs/contracts.md) -- and the warnings an accepted breaking change
 * leaves until the next apply.
 */
#include "regstore_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "schemafile.h"

/* ---- the contract baseline ---- */

/* Parses revision id of name; *out NULL when it is gone or no longer
 * parses (then there is nothing to judge against). */
static int parse_rev(struct store *st, const char *name, int64_t id, struct reg_schema **out)
{
	struct store_rev rev = { 0 };
	struct diags ignored = DIAGS_INIT;
	char file[PATH_MAX];
	bool found = false;
	*out = NULL;
	int rc = store_get_rev(st, id, &rev, &found);
	if (!rc && found) {
		schema_file(file, sizeof(file), name);
		rc = schemafile_parse(rev.bytes, rev.len, file, out, &ignored);
		rc = rc == REG_ENOMEM ? rc : 0;
	}
	diags_release(&ignored);
	store_rev_release(&rev);
	return rc;
}

/* The baseline's revision id given the last applied run (NULL: none). */
static int baseline_id(struct store *st, const struct store_run *run, const char *name,
		       int64_t *id)
{
	struct store_rev *revs = NULL;
	size_t n = 0;
	*id = run ? store_snapshot_rev(run->snapshot, name) : 0;
	if (*id)
		return 0;
	int rc = store_history(st, name, &revs, &n);
	if (!rc && n)
		*id = revs[0].id;
	store_revs_free(revs, n);
	return rc;
}

int regstore_baseline(struct store *st, const char *name, struct reg_schema **out)
{
	struct store_run run = { 0 };
	bool found = false;
	int64_t id = 0;
	*out = NULL;
	int rc = store_run_last_applied(st, 0, &run, &found);
	if (!rc)
		rc = baseline_id(st, found ? &run : NULL, name, &id);
	if (!rc && id)
		rc = parse_rev(st, name, id, out);
	store_run_release(&run);
	return rc;
}

int regstore_baseline_registry(struct store *st, const struct reg_registry *now,
			       struct reg_registry **out)
{
	struct store_run run = { 0 };
	bool found = false;
	struct reg_registry *b = reg_registry_new();
	*out = NULL;
	if (!b)
		return REG_ENOMEM;
	int rc = store_run_last_applied(st, 0, &run, &found);
	for (size_t i = 0; i < now->n && !rc; i++) {
		struct reg_schema *s = NULL;
		int64_t id = 0;
		rc = baseline_id(st, found ? &run : NULL, now->schemas[i]->name, &id);
		if (!rc && id)
			rc = parse_rev(st, now->schemas[i]->name, id, &s);
		if (!rc && s)
			rc = reg_register(b, s);
	}
	/* tables applied and since removed are part of the baseline too */
	for (const char *p = found ? run.snapshot : NULL; p && *p && !rc;) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		if (!tab)
			break;
		char *name = strndup(p, (size_t)(tab - p));
		struct reg_schema *s = NULL;
		if (!name)
			rc = REG_ENOMEM;
		else if (!reg_get(now, name) && !(rc = parse_rev(st, name, strtoll(tab + 1, NULL, 10), &s)) && s)
			rc = reg_register(b, s);
		free(name);
		p = nl ? nl + 1 : NULL;
	}
	if (!rc && now->meta.compatibility && !(b->meta.compatibility = strdup(now->meta.compatibility)))
		rc = REG_ENOMEM;
	store_run_release(&run);
	if (rc)
		reg_registry_free(b);
	else
		*out = b;
	return rc;
}

/* The last applied run, read once and then at every refresh_warnings. */
static int applied_run(struct regstore *rs, const struct store_run **run)
{
	bool found = false;
	int rc = 0;
	if (!rs->applied_known) {
		store_run_release(&rs->applied);
		memset(&rs->applied, 0, sizeof(rs->applied));
		rc = store_run_last_applied(rs->st, 0, &rs->applied, &found);
		rs->applied_known = !rc;
		if (!found)
			rs->applied.id = 0;
	}
	*run = rs->applied.id ? &rs->applied : NULL;
	return rc;
}

/* regstore_baseline with what rs remembers: the applied run, and each
 * table's first revision (which never changes once it exists). */
static int cached_baseline(struct regstore *rs, const char *name, struct reg_schema **out)
{
	const struct store_run *run;
	int64_t id = 0;
	*out = NULL;
	int rc = applied_run(rs, &run);
	if (!rc && run)
		id = store_snapshot_rev(run->snapshot, name);
	if (!rc && !id && !(id = (int64_t)(intptr_t)strmap_get_s(&rs->first_rev, name))) {
		rc = baseline_id(rs->st, NULL, name, &id);
		if (!rc && id)
			rc = strmap_put_s(&rs->first_rev, name, (void *)(intptr_t)id, NULL);
	}
	if (!rc && id)
		rc = parse_rev(rs->st, name, id, out);
	return rc;
}

/* The tables a judgement of s reads uses of: s, and the targets of its
 * foreign keys in both revisions (an FK's actions hit their writers). */
static int judged_tables(const struct reg_schema *s, const struct reg_schema *base,
			 struct strlist *out)
{
	int rc = strlist_push(out, s->name);
	for (size_t i = 0; i < s->nrefs && !rc; i++)
		if (s->refs[i].schema)
			rc = strlist_push(out, s->refs[i].schema);
	for (size_t i = 0; base && i < base->nrefs && !rc; i++)
		if (base->refs[i].schema)
			rc = strlist_push(out, base->refs[i].schema);
	strlist_sort(out);
	strlist_uniq(out);
	return rc;
}

/* Judges s against its baseline under its mode for every consumer the
 * registry knows: errors refuse the save (they go to d); warnings (a
 * breaking change with its MAJOR bump) go to warn. */
int regstore_contract_gate(struct regstore *rs, const struct reg_schema *s, struct diags *d,
			 struct diags *warn)
{
	struct reg_schema *base = NULL;
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct diags found = DIAGS_INIT;
	struct strlist tables = STRLIST_INIT;
	int rc = cached_baseline(rs, s->name, &base);
	if (!rc)
		rc = judged_tables(s, base, &tables);
	if (!rc)
		rc = contract_consumers_of_tables(rs->reg, (const char *const *)tables.items,
						  tables.n, &who);
	if (!rc)
		rc = contract_check_schema(base, s,
					   (enum contract_mode)contract_mode_of(rs->reg, s), &who,
					   &found);
	for (size_t i = 0; i < found.n && !rc; i++) {
		const struct diag *g = &found.items[i];
		struct diags *to = g->severity == DIAG_ERROR ? d : g->severity == DIAG_WARNING ? warn : NULL;
		if (to)
			rc = diags_add(to, g->file, g->loc, g->severity, "%s", g->message);
	}
	if (!rc && found.errors)
		rc = REG_EINVAL;
	strlist_release(&tables);
	diags_release(&found);
	contract_consumers_release(&who);
	reg_schema_free(base);
	return rc;
}

/* contract_warnings as of the last applied run: every table whose current
 * revision is not the one applied, judged against the applied one. Saves
 * since then add theirs (regstore_save); nothing is recomputed until the
 * next apply. */
int regstore_refresh_warnings(struct regstore *rs)
{
	const struct store_run *run;
	rs->applied_known = false; /* a load or a sync that saw a change: read it again */
	int rc = applied_run(rs, &run);
	int64_t id = run ? run->id : 0;
	if (rc || id == rs->warned_run)
		return rc;
	diags_release(&rs->reg->contract_warnings);
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	if (run)
		rc = contract_consumers_of(rs->reg, &who);
	for (size_t i = 0; run && i < rs->reg->n && !rc; i++) {
		const struct reg_schema *s = rs->reg->schemas[i];
		int64_t applied = store_snapshot_rev(run->snapshot, s->name), head = 0;
		struct reg_schema *base = NULL;
		struct diags d = DIAGS_INIT;
		if (!applied || !regstore_head(rs, s->name, &head, NULL) || head == applied)
			continue;
		rc = parse_rev(rs->st, s->name, applied, &base);
		if (!rc && base)
			rc = contract_check_schema(base, s,
						   (enum contract_mode)contract_mode_of(rs->reg, s),
						   &who, &d);
		if (!rc)
			rc = reg_set_contract_warnings(rs->reg, s->file, &d);
		diags_release(&d);
		reg_schema_free(base);
	}
	contract_consumers_release(&who);
	if (!rc)
		rs->warned_run = id;
	return rc;
}
