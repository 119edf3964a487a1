/*
 * fs_schemas: schemas/ (SPEC §3) and registry.yaml.
 *
 * Names. "<name>.yaml" whose first character is neither '.' nor '#' is a
 * schema file; every other name (4913, .x.yaml.swp, x.yaml~, sedXXXXXX,
 * .#x.yaml, #x.yaml#) is an editor file: a plain file kept in memory that
 * is never registered. Symlinks are always editor files (emacs's lock).
 *
 * Schema files. A handle opened for writing edits its own draft; only a
 * flush or fsync of a handle that wrote since its last commit commits the
 * draft: validated (reg_schema_from_bytes), made durable in the store,
 * then registered. A refused commit returns EINVAL, records the reason in
 * the store (validation shows it) and fails every later flush of that
 * handle too (emacs ignores fsync's error but not close's). A rename of any
 * file onto <name>.yaml commits that file's bytes the same way.
 *
 * Nothing is lost when a save is refused, whatever the tool does first.
 * When x.yaml leaves the directory -- unlink (install, mv from another
 * filesystem) or a rename to a non-schema name (vim's backup x.yaml~) --
 * x is unregistered from the views at once, but stays current in the
 * store for FS_FALLBACK_GRACE seconds, as a fallback:
 *  - if x.yaml is created again and every handle on it closes without a
 *    successful commit, x comes back as it was;
 *  - vim's rename of its backup onto x.yaml after a refused save brings x
 *    back without a new revision, and the refusal stays in validation;
 *  - a valid new x.yaml simply becomes the next revision;
 *  - otherwise, when the grace period ends (or the renamed file is
 *    removed), x is deleted from the store; its history stays.
 * A crash during the grace period leaves x as it was before.
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <unistd.h>

#include "regstore.h"

/* An editor file: bytes in memory, shared by its open handles. */
struct plain {
	char *name;
	bool symlink;
	struct sbuf bytes;      /* content, or the link target */
	mode_t mode;            /* permission bits */
	struct timespec mtime;
	unsigned refs;          /* the directory's + one per handle */
	bool linked;
	char *came_from;        /* a schema renamed to this name, or NULL */
	struct plain *next;
};

/* schemas/<name>.yaml beyond what the registry says. */
struct sfile {
	char *name;             /* without .yaml */
	mode_t mode;
	struct timespec mtime;
	bool created;           /* created, never committed: an empty file */
	unsigned created_opens; /* handles on the created file */
	bool refused;           /* the store holds a refusal for it */
	struct reg_schema *fallback;
	bool fallback_in_store; /* still current in the store */
	time_t fallback_until;
	struct sfile *next;     /* hash chain */
	struct sfile *next_pending; /* list of sfiles holding a fallback */
	bool pending;
};

#define SFILE_BUCKETS 16384

struct fs_schemas {
	struct plain *plains;      /* editor files in schemas/ */
	struct plain *root_plains; /* editor files in the mount's root */
	struct sfile *buckets[SFILE_BUCKETS];
	struct sfile *pending;
	size_t ncreated;
	bool meta_refused;
	struct regstore *rs;       /* ctx->reg as loaded from ctx->store */
};

/* Per handle on schemas/ (h->priv). */
struct shandle {
	struct plain *plain;    /* an editor file, or NULL */
	char *name;             /* the schema's name */
	bool on_created;
};

