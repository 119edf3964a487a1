#include "render.h"
#include "render_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

/*
 * Markdown for GitHub (GFM, as cmark-gfm renders it). Free text is escaped
 * only as far as rendering needs, so the file also reads well with cat:
 * Korean and other UTF-8 pass through untouched.
 *
 * Each table gets a "## name" heading whose GitHub anchor is the name
 * itself (identifiers are lower-case letters, digits and '_'); the
 * sub-sections are bold paragraphs rather than headings, so that their
 * anchors ("columns", "indexes", ...) can never collide with a table that
 * happens to carry such a name.
 */

/* Bytes md_text() must look at: control characters and markup. */
/* clang-format off */
static const bool md_special[256] = {
	[0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
	[0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1,
	[0x0f] = 1, [0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1,
	[0x16] = 1, [0x17] = 1, [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1,
	[0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
	['\\'] = 1, ['|'] = 1, ['*'] = 1, ['`'] = 1, ['['] = 1, [']'] = 1, ['~'] = 1,
	['$'] = 1, ['_'] = 1, ['<'] = 1, ['>'] = 1, ['&'] = 1,
};
/* clang-format on */

/* A string literal, appended without measuring it at run time. */
#define ADD_LIT(sb, lit) sbuf_add((sb), (lit), sizeof(lit) - 1)

static bool is_word(unsigned char c)
{
	return isalnum(c) || c >= 0x80;
}

/*
 * Inline text, on one line, safe inside a table cell and as a paragraph:
 * '|' is escaped for the table parser, newlines become <br>, and what would
 * start markup (emphasis, links, HTML, code, math, a heading or list at
 * the start) is backslash-escaped or written as an entity.
 */
static void md_text(struct sbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p == ' ' || *p == '\t')
		p++;
	/* block markers only matter at the start: the text is one line */
	if (*p == '#' || *p == '-' || *p == '+') {
		sbuf_addch(out, '\\');
	} else if (isdigit(*p)) {
		/* "1. " or "2) " would start a list; "1.0.0" would not */
		const unsigned char *q = p;
		while (isdigit(*q))
			q++;
		if ((*q == '.' || *q == ')') && (q[1] == ' ' || q[1] == '\t' || !q[1])) {
			sbuf_add(out, p, (size_t)(q - p));
			sbuf_addch(out, '\\');
			p = q;
		}
	}
	/* plain bytes are copied in runs; only the special ones cost a branch */
	const unsigned char *start = p, *run = p;
	for (; *p; p++) {
		unsigned char c = *p;
		if (!md_special[c])
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '\\':
		case '|':
		case '*':
		case '`':
		case '[':
		case ']':
		case '~':
		case '$':
			sbuf_addch(out, '\\');
			sbuf_addch(out, (char)c);
			break;
		case '_':
			/* intraword underscores (created_by) never emphasise */
			if (p > start && is_word(p[-1]) && is_word(p[1]))
				sbuf_addch(out, '_');
			else
				ADD_LIT(out, "\\_");
			break;
		case '<':
			ADD_LIT(out, "&lt;");
			break;
		case '>':
			ADD_LIT(out, "&gt;");
			break;
		case '&':
			sbuf_adds(out, (isalnum(p[1]) || p[1] == '#') ? "&amp;" : "&");
			break;
		case '\r':
		case '\n':
			/* CRLF is one line end; none is written at the very end */
			if (c == '\r' && p[1] == '\n')
				break;
			if (p[1])
				ADD_LIT(out, "<br>");
			break;
		case '\t':
			sbuf_addch(out, ' ');
			break;
		default:
			break; /* other control characters have no rendering */
		}
	}
	sbuf_add(out, run, (size_t)(p - run));
}

/*
 * A code span inside a table cell: the fence is one backtick longer than
 * the longest run inside, padded when the text starts or ends with a
 * backtick; '|' still needs its backslash (GFM splits cells first).
 */
static void md_code(struct sbuf *out, const char *s)
{
	size_t ticks = 0, longest = 0, len = strlen(s);

	if (!len)
		return;
	for (const char *p = s; *p; p++) {
		ticks = *p == '`' ? ticks + 1 : 0;
		if (ticks > longest)
			longest = ticks;
	}
	bool pad = s[0] == '`' || s[len - 1] == '`' || (s[0] == ' ' && s[len - 1] == ' ');
	for (size_t i = 0; i <= longest; i++)
		sbuf_addch(out, '`');
	if (pad)
		sbuf_addch(out, ' ');
	const char *run = s, *p = s;
	for (; *p; p++) {
		if (*p != '|' && (unsigned char)*p >= 0x20)
			continue;
		sbuf_add(out, run, (size_t)(p - run));
		run = p + 1;
		if (*p == '|')
			ADD_LIT(out, "\\|");
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			sbuf_addch(out, ' ');
	}
	sbuf_add(out, run, (size_t)(p - run));
	if (pad)
		sbuf_addch(out, ' ');
	for (size_t i = 0; i <= longest; i++)
		sbuf_addch(out, '`');
}

static void md_code_list(struct sbuf *out, const struct reg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			ADD_LIT(out, ", ");
		md_code(out, l->items[i]);
	}
}

/* A link to a table's section, or the bare name when it is not here
 * (known: the caller has looked it up). */
static void md_table_link(struct sbuf *out, const char *name, bool known)
{
	if (!known) {
		md_code(out, name);
		ADD_LIT(out, " (not in the registry)");
		return;
	}
	sbuf_addch(out, '[');
	md_text(out, name);
	ADD_LIT(out, "](#");
	/* GitHub's anchor: lower case, only letters, digits, '-' and '_' */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p >= 0x80)
			sbuf_addch(out, (char)tolower(*p));
		else if (*p == ' ')
			sbuf_addch(out, '-');
	}
	sbuf_addch(out, ')');
}

