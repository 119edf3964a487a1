#include "plan.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph.h"
#include "jsonw.h"
#include "pgq.h"
#include "render.h"
#include "sqlcheck.h"
#include "sqlscript.h"

/* ---- the live database ---- */

static void *grow(void *p, size_t *alloc, size_t need, size_t size)
{
	if (need <= *alloc)
		return p;
	size_t n = *alloc ? *alloc * 2 : 8;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (q)
		*alloc = n;
	return q;
}

/* Arrays in the live model grow one by one; keeping the capacity next to
 * each would clutter the public structs, so capacity is the next power of
 * two of the count (the same sequence grow() produces). */
static void *push(void *p, size_t n, size_t size)
{
	size_t cap = 0;
	if (n) {
		cap = 8;
		while (cap < n)
			cap *= 2;
	}
	if (n < cap)
		return p;
	return grow(p, &cap, n + 1, size);
}

/* Element n of the array whose address is arrp (a T ** passed as void *),
 * zeroed, with room made for it; NULL when out of memory, the array then
 * unchanged. The caller fills it, then counts it. */
static void *push_zeroed(void *arrp, size_t n, size_t size)
{
	char *arr;
	memcpy(&arr, arrp, sizeof(arr));
	if (!(arr = push(arr, n, size)))
		return NULL;
	memcpy(arrp, &arr, sizeof(arr));
	memset(arr + n * size, 0, size);
	return arr + n * size;
}

static char *dup_or_null(const char *s, bool *fail)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*fail = true;
	return d;
}

struct plan_live_table *plan_live_add_table(struct plan_live *l, const char *name)
{
	struct plan_live_table *t = push_zeroed(&l->tables, l->n, sizeof(*t));
	if (!t || !(t->name = strdup(name)))
		return NULL;
	t->rows = -1;
	l->n++;
	return t;
}

struct plan_live_column *plan_live_add_column(struct plan_live_table *t, const char *name,
					      const char *type, const char *default_expr,
					      bool not_null)
{
	struct plan_live_column *c = push_zeroed(&t->columns, t->ncolumns, sizeof(*c));
	bool fail = false;
	if (!c)
		return NULL;
	c->name = dup_or_null(name, &fail);
	c->type = dup_or_null(type, &fail);
	c->default_expr = dup_or_null(default_expr, &fail);
	c->not_null = not_null;
	if (fail || !c->name || !c->type) {
		free(c->name);
		free(c->type);
		free(c->default_expr);
		return NULL;
	}
	t->ncolumns++;
	return c;
}

struct plan_live_constraint *plan_live_add_constraint(struct plan_live_table *t,
						      const char *name,
						      enum plan_con_kind kind)
{
	struct plan_live_constraint *c = push_zeroed(&t->cons, t->ncons, sizeof(*c));
	if (!c || !(c->name = strdup(name)))
		return NULL;
	c->kind = kind;
	t->ncons++;
	return c;
}

struct plan_live_index *plan_live_add_index(struct plan_live_table *t, const char *name)
{
	struct plan_live_index *x = push_zeroed(&t->indexes, t->nindexes, sizeof(*x));
	if (!x || !(x->name = strdup(name)))
		return NULL;
	t->nindexes++;
	return x;
}

int plan_live_add_created(struct plan_live *l, const char *name)
{
	char **n = push_zeroed(&l->created, l->ncreated, sizeof(*n));
	if (!n || !(*n = strdup(name)))
		return REG_ENOMEM;
	l->ncreated++;
	return 0;
}

static int cmp_table(const void *a, const void *b)
{
	return strcmp(((const struct plan_live_table *)a)->name,
		      ((const struct plan_live_table *)b)->name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void plan_live_sort(struct plan_live *l)
{
	if (l->n > 1)
		qsort(l->tables, l->n, sizeof(*l->tables), cmp_table);
	if (l->ncreated > 1)
		qsort(l->created, l->ncreated, sizeof(*l->created), cmp_str);
}

struct plan_live_table *plan_live_find(const struct plan_live *l, const char *name)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->tables[mid].name, name);
		if (!c)
			return &l->tables[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool plan_live_created(const struct plan_live *l, const char *name)
{
	return l->ncreated &&
	       bsearch(&name, l->created, l->ncreated, sizeof(*l->created), cmp_str) != NULL;
}

static void live_table_release(struct plan_live_table *t)
{
	for (size_t i = 0; i < t->ncolumns; i++) {
		free(t->columns[i].name);
		free(t->columns[i].type);
		free(t->columns[i].default_expr);
	}
	for (size_t i = 0; i < t->ncons; i++) {
		free(t->cons[i].name);
		free(t->cons[i].ref_table);
		reg_strlist_release(&t->cons[i].columns);
		reg_strlist_release(&t->cons[i].ref_columns);
	}
	for (size_t i = 0; i < t->nindexes; i++) {
		free(t->indexes[i].name);
		reg_strlist_release(&t->indexes[i].columns);
	}
	free(t->columns);
	free(t->cons);
	free(t->indexes);
	free(t->name);
}

void plan_live_release(struct plan_live *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		live_table_release(&l->tables[i]);
	for (size_t i = 0; i < l->ncreated; i++)
		free(l->created[i]);
	free(l->tables);
	free(l->created);
	memset(l, 0, sizeof(*l));
}

/* ---- pending scripts ---- */

int plan_pending_add(struct plan_pending *p, const char *table, const char *file,
		     const char *text, size_t len)
{
	struct plan_script *s = push_zeroed(&p->items, p->n, sizeof(*s));
	if (!s)
		return REG_ENOMEM;
	s->table = strdup(table);
	s->file = strdup(file);
	s->text = malloc(len + 1);
	s->len = len;
	if (!s->table || !s->file || !s->text) {
		free(s->table);
		free(s->file);
		free(s->text);
		return REG_ENOMEM;
	}
	memcpy(s->text, text, len);
	s->text[len] = 0;
	p->n++;
	return 0;
}

const struct plan_script *plan_pending_find(const struct plan_pending *p, const char *table)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (!strcmp(p->items[i].table, table))
			return &p->items[i];
	return NULL;
}

void plan_pending_release(struct plan_pending *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].table);
		free(p->items[i].file);
		free(p->items[i].text);
	}
	free(p->items);
	memset(p, 0, sizeof(*p));
}

