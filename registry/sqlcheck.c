#include "sqlcheck.h"

#include <pthread.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "pg_catalog.h"
#include "pgq.h"
#include "sbuf.h"
#include "sqlcheck_int.h"
#include "strmap.h"

/*
 * The text the user wrote goes after a fixed prefix, so the parser sees a
 * whole statement; locations in the tree and the error cursor are then
 * shifted back by the prefix length to point into the user's text.
 */
#define TYPE_PREFIX "SELECT NULL::"
/*
 * libpg_query writes its parse tree with one recursion per level, and a
 * level costs as little as two bytes of text ("1+1+1..."): near 65000
 * levels an 8 MiB stack overflows and the process dies. No type or default
 * is this long; refusing before the parser runs bounds the depth.
 */
#define SQLCHECK_MAX_TEXT 8192
#define TEXT_LIMIT "8192"
#define EXPR_PREFIX "SELECT "

enum check_kind { KIND_TYPE = 0, KIND_EXPR = 1 };

/* A cached verdict: res.message and res.canonical point at owned copies;
 * size is what it costs, key included. */
struct entry {
	struct sqlcheck_result res;
	size_t size;
};

/* What an entry costs besides its strings: the struct, the map's slot and
 * key copy, malloc's headers (an estimate; it only has to be in scale). */
#define ENTRY_OVERHEAD 128

/*
 * One process-wide cache, one map per kind (a type and a default with the
 * same text are different questions): many schemas share a handful of
 * type and default texts, and the planner asks again for every column of
 * the live database. Keys are the texts (copied by the maps).
 *
 * Bounded by two generations: texts go into the current one; when it
 * holds half the budget (SQLCHECK_CACHE_BYTES or SQLCHECK_CACHE_ENTRIES)
 * the previous one is freed and the current one becomes the previous. A
 * hit in the previous generation moves the entry (the same pointer) back
 * into the current one, so the texts a registry keeps using stay, while
 * those of refused saves age out: 300 refused 1 MB saves used to stay in
 * memory for good.
 */
struct generation {
	struct strmap by_kind[2];
	size_t bytes, entries;
};

static struct {
	pthread_mutex_t lock;
	struct generation gen[2];
	int cur;
	unsigned long parses;
} cache = { PTHREAD_MUTEX_INITIALIZER,
	    { { { STRMAP_INIT, STRMAP_INIT }, 0, 0 }, { { STRMAP_INIT, STRMAP_INIT }, 0, 0 } },
	    0, 0 };

static void entry_free(void *p)
{
	struct entry *e = p;
	if (!e)
		return;
	free((char *)e->res.message);
	free((char *)e->res.canonical);
	free((char *)e->res.names.name);
	free(e);
}

static void generation_release(struct generation *g)
{
	strmap_release(&g->by_kind[KIND_TYPE], entry_free);
	strmap_release(&g->by_kind[KIND_EXPR], entry_free);
	g->bytes = g->entries = 0;
}

/* Puts e (key text) into the current generation, then ages the cache when
 * that one is full. The caller holds the lock. */
static int cache_put(enum check_kind kind, const char *text, size_t len, struct entry *e)
{
	struct generation *g = &cache.gen[cache.cur];
	int rc = strmap_put(&g->by_kind[kind], text, len, e, NULL);
	if (rc)
		return rc;
	g->bytes += e->size;
	g->entries++;
	if (g->bytes > SQLCHECK_CACHE_BYTES / 2 || g->entries > SQLCHECK_CACHE_ENTRIES / 2) {
		cache.cur ^= 1;
		generation_release(&cache.gen[cache.cur]);
	}
	return 0;
}

/* The entry of text, from either generation (moved into the current one),
 * or NULL. The caller holds the lock. */
static struct entry *cache_get(enum check_kind kind, const char *text, size_t len, int *rc)
{
	struct generation *cur = &cache.gen[cache.cur], *prev = &cache.gen[cache.cur ^ 1];
	struct entry *e = strmap_get(&cur->by_kind[kind], text, len);
	*rc = 0;
	if (e || !(e = strmap_get(&prev->by_kind[kind], text, len)))
		return e;
	strmap_remove(&prev->by_kind[kind], text, len);
	prev->bytes -= e->size;
	prev->entries--;
	if ((*rc = cache_put(kind, text, len, e))) {
		entry_free(e);
		return NULL;
	}
	return e;
}

