#include "migrate_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

void session_init(struct session *s, struct migrate *m)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	diags_init(&s->diags);
	sbuf_init(&s->target);
	sbuf_init(&s->err);
}

void session_release(struct session *s)
{
	plan_release(&s->plan);
	plan_live_release(&s->live);
	plan_pending_release(&s->pending);
	store_files_free(s->files, s->nfiles);
	regstore_free(s->rs);
	pg_close(s->pg);
	reg_registry_free(s->reg);
	diags_release(&s->diags);
	sbuf_release(&s->target);
	sbuf_release(&s->err);
}

int session_store_failed(struct session *s, const char *what, int rc)
{
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(&s->err, "%s: %s", what, store_errmsg(s->m->st));
	return REG_EIO;
}

/* Every current schema (a stored revision that no longer loads is an
 * error, never silently skipped) and registry.yaml. */
int session_load_registry(struct session *s)
{
	int rc;
	if (!(s->reg = reg_registry_new()) || regstore_new(s->m->st, s->reg, &s->rs))
		return REG_ENOMEM;
	if ((rc = regstore_load(s->rs, &s->diags)))
		return session_store_failed(s, "reading the registry", rc);
	return reg_validate_registry(s->reg, &s->diags);
}

static const char *target_of(struct session *s)
{
	if (s->m->target)
		return s->m->target;
	return s->reg && s->reg->meta.target ? s->reg->meta.target : NULL;
}

int session_load_pending(struct session *s)
{
	int rc = store_list_files(s->m->st, MIGRATE_PENDING_KIND, &s->files, &s->nfiles);
	if (rc)
		return session_store_failed(s, "reading migrations/pending", rc);
	for (size_t i = 0; i < s->nfiles; i++) {
		struct store_file *f = &s->files[i];
		char table[REG_MAX_IDENT_LEN + 16], file[REG_MAX_IDENT_LEN + 64];
		bool down;
		snprintf(file, sizeof(file), "migrations/pending/%s", f->name);
		if (!migrate_pending_name(f->name, table, sizeof(table), &down)) {
			if (diags_add(&s->diags, file, (struct reg_loc){ 0, 0 }, DIAG_WARNING,
				      "ignored: pending files are named <table>.sql or "
				      "<table>.down.sql"))
				return REG_ENOMEM;
			continue;
		}
		if (!down && (rc = plan_pending_add(&s->pending, table, file, f->bytes, f->len)))
			return rc;
	}
	return 0;
}

/* A failed connection says where the target it tried came from, and where
 * one is configured. */
int session_connect(struct session *s)
{
	const char *t = target_of(s);
	if (pg_target_display(t, &s->target))
		return REG_ENOMEM;
	int rc = pg_connect(t, &s->pg, &s->err);
	if (rc != REG_EIO)
		return rc;
	if (s->m->target)
		sbuf_adds(&s->err, "\nhint: the target came from --target or SCHEMAFS_TARGET");
	else if (t)
		sbuf_adds(&s->err, "\nhint: the target came from registry.yaml's `target`");
	else
		sbuf_adds(&s->err, "\nhint: no target is configured, so libpq's defaults were tried");
	sbuf_adds(&s->err, "; a target is set by registry.yaml's `target`, `schemafs migrate "
		  "--target CONNINFO`, SCHEMAFS_TARGET (the mount) or libpq's PGHOST, PGPORT, "
		  "PGDATABASE, PGUSER, PGSERVICE");
	return rc;
}

static int introspect(struct session *s, const struct reg_registry *r)
{
	char **names = malloc((r->n + 1) * sizeof(*names));
	if (!names)
		return REG_ENOMEM;
	for (size_t i = 0; i < r->n; i++)
		names[i] = r->schemas[i]->name;
	int rc = pg_introspect(s->pg, names, r->n, &s->live, &s->err);
	free(names);
	return rc;
}

int session_prepare_offline(struct session *s)
{
	int rc;
	if ((rc = session_load_registry(s)) || (rc = session_load_pending(s)) || (rc = session_connect(s)))
		return rc;
	return 0;
}

int session_plan(struct session *s, const struct reg_registry *reg,
		 const struct plan_pending *pending, const char *const *only, size_t nonly,
		 struct plan *out, struct diags *d)
{
	int rc;
	plan_release(out);
	plan_live_release(&s->live);
	if ((rc = introspect(s, reg)))
		return rc;
	struct plan_quoter q = pg_quoter(s->pg);
	struct plan_input in = { .reg = reg, .live = &s->live, .pending = pending,
				 .quote = &q, .only = only, .nonly = nonly,
				 .pg_version = pg_server_version(s->pg) };
	return plan_build(&in, out, d);
}

int session_prepare(struct session *s)
{
	int rc = session_prepare_offline(s);
	return rc ? rc : session_plan(s, s->reg, &s->pending, NULL, 0, &s->plan, &s->diags);
}

int session_prepare_failed(struct session *s, int rc, struct sbuf *out)
{
	if (rc == REG_ENOMEM)
		return rc;
	sbuf_addf(out, "%s\n", s->err.len ? s->err.buf : reg_strerror(rc));
	return REG_EIO;
}

/* ---- after a pending script: does the table match its declaration? ---- */

int session_post_check(void *ctx, struct pg_conn *c, struct sbuf *notes, struct sbuf *err)
{
	const struct postcheck *s = ctx;
	struct plan_live live = { 0 };
	struct plan p = { 0 };
	struct diags d = DIAGS_INIT;
	const char **only = calloc(s->pending->n + 1, sizeof(*only));
	char **names = calloc(s->pending->n + 1, sizeof(*names));
	size_t n = 0;
	int rc = REG_ENOMEM;
	if (!only || !names)
		goto out;
	for (size_t i = 0; i < s->pending->n; i++)
		if (reg_get(s->reg, s->pending->items[i].table)) {
			only[n] = names[n] = s->pending->items[i].table;
			n++;
		}
	rc = 0;
	if (!n)
		goto out;
	/* inside the run's transaction: this sees what the scripts did */
	if ((rc = pg_introspect(c, names, n, &live, err)))
		goto out;
	struct plan_quoter q = pg_quoter(c);
	struct plan_input in = { .reg = s->reg, .live = &live, .quote = &q, .only = only,
				 .nonly = n, .no_drop_tables = true, .no_lint = true };
	if ((rc = plan_build(&in, &p, &d)))
		goto out;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct plan_script *ps = plan_pending_find(s->pending, names[i]);
		bool first = true;
		for (size_t k = 0; k < p.n && !rc; k++) {
			if (strcmp(p.steps[k].schema, names[i]))
				continue;
			if (first)
				rc = sbuf_addf(notes, "after %s, '%s' does not match "
						      "schemas/%s.yaml; the next plan would:",
					       ps->file, names[i], names[i]);
			first = false;
			if (!rc)
				rc = sbuf_addf(notes, " %s;", p.steps[k].what);
		}
		if (!first && !rc)
			notes->buf[notes->len - 1] = '\n'; /* the last ';' ends the line */
	}
out:
	free(only);
	free(names);
	plan_release(&p);
	plan_live_release(&live);
	diags_release(&d);
	if (rc == REG_ENOMEM)
		sbuf_adds(err, "out of memory");
	return rc;
}

