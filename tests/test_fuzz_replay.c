/*
 * test_fuzz_replay: every seed and every saved finding of the fuzz
 * harnesses (tests/fuzz/), judged by the same properties (tests/fuzz/props.h)
 * under the normal build, so that what fuzzing found stays fixed without
 * clang or libFuzzer. Also a few hostile inputs too big to keep as files,
 * built here.
 *
 * tests/fuzz/regressions/OPEN lists findings not fixed yet ("kind/file",
 * one a line, '#' comments): those must still fail, and the test says so
 * when one starts passing, so that the list stays true.
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz/props.h"

enum kind { KIND_YAML, KIND_SQL };

static int check_one(enum kind k, const char *bytes, size_t len, struct sbuf *why)
{
	int rc = k == KIND_YAML ? fz_check_yaml((const uint8_t *)bytes, len, why)
				: fz_check_sql((const uint8_t *)bytes, len, why);
	sqlcheck_cleanup();
	ck_assert_msg(rc != REG_ENOMEM, "out of memory");
	return rc;
}

/* Whether "kind/name" is listed in tests/fuzz/regressions/OPEN. */
static int is_open(const char *kind, const char *name)
{
	char *path = tu_src_path("tests/fuzz/regressions/OPEN");
	size_t len;
	char *list = tu_read_file(path, &len);
	int found = 0;
	free(path);
	if (!list)
		return 0;
	for (char *save = NULL, *line = strtok_r(list, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		char entry[512];
		if (line[0] == '#' || sscanf(line, "%511s", entry) != 1)
			continue;
		char want[512];
		snprintf(want, sizeof(want), "%s/%s", kind, name);
		found = !strcmp(entry, want);
	}
	free(list);
	return found;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Replays every file of tests/fuzz/<set>/<kind>/; returns how many. All
 * failures are collected so one run names every broken file. */
static size_t replay_dir(const char *set, enum kind k, int need_files)
{
	const char *kind = k == KIND_YAML ? "yaml" : "sql";
	char rel[256];
	snprintf(rel, sizeof(rel), "tests/fuzz/%s/%s", set, kind);
	char *dir = tu_src_path(rel);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, by_name);
	struct sbuf failures = SBUF_INIT;
	size_t replayed = 0;

	ck_assert_msg(n >= 0, "cannot read %s", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[1024];
		size_t len;
		if (name[0] == '.')
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		char *bytes = tu_read_file(path, &len);
		ck_assert_msg(bytes != NULL, "cannot read %s", path);
		struct sbuf why = SBUF_INIT;
		int bad = check_one(k, bytes, len, &why);
		int open = !strcmp(set, "regressions") && is_open(kind, name);
		if (bad && !open)
			sbuf_addf(&failures, "%s/%s: %s\n", rel, name, why.buf);
		else if (!bad && open)
			sbuf_addf(&failures, "%s/%s: passes now: remove '%s/%s' from "
				  "tests/fuzz/regressions/OPEN\n", rel, name, kind, name);
		else if (bad)
			fprintf(stderr, "known open finding %s/%s: %s\n", rel, name, why.buf);
		sbuf_release(&why);
		free(bytes);
		replayed++;
next:
		free(ents[i]);
	}
	free(ents);
	free(dir);
	ck_assert_msg(!failures.len, "%s", failures.buf);
	sbuf_release(&failures);
	if (need_files)
		ck_assert_msg(replayed > 0, "no files in %s", rel);
	return replayed;
}

START_TEST(replay_yaml_seeds)
{
	replay_dir("seeds", KIND_YAML, 1);
}
END_TEST

START_TEST(replay_sql_seeds)
{
	replay_dir("seeds", KIND_SQL, 1);
}
END_TEST

START_TEST(replay_yaml_regressions)
{
	replay_dir("regressions", KIND_YAML, 0);
}
END_TEST

START_TEST(replay_sql_regressions)
{
	replay_dir("regressions", KIND_SQL, 0);
}
END_TEST

/* ---- hostile inputs built here (too big to keep as files) ---- */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail,
		    size_t *len)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(sbuf_adds(&sb, head), 0);
	for (size_t i = 0; i < times; i++)
		ck_assert_int_eq(sbuf_adds(&sb, unit), 0);
	ck_assert_int_eq(sbuf_adds(&sb, tail), 0);
	return sbuf_detach(&sb, len);
}

/* A schema whose default is open^n mid close^n. */
static char *nested(const char *open, size_t n, const char *mid, const char *close)
{
	char *o = repeat("", open, n, mid, NULL);
	char *c = repeat("", close, n, "\"\n", NULL);
	char *b = repeat("name: t\nowner: o\ncolumns:\n  - name: id\n    type: int\n"
			 "    default: \"", o, 1, c, NULL);
	free(o);
	free(c);
	return b;
}

/* Either answer is right, as long as it comes and the properties hold. */
#define ACCEPT_OR_REFUSE 1

/* The bytes get want_rc (refused unless 0) and every property holds. */
static void hostile(const char *what, const char *bytes, size_t len, int want_rc)
{
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	struct sbuf why = SBUF_INIT;
	int rc = reg_schema_from_bytes(bytes, len, FZ_FILE, NULL, &s, &d);
	if (want_rc == ACCEPT_OR_REFUSE)
		want_rc = rc ? REG_EINVAL : 0;
	ck_assert_msg(rc == want_rc, "%s: returned %d, expected %d", what, rc, want_rc);
	ck_assert_msg(want_rc == 0 || d.errors >= 1, "%s: refused without an error", what);
	reg_schema_free(s);
	diags_release(&d);
	ck_assert_msg(!check_one(KIND_YAML, bytes, len, &why), "%s: %s", what, why.buf);
	sbuf_release(&why);
}

