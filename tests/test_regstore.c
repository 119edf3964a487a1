/* Unit tests for backends/regstore.c: load, sync, save, refuse, import,
 * on a real SQLite file in a temp dir. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "regstore.h"
#include "strlist.h"

static struct store *open_ok(const char *path)
{
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	ck_assert_msg(store_open(path, &st, &err) == 0, "store_open: %s", err.buf);
	sbuf_release(&err);
	return st;
}

static char *schema_text(const char *name, const char *version)
{
	char *s = NULL;
	ck_assert_int_ge(asprintf(&s, "name: %s\nowner: team-%s\nversion: %s\ncolumns:\n"
				  "  - name: id\n    type: UUID\n    primary_key: true\n",
				  name, name, version), 0);
	return s;
}

static void put(struct store *st, const char *name, const char *version)
{
	char *s = schema_text(name, version);
	ck_assert_int_eq(store_put_schema(st, name, s, strlen(s), NULL), 0);
	free(s);
}

static void note(void *ctx, const char *name)
{
	ck_assert_int_eq(strlist_push(ctx, name ? name : "(registry.yaml)"), 0);
}

START_TEST(load_registers_every_current_revision)
{
	char *db = tu_tmp_path("r.db");
	struct store *st = open_ok(db);
	put(st, "a", "1.0.0");
	put(st, "b", "1.0.0");
	/* stored bytes are parsed, not validated again: a name that does not
	 * match its file still loads */
	const char *odd = "name: other\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n";
	ck_assert_int_eq(store_put_schema(st, "c", odd, strlen(odd), NULL), 0);
	struct reg_registry *reg = reg_registry_new();
	struct regstore *rs = NULL;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(regstore_new(st, reg, &rs), 0);
	ck_assert_int_eq(regstore_load(rs, &d), 0);
	ck_assert_uint_eq(d.errors, 0);
	ck_assert_uint_eq(reg->n, 3);
	int64_t id = 0;
	ck_assert(regstore_head(rs, "a", &id, NULL));
	ck_assert_int_gt(id, 0);
	ck_assert(!regstore_head(rs, "zz", NULL, NULL));
	diags_release(&d);
	regstore_free(rs);
	reg_registry_free(reg);
	store_close(st);
	free(db);
}
END_TEST

START_TEST(sync_reports_exactly_the_changed_names)
{
	char *db = tu_tmp_path("r.db");
	struct store *st = open_ok(db), *other = open_ok(db);
	put(st, "a", "1.0.0");
	put(st, "b", "1.0.0");
	put(st, "c", "1.0.0");
	struct reg_registry *reg = reg_registry_new();
	struct regstore *rs = NULL;
	struct diags d = DIAGS_INIT;
	struct strlist changed = STRLIST_INIT;
	ck_assert_int_eq(regstore_new(st, reg, &rs), 0);
	ck_assert_int_eq(regstore_load(rs, &d), 0);
	ck_assert_int_eq(regstore_sync(rs, &d, note, &changed), 0);
	ck_assert_uint_eq(changed.n, 0);
	/* another process: b replaced, c removed, d added */
	put(other, "b", "2.0.0");
	ck_assert_int_eq(store_delete_schema(other, "c"), 0);
	put(other, "d", "1.0.0");
	ck_assert_int_eq(regstore_sync(rs, &d, note, &changed), 0);
	strlist_sort(&changed);
	ck_assert_uint_eq(changed.n, 3);
	ck_assert_str_eq(changed.items[0], "b");
	ck_assert_str_eq(changed.items[1], "c");
	ck_assert_str_eq(changed.items[2], "d");
	ck_assert_ptr_null(reg_get(reg, "c"));
	ck_assert_str_eq(reg_get(reg, "b")->version, "2.0.0");
	strlist_release(&changed);
	ck_assert_int_eq(regstore_sync(rs, &d, note, &changed), 0);
	ck_assert_uint_eq(changed.n, 0);
	strlist_release(&changed);
	diags_release(&d);
	regstore_free(rs);
	reg_registry_free(reg);
	store_close(other);
	store_close(st);
	free(db);
}
END_TEST

