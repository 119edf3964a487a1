#include "ddl_import.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "pgq.h"
#include "sbuf.h"
#include "validate.h"

/* ---- the state of one import ---- */

struct fk {
	char *tschema; /* NULL: unqualified, looked up through path */
	char *tname;
	char **path; /* the search_path when declared, for unqualified targets */
	size_t npath;
	struct reg_strlist local, remote; /* remote empty: the target's primary key */
	enum reg_fk_action on_delete, on_update;
	size_t at;
};

enum table_state { T_OK, T_EXCLUDED, T_REFUSED };

struct table {
	char *sqlschema, *sqlname;
	char *name; /* registry name; NULL when excluded */
	size_t at;  /* where CREATE TABLE names it */
	enum table_state state;
	struct reg_schema *s;
	struct reg_strlist pk; /* primary key columns in key order */
	struct fk *fks;
	size_t nfks;
};

struct ctx {
	char *src; /* the text, psql meta-commands blanked; NUL-terminated */
	size_t len;
	const char *file;
	const char *only_schema, *owner;
	struct diags *diags;
	struct ddl_import *out;
	size_t *lines; /* offset of each line start */
	size_t nlines;
	char **path; /* search_path, schemas only (no $user, pg_catalog) */
	size_t npath;
	struct table **tables;
	size_t ntables, tables_alloc;
	size_t *slots; /* hash of (schema, name): index in tables + 1, 0 empty */
	size_t nslots;
	struct reg_strlist others; /* "schema.name" of views, sequences, ... */
	size_t base;               /* the current statement's offset in src */
	size_t stmt_end;           /* and its end */
	int rc;                    /* sticky: the first REG_ENOMEM */
};

/* A table outside --schema stays excluded: its problems are nobody's concern. */
static void refuse_table(struct table *t)
{
	if (t->state == T_OK)
		t->state = T_REFUSED;
}

static void *oom(struct ctx *c)
{
	c->rc = REG_ENOMEM;
	return NULL;
}

static char *xstrdup(struct ctx *c, const char *s)
{
	char *p = s ? strdup(s) : NULL;
	return s && !p ? oom(c) : p;
}

static char *xstrndup(struct ctx *c, const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : oom(c);
}

static void *xgrow(struct ctx *c, void *arr, size_t n, size_t size)
{
	void *p = realloc(arr, (n + 1) * size);
	if (!p)
		return oom(c);
	memset((char *)p + n * size, 0, size);
	return p;
}

static void push_str(struct ctx *c, struct reg_strlist *l, const char *s)
{
	if (!c->rc && reg_strlist_push(l, s, NULL))
		oom(c);
}

/* ---- places ---- */

static int build_lines(struct ctx *c)
{
	size_t n = 1;
	for (size_t i = 0; i < c->len; i++)
		n += c->src[i] == '\n';
	c->lines = malloc(n * sizeof(*c->lines));
	if (!c->lines)
		return REG_ENOMEM;
	c->lines[0] = 0;
	c->nlines = 1;
	for (size_t i = 0; i < c->len; i++)
		if (c->src[i] == '\n')
			c->lines[c->nlines++] = i + 1;
	return 0;
}

