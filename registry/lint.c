#include "lint_int.h"
#include "pgq.h"
#include "sqllex.h"
#include "sqlscript.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define E DIAG_ERROR
#define W DIAG_WARNING

/* docs/lint.md has a section per row, in this order (tests check it). */
const struct lint_rule lint_rules[LINT_NRULES] = {
	[LINT_SYNTAX_ERROR] = { "syntax-error", E,
		"the statement does not parse as PostgreSQL", false },
	[LINT_MYSQL_SYNTAX] = { "mysql-syntax", E,
		"MySQL syntax PostgreSQL does not accept (ADD INDEX, backticks, AUTO_INCREMENT, ...)",
		false },
	[LINT_CONCURRENTLY_IN_TX] = { "ban-concurrent-index-creation-in-transaction", E,
		"CONCURRENTLY (index build or drop, reindex, detach) inside a transaction", false },
	[LINT_NON_TRANSACTIONAL] = { "non-transactional-statement", E,
		"a statement that cannot run inside a transaction (VACUUM, CREATE DATABASE, ...)",
		false },
	[LINT_TRANSACTION_NESTING] = { "transaction-nesting", E,
		"BEGIN or COMMIT inside a transaction that is already open", false },
	[LINT_UNCOMMITTED_TX] = { "ban-uncommitted-transaction", E,
		"a BEGIN without a COMMIT before the end of the script", false },
	[LINT_INDEX_CONCURRENTLY] = { "require-concurrent-index-creation", W,
		"CREATE INDEX on an existing table without CONCURRENTLY blocks writes", false },
	[LINT_DROP_INDEX_CONCURRENTLY] = { "require-concurrent-index-deletion", W,
		"DROP INDEX without CONCURRENTLY blocks reads and writes of the table", false },
	[LINT_REINDEX_CONCURRENTLY] = { "require-concurrent-reindex", W,
		"REINDEX without CONCURRENTLY blocks writes, and reads that use the index", false },
	[LINT_DETACH_CONCURRENTLY] = { "require-concurrent-partition-detach", W,
		"DETACH PARTITION without CONCURRENTLY locks the parent table", false },
	[LINT_FOREIGN_KEY] = { "adding-foreign-key-constraint", W,
		"a foreign key without NOT VALID checks every row while both tables are locked",
		false },
	[LINT_CONSTRAINT_NOT_VALID] = { "constraint-missing-not-valid", W,
		"a CHECK constraint without NOT VALID scans the table under ACCESS EXCLUSIVE", false },
	[LINT_VALIDATE_SAME_TX] = { "validate-in-same-transaction", W,
		"VALIDATE CONSTRAINT in the transaction that added it NOT VALID keeps the lock",
		false },
	[LINT_UNIQUE_CONSTRAINT] = { "disallowed-unique-constraint", W,
		"ADD UNIQUE builds its index under ACCESS EXCLUSIVE", false },
	[LINT_PRIMARY_KEY] = { "adding-primary-key-constraint", W,
		"ADD PRIMARY KEY builds its index under ACCESS EXCLUSIVE", false },
	[LINT_SET_NOT_NULL] = { "set-not-null", W,
		"SET NOT NULL scans the table under ACCESS EXCLUSIVE", false },
	[LINT_COLUMN_TYPE] = { "changing-column-type", W,
		"a column type change may rewrite the table and its indexes under ACCESS EXCLUSIVE",
		false },
	[LINT_VOLATILE_DEFAULT] = { "volatile-default", W,
		"a new column with a volatile default, identity or stored expression rewrites "
		"the table", false },
	[LINT_DEFAULT_BEFORE_11] = { "adding-field-with-default", W,
		"before PostgreSQL 11 any default on a new column rewrites the table", false },
	[LINT_REQUIRED_FIELD] = { "adding-required-field", W,
		"a NOT NULL column without a default fails on a table that has rows", false },
	[LINT_REWRITE_TABLE] = { "prefer-repack", W,
		"VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE", false },
	[LINT_DOMAIN_CONSTRAINT] = { "ban-create-domain-with-constraint", W,
		"a domain with a constraint: changing it later scans every column of the type",
		false },
	[LINT_ALTER_DOMAIN_CONSTRAINT] = { "ban-alter-domain-with-add-constraint", W,
		"ALTER DOMAIN ADD CONSTRAINT scans every column of the type", false },
	[LINT_DROP_COLUMN] = { "ban-drop-column", W,
		"DROP COLUMN loses the data and breaks readers of the column", false },
	[LINT_DROP_TABLE] = { "ban-drop-table", W,
		"DROP TABLE loses the table and its rows and breaks its readers", false },
	[LINT_DROP_DATABASE] = { "ban-drop-database", E,
		"DROP DATABASE in a migration", false },
	[LINT_RENAME_COLUMN] = { "renaming-column", W,
		"RENAME COLUMN breaks every reader and writer that uses the old name", false },
	[LINT_RENAME_TABLE] = { "renaming-table", W,
		"RENAME TABLE breaks every reader and writer that uses the old name", false },
	[LINT_DROP_NOT_NULL] = { "ban-drop-not-null", W,
		"DROP NOT NULL breaks readers that rely on the column having a value", false },
	[LINT_TRUNCATE_CASCADE] = { "ban-truncate-cascade", W,
		"TRUNCATE ... CASCADE also empties every table that references it", false },
	[LINT_CHAR_FIELD] = { "ban-char-field", W,
		"char(n) pads with blanks and is never faster than text", false },
	[LINT_TIMESTAMPTZ] = { "prefer-timestamptz", W,
		"timestamp without time zone loses the offset; use timestamptz", false },
	[LINT_BIGINT_OVER_INT] = { "prefer-bigint-over-int", W,
		"integer columns run out at 2147483647; use bigint", false },
	[LINT_BIGINT_OVER_SMALLINT] = { "prefer-bigint-over-smallint", W,
		"smallint columns run out at 32767; use bigint", false },
	[LINT_IDENTITY] = { "prefer-identity", W,
		"serial types: prefer GENERATED ... AS IDENTITY", false },
	[LINT_TEXT_FIELD] = { "prefer-text-field", W,
		"varchar(n): changing n later takes ACCESS EXCLUSIVE; prefer text with a CHECK",
		false },
	[LINT_LOCK_TIMEOUT] = { "require-lock-timeout", W,
		"hand SQL that locks an existing table without SET lock_timeout first", true },
	[LINT_STATEMENT_TIMEOUT] = { "require-statement-timeout", W,
		"hand SQL that may run long without SET statement_timeout first", true },
	[LINT_ROBUST_STMTS] = { "prefer-robust-stmts", W,
		"outside a transaction, a statement that fails when the script is run again", false },
	[LINT_IDENTIFIER_TOO_LONG] = { "identifier-too-long", E,
		"a name longer than 63 bytes, which PostgreSQL silently truncates", false },
	[LINT_ENUM_VALUE_ORDER] = { "require-enum-value-ordering", W,
		"ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends the value last", false },
	[LINT_DUPLICATE_ASSIGNMENT] = { "ban-duplicate-column-assignments", E,
		"an UPDATE that assigns one column twice", false },
	[LINT_DUPLICATE_INDEX] = { "duplicate-index", W,
		"two indexes on the same columns of a table, built and maintained twice", false },
	[LINT_FK_WITHOUT_INDEX] = { "foreign-key-without-index", W,
		"a foreign key whose columns no index starts with: deletes in the parent scan it",
		false },
	[LINT_UNUSED_IGNORE] = { "unused-ignore", W,
		"a schemafs-ignore directive that silences nothing or names no rule", false },
};

