#include "render.h"
#include "render_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Mermaid erDiagram, written in the subset every mermaid from 10 on is
 * known to accept (see ../shared/tools/README.md, "erDiagram: what mermaid
 * 11 accepts", and the probes of 10.9.6 in tests/test_pictures.c): one
 * ASCII token per type (mermaid 10 refuses ',', '.', '*' and non-ASCII
 * there), attribute names matching [A-Za-z_][A-Za-z0-9_-]* (mermaid 10 has
 * no back-quoted names: a name that does not match is written as such a
 * token and its real spelling leads the comment), keys joined with ", ",
 * comments without '"', quoted entity names whenever a name is not a plain
 * identifier or could be read as a keyword, and a label on every
 * relationship.
 *
 * Also here: the selections of tables a diagram draws (render_int.h).
 */

/* Words the erDiagram lexer takes as keywords before it would take a name. */
static const char *const er_keywords[] = {
    "erdiagram",  "one",      "many",  "only",	   "zero",  "more",	"or",	     "to",
    "optionally", "end",      "class", "classdef", "style", "subgraph", "direction", "title",
    "acctitle",	  "accdescr", "u",     "pk",	   "fk",    "uk",	NULL,
};

static bool is_plain_ident(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (const char *p = s; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_'))
			return false;
	return true;
}

static bool is_keyword(const char *s)
{
	for (size_t i = 0; er_keywords[i]; i++)
		if (!strcasecmp(s, er_keywords[i]))
			return true;
	return false;
}

/* PK, FK and UK are matched as whole words wherever an attribute word may
 * start ("pk(1)" or "fk.x" would lex as a key), so such words need a prefix. */
static bool starts_with_key(const char *s)
{
	if (strncasecmp(s, "pk", 2) && strncasecmp(s, "fk", 2) && strncasecmp(s, "uk", 2))
		return false;
	return !(isalnum((unsigned char)s[2]) || s[2] == '_');
}

static void er_entity(struct sbuf *out, const char *name)
{
	if (is_plain_ident(name) && !is_keyword(name)) {
		sbuf_adds(out, name);
		return;
	}
	/* a quoted entity name may not hold '"', '%', '\' or line ends */
	sbuf_addch(out, '"');
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '%' || c == '\\' || c < 0x20)
			sbuf_addch(out, '_');
		else
			sbuf_addch(out, (char)c);
	}
	sbuf_addch(out, '"');
}

/* Whether a column name is written as it is: [A-Za-z_][A-Za-z0-9_-]*,
 * not read as a key. */
static bool attr_name_plain(const char *name)
{
	bool plain = isalpha((unsigned char)*name) || *name == '_';
	for (const char *p = name; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
	return plain && !starts_with_key(name);
}

/* A name that is not plain as a token: '_' first when it would not start
 * one, '_' for each other character (one per UTF-8 sequence). */
static void er_attr_name(struct sbuf *out, const char *name)
{
	if (attr_name_plain(name)) {
		sbuf_adds(out, name);
		return;
	}
	if (!(isalpha((unsigned char)*name)) || starts_with_key(name))
		sbuf_addch(out, '_');
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;
		sbuf_addch(out, (isalnum(*p) && *p < 0x80) || *p == '-' ? (char)*p : '_');
	}
}

/* A type word of the spelling: letters, digits, '_' and '$' (unquoted) or
 * anything up to the closing quote (quoted, with "" for a quote). */
struct tword {
	const char *s;
	size_t len;
};

static bool word_is(const struct tword *w, const char *lit)
{
	return w->len == strlen(lit) && !strncasecmp(w->s, lit, w->len);
}

/* Appends a type token character, or '_' for what mermaid 10's lexer
 * refuses: DECIMAL(15,2) is written DECIMAL(15_2). */
static void type_char(struct sbuf *out, unsigned char c)
{
	bool ok = (isalnum(c) && c < 0x80) || strchr("_-[]()", c);
	if ((c & 0xc0) != 0x80) /* one '_' per UTF-8 sequence */
		sbuf_addch(out, ok ? (char)c : '_');
}

