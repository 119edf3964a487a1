/*
 * The ERDs at the sizes real registries have (registry/render_erd*.c,
 * registry/render_svg.c): every table's neighbourhood diagram and every
 * service's diagram of every $SCHEMAFS_SHARED/corpus schema (imported with
 * `schemafs import-sql`, as test_ddl_corpus does) through the real mermaid
 * 10, 11 and 12 in one mermaid-check call; the SVG of the largest schema's
 * most-referenced table and the clustered SVG of adventureworks, measured;
 * and on a small registry the DOT that makes the drawing readable
 * (clusters, ports, crow's feet, self loops outside, junctions) rendered
 * by `dot` without a warning. In CI a missing checker fails.
 */
#include "testutil.h"
#include "testreg.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "render.h"
#include "strlist.h"

/* Graphviz and fontconfig keep process-wide caches (tests/lsan.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libgvc.so\nleak:libcgraph.so\nleak:libcdt.so\nleak:libfontconfig.so\n"
	       "leak:libglib-2.0.so\nleak:libpango\nleak:libcairo\nleak:libgvplugin\n";
}

/* A drawing of one table's neighbourhood grows down, a row of tables per
 * reference (the referencing ones share a rank): the most-referenced
 * table of the largest corpus schema (chado's cvterm, 122 references)
 * measures 893 x 11,968 pt. The bounds leave room for fonts. */
#define TABLE_SVG_MAX_WIDTH_PT 1500.0
#define TABLE_SVG_MAX_PT_PER_NEIGHBOUR 150.0

static int run(const char *cmd)
{
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The width="…pt" and height="…pt" of an SVG. */
static void svg_size(const char *svg, double *w, double *h)
{
	const char *p = strstr(svg, "<svg");
	ck_assert_ptr_nonnull(p);
	const char *pw = strstr(p, "width=\""), *ph = strstr(p, "height=\"");
	ck_assert_ptr_nonnull(pw);
	ck_assert_ptr_nonnull(ph);
	*w = strtod(pw + 7, NULL);
	*h = strtod(ph + 8, NULL);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void write_sb(const char *path, const struct sbuf *sb)
{
	ck_assert_int_eq(tu_write_file(path, sb->buf, sb->len), 0);
}

/* The corpus schemas, sorted. */
static size_t corpus_names(char names[][64], size_t max)
{
	char *dir = tu_shared_path("corpus");
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d) {
		tu_service_missing(dir);
		free(dir);
		return 0;
	}
	for (struct dirent *e; (e = readdir(d)) && n < max;) {
		size_t len = strlen(e->d_name);
		if (len > 4 && len < 60 && !strcmp(e->d_name + len - 4, ".sql")) {
			memcpy(names[n], e->d_name, len - 4);
			names[n++][len - 4] = '\0';
		}
	}
	closedir(d);
	free(dir);
	qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	return n;
}

/* name's schema, imported into the directory name+suffix. */
static struct reg_registry *import(const char *name, const char *suffix)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	char rel[96], cmd[2048];
	ck_assert_ptr_nonnull(bin);
	snprintf(rel, sizeof(rel), "corpus/%s.sql", name);
	char *sql = tu_shared_path(rel);
	char dir[128];
	snprintf(dir, sizeof(dir), "%s%s", name, suffix);
	char *out = tu_tmp_path(dir);
	snprintf(cmd, sizeof(cmd), "'%s' import-sql '%s' '%s' 2>/dev/null", bin, sql, out);
	ck_assert_msg(run(cmd) == 0, "%s", cmd);
	struct reg_registry *r = reg_registry_new();
	struct diags d = DIAGS_INIT;
	ck_assert_int_eq(reg_load_dir(r, out, NULL, &d), 0);
	ck_assert_uint_eq(d.errors, 0);
	diags_release(&d);
	free(sql);
	free(out);
	return r;
}

