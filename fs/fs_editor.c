/*
 * fs_editor: editor files. Every name of schemas/ that is not a schema
 * file (4913, .x.yaml.swp, x.yaml~, sedXXXXXX, .#x.yaml, #x.yaml#) and
 * every unrouted name of the mount's root is a plain file kept in memory,
 * never registered: editors write, read, rename and remove them as they
 * do on a disk, and a rename of one onto a schema file saves its bytes
 * (fs_schemas.c). Symlinks are always editor files (emacs's lock).
 *
 * Directories of documents kept elsewhere (migrations/pending/, services/)
 * are served here too (fs_docs_ops, contract in fs_int.h): they are the
 * same mix of committed files and editor files, without what schemas/
 * adds (validation's refusals, fallbacks, revisions to be based on).
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>

void fs_editor_put(struct fs_editor_file *p)
{
	if (p && --p->refs == 0) {
		sbuf_release(&p->bytes);
		free(p->came_from);
		free(p->name);
		free(p);
	}
}

void fs_editor_release(struct fs_editor_dir *dir)
{
	for (struct fs_editor_file *p = dir->head, *next; p; p = next) {
		next = p->next;
		fs_editor_put(p);
	}
	dir->head = NULL;
}

struct fs_editor_file *fs_editor_find(const struct fs_editor_dir *dir, const char *name)
{
	for (struct fs_editor_file *p = dir->head; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct fs_editor_file *fs_editor_new(struct fs_editor_dir *dir, const char *name, mode_t mode)
{
	struct fs_editor_file *p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(name))) {
		free(p);
		return NULL;
	}
	sbuf_init(&p->bytes);
	p->mode = mode & 07777;
	fs_now(&p->mtime);
	p->refs = 1;
	p->linked = true;
	p->next = dir->head;
	dir->head = p;
	return p;
}

void fs_editor_unlink(struct fs_editor_dir *dir, struct fs_editor_file *p)
{
	for (struct fs_editor_file **pp = &dir->head; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->linked = false;
			fs_editor_put(p);
			return;
		}
}

int fs_editor_list(const struct fs_editor_dir *dir, struct fs_dir *out)
{
	for (struct fs_editor_file *p = dir->head; p; p = p->next)
		if (fs_dir_add(out, p->name, p->symlink ? S_IFLNK : S_IFREG))
			return -ENOMEM;
	return 0;
}

void fs_editor_stat(const struct fs_editor_file *p, struct stat *st)
{
	st->st_mode = (p->symlink ? S_IFLNK : S_IFREG) | p->mode;
	st->st_size = (off_t)p->bytes.len;
	st->st_mtim = st->st_ctim = st->st_atim = p->mtime;
}

int fs_editor_open(struct fs_editor_file *p, int flags, bool writer)
{
	if (p->symlink)
		return -ELOOP;
	if (writer && (flags & O_TRUNC)) {
		sbuf_reset(&p->bytes);
		fs_now(&p->mtime);
	}
	p->refs++;
	return 0;
}

int fs_editor_write(struct fs_editor_file *p, const char *buf, size_t size, off_t off,
		    bool append)
{
	int ret = fs_write_draft(&p->bytes, buf, size, append ? (off_t)p->bytes.len : off);
	if (ret >= 0)
		fs_now(&p->mtime);
	return ret;
}

int fs_editor_truncate(struct fs_editor_file *p, off_t size)
{
	if (p->symlink)
		return -EINVAL;
	fs_now(&p->mtime);
	return fs_truncate_draft(&p->bytes, size);
}

int fs_editor_symlink(struct fs_editor_dir *dir, const char *name, const char *target)
{
	if (fs_editor_find(dir, name))
		return -EEXIST;
	struct fs_editor_file *p = fs_editor_new(dir, name, 0777);
	if (!p)
		return -ENOMEM;
	p->symlink = true;
	if (sbuf_adds(&p->bytes, target)) {
		fs_editor_unlink(dir, p);
		return -ENOMEM;
	}
	return 0;
}

int fs_editor_readlink(const struct fs_editor_file *p, char *buf, size_t size)
{
	if (!p->symlink || size == 0)
		return -EINVAL;
	size_t n = p->bytes.len < size - 1 ? p->bytes.len : size - 1;
	memcpy(buf, p->bytes.buf, n);
	buf[n] = '\0';
	return 0;
}

void fs_editor_chmod(struct fs_editor_file *p, mode_t mode)
{
	if (!p->symlink)
		p->mode = mode & 07777;
}

int fs_editor_bytes(const struct fs_editor_file *p, struct sbuf *out)
{
	if (p->symlink)
		return -EINVAL;
	return sbuf_add(out, p->bytes.buf, p->bytes.len) ? -ENOMEM : 0;
}

int fs_editor_rename(struct fs_editor_dir *dir, struct fs_editor_file *p, const char *name)
{
	struct fs_editor_file *old = fs_editor_find(dir, name);
	char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	if (old && old != p)
		fs_editor_unlink(dir, old);
	free(p->name);
	p->name = n;
	return 0;
}

void fs_editor_stat_base(const struct fs_ctx *ctx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	st->st_blksize = 4096;
}

void fs_editor_set_time(struct timespec *dst, const struct timespec *tv)
{
	if (tv->tv_nsec == UTIME_OMIT)
		return;
	if (tv->tv_nsec == UTIME_NOW)
		fs_now(dst);
	else
		*dst = *tv;
}

/* ---- documents among editor files ---- */

