/*
 * The statements of a plan, appended to the builder's b->sql: every
 * identifier through the backend's quoter, types and defaults spliced as
 * written only because plan_diff.c had sqlcheck accept them first.
 */
#include "plan_int.h"

#include <stdlib.h>
#include <string.h>


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

/* Marks the step just added to PLAN_PHASE_OUTSIDE as one that runs outside
 * the transaction; index: the index it builds concurrently, or NULL. */
static void mark_outside(struct plan_builder *b, const char *index)
{
	if (plan_builder_error(b))
		return;
	struct plan_steps *sv = &b->phase[PLAN_PHASE_OUTSIDE];
	struct plan_step *st = &sv->v[sv->n - 1];
	st->outside_tx = true;
	if (index && !(st->index = strdup(index)))
		plan_builder_fail(b, REG_ENOMEM);
}

#define OUTSIDE_STEP(b, kind, s, index, ...)                                                  \
	do {                                                                                  \
		plan_step_add(b, PLAN_PHASE_OUTSIDE, kind, (s)->name, s, false, __VA_ARGS__); \
		mark_outside(b, index);                                                       \
	} while (0)

/*
 * PostgreSQL's own name for a key of table on cols ("users_email_key",
 * "users_pkey" with no columns, "policies_created_by_fkey"), so that a key
 * added to a live table is named as CREATE TABLE would have named it and
 * the later steps (VALIDATE, USING INDEX) can name it. Cut at 63 bytes on a
 * character boundary, as the server would cut it, so that the catalog probe
 * of an interrupted build finds it under the same name. NULL on ENOMEM.
 */
static char *key_name(const char *table, char *const *cols, size_t n, const char *suffix)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb, table);
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "_%s", cols[i]);
	sbuf_addf(&sb, "_%s", suffix);
	if (sbuf_error(&sb)) {
		sbuf_release(&sb);
		return NULL;
	}
	size_t len = sb.len;
	while (len > REG_MAX_IDENT_LEN || (len && ((unsigned char)sb.buf[len] & 0xC0) == 0x80))
		len--;
	sb.buf[len] = 0;
	return sbuf_detach(&sb, NULL);
}

