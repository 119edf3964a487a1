/*
 * props: the properties the fuzz harnesses check, shared with the replay
 * test (tests/test_fuzz_replay.c) so that a finding saved under
 * tests/fuzz/regressions/ is judged by exactly the code that found it.
 *
 * Header-only so the clang fuzz build (tests/fuzz/run.sh) and the meson
 * test build include it without a library of their own. No Check, no
 * printing: each fz_check_* returns 0 when every property holds, 1 with
 * the reason appended to *why when one does not, REG_ENOMEM when memory
 * runs out. The caller owns why.
 *
 * fz_check_yaml (the bytes of one schema file):
 *   - reg_schema_from_bytes never fails with anything but REG_EINVAL or
 *     REG_E2BIG, gives a schema exactly when it accepts, and gives at least
 *     one error exactly when it refuses;
 *   - every diagnostic names the file, has a line inside it, a message that
 *     is non-empty, free of control characters (a newline could forge a
 *     diagnostic line, an ESC could drive the terminal), not capitalised
 *     and without a final period;
 *   - an accepted schema keeps the bytes exactly, emits (schemafile_emit),
 *     and the emitted text is accepted again with no error, equal field by
 *     field, and emits to the same text (a fixed point).
 *
 * fz_check_sql (one text, checked as a type and as a default):
 *   - sqlcheck_type/sqlcheck_expr return 0, a refusal has a clean message
 *     and an offset inside the text, an accepted type has a canonical form,
 *     and asking again (the cache) gives the same answer;
 *   - an accepted text, spliced exactly as registry/plan.c splices it into
 *     DDL, parses with libpg_query to exactly the statement intended and
 *     nothing else: one CREATE TABLE with the columns and constraints we
 *     wrote, one ALTER TABLE with one command. That is "acceptance never
 *     lets extra SQL in"; a text that makes the DDL fail to parse is
 *     reported too (accepted, but the migration would break).
 */
#ifndef SCHEMAFS_FUZZ_PROPS_H
#define SCHEMAFS_FUZZ_PROPS_H

#include <json-c/json.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "sqlcheck.h"
#include "schemafile.h"

#define FZ_FILE "fuzz.yaml"

/*
 * Open findings (docs/fuzzing.md, tests/fuzz/regressions/OPEN) would stop
 * every fuzzing run at the same place. -DFZ_SKIP_OPEN=1 (FUZZ_CFLAGS of
 * run.sh) goes past them: it checks the proposed fix where there is one
 * and skips the check where there is not. The normal build checks all.
 */
#ifndef FZ_SKIP_OPEN
#define FZ_SKIP_OPEN 0
#endif
/* finding "default-b-expr": 1 checks DEFAULT (<expr>), the proposed fix;
 * registry/plan.c's column_def and this must splice alike: set 1 with it */
#ifndef FZ_DEFAULT_PARENS
#define FZ_DEFAULT_PARENS 1
#endif
/* finding "diag-controls": 1 lets control characters reach diagnostics */
#ifndef FZ_DIAG_CONTROLS_OK
#define FZ_DIAG_CONTROLS_OK FZ_SKIP_OPEN
#endif
/* finding "trailing-semicolon": 1 treats "int;" as refused, the proposed fix */
#ifndef FZ_REFUSE_SEMICOLON
#define FZ_REFUSE_SEMICOLON FZ_SKIP_OPEN
#endif

__attribute__((format(printf, 2, 3)))
static int fz_fail(struct sbuf *why, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(why, fmt, ap);
	va_end(ap);
	return rc ? rc : 1;
}

/* ---- yaml ---- */

static const char *fz_s(const char *s)
{
	return s ? s : "(null)";
}

/* 1 when a and b are both NULL or equal strings. */
static bool fz_str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

#define FZ_STR(field, what) \
	if (!fz_str_eq(a->field, b->field)) \
		return fz_fail(why, "round trip changed %s: '%s' became '%s'", what, \
			       fz_s(a->field), fz_s(b->field))
#define FZ_VAL(field, what) \
	if (a->field != b->field) \
		return fz_fail(why, "round trip changed %s: %ld became %ld", what, \
			       (long)a->field, (long)b->field)

