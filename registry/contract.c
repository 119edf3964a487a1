/*
 * contract: the class, mode and rule tables, the lifecycles, and the two
 * one-call entry points. The rules themselves are applied in
 * contract_diff.c (classification) and contract_judge.c (verdicts).
 */
#include "contract_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- classes and modes ---- */

const char *contract_class_name(enum contract_class c)
{
	static const char *const names[] = {
		"cosmetic", "additive", "breaking for writers", "breaking for readers",
		"breaking for readers and writers",
	};
	return c <= CONTRACT_BREAKING ? names[c] : "?";
}

const char *contract_class_id(enum contract_class c)
{
	static const char *const ids[] = {
		"COSMETIC", "ADDITIVE", "BREAKING_WRITERS", "BREAKING_READERS", "BREAKING",
	};
	return c <= CONTRACT_BREAKING ? ids[c] : "?";
}

bool contract_class_breaks_readers(enum contract_class c)
{
	return c == CONTRACT_BREAKING_READERS || c == CONTRACT_BREAKING;
}

bool contract_class_breaks_writers(enum contract_class c)
{
	return c == CONTRACT_BREAKING_WRITERS || c == CONTRACT_BREAKING;
}

/* docs/contracts.md, "Modes": the same table. */
static const struct contract_mode_info modes[] = {
	[CONTRACT_BACKWARD] = { "BACKWARD", true, false, false },
	[CONTRACT_FORWARD] = { "FORWARD", false, true, false },
	[CONTRACT_FULL] = { "FULL", true, true, false },
	[CONTRACT_NONE] = { "NONE", false, false, false },
	[CONTRACT_BACKWARD_TRANSITIVE] = { "BACKWARD_TRANSITIVE", true, false, true },
	[CONTRACT_FORWARD_TRANSITIVE] = { "FORWARD_TRANSITIVE", false, true, true },
	[CONTRACT_FULL_TRANSITIVE] = { "FULL_TRANSITIVE", true, true, true },
};

const struct contract_mode_info *contract_mode_info(enum contract_mode m)
{
	return (size_t)m < sizeof(modes) / sizeof(*modes) ? &modes[m] : &modes[CONTRACT_BACKWARD];
}

