/*
 * fs: the mount. A table of paths to handlers (SPEC §2-§4).
 *
 * Every file in the mount is served by one route: a path pattern and what
 * serves it. A pattern is an absolute path whose components are literal
 * or "*" (one component, any name; the matched name is the route's arg)
 * or "*SUFFIX" (a name ending in SUFFIX, e.g. "*.yaml"; arg is the name).
 * The first route that matches wins, so literal routes go before "*".
 * Each file of fs/ exports its rows; fs.c puts them together in order.
 *
 * Kinds of route, from simplest to most general:
 *  - FS_ROUTE_DIR   a directory. Its listing is every literal child route
 *                   plus what list() adds (for "*" children).
 *  - FS_ROUTE_VIEW  a read-only text file produced by render(). Writes fail
 *                   with EACCES. Rendered once per generation (cached, with
 *                   the kernel page cache kept until the bytes change), or at
 *                   every open when FS_VIEW_PER_OPEN is set (for views that
 *                   depend on something outside the registry, e.g. PostgreSQL).
 *                   A view of the registry alone names its renderer in the
 *                   catalogue of views (render.h) instead: FS_REG_VIEW.
 *  - FS_ROUTE_TEXT  a writable text file kept by someone else: load() gives
 *                   the current bytes, each open-for-write handle edits its
 *                   own draft, and commit() receives the draft on flush/fsync
 *                   of a handle that wrote (or at every write() with
 *                   FS_TEXT_COMMIT_ON_WRITE, so that `echo cmd > control`
 *                   returns when the command is done). A commit error is
 *                   returned by that flush/fsync/write and by the handle's
 *                   later flushes.
 *  - FS_ROUTE_CUSTOM everything is up to ops (schemas/ uses this).
 *
 * Locking: one mutex per mount, ctx->lock, guards ctx->reg, the caches and
 * every route's state. render() and list() and the fs_node_ops handlers are
 * called WITH ctx->lock held; load(), commit() and remove() of FS_ROUTE_TEXT
 * and FS_VIEW_PER_OPEN render() are called WITHOUT it (they may be slow,
 * e.g. a migration) and take it with fs_lock() when they touch ctx->reg.
 * After changing anything a cached view depends on, call fs_changed() with
 * the lock held.
 *
 * Errors: handlers return 0 (or a byte count) or a negative errno;
 * fs_errno() is the one mapping of REG_E* codes to errno. A view flagged
 * FS_VIEW_ERROR_AS_CONTENT never fails a read but for lack of memory: what
 * its render() appended is the file (it says what went wrong).
 */
#ifndef SCHEMAFS_FS_H
#define SCHEMAFS_FS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "registry.h"
#include "sbuf.h"
#include "store.h"

struct fs_ctx;
struct fs_handle;
struct fs_dir;
struct fs_views;
struct fs_schemas;
struct render_view;

enum fs_route_kind {
	FS_ROUTE_DIR,
	FS_ROUTE_VIEW,
	FS_ROUTE_TEXT,
	FS_ROUTE_CUSTOM,
};

/* route flags */
#define FS_VIEW_PER_OPEN        0x1u /* render at every open (no cache), direct_io;
					getattr reports size 0 (reads go to EOF) */
#define FS_TEXT_COMMIT_ON_WRITE 0x2u /* commit at every write(), not at flush */
#define FS_TEXT_NO_CREATE       0x4u /* create() of a new name fails (EACCES) */
#define FS_TEXT_LIVE            0x8u /* a file whose commit can run for minutes
					(migrations/control): every open sets
					fi->direct_io (a page-cache write keeps the page
					locked for the whole WRITE request, so a reader's
					open, which drops the cache, would wait for it) and
					read-only opens set fi->noflush (the kernel's
					fuse_flush takes the inode lock a writer holds) */
#define FS_VIEW_ERROR_AS_CONTENT 0x10u /* a render() error (but -ENOMEM) is
					no error of the file: it holds what render()
					appended, e.g. why PostgreSQL cannot be reached */

/* Where a path landed: the route and what its "*" matched. */
struct fs_entry {
	const struct fs_route *route;
	const char *path; /* "/dependents/users" (borrowed for the call) */
	const char *arg;  /* "users", or NULL when the pattern has no "*" */
};

/* The general handler set (FS_ROUTE_CUSTOM). NULL means: not supported
 * (EACCES for anything that would modify, ENOENT/EINVAL otherwise). */
