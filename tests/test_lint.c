/*
 * registry/lint*.c and cli/cmd_lint.c: every rule on a script that
 * triggers it and one that does not; exact messages; inline silencing;
 * levels; the server version; the 23 hazards of issue 10 and the seed's
 * pending scripts; the CLI (exit codes, --json through json-c, --format
 * github); docs/lint.md against the rule table; and Squawk, when it is
 * installed, on the same scripts: every statement it flags, we flag.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lint.h"
#include "sqlscript.h"
#include "testutil.h"

/* ---- helpers ---- */

enum { HAND = 0, IN_TX = 1, GENERATED = 2 };

static void run(const char *sql, int flags, int pg, struct lint_report *r)
{
	struct lint_options o;
	lint_options_init(&o);
	o.in_transaction = flags & IN_TX;
	o.hand_written = !(flags & GENERATED);
	if (pg)
		o.pg_version = pg;
	*r = (struct lint_report)LINT_REPORT_INIT;
	ck_assert_int_eq(lint_run(sql, strlen(sql), &o, r), 0);
}

static const struct lint_finding *find(const struct lint_report *r, const char *rule)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(lint_rules[r->items[i].rule].id, rule))
			return &r->items[i];
	return NULL;
}

static char *dump(const struct lint_report *r)
{
	struct diags d = DIAGS_INIT;
	struct sbuf sb = SBUF_INIT;
	lint_report_diags(r, "t.sql", &d);
	diags_render(&d, &sb);
	diags_release(&d);
	return sbuf_detach(&sb, NULL);
}

static void assert_has(const char *sql, int flags, int pg, const char *rule)
{
	struct lint_report r;
	run(sql, flags, pg, &r);
	if (!find(&r, rule)) {
		char *s = dump(&r);
		ck_abort_msg("rule %s not reported on <%s>; got:\n%s", rule, sql, s);
	}
	lint_report_release(&r);
}

static void assert_lacks(const char *sql, int flags, int pg, const char *rule)
{
	struct lint_report r;
	run(sql, flags, pg, &r);
	if (find(&r, rule)) {
		char *s = dump(&r);
		ck_abort_msg("rule %s reported on <%s>:\n%s", rule, sql, s);
	}
	lint_report_release(&r);
}

/* ---- one script that triggers each rule, one that does not ---- */