void fs_docs_init(struct fs_docs *d)
{
	d->editors.head = NULL;
	strmap_init(&d->created);
}

void fs_docs_release(struct fs_docs *d)
{
	fs_editor_release(&d->editors);
	strmap_release(&d->created, free);
}

/* Per handle (h->priv): an editor file, or a document's draft in h->data. */
struct dhandle {
	struct fs_editor_file *plain;
	bool on_created;        /* counted in created until released */
};

static const struct fs_docs_class *docs_class(const struct fs_entry *e)
{
	return e->route->data;
}

static struct fs_docs *docs_of(struct fs_ctx *ctx, const struct fs_entry *e)
{
	return docs_class(e)->state(ctx);
}

static unsigned *created_of(struct fs_docs *d, const char *name)
{
	return strmap_get_s(&d->created, name);
}

static void created_drop(struct fs_docs *d, const char *name)
{
	free(strmap_remove_s(&d->created, name));
}

int fs_docs_list(struct fs_ctx *ctx, struct fs_docs *d, struct fs_dir *dir)
{
	(void)ctx;
	for (struct strmap_entry *e = NULL; (e = strmap_next(&d->created, e));)
		if (fs_dir_add(dir, e->key, S_IFREG | 0644))
			return -ENOMEM;
	return fs_editor_list(&d->editors, dir);
}

/* 0 when the document name exists (stored or created), else -ENOENT. */
static int doc_exists(struct fs_ctx *ctx, const struct fs_entry *e, size_t *size)
{
	struct sbuf b = SBUF_INIT;
	int ret = docs_class(e)->load(ctx, e->arg, &b);
	*size = b.len;
	sbuf_release(&b);
	if (ret == -ENOENT && created_of(docs_of(ctx, e), e->arg))
		ret = 0;
	return ret;
}

static struct dhandle *dhandle_of(struct fs_handle *h)
{
	return h ? h->priv : NULL;
}

