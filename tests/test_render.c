/*
 * registry/render_*.c: text views, JSON twins, Markdown docs, Mermaid and
 * DOT. Docs and diagrams are judged by the real renderers: markdown-check
 * (cmark-gfm), mermaid-check (mermaid 11 in chromium) and Graphviz's dot.
 * In CI (CI=true) a missing checker fails the test.
 */
#include "testutil.h"
#include "testreg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonw.h"
#include "render.h"

static char *write_tmp(const char *name, const struct sbuf *sb)
{
	char *p = tu_tmp_path(name);
	ck_assert_int_eq(tu_write_file(p, sb->buf, sb->len), 0);
	return p;
}

/* Runs a shell command; its stderr goes to tu_tmpdir/stderr. Returns the
 * exit status, or -1 when it did not exit normally. */
static int run(const char *cmd)
{
	char *err = tu_tmp_path("stderr");
	size_t n = strlen(cmd) + strlen(err) + 16;
	char *full = malloc(n);
	ck_assert_ptr_nonnull(full);
	snprintf(full, n, "%s 2>'%s'", cmd, err);
	int st = system(full);
	char *text = tu_read_file(err, NULL);
	if (text && *text)
		fprintf(stderr, "%s:\n%s", cmd, text);
	free(text);
	free(full);
	free(err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int stderr_empty(void)
{
	char *err = tu_tmp_path("stderr");
	size_t len = 0;
	char *text = tu_read_file(err, &len);
	free(err);
	free(text);
	return len == 0;
}

/* The checker's path, or NULL when this machine lacks it (then the
 * caller skips, or fails in CI). */
static char *checker(const char *name)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "tools/%s", name);
	char *p = tu_shared_path(rel);
	ck_assert_ptr_nonnull(p);
	if (access(p, X_OK) != 0) {
		free(p);
		tu_service_missing(name);
		return NULL;
	}
	return p;
}

static int have_dot(void)
{
	if (system("command -v dot >/dev/null 2>&1") == 0)
		return 1;
	tu_service_missing("graphviz dot");
	return 0;
}

static char *render(int (*fn)(const struct reg_registry *, struct sbuf *),
		    const struct reg_registry *r)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(fn(r, &sb), 0);
	return sbuf_detach(&sb, NULL);
}

/* ---- JSON ---- */

START_TEST(json_string_escapes)
{
	struct sbuf sb = SBUF_INIT;
	const char *esc = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\x7f";
	ck_assert_int_eq(jsonw_quote(&sb, esc, strlen(esc)), 0);
	ck_assert_str_eq(sb.buf, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\x7f\"");
	sbuf_reset(&sb);
	ck_assert_int_eq(jsonw_quote(&sb, "사용자 정보 — ok", strlen("사용자 정보 — ok")), 0);
	ck_assert_str_eq(sb.buf, "\"사용자 정보 — ok\"");
	sbuf_reset(&sb);
	ck_assert_int_eq(jsonw_quote(&sb, "", 0), 0);
	ck_assert_str_eq(sb.buf, "\"\"");
	sbuf_release(&sb);
}
END_TEST

START_TEST(json_view_layouts)
{
	struct sbuf sb = SBUF_INIT;
	struct jsonw w;
	jsonw_init_layout(&w, &sb, JSONW_LINES);
	jsonw_obj(&w);
	jsonw_key(&w, "a");
	jsonw_arr(&w);
	jsonw_str(&w, "x");
	jsonw_int(&w, 2);
	jsonw_end(&w);
	jsonw_key(&w, "b");
	jsonw_obj(&w);
	jsonw_kbool(&w, "k", false);
	jsonw_end(&w);
	jsonw_end(&w);
	ck_assert_int_eq(jsonw_finish(&w), 0);
	ck_assert_str_eq(sb.buf, "{\n  \"a\": [\"x\", 2],\n  \"b\": {\"k\": false}\n}");
	sbuf_reset(&sb);
	jsonw_init_layout(&w, &sb, JSONW_LINES);
	jsonw_arr(&w);
	jsonw_end(&w);
	ck_assert_int_eq(jsonw_finish(&w), 0);
	ck_assert_str_eq(sb.buf, "[]");
	sbuf_reset(&sb);
	jsonw_init_layout(&w, &sb, JSONW_SPACED);
	jsonw_obj(&w);
	jsonw_kstr(&w, "a", "b");
	jsonw_key(&w, "c");
	jsonw_arr(&w);
	jsonw_end(&w);
	jsonw_end(&w);
	ck_assert_int_eq(jsonw_finish(&w), 0);
	ck_assert_str_eq(sb.buf, "{\"a\": \"b\", \"c\": []}");
	sbuf_release(&sb);
}
END_TEST

