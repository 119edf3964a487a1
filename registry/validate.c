#include "validate.h"
#include "validate_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "pg_catalog.h"
#include "sqlcheck.h"
#include "strmap.h"
#include "text.h"

/* ---- small rules ---- */

static const char why_too_long[] = "is longer than 63 bytes, PostgreSQL's limit for names";

int reg_validate_ident(const char *s, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "must not be empty";
		return 0;
	}
	for (const char *p = s; *p; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			*why = "must be lower case";
			return 0;
		}
	}
	if (!((*s >= 'a' && *s <= 'z') || *s == '_')) {
		*why = "must start with a lower-case letter or '_'";
		return 0;
	}
	for (const char *p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == '$')) {
			*why = "may contain only lower-case letters, digits, '_' and '$'";
			return 0;
		}
	}
	if (strlen(s) > REG_MAX_IDENT_LEN) {
		*why = why_too_long;
		return 0;
	}
	*why = NULL;
	return 1;
}

int reg_validate_file_name(const char *fname, const char **why)
{
	static const char ext[] = ".yaml";
	const char *dummy;
	size_t n = fname ? strlen(fname) : 0;
	if (!why)
		why = &dummy;
	if (n <= strlen(ext) || strcmp(fname + n - strlen(ext), ext)) {
		*why = "a schema file is called TABLE.yaml";
		return 0;
	}
	char base[REG_MAX_IDENT_LEN + 2];
	size_t len = n - strlen(ext);
	if (len > REG_MAX_IDENT_LEN) {
		*why = why_too_long;
		return 0;
	}
	memcpy(base, fname, len);
	base[len] = '\0';
	if (!strcmp(base, REG_RESERVED_NAME)) {
		*why = "is registry.yaml, the registry's own settings, not a schema";
		return 0;
	}
	return reg_validate_ident(base, why);
}

/* ---- registry.yaml's target ---- */

static bool secret_key(const char *k, size_t n)
{
	return (n == 8 && !strncmp(k, "password", 8)) || (n == 11 && !strncmp(k, "sslpassword", 11));
}

/* A URI's query parameter name, percent-decoded into buf. */
static size_t uri_param(const char *p, size_t n, char *buf, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < size; i++) {
		if (p[i] == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) &&
		    isxdigit((unsigned char)p[i + 2])) {
			char hex[3] = { p[i + 1], p[i + 2], 0 };
			buf[o++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else {
			buf[o++] = p[i];
		}
	}
	buf[o] = '\0';
	return o;
}

static bool uri_has_password(const char *t)
{
	const char *p = strstr(t, "://") + 3;
	size_t auth = strcspn(p, "/?");
	const char *at = memrchr(p, '@', auth);
	if (at && memchr(p, ':', (size_t)(at - p)))
		return true;
	const char *q = strchr(p, '?');
	while (q && *q) {
		q++;
		size_t len = strcspn(q, "&"), klen = strcspn(q, "=&");
		char key[32];
		if (klen < sizeof(key) && secret_key(key, uri_param(q, klen, key, sizeof(key))))
			return true;
		q += len;
	}
	return false;
}

bool reg_target_has_password(const char *t)
{
	if (!t)
		return false;
	if (!strncmp(t, "postgresql://", 13) || !strncmp(t, "postgres://", 11))
		return uri_has_password(t);
	const char *p = t;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return false;
		const char *key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t klen = (size_t)(p - key);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			return false; /* not a conninfo string: libpq refuses it */
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (secret_key(key, klen))
			return true;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++)
				if (*p == '\\' && p[1])
					p++;
		}
	}
}

/* A semver numeric identifier: digits, no leading zero. Returns the
 * length consumed, 0 when there is none. */
static size_t semver_number(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n > 1 && s[0] == '0')
		return 0;
	return n;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading
 * zeros when strict (pre-release), any when not (build metadata). */
