#include "regstore.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contract.h"
#include "model.h"
#include "path.h"
#include "schemafile.h"
#include "servicefile.h"
#include "strmap.h"
#include "regstore_int.h"
#include "validate.h"

#define META_FILE "registry.yaml"

static void diags_free(void *v)
{
	diags_release(v);
	free(v);
}

int regstore_new(struct store *st, struct reg_registry *reg, struct regstore **out)
{
	struct regstore *rs = calloc(1, sizeof(*rs));
	*out = rs;
	if (!rs)
		return REG_ENOMEM;
	rs->st = st;
	rs->reg = reg;
	rs->warned_run = -1;
	strmap_init(&rs->heads);
	strmap_init(&rs->first_rev);
	strmap_init(&rs->transient);
	return 0;
}

void regstore_free(struct regstore *rs)
{
	if (!rs)
		return;
	strmap_release(&rs->heads, free);
	strmap_release(&rs->first_rev, NULL);
	store_run_release(&rs->applied);
	strmap_release(&rs->transient, diags_free);
	free(rs);
}

static int set_head(struct regstore *rs, const char *name, int64_t id, int64_t time)
{
	struct head *h = strmap_get_s(&rs->heads, name);
	if (!h) {
		if (!(h = malloc(sizeof(*h))))
			return REG_ENOMEM;
		if (strmap_put_s(&rs->heads, name, h, NULL)) {
			free(h);
			return REG_ENOMEM;
		}
	}
	h->id = id;
	h->time = time;
	return 0;
}

bool regstore_head(const struct regstore *rs, const char *name, int64_t *id, int64_t *time)
{
	const struct head *h = strmap_get_s(&rs->heads, name);
	if (h && id)
		*id = h->id;
	if (h && time)
		*time = h->time;
	return h != NULL;
}

/* The store's stamp now; *same when it is the one recorded. */
static int stamp(struct regstore *rs, bool *same, int64_t *dv, int64_t *writes)
{
	int rc = store_data_version(rs->st, dv);
	*writes = store_writes(rs->st);
	*same = !rc && rs->stamped && *dv == rs->data_version && *writes == rs->writes;
	return rc;
}

static void set_stamp(struct regstore *rs, int64_t dv, int64_t writes)
{
	rs->data_version = dv;
	rs->writes = writes;
	rs->stamped = true;
}

bool regstore_is_service(const char *store_name)
{
	return !strncmp(store_name, SERVICE_PREFIX, strlen(SERVICE_PREFIX));
}

/* A stored services revision into the registry; one that no longer
 * parses is a diagnostic. */
static int load_service(struct reg_registry *reg, const struct store_rev *rev, struct diags *d)
{
	const char *name = rev->name + strlen(SERVICE_PREFIX);
	char file[PATH_MAX];
	struct reg_service *sv = NULL;
	snprintf(file, sizeof(file), "%s.yaml", rev->name);
	int rc = servicefile_parse(rev->bytes, rev->len, file, name, &sv, d);
	if (rc)
		return rc == REG_ENOMEM ? rc : 0;
	return reg_register_service(reg, sv);
}

/* Moves the services revisions of revs[0..*n) to the end, keeping both
 * parts in order; *n becomes the number of schemas. */
static void split_services(struct store_rev *revs, size_t *n, struct store_rev *tmp)
{
	size_t k = 0, m = 0;
	for (size_t i = 0; i < *n; i++)
		if (!regstore_is_service(revs[i].name))
			revs[k++] = revs[i];
		else
			tmp[m++] = revs[i];
	if (m)
		memcpy(revs + k, tmp, m * sizeof(*revs));
	*n = k;
}

/* ---- loading ---- */

/* Every stored revision through the registry's parallel loader, parse
 * only: the bytes passed every check when they were saved. */
