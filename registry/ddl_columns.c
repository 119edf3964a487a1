/*
 * Column definitions. Types and defaults are taken from the source text
 * as written, not from the parse tree: the tree spells them as PostgreSQL
 * stores them ("pg_catalog.int4"), and the user should read their own.
 */
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "sqllex.h"
#include "validate.h"

/* Words that end a column's type: what may follow it in a column definition. */
static const char *const type_stops[] = {
	"constraint", "not", "null", "default", "check", "primary", "unique", "references",
	"generated", "collate", "compression", "options", "deferrable", "initially", "using",
	NULL,
};

/*
 * The next token of a clause that ends at ',' ')' or ';' outside brackets,
 * or at bound: true with the token at *tok and *i past it, false at the
 * clause's end. *depth counts the brackets open so far.
 */
static bool clause_token(const struct ddl_ctx *c, size_t *i, size_t bound, int *depth,
			 size_t *tok)
{
	size_t at = sqllex_skip_blank(c->src, *i, bound);
	if (at >= bound)
		return false;
	char ch = c->src[at];
	if (ch == '(' || ch == '[')
		(*depth)++;
	else if ((ch == ')' || ch == ']') && --*depth < 0)
		return false;
	else if (!*depth && (ch == ',' || ch == ';'))
		return false;
	*tok = at;
	*i = sqllex_token_end(c->src, at, bound);
	return true;
}

static bool is_type_stop(const struct ddl_ctx *c, size_t tok, size_t end)
{
	if (!sqllex_is_word_start((unsigned char)c->src[tok]))
		return false;
	for (size_t k = 0; type_stops[k]; k++)
		if (sqllex_word_is(c->src, tok, end, type_stops[k]))
			return true;
	return false;
}

/*
 * The type as written from start: tokens until a ',' ')' or ';' outside
 * parentheses, a word that starts a column constraint, or bound. Blanks
 * and comments between tokens become one space. NULL (no diagnostic) when
 * nothing is there.
 */
static char *type_text(struct ddl_ctx *c, size_t start, size_t bound)
{
	struct sbuf sb = SBUF_INIT;
	int depth = 0;
	size_t i = start, tok, prev_end = start;
	if (bound > c->len)
		bound = c->len;
	while (clause_token(c, &i, bound, &depth, &tok)) {
		if (!depth && is_type_stop(c, tok, i))
			break;
		if (sb.len && tok > prev_end)
			sbuf_addch(&sb, ' ');
		sbuf_add(&sb, c->src + tok, i - tok);
		prev_end = i;
	}
	if (sbuf_error(&sb)) {
		sbuf_release(&sb);
		return ddl_ctx_oom(c);
	}
	if (!sb.len) {
		sbuf_release(&sb);
		return NULL;
	}
	char *out = sbuf_detach(&sb, NULL);
	return out ? out : ddl_ctx_oom(c);
}

/*
 * The expression after the last DEFAULT keyword in [from, limit), as
 * written: tokens until a ',' ')' or ';' outside parentheses, or bound.
 * NULL when there is none (no diagnostic).
 */
static char *default_text(struct ddl_ctx *c, size_t from, size_t limit, size_t bound)
{
	size_t i = from, start = 0;
	bool found = false;
	if (bound > c->len)
		bound = c->len;
	if (limit > bound)
		limit = bound;
	while ((i = sqllex_skip_blank(c->src, i, limit)) < limit) {
		size_t e = sqllex_token_end(c->src, i, limit);
		if (sqllex_word_is(c->src, i, e, "default")) {
			start = e;
			found = true;
		}
		i = e;
	}
	if (!found)
		return NULL;
	int depth = 0;
	size_t end = start, tok;
	for (i = start; clause_token(c, &i, bound, &depth, &tok);)
		end = i;
	start = sqllex_skip_blank(c->src, start, end);
	return end > start ? ddl_ctx_strndup(c, c->src + start, end - start) : NULL;
}

static bool is_serial(json_object *type_name)
{
	static const char *const serials[] = {
		"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2", NULL,
	};
	json_object *names = pgq_get(type_name, "names");
	if (pgq_arr_len(names) != 1)
		return false;
	const char *n = pgq_string_node(pgq_arr_at(names, 0));
	for (size_t i = 0; n && serials[i]; i++)
		if (!strcmp(n, serials[i]))
			return true;
	return false;
}

void ddl_columns_set_type(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			  json_object *tn, size_t bound)
{
	int loc = pgq_get_loc(tn);
	char *text = loc < 0 ? NULL : type_text(c, ddl_ctx_at(c, loc), bound);
	if (c->rc)
		return;
	if (!text || !text_utf8_valid(text, strlen(text), NULL)) {
		ddl_ctx_treport(c, t, DIAG_ERROR, ddl_ctx_at(c, loc),
				"table '%s' not imported: cannot read the type of column '%s'",
				t->sqlname, col->name);
		ddl_model_refuse(t);
		free(text);
		return;
	}
	free(col->type);
	col->type = text;
	if (is_serial(tn))
		col->nullable = false;
}

void ddl_columns_set_default(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			     size_t from, size_t limit, size_t bound)
{
	char *text = default_text(c, from, limit, bound);
	if (c->rc)
		return;
	if (!text || !text_utf8_valid(text, strlen(text), NULL)) {
		ddl_ctx_treport(c, t, DIAG_WARNING, from,
				"default of column '%s' of '%s' not imported: cannot read it",
				col->name, t->sqlname);
		free(text);
		return;
	}
	free(col->default_expr);
	col->default_expr = text;
}

