/*
 * schemafs import-sql: PostgreSQL DDL -> a registry directory (one
 * canonical <name>.yaml per table, plus registry.yaml), for users whose
 * database exists before schemafs does. The work is ddl_import.h's; this
 * file reads, writes and reports. Behaviour: docs/import-sql.md.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ddl_import.h"
#include "diag.h"
#include "model.h"
#include "path.h"
#include "sbuf.h"
#include "schemafile.h"
#include "strlist.h"

#define USAGE                                                                                      \
	"usage: schemafs import-sql [--schema NAME] [--owner NAME] [--force] FILE.sql OUTDIR\n"

enum { EXIT_PROBLEMS = 1, EXIT_USAGE = 2 };

struct import_sql_args {
	const char *file, *dir;
	struct ddl_import_opts opts;
	bool force;
};

static int usage_error(const char *msg, const char *arg)
{
	if (msg)
		fprintf(stderr, "schemafs import-sql: %s%s%s%s\n", msg, arg ? " '" : "",
			arg ? arg : "", arg ? "'" : "");
	fputs(USAGE, stderr);
	return EXIT_USAGE;
}

static const struct option import_sql_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "force", no_argument, NULL, 'f' },
	{ "schema", required_argument, NULL, 's' },
	{ "owner", required_argument, NULL, 'o' },
	{ NULL, 0, NULL, 0 },
};

/* Returns -1 to go on, else the exit status (0 after --help). getopt_long
 * permutes, so options may come after the operands too. */
static int parse_args(int argc, char **argv, struct import_sql_args *a)
{
	int ch;
	memset(a, 0, sizeof(*a));
	optind = 0; /* glibc: start afresh, whatever parsed argv before */
	opterr = 0; /* the messages are ours */
	while ((ch = getopt_long(argc, argv, ":h", import_sql_options, NULL)) != -1) {
		const char *arg = argv[optind - 1];
		switch (ch) {
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		case 'f':
			a->force = true;
			break;
		case 's':
		case 'o':
			if (!*optarg)
				return usage_error("option needs a value:", arg);
			*(ch == 's' ? &a->opts.only_schema : &a->opts.owner) = optarg;
			break;
		case ':':
			return usage_error("option needs a value:", arg);
		default:
			return usage_error("unknown option", arg);
		}
	}
	int npos = argc - optind;
	if (npos > 2)
		return usage_error("unexpected argument", argv[optind + 2]);
	if (npos < 2)
		return usage_error(npos ? "missing OUTDIR" : "missing FILE.sql and OUTDIR", NULL);
	a->file = argv[optind];
	a->dir = argv[optind + 1];
	return -1;
}

/* The whole of path ("-": standard input), in *out. */
static int read_input(const char *path, struct sbuf *out)
{
	int rc = cli_read_file(path, SIZE_MAX, out);
	if (rc == CLI_READ_EOPEN)
		fprintf(stderr, "schemafs import-sql: cannot open '%s': %s\n", path,
			strerror(errno));
	else if (rc && errno == ENOMEM)
		fprintf(stderr, "schemafs import-sql: %s\n", reg_strerror(REG_ENOMEM));
	else if (rc)
		fprintf(stderr, "schemafs import-sql: cannot read '%s': %s\n", path,
			strerror(errno));
	return rc ? EXIT_PROBLEMS : 0;
}

/* OUTDIR (and its parents) made if missing; it must hold no .yaml file,
 * unless --force. */
static int prepare_dir(const char *dir, bool force)
{
	struct strlist yaml = STRLIST_INIT;
	int rc;
	if (path_mkdir_p(dir, 0777)) {
		fprintf(stderr, "schemafs import-sql: cannot create '%s': %s\n", dir,
			strerror(errno));
		return EXIT_PROBLEMS;
	}
	if (force)
		return 0;
	if ((rc = path_list_yaml(dir, &yaml))) {
		if (rc == REG_ENOMEM)
			fprintf(stderr, "schemafs import-sql: %s\n", reg_strerror(rc));
		else
			fprintf(stderr, "schemafs import-sql: cannot read '%s': %s\n", dir,
				strerror(errno));
		return EXIT_PROBLEMS;
	}
	rc = 0;
	if (yaml.n) {
		fprintf(stderr,
			"schemafs import-sql: '%s' already holds .yaml files; "
			"use --force to overwrite them\n",
			dir);
		rc = EXIT_PROBLEMS;
	}
	strlist_release(&yaml);
	return rc;
}

/* Writes DIR/NAME through a temporary file and rename, so a reader never
 * sees half a file. */
static int write_file(const char *dir, const char *name, const struct sbuf *content)
{
	struct sbuf tmpname = SBUF_INIT;
	char *path = path_join(dir, name), *tmp = NULL;
	FILE *f = NULL;
	int rc = EXIT_PROBLEMS;
	sbuf_addf(&tmpname, ".%s.import-sql.tmp", name);
	if (!path || sbuf_error(&tmpname) || !(tmp = path_join(dir, tmpname.buf))) {
		fprintf(stderr, "schemafs import-sql: %s\n", reg_strerror(REG_ENOMEM));
		goto out;
	}
	if (!(f = fopen(tmp, "wb")))
		goto fail;
	if (content->len && fwrite(content->buf, 1, content->len, f) != content->len)
		goto fail;
	if (fclose(f)) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path))
		goto fail;
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "schemafs import-sql: cannot write '%s': %s\n", path, strerror(errno));
	if (f)
		fclose(f);
	unlink(tmp);