static int fz_strlist_eq(const struct reg_strlist *a, const struct reg_strlist *b,
			 const char *what, struct sbuf *why)
{
	FZ_VAL(n, what);
	FZ_VAL(was_list, what);
	for (size_t i = 0; i < a->n; i++)
		FZ_STR(items[i], what);
	return 0;
}

/* Every field of the model but places and provenance (file, source). */
static int fz_schema_eq(const struct reg_schema *a, const struct reg_schema *b, struct sbuf *why)
{
	int rc;
	FZ_STR(name, "name");
	FZ_STR(owner, "owner");
	FZ_STR(version, "version");
	FZ_STR(description, "description");
	FZ_VAL(ncolumns, "the number of columns");
	for (size_t i = 0; i < a->ncolumns; i++) {
		FZ_STR(columns[i].name, "a column name");
		FZ_STR(columns[i].type, "a column type");
		FZ_STR(columns[i].default_expr, "a column default");
		FZ_STR(columns[i].description, "a column description");
		FZ_VAL(columns[i].nullable, "a column's nullable");
		FZ_VAL(columns[i].primary_key, "a column's primary_key");
		FZ_VAL(columns[i].unique, "a column's unique");
	}
	FZ_VAL(nrefs, "the number of references");
	for (size_t i = 0; i < a->nrefs; i++) {
		FZ_STR(refs[i].schema, "a reference's schema");
		if ((rc = fz_strlist_eq(&a->refs[i].columns, &b->refs[i].columns,
					"a reference's columns", why)) ||
		    (rc = fz_strlist_eq(&a->refs[i].foreign_keys, &b->refs[i].foreign_keys,
					"a reference's foreign_key", why)))
			return rc;
		FZ_VAL(refs[i].on_delete, "a reference's on_delete");
		FZ_VAL(refs[i].on_update, "a reference's on_update");
		FZ_STR(refs[i].description, "a reference's description");
	}
	FZ_VAL(nindexes, "the number of indexes");
	for (size_t i = 0; i < a->nindexes; i++) {
		FZ_STR(indexes[i].name, "an index name");
		if ((rc = fz_strlist_eq(&a->indexes[i].columns, &b->indexes[i].columns,
					"an index's columns", why)))
			return rc;
		FZ_VAL(indexes[i].unique, "an index's unique");
		FZ_STR(indexes[i].description, "an index's description");
	}
	FZ_VAL(nhistory, "the number of history entries");
	for (size_t i = 0; i < a->nhistory; i++) {
		FZ_STR(history[i].version, "a history version");
		FZ_STR(history[i].date, "a history date");
		FZ_STR(history[i].changes, "a history's changes");
	}
	return 0;
}

#undef FZ_STR
#undef FZ_VAL

/*
 * A message fit for a terminal and for one line of `check` output. Control
 * characters are checked in diagnostics only: sqlcheck's message is raw
 * text (it echoes the user's token) that reaches people through diags.
 * A first word in capitals is an acronym ("NUL character"), not a capital.
 */
static int fz_message_ok(const char *msg, const char *what, bool controls_ok, struct sbuf *why)
{
	size_t n = msg ? strlen(msg) : 0;
	if (!n)
		return fz_fail(why, "%s: empty message", what);
	for (size_t i = 0; i < n && !controls_ok; i++) {
		unsigned char ch = (unsigned char)msg[i];
		if (ch < 0x20 || ch == 0x7f)
			return fz_fail(why, "%s: control character 0x%02x at byte %zu of message '%s'",
				       what, ch, i, msg);
	}
	if (msg[0] >= 'A' && msg[0] <= 'Z' && msg[1] >= 'a' && msg[1] <= 'z')
		return fz_fail(why, "%s: message starts with a capital: '%s'", what, msg);
	if (msg[n - 1] == '.')
		return fz_fail(why, "%s: message ends with a period: '%s'", what, msg);
	return 0;
}

