/*
 * Commands on a directory of YAML files: no mount, no database. Each loads
 * DIR the way the mount would (registry.yaml + *.yaml), then prints one
 * view on stdout. A file that is refused is skipped and reported; `check`
 * prints every problem on stdout, the other commands on stderr, and all of
 * them then exit 1 so that a CI step notices.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "registry.h"
#include "render.h"
#include "validate.h"

enum { EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

struct view_args {
	const char *dir;
	const char *name; /* dependents only */
	int json;	  /* --json */
	int dot;	  /* --dot */
};

/*
 * Parses "DIR [NAME] [--json|--dot]" in any order; options allowed for this
 * command are given as flags. Returns -1 after -h (usage printed), 0 on
 * success, EXIT_USAGE on a usage error (message printed).
 */
static int parse_args(int argc, char **argv, const char *usage, int want_name, int allow_json,
		      int allow_dot, struct view_args *a)
{
	int positional = 0, only_positional = 0;

	memset(a, 0, sizeof(*a));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!only_positional && arg[0] == '-' && arg[1]) {
			if (!strcmp(arg, "--")) {
				only_positional = 1;
			} else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
				printf("usage: schemafs %s\n", usage);
				return -1;
			} else if (allow_json && !strcmp(arg, "--json")) {
				a->json = 1;
			} else if (allow_dot && !strcmp(arg, "--dot")) {
				a->dot = 1;
			} else {
				fprintf(stderr, "schemafs: %s: unknown option '%s'\n", argv[0],
					arg);
				goto usage;
			}
			continue;
		}
		if (positional == 0)
			a->dir = arg;
		else if (positional == 1 && want_name)
			a->name = arg;
		else {
			fprintf(stderr, "schemafs: %s: unexpected argument '%s'\n", argv[0], arg);
			goto usage;
		}
		positional++;
	}
	if (!a->dir || (want_name == 1 && !a->name)) {
		fprintf(stderr, "schemafs: %s: missing %s\n", argv[0], a->dir ? "NAME" : "DIR");
		goto usage;
	}
	return 0;
usage:
	fprintf(stderr, "usage: schemafs %s\n", usage);
	return EXIT_USAGE;
}

/* Loads dir into a new registry; problems with single files go to diags.
 * Returns NULL (message printed) when the directory cannot be read. */
static struct reg_registry *load(const char *dir, struct diags *diags)
{
	struct reg_registry *r = reg_registry_new();
	if (!r) {
		fprintf(stderr, "schemafs: %s\n", reg_strerror(REG_ENOMEM));
		return NULL;
	}
	errno = 0;
	int rc = reg_load_dir(r, dir, NULL, diags);
	if (rc) {
		/* reg_load_dir keeps errno for REG_EIO/REG_ENOENT */
		if (rc == REG_ENOMEM)
			fprintf(stderr, "schemafs: %s: %s\n", dir, reg_strerror(rc));
		else
			fprintf(stderr, "schemafs: cannot read '%s': %s\n", dir,
				errno ? strerror(errno) : reg_strerror(rc));
		reg_registry_free(r);
		return NULL;
	}
	return r;
}

/* Writes the whole buffer; a failed write (full disk, closed pipe) is a
 * failure of the command, not something to ignore. */
static int emit(FILE *f, const struct sbuf *sb)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		goto fail;
	if (fflush(f))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "schemafs: write error: %s\n", strerror(errno));
	return EXIT_PROBLEMS;
}

/* Load problems of a view command go to stderr, one per line. */
static int report_load(const struct diags *d)
{
	struct sbuf sb = SBUF_INIT;
	if (!d->n)
		return 0;
	int rc = diags_render(d, &sb);
	if (!rc)
		rc = emit(stderr, &sb);
	sbuf_release(&sb);
	return rc || d->errors ? EXIT_PROBLEMS : 0;
}

typedef int (*render_fn)(const struct reg_registry *r, const struct view_args *a, struct sbuf *out);

