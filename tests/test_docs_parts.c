/*
 * docs/schema.md in parts (render.h: render_docs_new/title/toc_row/table
 * and their keys), the way the mount caches it: the parts make
 * render_docs() byte for byte, a row's key changes with its schema's
 * bytes only, and a table's key changes whenever its section does -- when the schema
 * itself, a schema referencing it, or the existence of a table it
 * references changes -- while the sections a change does not touch keep
 * their key (that is what makes the cache worth having).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "testutil.h"
#include "schemafile.h"

/* A schema from YAML bytes (the mount only ever has those). */
static void put(struct reg_registry *r, const char *name, const char *owner, const char *desc,
		const char *ref1, const char *ref2)
{
	char yaml[2048];
	int n = snprintf(yaml, sizeof(yaml),
			 "name: %s\nowner: %s\nversion: 1.0.0\ndescription: %s\n\n"
			 "columns:\n  - name: id\n    type: UUID\n    nullable: false\n"
			 "    primary_key: true\n  - name: a_id\n    type: UUID\n"
			 "  - name: b_id\n    type: UUID\n",
			 name, owner, desc);
	if (ref1 || ref2)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n, "\nreferences:\n");
	if (ref1)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n,
			      "  - schema: %s\n    column: id\n    foreign_key: a_id\n", ref1);
	if (ref2)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n,
			      "  - schema: %s\n    column: id\n    foreign_key: b_id\n", ref2);
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(schemafile_parse(yaml, (size_t)n, "t.yaml", &s, &d), 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(reg_register(r, s), 0);
	diags_release(&d);
}

#define MAXT 8

/* Every table's section and key, by name. */
struct snapshot {
	size_t n;
	char name[MAXT][32];
	char *section[MAXT];
	uint64_t key[MAXT];
	char *row[MAXT];        /* its row in the table of contents */
	uint64_t row_key[MAXT];
};

static void take(struct reg_registry *r, struct snapshot *snap)
{
	struct render_docs *d;
	struct sbuf whole = SBUF_INIT, parts = SBUF_INIT;

	struct sbuf head = SBUF_INIT;
	ck_assert_int_eq(render_docs_new(r, &d), 0);
	ck_assert_int_eq(render_docs_head(d, &head), 0);
	ck_assert_int_eq(render_docs_title(d, &parts), 0);
	ck_assert_uint_le(r->n, MAXT);
	snap->n = r->n;
	for (size_t t = 0; t < r->n; t++) {
		struct sbuf row = SBUF_INIT;
		ck_assert_int_eq(render_docs_toc_row(d, t, &row), 0);
		ck_assert(render_docs_toc_row_key(d, t, &snap->row_key[t]));
		sbuf_add(&parts, row.buf, row.len);
		snap->row[t] = sbuf_detach(&row, NULL);
	}
	ck_assert_int_eq(render_docs_toc_end(d, &parts), 0);
	ck_assert_str_eq(parts.buf, head.buf);
	sbuf_release(&head);
	for (size_t t = 0; t < r->n; t++) {
		struct sbuf sec = SBUF_INIT;
		ck_assert_int_eq(render_docs_table(d, t, &sec), 0);
		ck_assert(render_docs_table_key(d, t, &snap->key[t]));
		snprintf(snap->name[t], sizeof(snap->name[t]), "%s", r->schemas[t]->name);
		sbuf_add(&parts, sec.buf, sec.len);
		snap->section[t] = sbuf_detach(&sec, NULL);
	}
	render_docs_free(d);
	ck_assert_int_eq(render_docs(r, &whole), 0);
	ck_assert_str_eq(parts.buf, whole.buf);
	sbuf_release(&whole);
	sbuf_release(&parts);
}

static void drop(struct snapshot *snap)
{
	for (size_t t = 0; t < snap->n; t++) {
		free(snap->section[t]);
		free(snap->row[t]);
	}
	snap->n = 0;
}

static long find(const struct snapshot *snap, const char *name)
{
	for (size_t t = 0; t < snap->n; t++)
		if (!strcmp(snap->name[t], name))
			return (long)t;
	return -1;
}

/* Between two snapshots: a table whose section changed has a new key, and
 * `same` (NULL-terminated) kept both. */
static void compare(const struct snapshot *a, const struct snapshot *b, const char *const *same)
{
	for (size_t t = 0; t < b->n; t++) {
		long u = find(a, b->name[t]);
		if (u < 0)
			continue;
		if (strcmp(a->section[u], b->section[t]))
			ck_assert_msg(a->key[u] != b->key[t], "%s: section changed, key did not",
				      b->name[t]);
		if (strcmp(a->row[u], b->row[t]))
			ck_assert_msg(a->row_key[u] != b->row_key[t], "%s: row changed, key did not",
				      b->name[t]);
	}
	for (; same && *same; same++) {
		long u = find(a, *same), t = find(b, *same);
		ck_assert(u >= 0 && t >= 0);
		ck_assert_str_eq(a->section[u], b->section[t]);
		ck_assert_msg(a->key[u] == b->key[t], "%s: untouched, key changed", *same);
		ck_assert_msg(a->row_key[u] == b->row_key[t], "%s: untouched, row key changed",
			      *same);
	}
}

