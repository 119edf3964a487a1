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
#include "validate.h"

#define META_FILE "registry.yaml"
/* Services files are revisions named "services/<name>" (docs/store.md). */
#define SERVICE_PREFIX SERVICEFILE_DIR "/"

/* The revision of one schema that the registry holds. */
struct head {
	int64_t id;
	int64_t time;
};

struct regstore {
	struct store *st;
	struct reg_registry *reg;
	struct strmap heads;      /* name -> struct head */
	int64_t data_version;     /* the store's stamp at the last load or sync */
	int64_t writes;
	bool stamped;
	int64_t warned_run;       /* the applied run contract_warnings were computed from */
	/* the contract baselines: the last applied run (read at load and at
	 * every sync that saw a change) and each table's first revision */
	struct store_run applied;
	bool applied_known;
	struct strmap first_rev;  /* name -> first revision id, as a pointer */
	/* refusals of files that can never hold a schema (reg_validate_file_name):
	 * never stored, since nothing could ever clear them; this process's only */
	struct strmap transient;  /* file -> struct diags */
};

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

static void schema_file(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "schemas/%s.yaml", name);
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

/* ---- the contract baseline ---- */

/* The revision id of name in a run's snapshot ("name\tid\n" lines); 0
 * when absent. */
static int64_t snapshot_id(const char *snapshot, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = snapshot; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (!strncmp(p, name, n) && p[n] == '\t')
			return strtoll(p + n + 1, NULL, 10);
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Parses revision id of name; *out NULL when it is gone or no longer
 * parses (then there is nothing to judge against). */
static int parse_rev(struct store *st, const char *name, int64_t id, struct reg_schema **out)
{
	struct store_rev rev = { 0 };
	struct diags ignored = DIAGS_INIT;
	char file[PATH_MAX];
	bool found = false;
	*out = NULL;
	int rc = store_get_rev(st, id, &rev, &found);
	if (!rc && found) {
		schema_file(file, sizeof(file), name);
		rc = schemafile_parse(rev.bytes, rev.len, file, out, &ignored);
		rc = rc == REG_ENOMEM ? rc : 0;
	}
	diags_release(&ignored);
	store_rev_release(&rev);
	return rc;
}

/* The baseline's revision id given the last applied run (NULL: none). */
static int baseline_id(struct store *st, const struct store_run *run, const char *name,
		       int64_t *id)
{
	struct store_rev *revs = NULL;
	size_t n = 0;
	*id = run ? snapshot_id(run->snapshot, name) : 0;
	if (*id)
		return 0;
	int rc = store_history(st, name, &revs, &n);
	if (!rc && n)
		*id = revs[0].id;
	store_revs_free(revs, n);
	return rc;
}

int regstore_baseline(struct store *st, const char *name, struct reg_schema **out)
{
	struct store_run run = { 0 };
	bool found = false;
	int64_t id = 0;
	*out = NULL;
	int rc = store_run_last_applied(st, 0, &run, &found);
	if (!rc)
		rc = baseline_id(st, found ? &run : NULL, name, &id);
	if (!rc && id)
		rc = parse_rev(st, name, id, out);
	store_run_release(&run);
	return rc;
}

int regstore_baseline_registry(struct store *st, const struct reg_registry *now,
			       struct reg_registry **out)
{
	struct store_run run = { 0 };
	bool found = false;
	struct reg_registry *b = reg_registry_new();
	*out = NULL;
	if (!b)
		return REG_ENOMEM;
	int rc = store_run_last_applied(st, 0, &run, &found);
	for (size_t i = 0; i < now->n && !rc; i++) {
		struct reg_schema *s = NULL;
		int64_t id = 0;
		rc = baseline_id(st, found ? &run : NULL, now->schemas[i]->name, &id);
		if (!rc && id)
			rc = parse_rev(st, now->schemas[i]->name, id, &s);
		if (!rc && s)
			rc = reg_register(b, s);
	}
	/* tables applied and since removed are part of the baseline too */
	for (const char *p = found ? run.snapshot : NULL; p && *p && !rc;) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		if (!tab)
			break;
		char *name = strndup(p, (size_t)(tab - p));
		struct reg_schema *s = NULL;
		if (!name)
			rc = REG_ENOMEM;
		else if (!reg_get(now, name) && !(rc = parse_rev(st, name, strtoll(tab + 1, NULL, 10), &s)) && s)
			rc = reg_register(b, s);
		free(name);
		p = nl ? nl + 1 : NULL;
	}
	if (!rc && now->meta.compatibility && !(b->meta.compatibility = strdup(now->meta.compatibility)))
		rc = REG_ENOMEM;
	store_run_release(&run);
	if (rc)
		reg_registry_free(b);
	else
		*out = b;
	return rc;
}

/* The last applied run, read once and then at every refresh_warnings. */
static int applied_run(struct regstore *rs, const struct store_run **run)
{
	bool found = false;
	int rc = 0;
	if (!rs->applied_known) {
		store_run_release(&rs->applied);
		memset(&rs->applied, 0, sizeof(rs->applied));
		rc = store_run_last_applied(rs->st, 0, &rs->applied, &found);
		rs->applied_known = !rc;
		if (!found)
			rs->applied.id = 0;
	}
	*run = rs->applied.id ? &rs->applied : NULL;
	return rc;
}

/* regstore_baseline with what rs remembers: the applied run, and each
 * table's first revision (which never changes once it exists). */
