/* Primary keys, UNIQUE constraints and indexes of imported tables. */
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "sqllex.h"
#include "validate.h"

void ddl_keys_mark_pk(struct ddl_ctx *c, struct ddl_table *t, const char *name, size_t off)
{
	struct reg_column *col = ddl_model_column(t, name);
	if (!col) {
		ddl_ctx_treport(c, t, DIAG_WARNING, off,
				"primary key of '%s' names unknown column '%s'", t->sqlname, name);
		return;
	}
	col->primary_key = true;
	col->nullable = false;
	for (size_t i = 0; i < t->pk.n; i++)
		if (!strcmp(t->pk.items[i], name))
			return;
	ddl_ctx_push(c, &t->pk, name);
}

/* PostgreSQL's default names: "<table>_<col>_<col>_<suffix>", cut to 63 bytes. */
static char *default_index_name(struct ddl_ctx *c, const struct ddl_table *t,
				const struct reg_strlist *cols, const char *suffix)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb, t->sqlname);
	for (size_t i = 0; i < cols->n; i++)
		sbuf_addf(&sb, "_%s", cols->items[i]);
	size_t keep = REG_MAX_IDENT_LEN - strlen(suffix) - 1;
	if (!sbuf_error(&sb) && sb.len > keep)
		sb.len = keep, sb.buf[keep] = '\0';
	sbuf_addf(&sb, "_%s", suffix);
	char *p = sbuf_error(&sb) ? NULL : sbuf_detach(&sb, NULL);
	sbuf_release(&sb);
	return p ? p : ddl_ctx_oom(c);
}

/* True (reported) when index name of t cannot be added. */
static bool index_refused(struct ddl_ctx *c, struct ddl_table *t, const char *name,
			  const struct reg_strlist *cols, bool if_not_exists, size_t off)
{
	const char *why;
	if (!reg_validate_ident(name, &why)) {
		ddl_ctx_treport(c, t, DIAG_NOTE, off,
				"index '%s' of '%s' not imported: invalid name: %s", name,
				t->sqlname, why);
		return true;
	}
	for (size_t i = 0; i < cols->n; i++) {
		if (!ddl_model_column(t, cols->items[i])) {
			ddl_ctx_treport(c, t, DIAG_WARNING, off,
					"index '%s' of '%s' not imported: unknown column '%s'",
					name, t->sqlname, cols->items[i]);
			return true;
		}
	}
	for (size_t i = 0; i < t->s->nindexes; i++) {
		if (!strcmp(t->s->indexes[i].name, name)) {
			if (!if_not_exists)
				ddl_ctx_treport(c, t, DIAG_WARNING, off,
						"index '%s' of '%s' declared twice; the first is "
						"kept",
						name, t->sqlname);
			return true;
		}
	}
	return false;
}

/* Adds an index of plain columns (takes cols); sqlname NULL for the default. */
static void add_index(struct ddl_ctx *c, struct ddl_table *t, const char *sqlname,
		      struct reg_strlist *cols, bool unique, bool if_not_exists, size_t off)
{
	char *dflt = NULL, *name = NULL;
	bool excluded;
	if (!sqlname &&
	    !(sqlname = dflt = default_index_name(c, t, cols, unique ? "key" : "idx")))
		goto out;
	if (!(name = ddl_model_registry_name(c, t->sqlschema, sqlname, &excluded)))
		goto out;
	if (index_refused(c, t, name, cols, if_not_exists, off))
		goto out;
	struct reg_index *ix = ddl_ctx_grow(c, t->s->indexes, t->s->nindexes, sizeof(*ix));
	if (!ix)
		goto out;
	t->s->indexes = ix;
	ix = &ix[t->s->nindexes++];
	ix->name = name;
	name = NULL;
	ix->unique = unique;
	ix->columns = *cols;
	ix->columns.was_list = true;
	memset(cols, 0, sizeof(*cols));
out:
	free(dflt);
	free(name);
	reg_strlist_release(cols);
}

static void key_constraint(struct ddl_ctx *c, struct ddl_table *t, json_object *con,
			   bool primary, size_t off)
{
	struct reg_strlist keys = { 0 };
	if (pgq_get_str(con, "indexname")) {
		ddl_ctx_treport(c, t, DIAG_WARNING, off,
				"constraint of '%s' not imported: USING INDEX is not supported",
				t->sqlname);
		return;
	}
	ddl_ctx_push_names(c, pgq_get(con, "keys"), &keys);
	if (pgq_arr_len(pgq_get(con, "including")))
		ddl_ctx_ignore(c, "INCLUDE columns of a key");
	if (primary) {
		for (size_t i = 0; i < keys.n; i++)
			ddl_keys_mark_pk(c, t, keys.items[i], off);
	} else if (keys.n == 1 && ddl_model_column(t, keys.items[0])) {
		ddl_model_column(t, keys.items[0])->unique = true;
	} else if (keys.n) {
		add_index(c, t, pgq_get_str(con, "conname"), &keys, true, false, off);
	}
	reg_strlist_release(&keys);
}