/* ---- building a result ---- */

struct verdict {
	int ok;
	struct sbuf message;
	int offset; /* into the user's text, or -1 */
	struct sbuf canonical;
	const char *text; /* the user's */
	struct sqlcheck_names names; /* .name unset: see name */
	struct sbuf name;
};

static int refuse(struct verdict *v, int offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct verdict *v, int offset, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(&v->message, fmt, ap);
	va_end(ap);
	v->ok = 0;
	v->offset = offset;
	return rc;
}

/* A location in the full statement, as an offset into the user's text. */
static int user_offset(int location, size_t prefix_len, size_t text_len)
{
	if (location < 0)
		return -1;
	if ((size_t)location < prefix_len)
		return 0;
	size_t off = (size_t)location - prefix_len;
	return (int)(off > text_len ? text_len : off);
}

static const struct {
	const char *key;
	const char *what;
} clause_names[] = {
	{ "fromClause", "FROM clause" },
	{ "whereClause", "WHERE clause" },
	{ "groupClause", "GROUP BY clause" },
	{ "havingClause", "HAVING clause" },
	{ "windowClause", "WINDOW clause" },
	{ "sortClause", "ORDER BY clause" },
	{ "limitCount", "LIMIT clause" },
	{ "limitOffset", "OFFSET clause" },
	{ "lockingClause", "locking clause" },
	{ "withClause", "WITH clause" },
	{ "distinctClause", "DISTINCT" },
	{ "intoClause", "INTO clause" },
	{ "valuesLists", "VALUES list" },
	{ "larg", "set operation (UNION, INTERSECT, EXCEPT)" },
};

/*
 * The shape both checks share: one statement, a plain SELECT with nothing
 * but its target list, and a single unnamed target. On success *val is
 * that target's expression.
 */
static int check_single_target(json_object *tree, size_t prefix_len, size_t text_len,
			       const char *subject, struct verdict *v, json_object **val)
{
	*val = NULL;
	json_object *stmts = pgq_get(tree, "stmts");
	size_t nstmts = stmts && json_object_is_type(stmts, json_type_array)
			? json_object_array_length(stmts) : 0;
	if (nstmts != 1) {
		int off = -1;
		if (nstmts > 1) {
			json_object *loc = pgq_get(json_object_array_get_idx(stmts, 1), "stmt_location");
			off = loc ? user_offset(json_object_get_int(loc), prefix_len, text_len) : -1;
		}
		return refuse(v, off, "more than one statement where one %s was expected",
			      subject);
	}
	/* libpg_query gives a length only to a statement that a ';' ends:
	 * "int;" is one statement alone but ends the CREATE TABLE it is
	 * spliced into */
	json_object *len = pgq_get(json_object_array_get_idx(stmts, 0), "stmt_len");
	if (len)
		return refuse(v, user_offset(json_object_get_int(len), prefix_len, text_len),
			      "unexpected ';' after the %s", subject);
	json_object *body;
	const char *type = pgq_node_type(pgq_get(json_object_array_get_idx(stmts, 0), "stmt"), &body);
	if (!type || strcmp(type, "SelectStmt"))
		return refuse(v, -1, "not a single %s", subject);
	json_object_object_foreach(body, key, sub) {
		if (!strcmp(key, "targetList") || !strcmp(key, "limitOption"))
			continue;
		if (!strcmp(key, "op")) {
			if (json_object_is_type(sub, json_type_string) &&
			    !strcmp(json_object_get_string(sub), "SETOP_NONE"))
				continue;
			return refuse(v, -1, "unexpected set operation (UNION, INTERSECT, EXCEPT) after the %s",
				      subject);
		}
		const char *what = key;
		for (size_t i = 0; i < sizeof(clause_names) / sizeof(*clause_names); i++)
			if (!strcmp(clause_names[i].key, key))
				what = clause_names[i].what;
		return refuse(v, user_offset(pgq_first_location(sub), prefix_len, text_len),
			      "unexpected %s after the %s", what, subject);
	}
	json_object *targets = pgq_get(body, "targetList");
	size_t ntargets = targets && json_object_is_type(targets, json_type_array)
			  ? json_object_array_length(targets) : 0;
	if (ntargets != 1) {
		int off = ntargets > 1 ? user_offset(pgq_first_location(json_object_array_get_idx(targets, 1)),
						     prefix_len, text_len)
				       : -1;
		return refuse(v, off, "a list where a single %s was expected", subject);
	}
	json_object *target;
	type = pgq_node_type(json_object_array_get_idx(targets, 0), &target);
	if (!type || strcmp(type, "ResTarget"))
		return refuse(v, -1, "not a single %s", subject);
	json_object *alias = pgq_get(target, "name");
	if (alias)
		return refuse(v, -1, "unexpected alias '%s' after the %s",
			      json_object_get_string(alias), subject);
	*val = pgq_get(target, "val");
	if (!*val)
		return refuse(v, -1, "not a single %s", subject);
	return 0;
}

