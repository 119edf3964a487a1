/*
 * Commands on a directory of YAML files: no mount, no database. Each loads
 * DIR the way the mount would (registry.yaml + *.yaml), then prints one
 * view on stdout. A file that is refused is skipped and reported; `check`
 * prints every problem on stdout, the other commands on stderr, and all of
 * them then exit 1 so that a CI step notices (`check --strict`: also on a
 * warning).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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
	const char *name; /* a view of one schema (or service) */
	bool service;	  /* --service: name is a service */
	bool json;	  /* --json */
	bool dot;	  /* --dot */
	bool svg;	  /* --svg */
	bool strict;	  /* check --strict: warnings fail too */
	bool github;	  /* check --format github */
};

static bool has_form(const char *command, enum render_view_form form)
{
	return render_view_find(command, form, false) || render_view_find(command, form, true);
}

enum { OPT_JSON = 256, OPT_DOT, OPT_SVG, OPT_TABLE, OPT_SERVICE, OPT_STRICT, OPT_FORMAT };

static enum render_view_form form_of(const struct view_args *a)
{
	return a->svg ? RENDER_FORM_SVG
	       : a->dot ? RENDER_FORM_DOT
	       : a->json ? RENDER_FORM_JSON : RENDER_FORM_TEXT;
}

/* The row a's options pick for command. */
static const struct render_view *view_of(const char *command, const struct view_args *a)
{
	if (a->service)
		return render_view_find_service(command, form_of(a));
	return render_view_find(command, form_of(a), a->name != NULL);
}

/* An option the command does not take, as the user wrote it. */
static int unknown_option(char **argv, const char *usage)
{
	if (optopt > 0 && optopt < 256)
		fprintf(stderr, "schemafs: %s: unknown option '-%c'\n", argv[0], optopt);
	else
		fprintf(stderr, "schemafs: %s: unknown option '%s'\n", argv[0], argv[optind - 1]);
	fprintf(stderr, "usage: schemafs %s\n", usage);
	return EXIT_USAGE;
}

/*
 * Parses "DIR [NAME] [--json|--dot|--svg] [--table NAME|--service NAME]",
 * options anywhere ("--" ends them); --table and --service are for the
 * commands with such views (erd), --table NAME being the same as NAME;
 * command is argv[0] (NULL: check, which takes --json, --strict and
 * --format text|json|github and no NAME).
 * Returns -1 after -h (usage printed), 0 on success, EXIT_USAGE on a usage
 * error (message printed).
 */
