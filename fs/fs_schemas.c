/*
 * fs_schemas: schemas/ (SPEC §3), and the rows of the mount's root.
 *
 * Names. "<name>.yaml" whose first character is neither '.' nor '#' is a
 * schema file; every other name is an editor file (fs_editor.c).
 *
 * Schema files. A handle opened for writing edits its own draft; only a
 * flush or fsync of a handle that wrote since its last commit commits the
 * draft: validated (reg_schema_from_bytes), made durable in the store,
 * then registered (fs_save). A refused commit returns EINVAL, records the
 * reason in the store (validation shows it) and fails every later flush of
 * that handle too (emacs ignores fsync's error but not close's). A rename
 * of any file onto <name>.yaml commits that file's bytes the same way.
 *
 * No lost update: a commit is based on the revision the handle opened (a
 * renamed editor file: the revision current when it was last written).
 * When another process changed the schema since, the commit fails with
 * EBUSY and validation names the newer revision (docs/mount.md).
 *
 * Nothing is lost when a save is refused, whatever the tool does first.
 * When x.yaml leaves the directory -- unlink (install, mv from another
 * filesystem) or a rename to a non-schema name (vim's backup x.yaml~) --
 * x is unregistered at once, from the views and from the store (so that a
 * plan or an apply started right after it never sees x), but its revision
 * is kept for FS_FALLBACK_GRACE seconds, as a fallback:
 *  - if x.yaml is created again and every handle on it closes without a
 *    successful commit, x comes back as it was;
 *  - vim's rename of its backup onto x.yaml after a refused save brings x
 *    back without a new revision, and the refusal stays in validation;
 *  - a valid new x.yaml simply becomes the next revision;
 *  - otherwise, when the grace period ends (or the renamed file is
 *    removed), the fallback is forgotten; x's history stays.
 * Bringing x back makes its revision current again in the store (unless
 * another process registered x meanwhile). A crash during the grace period
 * leaves x unregistered, as the unlink said.
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <unistd.h>

#include "validate.h"


/* Per handle on schemas/ (h->priv). */
struct shandle {
	struct fs_editor_file *plain; /* an editor file, or NULL */
	char *name;             /* the schema's name */
	bool on_created;
	int64_t base;           /* the revision the handle's bytes come from */
};

static void sfile_free(void *v)
{
	struct fs_sfile *f = v;
	reg_schema_free(f->fallback);
	free(f->name);
	free(f);
}

int fs_schemas_new(struct fs_schemas **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	strmap_init(&(*out)->files);
	strlist_init(&(*out)->inval);
	return 0;
}

void fs_schemas_free(struct fs_schemas *s)
{
	if (!s)
		return;
	fs_editor_release(&s->plains);
	fs_editor_release(&s->root_plains);
	strmap_release(&s->files, sfile_free);
	strlist_release(&s->inval);
	regstore_free(s->rs);
	free(s);
}

/* ---- names ---- */

bool fs_schema_name(const char *file, char *buf, size_t size)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".yaml") || file[0] == '.' || file[0] == '#')
		return false;
	if (len - 5 >= size)
		return false;
	memcpy(buf, file, len - 5);
	buf[len - 5] = '\0';
	return true;
}

/* The ops serve two directories: schemas/ and the mount's root, where
 * every name that is not a route of its own is an editor file (sed -i's
 * temporary and vim's and emacs's backups of registry.yaml). */
static bool in_root(const struct fs_entry *e)
{
	return strncmp(e->path, "/schemas/", 9) != 0;
}

static struct fs_editor_dir *plains_of(struct fs_ctx *ctx, const struct fs_entry *e)
{
	return in_root(e) ? &ctx->schemas->root_plains : &ctx->schemas->plains;
}

static struct fs_editor_file *plain_of(struct fs_ctx *ctx, const struct fs_entry *e)
{
	return fs_editor_find(plains_of(ctx, e), e->arg);
}

/* fs_schema_name() of a file in schemas/; nothing at the root is a schema. */
static bool entry_schema(const struct fs_entry *e, char *buf, size_t size)
{
	return !in_root(e) && fs_schema_name(e->arg, buf, size);
}

