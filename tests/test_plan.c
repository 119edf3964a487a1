/*
 * registry/plan.c and registry/sqlscript.c: pending SQL checked by the
 * parser (syntax with line:col, the seed's MySQL ADD INDEX, lint) and the
 * declared-vs-live diff (order, quoting, canonical comparison, lint).
 * The live database is a hand-built struct plan_live here; tests/pg/ runs
 * the same code against a real server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "plan.h"
#include "registry.h"
#include "schemafile.h"
#include "sqlcheck.h"
#include "sqllex.h"
#include "sqlscript.h"
#include "text.h"
#include "testutil.h"

/* ---- helpers ---- */

/* The quoting rule of PQescapeIdentifier/PQescapeLiteral, which the pure
 * core may not link. */
static char *quote_with(const char *s, char q)
{
	size_t n = strlen(s), k = 0;
	char *out = malloc(2 * n + 3);
	out[k++] = q;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == q)
			out[k++] = q;
		out[k++] = s[i];
	}
	out[k++] = q;
	out[k] = 0;
	return out;
}
static int quote_calls;
static char *test_ident(void *ctx, const char *s)
{
	(void)ctx;
	quote_calls++;
	return quote_with(s, '"');
}
static char *test_literal(void *ctx, const char *s)
{
	(void)ctx;
	return quote_with(s, '\'');
}
static const struct plan_quoter quoter = { test_ident, test_literal, NULL };

static char *render_diags(const struct diags *d)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(diags_render(d, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

/* check's messages have a size limit: a long output goes to stderr */
static void assert_has_at(const char *out, const char *text, const char *file, int line)
{
	if (!strstr(out, text))
		fprintf(stderr, "%s:%d: no '%s' in:\n%s\n", file, line, text, out);
	ck_assert_msg(strstr(out, text) != NULL, "%s:%d: text not found", file, line);
}
#define assert_has(out, text) assert_has_at(out, text, __FILE__, __LINE__)

/* What the parser alone says about a script. */
static char *parse_script(const char *text, size_t *errors, size_t *n)
{
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(sqlscript_check(text, strlen(text), "pending/x.sql", NULL, &d), 0);
	*errors = d.errors;
	*n = d.n;
	char *out = render_diags(&d);
	diags_release(&d);
	return out;
}

/* What check says about a pending script: the plan's lint on a plan of
 * that one step. */
static char *check_script(const char *text, size_t *errors, size_t *n)
{
	struct diags d = DIAGS_INIT;
	struct plan_step st = { .kind = PLAN_PENDING, .schema = "x", .sql = (char *)text,
				.what = "pending/x.sql", .file = "pending/x.sql" };
	struct plan p = { .steps = &st, .n = 1 };
	ck_assert_int_eq(plan_lint_steps(&p, NULL, NULL, 0, &d), 0);
	*errors = d.errors;
	*n = d.n;
	char *out = render_diags(&d);
	diags_release(&d);
	return out;
}



static struct reg_registry *load_examples(void)
{
	char *dir = tu_src_path("examples/aegis");
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(reg_load_dir(r, dir, "schemas", &d), 0);
	ck_assert_msg(d.errors == 0, "examples refused");
	ck_assert_uint_eq(r->n, 5);
	diags_release(&d);
	free(dir);
	return r;
}

static void put(struct reg_registry *r, const char *name, const char *yaml)
{
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	char file[128];
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	ck_assert_int_eq(reg_schema_from_bytes(yaml, strlen(yaml), file, name, &s, &d), 0);
	if (d.errors) {
		char *t = render_diags(&d);
		ck_abort_msg("schema refused: %s", t);
	}
	diags_release(&d);
	ck_assert_int_eq(reg_register(r, s), 0);
}

/* How PostgreSQL's format_type() spells the seed's types. */
static const char *pg_spelling(const char *declared, char *buf, size_t n)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{ "UUID", "uuid" }, { "TEXT", "text" }, { "JSONB", "jsonb" }, { "DATE", "date" },
		{ "BOOLEAN", "boolean" }, { "INTEGER", "integer" }, { "INT", "integer" },
		{ "TIMESTAMP", "timestamp without time zone" }, { "BIGINT", "bigint" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].from, declared))
			return map[i].to;
	unsigned a, b;
	if (sscanf(declared, "VARCHAR(%u)", &a) == 1)
		snprintf(buf, n, "character varying(%u)", a);
	else if (sscanf(declared, "DECIMAL(%u,%u)", &a, &b) == 2)
		snprintf(buf, n, "numeric(%u,%u)", a, b);
	else
		snprintf(buf, n, "%s", declared);
	return buf;
}

/* How pg_get_expr() prints the seed's defaults: string constants get a cast. */
static const char *pg_default(const char *d, const char *pgtype, char *buf, size_t n)
{
	if (d && d[0] == '\'') {
		snprintf(buf, n, "%s::%s", d, pgtype);
		return buf;
	}
	return d;
}

/* A live model as PostgreSQL would report the registry after it was applied. */
static void live_from(const struct reg_registry *r, struct plan_live *l, bool created)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		struct plan_live_table *t = plan_live_add_table(l, s->name);
		struct plan_live_constraint *pk = NULL;
		char tbuf[128], dbuf[256], name[200];
		ck_assert_ptr_nonnull(t);
		t->rows = 1000;
		for (size_t c = 0; c < s->ncolumns; c++) {
			const struct reg_column *col = &s->columns[c];
			const char *pt = pg_spelling(col->type, tbuf, sizeof(tbuf));
			ck_assert_ptr_nonnull(plan_live_add_column(t, col->name, pt,
					pg_default(col->default_expr, pt, dbuf, sizeof(dbuf)),
					!col->nullable || col->primary_key));
			if (col->primary_key) {
				if (!pk) {
					snprintf(name, sizeof(name), "%s_pkey", s->name);
					pk = plan_live_add_constraint(t, name, PLAN_CON_PRIMARY);
				}
				reg_strlist_push(&pk->columns, col->name, NULL);
			}
			if (col->unique && !col->primary_key) {
				snprintf(name, sizeof(name), "%s_%s_key", s->name, col->name);
				struct plan_live_constraint *u =
					plan_live_add_constraint(t, name, PLAN_CON_UNIQUE);
				reg_strlist_push(&u->columns, col->name, NULL);
			}
		}
		for (size_t k = 0; k < s->nrefs; k++) {
			const struct reg_reference *ref = &s->refs[k];
			snprintf(name, sizeof(name), "%s_%s_fkey", s->name, ref->foreign_keys.items[0]);
			struct plan_live_constraint *f =
				plan_live_add_constraint(t, name, PLAN_CON_FOREIGN);
			f->ref_table = strdup(ref->schema);
			for (size_t j = 0; j < ref->foreign_keys.n; j++)
				reg_strlist_push(&f->columns, ref->foreign_keys.items[j], NULL);
			for (size_t j = 0; j < ref->columns.n; j++)
				reg_strlist_push(&f->ref_columns, ref->columns.items[j], NULL);
			f->on_delete = ref->on_delete;
			f->on_update = ref->on_update;
		}
		for (size_t k = 0; k < s->nindexes; k++) {
			struct plan_live_index *x = plan_live_add_index(t, s->indexes[k].name);
			x->unique = s->indexes[k].unique;
			x->simple = true;
			for (size_t j = 0; j < s->indexes[k].columns.n; j++)
				reg_strlist_push(&x->columns, s->indexes[k].columns.items[j], NULL);
		}
		if (created)
			ck_assert_int_eq(plan_live_add_created(l, s->name), 0);
	}
	plan_live_sort(l);
}

struct built {
	struct plan plan;
	struct diags diags;
	char *text;      /* plan_render */
	char *messages;  /* diags_render */
};

static void build(const struct reg_registry *r, const struct plan_live *l,
		  const struct plan_pending *p, struct built *b)
{
	struct plan_input in = { .reg = r, .live = l, .pending = p, .quote = &quoter };
	struct sbuf sb = SBUF_INIT;
	diags_init(&b->diags);
	ck_assert_int_eq(plan_build(&in, &b->plan, &b->diags), 0);
	ck_assert_int_eq(plan_render(&b->plan, &sb), 0);
	b->text = sbuf_detach(&sb, NULL);
	b->messages = render_diags(&b->diags);
}

