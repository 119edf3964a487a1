/*
 * fs_mount: the mount's lifecycle. Opens the store and loads the registry
 * (importing the examples into an empty store), mounts, runs the FUSE
 * loop and the ticker thread (grace periods, changes other processes
 * commit), and at unmount settles what is pending and closes everything again. Also the mount's
 * shared state: the lock and the generation (fs_changed).
 */
#include "fs_int.h"

#include "path.h"

#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fs_lock(struct fs_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
}

void fs_unlock(struct fs_ctx *ctx)
{
	pthread_mutex_unlock(&ctx->lock);
}

void fs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void fs_changed(struct fs_ctx *ctx)
{
	struct timespec now;
	fs_now(&now);
	/* strictly increasing, so that every change gives a new mtime */
	if (now.tv_sec < ctx->changed_at.tv_sec ||
	    (now.tv_sec == ctx->changed_at.tv_sec && now.tv_nsec <= ctx->changed_at.tv_nsec)) {
		now = ctx->changed_at;
		if (++now.tv_nsec >= 1000000000L) {
			now.tv_sec++;
			now.tv_nsec = 0;
		}
	}
	ctx->changed_at = now;
	ctx->generation++;
}

const char *fs_examples_dir(void)
{
	static char exe[PATH_MAX];
	const char *env = getenv("SCHEMAFS_EXAMPLES");
	if (env && *env)
		return env;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (!strncmp(exe, SCHEMAFS_BUILD_ROOT "/", strlen(SCHEMAFS_BUILD_ROOT "/")))
		return SCHEMAFS_SOURCE_ROOT "/examples/aegis";
	return SCHEMAFS_DATADIR "/examples/aegis";
}

void fs_print_fuse_help(void)
{
	char *argv[] = { "schemafs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	fuse_cmdline_help();
	fuse_lib_help(&args);
	fuse_opt_free_args(&args);
}

const char *fs_fuse_version(void)
{
	return fuse_pkgversion();
}

/*
 * The ticker: once a second, from a thread that serves no request, ends
 * grace periods (fs_schemas.c) even when no request comes, and brings the
 * registry up to what other processes committed to the store (fs_store.c),
 * then tells the kernel to drop what it caches of exactly what changed.
 * Notifications are sent without ctx->lock: the kernel may wait for a
 * request that needs it (libfuse's doc/README.notifications).
 */
struct ticker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	bool woken;
	bool running;
	struct fs_ctx *ctx;
	struct fuse *fuse;
};

static void invalidate(struct fuse *fuse, const char *fmt, const char *name)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), fmt, name) < (int)sizeof(path))
		fuse_invalidate_path(fuse, path); /* -ENOENT: the kernel holds nothing */
}

/* The files of each changed name ("" is registry.yaml, "/" the kernel's
 * entries of schemas/), then every view of the whole registry (each reads
 * every schema). */
static void ticker_invalidate(struct ticker *t, const struct strlist *names)
{
	for (size_t i = 0; i < names->n; i++) {
		const char *name = names->items[i];
		if (!*name) {
			invalidate(t->fuse, "/registry.yaml%s", "");
			continue;
		}
		if (!strcmp(name, "/")) {
			/* A new file that was dropped: the kernel still holds its
			 * entry (from CREATE, for entry_timeout) and would send
			 * the next open of that name as an OPEN, which fails. The
			 * high-level API cannot name schemas/'s node, so the root's
			 * entry "schemas" goes, and with it every unused entry
			 * under it: the next lookups ask again. */
			fuse_lowlevel_notify_inval_entry(fuse_get_session(t->fuse), FUSE_ROOT_ID,
							 "schemas", strlen("schemas"));
			continue;
		}
		invalidate(t->fuse, "/schemas/%s.yaml", name);
		invalidate(t->fuse, "/dependents/%s", name);
		invalidate(t->fuse, "/history/%s", name);
	}
	if (!names->n)
		return;
	for (size_t i = 0; i < fs_views_nroutes; i++) {
		const struct fs_route *r = &fs_views_routes[i];
		if (r->kind == FS_ROUTE_VIEW && !strchr(r->pattern, '*') &&
		    !(r->flags & FS_VIEW_PER_OPEN))
			fuse_invalidate_path(t->fuse, r->pattern);
	}
}

static void *ticker_run(void *arg)
{
	struct ticker *t = arg;
	struct strlist changed = STRLIST_INIT;
	pthread_mutex_lock(&t->mu);
	while (!t->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		if (!t->woken)
			pthread_cond_timedwait(&t->cond, &t->mu, &until);
		t->woken = false;
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->mu);
		fs_lock(t->ctx);
		fs_schemas_tick(t->ctx, &changed);
		fs_unlock(t->ctx);
		ticker_invalidate(t, &changed);
		pthread_mutex_lock(&t->mu);
	}
	pthread_mutex_unlock(&t->mu);
	strlist_release(&changed);
	return NULL;
}