/*
 * PostgreSQL type spellings to one token: multi-word names map to their
 * short forms (timestamp with time zone -> timestamptz, double precision ->
 * float8, character varying -> varchar, ...), spaces inside parentheses go
 * (numeric(10, 2) -> numeric(10_2): mermaid 10 takes no ','), remaining
 * word breaks become '_', and characters the lexer refuses become '_'. The case of the spelling is kept
 * where nothing was mapped.
 */
static void er_type(struct sbuf *out, const char *type)
{
	struct sbuf tok = SBUF_INIT;
	struct tword words[16];
	size_t nw = 0;
	const char *p = type;
	const char *mods = NULL, *tail = NULL; /* "(...)" after the base words, the rest */

	/* the leading words of the name, before any '(' or '[' */
	while (*p && nw < 16) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '(' || *p == '[')
			break;
		const char *s = p;
		while (*p && !isspace((unsigned char)*p) && *p != '(' && *p != '[')
			p++;
		words[nw].s = s;
		words[nw].len = (size_t)(p - s);
		nw++;
	}
	if (*p == '(') {
		mods = p;
		int depth = 0;
		do {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} while (*p && depth > 0);
	}
	const char *mods_end = p;
	while (isspace((unsigned char)*p))
		p++;
	tail = p;

	/* "time(3) with time zone": the zone words follow the modifiers */
	struct tword zone[4];
	size_t nz = 0;
	while (*tail && *tail != '[' && nz < 4) {
		const char *s = tail;
		while (*tail && !isspace((unsigned char)*tail) && *tail != '[')
			tail++;
		zone[nz].s = s;
		zone[nz].len = (size_t)(tail - s);
		nz++;
		while (isspace((unsigned char)*tail))
			tail++;
	}
	struct tword *all = words;
	size_t nall = nw;
	if (nz && nw + nz <= 16) {
		memcpy(words + nw, zone, nz * sizeof(*zone));
		nall = nw + nz;
	}

	size_t used = 0;
	if (nall >= 1 && (word_is(&all[0], "timestamp") || word_is(&all[0], "time"))) {
		bool ts = word_is(&all[0], "timestamp");
		if (nall >= 4 && word_is(&all[1], "with") && word_is(&all[2], "time") &&
		    word_is(&all[3], "zone")) {
			sbuf_adds(&tok, ts ? "timestamptz" : "timetz");
			used = 4;
		} else if (nall >= 4 && word_is(&all[1], "without") && word_is(&all[2], "time") &&
			   word_is(&all[3], "zone")) {
			sbuf_add(&tok, all[0].s, all[0].len);
			used = 4;
		}
	} else if (nall >= 2 && word_is(&all[0], "double") && word_is(&all[1], "precision")) {
		sbuf_adds(&tok, "float8");
		used = 2;
	} else if (nall >= 2 && (word_is(&all[0], "character") || word_is(&all[0], "char")) &&
		   word_is(&all[1], "varying")) {
		sbuf_adds(&tok, "varchar");
		used = 2;
	} else if (nall >= 2 && word_is(&all[0], "bit") && word_is(&all[1], "varying")) {
		sbuf_adds(&tok, "varbit");
		used = 2;
	}
	if (used == 0 || used < nw) {
		/* nothing mapped (or more words follow): join the words with '_' */
		for (size_t i = used; i < nw; i++) {
			if (tok.len)
				sbuf_addch(&tok, '_');
			for (size_t k = 0; k < words[i].len; k++)
				if (words[i].s[k] != '"')
					type_char(&tok, (unsigned char)words[i].s[k]);
		}
		used = nw;
	}
	if (mods) {
		for (const char *m = mods; m < mods_end; m++)
			if (!isspace((unsigned char)*m))
				type_char(&tok, (unsigned char)*m);
	}
	/* zone words not consumed by a mapping (e.g. "interval(3) day") */
	for (size_t i = used; i < nall; i++) {
		sbuf_addch(&tok, '_');
		for (size_t k = 0; k < all[i].len; k++)
			type_char(&tok, (unsigned char)all[i].s[k]);
	}
	for (; *tail; tail++)
		if (!isspace((unsigned char)*tail))
			type_char(&tok, (unsigned char)*tail);

	/* the token must start with a letter or '_' and must not read as a key */
	if (!tok.len ||
	    !(isalpha((unsigned char)tok.buf[0]) || tok.buf[0] == '_') ||
	    starts_with_key(tok.buf))
		sbuf_addch(out, '_');
	sbuf_add(out, tok.buf, tok.len);
	if (sbuf_error(&tok))
		sbuf_fail(out, sbuf_error(&tok));
	sbuf_release(&tok);
}