/* ---- canonical forms ---- */

char *plan_canonical_type(const char *type_text)
{
	struct sqlcheck_result r;
	if (!type_text || sqlcheck_type(type_text, &r) || !r.ok || !r.canonical)
		return NULL;
	return strdup(r.canonical);
}

/* The value of an A_Const as text: 1, '1' and '1'::int all become "1",
 * since PostgreSQL prints stored defaults with casts the user never wrote.
 * A length prefix keeps 'a,b' from looking like two things. Integers are
 * read back from the source: libpg_query 15-4.0.0 prints every negative
 * integer constant as {} (as if it were 0). */
static int const_text(json_object *c, const char *src, struct sbuf *out)
{
	json_object *v;
	const char *t = NULL;
	char num[32];
	if (pgq_get(c, "isnull")) {
		t = "NULL";
	} else if ((v = pgq_get(c, "ival"))) {
		json_object *loc = pgq_get(c, "location");
		long long x = json_object_get_int64(pgq_get(v, "ival"));
		if (loc && json_object_get_int64(loc) >= 0 &&
		    (size_t)json_object_get_int64(loc) < strlen(src)) {
			const char *p = src + json_object_get_int64(loc);
			bool neg = *p == '-';
			if (neg)
				p++;
			while (isspace((unsigned char)*p))
				p++;
			if (isdigit((unsigned char)*p))
				x = strtoll(p, NULL, 10) * (neg ? -1 : 1);
		}
		snprintf(num, sizeof(num), "%lld", x);
		t = num;
	} else if ((v = pgq_get(c, "fval"))) {
		t = json_object_get_string(pgq_get(v, "fval"));
	} else if ((v = pgq_get(c, "boolval"))) {
		t = json_object_get_boolean(pgq_get(v, "boolval")) ? "true" : "false";
	} else if ((v = pgq_get(c, "sval"))) {
		t = json_object_get_string(pgq_get(v, "sval"));
	} else if ((v = pgq_get(c, "bsval"))) {
		t = json_object_get_string(pgq_get(v, "bsval"));
	}
	if (!t)
		t = "";
	return sbuf_addf(out, "C%zu:%s", strlen(t), t);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A deterministic rendering of a parse tree without locations, with casts
 * of constants reduced to the constant. */
static int canon_node(json_object *o, const char *src, struct sbuf *out)
{
	int rc = 0;
	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object *c;
		if ((c = pgq_get(o, "A_Const")))
			return const_text(c, src, out);
		if ((c = pgq_get(o, "TypeCast")) && pgq_get(pgq_get(c, "arg"), "A_Const"))
			return canon_node(pgq_get(c, "arg"), src, out);
		size_t n = (size_t)json_object_object_length(o), k = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys)
			return REG_ENOMEM;
		json_object_object_foreach(o, key, val) {
			(void)val;
			if (strcmp(key, "location"))
				keys[k++] = key;
		}
		qsort(keys, k, sizeof(*keys), key_cmp);
		rc = sbuf_addch(out, '{');
		for (size_t i = 0; i < k && !rc; i++) {
			rc = sbuf_addf(out, "%s:", keys[i]);
			if (!rc)
				rc = canon_node(pgq_get(o, keys[i]), src, out);
			if (!rc)
				rc = sbuf_addch(out, ',');
		}
		free(keys);
		return rc ?: sbuf_addch(out, '}');
	}
	case json_type_array:
		rc = sbuf_addch(out, '[');
		for (size_t i = 0; i < json_object_array_length(o) && !rc; i++) {
			rc = canon_node(json_object_array_get_idx(o, i), src, out);
			if (!rc)
				rc = sbuf_addch(out, ',');
		}
		return rc ?: sbuf_addch(out, ']');
	case json_type_string: {
		const char *str = json_object_get_string(o);
		return jsonw_quote(out, str, strlen(str));
	}
	case json_type_null:
		return sbuf_adds(out, "null");
	default:
		return sbuf_adds(out, json_object_get_string(o));
	}
}

char *plan_canonical_default(const char *expr_text)
{
	struct sqlcheck_result r;
	struct sbuf q = SBUF_INIT, out = SBUF_INIT;
	char *ret = NULL;
	if (!expr_text || sqlcheck_expr(expr_text, &r) || !r.ok)
		return NULL;
	if (sbuf_addf(&q, "SELECT %s", expr_text))
		return NULL;
	PgQueryParseResult pr = pgq_parse(q.buf);
	json_object *tree = NULL;
	if (pr.error || !(tree = pgq_json(pr.parse_tree)))
		goto out;
	json_object *stmts = pgq_get(tree, "stmts");
	json_object *sel = pgq_get(
	    pgq_get(stmts ? json_object_array_get_idx(stmts, 0) : NULL, "stmt"), "SelectStmt");
	json_object *tl = pgq_get(sel, "targetList");
	json_object *val =
	    pgq_get(pgq_get(tl ? json_object_array_get_idx(tl, 0) : NULL, "ResTarget"), "val");
	if (val && !canon_node(val, q.buf, &out))
		ret = sbuf_detach(&out, NULL);
out:
	json_object_put(tree);
	pg_query_free_parse_result(pr);
	sbuf_release(&q);
	sbuf_release(&out);
	return ret;
}

