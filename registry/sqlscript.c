#include "sqlscript.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pgq.h"
#include "sqllex.h"
#include "strlist.h"
#include "text.h"

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
	struct text_lines lines; /* of text, for places */
	struct strlist created;  /* tables created earlier in this script */
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
	if (sbuf_error(msg)) {
		w->err = sbuf_error(msg);
		goto out;
	}
	struct reg_loc loc = text_lines_loc(&w->lines, off);
	if (diags_add(w->diags, w->file, loc, sev, "%s", msg->buf) < 0)
		w->err = REG_ENOMEM;
out:
	sbuf_release(msg);
}

static void addf(struct walk *w, size_t off, enum diag_severity sev, const char *what)
{
	struct sbuf msg = SBUF_INIT;
	sbuf_adds(&msg, what);
	add(w, off, sev, &msg);
}

/* A table that exists before this script, so it may hold rows and locks
 * on it matter. */
static bool existing(struct walk *w, const char *table)
{
	if (!table || strlist_find(&w->created, table) >= 0)
		return false;
	if (!w->env || !w->env->table_exists)
		return true;
	return w->env->table_exists(w->env->ctx, table);
}

static void remember_created(struct walk *w, const char *table)
{
	if (!table || w->err)
		return;
	if (strlist_push(&w->created, table))
		w->err = REG_ENOMEM;
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
		sbuf_addf(&msg, "MySQL syntax: ADD %s is not PostgreSQL; use CREATE INDEX",
			  !strcasecmp(kw, "key") ? "KEY" : "INDEX");
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
	w->base = start;
	w->stmt_start = sqllex_skip_blank(w->text, start, start + slen);
	int err = 0;
	if (out)
		err = push_stmt(out, w->stmt_start, start + slen - w->stmt_start,
				text_lines_loc(&w->lines, w->stmt_start));
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
		err = diags_add(w->diags, w->file, text_lines_loc(&w->lines, w->stmt_start),
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
	struct walk w = { .text = text, .len = len, .file = file, .env = env, .diags = diags,
			  .created = STRLIST_INIT };
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
	strlist_release(&w.created);
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
