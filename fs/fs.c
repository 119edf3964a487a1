/*
 * fs: the mount as a table of paths to handlers (the contract is fs.h).
 *
 * Each file of fs/ serves one part of the tree and exports its rows as a
 * fragment; this file puts the fragments together and finds the route of
 * a path. The FUSE operations that call the routes are fs_ops.c; the
 * mount's lifecycle is fs_mount.c.
 */
#include "fs_int.h"

#include <errno.h>
#include <string.h>

#include "render.h"

/*
 * The whole mount, fragment by fragment. A path is served by the first
 * row that matches, fragments in this order: the editor files (any other
 * name in the root) come last so that every literal name wins over them.
 *
 *   fs_views.c    README, graph, migration_order, cycles, validation,
 *                 dependents/, *.json, docs/, erd.*, history/
 *   fs_services.c services/, changes/
 *   fs_migrate.c  migrations/
 *   fs_schemas.c  /, registry.yaml, schemas/, editor files in the root
 *                 (its root "*" row last)
 */
static const struct {
	const struct fs_route *routes;
	const size_t *n;
} fs_table[] = {
	{ fs_views_routes, &fs_views_nroutes },
	{ fs_services_routes, &fs_services_nroutes },
	{ fs_migrate_routes, &fs_migrate_nroutes },
	{ fs_schemas_routes, &fs_schemas_nroutes },
};

#define FS_NFRAGMENTS (sizeof(fs_table) / sizeof(fs_table[0]))

/* Does pattern match path? Fills arg (the "*" components joined by '/'). */
static bool route_match(const char *pattern, const char *path, char *arg, size_t argsz)
{
	size_t alen = 0;
	arg[0] = '\0';
	if (!strcmp(pattern, "/"))
		return !strcmp(path, "/");
	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		const char *pe = strchrnul(pattern, '/');
		const char *se = strchrnul(path, '/');
		size_t plen = (size_t)(pe - pattern), slen = (size_t)(se - path);
		if (slen == 0)
			return false;
		/* "*.yaml": a name with that suffix, matched whole */
		size_t suf = plen - 1;
		if (plen > 1 && pattern[0] == '*' &&
		    (slen <= suf || memcmp(se - suf, pattern + 1, suf)))
			return false;
		if (pattern[0] == '*') {
			if (alen + slen + 2 > argsz)
				return false;
			if (alen)
				arg[alen++] = '/';
			memcpy(arg + alen, path, slen);
			alen += slen;
			arg[alen] = '\0';
		} else if (plen != slen || memcmp(pattern, path, slen)) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	return !*pattern && !*path;
}

int fs_resolve(const char *path, struct fs_resolved *r)
{
	memset(&r->e, 0, sizeof(r->e));
	for (size_t t = 0; t < FS_NFRAGMENTS; t++) {
		const struct fs_route *routes = fs_table[t].routes;
		for (size_t i = 0; i < *fs_table[t].n; i++) {
			if (route_match(routes[i].pattern, path, r->arg, sizeof(r->arg))) {
				r->e.route = &routes[i];
				r->e.path = path;
				r->e.arg = strchr(routes[i].pattern, '*') ? r->arg : NULL;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* Is child (a pattern) a direct literal child of dir (a pattern)? */
static const char *literal_child(const char *dir, const char *child)
{
	size_t dl = strcmp(dir, "/") ? strlen(dir) : 0;
	if (strncmp(child, dir, dl) || child[dl] != '/' || !child[dl + 1])
		return NULL;
	const char *name = child + dl + 1;
	if (strchr(name, '/') || name[0] == '*')
		return NULL;
	return name;
}

mode_t fs_route_mode(const struct fs_route *r)
{
	switch (r->kind) {
	case FS_ROUTE_DIR: return S_IFDIR | 0755;
	case FS_ROUTE_TEXT: return S_IFREG | 0644;
	default: return S_IFREG | 0444;
	}
}

int fs_route_list(struct fs_ctx *ctx, const struct fs_entry *e, struct fs_dir *dir)
{
	for (size_t t = 0; t < FS_NFRAGMENTS; t++) {
		const struct fs_route *routes = fs_table[t].routes;
		for (size_t i = 0; i < *fs_table[t].n; i++) {
			const char *name = literal_child(e->route->pattern, routes[i].pattern);
			if (name && fs_dir_add(dir, name, fs_route_mode(&routes[i])))
				return -ENOMEM;
		}
	}
	if (e->route->list)
		return e->route->list(ctx, e->arg, dir);
	return 0;
}

int fs_route_render(struct fs_ctx *ctx, const struct fs_route *rt, const char *arg,
		    struct sbuf *out)
{
	if (!arg && rt->data)
		arg = rt->data; /* FS_VIEW_ARG */
	int ret = rt->view ? fs_errno(render_view_run(rt->view, ctx->reg, arg, out))
			   : rt->render(ctx, arg, out);
	/* the file says what went wrong, which `cat` shows; only a failure
	 * to say it is an error of the read */
	if (ret && ret != -ENOMEM && (rt->flags & FS_VIEW_ERROR_AS_CONTENT))
		return 0;
	return ret;
}