struct fs_sfile *fs_sfile_find(struct fs_schemas *s, const char *name)
{
	return strmap_get_s(&s->files, name);
}

struct fs_sfile *fs_sfile_get(struct fs_schemas *s, const char *name)
{
	struct fs_sfile *f = fs_sfile_find(s, name);
	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(name)) || strmap_put_s(&s->files, name, f, NULL)) {
		if (f)
			free(f->name);
		free(f);
		return NULL;
	}
	f->mode = 0644;
	fs_now(&f->mtime);
	return f;
}

static bool registered(struct fs_ctx *ctx, const char *name)
{
	return reg_find(ctx->reg, name) >= 0;
}

static bool visible(struct fs_ctx *ctx, const char *name)
{
	if (registered(ctx, name))
		return true;
	struct fs_sfile *f = fs_sfile_find(ctx->schemas, name);
	return f && f->created;
}

/* The revision the mount shows of name (0: none). */
static int64_t head_of(struct fs_ctx *ctx, const char *name)
{
	int64_t id = 0;
	regstore_head(ctx->schemas->rs, name, &id, NULL);
	return id;
}

static void created_clear(struct fs_ctx *ctx, struct fs_sfile *f)
{
	if (f->created) {
		f->created = false;
		ctx->schemas->ncreated--;
	}
}

/* ---- fallbacks ---- */

static void pending_add(struct fs_schemas *s, struct fs_sfile *f)
{
	if (f->pending)
		return;
	f->pending = true;
	f->next_pending = s->pending;
	s->pending = f;
}

static void pending_remove(struct fs_schemas *s, struct fs_sfile *f)
{
	if (!f->pending)
		return;
	for (struct fs_sfile **pp = &s->pending; *pp; pp = &(*pp)->next_pending)
		if (*pp == f) {
			*pp = f->next_pending;
			break;
		}
	f->pending = false;
}

/* The fallback will not come back (the store unregistered it already). */
static void fallback_drop(struct fs_ctx *ctx, struct fs_sfile *f)
{
	reg_schema_free(f->fallback);
	f->fallback = NULL;
	f->fallback_rev = 0;
	pending_remove(ctx->schemas, f);
}

static void fallback_set(struct fs_ctx *ctx, struct fs_sfile *f, struct reg_schema *s,
			 int64_t rev)
{
	if (f->fallback)
		fallback_drop(ctx, f);
	f->fallback = s;
	f->fallback_rev = rev;
	f->fallback_until = time(NULL) + FS_FALLBACK_GRACE;
	pending_add(ctx->schemas, f);
}

void fs_schemas_expire(struct fs_ctx *ctx)
{
	time_t now = time(NULL);
	struct fs_sfile *f = ctx->schemas->pending, *next;
	for (; f; f = next) {
		next = f->next_pending;
		if (f->fallback_until < now && !f->created_opens)
			fallback_drop(ctx, f);
	}
}

void fs_schemas_settle(struct fs_ctx *ctx)
{
	while (ctx->schemas && ctx->schemas->pending)
		fallback_drop(ctx, ctx->schemas->pending);
}

/* Every handle on a re-created x.yaml closed without a commit: x comes
 * back as it was, unless another process registered x meanwhile. */
static void fallback_restore(struct fs_ctx *ctx, struct fs_sfile *f)
{
	if (!f->fallback || !f->fallback_rev || registered(ctx, f->name))
		return;
	int rc = fs_store_check(ctx);
	if (!rc)
		rc = regstore_restore(ctx->schemas->rs, f->name, f->fallback_rev);
	if (rc) {
		if (rc != REG_EEXIST && rc != -EIO)
			fs_logl(FS_LOG_ERROR, "schemas/%s.yaml: cannot bring back revision %lld: %s", f->name,
			       (long long)f->fallback_rev, store_errmsg(ctx->store));
		fallback_drop(ctx, f);
		return;
	}
	struct reg_schema *s = f->fallback;
	f->fallback = NULL;
	f->fallback_rev = 0;
	pending_remove(ctx->schemas, f);
	reg_register(ctx->reg, s);
	fs_views_touched(ctx, f->name);
	fs_changed(ctx);
}

