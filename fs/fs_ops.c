/*
 * fs_ops: the FUSE operations. Each one resolves its path to a route
 * (fs.c), takes the mount's lock when the route's contract says so (fs.h)
 * and calls what the route says. The kinds DIR, VIEW and TEXT are served
 * here; schemas/ is FS_ROUTE_CUSTOM (fs_schemas.c).
 *
 * Caching, decided per open (why not direct_io, why not a notifier thread):
 * views are read far more often than the registry changes, and a warm
 * `cat` should cost what a page-cache read costs. So a view is opened with
 * keep_cache exactly when the kernel is known to hold its current bytes
 * (fs_view_open in fs_views.c): after a change of a view's bytes, the next
 * open runs without keep_cache, which makes the kernel drop the inode's
 * pages before open() returns (fuse_finish_open); only once that open has
 * completed (its first read, or its release) may later opens keep the
 * pages. So a derived file reflects every write that completed before it
 * was opened -- synchronously, with no race against an invalidation thread
 * (fuse_invalidate_path is not needed). One race remains that no drop can
 * close: a handle opened on older bytes may still be reading, and its
 * read reply can put old pages back into the cache after the drop. So
 * while any such handle is open, new handles bypass the cache (direct_io)
 * and read the current bytes from the daemon; once the last one closes,
 * the next open drops the pages and caching resumes. Sizes are never stale
 * because attr_timeout is 0: one GETATTR per stat/open, cheap.
 * AUTO_INVAL_DATA is off: with attr_timeout 0 it would add a GETATTR to
 * every read(2) of a cached file (a warm `cat` of a 15 MB view would cost
 * 2x tmpfs), and the per-open decision already does its job.
 * Schema files are small and their page cache could hold a refused draft,
 * so they are never kept (fs_schemas.c).
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

/* ---- directory listings ---- */

struct fs_dir {
	void *buf;
	fuse_fill_dir_t fill;
	size_t count;  /* counting only when fill is NULL */
	int err;
};

int fs_dir_add(struct fs_dir *dir, const char *name, mode_t mode)
{
	if (!dir->fill) {
		dir->count++;
		return 0;
	}
	struct stat st = { .st_mode = mode };
	if (dir->fill(dir->buf, name, &st, 0, 0)) {
		dir->err = -ENOMEM;
		return -ENOMEM;
	}
	dir->count++;
	return 0;
}

/* ---- FUSE operations ---- */

static struct fs_ctx *ctx_get(void)
{
	return fuse_get_context()->private_data;
}

static struct fs_handle *handle_of(const struct fuse_file_info *fi)
{
	return fi ? (struct fs_handle *)(uintptr_t)fi->fh : NULL;
}

static void stat_fill(struct fs_ctx *ctx, struct stat *st, mode_t mode, size_t size,
		      const struct timespec *mtime)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = mode;
	st->st_nlink = S_ISDIR(mode) ? 2 : 1;
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtim = *mtime;
	st->st_ctim = *mtime;
	st->st_atim = *mtime;
}

static int getattr_route(const char *path, struct stat *st, struct fuse_file_info *fi);

/* An open writer's handle on path (a text file it created, not committed
 * yet), or NULL. */
static struct fs_handle *text_creator(struct fs_ctx *ctx, const char *path)
{
	struct fs_handle *found = NULL;
	fs_lock(ctx);
	for (struct fs_handle *h = ctx->handles; h && !found; h = h->next)
		if (h->writer && !strcmp(h->entry.path, path))
			found = h;
	fs_unlock(ctx);
	return found;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	int ret = getattr_route(path, st, fi);
	if (!ret)
		st->st_mode = (st->st_mode & S_IFMT) | fs_shown_mode(path, st->st_mode & 07777);
	return ret;
}

