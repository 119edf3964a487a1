#include "pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct pg_conn {
	PGconn *conn;
};

/* ---- targets, shown without passwords ---- */

/* libpq's conninfo parse errors quote the offending fragment, which may be
 * a password: every quoted part is dropped. */
static int add_unquoted(struct sbuf *out, const char *msg)
{
	int rc = 0;
	bool in = false;
	for (const char *p = msg; *p && !rc; p++) {
		if (*p == '"') {
			in = !in;
			rc = sbuf_adds(out, in ? "\"..." : "\"");
			continue;
		}
		if (!in && *p != '\n')
			rc = sbuf_addch(out, *p);
	}
	return rc;
}

/* A conninfo value as libpq reads it back: quoted when it holds a blank,
 * a quote or a backslash (which are escaped), so dbname='a password=b' is
 * never shown as dbname=a password=b, a different target. */
static int add_value(struct sbuf *out, const char *val)
{
	if (*val && !strpbrk(val, " \t\n\r\f\v'\\"))
		return sbuf_adds(out, val);
	int rc = sbuf_addch(out, '\'');
	for (const char *p = val; *p && !rc; p++) {
		if (*p == '\'' || *p == '\\')
			rc = sbuf_addch(out, '\\');
		if (!rc)
			rc = sbuf_addch(out, *p);
	}
	return rc ? rc : sbuf_addch(out, '\'');
}

static bool secret_keyword(const char *kw)
{
	return !strcmp(kw, "password") || !strcmp(kw, "sslpassword");
}

int pg_target_display(const char *conninfo, struct sbuf *out)
{
	static const char *const shown[] = { "service", "host", "hostaddr", "port", "dbname",
					     "user" };
	PQconninfoOption *opts;
	char *errmsg = NULL;
	int rc = 0;
	bool any = false;

	if (!conninfo || !*conninfo) {
		/* the environment: what libpq would use */
		opts = PQconndefaults();
	} else {
		opts = PQconninfoParse(conninfo, &errmsg);
	}
	if (!opts) {
		rc = sbuf_adds(out, "(unparseable target: ");
		if (!rc)
			rc = add_unquoted(out, errmsg ? errmsg : "out of memory");
		if (!rc)
			rc = sbuf_addch(out, ')');
		PQfreemem(errmsg);
		return rc;
	}
	for (size_t k = 0; k < sizeof(shown) / sizeof(shown[0]) && !rc; k++) {
		for (PQconninfoOption *o = opts; o->keyword && !rc; o++) {
			if (strcmp(o->keyword, shown[k]) || !o->val || !*o->val ||
			    secret_keyword(o->keyword))
				continue;
			rc = sbuf_addf(out, "%s%s=", any ? " " : "", o->keyword);
			if (!rc)
				rc = add_value(out, o->val);
			any = true;
		}
	}
	if (!rc && !any)
		rc = sbuf_adds(out, "(libpq defaults)");
	PQconninfoFree(opts);
	return rc;
}

/* ---- connections ---- */

static void quiet(void *arg, const char *message)
{
	/* NOTICEs ("already exists, skipping") are not for the user's terminal */
	(void)arg;
	(void)message;
}

int pg_connect(const char *conninfo, struct pg_conn **out, struct sbuf *err)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo && *conninfo ? conninfo : NULL, "schemafs", NULL };
	struct pg_conn *c = calloc(1, sizeof(*c));
	*out = NULL;
	if (!c)
		return REG_ENOMEM;
	if (conninfo && *conninfo) {
		char *errmsg = NULL;
		PQconninfoOption *o = PQconninfoParse(conninfo, &errmsg);
		if (!o) {
			sbuf_adds(err, "invalid target connection string: ");
			add_unquoted(err, errmsg ? errmsg : "out of memory");
			PQfreemem(errmsg);
			free(c);
			return REG_EINVAL;
		}
		PQconninfoFree(o);
	}
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		sbuf_adds(err, "cannot connect to ");
		pg_target_display(conninfo, err);
		sbuf_adds(err, ": ");
		/* libpq's message ends with a newline and may span lines */
		const char *m = c->conn ? PQerrorMessage(c->conn) : "out of memory";
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		sbuf_add(err, m, n);
		PQfinish(c->conn);
		free(c);
		return REG_EIO;
	}
	PQsetNoticeProcessor(c->conn, quiet, NULL);
	*out = c;
	return 0;
}