int contract_mode_parse(const char *name, enum contract_mode *out)
{
	char buf[32];
	size_t i;
	for (i = 0; name && name[i] && i + 1 < sizeof(buf); i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	if (!name || name[i])
		return REG_EINVAL;
	for (size_t m = 0; m < sizeof(modes) / sizeof(*modes); m++)
		if (!strcasecmp(buf, modes[m].name)) {
			*out = (enum contract_mode)m;
			return 0;
		}
	return REG_EINVAL;
}

/* ---- the rule table (docs/contracts.md, "Rules") ---- */

#define FX(c) { CONTRACT_##c, false, false }
#define FX_ANY(c) { CONTRACT_##c, true, false }
#define FX_NAMED(c) { CONTRACT_##c, false, true }

static const struct contract_rule_info rules[CONTRACT_RULE_COUNT] = {
	[CONTRACT_TABLE_ADDED] = { "table-added", FX(ADDITIVE), FX_ANY(BREAKING),
				   "use the table only after it is applied" },
	[CONTRACT_TABLE_REMOVED] = { "table-removed", FX_ANY(BREAKING), FX(ADDITIVE),
				     "keep the table" },
	[CONTRACT_TABLE_DESCRIPTION] = { "table-description", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_TABLE_OWNER] = { "table-owner", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_HISTORY_TEXT] = { "history-text", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_COLUMN_ADDED_OPTIONAL] = { "column-added-optional", FX(ADDITIVE),
					     FX_NAMED(BREAKING), "use the column only after it "
					     "is applied" },
	[CONTRACT_COLUMN_ADDED_REQUIRED] = { "column-added-required", FX_ANY(BREAKING_WRITERS),
					     FX_NAMED(BREAKING),
					     "give it a default or make it nullable" },
	/* reverse: ADDITIVE, or BREAKING_WRITERS for any writer when the old
	 * column was NOT NULL without default (contract_diff.c) */
	[CONTRACT_COLUMN_REMOVED] = { "column-removed", FX(BREAKING), FX(ADDITIVE),
				      "keep the column" },
	[CONTRACT_COLUMN_DESCRIPTION] = { "column-description", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_TYPE_SPELLING] = { "type-spelling", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_TYPE_WIDENED_FREE] = { "type-widened-free", FX(ADDITIVE), FX(BREAKING_WRITERS),
					 "keep the type" },
	[CONTRACT_TYPE_WIDENED_REWRITE] = { "type-widened-rewrite", FX(ADDITIVE),
					    FX(BREAKING_WRITERS), "keep the type" },
	[CONTRACT_TYPE_NARROWED] = { "type-narrowed", FX(BREAKING_WRITERS), FX(ADDITIVE),
				     "keep the wider type" },
	[CONTRACT_TYPE_CHANGED] = { "type-changed", FX(BREAKING), FX(BREAKING),
				    "add a column of the new type and keep this one" },
	/* reverse any_writer when the old column had no default (contract_diff.c) */
	[CONTRACT_NULL_ALLOWED] = { "null-allowed", FX(BREAKING_READERS), FX(BREAKING_WRITERS),
				    "keep it NOT NULL" },
	/* forward any_writer when the new column has no default (contract_diff.c) */
	[CONTRACT_NULL_FORBIDDEN] = { "null-forbidden", FX(BREAKING_WRITERS),
				      FX(BREAKING_READERS), "keep it nullable" },
	/* reverse BREAKING_WRITERS for any writer on a NOT NULL column (contract_diff.c) */
	[CONTRACT_DEFAULT_ADDED] = { "default-added", FX(ADDITIVE), FX(ADDITIVE),
				     "apply the default before the services rely on it" },
	[CONTRACT_DEFAULT_CHANGED] = { "default-changed", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_DEFAULT_REMOVED_NULLABLE] = { "default-removed-nullable", FX(ADDITIVE),
						FX(ADDITIVE), NULL },
	[CONTRACT_DEFAULT_REMOVED_REQUIRED] = { "default-removed-required",
						FX_ANY(BREAKING_WRITERS), FX(ADDITIVE),
						"keep the default" },
	[CONTRACT_KEY_ADDED] = { "key-added", FX(BREAKING_WRITERS), FX(BREAKING_READERS),
				 "leave the new uniqueness out" },
	[CONTRACT_KEY_ADDED_IMPLIED] = { "key-added-implied", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_KEY_REMOVED] = { "key-removed", FX(BREAKING_READERS), FX(BREAKING_WRITERS),
				   "keep the key" },
	[CONTRACT_KEY_REMOVED_KEPT] = { "key-removed-kept", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_INDEX_ADDED] = { "index-added", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_INDEX_REMOVED] = { "index-removed", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_INDEX_CHANGED] = { "index-changed", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_INDEX_DESCRIPTION] = { "index-description", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_FK_ADDED] = { "fk-added", FX(BREAKING_WRITERS), FX(BREAKING_READERS),
				"leave the foreign key out" },
	[CONTRACT_FK_ADDED_NULL] = { "fk-added-null", FX(ADDITIVE), FX(ADDITIVE), NULL },
	[CONTRACT_FK_REMOVED] = { "fk-removed", FX(BREAKING_READERS), FX(BREAKING_WRITERS),
				  "keep the foreign key" },
	[CONTRACT_FK_ACTION_SAME] = { "fk-action-same", FX(COSMETIC), FX(COSMETIC), NULL },
	[CONTRACT_FK_ACTION_RESTRICTS] = { "fk-action-restricts", FX_ANY(BREAKING_WRITERS),
					   FX(BREAKING_READERS), "keep the action" },
	[CONTRACT_FK_ACTION_PROPAGATES] = { "fk-action-propagates", FX(BREAKING_READERS),
					    FX_ANY(BREAKING_WRITERS), "keep the action" },
	[CONTRACT_FK_DESCRIPTION] = { "fk-description", FX(COSMETIC), FX(COSMETIC), NULL },
};

const struct contract_rule_info *contract_rule_info(enum contract_rule r)
{
	return (size_t)r < CONTRACT_RULE_COUNT ? &rules[r] : &rules[CONTRACT_TABLE_DESCRIPTION];
}

/* ---- consumers ---- */

void contract_consumers_init(struct contract_consumers *c)
{
	memset(c, 0, sizeof(*c));
}

void contract_consumers_release(struct contract_consumers *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct contract_use *u = &c->items[i];
		free(u->service);
		free(u->table);
		free(u->column);
		free(u->via);
		free(u->file);
	}
	free(c->items);
	contract_consumers_init(c);
}

