#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry.h"
#include "pg_catalog.h"
#include "sqlcheck.h"
#include "validate.h"

/* ---- building schemas through the C API ---- */

static char *xstrdup(const char *s)
{
	char *p = s ? strdup(s) : NULL;
	ck_assert(!s || p);
	return p;
}

static struct reg_loc L(uint32_t line, uint32_t col)
{
	return (struct reg_loc){ line, col };
}

static struct reg_schema *tschema(const char *name)
{
	struct reg_schema *s = reg_schema_new();
	ck_assert_ptr_nonnull(s);
	s->name = xstrdup(name);
	s->owner = xstrdup("svc");
	s->version = xstrdup("1.0.0");
	char file[128];
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	s->file = xstrdup(file);
	return s;
}

/* The returned pointer lives until the next tcol on the same schema. */
static struct reg_column *tcol(struct reg_schema *s, const char *name, const char *type)
{
	size_t n = s->ncolumns;
	if ((n & (n - 1)) == 0) { /* at powers of two: linear growth for wide tables */
		struct reg_column *c = realloc(s->columns, (n ? 2 * n : 1) * sizeof(*c));
		ck_assert_ptr_nonnull(c);
		s->columns = c;
	}
	struct reg_column *c;
	c = &s->columns[s->ncolumns++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->type = xstrdup(type);
	c->nullable = true;
	return c;
}

static struct reg_column *tpk(struct reg_schema *s, const char *name, const char *type)
{
	struct reg_column *c = tcol(s, name, type);
	c->primary_key = true;
	c->nullable = false;
	return c;
}

/* fks and cols are comma-separated lists of names. */
static struct reg_reference *tref(struct reg_schema *s, const char *fks, const char *target,
				  const char *cols)
{
	struct reg_reference *r = realloc(s->refs, (s->nrefs + 1) * sizeof(*r));
	ck_assert_ptr_nonnull(r);
	s->refs = r;
	r = &s->refs[s->nrefs++];
	memset(r, 0, sizeof(*r));
	r->schema = xstrdup(target);
	const char *lists[2] = { fks, cols };
	struct reg_strlist *dst[2] = { &r->foreign_keys, &r->columns };
	for (int k = 0; k < 2; k++) {
		char *copy = xstrdup(lists[k]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			ck_assert_int_eq(reg_strlist_push(dst[k], t, NULL), 0);
		free(copy);
	}
	return r;
}

static struct reg_index *tindex(struct reg_schema *s, const char *name, bool unique,
				const char *cols)
{
	struct reg_index *x = realloc(s->indexes, (s->nindexes + 1) * sizeof(*x));
	ck_assert_ptr_nonnull(x);
	s->indexes = x;
	x = &s->indexes[s->nindexes++];
	memset(x, 0, sizeof(*x));
	x->name = xstrdup(name);
	x->unique = unique;
	char *copy = xstrdup(cols), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		ck_assert_int_eq(reg_strlist_push(&x->columns, t, NULL), 0);
	free(copy);
	return x;
}

/* A registry without registry.c: the struct is public and sorted by name. */
static int schema_cmp(const void *a, const void *b)
{
	return strcmp((*(struct reg_schema *const *)a)->name, (*(struct reg_schema *const *)b)->name);
}

static void treg_init(struct reg_registry *r, struct reg_schema **list, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->schemas = malloc(n * sizeof(*r->schemas));
	ck_assert_ptr_nonnull(r->schemas);
	memcpy(r->schemas, list, n * sizeof(*list));
	qsort(r->schemas, n, sizeof(*r->schemas), schema_cmp);
	r->n = r->alloc = n;
}

static void treg_release(struct reg_registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		reg_schema_free(r->schemas[i]);
	free(r->schemas);
}

/* ---- asserting diagnostics ---- */

static char *render(const struct diags *d)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(diags_render(d, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

/* Exactly one diagnostic, at file:line:col, with this message. */
static void expect_one(const struct diags *d, const char *file, uint32_t line, uint32_t col,
		       enum diag_severity sev, const char *msg)
{
	if (d->n != 1) {
		char *all = render(d);
		ck_abort_msg("expected one diagnostic, got %zu:\n%s", d->n, all);
	}
	ck_assert_str_eq(d->items[0].file, file);
	ck_assert_uint_eq(d->items[0].loc.line, line);
	ck_assert_uint_eq(d->items[0].loc.col, col);
	ck_assert_int_eq(d->items[0].severity, sev);
	ck_assert_str_eq(d->items[0].message, msg);
}

static void validate_one(const struct reg_schema *s, const char *expected_name, struct diags *d)
{
	diags_init(d);
	ck_assert_int_eq(reg_validate_schema(s, expected_name, d), 0);
}

static void check_registry(struct reg_schema **list, size_t n, struct diags *d)
{
	struct reg_registry r;
	treg_init(&r, list, n);
	diags_init(d);
	ck_assert_int_eq(reg_validate_registry(&r, d), 0);
	treg_release(&r);
}

/* A valid little table to break one thing at a time. */
static struct reg_schema *users(void)
{
	struct reg_schema *s = tschema("users");
	tpk(s, "id", "UUID")->name_loc = L(7, 11);
	tcol(s, "email", "VARCHAR(255)")->unique = true;
	tcol(s, "name", "VARCHAR(100)");
	tcol(s, "created_at", "TIMESTAMP")->default_expr = xstrdup("CURRENT_TIMESTAMP");
	tindex(s, "idx_users_email", true, "email");
	return s;
}

/* ---- identifiers and semver ---- */

START_TEST(ident_rules)
{
	const char *why;
	ck_assert(reg_validate_ident("users", &why));
	ck_assert(reg_validate_ident("_x$1", &why));
	ck_assert(!reg_validate_ident("Users", &why));
	ck_assert_str_eq(why, "must be lower case");
	ck_assert(!reg_validate_ident("1users", &why));
	ck_assert_str_eq(why, "must start with a lower-case letter or '_'");
	ck_assert(!reg_validate_ident("user-id", &why));
	ck_assert(!reg_validate_ident("user id", &why));
	ck_assert(!reg_validate_ident("\"users\"", &why)); /* quoting is no way around */
	ck_assert(!reg_validate_ident("사용자", &why));
	ck_assert(!reg_validate_ident("", &why));
	char name[65];
	memset(name, 'a', 63);
	name[63] = '\0';
	ck_assert(reg_validate_ident(name, &why));
	name[63] = 'a';
	name[64] = '\0';
	ck_assert(!reg_validate_ident(name, &why));
}
END_TEST

START_TEST(ident_messages_and_places)
{
	struct diags d;
	struct reg_schema *s = users();
	free(s->columns[2].name);
	s->columns[2].name = xstrdup("Name");
	s->columns[2].name_loc = L(12, 11);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 12, 11, DIAG_ERROR,
		   "invalid column name 'Name': must be lower case");
	diags_release(&d);

	free(s->columns[2].name);
	s->columns[2].name = xstrdup("e_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	ck_assert_uint_eq(strlen(s->columns[2].name), 70);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 12, 11, DIAG_ERROR,
		   "invalid column name 'e_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': "
		   "is 70 bytes long; PostgreSQL names are at most 63");
	diags_release(&d);
	free(s->columns[2].name);
	s->columns[2].name = xstrdup("name");

	free(s->indexes[0].name);
	s->indexes[0].name = xstrdup("idx users");
	s->indexes[0].name_loc = L(30, 13);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 30, 13, DIAG_ERROR,
		   "invalid index name 'idx users': may contain only lower-case letters, digits, "
		   "'_' and '$'");
	diags_release(&d);
	reg_schema_free(s);

	s = tschema("Users");
	tpk(s, "id", "int");
	s->name_loc = L(1, 7);
	validate_one(s, NULL, &d);
	expect_one(&d, "schemas/Users.yaml", 1, 7, DIAG_ERROR,
		   "invalid table name 'Users': must be lower case");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(semver_rules)
{
	const char *good[] = { "1.0.0", "0.0.1", "10.20.30", "1.0.0-alpha", "1.0.0-alpha.1",
			       "1.0.0-0.3.7", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85" };
	const char *bad[] = { "1.0", "1", "v1.0.0", "01.0.0", "1.00.0", "1.0.0-", "1.0.0-01",
			      "1.0.0+", "1.0.0.0", "", "1..0", "1.0.0-a..b", " 1.0.0" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(reg_validate_semver(good[i]), "%s should be valid", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(!reg_validate_semver(bad[i]), "%s should be invalid", bad[i]);
	ck_assert(!reg_validate_semver(NULL));
}
END_TEST

/* ---- the local rules, one broken thing each ---- */

START_TEST(valid_table_is_clean)
{
	struct diags d;
	struct reg_schema *s = users();
	validate_one(s, "users", &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(name_must_match_file)
{
	struct diags d;
	struct reg_schema *s = users();
	free(s->name);
	s->name = xstrdup("user");
	s->name_loc = L(1, 7);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 1, 7, DIAG_ERROR,
		   "name 'user' does not match the file name 'users.yaml'");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(owner_required)
{
	struct diags d;
	struct reg_schema *s = users();
	free(s->owner);
	s->owner = xstrdup("");
	s->owner_loc = L(2, 8);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 2, 8, DIAG_ERROR,
		   "'owner' must name the owning service");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(at_least_one_column)
{
	struct diags d;
	struct reg_schema *s = tschema("empty");
	s->columns_loc = L(5, 10);
	validate_one(s, "empty", &d);
	expect_one(&d, "schemas/empty.yaml", 5, 10, DIAG_ERROR, "a table needs at least one column");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(duplicate_column_and_index)
{
	struct diags d;
	struct reg_schema *s = users();
	tcol(s, "id", "int")->name_loc = L(40, 11);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 40, 11, DIAG_ERROR,
		   "duplicate column 'id' (first declared at line 7)");
	diags_release(&d);
	reg_schema_free(s);

	s = users();
	s->indexes[0].name_loc = L(30, 11);
	tindex(s, "idx_users_email", false, "name")->name_loc = L(33, 11);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 33, 11, DIAG_ERROR,
		   "duplicate index 'idx_users_email' (first declared at line 30)");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(versions_are_semver)
{
	struct diags d;
	struct reg_schema *s = users();
	free(s->version);
	s->version = xstrdup("1.0");
	s->version_loc = L(3, 10);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 3, 10, DIAG_ERROR,
		   "invalid version '1.0': expected MAJOR.MINOR.PATCH (semantic versioning, e.g. 1.0.0)");
	diags_release(&d);
	free(s->version);
	s->version = xstrdup("1.1.0");

	s->history = calloc(2, sizeof(*s->history));
	s->nhistory = 2;
	s->history[0].version = xstrdup("1.0.0");
	s->history[1].version = xstrdup("1.1");
	s->history[1].loc = L(50, 5);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 50, 5, DIAG_ERROR,
		   "invalid version_history version '1.1': expected MAJOR.MINOR.PATCH (semantic "
		   "versioning, e.g. 1.0.0)");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(foreign_key_column_undeclared)
{
	struct diags d;
	struct reg_schema *s = tschema("applications");
	tpk(s, "id", "uuid");
	tcol(s, "user_id", "uuid");
	struct reg_reference *r = tref(s, "usr_id", "users", "id");
	r->loc = L(20, 5);
	r->foreign_keys.locs = calloc(1, sizeof(struct reg_loc));
	r->foreign_keys.locs[0] = L(22, 18);
	validate_one(s, "applications", &d);
	expect_one(&d, "schemas/applications.yaml", 22, 18, DIAG_ERROR,
		   "foreign key column 'usr_id' is not a column of 'applications'; did you mean 'user_id'?");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(foreign_key_counts_match)
{
	struct diags d;
	struct reg_schema *s = tschema("line_items");
	tpk(s, "id", "int");
	tcol(s, "order_id", "int");
	tcol(s, "region", "text");
	tref(s, "order_id,region", "orders", "id")->loc = L(14, 5);
	validate_one(s, "line_items", &d);
	expect_one(&d, "schemas/line_items.yaml", 14, 5, DIAG_ERROR,
		   "foreign key has 2 columns (foreign_key) but references 1 (column); the counts "
		   "must match");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(index_column_undeclared)
{
	struct diags d;
	struct reg_schema *s = users();
	struct reg_index *x = tindex(s, "idx_users_created", false, "name,created");
	x->loc = L(30, 5);
	x->columns.locs = calloc(2, sizeof(struct reg_loc));
	x->columns.locs[0] = L(32, 15);
	x->columns.locs[1] = L(32, 21);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 32, 21, DIAG_ERROR,
		   "index column 'created' is not a column of 'users'; did you mean 'created_at'?");
	diags_release(&d);

	/* far from every name: no suggestion */
	free(s->indexes[1].columns.items[1]);
	s->indexes[1].columns.items[1] = xstrdup("zzzzzzzz");
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 32, 21, DIAG_ERROR,
		   "index column 'zzzzzzzz' is not a column of 'users'");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(set_null_on_not_null)
{
	struct diags d;
	struct reg_schema *s = tschema("applications");
	tpk(s, "id", "uuid");
	tcol(s, "reviewed_by", "uuid")->nullable = false;
	struct reg_reference *r = tref(s, "reviewed_by", "users", "id");
	r->loc = L(20, 5);
	r->on_delete = REG_FK_SET_NULL;
	r->on_delete_loc = L(23, 16);
	validate_one(s, "applications", &d);
	expect_one(&d, "schemas/applications.yaml", 23, 16, DIAG_ERROR,
		   "on_delete SET NULL on foreign key column 'reviewed_by', which is NOT NULL");
	diags_release(&d);

	r = &s->refs[0];
	r->on_delete = REG_FK_RESTRICT;
	r->on_update = REG_FK_SET_NULL;
	r->on_update_loc = L(24, 16);
	validate_one(s, "applications", &d);
	expect_one(&d, "schemas/applications.yaml", 24, 16, DIAG_ERROR,
		   "on_update SET NULL on foreign key column 'reviewed_by', which is NOT NULL");
	diags_release(&d);

	/* nullable: fine (the seed's reviewed_by) */
	s->columns[1].nullable = true;
	validate_one(s, "applications", &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);

	/* a primary key column is NOT NULL even when it says nullable */
	s->columns[1].primary_key = true;
	validate_one(s, "applications", &d);
	expect_one(&d, "schemas/applications.yaml", 24, 16, DIAG_ERROR,
		   "on_update SET NULL on foreign key column 'reviewed_by', which is NOT NULL "
		   "(part of the primary key)");
	diags_release(&d);

	/* SET DEFAULT without a default: a warning, not a refusal */
	s->columns[1].primary_key = false;
	r->on_update = REG_FK_SET_DEFAULT;
	validate_one(s, "applications", &d);
	expect_one(&d, "schemas/applications.yaml", 24, 16, DIAG_WARNING,
		   "on_update SET DEFAULT on foreign key column 'reviewed_by', which has no default "
		   "(it becomes NULL)");
	ck_assert_uint_eq(d.errors, 0);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(bad_action_value)
{
	struct diags d;
	struct reg_schema *s = tschema("a");
	tpk(s, "id", "int");
	struct reg_reference *r = tref(s, "id", "b", "id");
	r->on_delete = (enum reg_fk_action)42;
	r->on_delete_loc = L(9, 16);
	validate_one(s, "a", &d);
	expect_one(&d, "schemas/a.yaml", 9, 16, DIAG_ERROR,
		   "invalid on_delete action; expected CASCADE, RESTRICT, SET NULL, SET DEFAULT or "
		   "NO ACTION");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

START_TEST(type_and_default_checked_by_parser)
{
	struct diags d;
	struct reg_schema *s = users();
	free(s->columns[2].type);
	s->columns[2].type = xstrdup("VARCHAR(255); DROP TABLE users");
	s->columns[2].type_loc = L(17, 11);
	validate_one(s, "users", &d);
	/* no source (API-built): the scalar's own place */
	expect_one(&d, "schemas/users.yaml", 17, 11, DIAG_ERROR,
		   "invalid type 'VARCHAR(255); DROP TABLE users' for column 'name': more than one "
		   "statement where one type was expected");
	diags_release(&d);
	free(s->columns[2].type);
	s->columns[2].type = xstrdup("VARCHAR(100)");

	free(s->columns[3].default_expr);
	s->columns[3].default_expr = xstrdup("(SELECT now())");
	s->columns[3].default_loc = L(22, 14);
	validate_one(s, "users", &d);
	expect_one(&d, "schemas/users.yaml", 22, 14, DIAG_ERROR,
		   "invalid default '(SELECT now())' for column 'created_at': a subquery is not "
		   "allowed in a default");
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

/* API-built schemas can hold what YAML never produces: each still gets
 * a diagnostic, all of them in one pass. */
START_TEST(every_problem_in_one_pass)
{
	struct diags d;
	struct reg_schema *s = tschema("t");
	tpk(s, "id", "int");
	struct reg_column *c = tcol(s, "notype", "int");
	free(c->type);
	c->type = NULL;
	c->loc = L(6, 5);
	struct reg_reference *r = tref(s, "Id", "u", "id");
	r->loc = L(10, 5);
	r = tref(s, "id", "u", "id");
	reg_strlist_release(&r->foreign_keys);
	r->loc = L(14, 5);
	tindex(s, "idx_empty", false, "id");
	reg_strlist_release(&s->indexes[0].columns);
	s->indexes[0].loc = L(20, 5);
	tindex(s, "idx_bad", false, "id,1x")->loc = L(22, 5);
	s->history = calloc(1, sizeof(*s->history));
	s->nhistory = 1;
	s->history[0].loc = L(30, 5);
	validate_one(s, "t", &d);
	char *out = render(&d);
	ck_assert_str_eq(out,
			 "schemas/t.yaml:30:5: error: version_history entry has no version\n"
			 "schemas/t.yaml:6:5: error: column 'notype' has no type\n"
			 "schemas/t.yaml:10:5: error: invalid foreign key column name 'Id': must be "
			 "lower case\n"
			 "schemas/t.yaml:14:5: error: reference to 'u' names no foreign_key column\n"
			 "schemas/t.yaml:20:5: error: index 'idx_empty' has no columns\n"
			 "schemas/t.yaml:22:5: error: invalid index column name '1x': must start with "
			 "a lower-case letter or '_'\n");
	ck_assert_uint_eq(d.errors, 6);
	free(out);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

/* With the source at hand, the column points into the scalar. */
START_TEST(error_offset_inside_scalar)
{
	static const char src[] =
		"name: t\n"
		"owner: svc\n"
		"columns:\n"
		"  - name: a\n"
		"    type: int FROM t\n"
		"  - name: b\n"
		"    type: \"int4 + 1\"\n"
		"  - name: c\n"
		"    type: text\n"
		"    default: 'now() +'\n"
		"  - name: d\n"
		"    type: |\n"
		"      int, 1\n";
	struct diags d;
	struct reg_schema *s = tschema("t");
	s->source = xstrdup(src);
	s->source_len = strlen(src);
	tcol(s, "a", "int FROM t")->type_loc = L(5, 11);
	tcol(s, "b", "int4 + 1")->type_loc = L(7, 11);
	struct reg_column *c = tcol(s, "c", "text");
	c->default_expr = xstrdup("now() +");
	c->default_loc = L(10, 14);
	tcol(s, "d", "int, 1\n")->type_loc = L(12, 11);
	validate_one(s, "t", &d);
	ck_assert_uint_eq(d.n, 4);
	/* "int FROM t": the FROM clause's table, byte 9 */
	ck_assert_uint_eq(d.items[0].loc.line, 5);
	ck_assert_uint_eq(d.items[0].loc.col, 11 + 9);
	ck_assert_str_eq(d.items[0].message,
			 "invalid type 'int FROM t' for column 'a': unexpected FROM clause after the type");
	/* quoted: one more for the quote; the '+' is byte 5 */
	ck_assert_uint_eq(d.items[1].loc.line, 7);
	ck_assert_uint_eq(d.items[1].loc.col, 11 + 1 + 5);
	ck_assert_str_eq(d.items[1].message,
			 "invalid type 'int4 + 1' for column 'b': not a single type");
	/* the end of input, after "now() +" */
	ck_assert_uint_eq(d.items[2].loc.line, 10);
	ck_assert_uint_eq(d.items[2].loc.col, 14 + 1 + 7);
	ck_assert_str_eq(d.items[2].message,
			 "invalid default 'now() +' for column 'c': syntax error at end of input");
	/* a block scalar does not start where its text does: the scalar's place */
	ck_assert_uint_eq(d.items[3].loc.line, 12);
	ck_assert_uint_eq(d.items[3].loc.col, 11);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

/* Multi-byte text before the error: columns are characters, like libyaml's. */
START_TEST(error_offset_counts_characters)
{
	static const char src[] = "columns:\n  - {name: a, type: \"한글 + 1\"}\n";
	struct diags d;
	struct reg_schema *s = tschema("t");
	s->source = xstrdup(src);
	s->source_len = strlen(src);
	tcol(s, "a", "한글 + 1")->type_loc = L(2, 21);
	validate_one(s, "t", &d);
	ck_assert_uint_eq(d.n, 1);
	struct sqlcheck_result res;
	ck_assert_int_eq(sqlcheck_type("한글 + 1", &res), 0);
	ck_assert_int_eq(res.ok, 0);
	ck_assert_int_eq(res.offset, 7); /* the '+', after two 3-byte characters and a space */
	ck_assert_uint_eq(d.items[0].loc.col, 21 + 1 + 3);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

/* ---- sqlcheck ---- */

START_TEST(hostile_types_refused)
{
	static const struct {
		const char *text, *msg;
		int offset;
	} cases[] = {
		{ "VARCHAR(255); DROP TABLE users", "more than one statement where one type was expected", 14 },
		{ "int;DROP TABLE users", "more than one statement where one type was expected", 4 },
		{ "int FROM t", "unexpected FROM clause after the type", 9 },
		{ "int, 1", "a list where a single type was expected", 5 },
		{ "int AS x", "unexpected alias 'x' after the type", -1 },
		{ "int x", "unexpected alias 'x' after the type", -1 },
		{ "int WHERE true", "unexpected WHERE clause after the type", 10 },
		{ "int UNION SELECT 1", "unexpected set operation (UNION, INTERSECT, EXCEPT) after the type", -1 },
		{ "int4 -- comment", "the type ends in a '--' comment", -1 },
		{ "int::text", "not a single type", 3 },
		{ "setof int", "SETOF is not a column type", -1 },
		{ "varchar(", "syntax error at end of input", 8 },
		{ "x;y", "syntax error at or near \"y\"", 2 },
		{ "mytype(x)", "type modifiers must be numeric constants", 7 },
		{ "a.b.c.d", "too many dotted names in the type", -1 },
		{ "int4 + 1", "not a single type", 5 },
		{ "", "empty type", 0 },
		{ "  ", "empty type", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sqlcheck_result res;
		ck_assert_int_eq(sqlcheck_type(cases[i].text, &res), 0);
		ck_assert_msg(!res.ok, "'%s' accepted", cases[i].text);
		ck_assert_str_eq(res.message, cases[i].msg);
		ck_assert_int_eq(res.offset, cases[i].offset);
	}
	sqlcheck_cleanup();
}
END_TEST

START_TEST(hostile_defaults_refused)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "(SELECT 1)", "a subquery is not allowed in a default" },
		{ "1 + (SELECT max(id) FROM users)", "a subquery is not allowed in a default" },
		{ "EXISTS (SELECT 1)", "a subquery is not allowed in a default" },
		{ "1; DROP", "syntax error at end of input" },
		{ "1; DROP TABLE users", "more than one statement where one expression was expected" },
		{ "1, 2", "a list where a single expression was expected" },
		{ "1 FROM t", "unexpected FROM clause after the expression" },
		{ "PENDING", "column reference 'pending' is not allowed in a default (a string must be quoted: '...')" },
		{ "$1", "a parameter is not allowed in a default" },
		{ "row_number() OVER ()", "a window function is not allowed in a default" },
		{ "'x' -- trailing", "the expression ends in a '--' comment" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sqlcheck_result res;
		ck_assert_int_eq(sqlcheck_expr(cases[i].text, &res), 0);
		ck_assert_msg(!res.ok, "'%s' accepted", cases[i].text);
		ck_assert_str_eq(res.message, cases[i].msg);
	}
	const char *good[] = { "CURRENT_TIMESTAMP", "'PENDING'", "true", "0", "now()",
			       "gen_random_uuid()", "'--'", "nextval('s'::regclass)", "'{}'::jsonb",
			       "-1.5", "ARRAY[1, 2]", "'a' /* fine */", "'x' -- closed\n" };
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		struct sqlcheck_result res;
		ck_assert_int_eq(sqlcheck_expr(good[i], &res), 0);
		ck_assert_msg(res.ok, "'%s' refused: %s", good[i], res.message);
	}

	/* nesting: real expressions go deep, hostile ones are refused, not crashed on */
	struct sbuf deep = SBUF_INIT;
	for (int i = 0; i < 20; i++)
		sbuf_adds(&deep, "lower(");
	sbuf_adds(&deep, "'x'");
	for (int i = 0; i < 20; i++)
		sbuf_adds(&deep, ")");
	struct sqlcheck_result res;
	ck_assert_int_eq(sqlcheck_expr(deep.buf, &res), 0);
	ck_assert_msg(res.ok, "20 nested calls refused: %s", res.message);
	sbuf_reset(&deep);
	for (int i = 0; i < 3000; i++)
		sbuf_adds(&deep, "1+");
	sbuf_adds(&deep, "1");
	ck_assert_int_eq(sqlcheck_expr(deep.buf, &res), 0);
	ck_assert_int_eq(res.ok, 0);
	ck_assert_str_eq(res.message, "expression nested too deeply");
	sbuf_release(&deep);
	sqlcheck_cleanup();
}
END_TEST

START_TEST(type_aliases_normalised)
{
	static const struct {
		const char *text, *canonical;
	} cases[] = {
		{ "int", "int4" }, { "integer", "int4" }, { "INTEGER", "int4" }, { "int4", "int4" },
		{ "serial", "int4" }, { "serial4", "int4" }, { "pg_catalog.int4", "int4" },
		{ "bigint", "int8" }, { "int8", "int8" }, { "bigserial", "int8" }, { "serial8", "int8" },
		{ "smallint", "int2" }, { "int2", "int2" }, { "smallserial", "int2" }, { "serial2", "int2" },
		{ "bool", "bool" }, { "BOOLEAN", "bool" },
		{ "real", "float4" }, { "float4", "float4" },
		{ "double precision", "float8" }, { "float8", "float8" }, { "float", "float8" },
		{ "decimal", "numeric" }, { "DECIMAL(15,2)", "numeric(15,2)" }, { "numeric(10)", "numeric(10)" },
		{ "varchar", "varchar" }, { "VARCHAR(255)", "varchar(255)" },
		{ "character varying(255)", "varchar(255)" },
		{ "char", "bpchar(1)" }, { "character(3)", "bpchar(3)" }, { "bpchar", "bpchar" },
		{ "\"char\"", "\"char\"" },
		{ "timestamp", "timestamp" }, { "TIMESTAMP without time zone", "timestamp" },
		{ "timestamp(3)", "timestamp(3)" },
		{ "timestamptz", "timestamptz" }, { "timestamp with time zone", "timestamptz" },
		{ "time", "time" }, { "time without time zone", "time" },
		{ "timetz", "timetz" }, { "time with time zone", "timetz" },
		{ "text", "text" }, { "UUID", "uuid" }, { "JSONB", "jsonb" }, { "json", "json" },
		{ "DATE", "date" }, { "bytea", "bytea" },
		{ "int[]", "int4[]" }, { "integer[3][]", "int4[][]" }, { "text ARRAY", "text[]" },
		{ "interval day to second", "interval" },
		{ "public.money_amount", "public.money_amount" }, { "\"MyType\"", "\"MyType\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct sqlcheck_result res;
		ck_assert_int_eq(sqlcheck_type(cases[i].text, &res), 0);
		ck_assert_msg(res.ok, "'%s' refused: %s", cases[i].text, res.message);
		ck_assert_msg(!strcmp(res.canonical, cases[i].canonical), "'%s' -> '%s', expected '%s'",
			      cases[i].text, res.canonical, cases[i].canonical);
	}
	char buf[64];
	ck_assert_str_eq(sqlcheck_type_base("varchar(255)", buf, sizeof(buf)), "varchar");
	ck_assert_str_eq(sqlcheck_type_base("numeric(15,2)[]", buf, sizeof(buf)), "numeric[]");
	ck_assert_str_eq(sqlcheck_type_base("uuid", buf, sizeof(buf)), "uuid");
	ck_assert_str_eq(sqlcheck_type_base("timestamptz", buf, 5), "time");
	sqlcheck_cleanup();
}
END_TEST

/* The one cache also answers the planner's question: a default's canonical
 * form, cached with its verdict, equal for texts PostgreSQL prints back
 * with casts, absent for a refused text. */
START_TEST(default_canonical_in_the_cache)
{
	struct sqlcheck_result a, b;
	ck_assert_int_eq(sqlcheck_expr("'PENDING'", &a), 0);
	unsigned long before = sqlcheck_parse_count();
	ck_assert_int_eq(sqlcheck_expr("'PENDING'", &b), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before);
	ck_assert_ptr_nonnull(a.canonical);
	ck_assert_ptr_eq(a.canonical, b.canonical);
	ck_assert_int_eq(sqlcheck_expr("'PENDING'::character varying", &b), 0);
	ck_assert_str_eq(a.canonical, b.canonical);
	ck_assert_int_eq(sqlcheck_expr("-1", &a), 0);
	ck_assert_int_eq(sqlcheck_expr("'-1'::integer", &b), 0);
	ck_assert_str_eq(a.canonical, b.canonical);
	ck_assert_int_eq(sqlcheck_expr("'a,b'", &a), 0);
	ck_assert_int_eq(sqlcheck_expr("'a'", &b), 0);
	ck_assert_str_ne(a.canonical, b.canonical);
	ck_assert_int_eq(sqlcheck_expr("1; DROP TABLE users", &a), 0);
	ck_assert_int_eq(a.ok, 0);
	ck_assert_ptr_null(a.canonical);
}
END_TEST

START_TEST(each_text_parsed_once)
{
	struct sqlcheck_result a, b;
	sqlcheck_cleanup(); /* start from an empty cache, whatever ran before */
	unsigned long before = sqlcheck_parse_count();
	ck_assert_int_eq(sqlcheck_type("VARCHAR(77)", &a), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 1);
	ck_assert_int_eq(sqlcheck_type("VARCHAR(77)", &b), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 1);
	ck_assert_ptr_eq(a.canonical, b.canonical);
	/* a default with the same text is a different question */
	ck_assert_int_eq(sqlcheck_expr("VARCHAR(77)", &b), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 2);
	/* refusals are cached too */
	ck_assert_int_eq(sqlcheck_type("int FROM t", &a), 0);
	ck_assert_int_eq(sqlcheck_type("int FROM t", &b), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 3);
	ck_assert_ptr_eq(a.message, b.message);

	/* a 10,000-column table of five distinct types: five parses */
	struct reg_schema *s = tschema("wide");
	static const char *types[] = { "UUID", "VARCHAR(255)", "TIMESTAMP", "BIGINT", "JSONB" };
	char name[32];
	for (int i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		tcol(s, name, types[i % 5])->default_expr = i % 5 == 2 ? xstrdup("now()") : NULL;
	}
	before = sqlcheck_parse_count();
	struct diags d;
	validate_one(s, "wide", &d);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 6);
	diags_release(&d);
	reg_schema_free(s);

	/* the table grows past its first size and keeps every entry */
	before = sqlcheck_parse_count();
	for (int round = 0; round < 2; round++) {
		for (int i = 1; i <= 300; i++) {
			snprintf(name, sizeof(name), "numeric(%d)", i);
			ck_assert_int_eq(sqlcheck_type(name, &a), 0);
			ck_assert(a.ok);
		}
	}
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 300);

	/* after cleanup the cache is empty and parsing starts again */
	sqlcheck_cleanup();
	before = sqlcheck_parse_count();
	ck_assert_int_eq(sqlcheck_type("VARCHAR(77)", &a), 0);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 1);
	sqlcheck_cleanup();
}
END_TEST

static void *check_many(void *arg)
{
	char text[32];
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		struct sqlcheck_result res;
		snprintf(text, sizeof(text), "VARCHAR(%d)", i % 50 + 1);
		if (sqlcheck_type(text, &res) || !res.ok)
			return (void *)1;
		char want[32];
		snprintf(want, sizeof(want), "varchar(%d)", i % 50 + 1);
		if (strcmp(res.canonical, want))
			return (void *)1;
	}
	return NULL;
}

START_TEST(cache_shared_by_threads)
{
	pthread_t t[4];
	unsigned long before = sqlcheck_parse_count();
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, check_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *ret;
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 50);
	sqlcheck_cleanup();
}
END_TEST

/* ---- cross-schema rules ---- */

static struct reg_schema *applications(const char *user_id_type)
{
	struct reg_schema *s = tschema("applications");
	tpk(s, "id", "UUID");
	tcol(s, "user_id", user_id_type)->nullable = false;
	struct reg_reference *r = tref(s, "user_id", "users", "id");
	r->loc = L(30, 5);
	r->schema_loc = L(30, 13);
	r->columns.locs = calloc(1, sizeof(struct reg_loc));
	r->columns.locs[0] = L(31, 13);
	return s;
}

START_TEST(cross_clean)
{
	struct diags d;
	struct reg_schema *list[] = { users(), applications("uuid") };
	check_registry(list, 2, &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);
}
END_TEST

START_TEST(cross_missing_schema)
{
	struct diags d;
	struct reg_schema *a = applications("UUID");
	free(a->refs[0].schema);
	a->refs[0].schema = xstrdup("user");
	struct reg_schema *list[] = { users(), a };
	check_registry(list, 2, &d);
	expect_one(&d, "schemas/applications.yaml", 30, 13, DIAG_ERROR,
		   "foreign key applications.user_id references user.id: no schema 'user'; did you "
		   "mean 'users'?");
	diags_release(&d);
}
END_TEST

START_TEST(cross_missing_column)
{
	struct diags d;
	struct reg_schema *a = applications("UUID");
	free(a->refs[0].columns.items[0]);
	a->refs[0].columns.items[0] = xstrdup("idd");
	struct reg_schema *list[] = { users(), a };
	check_registry(list, 2, &d);
	expect_one(&d, "schemas/applications.yaml", 31, 13, DIAG_ERROR,
		   "foreign key applications.user_id references users.idd: 'users' has no column "
		   "'idd'; did you mean 'id'?");
	diags_release(&d);
}
END_TEST

START_TEST(cross_referenced_must_be_key)
{
	struct diags d;
	struct reg_schema *a = applications("VARCHAR(100)");
	free(a->refs[0].columns.items[0]);
	a->refs[0].columns.items[0] = xstrdup("name");
	struct reg_schema *list[] = { users(), a };
	check_registry(list, 2, &d);
	expect_one(&d, "schemas/applications.yaml", 30, 5, DIAG_ERROR,
		   "foreign key applications.user_id references users.name, which is neither the "
		   "primary key nor unique in 'users' (PostgreSQL needs a primary key, unique column "
		   "or unique index on exactly the referenced columns)");
	diags_release(&d);

	/* a unique column is a key */
	a = applications("VARCHAR(255)");
	free(a->refs[0].columns.items[0]);
	a->refs[0].columns.items[0] = xstrdup("email");
	struct reg_schema *list2[] = { users(), a };
	check_registry(list2, 2, &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);

	/* so is a unique index on exactly those columns */
	struct reg_schema *u = users();
	tindex(u, "idx_users_name", true, "name");
	a = applications("VARCHAR(100)");
	free(a->refs[0].columns.items[0]);
	a->refs[0].columns.items[0] = xstrdup("name");
	struct reg_schema *list3[] = { u, a };
	check_registry(list3, 2, &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);
}
END_TEST

/* orders (region, number) is the key; line_items points at it. */
static struct reg_schema *orders(void)
{
	struct reg_schema *s = tschema("orders");
	tpk(s, "region", "text");
	tpk(s, "number", "integer");
	tcol(s, "note", "text");
	return s;
}

START_TEST(cross_composite_keys)
{
	struct diags d;
	struct reg_schema *li = tschema("line_items");
	tpk(li, "id", "bigserial");
	tcol(li, "order_region", "TEXT");
	tcol(li, "order_number", "serial"); /* serial is int4 underneath */
	/* the key in another order is still the key */
	tref(li, "order_number,order_region", "orders", "number,region")->loc = L(12, 5);
	struct reg_schema *list[] = { orders(), li };
	check_registry(list, 2, &d);
	ck_assert_uint_eq(d.n, 0);
	diags_release(&d);

	/* part of the key is not a key */
	li = tschema("line_items");
	tpk(li, "id", "bigserial");
	tcol(li, "order_number", "int");
	tref(li, "order_number", "orders", "number")->loc = L(12, 5);
	struct reg_schema *list2[] = { orders(), li };
	check_registry(list2, 2, &d);
	expect_one(&d, "schemas/line_items.yaml", 12, 5, DIAG_ERROR,
		   "foreign key line_items.order_number references orders.number, which is neither "
		   "the primary key nor unique in 'orders' (PostgreSQL needs a primary key, unique "
		   "column or unique index on exactly the referenced columns)");
	diags_release(&d);

	/* a composite that is not the key: both ends named in full */
	li = tschema("line_items");
	tpk(li, "id", "bigserial");
	tcol(li, "order_region", "text");
	tcol(li, "order_note", "text");
	tref(li, "order_region,order_note", "orders", "region,note")->loc = L(12, 5);
	struct reg_schema *list4[] = { orders(), li };
	check_registry(list4, 2, &d);
	expect_one(&d, "schemas/line_items.yaml", 12, 5, DIAG_ERROR,
		   "foreign key line_items.(order_region, order_note) references orders.(region, "
		   "note), which is neither the primary key nor unique in 'orders' (PostgreSQL "
		   "needs a primary key, unique column or unique index on exactly the referenced "
		   "columns)");
	diags_release(&d);

	/* types compared column by column, in the order written */
	li = tschema("line_items");
	tpk(li, "id", "bigserial");
	tcol(li, "order_region", "text");
	tcol(li, "order_number", "uuid");
	tref(li, "order_region,order_number", "orders", "region,number")->loc = L(12, 5);
	struct reg_schema *list3[] = { orders(), li };
	check_registry(list3, 2, &d);
	expect_one(&d, "schemas/line_items.yaml", 12, 5, DIAG_ERROR,
		   "foreign key line_items.order_number (uuid) references orders.number (integer): "
		   "types differ");
	diags_release(&d);
}
END_TEST

/* The key rule itself (model.h), shared by validation and the diagrams. */
START_TEST(key_rule)
{
	struct reg_schema *s = orders(); /* primary key (region, number) */
	tcol(s, "code", "text")->unique = true;
	tcol(s, "a", "text");
	tcol(s, "b", "text");
	tindex(s, "orders_a_b", true, "a,b");
	tindex(s, "orders_note", false, "note");
	struct {
		const char *cols;
		bool key;
	} cases[] = {
		{ "region,number", true },  { "number,region", true }, /* any order */
		{ "region", false },	    { "region,number,note", false },
		{ "region,region", false }, /* a name twice is not the key */
		{ "code", true },	    { "b,a", true },
		{ "a", false },		    { "a,a", false },
		{ "note", false }, /* the index is not unique */
		{ "nosuch", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct reg_reference *r = tref(s, cases[i].cols, "orders", cases[i].cols);
		ck_assert_msg(reg_schema_is_key(s, &r->columns) == cases[i].key, "%s: expected %s",
			      cases[i].cols, cases[i].key ? "a key" : "no key");
	}
	struct reg_strlist empty = { 0 };
	ck_assert(!reg_schema_is_key(s, &empty));
	reg_schema_free(s);
}
END_TEST

START_TEST(cross_type_compatibility)
{
	static const struct {
		const char *fk, *pk;
		int severity; /* -1: clean */
		const char *why;
	} cases[] = {
		{ "uuid", "UUID", -1, NULL },
		{ "integer", "serial", -1, NULL },
		{ "int4", "int", -1, NULL },
		{ "serial", "int4", -1, NULL },
		{ "bigint", "bigserial", -1, NULL },
		{ "character varying(20)", "VARCHAR(20)", -1, NULL },
		{ "timestamp without time zone", "TIMESTAMP", -1, NULL },
		{ "numeric(15,2)", "DECIMAL(15,2)", -1, NULL },
		{ "VARCHAR(100)", "VARCHAR(255)", DIAG_WARNING, "type modifiers differ" },
		{ "int4", "int8", DIAG_WARNING, "types differ within one family (PostgreSQL accepts it; values outside the narrower type cannot be referenced)" },
		{ "smallint", "serial", DIAG_WARNING, "types differ within one family (PostgreSQL accepts it; values outside the narrower type cannot be referenced)" },
		{ "text", "varchar(20)", DIAG_WARNING, "types differ within one family (PostgreSQL accepts it; values outside the narrower type cannot be referenced)" },
		{ "int4", "text", DIAG_ERROR, "types differ" },
		{ "UUID", "BIGINT", DIAG_ERROR, "types differ" },
		{ "uuid", "varchar(36)", DIAG_ERROR, "types differ" },
		{ "timestamp", "timestamptz", DIAG_ERROR, "types differ" },
		{ "int[]", "int", DIAG_ERROR, "types differ" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct diags d;
		struct reg_schema *u = tschema("users");
		tpk(u, "id", cases[i].pk);
		struct reg_schema *list[] = { u, applications(cases[i].fk) };
		check_registry(list, 2, &d);
		if (cases[i].severity < 0) {
			ck_assert_msg(d.n == 0, "%s -> %s: %s", cases[i].fk, cases[i].pk,
				      d.n ? d.items[0].message : "");
		} else {
			char want[256];
			snprintf(want, sizeof(want),
				 "foreign key applications.user_id (%s) references users.id (%s): %s",
				 cases[i].fk, cases[i].pk, cases[i].why);
			expect_one(&d, "schemas/applications.yaml", 30, 5,
				   (enum diag_severity)cases[i].severity, want);
		}
		diags_release(&d);
	}
	sqlcheck_cleanup();
}
END_TEST

START_TEST(cross_index_names_share_a_namespace)
{
	struct diags d;
	struct reg_schema *a = applications("uuid");
	tindex(a, "idx_users_email", false, "user_id")->name_loc = L(40, 13);
	tindex(a, "users", false, "id")->name_loc = L(42, 13);
	struct reg_schema *list[] = { users(), a };
	check_registry(list, 2, &d);
	char *out = render(&d);
	/* the first holder in name order keeps the name; later ones are told */
	ck_assert_str_eq(out,
			 "schemas/applications.yaml:42:13: error: index 'users' of 'applications' has "
			 "the name of table 'users' (tables and indexes share one namespace in "
			 "PostgreSQL)\n"
			 "schemas/users.yaml: error: index 'idx_users_email' of 'users' has the name of "
			 "an index of 'applications' (index names are unique per database schema in "
			 "PostgreSQL)\n");
	free(out);
	diags_release(&d);
}
END_TEST

START_TEST(cycles_reported_once_each)
{
	struct diags d;
	struct reg_schema *a = tschema("a"), *b = tschema("b"), *c = tschema("c");
	struct reg_schema *x = tschema("x"), *y = tschema("y");
	tpk(a, "id", "int");
	tcol(a, "b_id", "int");
	tref(a, "b_id", "b", "id")->loc = L(10, 5);
	tpk(b, "id", "int");
	tcol(b, "c_id", "int");
	tref(b, "c_id", "c", "id")->loc = L(11, 5);
	tpk(c, "id", "int");
	tcol(c, "a_id", "int");
	tcol(c, "parent", "int");
	tref(c, "parent", "c", "id")->loc = L(9, 5); /* self: not a cycle */
	tref(c, "a_id", "a", "id")->loc = L(12, 5);
	tpk(x, "id", "int");
	tcol(x, "y_id", "int");
	tref(x, "y_id", "y", "id")->loc = L(7, 3);
	tpk(y, "id", "int");
	tcol(y, "x_id", "int");
	tref(y, "x_id", "x", "id")->loc = L(8, 3);
	struct reg_schema *list[] = { y, c, a, x, b };
	check_registry(list, 5, &d);
	char *out = render(&d);
	ck_assert_str_eq(out, "schemas/a.yaml:10:5: error: dependency cycle: a -> b -> c -> a\n"
			      "schemas/x.yaml:7:3: error: dependency cycle: x -> y -> x\n");
	free(out);
	diags_release(&d);
}
END_TEST

START_TEST(check_sorted_by_place)
{
	struct diags d;
	struct reg_schema *a = applications("bigint");
	tcol(a, "policy_id", "uuid");
	struct reg_reference *r = tref(a, "policy_id", "polices", "id");
	r->loc = L(20, 5);
	r->schema_loc = L(20, 13);
	struct reg_schema *p = tschema("policies");
	tpk(p, "id", "uuid");
	struct reg_schema *list[] = { users(), a, p };
	check_registry(list, 3, &d);
	char *out = render(&d);
	ck_assert_str_eq(out,
			 "schemas/applications.yaml:20:13: error: foreign key applications.policy_id "
			 "references polices.id: no schema 'polices'; did you mean 'policies'?\n"
			 "schemas/applications.yaml:30:5: error: foreign key applications.user_id "
			 "(bigint) references users.id (UUID): types differ\n");
	free(out);
	diags_release(&d);
}
END_TEST

/* ---- YAML fixtures: tests/fixtures/validate/<case>/ holds the schema
 * files and `expected`, the exact output of loading the directory and
 * checking it ---- */

static const struct {
	const char *name;
	size_t loaded; /* schemas that survive loading (refused files do not) */
} fixture_cases[] = {
	{ "name_mismatch", 0 },
	{ "table_name_upper", 0 },
	{ "column_name_too_long", 0 },
	{ "column_name_quoted", 0 },
	{ "owner_empty", 0 },
	{ "no_columns", 0 },
	{ "duplicate_column", 0 },
	{ "duplicate_index", 0 },
	{ "bad_version", 0 },
	{ "bad_history_version", 0 },
	{ "fk_column_undeclared", 0 },
	{ "fk_count_mismatch", 0 },
	{ "index_column_undeclared", 0 },
	{ "set_null_not_null", 0 },
	{ "type_injection", 0 },
	{ "type_with_from", 0 },
	{ "type_syntax", 0 },
	{ "default_subquery", 0 },
	{ "default_unquoted_string", 0 },
	{ "default_two_statements", 0 },
	{ "missing_schema", 2 },
	{ "missing_column", 2 },
	{ "not_a_key", 2 },
	{ "type_mismatch", 2 },
	{ "width_differs", 2 },
	{ "composite_type_mismatch", 2 },
	{ "composite_ok", 2 },
	{ "cycle", 3 },
	{ "index_name_clash", 2 },
};

static char *load_and_check(const char *dir, struct reg_registry **out)
{
	struct diags d = DIAGS_INIT;
	struct reg_registry *r = reg_registry_new();
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	ck_assert_int_eq(reg_validate_registry(r, &d), 0);
	char *text = render(&d);
	diags_release(&d);
	*out = r;
	return text;
}

START_TEST(fixture_case)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "tests/fixtures/validate/%s", fixture_cases[_i].name);
	char *dir = tu_src_path(rel);
	snprintf(rel, sizeof(rel), "tests/fixtures/validate/%s/expected", fixture_cases[_i].name);
	char *exp_path = tu_src_path(rel);
	char *expected = tu_read_file(exp_path, NULL);
	ck_assert_msg(expected != NULL, "cannot read %s", exp_path);
	struct reg_registry *r;
	char *got = load_and_check(dir, &r);
	ck_assert_msg(!strcmp(got, expected), "%s:\n got: %s\nwant: %s", fixture_cases[_i].name, got,
		      expected);
	ck_assert_uint_eq(r->n, fixture_cases[_i].loaded);
	reg_registry_free(r);
	free(got);
	free(expected);
	free(exp_path);
	free(dir);
	sqlcheck_cleanup();
}
END_TEST

/* The write path: a refused file is REG_EINVAL and no schema. */
START_TEST(from_bytes_refuses_injection)
{
	static const char yaml[] = "name: t\nowner: svc\ncolumns:\n"
				   "  - name: a\n    type: VARCHAR(255); DROP TABLE users\n";
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = (struct reg_schema *)1;
	ck_assert_int_eq(reg_schema_from_bytes(yaml, strlen(yaml), "schemas/t.yaml", "t", &s, &d),
			 REG_EINVAL);
	ck_assert_ptr_null(s);
	char *out = render(&d);
	ck_assert_str_eq(out, "schemas/t.yaml:5:25: error: invalid type 'VARCHAR(255); DROP TABLE "
			      "users' for column 'a': more than one statement where one type was "
			      "expected\n");
	free(out);
	diags_release(&d);
	sqlcheck_cleanup();
}
END_TEST

/* Offline, what only the dry run used to catch: names PostgreSQL does not
 * know, at their place, with the nearest built-in one. */
START_TEST(unknown_names_located)
{
	static const char yaml[] = "name: t\nowner: svc\ncolumns:\n"
				   "  - name: price\n    type: NUMBR(10,2)\n"
				   "  - name: active\n    type: BOOLEN\n"
				   "  - name: created_at\n    type: timestamptz\n    default: \"nwo()\"\n"
				   "  - name: v\n    type: void\n"
				   "  - name: w\n    type: pg_catalog.textt\n"
				   "  - name: x\n    type: text\n    default: lower(upper(x_foo_bar('a')))\n";
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = (struct reg_schema *)1;
	ck_assert_int_eq(reg_schema_from_bytes(yaml, strlen(yaml), "schemas/t.yaml", "t", &s, &d),
			 REG_EINVAL);
	ck_assert_ptr_null(s);
	char *out = render(&d);
	ck_assert_str_eq(out,
		"schemas/t.yaml:5:11: error: column 'price': unknown type 'NUMBR'\n"
		"schemas/t.yaml:7:11: error: column 'active': unknown type 'BOOLEN' (did you mean "
		"'boolean'?)\n"
		"schemas/t.yaml:10:15: error: column 'created_at': unknown function 'nwo' (did you "
		"mean 'now'?)\n"
		"schemas/t.yaml:12:11: error: column 'v': type 'void' is a pseudo-type, not a column "
		"type\n"
		"schemas/t.yaml:14:11: error: column 'w': unknown type 'textt' (did you mean "
		"'text'?)\n"
		"schemas/t.yaml:17:26: error: column 'x': unknown function 'x_foo_bar' (not built "
		"in, nor an extension's; a function the target defines is called schema-qualified: "
		"public.f())\n");
	free(out);
	diags_release(&d);
	sqlcheck_cleanup();
}
END_TEST

/* Every spelling of a built-in type, and calls of built-in functions in
 * every syntax, are known; so is anything qualified by another schema. */
START_TEST(known_names_pass)
{
	static const char *const types[] = {
		"int", "integer", "int4", "INT", "DECIMAL(15,2)", "timestamp with time zone",
		"TEXT[]", "character varying(20)", "\"char\"", "char(3)", "double precision",
		"bit varying(3)", "interval day to second", "serial", "BIGSERIAL", "json",
		"time(3) with time zone", "pg_catalog.int4", "uuid[][]", "tsvector", "int4range",
		"public.citext", "postgis.geometry", "public.mood", "x.y.z",
	};
	static const char *const exprs[] = {
		"now()", "NOW()", "CURRENT_TIMESTAMP", "gen_random_uuid()", "nextval('s')",
		"EXTRACT(epoch FROM now())", "trim(' a ')", "substring('abc' from 1 for 2)",
		"position('a' in 'abc')", "coalesce(NULL, 1)", "'a'::text", "pg_catalog.now()",
		"public.next_id()", "extensions.uuid_generate_v4()", "1 + length(lower('A'))",
		"timezone('utc', now())", "'{}'::jsonb", "(now() AT TIME ZONE 'utc')",
	};
	struct sqlcheck_result res;
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++) {
		ck_assert_int_eq(sqlcheck_type(types[i], &res), 0);
		ck_assert_msg(res.ok && res.names.verdict == SQLCHECK_KNOWN, "type %s: %d %s",
			      types[i], res.names.verdict, res.names.name ? res.names.name : "");
	}
	for (size_t i = 0; i < sizeof(exprs) / sizeof(*exprs); i++) {
		ck_assert_int_eq(sqlcheck_expr(exprs[i], &res), 0);
		ck_assert_msg(res.ok && res.names.verdict == SQLCHECK_KNOWN, "default %s: %d %s",
			      exprs[i], res.names.verdict, res.names.name ? res.names.name : "");
	}
	sqlcheck_cleanup();
}
END_TEST

/* Names the target may have: an extension's (unqualified), or a type it
 * defines (enum, domain): warnings, the write is accepted. */
START_TEST(extension_names_warn)
{
	static const char yaml[] = "name: t\nowner: svc\ncolumns:\n"
				   "  - name: email\n    type: citext\n"
				   "  - name: id\n    type: uuid\n    default: uuid_generate_v4()\n"
				   "  - name: mood\n    type: mood\n"
				   "  - name: shape\n    type: geometry\n";
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	ck_assert_int_eq(reg_schema_from_bytes(yaml, strlen(yaml), "schemas/t.yaml", "t", &s, &d),
			 0);
	ck_assert_ptr_nonnull(s);
	char *out = render(&d);
	ck_assert_str_eq(out,
		"schemas/t.yaml:5:11: warning: column 'email': type 'citext' comes from extension "
		"'citext', which the target database must have (CREATE EXTENSION \"citext\")\n"
		"schemas/t.yaml:8:14: warning: column 'id': function 'uuid_generate_v4' comes from "
		"extension 'uuid-ossp', which the target database must have (CREATE EXTENSION "
		"\"uuid-ossp\")\n"
		"schemas/t.yaml:10:11: warning: column 'mood': unknown type 'mood' (not built in, "
		"nor an extension's; a type the target defines is written schema-qualified: "
		"public.mood)\n"
		"schemas/t.yaml:12:11: warning: column 'shape': type 'geometry' comes from "
		"extension 'postgis', which the target database must have (CREATE EXTENSION "
		"\"postgis\")\n");
	free(out);
	diags_release(&d);
	reg_schema_free(s);
	sqlcheck_cleanup();
}
END_TEST

/* The suggestions: a swap of two letters, then the edit distance. */
START_TEST(catalog_suggestions)
{
	ck_assert_str_eq(pg_catalog_suggest_function("nwo", NULL), "now");
	ck_assert_str_eq(pg_catalog_suggest_function("gen_random_uuidd", NULL), "gen_random_uuid");
	ck_assert_str_eq(pg_catalog_suggest_type("boolen", NULL), "boolean");
	ck_assert_str_eq(pg_catalog_suggest_type("intger", NULL), "integer");
	ck_assert_ptr_null(pg_catalog_suggest_type("guacamole_entity_type", NULL));
	size_t budget = 10;
	ck_assert_ptr_null(pg_catalog_suggest_function("lowr", &budget));
	ck_assert_uint_eq(budget, 0);
	ck_assert_int_eq(pg_catalog_one_typo("nwo", "now"), 1);
	ck_assert_int_eq(pg_catalog_one_typo("boolen", "boolean"), 1);
	ck_assert_int_eq(pg_catalog_one_typo("mood", "bool"), 0);
	ck_assert_int_eq(pg_catalog_type_kind("int4"), 'b');
	ck_assert_int_eq(pg_catalog_type_kind("record"), 'p');
	ck_assert_int_eq(pg_catalog_type_kind("boolen"), 0);
	ck_assert_str_eq(pg_catalog_type_extension("hstore"), "hstore");
}
END_TEST

/* The seed's five tables (examples/aegis) check clean. */
START_TEST(seed_examples_clean)
{
	char *dir = tu_src_path("examples/aegis");
	struct reg_registry *r;
	char *got = load_and_check(dir, &r);
	ck_assert_str_eq(got, "");
	ck_assert_uint_eq(r->n, 5);
	reg_registry_free(r);
	free(got);
	free(dir);
	sqlcheck_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("local");
	tcase_add_test(tc, ident_rules);
	tcase_add_test(tc, ident_messages_and_places);
	tcase_add_test(tc, semver_rules);
	tcase_add_test(tc, valid_table_is_clean);
	tcase_add_test(tc, name_must_match_file);
	tcase_add_test(tc, owner_required);
	tcase_add_test(tc, at_least_one_column);
	tcase_add_test(tc, duplicate_column_and_index);
	tcase_add_test(tc, versions_are_semver);
	tcase_add_test(tc, foreign_key_column_undeclared);
	tcase_add_test(tc, foreign_key_counts_match);
	tcase_add_test(tc, index_column_undeclared);
	tcase_add_test(tc, set_null_on_not_null);
	tcase_add_test(tc, bad_action_value);
	tcase_add_test(tc, type_and_default_checked_by_parser);
	tcase_add_test(tc, every_problem_in_one_pass);
	tcase_add_test(tc, error_offset_inside_scalar);
	tcase_add_test(tc, error_offset_counts_characters);
	suite_add_tcase(s, tc);

	tc = tcase_create("sqlcheck");
	tcase_add_test(tc, hostile_types_refused);
	tcase_add_test(tc, hostile_defaults_refused);
	tcase_add_test(tc, type_aliases_normalised);
	tcase_add_test(tc, each_text_parsed_once);
	tcase_add_test(tc, default_canonical_in_the_cache);
	tcase_add_test(tc, cache_shared_by_threads);
	tcase_add_test(tc, unknown_names_located);
	tcase_add_test(tc, known_names_pass);
	tcase_add_test(tc, extension_names_warn);
	tcase_add_test(tc, catalog_suggestions);
	suite_add_tcase(s, tc);

	tc = tcase_create("cross");
	tcase_add_test(tc, cross_clean);
	tcase_add_test(tc, cross_missing_schema);
	tcase_add_test(tc, cross_missing_column);
	tcase_add_test(tc, cross_referenced_must_be_key);
	tcase_add_test(tc, cross_composite_keys);
	tcase_add_test(tc, key_rule);
	tcase_add_test(tc, cross_type_compatibility);
	tcase_add_test(tc, cross_index_names_share_a_namespace);
	tcase_add_test(tc, cycles_reported_once_each);
	tcase_add_test(tc, check_sorted_by_place);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, fixture_case, 0,
			    (int)(sizeof(fixture_cases) / sizeof(*fixture_cases)));
	tcase_add_test(tc, from_bytes_refuses_injection);
	tcase_add_test(tc, seed_examples_clean);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
