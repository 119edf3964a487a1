/*
 * contract: data contracts between services (SPEC §1.2, docs/contracts.md).
 *
 * Three steps, each usable alone:
 *  1. contract_diff_schema() classifies every difference between two
 *     revisions of one table (contract_diff.c): one struct contract_change
 *     per object, with its rule (a row of the table in docs/contracts.md),
 *     its class in both directions, the columns it touches and its place
 *     in the new file.
 *  2. contract_judge() decides, under a compatibility mode, which consumers
 *     (struct contract_consumers: who reads which columns and writes which
 *     tables) each change breaks, the semver bump it needs, and whether the
 *     new version has it (contract_judge.c). The result is a report: one
 *     finding per change (note, warning or error) plus the version rules.
 *  3. contract_report_diags() turns a report into located diagnostics;
 *     the CLI renders reports as text, JSON and GitHub annotations.
 * contract_check_schema() is all three for one save (the mount's save
 * path); contract_diff_registries() is all three for `schemafs diff`.
 *
 * Directions. A change has a forward class (old consumers against the new
 * table: what BACKWARD protects) and a reverse class (consumers already
 * updated for the new revision against the old table: what FORWARD
 * protects). The owner of a table deploys the table with its own code, so
 * uses by the owner of the changed table never count as broken.
 *
 * Ownership: every struct here owns its strings (malloc'd copies); nothing
 * borrows from the schemas or registries given, so those may be freed
 * first. Pure: no printing, no I/O. Errors: 0 or REG_ENOMEM (REG_EINVAL for
 * an unknown mode name); problems in the input are findings, never return
 * codes.
 */
#ifndef SCHEMAFS_CONTRACT_H
#define SCHEMAFS_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "registry.h"
#include "semver.h"
#include "strlist.h"

/* Ordered from harmless to worst: a change's class is its worst effect. */
enum contract_class {
	CONTRACT_COSMETIC,         /* no effect on data or statements: descriptions, spelling */
	CONTRACT_ADDITIVE,         /* every statement that worked still works, same results */
	CONTRACT_BREAKING_WRITERS, /* some INSERT/UPDATE/DELETE that worked may now fail */
	CONTRACT_BREAKING_READERS, /* some SELECT may fail or see what it assumed impossible */
	CONTRACT_BREAKING,         /* both readers and writers */
};
/* "cosmetic", "additive", "breaking for writers", "breaking for readers",
 * "breaking for readers and writers" */
const char *contract_class_name(enum contract_class c);
/* Stable identifiers for JSON: "COSMETIC", "ADDITIVE", "BREAKING_WRITERS",
 * "BREAKING_READERS", "BREAKING". */
const char *contract_class_id(enum contract_class c);
bool contract_class_breaks_readers(enum contract_class c);
bool contract_class_breaks_writers(enum contract_class c);

enum contract_mode {
	CONTRACT_BACKWARD, /* the default */
	CONTRACT_FORWARD,
	CONTRACT_FULL,
	CONTRACT_NONE,
	CONTRACT_BACKWARD_TRANSITIVE,
	CONTRACT_FORWARD_TRANSITIVE,
	CONTRACT_FULL_TRANSITIVE,
};
/* The one mode table (docs/contracts.md mirrors it). */
struct contract_mode_info {
	const char *name;     /* "BACKWARD", ... */
	bool forward;         /* forward classes are checked (old consumers, new table) */
	bool reverse;         /* reverse classes are checked (new consumers, old table) */
	bool transitive;      /* against every earlier revision, not only the last */
};
const struct contract_mode_info *contract_mode_info(enum contract_mode m);
/* Case-insensitive; '-' may stand for '_'. 0, or REG_EINVAL. */
int contract_mode_parse(const char *name, enum contract_mode *out);

/* ---- consumers: who uses what ---- */

enum contract_access { CONTRACT_READ, CONTRACT_WRITE };
enum contract_why {
	CONTRACT_WHY_FK,       /* a foreign key of another table: reads the referenced columns */
	CONTRACT_WHY_OWNER,    /* the owner of a table writes it */
	CONTRACT_WHY_DECLARED, /* services/<service>.yaml */
};