#undef E
#undef W

const char *lint_rule_nearest(const char *id)
{
	const char *ids[LINT_NRULES + 1];
	for (int i = 0; i < LINT_NRULES; i++)
		ids[i] = lint_rules[i].id;
	ids[LINT_NRULES] = NULL;
	return reg_nearest(id, ids);
}

int lint_rule_find(const char *id)
{
	for (int i = 0; i < LINT_NRULES; i++)
		if (!strcmp(lint_rules[i].id, id))
			return i;
	return -1;
}

void lint_options_init(struct lint_options *o)
{
	*o = (struct lint_options){ .pg_version = LINT_PG_DEFAULT, .hand_written = true };
}

int lint_options_set(struct lint_options *o, const char *id, enum lint_level level)
{
	int r = lint_rule_find(id);
	if (r < 0)
		return REG_EINVAL;
	o->level[r] = (unsigned char)level;
	return 0;
}

int lint_render_rules(struct sbuf *out)
{
	for (int i = 0; i < LINT_NRULES; i++)
		sbuf_addf(out, "%s\t%s\t%s%s\n", lint_rules[i].id,
			  diag_severity_name(lint_rules[i].severity), lint_rules[i].summary,
			  lint_rules[i].hand_only ? " (hand-written SQL only)" : "");
	return sbuf_error(out);
}

