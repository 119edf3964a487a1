/*
 * fs_migrate: the migrations/ subtree of the mount (SPEC §4), a table of
 * paths to handlers over the coordinator in backends/migrate.h.
 *
 * plan, check, impact, status and log depend on PostgreSQL and on runs,
 * not on the registry's generation, so they render at every open
 * (FS_VIEW_PER_OPEN). Those that talk to PostgreSQL (plan, check, impact)
 * render without the mount's lock, and a failure there is the file's
 * content (FS_VIEW_ERROR_AS_CONTENT): `cat` shows why, not an errno nobody
 * can read. Status, log, the archive and control are the registry's own
 * records: failing to read them is an error of the file.
 *
 * control commits at every write(), so `echo apply > control` returns
 * when the command is done and fails when it fails:
 *   unknown command -> EINVAL; another apply/rollback running -> EBUSY;
 *   the command failed or was refused -> EIO (status and check say why).
 * The kernel serialises writers of one file, so a second writer on the
 * same mount waits for the first; EBUSY comes from this process or, via
 * PostgreSQL's advisory lock, from any other mount or CLI on the target.
 * FS_TEXT_LIVE asks the core for direct_io and noflush, without which a
 * reader of control would wait for a running command.
 */
#include "fs_int.h"

#include <errno.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrate.h"
#include "registry.h"
#include "schemafile.h"

struct fs_migrate {
	struct migrate *m;
	pthread_mutex_t mu;      /* guards last_* */
	char last_cmd[32];
	int last_rc;
	struct sbuf last_out;
	struct fs_docs pending;  /* migrations/pending/: created files, editor files */
};

static struct fs_migrate *fsm(struct fs_ctx *ctx)
{
	return ctx->migrate;
}

/* plan, check, impact, status, log: the coordinator's text, arg the word
 * (the route's data: FS_VIEW_ARG). */
static int view_migrate(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	static const struct {
		const char *word;
		int (*fn)(struct migrate *m, struct sbuf *out);
	} views[] = {
		{ "plan", migrate_plan }, { "check", migrate_check }, { "impact", migrate_impact },
		{ "status", migrate_status }, { "log", migrate_log },
	};
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(arg, views[i].word))
			return fs_errno(views[i].fn(fsm(ctx)->m, out));
	return -ENOENT;
}

/* plan.json, check.json, impact.json: arg is the command. Always JSON,
 * also when the database is unreachable ({"error": ...}), so the file
 * is readable (not an errno) whatever happened. */
static int view_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	struct sbuf err = SBUF_INIT;
	int rc = migrate_json(fsm(ctx)->m, arg, out, &err);
	sbuf_release(&err);
	return rc == REG_ENOMEM ? -ENOMEM : 0;
}

/* ---- pending/ ----
 *
 * <table>.sql and <table>.down.sql are documents of the store (kind
 * "pending"); every other name is an editor file (vim's swap and backup,
 * sed -i's temporary), never stored: fs_docs_ops (fs_editor.c) serves
 * them as schemas/ serves its files, so that every editor that works
 * there works here. */

static bool pending_is_doc(const char *name)
{
	char table[128];
	bool down;
	return migrate_pending_name(name, table, sizeof(table), &down);
}

/* NULL once migrations/ is gone (handles released after it at unmount) */
static struct fs_docs *pending_docs(struct fs_ctx *ctx)
{
	return fsm(ctx) ? &fsm(ctx)->pending : NULL;
}

static int list_pending(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	struct store_file *f;
	size_t n;
	int rc = store_list_files(ctx->store, MIGRATE_PENDING_KIND, &f, &n);
	if (rc)
		return fs_errno(rc);
	for (size_t i = 0; i < n && !rc; i++)
		if (!strmap_has_s(&pending_docs(ctx)->created, f[i].name))
			rc = fs_dir_add(dir, f[i].name, S_IFREG | 0644);
	store_files_free(f, n);
	return rc ? rc : fs_docs_list(ctx, pending_docs(ctx), dir);
}