/* Canonical defaults are compared for every column of every table; most
 * texts repeat (CURRENT_TIMESTAMP, 0, true), so each is parsed once per
 * plan. A small open-addressing table, text -> canonical (NULL = invalid). */
struct canon_cache {
	struct {
		char *text;
		char *canon;
	} *slots;
	size_t n, cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int cache_get(struct canon_cache *c, const char *text, const char **out)
{
	if (c->n * 2 >= c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 64;
		__typeof__(c->slots) ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return REG_ENOMEM;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->slots[i].text)
				continue;
			size_t j = hash_str(c->slots[i].text) & (ncap - 1);
			while (ns[j].text)
				j = (j + 1) & (ncap - 1);
			ns[j] = c->slots[i];
		}
		free(c->slots);
		c->slots = ns;
		c->cap = ncap;
	}
	size_t j = hash_str(text) & (c->cap - 1);
	while (c->slots[j].text) {
		if (!strcmp(c->slots[j].text, text)) {
			*out = c->slots[j].canon;
			return 0;
		}
		j = (j + 1) & (c->cap - 1);
	}
	if (!(c->slots[j].text = strdup(text)))
		return REG_ENOMEM;
	c->slots[j].canon = plan_canonical_default(text);
	c->n++;
	*out = c->slots[j].canon;
	return 0;
}

static void cache_release(struct canon_cache *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		free(c->slots[i].text);
		free(c->slots[i].canon);
	}
	free(c->slots);
}

/* ---- steps ---- */

static const char *const kind_names[] = {
	[PLAN_DROP_FK] = "drop foreign key",
	[PLAN_PENDING] = "pending script",
	[PLAN_CREATE_TABLE] = "create table",
	[PLAN_DROP_INDEX] = "drop index",
	[PLAN_DROP_CONSTRAINT] = "drop constraint",
	[PLAN_ADD_COLUMN] = "add column",
	[PLAN_ALTER_TYPE] = "alter column type",
	[PLAN_SET_DEFAULT] = "set default",
	[PLAN_DROP_DEFAULT] = "drop default",
	[PLAN_SET_NOT_NULL] = "set not null",
	[PLAN_DROP_NOT_NULL] = "drop not null",
	[PLAN_DROP_COLUMN] = "drop column",
	[PLAN_ADD_PRIMARY] = "add primary key",
	[PLAN_ADD_UNIQUE] = "add unique",
	[PLAN_CREATE_INDEX] = "create index",
	[PLAN_ADD_FK] = "add foreign key",
	[PLAN_DROP_TABLE] = "drop table",
};

const char *plan_step_kind_name(enum plan_step_kind k)
{
	if ((size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) && kind_names[k])
		return kind_names[k];
	return "step";
}

bool plan_reserved_table(const char *name)
{
	return !strcmp(name, "schemafs_migrations") || !strcmp(name, "schemafs_tables");
}

struct steps {
	struct plan_step *v;
	size_t n, alloc;
};

/* Everything one plan_build needs. */
struct builder {
	const struct plan_input *in;
	struct diags *diags;
	struct canon_cache cache;
	struct steps phase[4]; /* drop fks, tables, add fks, drop tables */
	struct sbuf sql;       /* the statement being built */
	int err;
};

static void step_release(struct plan_step *s)
{
	free(s->schema);
	free(s->service);
	for (size_t i = 0; i < s->ndeps; i++)
		free(s->deps[i]);
	free(s->deps);
	free(s->sql);
	free(s->what);
}

/* The tables s references, other than itself: sorted, unique. */
static int step_deps(struct plan_step *st, const struct reg_schema *s)
{
	if (!s || !s->nrefs)
		return 0;
	st->deps = calloc(s->nrefs, sizeof(*st->deps));
	if (!st->deps)
		return REG_ENOMEM;
	for (size_t i = 0; i < s->nrefs; i++) {
		const char *d = s->refs[i].schema;
		bool seen = !d || !strcmp(d, s->name);
		for (size_t j = 0; j < st->ndeps && !seen; j++)
			seen = !strcmp(st->deps[j], d);
		if (seen)
			continue;
		if (!(st->deps[st->ndeps] = strdup(d)))
			return REG_ENOMEM;
		st->ndeps++;
	}
	qsort(st->deps, st->ndeps, sizeof(*st->deps), cmp_str);
	return 0;
}

/* Appends a step to phase ph with the statement in b->sql (consumed). */
static void add_step(struct builder *b, int ph, enum plan_step_kind kind, const char *table,
		     const struct reg_schema *s, bool destructive, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static void add_step(struct builder *b, int ph, enum plan_step_kind kind, const char *table,
		     const struct reg_schema *s, bool destructive, const char *fmt, ...)
{
	struct steps *sv = &b->phase[ph];
	struct sbuf what = SBUF_INIT;
	va_list ap;
	if (b->err)
		goto out;
	struct plan_step *v = grow(sv->v, &sv->alloc, sv->n + 1, sizeof(*v));
	if (!v) {
		b->err = REG_ENOMEM;
		goto out;
	}
	sv->v = v;
	struct plan_step *st = &sv->v[sv->n];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->destructive = destructive;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(&what, fmt, ap);
	va_end(ap);
	st->schema = strdup(table);
	st->service = strdup(s && s->owner ? s->owner : "");
	st->sql = sbuf_detach(&b->sql, NULL);
	st->what = rc ? NULL : sbuf_detach(&what, NULL);
	if (!st->schema || !st->service || !st->sql || !st->what || step_deps(st, s)) {
		step_release(st);
		b->err = REG_ENOMEM;
		goto out;
	}
	sv->n++;
out:
	sbuf_release(&what);
	sbuf_reset(&b->sql);
}

/* Quoted identifier appended to b->sql. */
static void qi(struct builder *b, const char *name)
{
	if (b->err)
		return;
	char *q = b->in->quote->ident(b->in->quote->ctx, name);
	if (!q) {
		b->err = REG_ENOMEM;
		return;
	}
	if (sbuf_adds(&b->sql, q))
		b->err = REG_ENOMEM;
	free(q);
}

static void sq(struct builder *b, const char *text)
{
	if (!b->err && sbuf_adds(&b->sql, text))
		b->err = REG_ENOMEM;
}

/* "("a", "b")" */
static void qlist(struct builder *b, char *const *names, size_t n)
{
	sq(b, "(");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sq(b, ", ");
		qi(b, names[i]);
	}
	sq(b, ")");
}

