/*
 * schemafs lint: registry/lint.h on SQL files, offline (no database), for
 * CI and editors. One finding per line, "file:line:col: severity: message",
 * or a JSON array, or GitHub workflow commands.
 *
 * Exit: 0 clean (warnings allowed), 1 errors found (with --strict also
 * warnings), 2 usage error or a file that cannot be read (then nothing was
 * judged; with --json stdout holds {"error": "..."}).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "lint.h"

enum { EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

/* 15, 15.4, 9.6, 150004 -> server_version_num; 0 when not a version. */
static int parse_pg_version(const char *s)
{
	char *end;
	errno = 0;
	long major = strtol(s, &end, 10);
	if (errno || end == s || major <= 0)
		return 0;
	if (!*end)
		return major >= 10000 && major < 1000000 ? (int)major
		       : major >= 10 && major < 100 ? (int)major * 10000 : 0;
	if (*end != '.')
		return 0;
	const char *rest = end + 1;
	long minor = strtol(rest, &end, 10);
	if (end == rest || *end || minor < 0 || minor > 99 || major > 99)
		return 0;
	return major >= 10 ? (int)(major * 10000 + minor) : (int)(major * 10000 + minor * 100);
}

static int set_level(struct lint_options *o, const char *rule, enum lint_level level)
{
	if (lint_options_set(o, rule, level) == 0)
		return 0;
	const char *ids[LINT_NRULES + 1];
	for (int i = 0; i < LINT_NRULES; i++)
		ids[i] = lint_rules[i].id;
	ids[LINT_NRULES] = NULL;
	const char *near = reg_nearest(rule, ids);
	fprintf(stderr, "schemafs: lint: unknown rule '%s'%s%s%s\n", rule,
		near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	return EXIT_USAGE;
}

static void render_finding(struct sbuf *out, struct jsonw *w, enum cli_format fmt, const char *file,
			   const struct lint_finding *f)
{
	const char *sev = diag_severity_name(f->severity);
	if (fmt == CLI_FORMAT_JSON) {
		jsonw_obj(w);
		jsonw_kstr(w, "file", file);
		jsonw_kint(w, "line", f->loc.line);
		jsonw_kint(w, "column", f->loc.col);
		jsonw_kstr(w, "severity", sev);
		jsonw_kstr(w, "rule", lint_rules[f->rule].id);
		jsonw_kstr(w, "message", f->message);
		jsonw_end(w);
	} else if (fmt == CLI_FORMAT_GITHUB) {
		cli_annotate(out, f->severity, file, f->loc, lint_rules[f->rule].id, f->message);
	} else {
		sbuf_addf(out, "%s:%u:%u: %s: %s\n", file, f->loc.line, f->loc.col, sev, f->message);
	}
}

static int fail(enum cli_format fmt, const char *what, const char *path, int err)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s '%s': %s", what, path, strerror(err));
	fprintf(stderr, "schemafs: lint: %s\n", msg);
	if (fmt == CLI_FORMAT_JSON) {
		struct sbuf out = SBUF_INIT;
		struct jsonw w;
		jsonw_init(&w, &out);
		jsonw_obj(&w);
		jsonw_kstr(&w, "error", msg);
		jsonw_end(&w);
		if (!jsonw_finish(&w))
			printf("%s\n", out.buf);
		sbuf_release(&out);
	}
	return EXIT_USAGE;
}

struct lint_args {
	struct lint_options opt;
	enum cli_format fmt;
	bool strict, rules;
};

