/*
 * fs_int: what the files of fs/ share and nobody else needs.
 *
 *  fs.c          the route table (put together from each file's rows) and
 *                path matching
 *  fs_ops.c      the FUSE operations (each one: resolve the path, lock,
 *                call the route)
 *  fs_mount.c    the mount's lifecycle: open, load, mount, loop, unmount
 *  fs_log.c      the daemon's messages
 *  fs_views.c    the view cache and the derived views' rows
 *  fs_schemas.c  schemas/ (drafts, commits, editor files, fallbacks),
 *                registry.yaml, loading the store at mount
 *  fs_migrate.c  migrations/
 *  fs_services.c services/ (services files and per-service views), changes/
 */
#ifndef SCHEMAFS_FS_INT_H
#define SCHEMAFS_FS_INT_H

#include <limits.h>

#include "fs.h"

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

/* ---- fs_schemas.c ---- */

/* Serves schemas/ and the editor files in the mount's root. */
extern const struct fs_node_ops fs_schemas_ops;
int list_schemas(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
int list_root(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);

int fs_schemas_new(struct fs_schemas **out);
void fs_schemas_free(struct fs_schemas *s);
/* Loads every current schema and registry.yaml from ctx->store into
 * ctx->reg (regstore.h); stored revisions that no longer parse go to
 * ctx->load_diags. An empty store is first given examples/NAME.yaml and
 * examples/registry.yaml when examples is not NULL. -1 with err on failure. */
int fs_load(struct fs_ctx *ctx, const char *examples, struct sbuf *err);
/* Brings ctx->reg up to the store (after a rollback), invalidating the
 * views of exactly the schemas that changed. Caller holds the lock. */
int fs_schemas_sync(struct fs_ctx *ctx);
/* Ends the grace periods that are over (the ticker of fs_mount.c calls it every second).
 * Caller holds the lock. */
void fs_schemas_expire(struct fs_ctx *ctx);
/* At unmount: settles every pending unregistration. Caller holds the lock. */
void fs_schemas_settle(struct fs_ctx *ctx);

/* registry.yaml as an FS_ROUTE_TEXT */
int meta_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int meta_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len);

/* Records a refusal ("file:line:col: error: msg" lines) and bumps the
 * generation (validation shows it). Caller holds the lock. */
void fs_refuse(struct fs_ctx *ctx, const char *file, const struct diags *d);

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

/* Whole-file read of a bytes/len snapshot at off. */
int fs_read_bytes(const char *bytes, size_t len, char *buf, size_t size, off_t off);
/* Writes into a draft, growing it (zero-filled); -EFBIG past the limit. */
int fs_write_draft(struct sbuf *draft, const char *buf, size_t size, off_t off);
int fs_truncate_draft(struct sbuf *draft, off_t size);

/* ---- fs_mount.c ---- */

void fs_now(struct timespec *ts);

/* ---- fs_log.c ---- */

/* One message of the daemon, printf-like, without the final newline:
 * "schemafs: <message>" on stderr. */
void fs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