static void alter(struct builder *b, const char *table)
{
	sq(b, "ALTER TABLE ");
	qi(b, table);
	sq(b, " ");
}

/* "ALTER TABLE table ALTER COLUMN column " */
static void alter_column(struct builder *b, const char *table, const char *column)
{
	alter(b, table);
	sq(b, "ALTER COLUMN ");
	qi(b, column);
	sq(b, " ");
}

static char *schema_file(const struct reg_schema *s, const char *name)
{
	struct sbuf f = SBUF_INIT;
	if (s && s->file)
		return strdup(s->file);
	if (sbuf_addf(&f, "schemas/%s.yaml", name))
		return NULL;
	return sbuf_detach(&f, NULL);
}

static void diag(struct builder *b, const struct reg_schema *s, const char *table,
		 struct reg_loc loc, enum diag_severity sev, struct sbuf *msg)
{
	char *file = NULL;
	if (b->err)
		goto out;
	if (!msg->len || !(file = schema_file(s, table))) {
		b->err = REG_ENOMEM;
		goto out;
	}
	if (diags_add(b->diags, file, loc, sev, "%s", msg->buf))
		b->err = REG_ENOMEM;
out:
	free(file);
	sbuf_release(msg);
}

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

/* Every type and default of s, checked by the parser before it may appear
 * in DDL. Returns false (with errors) when something must not be spliced. */
static bool columns_spliceable(struct builder *b, const struct reg_schema *s)
{
	bool ok = true;
	for (size_t i = 0; i < s->ncolumns && !b->err; i++) {
		const struct reg_column *c = &s->columns[i];
		struct sqlcheck_result r;
		struct sbuf msg = SBUF_INIT;
		if (!c->type || sqlcheck_type(c->type, &r)) {
			b->err = c->type ? REG_ENOMEM : 0;
			ok = false;
			continue;
		}
		if (!r.ok) {
			ok = false;
			if (!sbuf_addf(&msg,
				       "type '%s' of column '%s' is not a valid PostgreSQL type "
				       "(%s); no DDL is generated for '%s'",
				       c->type, c->name, r.message ? r.message : "refused",
				       s->name))
				diag(b, s, s->name, c->type_loc, DIAG_ERROR, &msg);
			else
				b->err = REG_ENOMEM;
		}
		if (!c->default_expr)
			continue;
		if (sqlcheck_expr(c->default_expr, &r)) {
			b->err = REG_ENOMEM;
			continue;
		}
		if (!r.ok) {
			ok = false;
			if (!sbuf_addf(&msg,
				       "default '%s' of column '%s' is not a valid PostgreSQL "
				       "expression (%s); no DDL is generated for '%s'",
				       c->default_expr, c->name, r.message ? r.message : "refused",
				       s->name))
				diag(b, s, s->name, c->default_loc, DIAG_ERROR, &msg);
			else
				b->err = REG_ENOMEM;
		}
	}
	return ok && !b->err;
}

/* "name" TYPE [DEFAULT expr] [NOT NULL] */
static void column_def(struct builder *b, const struct reg_column *c)
{
	qi(b, c->name);
	sq(b, " ");
	sq(b, c->type);
	if (c->default_expr) {
		/* DEFAULT takes a restricted expression (b_expr): "now() AT TIME
		 * ZONE 'utc'" or "a AND b" would not parse, and a final COLLATE
		 * would become the column's. sqlcheck proved the text one whole
		 * expression, so in parentheses it is one here too. */
		sq(b, " DEFAULT (");
		sq(b, c->default_expr);
		sq(b, ")");
	}
	if (!c->nullable && !c->primary_key)
		sq(b, " NOT NULL");
}

static size_t pk_columns(const struct reg_schema *s, char **out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].primary_key)
			out[n++] = s->columns[i].name;
	return n;
}