static int parse_all(const struct store_rev *revs, size_t n, struct reg_schema **out,
		     struct diags *diags)
{
	struct reg_source *in = calloc(n ? n : 1, sizeof(*in));
	char **files = calloc(n ? n : 1, sizeof(*files));
	int rc = REG_ENOMEM;
	if (!in || !files)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (asprintf(&files[i], "schemas/%s.yaml", revs[i].name) < 0) {
			files[i] = NULL;
			goto out;
		}
		in[i] = (struct reg_source){ .bytes = revs[i].bytes, .len = revs[i].len,
					     .file = files[i] };
	}
	rc = reg_schemas_parse_bytes(in, n, out, diags);
out:
	if (files)
		for (size_t i = 0; i < n; i++)
			free(files[i]);
	free(files);
	free(in);
	return rc;
}

/* Parses stored registry.yaml bytes into the registry (source: the bytes). */
static int load_meta(struct regstore *rs, struct store_rev *meta, struct diags *diags)
{
	struct reg_meta m = { 0 };
	int rc = schemafile_parse_meta(meta->bytes, meta->len, META_FILE, &m, diags);
	if (!rc) {
		if (!m.source) {
			m.source = meta->bytes;
			m.source_len = meta->len;
			meta->bytes = NULL;
		}
		reg_set_meta(rs->reg, &m);
	}
	reg_meta_release(&m);
	return rc == REG_ENOMEM ? rc : 0;
}

int regstore_load(struct regstore *rs, struct diags *diags)
{
	struct store_rev *revs = NULL, meta = { 0 };
	struct reg_schema **parsed = NULL;
	size_t n = 0;
	bool found = false, same;
	int64_t dv, writes;
	int rc;

	size_t nall = 0;
	struct store_rev *tmp = NULL;
	if ((rc = stamp(rs, &same, &dv, &writes)) || (rc = store_current(rs->st, &revs, &nall)))
		goto out;
	n = nall;
	if (!(parsed = calloc(n ? n : 1, sizeof(*parsed))) ||
	    !(tmp = malloc((n ? n : 1) * sizeof(*tmp)))) {
		free(tmp);
		rc = REG_ENOMEM;
		goto out;
	}
	split_services(revs, &n, tmp);
	free(tmp);
	for (size_t i = n; i < nall && !rc; i++)
		if (!(rc = load_service(rs->reg, &revs[i], diags)))
			rc = set_head(rs, revs[i].name, revs[i].id, revs[i].time);
	if (rc || (rc = parse_all(revs, n, parsed, diags)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!parsed[i])
			continue;
		rc = reg_register(rs->reg, parsed[i]);
		parsed[i] = NULL;
		if (!rc)
			rc = set_head(rs, revs[i].name, revs[i].id, revs[i].time);
	}
	if (!rc && !(rc = store_get_meta(rs->st, &meta, &found)) && found)
		rc = load_meta(rs, &meta, diags);
	if (!rc)
		rc = regstore_refresh_warnings(rs);
	if (!rc)
		set_stamp(rs, dv, writes);
out:
	if (parsed)
		for (size_t i = 0; i < n; i++)
			reg_schema_free(parsed[i]);
	free(parsed);
	store_rev_release(&meta);
	store_revs_free(revs, nall);
	return rc;
}

/* ---- sync ---- */

/* Loads one changed revision; a revision that does not parse leaves the
 * registered schema as it was. */
