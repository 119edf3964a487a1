/*
 * schemafile_parse: schema files and registry.yaml into the model.
 *
 * Two passes. The first runs libyaml's event parser into a small tree of
 * our own, refusing on the way everything the format has no use for
 * (anchors, aliases, tags, deep nesting, several documents), so hostile
 * input stops at its first offending event. The second walks the tree
 * into the model and reports every structural problem it finds, not only
 * the first. Scalar text is moved from libyaml's events into the tree and
 * from the tree into the model, never copied.
 */
#include "schemafile.h"

#include "lint.h"
#include "contract.h"
#include "schemafile_int.h"
#include "schemafile_tree.h"
#include "text.h"
#include "validate.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- pass 2: tree to model ---- */

/* YAML 1.2 core schema: these plain scalars are null. */
static bool is_null(const struct ynode *n)
{
	if (n->kind != Y_SCALAR || !n->plain)
		return false;
	const char *t = n->text;
	return !t[0] || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
	       !strcmp(t, "NULL");
}

static const char *kind_name(const struct ynode *n)
{
	if (is_null(n))
		return "an empty value";
	switch (n->kind) {
	case Y_SCALAR: return "a scalar";
	case Y_SEQ: return "a list";
	case Y_MAP: return "a mapping";
	}
	return "something else";
}

static char *take(struct pctx *c, uint32_t i)
{
	char *t = schemafile_node(c, i)->text;
	schemafile_node(c, i)->text = NULL;
	return t;
}

/* One key of a mapping: the key node and its value, Y_NONE when absent. */
struct field {
	uint32_t key, val;
};

/* Keys of a mapping kind, NULL-terminated, in the SPEC's order. */
static const char *const schema_keys[] = {
	"name", "owner", "version", "description", "columns", "references",
	"indexes", "version_history", "renamed_from", "compatibility", NULL,
};
enum { S_NAME, S_OWNER, S_VERSION, S_DESCRIPTION, S_COLUMNS, S_REFERENCES, S_INDEXES, S_HISTORY,
       S_RENAMED_FROM, S_COMPATIBILITY, S_NKEYS };

static const char *const column_keys[] = {
	"name", "type", "nullable", "primary_key", "unique", "default", "description",
	"lint_ignore", "renamed_from", NULL,
};
enum { C_NAME, C_TYPE, C_NULLABLE, C_PRIMARY_KEY, C_UNIQUE, C_DEFAULT, C_DESCRIPTION,
       C_LINT_IGNORE, C_RENAMED_FROM, C_NKEYS };

static const char *const reference_keys[] = {
	"schema", "column", "foreign_key", "on_delete", "on_update", "description",
	"lint_ignore", NULL,
};
enum { R_SCHEMA, R_COLUMN, R_FOREIGN_KEY, R_ON_DELETE, R_ON_UPDATE, R_DESCRIPTION,
       R_LINT_IGNORE, R_NKEYS };

static const char *const index_keys[] = {
	"name", "columns", "unique", "description", "lint_ignore", NULL,
};
enum { I_NAME, I_COLUMNS, I_UNIQUE, I_DESCRIPTION, I_LINT_IGNORE, I_NKEYS };

static const char *const history_keys[] = { "version", "date", "changes", NULL };
enum { H_VERSION, H_DATE, H_CHANGES, H_NKEYS };

static const char *const meta_keys[] = { "name", "description", "target", "lint",
					 "compatibility", NULL };
enum { M_NAME, M_DESCRIPTION, M_TARGET, M_LINT, M_COMPATIBILITY, M_NKEYS };

static void unknown_key(struct pctx *c, const struct ynode *k, const char *what,
			const char *const *keys)
{
	const char *near = reg_nearest(k->text, keys);
	if (near) {
		schemafile_err(c, k->loc, "unknown key '%s' in %s (did you mean '%s'?)",
		    schemafile_subject(k->text), what, near);
		return;
	}
	struct sbuf list = SBUF_INIT;
	for (size_t i = 0; keys[i]; i++)
		if ((i && sbuf_adds(&list, ", ")) || sbuf_adds(&list, keys[i]))
			c->oom = true;
	schemafile_err(c, k->loc, "unknown key '%s' in %s (expected one of: %s)",
	    schemafile_subject(k->text), what, list.buf);
	sbuf_release(&list);
}