void pg_close(struct pg_conn *c)
{
	if (!c)
		return;
	PQfinish(c->conn);
	free(c);
}

/* libpq's string as one the caller frees with free(), as plan.h wants. */
static char *from_libpq(char *q)
{
	if (!q)
		return NULL;
	char *d = strdup(q);
	PQfreemem(q);
	return d;
}

static char *quote_ident(void *ctx, const char *s)
{
	struct pg_conn *c = ctx;
	return from_libpq(PQescapeIdentifier(c->conn, s, strlen(s)));
}

static char *quote_literal(void *ctx, const char *s)
{
	struct pg_conn *c = ctx;
	return from_libpq(PQescapeLiteral(c->conn, s, strlen(s)));
}

struct plan_quoter pg_quoter(struct pg_conn *c)
{
	return (struct plan_quoter){ quote_ident, quote_literal, c };
}

/* ---- errors ---- */

static void result_error(PGconn *conn, const PGresult *res, struct pg_exec_result *r)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	sbuf_reset(&r->error);
	if (state)
		snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", state);
	if (primary) {
		sbuf_adds(&r->error, primary);
	} else {
		const char *m = PQerrorMessage(conn);
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		sbuf_add(&r->error, m, n);
	}
	if (detail)
		sbuf_addf(&r->error, "\nDETAIL: %s", detail);
	if (hint)
		sbuf_addf(&r->error, "\nHINT: %s", hint);
	r->position = pos ? atoi(pos) : 0;
	if (PQstatus(conn) == CONNECTION_BAD)
		r->connection_lost = true;
}

