#include "render.h"
#include "render_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/*
 * Mermaid erDiagram, written in the subset mermaid 11 is known to accept
 * (see ../shared/tools/README.md, "erDiagram: what mermaid 11 accepts"):
 * one-token types, plain or back-quoted attribute names, keys joined with
 * ", ", comments without '"', quoted entity names whenever a name is not
 * a plain identifier or could be read as a keyword, and a label on every
 * relationship.
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

static void er_attr_name(struct sbuf *out, const char *name)
{
	bool plain = isalpha((unsigned char)*name) || *name == '_';
	for (const char *p = name; *p && plain; p++)
		plain = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
	if (plain && !starts_with_key(name)) {
		sbuf_adds(out, name);
		return;
	}
	/* mermaid 11 reads `...` as an attribute name of any characters */
	sbuf_addch(out, '`');
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		sbuf_addch(out, (c == '`' || c < 0x20) ? '_' : (char)c);
	}
	sbuf_addch(out, '`');
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

/* Appends a type token character, or '_' for what the lexer refuses. */
static void type_char(struct sbuf *out, unsigned char c)
{
	bool ok = isalnum(c) || strchr("_-[]().,*", c) || c >= 0x80;
	sbuf_addch(out, ok ? (char)c : '_');
}

/*
 * PostgreSQL type spellings to one token: multi-word names map to their
 * short forms (timestamp with time zone -> timestamptz, double precision ->
 * float8, character varying -> varchar, ...), spaces inside parentheses go
 * (numeric(10, 2) -> numeric(10,2)), remaining word breaks become '_', and
 * characters the lexer refuses become '_'. The case of the spelling is kept
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
	    !(isalpha((unsigned char)tok.buf[0]) || tok.buf[0] == '_' ||
	      (unsigned char)tok.buf[0] >= 0xc0) ||
	    starts_with_key(tok.buf))
		sbuf_addch(out, '_');
	sbuf_add(out, tok.buf, tok.len);
	if (sbuf_error(&tok))
		sbuf_fail(out, sbuf_error(&tok));
	sbuf_release(&tok);
}

/* A comment: '"' as #quot;, HTML brackets as entities, one line. */
static void er_comment(struct sbuf *out, const char *s)
{
	sbuf_addch(out, '"');
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
	sbuf_addch(out, '"');
}

/* "a, b": a relationship's label, before the format's own escaping, in
 * label (reset first; reused for every label: one allocation for all).
 * A failure there is out's failure. */
static const char *label_of(struct sbuf *label, const struct reg_strlist *cols, struct sbuf *out)
{
	sbuf_reset(label);
	for (size_t i = 0; i < cols->n; i++) {
		if (i)
			sbuf_adds(label, ", ");
		sbuf_adds(label, cols->items[i]);
	}
	if (sbuf_error(label))
		sbuf_fail(out, sbuf_error(label));
	return label->buf;
}

/* The key marks of a column, "PK, FK, UK" as far as they apply, the first
 * one after lead. */
static void add_keys(struct sbuf *out, const struct reg_schema *s, const struct reg_column *c,
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

int render_erd_mermaid(const struct reg_registry *r, struct sbuf *out)
{
	struct sbuf label = SBUF_INIT;
	sbuf_adds(out, "erDiagram\n");

	for (size_t t = 0; t < r->n; t++) {
		const struct reg_schema *s = r->schemas[t];
		sbuf_adds(out, "    ");
		er_entity(out, s->name);
		sbuf_adds(out, " {\n");
		for (size_t i = 0; i < s->ncolumns; i++) {
			const struct reg_column *c = &s->columns[i];
			sbuf_adds(out, "        ");
			er_type(out, c->type ? c->type : "unknown");
			sbuf_addch(out, ' ');
			er_attr_name(out, c->name);
			add_keys(out, s, c, " ");
			if (c->description && *c->description) {
				sbuf_addch(out, ' ');
				er_comment(out, c->description);
			}
			sbuf_addch(out, '\n');
		}
		sbuf_adds(out, "    }\n");
	}

	/*
	 * One relationship per reference, parent on the left: exactly one
	 * parent when every foreign-key column is NOT NULL, else zero or one;
	 * one child at most when the foreign-key columns are unique, else many.
	 */
	for (size_t t = 0; t < r->n; t++) {
		const struct reg_schema *s = r->schemas[t];
		for (size_t k = 0; k < s->nrefs; k++) {
			const struct reg_reference *ref = &s->refs[k];
			if (reg_find(r, ref->schema) < 0)
				continue; /* validation reports it; there is no entity to draw */
			bool required = render_columns_not_null(s, &ref->foreign_keys);
			bool single = reg_schema_is_key(s, &ref->foreign_keys);
			sbuf_adds(out, "    ");
			er_entity(out, ref->schema);
			sbuf_adds(out, required ? " ||--" : " |o--");
			sbuf_adds(out, single ? "o| " : "o{ ");
			er_entity(out, s->name);
			sbuf_adds(out, " : ");
			er_comment(out, label_of(&label, &ref->foreign_keys, out));
			sbuf_addch(out, '\n');
		}
	}
	sbuf_release(&label);
	return sbuf_error(out);
}

/* Text inside an HTML-like label: XML escaping, no control characters. */
static void dot_html(struct sbuf *out, const char *s)
{
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && !strchr("&<>\"'", c))
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '&':
			sbuf_adds(out, "&amp;");
			break;
		case '<':
			sbuf_adds(out, "&lt;");
			break;
		case '>':
			sbuf_adds(out, "&gt;");
			break;
		case '"':
			sbuf_adds(out, "&quot;");
			break;
		case '\'':
			sbuf_adds(out, "&#39;");
			break;
		default:
			sbuf_addch(out, ' ');
		}
	}
	sbuf_add(out, run, (size_t)(p - run));
}