static int sync_one(struct regstore *rs, const struct store_rev *head, struct diags *diags,
		    void (*changed)(void *ctx, const char *name), void *ctx)
{
	struct store_rev rev = { 0 };
	struct reg_schema *s = NULL;
	bool found = false;
	char file[PATH_MAX];
	int rc = store_get_rev(rs->st, head->id, &rev, &found);
	if (rc || !found)
		goto out;
	if (regstore_is_service(head->name)) {
		rc = load_service(rs->reg, &rev, diags);
		if (!rc)
			rc = set_head(rs, head->name, head->id, head->time);
		if (!rc && changed)
			changed(ctx, NULL);
		goto out;
	}
	schema_file(file, sizeof(file), head->name);
	rc = schemafile_parse(rev.bytes, rev.len, file, &s, diags);
	rc = rc == REG_ENOMEM ? rc : 0;
	if (!rc)
		rc = set_head(rs, head->name, head->id, head->time);
	if (!rc && s) {
		rc = reg_register(rs->reg, s);
		s = NULL;
		if (!rc && changed)
			changed(ctx, head->name);
	}
out:
	reg_schema_free(s);
	store_rev_release(&rev);
	return rc;
}

/* Schemas loaded earlier that are no longer current. */
static int sync_gone(struct regstore *rs, const struct store_rev *heads, size_t n,
		     void (*changed)(void *ctx, const char *name), void *ctx)
{
	struct strmap current = STRMAP_INIT_BORROWED;
	struct strlist gone = STRLIST_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = strmap_put_s(&current, heads[i].name, (void *)&heads[i], NULL);
	for (struct strmap_entry *e = NULL; !rc && (e = strmap_next(&rs->heads, e));)
		if (!strmap_has_s(&current, e->key))
			rc = strlist_push(&gone, e->key);
	strlist_sort(&gone);
	for (size_t i = 0; i < gone.n && !rc; i++) {
		const char *name = gone.items[i];
		free(strmap_remove_s(&rs->heads, name));
		if (regstore_is_service(name)) {
			if (!reg_unregister_service(rs->reg, name + strlen(SERVICE_PREFIX)) && changed)
				changed(ctx, NULL);
		} else if (reg_unregister(rs->reg, name) == 0 && changed) {
			changed(ctx, name);
		}
	}
	strlist_release(&gone);
	strmap_release(&current, NULL);
	return rc;
}

static int sync_meta(struct regstore *rs, struct diags *diags,
		     void (*changed)(void *ctx, const char *name), void *ctx)
{
	struct store_rev meta = { 0 };
	bool found = false;
	int rc = store_get_meta(rs->st, &meta, &found);
	const struct reg_meta *cur = &rs->reg->meta;
	if (!rc && found && !(cur->source && cur->source_len == meta.len &&
			      !memcmp(cur->source, meta.bytes, meta.len))) {
		rc = load_meta(rs, &meta, diags);
		if (!rc && changed)
			changed(ctx, NULL);
	}
	store_rev_release(&meta);
	return rc;
}

int regstore_sync(struct regstore *rs, struct diags *diags,
		  void (*changed)(void *ctx, const char *name), void *ctx)
{
	struct store_rev *heads = NULL;
	size_t n = 0;
	bool same = false;
	int64_t dv, writes;
	int rc = stamp(rs, &same, &dv, &writes);
	if (rc || same)
		return rc;
	if ((rc = store_current_heads(rs->st, &heads, &n)))
		return rc;
	for (size_t i = 0; i < n && !rc; i++) {
		int64_t id = 0;
		bool service = regstore_is_service(heads[i].name);
		bool known = service ? reg_get_service(rs->reg, heads[i].name +
							strlen(SERVICE_PREFIX)) != NULL
				     : reg_get(rs->reg, heads[i].name) != NULL;
		if (!regstore_head(rs, heads[i].name, &id, NULL) || id != heads[i].id || !known)
			rc = sync_one(rs, &heads[i], diags, changed, ctx);
	}
	if (!rc)
		rc = sync_gone(rs, heads, n, changed, ctx);
	if (!rc)
		rc = sync_meta(rs, diags, changed, ctx);
	if (!rc)
		rc = regstore_refresh_warnings(rs);
	if (!rc)
		set_stamp(rs, dv, writes);
	store_revs_free(heads, n);
	return rc;
}

/* ---- one save ---- */

