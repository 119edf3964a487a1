/*
 * schemafile_emit: canonical YAML for the model.
 *
 * Written by hand rather than through libyaml's emitter, for one fixed
 * layout (the seed's: blank line between items, flow lists for column
 * names) and for one quoting rule that we can reason about: a scalar is
 * plain only when every YAML reader takes it back as the same string;
 * otherwise it is double-quoted, with every character a reader could
 * alter or refuse escaped.
 */
#include "schemafile.h"
#include "lint.h"

#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Errors stick in the sbuf (sbuf.h): a string that is not UTF-8 is
 * recorded there as REG_EINVAL and every later append is a no-op. */
struct emitter {
	struct sbuf *out;
};

static void put(struct emitter *e, const char *s)
{
	sbuf_adds(e->out, s);
}

static void putn(struct emitter *e, const char *s, size_t n)
{
	sbuf_add(e->out, s, n);
}

/* Characters a YAML reader treats specially anywhere, or refuses raw:
 * C0/C1 controls, DEL, the YAML 1.1 line breaks NEL/LS/PS, BOM and the
 * non-characters U+FFFE/U+FFFF. */
static bool needs_escape(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

static bool one_of(const char *s, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A superset of the YAML 1.1 and 1.2 int and float forms (with '_'
 * separators, 0x/0o/0b prefixes, exponents, .inf/.nan); anything a
 * reader might turn into a number. "1.0.0" and "2024-01-01" are not. */
static bool looks_numeric(const char *s)
{
	static const char *const special[] = {
		".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL,
	};
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (one_of(p, special))
		return true;
	if (p[0] == '0' && p[1] && strchr("xXoObB", p[1])) {
		for (p += 2; *p; p++)
			if (!(is_digit(*p) || *p == '_' || (*p >= 'a' && *p <= 'f') ||
			      (*p >= 'A' && *p <= 'F')))
				return false;
		return true;
	}
	int digits = 0, dots = 0;
	for (; *p; p++) {
		if (is_digit(*p)) {
			digits++;
		} else if (*p == '_') {
			continue;
		} else if (*p == '.') {
			if (++dots > 1)
				return false;
		} else if ((*p == 'e' || *p == 'E') && digits) {
			p++;
			if (*p == '+' || *p == '-')
				p++;
			if (!is_digit(*p))
				return false;
			while (is_digit(*p))
				p++;
			return *p == '\0';
		} else {
			return false;
		}
	}
	return digits > 0;
}

/* Strings some YAML reader (1.1 or 1.2) reads as null or a boolean. */
static bool looks_special(const char *s)
{
	static const char *const words[] = {
		"~", "null", "Null", "NULL",
		"true", "True", "TRUE", "false", "False", "FALSE",
		"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF", "=", "<<", NULL,
	};
	return one_of(s, words) || looks_numeric(s);
}

/* Whether s can be written plain. in_flow: inside "[...]", where ',' and
 * brackets end a scalar. ':' and '#' are refused anywhere, though YAML
 * allows them in some positions, to keep this rule easy to check. */
static bool plain_ok(const char *s, bool in_flow)
{
	size_t n = strlen(s);
	if (!n || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return false;
	if (looks_special(s))
		return false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t w = text_utf8_decode(s, n, i, &cp);
		if (!w || needs_escape(cp) || cp == ':' || cp == '#')
			return false;
		if (in_flow && cp < 0x80 && strchr(",[]{}", (int)cp))
			return false;
		i += w;
	}
	return true;
}

static void put_quoted(struct emitter *e, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	put(e, "\"");
	for (size_t i = 0; i < n && !sbuf_error(e->out);) {
		uint32_t cp;
		size_t w = text_utf8_decode(s, n, i, &cp);
		if (!w) {
			/* YAML cannot carry bytes that are not UTF-8 */
			sbuf_fail(e->out, REG_EINVAL);
			return;
		}
		char esc[12];
		if (cp == '"')
			put(e, "\\\"");
		else if (cp == '\\')
			put(e, "\\\\");
		else if (cp == '\n')
			put(e, "\\n");
		else if (cp == '\t')
			put(e, "\\t");
		else if (cp == '\r')
			put(e, "\\r");
		else if (cp <= 0xff && needs_escape(cp)) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[cp >> 4];
			esc[3] = hex[cp & 15];
			putn(e, esc, 4);
		} else if (needs_escape(cp)) {
			esc[0] = '\\';
			esc[1] = 'u';
			for (int k = 0; k < 4; k++)
				esc[2 + k] = hex[(cp >> (12 - 4 * k)) & 15];
			putn(e, esc, 6);
		} else {
			putn(e, s + i, w);
		}
		i += w;
	}
	put(e, "\"");
}

static void put_scalar(struct emitter *e, const char *s, bool in_flow)
{
	if (plain_ok(s, in_flow))
		put(e, s);
	else
		put_quoted(e, s);
}

/* "indent key: value\n"; nothing when value is NULL. */
static void put_str(struct emitter *e, const char *indent, const char *key, const char *value)
{
	if (!value)
		return;
	put(e, indent);
	put(e, key);
	put(e, ": ");
	put_scalar(e, value, false);
	put(e, "\n");
}

static void put_bool(struct emitter *e, const char *indent, const char *key, bool value)
{
	put(e, indent);
	put(e, key);
	put(e, value ? ": true\n" : ": false\n");
}

/* A column list: a scalar when it was written as one, else [a, b]. */
static void put_strlist(struct emitter *e, const char *indent, const char *key,
			const struct reg_strlist *l)
{
	put(e, indent);
	put(e, key);
	put(e, ": ");
	if (l->n == 1 && !l->was_list) {
		put_scalar(e, l->items[0], false);
	} else {
		put(e, "[");
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				put(e, ", ");
			put_scalar(e, l->items[i], true);
		}
		put(e, "]");
	}
	put(e, "\n");
}

