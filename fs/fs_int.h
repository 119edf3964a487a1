/*
 * fs_int: what the files of fs/ share and nobody else needs.
 *
 *  fs.c          the route table (put together from each file's rows) and
 *                path matching
 *  fs_ops.c      the FUSE operations (each one: resolve the path, lock,
 *                call the route)
 *  fs_mount.c    the mount's lifecycle: open, load, mount, loop, unmount
 *  fs_log.c      the daemon's messages
 *  fs_util.c     the errno mapping (fs_errno in fs.h), snapshots, drafts
 *  fs_access.c   who is asking: owner-only paths, the modes shown, live writers
 *  fs_views.c    the view cache and the derived views' rows
 *  fs_schemas.c  schemas/: schema files (drafts, commits, fallbacks) and
 *                the rows of /, registry.yaml, schemas/ and editor files
 *  fs_editor.c   editor files (swap, backup and temporary files) in memory
 *  fs_meta.c     registry.yaml
 *  fs_store.c    the mount's side of the store: loading, one save
 *                (validate -> store -> register, logged), refusals,
 *                syncing with other processes, the database file's identity
 *  fs_migrate.c  migrations/
 *  fs_services.c services/ (services files and per-service views), changes/
 */
#ifndef SCHEMAFS_FS_INT_H
#define SCHEMAFS_FS_INT_H

#include <limits.h>

#include "fs.h"
#include "regstore.h"
#include "strlist.h"
#include "strmap.h"

/* Grace period after a schema file is unlinked or renamed to a non-schema
 * name: a recreate within it that is refused brings the previous revision
 * back. Seconds. */
#define FS_FALLBACK_GRACE 5

/* ---- fs_views.c: cached renderings ---- */

int fs_views_new(struct fs_views **out);
void fs_views_free(struct fs_views *v);

/* A rendering shared by the cache and the handles reading it. */
struct fs_view_buf {
	unsigned refs;
	char *bytes;
	size_t len;
};
void fs_view_buf_put(struct fs_view_buf *b); /* drops one reference */

/* The current rendering of route/arg, re-rendered when the generation
 * moved. On success *buf is a new reference and mtime the time the bytes
 * last changed. Caller holds ctx->lock. */
int fs_view_get(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		struct fs_view_buf **buf, struct timespec *mtime);
/* fs changed ctx->reg: schema name (NULL: registry.yaml) was registered,
 * replaced or unregistered. Views keep per-schema work between renderings
 * (docs/schema.md hashes every schema's bytes); a change of ctx->reg that
 * is not announced (fs_migrate.c's resync) makes them redo all of it.
 * Caller holds ctx->lock. */
void fs_views_touched(struct fs_ctx *ctx, const char *name);
/*
 * How a handle opened on the rendering buf (the current one) reads, so
 * that the kernel's page cache of the file never serves older bytes:
 *  FS_VIEW_KEEP   the kernel's pages are known to be these bytes: keep them;
 *  FS_VIEW_DROP   the kernel drops the pages when the open completes; once
 *                 it has (fs_view_dropped), only handles on buf can fill
 *                 them, so later opens may keep them;
 *  FS_VIEW_DIRECT a handle on older bytes is still open and may put them
 *                 in the cache at any moment (its read reply can land after
 *                 any drop): bypass the cache (direct_io) for this handle.
 * KEEP and DROP handles are counted until fs_view_close(). Caller holds
 * ctx->lock.
 */
enum fs_view_cache { FS_VIEW_KEEP, FS_VIEW_DROP, FS_VIEW_DIRECT };
enum fs_view_cache fs_view_open(struct fs_ctx *ctx, const struct fs_route *route,
				const char *arg, const struct fs_view_buf *buf);
/* A DROP handle on buf has finished opening (it reads, or is released):
 * the kernel has dropped the pages. Not earlier: a KEEP open in between
 * would read pages the drop has not removed yet. Caller holds ctx->lock. */
void fs_view_dropped(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		     const struct fs_view_buf *buf);
/* A KEEP or DROP handle on buf was released. Caller holds ctx->lock. */
void fs_view_close(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		   const struct fs_view_buf *buf);

/* README and every derived file of the registry: the rows of the table. */
extern const struct fs_route fs_views_routes[];
extern const size_t fs_views_nroutes;

/* services/ and changes/ (fs_services.c): the rows of the table. */
extern const struct fs_route fs_services_routes[];
extern const size_t fs_services_nroutes;