static int fz_diags_ok(const struct diags *d, const char *file, const char *bytes, size_t len,
		       struct sbuf *why)
{
	uint32_t lines = 1;
	size_t errors = 0;
	/* line breaks as libyaml counts them: LF, CR LF, lone CR, NEL, LS, PS */
	for (size_t i = 0; i < len; i++) {
		const unsigned char *b = (const unsigned char *)bytes + i;
		lines += b[0] == '\n' || (b[0] == '\r' && (i + 1 == len || b[1] != '\n')) ||
			 (b[0] == 0xc2 && i + 1 < len && b[1] == 0x85) ||
			 (b[0] == 0xe2 && i + 2 < len && b[1] == 0x80 && (b[2] == 0xa8 || b[2] == 0xa9));
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->items[i];
		int rc;
		errors += g->severity == DIAG_ERROR;
		if (!g->file || strcmp(g->file, file))
			return fz_fail(why, "diagnostic names file '%s', not '%s': %s",
				       fz_s(g->file), file, fz_s(g->message));
		/* one past the last line: libyaml puts "end of stream" there */
		if (g->loc.line > lines + 1)
			return fz_fail(why, "diagnostic at line %u of a %u-line file: %s",
				       g->loc.line, lines, fz_s(g->message));
		if ((size_t)g->loc.col > len + 1)
			return fz_fail(why, "diagnostic at column %u of a %zu-byte file: %s",
				       g->loc.col, len, fz_s(g->message));
		if ((rc = fz_message_ok(g->message, "diagnostic", FZ_DIAG_CONTROLS_OK, why)))
			return rc;
	}
	if (errors != d->errors)
		return fz_fail(why, "diags->errors is %zu but %zu items are errors",
			       d->errors, errors);
	return 0;
}

static inline int fz_check_yaml(const uint8_t *data, size_t size, struct sbuf *why)
{
	const char *bytes = (const char *)data;
	struct diags d = DIAGS_INIT, d2 = DIAGS_INIT;
	struct reg_schema *s = NULL, *back = NULL;
	struct sbuf y1 = SBUF_INIT, y2 = SBUF_INIT;
	int rc = reg_schema_from_bytes(bytes, size, FZ_FILE, NULL, &s, &d);

	if (rc == REG_ENOMEM)
		goto out;
	if (rc != 0 && rc != REG_EINVAL && rc != REG_E2BIG) {
		rc = fz_fail(why, "reg_schema_from_bytes returned %d (%s)", rc, reg_strerror(rc));
		goto out;
	}
	if (!rc != !!s) {
		rc = fz_fail(why, "returned %d with schema %p", rc, (void *)s);
		goto out;
	}
	if (!rc != !d.errors) {
		rc = fz_fail(why, "returned %d with %zu errors", rc, d.errors);
		goto out;
	}
	if ((rc = fz_diags_ok(&d, FZ_FILE, bytes, size, why)) || !s)
		goto out;

	if (!s->source || s->source_len != size || memcmp(s->source, bytes, size)) {
		rc = fz_fail(why, "the accepted bytes are not kept exactly");
		goto out;
	}
	if ((rc = schemafile_emit(s, &y1))) {
		/* REG_E2BIG: canonical YAML over the size limit, refused at the
		 * source rather than written and refused when read back */
		if (rc == REG_E2BIG)
			rc = 0;
		else if (rc != REG_ENOMEM)
			rc = fz_fail(why, "accepted schema does not emit: %s", reg_strerror(rc));
		goto out;
	}
	rc = reg_schema_from_bytes(y1.buf, y1.len, "emitted.yaml", NULL, &back, &d2);
	if (rc == REG_ENOMEM)
		goto out;
	if (rc || d2.errors) {
		struct sbuf r = SBUF_INIT;
		diags_render(&d2, &r);
		rc = fz_fail(why, "emitted YAML of an accepted schema is refused (%s):\n%s---\n%s",
			     reg_strerror(rc), fz_s(r.buf), y1.buf);
		sbuf_release(&r);
		goto out;
	}
	if ((rc = fz_schema_eq(s, back, why)))
		goto out;
	if ((rc = schemafile_emit(back, &y2)))
		goto out;
	if (y1.len != y2.len || memcmp(y1.buf, y2.buf, y1.len))
		rc = fz_fail(why, "emitting is not a fixed point:\n%s---\n%s", y1.buf, y2.buf);
out:
	reg_schema_free(s);
	reg_schema_free(back);
	diags_release(&d);
	diags_release(&d2);
	sbuf_release(&y1);
	sbuf_release(&y2);
	return rc;
}

/* ---- sql ---- */