/* A double-quoted DOT ID: '"' and '\' escaped (a backslash would
 * otherwise start an escString sequence such as \N). */
static void dot_id(struct sbuf *out, const char *s)
{
	sbuf_addch(out, '"');
	const char *run = s, *p = s;
	for (; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		if (c == '"' || c == '\\') {
			sbuf_addch(out, '\\');
			sbuf_addch(out, (char)c);
		} else {
			sbuf_addch(out, ' ');
		}
	}
	sbuf_add(out, run, (size_t)(p - run));
	sbuf_addch(out, '"');
}

static void dot_port(struct sbuf *out, const struct reg_schema *s, const struct reg_strlist *cols)
{
	if (cols->n == 0 || !reg_schema_column(s, cols->items[0]))
		return;
	sbuf_addch(out, ':');
	dot_id(out, cols->items[0]);
}

static void dot_table(struct sbuf *out, const struct reg_schema *s)
{
	sbuf_adds(out, "  ");
	dot_id(out, s->name);
	sbuf_adds(out, " [label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\""
		       " cellpadding=\"4\">\n    <tr><td colspan=\"3\" bgcolor=\"#dde4ee\"><b>");
	dot_html(out, s->name);
	sbuf_adds(out, "</b></td></tr>\n");
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		sbuf_adds(out, "    <tr><td port=\"");
		dot_html(out, c->name);
		sbuf_adds(out, "\" align=\"left\">");
		dot_html(out, c->name);
		sbuf_adds(out, "</td><td align=\"left\">");
		dot_html(out, c->type ? c->type : "");
		if (c->nullable)
			sbuf_adds(out, " NULL");
		sbuf_adds(out, "</td><td>");
		add_keys(out, s, c, "");
		sbuf_adds(out, "</td></tr>\n");
	}
	sbuf_adds(out, "  </table>>];\n");
}

int render_erd_dot(const struct reg_registry *r, struct sbuf *out)
{
	struct sbuf label = SBUF_INIT;
	sbuf_adds(out, "digraph erd {\n"
		       "  graph [rankdir=LR, charset=\"UTF-8\"];\n"
		       "  node [shape=plain, fontname=\"Helvetica\"];\n"
		       "  edge [dir=both, fontname=\"Helvetica\", fontsize=10];\n");
	for (size_t t = 0; t < r->n; t++)
		dot_table(out, r->schemas[t]);

	/* child -> parent, crow's feet: the tail end is the child's side */
	for (size_t t = 0; t < r->n; t++) {
		const struct reg_schema *s = r->schemas[t];
		for (size_t k = 0; k < s->nrefs; k++) {
			const struct reg_reference *ref = &s->refs[k];
			long p = reg_find(r, ref->schema);
			if (p < 0)
				continue;
			bool required = render_columns_not_null(s, &ref->foreign_keys);
			bool single = reg_schema_is_key(s, &ref->foreign_keys);
			sbuf_adds(out, "  ");
			dot_id(out, s->name);
			dot_port(out, s, &ref->foreign_keys);
			sbuf_adds(out, " -> ");
			dot_id(out, ref->schema);
			dot_port(out, r->schemas[p], &ref->columns);
			sbuf_adds(out, " [label=");
			dot_id(out, label_of(&label, &ref->foreign_keys, out));
			sbuf_addf(out, ", arrowtail=%s, arrowhead=%s];\n",
				  single ? "teeodot" : "crowodot", required ? "teetee" : "teeodot");
		}
	}
	sbuf_release(&label);
	sbuf_adds(out, "}\n");
	return sbuf_error(out);
}
