#include "lint_int.h"
#include "sqlscript.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define DIRECTIVE "schemafs-ignore"

static int push_ignore(struct lint_ctx *c, struct lint_ignore ig)
{
	struct lint_ignore *n = realloc(c->ignores, (c->nignores + 1) * sizeof(*n));
	if (!n) {
		free(ig.name);
		return REG_ENOMEM;
	}
	c->ignores = n;
	c->ignores[c->nignores++] = ig;
	return 0;
}

/* The directive must be the text of a -- comment: "--", blanks, then the
 * word; so the word in a string or in prose is not one. */
static bool in_comment(const char *t, size_t at)
{
	size_t i = at;
	while (i > 0 && (t[i - 1] == ' ' || t[i - 1] == '\t'))
		i--;
	return i >= 2 && t[i - 1] == '-' && t[i - 2] == '-';
}

static bool name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_';
}

/* The rule names after the directive: "RULE[, RULE]"; anything after the
 * list (a reason, say) is prose. */
static int scan_names(struct lint_ctx *c, size_t i, bool whole_file)
{
	const char *t = c->text;
	uint32_t line = text_lines_loc(&c->lines, i).line;
	for (;;) {
		while (i < c->len && (t[i] == ' ' || t[i] == '\t'))
			i++;
		size_t n = 0;
		while (i + n < c->len && name_char(t[i + n]))
			n++;
		struct lint_ignore ig = {
			.offset = i, .loc = text_lines_loc(&c->lines, i), .line = line,
			.whole_file = whole_file,
		};
		if (!(ig.name = strndup(t + i, n)))
			return REG_ENOMEM;
		ig.rule = lint_rule_find(ig.name);
		int err = push_ignore(c, ig);
		if (err || !n)
			return err;
		i += n;
		while (i < c->len && (t[i] == ' ' || t[i] == '\t'))
			i++;
		if (i >= c->len || t[i] != ',')
			return 0;
		i++;
	}
}

int lint_ignore_scan(struct lint_ctx *c)
{
	const size_t dlen = strlen(DIRECTIVE);
	for (const char *p = c->text; (p = strstr(p, DIRECTIVE)); p += dlen) {
		size_t at = (size_t)(p - c->text), i = at + dlen;
		if (!in_comment(c->text, at))
			continue;
		bool whole_file = !strncmp(c->text + i, "-file", 5);
		if (whole_file)
			i += 5;
		else if (name_char(c->text[i]))
			continue; /* schemafs-ignored, schemafs-ignore-x: not ours */
		int err = scan_names(c, i, whole_file);
		if (err)
			return err;
	}
	return 0;
}

/* The last statement that starts at or before off, or -1. */
static long stmt_before(const struct sqlscript *s, size_t off)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->stmts[mid].offset <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/*
 * Inside a statement: that statement. After a statement on its last line:
 * that statement ("ALTER ...; -- schemafs-ignore x"). Anywhere else before
 * a statement (the comment lines above it): the next statement.
 */
int lint_ignore_assign(struct lint_ctx *c, const struct sqlscript *s)
{
	for (size_t k = 0; k < c->nignores; k++) {
		struct lint_ignore *ig = &c->ignores[k];
		if (ig->whole_file)
			continue;
		long i = stmt_before(s, ig->offset);
		if (i >= 0) {
			const struct sqlscript_stmt *st = &s->stmts[i];
			size_t end = st->offset + st->len;
			uint32_t last = text_lines_loc(&c->lines, end ? end - 1 : 0).line;
			if (ig->offset < end || ig->line == last) {
				ig->stmt = (size_t)i;
				ig->assigned = true;
				continue;
			}
		}
		if ((size_t)(i + 1) < s->n) {
			ig->stmt = (size_t)(i + 1);
			ig->assigned = true;
		}
	}
	return 0;
}

bool lint_ignored(struct lint_ctx *c, enum lint_rule_id rule)
{
	bool hit = false;
	for (size_t k = 0; k < c->nignores; k++) {
		struct lint_ignore *ig = &c->ignores[k];
		if ((int)rule == ig->rule &&
		    (ig->whole_file || (ig->assigned && ig->stmt == c->stmt))) {
			ig->used = true;
			hit = true;
		}
	}
	return hit;
}

void lint_ignore_finish(struct lint_ctx *c)
{
	for (size_t k = 0; k < c->nignores && !c->err; k++) {
		struct lint_ignore *ig = &c->ignores[k];
		if (ig->used)
			continue;
		c->stmt = ig->assigned ? ig->stmt : 0;
		if (!*ig->name)
			lint_emit(c, LINT_UNUSED_IGNORE, ig->offset,
				  "name the rules: -- schemafs-ignore RULE[, RULE]",
				  "schemafs-ignore without a rule name");
		else if (ig->rule < 0)
			lint_emit(c, LINT_UNUSED_IGNORE, ig->offset,
				  "'schemafs lint --rules' lists them", "unknown rule '%s' in schemafs-ignore",
				  ig->name);
		else
			lint_emit(c, LINT_UNUSED_IGNORE, ig->offset, "remove it",
				  "schemafs-ignore '%s' silences nothing", ig->name);
	}
}

void lint_ignore_release(struct lint_ctx *c)
{
	for (size_t k = 0; k < c->nignores; k++)
		free(c->ignores[k].name);
	free(c->ignores);
	c->ignores = NULL;
	c->nignores = 0;
}