static const char schema_head[] = "name: t\nowner: o\ncolumns:\n  - name: id\n    type: int\n";

START_TEST(hostile_yaml)
{
	size_t len;
	char *b;

	/* one byte over the limit: refused before parsing */
	b = repeat(schema_head, "#", REG_MAX_FILE_SIZE + 1 - strlen(schema_head), "", &len);
	ck_assert_uint_eq(len, REG_MAX_FILE_SIZE + 1);
	hostile("over the size limit", b, len, REG_E2BIG);
	free(b);

	/* deep flow nesting: stops at the nesting limit, not the stack */
	b = repeat("name: ", "[", 100000, "", &len);
	hostile("deep flow sequences", b, len, REG_EINVAL);
	free(b);
	b = repeat("name: ", "{a: ", 50000, "", &len);
	hostile("deep flow mappings", b, len, REG_EINVAL);
	free(b);

	/* the expansion bomb: refused at its first alias */
	b = repeat("a: &a [x, x, x, x, x, x, x, x, x]\n", "", 0,
		   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n", &len);
	hostile("alias bomb", b, len, REG_EINVAL);
	free(b);

	/* many small errors: reported up to a cap, not one by one forever */
	b = repeat(schema_head, "  - {name: x, type: int, nulable: true}\n", 20000, "", &len);
	hostile("20000 unknown keys", b, len, REG_EINVAL);
	free(b);

	/* a type text near the limit, as one long list of modifiers: the
	 * grammar takes any number (PostgreSQL refuses them later, when the
	 * type is resolved; sqlcheck is the grammar only), so it may be
	 * accepted, or refused for its length; either way quickly */
	b = repeat("name: t\nowner: o\ncolumns:\n  - name: id\n    type: \"numeric(", "1,", 200000,
		   "1)\"\n", &len);
	hostile("200000 type modifiers", b, len, ACCEPT_OR_REFUSE);
	free(b);

	/* parentheses add no level to the tree: accepted, quickly */
	b = nested("(", 3000, "1", ")");
	hostile("3000 nested parentheses", b, strlen(b), 0);
	free(b);

	/* calls do: deeper than sqlcheck's JSON reader goes, refused */
	b = nested("abs(", 3000, "1", ")");
	hostile("3000 nested calls", b, strlen(b), REG_EINVAL);
	free(b);

	/* deeper than the grammar's own stack: refused by the parser */
	b = nested("abs(", 20000, "1", ")");
	hostile("20000 nested calls", b, strlen(b), REG_EINVAL);
	free(b);
}
END_TEST

/*
 * An accepted file near the size limit whose canonical form is larger than
 * the limit (a raw tab is one byte; canonical YAML writes "\t"): emitting
 * it must fail with REG_E2BIG rather than produce a file the parser would
 * refuse (docs/fuzzing.md, finding "emit-over-limit").
 */
START_TEST(emit_over_limit_refused)
{
	size_t len;
	char *b = repeat("name: t\nowner: o\ncolumns:\n  - name: id\n    type: int\n"
			 "description: \"", "\t", 700 * 1024, "\"\n", &len);
	struct diags d = DIAGS_INIT;
	struct reg_schema *s = NULL;
	ck_assert_int_eq(reg_schema_from_bytes(b, len, FZ_FILE, NULL, &s, &d), 0);
	struct sbuf out = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit(s, &out), REG_E2BIG);
	ck_assert_uint_eq(out.len, 0);
	sbuf_release(&out);
	reg_schema_free(s);
	diags_release(&d);
	free(b);
}
END_TEST

/*
 * "1+1+...+1" is a tree as deep as it is long: libpg_query's JSON output
 * recurses once per level and overflowed an 8 MiB stack near 65000 terms
 * (finding "deep-parse-tree"). Run in a child so that a regression kills
 * only the child: the file must be refused, not crash.
 */
START_TEST(deep_default_refused)
{
	size_t len;
	char *b = repeat("name: t\nowner: o\ncolumns:\n  - name: id\n    type: int\n    default: \"1",
			 "+1", 100000, "\"\n", &len);
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct diags d = DIAGS_INIT;
		struct reg_schema *s = NULL;
		int rc = reg_schema_from_bytes(b, len, FZ_FILE, NULL, &s, &d);
		_exit(rc == REG_EINVAL && d.errors ? 0 : 3);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	free(b);
	ck_assert_msg(WIFEXITED(status), "a 100000-term default killed the parser (signal %d)",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_msg(WEXITSTATUS(status) == 0, "a 100000-term default was accepted");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("fuzz_replay");
	TCase *tc = tcase_create("replay");
	tcase_add_test(tc, replay_yaml_seeds);
	tcase_add_test(tc, replay_sql_seeds);
	tcase_add_test(tc, replay_yaml_regressions);
	tcase_add_test(tc, replay_sql_regressions);
	tcase_add_test(tc, hostile_yaml);
	tcase_add_test(tc, emit_over_limit_refused);
	tcase_add_test(tc, deep_default_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(suite());
}
