/*
 * bench_core: load + validate + order of generated registries, against a
 * baseline measured in the same run on the same files: reading their bytes
 * and running libyaml's parser over them (events only, no model). The
 * ratio says what the registry adds to the bare minimum any YAML-based
 * implementation pays.
 *
 *   bench_core [--sizes 1000,10000,50000] [--dir WORKDIR] [--keep] [--runs N]
 *
 * Prints, per size, the best of N runs (default 3): seconds, microseconds
 * per table, and the phases (load = read + parse + local rules, check =
 * cross-schema rules + cycles, order = graph + migration order). Then the
 * linearity (per-table cost of each size over the previous one; 1.00 is
 * perfectly linear) and the target: 10,000 tables under 0.5 s.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "bench_gen.h"
#include "graph.h"
#include "registry.h"
#include "render.h"
#include "validate.h"

#define TARGET_TABLES 10000
#define TARGET_SECONDS 0.5

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_yaml(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && !strcmp(name + n - 5, ".yaml") && name[0] != '.';
}

/* The baseline: every *.yaml of dir read whole and run through libyaml's
 * event parser. Returns seconds, or -1 on an error. */
static double baseline(const char *dir, size_t *bytes_out)
{
	double t0 = now();
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[8192];
	char *buf = NULL;
	size_t cap = 0, bytes = 0;
	double result = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!is_yaml(e->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st)) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
		if ((size_t)st.st_size + 1 > cap) {
			cap = (size_t)st.st_size + 1;
			char *p = realloc(buf, cap);
			if (!p) {
				close(fd);
				goto out;
			}
			buf = p;
		}
		size_t len = 0;
		ssize_t got;
		while ((got = read(fd, buf + len, cap - len)) > 0)
			len += (size_t)got;
		close(fd);
		bytes += len;

		yaml_parser_t parser;
		yaml_event_t event;
		int done = 0;
		if (!yaml_parser_initialize(&parser))
			goto out;
		yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
		while (!done) {
			if (!yaml_parser_parse(&parser, &event)) {
				yaml_parser_delete(&parser);
				goto out;
			}
			done = event.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&event);
		}
		yaml_parser_delete(&parser);
	}
	result = now() - t0;
	*bytes_out = bytes;
out:
	closedir(d);
	free(buf);
	return result;
}

struct core_times {
	double load, check, order, total;
	size_t tables, columns, refs, errors, warnings;
};

static int core(const char *dir, struct core_times *t)
{
	struct diags diags = DIAGS_INIT;
	struct reg_graph g;
	struct reg_order o;
	struct reg_registry *r;
	int rc;

	memset(t, 0, sizeof(*t));
	double t0 = now();
	r = reg_registry_new();
	if (!r)
		return REG_ENOMEM;
	rc = reg_load_dir(r, dir, NULL, &diags);
	double t1 = now();
	if (!rc)
		rc = reg_validate_registry(r, &diags);
	double t2 = now();
	if (!rc)
		rc = reg_graph_build(r, &g);
	if (!rc) {
		rc = reg_graph_order(&g, r, &o);
		if (!rc)
			reg_graph_order_release(&o);
		reg_graph_release(&g);
	}
	double t3 = now();
	t->load = t1 - t0;
	t->check = t2 - t1;
	t->order = t3 - t2;
	t->total = t3 - t0;
	t->tables = r->n;
	for (size_t i = 0; i < r->n; i++) {
		t->columns += r->schemas[i]->ncolumns;
		t->refs += r->schemas[i]->nrefs;
	}
	t->errors = diags.errors;
	t->warnings = diags.n - diags.errors;
	if (diags.errors) {
		struct sbuf sb = SBUF_INIT;
		diags_render(&diags, &sb);
		fprintf(stderr, "bench_core: %s has problems:\n%.2000s", dir, sb.buf);
		sbuf_release(&sb);
	}
	diags_release(&diags);
	reg_registry_free(r);
	return rc;
}

/* Each derived view rendered once from a loaded registry: what a mount
 * pays on the first read after a change. */
