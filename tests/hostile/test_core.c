/*
 * The hostile cases of issue 12 that the pure core and the store answer:
 * one test per item, each failing on the code before the fix. The mount
 * and CLI reproductions are the shell tests next to this file.
 */
#include "testutil.h"
#include "hostile_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pg.h"
#include "registry.h"
#include "render.h"
#include "schemafile.h"
#include "sqlcheck.h"
#include "store.h"
#include "validate.h"

/* The diagnostics of one file through the write path, as text. */
static char *check_bytes(const char *yaml, size_t len, const char *name, int want_rc)
{
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_schema *s = NULL;
	char file[128];
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	ck_assert_int_eq(reg_schema_from_bytes(yaml, len, file, name, &s, &d), want_rc);
	ck_assert_int_eq(diags_render(&d, &out), 0);
	diags_release(&d);
	reg_schema_free(s);
	return sbuf_detach(&out, NULL);
}

static char *check_text(const char *yaml, const char *name, int want_rc)
{
	return check_bytes(yaml, strlen(yaml), name, want_rc);
}


/* Item 3: 22,000 columns and an index naming 70,000 undeclared ones. It
 * took a minute (quadratic suggestions and lookups) and reported 70,000
 * lines; now 50 problems and one closing count, in well under a second. */
START_TEST(item3_wide_file_is_linear_and_capped)
{
	struct sbuf y = SBUF_INIT;
	ck_assert_int_eq(hostile_wide_yaml(&y, 22000, 70000), 0);
	ck_assert_uint_le(y.len, REG_MAX_FILE_SIZE);
	/* how long it takes is bench/bench_hostile's (ratio to a parse) */
	char *out = check_bytes(y.buf, y.len, "wide", REG_EINVAL);
	size_t lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, DIAG_MAX_PER_FILE + 1);
	ck_assert_ptr_nonnull(strstr(out, "error: index column 'u0' is not a column of 'wide'\n"));
	ck_assert_ptr_nonnull(strstr(out, "error: ... and 69950 more problems\n"));
	free(out);
	sbuf_release(&y);
	sqlcheck_cleanup();
}
END_TEST

/* Suggestions stay exact where they matter, and a huge table does not pay
 * for them. */
START_TEST(item3_suggestions_bounded)
{
	static const char *const cands[] = { "user_id", "created_at", "email", NULL };
	size_t budget = 3;
	ck_assert_str_eq(reg_nearest_within("usr_id", cands, 3, &budget), "user_id");
	ck_assert_uint_eq(budget, 0);
	ck_assert_ptr_null(reg_nearest_within("usr_id", cands, 3, &budget)); /* spent */
	/* the banded distance equals the full one up to the cap */
	static const char *const words[] = { "", "a", "ab", "kitten", "sitting", "nullable",
					     "nulable", "primary_key", "primary-key", "xyz" };
	for (size_t i = 0; i < 10; i++)
		for (size_t j = 0; j < 10; j++)
			for (size_t max = 0; max < 4; max++) {
				size_t full = reg_edit_distance(words[i], words[j], 64);
				size_t want = full > max ? max + 1 : full;
				ck_assert_uint_eq(reg_edit_distance(words[i], words[j], max), want);
			}
	ck_assert_uint_eq(reg_edit_distance("kitten", "sitting", 5), 3);
}
END_TEST

/* The per-file cap keeps the first problems of each file, in order, and
 * never turns a refusal into an acceptance. */
START_TEST(item3_cap_per_file)
{
	struct diags d = DIAGS_INIT;
	for (uint32_t i = 1; i <= 60; i++) {
		ck_assert_int_eq(diags_add(&d, "a.yaml", (struct reg_loc){ i, 1 },
					   i <= 55 ? DIAG_WARNING : DIAG_ERROR, "p%u", i), 0);
		if (i <= 3)
			ck_assert_int_eq(diags_add(&d, "b.yaml", (struct reg_loc){ i, 1 },
						   DIAG_ERROR, "q%u", i), 0);
	}
	ck_assert_int_eq(diags_cap_per_file(&d, 0, 50), 0);
	ck_assert_uint_eq(d.n, 50 + 1 + 3);
	ck_assert_uint_eq(d.errors, 3 + 1); /* b's three and a's closing note */
	size_t notes = 0;
	for (size_t i = 0; i < d.n; i++) {
		if (!strcmp(d.items[i].message, "... and 10 more problems")) {
			notes++;
			ck_assert_str_eq(d.items[i].file, "a.yaml");
			ck_assert_uint_eq(d.items[i].loc.line, 51);
			ck_assert_int_eq(d.items[i].severity, DIAG_ERROR);
		}
	}
	ck_assert_uint_eq(notes, 1);
	diags_release(&d);
}
END_TEST