static void md_columns(struct sbuf *out, const struct reg_schema *s)
{
	ADD_LIT(out, "**Columns**\n\n"
		     "| name | type | nullable | default | key | description |\n"
		     "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		const char *sep = "";

		ADD_LIT(out, "| ");
		md_code(out, c->name);
		ADD_LIT(out, " | ");
		md_code(out, c->type ? c->type : "");
		sbuf_adds(out, c->nullable ? " | yes | " : " | no | ");
		md_code(out, c->default_expr ? c->default_expr : "");
		ADD_LIT(out, " | ");
		if (c->primary_key) {
			ADD_LIT(out, "PK");
			sep = ", ";
		}
		if (render_column_unique(s, c)) {
			sbuf_adds(out, sep);
			ADD_LIT(out, "UK");
			sep = ", ";
		}
		if (render_column_is_fk(s, c->name)) {
			sbuf_adds(out, sep);
			ADD_LIT(out, "FK");
		}
		ADD_LIT(out, " | ");
		md_text(out, c->description ? c->description : "");
		ADD_LIT(out, " |\n");
	}
	sbuf_addch(out, '\n');
}

static void md_references(struct sbuf *out, const struct reg_registry *r,
			  const struct render_backrefs *b, size_t t)
{
	const struct reg_schema *s = r->schemas[t];

	if (!s->nrefs)
		return;
	ADD_LIT(out,
		"**References**\n\n"
		"| foreign key | references | columns | on delete | on update | description |\n"
		"|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < s->nrefs; i++) {
		const struct reg_reference *ref = &s->refs[i];
		ADD_LIT(out, "| ");
		md_code_list(out, &ref->foreign_keys);
		ADD_LIT(out, " | ");
		md_table_link(out, ref->schema ? ref->schema : "", b->target[b->first[t] + i] >= 0);
		ADD_LIT(out, " | ");
		md_code_list(out, &ref->columns);
		sbuf_addf(out, " | %s | %s | ", reg_fk_action_sql(ref->on_delete),
			  reg_fk_action_sql(ref->on_update));
		md_text(out, ref->description ? ref->description : "");
		ADD_LIT(out, " |\n");
	}
	sbuf_addch(out, '\n');
}

static void md_indexes(struct sbuf *out, const struct reg_schema *s)
{
	if (!s->nindexes)
		return;
	ADD_LIT(out, "**Indexes**\n\n"
		     "| name | columns | unique | description |\n"
		     "|---|---|---|---|\n");
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *ix = &s->indexes[i];
		ADD_LIT(out, "| ");
		md_code(out, ix->name ? ix->name : "");
		ADD_LIT(out, " | ");
		md_code_list(out, &ix->columns);
		sbuf_adds(out, ix->unique ? " | yes | " : " | no | ");
		md_text(out, ix->description ? ix->description : "");
		ADD_LIT(out, " |\n");
	}
	sbuf_addch(out, '\n');
}

static void md_referenced_by(struct sbuf *out, const struct reg_registry *r,
			     const struct render_backrefs *b, size_t t)
{
	if (b->off[t] == b->off[t + 1])
		return;
	ADD_LIT(out, "**Referenced by**\n\n"
		     "| schema | service | foreign key | columns |\n"
		     "|---|---|---|---|\n");
	for (size_t i = b->off[t]; i < b->off[t + 1]; i++) {
		const struct reg_schema *from = r->schemas[b->items[i].from];
		const struct reg_reference *ref = &from->refs[b->items[i].ref];
		ADD_LIT(out, "| ");
		md_table_link(out, from->name, true);
		ADD_LIT(out, " | ");
		md_text(out, from->owner ? from->owner : "");
		ADD_LIT(out, " | ");
		md_code_list(out, &ref->foreign_keys);
		ADD_LIT(out, " | ");
		md_code_list(out, &ref->columns);
		ADD_LIT(out, " |\n");
	}
	sbuf_addch(out, '\n');
}