static void built_release(struct built *b)
{
	plan_release(&b->plan);
	diags_release(&b->diags);
	free(b->text);
	free(b->messages);
}

static long step_of(const struct plan *p, enum plan_step_kind k, const char *schema)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->steps[i].kind == k && !strcmp(p->steps[i].schema, schema))
			return (long)i;
	return -1;
}

/* ---- sqlscript ---- */

/* The seed's schema_changes["policies"], as it sits in pending/policies.sql. */
static const char seed_policies[] =
	"ALTER TABLE policies \n"
	"ADD COLUMN priority INTEGER DEFAULT 0,\n"
	"ADD INDEX idx_policies_priority (priority);\n";
static const char seed_users[] =
	"ALTER TABLE users \n"
	"ADD COLUMN last_login_at TIMESTAMP NULL,\n"
	"ADD COLUMN login_count INTEGER DEFAULT 0;\n";

START_TEST(script_seed_mysql_add_index)
{
	size_t errors, n;
	char *out = check_script(seed_policies, &errors, &n);
	assert_has(out, "pending/x.sql:3:1: error: MySQL syntax: ADD INDEX is not "
			"PostgreSQL; use CREATE INDEX\n");
	ck_assert_uint_eq(errors, 1);
	free(out);
	/* the seed's own indentation: the error moves with the text */
	out = check_script("\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER "
			   "DEFAULT 0,\n        ADD INDEX idx_policies_priority (priority);\n",
			   &errors, &n);
	assert_has(out, "pending/x.sql:4:9: error: MySQL syntax: ADD INDEX is not "
			"PostgreSQL; use CREATE INDEX");
	free(out);
	out = check_script("alter table t add key k (a);", &errors, &n);
	assert_has(out, "pending/x.sql:1:15: error: MySQL syntax: ADD KEY is not "
			"PostgreSQL; use CREATE INDEX");
	free(out);
}
END_TEST

START_TEST(script_column_named_index_is_fine)
{
	size_t errors, n;
	char *out = check_script("ALTER TABLE t ADD COLUMN \"index\" integer, ADD COLUMN key text;",
				 &errors, &n);
	ck_assert_ptr_null(strstr(out, "MySQL"));
	ck_assert_uint_eq(errors, 0);
	free(out);
}
END_TEST

START_TEST(script_seed_users_is_clean)
{
	size_t errors, n;
	char *out = check_script(seed_users, &errors, &n);
	ck_assert_uint_eq(errors, 0);
	free(out);
	/* the fixed policies change */
	out = check_script("ALTER TABLE policies ADD COLUMN priority INTEGER DEFAULT 0;\n"
			   "CREATE INDEX idx_policies_priority ON policies (priority);\n",
			   &errors, &n);
	assert_has(out, "pending/x.sql:2:1: warning: CREATE INDEX 'idx_policies_priority' "
			"on existing table 'policies' without CONCURRENTLY blocks writes to it "
			"while the index builds; use CREATE INDEX CONCURRENTLY, outside a "
			"transaction\n");
	ck_assert_uint_eq(errors, 0);
	free(out);
}
END_TEST

START_TEST(script_syntax_errors_all_reported)
{
	size_t errors, n;
	/* columns count characters: the Korean comment must not shift them */
	char *out = parse_script("-- 사용자 변경\n"
				 "ALTER TABLE users ADD COLUMN x int NULL COMMENT '메모';\n"
				 "SELEC 1;\n"
				 "/* 주석 */ SELECT 'é' + ;\n",
				 &errors, &n);
	ck_assert_str_eq(out,
		"pending/x.sql:2:41: error: syntax error at or near \"COMMENT\" (MySQL syntax: "
		"column COMMENT is not PostgreSQL; use COMMENT ON COLUMN)\n"
		"pending/x.sql:3:1: error: syntax error at or near \"SELEC\"\n"
		"pending/x.sql:4:23: error: syntax error at end of input\n");
	ck_assert_uint_eq(errors, 3);
	free(out);
	out = parse_script("SELECT `a` FROM t;", &errors, &n);
	ck_assert_ptr_nonnull(strstr(out, "pending/x.sql:1:12: error: syntax error at or near "
					  "\"FROM\""));
	ck_assert_ptr_nonnull(strstr(out, "backticks"));
	free(out);
	out = parse_script("SELECT 'abc", &errors, &n);
	ck_assert_str_eq(out, "pending/x.sql:1:8: error: unterminated quoted string at or near "
			      "\"'abc\"\n");
	free(out);
}
END_TEST

START_TEST(script_outside_transaction_refused)
{
	size_t errors, n;
	char *out = check_script("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n"
				 "  VACUUM t;\n", &errors, &n);
	assert_has(out, "pending/x.sql:1:1: error: BEGIN in a script that runs inside a transaction");
	assert_has(out, "pending/x.sql:2:1: error: CREATE INDEX CONCURRENTLY cannot run inside "
			"a transaction block");
	assert_has(out, "pending/x.sql:3:1: error: ");
	assert_has(out, "pending/x.sql:4:3: error: VACUUM cannot run inside a transaction block");
	free(out);
	out = check_script("  -- nothing\n/* at all */\n", &errors, &n);
	ck_assert_str_eq(out, "pending/x.sql:1:1: error: no SQL statement in the file\n");
	free(out);
}
END_TEST

static bool only_users_exists(void *ctx, const char *t)
{
	(void)ctx;
	return !strcmp(t, "users");
}

