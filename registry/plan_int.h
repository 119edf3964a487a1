/*
 * plan_int: what the planner's files share while one plan_build runs.
 *
 *   plan.c         the entry: plan_build's phases, steps, diagnostics, release
 *   plan_diff.c    one registered schema vs its live table -> steps
 *   plan_ddl.c     the statements themselves (CREATE, ALTER, DROP), quoted
 *   plan_lint.c    lint on the steps and pending scripts (plan_lint_steps)
 *   plan_live.c    the live-database model (plan.h)
 *   plan_pending.c hand-written scripts (plan.h)
 *   plan_render.c  the plan as text, JSON and the impact report
 *
 * Errors: the builder's error is its statement buffer's (sbuf's sticky
 * error): the first failure is kept, every later append and step is a
 * no-op, and plan_build returns it once at the end. Nothing here resets
 * b->sql while an error is recorded.
 */
#ifndef SCHEMAFS_PLAN_INT_H
#define SCHEMAFS_PLAN_INT_H

#include "plan.h"
#include "strmap.h"

/* Steps are collected per phase, then concatenated in this order. */
enum plan_phase {
	PLAN_PHASE_DROP_FKS,
	PLAN_PHASE_TABLES,
	PLAN_PHASE_ADD_FKS,
	PLAN_PHASE_DROP_TABLES,
	PLAN_PHASE_OUTSIDE,   /* after the transaction: plan_step.outside_tx */
	PLAN_NPHASES,
};

struct plan_steps {
	struct plan_step *v;
	size_t n, alloc;
};

struct plan_builder {
	const struct plan_input *in;
	struct diags *diags;
	struct strmap only;   /* in->only as a set (borrowed keys); empty when unset */
	struct plan_steps phase[PLAN_NPHASES];
	struct sbuf sql;      /* the statement being built; its error is the build's */
	enum plan_phase last; /* the phase of the step added last (plan_step_at) */
};

static inline int plan_builder_error(const struct plan_builder *b)
{
	return sbuf_error(&b->sql);
}

static inline void plan_builder_fail(struct plan_builder *b, int err)
{
	sbuf_fail(&b->sql, err);
}

/* plan.c: appends a step to phase ph with the statement in b->sql (which
 * it consumes), described by fmt. s is the table's schema, NULL for a
 * table the registry does not declare. */
void plan_step_add(struct plan_builder *b, enum plan_phase ph, enum plan_step_kind kind,
		   const char *table, const struct reg_schema *s, bool destructive,
		   const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* plan.c: a diagnostic at loc of table's schema file; msg is consumed. */
void plan_diag(struct plan_builder *b, const struct reg_schema *s, const char *table,
	       struct reg_loc loc, enum diag_severity sev, struct sbuf *msg);
/* plan.c: the YAML place that causes the step just added (plan_step.loc;
 * plan_step_add's default is the schema's name), and the rules its
 * lint_ignore silences (NULL: none). */
void plan_step_at(struct plan_builder *b, struct reg_loc loc, const struct reg_strlist *ignore);

/* plan_ddl.c: statement pieces appended to b->sql. */
void plan_ddl_ident(struct plan_builder *b, const char *name);
void plan_ddl_text(struct plan_builder *b, const char *text);
void plan_ddl_alter(struct plan_builder *b, const char *table);
void plan_ddl_alter_column(struct plan_builder *b, const char *table, const char *column);
void plan_ddl_column_def(struct plan_builder *b, const struct reg_column *c);
/* plan_ddl.c: whole steps. `live` says the table exists (has rows): then
 * the step takes the form without a long lock, which runs (at least in
 * part) outside the transaction. */
void plan_ddl_create_table(struct plan_builder *b, const struct reg_schema *s);
void plan_ddl_create_index(struct plan_builder *b, const struct reg_schema *s,
			   const struct reg_index *x, bool live);
void plan_ddl_drop_index(struct plan_builder *b, const struct reg_schema *s, const char *name);
/* On a live table: a unique index built concurrently, then the key USING it. */
void plan_ddl_add_primary(struct plan_builder *b, const struct reg_schema *s);
void plan_ddl_add_unique(struct plan_builder *b, const struct reg_schema *s,
			 const struct reg_column *c);
/* On a live table: CHECK (c IS NOT NULL) NOT VALID, VALIDATE, SET NOT NULL
 * (which then skips its scan), drop the CHECK. */
void plan_ddl_set_not_null(struct plan_builder *b, const struct reg_schema *s,
			   const struct reg_column *c);
void plan_ddl_add_fk(struct plan_builder *b, const struct reg_schema *s,
		     const struct reg_reference *r, bool live);
void plan_ddl_drop_fk(struct plan_builder *b, const struct reg_schema *s, const char *table,
		      const struct plan_live_constraint *c);
void plan_ddl_drop_table(struct plan_builder *b, const struct plan_live_table *t);

/* plan_diff.c: the steps for one registered schema, whether its table
 * exists or not. */
void plan_diff_schema(struct plan_builder *b, const struct reg_schema *s);
/* plan_diff.c: the live table s is renamed from (s->renamed_from exists
 * live, s->name does not, no schema keeps the old name), else NULL. */
const struct plan_live_table *plan_diff_renamed_table(const struct plan_builder *b,
						      const struct reg_schema *s);

#endif