/* The shape every view command shares: parse, load, render, print. */
static int run_view(int argc, char **argv, const char *usage, int want_name, int allow_json,
		    int allow_dot, render_fn render)
{
	struct view_args a;
	struct diags diags = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_registry *r = NULL;
	int status = parse_args(argc, argv, usage, want_name, allow_json, allow_dot, &a);

	if (status)
		return status < 0 ? 0 : status;
	r = load(a.dir, &diags);
	if (!r) {
		status = EXIT_PROBLEMS;
		goto out;
	}
	int rc = render(r, &a, &out);
	if (rc == REG_ENOENT) {
		fprintf(stderr, "schemafs: %s: no schema '%s' in '%s'\n", argv[0], a.name, a.dir);
		status = EXIT_PROBLEMS;
	} else if (rc) {
		fprintf(stderr, "schemafs: %s: %s\n", argv[0], reg_strerror(rc));
		status = EXIT_PROBLEMS;
	} else {
		status = emit(stdout, &out);
	}
	if (report_load(&diags))
		status = EXIT_PROBLEMS;
out:
	sbuf_release(&out);
	diags_release(&diags);
	reg_registry_free(r);
	return status;
}

int cmd_check(int argc, char **argv)
{
	static const char usage[] = "check DIR [--json]";
	struct view_args a;
	struct diags diags = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_registry *r = NULL;
	int status = parse_args(argc, argv, usage, 0, 1, 0, &a);

	if (status)
		return status < 0 ? 0 : status;
	r = load(a.dir, &diags);
	if (!r) {
		status = EXIT_PROBLEMS;
		goto out;
	}
	int rc = reg_validate_registry(r, &diags);
	if (!rc) {
		diags_sort(&diags);
		rc = a.json ? render_validation_json(&diags, &out) : diags_render(&diags, &out);
	}
	if (rc) {
		fprintf(stderr, "schemafs: check: %s\n", reg_strerror(rc));
		status = EXIT_PROBLEMS;
		goto out;
	}
	status = emit(stdout, &out);
	if (diags.errors)
		status = EXIT_PROBLEMS;
out:
	sbuf_release(&out);
	diags_release(&diags);
	reg_registry_free(r);
	return status;
}

static int view_order(const struct reg_registry *r, const struct view_args *a, struct sbuf *out)
{
	return a->json ? render_order_json(r, out) : render_order(r, out);
}

int cmd_order(int argc, char **argv)
{
	return run_view(argc, argv, "order DIR [--json]", 0, 1, 0, view_order);
}

static int view_graph(const struct reg_registry *r, const struct view_args *a, struct sbuf *out)
{
	return a->json ? render_graph_json(r, out) : render_graph(r, out);
}

int cmd_graph(int argc, char **argv)
{
	return run_view(argc, argv, "graph DIR [--json]", 0, 1, 0, view_graph);
}

static int view_dependents(const struct reg_registry *r, const struct view_args *a,
			   struct sbuf *out)
{
	if (!a->name)
		return render_dependents_json(r, out);
	if (reg_find(r, a->name) < 0)
		return REG_ENOENT;
	return a->json ? render_dependent_json(r, a->name, out)
		       : render_dependents(r, a->name, out);
}

int cmd_dependents(int argc, char **argv)
{
	/* NAME may be left out with --json: every schema's dependents */
	int want_name = 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			want_name = 2;
	return run_view(argc, argv, "dependents DIR NAME [--json] | dependents DIR --json",
			want_name, 1, 0, view_dependents);
}

static int view_cycles(const struct reg_registry *r, const struct view_args *a, struct sbuf *out)
{
	return a->json ? render_cycles_json(r, out) : render_cycles(r, out);
}

int cmd_cycles(int argc, char **argv)
{
	return run_view(argc, argv, "cycles DIR [--json]", 0, 1, 0, view_cycles);
}

static int view_docs(const struct reg_registry *r, const struct view_args *a, struct sbuf *out)
{
	(void)a;
	return render_docs(r, out);
}

int cmd_docs(int argc, char **argv)
{
	return run_view(argc, argv, "docs DIR", 0, 0, 0, view_docs);
}

static int view_erd(const struct reg_registry *r, const struct view_args *a, struct sbuf *out)
{
	return a->dot ? render_erd_dot(r, out) : render_erd_mermaid(r, out);
}

int cmd_erd(int argc, char **argv)
{
	return run_view(argc, argv, "erd DIR [--dot]", 0, 0, 1, view_erd);
}