START_TEST(script_lint)
{
	const char *text =
		"ALTER TABLE users ADD COLUMN y int NOT NULL, DROP COLUMN z,\n"
		"  ALTER COLUMN e TYPE text, ALTER COLUMN d SET NOT NULL;\n"
		"CREATE TABLE n (a int);\n"
		"CREATE INDEX i ON n (a);\n"
		"ALTER TABLE n ADD COLUMN b int NOT NULL;\n"
		"ALTER TABLE users ADD FOREIGN KEY (a) REFERENCES n (a);\n"
		"ALTER TABLE users ADD FOREIGN KEY (b) REFERENCES n (b) NOT VALID;\n"
		"ALTER TABLE users ADD COLUMN w int NOT NULL DEFAULT 0;\n"
		"DROP TABLE users;\n"
		"ALTER TABLE other DROP COLUMN q;\n";
	/* the splitter: statements and their places */
	struct diags d = DIAGS_INIT;
	struct sqlscript s;
	ck_assert_int_eq(sqlscript_check(text, strlen(text), "p.sql", &s, &d), 0);
	ck_assert_uint_eq(s.n, 9);
	ck_assert_uint_eq(s.stmts[0].loc.line, 1);
	ck_assert_uint_eq(s.stmts[1].loc.line, 3);
	ck_assert_uint_eq(s.stmts[1].loc.col, 1);
	ck_assert_uint_eq(s.stmts[2].loc.line, 4);
	ck_assert_uint_eq(d.n, 0);
	sqlscript_release(&s);
	/* the hazards, by lint, as a pending script's: only users exists */
	struct lint_options o;
	lint_options_init(&o);
	o.in_transaction = true;
	o.table_exists = only_users_exists;
	ck_assert_int_eq(lint_script(text, strlen(text), "p.sql", &o, &d), 0);
	char *out = render_diags(&d);
	static const char *const want[] = {
		"p.sql:1:30: warning: NOT NULL column 'users.y' added without a default fails if "
		"'users' has rows (rule adding-required-field)",
		"p.sql:1:1: warning: DROP COLUMN 'users.z' loses the column's data (rule "
		"ban-drop-column)",
		"p.sql:2:16: warning: changing the type of 'users.e' may rewrite 'users' and its "
		"indexes under ACCESS EXCLUSIVE (rule changing-column-type)",
		"p.sql:1:1: warning: SET NOT NULL on 'users.d' scans all of 'users' under ACCESS "
		"EXCLUSIVE (rule set-not-null)",
		"p.sql:6:23: warning: foreign key from 'users' to 'n' without NOT VALID",
		"p.sql:9:1: warning: DROP TABLE 'users' deletes the table and all its rows",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_has(out, want[i]);
	/* a new table, a NOT VALID key, a default, a table that does not exist */
	ck_assert_ptr_null(strstr(out, "p.sql:7:"));
	ck_assert_ptr_null(strstr(out, "'users.w' added without"));
	ck_assert_ptr_null(strstr(out, "CREATE INDEX 'i'"));
	ck_assert_ptr_null(strstr(out, "other.q"));
	ck_assert_uint_eq(d.errors, 0);
	free(out);
	diags_release(&d);
}
END_TEST

/* A ';' inside quotes, dollar quotes and comments does not end a statement. */
START_TEST(script_splitting)
{
	const char text[] = "SELECT ';' AS a; -- x; y\n"
			    "DO $body$ BEGIN PERFORM 1; END $body$;\n"
			    "SELECT E'\\';' /* ; /* nested; */ */, \"a;b\", $$;$$;\n"
			    "SELECT 1";
	struct diags d = DIAGS_INIT;
	struct sqlscript s;
	ck_assert_int_eq(sqlscript_check(text, strlen(text), "p.sql", &s, &d), 0);
	char *out = render_diags(&d);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_uint_eq(s.stmts[1].loc.line, 2);
	ck_assert_uint_eq(s.stmts[2].loc.line, 3);
	ck_assert_uint_eq(s.stmts[3].loc.line, 4);
	sqlscript_release(&s);
	diags_release(&d);
}
END_TEST

/* sqlcheck's canonical form of a default or type as a malloc'd copy, NULL
 * when the text is refused: what the planner compares declared and live
 * texts by. */
static char *canonical(const char *text, bool is_type)
{
	struct sqlcheck_result r;
	if (!text || (is_type ? sqlcheck_type(text, &r) : sqlcheck_expr(text, &r)) || !r.ok ||
	    !r.canonical)
		return NULL;
	return strdup(r.canonical);
}

static char *canonical_default(const char *text)
{
	return canonical(text, false);
}

static char *canonical_type(const char *text)
{
	return canonical(text, true);
}

/* Pending scripts are user input: no nesting depth may crash the process
 * (libpg_query recurses once per level). */
START_TEST(script_deep_input)
{
	size_t n = 200000;
	char *text = malloc(8 + 2 * n + 2);
	size_t k = (size_t)sprintf(text, "SELECT 1");
	for (size_t i = 0; i < n; i++)
		k += (size_t)sprintf(text + k, "+1");
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(sqlscript_check(text, k, "p.sql", NULL, &d), 0);
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_str_eq(d.items[0].message, "statement nested too deeply to check");
	diags_release(&d);
	/* and deep parentheses */
	k = (size_t)sprintf(text, "SELECT ");
	for (size_t i = 0; i < n / 2; i++)
		text[k++] = '(';
	text[k++] = '1';
	for (size_t i = 0; i < n / 2; i++)
		text[k++] = ')';
	text[k] = 0;
	ck_assert_int_eq(sqlscript_check(text, k, "p.sql", NULL, &d), 0);
	ck_assert_uint_eq(d.errors, 1);
	diags_release(&d);
	char *c = canonical_default(text + 7);
	free(c); /* refused or not, it returns */
	free(text);
}
END_TEST

START_TEST(script_positions)
{
	const char t[] = "ab\n한국x\ny";
	struct reg_loc l = text_loc(t, strlen(t), strlen("ab\n한국"), TEXT_BREAKS_LF);
	ck_assert_uint_eq(l.line, 2);
	ck_assert_uint_eq(l.col, 3);
	ck_assert_uint_eq(sqllex_char_offset(t, strlen(t), 6), strlen("ab\n한국"));
	ck_assert_uint_eq(sqllex_char_offset(t, strlen(t), 1), 0);
	ck_assert_uint_eq(sqllex_char_offset(t, strlen(t), 99), strlen(t));
}
END_TEST

/* ---- canonical comparison ---- */

START_TEST(canonical_defaults)
{
	static const char *const same[][2] = {
		{ "'PENDING'", "'PENDING'::character varying" },
		{ "CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP" },
		{ "0", "0" },
		{ "-1", "'-1'::integer" },
		{ "true", "true" },
		{ "0.00", "0.00" },
		{ "0", "'0'::numeric" },
		{ "'{}'", "'{}'::text[]" },
		{ "now() + interval '1 day'", "(now() + '1 day'::interval)" },
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *a = canonical_default(same[i][0]);
		char *b = canonical_default(same[i][1]);
		ck_assert_msg(a && b && !strcmp(a, b), "%s vs %s: %s / %s", same[i][0], same[i][1],
			      a, b);
		free(a);
		free(b);
	}
	static const char *const differ[][2] = {
		{ "now()", "CURRENT_TIMESTAMP" },
		{ "'a'", "'b'::text" },
		{ "1", "2" },
		{ "true", "false" },
	};
	for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		char *a = canonical_default(differ[i][0]);
		char *b = canonical_default(differ[i][1]);
		ck_assert_msg(a && b && strcmp(a, b), "%s vs %s", differ[i][0], differ[i][1]);
		free(a);
		free(b);
	}
	ck_assert_ptr_null(canonical_default("1; DROP TABLE users"));
	char *t = canonical_type("character varying(255)");
	ck_assert_str_eq(t, "varchar(255)");
	free(t);
	t = canonical_type("timestamp without time zone");
	ck_assert_str_eq(t, "timestamp");
	free(t);
}
END_TEST

/* ---- plans ---- */

START_TEST(plan_seed_on_empty_database)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct built b;
	build(r, &l, NULL, &b);
	/* nothing is an error; lint says what the seed's types and keys cost,
	 * at their YAML lines: email is unique and has a unique index too */
	ck_assert_uint_eq(b.diags.errors, 0);
	assert_has(b.messages, "schemas/users.yaml:55:11: warning: unique index idx_users_email "
			       "on 'users' (email) duplicates the unique index, which PostgreSQL "
			       "builds and maintains separately; keep one of them\n");
	ck_assert_ptr_null(strstr(b.messages, "without CONCURRENTLY"));
	/* every CREATE TABLE before every foreign key, tables in migration order */
	long last_create = -1, first_fk = (long)b.plan.n;
	for (size_t i = 0; i < b.plan.n; i++) {
		if (b.plan.steps[i].kind == PLAN_CREATE_TABLE)
			last_create = (long)i;
		if (b.plan.steps[i].kind == PLAN_ADD_FK && (long)i < first_fk)
			first_fk = (long)i;
	}
	ck_assert_int_lt(last_create, first_fk);
	ck_assert_int_eq(step_of(&b.plan, PLAN_CREATE_TABLE, "users"), 0);
	ck_assert_uint_eq(b.plan.created.n, 5);
	ck_assert_uint_eq(b.plan.touched.n, 5);
	long u = step_of(&b.plan, PLAN_CREATE_TABLE, "users");
	const struct plan_step *st = &b.plan.steps[u];
	ck_assert_str_eq(st->service, "user-service");
	ck_assert_uint_eq(st->deps.n, 0);
	ck_assert_ptr_nonnull(strstr(st->sql, "CREATE TABLE \"users\" (\n    \"id\" UUID,\n"));
	ck_assert_ptr_nonnull(strstr(st->sql, "\"email\" VARCHAR(255) NOT NULL"));
	ck_assert_ptr_nonnull(strstr(st->sql, "PRIMARY KEY (\"id\")"));
	ck_assert_ptr_nonnull(strstr(st->sql, "UNIQUE (\"email\")"));
	long p = step_of(&b.plan, PLAN_CREATE_TABLE, "policies");
	ck_assert_ptr_nonnull(strstr(b.plan.steps[p].sql,
				     "\"is_active\" BOOLEAN DEFAULT (true) NOT NULL"));
	ck_assert_uint_eq(b.plan.steps[p].deps.n, 1);
	ck_assert_str_eq(b.plan.steps[p].deps.items[0], "users");
	long fk = step_of(&b.plan, PLAN_ADD_FK, "policies");
	ck_assert_str_eq(b.plan.steps[fk].sql,
			 "ALTER TABLE \"policies\" ADD FOREIGN KEY (\"created_by\") REFERENCES "
			 "\"users\" (\"id\") ON DELETE RESTRICT ON UPDATE CASCADE;");
	ck_assert_int_ge(step_of(&b.plan, PLAN_CREATE_INDEX, "policies"), 0);
	/* the rendered file: header line, indented SQL, blank line */
	ck_assert_ptr_nonnull(strstr(b.text, "1\tuser-service\tusers\t-\tcreate table 'users'\n"
					     "\tCREATE TABLE \"users\" (\n"));
	ck_assert_ptr_nonnull(strstr(b.text, "\tpolicy-service\tpolicies\tusers\tcreate table "
					     "'policies'\n"));
	built_release(&b);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_nothing_when_live_matches)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct built b;
	live_from(r, &l, true);
	build(r, &l, NULL, &b);
	ck_assert_str_eq(b.messages, "");
	ck_assert_str_eq(b.text, "nothing to do\n");
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