static int dup_opt(const char *s, char **out)
{
	*out = s ? strdup(s) : NULL;
	return s && !*out ? REG_ENOMEM : 0;
}

int contract_consumers_add(struct contract_consumers *c, const char *service,
			   enum contract_access access, const char *table, const char *column,
			   enum contract_why why, const char *via, const char *file,
			   struct reg_loc loc)
{
	if (c->n == c->alloc) {
		size_t alloc = c->alloc ? 2 * c->alloc : 16;
		struct contract_use *items = realloc(c->items, alloc * sizeof(*items));
		if (!items)
			return REG_ENOMEM;
		c->items = items;
		c->alloc = alloc;
	}
	struct contract_use *u = &c->items[c->n];
	memset(u, 0, sizeof(*u));
	u->access = access;
	u->why = why;
	u->loc = loc;
	if (dup_opt(service ? service : "", &u->service) ||
	    dup_opt(table ? table : "", &u->table) || dup_opt(column, &u->column) ||
	    dup_opt(via, &u->via) || dup_opt(file, &u->file)) {
		free(u->service);
		free(u->table);
		free(u->column);
		free(u->via);
		free(u->file);
		return REG_ENOMEM;
	}
	c->n++;
	return 0;
}

/* Is name one of tables[0..n)? With tables NULL every name is. */
bool contract_table_in(const char *name, const char *const *tables, size_t n)
{
	if (!tables)
		return true;
	for (size_t i = 0; name && i < n; i++)
		if (name[0] == tables[i][0] && !strcmp(name, tables[i]))
			return true;
	return false;
}

static int owner_use(struct contract_consumers *out, const struct reg_schema *s)
{
	return contract_consumers_add(out, s->owner, CONTRACT_WRITE, s->name, NULL,
				      CONTRACT_WHY_OWNER, NULL, NULL, (struct reg_loc){ 0, 0 });
}

int contract_consumers_of_tables(const struct reg_registry *r, const char *const *tables,
				 size_t ntables, struct contract_consumers *out)
{
	char via[2 * REG_MAX_IDENT_LEN + 2];
	int rc = 0;
	/* a few tables: their owners by lookup, not by a walk over every name */
	for (size_t i = 0; tables && i < ntables && !rc; i++) {
		const struct reg_schema *s = reg_get(r, tables[i]);
		if (s && s->owner)
			rc = owner_use(out, s);
	}
	for (size_t i = 0; i < r->n && !rc; i++) {
		const struct reg_schema *s = r->schemas[i];
		if (!tables && s->owner)
			rc = owner_use(out, s);
		for (size_t j = 0; j < s->nrefs && !rc; j++) {
			const struct reg_reference *ref = &s->refs[j];
			/* the filter first: at a save it rejects nearly every reference */
			if (!ref->schema || !contract_table_in(ref->schema, tables, ntables) ||
			    !strcmp(ref->schema, s->name))
				continue;
			for (size_t k = 0; k < ref->columns.n && !rc; k++) {
				const struct reg_strlist *fks = &ref->foreign_keys;
				snprintf(via, sizeof(via), "%s.%s", s->name,
					 k < fks->n ? fks->items[k] : "?");
				rc = contract_consumers_add(out, s->owner, CONTRACT_READ,
							    ref->schema, ref->columns.items[k],
							    CONTRACT_WHY_FK, via, s->file,
							    ref->loc);
			}
		}
	}
	return rc ? rc : contract_services_uses(r, tables, ntables, out);
}

int contract_consumers_from_registry(const struct reg_registry *r, struct contract_consumers *out)
{
	struct reg_registry bare = *r;
	bare.nservices = 0; /* the registry's own uses only */
	return contract_consumers_of_tables(&bare, NULL, 0, out);
}

/* ---- changes ---- */

void contract_changes_init(struct contract_changes *c)
{
	memset(c, 0, sizeof(*c));
}

void contract_changes_release(struct contract_changes *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct contract_change *ch = &c->items[i];
		free(ch->table);
		strlist_release(&ch->columns);
		free(ch->wtable);
		free(ch->what);
		free(ch->file);
	}
	free(c->items);
	free(c->table);
	free(c->owner);
	contract_changes_init(c);
}

