/*
 * schemafs diff [--mode MODE] [--json] [--format text|github] V1 V2 [V3...]:
 * every change between registry directories, oldest first, judged by
 * registry/contract.h (docs/contracts.md). No mount, no database. Exit 0
 * when nothing violates the mode or a version rule, 1 when something does
 * (or a directory or file cannot be read: then only the load problems are
 * printed, as a refused file would look like a removed table), 2 on a
 * usage error.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "jsonw.h"
#include "registry.h"

enum { EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

struct diff_args {
	enum contract_mode mode;
	bool forced;        /* --mode given: every table under it */
	enum cli_format format;
	char **dirs;
	size_t ndirs;
};

/* -h: the whole help text; a usage error: the synopsis (help.c has both). */
static int usage(FILE *f, int status)
{
	if (f == stdout)
		cli_help_print(cli_help_find("diff"), f);
	else
		cli_usage_error("diff");
	return status;
}

/* 0, -1 after --help, or EXIT_USAGE (message printed). */
static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof(*a));
	a->mode = CONTRACT_BACKWARD;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (contract_mode_parse(optarg, &a->mode)) {
				fprintf(stderr, "schemafs: diff: unknown mode '%s'\n", optarg);
				return usage(stderr, EXIT_USAGE);
			}
			a->forced = true;
			break;
		case 'j':
			a->format = CLI_FORMAT_JSON;
			break;
		case 'F':
			if (!cli_parse_format("diff", optarg, &a->format))
				return usage(stderr, EXIT_USAGE);
			break;
		case 'h':
			usage(stdout, 0);
			return -1;
		default:
			fprintf(stderr, "schemafs: diff: unknown option '%s'\n", argv[optind - 1]);
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "schemafs: diff: need at least two directories, oldest first\n");
		return usage(stderr, EXIT_USAGE);
	}
	a->dirs = argv + optind;
	a->ndirs = (size_t)(argc - optind);
	return 0;
}

/* Loads every directory; load problems go to diags. On a directory that
 * cannot be read, *why says so and the return is nonzero. */
static int load_all(const struct diff_args *a, struct reg_registry **revs, struct diags *diags,
		    struct sbuf *why)
{
	for (size_t i = 0; i < a->ndirs; i++) {
		if (!(revs[i] = reg_registry_new()))
			return sbuf_addf(why, "%s", reg_strerror(REG_ENOMEM)), REG_ENOMEM;
		errno = 0;
		int rc = reg_load_dir(revs[i], a->dirs[i], NULL, diags);
		if (rc) {
			sbuf_addf(why, "cannot read '%s': %s", a->dirs[i],
				  rc != REG_ENOMEM && errno ? strerror(errno) : reg_strerror(rc));
			return rc;
		}
	}
	return 0;
}

static int render_text(const struct diags *load, const struct contract_report *r,
		       enum cli_format format, struct sbuf *out)
{
	for (size_t i = 0; i < load->n; i++) {
		const struct diag *d = &load->items[i];
		if (format == CLI_FORMAT_GITHUB) {
			cli_annotate(out, d->severity, d->file, d->loc, NULL, d->message);
		} else {
			diag_render(d, out);
			sbuf_addch(out, '\n');
		}
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct contract_finding *f = &r->items[i];
		if (format == CLI_FORMAT_GITHUB) {
			cli_annotate(out, f->severity, f->file, f->loc, NULL, f->message);
			continue;
		}
		struct diag d = { f->file ? f->file : "", f->loc, f->severity, f->message };
		diag_render(&d, out);
		sbuf_addch(out, '\n');
	}
	return sbuf_error(out);
}

static void json_place(struct jsonw *w, const char *file, struct reg_loc loc,
		       enum diag_severity sev)
{
	jsonw_kstr(w, "file", file && *file ? file : NULL);
	jsonw_kint(w, "line", loc.line);
	jsonw_kint(w, "col", loc.col);
	jsonw_kstr(w, "severity", diag_severity_name(sev));
}

