/*
 * Foreign keys: recorded as declared (a dump adds them after every table),
 * resolved once every table is known, and dropped with a warning when
 * their target is not imported, so what is emitted stays consistent.
 */
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"

static enum reg_fk_action fk_action(const char *code)
{
	switch (code ? code[0] : 'a') {
	case 'r':
		return REG_FK_RESTRICT;
	case 'c':
		return REG_FK_CASCADE;
	case 'n':
		return REG_FK_SET_NULL;
	case 'd':
		return REG_FK_SET_DEFAULT;
	default:
		return REG_FK_NO_ACTION;
	}
}

void ddl_refs_fk_release(struct ddl_fk *f)
{
	free(f->tschema);
	free(f->tname);
	strlist_release(&f->path);
	reg_strlist_release(&f->local);
	reg_strlist_release(&f->remote);
}

/* Not declared yet: looked up again at the end, through today's path. */
static void remember_path(struct ddl_ctx *c, struct ddl_fk *f, const char *default_schema)
{
	int rc = 0;
	if (default_schema)
		rc = strlist_push(&f->path, default_schema);
	for (size_t i = 0; !rc && i < c->path.n; i++)
		rc = strlist_push(&f->path, c->path.items[i]);
	if (!rc && !c->path.n)
		rc = strlist_push(&f->path, "public");
	if (rc)
		ddl_ctx_oom(c);
}

void ddl_refs_add(struct ddl_ctx *c, struct ddl_table *t, json_object *con, const char *local_col,
		  const char *default_schema)
{
	json_object *rv = pgq_get(con, "pktable");
	const char *tname = pgq_get_str(rv, "relname");
	if (!tname)
		return;
	struct ddl_fk *fks = ddl_ctx_grow(c, t->fks, t->nfks, sizeof(*fks));
	if (!fks)
		return;
	t->fks = fks;
	struct ddl_fk *f = &fks[t->nfks++];
	strlist_init(&f->path);
	f->at = ddl_ctx_at(c, pgq_get_loc(con));
	f->on_delete = fk_action(pgq_get_str(con, "fk_del_action"));
	f->on_update = fk_action(pgq_get_str(con, "fk_upd_action"));
	if (local_col)
		ddl_ctx_push(c, &f->local, local_col);
	else
		ddl_ctx_push_names(c, pgq_get(con, "fk_attrs"), &f->local);
	ddl_ctx_push_names(c, pgq_get(con, "pk_attrs"), &f->remote);
	f->tname = ddl_ctx_strdup(c, tname);

	struct ddl_table *target = ddl_model_lookup_rv(c, rv, default_schema);
	if (target)
		f->tschema = ddl_ctx_strdup(c, target->sqlschema);
	else if (pgq_get_str(rv, "schemaname"))
		f->tschema = ddl_ctx_strdup(c, pgq_get_str(rv, "schemaname"));
	else
		remember_path(c, f, default_schema);

	if (pgq_get_bool(con, "deferrable"))
		ddl_ctx_ignore(c, "DEFERRABLE (foreign keys are imported as not deferrable)");
	const char *match = pgq_get_str(con, "fk_matchtype");
	if (match && match[0] == 'f')
		ddl_ctx_ignore(c, "MATCH FULL");
	if (pgq_arr_len(pgq_get(con, "fk_del_set_cols")))
		ddl_ctx_ignore(c, "ON DELETE SET NULL/DEFAULT (columns)");
}

static struct ddl_table *fk_target(struct ddl_ctx *c, const struct ddl_fk *f)
{
	if (f->tschema)
		return ddl_model_find(c, f->tschema, f->tname);
	for (size_t i = 0; i < f->path.n; i++) {
		struct ddl_table *t = ddl_model_find(c, f->path.items[i], f->tname);
		if (t)
			return t;
	}
	return NULL;
}

/* The target's columns f refers to, or NULL (reported) when it cannot. */
static const struct reg_strlist *fk_remote(struct ddl_ctx *c, struct ddl_table *t,
					   const struct ddl_fk *f, const struct ddl_table *target,
					   const char *tn)
{
	const struct reg_strlist *remote = &f->remote;
	if (!target) {
		ddl_ctx_report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: table '%s' is unknown",
			       t->sqlname, tn);
		return NULL;
	}
	if (target->state == DDL_T_EXCLUDED) {
		ddl_ctx_report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: table '%s' is outside schema '%s'",
			       t->sqlname, tn, c->only_schema);
		return NULL;
	}
	if (target->state == DDL_T_REFUSED) {
		ddl_ctx_report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: table '%s' is not imported",
			       t->sqlname, tn);
		return NULL;
	}
	if (!remote->n)
		remote = &target->pk;
	if (!remote->n) {
		ddl_ctx_report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: '%s' has no primary key to "
			       "refer to",
			       t->sqlname, tn);
		return NULL;
	}
	if (remote->n != f->local.n) {
		ddl_ctx_report(c, DIAG_WARNING, f->at,
			       "foreign key of '%s' not imported: %zu columns refer to %zu",
			       t->sqlname, f->local.n, remote->n);
		return NULL;
	}
	return remote;
}