/* Item 4: the verdict cache stays within its budget however many distinct
 * texts it is asked about, and keeps the ones in use. */
START_TEST(item4_cache_bounded)
{
	char text[64];
	struct sqlcheck_result res;
	size_t entries, bytes, max_entries = 0, max_bytes = 0;
	sqlcheck_cleanup();
	unsigned long before = sqlcheck_parse_count();
	for (int i = 0; i < 60000; i++) {
		snprintf(text, sizeof(text), "'%d'", i);
		ck_assert_int_eq(sqlcheck_expr(text, &res), 0);
		ck_assert(res.ok);
		ck_assert_int_eq(sqlcheck_type("VARCHAR(77)", &res), 0); /* in use throughout */
		ck_assert_str_eq(res.canonical, "varchar(77)");
		sqlcheck_cache_size(&entries, &bytes);
		max_entries = entries > max_entries ? entries : max_entries;
		max_bytes = bytes > max_bytes ? bytes : max_bytes;
	}
	ck_assert_uint_le(max_entries, SQLCHECK_CACHE_ENTRIES);
	ck_assert_uint_le(max_bytes, SQLCHECK_CACHE_BYTES);
	ck_assert_uint_eq(sqlcheck_parse_count(), before + 60000 + 1);
	/* big refused texts: 8 KiB defaults, 2,000 of them (16 MB of text) */
	struct sbuf big = SBUF_INIT;
	for (int i = 0; i < 2000; i++) {
		sbuf_reset(&big);
		sbuf_addf(&big, "'%d", i);
		while (big.len < 8000)
			sbuf_adds(&big, "xxxxxxxxxx");
		sbuf_adds(&big, "' FROM t");
		ck_assert_int_eq(sqlcheck_expr(big.buf, &res), 0);
		ck_assert(!res.ok);
		sqlcheck_cache_size(&entries, &bytes);
		ck_assert_uint_le(bytes, SQLCHECK_CACHE_BYTES);
	}
	/* a text over the limit is answered without being kept */
	sbuf_reset(&big);
	while (big.len <= 9000)
		sbuf_adds(&big, "1+1+1+1+1+");
	sbuf_adds(&big, "1");
	sqlcheck_cache_size(&entries, &bytes);
	size_t entries_before = entries;
	before = sqlcheck_parse_count();
	ck_assert_int_eq(sqlcheck_expr(big.buf, &res), 0);
	ck_assert(!res.ok);
	ck_assert_str_eq(res.message, "expression longer than 8192 bytes");
	sqlcheck_cache_size(&entries, &bytes);
	ck_assert_uint_eq(entries, entries_before);
	ck_assert_uint_eq(sqlcheck_parse_count(), before);
	sbuf_release(&big);
	sqlcheck_cleanup();
}
END_TEST

/* Item 6: what a default may call. */
START_TEST(item6_defaults_that_run_queries)
{
	static const char *const refused[] = {
		"length(query_to_xml('select pg_sleep(15)', true, true, '')::text)::text",
		"pg_read_file('/etc/hostname')",
		"pg_catalog.pg_read_binary_file('/etc/passwd')::text",
		"(pg_ls_dir('.'))",
		"set_config('search_path', 'x', false)",
		"pg_terminate_backend(1)::text",
		"pg_sleep(1)::text",
		"pg_advisory_lock(1)::text",
		"lo_import('/etc/passwd')",
		"dblink_exec('x', 'drop table t')",
		"PG_SLEEP(1)",
		"coalesce(pg_notify('c', 'x')::text, '')",
		"DEFAULT",
	};
	static const char *const accepted[] = { "nextval('other_seq')", "now()",
						"gen_random_uuid()", "current_setting('x')",
						"'pg_sleep(1)'" };
	struct sqlcheck_result res;
	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		ck_assert_int_eq(sqlcheck_expr(refused[i], &res), 0);
		ck_assert_msg(!res.ok, "accepted: %s", refused[i]);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(*accepted); i++) {
		ck_assert_int_eq(sqlcheck_expr(accepted[i], &res), 0);
		ck_assert_msg(res.ok, "refused: %s: %s", accepted[i], res.message);
	}
	char *out = check_text("name: t\nowner: svc\ncolumns:\n  - name: a\n    type: text\n"
			       "    default: \"length(query_to_xml('select 1', true, true, ''))::text\"\n"
			       "  - name: b\n    type: int\n    default: DEFAULT\n", "t", REG_EINVAL);
	ck_assert_str_eq(out,
		"schemas/t.yaml:6:22: error: invalid default 'length(query_to_xml('select 1', true, "
		"true, ''))::text' for column 'a': function 'query_to_xml' is not allowed in a "
		"default (it runs queries or has side effects, and checking a migration evaluates "
		"defaults)\n"
		"schemas/t.yaml:9:14: error: invalid default 'DEFAULT' for column 'b': DEFAULT is "
		"not a value (leave 'default' out for no default)\n");
	free(out);
	sqlcheck_cleanup();
}
END_TEST