static void create_index(struct builder *b, const struct reg_schema *s, const struct reg_index *x)
{
	sq(b, x->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
	qi(b, x->name);
	sq(b, " ON ");
	qi(b, s->name);
	sq(b, " ");
	qlist(b, x->columns.items, x->columns.n);
	sq(b, ";");
	add_step(b, 1, PLAN_CREATE_INDEX, s->name, s, false, "create index '%s'", x->name);
}

static void create_table(struct builder *b, const struct reg_schema *s)
{
	char **pk = calloc(s->ncolumns + 1, sizeof(*pk));
	if (!pk) {
		b->err = REG_ENOMEM;
		return;
	}
	sq(b, "CREATE TABLE ");
	qi(b, s->name);
	sq(b, " (");
	for (size_t i = 0; i < s->ncolumns; i++) {
		sq(b, i ? ",\n    " : "\n    ");
		column_def(b, &s->columns[i]);
	}
	size_t npk = pk_columns(s, pk);
	if (npk) {
		sq(b, ",\n    PRIMARY KEY ");
		qlist(b, pk, npk);
	}
	for (size_t i = 0; i < s->ncolumns; i++) {
		if (!s->columns[i].unique || (npk == 1 && s->columns[i].primary_key))
			continue;
		sq(b, ",\n    UNIQUE ");
		qlist(b, &s->columns[i].name, 1);
	}
	sq(b, "\n);");
	free(pk);
	add_step(b, 1, PLAN_CREATE_TABLE, s->name, s, false, "create table '%s'", s->name);
	for (size_t i = 0; i < s->nindexes; i++)
		create_index(b, s, &s->indexes[i]);
}

static bool strlist_eq(const struct reg_strlist *a, char *const *b, size_t nb)
{
	if (a->n != nb)
		return false;
	for (size_t i = 0; i < nb; i++)
		if (strcmp(a->items[i], b[i]))
			return false;
	return true;
}

static bool fk_matches(const struct reg_reference *r, const struct plan_live_constraint *c)
{
	return c->kind == PLAN_CON_FOREIGN && c->ref_table && r->schema &&
	       !strcmp(c->ref_table, r->schema) &&
	       strlist_eq(&c->columns, r->foreign_keys.items, r->foreign_keys.n) &&
	       strlist_eq(&c->ref_columns, r->columns.items, r->columns.n) &&
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
	       strlist_eq(&d->columns, x->columns.items, x->columns.n);
}

static const char *type_canon(struct builder *b, const char *text, char *buf, size_t n)
{
	struct sqlcheck_result r;
	if (sqlcheck_type(text, &r)) {
		b->err = REG_ENOMEM;
		return NULL;
	}
	if (!r.ok || !r.canonical)
		return NULL;
	snprintf(buf, n, "%s", r.canonical);
	return buf;
}

static const char *default_canon(struct builder *b, const char *text)
{
	const char *c = NULL;
	if (text && cache_get(&b->cache, text, &c))
		b->err = REG_ENOMEM;
	return c;
}

static void lint(struct builder *b, const struct reg_schema *s, struct reg_loc loc, int rc,
		 struct sbuf *msg)
{
	if (rc) {
		b->err = REG_ENOMEM;
		sbuf_release(msg);
		return;
	}
	diag(b, s, s->name, loc, DIAG_WARNING, msg);
}

static void diff_column(struct builder *b, const struct reg_schema *s,
			const struct plan_live_table *t, const struct reg_column *c)
{
	const struct plan_live_column *lc = live_column(t, c->name);
	struct sbuf msg = SBUF_INIT;
	struct reg_loc at = c->loc;
	if (!lc) {
		alter(b, s->name);
		sq(b, "ADD COLUMN ");
		column_def(b, c);
		sq(b, ";");
		add_step(b, 1, PLAN_ADD_COLUMN, s->name, s, false, "add column '%s'", c->name);
		if (declared_not_null(c) && !c->default_expr && !is_serial(c->type))
			lint(b, s, at, sqlscript_lint_not_null_no_default(&msg, s->name, c->name),
			     &msg);
		return;
	}
	char dbuf[256], lbuf[256];
	const char *dt = type_canon(b, c->type, dbuf, sizeof(dbuf));
	const char *lt = type_canon(b, lc->type, lbuf, sizeof(lbuf));
	if (dt && (!lt || strcmp(dt, lt))) {
		alter_column(b, s->name, c->name);
		sq(b, "TYPE ");
		sq(b, c->type);
		sq(b, ";");
		add_step(b, 1, PLAN_ALTER_TYPE, s->name, s, false,
			 "change type of '%s' from %s to %s", c->name, lc->type, c->type);
		lint(b, s, c->type_loc.line ? c->type_loc : at,
		     sqlscript_lint_type_change(&msg, s->name, c->name), &msg);
	}
	bool serial_default = is_serial(c->type) && !c->default_expr && lc->default_expr &&
			      !strncmp(lc->default_expr, "nextval(", 8);
	if (!serial_default) {
		const char *dd = default_canon(b, c->default_expr);
		const char *ld = default_canon(b, lc->default_expr);
		bool same = (!c->default_expr && !lc->default_expr) ||
			    (c->default_expr && lc->default_expr && dd && ld && !strcmp(dd, ld));
		if (!same && c->default_expr) {
			alter_column(b, s->name, c->name);
			sq(b, "SET DEFAULT ");
			sq(b, c->default_expr);
			sq(b, ";");
			add_step(b, 1, PLAN_SET_DEFAULT, s->name, s, false, "set default of '%s'",
				 c->name);
		} else if (!same) {
			alter_column(b, s->name, c->name);
			sq(b, "DROP DEFAULT;");
			add_step(b, 1, PLAN_DROP_DEFAULT, s->name, s, false, "drop default of '%s'",
				 c->name);
		}
	}
	if (declared_not_null(c) != lc->not_null) {
		if (declared_not_null(c)) {
			alter_column(b, s->name, c->name);
			sq(b, "SET NOT NULL;");
			add_step(b, 1, PLAN_SET_NOT_NULL, s->name, s, false, "set not null on '%s'",
				 c->name);
			lint(b, s, c->nullable_loc.line ? c->nullable_loc : at,
			     sqlscript_lint_set_not_null(&msg, s->name, c->name), &msg);
		} else {
			alter_column(b, s->name, c->name);
			sq(b, "DROP NOT NULL;");
			add_step(b, 1, PLAN_DROP_NOT_NULL, s->name, s, false,
				 "drop not null on '%s'", c->name);
		}
	}
}

static void diff_table(struct builder *b, const struct reg_schema *s,
		       const struct plan_live_table *t)
{
	struct sbuf msg = SBUF_INIT;
	char **pk = calloc(s->ncolumns + 1, sizeof(*pk));
	if (!pk) {
		b->err = REG_ENOMEM;
		return;
	}
	size_t npk = pk_columns(s, pk);

	/* indexes that go or change */
	for (size_t i = 0; i < t->nindexes; i++) {
		const struct plan_live_index *x = &t->indexes[i];
		if (x->backs_constraint)
			continue;
		const struct reg_index *d = declared_index(s, x->name);
		if (d && index_matches(d, x))
			continue;
		sq(b, "DROP INDEX ");
		qi(b, x->name);
		sq(b, ";");
		add_step(b, 1, PLAN_DROP_INDEX, s->name, s, false, "drop index '%s'", x->name);
	}
	/* keys that go or change */
	bool pk_same = false;
	for (size_t i = 0; i < t->ncons; i++) {
		const struct plan_live_constraint *c = &t->cons[i];
		bool keep;
		if (c->kind == PLAN_CON_PRIMARY)
			keep = pk_same = strlist_eq(&c->columns, pk, npk);
		else if (c->kind == PLAN_CON_UNIQUE)
			keep = declared_unique(s, c, npk);
		else
			continue;
		if (keep)
			continue;
		alter(b, s->name);
		sq(b, "DROP CONSTRAINT ");
		qi(b, c->name);
		sq(b, ";");
		add_step(b, 1, PLAN_DROP_CONSTRAINT, s->name, s, false, "drop %s '%s'",
			 c->kind == PLAN_CON_PRIMARY ? "primary key" : "unique constraint",
			 c->name);
	}
	for (size_t i = 0; i < s->ncolumns && !b->err; i++)
		diff_column(b, s, t, &s->columns[i]);
	for (size_t i = 0; i < t->ncolumns && !b->err; i++) {
		const char *name = t->columns[i].name;
		if (reg_schema_column(s, name))
			continue;
		alter(b, s->name);
		sq(b, "DROP COLUMN ");
		qi(b, name);
		sq(b, ";");
		add_step(b, 1, PLAN_DROP_COLUMN, s->name, s, true, "drop column '%s'", name);
		lint(b, s, s->columns_loc, sqlscript_lint_drop_column(&msg, s->name, name), &msg);
	}
	if (npk && !pk_same) {
		alter(b, s->name);
		sq(b, "ADD PRIMARY KEY ");
		qlist(b, pk, npk);
		sq(b, ";");
		add_step(b, 1, PLAN_ADD_PRIMARY, s->name, s, false, "add primary key");
	}
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		if (!c->unique || (npk == 1 && c->primary_key) || live_unique_on(t, c->name))
			continue;
		alter(b, s->name);
		sq(b, "ADD UNIQUE ");
		qlist(b, &s->columns[i].name, 1);
		sq(b, ";");
		add_step(b, 1, PLAN_ADD_UNIQUE, s->name, s, false, "add unique on '%s'", c->name);
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
		create_index(b, s, d);
		lint(b, s, d->name_loc.line ? d->name_loc : d->loc,
		     sqlscript_lint_index(&msg, d->name, s->name), &msg);
	}
	free(pk);
}

