/*
 * fs_meta: registry.yaml, a text file of the mount's root (FS_ROUTE_TEXT:
 * each writer edits its own draft, a flush commits it through fs_save).
 * Editors' temporaries of it (sed -i, vim's backup) are editor files of
 * the root (fs_editor.c), renamed onto it by fs_ops.c with the route's
 * bytes(). Last write wins: registry.yaml has no revision check.
 */
#include "fs_int.h"

#include <errno.h>
#include <string.h>

int fs_meta_load(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	int ret = 0;
	fs_lock(ctx);
	if (ctx->reg->meta.source)
		ret = sbuf_add(out, ctx->reg->meta.source, ctx->reg->meta.source_len) ? -ENOMEM : 0;
	fs_unlock(ctx);
	return ret;
}

int fs_meta_commit(struct fs_ctx *ctx, const char *arg, const char *bytes, size_t len)
{
	(void)arg;
	fs_lock(ctx);
	const struct reg_meta *cur = &ctx->reg->meta;
	/* as for schemas: the stored bytes put back keep the refusal */
	bool same = cur->source && cur->source_len == len && !memcmp(cur->source, bytes, len);
	struct regstore_save sv = { .name = NULL, .bytes = bytes, .len = len, .put_back = same,
				    .no_register = same };
	int ret = fs_save(ctx, &sv, &ctx->schemas->meta_refused);
	if (!ret && !same) {
		fs_views_touched(ctx, NULL);
		fs_changed(ctx);
	}
	fs_unlock(ctx);
	return ret;
}