static void put_rules(struct emitter *e, const char *indent, const struct reg_strlist *l)
{
	if (l->n)
		put_strlist(e, indent, "lint_ignore", l);
}

static void put_column(struct emitter *e, const struct reg_column *c)
{
	const char *in = "    ";
	put_str(e, "  - ", "name", c->name ? c->name : "");
	put_str(e, in, "type", c->type);
	put_bool(e, in, "nullable", c->nullable);
	if (c->primary_key)
		put_bool(e, in, "primary_key", true);
	if (c->unique)
		put_bool(e, in, "unique", true);
	put_str(e, in, "default", c->default_expr);
	put_str(e, in, "description", c->description);
	put_rules(e, in, &c->lint_ignore);
	put_str(e, in, "renamed_from", c->renamed_from);
}

static void put_reference(struct emitter *e, const struct reg_reference *r)
{
	const char *in = "    ";
	put_str(e, "  - ", "schema", r->schema ? r->schema : "");
	put_strlist(e, in, "column", &r->columns);
	put_strlist(e, in, "foreign_key", &r->foreign_keys);
	put_str(e, in, "on_delete", reg_fk_action_sql(r->on_delete));
	put_str(e, in, "on_update", reg_fk_action_sql(r->on_update));
	put_str(e, in, "description", r->description);
	put_rules(e, in, &r->lint_ignore);
}

static void put_index(struct emitter *e, const struct reg_index *ix)
{
	const char *in = "    ";
	put_str(e, "  - ", "name", ix->name ? ix->name : "");
	put_strlist(e, in, "columns", &ix->columns);
	if (ix->unique)
		put_bool(e, in, "unique", true);
	put_str(e, in, "description", ix->description);
	put_rules(e, in, &ix->lint_ignore);
}

static void put_history(struct emitter *e, const struct reg_history_entry *h)
{
	const char *in = "    ";
	put_str(e, "  - ", "version", h->version ? h->version : "");
	put_str(e, in, "date", h->date);
	put_str(e, in, "changes", h->changes);
}

/* On failure out is left as it was (schemafile.h): its bytes and its error. */
static void emit_undo(struct sbuf *out, size_t start, int err0)
{
	out->len = start;
	out->buf[start] = '\0';
	out->err = err0;
}

int schemafile_emit(const struct reg_schema *s, struct sbuf *out)
{
	struct emitter e = { out };
	size_t start = out->len;
	int err0 = sbuf_error(out);

	put_str(&e, "", "name", s->name);
	put_str(&e, "", "owner", s->owner);
	put_str(&e, "", "version", s->version ? s->version : REG_DEFAULT_VERSION);
	put_str(&e, "", "description", s->description);
	put_str(&e, "", "renamed_from", s->renamed_from);
	put_str(&e, "", "compatibility", s->compatibility);

	put(&e, s->ncolumns ? "\ncolumns:\n" : "\ncolumns: []\n");
	for (size_t i = 0; i < s->ncolumns; i++) {
		if (i)
			put(&e, "\n");
		put_column(&e, &s->columns[i]);
	}

	put(&e, s->nrefs ? "\nreferences:\n" : "\nreferences: []\n");
	for (size_t i = 0; i < s->nrefs; i++) {
		if (i)
			put(&e, "\n");
		put_reference(&e, &s->refs[i]);
	}

	put(&e, s->nindexes ? "\nindexes:\n" : "\nindexes: []\n");
	for (size_t i = 0; i < s->nindexes; i++) {
		if (i)
			put(&e, "\n");
		put_index(&e, &s->indexes[i]);
	}

	if (s->nhistory)
		put(&e, "\nversion_history:\n");
	for (size_t i = 0; i < s->nhistory; i++) {
		if (i)
			put(&e, "\n");
		put_history(&e, &s->history[i]);
	}

	/* canonical YAML spells out what the input may have left implicit
	 * (and escapes tabs, breaks): a file the parser would refuse is an
	 * error here, not later */
	int rc = sbuf_error(out);
	if (!rc && out->len - start > REG_MAX_FILE_SIZE)
		rc = REG_E2BIG;
	if (rc)
		emit_undo(out, start, err0);
	return rc;
}

int schemafile_emit_meta(const struct reg_meta *m, struct sbuf *out)
{
	struct emitter e = { out };
	size_t start = out->len;
	int err0 = sbuf_error(out);
	put_str(&e, "", "name", m->name);
	put_str(&e, "", "description", m->description);
	put_str(&e, "", "target", m->target);
	if (m->nlint || m->lint_strict)
		put(&e, "lint:\n");
	for (size_t i = 0; i < m->nlint; i++) {
		static const char *const levels[] = {
			[LINT_LEVEL_OFF] = "off", [LINT_LEVEL_WARNING] = "warning",
			[LINT_LEVEL_ERROR] = "error" };
		int lv = m->lint[i].level;
		put_str(&e, "  ", lint_rules[m->lint[i].rule].id,
			lv >= LINT_LEVEL_OFF && lv <= LINT_LEVEL_ERROR ? levels[lv] : "warning");
	}
	if (m->lint_strict)
		put_bool(&e, "  ", "strict", true);
	put_str(&e, "", "compatibility", m->compatibility);
	int rc = sbuf_error(out);
	if (rc)
		emit_undo(out, start, err0);
	return rc;
}
