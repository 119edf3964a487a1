/* The statements that shape tables: CREATE TABLE, ALTER TABLE, COMMENT ON,
 * SET search_path (and pg_dump's set_config form), DROP TABLE. */
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "sqllex.h"

/* INHERITS and PARTITION OF: the parents' columns are copied. */
static void inherit(struct ddl_ctx *c, struct ddl_table *t, json_object *st,
		    const char *default_schema, size_t off)
{
	json_object *parents = pgq_get(st, "inhRelations");
	bool partition = pgq_get(st, "partbound") != NULL;
	for (size_t i = 0; i < pgq_arr_len(parents) && !c->rc; i++) {
		json_object *prv = pgq_node_as(pgq_arr_at(parents, i), "RangeVar");
		struct ddl_table *p = ddl_model_lookup_rv(c, prv, default_schema);
		if (!p) {
			ddl_ctx_treport(c, t, DIAG_ERROR, ddl_ctx_at(c, pgq_get_loc(prv)),
					"table '%s' not imported: parent table '%s' is unknown",
					t->sqlname, pgq_get_str(prv, "relname"));
			ddl_model_refuse(t);
			continue;
		}
		ddl_model_copy_columns(c, t, p, false);
		ddl_ctx_treport(c, t, DIAG_NOTE, off,
				partition ? "partition '%s' of '%s' imported as a plain table "
					    "with its columns"
					  : "table '%s' imported with the columns it inherits "
					    "from '%s'; inheritance is not represented",
				t->sqlname, p->sqlname);
	}
	if (pgq_get(st, "partspec"))
		ddl_ctx_treport(c, t, DIAG_NOTE, off, "partitioning of '%s' is not represented",
				t->sqlname);
}

static void like(struct ddl_ctx *c, struct ddl_table *t, json_object *body,
		 const char *default_schema)
{
	json_object *lrv = pgq_get(body, "relation");
	struct ddl_table *p = ddl_model_lookup_rv(c, lrv, default_schema);
	size_t off = ddl_ctx_at(c, pgq_get_loc(lrv));
	if (!p) {
		ddl_ctx_treport(c, t, DIAG_ERROR, off,
				"table '%s' not imported: LIKE names unknown table '%s'",
				t->sqlname, pgq_get_str(lrv, "relname"));
		ddl_model_refuse(t);
		return;
	}
	ddl_model_copy_columns(c, t, p, true);
	ddl_ctx_treport(c, t, DIAG_NOTE, off,
			"table '%s' copies the column names, types and NOT NULL of '%s' (LIKE)",
			t->sqlname, p->sqlname);
}

/* Where the element after elts[i] starts: the end of a column's clauses. */
static size_t element_bound(const struct ddl_ctx *c, json_object *elts, size_t i)
{
	for (size_t k = i + 1; k < pgq_arr_len(elts); k++) {
		json_object *nb;
		pgq_node_type(pgq_arr_at(elts, k), &nb);
		int l = pgq_get_loc(nb);
		if (l >= 0)
			return ddl_ctx_at(c, l);
	}
	return c->stmt_end;
}

static void elements(struct ddl_ctx *c, struct ddl_table *t, json_object *elts,
		     const char *default_schema)
{
	for (size_t i = 0; i < pgq_arr_len(elts) && !c->rc; i++) {
		json_object *body;
		const char *type = pgq_node_type(pgq_arr_at(elts, i), &body);
		if (!type)
			continue;
		if (!strcmp(type, "ColumnDef"))
			ddl_columns_def(c, t, body, element_bound(c, elts, i), default_schema);
		else if (!strcmp(type, "Constraint"))
			ddl_keys_constraint(c, t, body, default_schema);
		else if (!strcmp(type, "TableLikeClause"))
			like(c, t, body, default_schema);
	}
}