/* 1-based line and column (in characters) of a byte offset. */
static struct reg_loc loc_of(const struct ctx *c, size_t off)
{
	size_t lo = 0, hi = c->nlines;
	if (off > c->len)
		off = c->len;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (c->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	uint32_t col = 1;
	for (size_t i = c->lines[lo]; i < off; i++)
		col += ((unsigned char)c->src[i] & 0xc0) != 0x80;
	return (struct reg_loc){(uint32_t)lo + 1, col};
}

/* A location in the current statement's tree, as an offset in src. */
static size_t at(const struct ctx *c, int loc)
{
	return loc < 0 ? c->base : c->base + (size_t)loc;
}

static void report(struct ctx *c, enum diag_severity sev, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct ctx *c, enum diag_severity sev, size_t off, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;
	if (c->rc)
		return;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (rc || diags_add(c->diags, c->file, loc_of(c, off), sev, "%s", msg.buf))
		oom(c);
	sbuf_release(&msg);
}

/* Problems of a table outside --schema are nobody's concern. */
#define treport(c, t, ...)                                                                         \
	do {                                                                                       \
		if ((t)->state != T_EXCLUDED)                                                      \
			report(c, __VA_ARGS__);                                                    \
	} while (0)

static void ignore(struct ctx *c, const char *what)
{
	struct ddl_import *o = c->out;
	if (c->rc)
		return;
	for (size_t i = 0; i < o->nignored; i++) {
		if (!strcmp(o->ignored[i].what, what)) {
			o->ignored[i].count++;
			return;
		}
	}
	struct ddl_ignored *g = xgrow(c, o->ignored, o->nignored, sizeof(*g));
	if (!g)
		return;
	o->ignored = g;
	if (!(g[o->nignored].what = xstrdup(c, what)))
		return;
	g[o->nignored++].count = 1;
}

/* prefix + an enum name in words: "OBJECT_MATVIEW" -> "MATVIEW",
 * "AT_ChangeOwner" -> "CHANGE OWNER", "CONSTR_ATTR_DEFERRABLE" -> "ATTR DEFERRABLE" */
static void ignoref(struct ctx *c, const char *prefix, const char *kind)
{
	struct sbuf sb = SBUF_INIT;
	const char *u = kind ? strchr(kind, '_') : NULL;
	const char *p = u ? u + 1 : kind ? kind : "?";
	int rc = sbuf_adds(&sb, prefix);
	for (size_t i = 0; !rc && p[i]; i++) {
		char ch = p[i];
		if (ch == '_')
			ch = ' ';
		if (i && ch >= 'A' && ch <= 'Z' && p[i - 1] >= 'a' && p[i - 1] <= 'z')
			rc = sbuf_addch(&sb, ' ');
		if (!rc)
			rc = sbuf_addch(&sb, ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch);
	}
	if (rc)
		oom(c);
	else
		ignore(c, sb.buf);
	sbuf_release(&sb);
}

/* ---- a lexer for the source text of types and defaults ---- */

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static bool is_ident_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

static bool is_ident_char(unsigned char ch)
{
	return is_ident_start(ch) || (ch >= '0' && ch <= '9') || ch == '$';
}

/* Skips blanks and comments ("--" to the end of the line, nested C comments). */
static size_t skip_blank(const char *s, size_t i, size_t end)
{
	while (i < end) {
		if (is_blank(s[i])) {
			i++;
		} else if (s[i] == '-' && i + 1 < end && s[i + 1] == '-') {
			while (i < end && s[i] != '\n')
				i++;
		} else if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
			int depth = 0;
			do {
				if (s[i] == '/' && i + 1 < end && s[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (s[i] == '*' && i + 1 < end && s[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			} while (i < end && depth > 0);
		} else {
			break;
		}
	}
	return i;
}

static size_t quoted_end(const char *s, size_t i, size_t end, char q, bool backslash)
{
	for (i++; i < end; i++) {
		if (backslash && s[i] == '\\')
			i++;
		else if (s[i] == q && i + 1 < end && s[i + 1] == q)
			i++;
		else if (s[i] == q)
			return i + 1;
	}
	return end;
}

/* The end of the token that starts at i (i < end, not blank). */
static size_t token_end(const char *s, size_t i, size_t end)
{
	unsigned char ch = (unsigned char)s[i];
	if (ch == '\'')
		return quoted_end(s, i, end, '\'', false);
	if (ch == '"')
		return quoted_end(s, i, end, '"', false);
	if ((ch == 'e' || ch == 'E') && i + 1 < end && s[i + 1] == '\'')
		return quoted_end(s, i + 1, end, '\'', true);
	if (ch == '$') {
		size_t j = i + 1;
		if (j < end && s[j] >= '0' && s[j] <= '9') {
			while (j < end && s[j] >= '0' && s[j] <= '9')
				j++;
			return j;
		}
		while (j < end && is_ident_char((unsigned char)s[j]) && s[j] != '$')
			j++;
		if (j >= end || s[j] != '$')
			return i + 1;
		size_t taglen = j + 1 - i;
		for (size_t k = j + 1; k + taglen <= end; k++)
			if (s[k] == '$' && !memcmp(s + k, s + i, taglen))
				return k + taglen;
		return end;
	}
	if (is_ident_start(ch)) {
		while (i < end && is_ident_char((unsigned char)s[i]))
			i++;
		return i;
	}
	if ((ch >= '0' && ch <= '9') ||
	    (ch == '.' && i + 1 < end && s[i + 1] >= '0' && s[i + 1] <= '9')) {
		while (i < end && (is_ident_char((unsigned char)s[i]) || s[i] == '.'))
			i++;
		return i;
	}
	return i + 1;
}

static bool word_is(const char *s, size_t start, size_t end, const char *word)
{
	size_t n = strlen(word);
	return end - start == n && !strncasecmp(s + start, word, n);
}

/*
 * psql reads a line that starts with a backslash as a meta-command (\connect,
 * \pset), not as SQL; the parser would choke on it. Blank such lines (the
 * offsets of everything else stay put) and count them.
 */
static void blank_meta_commands(struct ctx *c)
{
	size_t i = 0;
	while (!c->rc) {
		i = skip_blank(c->src, i, c->len);
		if (i >= c->len)
			break;
		size_t e = token_end(c->src, i, c->len);
		if (c->src[i] == '\\') {
			size_t k = i;
			while (k > 0 && (c->src[k - 1] == ' ' || c->src[k - 1] == '\t'))
				k--;
			if (k == 0 || c->src[k - 1] == '\n') {
				while (i < c->len && c->src[i] != '\n')
					c->src[i++] = ' ';
				ignore(c, "psql meta-command");
				continue;
			}
		}
		i = e;
	}
}

static bool utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t k;
		uint32_t cp;
		if (p[i] < 0x80) {
			i++;
			continue;
		} else if ((p[i] & 0xe0) == 0xc0) {
			k = 2;
			cp = p[i] & 0x1f;
		} else if ((p[i] & 0xf0) == 0xe0) {
			k = 3;
			cp = p[i] & 0x0f;
		} else if ((p[i] & 0xf8) == 0xf0) {
			k = 4;
			cp = p[i] & 0x07;
		} else {
			return false;
		}
		if (i + k > n)
			return false;
		for (size_t j = 1; j < k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k;
	}
	return true;
}

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
static bool clause_token(const struct ctx *c, size_t *i, size_t bound, int *depth, size_t *tok)
{
	size_t at = skip_blank(c->src, *i, bound);
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
	*i = token_end(c->src, at, bound);
	return true;
}

/*
 * The type as written from start: tokens until a ',' ')' or ';' outside
 * parentheses, a word that starts a column constraint, or bound. Blanks
 * and comments between tokens become one space. NULL (no diagnostic) when
 * nothing is there.
 */
static char *type_text(struct ctx *c, size_t start, size_t bound)
{
	struct sbuf sb = SBUF_INIT;
	int depth = 0;
	size_t i = start, tok, prev_end = start;
	if (bound > c->len)
		bound = c->len;
	while (clause_token(c, &i, bound, &depth, &tok)) {
		if (!depth && is_ident_start((unsigned char)c->src[tok])) {
			bool stop = false;
			for (size_t k = 0; type_stops[k] && !stop; k++)
				stop = word_is(c->src, tok, i, type_stops[k]);
			if (stop)
				break;
		}
		if (sb.len && tok > prev_end && sbuf_addch(&sb, ' '))
			goto nomem;
		if (sbuf_add(&sb, c->src + tok, i - tok))
			goto nomem;
		prev_end = i;
	}
	if (!sb.len) {
		sbuf_release(&sb);
		return NULL;
	}
	char *out = sbuf_detach(&sb, NULL);
	return out ? out : oom(c);
nomem:
	sbuf_release(&sb);
	return oom(c);
}

/*
 * The expression after the last DEFAULT keyword in [from, limit), as
 * written: tokens until a ',' ')' or ';' outside parentheses, or bound.
 * NULL when there is none (no diagnostic).
 */
static char *default_text(struct ctx *c, size_t from, size_t limit, size_t bound)
{
	size_t i = from, start = 0;
	bool found = false;
	if (bound > c->len)
		bound = c->len;
	if (limit > bound)
		limit = bound;
	while ((i = skip_blank(c->src, i, limit)) < limit) {
		size_t e = token_end(c->src, i, limit);
		if (word_is(c->src, i, e, "default")) {
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
	start = skip_blank(c->src, start, end);
	return end > start ? xstrndup(c, c->src + start, end - start) : NULL;
}

/* ---- tables and names ---- */

static void fk_release(struct fk *f)
{
	free(f->tschema);
	free(f->tname);
	for (size_t i = 0; i < f->npath; i++)
		free(f->path[i]);
	free(f->path);
	reg_strlist_release(&f->local);
	reg_strlist_release(&f->remote);
}

static void table_free(struct table *t)
{
	if (!t)
		return;
	free(t->sqlschema);
	free(t->sqlname);
	free(t->name);
	reg_schema_free(t->s);
	reg_strlist_release(&t->pk);
	for (size_t i = 0; i < t->nfks; i++)
		fk_release(&t->fks[i]);
	free(t->fks);
	free(t);
}

static uint64_t table_hash(const char *schema, const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = schema; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ '.') * 1099511628211ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* Rebuilds the hash for c->tables, with room for one more (a dump of
 * thousands of tables is looked up once per statement). */
static int index_tables(struct ctx *c)
{
	size_t n = 64;
	while (n < 2 * (c->ntables + 1))
		n *= 2;
	if (n != c->nslots) {
		size_t *slots = calloc(n, sizeof(*slots));
		if (!slots)
			return REG_ENOMEM;
		free(c->slots);
		c->slots = slots;
		c->nslots = n;
	} else {
		memset(c->slots, 0, n * sizeof(*c->slots));
	}
	for (size_t i = 0; i < c->ntables; i++) {
		size_t k = table_hash(c->tables[i]->sqlschema, c->tables[i]->sqlname) & (n - 1);
		while (c->slots[k])
			k = (k + 1) & (n - 1);
		c->slots[k] = i + 1;
	}
	return 0;
}

static struct table *find_table(struct ctx *c, const char *schema, const char *name)
{
	if (!c->nslots)
		return NULL;
	size_t k = table_hash(schema, name) & (c->nslots - 1);
	for (; c->slots[k]; k = (k + 1) & (c->nslots - 1)) {
		struct table *t = c->tables[c->slots[k] - 1];
		if (!strcmp(t->sqlname, name) && !strcmp(t->sqlschema, schema))
			return t;
	}
	return NULL;
}

/* Where an unqualified CREATE puts a table: PostgreSQL's first schema in
 * search_path (an empty path would fail there; public is our guess). */
static const char *creation_schema(const struct ctx *c)
{
	return c->npath ? c->path[0] : "public";
}

/* A table named by a RangeVar: qualified, or through search_path. */
static struct table *lookup_rangevar(struct ctx *c, json_object *rv, const char *default_schema)
{
	const char *schema = pgq_get_str(rv, "schemaname"), *name = pgq_get_str(rv, "relname");
	if (!name)
		return NULL;
	if (schema)
		return find_table(c, schema, name);
	/* inside CREATE SCHEMA, PostgreSQL puts that schema first in the path */
	struct table *t = default_schema ? find_table(c, default_schema, name) : NULL;
	if (t)
		return t;
	for (size_t i = 0; i < c->npath; i++) {
		struct table *t = find_table(c, c->path[i], name);
		if (t)
			return t;
	}
	return c->npath ? NULL : find_table(c, "public", name);
}

/* A relation that is not a table (a view, a sequence): ALTER TABLE and
 * CREATE INDEX may name one, and that is no reason for a warning. */
static void add_other(struct ctx *c, json_object *rv, const char *default_schema)
{
	const char *schema = pgq_get_str(rv, "schemaname"), *name = pgq_get_str(rv, "relname");
	struct sbuf sb = SBUF_INIT;
	if (!name)
		return;
	if (!schema)
		schema = default_schema ? default_schema : creation_schema(c);
	if (sbuf_addf(&sb, "%s.%s", schema, name))
		oom(c);
	else
		push_str(c, &c->others, sb.buf);
	sbuf_release(&sb);
}

static bool is_other(struct ctx *c, json_object *rv)
{
	const char *schema = pgq_get_str(rv, "schemaname"), *name = pgq_get_str(rv, "relname");
	size_t n = name ? strlen(name) : 0;
	for (size_t i = 0; name && i < c->others.n; i++) {
		const char *o = c->others.items[i];
		size_t len = strlen(o);
		if (len <= n || strcmp(o + len - n, name) || o[len - n - 1] != '.')
			continue;
		if (!schema || (len - n - 1 == strlen(schema) && !strncmp(o, schema, len - n - 1)))
			return true;
	}
	return false;
}

/* "schema.name", or "name" for public: how messages name a SQL table. */
static const char *sql_name(struct sbuf *sb, const char *schema, const char *name)
{
	sbuf_reset(sb);
	if (schema && strcmp(schema, "public"))
		sbuf_addf(sb, "%s.%s", schema, name);
	else
		sbuf_adds(sb, name);
	return sb->buf;
}

/*
 * The registry name of an object (table or index) of a SQL schema: the bare
 * name under --schema or for public, else "<schema>_<name>". *excluded is
 * set when --schema leaves the schema out (then NULL).
 */
static char *registry_name(struct ctx *c, const char *schema, const char *name, bool *excluded)
{
	*excluded = false;
	if (c->only_schema) {
		if (strcmp(schema, c->only_schema)) {
			*excluded = true;
			return NULL;
		}
		return xstrdup(c, name);
	}
	if (!strcmp(schema, "public"))
		return xstrdup(c, name);
	struct sbuf sb = SBUF_INIT;
	if (sbuf_addf(&sb, "%s_%s", schema, name)) {
		sbuf_release(&sb);
		return oom(c);
	}
	char *p = sbuf_detach(&sb, NULL);
	return p ? p : oom(c);
}

static long column_index(const struct reg_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (!strcmp(s->columns[i].name, name))
			return (long)i;
	return -1;
}

static struct reg_column *column(struct table *t, const char *name)
{
	long i = column_index(t->s, name);
	return i < 0 ? NULL : &t->s->columns[i];
}

static void column_release(struct reg_column *col)
{
	free(col->name);
	free(col->type);
	free(col->default_expr);
	free(col->description);
}

static struct reg_column *add_column(struct ctx *c, struct table *t, const char *name)
{
	struct reg_column *cols = xgrow(c, t->s->columns, t->s->ncolumns, sizeof(*cols));
	if (!cols)
		return NULL;
	t->s->columns = cols;
	struct reg_column *col = &cols[t->s->ncolumns];
	col->nullable = true;
	if (!(col->name = xstrdup(c, name)))
		return NULL;
	t->s->ncolumns++;
	return col;
}

/* Columns of another table (INHERITS, PARTITION OF, LIKE): name, type,
 * NOT NULL and, unless like, the default. */
static void copy_columns(struct ctx *c, struct table *t, const struct table *from, bool like)
{
	for (size_t i = 0; i < from->s->ncolumns && !c->rc; i++) {
		const struct reg_column *src = &from->s->columns[i];
		if (column(t, src->name))
			continue;
		struct reg_column *col = add_column(c, t, src->name);
		if (!col)
			return;
		col->nullable = src->nullable;
		col->type = xstrdup(c, src->type);
		if (!like)
			col->default_expr = xstrdup(c, src->default_expr);
	}
}

/* ---- foreign keys, keys, indexes ---- */

static enum reg_fk_action fk_action(const char *code)
{
	switch (code ? code[0] : 'a') {
	case 'r':
		return REG_FK_RESTRICT;
	case 'c':
		return REG_FK_CASCADE;
	case 'n':
		return REG_FK_SET_NULL;
	case 'd':
		return REG_FK_SET_DEFAULT;
	default:
		return REG_FK_NO_ACTION;
	}
}

static void strings_to_list(struct ctx *c, json_object *arr, struct reg_strlist *l)
{
	for (size_t i = 0; i < pgq_arr_len(arr); i++) {
		const char *s = pgq_string_node(pgq_arr_at(arr, i));
		if (s)
			push_str(c, l, s);
	}
}

/* A FOREIGN KEY constraint; local_col is the column of a column constraint. */
static void add_fk(struct ctx *c, struct table *t, json_object *con, const char *local_col,
		   const char *default_schema)
{
	json_object *rv = pgq_get(con, "pktable");
	const char *tname = pgq_get_str(rv, "relname");
	if (!tname)
		return;
	struct fk *fks = xgrow(c, t->fks, t->nfks, sizeof(*fks));
	if (!fks)
		return;
	t->fks = fks;
	struct fk *f = &fks[t->nfks++];
	f->at = at(c, pgq_get_loc(con));
	f->on_delete = fk_action(pgq_get_str(con, "fk_del_action"));
	f->on_update = fk_action(pgq_get_str(con, "fk_upd_action"));
	if (local_col)
		push_str(c, &f->local, local_col);
	else
		strings_to_list(c, pgq_get(con, "fk_attrs"), &f->local);
	strings_to_list(c, pgq_get(con, "pk_attrs"), &f->remote);
	f->tname = xstrdup(c, tname);

	struct table *target = lookup_rangevar(c, rv, default_schema);
	if (target) {
		f->tschema = xstrdup(c, target->sqlschema);
	} else if (pgq_get_str(rv, "schemaname")) {
		f->tschema = xstrdup(c, pgq_get_str(rv, "schemaname"));
	} else {
		/* not declared yet: look again at the end, through today's path */
		size_t n = c->npath + 2;
		if (!(f->path = calloc(n, sizeof(*f->path))))
			return (void)oom(c);
		if (default_schema && !(f->path[f->npath++] = xstrdup(c, default_schema)))
			return;
		for (size_t i = 0; i < c->npath; i++)
			if (!(f->path[f->npath++] = xstrdup(c, c->path[i])))
				return;
		if (!c->npath && !(f->path[f->npath++] = xstrdup(c, "public")))
			return;
	}

	if (pgq_get_bool(con, "deferrable"))
		ignore(c, "DEFERRABLE (foreign keys are imported as not deferrable)");
	const char *match = pgq_get_str(con, "fk_matchtype");
	if (match && match[0] == 'f')
		ignore(c, "MATCH FULL");
	if (pgq_arr_len(pgq_get(con, "fk_del_set_cols")))
		ignore(c, "ON DELETE SET NULL/DEFAULT (columns)");
}

static void mark_pk(struct ctx *c, struct table *t, const char *name, size_t off)
{
	struct reg_column *col = column(t, name);
	if (!col) {
		treport(c, t, DIAG_WARNING, off, "primary key of '%s' names unknown column '%s'",
			t->sqlname, name);
		return;
	}
	col->primary_key = true;
	col->nullable = false;
	for (size_t i = 0; i < t->pk.n; i++)
		if (!strcmp(t->pk.items[i], name))
			return;
	push_str(c, &t->pk, name);
}

/* PostgreSQL's default names: "<table>_<col>_<col>_<suffix>", cut to 63 bytes. */
static char *default_index_name(struct ctx *c, const struct table *t,
				const struct reg_strlist *cols, const char *suffix)
{
	struct sbuf sb = SBUF_INIT;
	int rc = sbuf_adds(&sb, t->sqlname);
	for (size_t i = 0; !rc && i < cols->n; i++)
		rc = sbuf_addf(&sb, "_%s", cols->items[i]);
	size_t keep = REG_MAX_IDENT_LEN - strlen(suffix) - 1;
	if (!rc && sb.len > keep)
		sb.len = keep, sb.buf[keep] = '\0';
	if (!rc)
		rc = sbuf_addf(&sb, "_%s", suffix);
	char *p = rc ? NULL : sbuf_detach(&sb, NULL);
	sbuf_release(&sb);
	return p ? p : oom(c);
}

/* Adds an index of plain columns (takes cols); sqlname NULL for the default. */
static void add_index(struct ctx *c, struct table *t, const char *sqlname, struct reg_strlist *cols,
		      bool unique, bool if_not_exists, size_t off)
{
	char *dflt = NULL, *name = NULL;
	bool excluded;
	const char *why;
	if (!sqlname && !(sqlname = dflt = default_index_name(c, t, cols, unique ? "key" : "idx")))
		goto out;
	if (!(name = registry_name(c, t->sqlschema, sqlname, &excluded)))
		goto out;
	if (!reg_validate_ident(name, &why)) {
		treport(c, t, DIAG_NOTE, off, "index '%s' of '%s' not imported: invalid name: %s",
			name, t->sqlname, why);
		goto out;
	}
	for (size_t i = 0; i < cols->n; i++) {
		if (!column(t, cols->items[i])) {
			treport(c, t, DIAG_WARNING, off,
				"index '%s' of '%s' not imported: unknown column '%s'", name,
				t->sqlname, cols->items[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < t->s->nindexes; i++) {
		if (!strcmp(t->s->indexes[i].name, name)) {
			if (!if_not_exists)
				treport(c, t, DIAG_WARNING, off,
					"index '%s' of '%s' declared twice; the first is kept",
					name, t->sqlname);
			goto out;
		}
	}
	struct reg_index *ix = xgrow(c, t->s->indexes, t->s->nindexes, sizeof(*ix));
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

/* A table constraint (CREATE TABLE element, ALTER TABLE ADD CONSTRAINT). */
static void table_constraint(struct ctx *c, struct table *t, json_object *con,
			     const char *default_schema)
{
	const char *type = pgq_get_str(con, "contype");
	size_t off = at(c, pgq_get_loc(con));
	struct reg_strlist keys = {0};
	if (!type)
		return;
	if (!strcmp(type, "CONSTR_FOREIGN")) {
		add_fk(c, t, con, NULL, default_schema);
		return;
	}
	if (!strcmp(type, "CONSTR_PRIMARY") || !strcmp(type, "CONSTR_UNIQUE")) {
		if (pgq_get_str(con, "indexname")) {
			treport(c, t, DIAG_WARNING, off,
				"constraint of '%s' not imported: USING INDEX is not supported",
				t->sqlname);
			return;
		}
		strings_to_list(c, pgq_get(con, "keys"), &keys);
		if (pgq_arr_len(pgq_get(con, "including")))
			ignore(c, "INCLUDE columns of a key");
		if (!strcmp(type, "CONSTR_PRIMARY")) {
			for (size_t i = 0; i < keys.n; i++)
				mark_pk(c, t, keys.items[i], off);
		} else if (keys.n == 1 && column(t, keys.items[0])) {
			column(t, keys.items[0])->unique = true;
		} else if (keys.n) {
			add_index(c, t, pgq_get_str(con, "conname"), &keys, true, false, off);
		}
		reg_strlist_release(&keys);
		return;
	}
	if (!strcmp(type, "CONSTR_CHECK"))
		ignore(c, "CHECK constraint");
	else if (!strcmp(type, "CONSTR_EXCLUSION"))
		ignore(c, "EXCLUDE constraint");
	else
		ignoref(c, "constraint ", type);
}

/* Text at, or the end of the statement: the first place after from. */
static size_t next_bound(size_t from, const size_t *places, size_t n, size_t stmt_end)
{
	size_t best = stmt_end;
	for (size_t i = 0; i < n; i++)
		if (places[i] > from && places[i] < best)
			best = places[i];
	return best;
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

/* Sets col's type from the source text of a TypeName. */
static void set_type(struct ctx *c, struct table *t, struct reg_column *col, json_object *tn,
		     size_t bound)
{
	int loc = pgq_get_loc(tn);
	char *text = loc < 0 ? NULL : type_text(c, at(c, loc), bound);
	if (c->rc)
		return;
	if (!text || !utf8_ok(text, strlen(text))) {
		treport(c, t, DIAG_ERROR, at(c, loc),
			"table '%s' not imported: cannot read the type of column '%s'", t->sqlname,
			col->name);
		refuse_table(t);
		free(text);
		return;
	}
	free(col->type);
	col->type = text;
	if (is_serial(tn))
		col->nullable = false;
}

static void set_default(struct ctx *c, struct table *t, struct reg_column *col, size_t from,
			size_t limit, size_t bound)
{
	char *text = default_text(c, from, limit, bound);
	if (c->rc)
		return;
	if (!text || !utf8_ok(text, strlen(text))) {
		treport(c, t, DIAG_WARNING, from,
			"default of column '%s' of '%s' not imported: cannot read it", col->name,
			t->sqlname);
		free(text);
		return;
	}
	free(col->default_expr);
	col->default_expr = text;
}

/*
 * A column definition (CREATE TABLE element, ALTER TABLE ADD COLUMN). A
 * definition without a type (PARTITION OF ... (col NOT NULL)) adds
 * constraints to an inherited column. bound: where the next element starts.
 */
static void column_def(struct ctx *c, struct table *t, json_object *cd, size_t bound,
		       const char *default_schema)
{
	const char *name = pgq_get_str(cd, "colname");
	json_object *tn = pgq_get(cd, "typeName"), *cons = pgq_get(cd, "constraints");
	size_t off = at(c, pgq_get_loc(cd));
	const char *why;
	if (!name)
		return;
	struct reg_column *col = column(t, name);
	if (tn && col) {
		treport(c, t, DIAG_ERROR, off,
			"table '%s' not imported: column '%s' declared twice", t->sqlname, name);
		refuse_table(t);
		return;
	}
	if (!tn && !col) {
		treport(c, t, DIAG_WARNING, off, "column '%s' of '%s' is not inherited; ignored",
			name, t->sqlname);
		return;
	}
	if (!col) {
		if (!reg_validate_ident(name, &why)) {
			treport(c, t, DIAG_ERROR, off,
				"table '%s' not imported: invalid column name '%s': %s", t->sqlname,
				name, why);
			refuse_table(t);
		}
		if (!(col = add_column(c, t, name)))
			return;
	}
	/* where each clause starts: a type or default ends before the next */
	size_t nplaces = pgq_arr_len(cons) + 1, np = 0;
	size_t *places = calloc(nplaces, sizeof(*places));
	if (!places)
		return (void)oom(c);
	for (size_t i = 0; i < pgq_arr_len(cons); i++) {
		int l = pgq_get_loc(pgq_node_as(pgq_arr_at(cons, i), "Constraint"));
		if (l >= 0)
			places[np++] = at(c, l);
	}
	int coll = pgq_get_loc(pgq_get(cd, "collClause"));
	if (coll >= 0) {
		places[np++] = at(c, coll);
		ignore(c, "COLLATE");
	}
	if (pgq_get(cd, "compression"))
		ignore(c, "COMPRESSION");
	if (tn)
		set_type(c, t, col, tn, next_bound(at(c, pgq_get_loc(tn)), places, np, bound));

	for (size_t i = 0; i < pgq_arr_len(cons) && !c->rc; i++) {
		json_object *con = pgq_node_as(pgq_arr_at(cons, i), "Constraint");
		const char *type = pgq_get_str(con, "contype");
		size_t coff = at(c, pgq_get_loc(con));
		if (!type)
			continue;
		if (!strcmp(type, "CONSTR_NOTNULL")) {
			col->nullable = false;
		} else if (!strcmp(type, "CONSTR_NULL")) {
			col->nullable = true;
		} else if (!strcmp(type, "CONSTR_DEFAULT")) {
			int el = pgq_first_location(pgq_get(con, "raw_expr"));
			size_t bnd = next_bound(coff, places, np, bound);
			set_default(c, t, col, coff, el < 0 ? bnd : at(c, el), bnd);
		} else if (!strcmp(type, "CONSTR_PRIMARY")) {
			mark_pk(c, t, name, coff);
		} else if (!strcmp(type, "CONSTR_UNIQUE")) {
			col->unique = true;
		} else if (!strcmp(type, "CONSTR_FOREIGN")) {
			add_fk(c, t, con, name, default_schema);
		} else if (!strcmp(type, "CONSTR_IDENTITY")) {
			col->nullable = false;
			ignore(c, "GENERATED AS IDENTITY");
		} else if (!strcmp(type, "CONSTR_GENERATED")) {
			treport(c, t, DIAG_WARNING, coff,
				"generated column '%s' of '%s' imported as a plain column", name,
				t->sqlname);
		} else if (!strcmp(type, "CONSTR_CHECK")) {
			ignore(c, "CHECK constraint");
		} else if (!strncmp(type, "CONSTR_ATTR_", 12)) {
			ignore(c, "DEFERRABLE (foreign keys are imported as not deferrable)");
		} else {
			ignoref(c, "constraint ", type);
		}
	}
	free(places);
}

/* ---- statements ---- */

static struct table *new_table(struct ctx *c, const char *schema, const char *name, size_t off)
{
	struct table *t = calloc(1, sizeof(*t));
	struct table **tables;
	bool excluded;
	const char *why;
	struct sbuf sb = SBUF_INIT;
	if (!t)
		return oom(c);
	t->at = off;
	if (!(t->sqlschema = xstrdup(c, schema)) || !(t->sqlname = xstrdup(c, name)) ||
	    !(t->s = reg_schema_new()))
		goto fail;
	t->name = registry_name(c, schema, name, &excluded);
	if (c->rc)
		goto fail;
	if (excluded) {
		t->state = T_EXCLUDED;
	} else if (!reg_validate_ident(t->name, &why)) {
		if (strlen(t->name) > REG_MAX_IDENT_LEN)
			report(c, DIAG_ERROR, off,
			       "table '%s' not imported: name '%s' is %zu bytes long; names are at "
			       "most %d",
			       sql_name(&sb, schema, name), t->name, strlen(t->name),
			       REG_MAX_IDENT_LEN);
		else
			report(c, DIAG_ERROR, off, "table '%s' not imported: invalid name '%s': %s",
			       sql_name(&sb, schema, name), t->name, why);
		t->state = T_REFUSED;
	}
	sbuf_release(&sb);
	if (!(t->s->name = xstrdup(c, t->name ? t->name : name)) ||
	    !(t->s->version = xstrdup(c, REG_DEFAULT_VERSION)))
		goto fail;
	const char *owner = c->owner;
	if (!owner)
		owner = strcmp(schema, "public") ? schema : "unknown-service";
	if (!(t->s->owner = xstrdup(c, owner)))
		goto fail;
	if (c->ntables == c->tables_alloc) {
		size_t n = c->tables_alloc ? c->tables_alloc * 2 : 64;
		if (!(tables = realloc(c->tables, n * sizeof(*tables)))) {
			oom(c);
			goto fail;
		}
		c->tables = tables;
		c->tables_alloc = n;
	}
	c->tables[c->ntables++] = t;
	if (2 * (c->ntables + 1) > c->nslots) {
		if (index_tables(c))
			return oom(c);
	} else {
		size_t k = table_hash(schema, name) & (c->nslots - 1);
		while (c->slots[k])
			k = (k + 1) & (c->nslots - 1);
		c->slots[k] = c->ntables;
	}
	return t;
fail:
	sbuf_release(&sb);
	table_free(t);
	return NULL;
}

static void create_table(struct ctx *c, json_object *st, const char *default_schema)
{
	json_object *rv = pgq_get(st, "relation");
	const char *name = pgq_get_str(rv, "relname"),
		   *persistence = pgq_get_str(rv, "relpersistence");
	const char *schema = pgq_get_str(rv, "schemaname");
	struct sbuf sb = SBUF_INIT;
	if (!name)
		return;
	if (persistence && persistence[0] == 't')
		return ignore(c, "CREATE TEMP TABLE");
	if (!schema)
		schema = default_schema ? default_schema : creation_schema(c);
	size_t off = at(c, pgq_get_loc(rv));
	if (find_table(c, schema, name)) {
		if (!pgq_get_bool(st, "if_not_exists"))
			report(c, DIAG_ERROR, off,
			       "table '%s' created twice; the second definition is not imported",
			       sql_name(&sb, schema, name));
		sbuf_release(&sb);
		return;
	}
	if (pgq_get(st, "ofTypename")) {
		report(c, DIAG_ERROR, off,
		       "table '%s' not imported: typed tables (OF type) are not supported",
		       sql_name(&sb, schema, name));
		sbuf_release(&sb);
		return;
	}
	sbuf_release(&sb);
	struct table *t = new_table(c, schema, name, off);
	if (!t)
		return;

	json_object *parents = pgq_get(st, "inhRelations");
	bool partition = pgq_get(st, "partbound") != NULL;
	for (size_t i = 0; i < pgq_arr_len(parents) && !c->rc; i++) {
		json_object *prv = pgq_node_as(pgq_arr_at(parents, i), "RangeVar");
		struct table *p = lookup_rangevar(c, prv, default_schema);
		if (!p) {
			treport(c, t, DIAG_ERROR, at(c, pgq_get_loc(prv)),
				"table '%s' not imported: parent table '%s' is unknown", name,
				pgq_get_str(prv, "relname"));
			refuse_table(t);
			continue;
		}
		copy_columns(c, t, p, false);
		treport(c, t, DIAG_NOTE, off,
			partition
			    ? "partition '%s' of '%s' imported as a plain table with its columns"
			    : "table '%s' imported with the columns it inherits from '%s'; "
			      "inheritance is not represented",
			name, p->sqlname);
	}
	if (pgq_get(st, "partspec"))
		treport(c, t, DIAG_NOTE, off, "partitioning of '%s' is not represented", name);

	json_object *elts = pgq_get(st, "tableElts");
	size_t n = pgq_arr_len(elts);
	for (size_t i = 0; i < n && !c->rc; i++) {
		json_object *body;
		const char *type = pgq_node_type(pgq_arr_at(elts, i), &body);
		if (!type)
			continue;
		if (!strcmp(type, "ColumnDef")) {
			size_t bound = c->stmt_end;
			for (size_t k = i + 1; k < n; k++) {
				json_object *nb;
				pgq_node_type(pgq_arr_at(elts, k), &nb);
				int l = pgq_get_loc(nb);
				if (l >= 0) {
					bound = at(c, l);
					break;
				}
			}
			column_def(c, t, body, bound, default_schema);
		} else if (!strcmp(type, "Constraint")) {
			table_constraint(c, t, body, default_schema);
		} else if (!strcmp(type, "TableLikeClause")) {
			json_object *lrv = pgq_get(body, "relation");
			struct table *p = lookup_rangevar(c, lrv, default_schema);
			if (!p) {
				treport(c, t, DIAG_ERROR, at(c, pgq_get_loc(lrv)),
					"table '%s' not imported: LIKE names unknown table '%s'",
					name, pgq_get_str(lrv, "relname"));
				refuse_table(t);
				continue;
			}
			copy_columns(c, t, p, true);
			treport(
			    c, t, DIAG_NOTE, at(c, pgq_get_loc(lrv)),
			    "table '%s' copies the column names, types and NOT NULL of '%s' (LIKE)",
			    name, p->sqlname);
		}
	}
}

static void create_index(struct ctx *c, json_object *st, const char *default_schema)
{
	json_object *rv = pgq_get(st, "relation"), *params = pgq_get(st, "indexParams");
	struct table *t = lookup_rangevar(c, rv, default_schema);
	const char *idxname = pgq_get_str(st, "idxname"), *am = pgq_get_str(st, "accessMethod");
	const char *why = NULL;
	bool other_method = false;
	size_t off = skip_blank(c->src, c->base, c->stmt_end);
	struct reg_strlist cols = {0};
	if (!t && is_other(c, rv))
		return ignore(c, "CREATE INDEX on a materialized view");
	if (!t) {
		report(c, DIAG_WARNING, at(c, pgq_get_loc(rv)),
		       "index '%s' not imported: table '%s' is unknown", idxname ? idxname : "",
		       pgq_get_str(rv, "relname") ? pgq_get_str(rv, "relname") : "");
		return;
	}
	if (pgq_get(st, "whereClause"))
		why = "it is partial (WHERE)";
	else if (am && strcmp(am, "btree"))
		why = am, other_method = true;
	else if (pgq_arr_len(pgq_get(st, "indexIncludingParams")))
		why = "it has INCLUDE columns";
	for (size_t i = 0; i < pgq_arr_len(params) && !why; i++) {
		json_object *el = pgq_node_as(pgq_arr_at(params, i), "IndexElem");
		const char *ord = pgq_get_str(el, "ordering"),
			   *nulls = pgq_get_str(el, "nulls_ordering");
		if (!pgq_get_str(el, "name"))
			why = "it indexes an expression";
		else if ((ord && strcmp(ord, "SORTBY_DEFAULT")) ||
			 (nulls && strcmp(nulls, "SORTBY_NULLS_DEFAULT")))
			why = "it sets a sort order";
		else if (pgq_get(el, "opclass") || pgq_get(el, "collation"))
			why = "it names an operator class or collation";
		else
			push_str(c, &cols, pgq_get_str(el, "name"));
	}
	if (other_method) {
		treport(c, t, DIAG_NOTE, off,
			"index '%s' of '%s' not imported: it uses '%s', not btree",
			idxname ? idxname : "", t->sqlname, am);
	} else if (why) {
		treport(c, t, DIAG_NOTE, off, "index '%s' of '%s' not imported: %s",
			idxname ? idxname : "", t->sqlname, why);
	} else if (cols.n) {
		add_index(c, t, idxname, &cols, pgq_get_bool(st, "unique"),
			  pgq_get_bool(st, "if_not_exists"), off);
	}
	reg_strlist_release(&cols);
}

static const char *const used_alters[] = {
	"AT_AddConstraint", "AT_AddColumn", "AT_ColumnDefault", "AT_SetNotNull",
	"AT_DropNotNull", "AT_AlterColumnType", "AT_DropColumn", "AT_AddIdentity", NULL,
};

static bool is_ignored_alter(const char *sub)
{
	for (size_t i = 0; used_alters[i]; i++)
		if (!strcmp(used_alters[i], sub))
			return false;
	return true;
}

static void alter_table(struct ctx *c, json_object *st)
{
	const char *objtype = pgq_get_str(st, "objtype");
	json_object *rv = pgq_get(st, "relation"), *cmds = pgq_get(st, "cmds");
	struct sbuf sb = SBUF_INIT;
	if (objtype && strcmp(objtype, "OBJECT_TABLE"))
		return ignoref(c, "ALTER ", objtype);
	struct table *t = lookup_rangevar(c, rv, NULL);
	bool changes_columns = false;
	for (size_t i = 0; i < pgq_arr_len(cmds); i++) {
		const char *sub =
		    pgq_get_str(pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"), "subtype");
		changes_columns |= sub && !is_ignored_alter(sub);
	}
	if (!t && (!changes_columns || is_other(c, rv))) {
		/* pg_dump's ALTER TABLE x_seq OWNER TO ...: nothing for us */
		for (size_t i = 0; i < pgq_arr_len(cmds); i++)
			ignoref(c, "ALTER TABLE ",
				pgq_get_str(pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"),
					    "subtype"));
		return;
	}
	if (!t) {
		if (!pgq_get_bool(st, "missing_ok"))
			report(c, DIAG_WARNING, at(c, pgq_get_loc(rv)),
			       "ALTER TABLE of unknown table '%s' ignored",
			       sql_name(&sb, pgq_get_str(rv, "schemaname"),
					pgq_get_str(rv, "relname")));
		sbuf_release(&sb);
		return;
	}
	for (size_t i = 0; i < pgq_arr_len(cmds) && !c->rc; i++) {
		json_object *cmd = pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd");
		const char *sub = pgq_get_str(cmd, "subtype"), *colname = pgq_get_str(cmd, "name");
		json_object *def = pgq_get(cmd, "def");
		struct reg_column *col = colname ? column(t, colname) : NULL;
		if (!sub)
			continue;
		if (!strcmp(sub, "AT_AddConstraint")) {
			table_constraint(c, t, pgq_node_as(def, "Constraint"), NULL);
		} else if (!strcmp(sub, "AT_AddColumn")) {
			json_object *cd = pgq_node_as(def, "ColumnDef");
			if (pgq_get_bool(cmd, "missing_ok") &&
			    column(t, pgq_get_str(cd, "colname")))
				continue;
			column_def(c, t, cd, c->stmt_end, NULL);
		} else if (!strcmp(sub, "AT_ColumnDefault") || !strcmp(sub, "AT_SetNotNull") ||
			   !strcmp(sub, "AT_DropNotNull") || !strcmp(sub, "AT_AlterColumnType") ||
			   !strcmp(sub, "AT_DropColumn") || !strcmp(sub, "AT_AddIdentity")) {
			if (!col) {
				if (!(pgq_get_bool(cmd, "missing_ok") &&
				      !strcmp(sub, "AT_DropColumn")))
					treport(
					    c, t, DIAG_WARNING, at(c, pgq_get_loc(rv)),
					    "ALTER TABLE '%s' names unknown column '%s'; ignored",
					    t->sqlname, colname ? colname : "");
				continue;
			}
			if (!strcmp(sub, "AT_ColumnDefault")) {
				if (!def) {
					free(col->default_expr);
					col->default_expr = NULL;
				} else {
					int el = pgq_first_location(def);
					set_default(c, t, col, c->base,
						    el < 0 ? c->stmt_end : at(c, el), c->stmt_end);
				}
			} else if (!strcmp(sub, "AT_SetNotNull") ||
				   !strcmp(sub, "AT_AddIdentity")) {
				col->nullable = false;
				if (!strcmp(sub, "AT_AddIdentity"))
					ignore(c, "GENERATED AS IDENTITY");
			} else if (!strcmp(sub, "AT_DropNotNull")) {
				col->nullable = true;
			} else if (!strcmp(sub, "AT_AlterColumnType")) {
				json_object *cd = pgq_node_as(def, "ColumnDef");
				if (pgq_get(cd, "typeName"))
					set_type(c, t, col, pgq_get(cd, "typeName"), c->stmt_end);
			} else {
				long k = column_index(t->s, colname);
				column_release(col);
				memmove(&t->s->columns[k], &t->s->columns[k + 1],
					(t->s->ncolumns - (size_t)k - 1) * sizeof(*col));
				t->s->ncolumns--;
			}
		} else {
			ignoref(c, "ALTER TABLE ", sub);
		}
	}
	sbuf_release(&sb);
}

static void comment_on(struct ctx *c, json_object *st)
{
	const char *objtype = pgq_get_str(st, "objtype"), *text = pgq_get_str(st, "comment");
	json_object *items = pgq_get(pgq_node_as(pgq_get(st, "object"), "List"), "items");
	size_t n = pgq_arr_len(items);
	bool on_column = objtype && !strcmp(objtype, "OBJECT_COLUMN");
	if (!objtype || (!on_column && strcmp(objtype, "OBJECT_TABLE")))
		return ignoref(c, "COMMENT ON ", objtype);
	size_t need = on_column ? 2 : 1;
	if (n < need || n > need + 1)
		return;
	const char *schema = n > need ? pgq_string_node(pgq_arr_at(items, 0)) : NULL;
	const char *tname = pgq_string_node(pgq_arr_at(items, n - need));
	struct table *t = NULL;
	if (!tname)
		return;
	if (schema) {
		t = find_table(c, schema, tname);
	} else {
		for (size_t i = 0; i < c->npath && !t; i++)
			t = find_table(c, c->path[i], tname);
		if (!c->npath)
			t = find_table(c, "public", tname);
	}
	if (!t)
		return ignore(c, "COMMENT ON an unknown table");
	char **slot = &t->s->description;
	if (on_column) {
		struct reg_column *col = column(t, pgq_string_node(pgq_arr_at(items, n - 1)));
		if (!col)
			return ignore(c, "COMMENT ON an unknown column");
		slot = &col->description;
	}
	if (text && !utf8_ok(text, strlen(text)))
		return ignore(c, "COMMENT that is not UTF-8");
	free(*slot);
	*slot = xstrdup(c, text);
}

static void path_clear(struct ctx *c)
{
	for (size_t i = 0; i < c->npath; i++)
		free(c->path[i]);
	c->npath = 0;
}

static void path_push(struct ctx *c, const char *schema)
{
	char **p;
	if (!strcmp(schema, "$user") || !strcmp(schema, "pg_catalog") ||
	    !strncmp(schema, "pg_temp", 7))
		return;
	if (!(p = xgrow(c, c->path, c->npath, sizeof(*p))))
		return;
	c->path = p;
	if ((p[c->npath] = xstrdup(c, schema)))
		c->npath++;
}

static void set_stmt(struct ctx *c, json_object *st)
{
	const char *name = pgq_get_str(st, "name"), *kind = pgq_get_str(st, "kind");
	if (!name || strcmp(name, "search_path"))
		return ignore(c, "SET");
	path_clear(c);
	if (kind && strcmp(kind, "VAR_SET_VALUE")) {
		path_push(c, "public");
		return;
	}
	json_object *args = pgq_get(st, "args");
	for (size_t i = 0; i < pgq_arr_len(args); i++) {
		json_object *a = pgq_node_as(pgq_arr_at(args, i), "A_Const");
		const char *s = pgq_get_str(pgq_get(a, "sval"), "sval");
		if (s)
			path_push(c, s);
	}
}

/* pg_dump's "SELECT pg_catalog.set_config('search_path', '', false);" */
static void select_stmt(struct ctx *c, json_object *st)
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
	if (pgq_arr_len(targets) != 1 || !last || strcmp(last, "set_config") || !var ||
	    strcmp(var, "search_path") || !val)
		return ignore(c, "SELECT");
	path_clear(c);
	/* the value is a list as SET writes it: a, "b", c */
	char *copy = xstrdup(c, val), *save = NULL;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !c->rc;
	     tok = strtok_r(NULL, ",", &save)) {
		while (is_blank(*tok))
			tok++;
		size_t n = strlen(tok);
		while (n && is_blank(tok[n - 1]))
			tok[--n] = '\0';
		if (n >= 2 && tok[0] == '"' && tok[n - 1] == '"') {
			tok[n - 1] = '\0';
			tok++;
		}
		if (*tok)
			path_push(c, tok);
	}
	free(copy);
}

static void drop_stmt(struct ctx *c, json_object *st)
{
	const char *kind = pgq_get_str(st, "removeType");
	json_object *objects = pgq_get(st, "objects");
	if (!kind || strcmp(kind, "OBJECT_TABLE"))
		return ignoref(c, "DROP ", kind);
	for (size_t i = 0; i < pgq_arr_len(objects); i++) {
		json_object *items = pgq_get(pgq_node_as(pgq_arr_at(objects, i), "List"), "items");
		size_t n = pgq_arr_len(items);
		if (n < 1 || n > 2)
			continue;
		const char *schema = n == 2 ? pgq_string_node(pgq_arr_at(items, 0)) : NULL;
		const char *name = pgq_string_node(pgq_arr_at(items, n - 1));
		struct table *t = NULL;
		if (!name)
			continue;
		if (schema)
			t = find_table(c, schema, name);
		for (size_t k = 0; !schema && k < c->npath && !t; k++)
			t = find_table(c, c->path[k], name);
		if (!schema && !c->npath)
			t = find_table(c, "public", name);
		for (size_t k = 0; t && k < c->ntables; k++) {
			if (c->tables[k] == t) {
				memmove(&c->tables[k], &c->tables[k + 1],
					(c->ntables - k - 1) * sizeof(*c->tables));
				c->ntables--;
				table_free(t);
				if (index_tables(c))
					return (void)oom(c);
				break;
			}
		}
	}
}

static const struct {
	const char *node, *label;
} stmt_labels[] = {
	{ "ViewStmt", "CREATE VIEW" },
	{ "CreateTableAsStmt", "CREATE TABLE AS / MATERIALIZED VIEW" },
	{ "CreateFunctionStmt", "CREATE FUNCTION" },
	{ "CreateSeqStmt", "CREATE SEQUENCE" },
	{ "AlterSeqStmt", "ALTER SEQUENCE" },
	{ "CreateTrigStmt", "CREATE TRIGGER" },
	{ "CreateExtensionStmt", "CREATE EXTENSION" },
	{ "CreateEnumStmt", "CREATE TYPE AS ENUM" },
	{ "CreateDomainStmt", "CREATE DOMAIN" },
	{ "CompositeTypeStmt", "CREATE TYPE" },
	{ "DefineStmt", "CREATE AGGREGATE/OPERATOR/TYPE" },
	{ "GrantStmt", "GRANT/REVOKE" },
	{ "GrantRoleStmt", "GRANT/REVOKE role" },
	{ "AlterOwnerStmt", "ALTER ... OWNER TO" },
	{ "InsertStmt", "INSERT" },
	{ "UpdateStmt", "UPDATE" },
	{ "DeleteStmt", "DELETE" },
	{ "CopyStmt", "COPY" },
	{ "TransactionStmt", "BEGIN/COMMIT" },
	{ "RuleStmt", "CREATE RULE" },
	{ "DoStmt", "DO" },
	{ "CreatePolicyStmt", "CREATE POLICY" },
	{ "CreateRoleStmt", "CREATE ROLE" },
	{ "RenameStmt", "ALTER ... RENAME" },
	{ "AlterFunctionStmt", "ALTER FUNCTION" },
	{ "AlterDefaultPrivilegesStmt", "ALTER DEFAULT PRIVILEGES" },
	{ "AlterObjectSchemaStmt", "ALTER ... SET SCHEMA" },
	{ "AlterEnumStmt", "ALTER TYPE" },
	{ "CreateCastStmt", "CREATE CAST" },
	{ "CreateOpClassStmt", "CREATE OPERATOR CLASS" },
	{ "CreateEventTrigStmt", "CREATE EVENT TRIGGER" },
	{ "VacuumStmt", "VACUUM/ANALYZE" },
	{ "CallStmt", "CALL" },
	{ "ClusterStmt", "CLUSTER" },
	{ "CreateStatsStmt", "CREATE STATISTICS" },
	{ "CreateForeignTableStmt", "CREATE FOREIGN TABLE" },
	{ "CreatePLangStmt", "CREATE LANGUAGE" },
	{ "CreateConversionStmt", "CREATE CONVERSION" },
	{ "CreateOpFamilyStmt", "CREATE OPERATOR FAMILY" },
	{ "CreateRangeStmt", "CREATE TYPE AS RANGE" },
	{ "CreateSchemaStmt", "CREATE SCHEMA" },
	{ "AlterExtensionStmt", "ALTER EXTENSION" },
	{ "AlterDomainStmt", "ALTER DOMAIN" },
	{ "AlterTSConfigurationStmt", "ALTER TEXT SEARCH CONFIGURATION" },
	{ "SecLabelStmt", "SECURITY LABEL" },
	{ "CheckPointStmt", "CHECKPOINT" },
	{ "ReindexStmt", "REINDEX" },
	{ "LockStmt", "LOCK" },
	{ "NotifyStmt", "NOTIFY" },
	{ "ListenStmt", "LISTEN" },
	{ "AlterRoleStmt", "ALTER ROLE" },
	{ "AlterSystemStmt", "ALTER SYSTEM" },
	{ "AlterStatsStmt", "ALTER STATISTICS" },
	{ "CreateTransformStmt", "CREATE TRANSFORM" },
	{ "CreateAmStmt", "CREATE ACCESS METHOD" },
	{ "CreateFdwStmt", "CREATE FOREIGN DATA WRAPPER" },
	{ "CreateForeignServerStmt", "CREATE SERVER" },
	{ "CreateUserMappingStmt", "CREATE USER MAPPING" },
	{ "ImportForeignSchemaStmt", "IMPORT FOREIGN SCHEMA" },
	{ "CreatePublicationStmt", "CREATE PUBLICATION" },
	{ "CreateSubscriptionStmt", "CREATE SUBSCRIPTION" },
	{ "DropOwnedStmt", "DROP OWNED" },
	{ "ReassignOwnedStmt", "REASSIGN OWNED" },
	{ "DropRoleStmt", "DROP ROLE" },
	{ "TruncateStmt", "TRUNCATE" },
	{ "ExplainStmt", "EXPLAIN" },
	{ "PrepareStmt", "PREPARE" },
	{ "ExecuteStmt", "EXECUTE" },
	{ "DeallocateStmt", "DEALLOCATE" },
	{ "DeclareCursorStmt", "DECLARE" },
	{ "FetchStmt", "FETCH" },
	{ "ClosePortalStmt", "CLOSE" },
	{ "DiscardStmt", "DISCARD" },
	{ "VariableShowStmt", "SHOW" },
	{ "AlterDatabaseStmt", "ALTER DATABASE" },
	{ "AlterDatabaseSetStmt", "ALTER DATABASE SET" },
	{ "CreatedbStmt", "CREATE DATABASE" },
	{ "DropdbStmt", "DROP DATABASE" },
	{ "AlterOpFamilyStmt", "ALTER OPERATOR FAMILY" },
	{ "AlterOperatorStmt", "ALTER OPERATOR" },
	{ "AlterTypeStmt", "ALTER TYPE" },
	{ "AlterCollationStmt", "ALTER COLLATION" },
	{ "AlterPolicyStmt", "ALTER POLICY" },
	{ "AlterEventTrigStmt", "ALTER EVENT TRIGGER" },
	{ "AlterTableSpaceOptionsStmt", "ALTER TABLESPACE" },
	{ "CreateTableSpaceStmt", "CREATE TABLESPACE" },
	{ "DropTableSpaceStmt", "DROP TABLESPACE" },
	{ "RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW" },
	{ "MergeStmt", "MERGE" },
};

static void ignore_stmt(struct ctx *c, const char *type)
{
	for (size_t i = 0; i < sizeof(stmt_labels) / sizeof(*stmt_labels); i++)
		if (!strcmp(stmt_labels[i].node, type))
			return ignore(c, stmt_labels[i].label);
	ignore(c, type);
}

static void statement(struct ctx *c, json_object *node, const char *default_schema)
{
	json_object *st;
	const char *type = pgq_node_type(node, &st);
	if (!type)
		return;
	if (!strcmp(type, "CreateStmt")) {
		create_table(c, st, default_schema);
	} else if (!strcmp(type, "IndexStmt")) {
		create_index(c, st, default_schema);
	} else if (!strcmp(type, "CreateSchemaStmt") && !default_schema) {
		const char *schema = pgq_get_str(st, "schemaname");
		json_object *elts = pgq_get(st, "schemaElts");
		for (size_t i = 0; schema && i < pgq_arr_len(elts) && !c->rc; i++)
			statement(c, pgq_arr_at(elts, i), schema);
	} else if (!strcmp(type, "AlterTableStmt") && !default_schema) {
		alter_table(c, st);
	} else if (!strcmp(type, "CommentStmt")) {
		comment_on(c, st);
	} else if (!strcmp(type, "VariableSetStmt")) {
		set_stmt(c, st);
	} else if (!strcmp(type, "SelectStmt")) {
		select_stmt(c, st);
	} else if (!strcmp(type, "DropStmt")) {
		drop_stmt(c, st);
	} else if (!strcmp(type, "ViewStmt") || !strcmp(type, "CreateSeqStmt") ||
		   !strcmp(type, "CreateTableAsStmt")) {
		json_object *rv = pgq_get(st, "view");
		if (!rv)
			rv = pgq_get(st, "sequence");
		if (!rv)
			rv = pgq_get(pgq_get(st, "into"), "rel");
		add_other(c, rv, default_schema);
		ignore_stmt(c, type);
	} else {
		ignore_stmt(c, type);
	}
}

/* PostgreSQL quotes the text "at or near" a problem, up to the end of the
 * input for an unterminated string: keep messages to one short line. */
static int parser_message(const char *msg, int *len)
{
	size_t n = 0;
	if (!msg)
		return 0;
	while (msg[n] && msg[n] != '\n' && msg[n] != '\r' && n < 120)
		n++;
	/* do not cut a UTF-8 sequence */
	while (msg[n] && n && ((unsigned char)msg[n] & 0xc0) == 0x80)
		n--;
	*len = (int)n;
	return msg[n] != '\0';
}

/* The byte offset of PostgreSQL's 1-based character cursor in text. */
static size_t cursor_offset(const char *text, size_t len, int cursorpos)
{
	size_t i = 0;
	for (int chars = 1; i < len && chars < cursorpos; i++)
		if (((unsigned char)text[i + 1] & 0xc0) != 0x80)
			chars++;
	return i;
}

static void parse_statement(struct ctx *c, size_t start, size_t len)
{
	char *text = xstrndup(c, c->src + start, len);
	if (!text)
		return;
	c->base = start;
	c->stmt_end = start + len;
	PgQueryParseResult pr = pgq_parse(text);
	if (pr.error) {
		size_t off =
		    start + (pr.error->cursorpos > 0 ? cursor_offset(text, len, pr.error->cursorpos)
						     : skip_blank(text, 0, len));
		int n = 0;
		int cut = parser_message(pr.error->message, &n);
		report(c, DIAG_ERROR, off, "statement not imported: %.*s%s", n ? n : 12,
		       n ? pr.error->message : "syntax error", cut ? "..." : "");
		goto out;
	}
	json_object *tree = pgq_json(pr.parse_tree);
	if (!tree) {
		report(c, DIAG_ERROR, start + skip_blank(text, 0, len),
		       "statement not imported: nested too deeply to read");
		goto out;
	}
	json_object *stmts = pgq_get(tree, "stmts");
	for (size_t i = 0; i < pgq_arr_len(stmts) && !c->rc; i++) {
		c->out->statements++;
		statement(c, pgq_get(pgq_arr_at(stmts, i), "stmt"), NULL);
	}
	json_object_put(tree);
out:
	pg_query_free_parse_result(pr);
	free(text);
}

/* ---- the end: foreign keys, validation, output ---- */

static struct table *fk_target(struct ctx *c, const struct fk *f)
{
	if (f->tschema)
		return find_table(c, f->tschema, f->tname);
	for (size_t i = 0; i < f->npath; i++) {
		struct table *t = find_table(c, f->path[i], f->tname);
		if (t)
			return t;
	}
	return NULL;
}

static void resolve_fk(struct ctx *c, struct table *t, struct fk *f)
{
	struct sbuf sb = SBUF_INIT;
	struct table *target = fk_target(c, f);
	const char *tn = sql_name(&sb, f->tschema, f->tname);
	const struct reg_strlist *remote = &f->remote;
	if (!target) {
		report(c, DIAG_WARNING, f->at,
		       "foreign key of '%s' not imported: table '%s' is unknown", t->sqlname, tn);
		goto out;
	}
	if (target->state == T_EXCLUDED) {
		report(c, DIAG_WARNING, f->at,
		       "foreign key of '%s' not imported: table '%s' is outside schema '%s'",
		       t->sqlname, tn, c->only_schema);
		goto out;
	}
	if (target->state == T_REFUSED) {
		report(c, DIAG_WARNING, f->at,
		       "foreign key of '%s' not imported: table '%s' is not imported", t->sqlname,
		       tn);
		goto out;
	}
	if (!remote->n)
		remote = &target->pk;
	if (!remote->n) {
		report(c, DIAG_WARNING, f->at,
		       "foreign key of '%s' not imported: '%s' has no primary key to refer to",
		       t->sqlname, tn);
		goto out;
	}
	if (remote->n != f->local.n) {
		report(c, DIAG_WARNING, f->at,
		       "foreign key of '%s' not imported: %zu columns refer to %zu", t->sqlname,
		       f->local.n, remote->n);
		goto out;
	}
	for (size_t i = 0; i < f->local.n; i++) {
		const struct reg_column *col = column(t, f->local.items[i]);
		if (!col) {
			report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: unknown column '%s'", t->sqlname,
			       f->local.items[i]);
			goto out;
		}
		if (!col->nullable &&
		    (f->on_delete == REG_FK_SET_NULL || f->on_update == REG_FK_SET_NULL)) {
			report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: SET NULL on NOT NULL column '%s'",
			       t->sqlname, col->name);
			goto out;
		}
	}
	struct reg_reference *refs = xgrow(c, t->s->refs, t->s->nrefs, sizeof(*refs));
	if (!refs)
		goto out;
	t->s->refs = refs;
	struct reg_reference *r = &refs[t->s->nrefs++];
	/* where the SQL declares it, for a later warning; cleared on output */
	r->loc = loc_of(c, f->at);
	r->on_delete = f->on_delete;
	r->on_update = f->on_update;
	/* the target's registry name; fixed up if it is refused later */
	r->schema = xstrdup(c, target->name);
	for (size_t i = 0; i < f->local.n; i++) {
		push_str(c, &r->foreign_keys, f->local.items[i]);
		push_str(c, &r->columns, remote->items[i]);
	}
	r->foreign_keys.was_list = r->columns.was_list = f->local.n > 1;
out:
	sbuf_release(&sb);
}

/* Tables that may be imported, by registry name, then in declaration order. */
struct named {
	struct table *t;
	size_t order;
};

static int by_registry_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int d = strcmp(x->t->name, y->t->name);
	return d ? d : (x->order > y->order) - (x->order < y->order);
}

static struct table *table_by_name(const struct named *sorted, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(sorted[mid].t->name, name);
		if (!d)
			return sorted[mid].t;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int by_name(const void *a, const void *b)
{
	const struct reg_schema *x = *(const struct reg_schema *const *)a;
	const struct reg_schema *y = *(const struct reg_schema *const *)b;
	return strcmp(x->name, y->name);
}

/* Two SQL tables, one registry name (public.sales_orders, sales.orders):
 * the first declared wins. */
static void refuse_name_clashes(struct ctx *c, const struct named *sorted, size_t n)
{
	struct sbuf a = SBUF_INIT, b = SBUF_INIT;
	for (size_t i = 1; i < n; i++) {
		const struct table *first = sorted[i - 1].t;
		struct table *t = sorted[i].t;
		size_t k = i - 1;
		if (strcmp(first->name, t->name))
			continue;
		while (k > 0 && !strcmp(sorted[k - 1].t->name, t->name))
			k--;
		first = sorted[k].t;
		report(c, DIAG_ERROR, t->at,
		       "table '%s' not imported: its registry name '%s' is taken by '%s' (line %u)",
		       sql_name(&a, t->sqlschema, t->sqlname), t->name,
		       sql_name(&b, first->sqlschema, first->sqlname), loc_of(c, first->at).line);
		t->state = T_REFUSED;
	}
	sbuf_release(&a);
	sbuf_release(&b);
}

static void finish(struct ctx *c)
{
	struct ddl_import *o = c->out;
	struct named *sorted = calloc(c->ntables + 1, sizeof(*sorted));
	size_t nsorted = 0;
	if (!sorted)
		return (void)oom(c);
	for (size_t i = 0; i < c->ntables; i++)
		if (c->tables[i]->state == T_OK)
			sorted[nsorted++] = (struct named){c->tables[i], i};
	qsort(sorted, nsorted, sizeof(*sorted), by_registry_name);
	refuse_name_clashes(c, sorted, nsorted);
	size_t kept = 0;
	for (size_t i = 0; i < nsorted; i++)
		if (sorted[i].t->state == T_OK)
			sorted[kept++] = sorted[i];
	nsorted = kept;

	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct table *t = c->tables[i];
		if (t->state != T_OK)
			continue;
		for (size_t k = 0; k < t->nfks && !c->rc; k++)
			resolve_fk(c, t, &t->fks[k]);
	}
	/* the safety net: what the registry would refuse is not emitted */
	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct table *t = c->tables[i];
		struct diags d = DIAGS_INIT;
		if (t->state != T_OK)
			continue;
		if (reg_validate_schema(t->s, t->name, &d)) {
			diags_release(&d);
			free(sorted);
			return (void)oom(c);
		}
		for (size_t k = 0; k < d.n; k++)
			if (d.items[k].severity == DIAG_ERROR)
				report(c, DIAG_ERROR, t->at, "table '%s' not imported: %s",
				       t->sqlname, d.items[k].message);
		if (d.errors)
			t->state = T_REFUSED;
		diags_release(&d);
	}
	/* foreign keys to a refused table go, so the rest stays consistent */
	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct reg_schema *s = c->tables[i]->s;
		if (c->tables[i]->state != T_OK)
			continue;
		for (size_t k = 0; k < s->nrefs;) {
			struct table *target = table_by_name(sorted, nsorted, s->refs[k].schema);
			if (target && target->state == T_OK) {
				k++;
				continue;
			}
			if (diags_add(
				c->diags, c->file, s->refs[k].loc, DIAG_WARNING,
				"foreign key of '%s' not imported: table '%s' is not imported",
				c->tables[i]->sqlname, s->refs[k].schema))
				oom(c);
			free(s->refs[k].schema);
			free(s->refs[k].description);
			reg_strlist_release(&s->refs[k].columns);
			reg_strlist_release(&s->refs[k].foreign_keys);
			memmove(&s->refs[k], &s->refs[k + 1],
				(s->nrefs - k - 1) * sizeof(*s->refs));
			s->nrefs--;
		}
	}
	free(sorted);
	if (c->rc)
		return;
	o->schemas = calloc(c->ntables + 1, sizeof(*o->schemas));
	if (!o->schemas)
		return (void)oom(c);
	for (size_t i = 0; i < c->ntables; i++) {
		struct table *t = c->tables[i];
		if (t->state != T_OK)
			continue;
		for (size_t k = 0; k < t->s->nrefs; k++)
			t->s->refs[k].loc = (struct reg_loc){0, 0};
		o->schemas[o->n++] = t->s;
		o->nrefs += t->s->nrefs;
		o->nindexes += t->s->nindexes;
		t->s = NULL;
	}
	qsort(o->schemas, o->n, sizeof(*o->schemas), by_name);
}

int ddl_import_sql(const char *sql, size_t len, const char *file,
		   const struct ddl_import_opts *opts, struct ddl_import *out, struct diags *diags)
{
	struct ctx c = {0};
	PgQuerySplitResult split = {0};
	bool have_split = false;
	memset(out, 0, sizeof(*out));
	c.file = file ? file : "";
	c.diags = diags;
	c.out = out;
	c.only_schema = opts ? opts->only_schema : NULL;
	c.owner = opts ? opts->owner : NULL;
	c.len = len;
	if (!(c.src = malloc(len + 1))) {
		c.rc = REG_ENOMEM;
		goto out;
	}
	memcpy(c.src, sql, len);
	c.src[len] = '\0';
	if ((c.rc = build_lines(&c)))
		goto out;
	const char *nul = memchr(sql, '\0', len);
	if (nul) {
		report(&c, DIAG_ERROR, (size_t)(nul - sql), "not SQL text: a NUL byte");
		c.rc = c.rc ? c.rc : REG_EINVAL;
		goto out;
	}
	path_push(&c, "public");
	blank_meta_commands(&c);
	if (c.rc)
		goto out;

	split = pg_query_split_with_scanner(c.src);
	have_split = true;
	if (split.error) {
		size_t off = split.error->cursorpos > 0
				 ? cursor_offset(c.src, c.len, split.error->cursorpos)
				 : 0;
		int n = 0;
		int cut = parser_message(split.error->message, &n);
		report(&c, DIAG_ERROR, off, "cannot split the text into statements: %.*s%s",
		       n ? n : 13, n ? split.error->message : "scanner error", cut ? "..." : "");
		c.rc = c.rc ? c.rc : REG_EINVAL;
		goto out;
	}
	for (int i = 0; i < split.n_stmts && !c.rc; i++) {
		size_t start = (size_t)split.stmts[i]->stmt_location;
		size_t n = (size_t)split.stmts[i]->stmt_len;
		if (start > c.len)
			continue;
		if (!n || start + n > c.len)
			n = c.len - start;
		if (skip_blank(c.src, start, start + n) < start + n)
			parse_statement(&c, start, n);
	}
	if (!c.rc)
		finish(&c);
out:
	if (have_split)
		pg_query_free_split_result(split);
	for (size_t i = 0; i < c.ntables; i++)
		table_free(c.tables[i]);
	free(c.tables);
	free(c.slots);
	path_clear(&c);
	free(c.path);
	reg_strlist_release(&c.others);
	free(c.lines);
	free(c.src);
	return c.rc;
}

void ddl_import_release(struct ddl_import *imp)
{
	if (!imp)
		return;
	for (size_t i = 0; i < imp->n; i++)
		reg_schema_free(imp->schemas[i]);
	free(imp->schemas);
	for (size_t i = 0; i < imp->nignored; i++)
		free(imp->ignored[i].what);
	free(imp->ignored);
	memset(imp, 0, sizeof(*imp));
}