START_TEST(keys_follow_what_sections_are_made_of)
{
	struct reg_registry *r = reg_registry_new();
	struct snapshot s0, s1;
	ck_assert_ptr_nonnull(r);
	put(r, "users", "user-service", "people", NULL, NULL);
	put(r, "orders", "order-service", "what they buy", "users", NULL);
	put(r, "items", "order-service", "lines", "orders", "ghost");
	put(r, "audit", "audit-service", "log", NULL, NULL);
	take(r, &s0);

	/* the owner of orders shows in users' "Referenced by" */
	put(r, "orders", "billing-service", "what they buy", "users", NULL);
	take(r, &s1);
	ck_assert_str_ne(s0.section[find(&s0, "users")], s1.section[find(&s1, "users")]);
	compare(&s0, &s1, (const char *const[]){ "items", "audit", NULL });
	drop(&s0);

	/* ghost appears: items' reference to it now resolves (a link) */
	put(r, "ghost", "ghost-service", "was missing", NULL, NULL);
	take(r, &s0);
	ck_assert_str_ne(s1.section[find(&s1, "items")], s0.section[find(&s0, "items")]);
	compare(&s1, &s0, (const char *const[]){ "users", "audit", NULL });
	drop(&s1);

	/* orders goes: users loses a referrer, items' link to it is gone */
	ck_assert_int_eq(reg_unregister(r, "orders"), 0);
	take(r, &s1);
	compare(&s0, &s1, (const char *const[]){ "audit", "ghost", NULL });
	ck_assert_str_ne(s0.section[find(&s0, "users")], s1.section[find(&s1, "users")]);
	ck_assert_str_ne(s0.section[find(&s0, "items")], s1.section[find(&s1, "items")]);
	drop(&s0);

	/* a change of one table's own text touches that section only */
	put(r, "audit", "audit-service", "the audit log", NULL, NULL);
	take(r, &s0);
	compare(&s1, &s0, (const char *const[]){ "users", "items", "ghost", NULL });
	ck_assert_str_ne(s1.section[find(&s1, "audit")], s0.section[find(&s0, "audit")]);
	drop(&s0);
	drop(&s1);
	reg_registry_free(r);
}
END_TEST

/* A table with one column besides its key, of the given types. */
static void put_typed(struct reg_registry *r, const char *name, const char *id_type,
		      const char *other_type, const char *ref)
{
	char yaml[1024];
	int n = snprintf(yaml, sizeof(yaml),
			 "name: %s\nowner: o\nversion: 1.0.0\n\ncolumns:\n  - name: id\n"
			 "    type: %s\n    nullable: false\n    primary_key: true\n"
			 "  - name: other\n    type: %s\n  - name: a_id\n    type: %s\n",
			 name, id_type, other_type, id_type);
	if (ref)
		n += snprintf(yaml + n, sizeof(yaml) - (size_t)n,
			      "\nreferences:\n  - schema: %s\n    column: id\n    foreign_key: a_id\n",
			      ref);
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(schemafile_parse(yaml, (size_t)n, "t.yaml", &s, &d), 0);
	ck_assert_int_eq(reg_register(r, s), 0);
	diags_release(&d);
}

START_TEST(diagram_keys_follow_the_neighbours)
{
	/* a section's diagram draws the key of each table it references:
	 * the part is redone when that changes, and kept when the referenced
	 * table changes elsewhere */
	struct reg_registry *r = reg_registry_new();
	struct snapshot s0, s1;
	ck_assert_ptr_nonnull(r);
	put_typed(r, "users", "UUID", "TEXT", NULL);
	put_typed(r, "orders", "UUID", "TEXT", "users");
	put_typed(r, "lonely", "UUID", "TEXT", NULL);
	take(r, &s0);
	ck_assert_ptr_nonnull(strstr(s0.section[find(&s0, "orders")], "```mermaid\n"));
	ck_assert_ptr_null(strstr(s0.section[find(&s0, "lonely")], "```mermaid"));

	/* users' key column: drawn in orders' diagram */
	put_typed(r, "users", "BIGINT", "TEXT", NULL);
	put_typed(r, "orders", "UUID", "TEXT", "users"); /* orders itself unchanged */
	take(r, &s1);
	ck_assert_ptr_nonnull(strstr(s1.section[find(&s1, "orders")], "    users {\n"
								      "        BIGINT id PK\n"));
	ck_assert_str_ne(s0.section[find(&s0, "orders")], s1.section[find(&s1, "orders")]);
	compare(&s0, &s1, (const char *const[]){ "lonely", NULL });
	drop(&s0);

	/* a column of users that orders' diagram does not draw */
	put_typed(r, "users", "BIGINT", "JSONB", NULL);
	take(r, &s0);
	compare(&s1, &s0, (const char *const[]){ "orders", "lonely", NULL });
	drop(&s0);
	drop(&s1);
	reg_registry_free(r);
}
END_TEST

START_TEST(no_key_without_bytes)
{
	/* a schema built through the API has no bytes to key on */
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s = calloc(1, sizeof(*s));
	struct render_docs *d;
	struct sbuf out = SBUF_INIT;
	uint64_t key;
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(s);
	s->name = strdup("bare");
	ck_assert_int_eq(reg_register(r, s), 0);
	ck_assert_int_eq(render_docs_new(r, &d), 0);
	ck_assert(!render_docs_table_key(d, 0, &key));
	ck_assert_int_eq(render_docs_table(d, 0, &out), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "## bare\n"));
	render_docs_free(d);
	sbuf_release(&out);
	reg_registry_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("docs_parts");
	TCase *tc = tcase_create("docs_parts");
	tcase_add_test(tc, keys_follow_what_sections_are_made_of);
	tcase_add_test(tc, diagram_keys_follow_the_neighbours);
	tcase_add_test(tc, no_key_without_bytes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