/* Sorts the entries of mapping map into f[] by keys[]; reports unknown,
 * repeated and non-scalar keys. */
static void map_fields(struct pctx *c, uint32_t map, const char *what,
		       const char *const *keys, struct field *f)
{
	for (size_t i = 0; keys[i]; i++)
		f[i] = (struct field){ Y_NONE, Y_NONE };
	for (uint32_t k = schemafile_node(c, map)->first; k != Y_NONE && !c->stop;) {
		uint32_t v = schemafile_node(c, k)->next;
		const struct ynode *kn = schemafile_node(c, k);
		if (kn->kind != Y_SCALAR) {
			schemafile_err(c, kn->loc, "expected a key in %s, found %s", what, kind_name(kn));
		} else {
			size_t i;
			for (i = 0; keys[i] && strcmp(keys[i], kn->text); i++)
				;
			if (!keys[i])
				unknown_key(c, kn, what, keys);
			else if (f[i].key != Y_NONE)
				schemafile_err(c, kn->loc, "duplicate key '%s' in %s (first at %u:%u)",
				    keys[i], what, schemafile_node(c, f[i].key)->loc.line,
				    schemafile_node(c, f[i].key)->loc.col);
			else
				f[i] = (struct field){ k, v };
		}
		k = schemafile_node(c, v)->next;
	}
}

/*
 * Reports the required keys map lacks, at the mapping. The message names
 * the item when its name is known ("in column 'email'", "in reference to
 * 'users'"), else its kind ("in column"); what NULL is the file itself.
 */
static void require(struct pctx *c, const struct field *f, const char *const *keys,
		    const int *required, uint32_t map, const char *what,
		    const char *named, const char *name)
{
	for (const int *r = required; *r >= 0; r++) {
		if (f[*r].key != Y_NONE)
			continue;
		if (!what)
			schemafile_err(c, schemafile_node(c, map)->loc, "missing required key '%s'", keys[*r]);
		else if (name)
			schemafile_err(c, schemafile_node(c, map)->loc, "missing required key '%s' in %s '%s'",
			    keys[*r], named, schemafile_subject(name));
		else
			schemafile_err(c, schemafile_node(c, map)->loc, "missing required key '%s' in %s",
			    keys[*r], what);
	}
}

/* A mapping's location stands in for keys it does not have, so that a
 * later diagnostic about a default value still points somewhere useful. */
static struct reg_loc val_loc(struct pctx *c, const struct field *f, uint32_t map)
{
	return schemafile_node(c, f->val != Y_NONE ? f->val : map)->loc;
}

static bool expect_kind(struct pctx *c, uint32_t i, enum ykind kind, const char *key)
{
	static const char *const want[] = { "a scalar", "a list", "a mapping" };
	const struct ynode *n = schemafile_node(c, i);
	if (n->kind == kind && !(kind == Y_SCALAR && is_null(n)))
		return true;
	schemafile_err(c, n->loc, "expected %s for '%s', found %s", want[kind], key, kind_name(n));
	return false;
}

/* A text field. Absent or null leaves *out NULL; a required key reports
 * a null value (its absence is require()'s job). */
static void get_str(struct pctx *c, const struct field *f, const char *key,
		    bool required, char **out)
{
	if (f->val == Y_NONE)
		return;
	const struct ynode *n = schemafile_node(c, f->val);
	if (n->kind == Y_SCALAR && is_null(n)) {
		if (required)
			schemafile_err(c, n->loc, "missing value for '%s'", key);
		return;
	}
	if (expect_kind(c, f->val, Y_SCALAR, key))
		*out = take(c, f->val);
}