static int getattr_route(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_handle *h = handle_of(fi);
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	const struct fs_route *rt = r.e.route;

	if (rt->kind == FS_ROUTE_TEXT) {
		struct sbuf b = SBUF_INIT;
		size_t size = 0;
		if (!(h && h->writer)) {
			ret = rt->load(ctx, r.e.arg, &b);
			size = b.len;
			sbuf_release(&b);
			/* a file being created exists for its creator: the kernel
			 * (default_permissions) stats it right after CREATE */
			if (ret == -ENOENT)
				h = text_creator(ctx, path);
			if (ret && !h)
				return ret;
		}
		if (h && h->writer)
			size = h->data.len;
		stat_fill(ctx, st, fs_route_mode(rt), size, &ctx->mounted_at);
		fs_lock(ctx);
		st->st_mtim = st->st_ctim = ctx->changed_at;
		fs_unlock(ctx);
		return 0;
	}
	if (rt->kind == FS_ROUTE_VIEW && (rt->flags & FS_VIEW_PER_OPEN)) {
		stat_fill(ctx, st, fs_route_mode(rt), h ? h->data.len : 0, &ctx->mounted_at);
		return 0;
	}

	fs_lock(ctx);
	switch (rt->kind) {
	case FS_ROUTE_DIR:
		if (r.e.arg && rt->list) {
			struct fs_dir count = { 0 };
			ret = rt->list(ctx, r.e.arg, &count);
			if (ret)
				break;
		}
		stat_fill(ctx, st, fs_route_mode(rt), 4096, &ctx->changed_at);
		break;
	case FS_ROUTE_VIEW: {
		struct fs_view_buf *b;
		struct timespec mtime;
		ret = fs_view_get(ctx, rt, r.e.arg, &b, &mtime);
		if (ret)
			break;
		stat_fill(ctx, st, fs_route_mode(rt), b->len, &mtime);
		fs_view_buf_put(b);
		break;
	}
	case FS_ROUTE_CUSTOM:
		ret = rt->ops->getattr ? rt->ops->getattr(ctx, &r.e, h, st) : -ENOSYS;
		break;
	default:
		ret = -EIO;
	}
	fs_unlock(ctx);
	return ret;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	if (r.e.route->kind != FS_ROUTE_DIR)
		return -ENOTDIR;
	if ((ret = fs_caller_may(ctx, path)))
		return ret;
	struct fs_dir dir = { .buf = buf, .fill = fill };
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fs_lock(ctx);
	ret = fs_route_list(ctx, &r.e, &dir);
	fs_unlock(ctx);
	return ret ? ret : dir.err;
}

static struct fs_handle *handle_new(const struct fs_resolved *r, int flags)
{
	struct fs_handle *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	size_t plen = strlen(r->e.path), alen = r->e.arg ? strlen(r->e.arg) : 0;
	h->path_buf = malloc(plen + alen + 2);
	if (!h->path_buf) {
		free(h);
		return NULL;
	}
	memcpy(h->path_buf, r->e.path, plen + 1);
	h->entry.route = r->e.route;
	h->entry.path = h->path_buf;
	if (r->e.arg) {
		memcpy(h->path_buf + plen + 1, r->e.arg, alen + 1);
		h->entry.arg = h->path_buf + plen + 1;
	}
	h->flags = flags;
	h->writer = (flags & O_ACCMODE) != O_RDONLY;
	sbuf_init(&h->data);
	return h;
}

static void handle_free(struct fs_handle *h)
{
	if (!h)
		return;
	if (h->view)
		fs_view_buf_put(h->view);
	sbuf_release(&h->data);
	free(h->path_buf);
	free(h);
}

static int open_view(struct fs_ctx *ctx, struct fs_handle *h, struct fuse_file_info *fi)
{
	const struct fs_route *rt = h->entry.route;
	if (h->writer || (h->flags & O_TRUNC))
		return -EACCES;
	if (rt->flags & FS_VIEW_PER_OPEN) {
		fi->direct_io = 1;
		return fs_route_render(ctx, rt, h->entry.arg, &h->data);
	}
	struct fs_view_buf *b;
	struct timespec mtime;
	fs_lock(ctx);
	int ret = fs_view_get(ctx, rt, h->entry.arg, &b, &mtime);
	enum fs_view_cache how = ret ? FS_VIEW_DIRECT : fs_view_open(ctx, rt, h->entry.arg, b);
	fs_unlock(ctx);
	if (ret)
		return ret;
	h->view = b;
	h->view_counted = how != FS_VIEW_DIRECT;
	h->view_dropping = how == FS_VIEW_DROP;
	fi->keep_cache = how == FS_VIEW_KEEP;
	fi->direct_io = how == FS_VIEW_DIRECT;
	return 0;
}