static const char users_v2[] =
	"name: users\n"
	"owner: user-service\n"
	"columns:\n"
	"  - name: id\n"
	"    type: UUID\n"
	"    primary_key: true\n"
	"    nullable: false\n"
	"  - name: email\n"
	"    type: TEXT\n"                 /* was VARCHAR(255) */
	"    nullable: false\n"
	"    unique: true\n"
	"  - name: name\n"
	"    type: VARCHAR(100)\n"
	"    nullable: false\n"            /* was nullable */
	"  - name: status\n"
	"    type: VARCHAR(20)\n"
	"    default: \"'ACTIVE'\"\n"      /* was 'PENDING' */
	"  - name: profile_image_url\n"
	"    type: VARCHAR(500)\n"
	"  - name: tier\n"
	"    type: INTEGER\n"
	"    nullable: false\n";           /* new, NOT NULL, no default */

START_TEST(plan_alters_with_lint)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	put(r, "users", "name: users\nowner: user-service\ncolumns:\n"
			"  - {name: id, type: UUID, primary_key: true, nullable: false}\n"
			"  - {name: email, type: VARCHAR(255), nullable: false, unique: true}\n"
			"  - {name: name, type: VARCHAR(100)}\n"
			"  - {name: status, type: VARCHAR(20), default: \"'PENDING'\"}\n"
			"  - {name: legacy, type: TEXT}\n"
			"indexes:\n"
			"  - {name: idx_users_name, columns: [name]}\n");
	live_from(r, &l, true);
	reg_registry_free(r);
	r = reg_registry_new();
	put(r, "users", users_v2);
	build(r, &l, NULL, &b);
	/* the transactional phase, then what runs outside it (SET NOT NULL
	 * over a validated CHECK, the index dropped concurrently) */
	char *expect[] = {
		"ALTER TABLE \"users\" ALTER COLUMN \"email\" TYPE TEXT;",
		"ALTER TABLE \"users\" ADD CONSTRAINT \"users_name_not_null_check\" "
		"CHECK (\"name\" IS NOT NULL) NOT VALID;",
		"ALTER TABLE \"users\" ALTER COLUMN \"status\" SET DEFAULT 'ACTIVE';",
		"ALTER TABLE \"users\" ADD COLUMN \"profile_image_url\" VARCHAR(500);",
		"ALTER TABLE \"users\" ADD COLUMN \"tier\" INTEGER NOT NULL;",
		"ALTER TABLE \"users\" DROP COLUMN \"legacy\";",
		"DROP INDEX CONCURRENTLY IF EXISTS \"idx_users_name\";",
		"ALTER TABLE \"users\" VALIDATE CONSTRAINT \"users_name_not_null_check\";",
		"ALTER TABLE \"users\" ALTER COLUMN \"name\" SET NOT NULL;",
		"ALTER TABLE \"users\" DROP CONSTRAINT IF EXISTS \"users_name_not_null_check\";",
	};
	ck_assert_uint_eq(b.plan.n, sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < b.plan.n; i++) {
		ck_assert_str_eq(b.plan.steps[i].sql, expect[i]);
		ck_assert(b.plan.steps[i].outside_tx == (i >= 6));
	}
	ck_assert(b.plan.steps[5].destructive);
	ck_assert(!b.plan.steps[4].destructive);
	/* SET NOT NULL goes through a validated CHECK: no warning for it */
	ck_assert_ptr_null(strstr(b.messages, "SET NOT NULL on"));
	static const char *const want[] = {
		"schemas/users.yaml:9:11: warning: changing the type of 'users.email' may rewrite "
		"'users' and its indexes under ACCESS EXCLUSIVE; ",
		"schemas/users.yaml:20:5: warning: NOT NULL column 'users.tier' added without a "
		"default fails if 'users' has rows; ",
		"schemas/users.yaml:4:3: warning: DROP COLUMN 'users.legacy' loses the column's data; ",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_has(b.messages, want[i]);
	ck_assert_uint_eq(b.diags.errors, 0);
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_foreign_keys_and_indexes_change)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct built b;
	live_from(r, &l, true);
	/* the live policies FK says CASCADE instead of RESTRICT, and an index
	 * is on the wrong column; an extra hand-made index exists */
	struct plan_live_table *t = plan_live_find(&l, "policies");
	for (size_t i = 0; i < t->ncons; i++)
		if (t->cons[i].kind == PLAN_CON_FOREIGN)
			t->cons[i].on_delete = REG_FK_CASCADE;
	for (size_t i = 0; i < t->nindexes; i++)
		if (!strcmp(t->indexes[i].name, "idx_policies_category"))
			t->indexes[i].unique = true;
	plan_live_add_index(t, "by_hand")->simple = true;
	build(r, &l, NULL, &b);
	/* the live table gets the forms without long locks: the foreign key
	 * NOT VALID in the transaction, then outside it the index drops and
	 * build CONCURRENTLY and the VALIDATE */
	ck_assert_uint_eq(b.plan.n, 6);
	ck_assert_str_eq(b.plan.steps[0].sql,
			 "ALTER TABLE \"policies\" DROP CONSTRAINT \"policies_created_by_fkey\";");
	ck_assert_int_eq(b.plan.steps[0].kind, PLAN_DROP_FK);
	ck_assert_int_eq(b.plan.steps[1].kind, PLAN_ADD_FK);
	ck_assert_str_eq(b.plan.steps[1].sql,
			 "ALTER TABLE \"policies\" ADD CONSTRAINT \"policies_created_by_fkey\" "
			 "FOREIGN KEY (\"created_by\") REFERENCES \"users\" (\"id\") "
			 "ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID;");
	ck_assert(!b.plan.steps[1].outside_tx);
	ck_assert_str_eq(b.plan.steps[2].sql,
			 "DROP INDEX CONCURRENTLY IF EXISTS \"idx_policies_category\";");
	ck_assert_str_eq(b.plan.steps[3].sql, "DROP INDEX CONCURRENTLY IF EXISTS \"by_hand\";");
	ck_assert_str_eq(b.plan.steps[4].sql, "CREATE INDEX CONCURRENTLY \"idx_policies_category\" "
					      "ON \"policies\" (\"category\");");
	ck_assert_str_eq(b.plan.steps[4].index, "idx_policies_category");
	ck_assert_str_eq(b.plan.steps[5].sql, "ALTER TABLE \"policies\" VALIDATE CONSTRAINT "
					      "\"policies_created_by_fkey\";");
	for (size_t i = 2; i < 6; i++)
		ck_assert(b.plan.steps[i].outside_tx);
	/* nothing left to warn about: these forms take no long lock */
	ck_assert_ptr_null(strstr(b.messages, "without CONCURRENTLY"));
	ck_assert_ptr_null(strstr(b.messages, "without NOT VALID"));
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

/* A live table gets keys from concurrently built indexes (USING INDEX); a
 * new table the plain forms, all in the transaction. */