static int docs_getattr(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
			struct stat *st)
{
	struct dhandle *dh = dhandle_of(h);
	fs_editor_stat_base(ctx, st);
	if (docs_class(e)->is_doc(e->arg)) {
		size_t size = 0;
		if (dh && !dh->plain && h->writer) {
			size = h->data.len;
		} else {
			int ret = doc_exists(ctx, e, &size);
			if (ret && !dh)
				return ret;
		}
		st->st_mode = S_IFREG | 0644;
		st->st_size = (off_t)size;
		st->st_mtim = st->st_ctim = st->st_atim = ctx->changed_at;
	} else {
		struct fs_editor_file *p = dh ? dh->plain : NULL;
		if (!p && !(p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg)))
			return -ENOENT;
		fs_editor_stat(p, st);
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static int open_plain(struct fs_editor_file *p, int flags, struct fs_handle *h)
{
	struct dhandle *dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	int ret = fs_editor_open(p, flags, h->writer);
	if (ret) {
		free(dh);
		return ret;
	}
	dh->plain = p;
	h->priv = dh;
	return 0;
}

/* Opens document e->arg; creating: it need not exist. */
static int open_doc(struct fs_ctx *ctx, const struct fs_entry *e, int flags, struct fs_handle *h,
		    bool creating)
{
	struct fs_docs *d = docs_of(ctx, e);
	struct dhandle *dh = calloc(1, sizeof(*dh));
	if (!dh)
		return -ENOMEM;
	int ret = docs_class(e)->load(ctx, e->arg, &h->data);
	unsigned *opens = created_of(d, e->arg);
	if (ret == -ENOENT && (creating || opens)) {
		if (!opens && (!(opens = calloc(1, sizeof(*opens))) ||
			       strmap_put_s(&d->created, e->arg, opens, NULL))) {
			free(opens);
			free(dh);
			return -ENOMEM;
		}
		(*opens)++;
		dh->on_created = true;
		/* a new empty file exists once committed (touch, `: > f`) */
		h->wrote = h->writer;
		ret = 0;
	}
	if (ret) {
		free(dh);
		return ret;
	}
	if (h->writer && (flags & O_TRUNC))
		sbuf_reset(&h->data);
	h->priv = dh;
	return 0;
}

static int docs_open(struct fs_ctx *ctx, const struct fs_entry *e, int flags, struct fs_handle *h)
{
	if (docs_class(e)->is_doc(e->arg))
		return open_doc(ctx, e, flags, h, false);
	struct fs_editor_file *p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg);
	return p ? open_plain(p, flags, h) : -ENOENT;
}

static int docs_create(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode, int flags,
		       struct fs_handle *h)
{
	struct fs_docs *d = docs_of(ctx, e);
	if (strlen(e->arg) > NAME_MAX)
		return -ENAMETOOLONG;
	if (docs_class(e)->is_doc(e->arg)) {
		size_t size;
		if ((flags & O_EXCL) && !doc_exists(ctx, e, &size))
			return -EEXIST;
		return open_doc(ctx, e, flags, h, true);
	}
	struct fs_editor_file *p = fs_editor_find(&d->editors, e->arg);
	if (p)
		return (flags & O_EXCL) ? -EEXIST : open_plain(p, flags, h);
	if (!(p = fs_editor_new(&d->editors, e->arg, mode)))
		return -ENOMEM;
	return open_plain(p, flags, h);
}

static int docs_read(struct fs_ctx *ctx, struct fs_handle *h, char *buf, size_t size, off_t off)
{
	(void)ctx;
	struct dhandle *dh = h->priv;
	if (dh->plain)
		return fs_read_bytes(dh->plain->bytes.buf, dh->plain->bytes.len, buf, size, off);
	return fs_read_bytes(h->data.buf, h->data.len, buf, size, off);
}

static int docs_write(struct fs_ctx *ctx, struct fs_handle *h, const char *buf, size_t size,
		      off_t off)
{
	(void)ctx;
	struct dhandle *dh = h->priv;
	if (!h->writer)
		return -EBADF;
	if (dh->plain)
		return fs_editor_write(dh->plain, buf, size, off, h->flags & O_APPEND);
	int ret = fs_write_draft(&h->data, buf, size, (h->flags & O_APPEND) ? (off_t)h->data.len : off);
	if (ret < 0)
		h->sticky_err = ret; /* the draft misses this write: never committed */
	else
		h->wrote = true;
	return ret;
}

/* Commits bytes as document name: it is no longer a created one. */
static int doc_commit(struct fs_ctx *ctx, const struct fs_entry *e, const char *name,
		      const char *bytes, size_t len)
{
	int ret = docs_class(e)->commit(ctx, name, bytes, len);
	if (!ret)
		created_drop(docs_of(ctx, e), name);
	return ret;
}