static int open_text(struct fs_ctx *ctx, struct fs_handle *h, bool creating)
{
	const struct fs_route *rt = h->entry.route;
	int ret = 0;
	if (!(h->flags & O_TRUNC) || !h->writer) {
		ret = rt->load(ctx, h->entry.arg, &h->data);
		if (ret == -ENOENT && creating) {
			sbuf_reset(&h->data);
			h->wrote = true; /* a new empty file exists once committed */
			ret = 0;
		}
	}
	return ret;
}

static int do_open(const char *path, struct fuse_file_info *fi, bool creating, mode_t mode)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return creating ? -EACCES : ret;
	if ((ret = fs_caller_may(ctx, path)))
		return ret;
	struct fs_handle *h = handle_new(&r, fi->flags);
	if (!h)
		return -ENOMEM;
	const struct fs_route *rt = r.e.route;
	switch (rt->kind) {
	case FS_ROUTE_DIR:
		ret = creating ? -EEXIST : -EISDIR;
		break;
	case FS_ROUTE_VIEW:
		ret = creating ? -EACCES : open_view(ctx, h, fi);
		break;
	case FS_ROUTE_TEXT:
		if (creating && (rt->flags & FS_TEXT_NO_CREATE)) {
			struct sbuf b = SBUF_INIT;
			ret = rt->load(ctx, r.e.arg, &b);
			sbuf_release(&b);
			if (ret == -ENOENT)
				ret = -EACCES;
			if (ret)
				break;
			creating = false;
		}
		ret = open_text(ctx, h, creating);
		/* a draft must not be shadowed by pages of refused bytes */
		fi->keep_cache = 0;
		if (rt->flags & FS_TEXT_LIVE) {
			/* see FS_TEXT_LIVE in fs.h: a reader must never wait
			 * for a command that is running */
			fi->direct_io = 1;
			if (!h->writer)
				fi->noflush = 1;
		}
		break;
	case FS_ROUTE_CUSTOM:
		fs_lock(ctx);
		if (creating)
			ret = rt->ops->create ? rt->ops->create(ctx, &h->entry, mode, fi->flags, h) : -EACCES;
		else
			ret = rt->ops->open ? rt->ops->open(ctx, &h->entry, fi->flags, h) : -EACCES;
		fs_unlock(ctx);
		fi->keep_cache = 0;
		break;
	}
	if (ret) {
		handle_free(h);
		return ret;
	}
	fs_lock(ctx);
	h->next = ctx->handles;
	if (h->next)
		h->next->prev = h;
	ctx->handles = h;
	fs_unlock(ctx);
	/* a handle that cannot write has nothing to commit: no FLUSH request
	 * at close (one round trip less for every read of a view) */
	if (!h->writer)
		fi->noflush = 1;
	fi->fh = (uintptr_t)h;
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	return do_open(path, fi, false, 0);
}

static int op_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	return do_open(path, fi, true, mode);
}

static int op_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)path;
	struct fs_ctx *ctx = ctx_get();
	struct fs_handle *h = handle_of(fi);
	const struct fs_route *rt = h->entry.route;
	int ret;

	switch (rt->kind) {
	case FS_ROUTE_VIEW:
		if (!h->view)
			return fs_read_bytes(h->data.buf, h->data.len, buf, size, off);
		if (h->view_dropping) {
			/* reads come after the open completed: the drop is done */
			fs_lock(ctx);
			fs_view_dropped(ctx, rt, h->entry.arg, h->view);
			h->view_dropping = false;
			fs_unlock(ctx);
		}
		{
			/* the bytes this handle opened: never re-rendered under it */
			const struct fs_view_buf *b = h->view;
			return fs_read_bytes(b->bytes, b->len, buf, size, off);
		}
	case FS_ROUTE_TEXT:
		return fs_read_bytes(h->data.buf, h->data.len, buf, size, off);
	case FS_ROUTE_CUSTOM:
		fs_lock(ctx);
		ret = rt->ops->read ? rt->ops->read(ctx, h, buf, size, off) : -EINVAL;
		fs_unlock(ctx);
		return ret;
	default:
		return -EISDIR;
	}
}

