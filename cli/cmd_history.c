/*
 * cmd_history: what the store remembers of one schema, without a mount.
 *
 *   schemafs history [--db FILE] [--json] NAME   every revision, oldest first
 *   schemafs show [--db FILE] NAME[@REV]         the bytes of one revision
 *
 * Both only read: the store is opened STORE_OPEN_READ, so a mistyped
 * --db creates nothing and a file of an older format is left for a
 * writing command to upgrade.
 */
#include "cli.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "schemafile.h"
#include "store.h"

struct hopts {
	const char *db;
	const char *name;
	bool json;
};

/* 0 parsed, else the exit status (2 usage, 0 after --help). */
static int parse(const char *cmd, int argc, char **argv, bool json_ok, struct hopts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			cli_help_print(cli_help_find(cmd), stdout);
			return -1;
		} else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			o->db = argv[++i];
		} else if (!strncmp(argv[i], "--db=", 5)) {
			o->db = argv[i] + 5;
		} else if (json_ok && !strcmp(argv[i], "--json")) {
			o->json = true;
		} else if (argv[i][0] == '-' || o->name) {
			fprintf(stderr, "schemafs %s: unexpected '%s'\n", cmd, argv[i]);
			return cli_usage_error(cmd);
		} else {
			o->name = argv[i];
		}
	}
	if (!o->name) {
		fprintf(stderr, "schemafs %s: which schema?\n", cmd);
		return cli_usage_error(cmd);
	}
	return 0;
}

static struct store *open_read(const struct hopts *o)
{
	char *db = o->db ? strdup(o->db) : cli_default_db();
	struct store *st = NULL;
	struct sbuf err = SBUF_INIT;
	if (!db)
		fprintf(stderr, "schemafs: out of memory\n");
	else if (store_open_mode(db, STORE_OPEN_READ, &st, &err))
		fprintf(stderr, "schemafs: %s\n", err.buf);
	sbuf_release(&err);
	free(db);
	return st;
}

/* The version a revision's bytes declare, or "-" when they do not parse. */
static void rev_version(const struct store_rev *r, char *buf, size_t size)
{
	struct reg_schema *s = NULL;
	struct diags d = DIAGS_INIT;
	snprintf(buf, size, "-");
	if (!schemafile_parse(r->bytes, r->len, r->name, &s, &d) && s && s->version)
		snprintf(buf, size, "%s", s->version);
	reg_schema_free(s);
	diags_release(&d);
}

static void rev_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, size, "%lld", (long long)t);
}

/* "alice" (uid 1000), the bare uid when it has no name, "-" when unknown. */
static void rev_user(int64_t uid, char *buf, size_t size)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];
	if (uid < 0)
		snprintf(buf, size, "-");
	else if (!getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, size, "%s", res->pw_name);
	else
		snprintf(buf, size, "%lld", (long long)uid);
}

static int print_history(const struct store_rev *revs, size_t n, int64_t current, bool json)
{
	struct sbuf out = SBUF_INIT;
	struct jsonw w;
	char version[128], when[64], who[256];
	if (json) {
		jsonw_init(&w, &out);
		jsonw_arr(&w);
	}
	for (size_t i = 0; i < n; i++) {
		rev_version(&revs[i], version, sizeof(version));
		rev_time(revs[i].time, when, sizeof(when));
		rev_user(revs[i].uid, who, sizeof(who));
		if (!json) {
			sbuf_addf(&out, "%lld\t%s\t%s\t%s%s\n", (long long)revs[i].id, version, when,
				  who, revs[i].id == current ? "\tcurrent" : "");
			continue;
		}
		jsonw_obj(&w);
		jsonw_key(&w, "revision");
		jsonw_int(&w, revs[i].id);
		jsonw_key(&w, "version");
		jsonw_str(&w, strcmp(version, "-") ? version : NULL);
		jsonw_key(&w, "time");
		jsonw_str(&w, when);
		jsonw_key(&w, "uid");
		if (revs[i].uid < 0)
			jsonw_null(&w);
		else
			jsonw_int(&w, revs[i].uid);
		jsonw_key(&w, "user");
		jsonw_str(&w, strcmp(who, "-") ? who : NULL);
		jsonw_key(&w, "current");
		jsonw_bool(&w, revs[i].id == current);
		jsonw_end(&w);
	}
	if (json) {
		jsonw_end(&w);
		if (jsonw_finish(&w))
			sbuf_fail(&out, REG_ENOMEM);
		sbuf_addch(&out, '\n');
	}
	int rc = sbuf_error(&out);
	if (!rc)
		fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
	return rc;
}

int cmd_history(int argc, char **argv)
{
	struct hopts o;
	int status = parse("history", argc, argv, true, &o);
	if (status)
		return status < 0 ? 0 : status;
	struct store *st = open_read(&o);
	struct store_rev *revs = NULL, cur = { 0 };
	size_t n = 0;
	bool found = false;
	if (!st)
		return 1;
	status = 1;
	if (store_history(st, o.name, &revs, &n) || store_get_schema(st, o.name, &cur, &found))
		fprintf(stderr, "schemafs history: %s\n", store_errmsg(st));
	else if (!n)
		fprintf(stderr, "schemafs history: '%s': no such schema, ever\n", o.name);
	else if (print_history(revs, n, found ? cur.id : 0, o.json))
		fprintf(stderr, "schemafs history: out of memory\n");
	else
		status = 0;
	store_rev_release(&cur);
	store_revs_free(revs, n);
	store_close(st);
	return status;
}

/* The revision REV names among revs: a revision id, or a version (its
 * last revision). NULL when none. */
static const struct store_rev *pick(const struct store_rev *revs, size_t n, const char *rev)
{
	char *end, version[128];
	errno = 0;
	long long id = strtoll(rev, &end, 10);
	if (!errno && *rev && !*end)
		for (size_t i = 0; i < n; i++)
			if (revs[i].id == id)
				return &revs[i];
	for (size_t i = n; i-- > 0;) {
		rev_version(&revs[i], version, sizeof(version));
		if (!strcmp(version, rev))
			return &revs[i];
	}
	return NULL;
}

int cmd_show(int argc, char **argv)
{
	struct hopts o;
	int status = parse("show", argc, argv, false, &o);
	if (status)
		return status < 0 ? 0 : status;
	char *name = strdup(o.name);
	if (!name) {
		fprintf(stderr, "schemafs: out of memory\n");
		return 1;
	}
	char *at = strchr(name, '@');
	if (at)
		*at++ = '\0';
	struct store *st = open_read(&o);
	struct store_rev *revs = NULL, cur = { 0 };
	const struct store_rev *r = NULL;
	size_t n = 0;
	bool found = false;
	status = 1;
	if (!st)
		goto out;
	if (at ? store_history(st, name, &revs, &n) : store_get_schema(st, name, &cur, &found)) {
		fprintf(stderr, "schemafs show: %s\n", store_errmsg(st));
		goto out;
	}
	r = at ? pick(revs, n, at) : found ? &cur : NULL;
	if (!r && at)
		fprintf(stderr, "schemafs show: '%s' has no revision or version '%s' "
				"(schemafs history %s lists them)\n", name, at, name);
	else if (!r)
		fprintf(stderr, "schemafs show: '%s' is not registered (schemafs history %s: "
				"its past revisions)\n", name, name);
	else if (fwrite(r->bytes, 1, r->len, stdout) == r->len)
		status = 0;
out:
	store_rev_release(&cur);
	store_revs_free(revs, n);
	if (st)
		store_close(st);
	free(name);
	return status;
}