/* ---- types ---- */

static const struct {
	const char *from, *to;
} type_aliases[] = {
	{ "int", "int4" }, { "integer", "int4" }, { "serial", "int4" }, { "serial4", "int4" },
	{ "bigint", "int8" }, { "bigserial", "int8" }, { "serial8", "int8" },
	{ "smallint", "int2" }, { "smallserial", "int2" }, { "serial2", "int2" },
	{ "boolean", "bool" },
	{ "real", "float4" },
	{ "double precision", "float8" }, { "float", "float8" },
	{ "decimal", "numeric" },
	{ "character varying", "varchar" },
	{ "character", "bpchar" },
	{ "timestamp without time zone", "timestamp" },
	{ "timestamp with time zone", "timestamptz" },
	{ "time without time zone", "time" },
	{ "time with time zone", "timetz" },
};

static int is_simple_name(const char *s)
{
	if (!*s || !((*s >= 'a' && *s <= 'z') || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '$'))
			return 0;
	return 1;
}

static int add_name(struct sbuf *sb, const char *name)
{
	if (is_simple_name(name))
		return sbuf_adds(sb, name);
	int rc = sbuf_addch(sb, '"');
	for (; !rc && *name; name++)
		rc = *name == '"' ? sbuf_adds(sb, "\"\"") : sbuf_addch(sb, *name);
	return rc ? rc : sbuf_addch(sb, '"');
}

static int add_typmod(struct sbuf *sb, json_object *mod)
{
	json_object *c;
	const char *type = pgq_node_type(mod, &c);
	json_object *v;
	if (!type || strcmp(type, "A_Const"))
		return 1;
	if ((v = pgq_get(pgq_get(c, "ival"), "ival")))
		return sbuf_addf(sb, "%d", json_object_get_int(v));
	if (pgq_get(c, "ival"))
		return sbuf_adds(sb, "0"); /* libpg_query omits zero values */
	if ((v = pgq_get(pgq_get(c, "fval"), "fval")))
		return sbuf_adds(sb, json_object_get_string(v));
	return 1;
}

/* ---- names the catalog knows ---- */

/* Records what the catalog says of a name at location (in the whole
 * statement), as written there when the parser only folded its case. */
static int note_name(struct verdict *v, enum sqlcheck_name verdict, const char *name,
		     int location, size_t prefix_len)
{
	size_t tlen = strlen(v->text), n = strlen(name);
	int off = user_offset(location, prefix_len, tlen);
	v->names.verdict = verdict;
	v->names.offset = off;
	sbuf_reset(&v->name);
	if (off >= 0 && (size_t)off + n <= tlen && !strncasecmp(v->text + off, name, n) &&
	    is_simple_name(name))
		return sbuf_add(&v->name, v->text + off, n);
	return sbuf_adds(&v->name, name);
}

/* base: the type's one name after pg_catalog and aliases, as pg_type
 * spells it. */