static int text_commit(struct fs_ctx *ctx, struct fs_handle *h)
{
	const struct fs_route *rt = h->entry.route;
	int ret = rt->commit(ctx, h->entry.arg, h->data.buf, h->data.len);
	h->wrote = false;
	h->sticky_err = ret;
	return ret;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	struct fs_ctx *ctx = ctx_get();
	struct fs_handle *h = handle_of(fi);
	const struct fs_route *rt = h->entry.route;
	int ret;

	switch (rt->kind) {
	case FS_ROUTE_TEXT:
		if (h->flags & O_APPEND)
			off = (off_t)h->data.len;
		ret = fs_write_draft(&h->data, buf, size, off);
		if (ret < 0) {
			h->sticky_err = ret; /* an incomplete draft is never committed */
			return ret;
		}
		h->wrote = true;
		if (rt->flags & FS_TEXT_COMMIT_ON_WRITE) {
			int err = text_commit(ctx, h);
			if (err)
				return err;
		}
		return ret;
	case FS_ROUTE_CUSTOM:
		fs_lock(ctx);
		ret = rt->ops->write ? rt->ops->write(ctx, h, buf, size, off) : -EACCES;
		fs_unlock(ctx);
		return ret;
	default:
		return -EACCES;
	}
}

static int do_sync(struct fs_handle *h, int datasync)
{
	struct fs_ctx *ctx = ctx_get();
	const struct fs_route *rt = h->entry.route;
	int ret = 0;
	switch (rt->kind) {
	case FS_ROUTE_TEXT:
		if (h->writer && h->wrote && h->sticky_err != -EFBIG)
			return text_commit(ctx, h);
		return h->sticky_err;
	case FS_ROUTE_CUSTOM:
		if (!rt->ops->sync)
			return 0;
		fs_lock(ctx);
		ret = rt->ops->sync(ctx, h, datasync);
		fs_unlock(ctx);
		return ret;
	default:
		return 0;
	}
}

static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	struct fs_handle *h = handle_of(fi);
	int status = 0;
	/* a draft is a revision only when a live process closes it, or one that
	 * exits with status 0 (`gen > x.yaml`: the kernel closes stdout for it):
	 * a writer killed mid-copy leaves a truncated, maybe valid, file */
	if (h->writer && h->wrote && fs_writer_failed(fuse_get_context()->pid, &status)) {
		h->wrote = false;
		if (status & 0x7f)
			fs_log("%s: not saved: the writer was killed by signal %d before it closed the file",
			       h->entry.path + 1, status & 0x7f);
		else
			fs_log("%s: not saved: the writer exited with status %d without closing the file",
			       h->entry.path + 1, (status >> 8) & 0xff);
		return 0;
	}
	return do_sync(h, -1);
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	return do_sync(handle_of(fi), datasync);
}

/* Releases h as close(2)'s last reference does; nothing is committed. */
static void release_handle(struct fs_ctx *ctx, struct fs_handle *h)
{
	const struct fs_route *rt = h->entry.route;
	fs_lock(ctx);
	if (rt->kind == FS_ROUTE_VIEW && h->view && h->view_counted) {
		if (h->view_dropping)
			fs_view_dropped(ctx, rt, h->entry.arg, h->view);
		fs_view_close(ctx, rt, h->entry.arg, h->view);
	}
	if (rt->kind == FS_ROUTE_CUSTOM && rt->ops->release)
		rt->ops->release(ctx, h);
	if (h->prev)
		h->prev->next = h->next;
	else
		ctx->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	fs_unlock(ctx);
	handle_free(h);
}

static int op_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	release_handle(ctx_get(), handle_of(fi));
	return 0;
}

void fs_handles_release_all(struct fs_ctx *ctx)
{
	while (ctx->handles)
		release_handle(ctx, ctx->handles);
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_handle *h = handle_of(fi);
	struct fs_resolved r;
	int ret;
	if (h) {
		r.e = h->entry;
	} else if ((ret = fs_resolve(path, &r)) || (ret = fs_caller_may(ctx, path))) {
		return ret;
	}
	const struct fs_route *rt = r.e.route;
	switch (rt->kind) {
	case FS_ROUTE_TEXT:
		if (h) {
			if (!h->writer)
				return -EBADF;
			/* an O_TRUNC the kernel sends as a truncate (no
			 * atomic_o_trunc) empties an empty draft: no change */
			bool noop = size == 0 && h->data.len == 0 && (h->flags & O_TRUNC);
			ret = fs_truncate_draft(&h->data, size);
			if (!ret && !noop)
				h->wrote = true;
			return ret;
		} else {
			struct sbuf b = SBUF_INIT;
			ret = rt->load(ctx, r.e.arg, &b);
			if (!ret)
				ret = fs_truncate_draft(&b, size);
			if (!ret)
				ret = rt->commit(ctx, r.e.arg, b.buf, b.len);
			sbuf_release(&b);
			return ret;
		}
	case FS_ROUTE_CUSTOM:
		fs_lock(ctx);
		ret = rt->ops->truncate ? rt->ops->truncate(ctx, &r.e, h, size) : -EACCES;
		fs_unlock(ctx);
		return ret;
	case FS_ROUTE_DIR:
		return -EISDIR;
	default:
		return -EACCES;
	}
}