static void md_history(struct sbuf *out, const struct reg_schema *s)
{
	if (!s->nhistory)
		return;
	ADD_LIT(out, "**Version history**\n\n"
		     "| version | date | changes |\n"
		     "|---|---|---|\n");
	for (size_t i = 0; i < s->nhistory; i++) {
		const struct reg_history_entry *h = &s->history[i];
		ADD_LIT(out, "| ");
		md_text(out, h->version ? h->version : "");
		ADD_LIT(out, " | ");
		md_text(out, h->date ? h->date : "");
		ADD_LIT(out, " | ");
		md_text(out, h->changes ? h->changes : "");
		ADD_LIT(out, " |\n");
	}
	sbuf_addch(out, '\n');
}

/* The table's neighbourhood as a ```mermaid block (render_erd.c's
 * diagram of one table): only when it has one, a relationship to draw. */
static void md_diagram(struct sbuf *out, const struct reg_registry *r,
		       const struct render_backrefs *b, size_t t)
{
	struct render_erd_sel sel;
	if (b->off[t] == b->off[t + 1]) {
		size_t k = b->first[t];
		while (k < b->first[t + 1] && b->target[k] < 0)
			k++;
		if (k == b->first[t + 1])
			return;
	}
	int err = render_erd_sel_table(r, b, r->schemas[t]->name, &sel);
	if (err) {
		sbuf_fail(out, err);
		return;
	}
	ADD_LIT(out, "**Diagram**\n\n```mermaid\n");
	render_erd_mermaid_sel(&sel, out);
	ADD_LIT(out, "```\n\n");
	render_erd_sel_release(&sel);
}

static void md_schema(struct sbuf *out, const struct reg_registry *r,
		      const struct render_backrefs *b, size_t t)
{
	const struct reg_schema *s = r->schemas[t];
	ADD_LIT(out, "## ");

	md_text(out, s->name);
	ADD_LIT(out, "\n\n");
	if (s->description && *s->description) {
		md_text(out, s->description);
		ADD_LIT(out, "\n\n");
	}
	ADD_LIT(out, "| owner | version | columns | references | referenced by |\n"
		     "|---|---|---|---|---|\n| ");
	md_text(out, s->owner ? s->owner : "");
	ADD_LIT(out, " | ");
	md_text(out, s->version ? s->version : REG_DEFAULT_VERSION);
	sbuf_addf(out, " | %zu | %zu | %zu |\n\n", s->ncolumns, s->nrefs,
		  b->off[t + 1] - b->off[t]);
	md_columns(out, s);
	md_diagram(out, r, b, t);
	md_references(out, r, b, t);
	md_indexes(out, s);
	md_referenced_by(out, r, b, t);
	md_history(out, s);
}

/* ---- the file in parts ---- */

struct render_docs {
	const struct reg_registry *r;
	struct render_backrefs b;
	uint64_t *hash;   /* per schema, of its bytes; NULL until a key is asked */
	bool keyless;     /* some schema has no bytes (built by API): no keys */
};

int render_docs_new(const struct reg_registry *r, struct render_docs **out)
{
	struct render_docs *d = calloc(1, sizeof(*d));
	*out = NULL;
	if (!d)
		return REG_ENOMEM;
	d->r = r;
	if (render_backrefs_build(r, &d->b)) {
		free(d);
		return REG_ENOMEM;
	}
	*out = d;
	return 0;
}

void render_docs_free(struct render_docs *d)
{
	if (!d)
		return;
	render_backrefs_release(&d->b);
	free(d->hash);
	free(d);
}

int render_docs_title(const struct render_docs *d, struct sbuf *out)
{
	const struct reg_registry *r = d->r;

	if (r->meta.name && *r->meta.name) {
		ADD_LIT(out, "# Schema registry: ");
		md_text(out, r->meta.name);
		ADD_LIT(out, "\n\n");
	} else {
		ADD_LIT(out, "# Schema registry\n\n");
	}
	if (r->meta.description && *r->meta.description) {
		md_text(out, r->meta.description);
		ADD_LIT(out, "\n\n");
	}
	sbuf_addf(out, "%zu table%s.\n\n", r->n, r->n == 1 ? "" : "s");
	if (r->n)
		ADD_LIT(out, "## Table of contents\n\n"
			     "| table | owner | version | description |\n"
			     "|---|---|---|---|\n");
	return sbuf_error(out);
}