int fs_schemas_new(struct fs_schemas **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void plain_put(struct plain *p)
{
	if (p && --p->refs == 0) {
		sbuf_release(&p->bytes);
		free(p->came_from);
		free(p->name);
		free(p);
	}
}

void fs_schemas_free(struct fs_schemas *s)
{
	if (!s)
		return;
	for (struct plain *p = s->plains, *next; p; p = next) {
		next = p->next;
		plain_put(p);
	}
	for (struct plain *p = s->root_plains, *next; p; p = next) {
		next = p->next;
		plain_put(p);
	}
	for (size_t i = 0; i < SFILE_BUCKETS; i++)
		for (struct sfile *f = s->buckets[i], *next; f; f = next) {
			next = f->next;
			reg_schema_free(f->fallback);
			free(f->name);
			free(f);
		}
	regstore_free(s->rs);
	free(s);
}

/* ---- names ---- */

/* "users.yaml" -> "users" in buf; false for an editor file's name. */
static bool schema_name(const char *file, char *buf, size_t size)
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

static struct plain **plains_of(struct fs_ctx *ctx, const struct fs_entry *e)
{
	return in_root(e) ? &ctx->schemas->root_plains : &ctx->schemas->plains;
}

/* schema_name() of a file in schemas/; nothing at the root is a schema. */
static bool entry_schema(const struct fs_entry *e, char *buf, size_t size)
{
	return !in_root(e) && schema_name(e->arg, buf, size);
}

static size_t name_hash(const char *s)
{
	size_t h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h % SFILE_BUCKETS;
}

static struct sfile *sfile_find(struct fs_schemas *s, const char *name)
{
	for (struct sfile *f = s->buckets[name_hash(name)]; f; f = f->next)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static struct sfile *sfile_get(struct fs_schemas *s, const char *name)
{
	struct sfile *f = sfile_find(s, name);
	if (f)
		return f;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->name = strdup(name))) {
		free(f);
		return NULL;
	}
	f->mode = 0644;
	fs_now(&f->mtime);
	size_t b = name_hash(name);
	f->next = s->buckets[b];
	s->buckets[b] = f;
	return f;
}

static struct plain *plain_find(struct plain **dir, const char *name)
{
	for (struct plain *p = *dir; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

static struct plain *plain_new(struct plain **dir, const char *name, mode_t mode)
{
	struct plain *p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(name))) {
		free(p);
		return NULL;
	}
	sbuf_init(&p->bytes);
	p->mode = mode & 07777;
	fs_now(&p->mtime);
	p->refs = 1;
	p->linked = true;
	p->next = *dir;
	*dir = p;
	return p;
}

static void plain_unlink(struct plain **dir, struct plain *p)
{
	for (struct plain **pp = dir; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->linked = false;
			plain_put(p);
			return;
		}
}

static bool registered(struct fs_ctx *ctx, const char *name)
{
	return reg_find(ctx->reg, name) >= 0;
}

static bool visible(struct fs_ctx *ctx, const char *name)
{
	if (registered(ctx, name))
		return true;
	struct sfile *f = sfile_find(ctx->schemas, name);
	return f && f->created;
}

/* ---- refusals, commits, fallbacks ---- */

void fs_refuse(struct fs_ctx *ctx, const char *file, const struct diags *d)
{
	struct sbuf why = SBUF_INIT;
	if (d->n)
		diag_render(&d->items[0], &why);
	fs_log("%s: save refused: %s", file, d->n ? why.buf : "refused");
	sbuf_release(&why);
	if (regstore_refuse(ctx->schemas->rs, file, d))
		fs_logl(FS_LOG_ERROR, "%s: cannot record refusal: %s", file,
			store_errmsg(ctx->store));
	fs_changed(ctx);
}

/* regstore_save's failure as the save's errno: a store that cannot take
 * the save is an I/O error, logged. */
static int save_failed(struct fs_ctx *ctx, const char *file, int rc)
{
	if (rc == REG_ENOMEM)
		return -ENOMEM;
	fs_logl(FS_LOG_ERROR, "%s: cannot store: %s", file, store_errmsg(ctx->store));
	return -EIO;
}

/* One line per commit: which file, which stored revision. */
static void log_saved(struct fs_ctx *ctx, const char *file, const char *name, bool same)
{
	int64_t rev = 0, at = 0;
	if (same)
		fs_log("%s: saved the stored bytes again: no new revision", file);
	else if (name && regstore_head(ctx->schemas->rs, name, &rev, &at))
		fs_log("%s: saved as revision %lld", file, (long long)rev);
	else
		fs_log("%s: saved", file);
}

static void pending_add(struct fs_schemas *s, struct sfile *f)
{
	if (f->pending)
		return;
	f->pending = true;
	f->next_pending = s->pending;
	s->pending = f;
}

static void pending_remove(struct fs_schemas *s, struct sfile *f)
{
	if (!f->pending)
		return;
	for (struct sfile **pp = &s->pending; *pp; pp = &(*pp)->next_pending)
		if (*pp == f) {
			*pp = f->next_pending;
			break;
		}
	f->pending = false;
}

static void fallback_drop(struct fs_ctx *ctx, struct sfile *f)
{
	reg_schema_free(f->fallback);
	f->fallback = NULL;
	f->fallback_in_store = false;
	pending_remove(ctx->schemas, f);
}

/* The fallback will not come back: a schema renamed away is now deleted
 * from the store too. */