static int pending_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	struct store_file f;
	bool found;
	int rc = store_get_file(ctx->store, MIGRATE_PENDING_KIND, arg, &f, &found);
	if (rc)
		return fs_errno(rc);
	if (!found)
		return -ENOENT;
	rc = fs_errno(sbuf_add(out, f.bytes, f.len));
	store_file_release(&f);
	return rc;
}

static int pending_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len)
{
	int rc = store_put_file(ctx->store, MIGRATE_PENDING_KIND, arg, bytes, len);
	if (rc) {
		fs_logl(FS_LOG_ERROR, "migrations/pending/%s: cannot store: %s", arg,
			store_errmsg(ctx->store));
		return fs_errno(rc);
	}
	fs_log("migrations/pending/%s: saved (%zu bytes)", arg, len);
	fs_changed(ctx);
	return 0;
}

static int pending_remove(struct fs_ctx *ctx, const char *arg)
{
	int rc = store_delete_file(ctx->store, MIGRATE_PENDING_KIND, arg);
	if (!rc) {
		fs_log("migrations/pending/%s: removed", arg);
		fs_changed(ctx);
	}
	return fs_errno(rc);
}

static const struct fs_docs_class pending_class = {
	.is_doc = pending_is_doc,
	.state = pending_docs,
	.load = pending_load,
	.commit = pending_commit,
	.remove = pending_remove,
};

/* ---- applied/<run>/<file>: the archive ---- */

static int list_applied(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	/* one directory per run that archived pending files */
	struct store_run *v;
	size_t n;
	int rc = store_run_list(ctx->store, &v, &n);
	if (rc)
		return fs_errno(rc);
	for (size_t i = 0; i < n && !rc; i++) {
		char name[32];
		if (!v[i].archived || !*v[i].archived)
			continue;
		snprintf(name, sizeof(name), "%lld", (long long)v[i].id);
		rc = fs_dir_add(dir, name, S_IFDIR | 0555);
	}
	store_run_list_free(v, n);
	return rc;
}

static int applied_kind(const char *run, char *kind, size_t n)
{
	char *end;
	long long id = strtoll(run, &end, 10);
	if (!*run || *end || id <= 0)
		return -ENOENT;
	snprintf(kind, n, MIGRATE_APPLIED_KIND "/%lld", id);
	return 0;
}

static int list_applied_run(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	char kind[64];
	struct store_file *f;
	size_t n;
	int rc = applied_kind(arg, kind, sizeof(kind));
	if (rc)
		return rc;
	if ((rc = store_list_files(ctx->store, kind, &f, &n)))
		return fs_errno(rc);
	if (!n)
		rc = -ENOENT;
	for (size_t i = 0; i < n && !rc; i++)
		rc = fs_dir_add(dir, f[i].name, S_IFREG | 0444);
	store_files_free(f, n);
	return rc;
}

static int view_applied_file(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	const char *slash = strchr(arg, '/');
	char run[32], kind[64];
	struct store_file f;
	bool found;
	if (!slash || (size_t)(slash - arg) >= sizeof(run))
		return -ENOENT;
	memcpy(run, arg, (size_t)(slash - arg));
	run[slash - arg] = 0;
	int rc = applied_kind(run, kind, sizeof(kind));
	if (rc)
		return rc;
	if ((rc = store_get_file(ctx->store, kind, slash + 1, &f, &found)))
		return fs_errno(rc);
	if (!found)
		return -ENOENT;
	rc = fs_errno(sbuf_add(out, f.bytes, f.len));
	store_file_release(&f);
	return rc;
}

/* ---- control ---- */

static int control_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	struct fs_migrate *s = fsm(ctx);
	int rc = migrate_state(s->m, out);
	if (rc)
		return fs_errno(rc);
	pthread_mutex_lock(&s->mu);
	if (s->last_cmd[0]) {
		const char *how = s->last_rc == REG_EBUSY ? "busy" : s->last_rc ? "failed" : "done";
		rc = sbuf_addf(out, "\nlast command: %s (%s)\n", s->last_cmd, how);
		if (!rc)
			rc = sbuf_add(out, s->last_out.buf, s->last_out.len);
	}
	pthread_mutex_unlock(&s->mu);
	return fs_errno(rc);
}