/* The table most other tables reference (self references left out). */
static size_t most_referenced(const struct reg_registry *r, size_t *nrefs)
{
	size_t *in = calloc(r->n ? r->n : 1, sizeof(*in)), best = 0;
	ck_assert_ptr_nonnull(in);
	for (size_t t = 0; t < r->n; t++)
		for (size_t k = 0; k < r->schemas[t]->nrefs; k++) {
			long p = reg_find(r, r->schemas[t]->refs[k].schema);
			if (p >= 0 && (size_t)p != t)
				in[p]++;
		}
	for (size_t t = 1; t < r->n; t++)
		if (in[t] > in[best])
			best = t;
	*nrefs = in[best];
	free(in);
	return best;
}

START_TEST(corpus_diagrams_in_mermaid_10_11_12)
{
	static char names[32][64];
	size_t ncorpus = corpus_names(names, 32), nfiles = 0, largest = 0, largest_n = 0;
	struct sbuf files = SBUF_INIT, sb = SBUF_INIT;
	char *mmd_dir = tu_tmp_path("mmd");
	ck_assert_int_eq(mkdir(mmd_dir, 0755), 0);

	for (size_t i = 0; i < ncorpus; i++) {
		struct reg_registry *r = import(names[i], "");
		struct strlist owners = STRLIST_INIT;
		for (size_t t = 0; t < r->n; t++) {
			const struct reg_schema *s = r->schemas[t];
			char path[4096];
			sbuf_reset(&sb);
			ck_assert_int_eq(render_erd_mermaid_table(r, s->name, &sb), 0);
			snprintf(path, sizeof(path), "%s/%s.%zu.mmd", mmd_dir, names[i], t);
			write_sb(path, &sb);
			sbuf_addf(&files, " '%s'", path);
			nfiles++;
			if (s->owner && *s->owner)
				ck_assert_int_eq(strlist_push(&owners, s->owner), 0);
		}
		strlist_sort(&owners);
		strlist_uniq(&owners);
		for (size_t o = 0; o < owners.n; o++) {
			char path[4096];
			sbuf_reset(&sb);
			ck_assert_int_eq(render_erd_mermaid_service(r, owners.items[o], &sb), 0);
			/* a service of the whole schema is as big as erd.mmd */
			if (sb.len > 40000)
				continue;
			snprintf(path, sizeof(path), "%s/%s.service%zu.mmd", mmd_dir, names[i], o);
			write_sb(path, &sb);
			sbuf_addf(&files, " '%s'", path);
			nfiles++;
		}
		if (r->n > largest_n) {
			largest_n = r->n;
			largest = i;
		}
		strlist_release(&owners);
		reg_registry_free(r);
	}
	ck_assert_uint_gt(nfiles, 0);

	char *mcheck = tu_checker("mermaid-check");
	if (mcheck) {
		/* one call: chromium's start dominates the time */
		size_t n = strlen(mcheck) + files.len + 64;
		char *cmd = malloc(n);
		ck_assert_ptr_nonnull(cmd);
		snprintf(cmd, n, "'%s' -q --mermaid 10,11,12 --type er%s", mcheck, files.buf);
		double t0 = now();
		int st = run(cmd);
		fprintf(stderr, "pictures: %zu diagrams of %zu corpus schemas, mermaid 10, 11 "
				"and 12: %.1f s\n",
			nfiles, ncorpus, now() - t0);
		ck_assert_msg(st == 0, "mermaid-check refused a diagram (above)");
		free(cmd);
	}

	/* the largest schema's most-referenced table, drawn */
	if (ncorpus) {
		struct reg_registry *r = import(names[largest], ".again");
		size_t in, t = most_referenced(r, &in);
		double w, h, t0 = now();
		sbuf_reset(&sb);
		ck_assert_int_eq(render_erd_svg_table(r, r->schemas[t]->name, &sb), 0);
		svg_size(sb.buf, &w, &h);
		fprintf(stderr, "pictures: %s %s (%zu references): %.0f x %.0f pt, %zu bytes, "
				"%.2f s\n",
			names[largest], r->schemas[t]->name, in, w, h, sb.len, now() - t0);
		ck_assert_msg(w <= TABLE_SVG_MAX_WIDTH_PT, "%.0f pt wide", w);
		ck_assert_msg(h <= TABLE_SVG_MAX_PT_PER_NEIGHBOUR * (double)(in + 1), "%.0f pt high",
			      h);
		reg_registry_free(r);
	}
	free(mcheck);
	free(mmd_dir);
	sbuf_release(&files);
	sbuf_release(&sb);
}
END_TEST

