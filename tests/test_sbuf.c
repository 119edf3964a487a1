#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "sbuf.h"

START_TEST(sbuf_never_null_and_terminated)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_ptr_nonnull(sb.buf);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_int_eq(sbuf_addf(&sb, "%s-%d", "a", 42), 0);
	ck_assert_str_eq(sb.buf, "a-42");
	ck_assert_uint_eq(sb.len, 4);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(sbuf_addch(&sb, 'x'), 0);
	ck_assert_uint_eq(sb.len, 1004);
	ck_assert_uint_eq(strlen(sb.buf), 1004);
	size_t len;
	char *s = sbuf_detach(&sb, &len);
	ck_assert_uint_eq(len, 1004);
	ck_assert_str_eq(sb.buf, "");
	free(s);
	sbuf_release(&sb);
}
END_TEST

START_TEST(sbuf_addf_grows_past_first_guess)
{
	struct sbuf sb = SBUF_INIT;
	char big[5000];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(sbuf_adds(&sb, "ab"), 0);
	ck_assert_int_eq(sbuf_addf(&sb, "[%s]", big), 0);
	ck_assert_uint_eq(sb.len, 2 + 2 + 4999);
	ck_assert_int_eq(sb.buf[sb.len - 1], ']');
	sbuf_release(&sb);
}
END_TEST

/* A format that fails half-way (a wide character the C locale cannot
 * convert) leaves the buffer as it was, terminator included. */
START_TEST(sbuf_failed_addf_leaves_buffer)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(sbuf_adds(&sb, "abc"), 0);
	ck_assert_int_ne(sbuf_addf(&sb, "written first %ls", L"\x263a"), 0);
	ck_assert_uint_eq(sb.len, 3);
	ck_assert_str_eq(sb.buf, "abc");
	sbuf_release(&sb);
}
END_TEST

START_TEST(diags_render_and_sort)
{
	struct diags d = DIAGS_INIT;
	diags_add(&d, "b.yaml", (struct reg_loc){ 3, 1 }, DIAG_ERROR, "second '%s'", "x");
	diags_add(&d, "a.yaml", (struct reg_loc){ 9, 2 }, DIAG_WARNING, "first");
	diags_add(&d, "a.yaml", (struct reg_loc){ 0, 0 }, DIAG_ERROR, "no place");
	ck_assert_uint_eq(d.errors, 2);
	diags_sort(&d);
	struct sbuf out = SBUF_INIT;
	diags_render(&d, &out);
	ck_assert_str_eq(out.buf, "a.yaml: error: no place\n"
				  "a.yaml:9:2: warning: first\n"
				  "b.yaml:3:1: error: second 'x'\n");
	sbuf_release(&out);
	diags_release(&d);
}
END_TEST

START_TEST(nearest_suggests_typos_only)
{
	static const char *const keys[] = { "name", "type", "nullable", "primary_key", NULL };
	ck_assert_str_eq(reg_nearest("nulable", keys), "nullable");
	ck_assert_str_eq(reg_nearest("primary-key", keys), "primary_key");
	ck_assert_ptr_null(reg_nearest("completely_else", keys));
	ck_assert_uint_eq(reg_edit_distance("kitten", "sitting", 5), 3);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sbuf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sbuf_never_null_and_terminated);
	tcase_add_test(tc, sbuf_addf_grows_past_first_guess);
	tcase_add_test(tc, sbuf_failed_addf_leaves_buffer);
	tcase_add_test(tc, diags_render_and_sort);
	tcase_add_test(tc, nearest_suggests_typos_only);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