START_TEST(plan_safe_forms_for_live_tables)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	put(r, "t", "name: t\nowner: s\ncolumns:\n  - {name: id, type: INT, nullable: false}\n"
		    "  - {name: email, type: TEXT}\n");
	live_from(r, &l, true);
	reg_registry_free(r);
	r = reg_registry_new();
	put(r, "t", "name: t\nowner: s\ncolumns:\n"
		    "  - {name: id, type: INT, nullable: false, primary_key: true}\n"
		    "  - {name: email, type: TEXT, unique: true}\n"
		    "indexes:\n  - {name: t_by_email, columns: [email]}\n");
	put(r, "n", "name: n\nowner: s\ncolumns:\n  - {name: id, type: INT, primary_key: true}\n"
		    "  - {name: t_id, type: INT}\nindexes:\n  - {name: n_t, columns: [t_id]}\n"
		    "references:\n  - {schema: t, column: id, foreign_key: t_id}\n");
	build(r, &l, NULL, &b);
	char *expect[] = {
		"CREATE UNIQUE INDEX CONCURRENTLY \"t_pkey\" ON \"t\" (\"id\");",
		"ALTER TABLE \"t\" ADD CONSTRAINT \"t_pkey\" PRIMARY KEY USING INDEX \"t_pkey\";",
		"CREATE UNIQUE INDEX CONCURRENTLY \"t_email_key\" ON \"t\" (\"email\");",
		"ALTER TABLE \"t\" ADD CONSTRAINT \"t_email_key\" UNIQUE USING INDEX "
		"\"t_email_key\";",
		"CREATE INDEX CONCURRENTLY \"t_by_email\" ON \"t\" (\"email\");",
	};
	size_t nx = sizeof(expect) / sizeof(expect[0]), first = b.plan.n - nx;
	ck_assert_uint_ge(b.plan.n, nx);
	for (size_t i = 0; i < nx; i++) {
		ck_assert_str_eq(b.plan.steps[first + i].sql, expect[i]);
		ck_assert(b.plan.steps[first + i].outside_tx);
	}
	ck_assert_str_eq(b.plan.steps[first].index, "t_pkey");
	ck_assert_ptr_null(b.plan.steps[first + 1].index);
	/* the new table: plain forms, inside the transaction */
	for (size_t i = 0; i < first; i++) {
		ck_assert(!b.plan.steps[i].outside_tx);
		ck_assert_ptr_null(strstr(b.plan.steps[i].sql, "CONCURRENTLY"));
		ck_assert_ptr_null(strstr(b.plan.steps[i].sql, "NOT VALID"));
	}
	ck_assert_int_ge(step_of(&b.plan, PLAN_CREATE_TABLE, "n"), 0);
	ck_assert_str_eq(b.plan.steps[step_of(&b.plan, PLAN_CREATE_INDEX, "n")].sql,
			 "CREATE INDEX \"n_t\" ON \"n\" (\"t_id\");");
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

/* renamed_from: RENAME instead of drop + add when the live table has the
 * old name and not the new one; nothing when both or neither exist. */
START_TEST(plan_renames)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	put(r, "clients", "name: clients\nowner: s\ncolumns:\n"
			  "  - {name: id, type: INT, primary_key: true}\n"
			  "  - {name: name, type: TEXT}\n");
	live_from(r, &l, true);
	reg_registry_free(r);
	r = reg_registry_new();
	put(r, "customers", "name: customers\nowner: s\nrenamed_from: clients\ncolumns:\n"
			    "  - {name: id, type: INT, primary_key: true}\n"
			    "  - {name: full_name, type: TEXT, renamed_from: name}\n");
	build(r, &l, NULL, &b);
	/* no data lost, but every reader of the old names breaks: lint says so */
	assert_has(b.messages, "schemas/customers.yaml:1:7: warning: renaming table 'clients' to "
			       "'customers' breaks every query that uses the old name");
	assert_has(b.messages, "renaming column 'customers.name' to 'full_name'");
	ck_assert_uint_eq(b.diags.errors, 0);
	ck_assert_uint_eq(b.plan.n, 2);
	ck_assert_int_eq(b.plan.steps[0].kind, PLAN_RENAME_TABLE);
	ck_assert_str_eq(b.plan.steps[0].sql, "ALTER TABLE \"clients\" RENAME TO \"customers\";");
	ck_assert_int_eq(b.plan.steps[1].kind, PLAN_RENAME_COLUMN);
	ck_assert_str_eq(b.plan.steps[1].sql,
			 "ALTER TABLE \"customers\" RENAME COLUMN \"name\" TO \"full_name\";");
	ck_assert_uint_eq(b.plan.dropped.n, 0);
	ck_assert_uint_eq(b.plan.created.n, 0);
	built_release(&b);
	/* once renamed, the key changes nothing */
	plan_live_release(&l);
	memset(&l, 0, sizeof(l));
	live_from(r, &l, true);
	build(r, &l, NULL, &b);
	ck_assert_str_eq(b.text, "nothing to do\n");
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_drops_only_tables_it_created)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct built b;
	live_from(r, &l, true);
	plan_live_release(&l);
	memset(&l, 0, sizeof(l));
	live_from(r, &l, true);
	/* two tables the user never registered, one of them made by schemafs */
	plan_live_add_table(&l, "zz_by_hand");
	ck_assert_int_eq(reg_unregister(r, "notifications"), 0);
	plan_live_sort(&l);
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.plan.n, 2);
	ck_assert_int_eq(b.plan.steps[0].kind, PLAN_DROP_FK);
	ck_assert_str_eq(b.plan.steps[1].sql, "DROP TABLE \"notifications\";");
	ck_assert(b.plan.steps[1].destructive);
	assert_has(b.messages, "schemas/notifications.yaml: warning: DROP TABLE "
			       "'notifications' deletes the table and all its rows; ");
	ck_assert_uint_eq(b.diags.errors, 0);
	ck_assert_uint_eq(b.plan.dropped.n, 1);
	built_release(&b);
	/* no_drop_tables: never */
	struct plan_input in = { .reg = r, .live = &l, .quote = &quoter, .no_drop_tables = true };
	struct plan p;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(plan_build(&in, &p, &d), 0);
	ck_assert_uint_eq(p.n, 0);
	plan_release(&p);
	diags_release(&d);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_cycle_creates_then_links)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	put(r, "a", "name: a\nowner: s1\ncolumns:\n  - {name: id, type: INT, primary_key: true}\n"
		    "  - {name: b_id, type: INT}\nreferences:\n"
		    "  - {schema: b, column: id, foreign_key: b_id}\n");
	put(r, "b", "name: b\nowner: s2\ncolumns:\n  - {name: id, type: INT, primary_key: true}\n"
		    "  - {name: a_id, type: INT}\nreferences:\n"
		    "  - {schema: a, column: id, foreign_key: a_id}\n");
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.plan.n, 4);
	ck_assert_int_eq(b.plan.steps[0].kind, PLAN_CREATE_TABLE);
	ck_assert_int_eq(b.plan.steps[1].kind, PLAN_CREATE_TABLE);
	ck_assert_int_eq(b.plan.steps[2].kind, PLAN_ADD_FK);
	ck_assert_int_eq(b.plan.steps[3].kind, PLAN_ADD_FK);
	ck_assert_str_eq(b.plan.steps[2].sql, "ALTER TABLE \"a\" ADD FOREIGN KEY (\"b_id\") "
					      "REFERENCES \"b\" (\"id\");");
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_pending_replaces_generated)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct plan_pending p = { 0 };
	struct built b;
	live_from(r, &l, true);
	/* users.yaml gained two columns; policies too; both have pending scripts */
	reg_unregister(r, "users");
	put(r, "users", "name: users\nowner: user-service\ncolumns:\n"
			"  - {name: id, type: UUID, primary_key: true, nullable: false}\n"
			"  - {name: last_login_at, type: TIMESTAMP}\n"
			"  - {name: login_count, type: INTEGER, default: '0'}\n");
	ck_assert_int_eq(plan_pending_add(&p, "users", "migrations/pending/users.sql", seed_users,
					  strlen(seed_users)), 0);
	ck_assert_int_eq(plan_pending_add(&p, "policies", "migrations/pending/policies.sql",
					  seed_policies, strlen(seed_policies)), 0);
	ck_assert_int_eq(plan_pending_add(&p, "ghost", "migrations/pending/ghost.sql", "SELECT 1;",
					  9), 0);
	build(r, &l, &p, &b);
	assert_has(b.messages,
		"migrations/pending/ghost.sql: error: no schema 'ghost' is registered for this "
		"pending script\n");
	assert_has(b.messages, "migrations/pending/policies.sql:3:1: error: MySQL syntax: ADD INDEX "
			       "is not PostgreSQL; use CREATE INDEX\n");
	ck_assert_uint_eq(b.diags.errors, 2);
	/* users: only the script, not the generated ADD/DROP COLUMNs */
	ck_assert_int_eq(step_of(&b.plan, PLAN_ADD_COLUMN, "users"), -1);
	ck_assert_int_eq(step_of(&b.plan, PLAN_DROP_COLUMN, "users"), -1);
	long s = step_of(&b.plan, PLAN_PENDING, "users");
	ck_assert_int_ge(s, 0);
	ck_assert_str_eq(b.plan.steps[s].sql, seed_users);
	ck_assert_str_eq(b.plan.steps[s].what, "migrations/pending/users.sql");
	ck_assert_int_lt(s, step_of(&b.plan, PLAN_PENDING, "policies"));
	built_release(&b);
	plan_pending_release(&p);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_quotes_every_identifier)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	/* reserved words are valid lower-case names and must be quoted */
	put(r, "order", "name: order\nowner: shop\ncolumns:\n"
			"  - {name: select, type: INT, primary_key: true}\n"
			"  - {name: user, type: TEXT}\n"
			"indexes:\n  - {name: from, columns: [user]}\n");
	quote_calls = 0;
	build(r, &l, NULL, &b);
	ck_assert_str_eq(b.plan.steps[0].sql, "CREATE TABLE \"order\" (\n    \"select\" INT,\n"
					      "    \"user\" TEXT,\n    PRIMARY KEY (\"select\")\n);");
	ck_assert_str_eq(b.plan.steps[1].sql, "CREATE INDEX \"from\" ON \"order\" (\"user\");");
	ck_assert_int_ge(quote_calls, 7);
	built_release(&b);
	reg_registry_free(r);
}
END_TEST