static json_object *fz_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *fz_get_str(json_object *o, const char *key)
{
	json_object *v = fz_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static size_t fz_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* Whether o has any key not in the NULL-terminated allowed list. */
static const char *fz_extra_key(json_object *o, const char *const *allowed)
{
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	json_object_object_foreach(o, key, val) {
		(void)val;
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], key); i++)
			;
		if (!allowed[i])
			return key;
	}
	return NULL;
}

/*
 * A ColumnDef named want with a type, whose constraints are exactly the
 * contypes listed (NULL-terminated), and nothing else (no COLLATE, no
 * USING, no storage or compression clause).
 */
static int fz_column_ok(json_object *elt, const char *want, const char *const *contypes,
			const char *sql, struct sbuf *why)
{
	static const char *const allowed[] = {
		"colname", "typeName", "is_local", "constraints", "location", NULL,
	};
	json_object *col = fz_get(elt, "ColumnDef");
	const char *extra;
	if (!col)
		return fz_fail(why, "not a column definition in: %s", sql);
	if (!fz_str_eq(fz_get_str(col, "colname"), want) || !fz_get(col, "typeName"))
		return fz_fail(why, "column '%s' is not the one spliced in: %s", want, sql);
	if ((extra = fz_extra_key(col, allowed)))
		return fz_fail(why, "column '%s' gained '%s' in: %s", want, extra, sql);
	json_object *cons = fz_get(col, "constraints");
	size_t n = fz_len(cons), want_n = 0;
	while (contypes[want_n])
		want_n++;
	if (n != want_n)
		return fz_fail(why, "column '%s' has %zu constraints, %zu written, in: %s",
			       want, n, want_n, sql);
	for (size_t i = 0; i < n; i++) {
		const char *t = fz_get_str(fz_get(json_object_array_get_idx(cons, i), "Constraint"),
					   "contype");
		if (!fz_str_eq(t, contypes[i]))
			return fz_fail(why, "column '%s' constraint %zu is %s, not %s, in: %s",
				       want, i, fz_s(t), contypes[i], sql);
	}
	return 0;
}

/* Parses sql; *stmt is the body of its only statement, of type want. The
 * tree is returned for the caller to put. */
static int fz_one_stmt(const char *sql, const char *want, json_object **tree, json_object **stmt,
		       struct sbuf *why)
{
	PgQueryParseResult pr = pg_query_parse(sql);
	int rc = 0;
	*tree = *stmt = NULL;
	if (pr.error) {
		rc = fz_fail(why, "accepted text makes the DDL fail to parse (%s) in: %s",
			     fz_s(pr.error->message), sql);
		goto out;
	}
	/* sqlcheck reads trees up to this depth too (its JSON_MAX_DEPTH) */
	json_tokener *tok = json_tokener_new_ex(2000);
	if (!tok) {
		rc = REG_ENOMEM;
		goto out;
	}
	*tree = json_tokener_parse_ex(tok, pr.parse_tree, -1);
	json_tokener_free(tok);
	if (!*tree) {
		rc = fz_fail(why, "parse tree deeper than 2000 in: %s", sql);
		goto out;
	}
	json_object *stmts = fz_get(*tree, "stmts");
	if (fz_len(stmts) != 1) {
		rc = fz_fail(why, "%zu statements instead of one in: %s", fz_len(stmts), sql);
		goto out;
	}
	*stmt = fz_get(fz_get(json_object_array_get_idx(stmts, 0), "stmt"), want);
	if (!*stmt)
		rc = fz_fail(why, "not a %s in: %s", want, sql);
out:
	pg_query_free_parse_result(pr);
	return rc;
}

static int fz_create_ok(const char *sql, size_t ncols, const char *const *names,
			const char *const *const *contypes, struct sbuf *why)
{
	json_object *tree, *st;
	int rc = fz_one_stmt(sql, "CreateStmt", &tree, &st, why);
	if (rc || !st)
		goto out;
	json_object *elts = fz_get(st, "tableElts");
	if (fz_len(elts) != ncols) {
		rc = fz_fail(why, "%zu table elements instead of %zu in: %s", fz_len(elts), ncols, sql);
		goto out;
	}
	static const char *const allowed[] = { "relation", "tableElts", "oncommit", NULL };
	const char *extra = fz_extra_key(st, allowed);
	if (extra) {
		rc = fz_fail(why, "CREATE TABLE gained '%s' in: %s", extra, sql);
		goto out;
	}
	for (size_t i = 0; i < ncols && !rc; i++)
		rc = fz_column_ok(json_object_array_get_idx(elts, i), names[i], contypes[i], sql, why);
out:
	json_object_put(tree);
	return rc;
}