static void fallback_settle(struct fs_ctx *ctx, struct sfile *f)
{
	if (f->fallback && f->fallback_in_store && !registered(ctx, f->name) &&
	    regstore_delete(ctx->schemas->rs, f->name))
		fs_logl(FS_LOG_ERROR, "schemas/%s.yaml: cannot unregister: %s", f->name,
			store_errmsg(ctx->store));
	fallback_drop(ctx, f);
}

static void fallback_set(struct fs_ctx *ctx, struct sfile *f, struct reg_schema *s, bool in_store)
{
	if (f->fallback)
		fallback_drop(ctx, f);
	f->fallback = s;
	f->fallback_in_store = in_store;
	f->fallback_until = time(NULL) + FS_FALLBACK_GRACE;
	pending_add(ctx->schemas, f);
}

void fs_schemas_expire(struct fs_ctx *ctx)
{
	time_t now = time(NULL);
	struct sfile *f = ctx->schemas->pending, *next;
	for (; f; f = next) {
		next = f->next_pending;
		if (f->fallback_until < now && !f->created_opens)
			fallback_settle(ctx, f);
	}
}

/* Every handle on a re-created x.yaml closed without a commit: x comes
 * back as it was. */
static void fallback_restore(struct fs_ctx *ctx, struct sfile *f)
{
	struct reg_schema *s = f->fallback;
	if (!s || registered(ctx, f->name))
		return;
	if (!f->fallback_in_store)
		return; /* the grace period is over */
	f->fallback = NULL;
	pending_remove(ctx->schemas, f);
	f->fallback_in_store = false;
	reg_register(ctx->reg, s);
	fs_views_touched(ctx, f->name);
	fs_changed(ctx);
}

/* Validates bytes as schemas/<name>.yaml and makes them its current
 * revision, durably. Caller holds the lock. */
static int commit_schema(struct fs_ctx *ctx, const char *name, const char *bytes, size_t len)
{
	char file[PATH_MAX];
	struct diags d = DIAGS_INIT;
	struct sfile *f = sfile_get(ctx->schemas, name);
	if (!f)
		return -ENOMEM;
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);

	const struct reg_schema *cur = reg_get(ctx->reg, name);
	bool same_as_store = false;
	if (cur)
		same_as_store = cur->source_len == len && !memcmp(cur->source, bytes, len);
	else if (f->fallback && f->fallback_in_store)
		same_as_store = f->fallback->source_len == len &&
			!memcmp(f->fallback->source, bytes, len);
	/* Putting the stored bytes back is not a new save: editors do it after
	 * a refused one (vim and emacs rename their backup back, vim with
	 * backupcopy=yes copies it back), and the refusal must stay visible. */
	struct regstore_save sv = { .name = name, .bytes = bytes, .len = len,
				    .put_back = same_as_store, .no_register = cur && same_as_store,
				    .refused = f->refused };
	int rc = regstore_save(ctx->schemas->rs, &sv, &d);
	f->refused = sv.refused;
	int ret = 0;
	if (rc == REG_EINVAL || rc == REG_E2BIG) {
		fs_refuse(ctx, file, &d);
		f->refused = true;
		ret = fs_errno(rc);
		goto out;
	}
	if (rc) {
		ret = save_failed(ctx, file, rc);
		goto out;
	}
	log_saved(ctx, file, name, same_as_store);
	if (!sv.no_register) {
		fs_views_touched(ctx, name);
		fs_changed(ctx);
	}
	if (f->created) {
		f->created = false;
		ctx->schemas->ncreated--;
	}
	fallback_drop(ctx, f);
	fs_now(&f->mtime);
out:
	diags_release(&d);
	return ret;
}

/* x.yaml leaves the directory (rm, or renamed to a non-schema name). */
static int schema_leave(struct fs_ctx *ctx, const char *name)
{
	struct sfile *f = sfile_get(ctx->schemas, name);
	if (!f)
		return -ENOMEM;
	if (!registered(ctx, name)) {
		if (f->created) {
			f->created = false;
			ctx->schemas->ncreated--;
		}
		return 0;
	}
	struct reg_schema *copy = reg_schema_dup(reg_get(ctx->reg, name));
	if (!copy)
		return -ENOMEM;
	reg_unregister(ctx->reg, name);
	fs_views_touched(ctx, name);
	fallback_set(ctx, f, copy, true);
	fs_changed(ctx);
	return 0;
}