START_TEST(graph_and_order_json)
{
	struct reg_registry *r = tr_seed();
	char *g = render(render_graph_json, r);
	ck_assert_str_eq(g, "{\n"
			    "  \"applications\": [\"policies\", \"users\"],\n"
			    "  \"audit_logs\": [\"users\"],\n"
			    "  \"notifications\": [\"users\"],\n"
			    "  \"policies\": [\"users\"],\n"
			    "  \"users\": []\n"
			    "}\n");
	char *o = render(render_order, r);
	ck_assert_str_eq(o, "users\naudit_logs\nnotifications\npolicies\napplications\n");
	free(g);
	free(o);
	reg_registry_free(r);
}
END_TEST

START_TEST(dependents_plain_and_json)
{
	struct reg_registry *r = tr_seed();
	struct sbuf sb = SBUF_INIT;

	ck_assert_int_eq(render_dependents(r, "users", &sb), 0);
	ck_assert_str_eq(sb.buf, "application-service\naudit-service\nnotification-service\n"
				 "policy-service\n");
	sbuf_reset(&sb);
	ck_assert_int_eq(render_dependents(r, "applications", &sb), 0);
	ck_assert_str_eq(sb.buf, "");

	sbuf_reset(&sb);
	ck_assert_int_eq(render_dependent_json(r, "policies", &sb), 0);
	ck_assert_str_eq(sb.buf, "{\"services\": [\"application-service\"], \"references\": "
				 "[{\"schema\": \"applications\", \"service\": "
				 "\"application-service\", \"columns\": [\"id\"], "
				 "\"foreign_key\": [\"policy_id\"]}], \"uses\": "
				 "[{\"service\": \"application-service\", \"column\": \"id\", "
				 "\"why\": \"fk\", \"via\": \"applications.policy_id\", "
				 "\"file\": null, \"line\": 0}]}\n");

	/* the all-schemas object agrees with reg_dependents() for each one */
	sbuf_reset(&sb);
	ck_assert_int_eq(render_dependents_json(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf,
				     "\"policies\": {\"services\": [\"application-service\"], "
				     "\"references\": [{\"schema\": \"applications\""));
	for (size_t i = 0; i < r->n; i++) {
		struct sbuf one = SBUF_INIT, key = SBUF_INIT;
		ck_assert_int_eq(render_dependent_json(r, r->schemas[i]->name, &one), 0);
		one.buf[--one.len] = '\0'; /* no newline inside the object */
		jsonw_quote(&key, r->schemas[i]->name, strlen(r->schemas[i]->name));
		sbuf_adds(&key, ": ");
		sbuf_add(&key, one.buf, one.len);
		ck_assert_msg(strstr(sb.buf, key.buf), "missing %s", key.buf);
		sbuf_release(&one);
		sbuf_release(&key);
	}
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"applications\": {\"services\": [], "
					     "\"references\": [], \"uses\": []}"));
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

START_TEST(validation_json)
{
	struct diags d = DIAGS_INIT;
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(render_validation_json(&d, &sb), 0);
	ck_assert_str_eq(sb.buf, "[]\n");
	sbuf_reset(&sb);
	diags_add(&d, "schemas/users.yaml", (struct reg_loc){3, 5}, DIAG_ERROR, "unknown key '%s'",
		  "nulable");
	/* a control character in a message is already \xNN (diag.c); the
	 * quote and the backslash are what JSON must escape */
	diags_add(&d, NULL, (struct reg_loc){0, 0}, DIAG_WARNING, "say \"hi\"\n");
	ck_assert_int_eq(render_validation_json(&d, &sb), 0);
	ck_assert_str_eq(sb.buf,
			 "[\n  {\"file\": \"schemas/users.yaml\", \"line\": 3, \"col\": 5, "
			 "\"severity\": \"error\", \"message\": \"unknown key 'nulable'\"},\n"
			 "  {\"file\": \"\", \"line\": 0, \"col\": 0, \"severity\": "
			 "\"warning\", \"message\": \"say \\\"hi\\\"\\\\x0a\"}\n]\n");
	sbuf_release(&sb);
	diags_release(&d);
}
END_TEST