static int judge_type_name(struct verdict *v, const char *base, json_object *tn, size_t nmods)
{
	char kind = pg_catalog_type_kind(base);
	const char *ext = kind ? NULL : pg_catalog_type_extension(base);
	if (kind && kind != 'p')
		return 0;
	v->names.typmods = nmods > 0;
	if (ext)
		v->names.extension = ext;
	else if (!kind && is_simple_name(base) && (v->names.near = pg_catalog_suggest_type(base, NULL)))
		v->names.typo = pg_catalog_one_typo(base, v->names.near);
	return note_name(v, kind ? SQLCHECK_PSEUDO : ext ? SQLCHECK_EXTENSION : SQLCHECK_UNKNOWN,
			 base, pgq_get_loc(tn), strlen(TYPE_PREFIX));
}

/*
 * The canonical spelling: schema pg_catalog dropped, aliases folded (so the
 * names users write and the names the parser produces meet), modifiers and
 * array dimensions kept. Returns 1 when the TypeName holds something we do
 * not accept as a column type, <0 on OOM.
 */
static int canonical_type(json_object *tn, size_t text_len, struct verdict *v)
{
	json_object *names = pgq_get(tn, "names");
	size_t nnames = names && json_object_is_type(names, json_type_array)
			? json_object_array_length(names) : 0;
	size_t plen = strlen(TYPE_PREFIX);
	if (pgq_get(tn, "setof"))
		return refuse(v, -1, "SETOF is not a column type");
	if (pgq_get(tn, "pct_type"))
		return refuse(v, -1, "%%TYPE is not a column type");
	if (!nnames)
		return refuse(v, -1, "not a type");
	const char *parts[3] = { NULL, NULL, NULL };
	if (nnames > 3)
		return refuse(v, -1, "too many dotted names in the type");
	for (size_t i = 0; i < nnames; i++) {
		json_object *body;
		const char *t = pgq_node_type(json_object_array_get_idx(names, i), &body);
		json_object *sval = pgq_get(body, "sval");
		if (!t || strcmp(t, "String") || !sval)
			return refuse(v, -1, "not a type name");
		parts[i] = json_object_get_string(sval);
	}
	size_t first = 0;
	int qualified_by_catalog = nnames == 2 && !strcmp(parts[0], "pg_catalog");
	if (qualified_by_catalog)
		first = 1;
	json_object *mods = pgq_get(tn, "typmods");
	size_t nmods = mods && json_object_is_type(mods, json_type_array)
		       ? json_object_array_length(mods) : 0;
	int rc = 0;
	if (nnames - first == 1) {
		const char *base = parts[first];
		/* A bare "char" only reaches us quoted: PostgreSQL's one-byte
		 * internal type, not character(n) (which arrives as bpchar). */
		if (!qualified_by_catalog && !strcmp(base, "char")) {
			rc = sbuf_adds(&v->canonical, "\"char\"");
		} else {
			for (size_t i = 0; i < sizeof(type_aliases) / sizeof(*type_aliases); i++)
				if (!strcmp(type_aliases[i].from, base))
					base = type_aliases[i].to;
			if (!strcmp(base, "char"))
				base = "bpchar";
			rc = add_name(&v->canonical, base);
		}
		if (!rc)
			rc = judge_type_name(v, base, tn, nmods);
	} else {
		for (size_t i = first; !rc && i < nnames; i++) {
			if (i > first)
				rc = sbuf_addch(&v->canonical, '.');
			if (!rc)
				rc = add_name(&v->canonical, parts[i]);
		}
	}
	if (rc)
		return rc;

	/* INTERVAL's modifiers are a field bitmask the grammar computed from
	 * "DAY TO SECOND"; as numbers they would only mislead. */
	int is_interval = !strcmp(v->canonical.buf, "interval");
	for (size_t i = 0; i < nmods; i++) {
		json_object *mod = json_object_array_get_idx(mods, i);
		if (is_interval)
			break;
		if ((rc = sbuf_addch(&v->canonical, i ? ',' : '(')))
			return rc;
		rc = add_typmod(&v->canonical, mod);
		if (rc == 1)
			return refuse(v, user_offset(pgq_first_location(mod), plen, text_len),
				      "type modifiers must be numeric constants");
		if (rc)
			return rc;
		if (i + 1 == nmods && (rc = sbuf_addch(&v->canonical, ')')))
			return rc;
	}
	json_object *bounds = pgq_get(tn, "arrayBounds");
	size_t nbounds = bounds && json_object_is_type(bounds, json_type_array)
			 ? json_object_array_length(bounds) : 0;
	for (size_t i = 0; i < nbounds; i++)
		if ((rc = sbuf_adds(&v->canonical, "[]")))
			return rc;
	return 0;
}

