/*
 * Check without a database (CI without PostgreSQL): the database the plan
 * is built against is rebuilt from the store alone. The newest applied run
 * (an apply or a baseline no rollback undid) recorded the registry it left
 * the database at, as revisions: those schemas become a struct plan_live,
 * exactly as the planner would have read them from pg_catalog after that
 * run (keys under PostgreSQL's default names). Without such a run the
 * database is taken to be empty, so every table is new.
 */
#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_applied(const struct store_run *r)
{
	return r->state && !strcmp(r->state, "succeeded") && !r->undone_by && r->kind &&
	       (!strcmp(r->kind, "apply") || !strcmp(r->kind, "baseline"));
}

static int add_key(struct plan_live_table *t, const char *name, enum plan_con_kind kind,
		   const struct reg_strlist *cols)
{
	struct plan_live_constraint *k = plan_live_add_constraint(t, name, kind);
	int rc = k ? 0 : REG_ENOMEM;
	for (size_t i = 0; cols && i < cols->n && !rc; i++)
		rc = reg_strlist_push(&k->columns, cols->items[i], NULL);
	return rc;
}

/* The primary key, unique columns and foreign keys of s, as PostgreSQL
 * names them by default. */
static int add_constraints(struct plan_live_table *t, const struct reg_schema *s)
{
	struct reg_strlist pk = { 0 };
	char name[3 * REG_MAX_IDENT_LEN];
	size_t npk = 0;
	int rc = 0;
	for (size_t i = 0; i < s->ncolumns && !rc; i++) {
		if (!s->columns[i].primary_key)
			continue;
		npk++;
		rc = reg_strlist_push(&pk, s->columns[i].name, NULL);
	}
	snprintf(name, sizeof(name), "%s_pkey", s->name);
	if (!rc && npk)
		rc = add_key(t, name, PLAN_CON_PRIMARY, &pk);
	reg_strlist_release(&pk);
	for (size_t i = 0; i < s->ncolumns && !rc; i++) {
		const struct reg_column *c = &s->columns[i];
		struct reg_strlist one = { 0 };
		if (!c->unique || (npk == 1 && c->primary_key))
			continue;
		snprintf(name, sizeof(name), "%s_%s_key", s->name, c->name);
		rc = reg_strlist_push(&one, c->name, NULL) ?: add_key(t, name, PLAN_CON_UNIQUE, &one);
		reg_strlist_release(&one);
	}
	for (size_t i = 0; i < s->nrefs && !rc; i++) {
		const struct reg_reference *r = &s->refs[i];
		snprintf(name, sizeof(name), "%s_%s_fkey", s->name,
			 r->foreign_keys.n ? r->foreign_keys.items[0] : "ref");
		if ((rc = add_key(t, name, PLAN_CON_FOREIGN, &r->foreign_keys)))
			break;
		struct plan_live_constraint *k = &t->cons[t->ncons - 1];
		k->on_delete = r->on_delete;
		k->on_update = r->on_update;
		if (!(k->ref_table = strdup(r->schema)))
			rc = REG_ENOMEM;
		for (size_t j = 0; j < r->columns.n && !rc; j++)
			rc = reg_strlist_push(&k->ref_columns, r->columns.items[j], NULL);
	}
	return rc;
}

static int add_table(struct plan_live *live, const struct reg_schema *s)
{
	struct plan_live_table *t = plan_live_add_table(live, s->name);
	if (!t)
		return REG_ENOMEM;
	t->rows = -1;
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		if (!plan_live_add_column(t, c->name, c->type, c->default_expr,
					  !c->nullable || c->primary_key))
			return REG_ENOMEM;
	}
	for (size_t i = 0; i < s->nindexes; i++) {
		const struct reg_index *d = &s->indexes[i];
		struct plan_live_index *x = plan_live_add_index(t, d->name);
		if (!x)
			return REG_ENOMEM;
		x->unique = d->unique;
		x->simple = true;
		for (size_t j = 0; j < d->columns.n; j++)
			if (reg_strlist_push(&x->columns, d->columns.items[j], NULL))
				return REG_ENOMEM;
	}
	return add_constraints(t, s);
}

/* One "name\trevision" line of a snapshot into live. */
static int add_revision(struct session *s, struct plan_live *live, const char *name, int64_t id)
{
	struct store_rev rev = { 0 };
	struct reg_schema *sc = NULL;
	struct diags scratch = DIAGS_INIT;
	char file[REG_MAX_IDENT_LEN + 32];
	bool found = false;
	snprintf(file, sizeof(file), "schemas/%s.yaml", name);
	int rc = store_get_rev(s->m->st, id, &rev, &found);
	if (rc)
		return session_store_failed(s, "reading the baseline", rc);
	/* a revision that no longer loads: the table is unknown, planned new */
	if (found)
		rc = reg_schema_from_bytes(rev.bytes, rev.len, file, name, &sc, &scratch);
	if (!rc && sc)
		rc = add_table(live, sc);
	reg_schema_free(sc);
	diags_release(&scratch);
	store_rev_release(&rev);
	return rc == REG_ENOMEM ? rc : 0;
}

static int add_snapshot(struct session *s, struct plan_live *live, const char *snapshot)
{
	int rc = 0;
	for (const char *p = snapshot; p && *p && !rc;) {
		const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (tab && tab < nl && (size_t)(tab - p) <= REG_MAX_IDENT_LEN) {
			char name[REG_MAX_IDENT_LEN + 1];
			memcpy(name, p, (size_t)(tab - p));
			name[tab - p] = 0;
			rc = add_revision(s, live, name, strtoll(tab + 1, NULL, 10));
		}
		p = *nl ? nl + 1 : nl;
	}
	return rc;
}

int offline_live(struct session *s, struct plan_live *live, struct migrate_check_result *res)
{
	struct store_run *v = NULL;
	size_t n = 0;
	int rc = store_run_list(s->m->st, &v, &n);
	if (rc)
		return session_store_failed(s, "reading the runs", rc);
	const struct store_run *base = NULL;
	for (size_t i = n; i-- > 0 && !base;)
		if (is_applied(&v[i]))
			base = &v[i];
	res->baseline = base ? "run" : "empty";
	res->baseline_run = base ? (long long)base->id : 0;
	if (base)
		rc = add_snapshot(s, live, base->snapshot);
	/* what schemafs created, so that an unregistered table plans its drop */
	for (size_t i = 0; i < n && !rc; i++)
		for (size_t k = 0; is_applied(&v[i]) && k < v[i].created.n && !rc; k++)
			rc = plan_live_add_created(live, v[i].created.items[k]);
	if (!rc)
		plan_live_sort(live);
	store_run_list_free(v, n);
	return rc;
}

/* ---- quoting without libpq: PostgreSQL's own rules ---- */

static char *quote(const char *s, char q)
{
	size_t n = strlen(s), k = 0;
	bool backslash = q == '\'' && strchr(s, '\\');
	char *d = malloc(2 * n + 5);
	if (!d)
		return NULL;
	if (backslash)
		d[k++] = 'E';
	d[k++] = q;
	for (; *s; s++) {
		if (*s == q || (backslash && *s == '\\'))
			d[k++] = *s;
		d[k++] = *s;
	}
	d[k++] = q;
	d[k] = 0;
	return d;
}

static char *quote_ident(void *ctx, const char *s)
{
	(void)ctx;
	return quote(s, '"');
}

static char *quote_literal(void *ctx, const char *s)
{
	(void)ctx;
	return quote(s, '\'');
}

struct plan_quoter offline_quoter(void)
{
	return (struct plan_quoter){ quote_ident, quote_literal, NULL };
}
