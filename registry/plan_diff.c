/*
 * One registered schema against the live database: a pending script
 * replaces everything generated for its table; else CREATE TABLE for a
 * table that does not exist, or the ALTERs that turn the live table into
 * the declared one. Types and defaults are compared in sqlcheck's
 * canonical forms (so "int" meets "integer" and 'a' meets 'a'::text).
 */
#include "plan_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sqlcheck.h"

static bool declared_not_null(const struct reg_column *c)
{
	return !c->nullable || c->primary_key;
}

/* serial is not a type but "int + sequence default"; its live form is an
 * integer column whose default calls nextval(). */
static bool is_serial(const char *type)
{
	static const char *const serials[] = { "serial", "serial4", "serial8", "bigserial",
					       "smallserial", "serial2" };
	while (isspace((unsigned char)*type))
		type++;
	size_t n = strlen(type);
	while (n && isspace((unsigned char)type[n - 1]))
		n--;
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++)
		if (strlen(serials[i]) == n && !strncasecmp(type, serials[i], n))
			return true;
	return false;
}

/* An error for a type or default sqlcheck refused (r): nothing of s may be
 * spliced into DDL. */
static void refused(struct plan_builder *b, const struct reg_schema *s,
		    const struct reg_column *c, bool is_type, const struct sqlcheck_result *r)
{
	struct sbuf msg = SBUF_INIT;
	sbuf_addf(&msg,
		  is_type ? "type '%s' of column '%s' is not a valid PostgreSQL type (%s); "
			    "no DDL is generated for '%s'"
			  : "default '%s' of column '%s' is not a valid PostgreSQL expression "
			    "(%s); no DDL is generated for '%s'",
		  is_type ? c->type : c->default_expr, c->name,
		  r->message ? r->message : "refused", s->name);
	plan_diag(b, s, s->name, is_type ? c->type_loc : c->default_loc, DIAG_ERROR, &msg);
}

/* Every type and default of s, checked by the parser before it may appear
 * in DDL. Returns false (with errors) when something must not be spliced. */
static bool columns_spliceable(struct plan_builder *b, const struct reg_schema *s)
{
	bool ok = true;
	for (size_t i = 0; i < s->ncolumns && !plan_builder_error(b); i++) {
		const struct reg_column *c = &s->columns[i];
		struct sqlcheck_result r;
		if (!c->type) {
			ok = false;
			continue;
		}
		if (sqlcheck_type(c->type, &r)) {
			plan_builder_fail(b, REG_ENOMEM);
			break;
		}
		if (!r.ok) {
			ok = false;
			refused(b, s, c, true, &r);
		}
		if (!c->default_expr)
			continue;
		if (sqlcheck_expr(c->default_expr, &r)) {
			plan_builder_fail(b, REG_ENOMEM);
			break;
		}
		if (!r.ok) {
			ok = false;
			refused(b, s, c, false, &r);
		}
	}
	return ok && !plan_builder_error(b);
}

static bool names_eq(const struct reg_strlist *a, char *const *b, size_t nb)
{
	if (a->n != nb)
		return false;
	for (size_t i = 0; i < nb; i++)
		if (strcmp(a->items[i], b[i]))
			return false;
	return true;
}

/* Whether the live key columns are exactly the declared primary key, in
 * declaration order. */
static bool pk_matches(const struct reg_schema *s, const struct reg_strlist *live)
{
	size_t k = 0;
	for (size_t i = 0; i < s->ncolumns; i++) {
		if (!s->columns[i].primary_key)
			continue;
		if (k == live->n || strcmp(live->items[k], s->columns[i].name))
			return false;
		k++;
	}
	return k == live->n;
}

static size_t pk_count(const struct reg_schema *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ncolumns; i++)
		n += s->columns[i].primary_key;
	return n;
}

static bool fk_matches(const struct reg_reference *r, const struct plan_live_constraint *c)
{
	return c->kind == PLAN_CON_FOREIGN && c->ref_table && r->schema &&
	       !strcmp(c->ref_table, r->schema) &&
	       names_eq(&c->columns, r->foreign_keys.items, r->foreign_keys.n) &&
	       names_eq(&c->ref_columns, r->columns.items, r->columns.n) &&
	       c->on_delete == r->on_delete && c->on_update == r->on_update;
}