/* YAML 1.2 core booleans; quoted "true" is a string there, so refused. */
static void get_bool(struct pctx *c, const struct field *f, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	if (f->val == Y_NONE)
		return;
	const struct ynode *n = schemafile_node(c, f->val);
	if (n->kind != Y_SCALAR) {
		schemafile_err(c, n->loc, "expected true or false for '%s', found %s", key, kind_name(n));
		return;
	}
	for (int i = 0; n->plain && i < 3; i++) {
		if (!strcmp(n->text, yes[i])) {
			*out = true;
			return;
		}
		if (!strcmp(n->text, no[i])) {
			*out = false;
			return;
		}
	}
	if (!n->plain)
		schemafile_err(c, n->loc, "invalid value \"%s\" for '%s' (expected true or false, without quotes)",
		    schemafile_subject(n->text), key);
	else if (is_null(n))
		schemafile_err(c, n->loc, "missing value for '%s' (expected true or false)", key);
	else
		schemafile_err(c, n->loc, "invalid value '%s' for '%s' (expected true or false)",
		    schemafile_subject(n->text), key);
}

static void get_fk_action(struct pctx *c, const struct field *f, const char *key,
			  enum reg_fk_action *out)
{
	if (f->val == Y_NONE || !expect_kind(c, f->val, Y_SCALAR, key))
		return;
	const struct ynode *n = schemafile_node(c, f->val);
	int a = reg_fk_action_parse(n->text);
	if (a < 0)
		schemafile_err(c, n->loc,
		    "invalid %s '%s' (expected CASCADE, RESTRICT, SET NULL, SET DEFAULT or NO ACTION)",
		    key, schemafile_subject(n->text));
	else
		*out = (enum reg_fk_action)a;
}

/* A compatibility mode (contract.h), kept as written once it is known. */
static void get_mode(struct pctx *c, const struct field *f, char **out)
{
	static const char *const modes[] = {
		"BACKWARD", "FORWARD", "FULL", "NONE", "BACKWARD_TRANSITIVE",
		"FORWARD_TRANSITIVE", "FULL_TRANSITIVE", NULL,
	};
	enum contract_mode m;
	get_str(c, f, "compatibility", false, out);
	if (!*out || !contract_mode_parse(*out, &m))
		return;
	const char *near = reg_nearest(*out, modes);
	schemafile_err(c, schemafile_node(c, f->val)->loc,
	    "invalid compatibility '%s'%s%s%s (expected BACKWARD, FORWARD, FULL, NONE or one of "
	    "them with _TRANSITIVE)", schemafile_subject(*out), near ? " (did you mean '" : "",
	    near ? near : "", near ? "'?)" : "");
	free(*out);
	*out = NULL;
}

/* items and locs were sized from the node, so this never grows them */
static void take_item(struct pctx *c, struct reg_strlist *l, uint32_t i)
{
	l->items[l->n] = take(c, i);
	l->locs[l->n] = schemafile_node(c, i)->loc;
	l->n++;
}

/* A column list: one scalar or a list of scalars (composite keys). */
static void get_strlist(struct pctx *c, const struct field *f, const char *key,
			struct reg_strlist *out)
{
	if (f->val == Y_NONE)
		return;
	uint32_t v = f->val;
	const struct ynode *n = schemafile_node(c, v);
	if (n->kind == Y_MAP || is_null(n)) {
		schemafile_err(c, n->loc, "expected a column name or a list of them for '%s', found %s",
		    key, kind_name(n));
		return;
	}
	size_t cap = n->kind == Y_SEQ ? n->count : 1;
	out->was_list = n->kind == Y_SEQ;
	if (cap) {
		out->items = calloc(cap, sizeof(*out->items));
		out->locs = calloc(cap, sizeof(*out->locs));
		if (!out->items || !out->locs) {
			c->oom = c->stop = true;
			return;
		}
	}
	if (n->kind == Y_SCALAR) {
		take_item(c, out, v);
		return;
	}
	for (uint32_t i = n->first; i != Y_NONE; i = schemafile_node(c, i)->next) {
		const struct ynode *item = schemafile_node(c, i);
		if (item->kind != Y_SCALAR || is_null(item))
			schemafile_err(c, item->loc, "expected a column name in '%s', found %s",
			    key, kind_name(item));
		else
			take_item(c, out, i);
	}
}