static int parse_args(int argc, char **argv, const char *command, const char *usage,
		      struct view_args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "dot", no_argument, NULL, OPT_DOT },
		{ "svg", no_argument, NULL, OPT_SVG },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "service", required_argument, NULL, OPT_SERVICE },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	bool allow_json = !command || has_form(command, RENDER_FORM_JSON);
	bool allow_dot = command && has_form(command, RENDER_FORM_DOT);
	bool allow_svg = command && has_form(command, RENDER_FORM_SVG);
	bool allow_service = command && render_view_find_service(command, RENDER_FORM_TEXT);
	const char *option_name = NULL; /* --table or --service */
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage: schemafs %s\n", usage);
			return -1;
		} else if (c == OPT_JSON && allow_json) {
			a->json = true;
		} else if (c == OPT_DOT && allow_dot) {
			a->dot = true;
		} else if (c == OPT_SVG && allow_svg) {
			a->svg = true;
		} else if ((c == OPT_TABLE || c == OPT_SERVICE) && allow_service) {
			if (option_name) {
				fprintf(stderr, "schemafs: %s: one --table or --service\n", argv[0]);
				goto usage;
			}
			option_name = optarg;
			a->service = c == OPT_SERVICE;
		} else if (c == OPT_STRICT && !command) {
			a->strict = true;
		} else if (c == OPT_FORMAT && !command) {
			enum cli_format f;
			if (!cli_parse_format(argv[0], optarg, &f))
				goto usage;
			a->json = f == CLI_FORMAT_JSON;
			a->github = f == CLI_FORMAT_GITHUB;
		} else {
			if (c != '?')
				optopt = 0; /* a known option this command does not take */
			return unknown_option(argv, usage);
		}
	}
	/* a NAME is wanted when the form has a view of one schema; it is
	 * optional when the form also has a view of all (dependents --json) */
	if (a->dot + a->svg + a->json > 1) {
		fprintf(stderr, "schemafs: %s: one of --json, --dot, --svg\n", argv[0]);
		goto usage;
	}
	enum render_view_form form = form_of(a);
	bool named = command && !option_name && render_view_find(command, form, true);
	bool need_name = named && !render_view_find(command, form, false);
	char **pos = argv + optind;
	int npos = argc - optind;
	a->name = option_name;
	if (npos > 0)
		a->dir = pos[0];
	if (npos > 1 && named)
		a->name = pos[1];
	if (npos > (named ? 2 : 1)) {
		fprintf(stderr, "schemafs: %s: unexpected argument '%s'\n", argv[0],
			pos[named ? 2 : 1]);
		goto usage;
	}
	if (!a->dir || (need_name && !a->name)) {
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

/* The shape every view command shares: parse, load, render, print. */
int cmd_view(int argc, char **argv)
{
	const char *usage = NULL;
	struct view_args a;
	struct diags diags = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_registry *r = NULL;

	/* the usage line is the help table's (help.c), one text per command */
	const struct cli_help *h = cli_help_find(argv[0]);
	if (h && render_view_find(argv[0], RENDER_FORM_TEXT, false) == NULL &&
	    render_view_find(argv[0], RENDER_FORM_TEXT, true) == NULL)
		h = NULL;
	if (h)
		usage = h->synopsis;
	if (!usage) {
		fprintf(stderr, "schemafs: %s: not a view\n", argv[0]);
		return EXIT_USAGE;
	}
	int status = parse_args(argc, argv, argv[0], usage, &a);
	if (status)
		return status < 0 ? 0 : status;
	const struct render_view *v = view_of(argv[0], &a);
	r = load(a.dir, &diags);
	if (!r) {
		status = EXIT_PROBLEMS;
		goto out;
	}
	int rc = render_view_run(v, r, a.name, &out);
	if (rc == REG_ENOENT) {
		fprintf(stderr, "schemafs: %s: no %s '%s' in '%s'\n", argv[0],
			a.service ? "table owned by service" : "schema", a.name, a.dir);
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
	if (a.svg)
		render_svg_release();
	sbuf_release(&out);
	diags_release(&diags);
	reg_registry_free(r);
	return status;
}

static bool has_warnings(const struct diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == DIAG_WARNING)
			return true;
	return false;
}

int cmd_check(int argc, char **argv)
{
	const char *usage = cli_help_find("check")->synopsis;
	struct view_args a;
	struct diags diags = DIAGS_INIT;
	struct sbuf out = SBUF_INIT;
	struct reg_registry *r = NULL;
	int status = parse_args(argc, argv, NULL, usage, &a);

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
		rc = a.json     ? render_validation_json(&diags, &out)
		     : a.github ? cli_annotate_diags(&out, &diags)
				: diags_render(&diags, &out);
	}
	if (rc) {
		fprintf(stderr, "schemafs: check: %s\n", reg_strerror(rc));
		status = EXIT_PROBLEMS;
		goto out;
	}
	status = emit(stdout, &out);
	/* --strict or registry.yaml lint: {strict: true}: warnings fail too */
	if (diags.errors || ((a.strict || r->meta.lint_strict) && has_warnings(&diags)))
		status = EXIT_PROBLEMS;
out:
	sbuf_release(&out);
	diags_release(&diags);
	reg_registry_free(r);
	return status;
}