void fs_schemas_settle(struct fs_ctx *ctx)
{
	while (ctx->schemas && ctx->schemas->pending)
		fallback_settle(ctx, ctx->schemas->pending);
}

/* ---- the handlers ---- */

static int current_bytes(struct fs_ctx *ctx, const char *name, struct sbuf *out)
{
	const struct reg_schema *s = reg_get(ctx->reg, name);
	if (!s)
		return 0; /* a created file: empty until committed */
	return sbuf_add(out, s->source, s->source_len) ? -ENOMEM : 0;
}

static void stat_base(struct fs_ctx *ctx, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_nlink = 1;
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	st->st_blksize = 4096;
}

static int s_getattr(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
		     struct stat *st)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	stat_base(ctx, st);
	if (entry_schema(e, name, sizeof(name))) {
		struct shandle *sh = h ? h->priv : NULL;
		const struct reg_schema *s = reg_get(ctx->reg, name);
		struct sfile *f = sfile_find(ctx->schemas, name);
		if (sh && !sh->plain && h->writer)
			st->st_size = (off_t)h->data.len;
		else if (s)
			st->st_size = (off_t)s->source_len;
		else if (!(f && f->created) && !sh)
			return -ENOENT;
		st->st_mode = S_IFREG | (f ? f->mode : 0644);
		st->st_mtim = st->st_ctim = st->st_atim = f ? f->mtime : ctx->mounted_at;
	} else {
		struct plain *p = h && h->priv ? ((struct shandle *)h->priv)->plain : NULL;
		if (!p)
			p = plain_find(plains_of(ctx, e), e->arg);
		if (!p)
			return -ENOENT;
		st->st_mode = (p->symlink ? S_IFLNK : S_IFREG) | p->mode;
		st->st_size = (off_t)p->bytes.len;
		st->st_mtim = st->st_ctim = st->st_atim = p->mtime;
	}
	st->st_blocks = (st->st_size + 511) / 512;
	return 0;
}

int list_schemas(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
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
		for (size_t b = 0; b < SFILE_BUCKETS; b++)
			for (struct sfile *f = ctx->schemas->buckets[b]; f; f = f->next)
				if (f->created && !registered(ctx, f->name)) {
					snprintf(buf, sizeof(buf), "%s.yaml", f->name);
					if (fs_dir_add(dir, buf, S_IFREG | 0644))
						return -ENOMEM;
				}
	for (struct plain *p = ctx->schemas->plains; p; p = p->next)
		if (fs_dir_add(dir, p->name, p->symlink ? S_IFLNK : S_IFREG))
			return -ENOMEM;
	return 0;
}

int list_root(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	for (struct plain *p = ctx->schemas->root_plains; p; p = p->next)
		if (fs_dir_add(dir, p->name, p->symlink ? S_IFLNK : S_IFREG))
			return -ENOMEM;
	return 0;
}

static struct shandle *shandle_new(const char *name, struct plain *p)
{
	struct shandle *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	if (name && !(sh->name = strdup(name))) {
		free(sh);
		return NULL;
	}
	if (p) {
		sh->plain = p;
		p->refs++;
	}
	return sh;
}

static int open_schema(struct fs_ctx *ctx, const char *name, int flags, struct fs_handle *h)
{
	struct shandle *sh = shandle_new(name, NULL);
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
	if (!registered(ctx, name)) {
		struct sfile *f = sfile_find(ctx->schemas, name);
		if (f && f->created) {
			sh->on_created = true;
			f->created_opens++;
		}
	}
	h->priv = sh;
	return 0;
}

static int open_plain(struct plain *p, int flags, struct fs_handle *h)
{
	if (p->symlink)
		return -ELOOP;
	struct shandle *sh = shandle_new(NULL, p);
	if (!sh)
		return -ENOMEM;
	if (h->writer && (flags & O_TRUNC)) {
		sbuf_reset(&p->bytes);
		fs_now(&p->mtime);
	}
	h->priv = sh;
	return 0;
}