/* Item 7: control characters in fields that reach line views. */
START_TEST(item7_control_characters)
{
	char *out = check_text("name: t\nowner: \"svc\\n2\\tfake-service\\tusers\\t-\\tdrop table 'users'\"\n"
			       "columns:\n  - name: a\n    type: \"text\\n\"\n"
			       "  - name: b\n    type: text\n    default: \"'x\\ty'\"\n"
			       "    description: \"free\\ttext\\nhere\"\n"
			       "version_history:\n  - version: 1.0.0\n    date: \"2024\\r\"\n"
			       "    changes: \"a\\nb\"\n", "t", REG_EINVAL);
	ck_assert_str_eq(out,
		"schemas/t.yaml:2:12: error: invalid owner 'svc\\x0a2\\x09fake-service\\x09users\\x09-"
		"\\x09drop table 'users'': control character 0x0a (text views are line and tab "
		"separated; only description and changes may hold one)\n"
		"schemas/t.yaml:11:5: error: invalid version_history date '2024\\x0d': control "
		"character 0x0d (text views are line and tab separated; only description and changes "
		"may hold one)\n"
		"schemas/t.yaml:5:16: error: invalid type 'text\\x0a' for column 'a': control character "
		"0x0a (text views are line and tab separated; only description and changes may hold "
		"one)\n"
		"schemas/t.yaml:8:17: error: invalid default ''x\\x09y'' for column 'b': control "
		"character 0x09 (text views are line and tab separated; only description and changes "
		"may hold one)\n");
	free(out);
	/* and the plain views escape whatever gets there anyway */
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *a = NULL, *b = NULL;
	struct diags d = DIAGS_INIT;
	static const char ya[] = "name: a\nowner: svc\ncolumns:\n  - name: id\n    type: int\n"
				 "    primary_key: true\n";
	static const char yb[] = "name: b\nowner: x\ncolumns:\n  - name: a_id\n    type: int\n"
				 "references:\n  - schema: a\n    column: id\n    foreign_key: a_id\n";
	ck_assert_int_eq(reg_schema_from_bytes(ya, strlen(ya), "a.yaml", "a", &a, &d), 0);
	ck_assert_int_eq(reg_schema_from_bytes(yb, strlen(yb), "b.yaml", "b", &b, &d), 0);
	free(b->owner);
	b->owner = strdup("svc\n2\tforged");
	ck_assert_int_eq(reg_register(r, a), 0);
	ck_assert_int_eq(reg_register(r, b), 0);
	struct sbuf view = SBUF_INIT;
	ck_assert_int_eq(render_dependents(r, "a", &view), 0);
	ck_assert_str_eq(view.buf, "svc\\n2\\tforged\n");
	sbuf_release(&view);
	diags_release(&d);
	reg_registry_free(r);
	sqlcheck_cleanup();
}
END_TEST

/* Item 8: passwords in registry.yaml's target; redaction keeps quoting. */
START_TEST(item8_target_password)
{
	static const char *const with[] = {
		"host=/run/pg dbname=app password=secret", "password = 'a b'",
		"sslpassword=x", "postgresql://me:secret@db/app",
		"postgres://db/app?password=x", "postgresql://db/app?sslmode=require&pass%77ord=x",
		"dbname=app\tpassword=x",
	};
	static const char *const without[] = {
		"host=/run/pg dbname=app", "service=prod", "dbname='a password=b'",
		"postgresql://me@db/app", "postgresql://db:5432/app?sslmode=require", "",
		"dbname=password", "application_name='x\\' password=y'",
	};
	for (size_t i = 0; i < sizeof(with) / sizeof(*with); i++)
		ck_assert_msg(reg_target_has_password(with[i]), "missed: %s", with[i]);
	for (size_t i = 0; i < sizeof(without) / sizeof(*without); i++)
		ck_assert_msg(!reg_target_has_password(without[i]), "false alarm: %s", without[i]);

	static const char meta[] = "name: app\ntarget: \"host=/run/pg password=secret\"\n";
	struct reg_meta m;
	struct diags d = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	ck_assert_int_eq(schemafile_parse_meta(meta, strlen(meta), "registry.yaml", &m, &d), 0);
	diags_render(&d, &out);
	ck_assert_str_eq(out.buf, "registry.yaml:2:9: warning: 'target' holds a password, which is "
			 "kept in every revision of registry.yaml; put it in ~/.pgpass or PGPASSFILE, "
			 "or use a service file (target: service=NAME)\n");
	reg_meta_release(&m);
	sbuf_release(&out);
	diags_release(&d);

	/* shown without the password, and meaning the same target */
	ck_assert_int_eq(pg_target_display("dbname='a password=b' host=/tmp", &out), 0);
	ck_assert_str_eq(out.buf, "host=/tmp dbname='a password=b'");
	sbuf_reset(&out);
	ck_assert_int_eq(pg_target_display("dbname='it''s' user='x\\\\y' password=s", &out), 0);
	ck_assert_ptr_null(strstr(out.buf, "password"));
	sbuf_release(&out);
}
END_TEST