static int render_json(const struct diff_args *a, const struct diags *load,
		       const struct contract_report *r, struct sbuf *out)
{
	struct jsonw w;
	jsonw_init(&w, out);
	jsonw_obj(&w);
	jsonw_kstr(&w, "mode", contract_mode_info(a->mode)->name);
	jsonw_key(&w, "revisions");
	jsonw_arr(&w);
	for (size_t i = 0; i < a->ndirs; i++)
		jsonw_str(&w, a->dirs[i]);
	jsonw_end(&w);
	jsonw_key(&w, "load");
	jsonw_arr(&w);
	for (size_t i = 0; i < load->n; i++) {
		jsonw_obj(&w);
		json_place(&w, load->items[i].file, load->items[i].loc, load->items[i].severity);
		jsonw_kstr(&w, "message", load->items[i].message);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_key(&w, "findings");
	jsonw_arr(&w);
	for (size_t i = 0; i < r->n; i++) {
		const struct contract_finding *f = &r->items[i];
		jsonw_obj(&w);
		json_place(&w, f->file, f->loc, f->severity);
		jsonw_kstr(&w, "table", f->table);
		jsonw_kstr(&w, "rule", f->rule);
		jsonw_kstr(&w, "class", contract_class_id(f->cls));
		jsonw_kstr(&w, "bump",
			   f->level == SEMVER_NONE ? NULL : semver_level_name(f->level));
		jsonw_kstr(&w, "required", f->required);
		jsonw_key(&w, "services");
		jsonw_arr(&w);
		for (size_t k = 0; k < f->services.n; k++)
			jsonw_str(&w, f->services.items[k]);
		jsonw_end(&w);
		jsonw_kstr(&w, "message", f->message);
		jsonw_end(&w);
	}
	jsonw_end(&w);
	jsonw_kint(&w, "errors", (int64_t)(r->errors + load->errors));
	jsonw_end(&w);
	int rc = jsonw_finish(&w);
	return rc ? rc : sbuf_addch(out, '\n');
}

static int emit(FILE *f, const struct sbuf *sb)
{
	if ((sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len) || fflush(f)) {
		fprintf(stderr, "schemafs: write error: %s\n", strerror(errno));
		return EXIT_PROBLEMS;
	}
	return 0;
}

/* A failure before any verdict: {"error": ...} for --json, else stderr. */
static int fail(const struct diff_args *a, const char *why)
{
	if (a->format != CLI_FORMAT_JSON) {
		fprintf(stderr, "schemafs: diff: %s\n", why);
		return EXIT_PROBLEMS;
	}
	struct sbuf sb = SBUF_INIT;
	struct jsonw w;
	jsonw_init(&w, &sb);
	jsonw_obj(&w);
	jsonw_kstr(&w, "error", why);
	jsonw_end(&w);
	jsonw_finish(&w);
	sbuf_addch(&sb, '\n');
	emit(stdout, &sb);
	sbuf_release(&sb);
	return EXIT_PROBLEMS;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args a;
	struct diags load = DIAGS_INIT;
	struct contract_report report = CONTRACT_REPORT_INIT;
	struct sbuf out = SBUF_INIT, why = SBUF_INIT;
	struct reg_registry **revs = NULL;
	int status = parse_args(argc, argv, &a);
	if (status)
		return status < 0 ? 0 : status;
	if (!(revs = calloc(a.ndirs, sizeof(*revs)))) {
		status = fail(&a, reg_strerror(REG_ENOMEM));
		goto out;
	}
	if (load_all(&a, revs, &load, &why)) {
		status = fail(&a, why.buf);
		goto out;
	}
	/* a refused file would look like a removed table: judge nothing then */
	const struct reg_registry *const *rv = (const struct reg_registry *const *)revs;
	const char *const *labels = (const char *const *)a.dirs;
	if (!a.forced)
		a.mode = (enum contract_mode)contract_mode_of(revs[a.ndirs - 1], NULL);
	int rc = load.errors ? 0
		 : a.forced ? contract_diff_registries(rv, labels, a.ndirs, a.mode, NULL, &report)
			    : contract_diff_own_modes(rv, labels, a.ndirs, NULL, &report);
	if (!rc)
		rc = a.format == CLI_FORMAT_JSON ? render_json(&a, &load, &report, &out)
					     : render_text(&load, &report, a.format, &out);
	if (rc) {
		status = fail(&a, reg_strerror(rc));
		goto out;
	}
	status = emit(stdout, &out);
	if (report.errors || load.errors)
		status = EXIT_PROBLEMS;
out:
	for (size_t i = 0; revs && i < a.ndirs; i++)
		reg_registry_free(revs[i]);
	free(revs);
	sbuf_release(&why);
	sbuf_release(&out);
	contract_report_release(&report);
	diags_release(&load);
	return status;
}
