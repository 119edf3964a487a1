/*
 * fs_views: the derived files. A view of the registry alone is a row of
 * the catalogue (registry/render.h); the others (README, validation, the
 * incremental docs/schema.md, the erd/ directory, history/) are rendered
 * here. The
 * cache in front of them renders each view once per generation and keeps
 * the bytes (and their mtime) when a change left them equal, so the
 * kernel keeps its page cache of views a change did not touch.
 */
#include "fs_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "regstore.h"
#include "strlist.h"
#include "validate.h"
#include "schemafile.h"

static int view_readme(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int view_validation(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int view_validation_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int view_docs(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int view_erd_table(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int view_erd_service(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int list_erd_tables(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
static int list_erd_services(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
static int view_history_file(struct fs_ctx *ctx, const char *arg, struct sbuf *out);
static int list_dependents(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
static int list_history(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
static int list_history_revs(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir);
static int view_generation(struct fs_ctx *ctx, const char *arg, struct sbuf *out);

const struct fs_route fs_views_routes[] = {
	FS_VIEW("/README", view_readme, 0),
	FS_DIR("/dependents", list_dependents),
	FS_REG_VIEW("/dependents/*", RENDER_VIEW_DEPENDENTS),
	FS_REG_VIEW("/dependents.json", RENDER_VIEW_DEPENDENTS_JSON),
	FS_REG_VIEW("/graph", RENDER_VIEW_GRAPH),
	FS_REG_VIEW("/graph.json", RENDER_VIEW_GRAPH_JSON),
	FS_REG_VIEW("/migration_order", RENDER_VIEW_ORDER),
	FS_REG_VIEW("/migration_order.json", RENDER_VIEW_ORDER_JSON),
	FS_VIEW("/validation", view_validation, 0),
	FS_VIEW("/validation.json", view_validation_json, 0),
	FS_REG_VIEW("/cycles", RENDER_VIEW_CYCLES),
	FS_REG_VIEW("/cycles.json", RENDER_VIEW_CYCLES_JSON),
	FS_DIR("/docs", NULL),
	/* render_docs, in parts kept between renderings (the same bytes) */
	FS_VIEW("/docs/schema.md", view_docs, 0),
	FS_REG_VIEW("/erd.mmd", RENDER_VIEW_ERD_MERMAID),
	FS_REG_VIEW("/erd.svg", RENDER_VIEW_ERD_SVG),
	/* one table's neighbourhood, one service's tables: <name>.mmd, <name>.svg */
	FS_DIR("/erd", list_erd_tables),
	FS_DIR("/erd/service", list_erd_services),
	FS_VIEW("/erd/service/*", view_erd_service, 0),
	FS_VIEW("/erd/*", view_erd_table, 0),
	FS_DIR("/history", list_history),
	FS_DIR("/history/*", list_history_revs),
	FS_VIEW("/history/*/*", view_history_file, 0),
	FS_VIEW("/generation", view_generation, 0),
};
const size_t fs_views_nroutes = sizeof(fs_views_routes) / sizeof(fs_views_routes[0]);

struct view_entry {
	const struct fs_route *route;
	char *arg;
	uint64_t gen;
	int64_t store_dv;       /* store_data_version at the rendering (validation) */
	struct fs_view_buf *buf;
	struct timespec mtime;
	bool fresh;             /* the kernel's pages, if any, are buf's bytes */
	unsigned open_cur;      /* page-cache handles reading buf */
	unsigned open_old;      /* page-cache handles reading older bytes */
	struct view_entry *next;
};

#define VIEW_BUCKETS 4096

/* docs/schema.md is the largest view (14 MB at 10,000 tables): it is made
 * of per-table sections kept from the last rendering while their key
 * (render_docs_table_key: the bytes they are made of) stays the same, so
 * the first read after a save renders the sections that save touched. */
struct docs_part {
	uint64_t key;
	char *bytes;            /* NULL: not rendered */
	size_t len;
};

struct docs_section {
	char *name;
	uint64_t src_hash;      /* render_docs_schema_hash() of its schema */
	bool src_known;         /* src_hash is of the current schema */
	struct docs_part row;   /* its row in the table of contents */
	struct docs_part body;  /* its section */
	uint64_t round;         /* the last rendering that used it */
	struct docs_section *next;
};

#define DOCS_BUCKETS 16384

struct docs_cache {
	struct docs_section *buckets[DOCS_BUCKETS];
	uint64_t round;
	size_t last_len;        /* the size of the last rendering */
	/* Hashing every schema's bytes is a third of a rendering; the hashes
	 * are kept, and redone only for the schemas fs_views_touched() named,
	 * as long as those were all the registry's changes (its generation
	 * moved by as many steps). */
	bool hashed;            /* the src_hash of the last rendering are kept */
	uint64_t gen;           /* ctx->reg->generation at the last rendering */
	uint64_t touched;       /* fs_views_touched() calls since */
};

struct fs_views {
	struct view_entry *buckets[VIEW_BUCKETS];
	struct docs_cache docs;
	/* what a render() knows of its bytes' time (history/: the revision's),
	 * else 0: the time of the change that made them */
	int64_t rendered_at;
};

int fs_views_new(struct fs_views **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void fs_view_buf_put(struct fs_view_buf *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->bytes);
		free(b);
	}
}

static void entry_free(struct view_entry *e)
{
	fs_view_buf_put(e->buf);
	free(e->arg);
	free(e);
}

static void section_free(struct docs_section *sec)
{
	free(sec->row.bytes);
	free(sec->body.bytes);
	free(sec->name);
	free(sec);
}

void fs_views_free(struct fs_views *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < DOCS_BUCKETS; i++)
		for (struct docs_section *sec = v->docs.buckets[i], *next; sec; sec = next) {
			next = sec->next;
			section_free(sec);
		}
	for (size_t i = 0; i < VIEW_BUCKETS; i++) {
		struct view_entry *e = v->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	render_svg_release();
	free(v);
}

static size_t view_hash(const struct fs_route *route, const char *arg)
{
	size_t h = (size_t)(uintptr_t)route * 2654435761u;
	for (const unsigned char *p = (const unsigned char *)(arg ? arg : ""); *p; p++)
		h = h * 31 + *p;
	return h % VIEW_BUCKETS;
}

static bool arg_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static struct view_entry **view_find(struct fs_views *v, const struct fs_route *route,
				     const char *arg)
{
	struct view_entry **p = &v->buckets[view_hash(route, arg)];
	for (; *p; p = &(*p)->next)
		if ((*p)->route == route && arg_eq((*p)->arg, arg))
			break;
	return p;
}

/* The entry's bytes are no longer the current ones: every handle reading
 * them now reads older bytes, and the kernel may hold them. */
static void entry_outdated(struct view_entry *e)
{
	e->open_old += e->open_cur;
	e->open_cur = 0;
	e->fresh = false;
}

/* validation also shows what other processes record in the store without
 * changing a schema (an import of a file's current bytes clears its
 * refusal): its renderings are also keyed by the store's data version,
 * one cheap PRAGMA per open. Everything else is the registry's alone. */
static bool reads_refusals(const struct fs_route *route)
{
	return route->render == view_validation || route->render == view_validation_json;
}

int fs_view_get(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		struct fs_view_buf **buf, struct timespec *mtime)
{
	struct view_entry **slot = view_find(ctx->views, route, arg), *e = *slot;
	struct sbuf out = SBUF_INIT;
	int64_t dv = 0;
	int ret;

	if (reads_refusals(route) && store_data_version(ctx->store, &dv))
		dv = -1; /* unknown: render */
	if (e && e->buf && e->gen == ctx->generation && e->store_dv == dv && dv >= 0)
		goto found;
	ctx->views->rendered_at = 0;
	ret = fs_route_render(ctx, route, arg, &out);
	if (ret) {
		sbuf_release(&out);
		if (e && (e->open_cur || e->open_old)) {
			/* handles still read its old bytes: keep counting them */
			entry_outdated(e);
			fs_view_buf_put(e->buf);
			e->buf = NULL;
		} else if (e) {
			*slot = e->next;
			entry_free(e);
		}
		return ret;
	}
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || (arg && !(e->arg = strdup(arg)))) {
			free(e);
			sbuf_release(&out);
			return -ENOMEM;
		}
		e->route = route;
		*slot = e;
	}
	if (e->buf && e->buf->len == out.len && !memcmp(e->buf->bytes, out.buf, out.len)) {
		sbuf_release(&out);
	} else {
		struct fs_view_buf *nb = malloc(sizeof(*nb));
		if (!nb) {
			sbuf_release(&out);
			return -ENOMEM;
		}
		nb->refs = 1;
		nb->bytes = sbuf_detach(&out, &nb->len);
		if (!nb->bytes) {
			free(nb);
			return -ENOMEM;
		}
		fs_view_buf_put(e->buf);
		e->buf = nb;
		e->mtime = ctx->changed_at;
		if (ctx->views->rendered_at)
			e->mtime = (struct timespec){ .tv_sec = (time_t)ctx->views->rendered_at };
		entry_outdated(e);
	}
	e->gen = ctx->generation;
	e->store_dv = dv;
found:
	__atomic_add_fetch(&e->buf->refs, 1, __ATOMIC_ACQ_REL);
	*buf = e->buf;
	*mtime = e->mtime;
	return 0;
}

enum fs_view_cache fs_view_open(struct fs_ctx *ctx, const struct fs_route *route,
				const char *arg, const struct fs_view_buf *buf)
{
	struct view_entry *e = *view_find(ctx->views, route, arg);
	if (!e || e->buf != buf || e->open_old)
		return FS_VIEW_DIRECT;
	e->open_cur++;
	return e->fresh ? FS_VIEW_KEEP : FS_VIEW_DROP;
}

void fs_view_dropped(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		     const struct fs_view_buf *buf)
{
	struct view_entry *e = *view_find(ctx->views, route, arg);
	if (e && e->buf == buf && !e->open_old)
		e->fresh = true;
}

void fs_view_close(struct fs_ctx *ctx, const struct fs_route *route, const char *arg,
		   const struct fs_view_buf *buf)
{
	struct view_entry *e = *view_find(ctx->views, route, arg);
	if (!e)
		return;
	if (e->buf == buf && e->open_cur)
		e->open_cur--;
	else if (e->buf != buf && e->open_old)
		e->open_old--;
}

/* ---- the views ---- */

static int view_readme(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	int ret = sbuf_addf(out,
		"schemafs: the schema registry in %s\n"
		"\n"
		"README                 this file\n"
		"registry.yaml          rw  registry metadata (name, description, target)\n"
		"schemas/<name>.yaml    rw  one table per file: create = register, rm = unregister;\n"
		"                           a refused save fails with EINVAL and is explained in validation\n"
		"dependents/<name>      ro  services depending on <name>, one per line\n"
		"graph                  ro  \"<schema>: <dep> <dep>...\" one schema per line\n"
		"migration_order        ro  one schema per line, dependencies first\n"
		"validation             ro  one problem per line (file:line:col); empty when all is valid\n"
		"cycles                 ro  one dependency cycle per line: \"a -> b -> a\"\n"
		"docs/schema.md         ro  Markdown documentation of every table\n"
		"erd.mmd                ro  Mermaid erDiagram of every table\n"
		"erd.svg                ro  every table drawn by Graphviz, clustered by owner\n"
		"erd/<table>.mmd|.svg   ro  one table, what it references and what references it\n"
		"erd/service/<owner>.mmd|.svg  ro  the tables a service owns and their neighbours\n"
		"history/<name>/        ro  every accepted revision: <version>.yaml, <version>~2.yaml...;\n"
		"                           each file's mtime is when that revision was saved\n"
		"generation             ro  a number that changes with every change the views show\n"
		"                           (wait for it: inotifywait -e modify, or poll it)\n"
		"*.json                 ro  JSON twins of graph, migration_order, validation, cycles,\n"
		"                           dependents\n"
		"migrations/                coordinated PostgreSQL migrations (see migrations/README)\n"
		"\n"
		"`echo > schemas/x.yaml` cannot report a refusal: check validation afterwards.\n",
		ctx->db_path);
	return fs_errno(ret);
}

static struct docs_section **section_slot(struct docs_cache *c, const char *name)
{
	size_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 33 + *p;
	struct docs_section **slot = &c->buckets[h % DOCS_BUCKETS];
	while (*slot && strcmp((*slot)->name, name))
		slot = &(*slot)->next;
	return slot;
}

static struct docs_section *section_get(struct docs_cache *c, const char *name)
{
	struct docs_section **slot = section_slot(c, name), *sec = *slot;
	if (sec)
		return sec;
	sec = calloc(1, sizeof(*sec));
	if (!sec || !(sec->name = strdup(name))) {
		free(sec);
		return NULL;
	}
	*slot = sec;
	return sec;
}

typedef bool (*docs_key_fn)(struct render_docs *d, size_t t, uint64_t *key);
typedef int (*docs_render_fn)(const struct render_docs *d, size_t t, struct sbuf *out);

/* Appends a part of table t: the kept bytes while its key is unchanged,
 * else (or when it has no key) a new rendering. */
static int docs_part(struct docs_part *part, struct render_docs *d, size_t t, docs_key_fn key_of,
		     docs_render_fn render, struct sbuf *out)
{
	uint64_t key;
	if (!key_of(d, t, &key))
		return fs_errno(render(d, t, out));
	if (!part->bytes || part->key != key) {
		struct sbuf b = SBUF_INIT;
		int ret = fs_errno(render(d, t, &b));
		if (ret) {
			sbuf_release(&b);
			return ret;
		}
		free(part->bytes);
		part->bytes = sbuf_detach(&b, &part->len);
		if (!part->bytes)
			return -ENOMEM;
		part->key = key;
	}
	return fs_errno(sbuf_add(out, part->bytes, part->len));
}

void fs_views_touched(struct fs_ctx *ctx, const char *name)
{
	struct docs_cache *c = &ctx->views->docs;
	c->touched++;
	if (name) {
		struct docs_section *sec = *section_slot(c, name);
		if (sec)
			sec->src_known = false;
	}
}

/* Every table's cache entry, in registry order, with the hash of its
 * schema (kept, or computed when it may have changed). */
static int docs_entries(struct fs_ctx *ctx, struct render_docs *d, struct docs_section **secs)
{
	struct docs_cache *c = &ctx->views->docs;
	const struct reg_registry *r = ctx->reg;
	bool kept = c->hashed && r->generation == c->gen + c->touched, keyed = true;
	uint64_t *hash = malloc((r->n ? r->n : 1) * sizeof(*hash));
	int ret = hash ? 0 : -ENOMEM;

	for (size_t t = 0; t < r->n && !ret; t++) {
		struct docs_section *sec = secs[t] = section_get(c, r->schemas[t]->name);
		if (!sec) {
			ret = -ENOMEM;
			break;
		}
		sec->round = c->round;
		if (!kept || !sec->src_known)
			sec->src_known = render_docs_schema_hash(r->schemas[t], &sec->src_hash);
		keyed = keyed && sec->src_known;
		hash[t] = sec->src_hash;
	}
	/* without bytes for every schema the parts have no keys (rendered) */
	if (!ret && keyed)
		ret = fs_errno(render_docs_use_hashes(d, hash));
	free(hash);
	return ret;
}

static int docs_compose(struct fs_ctx *ctx, struct render_docs *d, struct sbuf *out)
{
	struct docs_cache *c = &ctx->views->docs;
	const struct reg_registry *r = ctx->reg;
	struct docs_section **secs = calloc(r->n ? r->n : 1, sizeof(*secs));
	int ret = secs ? docs_entries(ctx, d, secs) : -ENOMEM;

	if (!ret && sbuf_grow(out, c->last_len))
		ret = -ENOMEM;
	if (!ret)
		ret = fs_errno(render_docs_title(d, out));
	for (size_t t = 0; t < r->n && !ret; t++)
		ret = docs_part(&secs[t]->row, d, t, render_docs_toc_row_key, render_docs_toc_row,
				out);
	if (!ret)
		ret = fs_errno(render_docs_toc_end(d, out));
	for (size_t t = 0; t < r->n && !ret; t++)
		ret = docs_part(&secs[t]->body, d, t, render_docs_table_key, render_docs_table, out);
	free(secs);
	return ret;
}

static int view_docs(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	struct docs_cache *c = &ctx->views->docs;
	struct render_docs *d;
	int ret = fs_errno(render_docs_new(ctx->reg, &d));
	if (ret)
		return ret;
	c->round++;
	ret = docs_compose(ctx, d, out);
	render_docs_free(d);
	c->hashed = !ret;
	c->gen = ctx->reg->generation;
	c->touched = 0;
	if (ret)
		return ret;
	c->last_len = out->len;
	/* the parts of tables that are gone */
	for (size_t i = 0; i < DOCS_BUCKETS; i++)
		for (struct docs_section **slot = &c->buckets[i]; *slot;) {
			struct docs_section *sec = *slot;
			if (sec->round == c->round) {
				slot = &sec->next;
				continue;
			}
			*slot = sec->next;
			section_free(sec);
		}
	return 0;
}

static int list_dependents(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	for (size_t i = 0; i < ctx->reg->n; i++)
		if (fs_dir_add(dir, ctx->reg->schemas[i]->name, S_IFREG | 0444))
			return -ENOMEM;
	return 0;
}

/* Cross-schema problems of the registry, stored revisions that no longer
 * load, and the last refused write of every file. */
static int collect_validation(struct fs_ctx *ctx, struct diags *d)
{
	int ret = fs_errno(reg_validate_registry(ctx->reg, d));
	if (ret)
		return ret;
	for (size_t i = 0; i < ctx->load_diags.n; i++) {
		const struct diag *g = &ctx->load_diags.items[i];
		if ((ret = fs_errno(diags_add(d, g->file, g->loc, g->severity, "%s", g->message))))
			return ret;
	}
	if ((ret = fs_errno(regstore_refusals(ctx->schemas->rs, d))))
		return ret;
	diags_sort(d);
	return ret;
}

static int view_validation(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	struct diags d = DIAGS_INIT;
	int ret = collect_validation(ctx, &d);
	if (!ret)
		ret = fs_errno(diags_render(&d, out));
	diags_release(&d);
	return ret;
}

static int view_validation_json(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	struct diags d = DIAGS_INIT;
	int ret = collect_validation(ctx, &d);
	if (!ret)
		ret = fs_errno(render_validation_json(&d, out));
	diags_release(&d);
	return ret;
}

/* ---- erd/<table>.mmd|.svg, erd/service/<service>.mmd|.svg ---- */

/* The view of name.mmd or name.svg (id_mmd, id_svg: catalogue rows);
 * -ENOENT for another suffix or a name that names nothing. */
static int erd_file(struct fs_ctx *ctx, const char *arg, enum render_view_id id_mmd,
		    enum render_view_id id_svg, struct sbuf *out)
{
	size_t len = strlen(arg);
	enum render_view_id id;
	if (len > 4 && !strcmp(arg + len - 4, ".mmd"))
		id = id_mmd;
	else if (len > 4 && !strcmp(arg + len - 4, ".svg"))
		id = id_svg;
	else
		return -ENOENT;
	char *name = strndup(arg, len - 4);
	if (!name)
		return -ENOMEM;
	int ret = fs_errno(render_view_run(&render_views[id], ctx->reg, name, out));
	free(name);
	return ret;
}

static int view_erd_table(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	return erd_file(ctx, arg, RENDER_VIEW_ERD_TABLE_MERMAID, RENDER_VIEW_ERD_TABLE_SVG, out);
}

static int view_erd_service(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	return erd_file(ctx, arg, RENDER_VIEW_ERD_SERVICE_MERMAID, RENDER_VIEW_ERD_SERVICE_SVG,
			out);
}

static int erd_pair(struct fs_dir *dir, const char *name)
{
	char file[1024];
	if (strchr(name, '/') || snprintf(file, sizeof(file), "%s.mmd", name) >= (int)sizeof(file))
		return 0; /* no file can have that name */
	if (fs_dir_add(dir, file, S_IFREG | 0444))
		return -ENOMEM;
	memcpy(file + strlen(name), ".svg", 4);
	return fs_dir_add(dir, file, S_IFREG | 0444) ? -ENOMEM : 0;
}

static int list_erd_tables(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	int ret = 0;
	for (size_t i = 0; i < ctx->reg->n && !ret; i++)
		ret = erd_pair(dir, ctx->reg->schemas[i]->name);
	return ret;
}

static int list_erd_services(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	struct strlist owners = STRLIST_INIT;
	int ret = 0;
	for (size_t i = 0; i < ctx->reg->n && !ret; i++) {
		const char *o = ctx->reg->schemas[i]->owner;
		if (o && *o && strlist_push(&owners, o))
			ret = -ENOMEM;
	}
	strlist_sort(&owners);
	strlist_uniq(&owners);
	for (size_t i = 0; i < owners.n && !ret; i++)
		ret = erd_pair(dir, owners.items[i]);
	strlist_release(&owners);
	return ret;
}

/* ---- history/<name>/<version>.yaml ---- */

/* A revision's file name: its version, "~N" when the version repeats.
 * Consecutive identical revisions (a restored or re-saved file) are one. */
struct hist_file {
	char name[96];
	size_t rev;
};

static void rev_version(const struct store_rev *rev, char *buf, size_t size)
{
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	snprintf(buf, size, "rev%lld", (long long)rev->id);
	if (!schemafile_parse(rev->bytes, rev->len, "history", &s, &d) && s && s->version) {
		snprintf(buf, size, "%s", s->version);
		for (char *p = buf; *p; p++)
			if (*p == '/')
				*p = '_';
	}
	reg_schema_free(s);
	diags_release(&d);
}

static int hist_files(const struct store_rev *revs, size_t n, struct hist_file **out, size_t *nout)
{
	struct hist_file *f = calloc(n ? n : 1, sizeof(*f));
	size_t k = 0;
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && revs[i].len == revs[i - 1].len &&
		    !memcmp(revs[i].bytes, revs[i - 1].bytes, revs[i].len))
			continue;
		char version[64];
		rev_version(&revs[i], version, sizeof(version));
		unsigned same = 1;
		for (size_t j = 0; j < k; j++) {
			size_t vl = strlen(version);
			if (!strncmp(f[j].name, version, vl) &&
			    (!strcmp(f[j].name + vl, ".yaml") || f[j].name[vl] == '~'))
				same++;
		}
		if (same == 1)
			snprintf(f[k].name, sizeof(f[k].name), "%s.yaml", version);
		else
			snprintf(f[k].name, sizeof(f[k].name), "%s~%u.yaml", version, same);
		f[k].rev = i;
		k++;
	}
	*out = f;
	*nout = k;
	return 0;
}

static int list_history(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	(void)arg;
	char **names = NULL;
	size_t n = 0;
	int ret = fs_errno(store_history_names(ctx->store, &names, &n));
	if (ret)
		return ret;
	for (size_t i = 0; i < n && !ret; i++)
		if (!regstore_is_service(names[i])) /* services files: no history/ entry */
			ret = fs_dir_add(dir, names[i], S_IFDIR | 0755);
	store_names_free(names, n);
	return ret;
}

static int list_history_revs(struct fs_ctx *ctx, const char *arg, struct fs_dir *dir)
{
	struct store_rev *revs = NULL;
	struct hist_file *files = NULL;
	size_t n = 0, nfiles = 0;
	int ret = fs_errno(store_history(ctx->store, arg, &revs, &n));
	if (ret)
		return ret;
	if (n == 0) {
		ret = -ENOENT;
		goto out;
	}
	ret = hist_files(revs, n, &files, &nfiles);
	for (size_t i = 0; i < nfiles && !ret; i++)
		ret = fs_dir_add(dir, files[i].name, S_IFREG | 0444);
out:
	free(files);
	store_revs_free(revs, n);
	return ret;
}

static int view_history_file(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	const char *slash = strchr(arg, '/');
	struct store_rev *revs = NULL;
	struct hist_file *files = NULL;
	size_t n = 0, nfiles = 0;
	int ret = -ENOENT;
	if (!slash)
		return -ENOENT;
	char *name = strndup(arg, (size_t)(slash - arg));
	if (!name)
		return -ENOMEM;
	if ((ret = fs_errno(store_history(ctx->store, name, &revs, &n))))
		goto out;
	ret = -ENOENT;
	if (hist_files(revs, n, &files, &nfiles)) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++)
		if (!strcmp(files[i].name, slash + 1)) {
			const struct store_rev *r = &revs[files[i].rev];
			ret = fs_errno(sbuf_add(out, r->bytes, r->len));
			ctx->views->rendered_at = r->time; /* the file's mtime */
			break;
		}
out:
	free(files);
	store_revs_free(revs, n);
	free(name);
	return ret;
}

/* ---- generation ----
 *
 * The number of changes the mount has seen (saves, removals, refusals, a
 * pending script, another process's commits once synced): a script
 * compares it, cheaply, instead of re-reading the views. It is a view
 * like the others, rendered once per generation, so its mtime is the time
 * of the last change. */
static int view_generation(struct fs_ctx *ctx, const char *arg, struct sbuf *out)
{
	(void)arg;
	return fs_errno(sbuf_addf(out, "%llu\n", (unsigned long long)ctx->generation));
}