/* Item 8: a new store and its -wal/-shm are private whatever the umask;
 * an existing world-readable one is warned about and left as it is. */
START_TEST(item8_store_modes)
{
	char *path = tu_tmp_path("r.db"), *wal = tu_tmp_path("r.db-wal");
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	struct stat sb;
	mode_t old = umask(022);
	ck_assert_int_eq(store_open(path, &st, &err), 0);
	ck_assert_int_eq(store_put_schema(st, "t", "x", 1, NULL), 0);
	ck_assert_ptr_null(store_warning(st));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(wal, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	store_close(st);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(store_open(path, &st, &err), 0);
	ck_assert_ptr_nonnull(store_warning(st));
	ck_assert_ptr_nonnull(strstr(store_warning(st), "readable by other users (mode 0644)"));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0644);
	store_close(st);
	umask(old);
	sbuf_release(&err);
	free(path);
	free(wal);
}
END_TEST

/* Item 13: a command that only reads does not create a database. */
START_TEST(item13_read_only_open)
{
	char *path = tu_tmp_path("none/r.db");
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	struct stat sb;
	ck_assert_int_eq(store_open_mode(path, STORE_OPEN_READ, &st, &err), REG_ENOENT);
	ck_assert_ptr_null(st);
	ck_assert_int_ne(stat(path, &sb), 0);
	ck_assert_ptr_nonnull(strstr(err.buf, "no database"));
	free(path);
	path = tu_tmp_path("r.db");
	sbuf_reset(&err);
	ck_assert_int_eq(store_open(path, &st, &err), 0);
	ck_assert_int_eq(store_put_schema(st, "t", "x", 1, NULL), 0);
	store_close(st);
	ck_assert_int_eq(store_open_mode(path, STORE_OPEN_READ, &st, &err), 0);
	struct store_rev *revs;
	size_t n;
	ck_assert_int_eq(store_current(st, &revs, &n), 0);
	ck_assert_uint_eq(n, 1);
	store_revs_free(revs, n);
	ck_assert_int_ne(store_put_schema(st, "u", "y", 1, NULL), 0); /* read only */
	store_close(st);
	sbuf_release(&err);
	free(path);
}
END_TEST

/* Items 11 and 13: names no content can make acceptable. */
START_TEST(item11_names_that_can_never_be_schemas)
{
	static const char *const bad[] = { "Users.yaml", "$x.yaml", "registry.yaml", "1a.yaml",
					   "a b.yaml", ".yaml", "x.yml", "x" };
	static const char *const good[] = { "users.yaml", "_x.yaml", "a$1.yaml" };
	const char *why;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(!reg_validate_file_name(bad[i], &why), "accepted %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		ck_assert_msg(reg_validate_file_name(good[i], &why), "refused %s", good[i]);
	char *out = check_text("name: registry\nowner: svc\ncolumns:\n  - name: id\n    type: int\n",
			       "registry", REG_EINVAL);
	ck_assert_str_eq(out, "schemas/registry.yaml:1:7: error: table name 'registry' is "
			 "reserved: registry.yaml holds the registry's own settings, so no schema "
			 "file can have that name\n");
	free(out);
	sqlcheck_cleanup();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, item3_wide_file_is_linear_and_capped);
	tcase_add_test(tc, item3_suggestions_bounded);
	tcase_add_test(tc, item3_cap_per_file);
	tcase_add_test(tc, item4_cache_bounded);
	tcase_add_test(tc, item6_defaults_that_run_queries);
	tcase_add_test(tc, item7_control_characters);
	tcase_add_test(tc, item8_target_password);
	tcase_add_test(tc, item8_store_modes);
	tcase_add_test(tc, item13_read_only_open);
	tcase_add_test(tc, item11_names_that_can_never_be_schemas);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