static const struct plan_live_column *live_column(const struct plan_live_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (!strcmp(t->columns[i].name, name))
			return &t->columns[i];
	return NULL;
}

static bool live_unique_on(const struct plan_live_table *t, const char *col)
{
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == PLAN_CON_UNIQUE && t->cons[i].columns.n == 1 &&
		    !strcmp(t->cons[i].columns.items[0], col))
			return true;
	return false;
}

static bool declared_unique(const struct reg_schema *s, const struct plan_live_constraint *c,
			    size_t npk)
{
	if (c->columns.n != 1)
		return false;
	const struct reg_column *col = reg_schema_column(s, c->columns.items[0]);
	return col && col->unique && !(npk == 1 && col->primary_key);
}

static const struct reg_index *declared_index(const struct reg_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nindexes; i++)
		if (!strcmp(s->indexes[i].name, name))
			return &s->indexes[i];
	return NULL;
}

static bool index_matches(const struct reg_index *d, const struct plan_live_index *x)
{
	return x->simple && d->unique == x->unique &&
	       names_eq(&d->columns, x->columns.items, x->columns.n);
}

/* sqlcheck's canonical form of a type or default text (owned by its
 * cache), NULL when the text is NULL or refused. */
static const char *canonical(struct plan_builder *b, const char *text, bool is_type)
{
	struct sqlcheck_result r;
	if (!text)
		return NULL;
	if (is_type ? sqlcheck_type(text, &r) : sqlcheck_expr(text, &r)) {
		plan_builder_fail(b, REG_ENOMEM);
		return NULL;
	}
	return r.ok ? r.canonical : NULL;
}

static void diff_type(struct plan_builder *b, const struct reg_schema *s,
		      const struct reg_column *c, const struct plan_live_column *lc)
{
	const char *dt = canonical(b, c->type, true);
	const char *lt = canonical(b, lc->type, true);
	if (!dt || (lt && !strcmp(dt, lt)))
		return;
	plan_ddl_alter_column(b, s->name, c->name);
	plan_ddl_text(b, "TYPE ");
	plan_ddl_text(b, c->type);
	plan_ddl_text(b, ";");
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_ALTER_TYPE, s->name, s, false,
		      "change type of '%s' from %s to %s", c->name, lc->type, c->type);
	plan_step_at(b, c->type_loc.line ? c->type_loc : c->loc, &c->lint_ignore);
}

static void diff_default(struct plan_builder *b, const struct reg_schema *s,
			 const struct reg_column *c, const struct plan_live_column *lc)
{
	/* a serial's sequence default is what the declared type means */
	if (is_serial(c->type) && !c->default_expr && lc->default_expr &&
	    !strncmp(lc->default_expr, "nextval(", 8))
		return;
	const char *dd = canonical(b, c->default_expr, false);
	const char *ld = canonical(b, lc->default_expr, false);
	bool same = (!c->default_expr && !lc->default_expr) ||
		    (c->default_expr && lc->default_expr && dd && ld && !strcmp(dd, ld));
	if (same)
		return;
	plan_ddl_alter_column(b, s->name, c->name);
	if (c->default_expr) {
		plan_ddl_text(b, "SET DEFAULT ");
		plan_ddl_text(b, c->default_expr);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_SET_DEFAULT, s->name, s, false,
			      "set default of '%s'", c->name);
		plan_step_at(b, c->default_loc.line ? c->default_loc : c->loc, &c->lint_ignore);
	} else {
		plan_ddl_text(b, "DROP DEFAULT;");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_DROP_DEFAULT, s->name, s, false,
			      "drop default of '%s'", c->name);
		plan_step_at(b, c->loc, &c->lint_ignore);
	}
}

static void diff_not_null(struct plan_builder *b, const struct reg_schema *s,
			  const struct reg_column *c, const struct plan_live_column *lc)
{
	if (declared_not_null(c) == lc->not_null)
		return;
	if (declared_not_null(c)) {
		plan_ddl_set_not_null(b, s, c);
	} else {
		plan_ddl_alter_column(b, s->name, c->name);
		plan_ddl_text(b, "DROP NOT NULL;");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_DROP_NOT_NULL, s->name, s, false,
			      "drop not null on '%s'", c->name);
	}
	plan_step_at(b, c->nullable_loc.line ? c->nullable_loc : c->loc, &c->lint_ignore);
}