int render_docs_toc_row(const struct render_docs *d, size_t t, struct sbuf *out)
{
	const struct reg_schema *s = d->r->schemas[t];
	ADD_LIT(out, "| ");
	md_table_link(out, s->name, true);
	ADD_LIT(out, " | ");
	md_text(out, s->owner ? s->owner : "");
	ADD_LIT(out, " | ");
	md_text(out, s->version ? s->version : REG_DEFAULT_VERSION);
	ADD_LIT(out, " | ");
	md_text(out, s->description ? s->description : "");
	ADD_LIT(out, " |\n");
	return sbuf_error(out);
}

int render_docs_toc_end(const struct render_docs *d, struct sbuf *out)
{
	if (d->r->n)
		sbuf_addch(out, '\n');
	return sbuf_error(out);
}

int render_docs_head(const struct render_docs *d, struct sbuf *out)
{
	render_docs_title(d, out);
	for (size_t t = 0; t < d->r->n; t++)
		render_docs_toc_row(d, t, out);
	return render_docs_toc_end(d, out);
}

int render_docs_table(const struct render_docs *d, size_t t, struct sbuf *out)
{
	md_schema(out, d->r, &d->b, t);
	return sbuf_error(out);
}

/* A table's key: its schema's hash, then each thing md_schema reads. */
static uint64_t key_mix(uint64_t key, uint64_t v)
{
	uint64_t pair[2] = { key, v };
	return strmap_hash(pair, sizeof(pair));
}

bool render_docs_schema_hash(const struct reg_schema *s, uint64_t *hash)
{
	if (!s->source)
		return false;
	*hash = strmap_hash(s->source, s->source_len);
	return true;
}

int render_docs_use_hashes(struct render_docs *d, const uint64_t *hash)
{
	size_t n = d->r->n ? d->r->n : 1;
	if (!d->hash && !(d->hash = malloc(n * sizeof(*d->hash))))
		return REG_ENOMEM;
	memcpy(d->hash, hash, n * sizeof(*d->hash));
	d->keyless = false;
	return 0;
}

static bool hash_all(struct render_docs *d)
{
	const struct reg_registry *r = d->r;
	if (!d->hash && !d->keyless) {
		d->hash = malloc((r->n ? r->n : 1) * sizeof(*d->hash));
		if (!d->hash)
			return false;
		for (size_t i = 0; i < r->n && !d->keyless; i++) {
			const struct reg_schema *s = r->schemas[i];
			if (!s->source)
				d->keyless = true;
			else
				d->hash[i] = strmap_hash(s->source, s->source_len);
		}
	}
	return !d->keyless;
}

bool render_docs_toc_row_key(struct render_docs *d, size_t t, uint64_t *key)
{
	if (!hash_all(d))
		return false;
	*key = d->hash[t];
	return true;
}

bool render_docs_table_key(struct render_docs *d, size_t t, uint64_t *key)
{
	if (!hash_all(d))
		return false;
	/* what md_schema reads: the schema, each of its references (whether
	 * it resolves, and what the diagram draws of the table it points at:
	 * its keys and the referenced columns, not its bytes, so that a change
	 * elsewhere in that table keeps this part), and every reference to it
	 * (its schema and which one) */
	const struct render_backrefs *b = &d->b;
	const struct reg_schema *s = d->r->schemas[t];
	struct sbuf drawn = SBUF_INIT;
	uint64_t k = d->hash[t];
	for (size_t i = b->first[t]; i < b->first[t + 1]; i++) {
		k = key_mix(k, b->target[i] >= 0);
		if (b->target[i] < 0 || (size_t)b->target[i] == t)
			continue;
		sbuf_reset(&drawn);
		render_erd_mermaid_keys_of(d->r->schemas[b->target[i]],
					   &s->refs[i - b->first[t]].columns, &drawn);
		if (sbuf_error(&drawn)) {
			sbuf_release(&drawn);
			return false;
		}
		k = key_mix(k, strmap_hash(drawn.buf ? drawn.buf : "", drawn.len));
	}
	sbuf_release(&drawn);
	k = key_mix(k, b->off[t + 1] - b->off[t]);
	for (size_t i = b->off[t]; i < b->off[t + 1]; i++) {
		k = key_mix(k, d->hash[b->items[i].from]);
		k = key_mix(k, b->items[i].ref);
	}
	*key = k;
	return true;
}

int render_docs(const struct reg_registry *r, struct sbuf *out)
{
	struct render_docs *d;
	int err = render_docs_new(r, &d);
	if (err)
		return err;
	render_docs_head(d, out);
	for (size_t t = 0; t < r->n; t++)
		render_docs_table(d, t, out);
	render_docs_free(d);
	return sbuf_error(out);
}
