#include "registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "validate.h"
#include "schemafile.h"

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
static int batch_finish(struct batch *b, const char *const *expected_names,
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
		if (!rc && it->schema) {
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

int reg_schemas_from_bytes(const struct reg_source *in, size_t n,
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
	rc = batch_finish(&b, names, out, diags);
out:
	free(names);
	free(b.items);
	return rc;
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
	/* every reference of every schema is looked up here when the graph
	 * and the views are built: stop at the first equal name */
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->schemas[mid]->name, name);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
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

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The schema candidates of dir: "*.yaml" but not dotfiles (editor swap and
 * lock files) and not registry.yaml, sorted. Entries that turn out not to
 * be regular files are skipped when read. */
static int list_yaml(const char *dir, char ***out, size_t *nout)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? REG_ENOENT : REG_EIO;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		size_t slen = strlen(SCHEMA_SUFFIX);
		if (de->d_name[0] == '.' || len <= slen ||
		    strcmp(de->d_name + len - slen, SCHEMA_SUFFIX) || !strcmp(de->d_name, META_FILE))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			char **p = realloc(names, alloc * sizeof(*p));
			if (!p) {
				rc = REG_ENOMEM;
				goto out;
			}
			names = p;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = REG_ENOMEM;
			goto out;
		}
		n++;
		errno = 0;
	}
	if (errno)
		rc = REG_EIO;
out:
	closedir(d);
	if (rc) {
		free_names(names, n);
		return rc;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*nout = n;
	return 0;
}

static char *path_join(const char *a, const char *b)
{
	struct sbuf sb = SBUF_INIT;
	size_t alen = strlen(a);
	while (alen > 1 && a[alen - 1] == '/')
		alen--; /* "d/" names files "d/x.yaml", as import does */
	if (sbuf_addf(&sb, "%.*s/%s", (int)alen, a, b))
		return NULL;
	return sbuf_detach(&sb, NULL);
}

/*
 * Reads a whole regular file. Refuses (with a diagnostic, returning 1)
 * what is not a regular file or is over the size limit, without reading
 * it; returns 0 with the bytes, or a negative REG_E* for memory.
 */
static int read_file(const char *path, const char *shown, char **bytes, size_t *len,
		     struct diags *diags)
{
	struct reg_loc none = { 0, 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf = NULL;
	int rc = 1;
	if (fd < 0 || fstat(fd, &st)) {
		rc = diags_add(diags, shown, none, DIAG_ERROR, "cannot read: %s", strerror(errno));
		rc = rc ? rc : 1;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = diags_add(diags, shown, none, DIAG_WARNING, "not a regular file, skipped");
		rc = rc ? rc : 1;
		goto out;
	}
	if (st.st_size > REG_MAX_FILE_SIZE) {
		rc = diags_add(diags, shown, none, DIAG_ERROR,
			       "file is %lld bytes, over the limit of %d bytes",
			       (long long)st.st_size, REG_MAX_FILE_SIZE);
		rc = rc ? rc : 1;
		goto out;
	}
	/* one byte more than the limit, to notice a file that grew */
	size_t cap = (size_t)st.st_size + 1, n = 0;
	if (!(buf = malloc(cap + 1))) {
		rc = REG_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = diags_add(diags, shown, none, DIAG_ERROR, "cannot read: %s",
				       strerror(errno));
			rc = rc ? rc : 1;
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap) {
			if (cap > REG_MAX_FILE_SIZE)
				break; /* yaml_parse refuses it with its own message */
			char *p = realloc(buf, cap * 2 + 1);
			if (!p) {
				rc = REG_ENOMEM;
				goto out;
			}
			buf = p;
			cap *= 2;
		}
	}
	buf[n] = '\0';
	*bytes = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int load_meta(struct reg_registry *r, const char *dir, const char *shown_dir,
		     struct diags *diags)
{
	char *path = path_join(dir, META_FILE);
	char *shown = path_join(shown_dir, META_FILE);
	char *bytes = NULL;
	size_t len;
	struct reg_meta meta = { 0 };
	struct stat st;
	int rc = REG_ENOMEM;
	if (!path || !shown)
		goto out;
	rc = 0;
	if (stat(path, &st) && errno == ENOENT)
		goto out; /* registry.yaml is optional */
	rc = read_file(path, shown, &bytes, &len, diags);
	if (rc)
		goto out;
	rc = schemafile_parse_meta(bytes, len, shown, &meta, diags);
	if (!rc)
		reg_set_meta(r, &meta);
out:
	free(path);
	free(shown);
	free(bytes);
	/* a refused registry.yaml is reported, not fatal */
	return rc == REG_ENOMEM ? rc : 0;
}

struct load_ctx {
	const char *dir, *shown_dir;
	char **names; /* "users.yaml" */
};

static int parse_file(const struct batch *b, size_t i, struct batch_item *item)
{
	const struct load_ctx *lc = b->ctx;
	char *path = path_join(lc->dir, lc->names[i]);
	char *shown = path_join(lc->shown_dir, lc->names[i]);
	char *bytes = NULL;
	size_t len = 0;
	int rc = REG_ENOMEM;
	if (!path || !shown)
		goto out;
	rc = read_file(path, shown, &bytes, &len, &item->diags);
	if (rc > 0)
		rc = REG_EINVAL; /* refused and reported */
	if (!rc)
		rc = schemafile_parse(bytes, len, shown, &item->schema, &item->diags);
out:
	free(path);
	free(shown);
	free(bytes);
	return rc;
}

int reg_load_dir(struct reg_registry *r, const char *dir, const char *prefix,
		 struct diags *diags)
{
	struct load_ctx lc = { dir, prefix ? prefix : dir, NULL };
	size_t n = 0;
	char **bases = NULL;
	struct reg_schema **out = NULL;
	struct batch b = { .parse = parse_file, .ctx = &lc };
	int rc = list_yaml(dir, &lc.names, &n);
	if (rc)
		return rc;
	rc = load_meta(r, dir, lc.shown_dir, diags);
	if (rc || !n)
		goto out;
	rc = REG_ENOMEM;
	b.n = n;
	b.items = calloc(n, sizeof(*b.items));
	bases = calloc(n, sizeof(*bases));
	out = calloc(n, sizeof(*out));
	if (!b.items || !bases || !out)
		goto out;
	/* the name check wants the base name: "users" for users.yaml */
	for (size_t i = 0; i < n; i++)
		if (!(bases[i] = strndup(lc.names[i], strlen(lc.names[i]) - strlen(SCHEMA_SUFFIX))))
			goto out;
	rc = batch_finish(&b, (const char *const *)bases, out, diags);
	/* in name order, so every registration appends */
	for (size_t i = 0; i < n; i++) {
		if (out[i] && !rc)
			rc = reg_register(r, out[i]);
		else
			reg_schema_free(out[i]);
	}
out:
	free(out);
	free(b.items);
	free_names(bases, bases ? n : 0);
	free_names(lc.names, n);
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
	if (out->nservices > 1)
		qsort(out->services, out->nservices, sizeof(*out->services), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < out->nservices; i++)
		if (!u || strcmp(out->services[u - 1], out->services[i]))
			out->services[u++] = out->services[i];
	out->nservices = u;
	return 0;
}

void reg_dependents_release(struct reg_dependents *d)
{
	free(d->services);
	free(d->refs);
	memset(d, 0, sizeof(*d));
}