/* The items of an optional list (null means empty); false when the node
 * is not a list. */
static bool list_items(struct pctx *c, const struct field *f, const char *key, size_t *count)
{
	*count = 0;
	if (f->val == Y_NONE || is_null(schemafile_node(c, f->val)))
		return false;
	if (!expect_kind(c, f->val, Y_SEQ, key))
		return false;
	*count = schemafile_node(c, f->val)->count;
	return *count > 0;
}

/* An unknown lint rule id, located, with the nearest real one. */
static void unknown_rule(struct pctx *c, const struct ynode *n, const char *key)
{
	const char *near = lint_rule_nearest(n->text);
	if (near)
		schemafile_err(c, n->loc, "unknown lint rule '%s' in '%s' (did you mean '%s'?)",
		    schemafile_subject(n->text), key, near);
	else
		schemafile_err(c, n->loc, "unknown lint rule '%s' in '%s' (schemafs lint --rules lists them)",
		    schemafile_subject(n->text), key);
}

/* lint_ignore: one rule id or a list of them, each a known rule. */
static void get_rules(struct pctx *c, const struct field *f, struct reg_strlist *out)
{
	if (f->val == Y_NONE || is_null(schemafile_node(c, f->val)))
		return;
	const struct ynode *n = schemafile_node(c, f->val);
	if (n->kind == Y_MAP) {
		schemafile_err(c, n->loc, "expected a lint rule or a list of them for 'lint_ignore', found %s",
		    kind_name(n));
		return;
	}
	uint32_t first = n->kind == Y_SEQ ? n->first : f->val;
	for (uint32_t i = first; i != Y_NONE && !c->stop;
	     i = n->kind == Y_SEQ ? schemafile_node(c, i)->next : Y_NONE) {
		const struct ynode *item = schemafile_node(c, i);
		if (item->kind != Y_SCALAR || is_null(item)) {
			schemafile_err(c, item->loc, "expected a lint rule in 'lint_ignore', found %s",
			    kind_name(item));
		} else if (lint_rule_find(item->text) < 0) {
			unknown_rule(c, item, "lint_ignore");
		} else if (reg_strlist_push(out, item->text, &item->loc)) {
			c->oom = c->stop = true;
		}
	}
	out->was_list = n->kind == Y_SEQ;
}

static void parse_column(struct pctx *c, uint32_t map, struct reg_column *col)
{
	static const int required[] = { C_NAME, C_TYPE, -1 };
	struct field f[C_NKEYS];
	map_fields(c, map, "column", column_keys, f);
	col->nullable = true; /* the seed's default */
	col->loc = schemafile_node(c, map)->loc;
	get_str(c, &f[C_NAME], "name", true, &col->name);
	get_str(c, &f[C_TYPE], "type", true, &col->type);
	get_bool(c, &f[C_NULLABLE], "nullable", &col->nullable);
	get_bool(c, &f[C_PRIMARY_KEY], "primary_key", &col->primary_key);
	get_bool(c, &f[C_UNIQUE], "unique", &col->unique);
	get_str(c, &f[C_DEFAULT], "default", false, &col->default_expr);
	get_str(c, &f[C_DESCRIPTION], "description", false, &col->description);
	get_rules(c, &f[C_LINT_IGNORE], &col->lint_ignore);
	get_str(c, &f[C_RENAMED_FROM], "renamed_from", true, &col->renamed_from);
	col->renamed_from_loc = val_loc(c, &f[C_RENAMED_FROM], map);
	col->name_loc = val_loc(c, &f[C_NAME], map);
	col->type_loc = val_loc(c, &f[C_TYPE], map);
	col->default_loc = val_loc(c, &f[C_DEFAULT], map);
	col->nullable_loc = val_loc(c, &f[C_NULLABLE], map);
	require(c, f, column_keys, required, map, "column", "column", col->name);
}