/* ---- Markdown ---- */

/* A registry whose text tries every way to break a GFM table. */
static struct reg_registry *hostile_registry(void)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s = tr_schema("orders", "order|service");
	struct reg_column *c;
	s->description = tr_strdup("1. not a list\n# not a heading\n- nor an item | pipe "
				   "*not bold* _nor_ <script>x</script> [link](http://x) `tick` "
				   "$5 & &amp; 한국어 설명");
	c = tr_column(s, "id", "BIGINT", false);
	c->primary_key = true;
	c = tr_column(s, "note", "TEXT", true);
	c->default_expr = tr_strdup("'a|b' || '``c``'");
	c->description = tr_strdup("line one\nline two\r\nline | three");
	c = tr_column(s, "created", "timestamp with time zone", false);
	c->default_expr = tr_strdup("`now`");
	c = tr_column(s, "price", "numeric(10, 2)", true);
	c = tr_column(s, "ratio", "double precision", true);
	c->description = tr_strdup("a \"quoted\" <b>word</b> #35; 100%");
	tr_column(s, "tags", "character varying(20)[]", true);
	tr_column(s, "at", "time(3) with time zone", true);
	tr_column(s, "span", "interval day to second", true);
	tr_column(s, "pk", "integer", true);
	tr_column(s, "a$b", "int4", true);
	tr_column(s, "uk", "\"MyType\"", true);
	tr_column(s, "customer_id", "BIGINT", false);
	tr_column(s, "bits", "bit varying(5)", true);
	tr_column(s, "gap", "interval(3) day", true)->description =
	    tr_strdup("  \tleading blanks\tand a tab\x01");
	tr_column(s, "odd", "a&b<c>'d", true);
	tr_ref(s, "end", "customer_id", "id")->description = tr_strdup("who | ordered");
	tr_ref(s, "ghost", "customer_id", "id");
	tr_index(s, "idx|odd", true, (const char *const[]){"note"}, 1);
	s->history = calloc(1, sizeof(*s->history));
	ck_assert_ptr_nonnull(s->history);
	s->nhistory = 1;
	s->history[0].version = tr_strdup("1.0.0");
	s->history[0].date = tr_strdup("2024-01-01");
	s->history[0].changes = tr_strdup("초기 스키마 생성 | first");
	tr_add(r, s);

	/* a name no validator would accept must still give valid output */
	s = tr_schema("odd \"name\"\\x", "odd");
	tr_column(s, "id", "BIGINT", false)->primary_key = true;
	tr_add(r, s);

	/* a table named like an erDiagram keyword */
	s = tr_schema("end", "crm");
	tr_column(s, "id", "BIGINT", false)->primary_key = true;
	tr_add(r, s);
	return r;
}