/* Comment text: '"' as #quot;, HTML brackets as entities, one line. */
static void er_comment_text(struct sbuf *out, const char *s)
{
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '<' && c != '>')
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		if (c == '"')
			sbuf_adds(out, "#quot;");
		else if (c == '<')
			sbuf_adds(out, "#lt;");
		else if (c == '>')
			sbuf_adds(out, "#gt;");
		else if (!(c == '\r' && p[1] == '\n')) /* CRLF is one line end, one space */
			sbuf_addch(out, ' ');
	}
	sbuf_add(out, run, (size_t)(p - run));
}

static void er_comment(struct sbuf *out, const char *s)
{
	sbuf_addch(out, '"');
	er_comment_text(out, s);
	sbuf_addch(out, '"');
}


const char *render_erd_label(struct sbuf *label, const struct reg_strlist *cols, struct sbuf *out)
{
	sbuf_reset(label);
	for (size_t i = 0; i < cols->n; i++) {
		if (i)
			sbuf_adds(label, ", ");
		sbuf_adds(label, cols->items[i]);
	}
	if (sbuf_error(label))
		sbuf_fail(out, sbuf_error(label));
	return label->buf ? label->buf : "";
}

void render_erd_keys(struct sbuf *out, const struct reg_schema *s, const struct reg_column *c,
		     const char *lead)
{
	const char *sep = lead;
	if (c->primary_key) {
		sbuf_adds(out, sep);
		sbuf_adds(out, "PK");
		sep = ", ";
	}
	if (render_column_is_fk(s, c->name)) {
		sbuf_adds(out, sep);
		sbuf_adds(out, "FK");
		sep = ", ";
	}
	if (render_column_unique(s, c)) {
		sbuf_adds(out, sep);
		sbuf_adds(out, "UK");
	}
}

/* ---- selections ---- */

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

long render_erd_sel_member(const struct render_erd_sel *sel, size_t t)
{
	const size_t *hit = bsearch(&t, sel->table, sel->n, sizeof(*sel->table), cmp_size);
	return hit ? (long)(hit - sel->table) : -1;
}

bool render_erd_sel_edge(const struct render_erd_sel *sel, size_t m, size_t k, size_t *parent)
{
	long p = sel->b->target[sel->b->first[sel->table[m]] + k];
	long pm = p < 0 ? -1 : render_erd_sel_member(sel, (size_t)p);
	if (pm < 0 || (sel->role[m] != RENDER_ERD_FOCUS && sel->role[pm] != RENDER_ERD_FOCUS))
		return false;
	*parent = (size_t)pm;
	return true;
}

void render_erd_sel_release(struct render_erd_sel *sel)
{
	for (size_t m = 0; sel->shown && m < sel->n; m++)
		free(sel->shown[m]);
	free(sel->shown);
	free(sel->table);
	free(sel->role);
	if (sel->b == &sel->own)
		render_backrefs_release(&sel->own);
	memset(sel, 0, sizeof(*sel));
}

static void mark_columns(const struct reg_schema *s, bool *shown, const struct reg_strlist *cols)
{
	for (size_t i = 0; i < cols->n; i++) {
		const struct reg_column *c = reg_schema_column(s, cols->items[i]);
		if (c)
			shown[c - s->columns] = true;
	}
}

/* The members from the candidate list (focus flagged in focus[], indexed
 * by table): sorted, unique, each neighbour with its drawn columns. */