static const struct rule_case {
	const char *rule;
	const char *bad, *good;
	int flags, pg;
} cases[] = {
	{ "syntax-error", "SELEC 1;", "SELECT 1;", 0, 0 },
	{ "mysql-syntax", "ALTER TABLE p ADD INDEX idx_p (priority);",
	  "ALTER TABLE p ADD COLUMN priority bigint DEFAULT 0;", 0, 0 },
	{ "ban-concurrent-index-creation-in-transaction", "CREATE INDEX CONCURRENTLY i ON t (a);",
	  "CREATE INDEX i ON t (a);", IN_TX, 0 },
	{ "non-transactional-statement", "VACUUM t;", "ANALYZE t;", IN_TX, 0 },
	{ "transaction-nesting", "BEGIN; SELECT 1; BEGIN; SELECT 2; COMMIT;",
	  "BEGIN; SELECT 1; COMMIT; BEGIN; SELECT 2; COMMIT;", 0, 0 },
	{ "ban-uncommitted-transaction", "BEGIN;\nSELECT 1;", "BEGIN;\nSELECT 1;\nCOMMIT;", 0, 0 },
	{ "require-concurrent-index-creation", "CREATE INDEX i ON t (a);",
	  "CREATE TABLE t (a bigint);\nCREATE INDEX i ON t (a);", 0, 0 },
	{ "require-concurrent-index-deletion", "DROP INDEX i;", "DROP INDEX CONCURRENTLY i;", 0, 0 },
	{ "require-concurrent-reindex", "REINDEX TABLE t;", "REINDEX TABLE CONCURRENTLY t;", 0, 0 },
	{ "require-concurrent-partition-detach", "ALTER TABLE p DETACH PARTITION c;",
	  "ALTER TABLE p DETACH PARTITION c CONCURRENTLY;", 0, 0 },
	{ "adding-foreign-key-constraint",
	  "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES c (id);",
	  "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (b) REFERENCES c (id) NOT VALID;", 0, 0 },
	{ "constraint-missing-not-valid", "ALTER TABLE a ADD CONSTRAINT k CHECK (b > 0);",
	  "ALTER TABLE a ADD CONSTRAINT k CHECK (b > 0) NOT VALID;", 0, 0 },
	{ "validate-in-same-transaction",
	  "BEGIN;\nALTER TABLE a ADD CONSTRAINT k CHECK (b > 0) NOT VALID;\n"
	  "ALTER TABLE a VALIDATE CONSTRAINT k;\nCOMMIT;",
	  "BEGIN;\nALTER TABLE a ADD CONSTRAINT k CHECK (b > 0) NOT VALID;\nCOMMIT;\n"
	  "ALTER TABLE a VALIDATE CONSTRAINT k;", 0, 0 },
	{ "disallowed-unique-constraint", "ALTER TABLE a ADD CONSTRAINT u UNIQUE (b);",
	  "ALTER TABLE a ADD CONSTRAINT u UNIQUE USING INDEX u_idx;", 0, 0 },
	{ "adding-primary-key-constraint", "ALTER TABLE a ADD PRIMARY KEY (id);",
	  "ALTER TABLE a ADD CONSTRAINT a_pkey PRIMARY KEY USING INDEX a_idx;", 0, 0 },
	{ "set-not-null", "ALTER TABLE a ALTER COLUMN b SET NOT NULL;",
	  "ALTER TABLE a ADD CONSTRAINT b_nn CHECK (b IS NOT NULL) NOT VALID;", 0, 0 },
	{ "changing-column-type", "ALTER TABLE a ALTER COLUMN b TYPE bigint;",
	  "CREATE TABLE a (b bigint);\nALTER TABLE a ALTER COLUMN b TYPE numeric;", 0, 0 },
	{ "volatile-default", "ALTER TABLE a ADD COLUMN t uuid DEFAULT gen_random_uuid();",
	  "ALTER TABLE a ADD COLUMN t timestamptz DEFAULT now();", 0, 0 },
	{ "adding-field-with-default", "ALTER TABLE a ADD COLUMN n bigint DEFAULT 0;",
	  "ALTER TABLE a ADD COLUMN n bigint;", 0, 100000 },
	{ "adding-required-field", "ALTER TABLE a ADD COLUMN n text NOT NULL;",
	  "ALTER TABLE a ADD COLUMN n text NOT NULL DEFAULT '';", 0, 0 },
	{ "prefer-repack", "VACUUM FULL a;", "VACUUM a;", 0, 0 },
	{ "ban-create-domain-with-constraint", "CREATE DOMAIN d AS text CHECK (VALUE <> '');",
	  "CREATE DOMAIN d AS text;", 0, 0 },
	{ "ban-alter-domain-with-add-constraint",
	  "ALTER DOMAIN d ADD CONSTRAINT k CHECK (VALUE <> '');",
	  "ALTER DOMAIN d ADD CONSTRAINT k CHECK (VALUE <> '') NOT VALID;", 0, 0 },
	{ "ban-drop-column", "ALTER TABLE a DROP COLUMN b;",
	  "CREATE TABLE a (b text);\nALTER TABLE a DROP COLUMN b;", 0, 0 },
	{ "ban-drop-table", "DROP TABLE a;", "CREATE TABLE a (b text);\nDROP TABLE a;", 0, 0 },
	{ "ban-drop-database", "DROP DATABASE d;", "SELECT 1;", 0, 0 },
	{ "renaming-column", "ALTER TABLE a RENAME COLUMN b TO c;",
	  "CREATE TABLE a (b text);\nALTER TABLE a RENAME COLUMN b TO c;", 0, 0 },
	{ "renaming-table", "ALTER TABLE a RENAME TO b;",
	  "CREATE TABLE a (b text);\nALTER TABLE a RENAME TO b;", 0, 0 },
	{ "ban-drop-not-null", "ALTER TABLE a ALTER COLUMN b DROP NOT NULL;",
	  "CREATE TABLE a (b text NOT NULL);\nALTER TABLE a ALTER COLUMN b DROP NOT NULL;", 0, 0 },
	{ "ban-truncate-cascade", "TRUNCATE a CASCADE;", "TRUNCATE a;", 0, 0 },
	{ "ban-char-field", "CREATE TABLE a (b char(2));", "CREATE TABLE a (b text, c \"char\");",
	  0, 0 },
	{ "prefer-timestamptz", "CREATE TABLE a (b timestamp);",
	  "CREATE TABLE a (b timestamptz, c timestamp with time zone);", 0, 0 },
	{ "prefer-bigint-over-int", "CREATE TABLE a (b integer);", "CREATE TABLE a (b bigint);",
	  0, 0 },
	{ "prefer-bigint-over-smallint", "CREATE TABLE a (b smallint);",
	  "CREATE TABLE a (b bigint);", 0, 0 },
	{ "prefer-identity", "CREATE TABLE a (id bigserial);",
	  "CREATE TABLE a (id bigint GENERATED ALWAYS AS IDENTITY);", 0, 0 },
	{ "prefer-text-field", "CREATE TABLE a (b varchar(20));",
	  "CREATE TABLE a (b varchar, c text);", 0, 0 },
	{ "require-lock-timeout", "ALTER TABLE a ADD COLUMN b text;",
	  "SET lock_timeout = '1s';\nALTER TABLE a ADD COLUMN b text;", 0, 0 },
	{ "require-statement-timeout", "ALTER TABLE a ADD COLUMN b text;",
	  "SET statement_timeout = '5min';\nALTER TABLE a ADD COLUMN b text;", 0, 0 },
	{ "prefer-robust-stmts", "CREATE TABLE a (b text);", "CREATE TABLE IF NOT EXISTS a (b text);",
	  0, 0 },
	{ "identifier-too-long",
	  "CREATE TABLE a (b_123456789_123456789_123456789_123456789_123456789_123456789_12 text);",
	  "CREATE TABLE a (b_123456789_123456789_123456789_123456789_123456789_123456789_1 text);",
	  0, 0 },
	{ "require-enum-value-ordering", "ALTER TYPE e ADD VALUE 'x';",
	  "ALTER TYPE e ADD VALUE 'x' AFTER 'w';", 0, 0 },
	{ "ban-duplicate-column-assignments", "UPDATE a SET b = 1, b = 2;",
	  "UPDATE a SET b = 1, c = 2;", 0, 0 },
	{ "duplicate-index",
	  "CREATE TABLE u (email text UNIQUE);\nCREATE UNIQUE INDEX u_email ON u (email);",
	  "CREATE TABLE u (email text UNIQUE);\nCREATE INDEX u_lower ON u (lower(email));", 0, 0 },
	{ "foreign-key-without-index",
	  "CREATE TABLE p (id bigint PRIMARY KEY, u bigint REFERENCES users (id));",
	  "CREATE TABLE p (id bigint PRIMARY KEY, u bigint REFERENCES users (id));\n"
	  "CREATE INDEX p_u ON p (u);", 0, 0 },
	{ "unused-ignore", "-- schemafs-ignore ban-drop-table\nSELECT 1;",
	  "-- schemafs-ignore ban-drop-table\nDROP TABLE a;", 0, 0 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

START_TEST(rule_triggers)
{
	const struct rule_case *k = &cases[_i];
	ck_assert_int_ge(lint_rule_find(k->rule), 0);
	assert_has(k->bad, k->flags, k->pg, k->rule);
}
END_TEST

START_TEST(rule_quiet_on_safe_form)
{
	const struct rule_case *k = &cases[_i];
	assert_lacks(k->good, k->flags, k->pg, k->rule);
}
END_TEST

START_TEST(every_rule_has_a_case)
{
	ck_assert_int_eq(NCASES, LINT_NRULES);
	for (int i = 0; i < LINT_NRULES; i++) {
		bool found = false;
		for (size_t k = 0; k < NCASES; k++)
			found |= !strcmp(cases[k].rule, lint_rules[i].id);
		ck_assert_msg(found, "no test case for rule %s", lint_rules[i].id);
		ck_assert_msg(lint_rules[i].summary[0] && !strchr(lint_rules[i].id, ' '),
			      "rule %d", i);
	}
}
END_TEST

/* ---- exact messages and places ---- */

static void assert_output(const char *sql, int flags, int pg, const char *want)
{
	struct lint_report r;
	run(sql, flags, pg, &r);
	char *got = dump(&r);
	ck_assert_str_eq(got, want);
	free(got);
	lint_report_release(&r);
}

START_TEST(exact_messages)
{
	assert_output("SET lock_timeout = '2s';\nSET statement_timeout = '1min';\n"
		      "ALTER TABLE users ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();\n",
		      0, 0,
		      "t.sql:3:44: warning: adding column 'users.token' with a volatile default "
		      "(gen_random_uuid) rewrites 'users' under ACCESS EXCLUSIVE (rule volatile-default); "
		      "add the column without a default, then set the default and backfill in batches\n");
	/* the seed's policies script: the place today's check reports */
	assert_output("\n        ALTER TABLE policies \n        ADD COLUMN priority INTEGER DEFAULT 0,\n"
		      "        ADD INDEX idx_policies_priority (priority);\n", GENERATED | IN_TX, 0,
		      "t.sql:3:29: warning: column 'policies.priority' is integer, which runs out at "
		      "2147483647; widening it later rewrites the table (rule prefer-bigint-over-int); "
		      "use bigint (bigint identity for keys)\n"
		      "t.sql:4:9: error: MySQL syntax: ADD INDEX is not PostgreSQL (rule mysql-syntax); "
		      "use CREATE INDEX\n");
	assert_output("CREATE TABLE `users` (id bigint);", GENERATED, 0,
		      "t.sql:1:14: error: MySQL syntax: `backticks` is not PostgreSQL: syntax error "
		      "at or near \"`\" (rule mysql-syntax); quote names with \"double quotes\"\n");
	assert_output("CREATE TABLE IF NOT EXISTS u (id bigint AUTO_INCREMENT PRIMARY KEY);",
		      GENERATED, 0,
		      "t.sql:1:41: error: MySQL syntax: AUTO_INCREMENT is not PostgreSQL: syntax error "
		      "at or near \"AUTO_INCREMENT\" (rule mysql-syntax); use GENERATED ALWAYS AS "
		      "IDENTITY\n");
	assert_output("CREATE TABLE u (email text UNIQUE);\n\nCREATE UNIQUE INDEX u_email ON u (email);",
		      GENERATED | IN_TX, 0,
		      "t.sql:3:1: warning: unique index u_email on 'u' (email) duplicates the unique "
		      "index declared at line 1, which PostgreSQL builds and maintains separately (rule "
		      "duplicate-index); keep one of them\n");
}
END_TEST

START_TEST(seed_scripts)
{
	/* users: nothing that refuses it (timestamp is a warning) */
	struct lint_report r;
	run("\n        ALTER TABLE users \n        ADD COLUMN last_login_at TIMESTAMP NULL,\n"
	    "        ADD COLUMN login_count INTEGER DEFAULT 0;\n", IN_TX, 0, &r);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_ptr_nonnull(find(&r, "prefer-timestamptz"));
	ck_assert_ptr_null(find(&r, "volatile-default"));
	lint_report_release(&r);
	/* the schema's users table: email unique: true and a unique index on it */
	assert_has("CREATE TABLE users (id bigint PRIMARY KEY, email varchar(255) NOT NULL UNIQUE);\n"
		   "CREATE UNIQUE INDEX idx_users_email ON users (email);", IN_TX | GENERATED, 0,
		   "duplicate-index");
}
END_TEST

/* file -> a rule that must flag it (issue 10's first paragraph) */
static const char *const hazards[][2] = {
	{ "01_create_index", "require-concurrent-index-creation" },
	{ "02_set_not_null", "set-not-null" },
	{ "03_fk_without_not_valid", "adding-foreign-key-constraint" },
	{ "04_type_change", "changing-column-type" },
	{ "05_drop_column", "ban-drop-column" },
	{ "06_drop_table", "ban-drop-table" },
	{ "07_not_null_no_default", "adding-required-field" },
	{ "08_widening", "changing-column-type" },
	{ "09_volatile_default", "volatile-default" },
	{ "10_add_unique", "disallowed-unique-constraint" },
	{ "11_add_primary_key", "adding-primary-key-constraint" },
	{ "12_drop_index", "require-concurrent-index-deletion" },
	{ "13_rename_column", "renaming-column" },
	{ "14_rename_table", "renaming-table" },
	{ "15_drop_not_null", "ban-drop-not-null" },
	{ "16_check_without_not_valid", "constraint-missing-not-valid" },
	{ "17_char", "ban-char-field" },
	{ "18_timestamp", "prefer-timestamptz" },
	{ "19_int_key", "prefer-bigint-over-int" },
	{ "20_serial", "prefer-identity" },
	{ "21_truncate_cascade", "ban-truncate-cascade" },
	{ "22_missing_lock_timeout", "require-lock-timeout" },
	{ "23_missing_statement_timeout", "require-statement-timeout" },
};
#define NHAZARDS (sizeof(hazards) / sizeof(hazards[0]))

static char *hazard_path(size_t i)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "tests/fixtures/lint/hazards/%s.sql", hazards[i][0]);
	return tu_src_path(rel);
}

