/*
 * test_yaml: registry/schemafile_parse.c, schemafile_emit.c, model.c, registry.c.
 *
 * Structure only: the semantic rules are validate.c's (test_validate.c).
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "registry.h"
#include "schemafile.h"

static const char *const seed_names[] = {
	"applications", "audit_logs", "notifications", "policies", "users",
};
#define NSEED (sizeof(seed_names) / sizeof(seed_names[0]))

/* ---- helpers ---- */

static char *read_rel(const char *rel, size_t *len)
{
	char *path = tu_src_path(rel);
	ck_assert_ptr_nonnull(path);
	char *bytes = tu_read_file(path, len);
	ck_assert_msg(bytes != NULL, "cannot read %s", path);
	free(path);
	return bytes;
}

static struct reg_schema *parse_ok(const char *bytes, size_t len, const char *file)
{
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	int rc = schemafile_parse(bytes, len, file, &s, &d);
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	ck_assert_msg(rc == 0 && d.n == 0, "%s: rc %d, diagnostics:\n%s", file, rc, out.buf);
	sbuf_release(&out);
	diags_release(&d);
	ck_assert_ptr_nonnull(s);
	return s;
}

static struct reg_schema *parse_str(const char *text)
{
	return parse_ok(text, strlen(text), "test.yaml");
}

static struct reg_schema *parse_example(const char *name)
{
	char rel[128];
	size_t len;
	snprintf(rel, sizeof(rel), "examples/aegis/%s.yaml", name);
	char *bytes = read_rel(rel, &len);
	struct reg_schema *s = parse_ok(bytes, len, rel);
	free(bytes);
	return s;
}

/* Parses text expecting refusal; returns the rendered diagnostics. */
static char *parse_fail(const char *text, size_t len, int want_rc, size_t *nerrors)
{
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	int rc = schemafile_parse(text, len, "bad.yaml", &s, &d);
	ck_assert_int_eq(rc, want_rc);
	ck_assert_ptr_null(s);
	ck_assert_uint_ge(d.errors, 1);
	if (nerrors)
		*nerrors = d.errors;
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	diags_release(&d);
	return sbuf_detach(&out, NULL);
}

static void str_eq_or_null(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		ck_assert_msg(a == b, "%s: %s vs %s", what, a ? a : "(null)", b ? b : "(null)");
	else
		ck_assert_msg(!strcmp(a, b), "%s: '%s' vs '%s'", what, a, b);
}

static void strlist_eq(const struct reg_strlist *a, const struct reg_strlist *b, const char *what)
{
	ck_assert_msg(a->n == b->n, "%s: %zu vs %zu items", what, a->n, b->n);
	ck_assert_msg(a->was_list == b->was_list, "%s: was_list differs", what);
	for (size_t i = 0; i < a->n; i++)
		str_eq_or_null(a->items[i], b->items[i], what);
}

/* Field by field, every field of the model but places and provenance. */
static void schema_eq(const struct reg_schema *a, const struct reg_schema *b)
{
	str_eq_or_null(a->name, b->name, "name");
	str_eq_or_null(a->owner, b->owner, "owner");
	str_eq_or_null(a->version, b->version, "version");
	str_eq_or_null(a->description, b->description, "description");
	ck_assert_uint_eq(a->ncolumns, b->ncolumns);
	for (size_t i = 0; i < a->ncolumns; i++) {
		const struct reg_column *x = &a->columns[i], *y = &b->columns[i];
		str_eq_or_null(x->name, y->name, "column name");
		str_eq_or_null(x->type, y->type, "column type");
		str_eq_or_null(x->default_expr, y->default_expr, "column default");
		str_eq_or_null(x->description, y->description, "column description");
		ck_assert_int_eq(x->nullable, y->nullable);
		ck_assert_int_eq(x->primary_key, y->primary_key);
		ck_assert_int_eq(x->unique, y->unique);
	}
	ck_assert_uint_eq(a->nrefs, b->nrefs);
	for (size_t i = 0; i < a->nrefs; i++) {
		const struct reg_reference *x = &a->refs[i], *y = &b->refs[i];
		str_eq_or_null(x->schema, y->schema, "ref schema");
		strlist_eq(&x->columns, &y->columns, "ref column");
		strlist_eq(&x->foreign_keys, &y->foreign_keys, "ref foreign_key");
		ck_assert_int_eq(x->on_delete, y->on_delete);
		ck_assert_int_eq(x->on_update, y->on_update);
		str_eq_or_null(x->description, y->description, "ref description");
	}
	ck_assert_uint_eq(a->nindexes, b->nindexes);
	for (size_t i = 0; i < a->nindexes; i++) {
		const struct reg_index *x = &a->indexes[i], *y = &b->indexes[i];
		str_eq_or_null(x->name, y->name, "index name");
		strlist_eq(&x->columns, &y->columns, "index columns");
		ck_assert_int_eq(x->unique, y->unique);
		str_eq_or_null(x->description, y->description, "index description");
	}
	ck_assert_uint_eq(a->nhistory, b->nhistory);
	for (size_t i = 0; i < a->nhistory; i++) {
		str_eq_or_null(a->history[i].version, b->history[i].version, "history version");
		str_eq_or_null(a->history[i].date, b->history[i].date, "history date");
		str_eq_or_null(a->history[i].changes, b->history[i].changes, "history changes");
	}
}

/* parse(emit(s)) must equal s; emit must be a fixed point. */
static void round_trip(const struct reg_schema *s)
{
	struct sbuf y1 = SBUF_INIT, y2 = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit(s, &y1), 0);
	struct reg_schema *back = parse_ok(y1.buf, y1.len, "emitted.yaml");
	schema_eq(s, back);
	ck_assert_int_eq(schemafile_emit(back, &y2), 0);
	ck_assert_str_eq(y1.buf, y2.buf);
	reg_schema_free(back);
	sbuf_release(&y1);
	sbuf_release(&y2);
}

static int diags_have(const struct diags *d, const char *rendered_prefix, const char *substr)
{
	for (size_t i = 0; i < d->n; i++) {
		struct sbuf one = SBUF_INIT;
		diag_render(&d->items[i], &one);
		int hit = !strncmp(one.buf, rendered_prefix, strlen(rendered_prefix)) &&
			  strstr(one.buf, substr);
		sbuf_release(&one);
		if (hit)
			return 1;
	}
	return 0;
}

/* ---- broken fixtures: one per structural error, exact place ---- */

struct fixture {
	const char *file;
	unsigned line, col;
	const char *message; /* substring of the message */
	size_t errors;       /* how many errors the file has in all */
};