static void parse_reference(struct pctx *c, uint32_t map, struct reg_reference *ref)
{
	static const int required[] = { R_SCHEMA, R_COLUMN, R_FOREIGN_KEY, -1 };
	struct field f[R_NKEYS];
	map_fields(c, map, "reference", reference_keys, f);
	ref->loc = schemafile_node(c, map)->loc;
	get_str(c, &f[R_SCHEMA], "schema", true, &ref->schema);
	get_strlist(c, &f[R_COLUMN], "column", &ref->columns);
	get_strlist(c, &f[R_FOREIGN_KEY], "foreign_key", &ref->foreign_keys);
	get_fk_action(c, &f[R_ON_DELETE], "on_delete", &ref->on_delete);
	get_fk_action(c, &f[R_ON_UPDATE], "on_update", &ref->on_update);
	get_str(c, &f[R_DESCRIPTION], "description", false, &ref->description);
	get_rules(c, &f[R_LINT_IGNORE], &ref->lint_ignore);
	ref->schema_loc = val_loc(c, &f[R_SCHEMA], map);
	ref->on_delete_loc = val_loc(c, &f[R_ON_DELETE], map);
	ref->on_update_loc = val_loc(c, &f[R_ON_UPDATE], map);
	require(c, f, reference_keys, required, map, "reference", "reference to",
		ref->schema);
}

static void parse_index(struct pctx *c, uint32_t map, struct reg_index *ix)
{
	static const int required[] = { I_NAME, I_COLUMNS, -1 };
	struct field f[I_NKEYS];
	map_fields(c, map, "index", index_keys, f);
	ix->loc = schemafile_node(c, map)->loc;
	get_str(c, &f[I_NAME], "name", true, &ix->name);
	get_strlist(c, &f[I_COLUMNS], "columns", &ix->columns);
	get_bool(c, &f[I_UNIQUE], "unique", &ix->unique);
	get_str(c, &f[I_DESCRIPTION], "description", false, &ix->description);
	get_rules(c, &f[I_LINT_IGNORE], &ix->lint_ignore);
	ix->name_loc = val_loc(c, &f[I_NAME], map);
	require(c, f, index_keys, required, map, "index", "index", ix->name);
}

static void parse_history(struct pctx *c, uint32_t map, struct reg_history_entry *h)
{
	static const int required[] = { H_VERSION, -1 };
	struct field f[H_NKEYS];
	map_fields(c, map, "version_history entry", history_keys, f);
	h->loc = schemafile_node(c, map)->loc;
	get_str(c, &f[H_VERSION], "version", true, &h->version);
	get_str(c, &f[H_DATE], "date", false, &h->date);
	get_str(c, &f[H_CHANGES], "changes", false, &h->changes);
	require(c, f, history_keys, required, map, "version_history entry", NULL, NULL);
}

/*
 * Walks a list of mappings into an array of items of the given size,
 * calling parse for each mapping. Items that are not mappings are
 * reported and left out.
 */
typedef void (*item_parser)(struct pctx *c, uint32_t map, void *item);

static void parse_list(struct pctx *c, const struct field *f, const char *key,
		       const char *item_what, size_t size, item_parser parse,
		       void **items, size_t *n)
{
	size_t count;
	if (!list_items(c, f, key, &count))
		return;
	char *arr = calloc(count, size);
	if (!arr) {
		c->oom = c->stop = true;
		return;
	}
	*items = arr;
	for (uint32_t i = schemafile_node(c, f->val)->first; i != Y_NONE && !c->stop; i = schemafile_node(c, i)->next) {
		const struct ynode *item = schemafile_node(c, i);
		if (item->kind != Y_MAP) {
			schemafile_err(c, item->loc, "expected a mapping (%s) in '%s', found %s",
			    item_what, key, kind_name(item));
			continue;
		}
		parse(c, i, arr + *n * size);
		(*n)++;
	}
}