START_TEST(issue_hazards_all_flagged)
{
	for (size_t i = 0; i < NHAZARDS; i++) {
		char *path = hazard_path(i);
		size_t len;
		char *sql = tu_read_file(path, &len);
		ck_assert_msg(sql != NULL, "%s", path);
		assert_has(sql, HAND, 0, hazards[i][1]);
		/* also as a step of the plan's transaction, but for the timeouts */
		if (!strstr(hazards[i][1], "timeout"))
			assert_has(sql, IN_TX | GENERATED, 0, hazards[i][1]);
		free(sql);
		free(path);
	}
}
END_TEST

/* ---- silencing, levels, versions, modes ---- */

START_TEST(inline_ignore)
{
	/* the line before */
	assert_lacks("-- schemafs-ignore ban-drop-table\nDROP TABLE a;", 0, 0, "ban-drop-table");
	/* at the end of the statement, two rules */
	struct lint_report r;
	run("DROP TABLE a; -- schemafs-ignore ban-drop-table, prefer-robust-stmts\nDROP TABLE b;",
	    0, 0, &r);
	ck_assert_uint_eq(r.n, 4); /* b's drop and robustness, a's timeouts */
	ck_assert_ptr_nonnull(find(&r, "ban-drop-table"));
	ck_assert_str_eq(lint_rules[r.items[0].rule].id, "require-lock-timeout");
	for (size_t i = 0; i < r.n; i++)
		if (r.items[i].rule == LINT_DROP_TABLE)
			ck_assert_uint_eq(r.items[i].loc.line, 2);
	lint_report_release(&r);
	/* inside a multi-line statement, with a reason after the list */
	assert_lacks("ALTER TABLE a\n  DROP COLUMN b; -- schemafs-ignore ban-drop-column unused since v3",
		     0, 0, "ban-drop-column");
	/* the whole file */
	assert_lacks("-- schemafs-ignore-file ban-drop-table\nSELECT 1;\nDROP TABLE a;\nDROP TABLE b;",
		     0, 0, "ban-drop-table");
	/* does not leak to the next statement */
	assert_has("-- schemafs-ignore ban-drop-table\nDROP TABLE a;\nDROP TABLE b;", 0, 0,
		   "ban-drop-table");
	/* not a directive inside a string */
	assert_has("SELECT 'schemafs-ignore ban-drop-table';\nDROP TABLE a;", 0, 0, "ban-drop-table");
	/* an unknown rule is reported, where it is written */
	run("-- schemafs-ignore ban-drop-tabel\nDROP TABLE IF EXISTS a;", GENERATED, 0, &r);
	const struct lint_finding *f = find(&r, "unused-ignore");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->loc.line, 1);
	ck_assert_uint_eq(f->loc.col, 20);
	ck_assert_ptr_nonnull(strstr(f->message, "unknown rule 'ban-drop-tabel'"));
	ck_assert_ptr_nonnull(find(&r, "ban-drop-table"));
	lint_report_release(&r);
}
END_TEST

