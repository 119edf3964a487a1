#include "sqlscript.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgq.h"
#include "sqllex.h"
#include "text.h"

struct walk {
	const char *text;     /* the whole script */
	size_t len;
	const char *file;
	struct diags *diags;
	struct text_lines lines; /* of text, for places */
};

/* A hint for the MySQL spellings people paste most; the error itself comes
 * from the parser, this only says what to write instead. */
static const char *mysql_hint(const char *t, size_t len, size_t off)
{
	/* PostgreSQL's lexer has no use for a backtick, and MySQL quotes
	 * names with them; where the parser trips is usually further on */
	static const struct {
		const char *word;
		const char *hint;
	} hints[] = {
		{ "COMMENT", "MySQL syntax: column COMMENT is not PostgreSQL; use COMMENT ON COLUMN" },
		{ "AUTO_INCREMENT", "MySQL syntax: AUTO_INCREMENT is not PostgreSQL; use GENERATED ... AS IDENTITY" },
		{ "UNSIGNED", "MySQL syntax: UNSIGNED is not PostgreSQL" },
		{ "ENGINE", "MySQL syntax: ENGINE is not PostgreSQL" },
		{ "MODIFY", "MySQL syntax: MODIFY is not PostgreSQL; use ALTER COLUMN" },
		{ "AFTER", "MySQL syntax: AFTER is not PostgreSQL; columns are always added last" },
	};
	if (memchr(t, '`', len))
		return "MySQL syntax: `backticks` are not PostgreSQL; use \"double quotes\"";
	size_t n = 0;
	while (off + n < len && (isalnum((unsigned char)t[off + n]) || t[off + n] == '_'))
		n++;
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strlen(hints[i].word) == n && !strncasecmp(t + off, hints[i].word, n))
			return hints[i].hint;
	return NULL;
}

static int syntax_error(struct walk *w, size_t start, size_t slen, const PgQueryError *e)
{
	size_t off = e->cursorpos > 0
			     ? start + sqllex_char_offset(w->text + start, slen, e->cursorpos)
			     : sqllex_skip_blank(w->text, start, w->len);
	/* the hint looks at this statement only */
	const char *hint = mysql_hint(w->text + start, slen, off - start);
	struct reg_loc loc = text_lines_loc(&w->lines, off);
	if (hint)
		return diags_add(w->diags, w->file, loc, DIAG_ERROR, "%s (%s)", e->message, hint);
	return diags_add(w->diags, w->file, loc, DIAG_ERROR, "%s", e->message);
}

static int push_stmt(struct sqlscript *out, size_t off, size_t len, struct reg_loc loc)
{
	struct sqlscript_stmt *n = realloc(out->stmts, (out->n + 1) * sizeof(*n));
	if (!n)
		return REG_ENOMEM;
	out->stmts = n;
	out->stmts[out->n++] = (struct sqlscript_stmt){ off, len, loc };
	return 0;
}

static int check_one(struct walk *w, size_t start, size_t slen, struct sqlscript *out)
{
	char *piece = malloc(slen + 1);
	if (!piece)
		return REG_ENOMEM;
	memcpy(piece, w->text + start, slen);
	piece[slen] = 0;
	size_t first = sqllex_skip_blank(w->text, start, start + slen);
	int err = 0;
	if (out)
		err = push_stmt(out, first, start + slen - first, text_lines_loc(&w->lines, first));
	PgQueryParseResult r = pgq_parse(piece);
	if (err)
		goto out;
	if (r.error) {
		err = syntax_error(w, start, slen, r.error);
		goto out;
	}
	json_object *tree = pgq_json(r.parse_tree);
	if (!tree) {
		/* deeper than any walk may go (pgq.h): refused, never guessed */
		err = diags_add(w->diags, w->file, text_lines_loc(&w->lines, first),
				DIAG_ERROR, "statement nested too deeply to check");
		goto out;
	}
	json_object_put(tree);
out:
	pg_query_free_parse_result(r);
	free(piece);
	return err;
}

int sqlscript_check(const char *text, size_t len, const char *file, struct sqlscript *out,
		    struct diags *diags)
{
	struct walk w = { .text = text, .len = len, .file = file, .diags = diags };
	const char *nul = memchr(text, 0, len);
	char *copy = NULL;
	int err = 0;
	if (out)
		*out = (struct sqlscript){ 0 };
	if (nul)
		return diags_add(diags, file, text_loc(text, len, (size_t)(nul - text), TEXT_BREAKS_LF),
				 DIAG_ERROR, "NUL byte in SQL text");
	if (sqllex_skip_blank(text, 0, len) == len)
		return diags_add(diags, file, (struct reg_loc){ 1, 1 }, DIAG_ERROR,
				 "no SQL statement in the file");
	/* the parser wants a C string */
	if (!(copy = malloc(len + 1)))
		return REG_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	w.text = copy;
	if ((err = text_lines_init(&w.lines, copy, len, TEXT_BREAKS_LF)))
		goto out;
	size_t pos = 0, start, slen;
	while (!err && sqllex_next_stmt(copy, len, &pos, &start, &slen))
		if (sqllex_skip_blank(copy, start, start + slen) < start + slen)
			err = check_one(&w, start, slen, out);
out:
	text_lines_release(&w.lines);
	free(copy);
	if (err && out)
		sqlscript_release(out);
	return err < 0 ? err : 0;
}

void sqlscript_release(struct sqlscript *s)
{
	if (!s)
		return;
	free(s->stmts);
	*s = (struct sqlscript){ 0 };
}