struct contract_use {
	char *service;
	enum contract_access access;
	char *table;
	char *column;     /* NULL: every column of table */
	enum contract_why why;
	char *via;        /* CONTRACT_WHY_FK: the referencing "table.column"; else NULL */
	char *file;       /* where it is declared, NULL when nowhere (owner) */
	struct reg_loc loc;
};

struct contract_consumers {
	struct contract_use *items;
	size_t n, alloc;
};
#define CONTRACT_CONSUMERS_INIT { NULL, 0, 0 }
void contract_consumers_init(struct contract_consumers *c);
void contract_consumers_release(struct contract_consumers *c);
/* Appends a use; every string is copied (column, via, file may be NULL). */
int contract_consumers_add(struct contract_consumers *c, const char *service,
			   enum contract_access access, const char *table, const char *column,
			   enum contract_why why, const char *via, const char *file,
			   struct reg_loc loc);
/* What the registry itself says: for every foreign key of a table owned by
 * S, "S reads target.column" (why FK, via "table.fk_column", placed at the
 * reference in its file); for every table, "its owner writes it". Self
 * references add nothing. The services files' uses are
 * contract_consumers_from_services'. */
int contract_consumers_from_registry(const struct reg_registry *r,
				     struct contract_consumers *out);

/* The uses services/<service>.yaml declare (CONTRACT_WHY_DECLARED, placed
 * at the item in the services file): reads items as CONTRACT_READ, writes
 * items as CONTRACT_WRITE; "table" alone is every column. */
int contract_consumers_from_services(const struct reg_registry *r,
				     struct contract_consumers *out);
/* Both: what the registry says and what its services declare. */
int contract_consumers_of(const struct reg_registry *r, struct contract_consumers *out);
/* The same, only the uses of tables[0..ntables) (NULL: every table): what
 * judging one table needs (itself and the targets of its foreign keys),
 * without building the uses of a whole registry at every save. */
int contract_consumers_of_tables(const struct reg_registry *r, const char *const *tables,
				 size_t ntables, struct contract_consumers *out);

/* The mode s is judged under: its `compatibility:`, else registry.yaml's,
 * else BACKWARD (an enum contract_mode). s may be NULL. */
int contract_mode_of(const struct reg_registry *r, const struct reg_schema *s);

/*
 * Cross-file problems of the services files, as errors (they never refuse
 * a save; they block apply like any other validation error): a table not
 * registered, a column its table does not declare. Then r's
 * contract_warnings (breaking changes accepted with a MAJOR bump since the
 * baseline). Appends to out.
 */
int contract_validate_services(const struct reg_registry *r, struct diags *out);

/* ---- changes: step 1 ---- */