START_TEST(adventureworks_clustered_svg)
{
	char *sql = tu_shared_path("corpus/adventureworks.sql");
	if (access(sql, R_OK) != 0) {
		tu_service_missing(sql);
		free(sql);
		return;
	}
	free(sql);
	struct reg_registry *r = import("adventureworks", "");
	struct sbuf sb = SBUF_INIT;
	struct strlist owners = STRLIST_INIT;
	double w, h, t0 = now();
	ck_assert_int_eq(render_erd_svg(r, &sb), 0);
	svg_size(sb.buf, &w, &h);
	fprintf(stderr, "pictures: adventureworks erd.svg (%zu tables): %.0f x %.0f pt, "
			"%zu bytes, %.2f s\n",
		r->n, w, h, sb.len, now() - t0);
	for (size_t t = 0; t < r->n; t++)
		if (r->schemas[t]->owner && *r->schemas[t]->owner)
			ck_assert_int_eq(strlist_push(&owners, r->schemas[t]->owner), 0);
	strlist_sort(&owners);
	strlist_uniq(&owners);
	ck_assert_uint_gt(owners.n, 1);
	/* one cluster per owner, a node per table (and per junction) */
	ck_assert_uint_eq(count(sb.buf, "<g id=\"clust"), owners.n);
	struct sbuf dot = SBUF_INIT;
	ck_assert_int_eq(render_erd_dot(r, &dot), 0);
	ck_assert_uint_eq(count(sb.buf, "class=\"node\""), r->n + count(dot.buf, "[shape=point"));
	sbuf_release(&dot);
	strlist_release(&owners);
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

/* hr: departments <- employees (self: manager_id) <- projects (two FKs
 * into employees.id, one NOT NULL and one nullable, and one more NOT NULL). */
static struct reg_registry *hr_registry(void)
{
	struct reg_registry *r = reg_registry_new();
	struct reg_schema *s = tr_schema("departments", "hr-service");
	tr_column(s, "id", "integer", false)->primary_key = true;
	tr_column(s, "name", "text", false);
	tr_add(r, s);
	s = tr_schema("employees", "hr-service");
	tr_column(s, "id", "integer", false)->primary_key = true;
	tr_column(s, "department_id", "integer", false);
	tr_column(s, "manager_id", "integer", true);
	tr_column(s, "salary", "numeric(15, 2)", true);
	tr_ref(s, "departments", "department_id", "id");
	tr_ref(s, "employees", "manager_id", "id");
	tr_add(r, s);
	s = tr_schema("projects", "project-service");
	tr_column(s, "id", "integer", false)->primary_key = true;
	tr_column(s, "lead_id", "integer", false);
	tr_column(s, "sponsor_id", "integer", false);
	tr_column(s, "reviewer_id", "integer", true);
	tr_column(s, "budget", "DECIMAL(15,2)", true);
	tr_ref(s, "employees", "lead_id", "id");
	tr_ref(s, "employees", "sponsor_id", "id");
	tr_ref(s, "employees", "reviewer_id", "id");
	tr_add(r, s);
	s = tr_schema("rooms", "facility-service");
	tr_column(s, "id", "integer", false)->primary_key = true;
	tr_add(r, s);
	return r;
}

START_TEST(dot_clusters_ports_feet_loops)
{
	struct reg_registry *r = hr_registry();
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(render_erd_dot(r, &sb), 0);
	const char *d = sb.buf;
	/* one cluster per owner, labelled with it */
	ck_assert_uint_eq(count(d, "  subgraph \"cluster_"), 3);
	ck_assert_ptr_nonnull(strstr(d, "fontsize=14, label=\"hr-service\"];\n"));
	/* a port at each end of every column row */
	ck_assert_ptr_nonnull(strstr(d, "<tr><td port=\"w1\" align=\"left\">department_id</td>"
					"<td align=\"left\">integer</td><td port=\"e1\">FK</td></tr>"));
	/* east end of the foreign key to the west end of the key, crow's feet */
	ck_assert_ptr_nonnull(strstr(d, "  \"employees\":e1:e -> \"departments\":w0:w "
					"[label=\"department_id\", arrowtail=crowodot, "
					"arrowhead=teetee];\n"));
	/* the self reference loops outside, on the east side */
	ck_assert_ptr_nonnull(strstr(d, "  \"employees\":e2:e -> \"employees\":e0:e "
					"[label=\"manager_id\", arrowtail=crowodot, "
					"arrowhead=teeodot];\n"));
	/* two NOT NULL references into employees.id share one end */
	ck_assert_ptr_nonnull(strstr(d, "  \"projects\":e1:e -> \"j1_0_0\" [taillabel="));
	ck_assert_ptr_nonnull(strstr(d, "  \"projects\":e2:e -> \"j1_0_0\" [taillabel="));
	ck_assert_uint_eq(count(d, "  \"j1_0_0\" -> \"employees\":w0:w [dir=forward, "
				   "arrowhead=teetee];\n"),
			  1);
	/* the nullable one alone: its own end, zero or one */
	ck_assert_ptr_nonnull(strstr(d, "  \"projects\":e3:e -> \"employees\":w0:w "
					"[label=\"reviewer_id\", arrowtail=crowodot, "
					"arrowhead=teeodot];\n"));
	char *dot = tu_tmp_path("hr.dot");
	ck_assert_int_eq(tu_write_file(dot, sb.buf, sb.len), 0);

	/* the neighbourhood of departments: employees with its keys only */
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_mermaid_table(r, "departments", &sb), 0);
	ck_assert_str_eq(sb.buf, "erDiagram\n"
				 "    departments {\n"
				 "        integer id PK\n"
				 "        text name\n"
				 "    }\n"
				 "    employees {\n"
				 "        integer id PK\n"
				 "        integer department_id FK\n"
				 "    }\n"
				 "    departments ||--o{ employees : \"department_id\"\n");
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_mermaid_table(r, "employees", &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "        numeric(15_2) salary\n"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "    employees |o--o{ employees : \"manager_id\"\n"));
	ck_assert_ptr_null(strstr(sb.buf, "rooms"));
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_mermaid_service(r, "project-service", &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "        DECIMAL(15_2) budget\n"));
	ck_assert_ptr_null(strstr(sb.buf, "departments"));
	ck_assert_int_eq(render_erd_mermaid_service(r, "nobody", &sb), REG_ENOENT);
	ck_assert_int_eq(render_erd_mermaid_table(r, "nothing", &sb), REG_ENOENT);

	if (system("command -v dot >/dev/null 2>&1") == 0) {
		char cmd[4096];
		char *err = tu_tmp_path("dot.err");
		snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o /dev/null 2>'%s'", dot, err);
		ck_assert_int_eq(run(cmd), 0);
		size_t len = 0;
		free(tu_read_file(err, &len));
		ck_assert_msg(len == 0, "dot wrote warnings");
		free(err);
	} else {
		tu_service_missing("graphviz dot");
	}
	free(dot);
	/* the library draws it too, and the services' drawing */
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_svg_service(r, "hr-service", &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "<svg"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "<title>employees</title>"));
	sbuf_release(&sb);
	reg_registry_free(r);
}
END_TEST

