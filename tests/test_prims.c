/* The core's primitives: strmap, strlist, text, jsonw. */
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "jsonw.h"
#include "path.h"
#include "sbuf.h"
#include "strlist.h"
#include "strmap.h"
#include "text.h"

START_TEST(strmap_put_get_replace_remove)
{
	struct strmap m = STRMAP_INIT;
	char key[32];
	/* enough keys to grow several times and to make probe runs */
	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		ck_assert_int_eq(strmap_put_s(&m, key, (void *)(i + 1), NULL), 0);
	}
	ck_assert_uint_eq(m.n, 5000);
	void *old;
	ck_assert_int_eq(strmap_put_s(&m, "k7", (void *)77, &old), 0);
	ck_assert_ptr_eq(old, (void *)8);
	ck_assert_uint_eq(m.n, 5000);
	/* remove every other key; the rest must stay reachable */
	for (long i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof(key), "k%ld", i);
		ck_assert_ptr_nonnull(strmap_remove_s(&m, key));
	}
	ck_assert_uint_eq(m.n, 2500);
	for (long i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		void *v = strmap_get_s(&m, key);
		if (i % 2 == 0)
			ck_assert_ptr_null(v);
		else
			ck_assert_ptr_eq(v, i == 7 ? (void *)77 : (void *)(i + 1));
	}
	size_t seen = 0;
	for (struct strmap_entry *e = NULL; (e = strmap_next(&m, e));)
		seen++;
	ck_assert_uint_eq(seen, 2500);
	ck_assert_ptr_null(strmap_remove_s(&m, "absent"));
	strmap_release(&m, NULL);
	ck_assert_uint_eq(m.n, 0);
}
END_TEST

START_TEST(strmap_binary_and_borrowed_keys)
{
	struct strmap m = STRMAP_INIT_BORROWED;
	static const char a[] = { 'x', 0, 'y' }, b[] = { 'x', 0, 'z' };
	ck_assert_int_eq(strmap_put(&m, a, 3, (void *)1, NULL), 0);
	ck_assert_int_eq(strmap_put(&m, b, 3, (void *)2, NULL), 0);
	ck_assert_ptr_eq(strmap_get(&m, a, 3), (void *)1);
	ck_assert_ptr_eq(strmap_get(&m, b, 3), (void *)2);
	ck_assert_ptr_null(strmap_get(&m, a, 1));
	ck_assert_ptr_eq(strmap_find(&m, a, 3)->key, a); /* not copied */
	strmap_release(&m, NULL);
	ck_assert(m.borrowed);
}
END_TEST

START_TEST(strlist_sort_uniq_find_split_join)
{
	struct strlist l = STRLIST_INIT;
	ck_assert_int_eq(strlist_split(&l, "b,a,,c,a,", ',', false), 0);
	ck_assert_uint_eq(l.n, 5); /* b a "" c a: a trailing sep adds nothing */
	strlist_sort(&l);
	strlist_uniq(&l);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_str_eq(l.items[0], "");
	ck_assert_int_eq(strlist_find_sorted(&l, "c"), 3);
	ck_assert_int_eq(strlist_find_sorted(&l, "d"), -1);
	ck_assert_int_eq(strlist_find(&l, "a"), 1);
	struct sbuf out = SBUF_INIT;
	ck_assert_int_eq(strlist_join(&l, " ", &out), 0);
	ck_assert_str_eq(out.buf, " a b c");
	strlist_release(&l);
	ck_assert_int_eq(strlist_split(&l, "x\n\ny\n", '\n', true), 0);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.items[1], "y");
	sbuf_release(&out);
	strlist_release(&l);
}
END_TEST

START_TEST(text_utf8_rfc3629)
{
	uint32_t cp;
	ck_assert_uint_eq(text_utf8_decode("\xed\x95\x9c", 3, 0, &cp), 3); /* 한 */
	ck_assert_uint_eq(cp, 0xd55c);
	ck_assert_uint_eq(text_utf8_len("\xc0\xaf", 2, 0), 0);         /* overlong */
	ck_assert_uint_eq(text_utf8_len("\xed\xa0\x80", 3, 0), 0);     /* surrogate */
	ck_assert_uint_eq(text_utf8_len("\xf4\x90\x80\x80", 4, 0), 0); /* > U+10FFFF */
	ck_assert_uint_eq(text_utf8_len("\xe2\x82", 2, 0), 0);         /* cut short */
	size_t bad = 99;
	ck_assert(!text_utf8_valid("ab\xffz", 4, &bad));
	ck_assert_uint_eq(bad, 2);
	ck_assert(text_utf8_valid("a\xc3\xa9", 3, NULL));
	ck_assert_uint_eq(text_utf8_chars("a\xc3\xa9z", 4), 3);
	ck_assert_uint_eq(text_utf8_cut("a\xe2\x82", 3), 1);     /* drop the cut sequence */
	ck_assert_uint_eq(text_utf8_cut("a\xe2\x82\xac", 4), 4); /* keep a whole one */
	ck_assert_uint_eq(text_utf8_cut("abc", 2), 2);
}
END_TEST