void ddl_stmts_create_table(struct ddl_ctx *c, json_object *st, const char *default_schema)
{
	json_object *rv = pgq_get(st, "relation");
	const char *name = pgq_get_str(rv, "relname"),
		   *persistence = pgq_get_str(rv, "relpersistence");
	const char *schema = pgq_get_str(rv, "schemaname");
	struct sbuf sb = SBUF_INIT;
	if (!name)
		return;
	if (persistence && persistence[0] == 't')
		return ddl_ctx_ignore(c, "CREATE TEMP TABLE");
	if (!schema)
		schema = default_schema ? default_schema : ddl_model_creation_schema(c);
	size_t off = ddl_ctx_at(c, pgq_get_loc(rv));
	if (ddl_model_find(c, schema, name)) {
		if (!pgq_get_bool(st, "if_not_exists"))
			ddl_ctx_report(c, DIAG_ERROR, off,
				       "table '%s' created twice; the second definition is not "
				       "imported",
				       ddl_model_sql_name(&sb, schema, name));
		goto out;
	}
	if (pgq_get(st, "ofTypename")) {
		ddl_ctx_report(c, DIAG_ERROR, off,
			       "table '%s' not imported: typed tables (OF type) are not supported",
			       ddl_model_sql_name(&sb, schema, name));
		goto out;
	}
	struct ddl_table *t = ddl_model_new_table(c, schema, name, off);
	if (!t)
		goto out;
	inherit(c, t, st, default_schema, off);
	elements(c, t, pgq_get(st, "tableElts"), default_schema);
out:
	sbuf_release(&sb);
}

static const char *const column_alters[] = {
	"AT_ColumnDefault", "AT_SetNotNull",  "AT_DropNotNull", "AT_AlterColumnType",
	"AT_DropColumn",    "AT_AddIdentity", NULL,
};