/* True when f's local columns can hold it (else reported). */
static bool fk_local_ok(struct ddl_ctx *c, struct ddl_table *t, const struct ddl_fk *f)
{
	for (size_t i = 0; i < f->local.n; i++) {
		const struct reg_column *col = ddl_model_column(t, f->local.items[i]);
		if (!col) {
			ddl_ctx_report(c, DIAG_WARNING, f->at,
				       "foreign key of '%s' not imported: unknown column '%s'",
				       t->sqlname, f->local.items[i]);
			return false;
		}
		if (!col->nullable &&
		    (f->on_delete == REG_FK_SET_NULL || f->on_update == REG_FK_SET_NULL)) {
			ddl_ctx_report(c, DIAG_WARNING, f->at,
				       "foreign key of '%s' not imported: SET NULL on NOT NULL "
				       "column '%s'",
				       t->sqlname, col->name);
			return false;
		}
	}
	return true;
}

static void resolve_fk(struct ddl_ctx *c, struct ddl_table *t, struct ddl_fk *f)
{
	struct sbuf sb = SBUF_INIT;
	struct ddl_table *target = fk_target(c, f);
	const char *tn = ddl_model_sql_name(&sb, f->tschema, f->tname);
	const struct reg_strlist *remote = fk_remote(c, t, f, target, tn);
	if (!remote || !fk_local_ok(c, t, f))
		goto out;
	struct reg_reference *refs = ddl_ctx_grow(c, t->s->refs, t->s->nrefs, sizeof(*refs));
	if (!refs)
		goto out;
	t->s->refs = refs;
	struct reg_reference *r = &refs[t->s->nrefs++];
	/* where the SQL declares it, for a later warning; cleared on output */
	r->loc = ddl_ctx_loc(c, f->at);
	r->on_delete = f->on_delete;
	r->on_update = f->on_update;
	/* the target's registry name; dropped if the target is refused later */
	r->schema = ddl_ctx_strdup(c, target->name);
	for (size_t i = 0; i < f->local.n; i++) {
		ddl_ctx_push(c, &r->foreign_keys, f->local.items[i]);
		ddl_ctx_push(c, &r->columns, remote->items[i]);
	}
	r->foreign_keys.was_list = r->columns.was_list = f->local.n > 1;
out:
	sbuf_release(&sb);
}

void ddl_refs_resolve(struct ddl_ctx *c)
{
	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct ddl_table *t = c->tables[i];
		if (t->state != DDL_T_OK)
			continue;
		for (size_t k = 0; k < t->nfks && !c->rc; k++)
			resolve_fk(c, t, &t->fks[k]);
	}
}

static void drop_ref(struct reg_schema *s, size_t k)
{
	free(s->refs[k].schema);
	free(s->refs[k].description);
	reg_strlist_release(&s->refs[k].columns);
	reg_strlist_release(&s->refs[k].foreign_keys);
	memmove(&s->refs[k], &s->refs[k + 1], (s->nrefs - k - 1) * sizeof(*s->refs));
	s->nrefs--;
}

void ddl_refs_drop_dangling(struct ddl_ctx *c)
{
	struct strmap imported = STRMAP_INIT_BORROWED;
	for (size_t i = 0; i < c->ntables && !c->rc; i++)
		if (c->tables[i]->state == DDL_T_OK &&
		    strmap_put_s(&imported, c->tables[i]->name, c->tables[i], NULL))
			ddl_ctx_oom(c);
	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct reg_schema *s = c->tables[i]->s;
		if (c->tables[i]->state != DDL_T_OK)
			continue;
		for (size_t k = 0; k < s->nrefs && !c->rc;) {
			if (strmap_has_s(&imported, s->refs[k].schema)) {
				k++;
				continue;
			}
			if (diags_add(c->diags, c->file, s->refs[k].loc, DIAG_WARNING,
				      "foreign key of '%s' not imported: table '%s' is not imported",
				      c->tables[i]->sqlname, s->refs[k].schema))
				ddl_ctx_oom(c);
			drop_ref(s, k);
		}
	}
	strmap_release(&imported, NULL);
}