struct fs_node_ops {
	int (*getattr)(struct fs_ctx *ctx, const struct fs_entry *e,
		       struct fs_handle *h /* may be NULL */, struct stat *st);
	int (*readdir)(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_dir *dir);
	int (*open)(struct fs_ctx *ctx, const struct fs_entry *e, int flags,
		    struct fs_handle *h);
	int (*create)(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode,
		      int flags, struct fs_handle *h);
	/* Returns the number of bytes read or -errno. */
	int (*read)(struct fs_ctx *ctx, struct fs_handle *h, char *buf, size_t size,
		    off_t off);
	int (*write)(struct fs_ctx *ctx, struct fs_handle *h, const char *buf,
		     size_t size, off_t off);
	int (*truncate)(struct fs_ctx *ctx, const struct fs_entry *e,
			struct fs_handle *h /* may be NULL */, off_t size);
	/* datasync as in fsync(2); flush passes -1. */
	int (*sync)(struct fs_ctx *ctx, struct fs_handle *h, int datasync);
	void (*release)(struct fs_ctx *ctx, struct fs_handle *h);
	int (*unlink)(struct fs_ctx *ctx, const struct fs_entry *e);
	/* Both entries resolve to this route (else the core returns EXDEV). */
	int (*rename)(struct fs_ctx *ctx, const struct fs_entry *from,
		      const struct fs_entry *to, unsigned int flags);
	int (*symlink)(struct fs_ctx *ctx, const char *target, const struct fs_entry *e);
	int (*readlink)(struct fs_ctx *ctx, const struct fs_entry *e, char *buf, size_t size);
	int (*chmod)(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode);
	int (*utimens)(struct fs_ctx *ctx, const struct fs_entry *e, const struct timespec tv[2]);
	/* The file's bytes, appended to out: a rename of it onto an
	 * FS_ROUTE_TEXT file (sed -i's temporary onto registry.yaml) commits
	 * them there, then unlink() removes it. NULL: such a rename fails
	 * with EACCES. */
	int (*bytes)(struct fs_ctx *ctx, const struct fs_entry *e, struct sbuf *out);
};