static const struct fixture fixtures[] = {
	{ "alias.yaml", 7, 11, "aliases are not allowed ('*t')", 1 },
	{ "anchor.yaml", 4, 5, "anchors are not allowed ('&idcol')", 1 },
	{ "bad_utf8.yaml", 3, 17, "invalid UTF-8 (byte 0xe9)", 1 },
	{ "bool_null.yaml", 6, 12, "missing value for 'unique' (expected true or false)", 1 },
	{ "bool_quoted.yaml", 6, 18,
	  "invalid value \"true\" for 'primary_key' (expected true or false, without quotes)", 1 },
	{ "bool_yes.yaml", 6, 15, "invalid value 'yes' for 'nullable' (expected true or false)", 1 },
	{ "column_missing_name.yaml", 4, 5, "missing required key 'name' in column", 1 },
	{ "column_missing_type.yaml", 4, 5, "missing required key 'type' in column 'email'", 1 },
	{ "column_name_null.yaml", 4, 10, "missing value for 'name'", 1 },
	{ "column_not_mapping.yaml", 4, 5,
	  "expected a mapping (a column) in 'columns', found a list", 1 },
	{ "columns_mapping.yaml", 4, 3, "expected a list for 'columns', found a mapping", 1 },
	{ "columns_null.yaml", 3, 9, "expected a list for 'columns', found an empty value", 1 },
	{ "columns_scalar.yaml", 3, 10, "expected a list for 'columns', found a scalar", 1 },
	{ "comments_only.yaml", 1, 1, "empty file", 1 },
	{ "complex_key.yaml", 6, 3, "expected a key in schema, found a list", 1 },
	{ "control_char.yaml", 3, 18, "control characters are not allowed", 1 },
	{ "duplicate_key_column.yaml", 6, 5, "duplicate key 'type' in column (first at 5:5)", 1 },
	{ "duplicate_key_schema.yaml", 3, 1, "duplicate key 'name' in schema (first at 1:1)", 1 },
	{ "empty.yaml", 1, 1, "empty file; expected a mapping with 'name', 'owner' and 'columns'", 1 },
	{ "history_missing_version.yaml", 7, 5,
	  "missing required key 'version' in version_history entry", 1 },
	{ "history_not_list.yaml", 6, 18, "expected a list for 'version_history', found a scalar", 1 },
	{ "history_unknown_key.yaml", 8, 5,
	  "unknown key 'data' in version_history entry (did you mean 'date'?)", 1 },
	{ "index_missing_columns.yaml", 7, 5, "missing required key 'columns' in index 'idx_t_id'", 1 },
	{ "index_missing_name.yaml", 7, 5, "missing required key 'name' in index", 1 },
	{ "invalid_yaml_colon.yaml", 2, 12,
	  "invalid YAML: mapping values are not allowed in this context", 1 },
	{ "invalid_yaml_indent.yaml", 6, 4, "invalid YAML: did not find expected '-' indicator", 1 },
	{ "invalid_yaml_unclosed.yaml", 4, 1, "invalid YAML: did not find expected ',' or ']'", 1 },
	{ "missing_columns.yaml", 1, 1, "missing required key 'columns'", 1 },
	{ "missing_name.yaml", 1, 1, "missing required key 'name'", 1 },
	{ "missing_owner.yaml", 1, 1, "missing required key 'owner'", 1 },
	{ "multi_doc.yaml", 6, 1, "more than one YAML document", 1 },
	{ "name_mapping.yaml", 1, 7, "expected a scalar for 'name', found a mapping", 1 },
	{ "nesting.yaml", 6, 23, "nesting deeper than 8 levels", 1 },
	{ "nul_byte.yaml", 2, 9, "NUL byte in file", 1 },
	{ "nul_in_value.yaml", 3, 14, "NUL character in a value", 1 },
	{ "on_delete_invalid.yaml", 12, 16,
	  "invalid on_delete 'DELETE' (expected CASCADE, RESTRICT, SET NULL, SET DEFAULT or NO ACTION)", 1 },
	{ "on_update_invalid.yaml", 12, 16, "invalid on_update 'CASCADES'", 1 },
	{ "owner_list.yaml", 3, 3, "expected a scalar for 'owner', found a list", 1 },
	{ "ref_column_mapping.yaml", 10, 13,
	  "expected a column name or a list of them for 'column', found a mapping", 1 },
	{ "ref_foreign_key_nested_list.yaml", 11, 19,
	  "expected a column name in 'foreign_key', found a list", 1 },
	{ "ref_missing_column.yaml", 9, 5, "missing required key 'column' in reference to 'users'", 1 },
	{ "ref_missing_foreign_key.yaml", 9, 5,
	  "missing required key 'foreign_key' in reference to 'users'", 1 },
	{ "ref_missing_schema.yaml", 9, 5, "missing required key 'schema' in reference", 1 },
	{ "references_scalar.yaml", 6, 13, "expected a list for 'references', found a scalar", 1 },
	{ "tag.yaml", 3, 14, "tags are not allowed ('!!binary')", 1 },
	{ "top_list.yaml", 1, 1, "expected a mapping at the top of the file, found a list", 1 },
	{ "top_scalar.yaml", 1, 1, "expected a mapping at the top of the file, found a scalar", 1 },
	{ "unknown_key_column.yaml", 6, 5, "unknown key 'nulable' in column (did you mean 'nullable'?)", 1 },
	{ "unknown_key_index.yaml", 9, 5, "unknown key 'uniqe' in index (did you mean 'unique'?)", 1 },
	{ "unknown_key_no_suggestion.yaml", 6, 5,
	  "unknown key 'comment' in column (expected one of: name, type, nullable, primary_key, "
	  "unique, default, description, lint_ignore, renamed_from)", 1 },
	/* the misspelt key also leaves the required one missing: both said */
	{ "unknown_key_reference.yaml", 11, 5,
	  "unknown key 'foreign_keys' in reference (did you mean 'foreign_key'?)", 2 },
	{ "unknown_key_schema.yaml", 3, 1, "unknown key 'colums' in schema (did you mean 'columns'?)", 2 },
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

START_TEST(fixture_reports_exact_place)
{
	const struct fixture *f = &fixtures[_i];
	char rel[256], prefix[300];
	size_t len;
	snprintf(rel, sizeof(rel), "tests/fixtures/yaml/%s", f->file);
	char *bytes = read_rel(rel, &len);
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	int rc = schemafile_parse(bytes, len, f->file, &s, &d);
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	ck_assert_msg(rc == REG_EINVAL, "%s: rc %d", f->file, rc);
	ck_assert_ptr_null(s);
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: error: ", f->file, f->line, f->col);
	ck_assert_msg(diags_have(&d, prefix, f->message), "%s: want '%s%s', got:\n%s", f->file,
		      prefix, f->message, out.buf);
	ck_assert_msg(d.errors == f->errors, "%s: want %zu errors, got:\n%s", f->file, f->errors,
		      out.buf);
	sbuf_release(&out);
	diags_release(&d);
	free(bytes);
}
END_TEST

/* A fixture nobody asserts on is a rule nobody tests. */
START_TEST(every_fixture_is_in_the_table)
{
	char *dir = tu_src_path("tests/fixtures/yaml");
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	size_t seen = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		size_t i;
		for (i = 0; i < NFIXTURES && strcmp(fixtures[i].file, de->d_name); i++)
			;
		ck_assert_msg(i < NFIXTURES, "fixture %s has no expectation", de->d_name);
		seen++;
	}
	closedir(d);
	free(dir);
	ck_assert_uint_eq(seen, NFIXTURES);
}
END_TEST

START_TEST(one_pass_reports_every_problem)
{
	const char *text = "name: t\n"
			   "owner: svc\n"
			   "colour: red\n"
			   "columns:\n"
			   "  - name: id\n"
			   "    nullable: maybe\n"
			   "  - name: x\n"
			   "    type: INT\n"
			   "    primay_key: true\n";
	size_t n;
	char *out = parse_fail(text, strlen(text), REG_EINVAL, &n);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:3:1: error: unknown key 'colour' in schema"));
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:6:15: error: invalid value 'maybe' for 'nullable'"));
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:5:5: error: missing required key 'type' in column 'id'"));
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:9:5: error: unknown key 'primay_key' in column (did you mean 'primary_key'?)"));
	free(out);
}
END_TEST