void fs_ticker_wake(struct fs_ctx *ctx)
{
	struct ticker *t = ctx->ticker;
	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->woken = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mu);
}

static int ticker_start(struct ticker *t, struct fs_ctx *ctx, struct fuse *fuse)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->fuse = fuse;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (pthread_create(&t->thread, NULL, ticker_run, t))
		return -1;
	t->running = true;
	fs_lock(ctx);
	ctx->ticker = t;
	fs_unlock(ctx);
	return 0;
}

static void ticker_stop(struct ticker *t)
{
	if (t->ctx) {
		fs_lock(t->ctx);
		t->ctx->ticker = NULL;
		fs_unlock(t->ctx);
	}
	if (t->running) {
		pthread_mutex_lock(&t->mu);
		t->stop = true;
		pthread_cond_signal(&t->cond);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mu);
}

static void ctx_release(struct fs_ctx *ctx)
{
	if (ctx->store)
		store_close(ctx->store);
	reg_registry_free(ctx->reg);
	fs_views_free(ctx->views);
	fs_schemas_free(ctx->schemas);
	diags_release(&ctx->load_diags);
	free(ctx->db_path);
	pthread_mutex_destroy(&ctx->lock);
}

/* Opens the store (importing the examples into an empty one) and loads
 * the registry. Prints why on failure. */
static int ctx_open(struct fs_ctx *ctx, const char *db_path, const char *examples)
{
	struct sbuf err = SBUF_INIT;
	int ret = -1;

	if (store_open(db_path, &ctx->store, &err)) {
		fs_logl(FS_LOG_ERROR, "%s", err.buf);
		goto out;
	}
	if (store_warning(ctx->store))
		fs_logl(FS_LOG_WARNING, "%s", store_warning(ctx->store));
	if (fs_load(ctx, examples, &err)) {
		fs_logl(FS_LOG_ERROR, "%s", err.buf);
		goto out;
	}
	ret = 0;
out:
	sbuf_release(&err);
	return ret;
}

static int ctx_init(struct fs_ctx *ctx, const char *db_path)
{
	memset(ctx, 0, sizeof(*ctx));
	pthread_mutex_init(&ctx->lock, NULL);
	diags_init(&ctx->load_diags);
	ctx->uid = getuid();
	ctx->gid = getgid();
	fs_now(&ctx->mounted_at);
	ctx->changed_at = ctx->mounted_at;
	/* absolute: the daemon leaves the working directory (fuse_daemonize
	 * goes to /), and the file is reopened and checked by this path */
	if (db_path[0] == '/') {
		ctx->db_path = strdup(db_path);
	} else {
		char *cwd = getcwd(NULL, 0);
		ctx->db_path = cwd ? path_join(cwd, db_path) : NULL;
		free(cwd);
	}
	ctx->reg = reg_registry_new();
	if (!ctx->db_path || !ctx->reg || fs_views_new(&ctx->views) ||
	    fs_schemas_new(&ctx->schemas)) {
		fs_logl(FS_LOG_ERROR, "out of memory");
		return -1;
	}
	return 0;
}

/* mountinfo's octal escapes (\040 for a space) undone in place. */
static void unescape(char *s)
{
	char *o = s;
	for (; *s; s++, o++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] && s[3]) {
			*o = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o = *s;
		}
	}
	*o = '\0';
}

/* Refuses a mountpoint another schemafs daemon serves already: stacking a
 * second one on it would hide the first, which keeps running. */
static int mountpoint_taken(const char *mountpoint)
{
	char real[PATH_MAX], line[2 * PATH_MAX + 256];
	FILE *f;
	int taken = 0;
	if (!realpath(mountpoint, real) || !(f = fopen("/proc/self/mountinfo", "r")))
		return 0;
	while (!taken && fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX + 1], type[256], source[PATH_MAX + 1];
		unsigned id;
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%u %*u %*s %*s %4096s", &id, mnt) != 2 ||
		    sscanf(dash, " - %255s %4096s", type, source) != 2)
			continue;
		unescape(mnt);
		if (strcmp(mnt, real) || strcmp(type, "fuse.schemafs"))
			continue;
		fs_logl(FS_LOG_ERROR, "%s: already mounted by another schemafs daemon (mount %u, %s): "
		       "unmount it first (fusermount3 -u %s)", mountpoint, id, source, mountpoint);
		taken = 1;
	}
	fclose(f);
	return taken;
}

/* The loop returns the signal that ended it: SIGINT, SIGTERM and SIGHUP
 * are the ordinary way to stop the daemon, not failures. */