/* ---- commits ---- */

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return a && alen == blen && !memcmp(a, b, blen);
}

/* Validates bytes as schemas/<name>.yaml and makes them its current
 * revision, durably, unless another process replaced revision base.
 * Caller holds the lock. */
static int commit_schema(struct fs_ctx *ctx, const char *name, const char *bytes, size_t len,
			 int64_t base)
{
	struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
	if (!f)
		return -ENOMEM;
	const struct reg_schema *cur = reg_get(ctx->reg, name);
	/* Putting the stored bytes back is not a new save: editors do it after
	 * a refused one (vim and emacs rename their backup back, vim with
	 * backupcopy=yes copies it back), and the refusal must stay visible. */
	bool same = cur && same_bytes(cur->source, cur->source_len, bytes, len);
	bool back = !cur && f->fallback && f->fallback_rev &&
		    same_bytes(f->fallback->source, f->fallback->source_len, bytes, len);
	struct regstore_save sv = { .name = name, .bytes = bytes, .len = len,
				    .put_back = same || back, .no_register = same,
				    .restore = back ? f->fallback_rev : 0,
				    .check_base = true, .base = base };
	int ret = fs_save(ctx, &sv, &f->refused);
	if (ret)
		return ret;
	if (!sv.no_register) {
		fs_views_touched(ctx, name);
		fs_changed(ctx);
	}
	created_clear(ctx, f);
	fallback_drop(ctx, f);
	fs_now(&f->mtime);
	return 0;
}

/* x.yaml leaves the directory (rm, or renamed to a non-schema name): x is
 * unregistered in the store now, and kept as a fallback. */
static int schema_leave(struct fs_ctx *ctx, const char *name)
{
	struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
	if (!f)
		return -ENOMEM;
	if (!registered(ctx, name)) {
		created_clear(ctx, f);
		return 0;
	}
	int64_t rev = head_of(ctx, name);
	int ret = fs_store_check(ctx);
	if (ret)
		return ret;
	struct reg_schema *copy = reg_schema_dup(reg_get(ctx->reg, name));
	if (!copy)
		return -ENOMEM;
	int rc = regstore_delete(ctx->schemas->rs, name);
	if (rc && rc != REG_ENOENT) {
		reg_schema_free(copy);
		fs_logl(FS_LOG_ERROR, "schemas/%s.yaml: cannot unregister: %s", name, store_errmsg(ctx->store));
		return rc == REG_ENOMEM ? -ENOMEM : -EIO;
	}
	reg_unregister(ctx->reg, name);
	fs_views_touched(ctx, name);
	fallback_set(ctx, f, copy, rev);
	fs_changed(ctx);
	return 0;
}

/* ---- the handlers ---- */

static int current_bytes(struct fs_ctx *ctx, const char *name, struct sbuf *out)
{
	const struct reg_schema *s = reg_get(ctx->reg, name);
	if (!s)
		return 0; /* a created file: empty until committed */
	return sbuf_add(out, s->source, s->source_len) ? -ENOMEM : 0;
}

static struct fs_editor_file *handle_plain(struct fs_handle *h)
{
	return h && h->priv ? ((struct shandle *)h->priv)->plain : NULL;
}