struct contract_change *contract_changes_push(struct contract_changes *c, enum contract_rule r,
					      const char *table, const char *file,
					      struct reg_loc loc, const char *fmt, ...)
{
	if (c->n == c->alloc) {
		size_t alloc = c->alloc ? 2 * c->alloc : 8;
		struct contract_change *items = realloc(c->items, alloc * sizeof(*items));
		if (!items)
			return NULL;
		c->items = items;
		c->alloc = alloc;
	}
	struct contract_change *ch = &c->items[c->n];
	struct sbuf what = SBUF_INIT;
	va_list ap;
	memset(ch, 0, sizeof(*ch));
	ch->rule = r;
	ch->forward = contract_rule_info(r)->forward;
	ch->reverse = contract_rule_info(r)->reverse;
	ch->loc = loc;
	va_start(ap, fmt);
	sbuf_vaddf(&what, fmt, ap);
	va_end(ap);
	ch->what = sbuf_error(&what) ? NULL : sbuf_detach(&what, NULL);
	sbuf_release(&what);
	if (dup_opt(table, &ch->table) || dup_opt(table, &ch->wtable) || dup_opt(file, &ch->file) ||
	    !ch->what) {
		free(ch->table);
		free(ch->wtable);
		free(ch->file);
		free(ch->what);
		return NULL;
	}
	c->n++;
	return ch;
}

/* ---- reports ---- */

void contract_report_init(struct contract_report *r)
{
	memset(r, 0, sizeof(*r));
}

void contract_report_release(struct contract_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct contract_finding *f = &r->items[i];
		free(f->file);
		free(f->table);
		free(f->required);
		strlist_release(&f->services);
		free(f->message);
	}
	free(r->items);
	contract_report_init(r);
}

struct contract_finding *contract_report_push(struct contract_report *r,
					      enum diag_severity sev, const char *file,
					      struct reg_loc loc, const char *table,
					      const char *rule, const char *fmt, ...)
{
	if (r->n == r->alloc) {
		size_t alloc = r->alloc ? 2 * r->alloc : 16;
		struct contract_finding *items = realloc(r->items, alloc * sizeof(*items));
		if (!items)
			return NULL;
		r->items = items;
		r->alloc = alloc;
	}
	struct contract_finding *f = &r->items[r->n];
	struct sbuf msg = SBUF_INIT;
	va_list ap;
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->loc = loc;
	f->rule = rule;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	f->message = sbuf_error(&msg) ? NULL : sbuf_detach(&msg, NULL);
	sbuf_release(&msg);
	if (dup_opt(file, &f->file) || dup_opt(table, &f->table) || !f->message) {
		free(f->file);
		free(f->table);
		free(f->message);
		return NULL;
	}
	r->n++;
	if (sev == DIAG_ERROR)
		r->errors++;
	return f;
}

int contract_report_diags(const struct contract_report *r, struct diags *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->n && !rc; i++) {
		const struct contract_finding *f = &r->items[i];
		rc = diags_add(out, f->file, f->loc, f->severity, "%s", f->message);
	}
	return rc;
}

/* ---- the two callers ---- */

int contract_check_schema(const struct reg_schema *baseline, const struct reg_schema *s,
			  enum contract_mode mode, const struct contract_consumers *who,
			  struct diags *out)
{
	struct contract_changes changes = CONTRACT_CHANGES_INIT;
	struct contract_report report = CONTRACT_REPORT_INIT;
	int rc = contract_diff_schema(baseline, s, &changes);
	if (!rc)
		rc = contract_judge(&changes, mode, who, baseline ? baseline->version : NULL,
				    s ? s->version : NULL, s ? s->file : NULL,
				    s ? s->version_loc : (struct reg_loc){ 0, 0 }, NULL, &report);
	if (!rc && s)
		rc = contract_check_history(s, &report);
	if (!rc)
		rc = contract_report_diags(&report, out);
	contract_report_release(&report);
	contract_changes_release(&changes);
	return rc;
}

/* One table of `new_` against one earlier revision. */
static int judge_pair(const struct reg_schema *old, const struct reg_schema *new_,
		      enum contract_mode mode, const struct contract_consumers *who,
		      const char *against, struct contract_report *out)
{
	struct contract_changes changes = CONTRACT_CHANGES_INIT;
	int rc = contract_diff_schema(old, new_, &changes);
	if (!rc)
		rc = contract_judge(&changes, mode, who, old ? old->version : NULL,
				    new_ ? new_->version : NULL, new_ ? new_->file : NULL,
				    new_ ? new_->version_loc : (struct reg_loc){ 0, 0 }, against,
				    out);
	contract_changes_release(&changes);
	return rc;
}