static int op_unlink(const char *path)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret || (ret = fs_caller_may(ctx, path)))
		return ret;
	const struct fs_route *rt = r.e.route;
	switch (rt->kind) {
	case FS_ROUTE_TEXT:
		return rt->remove ? rt->remove(ctx, r.e.arg) : -EACCES;
	case FS_ROUTE_CUSTOM:
		fs_lock(ctx);
		ret = rt->ops->unlink ? rt->ops->unlink(ctx, &r.e) : -EACCES;
		fs_unlock(ctx);
		return ret;
	case FS_ROUTE_DIR:
		return -EISDIR;
	default:
		return -EACCES;
	}
}

/* A file renamed onto a text file (sed -i's temporary onto registry.yaml,
 * vim's backup put back): its bytes are committed there, like a write of
 * the whole file, and it is gone once they are. */
static int rename_onto_text(struct fs_ctx *ctx, const struct fs_entry *from,
			    const struct fs_entry *to, unsigned int flags)
{
	const struct fs_route *rt = to->route;
	struct sbuf b = SBUF_INIT;
	int ret;

	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (flags & RENAME_NOREPLACE || rt->flags & FS_TEXT_NO_CREATE) {
		ret = rt->load(ctx, to->arg, &b);
		sbuf_release(&b);
		if (ret == -ENOENT && rt->flags & FS_TEXT_NO_CREATE)
			return -EACCES;
		if (ret != -ENOENT && (ret || flags & RENAME_NOREPLACE))
			return ret ? ret : -EEXIST;
	}
	fs_lock(ctx);
	ret = from->route->ops->bytes(ctx, from, &b);
	fs_unlock(ctx);
	if (!ret)
		ret = rt->commit(ctx, to->arg, b.buf, b.len);
	sbuf_release(&b);
	if (ret)
		return ret;
	fs_lock(ctx);
	ret = from->route->ops->unlink ? from->route->ops->unlink(ctx, from) : 0;
	fs_unlock(ctx);
	return ret == -ENOENT ? 0 : ret;
}

static int op_rename(const char *from, const char *to, unsigned int flags)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved a, b;
	int ret = fs_resolve(from, &a);
	if (ret)
		return ret;
	if (fs_resolve(to, &b))
		return -EACCES;
	if ((ret = fs_caller_may(ctx, from)) || (ret = fs_caller_may(ctx, to)))
		return ret;
	if (a.e.route->kind == FS_ROUTE_CUSTOM && a.e.route->ops->bytes &&
	    b.e.route->kind == FS_ROUTE_TEXT && b.e.route->commit)
		return rename_onto_text(ctx, &a.e, &b.e, flags);
	if (a.e.route != b.e.route)
		return a.e.route->kind == FS_ROUTE_CUSTOM && b.e.route->kind == FS_ROUTE_CUSTOM
			? -EXDEV : -EACCES;
	if (a.e.route->kind != FS_ROUTE_CUSTOM || !a.e.route->ops->rename)
		return -EACCES;
	fs_lock(ctx);
	ret = a.e.route->ops->rename(ctx, &a.e, &b.e, flags);
	fs_unlock(ctx);
	return ret;
}

static int op_symlink(const char *target, const char *path)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	if (fs_resolve(path, &r))
		return -EACCES;
	if (r.e.route->kind != FS_ROUTE_CUSTOM || !r.e.route->ops->symlink)
		return -EACCES;
	fs_lock(ctx);
	int ret = r.e.route->ops->symlink(ctx, target, &r.e);
	fs_unlock(ctx);
	return ret;
}