/* The live column c was renamed from: the live table has the old name and
 * not the new one, and no declared column keeps the old name. */
static const struct plan_live_column *renamed_column(const struct reg_schema *s,
						     const struct plan_live_table *t,
						     const struct reg_column *c)
{
	if (!c->renamed_from || live_column(t, c->name) || reg_schema_column(s, c->renamed_from))
		return NULL;
	return live_column(t, c->renamed_from);
}

/* Whether the live column name is the old name of a declared column. */
static bool renamed_away(const struct reg_schema *s, const struct plan_live_table *t,
			 const char *name)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].renamed_from && !strcmp(s->columns[i].renamed_from, name) &&
		    renamed_column(s, t, &s->columns[i]))
			return true;
	return false;
}

static void diff_column(struct plan_builder *b, const struct reg_schema *s,
			const struct plan_live_table *t, const struct reg_column *c)
{
	const struct plan_live_column *lc = live_column(t, c->name);
	if (!lc && (lc = renamed_column(s, t, c))) {
		/* the data stays: RENAME, then the column as declared */
		plan_ddl_alter(b, s->name);
		plan_ddl_text(b, "RENAME COLUMN ");
		plan_ddl_ident(b, c->renamed_from);
		plan_ddl_text(b, " TO ");
		plan_ddl_ident(b, c->name);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_RENAME_COLUMN, s->name, s, false,
			      "rename column '%s' to '%s'", c->renamed_from, c->name);
	}
	if (!lc) {
		plan_ddl_alter(b, s->name);
		plan_ddl_text(b, "ADD COLUMN ");
		plan_ddl_column_def(b, c);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_ADD_COLUMN, s->name, s, false,
			      "add column '%s'", c->name);
		plan_step_at(b, c->loc, &c->lint_ignore);
		return;
	}
	diff_type(b, s, c, lc);
	diff_default(b, s, c, lc);
	diff_not_null(b, s, c, lc);
}

/* Indexes, primary key and unique constraints of t that go or change. */
static bool drop_changed_keys(struct plan_builder *b, const struct reg_schema *s,
			      const struct plan_live_table *t, size_t npk)
{
	bool pk_same = false;
	for (size_t i = 0; i < t->nindexes; i++) {
		const struct plan_live_index *x = &t->indexes[i];
		if (x->backs_constraint)
			continue;
		const struct reg_index *d = declared_index(s, x->name);
		if (d && index_matches(d, x))
			continue;
		plan_ddl_drop_index(b, s, x->name);
		if (d)
			plan_step_at(b, d->name_loc.line ? d->name_loc : d->loc, &d->lint_ignore);
	}
	for (size_t i = 0; i < t->ncons; i++) {
		const struct plan_live_constraint *c = &t->cons[i];
		bool keep;
		if (c->kind == PLAN_CON_PRIMARY)
			keep = pk_same = pk_matches(s, &c->columns);
		else if (c->kind == PLAN_CON_UNIQUE)
			keep = declared_unique(s, c, npk);
		else
			continue;
		if (keep)
			continue;
		plan_ddl_alter(b, s->name);
		plan_ddl_text(b, "DROP CONSTRAINT ");
		plan_ddl_ident(b, c->name);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_DROP_CONSTRAINT, s->name, s, false,
			      "drop %s '%s'",
			      c->kind == PLAN_CON_PRIMARY ? "primary key" : "unique constraint",
			      c->name);
	}
	return pk_same;
}

/* Declared keys and indexes the live table lacks. */
static void add_missing_keys(struct plan_builder *b, const struct reg_schema *s,
			     const struct plan_live_table *t, size_t npk, bool pk_same)
{
	if (npk && !pk_same)
		plan_ddl_add_primary(b, s);
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		if (!c->unique || (npk == 1 && c->primary_key) || live_unique_on(t, c->name))
			continue;
		plan_ddl_add_unique(b, s, c);
		plan_step_at(b, c->loc, &c->lint_ignore);
	}
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *d = &s->indexes[i];
		bool live = false;
		for (size_t j = 0; j < t->nindexes && !live; j++)
			live = !t->indexes[j].backs_constraint &&
			       !strcmp(t->indexes[j].name, d->name) &&
			       index_matches(d, &t->indexes[j]);
		if (live)
			continue;
		plan_ddl_create_index(b, s, d, true);
	}
}