static int s_open(struct fs_ctx *ctx, const struct fs_entry *e, int flags, struct fs_handle *h)
{
	char name[NAME_MAX + 1];
	fs_schemas_expire(ctx);
	if (entry_schema(e, name, sizeof(name)))
		return visible(ctx, name) ? open_schema(ctx, name, flags, h) : -ENOENT;
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	return p ? open_plain(p, flags, h) : -ENOENT;
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
		struct sfile *f = sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		f->created = true;
		ctx->schemas->ncreated++;
		f->mode = mode & 07777;
		fs_now(&f->mtime);
		return open_schema(ctx, name, flags | O_TRUNC, h);
	}
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (p)
		return (flags & O_EXCL) ? -EEXIST : open_plain(p, flags, h);
	p = plain_new(plains_of(ctx, e), e->arg, mode);
	if (!p)
		return -ENOMEM;
	return open_plain(p, flags, h);
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
	(void)ctx;
	struct shandle *sh = h->priv;
	struct sbuf *target = sh->plain ? &sh->plain->bytes : &h->data;
	if (!h->writer)
		return -EBADF;
	if (h->flags & O_APPEND)
		off = (off_t)target->len;
	int ret = fs_write_draft(target, buf, size, off);
	if (ret < 0) {
		/* the draft misses this write: it must never be committed */
		if (!sh->plain)
			h->sticky_err = ret;
		return ret;
	}
	if (sh->plain)
		fs_now(&sh->plain->mtime);
	else
		h->wrote = true;
	return ret;
}

static int s_truncate(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
		      off_t size)
{
	char name[NAME_MAX + 1];
	struct shandle *sh = h ? h->priv : NULL;
	int ret;
	if (sh && sh->plain) {
		fs_now(&sh->plain->mtime);
		return fs_truncate_draft(&sh->plain->bytes, size);
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
	if (!entry_schema(e, name, sizeof(name))) {
		struct plain *p = plain_find(plains_of(ctx, e), e->arg);
		if (!p || p->symlink)
			return p ? -EINVAL : -ENOENT;
		fs_now(&p->mtime);
		return fs_truncate_draft(&p->bytes, size);
	}
	if (!visible(ctx, name))
		return -ENOENT;
	struct sbuf b = SBUF_INIT;
	ret = current_bytes(ctx, name, &b);
	if (!ret)
		ret = fs_truncate_draft(&b, size);
	if (!ret)
		ret = commit_schema(ctx, name, b.buf, b.len);
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
		h->sticky_err = commit_schema(ctx, sh->name, h->data.buf, h->data.len);
		h->wrote = false;
	}
	return h->sticky_err;
}

static void s_release(struct fs_ctx *ctx, struct fs_handle *h)
{
	struct shandle *sh = h->priv;
	if (!sh)
		return;
	if (sh->plain) {
		plain_put(sh->plain);
	} else if (sh->on_created) {
		struct sfile *f = sfile_find(ctx->schemas, sh->name);
		if (f && f->created_opens && --f->created_opens == 0 && !registered(ctx, sh->name)) {
			if (f->created) {
				f->created = false;
				ctx->schemas->ncreated--;
			}
			fallback_restore(ctx, f);
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
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (!p)
		return -ENOENT;
	if (p->came_from) {
		/* `mv x.yaml x.bak; rm x.bak`: x is gone for good */
		struct sfile *f = sfile_find(ctx->schemas, p->came_from);
		if (f && f->fallback && f->fallback_in_store && !f->created_opens)
			fallback_settle(ctx, f);
	}
	plain_unlink(plains_of(ctx, e), p);
	return 0;
}

static int s_rename(struct fs_ctx *ctx, const struct fs_entry *from, const struct fs_entry *to,
		    unsigned int flags)
{
	char fname[NAME_MAX + 1], tname[NAME_MAX + 1];
	bool fschema = entry_schema(from, fname, sizeof(fname));
	bool tschema = entry_schema(to, tname, sizeof(tname));
	struct plain *fp = fschema ? NULL : plain_find(plains_of(ctx, from), from->arg);
	struct plain *tp = tschema ? NULL : plain_find(plains_of(ctx, to), to->arg);
	int ret;

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

	if (tschema) {
		/* the renamed file's bytes become <tname>.yaml, if valid */
		struct sbuf b = SBUF_INIT;
		if (fp && fp->symlink)
			return -EINVAL;
		if (fp)
			ret = sbuf_add(&b, fp->bytes.buf, fp->bytes.len) ? -ENOMEM : 0;
		else
			ret = current_bytes(ctx, fname, &b);
		if (!ret)
			ret = commit_schema(ctx, tname, b.buf, b.len);
		sbuf_release(&b);
		if (ret)
			return ret;
		if (fp)
			plain_unlink(plains_of(ctx, from), fp);
		else
			ret = schema_leave(ctx, fname);
		return ret;
	}

	/* onto an editor file's name */
	if (fp) {
		if (tp)
			plain_unlink(plains_of(ctx, to), tp);
		char *n = strdup(to->arg);
		if (!n)
			return -ENOMEM;
		free(fp->name);
		fp->name = n;
		return 0;
	}
	struct sfile *f = sfile_get(ctx->schemas, fname);
	if (!f)
		return -ENOMEM;
	struct plain *np = plain_new(plains_of(ctx, to), to->arg, f->mode);
	if (!np)
		return -ENOMEM;
	if (tp)
		plain_unlink(plains_of(ctx, to), tp);
	np->mtime = f->mtime;
	if ((ret = current_bytes(ctx, fname, &np->bytes)) ||
	    !(np->came_from = strdup(fname))) {
		plain_unlink(plains_of(ctx, to), np);
		return ret ? ret : -ENOMEM;
	}
	return schema_leave(ctx, fname);
}

static int s_symlink(struct fs_ctx *ctx, const char *target, const struct fs_entry *e)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name)))
		return -EPERM; /* a schema is a regular file */
	if (plain_find(plains_of(ctx, e), e->arg))
		return -EEXIST;
	if (strlen(e->arg) > NAME_MAX)
		return -ENAMETOOLONG;
	struct plain *p = plain_new(plains_of(ctx, e), e->arg, 0777);
	if (!p)
		return -ENOMEM;
	p->symlink = true;
	if (sbuf_adds(&p->bytes, target)) {
		plain_unlink(plains_of(ctx, e), p);
		return -ENOMEM;
	}
	return 0;
}