/* ---- helpers for the rules ---- */

void lint_oom(struct lint_ctx *c)
{
	if (!c->err)
		c->err = REG_ENOMEM;
}

size_t lint_at(const struct lint_ctx *c, json_object *node)
{
	int loc = pgq_get_loc(node);
	if (loc >= 0 && (size_t)loc < c->stmt_len)
		return c->base + (size_t)loc;
	return c->base;
}

bool lint_in_tx(const struct lint_ctx *c)
{
	return c->opt.in_transaction || c->tx_depth > 0;
}

bool lint_existing(const struct lint_ctx *c, const char *table)
{
	if (!table || strmap_has_s(&c->created, table))
		return false;
	if (strmap_has_s(&c->renamed, table))
		return true;
	if (!c->opt.table_exists)
		return true;
	return c->opt.table_exists(c->opt.ctx, table);
}

static int report_push(struct lint_report *r, struct lint_finding f)
{
	if (r->n == r->alloc) {
		size_t alloc = r->alloc ? 2 * r->alloc : 16;
		struct lint_finding *items = realloc(r->items, alloc * sizeof(*items));
		if (!items)
			return REG_ENOMEM;
		r->items = items;
		r->alloc = alloc;
	}
	r->items[r->n++] = f;
	if (f.severity == DIAG_ERROR)
		r->errors++;
	else
		r->warnings++;
	return 0;
}

void lint_emit(struct lint_ctx *c, enum lint_rule_id rule, size_t off, const char *safe,
	       const char *fmt, ...)
{
	const struct lint_rule *r = &lint_rules[rule];
	if (c->err || (r->hand_only && !c->opt.hand_written) || lint_ignored(c, rule))
		return;
	enum lint_level level = c->opt.level[rule];
	if (level == LINT_LEVEL_OFF)
		return;
	struct sbuf msg = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	size_t what_len = msg.len;
	sbuf_addf(&msg, " (rule %s)", r->id);
	if (safe)
		sbuf_addf(&msg, "; %s", safe);
	struct lint_finding f = {
		.rule = rule,
		.what_len = what_len,
		.severity = level == LINT_LEVEL_ERROR ? DIAG_ERROR
			    : level == LINT_LEVEL_WARNING ? DIAG_WARNING : r->severity,
		.offset = off,
		.loc = text_lines_loc(&c->lines, off),
		.stmt = c->stmt,
	};
	if (sbuf_error(&msg) || !(f.message = sbuf_detach(&msg, NULL))) {
		sbuf_release(&msg);
		lint_oom(c);
		return;
	}
	if (report_push(c->out, f) < 0) {
		free(f.message);
		lint_oom(c);
	}
}

/* ---- syntax errors ---- */

static bool word_at(const char *t, size_t len, size_t off, const char *word)
{
	size_t n = strlen(word);
	if (off + n > len || strncasecmp(t + off, word, n))
		return false;
	return off + n == len || !(isalnum((unsigned char)t[off + n]) || t[off + n] == '_');
}

/* A word anywhere in the statement, outside quotes being beyond what a
 * failed parse can tell: used only for words that mean MySQL wherever
 * they stand. */