/* Runs a statement without parameters; on failure fills r and returns -1. */
static int run(PGconn *conn, const char *sql, struct pg_exec_result *r)
{
	PGresult *res = PQexec(conn, sql);
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		result_error(conn, res, r);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* ---- introspection ---- */

/* A text[] literal for $1: {"a","b"} with " and \ escaped. */
static int text_array(char *const *names, size_t n, struct sbuf *out)
{
	int rc = sbuf_addch(out, '{');
	for (size_t i = 0; i < n && !rc; i++) {
		rc = sbuf_adds(out, i ? ",\"" : "\"");
		for (const char *p = names[i]; *p && !rc; p++)
			rc = (*p == '"' || *p == '\\')
				 ? sbuf_addch(out, '\\') ?: sbuf_addch(out, *p)
				 : sbuf_addch(out, *p);
		if (!rc)
			rc = sbuf_addch(out, '"');
	}
	return rc ?: sbuf_addch(out, '}');
}

#define IN_SCHEMA "c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"

/*
 * The catalog in five queries whatever the number of tables: the managed
 * tables by name once, then everything else by their oids ($1::oid[]),
 * with key columns as attribute numbers that are mapped to names here --
 * per-row subqueries cost more than the rest together at 10,000 tables.
 */
/* only read once q_has_created found it in the current schema, which is
 * where the unqualified name resolves */
static const char q_created[] = "SELECT name FROM schemafs_tables ORDER BY 1";
static const char q_has_created[] =
	"SELECT 1 FROM pg_class c WHERE " IN_SCHEMA " AND c.relname = 'schemafs_tables'";
static const char q_tables[] =
	"SELECT c.oid, c.relname, c.reltuples::float8 FROM pg_class c WHERE " IN_SCHEMA
	" AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[]) ORDER BY c.relname";
static const char q_columns[] =
	"SELECT a.attrelid, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), "
	/* relid 0: a default never refers to columns, and with a relation
	 * pg_get_expr would take a lock on it, so reading the catalog would
	 * wait for any ALTER in progress */
	"CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) END, a.attnotnull "
	"FROM pg_attribute a "
	"LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
	"WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped "
	"ORDER BY a.attrelid, a.attnum";
static const char q_constraints[] =
	"SELECT k.conrelid, k.conname, k.contype, k.conkey::text, r.relname, k.confrelid, "
	"k.confkey::text, k.confdeltype, k.confupdtype, k.conindid "
	"FROM pg_constraint k LEFT JOIN pg_class r ON r.oid = k.confrelid "
	"WHERE k.conrelid = ANY($1::oid[]) AND k.contype IN ('p', 'u', 'f')";
static const char q_indexes[] =
	"SELECT x.indrelid, i.relname, x.indisunique, x.indexrelid, "
	"x.indexprs IS NULL AND x.indpred IS NULL AND am.amname = 'btree' "
	"AND x.indnatts = x.indnkeyatts AND 0 = ALL (x.indoption::int2[]), x.indkey::text "
	"FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
	"JOIN pg_am am ON am.oid = i.relam WHERE x.indrelid = ANY($1::oid[])";

static PGresult *query(PGconn *conn, const char *sql, const char *arr, struct sbuf *err)
{
	const char *params[1] = { arr };
	PGresult *res = PQexecParams(conn, sql, arr ? 1 : 0, NULL, params, NULL, NULL, 0);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *m = PQerrorMessage(conn);
		size_t n = strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		sbuf_adds(err, "reading the database's catalog failed: ");
		sbuf_add(err, m, n);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* One managed table as the queries see it: its oid, and where its
 * columns are in the columns result (to map attribute numbers to names). */
struct rel {
	unsigned long oid;
	struct plan_live_table *t;
	int first_col, ncols;
};

static int cmp_rel(const void *a, const void *b)
{
	unsigned long x = ((const struct rel *)a)->oid, y = ((const struct rel *)b)->oid;
	return (x > y) - (x < y);
}

static struct rel *find_rel(struct rel *rels, size_t n, const char *oid_text)
{
	struct rel key = { .oid = strtoul(oid_text, NULL, 10) };
	return bsearch(&key, rels, n, sizeof(*rels), cmp_rel);
}

static const char *attname(PGresult *cols, const struct rel *r, long attnum)
{
	for (int i = r->first_col; i < r->first_col + r->ncols; i++)
		if (strtol(PQgetvalue(cols, i, 1), NULL, 10) == attnum)
			return PQgetvalue(cols, i, 2);
	return NULL;
}

/* "{1,2}" (int2[]) or "1 2" (int2vector) -> the names of those columns. */
static int key_names(PGresult *cols, const struct rel *r, const char *text,
		     struct reg_strlist *out)
{
	const char *p = text ? text : "";
	while (*p) {
		char *end;
		if (*p < '0' || *p > '9') {
			p++;
			continue;
		}
		long attnum = strtol(p, &end, 10);
		p = end;
		const char *name = r ? attname(cols, r, attnum) : NULL;
		int rc = reg_strlist_push(out, name ? name : "?", NULL);
		if (rc)
			return rc;
	}
	return 0;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
	return (x > y) - (x < y);
}

static enum reg_fk_action fk_action(const char *c)
{
	switch (c ? *c : 'a') {
	case 'r': return REG_FK_RESTRICT;
	case 'c': return REG_FK_CASCADE;
	case 'n': return REG_FK_SET_NULL;
	case 'd': return REG_FK_SET_DEFAULT;
	default: return REG_FK_NO_ACTION;
	}
}

static const char *val(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static bool truth(PGresult *res, int row, int col)
{
	const char *v = val(res, row, col);
	return v && *v == 't';
}

/* One pg_introspect: the connection, what it fills, and what the later
 * queries need from the earlier ones. */
struct introspection {
	PGconn *conn;
	struct plan_live *out;
	struct sbuf *err;
	struct rel *rels;        /* the managed tables, sorted by oid */
	size_t nrels;
	struct sbuf oids;        /* their oids as an oid[] literal: $1 of the rest */
	PGresult *cols;          /* kept: keys name columns by attribute number */
	unsigned long *backing;  /* indexes behind a primary key or unique, sorted */
	size_t nbacking;
};

/* Tables schemafs created (schemafs_tables, when it exists): planned too,
 * to drop them once unregistered. */
static int load_created(struct introspection *in)
{
	PGresult *res = query(in->conn, q_has_created, NULL, in->err);
	if (!res)
		return REG_EIO;
	bool has_created = PQntuples(res) > 0;
	PQclear(res);
	if (!has_created)
		return 0;
	if (!(res = query(in->conn, q_created, NULL, in->err)))
		return REG_EIO;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && !rc; i++)
		rc = plan_live_add_created(in->out, PQgetvalue(res, i, 0));
	PQclear(res);
	return rc;
}

/* The managed tables that exist, by name ($1 is a text[] literal), sorted
 * by name so in->out->tables stays sorted as it grows. */
static int load_tables(struct introspection *in, const char *names)
{
	PGresult *res = query(in->conn, q_tables, names, in->err);
	int rc = 0;
	if (!res)
		return REG_EIO;
	in->nrels = (size_t)PQntuples(res);
	in->rels = calloc(in->nrels + 1, sizeof(*in->rels));
	if (!in->rels) {
		rc = REG_ENOMEM;
		goto out;
	}
	sbuf_addch(&in->oids, '{');
	for (size_t i = 0; i < in->nrels; i++) {
		struct plan_live_table *t =
		    plan_live_add_table(in->out, PQgetvalue(res, (int)i, 1));
		if (!t) {
			rc = REG_ENOMEM;
			goto out;
		}
		sbuf_addf(&in->oids, "%s%s", i ? "," : "", PQgetvalue(res, (int)i, 0));
		t->rows = atof(PQgetvalue(res, (int)i, 2));
		in->rels[i].oid = strtoul(PQgetvalue(res, (int)i, 0), NULL, 10);
	}
	if ((rc = sbuf_addch(&in->oids, '}')))
		goto out;
	/* the table pointers only now: adding tables moves the array */
	for (size_t i = 0; i < in->nrels; i++)
		in->rels[i].t = &in->out->tables[i];
	qsort(in->rels, in->nrels, sizeof(*in->rels), cmp_rel);
out:
	PQclear(res);
	return rc;
}

static int load_columns(struct introspection *in)
{
	if (!(in->cols = query(in->conn, q_columns, in->oids.buf, in->err)))
		return REG_EIO;
	PGresult *cols = in->cols;
	for (int i = 0; i < PQntuples(cols); i++) {
		struct rel *r = find_rel(in->rels, in->nrels, PQgetvalue(cols, i, 0));
		if (!r)
			continue;
		if (!r->ncols)
			r->first_col = i;
		r->ncols++;
		if (!plan_live_add_column(r->t, PQgetvalue(cols, i, 2), PQgetvalue(cols, i, 3),
					  val(cols, i, 4), truth(cols, i, 5)))
			return REG_ENOMEM;
	}
	return 0;
}

/* One foreign key's target: a referenced table outside the registry has
 * no names here; the reference is invalid for validation anyway. */
static int foreign_key(struct introspection *in, PGresult *res, int i,
		       struct plan_live_constraint *k)
{
	struct rel *to = find_rel(in->rels, in->nrels, PQgetvalue(res, i, 5));
	if ((val(res, i, 4) && !(k->ref_table = strdup(val(res, i, 4)))) ||
	    key_names(in->cols, to, val(res, i, 6), &k->ref_columns))
		return REG_ENOMEM;
	k->on_delete = fk_action(val(res, i, 7));
	k->on_update = fk_action(val(res, i, 8));
	return 0;
}

static int load_constraints(struct introspection *in)
{
	PGresult *res = query(in->conn, q_constraints, in->oids.buf, in->err);
	int rc = 0;
	if (!res)
		return REG_EIO;
	in->backing = calloc((size_t)PQntuples(res) + 1, sizeof(*in->backing));
	if (!in->backing) {
		rc = REG_ENOMEM;
		goto out;
	}
	for (int i = 0; i < PQntuples(res) && !rc; i++) {
		struct rel *r = find_rel(in->rels, in->nrels, PQgetvalue(res, i, 0));
		char kind = PQgetvalue(res, i, 2)[0];
		if (!r)
			continue;
		struct plan_live_constraint *k =
		    plan_live_add_constraint(r->t, PQgetvalue(res, i, 1), (enum plan_con_kind)kind);
		if (!k || key_names(in->cols, r, val(res, i, 3), &k->columns))
			rc = REG_ENOMEM;
		else if (kind == PLAN_CON_FOREIGN)
			rc = foreign_key(in, res, i, k);
		else
			in->backing[in->nbacking++] = strtoul(PQgetvalue(res, i, 9), NULL, 10);
	}
	qsort(in->backing, in->nbacking, sizeof(*in->backing), cmp_ulong);
out:
	PQclear(res);
	return rc;
}

static int load_indexes(struct introspection *in)
{
	PGresult *res = query(in->conn, q_indexes, in->oids.buf, in->err);
	int rc = 0;
	if (!res)
		return REG_EIO;
	for (int i = 0; i < PQntuples(res); i++) {
		struct rel *r = find_rel(in->rels, in->nrels, PQgetvalue(res, i, 0));
		if (!r)
			continue;
		struct plan_live_index *x = plan_live_add_index(r->t, PQgetvalue(res, i, 1));
		if (!x || key_names(in->cols, r, val(res, i, 5), &x->columns)) {
			rc = REG_ENOMEM;
			break;
		}
		unsigned long ioid = strtoul(PQgetvalue(res, i, 3), NULL, 10);
		x->unique = truth(res, i, 2);
		x->backs_constraint = bsearch(&ioid, in->backing, in->nbacking,
					      sizeof(*in->backing), cmp_ulong) != NULL;
		x->simple = truth(res, i, 4);
	}
	PQclear(res);
	return rc;
}

/* $1 of q_tables: the names asked for and those schemafs created, sorted. */
static int table_names(char *const *names, size_t n, const struct strlist *created,
		       struct sbuf *out)
{
	struct strlist all = STRLIST_INIT;
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = strlist_push(&all, names[i]);
	for (size_t i = 0; i < created->n && !rc; i++)
		rc = strlist_push(&all, created->items[i]);
	if (!rc) {
		strlist_sort(&all);
		rc = text_array(all.items, all.n, out);
	}
	strlist_release(&all);
	return rc;
}

int pg_introspect(struct pg_conn *c, char *const *names, size_t n, struct plan_live *out,
		  struct sbuf *err)
{
	struct introspection in = { .conn = c->conn, .out = out, .err = err, .oids = SBUF_INIT };
	struct sbuf arr = SBUF_INIT;
	int rc;

	if (!(rc = load_created(&in)) && !(rc = table_names(names, n, &out->created, &arr)) &&
	    !(rc = load_tables(&in, arr.buf)) && !(rc = load_columns(&in)) &&
	    !(rc = load_constraints(&in)) && !(rc = load_indexes(&in)))
		plan_live_sort(out);
	PQclear(in.cols);
	free(in.rels);
	free(in.backing);
	sbuf_release(&in.oids);
	sbuf_release(&arr);
	if (rc == REG_ENOMEM && !err->len)
		sbuf_adds(err, "out of memory");
	return rc;
}

/* ---- execution ---- */

static const char q_history_ddl[] =
	"CREATE TABLE IF NOT EXISTS schemafs_migrations ("
	" id bigserial PRIMARY KEY,"
	" run text NOT NULL UNIQUE,"
	" kind text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now(),"
	" applied_by text NOT NULL DEFAULT current_user,"
	" registry_revisions text NOT NULL,"
	" steps integer NOT NULL,"
	" sql text NOT NULL,"
	" checksum text NOT NULL);"
	"CREATE TABLE IF NOT EXISTS schemafs_tables ("
	" name text PRIMARY KEY,"
	" created_by_run text NOT NULL,"
	" created_at timestamptz NOT NULL DEFAULT now())";

static const char q_record[] =
	"INSERT INTO schemafs_migrations (run, kind, registry_revisions, steps, sql, checksum) "
	"VALUES ($1, $2, $3, $4::int, $5, encode(sha256(convert_to($5, 'UTF8')), 'hex'))";

void pg_exec_result_init(struct pg_exec_result *r)
{
	memset(r, 0, sizeof(*r));
	sbuf_init(&r->error);
	sbuf_init(&r->notes);
}

void pg_exec_result_release(struct pg_exec_result *r)
{
	if (!r)
		return;
	sbuf_release(&r->error);
	sbuf_release(&r->notes);
}

static int params(PGconn *conn, const char *sql, int n, const char *const *v,
		  struct pg_exec_result *r)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, v, NULL, NULL, 0);
	int rc = 0;
	if (!res || (PQresultStatus(res) != PGRES_COMMAND_OK &&
		     PQresultStatus(res) != PGRES_TUPLES_OK)) {
		result_error(conn, res, r);
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* The history rows: what ran, and which tables schemafs now owns. */
static int record(PGconn *conn, const struct plan *p, const struct pg_exec_opts *o,
		  struct pg_exec_result *r)
{
	struct sbuf sql = SBUF_INIT;
	char steps[32];
	int rc = 0;
	for (size_t i = 0; i < p->n && !rc; i++)
		rc = sbuf_addf(&sql, "-- step %zu: %s %s\n%s\n", i + 1, p->steps[i].schema,
			       p->steps[i].what, p->steps[i].sql);
	if (rc) {
		sbuf_adds(&r->error, "out of memory");
		return -1;
	}
	snprintf(steps, sizeof(steps), "%zu", p->n);
	const char *v[] = { o->run, o->kind ? o->kind : "apply", o->revisions ? o->revisions : "",
			    steps, sql.buf };
	rc = params(conn, q_record, 5, v, r);
	for (size_t i = 0; i < p->created.n && !rc; i++) {
		const char *cv[] = { p->created.items[i], o->run };
		rc = params(conn,
			    "INSERT INTO schemafs_tables (name, created_by_run) VALUES ($1, $2) "
			    "ON CONFLICT (name) DO NOTHING",
			    2, cv, r);
	}
	for (size_t i = 0; i < p->dropped.n && !rc; i++) {
		const char *dv[] = { p->dropped.items[i] };
		rc = params(conn, "DELETE FROM schemafs_tables WHERE name = $1", 1, dv, r);
	}
	sbuf_release(&sql);
	return rc;
}

static int reconnect(PGconn *conn, struct pg_exec_result *r)
{
	if (PQstatus(conn) == CONNECTION_OK)
		return 0;
	/* a server that went away and came back: one fresh attempt */
	PQreset(conn);
	if (PQstatus(conn) != CONNECTION_OK) {
		result_error(conn, NULL, r);
		r->connection_lost = true;
		return REG_EIO;
	}
	PQsetNoticeProcessor(conn, quiet, NULL);
	return 0;
}

int pg_begin(struct pg_conn *c, int lock_timeout_ms, struct pg_exec_result *r)
{
	PGconn *conn = c->conn;
	char sql[128];
	int timeout = lock_timeout_ms > 0 ? lock_timeout_ms : PG_DEFAULT_LOCK_TIMEOUT_MS;
	if (reconnect(conn, r))
		return REG_EIO;
	if (run(conn, "BEGIN", r))
		return REG_EIO;
	/* an int formatted here: nothing from outside reaches this text */
	snprintf(sql, sizeof(sql), "SET LOCAL lock_timeout = %d", timeout);
	if (run(conn, sql, r))
		goto fail;
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_xact_lock(%lld)", PG_ADVISORY_KEY);
	PGresult *res = PQexec(conn, sql);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		result_error(conn, res, r);
		PQclear(res);
		goto fail;
	}
	bool locked = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!locked) {
		r->busy = true;
		sbuf_adds(&r->error, "another migration is running on this database "
				     "(advisory lock held)");
		pg_abort(c);
		return REG_EBUSY;
	}
	if (run(conn, q_history_ddl, r))
		goto fail;
	return 0;
fail:
	pg_abort(c);
	return REG_EIO;
}