static int judge_type(json_object *tree, size_t text_len, struct verdict *v)
{
	size_t plen = strlen(TYPE_PREFIX);
	json_object *val, *body;
	int rc = check_single_target(tree, plen, text_len, "type", v, &val);
	if (rc || !v->ok)
		return rc;
	const char *type = pgq_node_type(val, &body);
	if (!type || strcmp(type, "TypeCast")) {
		/* an operator's location is the operator: the first thing that
		 * is not part of a type */
		json_object *loc = pgq_get(body, "location");
		return refuse(v, user_offset(loc ? json_object_get_int(loc) : pgq_first_location(val),
					     plen, text_len),
			      "not a single type");
	}
	json_object *arg;
	const char *argtype = pgq_node_type(pgq_get(body, "arg"), &arg);
	if (!argtype || strcmp(argtype, "A_Const") || !pgq_get(arg, "isnull")) {
		json_object *loc = pgq_get(body, "location"); /* the outer "::" */
		return refuse(v, loc ? user_offset(json_object_get_int(loc), plen, text_len) : -1,
			      "not a single type");
	}
	return canonical_type(pgq_get(body, "typeName"), text_len, v);
}

/* ---- expressions ---- */

/* Where the node val starts in the user's text. Only computed when
 * refusing: it walks the whole subtree, so computing it at every node made
 * the walk quadratic in the depth (a quarter second per deep default). */
static int expr_offset(json_object *val, size_t text_len)
{
	return user_offset(pgq_first_location(val), strlen(EXPR_PREFIX), text_len);
}

/*
 * Functions a default may not call. The dry run behind migrations/check
 * adds a column with its default to a table in a transaction it rolls
 * back, so PostgreSQL evaluates the default once per existing row, as the
 * daemon's role, whenever anyone merely reads a view. A default must not
 * run queries (query_to_xml('select ...')), read or write server files,
 * change settings, signal or lock other sessions, sleep or notify. By
 * name, whatever the schema: a user's function of the same name is no
 * more trusted. An entry ending in '*' is a prefix.
 */
static const char *const denied_functions[] = {
	"query_to_xml*", "cursor_to_xml*", "table_to_xml*", "schema_to_xml*",
	"database_to_xml*", "pg_read_file", "pg_read_binary_file", "pg_ls_*",
	"pg_stat_file", "lo_*", "loread", "lowrite", "dblink*", "set_config",
	"pg_terminate_backend", "pg_cancel_backend", "pg_sleep*", "pg_advisory_*",
	"pg_try_advisory_*", "pg_notify", "pg_reload_conf", "pg_rotate_logfile",
	"pg_switch_wal", "pg_create_restore_point", "pg_promote", "pg_backup_*",
	"pg_start_backup", "pg_stop_backup", "pg_file_*", "pg_logical_emit_message",
	"pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
	"pg_drop_replication_slot", "pg_replication_origin_*", "pg_stat_reset*",
	"pg_import_system_collations", "pg_log_backend_memory_contexts",
};

static bool denied_function(const char *name)
{
	for (size_t i = 0; i < sizeof(denied_functions) / sizeof(*denied_functions); i++) {
		const char *d = denied_functions[i];
		size_t n = strlen(d);
		if (d[n - 1] == '*' ? !strncmp(name, d, n - 1) : !strcmp(name, d))
			return true;
	}
	return false;
}

/* The function's own name (the last of "schema.name"), or NULL. */
static const char *func_name(json_object *call)
{
	json_object *names = pgq_get(call, "funcname"), *body;
	if (!names || !json_object_is_type(names, json_type_array) ||
	    !json_object_array_length(names))
		return NULL;
	const char *t = pgq_node_type(json_object_array_get_idx(names,
				      json_object_array_length(names) - 1), &body);
	json_object *sval = t && !strcmp(t, "String") ? pgq_get(body, "sval") : NULL;
	return sval ? json_object_get_string(sval) : NULL;
}