static int s_getattr(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
		     struct stat *st)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	fs_editor_stat_base(ctx, st);
	if (entry_schema(e, name, sizeof(name))) {
		struct shandle *sh = h ? h->priv : NULL;
		const struct reg_schema *s = reg_get(ctx->reg, name);
		struct fs_sfile *f = fs_sfile_find(ctx->schemas, name);
		if (sh && !sh->plain && h->writer)
			st->st_size = (off_t)h->data.len;
		else if (s)
			st->st_size = (off_t)s->source_len;
		else if (!(f && f->created) && !sh)
			return -ENOENT;
		st->st_mode = S_IFREG | (f ? f->mode : 0644);
		st->st_mtim = st->st_ctim = st->st_atim = f ? f->mtime : ctx->mounted_at;
	} else {
		struct fs_editor_file *p = handle_plain(h);
		if (!p)
			p = plain_of(ctx, e);
		if (!p)
			return -ENOENT;
		fs_editor_stat(p, st);
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

static int list_schemas(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	char buf[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	for (size_t i = 0; i < ctx->reg->n; i++) {
		snprintf(buf, sizeof(buf), "%s.yaml", ctx->reg->schemas[i]->name);
		if (fs_dir_add(dir, buf, S_IFREG | 0644))
			return -ENOMEM;
	}
	if (ctx->schemas->ncreated)
		for (struct strmap_entry *e = NULL; (e = strmap_next(&ctx->schemas->files, e));) {
			struct fs_sfile *f = e->value;
			if (f->created && !registered(ctx, f->name)) {
				snprintf(buf, sizeof(buf), "%s.yaml", f->name);
				if (fs_dir_add(dir, buf, S_IFREG | 0644))
					return -ENOMEM;
			}
		}
	return fs_editor_list(&ctx->schemas->plains, dir);
}

static int list_root(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	return fs_editor_list(&ctx->schemas->root_plains, dir);
}

static struct shandle *shandle_new(const char *name)
{
	struct shandle *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	if (name && !(sh->name = strdup(name))) {
		free(sh);
		return NULL;
	}
	return sh;
}

static int open_schema(struct fs_ctx *ctx, const char *name, int flags, struct fs_handle *h)
{
	struct shandle *sh = shandle_new(name);
	int ret = 0;
	if (!sh)
		return -ENOMEM;
	if (!(h->writer && (flags & O_TRUNC)))
		ret = current_bytes(ctx, name, &h->data);
	if (ret) {
		free(sh->name);
		free(sh);
		return ret;
	}
	sh->base = head_of(ctx, name);
	if (!registered(ctx, name)) {
		struct fs_sfile *f = fs_sfile_find(ctx->schemas, name);
		if (f && f->created) {
			sh->on_created = true;
			f->created_opens++;
		}
	}
	h->priv = sh;
	return 0;
}

static int open_plain(struct fs_ctx *ctx, struct fs_editor_file *p, int flags,
		      struct fs_handle *h)
{
	struct shandle *sh = shandle_new(NULL);
	if (!sh)
		return -ENOMEM;
	int ret = fs_editor_open(p, flags, h->writer);
	if (ret) {
		free(sh);
		return ret;
	}
	if (h->writer && (flags & O_TRUNC))
		p->written = ctx->schemas->syncs;
	sh->plain = p;
	h->priv = sh;
	return 0;
}

static int s_open(struct fs_ctx *ctx, const struct fs_entry *e, int flags, struct fs_handle *h)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	if (entry_schema(e, name, sizeof(name)))
		return visible(ctx, name) ? open_schema(ctx, name, flags, h) : -ENOENT;
	struct fs_editor_file *p = plain_of(ctx, e);
	return p ? open_plain(ctx, p, flags, h) : -ENOENT;
}

/* No content can make "Users.yaml" or "$x.yaml" a schema: such a file is
 * refused when it is made, rather than leaving a refusal in validation
 * that nothing could ever clear. */
static bool name_may_hold_schema(const char *file)
{
	const char *why = NULL;
	if (reg_validate_file_name(file, &why))
		return true;
	fs_log("schemas/%s: not created: %s", file, why ? why : "not a table name");
	return false;
}

static int s_create(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode, int flags,
		    struct fs_handle *h)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	if (strlen(e->arg) > NAME_MAX)
		return -ENAMETOOLONG;
	if (entry_schema(e, name, sizeof(name))) {
		if (visible(ctx, name))
			return (flags & O_EXCL) ? -EEXIST : open_schema(ctx, name, flags, h);
		if (!name_may_hold_schema(e->arg))
			return -EINVAL;
		struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		f->created = true;
		ctx->schemas->ncreated++;
		f->mode = mode & 07777;
		fs_now(&f->mtime);
		return open_schema(ctx, name, flags | O_TRUNC, h);
	}
	struct fs_editor_file *p = plain_of(ctx, e);
	if (p)
		return (flags & O_EXCL) ? -EEXIST : open_plain(ctx, p, flags, h);
	p = fs_editor_new(plains_of(ctx, e), e->arg, mode);
	if (!p)
		return -ENOMEM;
	p->written = ctx->schemas->syncs;
	return open_plain(ctx, p, flags, h);
}