out:
	free(path);
	free(tmp);
	sbuf_release(&tmpname);
	return rc;
}

/* registry.yaml, unless the directory has one (it may name a target). */
static int write_meta(const char *dir, const char *file)
{
	struct sbuf text = SBUF_INIT, name = SBUF_INIT, desc = SBUF_INIT;
	struct reg_meta m = {0};
	char *path = path_join(dir, "registry.yaml");
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t n = strlen(base);
	int rc = EXIT_PROBLEMS;
	if (!strcmp(file, "-"))
		base = "stdin", n = 5;
	else if (n > 4 && !strcmp(base + n - 4, ".sql"))
		n -= 4;
	sbuf_add(&name, base, n);
	sbuf_addf(&desc, "imported from %s by schemafs import-sql",
		  strcmp(file, "-") ? file : "standard input");
	if (!path || sbuf_error(&name) || sbuf_error(&desc))
		goto nomem;
	if (access(path, F_OK) == 0) {
		rc = 0;
		goto out;
	}
	m.name = name.buf;
	m.description = desc.buf;
	if (schemafile_emit_meta(&m, &text)) {
		/* a file name that is not UTF-8: the name alone is enough */
		m.description = NULL;
		m.name = "imported";
		if (schemafile_emit_meta(&m, &text))
			goto nomem;
	}
	rc = write_file(dir, "registry.yaml", &text);
	goto out;
nomem:
	fprintf(stderr, "schemafs import-sql: %s\n", reg_strerror(REG_ENOMEM));
out:
	free(path);
	sbuf_release(&text);
	sbuf_release(&name);
	sbuf_release(&desc);
	return rc;
}

static void print_summary(const struct import_sql_args *a, const char *file,
			  const struct ddl_import *imp, const struct diags *d)
{
	fprintf(stderr, "schemafs import-sql: %s: %zu tables, %zu foreign keys, %zu indexes -> %s",
		file, imp->n, imp->nrefs, imp->nindexes, a->dir);
	if (d->errors)
		fprintf(stderr, "; %zu error%s above", d->errors, d->errors == 1 ? "" : "s");
	fputc('\n', stderr);
	if (!imp->nignored)
		return;
	fputs("schemafs import-sql: ignored:", stderr);
	for (size_t i = 0; i < imp->nignored; i++)
		fprintf(stderr, "%s %zu %s", i ? "," : "", imp->ignored[i].count,
			imp->ignored[i].what);
	fputc('\n', stderr);
}

int cmd_import_sql(int argc, char **argv)
{
	struct import_sql_args a;
	struct sbuf sql = SBUF_INIT, text = SBUF_INIT, name = SBUF_INIT;
	struct diags diags = DIAGS_INIT;
	struct ddl_import imp = {0};
	int status = parse_args(argc, argv, &a);
	if (status >= 0)
		return status;
	if ((status = read_input(a.file, &sql)))
		goto out;
	const char *file = strcmp(a.file, "-") ? a.file : "<stdin>";
	int rc = ddl_import_sql(sql.buf, sql.len, file, &a.opts, &imp, &diags);
	diags_sort(&diags);
	if (diags.n &&
	    (diags_render(&diags, &text) || fwrite(text.buf, 1, text.len, stderr) != text.len)) {
		status = EXIT_PROBLEMS;
		goto out;
	}
	sbuf_reset(&text);
	if (rc) {
		if (rc == REG_ENOMEM)
			fprintf(stderr, "schemafs import-sql: %s\n", reg_strerror(rc));
		status = EXIT_PROBLEMS;
		goto out;
	}
	if ((status = prepare_dir(a.dir, a.force)))
		goto out;
	for (size_t i = 0; i < imp.n; i++) {
		sbuf_reset(&text);
		sbuf_reset(&name);
		if ((rc = schemafile_emit(imp.schemas[i], &text)) ||
		    (rc = sbuf_addf(&name, "%s.yaml", imp.schemas[i]->name))) {
			fprintf(stderr, "schemafs import-sql: %s: %s\n", imp.schemas[i]->name,
				reg_strerror(rc));
			status = EXIT_PROBLEMS;
			goto out;
		}
		if ((status = write_file(a.dir, name.buf, &text)))
			goto out;
	}
	if ((status = write_meta(a.dir, a.file)))
		goto out;
	print_summary(&a, file, &imp, &diags);
	status = diags.errors ? EXIT_PROBLEMS : 0;
out:
	ddl_import_release(&imp);
	diags_release(&diags);
	sbuf_release(&sql);
	sbuf_release(&text);
	sbuf_release(&name);
	return status;
}