START_TEST(save_validates_stores_registers_and_clears_refusal)
{
	char *db = tu_tmp_path("r.db");
	struct store *st = open_ok(db);
	struct reg_registry *reg = reg_registry_new();
	struct regstore *rs = NULL;
	struct diags d = DIAGS_INIT, all = DIAGS_INIT;
	ck_assert_int_eq(regstore_new(st, reg, &rs), 0);
	const char *bad = "name: a\nowner: x\ncolumns:\n  - name: id\n    type: UUID\n"
			  "    nulable: true\n";
	struct regstore_save sv = { .name = "a", .bytes = bad, .len = strlen(bad) };
	ck_assert_int_eq(regstore_save(rs, &sv, &d), REG_EINVAL);
	ck_assert_uint_gt(d.errors, 0);
	ck_assert_ptr_null(reg_get(reg, "a"));
	ck_assert_int_eq(regstore_refuse(rs, "schemas/a.yaml", &d), 0);
	ck_assert_int_eq(store_refusals(st, &all), 0);
	ck_assert_uint_gt(all.n, 0);
	diags_release(&all);
	diags_release(&d);
	char *good = schema_text("a", "1.0.0");
	sv = (struct regstore_save){ .name = "a", .bytes = good, .len = strlen(good),
				     .refused = true, .check_base = true, .base = 0 };
	ck_assert_int_eq(regstore_save(rs, &sv, &d), 0);
	ck_assert(!sv.refused);
	ck_assert_int_gt(sv.rev, 0);
	ck_assert_ptr_nonnull(reg_get(reg, "a"));
	ck_assert_int_eq(store_refusals(st, &all), 0);
	ck_assert_uint_eq(all.n, 0);
	/* a second save based on no revision loses: a is current now */
	sv = (struct regstore_save){ .name = "a", .bytes = good, .len = strlen(good),
				     .check_base = true, .base = 0 };
	ck_assert_int_eq(regstore_save(rs, &sv, &d), REG_EBUSY);
	ck_assert(sv.conflict);
	ck_assert_int_gt(sv.newer, 0);
	free(good);
	diags_release(&all);
	diags_release(&d);
	regstore_free(rs);
	reg_registry_free(reg);
	store_close(st);
	free(db);
}
END_TEST

START_TEST(import_is_idempotent_and_prunes)
{
	char *db = tu_tmp_path("r.db"), *dir = tu_tmp_path("in");
	char *fa = tu_tmp_path("in/a.yaml"), *fb = tu_tmp_path("in/b.yaml");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	char *a = schema_text("a", "1.0.0"), *b = schema_text("b", "1.0.0");
	ck_assert_int_eq(tu_write_file(fa, a, strlen(a)), 0);
	ck_assert_int_eq(tu_write_file(fb, b, strlen(b)), 0);
	struct store *st = open_ok(db);
	put(st, "old", "1.0.0");
	struct diags d = DIAGS_INIT;
	for (int round = 0; round < 2; round++) {
		struct regstore_import im = REGSTORE_IMPORT_INIT;
		ck_assert_int_eq(regstore_import_read(&im, dir, NULL, &d), 0);
		ck_assert_uint_eq(im.naccepted, 2);
		ck_assert_int_eq(regstore_import_store(st, &im, true), 0);
		ck_assert_uint_eq(im.nstored, round == 0 ? 2 : 0);
		ck_assert_uint_eq(im.npruned, round == 0 ? 1 : 0);
		regstore_import_release(&im);
	}
	struct store_rev *revs = NULL;
	size_t n = 0;
	ck_assert_int_eq(store_history(st, "a", &revs, &n), 0);
	ck_assert_uint_eq(n, 1);
	store_revs_free(revs, n);
	diags_release(&d);
	store_close(st);
	free(a);
	free(b);
	free(fa);
	free(fb);
	free(dir);
	free(db);
}
END_TEST

static Suite *regstore_suite(void)
{
	Suite *s = suite_create("regstore");
	TCase *tc = tcase_create("regstore");
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, load_registers_every_current_revision);
	tcase_add_test(tc, sync_reports_exactly_the_changed_names);
	tcase_add_test(tc, save_validates_stores_registers_and_clears_refusal);
	tcase_add_test(tc, import_is_idempotent_and_prunes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(regstore_suite());
}