static int s_read(struct fs_ctx *ctx, struct fs_handle *h, char *buf, size_t size, off_t off)
{
	(void)ctx;
	struct shandle *sh = h->priv;
	if (sh->plain)
		return fs_read_bytes(sh->plain->bytes.buf, sh->plain->bytes.len, buf, size, off);
	return fs_read_bytes(h->data.buf, h->data.len, buf, size, off);
}

static int s_write(struct fs_ctx *ctx, struct fs_handle *h, const char *buf, size_t size,
		   off_t off)
{
	struct shandle *sh = h->priv;
	if (!h->writer)
		return -EBADF;
	if (sh->plain) {
		int ret = fs_editor_write(sh->plain, buf, size, off, h->flags & O_APPEND);
		if (ret >= 0)
			sh->plain->written = ctx->schemas->syncs;
		return ret;
	}
	if (h->flags & O_APPEND)
		off = (off_t)h->data.len;
	int ret = fs_write_draft(&h->data, buf, size, off);
	if (ret < 0) {
		/* the draft misses this write: it must never be committed */
		h->sticky_err = ret;
		return ret;
	}
	h->wrote = true;
	return ret;
}

static int s_truncate(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
		      off_t size)
{
	char name[NAME_MAX + 1];
	struct shandle *sh = h ? h->priv : NULL;
	struct fs_editor_file *p = sh ? sh->plain : NULL;
	int ret;
	if (!sh && !entry_schema(e, name, sizeof(name)) && !(p = plain_of(ctx, e)))
		return -ENOENT;
	if (p) {
		p->written = ctx->schemas->syncs;
		return fs_editor_truncate(p, size);
	}
	if (sh) {
		/* an O_TRUNC the kernel sends as a truncate (no atomic_o_trunc)
		 * empties an empty draft: not a change by itself */
		bool noop = size == 0 && h->data.len == 0 && (h->flags & O_TRUNC);
		ret = fs_truncate_draft(&h->data, size);
		if (!ret && !noop)
			h->wrote = true;
		return ret;
	}
	if (!visible(ctx, name))
		return -ENOENT;
	struct sbuf b = SBUF_INIT;
	ret = current_bytes(ctx, name, &b);
	if (!ret)
		ret = fs_truncate_draft(&b, size);
	if (!ret)
		ret = commit_schema(ctx, name, b.buf, b.len, head_of(ctx, name));
	sbuf_release(&b);
	return ret;
}

static int s_sync(struct fs_ctx *ctx, struct fs_handle *h, int datasync)
{
	(void)datasync;
	struct shandle *sh = h->priv;
	if (sh->plain)
		return 0;
	if (h->writer && h->wrote && h->sticky_err != -EFBIG) {
		h->sticky_err = commit_schema(ctx, sh->name, h->data.buf, h->data.len, sh->base);
		h->wrote = false;
		/* the next commit of this handle follows its own */
		if (!h->sticky_err)
			sh->base = head_of(ctx, sh->name);
	}
	return h->sticky_err;
}

static void s_release(struct fs_ctx *ctx, struct fs_handle *h)
{
	struct shandle *sh = h->priv;
	if (!sh)
		return;
	if (sh->plain) {
		fs_editor_put(sh->plain);
	} else if (sh->on_created) {
		struct fs_sfile *f = fs_sfile_find(ctx->schemas, sh->name);
		if (f && f->created_opens && --f->created_opens == 0 && !registered(ctx, sh->name)) {
			created_clear(ctx, f);
			fallback_restore(ctx, f);
			/* the kernel keeps the entry CREATE made: a save right
			 * after this one would find it and fail (ENOENT). RELEASE
			 * is asynchronous to close(), so an open that follows
			 * within microseconds can still win this race */
			if (!registered(ctx, sh->name) && !strlist_push(&ctx->schemas->inval, "/"))
				fs_ticker_wake(ctx);
		}
	}
	free(sh->name);
	free(sh);
	h->priv = NULL;
}