START_TEST(text_places_in_characters)
{
	const char *sql = "select 1;\n  \xc3\xa9x;\nz";
	struct text_lines tl;
	ck_assert_int_eq(text_lines_init(&tl, sql, strlen(sql), TEXT_BREAKS_LF), 0);
	struct reg_loc l = text_lines_loc(&tl, 14); /* the x after é */
	ck_assert_uint_eq(l.line, 2);
	ck_assert_uint_eq(l.col, 4);
	struct reg_loc one = text_loc(sql, strlen(sql), 14, TEXT_BREAKS_LF);
	ck_assert_uint_eq(one.line, l.line);
	ck_assert_uint_eq(one.col, l.col);
	l = text_lines_loc(&tl, 999); /* clamped to the end */
	ck_assert_uint_eq(l.line, 3);
	ck_assert_uint_eq(l.col, 2);
	text_lines_release(&tl);
	/* YAML: CRLF is one break, a BOM is not a column */
	const char *y = "\xef\xbb\xbf" "a\r\nb";
	l = text_loc(y, strlen(y), 6, TEXT_BREAKS_YAML);
	ck_assert_uint_eq(l.line, 2);
	ck_assert_uint_eq(l.col, 1);
	l = text_loc(y, strlen(y), 3, TEXT_BREAKS_YAML);
	ck_assert_uint_eq(l.col, 1);
}
END_TEST

START_TEST(jsonw_valid_for_parser)
{
	struct sbuf out = SBUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &out);
	jsonw_obj(&w);
	jsonw_kstr(&w, "s", "q\"\\\n\x01 \xff end");
	jsonw_kint(&w, "n", -5);
	jsonw_kbool(&w, "b", true);
	jsonw_kstr(&w, "null", NULL);
	jsonw_key(&w, "a");
	jsonw_arr(&w);
	jsonw_int(&w, 1);
	jsonw_obj(&w);
	jsonw_end(&w);
	jsonw_arr(&w);
	jsonw_end(&w);
	jsonw_end(&w);
	jsonw_end(&w);
	ck_assert_int_eq(jsonw_finish(&w), 0);
	ck_assert_str_eq(out.buf, "{\"s\":\"q\\\"\\\\\\n\\u0001 \\ufffd end\",\"n\":-5,\"b\":true,"
				  "\"null\":null,\"a\":[1,{},[]]}");
	json_object *o = json_tokener_parse(out.buf);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	/* misuse is an error, not bad JSON passed on silently */
	sbuf_reset(&out);
	jsonw_init(&w, &out);
	jsonw_obj(&w);
	jsonw_int(&w, 1); /* a value without a key */
	ck_assert_int_eq(jsonw_finish(&w), REG_EINVAL);
	sbuf_release(&out);
}
END_TEST

START_TEST(sbuf_first_error_sticks)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb, "ok");
	ck_assert_int_eq(sbuf_fail(&sb, REG_ENOMEM), REG_ENOMEM);
	ck_assert_int_eq(sbuf_adds(&sb, "more"), REG_ENOMEM);
	ck_assert_int_eq(sbuf_addf(&sb, "%d", 1), REG_ENOMEM);
	ck_assert_str_eq(sb.buf, "ok"); /* later appends were no-ops */
	ck_assert_int_eq(sbuf_fail(&sb, REG_EINVAL), REG_ENOMEM); /* the first one stays */
	sbuf_reset(&sb);
	ck_assert_int_eq(sbuf_error(&sb), 0);
	ck_assert_int_eq(sbuf_adds(&sb, "x"), 0);
	sbuf_release(&sb);
}
END_TEST

START_TEST(path_join_mkdir_list_read)
{
	char *p = path_join("d/", "x.yaml");
	ck_assert_str_eq(p, "d/x.yaml");
	free(p);
	p = path_join("", "x");
	ck_assert_str_eq(p, "x");
	free(p);
	char *deep = tu_tmp_path("a/b/c");
	ck_assert_int_eq(path_mkdir_p(deep, 0777), 0);
	ck_assert_int_eq(path_mkdir_p(deep, 0777), 0); /* exists: fine */
	char *f = tu_tmp_path("a/b/c/t.yaml"), *fifo = tu_tmp_path("a/b/c/x.yaml");
	char *hidden = tu_tmp_path("a/b/c/.t.yaml.swp");
	ck_assert_int_eq(tu_write_file(f, "name: t\n", 8), 0);
	ck_assert_int_eq(tu_write_file(hidden, "x", 1), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	struct strlist l = STRLIST_INIT;
	ck_assert_int_eq(path_list_yaml(deep, &l), 0);
	ck_assert_uint_eq(l.n, 1); /* not the FIFO, not the dotfile */
	ck_assert_str_eq(l.items[0], "t.yaml");
	struct sbuf out = SBUF_INIT;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(path_read_file(fifo, "x.yaml", 100, &out, &d), 1); /* no blocking */
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(path_read_file(f, "t.yaml", 100, &out, &d), 0);
	ck_assert_str_eq(out.buf, "name: t\n");
	ck_assert_int_eq(path_read_file(f, "t.yaml", 3, &out, &d), 1); /* over the limit */
	ck_assert_uint_eq(d.errors, 1);
	ck_assert_int_eq(path_list_yaml(f, &l), REG_ENOENT);
	diags_release(&d);
	sbuf_release(&out);
	strlist_release(&l);
	free(f);
	free(fifo);
	free(hidden);
	free(deep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prims");
	TCase *tc = tcase_create("prims");
	tcase_add_test(tc, strmap_put_get_replace_remove);
	tcase_add_test(tc, strmap_binary_and_borrowed_keys);
	tcase_add_test(tc, strlist_sort_uniq_find_split_join);
	tcase_add_test(tc, text_utf8_rfc3629);
	tcase_add_test(tc, text_places_in_characters);
	tcase_add_test(tc, jsonw_valid_for_parser);
	tcase_add_test(tc, sbuf_first_error_sticks);
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, path_join_mkdir_list_read);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