void ddl_keys_constraint(struct ddl_ctx *c, struct ddl_table *t, json_object *con,
			 const char *default_schema)
{
	const char *type = pgq_get_str(con, "contype");
	size_t off = ddl_ctx_at(c, pgq_get_loc(con));
	if (!type)
		return;
	if (!strcmp(type, "CONSTR_FOREIGN"))
		ddl_refs_add(c, t, con, NULL, default_schema);
	else if (!strcmp(type, "CONSTR_PRIMARY") || !strcmp(type, "CONSTR_UNIQUE"))
		key_constraint(c, t, con, !strcmp(type, "CONSTR_PRIMARY"), off);
	else if (!strcmp(type, "CONSTR_CHECK"))
		ddl_ctx_ignore(c, "CHECK constraint");
	else if (!strcmp(type, "CONSTR_EXCLUSION"))
		ddl_ctx_ignore(c, "EXCLUDE constraint");
	else
		ddl_ctx_ignoref(c, "constraint ", type);
}

/* Why an index is not a plain btree index of columns (NULL when it is);
 * *method set when it is another access method. Pushes the columns. */
static const char *index_shape(struct ddl_ctx *c, json_object *st, struct reg_strlist *cols,
			       bool *method)
{
	const char *am = pgq_get_str(st, "accessMethod");
	json_object *params = pgq_get(st, "indexParams");
	*method = false;
	if (pgq_get(st, "whereClause"))
		return "it is partial (WHERE)";
	if (am && strcmp(am, "btree"))
		return *method = true, am;
	if (pgq_arr_len(pgq_get(st, "indexIncludingParams")))
		return "it has INCLUDE columns";
	for (size_t i = 0; i < pgq_arr_len(params); i++) {
		json_object *el = pgq_node_as(pgq_arr_at(params, i), "IndexElem");
		const char *ord = pgq_get_str(el, "ordering"),
			   *nulls = pgq_get_str(el, "nulls_ordering");
		if (!pgq_get_str(el, "name"))
			return "it indexes an expression";
		if ((ord && strcmp(ord, "SORTBY_DEFAULT")) ||
		    (nulls && strcmp(nulls, "SORTBY_NULLS_DEFAULT")))
			return "it sets a sort order";
		if (pgq_get(el, "opclass") || pgq_get(el, "collation"))
			return "it names an operator class or collation";
		ddl_ctx_push(c, cols, pgq_get_str(el, "name"));
	}
	return NULL;
}

void ddl_keys_create_index(struct ddl_ctx *c, json_object *st, const char *default_schema)
{
	json_object *rv = pgq_get(st, "relation");
	struct ddl_table *t = ddl_model_lookup_rv(c, rv, default_schema);
	const char *idxname = pgq_get_str(st, "idxname");
	size_t off = sqllex_skip_blank(c->src, c->base, c->stmt_end);
	struct reg_strlist cols = { 0 };
	bool method;
	if (!t && ddl_model_is_other(c, rv))
		return ddl_ctx_ignore(c, "CREATE INDEX on a materialized view");
	if (!t) {
		ddl_ctx_report(c, DIAG_WARNING, ddl_ctx_at(c, pgq_get_loc(rv)),
			       "index '%s' not imported: table '%s' is unknown",
			       idxname ? idxname : "",
			       pgq_get_str(rv, "relname") ? pgq_get_str(rv, "relname") : "");
		return;
	}
	const char *why = index_shape(c, st, &cols, &method);
	if (method)
		ddl_ctx_treport(c, t, DIAG_NOTE, off,
				"index '%s' of '%s' not imported: it uses '%s', not btree",
				idxname ? idxname : "", t->sqlname, why);
	else if (why)
		ddl_ctx_treport(c, t, DIAG_NOTE, off, "index '%s' of '%s' not imported: %s",
				idxname ? idxname : "", t->sqlname, why);
	else if (cols.n)
		add_index(c, t, idxname, &cols, pgq_get_bool(st, "unique"),
			  pgq_get_bool(st, "if_not_exists"), off);
	reg_strlist_release(&cols);
}