/* One line per command written to control: what, how it ended, and the
 * first line of what it said when it did not succeed. */
static void log_command(const char *cmd, size_t clen, int rc, const struct sbuf *out)
{
	int n = (int)(clen > 64 ? 64 : clen);
	const char *nl = out->len ? memchr(out->buf, '\n', out->len) : NULL;
	int first = (int)(nl ? (size_t)(nl - out->buf) : out->len);
	if (rc == REG_EINVAL)
		fs_log("migrations/control: '%.*s' is not a command", n, cmd);
	else if (!rc)
		fs_log("migrations/control: %.*s: done", n, cmd);
	else
		fs_log("migrations/control: %.*s: %s: %.*s", n, cmd,
		       rc == REG_EBUSY ? "busy" : "failed", first, out->buf);
}

static int control_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len)
{
	(void)arg;
	struct fs_migrate *s = fsm(ctx);
	struct sbuf out = SBUF_INIT;
	/* the last non-empty line is the command (an appending writer's
	 * draft starts with what it read) */
	size_t end = len;
	while (end && (bytes[end - 1] == '\n' || bytes[end - 1] == ' ' || bytes[end - 1] == '\r' ||
		       bytes[end - 1] == '\t'))
		end--;
	size_t start = end;
	while (start && bytes[start - 1] != '\n')
		start--;
	const char *cmd = bytes + start;
	size_t clen = end - start;
	if (!clen)
		return 0; /* an empty write (a truncation) is not a command */
	int rc = migrate_command(s->m, cmd, clen, &out);
	log_command(cmd, clen, rc, &out);
	if (rc == REG_EINVAL) {
		/* not a command: nothing ran, nothing to remember */
		sbuf_release(&out);
		return fs_errno(rc);
	}
	/* after a rollback the store holds restored revisions the mount's
	 * registry does not: bring it in line, views of what changed only */
	if (rc == 0 && clen == 8 && !memcmp(cmd, "rollback", 8)) {
		fs_lock(ctx);
		fs_schemas_sync(ctx);
		fs_unlock(ctx);
	}
	pthread_mutex_lock(&s->mu);
	snprintf(s->last_cmd, sizeof(s->last_cmd), "%.*s", (int)clen, cmd);
	s->last_rc = rc;
	sbuf_release(&s->last_out);
	s->last_out = out;
	pthread_mutex_unlock(&s->mu);
	return fs_errno(rc);
}

/* migrations/cancel: a file of its own, because the kernel serialises the
 * writers of one file: `echo cancel > control` waits behind the running
 * `echo apply > control` of the same mount, a write here does not. */
static int cancel_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)ctx;
	(void)arg;
	return fs_errno(sbuf_adds(out, "write anything here to cancel the running apply, "
				       "rollback or resume\n"));
}

static int cancel_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len)
{
	(void)arg;
	(void)bytes;
	struct sbuf out = SBUF_INIT;
	if (!len)
		return 0; /* the truncation of `>` */
	int rc = migrate_cancel(fsm(ctx)->m, &out);
	sbuf_release(&out);
	return fs_errno(rc);
}

static int view_readme(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)ctx;
	(void)arg;
	return fs_errno(sbuf_adds(out,
		"migrations/: coordinated PostgreSQL migrations (docs/migrations.md)\n"
		"\n"
		"pending/<table>.sql       rw  hand-written change SQL for <table>; replaces its generated DDL\n"
		"pending/<table>.down.sql  rw  how to undo it (needed by rollback); any editor works here\n"
		"plan, plan.json           ro  ordered steps: service, schema, dependencies, SQL\n"
		"check, check.json         ro  errors and warnings: validation, pending SQL, lint,\n"
		"                              the history's checksums, dry run\n"
		"impact, impact.json       ro  affected services and steps\n"
		"control                   rw  write plan|check|apply|rollback|resume|cancel|baseline;\n"
		"                              read: state\n"
		"cancel                    rw  write anything: cancels the running run (control is busy)\n"
		"status                    ro  the last run: state, steps, failed step, error, rollback\n"
		"log                       ro  every run so far\n"
		"applied/<run>/            ro  the pending scripts each run archived\n"
		"\n"
		"The target database: $SCHEMAFS_TARGET when the mount started, else registry.yaml's\n"
		"`target` (a libpq conninfo or service=NAME), else libpq's environment (PGHOST...).\n"
		"`echo apply > control` returns when the run is done and fails when it fails:\n"
		"  echo apply > control || cat status\n"));
}

