/*
 * schemafs migrate: the migrations of SPEC §4 without a mount, for CI
 * pipelines. The same coordinator (backends/migrate.h) serves the mount's
 * migrations/control, so both behave alike. Documented in docs/migrations.md.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "migrate.h"
#include "sbuf.h"
#include "store.h"

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "schemafs migrate: %s\n", msg);
	return cli_usage_error("migrate");
}

/* The names of kind's files, one a line. */
static int list_files(struct store *st, const char *kind)
{
	struct store_file *f;
	size_t n;
	if (store_list_files(st, kind, &f, &n)) {
		fprintf(stderr, "schemafs migrate: %s\n", store_errmsg(st));
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s\n", f[i].name);
	store_files_free(f, n);
	return 0;
}

static int cat_file(struct store *st, const char *kind, const char *name)
{
	struct store_file f;
	bool found;
	if (store_get_file(st, kind, name, &f, &found) || !found) {
		fprintf(stderr, "schemafs migrate: %s/%s: no such file\n", kind, name);
		return 1;
	}
	fwrite(f.bytes, 1, f.len, stdout);
	store_file_release(&f);
	return 0;
}

static int pending_cmd(struct store *st, int argc, char **argv)
{
	const char *sub = argc > 0 ? argv[0] : "list";
	char table[128];
	bool down;
	if (!strcmp(sub, "list") || !strcmp(sub, "ls"))
		return list_files(st, MIGRATE_PENDING_KIND);
	if (argc < 2)
		return usage("pending: which file?");
	const char *name = argv[1];
	if (!migrate_pending_name(name, table, sizeof(table), &down)) {
		fprintf(stderr, "schemafs migrate: '%s': pending files are named <table>.sql or "
				"<table>.down.sql\n", name);
		return 2;
	}
	if (!strcmp(sub, "put")) {
		struct sbuf data = SBUF_INIT;
		const char *input = argc > 2 ? argv[2] : "-";
		int rc = cli_read_file(input, SIZE_MAX, &data);
		if (rc == CLI_READ_EOPEN) {
			fprintf(stderr, "schemafs migrate: %s: %s\n", input, strerror(errno));
			sbuf_release(&data);
			return 1;
		}
		const char *why = rc && errno == ENOMEM ? "out of memory"
				: rc ? "cannot read input" : NULL;
		if (!rc && store_put_file(st, MIGRATE_PENDING_KIND, name, data.buf, data.len))
			why = store_errmsg(st);
		sbuf_release(&data);
		if (why) {
			fprintf(stderr, "schemafs migrate: pending put %s: %s\n", name, why);
			return 1;
		}
		return 0;
	}
	if (!strcmp(sub, "cat"))
		return cat_file(st, MIGRATE_PENDING_KIND, name);
	if (!strcmp(sub, "rm")) {
		if (store_delete_file(st, MIGRATE_PENDING_KIND, name)) {
			fprintf(stderr, "schemafs migrate: pending/%s: no such file\n", name);
			return 1;
		}
		return 0;
	}
	return usage("pending: list, put, cat or rm");
}

static int applied_cmd(struct store *st, int argc, char **argv)
{
	char kind[64];
	if (argc < 1)
		return usage("applied: which run?");
	snprintf(kind, sizeof(kind), MIGRATE_APPLIED_KIND "/%lld", atoll(argv[0]));
	return argc > 1 ? cat_file(st, kind, argv[1]) : list_files(st, kind);
}

/* What the command line asks for. */
struct migrate_args {
	const char *db;
	struct migrate_opts o;
	bool json;
	bool dry_run;     /* rollback --dry-run: what it would do */
	bool github;      /* check --format github */
	struct migrate_check_opts check;
	const char *cmd;  /* plan, check, ..., pending, applied */
	char **args;      /* the command's own arguments */
	int nargs;
};

enum { OPT_DB = 256, OPT_TARGET, OPT_LOCK_TIMEOUT, OPT_STATEMENT_TIMEOUT, OPT_JSON, OPT_FORMAT,
       OPT_STRICT, OPT_OFFLINE, OPT_FORCE, OPT_DRY_RUN };

/* Options may stand anywhere, as in the other commands; the rest, in
 * order, is the command and its arguments ("--" ends the options).
 * Returns -1 to go on, else the exit status (0 after --help). */
static int parse_options(int argc, char **argv, struct migrate_args *a)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "db", required_argument, NULL, OPT_DB },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
		{ "statement-timeout", required_argument, NULL, OPT_STATEMENT_TIMEOUT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "offline", no_argument, NULL, OPT_OFFLINE },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli_help_print(cli_help_find("migrate"), stdout);
			return 0;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_FORMAT: {
			enum cli_format f;
			if (!cli_parse_format("migrate", optarg, &f))
				return usage(NULL);
			a->json = f == CLI_FORMAT_JSON;
			a->github = f == CLI_FORMAT_GITHUB;
			break;
		}
		case OPT_STRICT:
			a->check.strict = true;
			break;
		case OPT_OFFLINE:
			a->check.offline = true;
			break;
		case OPT_FORCE:
			a->o.force = true;
			break;
		case OPT_DRY_RUN:
			a->dry_run = true;
			break;
		case OPT_DB:
			a->db = optarg;
			break;
		case OPT_TARGET:
			a->o.target = optarg;
			break;
		case OPT_LOCK_TIMEOUT:
			if ((a->o.lock_timeout_ms = atoi(optarg)) <= 0)
				return usage("'--lock-timeout' takes milliseconds");
			break;
		case OPT_STATEMENT_TIMEOUT:
			if ((a->o.statement_timeout_ms = atoi(optarg)) <= 0)
				return usage("'--statement-timeout' takes milliseconds");
			break;
		case ':':
			return usage("an option needs a value");
		default:
			if (optopt > 0 && optopt < 256)
				fprintf(stderr, "schemafs migrate: unknown option '-%c'\n", optopt);
			else
				fprintf(stderr, "schemafs migrate: unknown option '%s'\n",
					argv[optind - 1]);
			return usage(NULL);
		}
	}
	a->cmd = optind < argc ? argv[optind++] : NULL;
	a->args = argv + optind;
	a->nargs = argc - optind;
	return -1;
}