static void create_index_sql(struct plan_builder *b, const char *name, bool unique,
			     bool concurrently, const char *table, char *const *cols, size_t n)
{
	plan_ddl_text(b, unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	if (concurrently)
		plan_ddl_text(b, "CONCURRENTLY ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, " ON ");
	plan_ddl_ident(b, table);
	plan_ddl_text(b, " ");
	ident_list(b, cols, n);
	plan_ddl_text(b, ";");
}

/* On a live table the build takes SHARE UPDATE EXCLUSIVE only (writes go
 * on), and CONCURRENTLY cannot run inside a transaction. */
void plan_ddl_create_index(struct plan_builder *b, const struct reg_schema *s,
			   const struct reg_index *x, bool live)
{
	create_index_sql(b, x->name, x->unique, live, s->name, x->columns.items, x->columns.n);
	if (!live)
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_CREATE_INDEX, s->name, s, false,
			      "create index '%s'", x->name);
	else
		OUTSIDE_STEP(b, PLAN_CREATE_INDEX, s, x->name, "create index '%s' concurrently",
			     x->name);
	plan_step_at(b, x->name_loc.line ? x->name_loc : x->loc, &x->lint_ignore);
}

/* IF EXISTS: a column dropped in the transaction took its indexes along,
 * and a resumed run may find it gone already. */
void plan_ddl_drop_index(struct plan_builder *b, const struct reg_schema *s, const char *name)
{
	plan_ddl_text(b, "DROP INDEX CONCURRENTLY IF EXISTS ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, ";");
	OUTSIDE_STEP(b, PLAN_DROP_INDEX, s, NULL, "drop index '%s' concurrently", name);
}

/* A unique index built concurrently, then the constraint over it: ADD
 * CONSTRAINT ... USING INDEX only takes the index over (no scan). */
static void key_using_index(struct plan_builder *b, const struct reg_schema *s, bool primary,
			    char *const *cols, size_t n, const char *name)
{
	create_index_sql(b, name, true, true, s->name, cols, n);
	OUTSIDE_STEP(b, primary ? PLAN_ADD_PRIMARY : PLAN_ADD_UNIQUE, s, name,
		     "build the index of the %s concurrently", primary ? "primary key" : "unique key");
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "ADD CONSTRAINT ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, primary ? " PRIMARY KEY USING INDEX " : " UNIQUE USING INDEX ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, ";");
	if (primary)
		OUTSIDE_STEP(b, PLAN_ADD_PRIMARY, s, NULL, "add primary key using its index");
	else
		OUTSIDE_STEP(b, PLAN_ADD_UNIQUE, s, NULL, "add unique on '%s' using its index",
			     cols[0]);
}

void plan_ddl_add_unique(struct plan_builder *b, const struct reg_schema *s,
			 const struct reg_column *c)
{
	char *name = key_name(s->name, &c->name, 1, "key");
	if (!name) {
		plan_builder_fail(b, REG_ENOMEM);
		return;
	}
	key_using_index(b, s, false, &c->name, 1, name);
	free(name);
}

void plan_ddl_set_not_null(struct plan_builder *b, const struct reg_schema *s,
			   const struct reg_column *c)
{
	char *name = key_name(s->name, &c->name, 1, "not_null_check");
	if (!name) {
		plan_builder_fail(b, REG_ENOMEM);
		return;
	}
	/* in the transaction: NOT VALID checks new rows only, no scan */
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "ADD CONSTRAINT ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, " CHECK (");
	plan_ddl_ident(b, c->name);
	plan_ddl_text(b, " IS NOT NULL) NOT VALID;");
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_SET_NOT_NULL, s->name, s, false,
		      "check '%s' is not null for new rows", c->name);
	/* the scan, under SHARE UPDATE EXCLUSIVE: writes go on */
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "VALIDATE CONSTRAINT ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, ";");
	OUTSIDE_STEP(b, PLAN_SET_NOT_NULL, s, NULL, "validate that '%s' is not null", c->name);
	/* PostgreSQL 12+ takes the valid CHECK as proof and skips the scan */
	plan_ddl_alter_column(b, s->name, c->name);
	plan_ddl_text(b, "SET NOT NULL;");
	OUTSIDE_STEP(b, PLAN_SET_NOT_NULL, s, NULL, "set not null on '%s'", c->name);
	plan_ddl_alter(b, s->name);
	plan_ddl_text(b, "DROP CONSTRAINT IF EXISTS ");
	plan_ddl_ident(b, name);
	plan_ddl_text(b, ";");
	OUTSIDE_STEP(b, PLAN_SET_NOT_NULL, s, NULL, "drop the check of '%s'", c->name);
	free(name);
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
		plan_ddl_create_index(b, s, &s->indexes[i], false);
}

void plan_ddl_add_primary(struct plan_builder *b, const struct reg_schema *s)
{
	struct strlist cols = STRLIST_INIT;
	char *name = key_name(s->name, NULL, 0, "pkey");
	int rc = name ? 0 : REG_ENOMEM;
	for (size_t i = 0; i < s->ncolumns && !rc; i++)
		if (s->columns[i].primary_key)
			rc = strlist_push(&cols, s->columns[i].name);
	if (rc)
		plan_builder_fail(b, rc);
	else
		key_using_index(b, s, true, cols.items, cols.n, name);
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].primary_key) {
			plan_step_at(b, s->columns[i].loc, &s->columns[i].lint_ignore);
			break;
		}
	strlist_release(&cols);
	free(name);
}

/* On a live table: NOT VALID in the transaction (new rows are checked, no
 * scan), VALIDATE outside it (the scan, under SHARE UPDATE EXCLUSIVE on
 * the table and ROW SHARE on the referenced one: writes go on). */
void plan_ddl_add_fk(struct plan_builder *b, const struct reg_schema *s,
		     const struct reg_reference *r, bool live)
{
	char *name = NULL;
	plan_ddl_alter(b, s->name);
	if (live) {
		if (!(name = key_name(s->name, r->foreign_keys.items, r->foreign_keys.n, "fkey"))) {
			plan_builder_fail(b, REG_ENOMEM);
			return;
		}
		plan_ddl_text(b, "ADD CONSTRAINT ");
		plan_ddl_ident(b, name);
		plan_ddl_text(b, " FOREIGN KEY ");
	} else {
		plan_ddl_text(b, "ADD FOREIGN KEY ");
	}
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
	plan_ddl_text(b, live ? " NOT VALID;" : ";");
	plan_step_add(b, PLAN_PHASE_ADD_FKS, PLAN_ADD_FK, s->name, s, false,
		      "add foreign key to '%s'%s", r->schema, live ? " (not valid yet)" : "");
	plan_step_at(b, r->loc, &r->lint_ignore);
	if (live) {
		plan_ddl_alter(b, s->name);
		plan_ddl_text(b, "VALIDATE CONSTRAINT ");
		plan_ddl_ident(b, name);
		plan_ddl_text(b, ";");
		OUTSIDE_STEP(b, PLAN_ADD_FK, s, NULL, "validate foreign key to '%s'", r->schema);
		plan_step_at(b, r->loc, &r->lint_ignore);
	}
	free(name);
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