static bool has_word(const char *t, size_t len, const char *word)
{
	for (size_t i = 0; i < len; i++)
		if ((i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '_')) &&
		    word_at(t, len, i, word))
			return true;
	return false;
}

/* What to write instead of a MySQL form in a statement that does not parse,
 * or NULL when it does not look like MySQL. at: the parser's cursor. */
static const char *mysql_form(const char *t, size_t len, size_t at, const char **what)
{
	static const struct {
		const char *word, *what, *safe;
		bool anywhere;
	} forms[] = {
		{ "AUTO_INCREMENT", "AUTO_INCREMENT", "use GENERATED ALWAYS AS IDENTITY", true },
		{ "UNSIGNED", "UNSIGNED", "use a CHECK (col >= 0) or a wider type", false },
		{ "ENGINE", "ENGINE=", "leave it out", false },
		{ "MODIFY", "MODIFY", "use ALTER COLUMN ... TYPE / SET / DROP", false },
		{ "AFTER", "AFTER", "leave it out: columns are always added last", false },
		{ "FIRST", "FIRST", "leave it out: columns are always added last", false },
		{ "COMMENT", "a column COMMENT", "use COMMENT ON COLUMN", false },
		{ "INDEX", "an inline INDEX", "use CREATE INDEX after the table", false },
		{ "KEY", "an inline KEY", "use CREATE INDEX after the table", false },
	};
	if (memchr(t, '`', len)) {
		*what = "`backticks`";
		return "quote names with \"double quotes\"";
	}
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		if (forms[i].anywhere ? has_word(t, len, forms[i].word)
				      : word_at(t, len, at, forms[i].word)) {
			*what = forms[i].what;
			return forms[i].safe;
		}
	return NULL;
}

static void lint_syntax(struct lint_ctx *c, const char *piece, const PgQueryError *e)
{
	size_t at = e->cursorpos > 0 ? sqllex_char_offset(piece, c->stmt_len, e->cursorpos) : 0;
	const char *what = NULL;
	const char *safe = mysql_form(piece, c->stmt_len, at, &what);
	if (safe)
		lint_emit(c, LINT_MYSQL_SYNTAX, c->base + at, safe,
			  "MySQL syntax: %s is not PostgreSQL: %s", what, e->message);
	else
		lint_emit(c, LINT_SYNTAX_ERROR, c->base + at, "fix the statement", "%s",
			  e->message);
}

/* ---- the run ---- */

/* The one place that splits a script into statements: sqlscript's splitter
 * (quotes, dollar quotes, nested comments; a broken statement is kept).
 * sqlscript_check's own diagnostics are not lint's and are dropped. */
static int lint_split(const char *text, size_t len, struct sqlscript *out)
{
	struct diags scratch = DIAGS_INIT;
	int err = sqlscript_check(text, len, "", out, &scratch);
	diags_release(&scratch);
	return err;
}

static void lint_one(struct lint_ctx *c, struct sbuf *piece)
{
	sbuf_reset(piece);
	if (sbuf_add(piece, c->text + c->base, c->stmt_len) < 0) {
		lint_oom(c);
		return;
	}
	PgQueryParseResult r = pgq_parse(piece->buf);
	if (r.error) {
		lint_syntax(c, piece->buf, r.error);
		goto out;
	}
	json_object *tree = pgq_json(r.parse_tree);
	if (!tree) {
		lint_emit(c, LINT_SYNTAX_ERROR, c->base, "split it into simpler statements",
			  "statement nested too deeply to check");
		goto out;
	}
	json_object *stmts = pgq_get(tree, "stmts");
	for (size_t i = 0; i < pgq_arr_len(stmts) && !c->err; i++) {
		json_object *body = NULL;
		const char *type = pgq_node_type(pgq_get(pgq_arr_at(stmts, i), "stmt"), &body);
		if (type)
			lint_stmt(c, type, body);
	}
	json_object_put(tree);
out:
	pg_query_free_parse_result(r);
}

/* Findings at the end of the script (foreign keys, directives) go back to
 * their place: an insertion sort, as nearly everything is in order. */