START_TEST(docs_of_the_seed)
{
	char *mdcheck = checker("markdown-check");
	struct reg_registry *r = tr_seed();
	struct sbuf sb = SBUF_INIT;

	ck_assert_int_eq(render_docs(r, &sb), 0);
	/* every table, its owner, Korean text intact, the sections */
	ck_assert_ptr_nonnull(strstr(sb.buf, "## users\n\n사용자 정보를 저장하는 테이블\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| user-service | 1.0.0 | 8 | 0 | 5 |"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "| `id` | `UUID` | no |  | PK | 사용자 고유 식별자 |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `email` | `VARCHAR(255)` | no |  | UK |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `is_active` | `BOOLEAN` | no | `true` |  |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `created_by` | [users](#users) | `id` | RESTRICT | "
					     "CASCADE | 정책 생성자 참조 |"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "| `reviewed_by` | [users](#users) | `id` | SET NULL |"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "| `idx_users_active` | `is_active`, `deleted_at` | no |"));
	ck_assert_ptr_nonnull(strstr(sb.buf,
				     "**Referenced by**\n\n| schema | service | foreign key | "
				     "columns |\n|---|---|---|---|\n| [applications]"
				     "(#applications) | application-service | `user_id` | `id` |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| [users](#users) | user-service | 1.0.0 |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `user_id` | `UUID` | no |  | FK |"));

	if (mdcheck) {
		char *md = write_tmp("seed.md", &sb);
		char cmd[4096];
		snprintf(cmd, sizeof(cmd), "'%s' -q --min-tables 20 '%s'", mdcheck, md);
		ck_assert_int_eq(run(cmd), 0);
		free(md);
	}
	free(mdcheck);
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

START_TEST(docs_escape_tables_and_text)
{
	char *mdcheck = checker("markdown-check");
	struct reg_registry *r = hostile_registry();
	struct sbuf sb = SBUF_INIT;

	ck_assert_int_eq(render_docs(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "| line one<br>line two<br>line \\| three |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| ```'a\\|b' \\|\\| '``c``'``` |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `` `now` `` |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| order\\|service |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\n1\\. not a list<br>"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| `customer_id` | [end](#end) | `id` | RESTRICT | "
					     "CASCADE | who \\| ordered |"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "| `note` | `TEXT` | yes | ```'a\\|b' \\|\\| '``c``'``` | UK |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| 초기 스키마 생성 \\| first |"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "| leading blanks and a tab |"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "| `customer_id` | `ghost` (not in the registry) | `id` |"));

	if (mdcheck) {
		char *md = write_tmp("hostile.md", &sb);
		char *html = tu_tmp_path("hostile.html");
		char cmd[4096];
		snprintf(cmd, sizeof(cmd), "'%s' -q --min-tables 6 --html '%s' '%s'", mdcheck, html,
			 md);
		ck_assert_int_eq(run(cmd), 0);
		/* what a reader sees: the text itself, not markup */
		char *out = tu_read_file(html, NULL);
		ck_assert_ptr_nonnull(out);
		ck_assert_ptr_nonnull(strstr(out,
					     ">1. not a list<br># not a heading<br>- nor an item | "
					     "pipe *not bold* _nor_ &lt;script&gt;x&lt;/script&gt; "
					     "[link]("));
		ck_assert_ptr_nonnull(strstr(out, ") `tick` $5 &amp; &amp;amp; 한국어 설명</p>"));
		ck_assert_ptr_nonnull(strstr(out, ">line one<br>line two<br>line | three</td>"));
		ck_assert_ptr_nonnull(strstr(out, "><code>'a|b' || '``c``'</code></td>"));
		ck_assert_ptr_nonnull(strstr(out, "><code>`now`</code></td>"));
		ck_assert_ptr_nonnull(strstr(out, "><code>idx|odd</code></td>"));
		ck_assert_ptr_nonnull(strstr(out, ">order|service</td>"));
		ck_assert_ptr_nonnull(strstr(out, ">초기 스키마 생성 | first</td>"));
		ck_assert_ptr_null(strstr(out, "<script>"));
		free(out);
		free(html);
		free(md);
	}
	free(mdcheck);
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

/* ---- ERD ---- */

START_TEST(erd_cardinalities)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s;

	s = tr_schema("parents", "p");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "code", "TEXT", false)->unique = true;
	tr_add(r, s);

	s = tr_schema("kids", "k");
	tr_column(s, "id", "UUID", false)->primary_key = true;
	tr_column(s, "required_id", "UUID", false);
	tr_column(s, "optional_id", "UUID", true);
	tr_column(s, "single_id", "UUID", false)->unique = true;
	tr_column(s, "maybe_single_id", "UUID", true)->unique = true;
	tr_column(s, "indexed_id", "UUID", false);
	tr_column(s, "a", "TEXT", false);
	tr_column(s, "b", "TEXT", true);
	tr_ref(s, "parents", "required_id", "id");
	tr_ref(s, "parents", "optional_id", "id");
	tr_ref(s, "parents", "single_id", "id");
	tr_ref(s, "parents", "maybe_single_id", "id");
	tr_ref(s, "parents", "indexed_id", "id");
	tr_index(s, "kids_indexed", true, (const char *const[]){"indexed_id"}, 1);
	/* composite, one column nullable: zero or one parent */
	tr_ref_n(s, "pairs", (const char *const[]){"a", "b"}, (const char *const[]){"x", "y"}, 2);
	tr_ref(s, "ghost", "a", "id"); /* not in the registry: no relationship */
	tr_column(s, "sibling_id", "UUID", true);
	tr_ref(s, "kids", "sibling_id", "id"); /* a self reference is drawn */
	tr_add(r, s);

	/* a composite foreign key that is the whole primary key: one-to-one */
	s = tr_schema("pair_details", "k");
	tr_column(s, "x", "TEXT", false)->primary_key = true;
	tr_column(s, "y", "TEXT", false)->primary_key = true;
	tr_ref_n(s, "pairs", (const char *const[]){"x", "y"}, (const char *const[]){"x", "y"}, 2);
	tr_add(r, s);

	s = tr_schema("pairs", "p");
	tr_column(s, "x", "TEXT", false)->primary_key = true;
	tr_column(s, "y", "TEXT", false)->primary_key = true;
	tr_add(r, s);

	char *m = render(render_erd_mermaid, r);
	const char *rel = strstr(m, "    parents ||--o{ kids : \"required_id\"\n");
	ck_assert_ptr_nonnull(rel);
	ck_assert_str_eq(rel, "    parents ||--o{ kids : \"required_id\"\n"
			      "    parents |o--o{ kids : \"optional_id\"\n"
			      "    parents ||--o| kids : \"single_id\"\n"
			      "    parents |o--o| kids : \"maybe_single_id\"\n"
			      "    parents ||--o| kids : \"indexed_id\"\n"
			      "    pairs |o--o{ kids : \"a, b\"\n"
			      "    kids |o--o{ kids : \"sibling_id\"\n"
			      "    pairs ||--o| pair_details : \"x, y\"\n");
	ck_assert_ptr_nonnull(strstr(m, "        UUID single_id FK, UK\n"));
	ck_assert_ptr_nonnull(strstr(m, "        TEXT x PK, FK\n"));
	free(m);

	/* the edges leave the foreign-key row east and enter the referenced
	 * row west; the required ones into parents.id meet at a junction
	 * from which one edge carries the parent end, as the optional ones do */
	char *d = render(render_erd_dot, r);
	ck_assert_ptr_nonnull(strstr(d, "  \"kids\":e1:e -> \"j3_0_0\" "
					"[taillabel=\"required_id\", arrowtail=crowodot, "
					"arrowhead=none];\n"));
	ck_assert_ptr_nonnull(strstr(d, "  \"j3_0_0\" -> \"parents\":w0:w "
					"[dir=forward, arrowhead=teetee];\n"));
	ck_assert_ptr_nonnull(strstr(d, "  \"j3_0_1\" -> \"parents\":w0:w "
					"[dir=forward, arrowhead=teeodot];\n"));
	ck_assert_ptr_nonnull(strstr(d, "[taillabel=\"maybe_single_id\", arrowtail=teeodot, "
					"arrowhead=none];\n"));
	/* one reference into a column: the end on the edge itself */
	ck_assert_ptr_nonnull(strstr(d, "  \"pair_details\":e0:e -> \"pairs\":w0:w "
					"[label=\"x, y\", arrowtail=teeodot, arrowhead=teetee];\n"));
	/* a self reference leaves and enters on the east side */
	ck_assert_ptr_nonnull(strstr(d, "  \"kids\":e8:e -> \"kids\":e0:e "
					"[label=\"sibling_id\", arrowtail=crowodot, "
					"arrowhead=teeodot];\n"));
	ck_assert_ptr_null(strstr(d, "ghost"));
	free(d);
	reg_registry_free(r);
}
END_TEST

START_TEST(erd_tokens)
{
	struct reg_registry *r = hostile_registry();
	char *m = render(render_erd_mermaid, r);
	/* one-token types mapped from PostgreSQL spellings */
	ck_assert_ptr_nonnull(strstr(m, "        timestamptz created\n"));
	/* mermaid 10 takes no ',' in a type */
	ck_assert_ptr_nonnull(strstr(m, "        numeric(10_2) price\n"));
	ck_assert_ptr_nonnull(strstr(m, "        float8 ratio \"a #quot;quoted#quot; "
					"#lt;b#gt;word#lt;/b#gt; #35; 100%\"\n"));
	ck_assert_ptr_nonnull(strstr(m, "        varchar(20)[] tags\n"));
	ck_assert_ptr_nonnull(strstr(m, "        timetz(3) at\n"));
	ck_assert_ptr_nonnull(strstr(m, "        interval_day_to_second span\n"));
	ck_assert_ptr_nonnull(strstr(m, "        varbit(5) bits\n"));
	ck_assert_ptr_nonnull(
	    strstr(m, "        interval(3)_day gap \"   leading blanks and a tab \"\n"));
	ck_assert_ptr_nonnull(strstr(m, "        a_b_c__d odd\n"));
	ck_assert_ptr_nonnull(strstr(m, "    \"odd _name__x\" {\n"));
	ck_assert_ptr_null(strstr(m, "ghost"));
	/* names the lexer would misread become tokens (mermaid 10 has no
	 * back-quoted names), the real name first in the comment */
	ck_assert_ptr_nonnull(strstr(m, "        integer _pk \"pk\"\n"));
	ck_assert_ptr_nonnull(strstr(m, "        int4 a_b \"a$b\"\n"));
	ck_assert_ptr_nonnull(strstr(m, "        MyType _uk \"uk\"\n"));
	/* a single-column unique index makes a UK; line ends become spaces */
	ck_assert_ptr_nonnull(
	    strstr(m, "        TEXT note UK \"line one line two line | three\"\n"));
	/* a keyword entity is quoted, in its block and its relationship */
	ck_assert_ptr_nonnull(strstr(m, "    \"end\" {\n"));
	ck_assert_ptr_nonnull(strstr(m, "    \"end\" ||--o{ orders : \"customer_id\"\n"));
	free(m);
	reg_registry_free(r);
}
END_TEST

/*
 * A generated registry of n tables, ~10 columns each with realistic
 * PostgreSQL spellings, and one or two references to earlier tables.
 */
static struct reg_registry *generated_registry(size_t n)
{
	static const char *const types[] = {
	    "BIGINT",
	    "VARCHAR(255)",
	    "TEXT",
	    "timestamp with time zone",
	    "numeric(12, 2)",
	    "BOOLEAN",
	    "JSONB",
	    "double precision",
	    "character varying(64)",
	    "integer[]",
	    "DATE",
	    "time without time zone",
	    "bytea",
	    "smallint",
	    "UUID",
	};
	struct reg_registry *r = reg_registry_new();
	ck_assert_ptr_nonnull(r);
	for (size_t i = 0; i < n; i++) {
		char name[32], col[32], target[32], fk[40];
		snprintf(name, sizeof(name), "table_%04zu", i);
		struct reg_schema *s = tr_schema(name, i % 7 ? "core-service" : "billing-service");
		s->description = tr_strdup("생성된 테이블 \"generated\" | test");
		tr_column(s, "id", "BIGINT", false)->primary_key = true;
		for (size_t k = 1; k < 10; k++) {
			snprintf(col, sizeof(col), "col_%zu", k);
			struct reg_column *c = tr_column(
			    s, col, types[(i + k) % (sizeof(types) / sizeof(*types))], k % 3 == 0);
			if (k == 1)
				c->unique = true;
			if (k == 2)
				c->description = tr_strdup("설명 <with> \"quotes\"");
		}
		size_t nref = i == 0 ? 0 : 1 + (i % 2);
		for (size_t k = 0; k < nref; k++) {
			size_t t = (i * 7 + k * 13) % i;
			snprintf(target, sizeof(target), "table_%04zu", t);
			snprintf(fk, sizeof(fk), "ref_%zu_id", k);
			tr_column(s, fk, "BIGINT", k == 1)->unique = (i % 5 == 0);
			tr_ref(s, target, fk, "id");
		}
		tr_add(r, s);
	}
	return r;
}

START_TEST(erd_accepted_by_mermaid_and_dot)
{
	char *mcheck = checker("mermaid-check");
	struct reg_registry *seed = tr_seed(), *hostile = hostile_registry();
	struct reg_registry *big = generated_registry(500);
	struct sbuf sb = SBUF_INIT;
	char *files[3];
	char cmd[8192];

	ck_assert_int_eq(render_erd_mermaid(seed, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "    users ||--o{ policies : \"created_by\"\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "    users |o--o{ applications : \"reviewed_by\"\n"));
	ck_assert_ptr_nonnull(
	    strstr(sb.buf, "        VARCHAR(255) email UK \"사용자 이메일 주소\"\n"));
	files[0] = write_tmp("seed.mmd", &sb);
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_mermaid(hostile, &sb), 0);
	files[1] = write_tmp("hostile.mmd", &sb);
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_mermaid(big, &sb), 0);
	files[2] = write_tmp("generated500.mmd", &sb);

	if (mcheck) {
		/* one call: chromium's start dominates the time */
		snprintf(cmd, sizeof(cmd), "'%s' -q --render --type er '%s' '%s' '%s'", mcheck,
			 files[0], files[1], files[2]);
		ck_assert_int_eq(run(cmd), 0);
	}

	if (have_dot()) {
		struct reg_registry *regs[] = {seed, hostile, big};
		for (size_t i = 0; i < 3; i++) {
			sbuf_reset(&sb);
			ck_assert_int_eq(render_erd_dot(regs[i], &sb), 0);
			char *dot = write_tmp("erd.dot", &sb);
			snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o '%s/erd.svg'", dot, tu_tmpdir);
			ck_assert_int_eq(run(cmd), 0);
			/* warnings (a bad port, a bad label) count as failures */
			ck_assert_msg(stderr_empty(), "dot wrote warnings for registry %zu", i);
			free(dot);
		}
	}
	for (size_t i = 0; i < 3; i++)
		free(files[i]);
	free(mcheck);
	sbuf_release(&sb);
	reg_registry_free(seed);
	reg_registry_free(hostile);
	reg_registry_free(big);
}
END_TEST