static int s_unlink(struct fs_ctx *ctx, const struct fs_entry *e)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	if (entry_schema(e, name, sizeof(name))) {
		if (!visible(ctx, name))
			return -ENOENT;
		return schema_leave(ctx, name);
	}
	struct fs_editor_file *p = plain_of(ctx, e);
	if (!p)
		return -ENOENT;
	if (p->came_from) {
		/* `mv x.yaml x.bak; rm x.bak`: x is gone for good */
		struct fs_sfile *f = fs_sfile_find(ctx->schemas, p->came_from);
		if (f && f->fallback && !f->created_opens)
			fallback_drop(ctx, f);
	}
	fs_editor_unlink(plains_of(ctx, e), p);
	return 0;
}

/* The revision a rename of the editor file p onto schemas/<name>.yaml is
 * based on: the current one, unless another process changed name after p
 * was last written (then p's bytes are based on an older one). */
static int rename_base(struct fs_ctx *ctx, const struct fs_editor_file *p, const char *name,
		       int64_t *base)
{
	struct fs_sfile *f = fs_sfile_find(ctx->schemas, name);
	*base = head_of(ctx, name);
	if (!p || !f || f->synced <= p->written)
		return 0;
	struct diags d = DIAGS_INIT;
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	diags_add(&d, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
		  "not saved: another process saved revision %lld after this file was "
		  "written; read schemas/%s.yaml again", (long long)*base, name);
	fs_refuse(ctx, file, &d);
	fs_log("%s: refused: based on a revision older than %lld", file, (long long)*base);
	diags_release(&d);
	f->refused = true;
	return -EBUSY;
}

/* Rename onto schemas/<tname>.yaml: the renamed file's bytes are saved. */
static int rename_onto_schema(struct fs_ctx *ctx, const struct fs_entry *from,
			      struct fs_editor_file *fp, const char *fname, const char *tname)
{
	struct sbuf b = SBUF_INIT;
	int64_t base = 0;
	int ret;
	if (fp && fp->symlink)
		return -EINVAL;
	if (fp)
		ret = fs_editor_bytes(fp, &b);
	else
		ret = current_bytes(ctx, fname, &b);
	if (!ret)
		ret = rename_base(ctx, fp, tname, &base);
	if (!ret)
		ret = commit_schema(ctx, tname, b.buf, b.len, base);
	sbuf_release(&b);
	if (ret)
		return ret;
	if (fp)
		fs_editor_unlink(plains_of(ctx, from), fp);
	else
		ret = schema_leave(ctx, fname);
	return ret;
}

/* Rename of schemas/<fname>.yaml onto an editor file's name (vim's backup). */
static int rename_schema_away(struct fs_ctx *ctx, const struct fs_entry *to,
			      struct fs_editor_file *tp, const char *fname)
{
	struct fs_sfile *f = fs_sfile_get(ctx->schemas, fname);
	if (!f)
		return -ENOMEM;
	struct fs_editor_file *np = fs_editor_new(plains_of(ctx, to), to->arg, f->mode);
	int ret;
	if (!np)
		return -ENOMEM;
	if (tp)
		fs_editor_unlink(plains_of(ctx, to), tp);
	np->mtime = f->mtime;
	np->written = ctx->schemas->syncs;
	if ((ret = current_bytes(ctx, fname, &np->bytes)) ||
	    !(np->came_from = strdup(fname))) {
		fs_editor_unlink(plains_of(ctx, to), np);
		return ret ? ret : -ENOMEM;
	}
	return schema_leave(ctx, fname);
}