static int op_readlink(const char *path, char *buf, size_t size)
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	if (r.e.route->kind != FS_ROUTE_CUSTOM || !r.e.route->ops->readlink)
		return -EINVAL;
	fs_lock(ctx);
	ret = r.e.route->ops->readlink(ctx, &r.e, buf, size);
	fs_unlock(ctx);
	return ret;
}

/* chmod and utimens: editors copy permissions and times onto a new file
 * and treat a failure as a failed save, so on writable files (text routes,
 * custom routes without a handler) they succeed; a custom route's handler
 * decides for its own files. */
enum attr_op { ATTR_CHMOD, ATTR_UTIMENS };

static int set_attr(const char *path, enum attr_op op, mode_t mode, const struct timespec tv[2])
{
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	const struct fs_node_ops *ops = r.e.route->ops;
	switch (r.e.route->kind) {
	case FS_ROUTE_TEXT:
		return 0;
	case FS_ROUTE_CUSTOM:
		if (op == ATTR_CHMOD ? !ops->chmod : !ops->utimens)
			return 0;
		fs_lock(ctx);
		ret = op == ATTR_CHMOD ? ops->chmod(ctx, &r.e, mode) : ops->utimens(ctx, &r.e, tv);
		fs_unlock(ctx);
		return ret;
	default:
		return -EACCES;
	}
}

static int op_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	return set_attr(path, ATTR_CHMOD, mode, NULL);
}

/* Every file belongs to the mount's owner: a chown to that owner (editors
 * fchown their new file to the old one's owner) succeeds and changes
 * nothing; to anyone else it fails (EPERM), for it could not be kept. */
static int op_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	struct fs_ctx *ctx = ctx_get();
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	if (r.e.route->kind != FS_ROUTE_TEXT && r.e.route->kind != FS_ROUTE_CUSTOM)
		return -EACCES;
	if ((uid != (uid_t)-1 && uid != ctx->uid) || (gid != (gid_t)-1 && gid != ctx->gid))
		return -EPERM;
	return 0;
}

static int op_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	return set_attr(path, ATTR_UTIMENS, 0, tv);
}

/* Does a path that resolved to a CUSTOM route name an existing file? */
static int custom_exists(struct fs_ctx *ctx, const struct fs_entry *e)
{
	struct stat st;
	if (!e->route->ops->getattr)
		return -ENOENT;
	fs_lock(ctx);
	int ret = e->route->ops->getattr(ctx, e, NULL, &st);
	fs_unlock(ctx);
	return ret;
}

static int op_mkdir(const char *path, mode_t mode)
{
	(void)mode;
	struct fs_resolved r;
	if (fs_resolve(path, &r))
		return -EACCES;
	if (r.e.route->kind == FS_ROUTE_CUSTOM && custom_exists(ctx_get(), &r.e) == -ENOENT)
		return -EACCES;
	return -EEXIST;
}

static int op_rmdir(const char *path)
{
	struct fs_resolved r;
	int ret = fs_resolve(path, &r);
	if (ret)
		return ret;
	if (r.e.route->kind == FS_ROUTE_CUSTOM && (ret = custom_exists(ctx_get(), &r.e)))
		return ret;
	return r.e.route->kind == FS_ROUTE_DIR ? -EACCES : -ENOTDIR;
}

static int op_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	memset(st, 0, sizeof(*st));
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_blocks = 1u << 20;
	st->f_bfree = 1u << 19;
	st->f_bavail = 1u << 19;
	st->f_files = 1u << 20;
	st->f_ffree = 1u << 19;
	st->f_favail = 1u << 19;
	st->f_namemax = 255;
	return 0;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	struct fs_ctx *ctx = ctx_get();
	/* see the comment at the top on caching */
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 1;
	cfg->negative_timeout = 0;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->direct_io = 0;
	/* handles hold their own bytes: an unlinked open file needs no
	 * .fuse_hidden rename */
	cfg->hard_remove = 1;
	cfg->use_ino = 0;
	conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	return ctx;
}

const struct fuse_operations fs_fuse_ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.create = op_create,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.fsync = op_fsync,
	.release = op_release,
	.truncate = op_truncate,
	.unlink = op_unlink,
	.rename = op_rename,
	.symlink = op_symlink,
	.readlink = op_readlink,
	.chmod = op_chmod,
	.chown = op_chown,
	.utimens = op_utimens,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
	.statfs = op_statfs,
};