START_TEST(levels)
{
	const char *sql = "DROP TABLE IF EXISTS a;";
	struct lint_options o;
	struct lint_report r = LINT_REPORT_INIT;
	lint_options_init(&o);
	o.hand_written = false;
	ck_assert_int_eq(lint_options_set(&o, "ban-drop-table", LINT_LEVEL_ERROR), 0);
	ck_assert_int_eq(lint_options_set(&o, "no-such-rule", LINT_LEVEL_OFF), REG_EINVAL);
	ck_assert_int_eq(lint_run(sql, strlen(sql), &o, &r), 0);
	ck_assert_uint_eq(r.errors, 1);
	ck_assert_uint_eq(r.warnings, 0);
	ck_assert_int_eq(r.items[0].severity, DIAG_ERROR);
	lint_report_release(&r);
	lint_options_set(&o, "ban-drop-table", LINT_LEVEL_OFF);
	ck_assert_int_eq(lint_run(sql, strlen(sql), &o, &r), 0);
	ck_assert_uint_eq(r.n, 0);
	lint_report_release(&r);
	/* an error rule made a warning */
	lint_options_set(&o, "syntax-error", LINT_LEVEL_WARNING);
	ck_assert_int_eq(lint_run("SELEC 1", 7, &o, &r), 0);
	ck_assert_uint_eq(r.errors, 0);
	ck_assert_uint_eq(r.warnings, 1);
	lint_report_release(&r);
}
END_TEST