enum contract_rule {
	CONTRACT_TABLE_ADDED,
	CONTRACT_TABLE_REMOVED,
	CONTRACT_TABLE_DESCRIPTION,
	CONTRACT_TABLE_OWNER,
	CONTRACT_HISTORY_TEXT,
	CONTRACT_COLUMN_ADDED_OPTIONAL,  /* nullable, or with a default */
	CONTRACT_COLUMN_ADDED_REQUIRED,  /* NOT NULL without default */
	CONTRACT_COLUMN_REMOVED,
	CONTRACT_COLUMN_DESCRIPTION,
	CONTRACT_TYPE_SPELLING,          /* same canonical type: INT -> integer */
	CONTRACT_TYPE_WIDENED_FREE,      /* binary-coercible: varchar(50) -> varchar(100) */
	CONTRACT_TYPE_WIDENED_REWRITE,   /* value-preserving with a rewrite: int4 -> int8 */
	CONTRACT_TYPE_NARROWED,          /* every new value fits the old type, not conversely */
	CONTRACT_TYPE_CHANGED,           /* anything else: uuid -> int8, timestamp -> timestamptz */
	CONTRACT_NULL_ALLOWED,           /* NOT NULL -> nullable */
	CONTRACT_NULL_FORBIDDEN,         /* nullable -> NOT NULL */
	CONTRACT_DEFAULT_ADDED,
	CONTRACT_DEFAULT_CHANGED,
	CONTRACT_DEFAULT_REMOVED_NULLABLE,
	CONTRACT_DEFAULT_REMOVED_REQUIRED, /* on a NOT NULL column */
	CONTRACT_KEY_ADDED,              /* a new primary key, unique column or unique index */
	CONTRACT_KEY_ADDED_IMPLIED,      /* ... that the old keys (or NULLs) already imply */
	CONTRACT_KEY_REMOVED,            /* a uniqueness no longer declared */
	CONTRACT_KEY_REMOVED_KEPT,       /* ... still declared elsewhere on the same columns */
	CONTRACT_INDEX_ADDED,            /* non-unique */
	CONTRACT_INDEX_REMOVED,          /* non-unique */
	CONTRACT_INDEX_CHANGED,          /* same name, other columns (uniqueness: the key rules) */
	CONTRACT_INDEX_DESCRIPTION,
	CONTRACT_FK_ADDED,
	CONTRACT_FK_ADDED_NULL,          /* on columns old writers leave NULL */
	CONTRACT_FK_REMOVED,
	CONTRACT_FK_ACTION_SAME,         /* NO ACTION <-> RESTRICT */
	CONTRACT_FK_ACTION_RESTRICTS,    /* to NO ACTION/RESTRICT: deletes that worked fail */
	CONTRACT_FK_ACTION_PROPAGATES,   /* to CASCADE/SET NULL/SET DEFAULT: rows change */
	CONTRACT_FK_DESCRIPTION,
	CONTRACT_RULE_COUNT
};

/* One effect of a change in one direction. */
struct contract_effect {
	enum contract_class cls;
	bool any_writer; /* every writer of wtable is hit, not only writers of the columns */
	bool named_only; /* only uses naming one of the columns are hit, not whole-table
			  * ones (the columns are new: nobody used them unnamed) */
};

/* A row of the rule table (docs/contracts.md, "Rules"). */
struct contract_rule_info {
	const char *id;         /* "column-removed" */
	struct contract_effect forward, reverse;
	const char *advice;     /* what to do instead of a MAJOR bump: "keep the column" */
};
const struct contract_rule_info *contract_rule_info(enum contract_rule r);

struct contract_change {
	enum contract_rule rule;
	struct contract_effect forward, reverse; /* the rule's, unless the rule depends on data */
	char *table;            /* the table changed */
	struct strlist columns; /* the columns readers/writers must use to be hit; empty: any */
	char *wtable;           /* the table whose writers are hit (table, or an FK's target) */
	char *what;             /* "removing column 'email'" */
	char *file;             /* the new file, or the old one for a removed table */
	struct reg_loc loc;     /* in file; line 0 for a removed table */
};

struct contract_changes {
	struct contract_change *items;
	size_t n, alloc;
	char *table;
	char *owner;            /* of the new revision (the old one when removed) */
};
#define CONTRACT_CHANGES_INIT { NULL, 0, 0, NULL, NULL }
void contract_changes_init(struct contract_changes *c);
void contract_changes_release(struct contract_changes *c);

/*
 * Every difference between old and new, two revisions of one table, in a
 * fixed order (table, columns in new order then removed ones, keys,
 * indexes, references, history). old NULL: a new table (one change);
 * new NULL: a removed table (one change). Both NULL: nothing. Types are
 * compared through sqlcheck's canonical forms, so INT4 and integer are the
 * same type. Appends to out (which the caller initialised).
 */
int contract_diff_schema(const struct reg_schema *old, const struct reg_schema *new_,
			 struct contract_changes *out);

/* ---- judging: step 2 ---- */