void pg_abort(struct pg_conn *c)
{
	/* keep the caller's error: the ROLLBACK's own result is not news */
	struct pg_exec_result scratch;
	if (PQstatus(c->conn) != CONNECTION_OK)
		return;
	pg_exec_result_init(&scratch);
	run(c->conn, "ROLLBACK", &scratch);
	pg_exec_result_release(&scratch);
}

int pg_finish(struct pg_conn *c, const struct plan *p, const struct pg_exec_opts *o,
	      struct pg_exec_result *r)
{
	PGconn *conn = c->conn;
	r->ok = false;
	for (size_t i = 0; i < p->n; i++) {
		if (o->progress)
			o->progress(o->ctx, i + 1, p->n);
		if (run(conn, p->steps[i].sql, r)) {
			r->failed_step = i + 1;
			goto fail;
		}
		r->completed = i + 1;
	}
	if (o->before_commit) {
		struct sbuf err = SBUF_INIT;
		int hrc = o->before_commit(o->ctx, c, &r->notes, &err);
		if (hrc) {
			sbuf_reset(&r->error);
			sbuf_add(&r->error, err.buf, err.len);
			sbuf_release(&err);
			if (PQstatus(conn) == CONNECTION_BAD)
				r->connection_lost = true;
			goto fail;
		}
		sbuf_release(&err);
	}
	if (o->dry_run) {
		if (run(conn, "ROLLBACK", r))
			goto fail;
		r->ok = true;
		return 0;
	}
	if (record(conn, p, o, r))
		goto fail;
	if (run(conn, "COMMIT", r)) {
		if (r->connection_lost)
			r->commit_unknown = true;
		goto fail;
	}
	r->ok = true;
	return 0;
fail:
	if (!r->connection_lost)
		pg_abort(c);
	if (!r->error.len)
		sbuf_adds(&r->error, "out of memory");
	return REG_EIO;
}

int pg_run_committed(struct pg_conn *c, const char *run_token)
{
	if (PQstatus(c->conn) != CONNECTION_OK) {
		PQreset(c->conn);
		if (PQstatus(c->conn) != CONNECTION_OK)
			return REG_EIO;
		PQsetNoticeProcessor(c->conn, quiet, NULL);
	}
	const char *v[] = { run_token };
	PGresult *res = PQexecParams(c->conn,
				     "SELECT count(*) FROM pg_class c WHERE " IN_SCHEMA
				     " AND c.relname = 'schemafs_migrations'",
				     0, NULL, NULL, NULL, NULL, 0);
	int rc = REG_EIO;
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK)
		goto out;
	if (atoi(PQgetvalue(res, 0, 0)) == 0) {
		rc = 0;
		goto out;
	}
	PQclear(res);
	res = PQexecParams(c->conn, "SELECT 1 FROM schemafs_migrations WHERE run = $1", 1, NULL,
			   v, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK)
		rc = PQntuples(res) > 0;
out:
	PQclear(res);
	return rc;
}