static void parse_column_v(struct pctx *c, uint32_t m, void *p) { parse_column(c, m, p); }
static void parse_reference_v(struct pctx *c, uint32_t m, void *p) { parse_reference(c, m, p); }
static void parse_index_v(struct pctx *c, uint32_t m, void *p) { parse_index(c, m, p); }
static void parse_history_v(struct pctx *c, uint32_t m, void *p) { parse_history(c, m, p); }

static void parse_schema_map(struct pctx *c, struct reg_schema *s)
{
	static const int required[] = { S_NAME, S_OWNER, S_COLUMNS, -1 };
	struct field f[S_NKEYS];
	uint32_t map = c->root;
	map_fields(c, map, "schema", schema_keys, f);
	get_str(c, &f[S_NAME], "name", true, &s->name);
	get_str(c, &f[S_OWNER], "owner", true, &s->owner);
	get_str(c, &f[S_VERSION], "version", true, &s->version);
	get_str(c, &f[S_DESCRIPTION], "description", false, &s->description);
	get_str(c, &f[S_RENAMED_FROM], "renamed_from", true, &s->renamed_from);
	s->renamed_from_loc = val_loc(c, &f[S_RENAMED_FROM], map);
	get_mode(c, &f[S_COMPATIBILITY], &s->compatibility);
	s->name_loc = val_loc(c, &f[S_NAME], map);
	s->owner_loc = val_loc(c, &f[S_OWNER], map);
	s->version_loc = val_loc(c, &f[S_VERSION], map);
	s->columns_loc = val_loc(c, &f[S_COLUMNS], map);

	/* columns is required: a null value is an error, not an empty list */
	if (f[S_COLUMNS].val != Y_NONE && is_null(schemafile_node(c, f[S_COLUMNS].val)))
		expect_kind(c, f[S_COLUMNS].val, Y_SEQ, "columns");
	parse_list(c, &f[S_COLUMNS], "columns", "a column", sizeof(*s->columns),
		   parse_column_v, (void **)&s->columns, &s->ncolumns);
	parse_list(c, &f[S_REFERENCES], "references", "a reference", sizeof(*s->refs),
		   parse_reference_v, (void **)&s->refs, &s->nrefs);
	parse_list(c, &f[S_INDEXES], "indexes", "an index", sizeof(*s->indexes),
		   parse_index_v, (void **)&s->indexes, &s->nindexes);
	parse_list(c, &f[S_HISTORY], "version_history", "a version_history entry",
		   sizeof(*s->history), parse_history_v, (void **)&s->history, &s->nhistory);
	require(c, f, schema_keys, required, map, NULL, NULL, NULL);
}

/* Shared by both entry points: byte checks, tree, a mapping at the top.
 * Returns 0 with c->root set (Y_NONE for a file without a document). */
static int parse_prologue(struct pctx *c, const char *bytes, size_t len, const char *file,
			  struct diags *diags)
{
	*c = (struct pctx){ .file = file, .diags = diags, .bytes = (const unsigned char *)bytes,
			    .len = len, .root = Y_NONE };
	int rc = schemafile_check_bytes(c);
	if (rc)
		return rc;
	rc = schemafile_build_tree(c);
	if (rc)
		return rc;
	if (c->root != Y_NONE && schemafile_node(c, c->root)->kind != Y_MAP &&
	    !is_null(schemafile_node(c, c->root))) {
		schemafile_err(c, schemafile_node(c, c->root)->loc, "expected a mapping at the top of the file, found %s",
		    kind_name(schemafile_node(c, c->root)));
		return c->oom ? REG_ENOMEM : REG_EINVAL;
	}
	if (c->root != Y_NONE && schemafile_node(c, c->root)->kind != Y_MAP)
		c->root = Y_NONE; /* a lone "~" or "null" is as empty as no document */
	return 0;
}