static int s_readlink(struct fs_ctx *ctx, const struct fs_entry *e, char *buf, size_t size)
{
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (!p)
		return -ENOENT;
	if (!p->symlink || size == 0)
		return -EINVAL;
	size_t n = p->bytes.len < size - 1 ? p->bytes.len : size - 1;
	memcpy(buf, p->bytes.buf, n);
	buf[n] = '\0';
	return 0;
}

static int s_chmod(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name))) {
		if (!visible(ctx, name))
			return -ENOENT;
		struct sfile *f = sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		f->mode = mode & 07777;
		return 0;
	}
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (!p)
		return -ENOENT;
	if (!p->symlink)
		p->mode = mode & 07777;
	return 0;
}

static void set_time(struct timespec *dst, const struct timespec *tv)
{
	if (tv->tv_nsec == UTIME_OMIT)
		return;
	if (tv->tv_nsec == UTIME_NOW)
		fs_now(dst);
	else
		*dst = *tv;
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
		struct sfile *f = sfile_get(ctx->schemas, name);
		if (!f)
			return -ENOMEM;
		set_time(&f->mtime, &tv[1]);
		return 0;
	}
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (!p)
		return -ENOENT;
	set_time(&p->mtime, &tv[1]);
	return 0;
}

static int s_bytes(struct fs_ctx *ctx, const struct fs_entry *e, struct sbuf *out)
{
	char name[NAME_MAX + 1];
	if (entry_schema(e, name, sizeof(name)))
		return visible(ctx, name) ? current_bytes(ctx, name, out) : -ENOENT;
	struct plain *p = plain_find(plains_of(ctx, e), e->arg);
	if (!p)
		return -ENOENT;
	if (p->symlink)
		return -EINVAL;
	return sbuf_add(out, p->bytes.buf, p->bytes.len) ? -ENOMEM : 0;
}

const struct fs_node_ops fs_schemas_ops = {
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

/* ---- registry.yaml ---- */

int meta_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	int ret = 0;
	fs_lock(ctx);
	if (ctx->reg->meta.source)
		ret = sbuf_add(out, ctx->reg->meta.source, ctx->reg->meta.source_len) ? -ENOMEM : 0;
	fs_unlock(ctx);
	return ret;
}

