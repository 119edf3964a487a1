/*
 * bench_gen: writes a registry directory of N generated tables in the seed
 * format: about 10 columns each with realistic PostgreSQL spellings and
 * defaults, about 1.5 references per table (always to an earlier table, so
 * the graph is acyclic), an index per foreign key, some descriptions and
 * version histories. Every file is valid: `schemafs check DIR` is clean.
 *
 *   bench_gen DIR N [SEED]
 *
 * Also linked into bench_core (built with -DBENCH_GEN_NO_MAIN).
 */
#include "bench_gen.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const words[] = {
    "users",	 "accounts", "orders",	 "invoices", "payments",     "products", "carts",
    "shipments", "reviews",  "sessions", "policies", "applications", "tickets",	 "comments",
    "messages",	 "devices",  "events",	 "coupons",  "addresses",    "vendors",
};

/* type, default (NULL: none); PostgreSQL spellings as people write them */
static const struct {
	const char *type, *def;
} columns[] = {
    {"VARCHAR(255)", NULL},
    {"TEXT", NULL},
    {"TIMESTAMP", "CURRENT_TIMESTAMP"},
    {"timestamp with time zone", "now()"},
    {"BOOLEAN", "true"},
    {"DECIMAL(15,2)", "0"},
    {"JSONB", "'{}'::jsonb"},
    {"INTEGER", "0"},
    {"VARCHAR(20)", "'PENDING'"},
    {"DATE", NULL},
    {"BIGINT", NULL},
    {"double precision", NULL},
    {"character varying(64)", NULL},
    {"SMALLINT", "1"},
    {"UUID", "gen_random_uuid()"},
    {"TEXT[]", NULL},
};

static const char *const column_names[] = {
    "name",	 "title",      "status",       "amount", "created_at", "updated_at", "deleted_at",
    "is_active", "payload",    "code",	       "email",	 "note",       "priority",   "score",
    "label",	 "started_on", "external_ref", "tags",	 "version_no", "region",
};

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void bench_table_name(size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%s_%06zu", words[i % (sizeof(words) / sizeof(*words))], i);
}

/* Tables whose key is BIGINT rather than UUID: foreign keys follow. */
static const char *key_type(size_t i)
{
	return i % 3 == 0 ? "BIGINT" : "UUID";
}

static int write_table(FILE *f, size_t i, uint64_t *rng)
{
	char name[64], target[64];
	size_t nref = i == 0 ? 0 : (i % 2 ? 1 : 2); /* 1.5 on average */
	size_t targets[2] = {0, 0};
	size_t used[32];
	size_t nused = 0;

	bench_table_name(i, name, sizeof(name));
	fprintf(f, "name: %s\nowner: %s-service\nversion: 1.%zu.0\n", name,
		words[(i / 7) % (sizeof(words) / sizeof(*words))], i % 4);
	if (i % 4 == 0)
		fprintf(f, "description: 생성된 테이블 %zu (generated table for benchmarks)\n", i);
	fprintf(f,
		"\ncolumns:\n  - name: id\n    type: %s\n    nullable: false\n"
		"    primary_key: true\n    description: 고유 식별자\n",
		key_type(i));

	for (size_t k = 0; k < nref; k++) {
		/* half the references go to a few hub tables, as real schemas do */
		size_t hubs = i < 100 ? 1 : i / 100;
		size_t t = (next(rng) & 1) ? next(rng) % hubs : next(rng) % i;
		if (k == 1 && t == targets[0])
			t = (t + 1) % i;
		targets[k] = t;
		bench_table_name(t, target, sizeof(target));
		fprintf(f, "  - name: ref%zu_id\n    type: %s\n    nullable: %s\n", k, key_type(t),
			k == 1 ? "true" : "false");
	}
	/* fill up to 10 columns with distinct names */
	while (nused < 9 - nref) {
		size_t c = next(rng) % (sizeof(column_names) / sizeof(*column_names));
		int dup = 0;
		for (size_t u = 0; u < nused; u++)
			dup |= used[u] == c;
		if (dup)
			continue;
		used[nused++] = c;
		/* a column name keeps its type across tables, as in real schemas */
		size_t t = c % (sizeof(columns) / sizeof(*columns));
		fprintf(f, "  - name: %s\n    type: %s\n    nullable: %s\n", column_names[c],
			columns[t].type, c % 3 ? "true" : "false");
		if (columns[t].def)
			fprintf(f, "    default: \"%s\"\n", columns[t].def);
		if (c == 10)
			fprintf(f, "    unique: true\n");
		if (c % 5 == 0)
			fprintf(f, "    description: %s 컬럼\n", column_names[c]);
	}

	fprintf(f, "\nreferences:%s\n", nref ? "" : " []");
	for (size_t k = 0; k < nref; k++) {
		bench_table_name(targets[k], target, sizeof(target));
		fprintf(f,
			"  - schema: %s\n    column: id\n    foreign_key: ref%zu_id\n"
			"    on_delete: %s\n    on_update: CASCADE\n",
			target, k, k == 1 ? "SET NULL" : "RESTRICT");
	}

	fprintf(f, "\nindexes:\n");
	for (size_t k = 0; k < nref; k++)
		fprintf(f, "  - name: idx_%s_ref%zu\n    columns: [ref%zu_id]\n", name, k, k);
	fprintf(f, "  - name: idx_%s_%s\n    columns: [%s]\n    unique: false\n", name,
		column_names[used[0]], column_names[used[0]]);

	if (i % 5 == 0)
		fprintf(f, "\nversion_history:\n  - version: 1.0.0\n    date: 2024-01-01\n"
			   "    changes: 초기 스키마 생성\n");
	return ferror(f) ? -1 : 0;
}

int bench_generate(const char *dir, size_t n, unsigned seed)
{
	char path[4096], name[64];
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ seed;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	snprintf(path, sizeof(path), "%s/registry.yaml", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "name: bench\ndescription: %zu generated tables\n", n);
	if (fclose(f))
		return -1;
	for (size_t i = 0; i < n; i++) {
		bench_table_name(i, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
		f = fopen(path, "w");
		if (!f)
			return -1;
		int rc = write_table(f, i, &rng);
		if (fclose(f) || rc)
			return -1;
	}
	return 0;
}

#ifndef BENCH_GEN_NO_MAIN
int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_gen DIR N [SEED]\n");
		return 2;
	}
	char *end;
	unsigned long long n = strtoull(argv[2], &end, 10);
	if (*end || n == 0) {
		fprintf(stderr, "bench_gen: N must be a positive number\n");
		return 2;
	}
	unsigned seed = argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
	if (bench_generate(argv[1], (size_t)n, seed)) {
		fprintf(stderr, "bench_gen: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
#endif