static int parse_args(int argc, char **argv, struct lint_args *a)
{
	enum { O_PG = 256, O_TX, O_GEN, O_STRICT, O_JSON, O_FORMAT, O_DISABLE, O_WARN, O_ERROR,
	       O_RULES };
	static const struct option longopts[] = {
		{ "pg-version", required_argument, NULL, O_PG },
		{ "in-transaction", no_argument, NULL, O_TX },
		{ "generated", no_argument, NULL, O_GEN },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "json", no_argument, NULL, O_JSON },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "disable", required_argument, NULL, O_DISABLE },
		{ "warning", required_argument, NULL, O_WARN },
		{ "error", required_argument, NULL, O_ERROR },
		{ "rules", no_argument, NULL, O_RULES },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, rc;
	lint_options_init(&a->opt);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_PG:
			if (!(a->opt.pg_version = parse_pg_version(optarg))) {
				fprintf(stderr, "schemafs: lint: bad --pg-version '%s' (15, 15.4 or "
						"150004)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_TX: a->opt.in_transaction = true; break;
		case O_GEN: a->opt.hand_written = false; break;
		case O_STRICT: a->strict = true; break;
		case O_JSON: a->fmt = CLI_FORMAT_JSON; break;
		case O_FORMAT:
			if (!cli_parse_format("lint", optarg, &a->fmt))
				return EXIT_USAGE;
			break;
		case O_DISABLE:
		case O_WARN:
		case O_ERROR:
			rc = set_level(&a->opt, optarg, ch == O_DISABLE ? LINT_LEVEL_OFF
							: ch == O_WARN ? LINT_LEVEL_WARNING
								       : LINT_LEVEL_ERROR);
			if (rc)
				return rc;
			break;
		case O_RULES: a->rules = true; break;
		case 'h':
			cli_help_print(cli_help_find("lint"), stdout);
			return -1;
		default:
			fprintf(stderr, "schemafs: lint: unknown option or missing value '%s'\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (!a->rules && optind >= argc) {
		fprintf(stderr, "schemafs: lint: no FILE.sql given\n");
		return EXIT_USAGE;
	}
	return 0;
}

static int print_rules(enum cli_format fmt)
{
	struct sbuf out = SBUF_INIT;
	if (fmt == CLI_FORMAT_JSON) {
		struct jsonw w;
		jsonw_init(&w, &out);
		jsonw_arr(&w);
		for (int i = 0; i < LINT_NRULES; i++) {
			jsonw_obj(&w);
			jsonw_kstr(&w, "id", lint_rules[i].id);
			jsonw_kstr(&w, "severity", diag_severity_name(lint_rules[i].severity));
			jsonw_kstr(&w, "summary", lint_rules[i].summary);
			jsonw_kbool(&w, "hand_written_only", lint_rules[i].hand_only);
			jsonw_end(&w);
		}
		jsonw_end(&w);
		jsonw_finish(&w);
		sbuf_addch(&out, '\n');
	} else {
		lint_render_rules(&out);
	}
	int rc = sbuf_error(&out) ? EXIT_PROBLEMS : 0;
	if (!rc)
		fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
	return rc;
}

int cmd_lint(int argc, char **argv)
{
	struct lint_args a = { 0 };
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.rules)
		return print_rules(a.fmt);
	int nfiles = argc - optind;
	char **files = argv + optind;
	struct sbuf *texts = calloc((size_t)nfiles, sizeof(*texts));
	struct sbuf out = SBUF_INIT;
	struct jsonw w;
	size_t errors = 0, warnings = 0;
	if (!texts)
		return fail(a.fmt, "out of memory reading", files[0], ENOMEM);
	/* read everything first, so an unreadable file leaves valid output */
	for (int i = 0; i < nfiles; i++) {
		if (cli_read_file(files[i], SIZE_MAX, &texts[i]) < 0) {
			rc = fail(a.fmt, "cannot read", files[i], errno);
			goto out;
		}
	}
	jsonw_init(&w, &out);
	if (a.fmt == CLI_FORMAT_JSON)
		jsonw_arr(&w);
	for (int i = 0; i < nfiles; i++) {
		struct lint_report r = LINT_REPORT_INIT;
		const char *name = strcmp(files[i], "-") ? files[i] : "<stdin>";
		if (lint_run(texts[i].buf, texts[i].len, &a.opt, &r) < 0) {
			lint_report_release(&r);
			rc = fail(a.fmt, "out of memory linting", name, ENOMEM);
			goto out;
		}
		for (size_t k = 0; k < r.n; k++)
			render_finding(&out, &w, a.fmt, name, &r.items[k]);
		errors += r.errors;
		warnings += r.warnings;
		lint_report_release(&r);
	}
	if (a.fmt == CLI_FORMAT_JSON) {
		jsonw_end(&w);
		jsonw_finish(&w);
		sbuf_addch(&out, '\n');
	}
	if (sbuf_error(&out)) {
		rc = fail(a.fmt, "out of memory rendering", files[0], ENOMEM);
		goto out;
	}
	fwrite(out.buf, 1, out.len, stdout);
	rc = errors || (a.strict && warnings) ? EXIT_PROBLEMS : 0;
out:
	for (int i = 0; i < nfiles; i++)
		sbuf_release(&texts[i]);
	free(texts);
	sbuf_release(&out);
	return rc;
}
