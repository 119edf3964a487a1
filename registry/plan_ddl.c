/*
 * The statements of a plan, appended to the builder's b->sql: every
 * identifier through the backend's quoter, types and defaults spliced as
 * written only because plan_diff.c had sqlcheck accept them first.
 */
#include "plan_int.h"

#include <stdlib.h>


void plan_ddl_ident(struct plan_builder *b, const char *name)
{
	if (plan_builder_error(b))
		return;
	char *q = b->in->quote->ident(b->in->quote->ctx, name);
	if (!q) {
		plan_builder_fail(b, REG_ENOMEM);
		return;
	}
	sbuf_adds(&b->sql, q);
	free(q);
}

void plan_ddl_text(struct plan_builder *b, const char *text)
{
	sbuf_adds(&b->sql, text);
}

/* "("a", "b")" */
static void ident_list(struct plan_builder *b, char *const *names, size_t n)
{
	plan_ddl_text(b, "(");
	for (size_t i = 0; i < n; i++) {
		if (i)
			plan_ddl_text(b, ", ");
		plan_ddl_ident(b, names[i]);
	}
	plan_ddl_text(b, ")");
}

/* "("id", "tenant")": the primary key's columns in declaration order. */
static void pk_list(struct plan_builder *b, const struct reg_schema *s)
{
	bool first = true;
	plan_ddl_text(b, "(");
	for (size_t i = 0; i < s->ncolumns; i++) {
		if (!s->columns[i].primary_key)
			continue;
		if (!first)
			plan_ddl_text(b, ", ");
		plan_ddl_ident(b, s->columns[i].name);
		first = false;
	}
	plan_ddl_text(b, ")");
}

static size_t pk_count(const struct reg_schema *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ncolumns; i++)
		n += s->columns[i].primary_key;
	return n;
}

void plan_ddl_alter(struct plan_builder *b, const char *table)
{
	plan_ddl_text(b, "ALTER TABLE ");
	plan_ddl_ident(b, table);
	plan_ddl_text(b, " ");
}

/* "ALTER TABLE table ALTER COLUMN column " */
void plan_ddl_alter_column(struct plan_builder *b, const char *table, const char *column)
{
	plan_ddl_alter(b, table);
	plan_ddl_text(b, "ALTER COLUMN ");
	plan_ddl_ident(b, column);
	plan_ddl_text(b, " ");
}

/* "name" TYPE [DEFAULT (expr)] [NOT NULL] */
void plan_ddl_column_def(struct plan_builder *b, const struct reg_column *c)
{
	plan_ddl_ident(b, c->name);
	plan_ddl_text(b, " ");
	plan_ddl_text(b, c->type);
	if (c->default_expr) {
		/* DEFAULT takes a restricted expression (b_expr): "now() AT TIME
		 * ZONE 'utc'" or "a AND b" would not parse, and a final COLLATE
		 * would become the column's. sqlcheck proved the text one whole
		 * expression, so in parentheses it is one here too. */
		plan_ddl_text(b, " DEFAULT (");
		plan_ddl_text(b, c->default_expr);
		plan_ddl_text(b, ")");
	}
	if (!c->nullable && !c->primary_key)
		plan_ddl_text(b, " NOT NULL");
}

void plan_ddl_create_index(struct plan_builder *b, const struct reg_schema *s,
			   const struct reg_index *x)
{
	plan_ddl_text(b, x->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	plan_ddl_ident(b, x->name);
	plan_ddl_text(b, " ON ");
	plan_ddl_ident(b, s->name);
	plan_ddl_text(b, " ");
	ident_list(b, x->columns.items, x->columns.n);
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_CREATE_INDEX, s->name, s, false,
		      "create index '%s'", x->name);
	plan_step_at(b, x->name_loc.line ? x->name_loc : x->loc, &x->lint_ignore);
}

/* CREATE TABLE with columns, primary key and single-column UNIQUEs, then
 * its indexes; foreign keys come later (plan_ddl_add_fk). */
void plan_ddl_create_table(struct plan_builder *b, const struct reg_schema *s)
{
	size_t npk = pk_count(s);
	plan_ddl_text(b, "CREATE TABLE ");
	plan_ddl_ident(b, s->name);
	plan_ddl_text(b, " (");
	for (size_t i = 0; i < s->ncolumns; i++) {
		plan_ddl_text(b, i ? ",\n    " : "\n    ");
		plan_ddl_column_def(b, &s->columns[i]);
	}
	if (npk) {
		plan_ddl_text(b, ",\n    PRIMARY KEY ");
		pk_list(b, s);
	}
	for (size_t i = 0; i < s->ncolumns; i++) {
		if (!s->columns[i].unique || (npk == 1 && s->columns[i].primary_key))
			continue;
		plan_ddl_text(b, ",\n    UNIQUE ");
		ident_list(b, &s->columns[i].name, 1);
	}
	plan_ddl_text(b, "\n);");
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_CREATE_TABLE, s->name, s, false,
		      "create table '%s'", s->name);
	for (size_t i = 0; i < s->nindexes; i++)
		plan_ddl_create_index(b, s, &s->indexes[i]);
}

void plan_ddl_add_primary(struct plan_builder *b, const struct reg_schema *s)
{
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "ADD PRIMARY KEY ");
	pk_list(b, s);
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_ADD_PRIMARY, s->name, s, false,
		      "add primary key");
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].primary_key) {
			plan_step_at(b, s->columns[i].loc, &s->columns[i].lint_ignore);
			break;
		}
}

void plan_ddl_add_fk(struct plan_builder *b, const struct reg_schema *s,
		     const struct reg_reference *r)
{
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "ADD FOREIGN KEY ");
	ident_list(b, r->foreign_keys.items, r->foreign_keys.n);
	plan_ddl_text(b, " REFERENCES ");
	plan_ddl_ident(b, r->schema);
	plan_ddl_text(b, " ");
	ident_list(b, r->columns.items, r->columns.n);
	if (r->on_delete != REG_FK_NO_ACTION) {
		plan_ddl_text(b, " ON DELETE ");
		plan_ddl_text(b, reg_fk_action_sql(r->on_delete));
	}
	if (r->on_update != REG_FK_NO_ACTION) {
		plan_ddl_text(b, " ON UPDATE ");
		plan_ddl_text(b, reg_fk_action_sql(r->on_update));
	}
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_ADD_FKS, PLAN_ADD_FK, s->name, s, false,
		      "add foreign key to '%s'", r->schema);
	plan_step_at(b, r->loc, &r->lint_ignore);
}

void plan_ddl_drop_fk(struct plan_builder *b, const struct reg_schema *s, const char *table,
		      const struct plan_live_constraint *c)
{
	plan_ddl_alter(b, table);
	plan_ddl_text(b, "DROP CONSTRAINT ");
	plan_ddl_ident(b, c->name);
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_DROP_FKS, PLAN_DROP_FK, table, s, false,
		      "drop foreign key '%s'", c->name);
}

/* A table the registry created and no longer declares: its own foreign
 * keys first (in the first phase, so no later step trips over them), then
 * the table, with a warning since its rows go with it. */
void plan_ddl_drop_table(struct plan_builder *b, const struct plan_live_table *t)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == PLAN_CON_FOREIGN)
			plan_ddl_drop_fk(b, NULL, t->name, &t->cons[i]);
	plan_ddl_text(b, "DROP TABLE ");
	plan_ddl_ident(b, t->name);
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_DROP_TABLES, PLAN_DROP_TABLE, t->name, NULL, true,
		      "drop table '%s'", t->name);
}