/* Records the first call of a function that is not built in (an unknown
 * one before an extension's). Calls qualified by another schema than
 * pg_catalog are the target's or an extension's: not judged. */
static int judge_call(json_object *call, const char *fn, struct verdict *v)
{
	json_object *names = pgq_get(call, "funcname");
	if (pgq_arr_len(names) > 1 &&
	    strcmp(pgq_string_node(pgq_arr_at(names, 0)) ?: "", "pg_catalog"))
		return 0;
	if (v->names.verdict == SQLCHECK_UNKNOWN || pg_catalog_has_function(fn))
		return 0;
	const char *ext = pg_catalog_function_extension(fn);
	if (ext && v->names.verdict == SQLCHECK_EXTENSION)
		return 0;
	v->names.extension = ext;
	return note_name(v, ext ? SQLCHECK_EXTENSION : SQLCHECK_UNKNOWN, fn, pgq_get_loc(call),
			 strlen(EXPR_PREFIX));
}

/* Things PostgreSQL refuses in a DEFAULT that the grammar accepts, and
 * calls we refuse (denied_functions). */
static int judge_expr_nodes(json_object *o, size_t text_len, struct verdict *v)
{
	if (!o || !v->ok)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n && v->ok; i++) {
			int rc = judge_expr_nodes(json_object_array_get_idx(o, i), text_len, v);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val) {
		if (!strcmp(key, "SubLink") || !strcmp(key, "SelectStmt"))
			return refuse(v, expr_offset(val, text_len),
				      "a subquery is not allowed in a default");
		if (!strcmp(key, "ColumnRef")) {
			json_object *fields = pgq_get(val, "fields"), *s;
			const char *t = pgq_node_type(json_object_array_get_idx(fields, 0), &s);
			const char *name = t && !strcmp(t, "String") && pgq_get(s, "sval")
					   ? json_object_get_string(pgq_get(s, "sval")) : "*";
			return refuse(v, expr_offset(val, text_len),
				      "column reference '%s' is not allowed in a default "
				      "(a string must be quoted: '...')", name);
		}
		if (!strcmp(key, "ParamRef"))
			return refuse(v, expr_offset(val, text_len),
				      "a parameter is not allowed in a default");
		if (!strcmp(key, "FuncCall") && pgq_get(val, "over"))
			return refuse(v, expr_offset(val, text_len),
				      "a window function is not allowed in a default");
		const char *fn = !strcmp(key, "FuncCall") ? func_name(val) : NULL;
		if (fn && denied_function(fn))
			return refuse(v, expr_offset(val, text_len),
				      "function '%s' is not allowed in a default (it runs queries or "
				      "has side effects, and checking a migration evaluates defaults)",
				      fn);
		int rc = fn ? judge_call(val, fn, v) : 0;
		if (rc)
			return rc;
		if (!strcmp(key, "SetToDefault"))
			return refuse(v, expr_offset(val, text_len),
				      "DEFAULT is not a value (leave 'default' out for no default)");
		if ((rc = judge_expr_nodes(val, text_len, v)) || !v->ok)
			return rc;
	}
	return 0;
}

/* stmt is the whole statement parsed ("SELECT " + the text): constants'
 * locations point into it. */
static int judge_expr(json_object *tree, const char *stmt, size_t text_len, struct verdict *v)
{
	json_object *val;
	int rc = check_single_target(tree, strlen(EXPR_PREFIX), text_len, "expression", v, &val);
	if (rc || !v->ok)
		return rc;
	if ((rc = judge_expr_nodes(val, text_len, v)) || !v->ok)
		return rc;
	sqlcheck_canon_expr(val, stmt, strlen(stmt), &v->canonical);
	return sbuf_error(&v->canonical);
}

/* ---- parsing ---- */

static int all_blank(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n\f\v", *s))
			return 0;
	return 1;
}

/*
 * A text that ends inside a "--" comment parses fine alone but swallows
 * whatever follows it once it is part of DDL ("a int -- x, b int"). Parse
 * it again with a second target after it: if that target disappears, the
 * text ends in a comment.
 */