START_TEST(server_version)
{
	const char *constant = "ALTER TABLE a ADD COLUMN IF NOT EXISTS n bigint DEFAULT 0;";
	const char *vol = "ALTER TABLE a ADD COLUMN IF NOT EXISTS n double precision DEFAULT random();";
	assert_has(constant, GENERATED, 100000, "adding-field-with-default");
	assert_lacks(constant, GENERATED, 110000, "adding-field-with-default");
	assert_lacks(constant, GENERATED, 150000, "volatile-default");
	assert_has(vol, GENERATED, 100000, "volatile-default");
	assert_has(vol, GENERATED, 150000, "volatile-default");
	/* stable functions are evaluated once: cheap since 11 */
	assert_lacks("ALTER TABLE a ADD COLUMN t timestamptz DEFAULT CURRENT_TIMESTAMP;", 0, 0,
		     "volatile-default");
	/* identity and serial columns fill every row */
	assert_has("ALTER TABLE a ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;", 0, 0,
		   "volatile-default");
	assert_has("ALTER TABLE a ADD COLUMN id bigserial;", 0, 0, "volatile-default");
	/* ADD VALUE in a transaction: since 12 */
	assert_has("ALTER TYPE e ADD VALUE 'x' AFTER 'w';", IN_TX, 110000,
		   "non-transactional-statement");
	assert_lacks("ALTER TYPE e ADD VALUE 'x' AFTER 'w';", IN_TX, 120000,
		     "non-transactional-statement");
	assert_lacks("ALTER TABLE p DETACH PARTITION c;", 0, 130000,
		     "require-concurrent-partition-detach");
}
END_TEST

START_TEST(modes)
{
	/* a generated plan sets its own timeouts */
	assert_lacks("ALTER TABLE a ADD COLUMN b text;", GENERATED, 0, "require-lock-timeout");
	assert_lacks("ALTER TABLE a ADD COLUMN b text;", GENERATED, 0, "require-statement-timeout");
	/* inside a transaction a failed script rolls back: re-running is fine */
	assert_lacks("CREATE TABLE a (b text);", IN_TX, 0, "prefer-robust-stmts");
	/* BEGIN in the script counts as a transaction */
	assert_has("BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;", 0, 0,
		   "ban-concurrent-index-creation-in-transaction");
	/* transaction control in the plan's transaction */
	assert_has("COMMIT;", IN_TX, 0, "transaction-nesting");
	/* lock_timeout 0 is no timeout; RESET drops it */
	assert_has("SET lock_timeout = 0;\nALTER TABLE a ADD COLUMN b text;", 0, 0,
		   "require-lock-timeout");
	assert_has("SET lock_timeout = '1s';\nRESET lock_timeout;\nALTER TABLE a ADD COLUMN b text;",
		   0, 0, "require-lock-timeout");
	/* a dropped and re-added index is not a duplicate */
	assert_lacks("CREATE TABLE u (e text);\nCREATE INDEX i1 ON u (e);\nDROP INDEX i1;\n"
		     "CREATE INDEX i2 ON u (e);", IN_TX, 0, "duplicate-index");
	/* an index on (u, x) serves a foreign key on u */
	assert_lacks("CREATE TABLE p (u bigint REFERENCES users (id), x text);\n"
		     "CREATE INDEX p_ux ON p (u, x);", IN_TX, 0, "foreign-key-without-index");
	/* tables named by the caller as new are not locked */
	assert_has("CREATE TABLE p (id int);", IN_TX, 0, "prefer-bigint-over-int");
}
END_TEST

