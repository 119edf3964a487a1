/*
 * The whole core on real schemas: every file of $SCHEMAFS_SHARED/corpus
 * goes through `schemafs import-sql` into a temporary directory, which
 * must then load with no refused file, hold the tables and foreign keys
 * the corpus README counts (where the import keeps everything), show the
 * README's cycles, give a migration order with every table after the
 * tables it references, and render an ERD that mermaid accepts (all
 * files in one call: chromium's start dominates) and docs that
 * markdown-check accepts. Files are read from the shared folder,
 * never copied into the repository.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph.h"
#include "registry.h"
#include "render.h"

struct corpus_file {
	const char *name;
	size_t tables, fks; /* what the import keeps */
	size_t warnings;    /* diagnostics of severity warning */
	const char *cycles; /* render_cycles output */
};

static const struct corpus_file corpus[] = {
    /* README: 68 tables, 90 FKs, in 5 schemas, tables created by CREATE SCHEMA */
    {"adventureworks", 68, 90, 0, ""},
    {"ambari", 113, 124, 0, "clusters -> upgrade -> clusters\n"},
    /* README: 472 FKs; cvterm.dbxref_id is NOT NULL with ON DELETE SET NULL,
     * which the registry refuses, so that one is dropped with a warning */
    {"chado", 213, 471, 1, ""},
    {"chinook", 11, 11, 0, ""},
    {"guacamole", 23, 30, 0, ""},
    {"northwind", 14, 13, 0, ""},
    {"openstreetmap", 56, 69, 0, ""},
    /* partitions included, as plain tables */
    {"pagila", 70, 36, 0, ""},
    {"synapse", 138, 14, 0, ""},
};
#define NCORPUS (sizeof(corpus) / sizeof(corpus[0]))

static char *path_in(const char *dir, const char *name, const char *ext)
{
	size_t n = strlen(dir) + strlen(name) + strlen(ext) + 2;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	snprintf(p, n, "%s/%s%s", dir, name, ext);
	return p;
}

/* Runs a shell command; returns its exit status (-1 when it did not exit). */
static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Every table after the tables it references, except among a cycle's members. */
static void assert_order(const struct reg_registry *r, const char *name)
{
	struct reg_graph g;
	struct reg_cycles cy;
	struct reg_order o;
	ck_assert_int_eq(reg_graph_build(r, &g), 0);
	ck_assert_int_eq(reg_graph_cycles(&g, &cy), 0);
	ck_assert_int_eq(reg_graph_order(&g, r, &o), 0);
	ck_assert_uint_eq(o.n, r->n);
	size_t *pos = calloc(r->n, sizeof(*pos));
	ck_assert_ptr_nonnull(pos);
	for (size_t i = 0; i < o.n; i++)
		pos[o.order[i]] = i;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = g.off[i]; k < g.off[i + 1]; k++) {
			size_t d = g.dep[k];
			if (cy.component[i] >= 0 && cy.component[i] == cy.component[d])
				continue;
			ck_assert_msg(pos[d] < pos[i],
				      "%s: '%s' is ordered before '%s', which it references", name,
				      r->schemas[i]->name, r->schemas[d]->name);
		}
	}
	free(pos);
	reg_graph_order_release(&o);
	reg_graph_cycles_release(&cy);
	reg_graph_release(&g);
}

START_TEST(corpus_imports_loads_orders_renders)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	char *mcheck = NULL, *mdcheck = NULL;
	struct sbuf erd_files = SBUF_INIT, md_files = SBUF_INIT, cmd = SBUF_INIT;
	size_t nerd = 0;
	ck_assert_ptr_nonnull(bin);

	for (size_t i = 0; i < NCORPUS; i++) {
		const struct corpus_file *cf = &corpus[i];
		char rel[64];
		snprintf(rel, sizeof(rel), "corpus/%s.sql", cf->name);
		char *sql = tu_shared_path(rel);
		char *out = path_in(tu_tmpdir, cf->name, "");
		char *err = path_in(tu_tmpdir, cf->name, ".stderr");
		ck_assert_ptr_nonnull(sql);
		if (access(sql, R_OK) != 0) {
			tu_service_missing(sql);
			free(sql);
			free(out);
			free(err);
			continue;
		}

		/* the command users run */
		sbuf_reset(&cmd);
		sbuf_addf(&cmd, "'%s' import-sql '%s' '%s' 2>'%s'", bin, sql, out, err);
		int st = run(cmd.buf);
		char *text = tu_read_file(err, NULL);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(st == 0, "%s: import-sql exit %d:\n%s", cf->name, st, text);
		char summary[512];
		snprintf(summary, sizeof(summary),
			 "schemafs import-sql: %s: %zu tables, %zu foreign keys, ", sql, cf->tables,
			 cf->fks);
		ck_assert_msg(strstr(text, summary), "%s: no '%s' in:\n%s", cf->name, summary,
			      text);
		ck_assert_uint_eq(count_lines_with(text, ": error: "), 0);
		ck_assert_msg(count_lines_with(text, ": warning: ") == cf->warnings,
			      "%s: warnings:\n%s", cf->name, text);
		free(text);

		/* every emitted file is accepted */
		struct reg_registry *r = reg_registry_new();
		struct diags d = DIAGS_INIT;
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(reg_load_dir(r, out, NULL, &d), 0);
		if (d.errors) {
			struct sbuf msg = SBUF_INIT;
			diags_render(&d, &msg);
			ck_abort_msg("%s: refused files:\n%s", cf->name, msg.buf);
		}
		ck_assert_uint_eq(r->n, cf->tables);
		size_t fks = 0;
		for (size_t k = 0; k < r->n; k++)
			fks += r->schemas[k]->nrefs;
		ck_assert_uint_eq(fks, cf->fks);

		struct sbuf view = SBUF_INIT;
		ck_assert_int_eq(render_cycles(r, &view), 0);
		ck_assert_str_eq(view.buf, cf->cycles);
		assert_order(r, cf->name);

		sbuf_reset(&view);
		ck_assert_int_eq(render_erd_mermaid(r, &view), 0);
		char *f = path_in(tu_tmpdir, cf->name, ".mmd");
		ck_assert_int_eq(tu_write_file(f, view.buf, view.len), 0);
		sbuf_addf(&erd_files, " '%s'", f);
		nerd++;
		free(f);

		sbuf_reset(&view);
		ck_assert_int_eq(render_docs(r, &view), 0);
		for (size_t k = 0; k < r->n; k++) {
			char heading[128];
			snprintf(heading, sizeof(heading), "\n## %s\n", r->schemas[k]->name);
			ck_assert_msg(strstr(view.buf, heading), "%s: no docs for '%s'", cf->name,
				      r->schemas[k]->name);
		}
		f = path_in(tu_tmpdir, cf->name, ".md");
		ck_assert_int_eq(tu_write_file(f, view.buf, view.len), 0);
		sbuf_addf(&md_files, " '%s'", f);
		free(f);

		sbuf_release(&view);
		diags_release(&d);
		reg_registry_free(r);
		free(sql);
		free(out);
		free(err);
	}

	/* one call each: the checkers' start dominates their time */
	if (nerd && (mcheck = tu_checker("mermaid-check"))) {
		sbuf_reset(&cmd);
		sbuf_addf(&cmd, "'%s' -q --type er%s", mcheck, erd_files.buf);
		ck_assert_msg(run(cmd.buf) == 0, "mermaid-check refused an ERD: %s", cmd.buf);
	}
	if (md_files.len && (mdcheck = tu_checker("markdown-check"))) {
		sbuf_reset(&cmd);
		sbuf_addf(&cmd, "'%s' -q --min-tables 1%s", mdcheck, md_files.buf);
		ck_assert_msg(run(cmd.buf) == 0, "markdown-check refused docs: %s", cmd.buf);
	}
	free(mcheck);
	free(mdcheck);
	sbuf_release(&erd_files);
	sbuf_release(&md_files);
	sbuf_release(&cmd);
}
END_TEST