/* ALTER TABLE with one command of subtype want, on column "c", whose
 * def, when a ColumnDef, carries nothing but its type. */
static int fz_alter_ok(const char *sql, const char *want, struct sbuf *why)
{
	json_object *tree, *st;
	int rc = fz_one_stmt(sql, "AlterTableStmt", &tree, &st, why);
	if (rc || !st)
		goto out;
	json_object *cmds = fz_get(st, "cmds");
	if (fz_len(cmds) != 1) {
		rc = fz_fail(why, "%zu ALTER TABLE commands instead of one in: %s", fz_len(cmds), sql);
		goto out;
	}
	json_object *cmd = fz_get(json_object_array_get_idx(cmds, 0), "AlterTableCmd");
	if (!fz_str_eq(fz_get_str(cmd, "subtype"), want) || !fz_str_eq(fz_get_str(cmd, "name"), "c")) {
		rc = fz_fail(why, "the command is %s on '%s', not %s on 'c', in: %s",
			     fz_s(fz_get_str(cmd, "subtype")), fz_s(fz_get_str(cmd, "name")), want, sql);
		goto out;
	}
	json_object *def = fz_get(fz_get(cmd, "def"), "ColumnDef");
	static const char *const allowed[] = { "typeName", "location", NULL };
	const char *extra = fz_extra_key(def, allowed);
	if (extra)
		rc = fz_fail(why, "ALTER COLUMN TYPE gained '%s' in: %s", extra, sql);
out:
	json_object_put(tree);
	return rc;
}

static int fz_splice(struct sbuf *sql, const char *a, const char *text, const char *b)
{
	sbuf_reset(sql);
	return sbuf_adds(sql, a) || sbuf_adds(sql, text) || sbuf_adds(sql, b) ? REG_ENOMEM : 0;
}

/* The three places registry/plan.c splices a type: column_def in CREATE
 * TABLE and ADD COLUMN (followed by DEFAULT and NOT NULL) and ALTER
 * COLUMN ... TYPE. */
static int fz_type_contexts(const char *t, struct sbuf *why)
{
	static const char *const none[] = { NULL };
	static const char *const def_nn[] = { "CONSTR_DEFAULT", "CONSTR_NOTNULL", NULL };
	static const char *const names1[] = { "c" }, *const names2[] = { "c", "d" };
	const char *const *c1[] = { none };
	const char *const *c2[] = { def_nn, none };
	struct sbuf sql = SBUF_INIT;
	int rc;
	if (!(rc = fz_splice(&sql, "CREATE TABLE \"t\" (\"c\" ", t, ")")))
		rc = fz_create_ok(sql.buf, 1, names1, c1, why);
	if (!rc && !(rc = fz_splice(&sql, "CREATE TABLE \"t\" (\"c\" ", t,
				    " DEFAULT NULL NOT NULL, \"d\" int4)")))
		rc = fz_create_ok(sql.buf, 2, names2, c2, why);
	if (!rc && !(rc = fz_splice(&sql, "ALTER TABLE \"t\" ALTER COLUMN \"c\" TYPE ", t, ";")))
		rc = fz_alter_ok(sql.buf, "AT_AlterColumnType", why);
	sbuf_release(&sql);
	return rc;
}

/* registry/plan.c's column_def splices a default bare after DEFAULT, which
 * takes a restricted expression (b_expr): open finding "default-b-expr". */
/* Where a default goes: column_def (DEFAULT then NOT NULL) and ALTER
 * COLUMN ... SET DEFAULT. */