static bool none_exist(void *ctx, const char *table)
{
	(void)ctx;
	(void)table;
	return false;
}

START_TEST(table_exists_callback)
{
	struct lint_options o;
	struct lint_report r = LINT_REPORT_INIT;
	const char *sql = "CREATE INDEX i ON t (a);";
	lint_options_init(&o);
	o.table_exists = none_exist;
	ck_assert_int_eq(lint_run(sql, strlen(sql), &o, &r), 0);
	ck_assert_ptr_null(find(&r, "require-concurrent-index-creation"));
	lint_report_release(&r);
}
END_TEST

START_TEST(places_and_odd_input)
{
	struct lint_report r;
	run("SELECT 1;\n-- a comment; with a semicolon\nSELECT 'a;b';\n  DROP TABLE x;\nSELEC 2;\n"
	    "DROP TABLE \"ü\";", GENERATED | IN_TX, 0, &r);
	ck_assert_uint_eq(r.statements, 5);
	char *s = dump(&r);
	ck_assert_str_eq(s, "t.sql:4:3: warning: DROP TABLE 'x' deletes the table and all its rows "
			    "(rule ban-drop-table); stop every reader and writer first, keep a "
			    "backup, and drop it in a later release\n"
			    "t.sql:5:1: error: syntax error at or near \"SELEC\" (rule syntax-error); "
			    "fix the statement\n"
			    "t.sql:6:1: warning: DROP TABLE 'ü' deletes the table and all its rows "
			    "(rule ban-drop-table); stop every reader and writer first, keep a "
			    "backup, and drop it in a later release\n");
	free(s);
	lint_report_release(&r);
	run("", 0, 0, &r);
	ck_assert_uint_eq(r.n, 0);
	lint_report_release(&r);
	struct lint_options o;
	lint_options_init(&o);
	r = (struct lint_report)LINT_REPORT_INIT;
	ck_assert_int_eq(lint_run("SELECT 1;\0DROP", 14, &o, &r), 0);
	ck_assert_uint_eq(r.errors, 1);
	lint_report_release(&r);
}
END_TEST

/* ---- docs/lint.md mirrors the table ---- */

START_TEST(docs_mirror_rules)
{
	char *path = tu_src_path("docs/lint.md");
	size_t len;
	char *doc = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(doc);
	const char *at = doc;
	for (int i = 0; i < LINT_NRULES; i++) {
		char head[128];
		snprintf(head, sizeof(head), "\n### `%s`\n", lint_rules[i].id);
		const char *h = strstr(at, head);
		ck_assert_msg(h != NULL, "docs/lint.md lacks a section '### `%s`' (in table order)",
			      lint_rules[i].id);
		at = h + 1;
		/* and the table row with its severity */
		char row[160];
		snprintf(row, sizeof(row), "| [`%s`](#%s) | %s |", lint_rules[i].id, lint_rules[i].id,
			 diag_severity_name(lint_rules[i].severity));
		ck_assert_msg(strstr(doc, row) != NULL, "docs/lint.md lacks the row '%s'", row);
	}
	free(doc);
	free(path);
}
END_TEST

/* ---- the CLI ---- */

static int cli(const char *args, char **out)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	ck_assert_ptr_nonnull(bin);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "cd \"$SCHEMAFS_SRC\" && \"%s\" lint %s 2>/dev/null", bin, args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sbuf_add(&sb, buf, n);
	int st = pclose(p);
	*out = sbuf_detach(&sb, NULL);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define HZ "tests/fixtures/lint/hazards/"