static int ends_in_comment(const char *prefix, const char *text, int *out)
{
	struct sbuf q = SBUF_INIT;
	*out = 0;
	if (!strstr(text, "--"))
		return 0;
	if (sbuf_adds(&q, prefix) || sbuf_adds(&q, text) || sbuf_adds(&q, ", NULL")) {
		sbuf_release(&q);
		return REG_ENOMEM;
	}
	PgQueryParseResult pr = pgq_parse(q.buf);
	cache.parses++;
	if (pr.error) {
		*out = 1;
	} else {
		json_object *tree = pgq_json(pr.parse_tree);
		json_object *stmts = pgq_get(tree, "stmts");
		json_object *sel = pgq_get(pgq_get(json_object_array_get_idx(stmts, 0), "stmt"), "SelectStmt");
		json_object *targets = pgq_get(sel, "targetList");
		*out = !targets || json_object_array_length(targets) != 2;
		json_object_put(tree);
	}
	pg_query_free_parse_result(pr);
	sbuf_release(&q);
	return 0;
}

static int judge(enum check_kind kind, const char *text, struct verdict *v)
{
	const char *prefix = kind == KIND_TYPE ? TYPE_PREFIX : EXPR_PREFIX;
	const char *subject = kind == KIND_TYPE ? "type" : "expression";
	size_t plen = strlen(prefix), tlen = strlen(text);
	struct sbuf q = SBUF_INIT;
	int rc;

	v->ok = 1;
	v->offset = -1;
	v->text = text;
	if (all_blank(text))
		return refuse(v, 0, "empty %s", subject);
	if ((rc = sbuf_adds(&q, prefix)) || (rc = sbuf_adds(&q, text)))
		goto out;

	PgQueryParseResult pr = pgq_parse(q.buf);
	cache.parses++;
	if (pr.error) {
		/* cursorpos is 1-based in the whole statement; 0 means unknown */
		int off = pr.error->cursorpos > 0
			  ? user_offset(pr.error->cursorpos - 1, plen, tlen) : -1;
		rc = refuse(v, off, "%s", pr.error->message ? pr.error->message : "syntax error");
		pg_query_free_parse_result(pr);
		goto out;
	}
	json_object *tree = pgq_json(pr.parse_tree);
	pg_query_free_parse_result(pr);
	if (!tree) {
		/* the text was parsed, so this is the depth limit, not syntax */
		rc = refuse(v, -1, "%s nested too deeply", subject);
		goto out;
	}
	rc = kind == KIND_TYPE ? judge_type(tree, tlen, v) : judge_expr(tree, q.buf, tlen, v);
	json_object_put(tree);
	if (rc < 0)
		goto out;
	/* a statement's location includes the blanks before it: point at
	 * what the reader will recognise */
	while (!v->ok && v->offset >= 0 && (size_t)v->offset < tlen &&
	       strchr(" \t\r\n\f\v", text[v->offset]))
		v->offset++;
	rc = 0;
	if (v->ok) {
		int swallowed;
		if ((rc = ends_in_comment(prefix, text, &swallowed)))
			goto out;
		if (swallowed)
			rc = refuse(v, -1, "the %s ends in a '--' comment", subject);
	}
out:
	sbuf_release(&q);
	return rc < 0 ? rc : 0;
}

/* A text over SQLCHECK_MAX_TEXT is refused before parsing and never
 * cached: the answer is fixed, and such texts are the ones that would fill
 * the cache fastest. */
static const char too_long_type[] = "type longer than " TEXT_LIMIT " bytes";
static const char too_long_expr[] = "expression longer than " TEXT_LIMIT " bytes";

/*
 * An expression's canonical form renders its whole parse tree, some thirty
 * times the text for "1+1+...": past CANONICAL_MAX it is kept as a digest
 * of itself, which compares the same way (equal forms, equal digests) and
 * keeps an entry within a few times SQLCHECK_MAX_TEXT, so the cache holds
 * a fair number of entries at any time (SQLCHECK_STABLE_TEXTS).
 */
#define CANONICAL_MAX (2 * SQLCHECK_MAX_TEXT)

static int digest_if_long(struct sbuf *canonical)
{
	if (canonical->len <= CANONICAL_MAX)
		return 0;
	uint64_t h = strmap_hash(canonical->buf, canonical->len);
	size_t len = canonical->len;
	sbuf_reset(canonical);
	return sbuf_addf(canonical, "digest:%016" PRIx64 ":%zu", h, len);
}

