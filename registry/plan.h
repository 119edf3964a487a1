/*
 * plan: declared schemas vs the live database -> ordered DDL steps.
 *
 * Pure: the live database arrives as a struct plan_live that the
 * PostgreSQL backend fills from pg_catalog; identifiers are quoted through
 * a struct plan_quoter the backend implements with PQescapeIdentifier.
 * Types and defaults are SQL by design: they are spliced only after
 * sqlcheck.h accepted them (one type, one expression), and compared with
 * the live ones in canonical form (aliases, casts of constants).
 *
 * Order of a plan (one statement per step):
 *   1. RENAME TO for a table declared `renamed_from:` its live name; drop
 *      foreign keys that are gone or changed (so nothing below trips over
 *      them), and every foreign key of a table about to be dropped;
 *   2. per schema in migration order: its pending script, which replaces
 *      everything generated for that table, or CREATE TABLE (columns,
 *      primary key, unique) / the ALTERs for a live table (drop indexes and
 *      keys, add/alter/drop columns, add keys), then CREATE INDEX;
 *   3. add foreign keys, after every table exists (so order and cycles work);
 *   4. DROP TABLE for tables the registry created and the user unregistered;
 *   5. the steps that must run outside the transaction (outside_tx), in the
 *      order they were generated: CREATE/DROP INDEX CONCURRENTLY, VALIDATE
 *      CONSTRAINT, and what needs them (SET NOT NULL over a validated CHECK,
 *      ADD CONSTRAINT ... USING INDEX).
 * Steps 1-4 are the transactional phase: they run in one transaction, all
 * or nothing. A table that already exists gets the forms that take no long
 * lock (its rows are scanned outside that transaction, under locks that let
 * writers through); a table the plan creates gets the plain forms.
 *
 * Memory: everything in a plan, a plan_live and a plan_pending list is owned
 * by it and released by its _release function.
 *
 * Files: plan.c (plan_build and its phases), plan_diff.c (one schema vs its
 * live table), plan_ddl.c (the statements), plan_lint.c (lint on the
 * steps), plan_live.c, plan_pending.c, plan_render.c; plan_int.h is what
 * they share.
 */
#ifndef SCHEMAFS_PLAN_H
#define SCHEMAFS_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "sbuf.h"
#include "strlist.h"

/* Quoting, implemented by the backend (libpq). Each returns a malloc'd
 * string the caller frees, or NULL on failure (out of memory, bad
 * encoding). */
struct plan_quoter {
	char *(*ident)(void *ctx, const char *s);
	char *(*literal)(void *ctx, const char *s);
	void *ctx;
};

/* ---- the live database ---- */

struct plan_live_column {
	char *name;
	char *type;          /* format_type(): "character varying(255)" */
	char *default_expr;  /* pg_get_expr(): NULL when none */
	bool not_null;
};

enum plan_con_kind {
	PLAN_CON_PRIMARY = 'p',
	PLAN_CON_UNIQUE = 'u',
	PLAN_CON_FOREIGN = 'f',
};

struct plan_live_constraint {
	char *name;
	enum plan_con_kind kind;
	struct reg_strlist columns;      /* in key order */
	char *ref_table;                 /* foreign keys only */
	struct reg_strlist ref_columns;
	enum reg_fk_action on_delete, on_update;
};

struct plan_live_index {
	char *name;
	struct reg_strlist columns;
	bool unique;
	bool backs_constraint; /* the index of a primary key or unique constraint */
	bool simple;           /* btree on plain columns, no predicate or expression */
};

struct plan_live_table {
	char *name;
	struct plan_live_column *columns;  /* in attnum order */
	size_t ncolumns;
	struct plan_live_constraint *cons;
	size_t ncons;
	struct plan_live_index *indexes;
	size_t nindexes;
	double rows;                       /* planner estimate; < 0 unknown */
};

struct plan_live {
	struct plan_live_table *tables;    /* sorted by name after plan_live_sort */
	size_t n;
	struct strlist created;            /* tables the registry created (history) */
};

/* Builders for the backend (plan_live.c). Strings are copied. Each returns
 * the new item or NULL when out of memory; plan_live_add_created returns 0
 * or REG_ENOMEM. A zeroed struct plan_live is an empty one. */
struct plan_live_table *plan_live_add_table(struct plan_live *l, const char *name);
struct plan_live_column *plan_live_add_column(struct plan_live_table *t, const char *name,
					      const char *type, const char *default_expr,
					      bool not_null);
struct plan_live_constraint *plan_live_add_constraint(struct plan_live_table *t,
						      const char *name,
						      enum plan_con_kind kind);
struct plan_live_index *plan_live_add_index(struct plan_live_table *t, const char *name);
int plan_live_add_created(struct plan_live *l, const char *name);
/* Sorts tables by name (lookups are binary searches afterwards). */
void plan_live_sort(struct plan_live *l);
struct plan_live_table *plan_live_find(const struct plan_live *l, const char *name);
void plan_live_release(struct plan_live *l);

/* ---- hand-written scripts (plan_pending.c) ---- */

struct plan_script {
	char *table;   /* pending/<table>.sql */
	char *file;    /* name in diagnostics: "migrations/pending/users.sql" */
	char *text;
	size_t len;
};
struct plan_pending {
	struct plan_script *items;
	size_t n;
};
int plan_pending_add(struct plan_pending *p, const char *table, const char *file,
		     const char *text, size_t len);
const struct plan_script *plan_pending_find(const struct plan_pending *p, const char *table);
void plan_pending_release(struct plan_pending *p);