/* n tables, each referencing the one before. */
static struct reg_registry *chain(size_t n)
{
	struct reg_registry *r = reg_registry_new();
	for (size_t i = 0; i < n; i++) {
		char name[32], prev[32];
		snprintf(name, sizeof(name), "t%05zu", i);
		struct reg_schema *s = tr_schema(name, i % 3 ? "a-service" : "b-service");
		tr_column(s, "id", "BIGINT", false)->primary_key = true;
		tr_column(s, "hidden_column", "TEXT", true);
		if (i) {
			snprintf(prev, sizeof(prev), "t%05zu", i - 1);
			tr_column(s, "prev_id", "BIGINT", false);
			tr_ref(s, prev, "prev_id", "id");
		}
		tr_add(r, s);
	}
	return r;
}

START_TEST(big_registries_compact_then_notice)
{
	/* above RENDER_SVG_FULL_MAX: a box per table, no columns */
	struct reg_registry *r = chain(RENDER_SVG_FULL_MAX + 1);
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(render_erd_svg(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "<title>t00500</title>"));
	ck_assert_ptr_null(strstr(sb.buf, "hidden_column"));
	ck_assert_uint_eq(count(sb.buf, "<g id=\"clust"), 2);
	reg_registry_free(r);
	/* a service's drawing of that registry has its columns */
	sbuf_reset(&sb);
	r = chain(30);
	ck_assert_int_eq(render_erd_svg(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "hidden_column"));
	reg_registry_free(r);
	/* above RENDER_SVG_MAX: a notice */
	sbuf_reset(&sb);
	r = chain(RENDER_SVG_MAX + 1);
	ck_assert_int_eq(render_erd_svg(r, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "2001 tables are too many for one drawing"));
	sbuf_reset(&sb);
	ck_assert_int_eq(render_erd_svg_table(r, "t01000", &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "<title>t01001</title>"));
	reg_registry_free(r);
	sbuf_release(&sb);
}
END_TEST