/* ---- fs_editor.c: editor files ---- */

/* An editor file: bytes in memory, shared by its open handles. */
struct fs_editor_file {
	char *name;
	bool symlink;
	struct sbuf bytes;      /* content, or the link target */
	mode_t mode;            /* permission bits */
	struct timespec mtime;
	unsigned refs;          /* the directory's + one per handle */
	bool linked;
	char *came_from;        /* a schema renamed to this name, or NULL */
	uint64_t written;       /* fs_schemas's sync count at the last write */
	struct fs_editor_file *next;
};
/* The editor files of one directory. */
struct fs_editor_dir {
	struct fs_editor_file *head;
};

void fs_editor_release(struct fs_editor_dir *dir);
struct fs_editor_file *fs_editor_find(const struct fs_editor_dir *dir, const char *name);
/* A new empty file in dir (one reference: the directory's), or NULL. */
struct fs_editor_file *fs_editor_new(struct fs_editor_dir *dir, const char *name, mode_t mode);
/* Drops the directory's reference; handles keep the file alive. */
void fs_editor_unlink(struct fs_editor_dir *dir, struct fs_editor_file *p);
void fs_editor_put(struct fs_editor_file *p);
int fs_editor_list(const struct fs_editor_dir *dir, struct fs_dir *out);
void fs_editor_stat(const struct fs_editor_file *p, struct stat *st);
/* A handle's reference (O_TRUNC by a writer empties it); -ELOOP on a symlink. */
int fs_editor_open(struct fs_editor_file *p, int flags, bool writer);
int fs_editor_write(struct fs_editor_file *p, const char *buf, size_t size, off_t off,
		    bool append);
int fs_editor_truncate(struct fs_editor_file *p, off_t size);
int fs_editor_symlink(struct fs_editor_dir *dir, const char *name, const char *target);
int fs_editor_readlink(const struct fs_editor_file *p, char *buf, size_t size);
void fs_editor_chmod(struct fs_editor_file *p, mode_t mode);
int fs_editor_bytes(const struct fs_editor_file *p, struct sbuf *out);
/* p takes name in dir, replacing the file of that name. */
int fs_editor_rename(struct fs_editor_dir *dir, struct fs_editor_file *p, const char *name);

/* The stat of a file of the mount (owner, one link, blksize), zeroed otherwise. */
void fs_editor_stat_base(const struct fs_ctx *ctx, struct stat *st);
/* utimens(2)'s time tv (UTIME_NOW, UTIME_OMIT or a time) into dst. */
void fs_editor_set_time(struct timespec *dst, const struct timespec *tv);

/*
 * Documents among editor files: a directory whose names are either a
 * document, kept by someone else (migrations/pending/<table>.sql in the
 * store, services/<service>.yaml), or an editor file (fs_editor_file).
 * fs_docs_ops serves such a directory as schemas/ is served: a writer
 * edits its own draft, committed at flush/fsync of a handle that wrote
 * (a commit error fails that flush and every later one); a created
 * document exists (stat, open) from create() until its handles close,
 * empty until committed; a rename of an editor file onto a document
 * commits the file's bytes, a rename of a document onto an editor name
 * (vim's backup) removes the document and leaves its bytes in the editor
 * file. The route is FS_CUSTOM_DATA(pattern, &fs_docs_ops, &class).
 * Every callback is called with ctx->lock held.
 */
struct fs_docs;
struct fs_docs_class {
	bool (*is_doc)(const char *name);      /* a document's name */
	/* the directory's state; NULL only when handles are released at unmount */
	struct fs_docs *(*state)(struct fs_ctx *ctx);
	/* the current bytes; -ENOENT when there is no such document */
	int (*load)(struct fs_ctx *ctx, const char *name, struct sbuf *out);
	int (*commit)(struct fs_ctx *ctx, const char *name, const char *bytes, size_t len);
	int (*remove)(struct fs_ctx *ctx, const char *name);
};
struct fs_docs {
	struct fs_editor_dir editors;
	struct strmap created;  /* name -> unsigned handles on a created document */
};
void fs_docs_init(struct fs_docs *d);
void fs_docs_release(struct fs_docs *d);
/* What a listing adds to the documents: created ones not yet committed
 * (their names must not be listed as documents already), editor files. */