START_TEST(cli_exit_codes_and_formats)
{
	char *out;
	ck_assert_int_eq(cli("--generated " HZ "06_drop_table.sql", &out), 0);
	ck_assert_ptr_nonnull(strstr(out, HZ "06_drop_table.sql:1:1: warning: DROP TABLE "
					  "'notifications'"));
	free(out);
	ck_assert_int_eq(cli("--strict --generated " HZ "06_drop_table.sql", &out), 1);
	free(out);
	ck_assert_int_eq(cli("--error ban-drop-table " HZ "06_drop_table.sql", &out), 1);
	free(out);
	ck_assert_int_eq(cli("--strict --disable ban-drop-table --disable prefer-robust-stmts "
			     "--generated " HZ "06_drop_table.sql", &out), 0);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(cli("--disable ban-drop-tabel " HZ "06_drop_table.sql", &out), 2);
	free(out);
	ck_assert_int_eq(cli("--pg-version banana " HZ "06_drop_table.sql", &out), 2);
	free(out);
	ck_assert_int_eq(cli("", &out), 2);
	free(out);
	ck_assert_int_eq(cli("--pg-version 10 " HZ "06_drop_table.sql < /dev/null", &out), 0);
	free(out);
	ck_assert_int_eq(cli("- < " HZ "06_drop_table.sql", &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "<stdin>:1:1: warning:"));
	free(out);
	/* --json: one array over every file, each finding with its rule */
	ck_assert_int_eq(cli("--json " HZ "*.sql", &out), 0);
	json_object *a = json_tokener_parse(out);
	ck_assert_msg(a && json_object_is_type(a, json_type_array), "%s", out);
	ck_assert_int_gt(json_object_array_length(a), 23);
	json_object *first = json_object_array_get_idx(a, 0), *v;
	ck_assert(json_object_object_get_ex(first, "rule", &v));
	ck_assert(json_object_object_get_ex(first, "line", &v) && json_object_get_int(v) == 1);
	ck_assert(json_object_object_get_ex(first, "severity", &v));
	ck_assert_str_eq(json_object_get_string(v), "warning");
	json_object_put(a);
	free(out);
	/* --json on a file that cannot be read: still JSON */
	ck_assert_int_eq(cli("--json no/such/file.sql", &out), 2);
	a = json_tokener_parse(out);
	ck_assert_msg(a && json_object_object_get_ex(a, "error", &v), "%s", out);
	json_object_put(a);
	free(out);
	/* syntax errors exit 1; github annotations */
	ck_assert_int_eq(cli("--format github - <<'EOF'\nSELECT 1;\nALTER TABLE p ADD INDEX i (c);\n"
			     "EOF", &out), 1);
	ck_assert_ptr_nonnull(strstr(out, "::error file=<stdin>,line=2,col=15,title=mysql-syntax::"
					  "MySQL syntax: ADD INDEX is not PostgreSQL"));
	free(out);
	ck_assert_int_eq(cli("--rules", &out), 0);
	for (int i = 0; i < LINT_NRULES; i++)
		ck_assert_msg(strstr(out, lint_rules[i].id), "%s", lint_rules[i].id);
	free(out);
}
END_TEST

/* ---- Squawk on the same scripts ---- */

/* Squawk's rule -> ours that say the same thing ("*": any finding of ours
 * on that statement: prefer-robust-stmts, which Squawk also raises on
 * statements that are safe to re-run; "script": anywhere in the script,
 * as we report a missing timeout once, at the first statement needing it). */
static const char *const squawk_map[][2] = {
	{ "require-concurrent-index-creation", "require-concurrent-index-creation" },
	{ "require-concurrent-index-deletion", "require-concurrent-index-deletion" },
	{ "constraint-missing-not-valid", "constraint-missing-not-valid adding-foreign-key-constraint "
					  "disallowed-unique-constraint adding-primary-key-constraint "
					  "validate-in-same-transaction" },
	{ "adding-field-with-default", "volatile-default adding-field-with-default" },
	{ "adding-foreign-key-constraint", "adding-foreign-key-constraint" },
	{ "changing-column-type", "changing-column-type" },
	{ "adding-not-nullable-field", "set-not-null" },
	{ "adding-serial-primary-key-field", "adding-primary-key-constraint" },
	{ "prefer-timestamp-tz", "prefer-timestamptz" },
	{ "prefer-robust-stmts", "*" },
	{ "require-lock-timeout", "script" },
	{ "require-statement-timeout", "script" },
	{ "require-timeout-settings", "script" },
	{ "unused-ignore", "unused-ignore" },
};

/* Where we deliberately differ, on the trigger script of one of our rules
 * (docs/lint.md, "Squawk"): Squawk's rule there is not a hazard. */
static const char *const squawk_differs[][3] = {
	{ "duplicate-index", "require-concurrent-index-creation",
	  "the table is created by the same script: it has no rows and no readers" },
	{ "duplicate-index", "require-lock-timeout", "the same: nothing to wait for" },
	{ "duplicate-index", "require-statement-timeout", "the same: nothing to wait for" },
	{ "ban-create-domain-with-constraint", "require-lock-timeout", "a new type locks nothing" },
	{ "ban-create-domain-with-constraint", "require-statement-timeout", "nor runs long" },
	{ "ban-drop-database", "require-lock-timeout",
	  "DROP DATABASE does not queue for a lock: it fails while anyone is connected" },
	{ "ban-drop-database", "require-statement-timeout", "the same" },
};

static bool squawk_differs_here(const char *file, const char *rule)
{
	for (size_t i = 0; i < sizeof(squawk_differs) / sizeof(squawk_differs[0]); i++) {
		const char *base = strrchr(file, '/');
		size_t n = strlen(squawk_differs[i][0]);
		base = base ? base + 1 : file;
		if (!strncmp(base, squawk_differs[i][0], n) && !strcmp(base + n, ".sql") &&
		    !strcmp(rule, squawk_differs[i][1]))
			return true;
	}
	return false;
}