static int views(const char *dir, size_t n)
{
	static const struct {
		const char *name;
		int (*fn)(const struct reg_registry *, struct sbuf *);
	} list[] = {
	    {"graph", render_graph},	 {"order", render_order},
	    {"cycles", render_cycles},	 {"dependents.json", render_dependents_json},
	    {"docs", render_docs},	 {"erd.mmd", render_erd_mermaid},
	    {"erd.dot", render_erd_dot},
	};
	struct diags diags = DIAGS_INIT;
	struct reg_registry *r = reg_registry_new();
	int rc = r ? reg_load_dir(r, dir, NULL, &diags) : REG_ENOMEM;

	printf("  views at %zu tables:", n);
	for (size_t i = 0; i < sizeof(list) / sizeof(*list) && !rc; i++) {
		struct sbuf sb = SBUF_INIT;
		double t0 = now();
		rc = list[i].fn(r, &sb);
		printf(" %s %.1f ms (%.1f MiB)%s", list[i].name, (now() - t0) * 1e3,
		       (double)sb.len / (1024.0 * 1024.0),
		       i + 1 < sizeof(list) / sizeof(*list) ? "," : "\n");
		sbuf_release(&sb);
	}
	diags_release(&diags);
	reg_registry_free(r);
	return rc;
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[8192];
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	size_t sizes[8] = {1000, 10000, 50000};
	size_t nsizes = 3;
	const char *workdir = NULL;
	int keep = 0, runs = 3;
	char made[4096] = "";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sizes") && i + 1 < argc) {
			char *p = argv[++i];
			nsizes = 0;
			while (*p && nsizes < 8) {
				sizes[nsizes++] = strtoul(p, &p, 10);
				if (*p == ',')
					p++;
			}
		} else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
			workdir = argv[++i];
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			runs = atoi(argv[++i]);
			if (runs < 1)
				runs = 1;
		} else if (!strcmp(argv[i], "--keep")) {
			keep = 1;
		} else {
			fprintf(stderr,
				"usage: bench_core [--sizes N,N,...] [--dir WORKDIR] [--keep]"
				" [--runs N]\n");
			return 2;
		}
	}
	if (!workdir) {
		const char *tmp = getenv("TMPDIR");
		snprintf(made, sizeof(made), "%s/schemafs-bench-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(made)) {
			perror("bench_core: mkdtemp");
			return 1;
		}
		workdir = made;
	}

	printf("bench_core: load + validate + order, generated registries in %s, best of %d\n",
	       workdir, runs);
	printf(
	    "baseline: read every file + libyaml event parse (no model), same files, same run\n\n");
	printf("%7s %8s %7s %9s | %10s %9s | %8s %8s %8s %8s | %9s\n", "tables", "columns", "refs",
	       "MiB", "baseline_s", "us/table", "core_s", "load_s", "check_s", "order_s",
	       "us/table");

	double per_table[8] = {0}, target_time = -1;
	int failed = 0;
	for (size_t k = 0; k < nsizes; k++) {
		char dir[4200];
		snprintf(dir, sizeof(dir), "%s/tables-%zu", workdir, sizes[k]);
		struct stat st;
		if (stat(dir, &st) && bench_generate(dir, sizes[k], 1)) {
			fprintf(stderr, "bench_core: generating %s: %s\n", dir, strerror(errno));
			return 1;
		}
		double best_base = -1;
		size_t bytes = 0;
		struct core_times best = {0}, t;
		best.total = -1;
		for (int run = 0; run < runs; run++) {
			double b = baseline(dir, &bytes);
			if (b < 0) {
				fprintf(stderr, "bench_core: baseline failed on %s\n", dir);
				return 1;
			}
			if (best_base < 0 || b < best_base)
				best_base = b;
			if (core(dir, &t)) {
				fprintf(stderr, "bench_core: loading %s failed\n", dir);
				return 1;
			}
			if (best.total < 0 || t.total < best.total)
				best = t;
		}
		if (best.errors || best.tables != sizes[k]) {
			fprintf(stderr, "bench_core: %zu of %zu tables loaded, %zu errors\n",
				best.tables, sizes[k], best.errors);
			failed = 1;
		}
		per_table[k] = best.total / (double)sizes[k];
		if (sizes[k] == TARGET_TABLES)
			target_time = best.total;
		printf("%7zu %8zu %7zu %9.1f | %10.3f %9.1f | %8.3f %8.3f %8.3f %8.3f | %9.1f"
		       "   core/baseline %.2fx\n",
		       best.tables, best.columns, best.refs, (double)bytes / (1024.0 * 1024.0),
		       best_base, best_base / (double)sizes[k] * 1e6, best.total, best.load,
		       best.check, best.order, per_table[k] * 1e6, best.total / best_base);
		if (views(dir, sizes[k]))
			failed = 1;
		fflush(stdout);
		if (!keep)
			remove_dir(dir);
	}

	printf("\nlinearity (per-table cost over the previous size; 1.00 = linear):");
	for (size_t k = 1; k < nsizes; k++)
		printf(" %zu/%zu %.2f", sizes[k], sizes[k - 1], per_table[k] / per_table[k - 1]);
	printf("\n");
	if (target_time >= 0)
		printf("target: %d tables in %.3f s (< %.1f s): %s\n", TARGET_TABLES, target_time,
		       TARGET_SECONDS, target_time < TARGET_SECONDS ? "met" : "MISSED");
	if (made[0] && !keep)
		rmdir(made);
	return failed;
}