/* A schema that never passed validation (built through the C API): the
 * plan must neither splice its type nor its default, and every name goes
 * through the quoter. */
START_TEST(plan_hostile_schema)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	struct reg_schema *s = reg_schema_new();
	s->name = strdup("evil\"; DROP TABLE users; --");
	s->owner = strdup("mallory");
	s->version = strdup("1.0.0");
	s->columns = calloc(2, sizeof(*s->columns));
	s->ncolumns = 2;
	s->columns[0] = (struct reg_column){ .name = strdup("a\"b"), .type = strdup("INT"),
					     .nullable = true };
	s->columns[1] = (struct reg_column){ .name = strdup("c"), .type = strdup("INT"),
					     .default_expr = strdup("0); DROP TABLE users; --"),
					     .nullable = true };
	ck_assert_int_eq(reg_register(r, s), 0);
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.plan.n, 0);
	ck_assert_uint_eq(b.diags.errors, 1);
	ck_assert_ptr_nonnull(strstr(b.messages, "default '0); DROP TABLE users; --' of column 'c' "
						 "is not a valid PostgreSQL expression"));
	built_release(&b);
	/* a type that is two statements */
	struct reg_column *c = &r->schemas[0]->columns[1];
	free(c->default_expr);
	c->default_expr = NULL;
	free(c->type);
	c->type = strdup("INT; DROP TABLE users");
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.plan.n, 0);
	ck_assert_ptr_nonnull(strstr(b.messages, "type 'INT; DROP TABLE users' of column 'c' is "
						 "not a valid PostgreSQL type"));
	built_release(&b);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_quoted_names)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct built b;
	struct reg_schema *s = reg_schema_new();
	s->name = strdup("we\"ird");
	s->owner = strdup("x");
	s->version = strdup("1.0.0");
	s->columns = calloc(1, sizeof(*s->columns));
	s->ncolumns = 1;
	s->columns[0] = (struct reg_column){ .name = strdup("a\"b"), .type = strdup("INT"),
					     .nullable = true };
	ck_assert_int_eq(reg_register(r, s), 0);
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.plan.n, 1);
	ck_assert_str_eq(b.plan.steps[0].sql, "CREATE TABLE \"we\"\"ird\" (\n    \"a\"\"b\" INT\n);");
	built_release(&b);
	reg_registry_free(r);
}
END_TEST

START_TEST(plan_only_and_reserved)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	const char *only[] = { "policies" };
	struct plan_input in = { .reg = r, .live = &l, .quote = &quoter, .only = only, .nonly = 1 };
	struct plan p;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(plan_build(&in, &p, &d), 0);
	ck_assert_uint_eq(p.touched.n, 1);
	ck_assert_str_eq(p.touched.items[0], "policies");
	plan_release(&p);
	diags_release(&d);
	put(r, "schemafs_migrations", "name: schemafs_migrations\nowner: x\ncolumns:\n"
				      "  - {name: id, type: INT}\n");
	struct built b;
	build(r, &l, NULL, &b);
	ck_assert_ptr_nonnull(strstr(b.messages, "schemas/schemafs_migrations.yaml:1:7: error: "
						 "table name 'schemafs_migrations' is reserved"));
	built_release(&b);
	reg_registry_free(r);
}
END_TEST

/* owners and names reach tab-separated lines: escaped, never a forged step */
START_TEST(plan_render_escapes_lines)
{
	struct plan_step st = { .schema = "users", .service = "svc\n2\tfake-service",
				.sql = "SELECT 1;", .what = "add column 'a\tb'" };
	struct plan p = { .steps = &st, .n = 1 };
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(plan_render(&p, &sb), 0);
	ck_assert_str_eq(sb.buf, "1\tsvc\\n2\\tfake-service\tusers\t-\tadd column 'a\\tb'\n"
				 "\tSELECT 1;\n\n");
	sbuf_release(&sb);
}
END_TEST

START_TEST(plan_impact_report)
{
	struct reg_registry *r = load_examples();
	struct plan_live l = { 0 };
	struct built b;
	live_from(r, &l, true);
	/* the seed's section 5.2: a column added to users.yaml */
	char *path = tu_src_path("examples/aegis/users.yaml");
	char *yaml = tu_read_file(path, NULL);
	ck_assert_ptr_nonnull(yaml);
	char *refs = strstr(yaml, "\nreferences:");
	ck_assert_ptr_nonnull(refs);
	struct sbuf v2 = SBUF_INIT;
	sbuf_add(&v2, yaml, (size_t)(refs - yaml) + 1);
	sbuf_adds(&v2, "  - name: profile_image_url\n    type: VARCHAR(500)\n    nullable: true\n"
		       "    description: 프로필 이미지 URL\n");
	sbuf_adds(&v2, refs);
	reg_unregister(r, "users");
	put(r, "users", v2.buf);
	sbuf_release(&v2);
	free(yaml);
	free(path);
	build(r, &l, NULL, &b);
	ck_assert_uint_eq(b.diags.errors, 0); /* lint's warnings only */
	ck_assert_str_eq(b.text, "1\tuser-service\tusers\t-\tadd column 'profile_image_url'\n"
				 "\tALTER TABLE \"users\" ADD COLUMN \"profile_image_url\" "
				 "VARCHAR(500);\n\n");
	struct sbuf out = SBUF_INIT;
	ck_assert_int_eq(plan_render_impact(&b.plan, r, &out), 0);
	ck_assert_str_eq(out.buf, "affected services: 5\n"
				  "\tapplication-service\n\taudit-service\n\tnotification-service\n"
				  "\tpolicy-service\n\tuser-service\n"
				  "schemas: 1\nsteps: 1\n\n"
				  "schema\towner\tsteps\tdependent services\n"
				  "users\tuser-service\t1\tapplication-service,audit-service,"
				  "notification-service,"
				  "policy-service\n");
	sbuf_reset(&out);
	ck_assert_int_eq(plan_render_json(&b.plan, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "\"kind\": \"add column\", \"service\": "
					      "\"user-service\", \"schema\": \"users\""));
	sbuf_release(&out);
	built_release(&b);
	plan_live_release(&l);
	reg_registry_free(r);
}
END_TEST