struct contract_finding {
	enum diag_severity severity;
	char *file;
	struct reg_loc loc;
	char *table;
	const char *rule;        /* a rule id, or a version rule: "version-down",
				  * "version-bump", "history-order", "history-date",
				  * "history-current", "version-invalid" */
	enum contract_class cls; /* of the change judged (forward); COSMETIC for version rules */
	enum semver_level level; /* the bump the change needs (SEMVER_NONE for version rules) */
	char *required;          /* the least version that satisfies it, NULL when none applies */
	struct strlist services; /* broken by it under the mode, sorted, unique */
	char *message;
};

struct contract_report {
	struct contract_finding *items;
	size_t n, alloc;
	size_t errors;
};
#define CONTRACT_REPORT_INIT { NULL, 0, 0, 0 }
void contract_report_init(struct contract_report *r);
void contract_report_release(struct contract_report *r);

/*
 * Judges c (one table's changes) under mode for the consumers who (NULL:
 * none). old_version is the baseline's version (NULL for a new table),
 * new_version the new revision's (NULL for a removed table); version_file
 * and version_loc place the version rules (the new file's `version:`).
 * against, when not NULL, is appended to every message as " (against
 * LABEL)" (transitive judgements name the revision).
 *
 * Per change: breaking under the mode for some consumer -> it needs MAJOR
 * (error without it, warning naming the services with it); otherwise MINOR
 * for a non-cosmetic change, PATCH for a cosmetic one (error when the new
 * version lacks it, note otherwise). Plus: a version lower than the
 * baseline is an error. Appends findings to out.
 */
int contract_judge(const struct contract_changes *c, enum contract_mode mode,
		   const struct contract_consumers *who, const char *old_version,
		   const char *new_version, const char *version_file, struct reg_loc version_loc,
		   const char *against, struct contract_report *out);

/*
 * version_history of s: each version valid semver and strictly above the
 * one before, each date a real calendar day written YYYY-MM-DD, and the
 * last entry's version equal to s->version. No history: nothing to check.
 * Errors (located at the entry) go to out.
 */
int contract_check_history(const struct reg_schema *s, struct contract_report *out);

/* Every finding as a diagnostic (same file, place, severity, message). */
int contract_report_diags(const struct contract_report *r, struct diags *out);

/* ---- one call each for the two callers ---- */

/*
 * The save path: baseline (the revision last applied, or the first
 * accepted; NULL for a new table) against s under mode for who, plus s's
 * version_history. Diagnostics go to out; out->errors grows when the save
 * must be refused. 0 or REG_ENOMEM.
 */
int contract_check_schema(const struct reg_schema *baseline, const struct reg_schema *s,
			  enum contract_mode mode, const struct contract_consumers *who,
			  struct diags *out);

/*
 * `schemafs diff V1 ... VN`: revs[0] oldest, revs[n-1] newest, labels[i]
 * naming each (a directory). Every table of revs[n-1] (and every table
 * removed from revs[n-2]) is judged against revs[n-2], or under a
 * _TRANSITIVE mode against every earlier revision that has it. Consumers:
 * contract_consumers_from_registry of the two revisions judged (the union:
 * old consumers for BACKWARD, new ones for FORWARD), plus extra (NULL:
 * none). revs[n-1]'s version histories are checked. n < 2: nothing to do.
 */
int contract_diff_registries(const struct reg_registry *const *revs, const char *const *labels,
			     size_t n, enum contract_mode mode,
			     const struct contract_consumers *extra, struct contract_report *out);
/* The same, each table under its own mode (contract_mode_of of the newest
 * revision; a removed table, of the one it was removed from). Consumers in
 * both: contract_consumers_of (services files included), plus extra. */
int contract_diff_own_modes(const struct reg_registry *const *revs, const char *const *labels,
			    size_t n, const struct contract_consumers *extra,
			    struct contract_report *out);

/*
 * For `impact` and the changes/ views: every change from baseline (the
 * registry as last applied: see regstore_baseline) to now, one finding per
 * change with its rule, class, bump and exactly the services it breaks
 * under its table's mode (an added nullable column: no service), plus the
 * version rules. Findings are in table order, the table's changes in
 * contract_diff_schema's order.
 */
int contract_impact(const struct reg_registry *baseline, const struct reg_registry *now,
		    struct contract_report *out);

#endif