static bool is_in(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

/* Whether an ALTER TABLE subcommand changes what is imported. */
static bool is_used_alter(const char *sub)
{
	return !strcmp(sub, "AT_AddConstraint") || !strcmp(sub, "AT_AddColumn") ||
	       is_in(column_alters, sub);
}

/* ALTER COLUMN ... SET/DROP DEFAULT, SET/DROP NOT NULL, TYPE, ADD
 * IDENTITY, and DROP COLUMN, on col of t. */
static void alter_column(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			 const char *sub, json_object *def)
{
	if (!strcmp(sub, "AT_ColumnDefault")) {
		if (!def) {
			free(col->default_expr);
			col->default_expr = NULL;
		} else {
			int el = pgq_first_location(def);
			ddl_columns_set_default(c, t, col, c->base,
						el < 0 ? c->stmt_end : ddl_ctx_at(c, el),
						c->stmt_end);
		}
	} else if (!strcmp(sub, "AT_SetNotNull") || !strcmp(sub, "AT_AddIdentity")) {
		col->nullable = false;
		if (!strcmp(sub, "AT_AddIdentity"))
			ddl_ctx_ignore(c, "GENERATED AS IDENTITY");
	} else if (!strcmp(sub, "AT_DropNotNull")) {
		col->nullable = true;
	} else if (!strcmp(sub, "AT_AlterColumnType")) {
		json_object *cd = pgq_node_as(def, "ColumnDef");
		if (pgq_get(cd, "typeName"))
			ddl_columns_set_type(c, t, col, pgq_get(cd, "typeName"), c->stmt_end);
	} else {
		ddl_model_drop_column(t, col->name);
	}
}

static void alter_cmd(struct ddl_ctx *c, struct ddl_table *t, json_object *cmd, json_object *rv)
{
	const char *sub = pgq_get_str(cmd, "subtype"), *colname = pgq_get_str(cmd, "name");
	json_object *def = pgq_get(cmd, "def");
	if (!sub)
		return;
	if (!strcmp(sub, "AT_AddConstraint")) {
		ddl_keys_constraint(c, t, pgq_node_as(def, "Constraint"), NULL);
	} else if (!strcmp(sub, "AT_AddColumn")) {
		json_object *cd = pgq_node_as(def, "ColumnDef");
		if (!pgq_get_bool(cmd, "missing_ok") ||
		    !ddl_model_column(t, pgq_get_str(cd, "colname")))
			ddl_columns_def(c, t, cd, c->stmt_end, NULL);
	} else if (is_in(column_alters, sub)) {
		struct reg_column *col = ddl_model_column(t, colname);
		if (col)
			alter_column(c, t, col, sub, def);
		else if (!(pgq_get_bool(cmd, "missing_ok") && !strcmp(sub, "AT_DropColumn")))
			ddl_ctx_treport(c, t, DIAG_WARNING, ddl_ctx_at(c, pgq_get_loc(rv)),
					"ALTER TABLE '%s' names unknown column '%s'; ignored",
					t->sqlname, colname ? colname : "");
	} else {
		ddl_ctx_ignoref(c, "ALTER TABLE ", sub);
	}
}

void ddl_stmts_alter_table(struct ddl_ctx *c, json_object *st)
{
	const char *objtype = pgq_get_str(st, "objtype");
	json_object *rv = pgq_get(st, "relation"), *cmds = pgq_get(st, "cmds");
	struct sbuf sb = SBUF_INIT;
	if (objtype && strcmp(objtype, "OBJECT_TABLE"))
		return ddl_ctx_ignoref(c, "ALTER ", objtype);
	struct ddl_table *t = ddl_model_lookup_rv(c, rv, NULL);
	bool changes_columns = false;
	for (size_t i = 0; i < pgq_arr_len(cmds); i++) {
		const char *sub =
		    pgq_get_str(pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"), "subtype");
		changes_columns |= sub && is_used_alter(sub);
	}
	if (!t && (!changes_columns || ddl_model_is_other(c, rv))) {
		/* pg_dump's ALTER TABLE x_seq OWNER TO ...: nothing for us */
		for (size_t i = 0; i < pgq_arr_len(cmds); i++)
			ddl_ctx_ignoref(
			    c, "ALTER TABLE ",
			    pgq_get_str(pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"),
					"subtype"));
		return;
	}
	if (!t) {
		if (!pgq_get_bool(st, "missing_ok"))
			ddl_ctx_report(c, DIAG_WARNING, ddl_ctx_at(c, pgq_get_loc(rv)),
				       "ALTER TABLE of unknown table '%s' ignored",
				       ddl_model_sql_name(&sb, pgq_get_str(rv, "schemaname"),
							  pgq_get_str(rv, "relname")));
		sbuf_release(&sb);
		return;
	}
	for (size_t i = 0; i < pgq_arr_len(cmds) && !c->rc; i++)
		alter_cmd(c, t, pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"), rv);
}

void ddl_stmts_comment_on(struct ddl_ctx *c, json_object *st)
{
	const char *objtype = pgq_get_str(st, "objtype"), *text = pgq_get_str(st, "comment");
	json_object *items = pgq_get(pgq_node_as(pgq_get(st, "object"), "List"), "items");
	size_t n = pgq_arr_len(items);
	bool on_column = objtype && !strcmp(objtype, "OBJECT_COLUMN");
	if (!objtype || (!on_column && strcmp(objtype, "OBJECT_TABLE")))
		return ddl_ctx_ignoref(c, "COMMENT ON ", objtype);
	size_t need = on_column ? 2 : 1;
	if (n < need || n > need + 1)
		return;
	const char *schema = n > need ? pgq_string_node(pgq_arr_at(items, 0)) : NULL;
	const char *tname = pgq_string_node(pgq_arr_at(items, n - need));
	if (!tname)
		return;
	struct ddl_table *t = ddl_model_lookup(c, schema, tname, NULL);
	if (!t)
		return ddl_ctx_ignore(c, "COMMENT ON an unknown table");
	char **slot = &t->s->description;
	if (on_column) {
		struct reg_column *col =
		    ddl_model_column(t, pgq_string_node(pgq_arr_at(items, n - 1)));
		if (!col)
			return ddl_ctx_ignore(c, "COMMENT ON an unknown column");
		slot = &col->description;
	}
	if (text && !text_utf8_valid(text, strlen(text), NULL))
		return ddl_ctx_ignore(c, "COMMENT that is not UTF-8");
	free(*slot);
	*slot = ddl_ctx_strdup(c, text);
}

void ddl_stmts_set(struct ddl_ctx *c, json_object *st)
{
	const char *name = pgq_get_str(st, "name"), *kind = pgq_get_str(st, "kind");
	if (!name || strcmp(name, "search_path"))
		return ddl_ctx_ignore(c, "SET");
	ddl_model_path_clear(c);
	if (kind && strcmp(kind, "VAR_SET_VALUE")) {
		ddl_model_path_push(c, "public");
		return;
	}
	json_object *args = pgq_get(st, "args");
	for (size_t i = 0; i < pgq_arr_len(args); i++) {
		json_object *a = pgq_node_as(pgq_arr_at(args, i), "A_Const");
		const char *s = pgq_get_str(pgq_get(a, "sval"), "sval");
		if (s)
			ddl_model_path_push(c, s);
	}
}

/* One item of a search_path value as SET writes it: blanks around, maybe
 * in double quotes. Edits item in place. */
static char *path_item(char *item)
{
	while (sqllex_is_blank(*item))
		item++;
	size_t n = strlen(item);
	while (n && sqllex_is_blank(item[n - 1]))
		item[--n] = '\0';
	if (n >= 2 && item[0] == '"' && item[n - 1] == '"') {
		item[n - 1] = '\0';
		item++;
	}
	return item;
}

void ddl_stmts_select(struct ddl_ctx *c, json_object *st)
{
	json_object *targets = pgq_get(st, "targetList");
	json_object *call = pgq_node_as(
	    pgq_get(pgq_node_as(pgq_arr_at(targets, 0), "ResTarget"), "val"), "FuncCall");
	json_object *fn = pgq_get(call, "funcname"), *args = pgq_get(call, "args");
	const char *last =
	    pgq_string_node(pgq_arr_at(fn, pgq_arr_len(fn) ? pgq_arr_len(fn) - 1 : 0));
	const char *var =
	    pgq_get_str(pgq_get(pgq_node_as(pgq_arr_at(args, 0), "A_Const"), "sval"), "sval");
	const char *val =
	    pgq_get_str(pgq_get(pgq_node_as(pgq_arr_at(args, 1), "A_Const"), "sval"), "sval");
	struct strlist items = STRLIST_INIT;
	if (pgq_arr_len(targets) != 1 || !last || strcmp(last, "set_config") || !var ||
	    strcmp(var, "search_path") || !val)
		return ddl_ctx_ignore(c, "SELECT");
	ddl_model_path_clear(c);
	if (strlist_split(&items, val, ',', true))
		return (void)ddl_ctx_oom(c);
	for (size_t i = 0; i < items.n && !c->rc; i++) {
		const char *item = path_item(items.items[i]);
		if (*item)
			ddl_model_path_push(c, item);
	}
	strlist_release(&items);
}

void ddl_stmts_drop(struct ddl_ctx *c, json_object *st)
{
	const char *kind = pgq_get_str(st, "removeType");
	json_object *objects = pgq_get(st, "objects");
	if (!kind || strcmp(kind, "OBJECT_TABLE"))
		return ddl_ctx_ignoref(c, "DROP ", kind);
	for (size_t i = 0; i < pgq_arr_len(objects) && !c->rc; i++) {
		json_object *items = pgq_get(pgq_node_as(pgq_arr_at(objects, i), "List"), "items");
		size_t n = pgq_arr_len(items);
		if (n < 1 || n > 2)
			continue;
		const char *schema = n == 2 ? pgq_string_node(pgq_arr_at(items, 0)) : NULL;
		const char *name = pgq_string_node(pgq_arr_at(items, n - 1));
		struct ddl_table *t = name ? ddl_model_lookup(c, schema, name, NULL) : NULL;
		if (t)
			ddl_model_drop_table(c, t);
	}
}