static int s_rename(struct fs_ctx *ctx, const struct fs_entry *from, const struct fs_entry *to,
		    unsigned int flags)
{
	char fname[NAME_MAX + 1], tname[NAME_MAX + 1];
	bool fschema = entry_schema(from, fname, sizeof(fname));
	bool tschema = entry_schema(to, tname, sizeof(tname));
	struct fs_editor_file *fp = fschema ? NULL : plain_of(ctx, from);
	struct fs_editor_file *tp = tschema ? NULL : plain_of(ctx, to);

	fs_schemas_expire(ctx);
	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (fschema ? !visible(ctx, fname) : !fp)
		return -ENOENT;
	if (!strcmp(from->arg, to->arg))
		return 0;
	if ((flags & RENAME_NOREPLACE) && (tschema ? visible(ctx, tname) : tp != NULL))
		return -EEXIST;
	if (strlen(to->arg) > NAME_MAX)
		return -ENAMETOOLONG;
	if (tschema && !visible(ctx, tname) && !name_may_hold_schema(to->arg))
		return -EINVAL;
	if (tschema)
		return rename_onto_schema(ctx, from, fp, fname, tname);
	if (fp)
		return fs_editor_rename(plains_of(ctx, to), fp, to->arg);
	return rename_schema_away(ctx, to, tp, fname);
}

static int s_symlink(struct fs_ctx *ctx, const char *target, const struct fs_entry *e)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name)))
		return -EPERM; /* a schema is a regular file */
	if (strlen(e->arg) > NAME_MAX)
		return plain_of(ctx, e) ? -EEXIST : -ENAMETOOLONG;
	return fs_editor_symlink(plains_of(ctx, e), e->arg, target);
}

static int s_readlink(struct fs_ctx *ctx, const struct fs_entry *e, char *buf, size_t size)
{
	struct fs_editor_file *p = plain_of(ctx, e);
	return p ? fs_editor_readlink(p, buf, size) : -ENOENT;
}

static int s_chmod(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name))) {
		if (!visible(ctx, name))
			return -ENOENT;
		struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		f->mode = mode & 07777;
		return 0;
	}
	struct fs_editor_file *p = plain_of(ctx, e);
	if (!p)
		return -ENOENT;
	fs_editor_chmod(p, mode);
	return 0;
}

static int s_utimens(struct fs_ctx *ctx, const struct fs_entry *e, const struct timespec tv[2])
{
	char name[NAME_MAX + 1];
	struct timespec now[2];
	if (!tv) {
		fs_now(&now[0]);
		now[1] = now[0];
		tv = now;
	}
	if (entry_schema(e, name, sizeof(name))) {
		if (!visible(ctx, name))
			return -ENOENT;
		struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		fs_editor_set_time(&f->mtime, &tv[1]);
		return 0;
	}
	struct fs_editor_file *p = plain_of(ctx, e);
	if (!p)
		return -ENOENT;
	fs_editor_set_time(&p->mtime, &tv[1]);
	return 0;
}

static int s_bytes(struct fs_ctx *ctx, const struct fs_entry *e, struct sbuf *out)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name)))
		return visible(ctx, name) ? current_bytes(ctx, name, out) : -ENOENT;
	struct fs_editor_file *p = plain_of(ctx, e);
	return p ? fs_editor_bytes(p, out) : -ENOENT;
}

static const struct fs_node_ops schemas_ops = {
	.getattr = s_getattr,
	.open = s_open,
	.create = s_create,
	.read = s_read,
	.write = s_write,
	.truncate = s_truncate,
	.sync = s_sync,
	.release = s_release,
	.unlink = s_unlink,
	.rename = s_rename,
	.symlink = s_symlink,
	.readlink = s_readlink,
	.chmod = s_chmod,
	.utimens = s_utimens,
	.bytes = s_bytes,
};

const struct fs_route fs_schemas_routes[] = {
	FS_DIR("/", list_root),
	FS_TEXT("/registry.yaml", fs_meta_load, fs_meta_commit, NULL, FS_TEXT_NO_CREATE),
	FS_DIR("/schemas", list_schemas),
	FS_CUSTOM("/schemas/*", &schemas_ops),
	/* any other name in the root: an editor file (sed -i registry.yaml) */
	FS_CUSTOM("/*", &schemas_ops),
};
const size_t fs_schemas_nroutes = sizeof(fs_schemas_routes) / sizeof(fs_schemas_routes[0]);