/* ---- lint on generated steps: one case per rule a YAML change makes ---- */

/* The live side of the lint cases: t (id bigint primary key, name text,
 * code text NOT NULL, index t_name on name) and p (id), both made by
 * schemafs. */
static void lint_live(struct plan_live *l, bool pk)
{
	struct plan_live_table *t = plan_live_add_table(l, "t");
	plan_live_add_column(t, "id", "bigint", NULL, true);
	plan_live_add_column(t, "name", "text", NULL, false);
	plan_live_add_column(t, "code", "text", NULL, true);
	if (pk) {
		struct plan_live_constraint *c = plan_live_add_constraint(t, "t_pkey", PLAN_CON_PRIMARY);
		reg_strlist_push(&c->columns, "id", NULL);
		struct plan_live_index *x = plan_live_add_index(t, "t_pkey");
		reg_strlist_push(&x->columns, "id", NULL);
		x->unique = x->backs_constraint = x->simple = true;
	}
	struct plan_live_index *x = plan_live_add_index(t, "t_name");
	reg_strlist_push(&x->columns, "name", NULL);
	x->simple = true;
	struct plan_live_table *pt = plan_live_add_table(l, "p");
	plan_live_add_column(pt, "id", "bigint", NULL, true);
	struct plan_live_constraint *c = plan_live_add_constraint(pt, "p_pkey", PLAN_CON_PRIMARY);
	reg_strlist_push(&c->columns, "id", NULL);
	plan_live_add_created(l, "t");
	plan_live_add_created(l, "p");
	plan_live_sort(l);
}

#define T_HEAD "name: t\nowner: o\ncolumns:\n" \
	       "  - {name: id, type: BIGINT, primary_key: true, nullable: false}\n"
#define T_NAME "  - {name: name, type: TEXT}\n"
#define T_CODE "  - {name: code, type: TEXT, nullable: false}\n"
#define T_IDX "indexes:\n  - {name: t_name, columns: [name]}\n"
#define T_BASE T_HEAD T_NAME T_CODE T_IDX
#define P_YAML "name: p\nowner: o\ncolumns:\n  - {name: id, type: BIGINT, primary_key: true}\n"

static const struct lint_case {
	const char *rule;
	const char *yaml;       /* schemas/t.yaml */
	unsigned line;          /* where the finding must be */
	const char *quiet;      /* a t.yaml that does not trigger it */
	const char *safe_form;  /* a step with this text is the safe form: no finding */
	int pg;
	bool no_pk;             /* the live t has no primary key */
	const char *q_yaml;     /* also register q (a new table) */
} lint_cases[] = {
	{ "require-concurrent-index-creation",
	  T_BASE "  - {name: t_code, columns: [code]}\n", 9, T_BASE, "CONCURRENTLY", 0, false, NULL },
	{ "require-concurrent-index-deletion", T_HEAD T_NAME T_CODE, 1, T_BASE, "CONCURRENTLY", 0,
	  false, NULL },
	{ "disallowed-unique-constraint",
	  T_HEAD T_NAME "  - {name: code, type: TEXT, nullable: false, unique: true}\n" T_IDX, 6,
	  T_BASE, "USING INDEX", 0, false, NULL },
	{ "adding-primary-key-constraint", T_BASE, 4, NULL, "USING INDEX", 0, true, NULL },
	{ "set-not-null", T_HEAD "  - {name: name, type: TEXT, nullable: false}\n" T_CODE T_IDX, 5,
	  T_BASE, "CHECK", 0, false, NULL },
	{ "ban-drop-not-null", T_HEAD T_NAME "  - {name: code, type: TEXT}\n" T_IDX, 6, T_BASE,
	  NULL, 0, false, NULL },
	{ "changing-column-type", T_HEAD "  - {name: name, type: VARCHAR(20)}\n" T_CODE T_IDX, 5,
	  T_BASE, NULL, 0, false, NULL },
	{ "volatile-default", T_HEAD T_NAME T_CODE
	  "  - {name: token, type: UUID, default: gen_random_uuid()}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: token, type: UUID}\n" T_IDX, NULL, 0, false, NULL },
	{ "adding-field-with-default", T_HEAD T_NAME T_CODE
	  "  - {name: f, type: TEXT, default: \"'x'\"}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: f, type: TEXT}\n" T_IDX, NULL, 100000, false, NULL },
	{ "adding-required-field", T_HEAD T_NAME T_CODE
	  "  - {name: n2, type: TEXT, nullable: false}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: n2, type: TEXT, nullable: false, default: \"''\"}\n"
	  T_IDX, NULL, 0, false, NULL },
	{ "ban-drop-column", T_HEAD T_NAME T_IDX, 4, T_BASE, NULL, 0, false, NULL },
	{ "ban-char-field", T_HEAD T_NAME T_CODE "  - {name: c, type: CHAR(3)}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: c, type: TEXT}\n" T_IDX, NULL, 0, false, NULL },
	{ "prefer-timestamptz", T_HEAD T_NAME T_CODE "  - {name: at, type: TIMESTAMP}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: at, type: TIMESTAMPTZ}\n" T_IDX, NULL, 0, false, NULL },
	{ "prefer-bigint-over-int", T_HEAD T_NAME T_CODE "  - {name: k, type: INTEGER}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: k, type: BIGINT}\n" T_IDX, NULL, 0, false, NULL },
	{ "prefer-bigint-over-smallint", T_HEAD T_NAME T_CODE "  - {name: k, type: SMALLINT}\n"
	  T_IDX, 7, T_HEAD T_NAME T_CODE "  - {name: k, type: BIGINT}\n" T_IDX, NULL, 0, false,
	  NULL },
	{ "prefer-identity", T_HEAD T_NAME T_CODE "  - {name: k, type: BIGSERIAL}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: k, type: BIGINT}\n" T_IDX, NULL, 0, false, NULL },
	{ "prefer-text-field", T_HEAD T_NAME T_CODE "  - {name: v, type: VARCHAR(9)}\n" T_IDX, 7,
	  T_HEAD T_NAME T_CODE "  - {name: v, type: TEXT}\n" T_IDX, NULL, 0, false, NULL },
	{ "adding-foreign-key-constraint", T_HEAD T_NAME T_CODE "  - {name: pid, type: BIGINT}\n"
	  "references:\n  - {schema: p, column: id, foreign_key: pid}\n" T_IDX, 9,
	  T_HEAD T_NAME T_CODE "  - {name: pid, type: BIGINT}\n" T_IDX, "NOT VALID", 0, false,
	  NULL },
	/* q is new: a CREATE TABLE and its keys */
	{ "duplicate-index", T_BASE, 7, T_BASE, NULL, 0, false,
	  "name: q\nowner: o\ncolumns:\n  - {name: id, type: BIGINT, primary_key: true}\n"
	  "  - {name: e, type: TEXT, unique: true}\nindexes:\n"
	  "  - {name: q_e, columns: [e], unique: true}\n" },
	{ "foreign-key-without-index", T_BASE, 7, T_BASE, NULL, 0, false,
	  "name: q\nowner: o\ncolumns:\n  - {name: id, type: BIGINT, primary_key: true}\n"
	  "  - {name: pid, type: BIGINT}\nreferences:\n  - {schema: p, column: id, foreign_key: pid}\n" },
};

/* The findings of rule in the plan for t.yaml (and q.yaml): "" when none,
 * else the first one's "file:line" and whether some step has safe_form. */