static char *copy_bytes(const char *bytes, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		if (len)
			memcpy(p, bytes, len);
		p[len] = '\0';
	}
	return p;
}

static int parse_result(struct pctx *c)
{
	if (c->oom)
		return REG_ENOMEM;
	return c->errors ? REG_EINVAL : 0;
}

int schemafile_parse(const char *bytes, size_t len, const char *file,
		      struct reg_schema **out, struct diags *diags)
{
	struct pctx c;
	struct reg_schema *s = NULL;
	*out = NULL;
	if (!file)
		file = "";
	int rc = parse_prologue(&c, bytes, len, file, diags);
	if (rc)
		goto out;
	if (c.root == Y_NONE) {
		schemafile_err(&c, (struct reg_loc){ 1, 1 },
		    "empty file; expected a mapping with 'name', 'owner' and 'columns'");
		rc = parse_result(&c);
		goto out;
	}
	s = reg_schema_new();
	if (!s) {
		rc = REG_ENOMEM;
		goto out;
	}
	parse_schema_map(&c, s);
	rc = parse_result(&c);
	if (rc)
		goto out;
	if (!s->version && !(s->version = strdup(REG_DEFAULT_VERSION)))
		rc = REG_ENOMEM;
	else if (!(s->file = strdup(file)) || !(s->source = copy_bytes(bytes, len)))
		rc = REG_ENOMEM;
	if (rc)
		goto out;
	s->source_len = len;
	*out = s;
	s = NULL;
out:
	reg_schema_free(s);
	schemafile_free_tree(&c);
	return rc;
}

/* registry.yaml's lint: {RULE: off|warning|error, strict: true|false}. */
static void get_lint(struct pctx *c, const struct field *f, struct reg_meta *m)
{
	static const char *const levels[] = { "off", "warning", "error", NULL };
	if (f->val == Y_NONE || is_null(schemafile_node(c, f->val)) ||
	    !expect_kind(c, f->val, Y_MAP, "lint"))
		return;
	const struct ynode *map = schemafile_node(c, f->val);
	if (map->count && !(m->lint = calloc(map->count, sizeof(*m->lint)))) {
		c->oom = c->stop = true;
		return;
	}
	for (uint32_t k = map->first; k != Y_NONE && !c->stop;) {
		uint32_t v = schemafile_node(c, k)->next;
		const struct ynode *kn = schemafile_node(c, k), *vn = schemafile_node(c, v);
		k = vn->next;
		if (kn->kind != Y_SCALAR) {
			schemafile_err(c, kn->loc, "expected a lint rule in 'lint', found %s", kind_name(kn));
			continue;
		}
		if (!strcmp(kn->text, "strict")) {
			struct field sf = { k, v };
			get_bool(c, &sf, "strict", &m->lint_strict);
			continue;
		}
		int rule = lint_rule_find(kn->text);
		if (rule < 0) {
			unknown_rule(c, kn, "lint");
			continue;
		}
		size_t lv;
		for (lv = 0; levels[lv] && !(vn->kind == Y_SCALAR && !strcmp(vn->text, levels[lv]));
		     lv++)
			;
		if (!levels[lv]) {
			schemafile_err(c, vn->loc, "invalid level for lint rule '%s' (expected off, warning or "
			    "error)", kn->text);
			continue;
		}
		m->lint[m->nlint++] = (struct reg_lint_level){
			rule, lv == 0 ? LINT_LEVEL_OFF : lv == 1 ? LINT_LEVEL_WARNING : LINT_LEVEL_ERROR,
			kn->loc };
	}
}