int meta_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len)
{
	(void)arg;
	static const char file[] = "registry.yaml";
	struct diags d = DIAGS_INIT;
	int ret = 0;

	fs_lock(ctx);
	const struct reg_meta *cur = &ctx->reg->meta;
	/* as for schemas: the stored bytes put back keep the refusal */
	bool same = cur->source && cur->source_len == len && !memcmp(cur->source, bytes, len);
	struct regstore_save sv = { .name = NULL, .bytes = bytes, .len = len, .put_back = same,
				    .no_register = same, .refused = ctx->schemas->meta_refused };
	int rc = regstore_save(ctx->schemas->rs, &sv, &d);
	ctx->schemas->meta_refused = sv.refused;
	if (rc == REG_EINVAL || rc == REG_E2BIG) {
		fs_refuse(ctx, file, &d);
		ctx->schemas->meta_refused = true;
		ret = fs_errno(rc);
	} else if (rc) {
		ret = save_failed(ctx, file, rc);
	} else {
		log_saved(ctx, file, NULL, same);
		if (!same) {
			fs_views_touched(ctx, NULL);
			fs_changed(ctx);
		}
	}
	fs_unlock(ctx);
	diags_release(&d);
	return ret;
}

/* ---- loading ---- */

/* A new store is given the examples (when the directory exists), checked
 * as `schemafs import` checks a directory. */
static int import_examples(struct store *st, const char *dir, struct sbuf *err)
{
	struct regstore_import im = REGSTORE_IMPORT_INIT;
	struct diags d = DIAGS_INIT;
	int ret = -1;
	int rc = regstore_import_read(&im, dir, "schemas", &d);
	if (rc == REG_ENOENT) {
		ret = 0; /* nothing to import: start empty */
	} else if (rc) {
		sbuf_addf(err, "%s: cannot read examples", dir);
	} else if (d.errors) {
		sbuf_addf(err, "%s: examples do not load:\n", dir);
		diags_sort(&d);
		diags_render(&d, err);
	} else if (regstore_import_store(st, &im, false)) {
		sbuf_addf(err, "%s", store_errmsg(st));
	} else {
		ret = 0;
	}
	regstore_import_release(&im);
	diags_release(&d);
	return ret;
}

/* The files the store holds a refusal of keep it until accepted. */
static int load_refusals(struct fs_ctx *ctx)
{
	struct strlist files = STRLIST_INIT;
	int rc = store_refused_files(ctx->store, &files);
	for (size_t i = 0; i < files.n && !rc; i++) {
		char name[NAME_MAX + 1];
		const char *file = files.items[i];
		if (!strcmp(file, "registry.yaml")) {
			ctx->schemas->meta_refused = true;
		} else if (!strncmp(file, "schemas/", 8) &&
			   schema_name(file + 8, name, sizeof(name))) {
			struct sfile *f = sfile_get(ctx->schemas, name);
			if (f)
				f->refused = true;
		}
	}
	strlist_release(&files);
	return rc;
}

int fs_load(struct fs_ctx *ctx, const char *examples, struct sbuf *err)
{
	bool empty = false;
	if (store_is_empty(ctx->store, &empty)) {
		sbuf_addf(err, "%s: %s", ctx->db_path, store_errmsg(ctx->store));
		return -1;
	}
	if (empty && examples && import_examples(ctx->store, examples, err))
		return -1;
	if (regstore_new(ctx->store, ctx->reg, &ctx->schemas->rs)) {
		sbuf_addf(err, "out of memory");
		return -1;
	}
	int rc = regstore_load(ctx->schemas->rs, &ctx->load_diags);
	for (size_t i = 0; i < ctx->reg->n && !rc; i++) {
		int64_t t = 0;
		struct sfile *f = sfile_get(ctx->schemas, ctx->reg->schemas[i]->name);
		if (!f) {
			rc = REG_ENOMEM;
			break;
		}
		regstore_head(ctx->schemas->rs, f->name, NULL, &t);
		f->mtime.tv_sec = t;
		f->mtime.tv_nsec = 0;
	}
	if (!rc)
		rc = load_refusals(ctx);
	if (rc == REG_ENOMEM)
		sbuf_addf(err, "out of memory");
	else if (rc)
		sbuf_addf(err, "%s: %s", ctx->db_path, store_errmsg(ctx->store));
	return rc ? -1 : 0;
}

static void sync_changed(void *arg, const char *name)
{
	fs_views_touched(arg, name);
}

int fs_schemas_sync(struct fs_ctx *ctx)
{
	/* what does not parse keeps the registered schema as it was */
	struct diags ignored = DIAGS_INIT;
	int rc = regstore_sync(ctx->schemas->rs, &ignored, sync_changed, ctx);
	diags_release(&ignored);
	fs_changed(ctx);
	return rc;
}