static void sort_findings(struct lint_report *r, size_t from)
{
	for (size_t i = from + 1; i < r->n; i++) {
		struct lint_finding f = r->items[i];
		size_t j = i;
		while (j > from && r->items[j - 1].offset > f.offset) {
			r->items[j] = r->items[j - 1];
			j--;
		}
		r->items[j] = f;
	}
}

static int lint_statements(struct lint_ctx *c)
{
	struct sqlscript script = { 0 };
	struct sbuf piece = SBUF_INIT;
	int err = lint_split(c->text, c->len, &script);
	if (err)
		return err;
	c->out->statements += script.n;
	if ((err = lint_ignore_assign(c, &script)))
		goto out;
	for (size_t i = 0; i < script.n && !c->err; i++) {
		c->stmt = i;
		c->base = script.stmts[i].offset;
		c->stmt_len = script.stmts[i].len;
		lint_one(c, &piece);
	}
	if (c->tx_depth > 0) {
		c->stmt = c->tx_stmt;
		c->base = c->tx_begin;
		lint_emit(c, LINT_UNCOMMITTED_TX, c->tx_begin, "end it with COMMIT",
			  "BEGIN without a COMMIT: the script leaves its transaction open");
	}
	lint_keys_finish(c);
out:
	sbuf_release(&piece);
	sqlscript_release(&script);
	return err;
}

int lint_run(const char *text, size_t len, const struct lint_options *o, struct lint_report *out)
{
	struct lint_ctx c = { .len = len, .out = out };
	char *copy = NULL;
	size_t first = out->n;
	int err = 0;
	if (o)
		c.opt = *o;
	else
		lint_options_init(&c.opt);
	if (!c.opt.pg_version)
		c.opt.pg_version = LINT_PG_DEFAULT;
	strmap_init(&c.created);
	strmap_init(&c.renamed);
	strmap_init(&c.index_keys);
	strmap_init(&c.index_names);
	if (!(copy = malloc(len + 1)))
		return REG_ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	c.text = copy;
	if ((err = text_lines_init(&c.lines, copy, len, TEXT_BREAKS_LF)))
		goto out;
	const char *nul = memchr(copy, 0, len);
	if (nul) {
		lint_emit(&c, LINT_SYNTAX_ERROR, (size_t)(nul - copy), "remove it",
			  "NUL byte in SQL text");
		goto out;
	}
	if ((err = lint_ignore_scan(&c)) || (err = lint_statements(&c)))
		goto out;
	lint_ignore_finish(&c);
out:
	if (!err)
		err = c.err;
	sort_findings(out, first);
	lint_keys_release(&c);
	lint_ignore_release(&c);
	strlist_release(&c.not_valid);
	strlist_release(&c.nn_checks);
	strlist_release(&c.nn_cols);
	strlist_release(&c.proven_nn);
	strlist_release(&c.dropped_if_exists);
	strmap_release(&c.created, NULL);
	strmap_release(&c.renamed, NULL);
	text_lines_release(&c.lines);
	free(copy);
	return err;
}

void lint_report_release(struct lint_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->items[i].message);
	free(r->items);
	*r = (struct lint_report)LINT_REPORT_INIT;
}

int lint_report_diags(const struct lint_report *r, const char *file, struct diags *out)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct lint_finding *f = &r->items[i];
		if (diags_add(out, file, f->loc, f->severity, "%s", f->message) < 0)
			return REG_ENOMEM;
	}
	return 0;
}

int lint_finding_render(const struct lint_finding *f, struct sbuf *out)
{
	size_t tail = f->what_len + strlen(" (rule ") + strlen(lint_rules[f->rule].id) + 1;
	sbuf_add(out, f->message, f->what_len);
	if (f->message[tail] == ';')
		sbuf_adds(out, f->message + tail);
	return sbuf_error(out);
}

int lint_script(const char *text, size_t len, const char *file, const struct lint_options *o,
		struct diags *out)
{
	struct lint_report r = LINT_REPORT_INIT;
	int err = lint_run(text, len, o, &r);
	if (!err)
		err = lint_report_diags(&r, file, out);
	lint_report_release(&r);
	return err;
}