static bool squawk_covered(const char *rule, const struct lint_report *r, size_t stmt)
{
	const char *ours = rule;
	for (size_t i = 0; i < sizeof(squawk_map) / sizeof(squawk_map[0]); i++)
		if (!strcmp(squawk_map[i][0], rule))
			ours = squawk_map[i][1];
	for (size_t i = 0; i < r->n; i++) {
		const char *id = lint_rules[r->items[i].rule].id;
		size_t n = strlen(id);
		if (!strcmp(ours, "script") && (!strcmp(id, rule) || strstr(id, "timeout")))
			return true;
		if (r->items[i].stmt != stmt)
			continue;
		if (!strcmp(ours, "*"))
			return true;
		for (const char *p = ours; (p = strstr(p, id)); p += n)
			if ((p == ours || p[-1] == ' ') && (!p[n] || p[n] == ' '))
				return true;
	}
	return false;
}

/* The statement at 1-based line:col of sql. */
static size_t stmt_at(const char *sql, uint32_t line, uint32_t col)
{
	struct sqlscript s;
	struct diags d = DIAGS_INIT;
	sqlscript_check(sql, strlen(sql), "", &s, &d);
	size_t k = 0;
	for (size_t i = 0; i < s.n; i++)
		if (s.stmts[i].loc.line < line ||
		    (s.stmts[i].loc.line == line && s.stmts[i].loc.col <= col))
			k = i;
	sqlscript_release(&s);
	diags_release(&d);
	return k;
}

static void squawk_compare(const char *squawk, const char *path, const char *sql, int *hits,
			   int *missed)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "\"%s\" --reporter json -c /dev/null --pg-version 15 '%s' "
		 "2>/dev/null", squawk, path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sbuf_add(&sb, buf, n);
	int st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) <= 1, "squawk failed on %s", path);
	json_object *a = json_tokener_parse(sb.buf);
	ck_assert_msg(a && json_object_is_type(a, json_type_array), "squawk said: %s", sb.buf);
	struct lint_report r;
	run(sql, HAND, 0, &r);
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *hit = json_object_array_get_idx(a, i), *line, *col, *rule;
		ck_assert(json_object_object_get_ex(hit, "line", &line));
		ck_assert(json_object_object_get_ex(hit, "column", &col));
		ck_assert(json_object_object_get_ex(hit, "rule_name", &rule));
		/* Squawk's places are 0-based */
		size_t stmt = stmt_at(sql, (uint32_t)json_object_get_int(line) + 1,
				      (uint32_t)json_object_get_int(col) + 1);
		const char *name = json_object_get_string(rule);
		if (squawk_differs_here(path, name)) {
			(*hits)++;
			continue;
		}
		if (!squawk_covered(name, &r, stmt)) {
			char *s = dump(&r);
			fprintf(stderr, "squawk flags %s:%d with %s; we do not:\n%s", path,
				json_object_get_int(line) + 1, name, s);
			free(s);
			(*missed)++;
		}
		(*hits)++;
	}
	json_object_put(a);
	lint_report_release(&r);
	sbuf_release(&sb);
}

START_TEST(squawk_agrees)
{
	char *squawk = tu_checker("squawk");
	if (!squawk)
		return;
	/* the wrapper installs Squawk on first use; offline that may fail */
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "\"%s\" --version >/dev/null 2>&1", squawk);
	if (system(cmd) != 0) {
		free(squawk);
		tu_service_missing("squawk (install failed)");
		return;
	}
	int hits = 0, missed = 0;
	for (size_t i = 0; i < NHAZARDS; i++) {
		char *path = hazard_path(i);
		char *sql = tu_read_file(path, NULL);
		squawk_compare(squawk, path, sql, &hits, &missed);
		free(sql);
		free(path);
	}
	/* and every trigger script of the rule table */
	char *dir = tu_mkdtemp();
	for (size_t k = 0; k < NCASES; k++) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s.sql", dir, cases[k].rule);
		tu_write_file(path, cases[k].bad, strlen(cases[k].bad));
		squawk_compare(squawk, path, cases[k].bad, &hits, &missed);
	}
	tu_rm_rf(dir);
	free(dir);
	fprintf(stderr, "squawk: %d findings, %d not flagged by schemafs lint\n", hits, missed);
	ck_assert_int_eq(missed, 0);
	ck_assert_int_gt(hits, 23);
	free(squawk);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("rules");
	tcase_add_loop_test(tc, rule_triggers, 0, NCASES);
	tcase_add_loop_test(tc, rule_quiet_on_safe_form, 0, NCASES);
	tcase_add_test(tc, every_rule_has_a_case);
	tcase_add_test(tc, exact_messages);
	tcase_add_test(tc, seed_scripts);
	tcase_add_test(tc, issue_hazards_all_flagged);
	tcase_add_test(tc, inline_ignore);
	tcase_add_test(tc, levels);
	tcase_add_test(tc, server_version);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, table_exists_callback);
	tcase_add_test(tc, places_and_odd_input);
	tcase_add_test(tc, docs_mirror_rules);
	suite_add_tcase(s, tc);
	tc = tcase_create("cli");
	tcase_add_test(tc, cli_exit_codes_and_formats);
	tcase_add_test(tc, squawk_agrees);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