/* ---- the plan ---- */

enum plan_step_kind {
	PLAN_DROP_FK,
	PLAN_PENDING,
	PLAN_CREATE_TABLE,
	PLAN_DROP_INDEX,
	PLAN_DROP_CONSTRAINT,
	PLAN_ADD_COLUMN,
	PLAN_ALTER_TYPE,
	PLAN_SET_DEFAULT,
	PLAN_DROP_DEFAULT,
	PLAN_SET_NOT_NULL,
	PLAN_DROP_NOT_NULL,
	PLAN_DROP_COLUMN,
	PLAN_ADD_PRIMARY,
	PLAN_ADD_UNIQUE,
	PLAN_CREATE_INDEX,
	PLAN_ADD_FK,
	PLAN_DROP_TABLE,
	PLAN_RENAME_TABLE,
	PLAN_RENAME_COLUMN,
};
/* "create table", "add column", ... */
const char *plan_step_kind_name(enum plan_step_kind k);

struct plan_step {
	enum plan_step_kind kind;
	char *schema;      /* the table */
	char *service;     /* its owner; "" for an unregistered table */
	struct strlist deps; /* tables it references (registry), sorted */
	char *sql;         /* one statement, or a whole pending script */
	char *what;        /* "add column 'login_count'" */
	bool destructive;  /* loses data: cannot be undone by DDL */
	/* Where the step comes from, for lint (plan_lint_steps): the YAML
	 * place that causes it (a column's, index's or reference's reg_loc in
	 * file), {0,0} when it has none (a dropped table); a pending script's
	 * own file. lint_ignore: the rules that place silences (its YAML
	 * lint_ignore), copied. */
	char *file;
	struct reg_loc loc;
	struct strlist lint_ignore;
	/* Runs after the transactional phase committed, as a statement of its
	 * own (autocommit), retried and resumable: see "Phases" in
	 * docs/migrations.md. */
	bool outside_tx;
	/* A CONCURRENTLY build: the index it creates, so that an invalid one
	 * left by an interrupted build is found and rebuilt; else NULL. */
	char *index;
};

struct plan {
	struct plan_step *steps;
	size_t n;
	struct strlist touched; /* schemas with at least one step, sorted */
	struct strlist created; /* tables this plan creates, sorted */
	struct strlist dropped; /* tables this plan drops, sorted */
};

struct plan_input {
	const struct reg_registry *reg;
	const struct plan_live *live;
	const struct plan_pending *pending;   /* may be NULL */
	const struct plan_quoter *quote;
	/* When set, only these tables (any order) are planned: rollback
	 * undoes exactly what a run touched, the post-check of pending
	 * scripts looks at their tables only. */
	const char *const *only;
	size_t nonly;
	bool no_drop_tables;                  /* never emit DROP TABLE */
	/* Lint (plan_lint_steps) the plan into the diagnostics too, for a
	 * target running pg_version (0: LINT_PG_DEFAULT); no_lint skips it
	 * (the post-check, which only wants the steps). */
	int pg_version;
	bool no_lint;
};

/*
 * Builds the plan. Diagnostics: errors for what makes a plan unsafe to run
 * (a type or default sqlcheck refuses, a broken pending script, a pending
 * script for a table that is not registered, a reserved table name), and
 * warnings (lint) for what it would do to existing data and locks, placed
 * at the YAML line that causes them. Returns 0 (check diags->errors), or
 * REG_ENOMEM. On error out is empty.
 */
int plan_build(const struct plan_input *in, struct plan *out, struct diags *diags);
void plan_release(struct plan *p);

/*
 * Lint (lint.h) on everything the plan will run, as plan_build does unless
 * no_lint: every pending script as hand-written SQL inside the run's
 * transaction (the timeout rules on), and the generated steps as one
 * generated script (the steps that must run outside the transaction, a
 * CONCURRENTLY build or a VALIDATE, as a second one). Levels come from
 * reg's registry.yaml (lint:); live says which tables exist. A finding on
 * a generated step is placed at the step's YAML place (a CREATE TABLE's at
 * the column it names) and dropped when that place's lint_ignore lists
 * the rule; one in a script at the script's line:col. Text: "what; safe
 * way" (lint_finding_render). 0 or REG_ENOMEM.
 */
int plan_lint_steps(const struct plan *p, const struct reg_registry *reg,
		    const struct plan_live *live, int pg_version, struct diags *d);

/* Tables the migration history keeps in the target; never planned. */
bool plan_reserved_table(const char *name);

/*
 * Rendering (plan_render.c). The migrations/plan file: per step a tab-separated header
 * "<k>\t<service>\t<schema>\t<deps, comma-separated or ->\t<what>"
 * followed by its SQL, each line indented by a tab, then an empty line.
 * An empty plan renders "nothing to do\n".
 */
int plan_render(const struct plan *p, struct sbuf *out);
/* plan.json: an array of one object per step (step, kind, service, schema,
 * dependencies, what, sql, destructive), one step per line. */
int plan_render_json(const struct plan *p, struct sbuf *out);
/*
 * The seed's impact report: affected services (owners of touched tables
 * and the services depending on them), the step count, and per touched
 * schema "schema\towner\tsteps\tdependent services".
 */
int plan_render_impact(const struct plan *p, const struct reg_registry *r, struct sbuf *out);
/* The same as one JSON object: {"services": [...], "schemas": [{"schema",
 * "owner", "steps", "dependent_services": [...]}], "steps": n}. */
int plan_render_impact_json(const struct plan *p, const struct reg_registry *r,
			    struct sbuf *out);

#endif
