/*
 * bench_store: one schema save through the store vs a bare SQLite commit of
 * the same bytes with the same durability (WAL, synchronous=FULL), on the
 * same disk, in the same run (issue 3: within 1.3x).
 *
 *   bench_store [DIR] [SCHEMAS] [SAVES]
 *
 * DIR (default ".") is where both databases live: give a directory on the
 * disk the registry will use; a tmpfs makes fsync free and the ratio
 * meaningless. Both databases first get SCHEMAS rows (default 10000) so the
 * b-trees have the depth of a real registry; then SAVES saves (default 200)
 * of each, interleaved so that disk noise hits both alike. Also prints the
 * time to open the store at that size (read-only inspection + quick_check),
 * since the mount's "ready" target includes it.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "store.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, msg);
	exit(1);
}

/* A schema file of realistic size (~1.5 KiB, like the seed's tables). */
static size_t make_schema(char *buf, size_t cap, int i, int variant)
{
	int n = snprintf(buf, cap,
		"name: table_%05d\nowner: service-%d\nversion: 1.0.%d\n"
		"description: generated table %d for the store benchmark\n\ncolumns:\n"
		"  - name: id\n    type: UUID\n    nullable: false\n    primary_key: true\n"
		"    description: identifier\n\n"
		"  - name: email\n    type: VARCHAR(255)\n    nullable: false\n    unique: true\n"
		"    description: email address\n\n"
		"  - name: name\n    type: VARCHAR(100)\n    nullable: false\n"
		"    description: display name\n\n"
		"  - name: is_active\n    type: BOOLEAN\n    nullable: false\n"
		"    default: \"true\"\n    description: active flag\n\n"
		"  - name: created_at\n    type: TIMESTAMP\n    nullable: false\n"
		"    default: \"CURRENT_TIMESTAMP\"\n    description: creation time\n\n"
		"  - name: updated_at\n    type: TIMESTAMP\n    nullable: false\n"
		"    default: \"CURRENT_TIMESTAMP\"\n    description: update time\n\n"
		"  - name: deleted_at\n    type: TIMESTAMP\n    nullable: true\n"
		"    description: soft delete time\n\n"
		"references:\n  - schema: table_%05d\n    column: id\n    foreign_key: owner_id\n"
		"    on_delete: CASCADE\n\n"
		"indexes:\n  - name: idx_%05d_email\n    columns: [email]\n    unique: true\n"
		"  - name: idx_%05d_active\n    columns: [is_active, deleted_at]\n    unique: false\n",
		i, i % 50, variant, i, i > 0 ? i - 1 : 0, i, i);
	return (size_t)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct stats {
	double median, mean, p90, min;
};

static struct stats summarize(double *t, int n)
{
	struct stats s = { 0 };
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	s.mean = sum / n;
	s.median = t[n / 2];
	s.p90 = t[(n * 9) / 10];
	s.min = t[0];
	return s;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die(sql, msg ? msg : "error");
}

/* The baseline: what any program would do to save the bytes durably. */
struct bare {
	sqlite3 *db;
	sqlite3_stmt *insert, *begin, *commit;
};

static void bare_open(struct bare *b, const char *path)
{
	if (sqlite3_open(path, &b->db) != SQLITE_OK)
		die(path, sqlite3_errmsg(b->db));
	exec(b->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		    "PRAGMA foreign_keys = ON;"
		    "CREATE TABLE IF NOT EXISTS saves (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " bytes BLOB NOT NULL, created_at INTEGER NOT NULL)");
	if (sqlite3_prepare_v2(b->db, "INSERT INTO saves(name, bytes, created_at) "
				      "VALUES (?1, ?2, ?3)", -1, &b->insert, NULL) ||
	    sqlite3_prepare_v2(b->db, "BEGIN IMMEDIATE", -1, &b->begin, NULL) ||
	    sqlite3_prepare_v2(b->db, "COMMIT", -1, &b->commit, NULL))
		die("prepare", sqlite3_errmsg(b->db));
}

static void bare_step(struct bare *b, sqlite3_stmt *s)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die("step", sqlite3_errmsg(b->db));
	sqlite3_reset(s);
}

