/*
 * fs_services: services/ and changes/ (docs/views.md).
 *
 *   services/<service>.yaml     rw  the services file (servicefile.h)
 *   services/<service>/owns     ro  tables the service owns, one per line
 *   services/<service>/reads    ro  "table.column<TAB>why" it reads elsewhere
 *   services/<service>/writes   ro  "table[.column]<TAB>why" it writes elsewhere
 *   services/<service>/dependents ro services that use its tables
 *   changes/<table>             ro  the classified changes since the baseline
 *
 * A service has a directory when a table names it as owner or a services
 * file declares it. services/<service>.yaml is an FS_ROUTE_TEXT file: a
 * commit goes through regstore_save_service, a refusal is recorded like a
 * schema's (validation shows it, close() fails with EINVAL).
 */
#include "fs_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "regstore.h"
#include "servicefile.h"

/* ---- who is a service ---- */

/* Every service the registry knows, sorted and unique. */
static int known_services(const struct reg_registry *r, struct strlist *out)
{
	int rc = 0;
	for (size_t i = 0; i < r->n && !rc; i++)
		if (r->schemas[i]->owner && servicefile_name_ok(r->schemas[i]->owner))
			rc = strlist_push(out, r->schemas[i]->owner);
	for (size_t i = 0; i < r->nservices && !rc; i++)
		rc = strlist_push(out, r->services[i]->name);
	strlist_sort(out);
	strlist_uniq(out);
	return rc;
}

static bool is_service(const struct reg_registry *r, const char *name)
{
	if (reg_get_service(r, name))
		return true;
	for (size_t i = 0; i < r->n; i++)
		if (r->schemas[i]->owner && !strcmp(r->schemas[i]->owner, name))
			return true;
	return false;
}

static int list_services_dir(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	struct strlist names = STRLIST_INIT;
	char buf[NAME_MAX + 1];
	int ret = fs_errno(known_services(ctx->reg, &names));
	for (size_t i = 0; i < names.n && !ret; i++)
		ret = fs_dir_add(dir, names.items[i], S_IFDIR | 0755);
	for (size_t i = 0; i < ctx->reg->nservices && !ret; i++) {
		snprintf(buf, sizeof(buf), "%s.yaml", ctx->reg->services[i]->name);
		ret = fs_dir_add(dir, buf, S_IFREG | 0644);
	}
	strlist_release(&names);
	return ret;
}

static int list_service(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)dir;
	return is_service(ctx->reg, arg) ? 0 : -ENOENT;
}

/* ---- services/<service>/ ---- */

static int render_owns(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	if (!is_service(ctx->reg, arg))
		return -ENOENT;
	for (size_t i = 0; i < ctx->reg->n; i++) {
		const struct reg_schema *s = ctx->reg->schemas[i];
		if (s->owner && !strcmp(s->owner, arg))
			sbuf_addf(out, "%s\n", s->name);
	}
	return fs_errno(sbuf_error(out));
}

/* Why a use exists, for the reads and writes files. */
static void use_why(const struct contract_use *u, struct sbuf *out)
{
	if (u->why == CONTRACT_WHY_FK)
		sbuf_addf(out, "fk %s", u->via ? u->via : "");
	else
		sbuf_adds(out, u->access == CONTRACT_READ ? "read" : "write");
	if (u->file && u->loc.line)
		sbuf_addf(out, " %s:%u", u->file, u->loc.line);
	else if (u->file)
		sbuf_addf(out, " %s", u->file);
}

/* The uses of arg in tables it does not own, of one access. */
static int render_uses(struct fs_ctx *ctx, const char *arg, enum contract_access access,
		       struct sbuf *out)
{
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	if (!is_service(ctx->reg, arg))
		return -ENOENT;
	int rc = contract_consumers_of(ctx->reg, &who);
	for (size_t i = 0; i < who.n && !rc; i++) {
		const struct contract_use *u = &who.items[i];
		const struct reg_schema *s = reg_get(ctx->reg, u->table);
		if (strcmp(u->service, arg) || u->access != access || u->why == CONTRACT_WHY_OWNER ||
		    (s && s->owner && !strcmp(s->owner, arg)))
			continue;
		sbuf_adds(out, u->table);
		if (u->column)
			sbuf_addf(out, ".%s", u->column);
		sbuf_addch(out, '\t');
		use_why(u, out);
		sbuf_addch(out, '\n');
	}
	contract_consumers_release(&who);
	return fs_errno(rc ? rc : sbuf_error(out));
}

static int render_reads(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	return render_uses(ctx, arg, CONTRACT_READ, out);
}

static int render_writes(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	return render_uses(ctx, arg, CONTRACT_WRITE, out);
}