struct fs_route {
	const char *pattern;
	enum fs_route_kind kind;
	unsigned flags;
	/* FS_ROUTE_DIR: adds the names a "*" child route serves. May be NULL.
	 * For a "*" directory it also decides existence: -ENOENT when arg
	 * names nothing (dir may then be a counting-only listing). */
	int (*list)(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
	/* FS_ROUTE_VIEW: appends the file's bytes; -ENOENT when arg names
	 * nothing (that is how a "*" view says a name does not exist). */
	int (*render)(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
	/* FS_ROUTE_VIEW of the registry alone, instead of render(): the
	 * catalogue's renderer, given ctx->reg and arg. */
	const struct render_view *view;
	/* FS_ROUTE_TEXT: current bytes (-ENOENT when absent), a new version,
	 * removal (NULL: unlink fails with EACCES). */
	int (*load)(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
	int (*commit)(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len);
	int (*remove)(struct fs_ctx *ctx, const char *arg);
	/* FS_ROUTE_CUSTOM */
	const struct fs_node_ops *ops;
	/* FS_ROUTE_CUSTOM: what ops need to know of the route; FS_ROUTE_VIEW
	 * (FS_VIEW_ARG): the arg render() gets on this literal path, so one
	 * render function serves several files */
	const void *data;
};

/* Table rows. */
#define FS_DIR(pat, list_fn) \
	{ .pattern = (pat), .kind = FS_ROUTE_DIR, .list = (list_fn) }
#define FS_VIEW(pat, render_fn, fl) \
	{ .pattern = (pat), .kind = FS_ROUTE_VIEW, .flags = (fl), .render = (render_fn) }
#define FS_VIEW_ARG(pat, render_fn, fl, a) \
	{ .pattern = (pat), .kind = FS_ROUTE_VIEW, .flags = (fl), .render = (render_fn), \
	  .data = (a) }
/* id: an enum render_view_id (render.h, which the table's file includes) */
#define FS_REG_VIEW(pat, id) \
	{ .pattern = (pat), .kind = FS_ROUTE_VIEW, .view = &render_views[(id)] }
#define FS_TEXT(pat, load_fn, commit_fn, remove_fn, fl) \
	{ .pattern = (pat), .kind = FS_ROUTE_TEXT, .flags = (fl), .load = (load_fn), \
	  .commit = (commit_fn), .remove = (remove_fn) }
#define FS_CUSTOM(pat, node_ops) \
	{ .pattern = (pat), .kind = FS_ROUTE_CUSTOM, .ops = (node_ops) }
#define FS_CUSTOM_DATA(pat, node_ops, d) \
	{ .pattern = (pat), .kind = FS_ROUTE_CUSTOM, .ops = (node_ops), .data = (d) }

/* Adds one name to a directory listing; mode is S_IFDIR/S_IFREG/S_IFLNK
 * (permission bits optional). Returns 0 or -ENOMEM. */
int fs_dir_add(struct fs_dir *dir, const char *name, mode_t mode);

/*
 * Per open file. The core owns it; a route may hang its own state on
 * ->priv (freed by its release handler). The core fills path/entry and,
 * for VIEW and TEXT routes, uses data/len as the snapshot or the draft.
 */
struct fs_handle {
	struct fs_entry entry;   /* path and arg are owned copies */
	char *path_buf;
	int flags;               /* open(2) flags */
	struct sbuf data;        /* draft (writers) or snapshot (readers) */
	bool writer;             /* opened for writing */
	bool wrote;              /* a write or ftruncate since the last commit */
	int sticky_err;          /* a refused commit: later flushes fail with it */
	void *view;              /* the cached rendering this handle reads (views) */
	bool view_counted;       /* reads through the page cache (fs_view_open) */
	bool view_dropping;      /* opened FS_VIEW_DROP, not yet confirmed */
	void *priv;              /* the route's */
	struct fs_handle *prev, *next; /* ctx->handles, under ctx->lock */
};

/* The daemon's state: one per mount. */
struct fs_ctx {
	pthread_mutex_t lock;
	struct store *store;
	char *db_path;
	struct reg_registry *reg;  /* current schemas and registry.yaml */
	uint64_t generation;       /* bumped by fs_changed() */
	struct timespec changed_at;
	struct fs_views *views;    /* rendered views by route and arg */
	struct fs_schemas *schemas;/* schemas/: editor files, fallbacks */
	struct diags load_diags;   /* stored revisions that no longer parse */
	uid_t uid;                 /* owner of every file: who mounted */
	gid_t gid;
	struct timespec mounted_at;
	void *migrate;             /* fs_migrate.c's state */
	struct fs_handle *handles; /* every open handle: released at unmount */
	void *ticker;              /* fs_mount.c's ticker thread, while it runs */
};

void fs_lock(struct fs_ctx *ctx);
void fs_unlock(struct fs_ctx *ctx);
/* Something a cached view depends on changed. Caller holds ctx->lock. */
void fs_changed(struct fs_ctx *ctx);
/* REG_E* -> -errno. */
int fs_errno(int reg_err);

/* The migrations/ subtree (fs_migrate.c): its rows of the table (fs.c),
 * init once the store is open and the registry loaded (before any
 * request), destroy at unmount. */
extern const struct fs_route fs_migrate_routes[];
extern const size_t fs_migrate_nroutes;
int fs_migrate_init(struct fs_ctx *ctx);
void fs_migrate_destroy(struct fs_ctx *ctx);

/* The shipped examples (the seed's five schemas) that `mount --seed`
 * imports: $SCHEMAFS_EXAMPLES, else DATADIR/schemafs/examples/aegis for an
 * installed binary, the source tree's examples/aegis for one run from its
 * build directory (both compiled in). */
const char *fs_examples_dir(void);

/* libfuse's own options (mount --help) on stdout; its version string. */
void fs_print_fuse_help(void);
const char *fs_fuse_version(void);

struct fs_mount_opts {
	const char *db;       /* the SQLite file (created when missing) */
	const char *examples; /* imported first into a store that never held
				 anything; NULL: none */
	const char *loglevel; /* -o loglevel=: error|warning|info|debug; NULL: info */
	bool verbose;         /* -v: debug */
};

/*
 * Mounts the registry in o->db with the FUSE command line in argc/argv
 * (mountpoint, -f, -d, -s, -o ...). Returns the exit status (2 for a
 * usage error such as an unknown log level); prints its own messages as
 * "schemafs: ...", through fs_log (fs_int.h): stderr under -f, syslog once
 * the daemon detached.
 */
int fs_main(int argc, char **argv, const struct fs_mount_opts *o);

#endif