START_TEST(error_flood_is_capped)
{
	struct sbuf text = SBUF_INIT;
	sbuf_adds(&text, "name: t\nowner: s\ncolumns:\n  - name: id\n    type: UUID\n");
	for (int i = 0; i < 1000; i++)
		sbuf_addf(&text, "k%d: v\n", i);
	size_t n;
	char *out = parse_fail(text.buf, text.len, REG_EINVAL, &n);
	ck_assert_uint_le(n, 60);
	ck_assert_ptr_nonnull(strstr(out, "too many errors"));
	free(out);
	sbuf_release(&text);
}
END_TEST

START_TEST(subject_in_message_is_escaped)
{
	const char *text = "name: t\nowner: s\n\"evil\\e[31m\": 1\ncolumns: []\n";
	char *out = parse_fail(text, strlen(text), REG_EINVAL, NULL);
	ck_assert_ptr_null(strchr(out, '\x1b'));
	ck_assert_ptr_nonnull(strstr(out, "unknown key 'evil\\x1b[31m'"));
	free(out);
}
END_TEST

/* ---- hostile input ---- */

START_TEST(billion_laughs_refused_at_first_anchor)
{
	struct sbuf t = SBUF_INIT;
	sbuf_adds(&t, "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
	for (char c = 'b'; c <= 'j'; c++)
		sbuf_addf(&t, "%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n", c, c, c - 1, c - 1,
			  c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
	size_t n;
	char *out = parse_fail(t.buf, t.len, REG_EINVAL, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(out, "bad.yaml:1:4: error: anchors are not allowed ('&a'); write the value out\n");
	free(out);
	sbuf_release(&t);
}
END_TEST

START_TEST(alias_without_anchor_refused)
{
	const char *text = "name: *x\n";
	char *out = parse_fail(text, strlen(text), REG_EINVAL, NULL);
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:1:7: error: aliases are not allowed ('*x')"));
	free(out);
}
END_TEST

START_TEST(deep_flow_nesting_refused)
{
	struct sbuf t = SBUF_INIT;
	sbuf_adds(&t, "a: ");
	for (int i = 0; i < 10000; i++)
		sbuf_addch(&t, '[');
	/* the top mapping is level 1, the '[' at column 4 level 2: the ninth
	 * level is the eighth bracket, at column 11 */
	char *out = parse_fail(t.buf, t.len, REG_EINVAL, NULL);
	ck_assert_str_eq(out, "bad.yaml:1:11: error: nesting deeper than 8 levels\n");
	free(out);
	sbuf_release(&t);
}
END_TEST

START_TEST(deep_block_nesting_refused)
{
	struct sbuf t = SBUF_INIT;
	for (int i = 0; i < 10000; i++)
		sbuf_adds(&t, "- ");
	sbuf_adds(&t, "x\n");
	char *out = parse_fail(t.buf, t.len, REG_EINVAL, NULL);
	ck_assert_str_eq(out, "bad.yaml:1:17: error: nesting deeper than 8 levels\n");
	free(out);
	sbuf_release(&t);
}
END_TEST

START_TEST(oversized_file_refused_before_parsing)
{
	size_t len = 2 * 1024 * 1024;
	char *text = malloc(len);
	memset(text, '#', len); /* a valid comment: only the size is wrong */
	char *out = parse_fail(text, len, REG_E2BIG, NULL);
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml: error: file is 2097152 bytes, over the limit of 1048576 bytes"));
	free(out);
	/* one byte over the limit is over; at the limit is parsed */
	out = parse_fail(text, REG_MAX_FILE_SIZE + 1, REG_E2BIG, NULL);
	free(out);
	out = parse_fail(text, REG_MAX_FILE_SIZE, REG_EINVAL, NULL);
	ck_assert_ptr_nonnull(strstr(out, "empty file"));
	free(out);
	free(text);
}
END_TEST

START_TEST(nul_byte_refused_with_place)
{
	const char text[] = "name: t\nowner: svc\ndescription: a\0b\n";
	char *out = parse_fail(text, sizeof(text) - 1, REG_EINVAL, NULL);
	ck_assert_str_eq(out, "bad.yaml:3:15: error: NUL byte in file (not a text file?)\n");
	free(out);
}
END_TEST

START_TEST(invalid_utf8_refused_with_place)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		/* the column counts characters: 한 is one */
		{ "name: 한\xff\n", "bad.yaml:1:8: error: invalid UTF-8 (byte 0xff)" },
		{ "a: \xc0\x80\n", "bad.yaml:1:4: error: invalid UTF-8 (byte 0xc0)" },     /* overlong NUL */
		{ "a: b\nc: \xed\xa0\x80\n", "bad.yaml:2:4: error: invalid UTF-8 (byte 0xed)" }, /* surrogate */
		{ "a: \xe2\x82", "bad.yaml:1:4: error: invalid UTF-8 (byte 0xe2)" },      /* truncated */
		{ "a: \xf5\x80\x80\x80\n", "bad.yaml:1:4: error: invalid UTF-8 (byte 0xf5)" }, /* > U+10FFFF */
		{ "a: b\r\nc: \x80\n", "bad.yaml:2:4: error: invalid UTF-8 (byte 0x80)" }, /* CRLF is one break */
		{ "\xff\xfen\x00", "bad.yaml:1:1: error: invalid UTF-8 (byte 0xff)" },     /* UTF-16 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = parse_fail(cases[i].text, strlen(cases[i].text), REG_EINVAL, NULL);
		ck_assert_msg(!strncmp(out, cases[i].want, strlen(cases[i].want)), "case %zu: %s", i, out);
		free(out);
	}
}
END_TEST

/* ---- what loads, with its defaults and places ---- */

START_TEST(seed_examples_load)
{
	for (size_t i = 0; i < NSEED; i++) {
		struct reg_schema *s = parse_example(seed_names[i]);
		ck_assert_str_eq(s->name, seed_names[i]);
		ck_assert_str_eq(s->version, "1.0.0");
		ck_assert_uint_ge(s->ncolumns, 7);
		reg_schema_free(s);
	}
}
END_TEST

START_TEST(seed_users_fields)
{
	size_t len;
	char *bytes = read_rel("examples/aegis/users.yaml", &len);
	struct reg_schema *s = parse_ok(bytes, len, "schemas/users.yaml");
	ck_assert_str_eq(s->file, "schemas/users.yaml");
	/* the accepted bytes, byte-exact (trailing blanks of the seed too) */
	ck_assert_uint_eq(s->source_len, len);
	ck_assert_int_eq(memcmp(s->source, bytes, len), 0);
	ck_assert_str_eq(s->owner, "user-service");
	ck_assert_str_eq(s->description, "사용자 정보를 저장하는 테이블");
	ck_assert_uint_eq(s->ncolumns, 8);
	ck_assert_uint_eq(s->nrefs, 0);
	ck_assert_uint_eq(s->nindexes, 2);

	const struct reg_column *id = reg_schema_column(s, "id");
	ck_assert_ptr_nonnull(id);
	ck_assert(id->primary_key && !id->nullable && !id->unique);
	const struct reg_column *email = reg_schema_column(s, "email");
	ck_assert(email->unique && !email->primary_key);
	ck_assert_str_eq(email->type, "VARCHAR(255)");
	ck_assert_str_eq(reg_schema_column(s, "is_active")->default_expr, "true");
	ck_assert_str_eq(reg_schema_column(s, "created_at")->default_expr, "CURRENT_TIMESTAMP");
	ck_assert(reg_schema_column(s, "phone")->nullable);
	ck_assert_ptr_null(reg_schema_column(s, "phone")->default_expr);
	ck_assert_ptr_null(reg_schema_column(s, "nope"));

	ck_assert_str_eq(s->indexes[1].name, "idx_users_active");
	ck_assert_uint_eq(s->indexes[1].columns.n, 2);
	ck_assert(s->indexes[1].columns.was_list);
	ck_assert_str_eq(s->indexes[1].columns.items[1], "deleted_at");
	ck_assert(!s->indexes[1].unique);

	/* places: 1-based, the value for *_loc, the item for loc */
	ck_assert_uint_eq(s->name_loc.line, 1);
	ck_assert_uint_eq(s->name_loc.col, 7);
	ck_assert_uint_eq(s->owner_loc.line, 2);
	ck_assert_uint_eq(s->version_loc.line, 3);
	ck_assert_uint_eq(s->version_loc.col, 10);
	ck_assert_uint_eq(s->columns_loc.line, 7);
	ck_assert_uint_eq(s->columns_loc.col, 3);
	ck_assert_uint_eq(email->loc.line, 13);
	ck_assert_uint_eq(email->loc.col, 5);
	ck_assert_uint_eq(email->name_loc.line, 13);
	ck_assert_uint_eq(email->name_loc.col, 11);
	ck_assert_uint_eq(email->type_loc.line, 14);
	ck_assert_uint_eq(email->type_loc.col, 11);
	ck_assert_uint_eq(email->nullable_loc.line, 15);
	ck_assert_uint_eq(email->nullable_loc.col, 15);
	/* an absent key stands at its column */
	ck_assert_uint_eq(email->default_loc.line, email->loc.line);
	ck_assert_uint_eq(email->default_loc.col, email->loc.col);
	ck_assert_uint_eq(s->indexes[0].loc.line, 55);
	ck_assert_uint_eq(s->indexes[0].name_loc.col, 11);
	ck_assert_uint_eq(s->indexes[0].columns.locs[0].line, 56);
	ck_assert_uint_eq(s->indexes[0].columns.locs[0].col, 15);
	reg_schema_free(s);
	free(bytes);
}
END_TEST

START_TEST(seed_applications_references)
{
	struct reg_schema *s = parse_example("applications");
	ck_assert_uint_eq(s->nrefs, 3);
	const struct reg_reference *r = &s->refs[2];
	ck_assert_str_eq(r->schema, "users");
	ck_assert_uint_eq(r->columns.n, 1);
	ck_assert(!r->columns.was_list);
	ck_assert_str_eq(r->columns.items[0], "id");
	ck_assert_str_eq(r->foreign_keys.items[0], "reviewed_by");
	ck_assert_int_eq(r->on_delete, REG_FK_SET_NULL);
	ck_assert_int_eq(r->on_update, REG_FK_CASCADE);
	ck_assert_str_eq(r->description, "검토자 참조");
	ck_assert_uint_eq(r->loc.line, 69);
	ck_assert_uint_eq(r->schema_loc.col, 13);
	ck_assert_uint_eq(r->on_delete_loc.line, 72);
	ck_assert_uint_eq(r->on_delete_loc.col, 16);
	ck_assert_uint_eq(r->on_update_loc.line, 73);
	ck_assert_uint_eq(r->foreign_keys.locs[0].line, 71);
	ck_assert_str_eq(reg_schema_column(s, "status")->default_expr, "'PENDING'");
	ck_assert_int_eq(s->refs[0].on_delete, REG_FK_RESTRICT);
	reg_schema_free(s);
}
END_TEST

START_TEST(defaults_and_scalar_forms)
{
	struct reg_schema *s = parse_str("name: t\n"
					 "owner: svc\n"
					 "columns:\n"
					 "  - name: a\n"
					 "    type: INT\n"
					 "    default: 0\n"
					 "  - name: b\n"
					 "    type: BOOLEAN\n"
					 "    default: true\n"
					 "    nullable: False\n"
					 "    unique: TRUE\n"
					 "  - name: c\n"
					 "    type: TEXT\n"
					 "    default: \"'x: #y'\"\n"
					 "    description: ~\n"
					 "references:\n"
					 "  - schema: t2\n"
					 "    column: [k1, k2]\n"
					 "    foreign_key: [a, b]\n"
					 "    on_delete: set null\n"
					 "indexes:\n");
	ck_assert_str_eq(s->version, REG_DEFAULT_VERSION);
	ck_assert_ptr_null(s->description);
	ck_assert_str_eq(s->columns[0].default_expr, "0");
	ck_assert(s->columns[0].nullable);
	ck_assert(!s->columns[0].primary_key && !s->columns[0].unique);
	ck_assert_str_eq(s->columns[1].default_expr, "true");
	ck_assert(!s->columns[1].nullable && s->columns[1].unique);
	ck_assert_str_eq(s->columns[2].default_expr, "'x: #y'");
	ck_assert_ptr_null(s->columns[2].description);
	const struct reg_reference *r = &s->refs[0];
	ck_assert(r->columns.was_list && r->foreign_keys.was_list);
	ck_assert_uint_eq(r->foreign_keys.n, 2);
	ck_assert_str_eq(r->foreign_keys.items[1], "b");
	ck_assert_int_eq(r->on_delete, REG_FK_SET_NULL);
	ck_assert_int_eq(r->on_update, REG_FK_NO_ACTION);
	/* an absent on_update stands at its reference */
	ck_assert_uint_eq(r->on_update_loc.line, r->loc.line);
	ck_assert_uint_eq(s->nindexes, 0);
	reg_schema_free(s);
}
END_TEST

START_TEST(version_kept_as_text)
{
	/* a YAML float: kept as written, validate.c judges it */
	struct reg_schema *s = parse_str("name: t\nowner: s\nversion: 1.0\ncolumns: []\n");
	ck_assert_str_eq(s->version, "1.0");
	ck_assert_uint_eq(s->version_loc.line, 3);
	ck_assert_uint_eq(s->ncolumns, 0); /* "at least one" is validate.c's */
	reg_schema_free(s);
}
END_TEST

START_TEST(seed_version_history)
{
	/* the seed's §6.2 example, completed with a column */
	struct reg_schema *s = parse_str("# 스키마 버전 관리 예시\n"
					 "name: users\n"
					 "owner: user-service\n"
					 "version: 1.2.0  # Major.Minor.Patch\n"
					 "description: 사용자 정보 테이블\n"
					 "columns:\n"
					 "  - name: id\n"
					 "    type: UUID\n"
					 "\n"
					 "# 버전 히스토리\n"
					 "version_history:\n"
					 "  - version: 1.0.0\n"
					 "    date: 2024-01-01\n"
					 "    changes: 초기 스키마 생성\n"
					 "  \n"
					 "  - version: 1.1.0\n"
					 "    date: 2024-02-01\n"
					 "    changes: profile_image_url 컬럼 추가\n"
					 "  \n"
					 "  - version: 1.2.0\n"
					 "    date: 2024-03-01\n"
					 "    changes: last_login_at, login_count 컬럼 추가\n");
	ck_assert_str_eq(s->version, "1.2.0");
	ck_assert_uint_eq(s->name_loc.line, 2);
	ck_assert_uint_eq(s->nhistory, 3);
	ck_assert_str_eq(s->history[0].date, "2024-01-01");
	ck_assert_str_eq(s->history[2].changes, "last_login_at, login_count 컬럼 추가");
	ck_assert_uint_eq(s->history[1].loc.line, 16);
	round_trip(s);
	reg_schema_free(s);
}
END_TEST

START_TEST(bom_and_crlf_accepted)
{
	/* a UTF-8 byte order mark is skipped and not counted as a column */
	const char bom[] = "\xef\xbb\xbfname: t\nowner: s\ncolumns:\n  - name: id\n    type: UUID\n";
	struct reg_schema *s = parse_ok(bom, strlen(bom), "bom.yaml");
	ck_assert_str_eq(s->name, "t");
	ck_assert_uint_eq(s->name_loc.col, 7);
	ck_assert_uint_eq(s->source_len, strlen(bom)); /* the BOM stays in the bytes */
	reg_schema_free(s);
	const char bad[] = "\xef\xbb\xbfname: [t]\n";
	char *out = parse_fail(bad, strlen(bad), REG_EINVAL, NULL);
	ck_assert_ptr_nonnull(strstr(out, "bad.yaml:1:7: error: expected a scalar for 'name'"));
	free(out);

	/* Windows line ends: same lines, same places */
	size_t len;
	char *lf = read_rel("examples/aegis/users.yaml", &len);
	struct sbuf crlf = SBUF_INIT;
	for (size_t i = 0; i < len; i++)
		sbuf_adds(&crlf, lf[i] == '\n' ? "\r\n" : (char[]){ lf[i], 0 });
	struct reg_schema *a = parse_ok(lf, len, "lf.yaml");
	struct reg_schema *b = parse_ok(crlf.buf, crlf.len, "crlf.yaml");
	schema_eq(a, b);
	ck_assert_uint_eq(b->columns[1].type_loc.line, a->columns[1].type_loc.line);
	ck_assert_uint_eq(b->columns[1].type_loc.col, a->columns[1].type_loc.col);
	reg_schema_free(a);
	reg_schema_free(b);
	sbuf_release(&crlf);
	free(lf);
}
END_TEST

/* ---- emit ---- */

START_TEST(round_trip_seed_examples)
{
	for (size_t i = 0; i < NSEED; i++) {
		struct reg_schema *s = parse_example(seed_names[i]);
		round_trip(s);
		reg_schema_free(s);
	}
}
END_TEST

static const char *const tricky[] = {
	"사용자 정보: 테스트 # 주석", " leading", "trailing ", "  ", "", "true", "False", "null",
	"~", "NULL", "yes", "no", "on", "Off", "y", "123", "-1", "+1", "1.5", ".5", "1e3", "1_000",
	"0x1F", "0o17", ".inf", "-.Inf", ".NaN", "1.0.0", "2024-01-01", "- dash", "-", "?", ":",
	"a: b", "key:", "#hash", "a #b", "a#b", "[bracket]", "{brace}", "a, b", "a,b", "&anchor",
	"*alias", "!tag", "%pct", "@at", "`tick", "|", ">", "---", "...", "'single'",
	"\"double\"", "it's", "back\\slash", "line1\nline2", "trailing newline\n", "\n", "tab\there",
	"cr\rhere", "\x01" "ctl", "del\x7f", "nel\xc2\x85", "ls\xe2\x80\xa8" "x", "bom\xef\xbb\xbf",
	"nbsp\xc2\xa0", "emoji 😀", "<<", "=", "'PENDING'", "CURRENT_TIMESTAMP", "VARCHAR(255)",
	"DECIMAL(15,2)", "now()::date", "a  b", "x\\ny",
};

static struct reg_schema *schema_of(const char *v)
{
	struct reg_schema *s = reg_schema_new();
	ck_assert_ptr_nonnull(s);
	s->name = strdup(v);
	s->owner = strdup(v);
	s->version = strdup(v);
	s->description = strdup(v);
	s->ncolumns = 2;
	s->columns = calloc(2, sizeof(*s->columns));
	s->columns[0] = (struct reg_column){ .name = strdup(v), .type = strdup(v),
					     .default_expr = strdup(v), .description = strdup(v),
					     .nullable = false, .primary_key = true };
	s->columns[1] = (struct reg_column){ .name = strdup("b"), .type = strdup("INT"),
					     .nullable = true, .unique = true };
	s->nrefs = 2;
	s->refs = calloc(2, sizeof(*s->refs));
	s->refs[0].schema = strdup(v);
	s->refs[0].description = strdup(v);
	s->refs[0].on_delete = REG_FK_SET_DEFAULT;
	s->refs[0].on_update = REG_FK_RESTRICT;
	reg_strlist_push(&s->refs[0].columns, v, NULL);
	reg_strlist_push(&s->refs[0].foreign_keys, v, NULL);
	s->refs[1].schema = strdup("other");
	s->refs[1].columns.was_list = s->refs[1].foreign_keys.was_list = true;
	reg_strlist_push(&s->refs[1].columns, v, NULL);
	reg_strlist_push(&s->refs[1].columns, "k2", NULL);
	reg_strlist_push(&s->refs[1].foreign_keys, "x", NULL);
	reg_strlist_push(&s->refs[1].foreign_keys, v, NULL);
	s->nindexes = 1;
	s->indexes = calloc(1, sizeof(*s->indexes));
	s->indexes[0].name = strdup(v);
	s->indexes[0].description = strdup(v);
	s->indexes[0].unique = true;
	s->indexes[0].columns.was_list = true;
	reg_strlist_push(&s->indexes[0].columns, v, NULL);
	s->nhistory = 1;
	s->history = calloc(1, sizeof(*s->history));
	s->history[0] = (struct reg_history_entry){ strdup(v), strdup(v), strdup(v), { 0, 0 } };
	return s;
}

START_TEST(round_trip_tricky_strings)
{
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		struct reg_schema *s = schema_of(tricky[i]);
		round_trip(s);
		reg_schema_free(s);
	}
}
END_TEST

START_TEST(emit_is_canonical)
{
	struct reg_schema *s = parse_example("audit_logs");
	struct sbuf y = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit(s, &y), 0);
	/* key order as SPEC §1; strings that would read back as something
	 * else are quoted, plain text stays plain */
	const char *head = "name: audit_logs\nowner: audit-service\nversion: 1.0.0\n"
			   "description: 시스템 감사 로그\n\ncolumns:\n  - name: id\n"
			   "    type: UUID\n    nullable: false\n    primary_key: true\n\n";
	ck_assert_msg(!strncmp(y.buf, head, strlen(head)), "%s", y.buf);
	ck_assert_ptr_nonnull(strstr(y.buf, "references:\n  - schema: users\n    column: id\n"
					    "    foreign_key: user_id\n    on_delete: SET NULL\n"
					    "    on_update: CASCADE\n"));
	ck_assert_ptr_nonnull(strstr(y.buf, "\nindexes: []\n"));
	sbuf_release(&y);
	reg_schema_free(s);

	s = schema_of("true");
	ck_assert_int_eq(schemafile_emit(s, &y), 0);
	ck_assert_ptr_nonnull(strstr(y.buf, "    default: \"true\"\n"));
	ck_assert_ptr_nonnull(strstr(y.buf, "    column: [\"true\", k2]\n"));
	sbuf_release(&y);
	reg_schema_free(s);

	s = schema_of("line1\nline2 \"q\" \\");
	ck_assert_int_eq(schemafile_emit(s, &y), 0);
	ck_assert_ptr_nonnull(strstr(y.buf, "description: \"line1\\nline2 \\\"q\\\" \\\\\"\n"));
	sbuf_release(&y);
	reg_schema_free(s);
}
END_TEST

START_TEST(emit_refuses_invalid_utf8)
{
	struct reg_schema *s = schema_of("ok");
	free(s->description);
	s->description = strdup("caf\xe9");
	struct sbuf y = SBUF_INIT;
	sbuf_adds(&y, "keep");
	ck_assert_int_eq(schemafile_emit(s, &y), REG_EINVAL);
	ck_assert_str_eq(y.buf, "keep"); /* nothing half-written */
	sbuf_release(&y);
	reg_schema_free(s);
}
END_TEST

/* ---- registry.yaml ---- */

START_TEST(meta_parse_and_emit)
{
	size_t len;
	char *bytes = read_rel("examples/aegis/registry.yaml", &len);
	struct diags d = DIAGS_INIT;
	struct reg_meta m;
	ck_assert_int_eq(schemafile_parse_meta(bytes, len, "registry.yaml", &m, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_str_eq(m.name, "aegis");
	ck_assert_ptr_nonnull(m.description);
	ck_assert_ptr_null(m.target);
	ck_assert_uint_eq(m.source_len, len);
	ck_assert_str_eq(m.file, "registry.yaml");
	reg_meta_release(&m);
	free(bytes);

	const char *text = "name: x\ntarget: \"host=/run/pg dbname=app\"\n";
	ck_assert_int_eq(schemafile_parse_meta(text, strlen(text), "r.yaml", &m, &d), 0);
	ck_assert_str_eq(m.target, "host=/run/pg dbname=app");
	struct sbuf y = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit_meta(&m, &y), 0);
	struct reg_meta back;
	ck_assert_int_eq(schemafile_parse_meta(y.buf, y.len, "r.yaml", &back, &d), 0);
	ck_assert_str_eq(back.name, "x");
	ck_assert_str_eq(back.target, m.target);
	ck_assert_ptr_null(back.description);
	reg_meta_release(&back);
	reg_meta_release(&m);
	sbuf_release(&y);

	/* every key is optional: an empty registry.yaml is fine */
	ck_assert_int_eq(schemafile_parse_meta("", 0, "r.yaml", &m, &d), 0);
	ck_assert_ptr_null(m.name);
	reg_meta_release(&m);
	ck_assert_uint_eq(d.n, 0);

	text = "name: x\ntraget: db\n";
	ck_assert_int_eq(schemafile_parse_meta(text, strlen(text), "r.yaml", &m, &d), REG_EINVAL);
	ck_assert_ptr_null(m.name);
	ck_assert(diags_have(&d, "r.yaml:2:1: error: ",
			     "unknown key 'traget' in registry.yaml (did you mean 'target'?)"));
	diags_release(&d);

	text = "- a\n";
	ck_assert_int_eq(schemafile_parse_meta(text, strlen(text), "r.yaml", &m, &d), REG_EINVAL);
	ck_assert(diags_have(&d, "r.yaml:1:1: error: ", "expected a mapping at the top"));
	diags_release(&d);
}
END_TEST

/* ---- model ---- */

START_TEST(fk_actions)
{
	ck_assert_int_eq(reg_fk_action_parse("CASCADE"), REG_FK_CASCADE);
	ck_assert_int_eq(reg_fk_action_parse("set null"), REG_FK_SET_NULL);
	ck_assert_int_eq(reg_fk_action_parse("No Action"), REG_FK_NO_ACTION);
	ck_assert_int_eq(reg_fk_action_parse("SET DEFAULT"), REG_FK_SET_DEFAULT);
	ck_assert_int_eq(reg_fk_action_parse("RESTRICT"), REG_FK_RESTRICT);
	ck_assert_int_eq(reg_fk_action_parse("SET  NULL"), -1);
	ck_assert_int_eq(reg_fk_action_parse("DELETE"), -1);
	ck_assert_int_eq(reg_fk_action_parse(NULL), -1);
	ck_assert_str_eq(reg_fk_action_sql(REG_FK_SET_NULL), "SET NULL");
	ck_assert_str_eq(reg_fk_action_sql(REG_FK_NO_ACTION), "NO ACTION");
}
END_TEST

START_TEST(schema_dup_is_deep)
{
	struct reg_schema *s = parse_example("applications");
	struct reg_schema *d = reg_schema_dup(s);
	ck_assert_ptr_nonnull(d);
	schema_eq(s, d);
	ck_assert_ptr_ne(d->columns, s->columns);
	ck_assert_ptr_ne(d->refs[0].foreign_keys.items[0], s->refs[0].foreign_keys.items[0]);
	ck_assert_uint_eq(d->source_len, s->source_len);
	ck_assert_int_eq(memcmp(d->source, s->source, s->source_len), 0);
	ck_assert_str_eq(d->file, s->file);
	ck_assert_uint_eq(d->refs[2].on_delete_loc.line, s->refs[2].on_delete_loc.line);
	ck_assert_uint_eq(d->columns[3].default_loc.line, s->columns[3].default_loc.line);
	reg_schema_free(s); /* d must survive its original */
	ck_assert_str_eq(d->refs[1].schema, "policies");
	reg_schema_free(d);
	ck_assert_ptr_null(reg_schema_dup(NULL));
	reg_schema_free(NULL);
}
END_TEST

START_TEST(strlist_push_keeps_locs_aligned)
{
	struct reg_strlist l = { 0 };
	ck_assert_int_eq(reg_strlist_push(&l, "a", NULL), 0);
	ck_assert_ptr_null(l.locs);
	struct reg_loc at = { 4, 2 };
	ck_assert_int_eq(reg_strlist_push(&l, "b", &at), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.locs[0].line, 0);
	ck_assert_uint_eq(l.locs[1].line, 4);
	ck_assert_str_eq(l.items[1], "b");
	reg_strlist_release(&l);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(l.items);
}
END_TEST

/* ---- the registry ---- */

static struct reg_schema *named(const char *name, const char *owner)
{
	struct reg_schema *s = reg_schema_new();
	s->name = strdup(name);
	s->owner = strdup(owner);
	return s;
}

START_TEST(register_get_replace_unregister)
{
	struct reg_registry *r = reg_registry_new();
	static const char *const order[] = { "m", "c", "x", "a", "q", "b" };
	uint64_t gen = r->generation;
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(reg_register(r, named(order[i], "svc")), 0);
	ck_assert_uint_eq(r->n, 6);
	ck_assert_uint_gt(r->generation, gen);
	for (size_t i = 1; i < r->n; i++)
		ck_assert_int_lt(strcmp(r->schemas[i - 1]->name, r->schemas[i]->name), 0);
	ck_assert_int_eq(reg_find(r, "a"), 0);
	ck_assert_int_eq(reg_find(r, "x"), 5);
	ck_assert_int_eq(reg_find(r, "nope"), -1);
	ck_assert_ptr_null(reg_get(r, "nope"));
	ck_assert_str_eq(reg_get(r, "q")->owner, "svc");

	gen = r->generation;
	ck_assert_int_eq(reg_register(r, named("q", "new-owner")), 0);
	ck_assert_uint_eq(r->n, 6);
	ck_assert_str_eq(reg_get(r, "q")->owner, "new-owner");
	ck_assert_uint_gt(r->generation, gen);

	gen = r->generation;
	ck_assert_int_eq(reg_unregister(r, "c"), 0);
	ck_assert_int_eq(reg_unregister(r, "c"), REG_ENOENT);
	ck_assert_uint_eq(r->n, 5);
	ck_assert_ptr_null(reg_get(r, "c"));
	ck_assert_str_eq(r->schemas[2]->name, "m");
	ck_assert_uint_gt(r->generation, gen);

	/* ownership is taken even when refused */
	ck_assert_int_eq(reg_register(r, reg_schema_new()), REG_EINVAL);

	struct reg_meta m = { .name = strdup("reg") };
	reg_set_meta(r, &m);
	ck_assert_ptr_null(m.name);
	ck_assert_str_eq(r->meta.name, "reg");
	reg_registry_free(r);
}
END_TEST

START_TEST(schema_from_bytes)
{
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	size_t len;
	char *bytes = read_rel("examples/aegis/policies.yaml", &len);
	ck_assert_int_eq(reg_schema_from_bytes(bytes, len, "schemas/policies.yaml", "policies", &s, &d), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_int_eq(memcmp(s->source, bytes, len), 0);
	reg_schema_free(s);
	free(bytes);

	const char *bad = "name: t\nowner: s\ncolumns:\n  - name: a\n    tyep: INT\n";
	ck_assert_int_eq(reg_schema_from_bytes(bad, strlen(bad), "schemas/t.yaml", "t", &s, &d), REG_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert(diags_have(&d, "schemas/t.yaml:5:5: error: ", "unknown key 'tyep' in column (did you mean 'type'?)"));
	diags_release(&d);
}
END_TEST

static void write_rel(const char *dir, const char *name, const char *text, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_int_eq(tu_write_file(path, text, len), 0);
}

static void copy_example(const char *dir, const char *name)
{
	char rel[128];
	size_t len;
	snprintf(rel, sizeof(rel), "examples/aegis/%s", name);
	char *bytes = read_rel(rel, &len);
	write_rel(dir, name, bytes, len);
	free(bytes);
}

START_TEST(load_dir_seed)
{
	char *dir = tu_src_path("examples/aegis");
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	ck_assert_msg(d.n == 0, "%s", out.buf);
	ck_assert_uint_eq(r->n, NSEED);
	for (size_t i = 0; i < NSEED; i++)
		ck_assert_str_eq(r->schemas[i]->name, seed_names[i]);
	ck_assert_str_eq(r->schemas[4]->file, "schemas/users.yaml");
	ck_assert_str_eq(r->meta.name, "aegis");
	ck_assert_str_eq(r->meta.file, "schemas/registry.yaml");
	sbuf_release(&out);
	diags_release(&d);
	reg_registry_free(r);
	free(dir);
}
END_TEST

START_TEST(load_dir_skips_and_reports_refused_files)
{
	char *dir = tu_mkdtemp();
	ck_assert_ptr_nonnull(dir);
	copy_example(dir, "users.yaml");
	copy_example(dir, "policies.yaml");
	const char *broken = "name: broken\nowner: s\ncolumns:\n  - name: a\n    type: INT\n    nulable: true\n";
	write_rel(dir, "broken.yaml", broken, strlen(broken));
	write_rel(dir, ".users.yaml.swp", "\0\1garbage", 9);
	write_rel(dir, ".#users.yaml", "lock", 4);
	write_rel(dir, "users.yaml~", "backup: [", 9);
	write_rel(dir, "notes.txt", "not yaml: [", 11);
	write_rel(dir, "registry.yaml", "nmae: x\n", 8);
	size_t big = REG_MAX_FILE_SIZE + 10;
	char *bigbuf = malloc(big);
	memset(bigbuf, '#', big);
	write_rel(dir, "big.yaml", bigbuf, big);
	free(bigbuf);
	char sub[4096];
	snprintf(sub, sizeof(sub), "%s/dir.yaml", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);

	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	ck_assert_msg(r->n == 2, "%s", out.buf);
	ck_assert_ptr_nonnull(reg_get(r, "users"));
	ck_assert_ptr_nonnull(reg_get(r, "policies"));
	ck_assert_ptr_null(r->meta.name);
	ck_assert_msg(diags_have(&d, "schemas/broken.yaml:6:5: error: ", "unknown key 'nulable'"), "%s", out.buf);
	ck_assert_msg(diags_have(&d, "schemas/registry.yaml:1:1: error: ", "unknown key 'nmae' in registry.yaml (did you mean 'name'?)"), "%s", out.buf);
	ck_assert_msg(diags_have(&d, "schemas/big.yaml: error: ", "over the limit of 1048576 bytes"), "%s", out.buf);
	ck_assert_msg(diags_have(&d, "schemas/dir.yaml: warning: ", "not a regular file"), "%s", out.buf);
	ck_assert_msg(d.n == 4, "%s", out.buf);
	ck_assert_ptr_null(strstr(out.buf, "swp"));
	ck_assert_ptr_null(strstr(out.buf, "notes"));
	ck_assert_ptr_null(strstr(out.buf, "~"));

	/* without a prefix, diagnostics name the directory */
	diags_release(&d);
	sbuf_reset(&out);
	ck_assert_int_eq(reg_load_dir(r, dir, NULL, &d), 0);
	char want[4200];
	snprintf(want, sizeof(want), "%s/broken.yaml:6:5: error: ", dir);
	ck_assert(diags_have(&d, want, "nulable"));

	sbuf_release(&out);
	diags_release(&d);
	reg_registry_free(r);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

static char *generated(size_t i, const char *extra)
{
	struct sbuf t = SBUF_INIT;
	sbuf_addf(&t, "name: s%03zu\nowner: svc-%zu\ncolumns:\n  - name: id\n    type: UUID\n%s",
		  i, i % 7, extra);
	return sbuf_detach(&t, NULL);
}

START_TEST(batch_keeps_input_order)
{
	enum { N = 300 };
	struct reg_source in[N];
	char *texts[N], files[N][32], names[N][16];
	struct reg_schema *out[N];
	for (size_t i = 0; i < N; i++) {
		texts[i] = generated(i, i == 100 ? "    nulable: true\n"
				      : i == 200 ? "  - [unclosed\n" : "");
		snprintf(files[i], sizeof(files[i]), "schemas/s%03zu.yaml", i);
		snprintf(names[i], sizeof(names[i]), "s%03zu", i);
		in[i] = (struct reg_source){ texts[i], strlen(texts[i]), files[i], names[i] };
	}
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_schemas_from_bytes(in, N, out, &d), 0);
	ck_assert_uint_eq(d.errors, 2);
	ck_assert_str_eq(d.items[0].file, "schemas/s100.yaml");
	ck_assert_str_eq(d.items[1].file, "schemas/s200.yaml");
	for (size_t i = 0; i < N; i++) {
		if (i == 100 || i == 200) {
			ck_assert_ptr_null(out[i]);
		} else {
			ck_assert_ptr_nonnull(out[i]);
			ck_assert_str_eq(out[i]->name, names[i]);
			ck_assert_str_eq(out[i]->file, files[i]);
		}
		reg_schema_free(out[i]);
		free(texts[i]);
	}
	diags_release(&d);
	ck_assert_int_eq(reg_schemas_from_bytes(in, 0, out, &d), 0);
}
END_TEST

START_TEST(load_dir_many_files)
{
	char *dir = tu_mkdtemp();
	enum { N = 500 };
	for (size_t i = 0; i < N; i++) {
		char name[32];
		char *text = generated(i, i % 97 == 5 ? "bogus: 1\n" : "");
		snprintf(name, sizeof(name), "s%03zu.yaml", i);
		write_rel(dir, name, text, strlen(text));
		free(text);
	}
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	/* 5, 102, 199, 296, 393, 490 are refused, in that order */
	ck_assert_uint_eq(d.errors, 6);
	ck_assert_uint_eq(r->n, N - 6);
	ck_assert_str_eq(d.items[0].file, "schemas/s005.yaml");
	ck_assert_str_eq(d.items[5].file, "schemas/s490.yaml");
	ck_assert_ptr_null(reg_get(r, "s102"));
	ck_assert_str_eq(reg_get(r, "s103")->owner, "svc-5");
	for (size_t i = 1; i < r->n; i++)
		ck_assert_int_lt(strcmp(r->schemas[i - 1]->name, r->schemas[i]->name), 0);
	diags_release(&d);
	reg_registry_free(r);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

/* A FIFO named like a schema is reported, not opened for a writer that
 * never comes (the load would hang). */
START_TEST(load_dir_does_not_block_on_fifo)
{
	char *dir = tu_mkdtemp();
	ck_assert_ptr_nonnull(dir);
	copy_example(dir, "users.yaml");
	char fifo[4200];
	snprintf(fifo, sizeof(fifo), "%s/pipe.yaml", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	ck_assert_uint_eq(r->n, 1);
	ck_assert(diags_have(&d, "schemas/pipe.yaml: warning: ", "not a regular file, skipped"));
	ck_assert_uint_eq(d.n, 1);
	diags_release(&d);
	reg_registry_free(r);
	tu_rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(load_dir_missing)
{
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, "/nonexistent/schemafs/dir", NULL, &d), REG_ENOENT);
	ck_assert_uint_eq(r->n, 0);
	diags_release(&d);
	reg_registry_free(r);
}
END_TEST

START_TEST(seed_flow_dependents)
{
	/* the seed registers schemas one by one, in no particular order */
	static const char *const order[] = { "notifications", "users", "audit_logs",
					     "applications", "policies" };
	struct reg_registry *r = reg_registry_new();
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(reg_register(r, parse_example(order[i])), 0);
	for (size_t i = 0; i < NSEED; i++)
		ck_assert_str_eq(r->schemas[i]->name, seed_names[i]);

	struct reg_dependents dep;
	ck_assert_int_eq(reg_dependents(r, "users", &dep), 0);
	ck_assert_uint_eq(dep.nservices, 4);
	ck_assert_str_eq(dep.services[0], "application-service");
	ck_assert_str_eq(dep.services[1], "audit-service");
	ck_assert_str_eq(dep.services[2], "notification-service");
	ck_assert_str_eq(dep.services[3], "policy-service");
	ck_assert_uint_eq(dep.nrefs, 5);
	static const char *const from[] = { "applications", "applications", "audit_logs",
					    "notifications", "policies" };
	static const char *const fk[] = { "user_id", "reviewed_by", "user_id", "user_id",
					  "created_by" };
	for (size_t i = 0; i < 5; i++) {
		ck_assert_str_eq(dep.refs[i].from->name, from[i]);
		ck_assert_str_eq(dep.refs[i].ref->foreign_keys.items[0], fk[i]);
	}
	reg_dependents_release(&dep);

	ck_assert_int_eq(reg_dependents(r, "policies", &dep), 0);
	ck_assert_uint_eq(dep.nservices, 1);
	ck_assert_str_eq(dep.services[0], "application-service");
	reg_dependents_release(&dep);

	ck_assert_int_eq(reg_dependents(r, "notifications", &dep), 0);
	ck_assert_uint_eq(dep.nservices, 0);
	ck_assert_uint_eq(dep.nrefs, 0);
	reg_dependents_release(&dep);

	/* a self reference is not a dependent */
	ck_assert_int_eq(reg_register(r, parse_str("name: employees\nowner: hr-service\n"
						   "columns:\n  - name: id\n    type: UUID\n"
						   "  - name: manager_id\n    type: UUID\n"
						   "references:\n  - schema: employees\n    column: id\n"
						   "    foreign_key: manager_id\n")), 0);
	ck_assert_int_eq(reg_dependents(r, "employees", &dep), 0);
	ck_assert_uint_eq(dep.nservices, 0);
	ck_assert_uint_eq(dep.nrefs, 0);
	reg_dependents_release(&dep);
	reg_registry_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("yaml");

	TCase *tc = tcase_create("errors");
	tcase_add_loop_test(tc, fixture_reports_exact_place, 0, NFIXTURES);
	tcase_add_test(tc, every_fixture_is_in_the_table);
	tcase_add_test(tc, one_pass_reports_every_problem);
	tcase_add_test(tc, error_flood_is_capped);
	tcase_add_test(tc, subject_in_message_is_escaped);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, billion_laughs_refused_at_first_anchor);
	tcase_add_test(tc, alias_without_anchor_refused);
	tcase_add_test(tc, deep_flow_nesting_refused);
	tcase_add_test(tc, deep_block_nesting_refused);
	tcase_add_test(tc, oversized_file_refused_before_parsing);
	tcase_add_test(tc, nul_byte_refused_with_place);
	tcase_add_test(tc, invalid_utf8_refused_with_place);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, seed_examples_load);
	tcase_add_test(tc, seed_users_fields);
	tcase_add_test(tc, seed_applications_references);
	tcase_add_test(tc, defaults_and_scalar_forms);
	tcase_add_test(tc, version_kept_as_text);
	tcase_add_test(tc, seed_version_history);
	tcase_add_test(tc, bom_and_crlf_accepted);
	tcase_add_test(tc, meta_parse_and_emit);
	suite_add_tcase(s, tc);

	tc = tcase_create("emit");
	tcase_add_test(tc, round_trip_seed_examples);
	tcase_add_test(tc, round_trip_tricky_strings);
	tcase_add_test(tc, emit_is_canonical);
	tcase_add_test(tc, emit_refuses_invalid_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	tcase_add_test(tc, fk_actions);
	tcase_add_test(tc, schema_dup_is_deep);
	tcase_add_test(tc, strlist_push_keeps_locs_aligned);
	suite_add_tcase(s, tc);

	tc = tcase_create("registry");
	tcase_add_test(tc, register_get_replace_unregister);
	tcase_add_test(tc, schema_from_bytes);
	tcase_add_test(tc, load_dir_seed);
	tcase_add_test(tc, load_dir_skips_and_reports_refused_files);
	tcase_add_test(tc, load_dir_missing);
	tcase_add_test(tc, load_dir_does_not_block_on_fifo);
	tcase_add_test(tc, batch_keeps_input_order);
	tcase_add_test(tc, load_dir_many_files);
	tcase_add_test(tc, seed_flow_dependents);
	suite_add_tcase(s, tc);

	return tu_run(s);
}