/* Usage errors of the command and its arguments: 0 or the exit status. */
static int check_command(const struct migrate_args *a)
{
	bool takes_args = a->cmd && (!strcmp(a->cmd, "pending") || !strcmp(a->cmd, "applied"));
	if (!a->cmd)
		return usage("no command");
	bool is_check = !strcmp(a->cmd, "check");
	if (a->json && !is_check && strcmp(a->cmd, "plan") && strcmp(a->cmd, "impact") &&
	    strcmp(a->cmd, "status") && strcmp(a->cmd, "log"))
		return usage("'--json' is for plan, check, impact, status and log");
	if ((a->github || a->check.strict || a->check.offline) && !is_check)
		return usage("'--format github', '--strict' and '--offline' are for check");
	if (a->o.force && strcmp(a->cmd, "apply"))
		return usage("'--force' is for apply");
	if (a->dry_run && strcmp(a->cmd, "rollback"))
		return usage("'--dry-run' is for rollback");
	if (!takes_args && a->nargs)
		return usage("too many arguments");
	return 0;
}

/* check with its options: text, JSON or GitHub annotations on stdout. */
static int run_check(struct migrate *m, const struct migrate_args *a, struct sbuf *out,
		     struct sbuf *err)
{
	struct migrate_check_result res;
	migrate_check_result_init(&res);
	int rc = migrate_check_run(m, &a->check, &res);
	if (rc == REG_ENOMEM)
		goto out;
	if (res.error.len)
		sbuf_add(err, res.error.buf, res.error.len);
	if (a->json) {
		rc = migrate_check_render_json(&res, out) ?: rc;
	} else if (a->github) {
		cli_annotate_diags(out, &res.diags);
		if (res.error.len)
			cli_annotate(out, DIAG_ERROR, NULL, (struct reg_loc){ 0, 0 }, NULL,
				     res.error.buf);
		sbuf_add(out, res.summary.buf, res.summary.len);
		rc = sbuf_error(out) ?: rc;
	} else {
		rc = migrate_check_render(&res, out) ?: rc;
	}
out:
	migrate_check_result_release(&res);
	return rc;
}