static int fz_expr_contexts(const char *e, struct sbuf *why)
{
	static const char *const none[] = { NULL };
	static const char *const def_nn[] = { "CONSTR_DEFAULT", "CONSTR_NOTNULL", NULL };
	static const char *const names2[] = { "c", "d" };
	const char *const *c2[] = { def_nn, none };
	struct sbuf sql = SBUF_INIT;
	int rc;
	if (!(rc = fz_splice(&sql, FZ_DEFAULT_PARENS ? "CREATE TABLE \"t\" (\"c\" int4 DEFAULT ("
					       : "CREATE TABLE \"t\" (\"c\" int4 DEFAULT ",
			     e, FZ_DEFAULT_PARENS ? ") NOT NULL, \"d\" int4)" : " NOT NULL, \"d\" int4)")))
		rc = fz_create_ok(sql.buf, 2, names2, c2, why);
	if (!rc && !(rc = fz_splice(&sql, "ALTER TABLE \"t\" ALTER COLUMN \"c\" SET DEFAULT ", e, ";")))
		rc = fz_alter_ok(sql.buf, "AT_ColumnDefault", why);
	sbuf_release(&sql);
	return rc;
}

/* Whether prefix+text parses as one statement that a ';' ends (libpg_query
 * then gives its length), which the proposed fix for "trailing-semicolon"
 * refuses. */
static bool fz_ends_in_semicolon(const char *prefix, const char *text)
{
	struct sbuf q = SBUF_INIT;
	bool yes = false;
	if (sbuf_adds(&q, prefix) || sbuf_adds(&q, text))
		goto out;
	PgQueryParseResult pr = pg_query_parse(q.buf);
	yes = !pr.error && strstr(pr.parse_tree, "\"stmt_len\":");
	pg_query_free_parse_result(pr);
out:
	sbuf_release(&q);
	return yes;
}

static int fz_result_ok(const char *text, const struct sqlcheck_result *r, bool type,
			const char *what, struct sbuf *why)
{
	int rc;
	if (r->ok != 0 && r->ok != 1)
		return fz_fail(why, "%s: ok is %d", what, r->ok);
	if (r->ok) {
		if (type && (!r->canonical || !*r->canonical))
			return fz_fail(why, "%s: accepted without a canonical form", what);
		return 0;
	}
	if ((rc = fz_message_ok(r->message, what, true, why)))
		return rc;
	if (r->offset < -1 || (r->offset >= 0 && (size_t)r->offset > strlen(text)))
		return fz_fail(why, "%s: offset %d outside the %zu-byte text", what, r->offset,
			       strlen(text));
	return 0;
}

static bool fz_same_result(const struct sqlcheck_result *a, const struct sqlcheck_result *b)
{
	return a->ok == b->ok && a->offset == b->offset && fz_str_eq(a->message, b->message) &&
	       fz_str_eq(a->canonical, b->canonical);
}

/* The text is cut at its first NUL: sqlcheck takes C strings, and YAML
 * values with a NUL are refused before they get there. */
static inline int fz_check_sql(const uint8_t *data, size_t size, struct sbuf *why)
{
	char *text = malloc(size + 1);
	struct sqlcheck_result t1, t2, e1, e2;
	int rc = REG_ENOMEM;
	if (!text)
		return rc;
	memcpy(text, data, size);
	text[size] = '\0';

	if ((rc = sqlcheck_type(text, &t1)) || (rc = sqlcheck_type(text, &t2)) ||
	    (rc = sqlcheck_expr(text, &e1)) || (rc = sqlcheck_expr(text, &e2))) {
		if (rc != REG_ENOMEM)
			rc = fz_fail(why, "sqlcheck returned %d", rc);
		goto out;
	}
	if (!fz_same_result(&t1, &t2) || !fz_same_result(&e1, &e2)) {
		rc = fz_fail(why, "the cache answers differently the second time");
		goto out;
	}
	if ((rc = fz_result_ok(text, &t1, true, "type", why)) ||
	    (rc = fz_result_ok(text, &e1, false, "default", why)))
		goto out;
	if (FZ_REFUSE_SEMICOLON) {
		t1.ok = t1.ok && !fz_ends_in_semicolon("SELECT NULL::", text);
		e1.ok = e1.ok && !fz_ends_in_semicolon("SELECT ", text);
	}
	if (t1.ok && (rc = fz_type_contexts(text, why)))
		goto out;
	if (e1.ok && (rc = fz_expr_contexts(text, why)))
		goto out;
out:
	free(text);
	return rc;
}

#endif