#define PG_VIEW (FS_VIEW_PER_OPEN | FS_VIEW_ERROR_AS_CONTENT)

const struct fs_route fs_migrate_routes[] = {
	FS_DIR("/migrations", NULL),
	FS_VIEW("/migrations/README", view_readme, 0),
	FS_VIEW_ARG("/migrations/plan", view_migrate, PG_VIEW, "plan"),
	FS_VIEW_ARG("/migrations/plan.json", view_json, PG_VIEW, "plan"),
	FS_VIEW_ARG("/migrations/check", view_migrate, PG_VIEW, "check"),
	FS_VIEW_ARG("/migrations/check.json", view_json, PG_VIEW, "check"),
	FS_VIEW_ARG("/migrations/impact", view_migrate, PG_VIEW, "impact"),
	FS_VIEW_ARG("/migrations/impact.json", view_json, PG_VIEW, "impact"),
	FS_TEXT("/migrations/control", control_load, control_commit, NULL,
		FS_TEXT_COMMIT_ON_WRITE | FS_TEXT_NO_CREATE | FS_TEXT_LIVE),
	FS_TEXT("/migrations/cancel", cancel_load, cancel_commit, NULL,
		FS_TEXT_COMMIT_ON_WRITE | FS_TEXT_NO_CREATE | FS_TEXT_LIVE),
	FS_VIEW_ARG("/migrations/status", view_migrate, FS_VIEW_PER_OPEN, "status"),
	FS_VIEW_ARG("/migrations/log", view_migrate, FS_VIEW_PER_OPEN, "log"),
	FS_DIR("/migrations/pending", list_pending),
	FS_CUSTOM_DATA("/migrations/pending/*", &fs_docs_ops, &pending_class),
	FS_DIR("/migrations/applied", list_applied),
	FS_DIR("/migrations/applied/*", list_applied_run),
	FS_VIEW("/migrations/applied/*/*", view_applied_file, FS_VIEW_PER_OPEN),
};
const size_t fs_migrate_nroutes = sizeof(fs_migrate_routes) / sizeof(fs_migrate_routes[0]);

/* Who saves a revision through the mount: the user of the FUSE request
 * being served (with allow_other, not always who mounted). */
static int64_t requester_uid(void)
{
	struct fuse_context *c = fuse_get_context();
	return c && c->pid > 0 ? (int64_t)c->uid : (int64_t)getuid();
}

int fs_migrate_init(struct fs_ctx *ctx)
{
	struct fs_migrate *s = calloc(1, sizeof(*s));
	struct migrate_opts o = { .target = getenv("SCHEMAFS_TARGET") };
	if (!s)
		return -ENOMEM;
	if (o.target && !*o.target)
		o.target = NULL;
	if (migrate_new(ctx->store, &o, &s->m)) {
		free(s);
		return -ENOMEM;
	}
	pthread_mutex_init(&s->mu, NULL);
	sbuf_init(&s->last_out);
	fs_docs_init(&s->pending);
	ctx->migrate = s;
	/* here, not at store_open: libfuse's request contexts exist exactly
	 * between this init and fs_migrate_destroy */
	store_set_uid_source(ctx->store, requester_uid);
	return 0;
}

void fs_migrate_destroy(struct fs_ctx *ctx)
{
	struct fs_migrate *s = fsm(ctx);
	if (!s)
		return;
	store_set_uid_source(ctx->store, NULL);
	migrate_free(s->m);
	pthread_mutex_destroy(&s->mu);
	sbuf_release(&s->last_out);
	fs_docs_release(&s->pending);
	free(s);
	ctx->migrate = NULL;
}