static void diff_table(struct plan_builder *b, const struct reg_schema *s,
		       const struct plan_live_table *t)
{
	size_t npk = pk_count(s);
	bool pk_same = drop_changed_keys(b, s, t, npk);
	for (size_t i = 0; i < s->ncolumns && !plan_builder_error(b); i++)
		diff_column(b, s, t, &s->columns[i]);
	for (size_t i = 0; i < t->ncolumns && !plan_builder_error(b); i++) {
		const char *name = t->columns[i].name;
		if (reg_schema_column(s, name) || renamed_away(s, t, name))
			continue;
		plan_ddl_alter(b, s->name);
		plan_ddl_text(b, "DROP COLUMN ");
		plan_ddl_ident(b, name);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_TABLES, PLAN_DROP_COLUMN, s->name, s, true,
			      "drop column '%s'", name);
		plan_step_at(b, s->columns_loc, NULL);
	}
	add_missing_keys(b, s, t, npk, pk_same);
}

static void pending_step(struct plan_builder *b, const struct reg_schema *s,
			 const struct plan_script *ps)
{
	plan_ddl_text(b, ps->text);
	plan_step_add(b, PLAN_PHASE_TABLES, PLAN_PENDING, s->name, s, false, "%s", ps->file);
}

/* The foreign keys of s against those of its live table t: drop the ones
 * that go or change, add the missing ones (after every table exists). */
static void diff_foreign_keys(struct plan_builder *b, const struct reg_schema *s,
			      const struct plan_live_table *t, bool add)
{
	if (!add) {
		for (size_t i = 0; i < t->ncons; i++) {
			const struct plan_live_constraint *c = &t->cons[i];
			bool keep = false;
			if (c->kind != PLAN_CON_FOREIGN)
				continue;
			for (size_t j = 0; j < s->nrefs && !keep; j++)
				keep = fk_matches(&s->refs[j], c);
			if (!keep)
				plan_ddl_drop_fk(b, s, s->name, c);
		}
		return;
	}
	for (size_t j = 0; j < s->nrefs; j++) {
		bool live = false;
		for (size_t i = 0; i < t->ncons && !live; i++)
			live = fk_matches(&s->refs[j], &t->cons[i]);
		if (!live)
			plan_ddl_add_fk(b, s, &s->refs[j], true);
	}
}

const struct plan_live_table *plan_diff_renamed_table(const struct plan_builder *b,
						      const struct reg_schema *s)
{
	if (!s->renamed_from || plan_live_find(b->in->live, s->name) ||
	    reg_get(b->in->reg, s->renamed_from))
		return NULL;
	return plan_live_find(b->in->live, s->renamed_from);
}

void plan_diff_schema(struct plan_builder *b, const struct reg_schema *s)
{
	const struct plan_live_table *t = plan_live_find(b->in->live, s->name);
	const struct plan_script *ps = plan_pending_find(b->in->pending, s->name);

	if (plan_reserved_table(s->name)) {
		struct sbuf msg = SBUF_INIT;
		sbuf_addf(&msg, "table name '%s' is reserved for schemafs's migration history",
			  s->name);
		plan_diag(b, s, s->name, s->name_loc, DIAG_ERROR, &msg);
		return;
	}
	if (ps) {
		pending_step(b, s, ps);
		return;
	}
	if (!columns_spliceable(b, s))
		return;
	if (!t && (t = plan_diff_renamed_table(b, s))) {
		/* first of all (with the foreign key drops): every later step
		 * names the table by its new name */
		plan_ddl_alter(b, s->renamed_from);
		plan_ddl_text(b, "RENAME TO ");
		plan_ddl_ident(b, s->name);
		plan_ddl_text(b, ";");
		plan_step_add(b, PLAN_PHASE_DROP_FKS, PLAN_RENAME_TABLE, s->name, s, false,
			      "rename table '%s' to '%s'", s->renamed_from, s->name);
	}
	if (!t) {
		plan_ddl_create_table(b, s);
		for (size_t i = 0; i < s->nrefs; i++)
			plan_ddl_add_fk(b, s, &s->refs[i], false);
		return;
	}
	diff_foreign_keys(b, s, t, false);
	diff_table(b, s, t);
	diff_foreign_keys(b, s, t, true);
}