/* The validation a save passes: exactly one of *schema and meta is filled. */
static int check(const char *name, const char *bytes, size_t len, const char *file,
		 struct reg_schema **schema, struct reg_meta *meta, struct diags *d)
{
	if (name)
		return reg_schema_from_bytes(bytes, len, file, name, schema, d);
	int rc = schemafile_parse_meta(bytes, len, file, meta, d);
	if (!rc && !meta->source) {
		if (!(meta->source = malloc(len + 1)))
			return REG_ENOMEM;
		memcpy(meta->source, bytes, len);
		meta->source[len] = '\0';
		meta->source_len = len;
	}
	return rc;
}

/* Is name's current revision in the store still sv->base? Inside the
 * save's transaction. */
static int check_base(struct regstore *rs, struct regstore_save *sv)
{
	struct store_rev cur = { 0 };
	bool found = false;
	int rc = store_get_schema(rs->st, sv->name, &cur, &found);
	int64_t id = found ? cur.id : 0;
	store_rev_release(&cur);
	if (rc)
		return rc;
	if (id != sv->base) {
		sv->conflict = true;
		sv->newer = id;
		return REG_EBUSY;
	}
	return 0;
}

/* A new revision, and the file's refusal removed: one transaction, so a
 * save costs one fsync and a crash never keeps one without the other;
 * with the base check in it too, so that no other process can commit in
 * between. The refusal goes whether or not this process knows of one
 * (sv->refused): another process or an earlier mount may have recorded
 * it, and the file's current content is now accepted. */
/* store name's new revision (NULL: registry.yaml) and clears file's
 * refusal in the transaction the caller opened; rolls it back or commits. */
static int put_and_clear(struct store *st, const char *name, const char *file, const char *bytes,
			 size_t len, int64_t *id, int rc)
{
	if (!rc)
		rc = name ? store_put_schema(st, name, bytes, len, id) : store_put_meta(st, bytes, len);
	if (!rc)
		rc = store_clear_refused(st, file);
	if (rc)
		store_rollback(st);
	else
		rc = store_commit(st);
	return rc;
}

static int put(struct regstore *rs, struct regstore_save *sv, const char *file, int64_t *id)
{
	struct store *st = rs->st;
	bool base = sv->check_base && sv->name;
	int rc = store_begin(st);
	if (rc)
		return rc;
	if (base)
		rc = check_base(rs, sv);
	rc = put_and_clear(st, sv->name, file, sv->bytes, sv->len, id, rc);
	if (!rc)
		sv->refused = false;
	return rc;
}

int regstore_save(struct regstore *rs, struct regstore_save *sv, struct diags *d)
{
	char file[PATH_MAX];
	struct reg_schema *s = NULL;
	struct reg_meta m = { 0 };
	int64_t id = 0;
	sv->conflict = false;
	sv->newer = sv->rev = 0;
	if (sv->name)
		schema_file(file, sizeof(file), sv->name);
	else
		snprintf(file, sizeof(file), META_FILE);
	struct diags warn = DIAGS_INIT;
	int rc = check(sv->name, sv->bytes, sv->len, file, &s, &m, d);
	if (!rc && sv->name && !sv->put_back)
		rc = regstore_contract_gate(rs, s, d, &warn);
	if (rc)
		goto out;
	if (sv->put_back && sv->restore && sv->name) {
		rc = regstore_restore(rs, sv->name, sv->restore);
		if (rc == REG_EEXIST) {
			sv->conflict = true;
			regstore_head(rs, sv->name, &sv->newer, NULL);
			rc = REG_EBUSY;
		}
		if (rc)
			goto out;
	} else if (!sv->put_back) {
		if ((rc = put(rs, sv, file, &id)))
			goto out;
		sv->rev = id;
		if (sv->name && (rc = reg_set_contract_warnings(rs->reg, file, &warn)))
			goto out;
		if (sv->name && (rc = set_head(rs, sv->name, id, (int64_t)time(NULL))))
			goto out;
	}
	if (sv->no_register)
		goto out;
	if (sv->name) {
		rc = reg_register(rs->reg, s);
		s = NULL;
	} else {
		reg_set_meta(rs->reg, &m);
	}
out:
	diags_release(&warn);
	reg_schema_free(s);
	reg_meta_release(&m);
	return rc;
}

