/*
 * schemafs migrate: the migrations of SPEC §4 without a mount, for CI
 * pipelines. The same coordinator (backends/migrate.h) serves the mount's
 * migrations/control, so both behave alike. Documented in docs/migrations.md.
 */
#include "cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "migrate.h"
#include "sbuf.h"
#include "store.h"

static const char usage_text[] =
	"usage: schemafs migrate [--db FILE] [--target CONNINFO] [--lock-timeout MS] COMMAND\n"
	"commands:\n"
	"  plan [--json]        ordered steps: service, schema, dependencies, SQL\n"
	"  check                errors and warnings (validation, pending SQL, lint, dry run)\n"
	"  impact               affected services and steps\n"
	"  apply                run the plan in one transaction\n"
	"  rollback             undo the last applied run (database and registry)\n"
	"  status               the last run\n"
	"  log                  every run\n"
	"  pending list         hand-written scripts waiting in migrations/pending/\n"
	"  pending put NAME [FILE]   store FILE (default stdin) as pending/NAME\n"
	"                       (NAME is <table>.sql or <table>.down.sql)\n"
	"  pending cat NAME     print a pending script\n"
	"  pending rm NAME      remove a pending script\n"
	"  applied RUN [NAME]   list (or print) the scripts run RUN archived\n";

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "schemafs migrate: %s\n", msg);
	fputs(usage_text, stderr);
	return 2;
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

int cmd_migrate(int argc, char **argv)
{
	const char *db = NULL;
	struct migrate_opts o = { 0 };
	bool json = false;
	/* options may stand anywhere, as in the other commands; the rest, in
	 * order, is the command and its arguments ("--" ends the options) */
	char **pos = calloc((size_t)argc, sizeof(*pos));
	int npos = 0;
	if (!pos) {
		fprintf(stderr, "schemafs migrate: out of memory\n");
		return 1;
	}
	for (int i = 1, opts = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!opts || a[0] != '-' || !strcmp(a, "-")) {
			pos[npos++] = argv[i];
		} else if (!strcmp(a, "--")) {
			opts = 0;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			free(pos);
			return 0;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--db") || !strcmp(a, "--target") ||
			   !strcmp(a, "--lock-timeout")) {
			if (i + 1 == argc) {
				free(pos);
				return usage("an option needs a value");
			}
			const char *v = argv[++i];
			if (a[2] == 'd')
				db = v;
			else if (a[2] == 't')
				o.target = v;
			else if ((o.lock_timeout_ms = atoi(v)) <= 0) {
				free(pos);
				return usage("'--lock-timeout' takes milliseconds");
			}
		} else if (!strncmp(a, "--db=", 5)) {
			db = a + 5;
		} else if (!strncmp(a, "--target=", 9)) {
			o.target = a + 9;
		} else if (!strncmp(a, "--lock-timeout=", 15)) {
			if ((o.lock_timeout_ms = atoi(a + 15)) <= 0) {
				free(pos);
				return usage("'--lock-timeout' takes milliseconds");
			}
		} else {
			fprintf(stderr, "schemafs migrate: unknown option '%s'\n", a);
			free(pos);
			return usage(NULL);
		}
	}
	argv = pos;
	argc = npos;
	int i = 0;
	int bad = 0;
	const char *cmd = i < argc ? argv[i++] : NULL;
	bool takes_args = cmd && (!strcmp(cmd, "pending") || !strcmp(cmd, "applied"));
	if (!cmd)
		bad = usage("no command");
	else if (json && strcmp(cmd, "plan"))
		bad = usage("'--json' is for plan only");
	else if (!takes_args && i < argc)
		bad = usage("too many arguments");
	if (bad) {
		free(pos);
		return bad;
	}

	char *path = db ? strdup(db) : cli_default_db();
	struct store *st = NULL;
	struct migrate *m = NULL;
	struct sbuf err = SBUF_INIT, out = SBUF_INIT;
	int status = 1;
	if (!path) {
		fprintf(stderr, "schemafs migrate: out of memory\n");
		goto out;
	}
	if (store_open(path, &st, &err)) {
		fprintf(stderr, "schemafs migrate: %s\n", err.buf);
		goto out;
	}
	if (!strcmp(cmd, "pending")) {
		status = pending_cmd(st, argc - i, argv + i);
		goto out;
	}
	if (!strcmp(cmd, "applied")) {
		status = applied_cmd(st, argc - i, argv + i);
		goto out;
	}
	if (migrate_new(st, &o, &m)) {
		fprintf(stderr, "schemafs migrate: out of memory\n");
		goto out;
	}
	int rc;
	if (json)
		rc = migrate_plan_json(m, &out);
	else if (!strcmp(cmd, "status"))
		rc = migrate_status(m, &out);
	else if (!strcmp(cmd, "log"))
		rc = migrate_log(m, &out);
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
	else if (rc)
		fprintf(stderr, "schemafs migrate: %s failed\n", cmd);
	status = rc ? 1 : 0;
out:
	migrate_free(m);
	store_close(st);
	free(path);
	sbuf_release(&err);
	sbuf_release(&out);
	free(pos);
	return status;
}