static int loop_status(int ret)
{
	if (ret == 0 || ret == SIGINT || ret == SIGTERM || ret == SIGHUP)
		return 0;
	return 1;
}

/* -o loglevel= and -v: 0, or 2 (message printed). */
static int log_setup(const struct fs_mount_opts *o)
{
	enum fs_log_level level = o->verbose ? FS_LOG_DEBUG : FS_LOG_INFO;
	if (o->loglevel && fs_log_parse_level(o->loglevel, &level)) {
		fs_logl(FS_LOG_ERROR, "-o loglevel=%s: the levels are error, warning, info, debug",
			o->loglevel);
		return 2;
	}
	fs_log_set_level(level);
	return 0;
}

int fs_main(int argc, char **argv, const struct fs_mount_opts *o)
{
	const char *db_path = o->db;
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts opts;
	struct fuse_loop_config *loop = NULL;
	struct fuse *fuse = NULL;
	struct ticker ticker = { .running = false };
	struct fs_ctx ctx;
	int status = 1;

	memset(&opts, 0, sizeof(opts));
	if (ctx_init(&ctx, db_path))
		goto out_ctx;
	if ((status = log_setup(o)))
		goto out_ctx;
	status = 1;
	if (fuse_parse_cmdline(&args, &opts) != 0) {
		status = 2;
		goto out_ctx;
	}
	if (!opts.mountpoint) {
		fs_logl(FS_LOG_ERROR, "no mountpoint given");
		status = 2;
		goto out_ctx;
	}
	/* the kernel checks every access against the modes and owners the
	 * mount shows (docs/security.md): with -o allow_other, other users
	 * read, and write nothing */
	if (fuse_opt_add_arg(&args, "-odefault_permissions")) {
		fs_logl(FS_LOG_ERROR, "out of memory");
		goto out_ctx;
	}

	/* Everything that can fail with a clear message happens before the
	 * mount; the store is closed again across fuse_daemonize's fork
	 * (SQLite's POSIX locks do not survive a fork) and reopened after. */
	if (mountpoint_taken(opts.mountpoint))
		goto out_ctx;
	if (ctx_open(&ctx, ctx.db_path, o->examples))
		goto out_ctx;
	if (!opts.foreground) {
		store_close(ctx.store);
		ctx.store = NULL;
	}

	fuse = fuse_new(&args, &fs_fuse_ops, sizeof(fs_fuse_ops), &ctx);
	if (!fuse)
		goto out_ctx;
	if (fuse_mount(fuse, opts.mountpoint) != 0)
		goto out_fuse;
	if (fuse_daemonize(opts.foreground) != 0)
		goto out_unmount;
	if (!opts.foreground)
		fs_log_to_syslog();
	fs_log_serving(true);
	if (!ctx.store) {
		struct sbuf err = SBUF_INIT;
		int r = store_open(ctx.db_path, &ctx.store, &err);
		if (r)
			fs_logl(FS_LOG_ERROR, "%s", err.buf);
		sbuf_release(&err);
		if (r)
			goto out_unmount;
	}
	struct fuse_session *se = fuse_get_session(fuse);
	if (fuse_set_signal_handlers(se) != 0)
		goto out_unmount;
	if (fs_migrate_init(&ctx)) {
		fs_logl(FS_LOG_ERROR, "migrations: cannot start");
		fuse_remove_signal_handlers(se);
		goto out_unmount;
	}
	if (ticker_start(&ticker, &ctx, fuse)) {
		fs_logl(FS_LOG_ERROR, "cannot start a thread");
		goto out_signals;
	}
	if (opts.singlethread) {
		status = loop_status(fuse_loop(fuse));
	} else {
		loop = fuse_loop_cfg_create();
		if (!loop)
			goto out_signals;
		fuse_loop_cfg_set_clone_fd(loop, opts.clone_fd);
		/* 3.14 warns about its own default (-1) when it is passed back */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(loop, opts.max_idle_threads);
		fuse_loop_cfg_set_max_threads(loop, opts.max_threads);
		status = loop_status(fuse_loop_mt(fuse, loop));
	}
out_signals:
	ticker_stop(&ticker);
	fuse_remove_signal_handlers(se);
	fs_migrate_destroy(&ctx);
out_unmount:
	fs_log_serving(false);
	fuse_unmount(fuse);
	fs_lock(&ctx);
	fs_schemas_settle(&ctx);
	fs_unlock(&ctx);
out_fuse:
	fuse_destroy(fuse);
	fs_handles_release_all(&ctx);
out_ctx:
	if (loop)
		fuse_loop_cfg_destroy(loop);
	ctx_release(&ctx);
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	return status;
}