/* Can file ("schemas/x.yaml", "registry.yaml", "services/x.yaml") ever
 * be saved? Only schemas/ has names no content can make acceptable. */
static bool refusal_can_clear(const char *file)
{
	const char *why;
	if (strncmp(file, "schemas/", 8))
		return true;
	return reg_validate_file_name(file + 8, &why) == 1;
}

int regstore_refuse(struct regstore *rs, const char *file, const struct diags *d)
{
	struct diags rows = DIAGS_INIT;
	int rc = 0;
	for (size_t i = 0; i < d->n && !rc; i++) {
		const struct diag *g = &d->items[i];
		if (d->errors && g->severity != DIAG_ERROR)
			continue;
		rc = diags_add(&rows, g->file, g->loc, g->severity, "%s", g->message);
	}
	if (!rc && !rows.n)
		rc = diags_add(&rows, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR, "refused");
	if (!rc && refusal_can_clear(file)) {
		rc = store_set_refused(rs->st, file, &rows);
	} else if (!rc) {
		/* replaces the file's earlier refusal, as the store would */
		struct diags *keep = malloc(sizeof(*keep)), *old = NULL;
		if (!keep)
			rc = REG_ENOMEM;
		else
			diags_init(keep);
		if (!rc && !(rc = diags_move(keep, &rows)) &&
		    !(rc = strmap_put_s(&rs->transient, file, keep, (void **)&old)))
			keep = NULL;
		if (old)
			diags_free(old);
		if (keep)
			diags_free(keep);
	}
	diags_release(&rows);
	return rc;
}

int regstore_refusals(struct regstore *rs, struct diags *out)
{
	struct diags stored = DIAGS_INIT;
	int rc = store_refusals(rs->st, &stored);
	for (size_t i = 0; i < stored.n && !rc; i++) {
		const struct diag *g = &stored.items[i];
		if (refusal_can_clear(g->file))
			rc = diags_add(out, g->file, g->loc, g->severity, "%s", g->message);
	}
	for (struct strmap_entry *e = NULL; !rc && (e = strmap_next(&rs->transient, e));) {
		const struct diags *t = e->value;
		for (size_t i = 0; i < t->n && !rc; i++)
			rc = diags_add(out, t->items[i].file, t->items[i].loc, t->items[i].severity,
				       "%s", t->items[i].message);
	}
	diags_release(&stored);
	return rc;
}

int regstore_delete(struct regstore *rs, const char *name)
{
	char file[PATH_MAX];
	int rc = store_delete_schema(rs->st, name);
	if (!rc)
		free(strmap_remove_s(&rs->heads, name));
	schema_file(file, sizeof(file), name);
	if (!rc)
		rc = reg_set_contract_warnings(rs->reg, file, NULL);
	return rc;
}

/* ---- services files ---- */

int regstore_save_service(struct store *st, struct reg_registry *reg, const char *name,
			  const char *bytes, size_t len, bool refused, struct diags *d)
{
	char file[PATH_MAX + 16], sname[PATH_MAX];
	struct reg_service *sv = NULL;
	snprintf(sname, sizeof(sname), SERVICE_PREFIX "%s", name);
	snprintf(file, sizeof(file), "%s.yaml", sname);
	if (!servicefile_name_ok(name))
		return diags_add(d, file, (struct reg_loc){ 0, 0 }, DIAG_ERROR,
				 "'%s' cannot name a service (letters, digits, '-', '_' and '.')",
				 name) ?: REG_EINVAL;
	int rc = servicefile_parse(bytes, len, file, name, &sv, d);
	if (rc)
		return rc;
	const struct reg_service *cur = reg_get_service(reg, name);
	bool same = cur && cur->source_len == len && !memcmp(cur->source, bytes, len);
	(void)refused; /* cleared whoever recorded it: the content is accepted */
	if (!same && !(rc = store_begin(st)))
		rc = put_and_clear(st, sname, file, bytes, len, NULL, 0);
	if (!rc)
		rc = reg_register_service(reg, sv);
	else
		reg_service_free(sv);
	return rc;
}