/* The services that read or write a table arg owns. */
static int render_service_dependents(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct strlist names = STRLIST_INIT;
	if (!is_service(ctx->reg, arg))
		return -ENOENT;
	int rc = contract_consumers_of(ctx->reg, &who);
	for (size_t i = 0; i < who.n && !rc; i++) {
		const struct contract_use *u = &who.items[i];
		const struct reg_schema *s = reg_get(ctx->reg, u->table);
		if (s && s->owner && !strcmp(s->owner, arg) && strcmp(u->service, arg) &&
		    u->why != CONTRACT_WHY_OWNER)
			rc = strlist_push(&names, u->service);
	}
	strlist_sort(&names);
	strlist_uniq(&names);
	for (size_t i = 0; i < names.n && !rc; i++)
		rc = sbuf_addf(out, "%s\n", names.items[i]);
	strlist_release(&names);
	contract_consumers_release(&who);
	return fs_errno(rc ? rc : sbuf_error(out));
}

/* ---- services/<service>.yaml ---- */

/* "x.yaml" -> "x" in buf; false for any other name. */
static bool yaml_base(const char *arg, char *buf, size_t size)
{
	size_t n = strlen(arg);
	if (n <= 5 || n - 5 >= size || strcmp(arg + n - 5, ".yaml"))
		return false;
	memcpy(buf, arg, n - 5);
	buf[n - 5] = '\0';
	return true;
}

/*
 * The file is served by its own handlers rather than as an FS_ROUTE_TEXT:
 * a new file must exist between its create() and the commit at close
 * (cp and cat fstat what they write, and the kernel's fstat carries no
 * handle), so the handles that are creating a file are listed here.
 * Guarded by ctx->lock, which every handler holds (fs.h).
 */
struct svc_draft {
	struct fs_handle *h;
	char name[NAME_MAX + 1];
	struct svc_draft *next;
};
static struct svc_draft *svc_creating;