int fs_docs_list(struct fs_ctx *ctx, struct fs_docs *d, struct fs_dir *dir);
extern const struct fs_node_ops fs_docs_ops;

/* ---- fs_schemas.c: schema files ---- */

/* schemas/<name>.yaml beyond what the registry says. */
struct fs_sfile {
	char *name;             /* without .yaml */
	mode_t mode;
	struct timespec mtime;
	bool created;           /* created, never committed: an empty file */
	unsigned created_opens; /* handles on the created file */
	bool refused;           /* the store holds a refusal for it */
	struct reg_schema *fallback; /* unregistered, may come back (grace) */
	int64_t fallback_rev;   /* its revision, restorable until fallback_until */
	time_t fallback_until;
	uint64_t synced;        /* the sync count when another process changed it */
	struct fs_sfile *next_pending; /* list of sfiles holding a fallback */
	bool pending;
};

/* ctx->schemas */
struct fs_schemas {
	struct fs_editor_dir plains;      /* editor files in schemas/ */
	struct fs_editor_dir root_plains; /* editor files in the mount's root */
	struct strmap files;              /* name -> struct fs_sfile */
	struct fs_sfile *pending;
	size_t ncreated;
	bool meta_refused;
	struct regstore *rs;              /* ctx->reg as loaded from ctx->store */
	uint64_t syncs;                   /* syncs that brought another process's changes */
	struct strlist inval;             /* changed names not yet invalidated in the
					     kernel ("" is registry.yaml, "/" every
					     entry of schemas/: a new file dropped) */
	dev_t db_dev;                     /* the database file the store opened */
	ino_t db_ino;
	bool db_gone;                     /* it was deleted or replaced (logged once) */
};

/* /, registry.yaml, schemas/ and the editor files of the root: the rows
 * of the table (last: its root "*" row catches every name no other row serves). */
extern const struct fs_route fs_schemas_routes[];
extern const size_t fs_schemas_nroutes;

int fs_schemas_new(struct fs_schemas **out);
void fs_schemas_free(struct fs_schemas *s);
/* The sfile of name, created when missing (NULL: out of memory). */
struct fs_sfile *fs_sfile_get(struct fs_schemas *s, const char *name);
struct fs_sfile *fs_sfile_find(struct fs_schemas *s, const char *name);
/* "users.yaml" -> "users" in buf; false for an editor file's name. */
bool fs_schema_name(const char *file, char *buf, size_t size);
/* Ends the grace periods that are over. Caller holds the lock. */
void fs_schemas_expire(struct fs_ctx *ctx);
/* At unmount: settles every pending unregistration. Caller holds the lock. */
void fs_schemas_settle(struct fs_ctx *ctx);

/* ---- fs_meta.c: registry.yaml as an FS_ROUTE_TEXT ---- */

int fs_meta_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int fs_meta_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len);

/* ---- fs_store.c ---- */

/* Loads every current schema and registry.yaml from ctx->store into
 * ctx->reg (regstore.h); stored revisions that no longer parse go to
 * ctx->load_diags. An empty store is first given examples/NAME.yaml and
 * examples/registry.yaml when examples is not NULL. Remembers which file
 * the store opened. -1 with err on failure. */
int fs_load(struct fs_ctx *ctx, const char *examples, struct sbuf *err);
/* Brings ctx->reg up to the store (another process, a rollback): the
 * views of exactly the schemas that changed are invalidated, their mtime
 * moves, and their names are queued in ctx->schemas->inval for the
 * kernel's cache. O(1) when nothing was committed. Caller holds the lock. */
int fs_schemas_sync(struct fs_ctx *ctx);
/* What the ticker does every second: expire, sync, check the database
 * file; moves the names to invalidate to out. Caller holds the lock. */
void fs_schemas_tick(struct fs_ctx *ctx, struct strlist *out);

/* One save through regstore_save (its contract), as the mount makes it:
 * refused -> the refusal recorded, -EINVAL/-EFBIG; based on a revision
 * another process replaced -> the refusal says which, -EBUSY; the store
 * failing or its file gone -> logged, -EIO. Logs one line per commit and
 * per refusal. *refused is the file's refusal flag (in/out). Caller
 * holds the lock. */
int fs_save(struct fs_ctx *ctx, struct regstore_save *sv, bool *refused);
/* Records a refusal ("file:line:col: error: msg" lines) and bumps the
 * generation (validation shows it). Caller holds the lock. */