static void add_fk(struct builder *b, const struct reg_schema *s, const struct reg_reference *r,
		   bool lint_it)
{
	alter(b, s->name);
	sq(b, "ADD FOREIGN KEY ");
	qlist(b, r->foreign_keys.items, r->foreign_keys.n);
	sq(b, " REFERENCES ");
	qi(b, r->schema);
	sq(b, " ");
	qlist(b, r->columns.items, r->columns.n);
	if (r->on_delete != REG_FK_NO_ACTION) {
		sq(b, " ON DELETE ");
		sq(b, reg_fk_action_sql(r->on_delete));
	}
	if (r->on_update != REG_FK_NO_ACTION) {
		sq(b, " ON UPDATE ");
		sq(b, reg_fk_action_sql(r->on_update));
	}
	sq(b, ";");
	add_step(b, 2, PLAN_ADD_FK, s->name, s, false, "add foreign key to '%s'", r->schema);
	if (lint_it) {
		struct sbuf msg = SBUF_INIT;
		lint(b, s, r->loc, sqlscript_lint_fk(&msg, s->name, r->schema), &msg);
	}
}

static void drop_fk(struct builder *b, const struct reg_schema *s, const char *table,
		    const struct plan_live_constraint *c)
{
	alter(b, table);
	sq(b, "DROP CONSTRAINT ");
	qi(b, c->name);
	sq(b, ";");
	add_step(b, 0, PLAN_DROP_FK, table, s, false, "drop foreign key '%s'", c->name);
}

static bool in_scope(const struct plan_input *in, const char *name)
{
	if (!in->only)
		return true;
	for (size_t i = 0; i < in->nonly; i++)
		if (!strcmp(in->only[i], name))
			return true;
	return false;
}

static bool live_exists(void *ctx, const char *table)
{
	return plan_live_find(ctx, table) != NULL;
}

static void pending_step(struct builder *b, const struct reg_schema *s,
			 const struct plan_script *ps)
{
	struct sqlscript_env env = { live_exists, (void *)b->in->live };
	if (sqlscript_check(ps->text, ps->len, ps->file, &env, NULL, b->diags)) {
		b->err = REG_ENOMEM;
		return;
	}
	sq(b, ps->text);
	add_step(b, 1, PLAN_PENDING, s->name, s, false, "%s", ps->file);
}