static void bare_save(struct bare *b, const char *name, const char *bytes, size_t len)
{
	bare_step(b, b->begin);
	sqlite3_bind_text(b->insert, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob64(b->insert, 2, bytes, len, SQLITE_STATIC);
	sqlite3_bind_int64(b->insert, 3, (sqlite3_int64)time(NULL));
	bare_step(b, b->insert);
	bare_step(b, b->commit);
}

static void bare_close(struct bare *b)
{
	sqlite3_finalize(b->insert);
	sqlite3_finalize(b->begin);
	sqlite3_finalize(b->commit);
	sqlite3_close(b->db);
}

static const char *fs_name(const char *dir)
{
	struct statfs sf;
	if (statfs(dir, &sf) != 0)
		return "unknown";
	switch ((unsigned long)sf.f_type) {
	case 0x01021994: return "tmpfs";
	case 0xEF53: return "ext4";
	case 0x9123683E: return "btrfs";
	case 0x58465342: return "xfs";
	case 0x794c7630: return "overlayfs";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	int nschemas = argc > 2 ? atoi(argv[2]) : 10000;
	int nsaves = argc > 3 ? atoi(argv[3]) : 200;
	if (nschemas < 1 || nsaves < 1)
		die("usage", "bench_store [DIR] [SCHEMAS>0] [SAVES>0]");

	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/bench-store-XXXXXX", dir);
	if (!mkdtemp(tmpl))
		die(tmpl, strerror(errno));
	char store_path[4200], bare_path[4200];
	snprintf(store_path, sizeof(store_path), "%s/store.db", tmpl);
	snprintf(bare_path, sizeof(bare_path), "%s/bare.db", tmpl);
	printf("bench_store: %d schemas, %d saves, in %s (%s), sqlite %s\n", nschemas, nsaves,
	       tmpl, fs_name(tmpl), sqlite3_libversion());

	char buf[4096], name[32];
	struct sbuf err = SBUF_INIT;
	struct store *st = NULL;
	struct bare bare = { 0 };
	if (store_open(store_path, &st, &err))
		die("store_open", err.buf);
	bare_open(&bare, bare_path);

	double t0 = now();
	if (store_begin(st))
		die("store_begin", store_errmsg(st));
	exec(bare.db, "BEGIN");
	for (int i = 0; i < nschemas; i++) {
		size_t len = make_schema(buf, sizeof(buf), i, 0);
		snprintf(name, sizeof(name), "table_%05d", i);
		if (store_put_schema(st, name, buf, len, NULL))
			die("put", store_errmsg(st));
		sqlite3_bind_text(bare.insert, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob64(bare.insert, 2, buf, len, SQLITE_STATIC);
		sqlite3_bind_int64(bare.insert, 3, (sqlite3_int64)time(NULL));
		bare_step(&bare, bare.insert);
	}
	if (store_commit(st))
		die("store_commit", store_errmsg(st));
	exec(bare.db, "COMMIT");
	printf("  fill both (one transaction each): %.3f s\n", now() - t0);

	double *ts = calloc((size_t)nsaves, sizeof(double));
	double *tb = calloc((size_t)nsaves, sizeof(double));
	if (!ts || !tb)
		die("calloc", "out of memory");
	for (int i = 0; i < nsaves; i++) {
		int target = (i * 7919) % nschemas;
		size_t len = make_schema(buf, sizeof(buf), target, i + 1);
		snprintf(name, sizeof(name), "table_%05d", target);
		/* alternate which goes first so neither always follows the
		 * other's fsync */
		for (int k = 0; k < 2; k++) {
			bool do_store = (k == 0) == (i % 2 == 0);
			double a = now();
			if (do_store) {
				if (store_put_schema(st, name, buf, len, NULL))
					die("put", store_errmsg(st));
				ts[i] = now() - a;
			} else {
				bare_save(&bare, name, buf, len);
				tb[i] = now() - a;
			}
		}
	}
	struct stats s = summarize(ts, nsaves), b = summarize(tb, nsaves);
	printf("  save, ms          median    mean     p90     min\n");
	printf("  store_put_schema %7.3f %7.3f %7.3f %7.3f\n", s.median * 1e3, s.mean * 1e3,
	       s.p90 * 1e3, s.min * 1e3);
	printf("  bare INSERT+COMMIT %5.3f %7.3f %7.3f %7.3f\n", b.median * 1e3, b.mean * 1e3,
	       b.p90 * 1e3, b.min * 1e3);
	printf("  ratio store/bare: median %.2fx, mean %.2fx (target <= 1.30x)\n",
	       s.median / b.median, s.mean / b.mean);

	store_close(st);
	bare_close(&bare);

	/* open at this size: inspection (read-only, quick_check) + pragmas */
	double o = now();
	if (store_open(store_path, &st, &err))
		die("store_open", err.buf);
	double open_s = now() - o;
	struct store_rev *revs = NULL;
	size_t n = 0;
	o = now();
	if (store_current(st, &revs, &n))
		die("store_current", store_errmsg(st));
	double load_s = now() - o;
	printf("  store_open at %d schemas: %.1f ms; store_current (%zu schemas, all bytes): %.1f ms\n",
	       nschemas, open_s * 1e3, n, load_s * 1e3);
	store_revs_free(revs, n);
	store_close(st);

	unlink(store_path);
	unlink(bare_path);
	rmdir(tmpl);
	free(ts);
	free(tb);
	sbuf_release(&err);
	return 0;
}
