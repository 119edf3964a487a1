/*
 * pg_read: what schemafs reads of a target without changing it -- the
 * catalog as a live model for the planner (pg_introspect), the server's
 * version for lint, and the history schemafs recorded there
 * (schemafs_migrations, for the checksum verification).
 */
#include "pg_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

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

/* ---- what lint needs to know of the target ---- */

int pg_server_version(const struct pg_conn *c)
{
	int v = c && c->conn ? PQserverVersion(c->conn) : 0;
	return v > 0 ? v : 0;
}

/* ---- the history as it is now ---- */

void pg_history_free(struct pg_history_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].run);
		free(rows[i].kind);
		free(rows[i].applied_at);
	}
	free(rows);
}

/* The checksum is recomputed by the server, with the very expression that
 * recorded it (q_record), so both sides hash the same bytes. */
static const char q_history[] =
	"SELECT id, run, kind, applied_at::text, steps, "
	"checksum IS NOT DISTINCT FROM encode(sha256(convert_to(sql, 'UTF8')), 'hex') "
	"FROM schemafs_migrations ORDER BY id";

int pg_history_read(struct pg_conn *c, struct pg_history_row **rows, size_t *n, bool *exists,
		    struct sbuf *err)
{
	*rows = NULL;
	*n = 0;
	*exists = false;
	PGresult *res = query(c->conn,
			      "SELECT 1 FROM pg_class c WHERE " IN_SCHEMA
			      " AND c.relname = 'schemafs_migrations'",
			      NULL, err);
	if (!res)
		return REG_EIO;
	*exists = PQntuples(res) > 0;
	PQclear(res);
	if (!*exists)
		return 0;
	if (!(res = query(c->conn, q_history, NULL, err)))
		return REG_EIO;
	size_t k = (size_t)PQntuples(res);
	struct pg_history_row *v = calloc(k + 1, sizeof(*v));
	int rc = v ? 0 : REG_ENOMEM;
	for (size_t i = 0; i < k && !rc; i++) {
		int r = (int)i;
		v[i].id = atoll(PQgetvalue(res, r, 0));
		v[i].steps = atoll(PQgetvalue(res, r, 4));
		v[i].checksum_ok = truth(res, r, 5);
		if (!(v[i].run = strdup(PQgetvalue(res, r, 1))) ||
		    !(v[i].kind = strdup(PQgetvalue(res, r, 2))) ||
		    !(v[i].applied_at = strdup(PQgetvalue(res, r, 3))))
			rc = REG_ENOMEM;
	}
	PQclear(res);
	if (rc) {
		pg_history_free(v, k);
		return rc;
	}
	*rows = v;
	*n = k;
	return 0;
}