static int docs_truncate(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
			 off_t size)
{
	struct dhandle *dh = dhandle_of(h);
	struct fs_editor_file *p = dh ? dh->plain : NULL;
	if (!dh && !docs_class(e)->is_doc(e->arg) &&
	    !(p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg)))
		return -ENOENT;
	if (p)
		return fs_editor_truncate(p, size);
	if (dh) {
		/* an O_TRUNC the kernel sends as a truncate (no atomic_o_trunc)
		 * empties an empty draft: not a change by itself */
		bool noop = size == 0 && h->data.len == 0 && (h->flags & O_TRUNC);
		int ret = fs_truncate_draft(&h->data, size);
		if (!ret && !noop)
			h->wrote = true;
		return ret;
	}
	struct sbuf b = SBUF_INIT;
	int ret = docs_class(e)->load(ctx, e->arg, &b);
	if (ret == -ENOENT && created_of(docs_of(ctx, e), e->arg))
		ret = 0;
	if (!ret)
		ret = fs_truncate_draft(&b, size);
	if (!ret)
		ret = doc_commit(ctx, e, e->arg, b.buf, b.len);
	sbuf_release(&b);
	return ret;
}

static int docs_sync(struct fs_ctx *ctx, struct fs_handle *h, int datasync)
{
	(void)datasync;
	struct dhandle *dh = h->priv;
	if (dh->plain)
		return 0;
	if (h->writer && h->wrote && h->sticky_err != -EFBIG) {
		h->sticky_err = doc_commit(ctx, &h->entry, h->entry.arg, h->data.buf, h->data.len);
		h->wrote = false;
	}
	return h->sticky_err;
}

static void docs_release_handle(struct fs_ctx *ctx, struct fs_handle *h)
{
	struct dhandle *dh = h->priv;
	if (!dh)
		return;
	if (dh->plain) {
		fs_editor_put(dh->plain);
	} else if (dh->on_created && docs_of(ctx, &h->entry)) {
		struct fs_docs *d = docs_of(ctx, &h->entry);
		unsigned *opens = created_of(d, h->entry.arg);
		if (opens && --*opens == 0)
			created_drop(d, h->entry.arg);
	}
	free(dh);
	h->priv = NULL;
}

static int docs_unlink(struct fs_ctx *ctx, const struct fs_entry *e)
{
	struct fs_docs *d = docs_of(ctx, e);
	if (docs_class(e)->is_doc(e->arg)) {
		int ret = docs_class(e)->remove(ctx, e->arg);
		if (created_of(d, e->arg)) {
			created_drop(d, e->arg);
			ret = ret == -ENOENT ? 0 : ret;
		}
		return ret;
	}
	struct fs_editor_file *p = fs_editor_find(&d->editors, e->arg);
	if (!p)
		return -ENOENT;
	fs_editor_unlink(&d->editors, p);
	return 0;
}

/* The bytes of from (a document or an editor file) onto document tname;
 * from is gone once they are committed. */
static int rename_onto_doc(struct fs_ctx *ctx, const struct fs_entry *from,
			   struct fs_editor_file *fp, const struct fs_entry *to)
{
	struct sbuf b = SBUF_INIT;
	int ret = fp ? fs_editor_bytes(fp, &b) : docs_class(from)->load(ctx, from->arg, &b);
	if (ret == -ENOENT && !fp && created_of(docs_of(ctx, from), from->arg))
		ret = 0;
	if (!ret)
		ret = doc_commit(ctx, to, to->arg, b.buf, b.len);
	sbuf_release(&b);
	if (ret)
		return ret;
	if (fp) {
		fs_editor_unlink(&docs_of(ctx, from)->editors, fp);
		return 0;
	}
	return docs_unlink(ctx, from);
}

/* Document from onto an editor name (vim's backup): the document is
 * removed, its bytes are the editor file's. */
static int rename_doc_away(struct fs_ctx *ctx, const struct fs_entry *from,
			   const struct fs_entry *to)
{
	struct fs_docs *d = docs_of(ctx, to);
	struct fs_editor_file *tp = fs_editor_find(&d->editors, to->arg);
	struct fs_editor_file *np = fs_editor_new(&d->editors, to->arg, 0644);
	int ret;
	if (!np)
		return -ENOMEM;
	ret = docs_class(from)->load(ctx, from->arg, &np->bytes);
	if (ret == -ENOENT && created_of(d, from->arg))
		ret = 0;
	if (!ret)
		ret = docs_unlink(ctx, from);
	if (ret) {
		fs_editor_unlink(&d->editors, np);
		return ret;
	}
	if (tp)
		fs_editor_unlink(&d->editors, tp);
	return 0;
}

