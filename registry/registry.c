#include "registry.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "schemafile.h"
#include "servicefile.h"
#include "strlist.h"
#include "validate.h"

#define META_FILE "registry.yaml"
#define SCHEMA_SUFFIX ".yaml"

struct reg_registry *reg_registry_new(void)
{
	return calloc(1, sizeof(struct reg_registry));
}

void reg_registry_free(struct reg_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		reg_schema_free(r->schemas[i]);
	free(r->schemas);
	for (size_t i = 0; i < r->nservices; i++)
		reg_service_free(r->services[i]);
	free(r->services);
	diags_release(&r->contract_warnings);
	reg_meta_release(&r->meta);
	free(r);
}

int reg_schema_from_bytes(const char *bytes, size_t len, const char *file,
			  const char *expected_name, struct reg_schema **out,
			  struct diags *diags)
{
	struct reg_schema *s = NULL;
	*out = NULL;
	int rc = schemafile_parse(bytes, len, file, &s, diags);
	if (rc)
		return rc;
	size_t errors = diags->errors;
	rc = reg_validate_schema(s, expected_name, diags);
	if (!rc && diags->errors > errors)
		rc = REG_EINVAL;
	if (rc) {
		reg_schema_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* ---- many files at once ---- */

/*
 * libyaml is most of the cost of loading a registry and each file parses
 * alone, so a batch of files is parsed by a few threads. Validation stays
 * in the calling thread: validate.h does not promise to be thread-safe.
 * Every file has its own diagnostics list, merged in input order, so the
 * output does not depend on scheduling.
 */
#define BATCH_MIN_PER_THREAD 64
#define BATCH_MAX_THREADS 8
#define BATCH_CHUNK 16

struct batch_item {
	struct reg_schema *schema;
	struct diags diags;
	int rc;
};

struct batch {
	size_t n;
	size_t next; /* claimed with __atomic_fetch_add */
	struct batch_item *items;
	/* fills items[i].schema/.diags; returns 0, REG_EINVAL/E2BIG (reported)
	 * or REG_ENOMEM */
	int (*parse)(const struct batch *b, size_t i, struct batch_item *item);
	const void *ctx;
};

static void *batch_work(void *arg)
{
	struct batch *b = arg;
	for (;;) {
		size_t start = __atomic_fetch_add(&b->next, BATCH_CHUNK, __ATOMIC_RELAXED);
		if (start >= b->n)
			break;
		size_t end = start + BATCH_CHUNK < b->n ? start + BATCH_CHUNK : b->n;
		for (size_t i = start; i < end; i++)
			b->items[i].rc = b->parse(b, i, &b->items[i]);
	}
	return NULL;
}

static void batch_run(struct batch *b)
{
	pthread_t tids[BATCH_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = b->n / BATCH_MIN_PER_THREAD;
	if (cpus > 0 && want > (size_t)cpus)
		want = (size_t)cpus;
	if (want > BATCH_MAX_THREADS)
		want = BATCH_MAX_THREADS;
	size_t started = 0;
	/* the calling thread is one of the workers; a thread that cannot be
	 * started only means less parallelism */
	while (started + 1 < want && !pthread_create(&tids[started], NULL, batch_work, b))
		started++;
	batch_work(b);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
}

/*
 * Runs the batch, then, in input order, moves each file's diagnostics to
 * diags and validates what parsed. out[i] gets the accepted schemas.
 */
static int batch_finish(struct batch *b, const char *const *expected_names, bool validate,
			struct reg_schema **out, struct diags *diags)
{
	int rc = 0;
	batch_run(b);
	for (size_t i = 0; i < b->n; i++) {
		struct batch_item *it = &b->items[i];
		out[i] = NULL;
		if (!rc && it->rc == REG_ENOMEM)
			rc = REG_ENOMEM;
		if (!rc && diags_move(diags, &it->diags))
			rc = REG_ENOMEM;
		if (!rc && it->schema && !validate) {
			out[i] = it->schema;
			it->schema = NULL;
		} else if (!rc && it->schema) {
			size_t errors = diags->errors;
			int vrc = reg_validate_schema(it->schema,
						      expected_names ? expected_names[i] : NULL, diags);
			if (vrc)
				rc = vrc;
			else if (diags->errors == errors) {
				out[i] = it->schema;
				it->schema = NULL;
			}
		}
		reg_schema_free(it->schema);
		diags_release(&it->diags);
	}
	if (rc)
		for (size_t i = 0; i < b->n; i++) {
			reg_schema_free(out[i]);
			out[i] = NULL;
		}
	return rc;
}

static int parse_source(const struct batch *b, size_t i, struct batch_item *item)
{
	const struct reg_source *src = &((const struct reg_source *)b->ctx)[i];
	return schemafile_parse(src->bytes, src->len, src->file, &item->schema, &item->diags);
}

static int from_bytes(const struct reg_source *in, size_t n, bool validate,
		      struct reg_schema **out, struct diags *diags)
{
	if (!n)
		return 0;
	struct batch b = { .n = n, .parse = parse_source, .ctx = in };
	const char **names = malloc(n * sizeof(*names));
	b.items = calloc(n, sizeof(*b.items));
	int rc = REG_ENOMEM;
	if (!names || !b.items) {
		for (size_t i = 0; i < n; i++)
			out[i] = NULL;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = in[i].expected_name;
	rc = batch_finish(&b, names, validate, out, diags);
out:
	free(names);
	free(b.items);
	return rc;
}

int reg_schemas_from_bytes(const struct reg_source *in, size_t n,
			   struct reg_schema **out, struct diags *diags)
{
	return from_bytes(in, n, true, out, diags);
}

int reg_schemas_parse_bytes(const struct reg_source *in, size_t n,
			    struct reg_schema **out, struct diags *diags)
{
	return from_bytes(in, n, false, out, diags);
}

/* Position of name in r->schemas, or of where it would be inserted
 * (then *found is 0). */
static size_t lower_bound(const struct reg_registry *r, const char *name, int *found)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->schemas[mid]->name, name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < r->n && !strcmp(r->schemas[lo]->name, name);
	return lo;
}

long reg_find(const struct reg_registry *r, const char *name)
{
	if (!r || !name)
		return -1;
	int found;
	size_t i = lower_bound(r, name, &found);
	return found ? (long)i : -1;
}

const struct reg_schema *reg_get(const struct reg_registry *r, const char *name)
{
	long i = reg_find(r, name);
	return i < 0 ? NULL : r->schemas[i];
}

int reg_register(struct reg_registry *r, struct reg_schema *s)
{
	if (!s->name) {
		reg_schema_free(s);
		return REG_EINVAL;
	}
	/* Loading a directory registers in name order: appending is then
	 * O(1) and the whole load stays linear. */
	int found = 0;
	size_t i = (r->n && strcmp(r->schemas[r->n - 1]->name, s->name) < 0)
			   ? r->n
			   : lower_bound(r, s->name, &found);
	if (found) {
		reg_schema_free(r->schemas[i]);
		r->schemas[i] = s;
		r->generation++;
		return 0;
	}
	if (r->n == r->alloc) {
		size_t alloc = r->alloc ? r->alloc * 2 : 16;
		struct reg_schema **p = realloc(r->schemas, alloc * sizeof(*p));
		if (!p) {
			reg_schema_free(s);
			return REG_ENOMEM;
		}
		r->schemas = p;
		r->alloc = alloc;
	}
	memmove(r->schemas + i + 1, r->schemas + i, (r->n - i) * sizeof(*r->schemas));
	r->schemas[i] = s;
	r->n++;
	r->generation++;
	return 0;
}

int reg_unregister(struct reg_registry *r, const char *name)
{
	long i = reg_find(r, name);
	if (i < 0)
		return REG_ENOENT;
	reg_schema_free(r->schemas[i]);
	memmove(r->schemas + i, r->schemas + i + 1, (r->n - (size_t)i - 1) * sizeof(*r->schemas));
	r->n--;
	r->generation++;
	return 0;
}

void reg_set_meta(struct reg_registry *r, struct reg_meta *m)
{
	reg_meta_release(&r->meta);
	r->meta = *m;
	memset(m, 0, sizeof(*m));
	r->generation++;
}

/* ---- loading a directory ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The schema candidates of dir: its "*.yaml" names but registry.yaml, in
 * byte order. Entries that turn out not to be regular files are reported
 * when read. */
static int list_schema_files(const char *dir, struct strlist *out)
{
	int rc = path_list_yaml_names(dir, out);
	long meta = rc ? -1 : strlist_find_sorted(out, META_FILE);
	if (meta >= 0) {
		free(out->items[meta]);
		memmove(out->items + meta, out->items + meta + 1,
			(out->n - (size_t)meta - 1) * sizeof(*out->items));
		out->n--;
	}
	return rc;
}

static int load_meta(struct reg_registry *r, const char *dir, const char *shown_dir,
		     struct diags *diags)
{
	char *path = path_join(dir, META_FILE);
	char *shown = path_join(shown_dir, META_FILE);
	struct sbuf bytes = SBUF_INIT;
	struct reg_meta meta = { 0 };
	struct stat st;
	int rc = REG_ENOMEM;
	if (!path || !shown)
		goto out;
	rc = 0;
	if (stat(path, &st) && errno == ENOENT)
		goto out; /* registry.yaml is optional */
	rc = path_read_file(path, shown, REG_MAX_FILE_SIZE, &bytes, diags);
	if (rc)
		goto out;
	rc = schemafile_parse_meta(bytes.buf, bytes.len, shown, &meta, diags);
	if (!rc)
		reg_set_meta(r, &meta);
out:
	free(path);
	free(shown);
	sbuf_release(&bytes);
	/* a refused registry.yaml is reported, not fatal */
	return rc == REG_ENOMEM ? rc : 0;
}

struct load_ctx {
	const char *dir, *shown_dir;
	const struct strlist *names; /* "users.yaml" */
};

static int parse_file(const struct batch *b, size_t i, struct batch_item *item)
{
	const struct load_ctx *lc = b->ctx;
	char *path = path_join(lc->dir, lc->names->items[i]);
	char *shown = path_join(lc->shown_dir, lc->names->items[i]);
	struct sbuf bytes = SBUF_INIT;
	int rc = REG_ENOMEM;
	if (!path || !shown)
		goto out;
	rc = path_read_file(path, shown, REG_MAX_FILE_SIZE, &bytes, &item->diags);
	if (rc > 0)
		rc = REG_EINVAL; /* refused and reported */
	if (!rc)
		rc = schemafile_parse(bytes.buf, bytes.len, shown, &item->schema, &item->diags);
out:
	free(path);
	free(shown);
	sbuf_release(&bytes);
	return rc;
}

int reg_load_dir(struct reg_registry *r, const char *dir, const char *prefix,
		 struct diags *diags)
{
	struct strlist names = STRLIST_INIT, bases = STRLIST_INIT;
	struct load_ctx lc = { dir, prefix ? prefix : dir, &names };
	struct reg_schema **out = NULL;
	struct batch b = { .parse = parse_file, .ctx = &lc };
	int rc = list_schema_files(dir, &names);
	if (rc)
		goto out;
	rc = load_meta(r, dir, lc.shown_dir, diags);
	if (!rc)
		rc = servicefile_load_dir(r, dir, prefix, diags);
	if (rc || !names.n)
		goto out;
	rc = REG_ENOMEM;
	b.n = names.n;
	b.items = calloc(b.n, sizeof(*b.items));
	out = calloc(b.n, sizeof(*out));
	if (!b.items || !out)
		goto out;
	/* the name check wants the base name: "users" for users.yaml */
	for (size_t i = 0; i < names.n; i++)
		if (strlist_pushn(&bases, names.items[i],
				  strlen(names.items[i]) - strlen(SCHEMA_SUFFIX)))
			goto out;
	rc = batch_finish(&b, (const char *const *)bases.items, true, out, diags);
	/* in name order, so every registration appends */
	for (size_t i = 0; i < b.n; i++) {
		if (out[i] && !rc)
			rc = reg_register(r, out[i]);
		else
			reg_schema_free(out[i]);
	}
out:
	free(out);
	free(b.items);
	strlist_release(&bases);
	strlist_release(&names);
	return rc;
}

/* ---- dependents ---- */

int reg_dependents(const struct reg_registry *r, const char *name,
		   struct reg_dependents *out)
{
	memset(out, 0, sizeof(*out));
	size_t nrefs = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		if (!strcmp(s->name, name))
			continue;
		for (size_t k = 0; k < s->nrefs; k++)
			if (s->refs[k].schema && !strcmp(s->refs[k].schema, name))
				nrefs++;
	}
	if (!nrefs)
		return 0;
	out->refs = malloc(nrefs * sizeof(*out->refs));
	out->services = malloc(nrefs * sizeof(*out->services));
	if (!out->refs || !out->services) {
		reg_dependents_release(out);
		return REG_ENOMEM;
	}
	/* r->schemas is sorted by name, so refs come out in (from, ref) order */
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		if (!strcmp(s->name, name))
			continue;
		for (size_t k = 0; k < s->nrefs; k++) {
			if (!s->refs[k].schema || strcmp(s->refs[k].schema, name))
				continue;
			out->refs[out->nrefs++] = (struct reg_dependent){ s, &s->refs[k] };
			if (s->owner)
				out->services[out->nservices++] = s->owner;
		}
	}
	out->nservices = reg_names_sort_unique(out->services, out->nservices);
	return 0;
}

size_t reg_names_sort_unique(const char **names, size_t n)
{
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || strcmp(names[u - 1], names[i]))
			names[u++] = names[i];
	return u;
}

void reg_dependents_release(struct reg_dependents *d)
{
	free(d->services);
	free(d->refs);
	memset(d, 0, sizeof(*d));
}