/* The first of places after from, or the end of the statement. */
static size_t next_bound(size_t from, const size_t *places, size_t n, size_t stmt_end)
{
	size_t best = stmt_end;
	for (size_t i = 0; i < n; i++)
		if (places[i] > from && places[i] < best)
			best = places[i];
	return best;
}

/* The column a definition is about: new, or (without a type) inherited.
 * NULL when there is none to change. */
static struct reg_column *def_column(struct ddl_ctx *c, struct ddl_table *t, const char *name,
				     bool has_type, size_t off)
{
	struct reg_column *col = ddl_model_column(t, name);
	const char *why;
	if (has_type && col) {
		ddl_ctx_treport(c, t, DIAG_ERROR, off,
				"table '%s' not imported: column '%s' declared twice", t->sqlname,
				name);
		ddl_model_refuse(t);
		return NULL;
	}
	if (!has_type && !col) {
		ddl_ctx_treport(c, t, DIAG_WARNING, off,
				"column '%s' of '%s' is not inherited; ignored", name, t->sqlname);
		return NULL;
	}
	if (col)
		return col;
	if (!reg_validate_ident(name, &why)) {
		ddl_ctx_treport(c, t, DIAG_ERROR, off,
				"table '%s' not imported: invalid column name '%s': %s",
				t->sqlname, name, why);
		ddl_model_refuse(t);
	}
	return ddl_model_add_column(c, t, name);
}

/* One constraint of a column definition; places: where each clause starts. */
static void column_constraint(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			      json_object *con, const size_t *places, size_t np, size_t bound,
			      const char *default_schema)
{
	const char *type = pgq_get_str(con, "contype");
	size_t coff = ddl_ctx_at(c, pgq_get_loc(con));
	if (!type)
		return;
	if (!strcmp(type, "CONSTR_NOTNULL")) {
		col->nullable = false;
	} else if (!strcmp(type, "CONSTR_NULL")) {
		col->nullable = true;
	} else if (!strcmp(type, "CONSTR_DEFAULT")) {
		int el = pgq_first_location(pgq_get(con, "raw_expr"));
		size_t bnd = next_bound(coff, places, np, bound);
		ddl_columns_set_default(c, t, col, coff, el < 0 ? bnd : ddl_ctx_at(c, el), bnd);
	} else if (!strcmp(type, "CONSTR_PRIMARY")) {
		ddl_keys_mark_pk(c, t, col->name, coff);
	} else if (!strcmp(type, "CONSTR_UNIQUE")) {
		col->unique = true;
	} else if (!strcmp(type, "CONSTR_FOREIGN")) {
		ddl_refs_add(c, t, con, col->name, default_schema);
	} else if (!strcmp(type, "CONSTR_IDENTITY")) {
		col->nullable = false;
		ddl_ctx_ignore(c, "GENERATED AS IDENTITY");
	} else if (!strcmp(type, "CONSTR_GENERATED")) {
		ddl_ctx_treport(c, t, DIAG_WARNING, coff,
				"generated column '%s' of '%s' imported as a plain column",
				col->name, t->sqlname);
	} else if (!strcmp(type, "CONSTR_CHECK")) {
		ddl_ctx_ignore(c, "CHECK constraint");
	} else if (!strncmp(type, "CONSTR_ATTR_", 12)) {
		ddl_ctx_ignore(c, "DEFERRABLE (foreign keys are imported as not deferrable)");
	} else {
		ddl_ctx_ignoref(c, "constraint ", type);
	}
}

/* A definition without a type (PARTITION OF ... (col NOT NULL)) adds
 * constraints to an inherited column. */
void ddl_columns_def(struct ddl_ctx *c, struct ddl_table *t, json_object *cd, size_t bound,
		     const char *default_schema)
{
	const char *name = pgq_get_str(cd, "colname");
	json_object *tn = pgq_get(cd, "typeName"), *cons = pgq_get(cd, "constraints");
	if (!name)
		return;
	struct reg_column *col = def_column(c, t, name, tn != NULL, ddl_ctx_at(c, pgq_get_loc(cd)));
	if (!col)
		return;
	/* where each clause starts: a type or default ends before the next */
	size_t ncons = pgq_arr_len(cons), np = 0;
	size_t *places = calloc(ncons + 1, sizeof(*places));
	if (!places)
		return (void)ddl_ctx_oom(c);
	for (size_t i = 0; i < ncons; i++) {
		int l = pgq_get_loc(pgq_node_as(pgq_arr_at(cons, i), "Constraint"));
		if (l >= 0)
			places[np++] = ddl_ctx_at(c, l);
	}
	int coll = pgq_get_loc(pgq_get(cd, "collClause"));
	if (coll >= 0) {
		places[np++] = ddl_ctx_at(c, coll);
		ddl_ctx_ignore(c, "COLLATE");
	}
	if (pgq_get(cd, "compression"))
		ddl_ctx_ignore(c, "COMPRESSION");
	if (tn)
		ddl_columns_set_type(
		    c, t, col, tn, next_bound(ddl_ctx_at(c, pgq_get_loc(tn)), places, np, bound));
	for (size_t i = 0; i < ncons && !c->rc; i++)
		column_constraint(c, t, col, pgq_node_as(pgq_arr_at(cons, i), "Constraint"),
				  places, np, bound, default_schema);
	free(places);
}
