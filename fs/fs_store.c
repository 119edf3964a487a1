/*
 * fs_store: the mount's side of the store. Loading it at mount (importing
 * the examples into an empty one), the one save path of the mount (every
 * schema and registry.yaml commit goes through fs_save, which goes through
 * regstore_save), refusals, and keeping ctx->reg in step with what other
 * processes commit to the same file (fs_schemas_sync, from the ticker).
 *
 * The database file is remembered by device and inode when it is opened:
 * SQLite keeps writing to a file that was deleted or replaced under it,
 * and those writes would be lost at unmount, so once it is gone every
 * save fails (EIO) and the daemon says so once.
 */
#include "fs_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the database file ---- */

static int db_identify(struct fs_ctx *ctx)
{
	struct stat st;
	if (stat(ctx->db_path, &st))
		return -errno;
	ctx->schemas->db_dev = st.st_dev;
	ctx->schemas->db_ino = st.st_ino;
	return 0;
}

int fs_store_check(struct fs_ctx *ctx)
{
	struct fs_schemas *s = ctx->schemas;
	struct stat st;
	if (!s->db_gone && !stat(ctx->db_path, &st) && st.st_dev == s->db_dev &&
	    st.st_ino == s->db_ino)
		return 0;
	if (!s->db_gone)
		fs_logl(FS_LOG_ERROR, "%s: the database file was deleted or replaced while mounted: "
		       "every save fails until the mount is restarted", ctx->db_path);
	s->db_gone = true;
	return -EIO;
}

/* ---- saves ---- */

void fs_refuse(struct fs_ctx *ctx, const char *file, const struct diags *d)
{
	if (regstore_refuse(ctx->schemas->rs, file, d))
		fs_logl(FS_LOG_ERROR, "%s: cannot record refusal: %s", file, store_errmsg(ctx->store));
	fs_changed(ctx);
}

/* The first error of d as diags_render writes it (file:line:col: error:
 * message), for the log. */
static const char *first_error(const struct diags *d, struct sbuf *buf)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == DIAG_ERROR && !diag_render(&d->items[i], buf))
			return buf->buf;
	return "refused";
}

/* Another process saved (or removed) the schema after the bytes were
 * read: the save is refused, and validation says what to do. */
static int conflict(struct fs_ctx *ctx, const char *file, const struct regstore_save *sv)
{
	struct diags d = DIAGS_INIT;
	if (sv->newer)
		diags_add(&d, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			  "not saved: another process saved revision %lld after revision %lld "
			  "this save is based on; read the file again", (long long)sv->newer,
			  (long long)sv->base);
	else
		diags_add(&d, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
			  "not saved: another process removed it after revision %lld this "
			  "save is based on", (long long)sv->base);
	fs_refuse(ctx, file, &d);
	fs_log("%s: save refused: revision %lld is newer than its base %lld", file,
		       (long long)sv->newer, (long long)sv->base);
	diags_release(&d);
	return -EBUSY;
}

int fs_save(struct fs_ctx *ctx, struct regstore_save *sv, bool *refused)
{
	char file[PATH_MAX];
	struct diags d = DIAGS_INIT;
	int ret = fs_store_check(ctx);
	if (ret)
		return ret;
	if (sv->name)
		snprintf(file, sizeof(file), "schemas/%s.yaml", sv->name);
	else
		snprintf(file, sizeof(file), "registry.yaml");
	sv->refused = *refused;
	int rc = regstore_save(ctx->schemas->rs, sv, &d);
	*refused = sv->refused;
	if (rc == REG_EINVAL || rc == REG_E2BIG) {
		fs_refuse(ctx, file, &d);
		*refused = true;
		struct sbuf why = SBUF_INIT;
		fs_log("%s: save refused: %s", file, first_error(&d, &why));
		sbuf_release(&why);
		ret = fs_errno(rc);
	} else if (sv->conflict) {
		*refused = true;
		ret = conflict(ctx, file, sv);
	} else if (rc == REG_ENOMEM) {
		ret = -ENOMEM;
	} else if (rc) {
		fs_logl(FS_LOG_ERROR, "%s: cannot store: %s", file, store_errmsg(ctx->store));
		ret = -EIO;
	} else if (sv->rev) {
		fs_log("%s: saved as revision %lld", file, (long long)sv->rev);
	}
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
			   fs_schema_name(file + 8, name, sizeof(name))) {
			struct fs_sfile *f = fs_sfile_get(ctx->schemas, name);
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
	if (db_identify(ctx)) {
		sbuf_addf(err, "%s: %s", ctx->db_path, strerror(errno));
		return -1;
	}
	if (regstore_new(ctx->store, ctx->reg, &ctx->schemas->rs)) {
		sbuf_addf(err, "out of memory");
		return -1;
	}
	int rc = regstore_load(ctx->schemas->rs, &ctx->load_diags);
	for (size_t i = 0; i < ctx->reg->n && !rc; i++) {
		int64_t t = 0;
		struct fs_sfile *f = fs_sfile_get(ctx->schemas, ctx->reg->schemas[i]->name);
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

/* ---- other processes ---- */

/* regstore_sync's report of one changed schema (NULL: registry.yaml). */
static void sync_changed(void *arg, const char *name)
{
	struct fs_ctx *ctx = arg;
	struct fs_schemas *s = ctx->schemas;
	fs_views_touched(ctx, name);
	strlist_push(&s->inval, name ? name : "");
	if (!name)
		return;
	struct fs_sfile *f = fs_sfile_get(s, name);
	if (f) {
		/* an editor that checks the mtime before writing sees it */
		fs_now(&f->mtime);
		f->synced = s->syncs;
	}
}

int fs_schemas_sync(struct fs_ctx *ctx)
{
	/* what does not parse keeps the registered schema as it was */
	struct diags ignored = DIAGS_INIT;
	size_t before = ctx->schemas->inval.n;
	ctx->schemas->syncs++;
	int rc = regstore_sync(ctx->schemas->rs, &ignored, sync_changed, ctx);
	diags_release(&ignored);
	if (ctx->schemas->inval.n != before)
		fs_changed(ctx);
	return rc;
}

void fs_schemas_tick(struct fs_ctx *ctx, struct strlist *out)
{
	fs_schemas_expire(ctx);
	if (!fs_store_check(ctx) && fs_schemas_sync(ctx))
		fs_logl(FS_LOG_ERROR, "cannot read what other processes saved: %s", store_errmsg(ctx->store));
	strlist_release(out);
	*out = ctx->schemas->inval;
	strlist_init(&ctx->schemas->inval);
}