static bool same_opt(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* A use the services file of both revisions declares is named once, at
 * the old revision's line. */
static bool declared_twice(const struct contract_consumers *who, size_t n,
			   const struct contract_use *u)
{
	for (size_t i = 0; u->why == CONTRACT_WHY_DECLARED && i < n; i++) {
		const struct contract_use *v = &who->items[i];
		if (v->why == CONTRACT_WHY_DECLARED && v->access == u->access &&
		    !strcmp(v->service, u->service) && !strcmp(v->table, u->table) &&
		    same_opt(v->column, u->column))
			return true;
	}
	return false;
}

static int consumers_for(const struct reg_registry *old, const struct reg_registry *new_,
			 const struct contract_consumers *extra, struct contract_consumers *who)
{
	struct contract_consumers later = CONTRACT_CONSUMERS_INIT;
	int rc = contract_consumers_of(old, who);
	size_t nold = who->n;
	if (!rc)
		rc = contract_consumers_of(new_, &later);
	for (size_t i = 0; i < later.n && !rc; i++) {
		const struct contract_use *u = &later.items[i];
		if (!declared_twice(who, nold, u))
			rc = contract_consumers_add(who, u->service, u->access, u->table, u->column,
						    u->why, u->via, u->file, u->loc);
	}
	contract_consumers_release(&later);
	for (size_t i = 0; extra && i < extra->n && !rc; i++) {
		const struct contract_use *u = &extra->items[i];
		rc = contract_consumers_add(who, u->service, u->access, u->table, u->column, u->why,
					    u->via, u->file, u->loc);
	}
	return rc;
}

/* The mode a table is judged under: forced, else its own, else the
 * registry's (a removed table: the registry it was removed from). */
static enum contract_mode mode_for(const enum contract_mode *forced,
				   const struct reg_registry *r, const struct reg_schema *s)
{
	return forced ? *forced : (enum contract_mode)contract_mode_of(r, s);
}

/* Every table of revs[last] and every table of revs[base] it lacks, judged
 * against revs[base] when base is the revision before last or the table's
 * mode is transitive. */
static int judge_revision(const struct reg_registry *base, const struct reg_registry *last,
			  bool previous, const enum contract_mode *forced,
			  const struct contract_consumers *extra, const char *against,
			  struct contract_report *out)
{
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	int rc = consumers_for(base, last, extra, &who);
	for (size_t i = 0; i < last->n && !rc; i++) {
		const struct reg_schema *s = last->schemas[i];
		enum contract_mode m = mode_for(forced, last, s);
		if (previous || contract_mode_info(m)->transitive)
			rc = judge_pair(reg_get(base, s->name), s, m, &who, against, out);
	}
	for (size_t i = 0; i < base->n && !rc; i++) {
		const struct reg_schema *s = base->schemas[i];
		enum contract_mode m = mode_for(forced, base, s);
		if (!reg_get(last, s->name) && (previous || contract_mode_info(m)->transitive))
			rc = judge_pair(s, NULL, m, &who, against, out);
	}
	contract_consumers_release(&who);
	return rc;
}

static int diff_registries(const struct reg_registry *const *revs, const char *const *labels,
			   size_t n, const enum contract_mode *forced,
			   const struct contract_consumers *extra, struct contract_report *out)
{
	int rc = 0;
	if (n < 2)
		return 0;
	const struct reg_registry *last = revs[n - 1];
	for (size_t i = 0; i + 1 < n && !rc; i++)
		rc = judge_revision(revs[i], last, i + 2 == n, forced, extra,
				    n > 2 && labels ? labels[i] : NULL, out);
	for (size_t i = 0; i < last->n && !rc; i++)
		rc = contract_check_history(last->schemas[i], out);
	return rc;
}

int contract_diff_registries(const struct reg_registry *const *revs, const char *const *labels,
			     size_t n, enum contract_mode mode,
			     const struct contract_consumers *extra, struct contract_report *out)
{
	return diff_registries(revs, labels, n, &mode, extra, out);
}

int contract_diff_own_modes(const struct reg_registry *const *revs, const char *const *labels,
			    size_t n, const struct contract_consumers *extra,
			    struct contract_report *out)
{
	return diff_registries(revs, labels, n, NULL, extra, out);
}

int contract_impact(const struct reg_registry *baseline, const struct reg_registry *now,
		    struct contract_report *out)
{
	const struct reg_registry *revs[2] = { baseline, now };
	return diff_registries(revs, NULL, 2, NULL, NULL, out);
}