int schemafile_parse_meta(const char *bytes, size_t len, const char *file,
		    struct reg_meta *out, struct diags *diags)
{
	struct pctx c;
	memset(out, 0, sizeof(*out));
	if (!file)
		file = "";
	int rc = parse_prologue(&c, bytes, len, file, diags);
	if (rc)
		goto out;
	/* registry.yaml may be empty: every key is optional */
	if (c.root != Y_NONE) {
		struct field f[M_NKEYS];
		map_fields(&c, c.root, "registry.yaml", meta_keys, f);
		get_str(&c, &f[M_NAME], "name", false, &out->name);
		get_str(&c, &f[M_DESCRIPTION], "description", false, &out->description);
		get_str(&c, &f[M_TARGET], "target", false, &out->target);
		get_lint(&c, &f[M_LINT], out);
		get_mode(&c, &f[M_COMPATIBILITY], &out->compatibility);
		if (reg_target_has_password(out->target) &&
		    diags_add(c.diags, c.file, schemafile_node(&c, f[M_TARGET].val)->loc, DIAG_WARNING,
			      "'target' holds a password, which is kept in every revision of "
			      "registry.yaml; put it in ~/.pgpass or PGPASSFILE, or use a service "
			      "file (target: service=NAME)"))
			c.oom = true;
	}
	rc = parse_result(&c);
	if (rc)
		goto out;
	if (!(out->file = strdup(file)) || !(out->source = copy_bytes(bytes, len))) {
		rc = REG_ENOMEM;
		goto out;
	}
	out->source_len = len;
out:
	if (rc)
		reg_meta_release(out);
	schemafile_free_tree(&c);
	return rc;
}

/* ---- the walker for the other files of the format (schemafile_int.h) ---- */

struct sfw {
	struct pctx c;
};

int sfw_open(const char *bytes, size_t len, const char *file, struct diags *diags,
	     struct sfw **out, uint32_t *root)
{
	struct sfw *w = calloc(1, sizeof(*w));
	*out = NULL;
	if (!w)
		return REG_ENOMEM;
	int rc = parse_prologue(&w->c, bytes, len, file ? file : "", diags);
	if (rc) {
		schemafile_free_tree(&w->c);
		free(w);
		return rc;
	}
	*root = w->c.root;
	*out = w;
	return 0;
}

void sfw_fields(struct sfw *w, uint32_t map, const char *what, const char *const *keys,
		struct sfw_field *f)
{
	size_t n = 0;
	while (keys[n])
		n++;
	struct field *tmp = calloc(n ? n : 1, sizeof(*tmp));
	if (!tmp) {
		w->c.oom = w->c.stop = true;
		for (size_t i = 0; i < n; i++)
			f[i] = (struct sfw_field){ SFW_NONE, SFW_NONE };
		return;
	}
	map_fields(&w->c, map, what, keys, tmp);
	for (size_t i = 0; i < n; i++)
		f[i] = (struct sfw_field){ tmp[i].key, tmp[i].val };
	free(tmp);
}

static struct field field_of(const struct sfw_field *f)
{
	return (struct field){ f->key, f->val };
}

void sfw_str(struct sfw *w, const struct sfw_field *f, const char *key, bool required,
	     char **out)
{
	struct field g = field_of(f);
	get_str(&w->c, &g, key, required, out);
}

void sfw_names(struct sfw *w, const struct sfw_field *f, const char *key,
	       struct reg_strlist *out)
{
	struct field g = field_of(f);
	get_strlist(&w->c, &g, key, out);
}

struct reg_loc sfw_loc(struct sfw *w, const struct sfw_field *f, uint32_t map)
{
	struct field g = field_of(f);
	return val_loc(&w->c, &g, map);
}

void sfw_error(struct sfw *w, struct reg_loc loc, const char *fmt, ...)
{
	if (w->c.stop)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (diags_vadd(w->c.diags, w->c.file, loc, DIAG_ERROR, fmt, ap))
		w->c.oom = w->c.stop = true;
	va_end(ap);
	w->c.errors++;
}

int sfw_close(struct sfw *w)
{
	if (!w)
		return 0;
	int rc = parse_result(&w->c);
	schemafile_free_tree(&w->c);
	free(w);
	return rc;
}