int regstore_delete_service(struct store *st, struct reg_registry *reg, const char *name)
{
	char sname[PATH_MAX];
	snprintf(sname, sizeof(sname), SERVICE_PREFIX "%s", name);
	int rc = store_delete_schema(st, sname);
	if (!rc || rc == REG_ENOENT)
		reg_unregister_service(reg, name);
	return rc;
}

int regstore_restore(struct regstore *rs, const char *name, int64_t id)
{
	struct store_rev rev = { 0 };
	bool found = false;
	int rc = store_restore_schema(rs->st, name, id);
	if (!rc)
		rc = store_get_rev(rs->st, id, &rev, &found);
	if (!rc)
		rc = set_head(rs, name, id, found ? rev.time : (int64_t)time(NULL));
	store_rev_release(&rev);
	return rc;
}

/* ---- importing a directory ---- */

struct regstore_file {
	char *name;   /* schema name; NULL for registry.yaml */
	char *bytes;
	size_t len;
};

void regstore_import_release(struct regstore_import *im)
{
	for (size_t i = 0; i < im->naccepted; i++) {
		free(im->accepted[i].name);
		free(im->accepted[i].bytes);
	}
	free(im->accepted);
	strlist_release(&im->files);
	memset(im, 0, sizeof(*im));
}

/* Checks DIR/fname as a save would be; an accepted file is appended to
 * im->accepted, a refused one counted (d says why). */
static int import_one(struct regstore_import *im, const char *dir, const char *prefix,
		      const char *fname, struct diags *d)
{
	char *path = path_join(dir, fname);
	char *shown = prefix ? path_join(prefix, fname) : path;
	struct sbuf text = SBUF_INIT;
	struct reg_schema *s = NULL;
	struct reg_meta meta = { 0 };
	char *name = NULL;
	size_t errors = d->errors;
	int rc = REG_ENOMEM;
	if (!path || !shown)
		goto out;
	bool is_meta = !strcmp(fname, META_FILE);
	if (!is_meta && !(name = strndup(fname, strlen(fname) - strlen(".yaml"))))
		goto out;
	rc = path_read_file(path, shown, REG_MAX_FILE_SIZE, &text, d);
	if (rc == 0 && name && regstore_is_service(name)) {
		struct reg_service *sv = NULL;
		rc = servicefile_parse(text.buf, text.len, shown, name + strlen(SERVICE_PREFIX),
				       &sv, d);
		reg_service_free(sv);
	} else if (rc == 0) {
		rc = check(name, text.buf, text.len, shown, &s, &meta, d);
	}
	else if (rc == 1)
		rc = REG_EINVAL;
	if (rc == REG_ENOMEM)
		goto out;
	if (rc == 0 && d->errors > errors)
		rc = REG_EINVAL; /* never trust a success that came with errors */
	if (rc && d->errors == errors &&
	    diags_add(d, shown, (struct reg_loc){ 0, 0 }, DIAG_ERROR, "%s", reg_strerror(rc))) {
		rc = REG_ENOMEM;
		goto out;
	}
	if (rc) {
		im->nrefused++;
		rc = 0;
		goto out;
	}
	struct regstore_file *f = &im->accepted[im->naccepted++];
	f->name = name;
	f->bytes = sbuf_detach(&text, &f->len);
	name = NULL;
out:
	reg_schema_free(s);
	reg_meta_release(&meta);
	sbuf_release(&text);
	free(name);
	if (shown != path)
		free(shown);
	free(path);
	return rc;
}