static int lookup(enum check_kind kind, const char *text, struct sqlcheck_result *res)
{
	struct verdict v = { .ok = 1, .message = SBUF_INIT, .offset = -1, .canonical = SBUF_INIT,
			     .name = SBUF_INIT };
	struct entry *e = NULL;
	size_t len = strlen(text);
	int rc = 0;

	if (len > SQLCHECK_MAX_TEXT) {
		*res = (struct sqlcheck_result){ .message = kind == KIND_TYPE ? too_long_type
									   : too_long_expr,
						 .offset = SQLCHECK_MAX_TEXT };
		return 0;
	}
	/* The parse runs under the lock: each text is parsed exactly once, and
	 * libpg_query is quick enough that contention does not matter here. */
	pthread_mutex_lock(&cache.lock);
	if ((e = cache_get(kind, text, len, &rc)) || rc)
		goto found;
	if ((rc = judge(kind, text, &v)))
		goto unlock;
	if (!(e = calloc(1, sizeof(*e)))) {
		rc = REG_ENOMEM;
		goto unlock;
	}
	e->res.ok = v.ok;
	e->res.offset = v.ok ? -1 : v.offset;
	if (!v.ok && !(e->res.message = sbuf_detach(&v.message, NULL))) {
		rc = REG_ENOMEM;
		goto unlock;
	}
	if (v.ok && (rc = digest_if_long(&v.canonical)))
		goto unlock;
	if (v.ok && !(e->res.canonical = sbuf_detach(&v.canonical, NULL))) {
		rc = REG_ENOMEM;
		goto unlock;
	}
	if (v.ok && v.names.verdict != SQLCHECK_KNOWN) {
		e->res.names = v.names;
		if (!(e->res.names.name = sbuf_detach(&v.name, NULL))) {
			rc = REG_ENOMEM;
			goto unlock;
		}
	}
	e->size = ENTRY_OVERHEAD + len + (e->res.message ? strlen(e->res.message) : 0) +
		  (e->res.canonical ? strlen(e->res.canonical) : 0) +
		  (e->res.names.name ? strlen(e->res.names.name) : 0);
	if ((rc = cache_put(kind, text, len, e)))
		goto unlock;
found:
	if (e)
		*res = e->res;
	e = NULL;
unlock:
	pthread_mutex_unlock(&cache.lock);
	entry_free(e);
	sbuf_release(&v.message);
	sbuf_release(&v.canonical);
	sbuf_release(&v.name);
	return rc;
}

int sqlcheck_type(const char *type_text, struct sqlcheck_result *res)
{
	return lookup(KIND_TYPE, type_text, res);
}

int sqlcheck_expr(const char *expr_text, struct sqlcheck_result *res)
{
	return lookup(KIND_EXPR, expr_text, res);
}

const char *sqlcheck_type_base(const char *canonical, char *buf, size_t n)
{
	size_t o = 0;
	int depth = 0;
	if (!n)
		return buf;
	for (const char *p = canonical; *p && o + 1 < n; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (!depth)
			buf[o++] = *p;
	}
	buf[o] = '\0';
	return buf;
}

unsigned long sqlcheck_parse_count(void)
{
	pthread_mutex_lock(&cache.lock);
	unsigned long n = cache.parses;
	pthread_mutex_unlock(&cache.lock);
	return n;
}

void sqlcheck_cache_size(size_t *entries, size_t *bytes)
{
	pthread_mutex_lock(&cache.lock);
	*entries = cache.gen[0].entries + cache.gen[1].entries;
	*bytes = cache.gen[0].bytes + cache.gen[1].bytes;
	pthread_mutex_unlock(&cache.lock);
}

void sqlcheck_cleanup(void)
{
	pthread_mutex_lock(&cache.lock);
	generation_release(&cache.gen[0]);
	generation_release(&cache.gen[1]);
	pthread_mutex_unlock(&cache.lock);
	/* Not pg_query_exit(): libpg_query 15 cannot re-initialise a thread
	 * after it, so a later parse would use freed memory. Its per-thread
	 * context stays reachable and is released when the thread exits. */
}