static int sel_finish(struct render_erd_sel *sel, const unsigned char *focus)
{
	const struct reg_registry *r = sel->r;
	size_t n = 0;
	qsort(sel->table, sel->n, sizeof(*sel->table), cmp_size);
	for (size_t i = 0; i < sel->n; i++)
		if (!n || sel->table[n - 1] != sel->table[i])
			sel->table[n++] = sel->table[i];
	sel->n = n;
	sel->role = malloc(n ? n : 1);
	sel->shown = calloc(n ? n : 1, sizeof(*sel->shown));
	if (!sel->role || !sel->shown)
		return REG_ENOMEM;
	for (size_t m = 0; m < n; m++) {
		const struct reg_schema *s = r->schemas[sel->table[m]];
		sel->role[m] = focus[sel->table[m]] ? RENDER_ERD_FOCUS : RENDER_ERD_NEIGHBOUR;
		if (sel->role[m] == RENDER_ERD_FOCUS)
			continue;
		if (!(sel->shown[m] = calloc(s->ncolumns ? s->ncolumns : 1, sizeof(bool))))
			return REG_ENOMEM;
		for (size_t i = 0; i < s->ncolumns; i++)
			sel->shown[m][i] = s->columns[i].primary_key;
	}
	for (size_t m = 0; m < n; m++) {
		const struct reg_schema *s = r->schemas[sel->table[m]];
		for (size_t k = 0; k < s->nrefs; k++) {
			size_t p;
			if (!render_erd_sel_edge(sel, m, k, &p))
				continue;
			if (sel->shown[m])
				mark_columns(s, sel->shown[m], &s->refs[k].foreign_keys);
			if (sel->shown[p])
				mark_columns(r->schemas[sel->table[p]], sel->shown[p],
					     &s->refs[k].columns);
		}
	}
	return 0;
}

/* A selection of the tables focus[] flags and (neighbours) their direct
 * neighbours; focus is indexed by table and owned by the caller. */
static int sel_build(const struct reg_registry *r, const struct render_backrefs *b,
		     const unsigned char *focus, bool neighbours, struct render_erd_sel *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->r = r;
	sel->b = b;
	if (!b) {
		if (render_backrefs_build(r, &sel->own))
			return REG_ENOMEM;
		sel->b = &sel->own;
	}
	b = sel->b;
	size_t cap = 0;
	for (size_t t = 0; t < r->n; t++)
		if (focus[t])
			cap += 1 + (neighbours ? r->schemas[t]->nrefs + b->off[t + 1] - b->off[t] : 0);
	sel->table = malloc((cap ? cap : 1) * sizeof(*sel->table));
	if (!sel->table)
		goto fail;
	for (size_t t = 0; t < r->n; t++) {
		if (!focus[t])
			continue;
		sel->table[sel->n++] = t;
		for (size_t k = 0; neighbours && k < r->schemas[t]->nrefs; k++)
			if (b->target[b->first[t] + k] >= 0)
				sel->table[sel->n++] = (size_t)b->target[b->first[t] + k];
		for (size_t i = b->off[t]; neighbours && i < b->off[t + 1]; i++)
			sel->table[sel->n++] = b->items[i].from;
	}
	if (sel_finish(sel, focus))
		goto fail;
	return 0;
fail:
	render_erd_sel_release(sel);
	return REG_ENOMEM;
}

int render_erd_sel_all(const struct reg_registry *r, struct render_erd_sel *sel)
{
	unsigned char *focus = malloc(r->n ? r->n : 1);
	if (!focus)
		return REG_ENOMEM;
	memset(focus, 1, r->n);
	int err = sel_build(r, NULL, focus, false, sel);
	free(focus);
	return err;
}

int render_erd_sel_table(const struct reg_registry *r, const struct render_backrefs *b,
			 const char *name, struct render_erd_sel *sel)
{
	long t = name ? reg_find(r, name) : -1;
	if (t < 0)
		return REG_ENOENT;
	unsigned char *focus = calloc(r->n, 1);
	if (!focus)
		return REG_ENOMEM;
	focus[t] = 1;
	int err = sel_build(r, b, focus, true, sel);
	free(focus);
	return err;
}