static size_t semver_idents(const char *s, int strict)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		int all_digits = 1;
		while ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z') ||
		       (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-') {
			if (!(s[i] >= '0' && s[i] <= '9'))
				all_digits = 0;
			i++;
		}
		if (i == start)
			return 0;
		if (strict && all_digits && i - start > 1 && s[start] == '0')
			return 0;
		if (s[i] != '.')
			return i;
		i++;
	}
}

int reg_validate_semver(const char *s)
{
	size_t n;
	if (!s)
		return 0;
	for (int part = 0; part < 3; part++) {
		if (!(n = semver_number(s)))
			return 0;
		s += n;
		if (part < 2 && *s++ != '.')
			return 0;
	}
	if (*s == '-') {
		if (!(n = semver_idents(++s, 1)))
			return 0;
		s += n;
	}
	if (*s == '+') {
		if (!(n = semver_idents(++s, 0)))
			return 0;
		s += n;
	}
	return *s == '\0';
}

/* ---- locations ---- */

/*
 * The place of byte `offset` of a scalar's text, given where the scalar
 * starts. Only when the source shows the text verbatim on one line (plain
 * or quoted without escapes before the offset) is the column exact;
 * otherwise the scalar's own start is the honest answer. Columns count
 * characters, as libyaml's marks do.
 */