/* `schemafs erd DIR --table T|--service S [--dot|--svg]` */
START_TEST(cli_erd_options)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	char *dir = tu_src_path("examples/aegis"), *out = tu_tmp_path("out"), cmd[8192];
	char *supp = tu_src_path("tests/lsan.supp"); /* Graphviz's caches */
	ck_assert_ptr_nonnull(bin);
	struct {
		const char *args;
		int status;
		const char *has;
	} cases[] = {
		{ "--table users", 0, "    users ||--o{ policies : \"created_by\"\n" },
		{ "users", 0, "    users ||--o{ policies : \"created_by\"\n" },
		{ "--table policies --dot", 0, "  \"policies\":e8:e -> \"users\":w0:w [" },
		{ "--table users --svg", 0, "<title>users</title>" },
		{ "--service policy-service", 0, "    policies {\n" },
		{ "--service user-service --svg", 0, "<svg" },
		{ "--svg", 0, "<title>notifications</title>" },
		{ "--service nobody", 1, "" },
		{ "--table nothing --svg", 1, "" },
		{ "--table users --service user-service", 2, "" },
		{ "--dot --svg", 2, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "LSAN_OPTIONS='suppressions=%s:print_suppressions=0' '%s' erd '%s' %s "
			 ">'%s' 2>/dev/null",
			 supp, bin, dir, cases[i].args, out);
		ck_assert_msg(run(cmd) == cases[i].status, "erd %s", cases[i].args);
		char *text = tu_read_file(out, NULL);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(strstr(text, cases[i].has), "erd %s: no '%s'", cases[i].args,
			      cases[i].has);
		free(text);
	}
	free(supp);
	free(dir);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pictures");
	TCase *tc = tcase_create("pictures");
	tcase_set_timeout(tc, 280);
	tcase_add_checked_fixture(tc, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(tc, dot_clusters_ports_feet_loops);
	tcase_add_test(tc, cli_erd_options);
	tcase_add_test(tc, big_registries_compact_then_notice);
	tcase_add_test(tc, adventureworks_clustered_svg);
	tcase_add_test(tc, corpus_diagrams_in_mermaid_10_11_12);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