/* DIR/services/x.yaml as "services/x.yaml" among the files read. */
static int list_services(const char *dir, struct strlist *files)
{
	struct strlist names = STRLIST_INIT;
	struct sbuf f = SBUF_INIT;
	char *sdir = path_join(dir, SERVICEFILE_DIR);
	int rc = sdir ? path_list_yaml(sdir, &names) : REG_ENOMEM;
	if (rc == REG_ENOENT)
		rc = 0;
	for (size_t i = 0; i < names.n && !rc; i++) {
		sbuf_reset(&f);
		sbuf_addf(&f, SERVICE_PREFIX "%s", names.items[i]);
		rc = sbuf_error(&f) ?: strlist_push(files, f.buf);
	}
	strlist_sort(files);
	sbuf_release(&f);
	strlist_release(&names);
	free(sdir);
	return rc;
}

int regstore_import_read(struct regstore_import *im, const char *dir, const char *prefix,
			 struct diags *d)
{
	int rc = path_list_yaml(dir, &im->files);
	if (!rc)
		rc = list_services(dir, &im->files);
	if (rc)
		return rc;
	if (!(im->accepted = calloc(im->files.n ? im->files.n : 1, sizeof(*im->accepted))))
		return REG_ENOMEM;
	for (size_t i = 0; i < im->files.n && !rc; i++)
		rc = import_one(im, dir, prefix, im->files.items[i], d);
	return rc;
}

/* Stores f unless the current bytes are already the same: importing the
 * same directory twice adds no history. */
static int import_store_one(struct store *st, const struct regstore_file *f, bool *stored)
{
	struct store_rev cur;
	char file[PATH_MAX + 8];
	bool found = false;
	if (f->name)
		snprintf(file, sizeof(file), "%s%s.yaml", regstore_is_service(f->name) ? "" : "schemas/",
			 f->name);
	else
		snprintf(file, sizeof(file), META_FILE);
	/* the file's content is accepted, stored now or already: whatever
	 * refusal of it a mount recorded is no longer the state of the file */
	int rc = store_clear_refused(st, file);
	if (!rc)
		rc = f->name ? store_get_schema(st, f->name, &cur, &found)
			     : store_get_meta(st, &cur, &found);
	if (rc)
		return rc;
	*stored = !(found && cur.len == f->len && !memcmp(cur.bytes, f->bytes, f->len));
	store_rev_release(&cur);
	if (!*stored)
		return 0;
	if (f->name)
		return store_put_schema(st, f->name, f->bytes, f->len, NULL);
	return store_put_meta(st, f->bytes, f->len);
}

/* Unregisters current schemas with no <name>.yaml among the files read. */
static int prune(struct store *st, struct regstore_import *im)
{
	struct store_rev *cur = NULL;
	struct sbuf fname = SBUF_INIT;
	size_t n = 0;
	int rc = store_current_heads(st, &cur, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		sbuf_reset(&fname);
		sbuf_addf(&fname, "%s.yaml", cur[i].name);
		if ((rc = sbuf_error(&fname)))
			break;
		if (strlist_find_sorted(&im->files, fname.buf) >= 0)
			continue;
		rc = store_delete_schema(st, cur[i].name);
		if (!rc)
			im->npruned++;
	}
	sbuf_release(&fname);
	store_revs_free(cur, n);
	return rc;
}

int regstore_import_store(struct store *st, struct regstore_import *im, bool prune_missing)
{
	int rc = store_begin(st);
	if (rc)
		return rc;
	im->nstored = im->npruned = 0;
	for (size_t i = 0; !rc && i < im->naccepted; i++) {
		bool stored = false;
		rc = import_store_one(st, &im->accepted[i], &stored);
		im->nstored += stored;
	}
	if (!rc && prune_missing)
		rc = prune(st, im);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}