static char *lint_case_run(const struct lint_case *c, const char *yaml, bool *safe)
{
	struct reg_registry *r = reg_registry_new();
	struct plan_live l = { 0 };
	struct plan p;
	struct diags d = DIAGS_INIT;
	/* every other rule off: whatever is found is this rule's */
	int rule = lint_rule_find(c->rule);
	ck_assert_int_ge(rule, 0);
	r->meta.lint = calloc(LINT_NRULES, sizeof(*r->meta.lint));
	for (int i = 0; i < LINT_NRULES; i++)
		if (i != rule)
			r->meta.lint[r->meta.nlint++] = (struct reg_lint_level){ i, LINT_LEVEL_OFF,
										 { 0, 0 } };
	lint_live(&l, !c->no_pk);
	put(r, "t", yaml);
	put(r, "p", P_YAML);
	if (c->q_yaml)
		put(r, "q", c->q_yaml);
	struct plan_input in = { .reg = r, .live = &l, .quote = &quoter, .pg_version = c->pg };
	ck_assert_int_eq(plan_build(&in, &p, &d), 0);
	*safe = false;
	for (size_t i = 0; c->safe_form && i < p.n; i++)
		*safe |= strstr(p.steps[i].sql, c->safe_form) != NULL;
	char *got = strdup("");
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.items[i].file, "schemas/p.yaml")) {
			free(got);
			ck_assert_int_ge(asprintf(&got, "%s:%u", d.items[i].file, d.items[i].loc.line),
					 0);
			break;
		}
	diags_release(&d);
	plan_release(&p);
	plan_live_release(&l);
	reg_registry_free(r);
	return got;
}

START_TEST(plan_lint_per_rule)
{
	const struct lint_case *c = &lint_cases[_i];
	bool safe;
	char *got = lint_case_run(c, c->yaml, &safe);
	char want[128];
	snprintf(want, sizeof(want), "schemas/%s.yaml:%u", c->q_yaml ? "q" : "t", c->line);
	if (safe) /* the plan took the safe form: the rule has nothing to say */
		ck_assert_msg(!*got, "%s: safe form, yet %s", c->rule, got);
	else
		ck_assert_msg(!strcmp(got, want), "%s: want %s, got '%s'", c->rule, want, got);
	free(got);
	if (c->quiet && !c->q_yaml) {
		got = lint_case_run(c, c->quiet, &safe);
		ck_assert_msg(!*got, "%s: the quiet form is flagged at %s", c->rule, got);
		free(got);
	}
}
END_TEST

/* lint_ignore on the column silences its rules there, and only there. */
START_TEST(plan_lint_yaml_ignore)
{
	struct lint_case c = lint_cases[13]; /* prefer-bigint-over-int */
	ck_assert_str_eq(c.rule, "prefer-bigint-over-int");
	bool safe;
	char *got = lint_case_run(&c, T_HEAD T_NAME T_CODE
				  "  - {name: k, type: INTEGER, lint_ignore: [prefer-bigint-over-int]}\n"
				  T_IDX, &safe);
	ck_assert_str_eq(got, "");
	free(got);
	got = lint_case_run(&c, T_HEAD T_NAME T_CODE
			    "  - {name: k, type: INTEGER, lint_ignore: ban-char-field}\n" T_IDX, &safe);
	ck_assert_str_eq(got, "schemas/t.yaml:7");
	free(got);
	/* an unknown rule is a located error with the nearest name */
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	const char *bad = T_HEAD "  - {name: k, type: TEXT, lint_ignore: [prefer-bigint-over-itn]}\n";
	reg_schema_from_bytes(bad, strlen(bad), "schemas/t.yaml", "t", &s, &d);
	char *out = render_diags(&d);
	assert_has(out, "schemas/t.yaml:5:41: error: unknown lint rule 'prefer-bigint-over-itn' in "
			"'lint_ignore' (did you mean 'prefer-bigint-over-int'?)");
	free(out);
	diags_release(&d);
	reg_schema_free(s);
}
END_TEST

/* registry.yaml's lint: levels apply to the plan's findings. */
START_TEST(plan_lint_levels_from_registry)
{
	const char *meta = "name: x\nlint:\n  prefer-bigint-over-int: off\n"
			   "  ban-drop-column: error\n  strict: true\n";
	struct reg_meta m;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(schemafile_parse_meta(meta, strlen(meta), "registry.yaml", &m, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	ck_assert_uint_eq(m.nlint, 2);
	ck_assert(m.lint_strict);
	/* it survives a round trip through the emitter */
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit_meta(&m, &sb), 0);
	assert_has(sb.buf, "lint:\n  prefer-bigint-over-int: \"off\"\n  ban-drop-column: error\n"
			   "  strict: true\n");
	sbuf_release(&sb);
	struct reg_registry *r = reg_registry_new();
	reg_set_meta(r, &m);
	struct plan_live l = { 0 };
	lint_live(&l, true);
	put(r, "t", T_HEAD T_NAME "  - {name: k, type: INTEGER}\n" T_IDX);
	put(r, "p", P_YAML);
	struct plan p;
	struct plan_input in = { .reg = r, .live = &l, .quote = &quoter };
	ck_assert_int_eq(plan_build(&in, &p, &d), 0);
	char *out = render_diags(&d);
	ck_assert_ptr_null(strstr(out, "is integer"));
	assert_has(out, "schemas/t.yaml:4:3: error: DROP COLUMN 't.code'");
	ck_assert_uint_eq(d.errors, 1);
	free(out);
	diags_release(&d);
	plan_release(&p);
	plan_live_release(&l);
	reg_registry_free(r);
	/* an unknown rule, a bad level */
	meta = "lint:\n  ban-drop-colum: off\n  ban-drop-table: loud\n";
	ck_assert_int_ne(schemafile_parse_meta(meta, strlen(meta), "registry.yaml", &m, &d), 0);
	out = render_diags(&d);
	assert_has(out, "registry.yaml:2:3: error: unknown lint rule 'ban-drop-colum' in 'lint' "
			"(did you mean 'ban-drop-column'?)");
	assert_has(out, "registry.yaml:3:19: error: invalid level for lint rule 'ban-drop-table'");
	free(out);
	diags_release(&d);
	reg_meta_release(&m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("sqlscript");
	tcase_add_test(tc, script_seed_mysql_add_index);
	tcase_add_test(tc, script_column_named_index_is_fine);
	tcase_add_test(tc, script_seed_users_is_clean);
	tcase_add_test(tc, script_syntax_errors_all_reported);
	tcase_add_test(tc, script_outside_transaction_refused);
	tcase_add_test(tc, script_lint);
	tcase_add_test(tc, script_splitting);
	tcase_add_test(tc, script_deep_input);
	tcase_add_test(tc, script_positions);
	suite_add_tcase(s, tc);
	tc = tcase_create("plan");
	tcase_add_test(tc, canonical_defaults);
	tcase_add_test(tc, plan_seed_on_empty_database);
	tcase_add_test(tc, plan_nothing_when_live_matches);
	tcase_add_test(tc, plan_alters_with_lint);
	tcase_add_test(tc, plan_foreign_keys_and_indexes_change);
	tcase_add_test(tc, plan_safe_forms_for_live_tables);
	tcase_add_test(tc, plan_renames);
	tcase_add_test(tc, plan_drops_only_tables_it_created);
	tcase_add_test(tc, plan_cycle_creates_then_links);
	tcase_add_test(tc, plan_pending_replaces_generated);
	tcase_add_test(tc, plan_quotes_every_identifier);
	tcase_add_test(tc, plan_hostile_schema);
	tcase_add_test(tc, plan_quoted_names);
	tcase_add_test(tc, plan_only_and_reserved);
	tcase_add_test(tc, plan_impact_report);
	tcase_add_test(tc, plan_render_escapes_lines);
	tcase_add_loop_test(tc, plan_lint_per_rule, 0,
			    (int)(sizeof(lint_cases) / sizeof(lint_cases[0])));
	tcase_add_test(tc, plan_lint_yaml_ignore);
	tcase_add_test(tc, plan_lint_levels_from_registry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc = tu_run(suite());
	sqlcheck_cleanup();
	return rc;
}