static int docs_rename(struct fs_ctx *ctx, const struct fs_entry *from, const struct fs_entry *to,
		       unsigned int flags)
{
	struct fs_docs *d = docs_of(ctx, from);
	bool fdoc = docs_class(from)->is_doc(from->arg), tdoc = docs_class(to)->is_doc(to->arg);
	struct fs_editor_file *fp = fdoc ? NULL : fs_editor_find(&d->editors, from->arg);
	size_t size;
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (fdoc ? doc_exists(ctx, from, &size) : !fp)
		return -ENOENT;
	if (!strcmp(from->arg, to->arg))
		return 0;
	if ((flags & RENAME_NOREPLACE) &&
	    (tdoc ? !doc_exists(ctx, to, &size) : fs_editor_find(&d->editors, to->arg) != NULL))
		return -EEXIST;
	if (strlen(to->arg) > NAME_MAX)
		return -ENAMETOOLONG;
	if (fp && fp->symlink && tdoc)
		return -EINVAL;
	if (tdoc)
		return rename_onto_doc(ctx, from, fp, to);
	if (fp)
		return fs_editor_rename(&d->editors, fp, to->arg);
	return rename_doc_away(ctx, from, to);
}

static int docs_symlink(struct fs_ctx *ctx, const char *target, const struct fs_entry *e)
{
	struct fs_docs *d = docs_of(ctx, e);
	if (docs_class(e)->is_doc(e->arg))
		return -EPERM; /* a document is a regular file */
	if (strlen(e->arg) > NAME_MAX)
		return fs_editor_find(&d->editors, e->arg) ? -EEXIST : -ENAMETOOLONG;
	return fs_editor_symlink(&d->editors, e->arg, target);
}

static int docs_readlink(struct fs_ctx *ctx, const struct fs_entry *e, char *buf, size_t size)
{
	struct fs_editor_file *p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg);
	return p ? fs_editor_readlink(p, buf, size) : -ENOENT;
}

/* Editors copy permissions and times onto what they save: on a document
 * both succeed (and change nothing); an editor file keeps them. */
static int docs_chmod(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode)
{
	size_t size;
	if (docs_class(e)->is_doc(e->arg))
		return doc_exists(ctx, e, &size);
	struct fs_editor_file *p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg);
	if (!p)
		return -ENOENT;
	fs_editor_chmod(p, mode);
	return 0;
}

static int docs_utimens(struct fs_ctx *ctx, const struct fs_entry *e, const struct timespec tv[2])
{
	size_t size;
	struct timespec now[2];
	if (docs_class(e)->is_doc(e->arg))
		return doc_exists(ctx, e, &size);
	struct fs_editor_file *p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg);
	if (!p)
		return -ENOENT;
	if (!tv) {
		fs_now(&now[0]);
		now[1] = now[0];
		tv = now;
	}
	fs_editor_set_time(&p->mtime, &tv[1]);
	return 0;
}

static int docs_bytes(struct fs_ctx *ctx, const struct fs_entry *e, struct sbuf *out)
{
	if (docs_class(e)->is_doc(e->arg))
		return docs_class(e)->load(ctx, e->arg, out);
	struct fs_editor_file *p = fs_editor_find(&docs_of(ctx, e)->editors, e->arg);
	return p ? fs_editor_bytes(p, out) : -ENOENT;
}

const struct fs_node_ops fs_docs_ops = {
	.getattr = docs_getattr,
	.open = docs_open,
	.create = docs_create,
	.read = docs_read,
	.write = docs_write,
	.truncate = docs_truncate,
	.sync = docs_sync,
	.release = docs_release_handle,
	.unlink = docs_unlink,
	.rename = docs_rename,
	.symlink = docs_symlink,
	.readlink = docs_readlink,
	.chmod = docs_chmod,
	.utimens = docs_utimens,
	.bytes = docs_bytes,
};