static int cached_baseline(struct regstore *rs, const char *name, struct reg_schema **out)
{
	const struct store_run *run;
	int64_t id = 0;
	*out = NULL;
	int rc = applied_run(rs, &run);
	if (!rc && run)
		id = snapshot_id(run->snapshot, name);
	if (!rc && !id && !(id = (int64_t)(intptr_t)strmap_get_s(&rs->first_rev, name))) {
		rc = baseline_id(rs->st, NULL, name, &id);
		if (!rc && id)
			rc = strmap_put_s(&rs->first_rev, name, (void *)(intptr_t)id, NULL);
	}
	if (!rc && id)
		rc = parse_rev(rs->st, name, id, out);
	return rc;
}

/* The tables a judgement of s reads uses of: s, and the targets of its
 * foreign keys in both revisions (an FK's actions hit their writers). */
static int judged_tables(const struct reg_schema *s, const struct reg_schema *base,
			 struct strlist *out)
{
	int rc = strlist_push(out, s->name);
	for (size_t i = 0; i < s->nrefs && !rc; i++)
		if (s->refs[i].schema)
			rc = strlist_push(out, s->refs[i].schema);
	for (size_t i = 0; base && i < base->nrefs && !rc; i++)
		if (base->refs[i].schema)
			rc = strlist_push(out, base->refs[i].schema);
	strlist_sort(out);
	strlist_uniq(out);
	return rc;
}

/* Judges s against its baseline under its mode for every consumer the
 * registry knows: errors refuse the save (they go to d); warnings (a
 * breaking change with its MAJOR bump) go to warn. */
static int contract_gate(struct regstore *rs, const struct reg_schema *s, struct diags *d,
			 struct diags *warn)
{
	struct reg_schema *base = NULL;
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	struct diags found = DIAGS_INIT;
	struct strlist tables = STRLIST_INIT;
	int rc = cached_baseline(rs, s->name, &base);
	if (!rc)
		rc = judged_tables(s, base, &tables);
	if (!rc)
		rc = contract_consumers_of_tables(rs->reg, (const char *const *)tables.items,
						  tables.n, &who);
	if (!rc)
		rc = contract_check_schema(base, s,
					   (enum contract_mode)contract_mode_of(rs->reg, s), &who,
					   &found);
	for (size_t i = 0; i < found.n && !rc; i++) {
		const struct diag *g = &found.items[i];
		struct diags *to = g->severity == DIAG_ERROR ? d : g->severity == DIAG_WARNING ? warn : NULL;
		if (to)
			rc = diags_add(to, g->file, g->loc, g->severity, "%s", g->message);
	}
	if (!rc && found.errors)
		rc = REG_EINVAL;
	strlist_release(&tables);
	diags_release(&found);
	contract_consumers_release(&who);
	reg_schema_free(base);
	return rc;
}

/* contract_warnings as of the last applied run: every table whose current
 * revision is not the one applied, judged against the applied one. Saves
 * since then add theirs (regstore_save); nothing is recomputed until the
 * next apply. */
static int refresh_warnings(struct regstore *rs)
{
	const struct store_run *run;
	rs->applied_known = false; /* a load or a sync that saw a change: read it again */
	int rc = applied_run(rs, &run);
	int64_t id = run ? run->id : 0;
	if (rc || id == rs->warned_run)
		return rc;
	diags_release(&rs->reg->contract_warnings);
	struct contract_consumers who = CONTRACT_CONSUMERS_INIT;
	if (run)
		rc = contract_consumers_of(rs->reg, &who);
	for (size_t i = 0; run && i < rs->reg->n && !rc; i++) {
		const struct reg_schema *s = rs->reg->schemas[i];
		int64_t applied = snapshot_id(run->snapshot, s->name), head = 0;
		struct reg_schema *base = NULL;
		struct diags d = DIAGS_INIT;
		if (!applied || !regstore_head(rs, s->name, &head, NULL) || head == applied)
			continue;
		rc = parse_rev(rs->st, s->name, applied, &base);
		if (!rc && base)
			rc = contract_check_schema(base, s,
						   (enum contract_mode)contract_mode_of(rs->reg, s),
						   &who, &d);
		if (!rc)
			rc = reg_set_contract_warnings(rs->reg, s->file, &d);
		diags_release(&d);
		reg_schema_free(base);
	}
	contract_consumers_release(&who);
	if (!rc)
		rs->warned_run = id;
	return rc;
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
		rc = refresh_warnings(rs);
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
		rc = refresh_warnings(rs);
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
static int put(struct regstore *rs, struct regstore_save *sv, const char *file, int64_t *id)
{
	struct store *st = rs->st;
	bool base = sv->check_base && sv->name;
	int rc = store_begin(st);
	if (!rc && base)
		rc = check_base(rs, sv);
	if (!rc)
		rc = sv->name ? store_put_schema(st, sv->name, sv->bytes, sv->len, id)
			      : store_put_meta(st, sv->bytes, sv->len);
	if (!rc)
		rc = store_clear_refused(st, file);
	if (rc)
		store_rollback(st);
	else
		rc = store_commit(st);
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
		rc = contract_gate(rs, s, d, &warn);
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
	if (!same && !(rc = store_begin(st))) {
		rc = store_put_schema(st, sname, bytes, len, NULL);
		if (!rc)
			rc = store_clear_refused(st, file);
		if (rc)
			store_rollback(st);
		else
			rc = store_commit(st);
	}
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