/* A command of the coordinator: its output on stdout, why it failed on
 * stderr. Returns the exit status. */
static int run_coordinator(struct store *st, const struct migrate_args *a)
{
	struct migrate *m = NULL;
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	const char *cmd = a->cmd;
	int rc, status = 1;

	if (migrate_new(st, &a->o, &m)) {
		fprintf(stderr, "schemafs migrate: out of memory\n");
		goto out;
	}
	if (!strcmp(cmd, "check"))
		rc = run_check(m, a, &out, &err);
	else if (a->json)
		rc = migrate_json(m, cmd, &out, &err);
	else if (!strcmp(cmd, "status"))
		rc = migrate_status(m, &out);
	else if (!strcmp(cmd, "log"))
		rc = migrate_log(m, &out);
	else if (!strcmp(cmd, "rollback") && a->dry_run)
		rc = migrate_rollback_plan(m, &out);
	else if ((rc = migrate_command(m, cmd, strlen(cmd), &out)) == REG_EINVAL) {
		status = usage("unknown command");
		goto out;
	}
	fwrite(out.buf, 1, out.len, stdout);
	fflush(stdout);
	if (rc == REG_EBUSY)
		fprintf(stderr, "schemafs migrate: %s: busy: another migration is running\n", cmd);
	else if (rc == REG_ENOMEM)
		fprintf(stderr, "schemafs migrate: %s: out of memory\n", cmd);
	else if (rc && err.len)
		fprintf(stderr, "schemafs migrate: %s: %s\n", cmd, err.buf);
	else if (rc)
		fprintf(stderr, "schemafs migrate: %s failed\n", cmd);
	status = rc ? 1 : 0;
out:
	migrate_free(m);
	sbuf_release(&out);
	sbuf_release(&err);
	return status;
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_args a = { 0 };
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	char *path = NULL;
	int status = parse_options(argc, argv, &a);

	if (status >= 0)
		return status;
	if ((status = check_command(&a)))
		return status;
	status = 1;
	path = a.db ? strdup(a.db) : cli_default_db();
	if (!path) {
		fprintf(stderr, "schemafs migrate: out of memory\n");
		goto out;
	}
	/* status and log only read: they never create (or upgrade) a store */
	bool reads = !strcmp(a.cmd, "status") || !strcmp(a.cmd, "log");
	int orc = store_open_mode(path, reads ? STORE_OPEN_READ : STORE_OPEN_WRITE, &st, &err);
	if (orc == REG_ENOENT && reads) {
		fprintf(stderr, "schemafs migrate: %s\n", err.buf);
		if (a.json)
			printf(strcmp(a.cmd, "log") ? "{ \"run\": null }\n" : "{ \"runs\": [] }\n");
		else if (!strcmp(a.cmd, "status"))
			printf("no runs yet\n");
		status = 0;
		goto out;
	}
	if (orc) {
		fprintf(stderr, "schemafs migrate: %s\n", err.buf);
		goto out;
	}
	if (store_warning(st))
		fprintf(stderr, "schemafs migrate: warning: %s\n", store_warning(st));
	if (!strcmp(a.cmd, "pending"))
		status = pending_cmd(st, a.nargs, a.args);
	else if (!strcmp(a.cmd, "applied"))
		status = applied_cmd(st, a.nargs, a.args);
	else
		status = run_coordinator(st, &a);
out:
	store_close(st);
	free(path);
	sbuf_release(&err);
	return status;
}