static struct reg_loc loc_in_scalar(const struct reg_schema *s, const struct text_lines *lines,
				    struct reg_loc at, const char *text, int offset)
{
	if (offset < 0 || !at.line || !at.col || !s->source || !text || !lines ||
	    at.line > lines->n)
		return at;
	const char *end = s->source + s->source_len;
	const char *p = s->source + lines->starts[at.line - 1];
	for (uint32_t col = 1; col < at.col && p < end; p++)
		if (((unsigned char)*p & 0xC0) != 0x80 && *p != '\n')
			col++;
	/* p stops on the scalar's first byte: skip continuation bytes the loop
	 * may have left behind the last counted character */
	while (p < end && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	uint32_t shift = 0;
	if (p < end && (*p == '"' || *p == '\'')) {
		p++;
		shift = 1;
	}
	size_t off = (size_t)offset;
	if (off > strlen(text) || (size_t)(end - p) < off || memcmp(p, text, off) ||
	    memchr(text, '\n', off))
		return at;
	at.col += shift + (uint32_t)text_utf8_chars(text, off);
	return at;
}

/* Schemas built through the C API have no places: fall back to the
 * enclosing item's, which may have one. */
struct reg_loc validate_loc_or(struct reg_loc loc, struct reg_loc fallback)
{
	return loc.line ? loc : fallback;
}

struct reg_loc validate_strlist_loc(const struct reg_strlist *l, size_t i, struct reg_loc fallback)
{
	return l->locs ? validate_loc_or(l->locs[i], fallback) : fallback;
}

/* ---- one schema ---- */

/*
 * One file's validation. Every rule is linear in the file: columns are
 * found through a map, the "did you mean" searches share one budget
 * (DIAG_SUGGEST_BUDGET comparisons), and after DIAG_MAX_PER_FILE problems
 * the rest are only counted (no message, no place, no suggestion), for one
 * closing "... and N more problems".
 */
struct vctx {
	const struct reg_schema *s;
	const char *file;
	struct diags *d;
	const char **colnames;  /* NULL-terminated, for suggestions; lazily built */
	size_t ncolnames;
	struct strmap columns;  /* name -> struct reg_column, borrowed keys */
	bool columns_built;
	struct text_lines lines; /* of s->source, for places inside scalars */
	bool lines_built;
	size_t budget;          /* suggestion comparisons left */
	size_t kept, more;      /* problems reported, and counted past the cap */
	struct reg_loc more_loc;
	enum diag_severity more_sev;
};

/* True once the file has all the problems it may show: callers skip the
 * work of building a message. */
static bool full(const struct vctx *c)
{
	return c->kept >= DIAG_MAX_PER_FILE;
}

static int vdiag(struct vctx *c, struct reg_loc loc, enum diag_severity sev, const char *fmt,
		 va_list ap)
{
	if (full(c)) {
		if (!c->more++)
			c->more_loc = loc;
		if (sev < c->more_sev)
			c->more_sev = sev;
		return 0;
	}
	c->kept++;
	return diags_vadd(c->d, c->file, loc, sev, fmt, ap);
}

static int err(struct vctx *c, struct reg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err(struct vctx *c, struct reg_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vdiag(c, loc, DIAG_ERROR, fmt, ap);
	va_end(ap);
	return rc;
}

static int warn(struct vctx *c, struct reg_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int warn(struct vctx *c, struct reg_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vdiag(c, loc, DIAG_WARNING, fmt, ap);
	va_end(ap);
	return rc;
}

/* The place of byte offset inside a scalar of the file (see loc_in_scalar). */
static struct reg_loc scalar_loc(struct vctx *c, struct reg_loc at, const char *text, int offset)
{
	if (offset < 0 || !c->s->source || full(c))
		return at;
	if (!c->lines_built) {
		if (text_lines_init(&c->lines, c->s->source, c->s->source_len, TEXT_BREAKS_LF))
			return at;
		c->lines_built = true;
	}
	return loc_in_scalar(c->s, &c->lines, at, text, offset);
}

/* The column of this file called name, through a map built on first use
 * (a table with 22,000 columns and an index naming 70,000 must not cost
 * their product). NULL when absent; *rc REG_ENOMEM when the map failed. */
static const struct reg_column *column_of(struct vctx *c, const char *name, int *rc)
{
	if (c->s->ncolumns <= VALIDATE_SMALL_TABLE)
		return reg_schema_column(c->s, name);
	if (!c->columns_built) {
		strmap_init_borrowed(&c->columns);
		c->columns_built = true;
		for (size_t i = 0; i < c->s->ncolumns; i++) {
			const struct reg_column *col = &c->s->columns[i];
			/* the first of duplicates, as reg_schema_column finds */
			if (col->name && !strmap_has_s(&c->columns, col->name) &&
			    strmap_put_s(&c->columns, col->name, (void *)col, NULL)) {
				*rc = REG_ENOMEM;
				return NULL;
			}
		}
	}
	return name ? strmap_get_s(&c->columns, name) : NULL;
}

static int check_ident(struct vctx *c, const char *what, const char *name, struct reg_loc loc)
{
	const char *why;
	if (!name)
		return err(c, loc, "missing %s", what);
	if (reg_validate_ident(name, &why))
		return 0;
	if (why == why_too_long)
		return err(c, loc, "invalid %s '%s': is %zu bytes long; PostgreSQL names are at most %d",
			   what, name, strlen(name), REG_MAX_IDENT_LEN);
	return err(c, loc, "invalid %s '%s': %s", what, name, why);
}

/* The column names of s, NULL-terminated, for reg_nearest (malloc'd array,
 * borrowed names); NULL on OOM. */
const char **validate_column_names(const struct reg_schema *s)
{
	const char **names = calloc(s->ncolumns + 1, sizeof(*names));
	if (!names)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].name)
			names[k++] = s->columns[i].name;
	return names;
}

static const char *const *column_names(struct vctx *c)
{
	if (!c->colnames) {
		c->colnames = validate_column_names(c->s);
		for (c->ncolnames = 0; c->colnames && c->colnames[c->ncolnames]; c->ncolnames++)
			;
	}
	return c->colnames;
}

/* Appends "; did you mean 'x'?" when one of the n cands is near word, as
 * far as the budget of comparisons goes (reg_nearest_within). */
int validate_suggest(struct sbuf *sb, const char *word, const char *const *cands,
				 size_t n, size_t *budget)
{
	const char *near = cands && word ? reg_nearest_within(word, cands, n, budget) : NULL;
	return near ? sbuf_addf(sb, "; did you mean '%s'?", near) : 0;
}

static int undeclared_column(struct vctx *c, const char *what, const char *name,
			     struct reg_loc loc)
{
	struct sbuf hint = SBUF_INIT;
	if (full(c))
		return err(c, loc, "%s", what);
	const char *const *cands = column_names(c);
	if (!cands)
		return REG_ENOMEM;
	int rc = validate_suggest(&hint, name, cands, c->ncolnames, &c->budget);
	if (!rc)
		rc = err(c, loc, "%s '%s' is not a column of '%s'%s", what, name,
			 c->s->name ? c->s->name : "", hint.buf);
	sbuf_release(&hint);
	return rc;
}

/* Names sorted with their position, so duplicates are neighbours: linear
 * after the sort even for a table with thousands of columns. */
struct named {
	const char *name;
	size_t pos;
};

static int named_cmp(const void *pa, const void *pb)
{
	const struct named *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);
	if (r)
		return r;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Calls back for every item whose name an earlier item already has. */
static int find_duplicates(const char *const *names, size_t n,
			   int (*dup)(void *arg, size_t first, size_t again), void *arg)
{
	struct named *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;
	int rc = 0;
	if (!v)
		return REG_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (names[i])
			v[k++] = (struct named){ names[i], i };
	qsort(v, k, sizeof(*v), named_cmp);
	for (size_t i = 1, first = 0; i < k && !rc; i++) {
		if (strcmp(v[i].name, v[first].name))
			first = i;
		else
			rc = dup(arg, v[first].pos, v[i].pos);
	}
	free(v);
	return rc;
}

/* "duplicate column 'x' (first declared at line N)" at the second name. */
static int duplicate(struct vctx *c, const char *what, const char *name, struct reg_loc first,
		     struct reg_loc again)
{
	if (first.line)
		return err(c, again, "duplicate %s '%s' (first declared at line %u)", what, name,
			   first.line);
	return err(c, again, "duplicate %s '%s'", what, name);
}

static int dup_column(void *arg, size_t first, size_t again)
{
	struct vctx *c = arg;
	const struct reg_column *a = &c->s->columns[first], *b = &c->s->columns[again];
	return duplicate(c, "column", b->name, validate_loc_or(a->name_loc, a->loc),
			 validate_loc_or(b->name_loc, b->loc));
}

static int dup_index(void *arg, size_t first, size_t again)
{
	struct vctx *c = arg;
	const struct reg_index *a = &c->s->indexes[first], *b = &c->s->indexes[again];
	return duplicate(c, "index", b->name, validate_loc_or(a->name_loc, a->loc),
			 validate_loc_or(b->name_loc, b->loc));
}

/* The offset of text's first C0 control character or DEL, -1 when none. */
static int first_control(const char *text)
{
	for (size_t i = 0; text[i] && i < INT32_MAX; i++)
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
			return (int)i;
	return -1;
}

/*
 * Values that reach a line- or tab-separated view (dependents/, plan
 * steps, pending SQL) must not hold a line break or a tab: one would forge
 * a line there. Only description and changes are free text.
 */
static int check_controls(struct vctx *c, const char *what, const char *text,
			  const char *column, struct reg_loc at)
{
	int off = text ? first_control(text) : -1;
	if (off < 0)
		return 0;
	return err(c, scalar_loc(c, at, text, off), "invalid %s '%s'%s%s%s: control character "
		   "0x%02x (text views are line and tab separated; only description and "
		   "changes may hold one)", what, text, column ? " for column '" : "",
		   column ? column : "", column ? "'" : "", (unsigned char)text[off]);
}

/*
 * Hooks for what the registry will declare: its own types (enums, domains)
 * and the extensions of its target (registry.yaml). Neither exists yet, so
 * nothing is declared: every name the catalog does not know is judged.
 */
static bool declared_type(const struct vctx *c, const char *name)
{
	(void)c;
	(void)name;
	return false;
}

static bool declared_extension(const struct vctx *c, const char *ext)
{
	(void)c;
	(void)ext;
	return false;
}

/*
 * A valid type or default whose names PostgreSQL's catalog does not know
 * (docs/validation.md, "Names PostgreSQL knows"). Errors: a pseudo-type, a
 * type near a built-in one (a typo) or with modifiers (no enum or domain
 * has any), a function that is not built in. Warnings: an extension's
 * type or function (the target must have it), and any other unqualified
 * type, which the target may define (CREATE TYPE, CREATE DOMAIN).
 */
static int check_names(struct vctx *c, const struct reg_column *col, int is_type,
		       const struct sqlcheck_names *n, struct reg_loc at, const char *text)
{
	const char *what = is_type ? "type" : "function", *cname = col->name ? col->name : "";
	struct reg_loc loc = scalar_loc(c, at, text, n->offset);
	if (n->verdict == SQLCHECK_EXTENSION)
		return declared_extension(c, n->extension) ? 0
		       : warn(c, loc, "column '%s': %s '%s' comes from extension '%s', which the "
			      "target database must have (CREATE EXTENSION \"%s\")", cname, what,
			      n->name, n->extension, n->extension);
	if (n->verdict == SQLCHECK_PSEUDO)
		return err(c, loc, "column '%s': type '%s' is a pseudo-type, not a column type",
			   cname, n->name);
	if (is_type && declared_type(c, n->name))
		return 0;
	if (is_type && !n->typo && !n->typmods)
		return warn(c, loc, "column '%s': unknown type '%s' (not built in, nor an "
			    "extension's; a type the target defines is written schema-qualified: "
			    "public.%s)", cname, n->name, n->name);
	const char *near = is_type ? n->near : NULL;
	if (!is_type && !full(c)) {
		char lower[REG_MAX_IDENT_LEN + 1];
		size_t k = 0;
		for (; n->name[k] && k < REG_MAX_IDENT_LEN; k++)
			lower[k] = (char)tolower((unsigned char)n->name[k]);
		lower[k] = '\0';
		near = pg_catalog_suggest_function(lower, &c->budget);
	}
	if (near)
		return err(c, loc, "column '%s': unknown %s '%s' (did you mean '%s'?)", cname, what,
			   n->name, near);
	return err(c, loc, "column '%s': unknown %s '%s'%s", cname, what, n->name,
		   is_type ? "" : " (not built in, nor an extension's; a function the target "
				  "defines is called schema-qualified: public.f())");
}

static int check_sql(struct vctx *c, const struct reg_column *col, int is_type)
{
	const char *text = is_type ? col->type : col->default_expr;
	struct reg_loc at = is_type ? col->type_loc : col->default_loc;
	struct sqlcheck_result res;
	int rc = check_controls(c, is_type ? "type" : "default", text,
				col->name ? col->name : "", at);
	if (rc || first_control(text) >= 0)
		return rc;
	rc = is_type ? sqlcheck_type(text, &res) : sqlcheck_expr(text, &res);
	if (rc)
		return rc;
	if (res.ok)
		return res.names.verdict == SQLCHECK_KNOWN ? 0
		       : check_names(c, col, is_type, &res.names, at, text);
	return err(c, scalar_loc(c, at, text, res.offset), "invalid %s '%s' for column '%s': %s",
		   is_type ? "type" : "default", text, col->name ? col->name : "", res.message);
}

static int check_columns(struct vctx *c)
{
	const struct reg_schema *s = c->s;
	int rc = 0;
	if (!s->ncolumns)
		return err(c, validate_loc_or(s->columns_loc, s->name_loc),
			   "a table needs at least one column");
	for (size_t i = 0; i < s->ncolumns && !rc; i++) {
		const struct reg_column *col = &s->columns[i];
		struct reg_loc nl = validate_loc_or(col->name_loc, col->loc);
		rc = check_ident(c, "column name", col->name, nl);
		if (rc)
			break;
		if (!col->type)
			rc = err(c, col->loc, "column '%s' has no type", col->name ? col->name : "");
		else
			rc = check_sql(c, col, 1);
		if (!rc && col->default_expr)
			rc = check_sql(c, col, 0);
	}
	if (rc)
		return rc;
	const char **names = malloc((s->ncolumns + 1) * sizeof(*names));
	if (!names)
		return REG_ENOMEM;
	for (size_t i = 0; i < s->ncolumns; i++)
		names[i] = s->columns[i].name;
	rc = find_duplicates(names, s->ncolumns, dup_column, c);
	free(names);
	return rc;
}

static const char *action_key(int update)
{
	return update ? "on_update" : "on_delete";
}

static int check_action(struct vctx *c, const struct reg_reference *ref, int update)
{
	enum reg_fk_action a = update ? ref->on_update : ref->on_delete;
	struct reg_loc at = validate_loc_or(update ? ref->on_update_loc : ref->on_delete_loc, ref->loc);
	int rc = 0;
	if ((unsigned)a > REG_FK_SET_DEFAULT)
		return err(c, at, "invalid %s action; expected CASCADE, RESTRICT, SET NULL, "
			   "SET DEFAULT or NO ACTION", action_key(update));
	if (a != REG_FK_SET_NULL && a != REG_FK_SET_DEFAULT)
		return 0;
	for (size_t i = 0; i < ref->foreign_keys.n && !rc; i++) {
		const struct reg_column *col = column_of(c, ref->foreign_keys.items[i], &rc);
		if (!col)
			continue;
		int not_null = !col->nullable || col->primary_key;
		if (a == REG_FK_SET_NULL && not_null)
			rc = err(c, at, "%s SET NULL on foreign key column '%s', which is NOT NULL%s",
				 action_key(update), col->name,
				 col->primary_key && col->nullable ? " (part of the primary key)" : "");
		else if (a == REG_FK_SET_DEFAULT && !col->default_expr)
			rc = warn(c, at, "%s SET DEFAULT on foreign key column '%s', which has no "
				  "default (it becomes NULL%s)", action_key(update), col->name,
				  not_null ? ", which its NOT NULL refuses" : "");
	}
	return rc;
}

/* Names of this table's own columns (a foreign key's, an index's): each a
 * valid identifier (named what_name in messages) and declared (what). */
static int check_local_columns(struct vctx *c, const struct reg_strlist *l,
			       struct reg_loc fallback, const char *what, const char *what_name)
{
	int rc = 0;
	for (size_t i = 0; i < l->n && !rc; i++) {
		const char *name = l->items[i];
		struct reg_loc at = validate_strlist_loc(l, i, fallback);
		if (!reg_validate_ident(name, NULL))
			rc = check_ident(c, what_name, name, at);
		else if (!column_of(c, name, &rc) && !rc)
			rc = undeclared_column(c, what, name, at);
	}
	return rc;
}

static int check_references(struct vctx *c)
{
	const struct reg_schema *s = c->s;
	int rc = 0;
	for (size_t r = 0; r < s->nrefs && !rc; r++) {
		const struct reg_reference *ref = &s->refs[r];
		rc = check_ident(c, "referenced schema name", ref->schema,
				 validate_loc_or(ref->schema_loc, ref->loc));
		for (size_t i = 0; i < ref->columns.n && !rc; i++)
			rc = check_ident(c, "referenced column name", ref->columns.items[i],
					 validate_strlist_loc(&ref->columns, i, ref->loc));
		if (!rc && !ref->foreign_keys.n)
			rc = err(c, ref->loc, "reference to '%s' names no foreign_key column",
				 ref->schema ? ref->schema : "");
		if (!rc && !ref->columns.n)
			rc = err(c, ref->loc, "reference to '%s' names no referenced column",
				 ref->schema ? ref->schema : "");
		if (!rc)
			rc = check_local_columns(c, &ref->foreign_keys, ref->loc, "foreign key column",
						 "foreign key column name");
		if (!rc && ref->columns.n && ref->foreign_keys.n &&
		    ref->columns.n != ref->foreign_keys.n)
			rc = err(c, ref->loc, "foreign key has %zu column%s (foreign_key) but references "
				 "%zu (column); the counts must match", ref->foreign_keys.n,
				 ref->foreign_keys.n == 1 ? "" : "s", ref->columns.n);
		if (!rc)
			rc = check_action(c, ref, 0);
		if (!rc)
			rc = check_action(c, ref, 1);
	}
	return rc;
}

static int check_indexes(struct vctx *c)
{
	const struct reg_schema *s = c->s;
	int rc = 0;
	for (size_t x = 0; x < s->nindexes && !rc; x++) {
		const struct reg_index *ix = &s->indexes[x];
		struct reg_loc nl = validate_loc_or(ix->name_loc, ix->loc);
		rc = check_ident(c, "index name", ix->name, nl);
		if (!rc && !ix->columns.n)
			rc = err(c, ix->loc, "index '%s' has no columns", ix->name ? ix->name : "");
		if (!rc)
			rc = check_local_columns(c, &ix->columns, ix->loc, "index column",
						 "index column name");
	}
	if (rc || s->nindexes < 2)
		return rc;
	const char **names = malloc(s->nindexes * sizeof(*names));
	if (!names)
		return REG_ENOMEM;
	for (size_t i = 0; i < s->nindexes; i++)
		names[i] = s->indexes[i].name;
	rc = find_duplicates(names, s->nindexes, dup_index, c);
	free(names);
	return rc;
}

static int check_header(struct vctx *c, const char *expected_name)
{
	const struct reg_schema *s = c->s;
	int rc = check_ident(c, "table name", s->name, s->name_loc);
	if (!rc && s->name && !strcmp(s->name, REG_RESERVED_NAME))
		rc = err(c, s->name_loc, "table name '%s' is reserved: %s.yaml holds the registry's "
			 "own settings, so no schema file can have that name", s->name,
			 REG_RESERVED_NAME);
	if (!rc && s->name && expected_name && strcmp(s->name, expected_name))
		rc = err(c, s->name_loc, "name '%s' does not match the file name '%s.yaml'", s->name,
			 expected_name);
	if (!rc && (!s->owner || !*s->owner))
		rc = err(c, validate_loc_or(s->owner_loc, s->name_loc),
			 "'owner' must name the owning service");
	if (!rc)
		rc = check_controls(c, "owner", s->owner, NULL, validate_loc_or(s->owner_loc, s->name_loc));
	if (!rc && s->version && !reg_validate_semver(s->version))
		rc = err(c, s->version_loc, "invalid version '%s': expected MAJOR.MINOR.PATCH "
			 "(semantic versioning, e.g. 1.0.0)", s->version);
	for (size_t i = 0; i < s->nhistory && !rc; i++) {
		const struct reg_history_entry *h = &s->history[i];
		if (!h->version)
			rc = err(c, h->loc, "version_history entry has no version");
		else if (!reg_validate_semver(h->version))
			rc = err(c, h->loc, "invalid version_history version '%s': expected "
				 "MAJOR.MINOR.PATCH (semantic versioning, e.g. 1.0.0)", h->version);
		if (!rc)
			rc = check_controls(c, "version_history date", h->date, NULL, h->loc);
	}
	return rc;
}

int reg_validate_schema(const struct reg_schema *s, const char *expected_name,
			struct diags *diags)
{
	struct vctx c = { .s = s, .file = s->file, .d = diags, .budget = DIAG_SUGGEST_BUDGET,
			  .more_sev = DIAG_NOTE };
	int rc = check_header(&c, expected_name);
	if (!rc)
		rc = check_columns(&c);
	if (!rc)
		rc = check_references(&c);
	if (!rc)
		rc = check_indexes(&c);
	if (!rc && c.more)
		rc = diags_add_more(diags, c.file, c.more_loc, c.more_sev, c.more);
	free(c.colnames);
	if (c.columns_built)
		strmap_release(&c.columns, NULL);
	if (c.lines_built)
		text_lines_release(&c.lines);
	return rc;
}