int render_erd_sel_service(const struct reg_registry *r, const char *service,
			   struct render_erd_sel *sel)
{
	unsigned char *focus = calloc(r->n ? r->n : 1, 1);
	bool any = false;
	if (!focus)
		return REG_ENOMEM;
	for (size_t t = 0; t < r->n && service; t++) {
		const char *owner = r->schemas[t]->owner;
		focus[t] = owner && !strcmp(owner, service);
		any = any || focus[t];
	}
	int err = any ? sel_build(r, NULL, focus, true, sel) : REG_ENOENT;
	free(focus);
	return err;
}

/* ---- Mermaid ---- */

static void er_column(struct sbuf *out, const struct reg_schema *s, const struct reg_column *c)
{
	bool plain = attr_name_plain(c->name);
	sbuf_adds(out, "        ");
	er_type(out, c->type ? c->type : "unknown");
	sbuf_addch(out, ' ');
	er_attr_name(out, c->name);
	render_erd_keys(out, s, c, " ");
	bool desc = c->description && *c->description;
	if (!plain || desc) {
		sbuf_adds(out, " \"");
		if (!plain) {
			er_comment_text(out, c->name);
			if (desc)
				sbuf_adds(out, ": ");
		}
		if (desc)
			er_comment_text(out, c->description);
		sbuf_addch(out, '"');
	}
	sbuf_addch(out, '\n');
}

void render_erd_mermaid_keys_of(const struct reg_schema *s, const struct reg_strlist *cols,
				struct sbuf *out)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].primary_key)
			er_column(out, s, &s->columns[i]);
	for (size_t i = 0; i < cols->n; i++) {
		const struct reg_column *c = reg_schema_column(s, cols->items[i]);
		if (c)
			er_column(out, s, c);
	}
}

/*
 * One relationship per reference, parent on the left: exactly one parent
 * when every foreign-key column is NOT NULL, else zero or one; one child at
 * most when the foreign-key columns are unique, else many.
 */
int render_erd_mermaid_sel(const struct render_erd_sel *sel, struct sbuf *out)
{
	const struct reg_registry *r = sel->r;
	struct sbuf label = SBUF_INIT;
	sbuf_adds(out, "erDiagram\n");

	for (size_t m = 0; m < sel->n; m++) {
		const struct reg_schema *s = r->schemas[sel->table[m]];
		sbuf_adds(out, "    ");
		er_entity(out, s->name);
		sbuf_adds(out, " {\n");
		for (size_t i = 0; i < s->ncolumns; i++)
			if (!sel->shown[m] || sel->shown[m][i])
				er_column(out, s, &s->columns[i]);
		sbuf_adds(out, "    }\n");
	}
	for (size_t m = 0; m < sel->n; m++) {
		const struct reg_schema *s = r->schemas[sel->table[m]];
		for (size_t k = 0; k < s->nrefs; k++) {
			const struct reg_reference *ref = &s->refs[k];
			size_t p;
			if (!render_erd_sel_edge(sel, m, k, &p))
				continue; /* a missing table: validation reports it */
			bool required = render_columns_not_null(s, &ref->foreign_keys);
			bool single = reg_schema_is_key(s, &ref->foreign_keys);
			sbuf_adds(out, "    ");
			er_entity(out, ref->schema);
			sbuf_adds(out, required ? " ||--" : " |o--");
			sbuf_adds(out, single ? "o| " : "o{ ");
			er_entity(out, s->name);
			sbuf_adds(out, " : ");
			er_comment(out, render_erd_label(&label, &ref->foreign_keys, out));
			sbuf_addch(out, '\n');
		}
	}
	sbuf_release(&label);
	return sbuf_error(out);
}

int render_erd_with_sel(int err, struct render_erd_sel *sel,
		    int (*draw)(const struct render_erd_sel *, struct sbuf *), struct sbuf *out)
{
	if (err)
		return err;
	err = draw(sel, out);
	render_erd_sel_release(sel);
	return err;
}

int render_erd_mermaid(const struct reg_registry *r, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_all(r, &sel), &sel, render_erd_mermaid_sel, out);
}

int render_erd_mermaid_table(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_table(r, NULL, name, &sel), &sel, render_erd_mermaid_sel, out);
}

int render_erd_mermaid_service(const struct reg_registry *r, const char *service,
			       struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_service(r, service, &sel), &sel, render_erd_mermaid_sel, out);
}