static const struct svc_draft *draft_find(const char *name)
{
	for (const struct svc_draft *d = svc_creating; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

static void draft_drop(struct fs_handle *h)
{
	for (struct svc_draft **p = &svc_creating; *p; p = &(*p)->next) {
		if ((*p)->h == h) {
			struct svc_draft *d = *p;
			*p = d->next;
			free(d);
			return;
		}
	}
}

static int service_getattr(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
			   struct stat *st)
{
	char name[NAME_MAX + 1];
	if (!yaml_base(e->arg, name, sizeof(name)))
		return -ENOENT;
	const struct reg_service *sv = reg_get_service(ctx->reg, name);
	const struct svc_draft *d = draft_find(name);
	size_t size;
	if (h && h->writer)
		size = h->data.len;
	else if (sv)
		size = sv->source_len;
	else if (d)
		size = d->h->data.len;
	else
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_uid = ctx->uid;
	st->st_gid = ctx->gid;
	st->st_size = (off_t)size;
	st->st_blksize = 4096;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtim = st->st_ctim = st->st_atim = ctx->changed_at;
	return 0;
}

static int service_open(struct fs_ctx *ctx, const struct fs_entry *e, int flags,
			struct fs_handle *h)
{
	char name[NAME_MAX + 1];
	if (!yaml_base(e->arg, name, sizeof(name)))
		return -ENOENT;
	const struct reg_service *sv = reg_get_service(ctx->reg, name);
	if (!sv)
		return draft_find(name) ? 0 : -ENOENT;
	if (h->writer && (flags & O_TRUNC)) {
		h->wrote = true;
		return 0;
	}
	return sbuf_add(&h->data, sv->source, sv->source_len) ? -ENOMEM : 0;
}

static int service_create(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode, int flags,
			  struct fs_handle *h)
{
	(void)mode;
	char name[NAME_MAX + 1];
	if (!yaml_base(e->arg, name, sizeof(name)) || !servicefile_name_ok(name))
		return -EACCES;
	if (reg_get_service(ctx->reg, name))
		return (flags & O_EXCL) ? -EEXIST : service_open(ctx, e, flags, h);
	struct svc_draft *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->h = h;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->next = svc_creating;
	svc_creating = d;
	h->wrote = true; /* a new empty file exists once committed */
	return 0;
}

static int service_read(struct fs_ctx *ctx, struct fs_handle *h, char *buf, size_t size,
			off_t off)
{
	(void)ctx;
	return fs_read_bytes(h->data.buf, h->data.len, buf, size, off);
}

static int service_write(struct fs_ctx *ctx, struct fs_handle *h, const char *buf, size_t size,
			 off_t off)
{
	(void)ctx;
	int ret = fs_write_draft(&h->data, buf, size, off);
	if (ret >= 0)
		h->wrote = true;
	return ret;
}

/* Validates and stores bytes as services/<name>.yaml. */
static int service_commit(struct fs_ctx *ctx, const char *name, const char *bytes, size_t len)
{
	char file[NAME_MAX + 32];
	struct diags d = DIAGS_INIT;
	snprintf(file, sizeof(file), SERVICEFILE_DIR "/%s.yaml", name);
	int rc = regstore_save_service(ctx->store, ctx->reg, name, bytes, len, true, &d);
	int ret = 0;
	if (rc == REG_EINVAL || rc == REG_E2BIG) {
		fs_refuse(ctx, file, &d);
		ret = fs_errno(rc);
	} else if (rc) {
		fs_log("%s: cannot store: %s", file, store_errmsg(ctx->store));
		ret = rc == REG_ENOMEM ? -ENOMEM : -EIO;
	} else {
		fs_views_touched(ctx, NULL);
		fs_changed(ctx);
	}
	diags_release(&d);
	return ret;
}

static int service_truncate(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_handle *h,
			    off_t size)
{
	char name[NAME_MAX + 1];
	if (h) {
		int ret = fs_truncate_draft(&h->data, size);
		if (!ret)
			h->wrote = true;
		return ret;
	}
	if (!yaml_base(e->arg, name, sizeof(name)))
		return -ENOENT;
	const struct reg_service *sv = reg_get_service(ctx->reg, name);
	if (!sv)
		return -ENOENT;
	struct sbuf b = SBUF_INIT;
	int ret = sbuf_add(&b, sv->source, sv->source_len) ? -ENOMEM : fs_truncate_draft(&b, size);
	if (!ret)
		ret = service_commit(ctx, name, b.buf, b.len);
	sbuf_release(&b);
	return ret;
}

/* flush and fsync of a handle that wrote commit its draft; a refusal
 * stays the handle's answer to every later flush */
static int service_sync(struct fs_ctx *ctx, struct fs_handle *h, int datasync)
{
	(void)datasync;
	char name[NAME_MAX + 1];
	if (h->wrote && yaml_base(h->entry.arg, name, sizeof(name))) {
		h->wrote = false;
		h->sticky_err = service_commit(ctx, name, h->data.buf, h->data.len);
		if (!h->sticky_err)
			draft_drop(h);
	}
	return h->sticky_err;
}

static void service_release(struct fs_ctx *ctx, struct fs_handle *h)
{
	(void)ctx;
	draft_drop(h);
}

static int service_unlink(struct fs_ctx *ctx, const struct fs_entry *e)
{
	char name[NAME_MAX + 1];
	if (!yaml_base(e->arg, name, sizeof(name)))
		return -ENOENT;
	int ret = fs_errno(regstore_delete_service(ctx->store, ctx->reg, name));
	if (!ret) {
		fs_views_touched(ctx, NULL);
		fs_changed(ctx);
	}
	return ret;
}

/* Editors copy permissions and times onto what they save. */
static int service_chmod(struct fs_ctx *ctx, const struct fs_entry *e, mode_t mode)
{
	(void)mode;
	struct stat st;
	return service_getattr(ctx, e, NULL, &st);
}

static int service_utimens(struct fs_ctx *ctx, const struct fs_entry *e,
			   const struct timespec tv[2])
{
	(void)tv;
	struct stat st;
	return service_getattr(ctx, e, NULL, &st);
}

static const struct fs_node_ops service_ops = {
	.getattr = service_getattr,
	.open = service_open,
	.create = service_create,
	.read = service_read,
	.write = service_write,
	.truncate = service_truncate,
	.sync = service_sync,
	.release = service_release,
	.unlink = service_unlink,
	.chmod = service_chmod,
	.utimens = service_utimens,
};

/* ---- changes/<table> ---- */

static int list_changes(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	for (size_t i = 0; i < ctx->reg->n; i++)
		if (fs_dir_add(dir, ctx->reg->schemas[i]->name, S_IFREG | 0444))
			return -ENOMEM;
	return 0;
}

/* The table against its baseline, as `schemafs diff` would say it, one
 * finding per line. Read from the store at every open: an apply moves the
 * baseline without changing the registry. */
static int render_changes(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	struct reg_schema *base = NULL;
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct diags d = DIAGS_INIT;
	fs_lock(ctx);
	const struct reg_schema *s = reg_get(ctx->reg, arg);
	int rc = s ? regstore_baseline(ctx->store, arg, &base) : REG_ENOENT;
	if (!rc)
		rc = contract_consumers_of(ctx->reg, &who);
	if (!rc)
		rc = contract_check_schema(base, s,
					   (enum contract_mode)contract_mode_of(ctx->reg, s), &who,
					   &d);
	fs_unlock(ctx);
	if (!rc)
		rc = diags_render(&d, out);
	diags_release(&d);
	contract_consumers_release(&who);
	reg_schema_free(base);
	return fs_errno(rc);
}

const struct fs_route fs_services_routes[] = {
	FS_DIR("/services", list_services_dir),
	FS_CUSTOM("/services/*.yaml", &service_ops),
	FS_DIR("/services/*", list_service),
	FS_VIEW("/services/*/owns", render_owns, 0),
	FS_VIEW("/services/*/reads", render_reads, 0),
	FS_VIEW("/services/*/writes", render_writes, 0),
	FS_VIEW("/services/*/dependents", render_service_dependents, 0),
	FS_DIR("/changes", list_changes),
	FS_VIEW("/changes/*", render_changes, FS_VIEW_PER_OPEN),
};
const size_t fs_services_nroutes = sizeof(fs_services_routes) / sizeof(fs_services_routes[0]);