START_TEST(dot_escapes)
{
	struct reg_registry *r = hostile_registry();
	char *d = render(render_erd_dot, r);
	ck_assert_ptr_nonnull(strstr(d, "<td port=\"w9\" align=\"left\">a$b</td>"));
	ck_assert_ptr_nonnull(strstr(d, "<td align=\"left\">&quot;MyType&quot; NULL</td>"));
	ck_assert_ptr_nonnull(strstr(d, "  \"orders\":e11:e -> \"end\":w0:w"));
	ck_assert_ptr_nonnull(strstr(d, "<td align=\"left\">a&amp;b&lt;c&gt;&#39;d NULL</td>"));
	ck_assert_ptr_nonnull(strstr(d, "  \"odd \\\"name\\\"\\\\x\" [label=<"));
	ck_assert_ptr_nonnull(strstr(d, "<b>odd &quot;name&quot;\\x</b>"));
	free(d);
	reg_registry_free(r);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("text");
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, json_string_escapes);
	tcase_add_test(tc, json_view_layouts);
	tcase_add_test(tc, graph_and_order_json);
	tcase_add_test(tc, dependents_plain_and_json);
	tcase_add_test(tc, validation_json);
	tcase_add_test(tc, erd_cardinalities);
	tcase_add_test(tc, erd_tokens);
	tcase_add_test(tc, dot_escapes);
	suite_add_tcase(s, tc);

	/* these start the real checkers (the first run may install them) */
	TCase *ext = tcase_create("checkers");
	tcase_set_timeout(ext, 280);
	tcase_add_checked_fixture(ext, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(ext, docs_of_the_seed);
	tcase_add_test(ext, docs_escape_tables_and_text);
	tcase_add_test(ext, erd_accepted_by_mermaid_and_dot);
	suite_add_tcase(s, ext);
	return s;
}

int main(void)
{
	return tu_run(render_suite());
}
