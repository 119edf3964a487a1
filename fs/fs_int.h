/*
 * fs_int: what the files of fs/ share and nobody else needs.
 *
 *  fs.c          the route table, path matching, the FUSE operations
 *                (each one: resolve the path, lock, call the route), main
 *  fs_views.c    the view cache and every derived view's render function
 *  fs_schemas.c  schemas/ (drafts, commits, editor files, fallbacks),
 *                registry.yaml, loading the store at mount
 */
#ifndef SCHEMAFS_FS_INT_H
#define SCHEMAFS_FS_INT_H

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

/* Render functions (route table in fs.c). */
int view_readme(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_graph(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_graph_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_order(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_order_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_cycles(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_cycles_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_validation(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_validation_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_dependents(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_dependents_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_docs(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_erd_mermaid(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_erd_svg(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int view_history_file(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
int list_dependents(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
int list_history(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
int list_history_revs(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);

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
/* Ends the grace periods that are over (fs.c calls it every second).
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

/* ---- fs_log.c ---- */

/* One line "schemafs: <message>" on the daemon's stderr. */
void fs_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- fs.c ---- */

/* Whole-file read of a bytes/len snapshot at off. */
int fs_read_bytes(const char *bytes, size_t len, char *buf, size_t size, off_t off);
/* Writes into a draft, growing it (zero-filled); -EFBIG past the limit. */
int fs_write_draft(struct sbuf *draft, const char *buf, size_t size, off_t off);
int fs_truncate_draft(struct sbuf *draft, off_t size);
void fs_now(struct timespec *ts);

#endif