static void plan_schema(struct builder *b, const struct reg_schema *s)
{
	const struct plan_live_table *t = plan_live_find(b->in->live, s->name);
	const struct plan_script *ps = plan_pending_find(b->in->pending, s->name);
	struct sbuf msg = SBUF_INIT;

	if (plan_reserved_table(s->name)) {
		if (!sbuf_addf(&msg, "table name '%s' is reserved for schemafs's migration history",
			       s->name))
			diag(b, s, s->name, s->name_loc, DIAG_ERROR, &msg);
		else
			b->err = REG_ENOMEM;
		return;
	}
	if (ps) {
		pending_step(b, s, ps);
		return;
	}
	if (!columns_spliceable(b, s))
		return;
	if (!t) {
		create_table(b, s);
		for (size_t i = 0; i < s->nrefs; i++)
			add_fk(b, s, &s->refs[i], false);
		return;
	}
	for (size_t i = 0; i < t->ncons; i++) {
		const struct plan_live_constraint *c = &t->cons[i];
		bool keep = false;
		if (c->kind != PLAN_CON_FOREIGN)
			continue;
		for (size_t j = 0; j < s->nrefs && !keep; j++)
			keep = fk_matches(&s->refs[j], c);
		if (!keep)
			drop_fk(b, s, s->name, c);
	}
	diff_table(b, s, t);
	for (size_t j = 0; j < s->nrefs; j++) {
		bool live = false;
		for (size_t i = 0; i < t->ncons && !live; i++)
			live = fk_matches(&s->refs[j], &t->cons[i]);
		if (!live)
			add_fk(b, s, &s->refs[j],
			       plan_live_find(b->in->live, s->refs[j].schema) != NULL);
	}
}

static void drop_table(struct builder *b, const struct plan_live_table *t)
{
	struct sbuf msg = SBUF_INIT;
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == PLAN_CON_FOREIGN)
			drop_fk(b, NULL, t->name, &t->cons[i]);
	sq(b, "DROP TABLE ");
	qi(b, t->name);
	sq(b, ";");
	add_step(b, 3, PLAN_DROP_TABLE, t->name, NULL, true, "drop table '%s'", t->name);
	if (b->err)
		return;
	if (sqlscript_lint_drop_table(&msg, t->name)) {
		b->err = REG_ENOMEM;
		sbuf_release(&msg);
		return;
	}
	diag(b, NULL, t->name, (struct reg_loc){ 0, 0 }, DIAG_WARNING, &msg);
}

static int add_name(char ***v, size_t *n, const char *name)
{
	if (*n && !strcmp((*v)[*n - 1], name))
		return 0;
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return REG_ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(name)))
		return REG_ENOMEM;
	(*n)++;
	return 0;
}

static void sort_unique(char **v, size_t *n)
{
	if (*n < 2)
		return;
	qsort(v, *n, sizeof(*v), cmp_str);
	size_t w = 1;
	for (size_t i = 1; i < *n; i++) {
		if (!strcmp(v[w - 1], v[i]))
			free(v[i]);
		else
			v[w++] = v[i];
	}
	*n = w;
}

static int finish(struct builder *b, struct plan *out)
{
	size_t total = 0;
	for (int ph = 0; ph < 4; ph++)
		total += b->phase[ph].n;
	out->steps = calloc(total ? total : 1, sizeof(*out->steps));
	if (!out->steps)
		return REG_ENOMEM;
	for (int ph = 0; ph < 4; ph++) {
		if (!b->phase[ph].n)
			continue;
		memcpy(out->steps + out->n, b->phase[ph].v, b->phase[ph].n * sizeof(*out->steps));
		out->n += b->phase[ph].n;
		free(b->phase[ph].v);
		b->phase[ph] = (struct steps){ 0 };
	}
	for (size_t i = 0; i < out->n; i++) {
		const struct plan_step *st = &out->steps[i];
		if (add_name(&out->touched, &out->ntouched, st->schema))
			return REG_ENOMEM;
		if ((st->kind == PLAN_CREATE_TABLE ||
		     (st->kind == PLAN_PENDING && !plan_live_find(b->in->live, st->schema))) &&
		    add_name(&out->created, &out->ncreated, st->schema))
			return REG_ENOMEM;
		if (st->kind == PLAN_DROP_TABLE &&
		    add_name(&out->dropped, &out->ndropped, st->schema))
			return REG_ENOMEM;
	}
	sort_unique(out->touched, &out->ntouched);
	sort_unique(out->created, &out->ncreated);
	sort_unique(out->dropped, &out->ndropped);
	return 0;
}

int plan_build(const struct plan_input *in, struct plan *out, struct diags *diags)
{
	struct builder b = { .in = in, .diags = diags, .sql = SBUF_INIT };
	struct reg_graph g = { 0 };
	struct reg_order ord = { 0 };
	const struct reg_registry *r = in->reg;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = reg_graph_build(r, &g)) || (rc = reg_graph_order(&g, r, &ord)))
		goto out;

	/* a pending script for a table the registry does not declare */
	for (size_t i = 0; in->pending && i < in->pending->n && !b.err; i++) {
		const struct plan_script *ps = &in->pending->items[i];
		if (!in_scope(in, ps->table) || reg_get(r, ps->table))
			continue;
		if (diags_add(diags, ps->file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			      "no schema '%s' is registered for this pending script", ps->table))
			b.err = REG_ENOMEM;
	}
	for (size_t k = 0; k < ord.n && !b.err; k++) {
		const struct reg_schema *s = r->schemas[ord.order[k]];
		if (in_scope(in, s->name))
			plan_schema(&b, s);
	}
	/* what the registry created and the user unregistered */
	for (size_t i = 0; i < in->live->ncreated && !b.err && !in->no_drop_tables; i++) {
		const char *name = in->live->created[i];
		const struct plan_live_table *t = plan_live_find(in->live, name);
		if (t && !reg_get(r, name) && in_scope(in, name) && !plan_reserved_table(name))
			drop_table(&b, t);
	}
	rc = b.err;
	if (!rc)
		rc = finish(&b, out);