void fs_refuse(struct fs_ctx *ctx, const char *file, const struct diags *d);
/* -EIO (logged once) when the database file was deleted or replaced
 * since the mount opened it, else 0. */
int fs_store_check(struct fs_ctx *ctx);

/* ---- fs.c: the table ---- */

/* Where a path landed; e.arg points into arg. */
struct fs_resolved {
	struct fs_entry e;
	char arg[PATH_MAX];
};
/* The route of path, or -ENOENT. */
int fs_resolve(const char *path, struct fs_resolved *r);
/* S_IFDIR | 0755, S_IFREG | 0644 (text) or 0444 (the rest). */
mode_t fs_route_mode(const struct fs_route *r);
/* A DIR route's listing: its literal child routes, then what list() adds. */
int fs_route_list(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_dir *dir);
/* A VIEW route's bytes (render() or the catalogue's view), with
 * FS_VIEW_ERROR_AS_CONTENT applied. Locking as for render() (fs.h). */
int fs_route_render(struct fs_ctx *ctx, const struct fs_route *rt, const char *arg,
		    struct sbuf *out);

/* ---- fs_ops.c ---- */

struct fuse_operations;
extern const struct fuse_operations fs_fuse_ops;

/* ---- fs_util.c ---- */

/* Whole-file read of a bytes/len snapshot at off. */
int fs_read_bytes(const char *bytes, size_t len, char *buf, size_t size, off_t off);
/* Writes into a draft, growing it (zero-filled); -EFBIG past the limit. */
int fs_write_draft(struct sbuf *draft, const char *buf, size_t size, off_t off);
int fs_truncate_draft(struct sbuf *draft, off_t size);

/* ---- fs_access.c ---- */

/* 0, or -EACCES when path is one of the mount owner's own
 * (migrations/control, cancel, pending/) and the caller of the FUSE
 * request being served is neither that owner nor root. */
int fs_caller_may(const struct fs_ctx *ctx, const char *path);
/* The permission bits getattr shows for path, given the route's: never a
 * write bit for group or others, nothing for them on the owner's paths. */
mode_t fs_shown_mode(const char *path, mode_t mode);
/* True when pid is exiting without having closed the file itself: killed
 * by a signal, or exiting with a status other than 0 (*status: its wait
 * status). False for a live process and for one the daemon cannot see. */
bool fs_writer_failed(pid_t pid, int *status);

/* ---- fs_mount.c ---- */

void fs_now(struct timespec *ts);
/* The ticker runs now rather than within a second: what ctx->schemas->inval
 * holds reaches the kernel at once. Caller may hold ctx->lock. */
void fs_ticker_wake(struct fs_ctx *ctx);

/* ---- fs_log.c ---- */

/*
 * The daemon's messages: one line each, "schemafs: [LEVEL: ]MESSAGE" on
 * stderr until fs_log_to_syslog(), then syslog(3) (ident "schemafs",
 * facility LOG_DAEMON). Errors keep the bare "schemafs: MESSAGE" form on
 * stderr; warning, info and debug lines say their level. A message logged
 * while a FUSE request is served ends with who made it: " (uid U, pid P)".
 * Lines above the level set by fs_log_set_level (default FS_LOG_INFO) are
 * dropped. Thread-safe; never fails (a line that cannot be written is lost).
 */
enum fs_log_level {
	FS_LOG_ERROR,   /* the daemon could not do what it must (a store error) */
	FS_LOG_WARNING, /* something is wrong around it, it goes on */
	FS_LOG_INFO,    /* what was done: commits, refusals, migration commands */
	FS_LOG_DEBUG,
};

/* "error", "warning", "info" or "debug" -> *out; -1 for anything else. */
int fs_log_parse_level(const char *word, enum fs_log_level *out);
void fs_log_set_level(enum fs_log_level max);
/* From now on, lines go to syslog (after fuse_daemonize: stderr is /dev/null). */
void fs_log_to_syslog(void);
/* Requests are being served: messages may name who made them
 * (fuse_get_context is valid only between fuse_new and fuse_destroy). */
void fs_log_serving(bool serving);

void fs_logl(enum fs_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* fs_logl(FS_LOG_INFO, ...) */
void fs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* At unmount: the handles still open (a process killed while it held
 * one, a lazy unmount) are released, as their close would have; nothing
 * they hold is committed. */
void fs_handles_release_all(struct fs_ctx *ctx);

#endif
