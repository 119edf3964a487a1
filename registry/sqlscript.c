#include "sqlscript.h"
#include "pgq.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- places ---- */

struct reg_loc sqlscript_loc(const char *text, size_t len, size_t off)
{
	struct reg_loc loc = { 1, 1 };
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n') {
			loc.line++;
			loc.col = 1;
		} else if ((c & 0xC0) != 0x80) {
			/* continuation bytes belong to the character already counted */
			loc.col++;
		}
	}
	return loc;
}

size_t sqlscript_char_offset(const char *text, size_t len, int pos)
{
	if (pos <= 1)
		return 0;
	int chars = 0;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)text[i] & 0xC0) != 0x80) {
			if (chars == pos - 1)
				return i;
			chars++;
		}
	}
	return len;
}

/* Skips blanks and comments: where a statement really starts. */
static size_t skip_blank(const char *t, size_t len, size_t i)
{
	for (;;) {
		while (i < len && isspace((unsigned char)t[i]))
			i++;
		if (i + 1 < len && t[i] == '-' && t[i + 1] == '-') {
			while (i < len && t[i] != '\n')
				i++;
			continue;
		}
		if (i + 1 < len && t[i] == '/' && t[i + 1] == '*') {
			size_t depth = 0;
			/* PostgreSQL block comments nest */
			while (i + 1 < len) {
				if (t[i] == '/' && t[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (t[i] == '*' && t[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else {
					i++;
				}
			}
			if (depth)
				return len;
			continue;
		}
		return i;
	}
}

/* ---- splitting ---- */

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* The end of a dollar-quote opening tag at t[i] ('$'), or 0 when t[i] does
 * not open one ($1 is a parameter, a$b an identifier). */
static size_t dollar_tag(const char *t, size_t len, size_t i)
{
	if (i > 0 && ident_char(t[i - 1]))
		return 0;
	size_t j = i + 1;
	if (j < len && isdigit((unsigned char)t[j]))
		return 0;
	while (j < len && ident_char(t[j]) && t[j] != '$')
		j++;
	return j < len && t[j] == '$' ? j + 1 : 0;
}

/*
 * Where the statement starting at i ends: after its ';', or at len. Quotes,
 * dollar quotes and comments are skipped so that a ';' inside them does
 * not split. Something unterminated runs to the end, and the parser then
 * reports it. (libpg_query's scanner-based splitter silently drops a
 * statement that starts with an unknown word, which is exactly the kind of
 * statement that must be reported.)
 */
static size_t statement_end(const char *t, size_t len, size_t i)
{
	while (i < len) {
		char c = t[i];
		if (c == ';')
			return i + 1;
		if (c == '-' && i + 1 < len && t[i + 1] == '-') {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			size_t end = skip_blank(t, len, i);
			i = end > i ? end : len;
		} else if (c == '\'' || c == '"') {
			/* E'..' strings also take backslash escapes */
			bool esc = c == '\'' && i > 0 && (t[i - 1] == 'E' || t[i - 1] == 'e') &&
				   (i < 2 || !ident_char(t[i - 2]));
			i++;
			while (i < len) {
				if (esc && t[i] == '\\' && i + 1 < len) {
					i += 2;
					continue;
				}
				if (t[i] == c) {
					if (i + 1 < len && t[i + 1] == c) {
						i += 2;
						continue;
					}
					break;
				}
				i++;
			}
			i++;
		} else if (c == '$' && dollar_tag(t, len, i)) {
			size_t open = dollar_tag(t, len, i), n = open - i;
			i = open;
			while (i < len && !(t[i] == '$' && i + n <= len && !memcmp(t + i, t + open - n, n)))
				i++;
			i = i < len ? i + n : len;
		} else {
			i++;
		}
	}
	return len;
}

/* ---- lint texts ---- */

int sqlscript_lint_drop_table(struct sbuf *out, const char *table)
{
	return sbuf_addf(out, "critical: DROP TABLE '%s' deletes the table and all its rows", table);
}

int sqlscript_lint_drop_column(struct sbuf *out, const char *table, const char *column)
{
	return sbuf_addf(out, "DROP COLUMN '%s.%s' loses the column's data", table, column);
}

int sqlscript_lint_type_change(struct sbuf *out, const char *table, const char *column)
{
	return sbuf_addf(out, "changing the type of '%s.%s' may rewrite '%s' and its indexes "
			 "under an exclusive lock", table, column, table);
}

int sqlscript_lint_set_not_null(struct sbuf *out, const char *table, const char *column)
{
	return sbuf_addf(out, "SET NOT NULL on '%s.%s' scans all of '%s' under an exclusive lock",
			 table, column, table);
}

int sqlscript_lint_fk(struct sbuf *out, const char *table, const char *reftable)
{
	return sbuf_addf(out, "foreign key from '%s' to '%s' without NOT VALID locks both tables "
			 "while every row is checked", table, reftable);
}

int sqlscript_lint_index(struct sbuf *out, const char *index, const char *table)
{
	return sbuf_addf(out, "CREATE INDEX '%s' on existing table '%s' without CONCURRENTLY "
			 "blocks writes to '%s' while it builds", index, table, table);
}

int sqlscript_lint_not_null_no_default(struct sbuf *out, const char *table, const char *column)
{
	return sbuf_addf(out, "NOT NULL column '%s.%s' added without a default fails if '%s' has rows",
			 table, column, table);
}

/* ---- the walk over one statement's parse tree ---- */

struct walk {
	const char *text;     /* the whole script */
	size_t len;
	size_t base;          /* byte offset of this statement in text */
	size_t stmt_start;    /* first real byte of the statement */
	const char *file;
	const struct sqlscript_env *env;
	struct diags *diags;
	char **created;       /* tables created earlier in this script */
	size_t ncreated;
	int err;
};

static size_t place_of(struct walk *w, json_object *node)
{
	json_object *loc = pgq_get(node, "location");
	if (loc && json_object_is_type(loc, json_type_int)) {
		int64_t l = json_object_get_int64(loc);
		if (l >= 0 && w->base + (size_t)l <= w->len)
			return w->base + (size_t)l;
	}
	return w->stmt_start;
}

static void add(struct walk *w, size_t off, enum diag_severity sev, struct sbuf *msg)
{
	if (w->err)
		goto out;
	if (!msg->len) {
		/* no message is empty: rendering it ran out of memory */
		w->err = REG_ENOMEM;
		goto out;
	}
	struct reg_loc loc = sqlscript_loc(w->text, w->len, off);
	if (diags_add(w->diags, w->file, loc, sev, "%s", msg->buf) < 0)
		w->err = REG_ENOMEM;
out:
	sbuf_release(msg);
}

static void addf(struct walk *w, size_t off, enum diag_severity sev, const char *what)
{
	struct sbuf msg = SBUF_INIT;
	if (sbuf_adds(&msg, what) < 0) {
		w->err = REG_ENOMEM;
		return;
	}
	add(w, off, sev, &msg);
}

static bool created_here(struct walk *w, const char *table)
{
	for (size_t i = 0; i < w->ncreated; i++)
		if (!strcmp(w->created[i], table))
			return true;
	return false;
}

/* A table that exists before this script, so it may hold rows and locks
 * on it matter. */
static bool existing(struct walk *w, const char *table)
{
	if (!table || created_here(w, table))
		return false;
	if (!w->env || !w->env->table_exists)
		return true;
	return w->env->table_exists(w->env->ctx, table);
}

static void remember_created(struct walk *w, const char *table)
{
	if (!table || w->err)
		return;
	char **n = realloc(w->created, (w->ncreated + 1) * sizeof(*n));
	if (!n) {
		w->err = REG_ENOMEM;
		return;
	}
	w->created = n;
	if (!(w->created[w->ncreated] = strdup(table))) {
		w->err = REG_ENOMEM;
		return;
	}
	w->ncreated++;
}

static bool word_before(const char *t, size_t *pos, const char *word)
{
	size_t i = *pos, n = strlen(word);
	while (i > 0 && isspace((unsigned char)t[i - 1]))
		i--;
	if (i < n || strncasecmp(t + i - n, word, n))
		return false;
	if (i > n && (isalnum((unsigned char)t[i - n - 1]) || t[i - n - 1] == '_'))
		return false;
	*pos = i - n;
	return true;
}

/* PostgreSQL reads MySQL's "ADD INDEX idx (col)" as a new column named
 * "index" of type idx with a column reference as type modifier; no real
 * type modifier is a column reference, so that shape is the MySQL form. */
static bool mysql_add_index(json_object *coldef)
{
	const char *name = pgq_get_str(coldef, "colname");
	if (!name || (strcasecmp(name, "index") && strcasecmp(name, "key")))
		return false;
	json_object *mods = pgq_get(pgq_get(coldef, "typeName"), "typmods");
	if (!mods || !json_object_is_type(mods, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(mods); i++)
		if (pgq_get(json_object_array_get_idx(mods, i), "ColumnRef"))
			return true;
	return false;
}

static void walk_add_column(struct walk *w, const char *table, json_object *coldef)
{
	size_t at = place_of(w, coldef);
	if (mysql_add_index(coldef)) {
		/* point at the ADD the user wrote, not at the word INDEX */
		size_t p = at;
		word_before(w->text, &p, "COLUMN");
		if (word_before(w->text, &p, "ADD"))
			at = p;
		const char *kw = pgq_get_str(coldef, "colname");
		struct sbuf msg = SBUF_INIT;
		if (sbuf_addf(&msg, "MySQL syntax: ADD %s is not PostgreSQL; use CREATE INDEX",
			      !strcasecmp(kw, "key") ? "KEY" : "INDEX") < 0) {
			w->err = REG_ENOMEM;
			return;
		}
		add(w, at, DIAG_ERROR, &msg);
		return;
	}
	if (!existing(w, table))
		return;
	bool not_null = false, has_default = false;
	json_object *cons = pgq_get(coldef, "constraints");
	for (size_t i = 0; cons && i < json_object_array_length(cons); i++) {
		const char *t = pgq_get_str(pgq_get(json_object_array_get_idx(cons, i), "Constraint"), "contype");
		if (!t)
			continue;
		if (!strcmp(t, "CONSTR_NOTNULL") || !strcmp(t, "CONSTR_PRIMARY"))
			not_null = true;
		else if (!strcmp(t, "CONSTR_DEFAULT") || !strcmp(t, "CONSTR_IDENTITY") ||
			 !strcmp(t, "CONSTR_GENERATED"))
			has_default = true;
	}
	if (not_null && !has_default) {
		struct sbuf msg = SBUF_INIT;
		sqlscript_lint_not_null_no_default(&msg, table, pgq_get_str(coldef, "colname"));
		add(w, at, DIAG_WARNING, &msg);
	}
}

static void walk_alter_table(struct walk *w, json_object *st)
{
	json_object *rel = pgq_get(st, "relation");
	const char *table = pgq_get_str(rel, "relname");
	const char *objtype = pgq_get_str(st, "objtype");
	if (!table || (objtype && strcmp(objtype, "OBJECT_TABLE")))
		return;
	bool exists = existing(w, table);
	size_t rel_at = place_of(w, rel);
	json_object *cmds = pgq_get(st, "cmds");
	for (size_t i = 0; cmds && i < json_object_array_length(cmds) && !w->err; i++) {
		json_object *cmd = pgq_get(json_object_array_get_idx(cmds, i), "AlterTableCmd");
		const char *sub = pgq_get_str(cmd, "subtype");
		const char *col = pgq_get_str(cmd, "name");
		json_object *def = pgq_get(cmd, "def");
		struct sbuf msg = SBUF_INIT;
		if (!sub)
			continue;
		if (!strcmp(sub, "AT_AddColumn")) {
			json_object *cd = pgq_get(def, "ColumnDef");
			if (cd)
				walk_add_column(w, table, cd);
			continue;
		}
		if (!exists)
			continue;
		if (!strcmp(sub, "AT_DropColumn") && col) {
			sqlscript_lint_drop_column(&msg, table, col);
			add(w, rel_at, DIAG_WARNING, &msg);
		} else if (!strcmp(sub, "AT_AlterColumnType") && col) {
			sqlscript_lint_type_change(&msg, table, col);
			add(w, place_of(w, pgq_get(def, "ColumnDef")), DIAG_WARNING, &msg);
		} else if (!strcmp(sub, "AT_SetNotNull") && col) {
			sqlscript_lint_set_not_null(&msg, table, col);
			add(w, rel_at, DIAG_WARNING, &msg);
		} else if (!strcmp(sub, "AT_AddConstraint")) {
			json_object *c = pgq_get(def, "Constraint");
			const char *t = pgq_get_str(c, "contype");
			if (t && !strcmp(t, "CONSTR_FOREIGN") && !pgq_get_bool(c, "skip_validation")) {
				const char *ref = pgq_get_str(pgq_get(c, "pktable"), "relname");
				sqlscript_lint_fk(&msg, table, ref ? ref : "?");
				add(w, place_of(w, c), DIAG_WARNING, &msg);
			}
		}
	}
}

static void walk_drop(struct walk *w, json_object *st)
{
	const char *type = pgq_get_str(st, "removeType");
	if (!type || strcmp(type, "OBJECT_TABLE"))
		return;
	json_object *objs = pgq_get(st, "objects");
	for (size_t i = 0; objs && i < json_object_array_length(objs); i++) {
		json_object *items = pgq_get(pgq_get(json_object_array_get_idx(objs, i), "List"), "items");
		size_t n = items ? json_object_array_length(items) : 0;
		if (!n)
			continue;
		const char *name = pgq_get_str(pgq_get(json_object_array_get_idx(items, n - 1), "String"), "sval");
		if (!name)
			continue;
		struct sbuf msg = SBUF_INIT;
		sqlscript_lint_drop_table(&msg, name);
		add(w, w->stmt_start, DIAG_WARNING, &msg);
	}
}

static const struct {
	const char *node;
	const char *what;
} outside_tx[] = {
	{ "TransactionStmt", "transaction control is not allowed in a pending file: "
			     "schemafs runs the whole plan in one transaction" },
	{ "VacuumStmt", "VACUUM cannot run inside the migration's transaction" },
	{ "CreatedbStmt", "CREATE DATABASE cannot run inside the migration's transaction" },
	{ "DropdbStmt", "DROP DATABASE cannot run inside the migration's transaction" },
	{ "AlterSystemStmt", "ALTER SYSTEM cannot run inside the migration's transaction" },
	{ "CreateTableSpaceStmt", "CREATE TABLESPACE cannot run inside the migration's transaction" },
};

static void walk_stmt(struct walk *w, json_object *raw)
{
	json_object *stmt = pgq_get(raw, "stmt");
	if (!stmt || !json_object_is_type(stmt, json_type_object))
		return;
	json_object_object_foreach(stmt, node, body) {
		for (size_t i = 0; i < sizeof(outside_tx) / sizeof(outside_tx[0]); i++)
			if (!strcmp(node, outside_tx[i].node))
				addf(w, w->stmt_start, DIAG_ERROR, outside_tx[i].what);
		if (!strcmp(node, "AlterTableStmt")) {
			walk_alter_table(w, body);
		} else if (!strcmp(node, "DropStmt")) {
			walk_drop(w, body);
		} else if (!strcmp(node, "CreateStmt")) {
			remember_created(w, pgq_get_str(pgq_get(body, "relation"), "relname"));
		} else if (!strcmp(node, "IndexStmt")) {
			const char *table = pgq_get_str(pgq_get(body, "relation"), "relname");
			const char *idx = pgq_get_str(body, "idxname");
			if (pgq_get_bool(body, "concurrent")) {
				addf(w, w->stmt_start, DIAG_ERROR,
				     "CREATE INDEX CONCURRENTLY cannot run inside the migration's "
				     "transaction; build it by hand before the migration");
			} else if (existing(w, table)) {
				struct sbuf msg = SBUF_INIT;
				sqlscript_lint_index(&msg, idx ? idx : "(unnamed)", table);
				add(w, w->stmt_start, DIAG_WARNING, &msg);
			}
		}
	}
}

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
	size_t off = start + (e->cursorpos > 0
			      ? sqlscript_char_offset(w->text + start, slen, e->cursorpos)
			      : 0);
	if (e->cursorpos <= 0)
		off = skip_blank(w->text, w->len, start);
	/* the hint looks at this statement only */
	const char *hint = mysql_hint(w->text + start, slen, off - start);
	struct reg_loc loc = sqlscript_loc(w->text, w->len, off);
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
	w->base = start;
	w->stmt_start = skip_blank(w->text, start + slen, start);
	int err = 0;
	if (out)
		err = push_stmt(out, w->stmt_start, start + slen - w->stmt_start,
				sqlscript_loc(w->text, w->len, w->stmt_start));
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
		err = diags_add(w->diags, w->file, sqlscript_loc(w->text, w->len, w->stmt_start),
				DIAG_ERROR, "statement nested too deeply to check");
		goto out;
	}
	json_object *stmts = pgq_get(tree, "stmts");
	for (size_t i = 0; stmts && i < json_object_array_length(stmts) && !w->err; i++)
		walk_stmt(w, json_object_array_get_idx(stmts, i));
	err = w->err;
	json_object_put(tree);
out:
	pg_query_free_parse_result(r);
	free(piece);
	return err;
}

int sqlscript_check(const char *text, size_t len, const char *file,
		    const struct sqlscript_env *env, struct sqlscript *out,
		    struct diags *diags)
{
	struct walk w = { .text = text, .len = len, .file = file, .env = env, .diags = diags };
	char *copy = NULL;
	int err = 0;
	if (out)
		*out = (struct sqlscript){ 0 };
	if (memchr(text, 0, len))
		return diags_add(diags, file, sqlscript_loc(text, len, (size_t)((const char *)memchr(text, 0, len) - text)),
				 DIAG_ERROR, "NUL byte in SQL text");
	if (skip_blank(text, len, 0) == len)
		return diags_add(diags, file, (struct reg_loc){ 1, 1 }, DIAG_ERROR,
				 "no SQL statement in the file");
	/* the parser wants a C string */
	if (!(copy = malloc(len + 1)))
		return REG_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	w.text = copy;

	for (size_t start = 0; start < len && !err;) {
		size_t end = statement_end(copy, len, start);
		/* the piece without its ';', as the parser's own splitter gives it */
		size_t slen = end - start - (end > start && copy[end - 1] == ';');
		if (skip_blank(copy, start + slen, start) < start + slen)
			err = check_one(&w, start, slen, out);
		start = end;
	}
	for (size_t i = 0; i < w.ncreated; i++)
		free(w.created[i]);
	free(w.created);
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