out:
	for (int ph = 0; ph < 4; ph++) {
		for (size_t i = 0; i < b.phase[ph].n; i++)
			step_release(&b.phase[ph].v[i]);
		free(b.phase[ph].v);
	}
	sbuf_release(&b.sql);
	cache_release(&b.cache);
	reg_graph_order_release(&ord);
	reg_graph_release(&g);
	if (rc)
		plan_release(out);
	return rc;
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void plan_release(struct plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		step_release(&p->steps[i]);
	free(p->steps);
	free_names(p->touched, p->ntouched);
	free_names(p->created, p->ncreated);
	free_names(p->dropped, p->ndropped);
	memset(p, 0, sizeof(*p));
}

/* ---- rendering ---- */

static int add_indented(struct sbuf *out, const char *sql)
{
	int rc = 0;
	const char *p = sql;
	while (*p && !rc) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		/* blank lines of a script stay blank, no trailing tab */
		if (n)
			rc = sbuf_addch(out, '\t') ?: sbuf_add(out, p, n);
		if (!rc)
			rc = sbuf_addch(out, '\n');
		p += n + (nl ? 1 : 0);
	}
	return rc;
}

int plan_render(const struct plan *p, struct sbuf *out)
{
	int rc = 0;
	if (!p->n)
		return sbuf_adds(out, "nothing to do\n");
	for (size_t i = 0; i < p->n && !rc; i++) {
		const struct plan_step *st = &p->steps[i];
		rc = sbuf_addf(out, "%zu\t%s\t%s\t", i + 1, *st->service ? st->service : "-",
			       st->schema);
		for (size_t d = 0; d < st->ndeps && !rc; d++)
			rc = sbuf_addf(out, "%s%s", d ? "," : "", st->deps[d]);
		if (!rc && !st->ndeps)
			rc = sbuf_addch(out, '-');
		if (!rc)
			rc = sbuf_addf(out, "\t%s\n", st->what);
		if (!rc)
			rc = add_indented(out, st->sql);
		if (!rc)
			rc = sbuf_addch(out, '\n');
	}
	return rc;
}

int plan_render_json(const struct plan *p, struct sbuf *out)
{
	int rc = sbuf_adds(out, "[");
	for (size_t i = 0; i < p->n && !rc; i++) {
		const struct plan_step *st = &p->steps[i];
		rc = sbuf_addf(out, "%s\n  {\"step\": %zu, \"kind\": \"%s\", \"service\": ",
			       i ? "," : "", i + 1, plan_step_kind_name(st->kind));
		if (!rc)
			rc = jsonw_quote(out, st->service, strlen(st->service));
		if (!rc)
			rc = sbuf_adds(out, ", \"schema\": ");
		if (!rc)
			rc = jsonw_quote(out, st->schema, strlen(st->schema));
		if (!rc)
			rc = sbuf_adds(out, ", \"dependencies\": [");
		for (size_t d = 0; d < st->ndeps && !rc; d++) {
			rc = d ? sbuf_adds(out, ", ") : 0;
			if (!rc)
				rc = jsonw_quote(out, st->deps[d], strlen(st->deps[d]));
		}
		if (!rc)
			rc = sbuf_adds(out, "], \"what\": ");
		if (!rc)
			rc = jsonw_quote(out, st->what, strlen(st->what));
		if (!rc)
			rc = sbuf_adds(out, ", \"sql\": ");
		if (!rc)
			rc = jsonw_quote(out, st->sql, strlen(st->sql));
		if (!rc)
			rc = sbuf_addf(out, ", \"destructive\": %s}",
				       st->destructive ? "true" : "false");
	}
	return rc ?: sbuf_adds(out, p->n ? "\n]\n" : "]\n");
}

int plan_render_impact(const struct plan *p, const struct reg_registry *r, struct sbuf *out)
{
	char **services = NULL;
	size_t nservices = 0;
	struct sbuf rows = SBUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < p->ntouched && !rc; i++) {
		const char *name = p->touched[i];
		const struct reg_schema *s = reg_get(r, name);
		struct reg_dependents d = { 0 };
		size_t steps = 0;
		for (size_t k = 0; k < p->n; k++)
			steps += !strcmp(p->steps[k].schema, name);
		if (s && s->owner)
			rc = add_name(&services, &nservices, s->owner);
		if (!rc && s)
			rc = reg_dependents(r, name, &d);
		if (!rc)
			rc = sbuf_addf(&rows, "%s\t%s\t%zu\t", name, s && s->owner ? s->owner : "-",
				       steps);
		for (size_t k = 0; k < d.nservices && !rc; k++) {
			rc = add_name(&services, &nservices, d.services[k]);
			if (!rc)
				rc = sbuf_addf(&rows, "%s%s", k ? "," : "", d.services[k]);
		}
		if (!rc && !d.nservices)
			rc = sbuf_addch(&rows, '-');
		if (!rc)
			rc = sbuf_addch(&rows, '\n');
		if (s)
			reg_dependents_release(&d);
	}
	if (!rc)
		sort_unique(services, &nservices);
	if (!rc)
		rc = sbuf_addf(out, "affected services: %zu\n", nservices);
	for (size_t i = 0; i < nservices && !rc; i++)
		rc = sbuf_addf(out, "\t%s\n", services[i]);
	if (!rc)
		rc = sbuf_addf(out, "schemas: %zu\nsteps: %zu\n", p->ntouched, p->n);
	if (!rc && p->ntouched)
		rc = sbuf_adds(out, "\nschema\towner\tsteps\tdependent services\n");
	if (!rc)
		rc = sbuf_add(out, rows.buf, rows.len);
	free_names(services, nservices);
	sbuf_release(&rows);
	return rc;
}