/* The command's contract on a small file: exit status, refusals, messages. */
START_TEST(cli_exit_status_and_refusals)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	char *sql = tu_tmp_path("in.sql"), *out = tu_tmp_path("out");
	char *err = tu_tmp_path("stderr"), *yaml = path_in(out, "users", ".yaml");
	char *meta = path_in(out, "registry", ".yaml");
	struct sbuf cmd = SBUF_INIT;
	static const char good[] = "CREATE TABLE users (id int PRIMARY KEY);\n";
	static const char bad[] = "CREATE TABLE users (id int PRIMARY KEY);\n"
				  "CREATE TABLE \"Teams\" (id int);\n";
	ck_assert_ptr_nonnull(bin);

#define IMPORT(opts)                                                                               \
	(sbuf_reset(&cmd),                                                                         \
	 sbuf_addf(&cmd, "cd '%s' && '%s' import-sql %s in.sql out 2>'%s'", tu_tmpdir, bin,        \
		   opts, err),                                                                     \
	 run(cmd.buf))
	ck_assert_int_eq(tu_write_file(sql, good, sizeof(good) - 1), 0);
	ck_assert_int_eq(IMPORT(""), 0);
	char *text = tu_read_file(yaml, NULL);
	ck_assert_str_eq(text, "name: users\nowner: unknown-service\nversion: 1.0.0\n\ncolumns:\n"
			       "  - name: id\n    type: int\n    nullable: false\n"
			       "    primary_key: true\n\nreferences: []\n\nindexes: []\n");
	free(text);
	text = tu_read_file(meta, NULL);
	ck_assert_str_eq(text,
			 "name: in\ndescription: imported from in.sql by schemafs import-sql\n");
	free(text);

	/* an existing registry is not overwritten unless asked */
	ck_assert_int_eq(IMPORT(""), 1);
	text = tu_read_file(err, NULL);
	ck_assert_str_eq(text, "schemafs import-sql: 'out' already holds .yaml files; "
			       "use --force to overwrite them\n");
	free(text);
	ck_assert_int_eq(IMPORT("--force --owner=user-service"), 0);
	text = tu_read_file(yaml, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\nowner: user-service\n"));
	free(text);

	/* a table not imported: exit 1, the rest written, the place given */
	ck_assert_int_eq(tu_write_file(sql, bad, sizeof(bad) - 1), 0);
	ck_assert_int_eq(IMPORT("--force"), 1);
	text = tu_read_file(err, NULL);
	ck_assert_str_eq(text,
			 "in.sql:2:14: error: table 'Teams' not imported: invalid name 'Teams': "
			 "must be lower case\n"
			 "schemafs import-sql: in.sql: 1 tables, 0 foreign keys, 0 indexes -> out; "
			 "1 error above\n");
	free(text);
	ck_assert_int_eq(access(yaml, F_OK), 0);

	ck_assert_int_eq(IMPORT("--schema"), 2);
	ck_assert_int_eq(IMPORT("--bogus"), 2);
#undef IMPORT
	sbuf_release(&cmd);
	free(sql);
	free(out);
	free(err);
	free(yaml);
	free(meta);
}
END_TEST

static Suite *corpus_suite(void)
{
	Suite *s = suite_create("ddl_corpus");
	TCase *tc = tcase_create("corpus");
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, corpus_imports_loads_orders_renders);
	tcase_add_test(tc, cli_exit_status_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run(corpus_suite());
}
