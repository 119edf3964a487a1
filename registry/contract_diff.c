/*
 * contract_diff: every difference between two revisions of a table, as
 * classified changes (the "Rules" table of docs/contracts.md).
 *
 * Objects are matched by what identifies them in PostgreSQL: columns and
 * indexes by name, foreign keys by their local columns and target, keys
 * (primary key, unique columns, unique indexes) by their source and column
 * set. A rename is a removal plus an addition: nothing in a schema file
 * says that a new name is an old object.
 */
#include "contract_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TYPE_BUF 256

struct dctx {
	const struct reg_schema *old, *new_;
	struct contract_changes *out;
	int err;
};

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int not_null(const struct reg_column *c)
{
	return !c->nullable || c->primary_key;
}

/* serial types come with their sequence's default */
static int has_default(const struct reg_column *c)
{
	static const char *const serials[] = { "serial", "serial2", "serial4", "serial8",
					       "smallserial", "bigserial" };
	if (c->default_expr)
		return 1;
	for (size_t i = 0; c->type && i < sizeof(serials) / sizeof(*serials); i++)
		if (!strcasecmp(c->type, serials[i]))
			return 1;
	return 0;
}

/* A column old writers never set: new in this revision, nullable, no default. */
static int left_null(const struct dctx *d, const char *col)
{
	const struct reg_column *n = reg_schema_column(d->new_, col);
	return n && !reg_schema_column(d->old, col) && !not_null(n) && !has_default(n);
}

static struct contract_change *push(struct dctx *d, enum contract_rule r, struct reg_loc loc,
				    const char *f, ...) __attribute__((format(printf, 4, 5)));
static struct contract_change *push(struct dctx *d, enum contract_rule r, struct reg_loc loc,
				    const char *f, ...)
{
	struct sbuf what = SBUF_INIT;
	struct contract_change *ch = NULL;
	const struct reg_schema *s = d->new_ ? d->new_ : d->old;
	va_list ap;
	if (d->err)
		return NULL;
	va_start(ap, f);
	sbuf_vaddf(&what, f, ap);
	va_end(ap);
	if (!sbuf_error(&what))
		ch = contract_changes_push(d->out, r, s->name, s->file, loc, "%s", what.buf);
	sbuf_release(&what);
	if (!ch)
		d->err = REG_ENOMEM;
	return ch;
}

static void add_column(struct dctx *d, struct contract_change *ch, const char *col)
{
	if (ch && !d->err && strlist_push(&ch->columns, col))
		d->err = REG_ENOMEM;
}

static void add_columns(struct dctx *d, struct contract_change *ch, const struct reg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		add_column(d, ch, l->items[i]);
}

/* "(a, b)" into buf */
static const char *list_text(const struct reg_strlist *l, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	o += (size_t)snprintf(buf, n, "(");
	for (size_t i = 0; i < l->n && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", l->items[i]);
	if (o < n)
		snprintf(buf + o, n - o, ")");
	return buf;
}

/* Where a removed list item is talked about: the list in the new file
 * (its first item), else the table's name. */
static struct reg_loc list_loc(const struct reg_schema *s, size_t n, const struct reg_loc *first)
{
	return n ? *first : s->name_loc;
}

/* ---- columns ---- */

static void column_type(struct dctx *d, const struct reg_column *o, const struct reg_column *n)
{
	char oc[TYPE_BUF], nc[TYPE_BUF];
	enum contract_type_change tc;
	int rc = contract_type_compare(o->type, n->type, &tc, oc, nc, sizeof(oc));
	struct contract_change *ch = NULL;
	if (rc) {
		d->err = rc;
		return;
	}
	switch (tc) {
	case CONTRACT_TYPE_SAME:
		return;
	case CONTRACT_TYPE_ALIAS:
		ch = push(d, CONTRACT_TYPE_SPELLING, n->type_loc,
			  "spelling the type of column '%s' '%s' instead of '%s' (both %s)",
			  n->name, n->type, o->type, nc);
		break;
	case CONTRACT_TYPE_FREE:
		ch = push(d, CONTRACT_TYPE_WIDENED_FREE, n->type_loc,
			  "widening column '%s' from %s to %s (binary-coercible: no rewrite)",
			  n->name, oc, nc);
		break;
	case CONTRACT_TYPE_REWRITE:
		ch = push(d, CONTRACT_TYPE_WIDENED_REWRITE, n->type_loc,
			  "widening column '%s' from %s to %s (every value kept; the table is "
			  "rewritten)", n->name, oc, nc);
		break;
	case CONTRACT_TYPE_NARROW:
		ch = push(d, CONTRACT_TYPE_NARROWED, n->type_loc,
			  "narrowing column '%s' from %s to %s", n->name, oc, nc);
		break;
	case CONTRACT_TYPE_OTHER:
		ch = push(d, CONTRACT_TYPE_CHANGED, n->type_loc,
			  "changing the type of column '%s' from %s to %s", n->name, oc, nc);
		break;
	}
	add_column(d, ch, n->name);
}

static void column_null_default(struct dctx *d, const struct reg_column *o,
				const struct reg_column *n)
{
	struct contract_change *ch = NULL;
	if (not_null(o) && !not_null(n)) {
		ch = push(d, CONTRACT_NULL_ALLOWED, n->nullable_loc,
			  "making column '%s' nullable", n->name);
		if (ch)
			ch->reverse.any_writer = !has_default(o);
		add_column(d, ch, n->name);
	} else if (!not_null(o) && not_null(n)) {
		ch = push(d, CONTRACT_NULL_FORBIDDEN, n->nullable_loc,
			  "making column '%s' NOT NULL", n->name);
		if (ch)
			ch->forward.any_writer = !has_default(n);
		add_column(d, ch, n->name);
	}
	if (str_eq(o->default_expr, n->default_expr))
		return;
	if (!o->default_expr) {
		ch = push(d, CONTRACT_DEFAULT_ADDED, n->default_loc,
			  "adding the default %s to column '%s'", n->default_expr, n->name);
		if (ch && not_null(o) && !has_default(o))
			ch->reverse = (struct contract_effect){ CONTRACT_BREAKING_WRITERS, true,
								false };
	} else if (!n->default_expr) {
		int req = not_null(n) && !has_default(n);
		ch = push(d, req ? CONTRACT_DEFAULT_REMOVED_REQUIRED
				 : CONTRACT_DEFAULT_REMOVED_NULLABLE, n->loc,
			  "removing the default %s of %scolumn '%s'", o->default_expr,
			  req ? "NOT NULL " : "", n->name);
	} else {
		ch = push(d, CONTRACT_DEFAULT_CHANGED, n->default_loc,
			  "changing the default of column '%s' from %s to %s", n->name,
			  o->default_expr, n->default_expr);
	}
	add_column(d, ch, n->name);
}

static void columns(struct dctx *d)
{
	const struct reg_schema *os = d->old, *ns = d->new_;
	for (size_t i = 0; i < ns->ncolumns && !d->err; i++) {
		const struct reg_column *n = &ns->columns[i];
		const struct reg_column *o = reg_schema_column(os, n->name);
		struct contract_change *ch;
		if (!o) {
			int optional = !not_null(n) || has_default(n);
			ch = push(d, optional ? CONTRACT_COLUMN_ADDED_OPTIONAL
					      : CONTRACT_COLUMN_ADDED_REQUIRED, n->loc,
				  "adding %s column '%s'%s", !not_null(n) ? "nullable" : "NOT NULL",
				  n->name, !not_null(n) ? "" : optional ? " with a default"
								       : " without a default");
			add_column(d, ch, n->name);
			continue;
		}
		column_type(d, o, n);
		column_null_default(d, o, n);
		if (!str_eq(o->description, n->description))
			add_column(d, push(d, CONTRACT_COLUMN_DESCRIPTION, n->loc,
					   "changing the description of column '%s'", n->name),
				   n->name);
	}
	for (size_t i = 0; i < os->ncolumns && !d->err; i++) {
		const struct reg_column *o = &os->columns[i];
		if (reg_schema_column(ns, o->name))
			continue;
		struct contract_change *ch = push(d, CONTRACT_COLUMN_REMOVED, ns->columns_loc,
						  "removing column '%s'", o->name);
		if (ch && not_null(o) && !has_default(o))
			ch->reverse = (struct contract_effect){ CONTRACT_BREAKING_WRITERS, true,
								false };
		add_column(d, ch, o->name);
	}
}

/* ---- keys: primary key, unique columns, unique indexes ---- */

static const struct reg_index *index_named(const struct reg_schema *s, const char *name)
{
	for (size_t i = 0; i < s->nindexes; i++)
		if (str_eq(s->indexes[i].name, name))
			return &s->indexes[i];
	return NULL;
}


enum key_kind { KEY_PRIMARY, KEY_COLUMN, KEY_INDEX };

struct key {
	enum key_kind kind;
	const char *name;        /* the column or index; NULL for the primary key */
	struct reg_strlist cols; /* borrowed items (the schema's strings) */
	struct reg_loc loc;
};

struct keys {
	struct key items[64];
	const char *pk[64];
	size_t n;
};

static void key_add(struct keys *k, enum key_kind kind, const char *name, char **cols,
		    size_t ncols, struct reg_loc loc)
{
	if (k->n == sizeof(k->items) / sizeof(*k->items) || !ncols)
		return;
	k->items[k->n++] = (struct key){ kind, name, { cols, NULL, ncols, true }, loc };
}

/* The keys of s; strings borrowed from s. Tables with more than 64 keys
 * or primary-key columns are judged on the first 64 (none exist). */
static void keys_of(const struct reg_schema *s, struct keys *k)
{
	size_t npk = 0;
	struct reg_loc pk_loc = { 0, 0 };
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < s->ncolumns; i++) {
		const struct reg_column *c = &s->columns[i];
		if (c->primary_key && npk < sizeof(k->pk) / sizeof(*k->pk)) {
			if (!npk)
				pk_loc = c->loc;
			k->pk[npk++] = c->name;
		}
	}
	key_add(k, KEY_PRIMARY, NULL, (char **)k->pk, npk, pk_loc);
	for (size_t i = 0; i < s->ncolumns; i++)
		if (s->columns[i].unique)
			key_add(k, KEY_COLUMN, s->columns[i].name, &s->columns[i].name, 1,
				s->columns[i].loc);
	for (size_t i = 0; i < s->nindexes; i++)
		if (s->indexes[i].unique)
			key_add(k, KEY_INDEX, s->indexes[i].name, s->indexes[i].columns.items,
				s->indexes[i].columns.n, s->indexes[i].loc);
}

static int in_list(const struct reg_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

static int subset(const struct reg_strlist *a, const struct reg_strlist *b)
{
	for (size_t i = 0; i < a->n; i++)
		if (!in_list(b, a->items[i]))
			return 0;
	return 1;
}

static int same_set(const struct reg_strlist *a, const struct reg_strlist *b)
{
	return subset(a, b) && subset(b, a);
}

/* The same source (the primary key, a column, an index) with the same set. */
static const struct key *key_match(const struct keys *k, const struct key *want)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->items[i].kind == want->kind && str_eq(k->items[i].name, want->name) &&
		    same_set(&k->items[i].cols, &want->cols))
			return &k->items[i];
	return NULL;
}

/* What a key is, for messages: "primary key (id)", "unique index 'x' on (a)". */
static const char *key_text(const struct key *k, char *buf, size_t n)
{
	char cols[512];
	list_text(&k->cols, cols, sizeof(cols));
	if (k->kind == KEY_PRIMARY)
		snprintf(buf, n, "primary key %s", cols);
	else if (k->kind == KEY_COLUMN)
		snprintf(buf, n, "unique constraint of column '%s'", k->name);
	else
		snprintf(buf, n, "unique index '%s' on %s", k->name, cols);
	return buf;
}

static void key_added(struct dctx *d, const struct keys *old, const struct key *k)
{
	const char *why = NULL;
	char text[700];
	for (size_t i = 0; i < old->n && !why; i++)
		if (subset(&old->items[i].cols, &k->cols))
			why = "these columns are unique already";
	for (size_t i = 0; i < k->cols.n && !why; i++)
		if (left_null(d, k->cols.items[i]))
			why = "old writers leave its new column NULL";
	struct contract_change *ch =
		push(d, why ? CONTRACT_KEY_ADDED_IMPLIED : CONTRACT_KEY_ADDED, k->loc,
		     "adding the %s%s%s%s", key_text(k, text, sizeof(text)), why ? " (" : "",
		     why ? why : "", why ? ")" : "");
	add_columns(d, ch, &k->cols);
}

static void key_removed(struct dctx *d, const struct keys *new_keys, const struct key *k)
{
	char text[700];
	int kept = 0;
	struct reg_loc loc;
	for (size_t i = 0; i < k->cols.n; i++)
		if (!reg_schema_column(d->new_, k->cols.items[i]))
			return; /* its column is removed: that change says it all */
	for (size_t i = 0; i < new_keys->n; i++)
		kept |= same_set(&new_keys->items[i].cols, &k->cols);
	if (k->kind == KEY_COLUMN || k->kind == KEY_PRIMARY) {
		loc = reg_schema_column(d->new_, k->cols.items[0])->loc;
	} else {
		const struct reg_index *ix = index_named(d->new_, k->name);
		loc = ix ? ix->loc
			 : list_loc(d->new_, d->new_->nindexes,
				    d->new_->nindexes ? &d->new_->indexes[0].loc : NULL);
	}
	struct contract_change *ch =
		push(d, kept ? CONTRACT_KEY_REMOVED_KEPT : CONTRACT_KEY_REMOVED, loc,
		     "removing the %s%s", key_text(k, text, sizeof(text)),
		     kept ? " (another key keeps these columns unique)" : "");
	add_columns(d, ch, &k->cols);
}

static void keys(struct dctx *d)
{
	struct keys *ko = malloc(sizeof(*ko)), *kn = malloc(sizeof(*kn));
	if (!ko || !kn) {
		d->err = REG_ENOMEM;
		goto out;
	}
	keys_of(d->old, ko);
	keys_of(d->new_, kn);
	for (size_t i = 0; i < kn->n; i++)
		if (!key_match(ko, &kn->items[i]))
			key_added(d, ko, &kn->items[i]);
	for (size_t i = 0; i < ko->n; i++)
		if (!key_match(kn, &ko->items[i]))
			key_removed(d, kn, &ko->items[i]);
out:
	free(ko);
	free(kn);
}

/* ---- indexes (uniqueness is the keys' business) ---- */

static int same_list(const struct reg_strlist *a, const struct reg_strlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]))
			return 0;
	return 1;
}

static void indexes(struct dctx *d)
{
	const struct reg_schema *os = d->old, *ns = d->new_;
	char a[512], b[512];
	for (size_t i = 0; i < ns->nindexes && !d->err; i++) {
		const struct reg_index *n = &ns->indexes[i], *o = index_named(os, n->name);
		if (!o) {
			if (!n->unique)
				add_columns(d, push(d, CONTRACT_INDEX_ADDED, n->loc,
						    "adding index '%s' on %s", n->name,
						    list_text(&n->columns, a, sizeof(a))),
					    &n->columns);
			continue;
		}
		/* a unique index whose column set changed is a key removed and added */
		if (!same_list(&o->columns, &n->columns) && o->unique == n->unique &&
		    (!n->unique || same_set(&o->columns, &n->columns)))
			add_columns(d, push(d, CONTRACT_INDEX_CHANGED, n->loc,
					    "changing index '%s' from %s to %s", n->name,
					    list_text(&o->columns, a, sizeof(a)),
					    list_text(&n->columns, b, sizeof(b))),
				    &n->columns);
		if (!str_eq(o->description, n->description))
			push(d, CONTRACT_INDEX_DESCRIPTION, n->loc,
			     "changing the description of index '%s'", n->name);
	}
	for (size_t i = 0; i < os->nindexes && !d->err; i++) {
		const struct reg_index *o = &os->indexes[i];
		if (!o->unique && !index_named(ns, o->name))
			add_columns(d, push(d, CONTRACT_INDEX_REMOVED,
					    list_loc(ns, ns->nindexes,
						     ns->nindexes ? &ns->indexes[0].loc : NULL),
					    "removing index '%s' on %s", o->name,
					    list_text(&o->columns, a, sizeof(a))),
				    &o->columns);
	}
}

/* ---- foreign keys ---- */

static const struct reg_reference *ref_match(const struct reg_schema *s,
					     const struct reg_reference *want)
{
	for (size_t i = 0; i < s->nrefs; i++) {
		const struct reg_reference *r = &s->refs[i];
		if (str_eq(r->schema, want->schema) &&
		    same_list(&r->foreign_keys, &want->foreign_keys) &&
		    same_list(&r->columns, &want->columns))
			return r;
	}
	return NULL;
}

static const char *ref_text(const struct reg_reference *r, char *buf, size_t n)
{
	char a[256], b[256];
	snprintf(buf, n, "foreign key %s -> %s%s", list_text(&r->foreign_keys, a, sizeof(a)),
		 r->schema ? r->schema : "?", list_text(&r->columns, b, sizeof(b)));
	return buf;
}

static int restricts(enum reg_fk_action a)
{
	return a == REG_FK_NO_ACTION || a == REG_FK_RESTRICT;
}

static void ref_action(struct dctx *d, const struct reg_reference *n, const char *which,
		       enum reg_fk_action o_act, enum reg_fk_action n_act, struct reg_loc loc)
{
	char text[600];
	enum contract_rule rule;
	if (o_act == n_act)
		return;
	rule = restricts(o_act) && restricts(n_act) ? CONTRACT_FK_ACTION_SAME
		: restricts(n_act) ? CONTRACT_FK_ACTION_RESTRICTS : CONTRACT_FK_ACTION_PROPAGATES;
	struct contract_change *ch =
		push(d, rule, loc, "changing %s of %s from %s to %s", which,
		     ref_text(n, text, sizeof(text)), reg_fk_action_sql(o_act),
		     reg_fk_action_sql(n_act));
	if (!ch)
		return;
	free(ch->wtable);
	if (!(ch->wtable = strdup(n->schema ? n->schema : "")))
		d->err = REG_ENOMEM;
	if (n_act != REG_FK_CASCADE) /* CASCADE removes whole rows: every column */
		add_columns(d, ch, &n->foreign_keys);
}

static void refs(struct dctx *d)
{
	const struct reg_schema *os = d->old, *ns = d->new_;
	char text[600];
	for (size_t i = 0; i < ns->nrefs && !d->err; i++) {
		const struct reg_reference *n = &ns->refs[i], *o = ref_match(os, n);
		if (!o) {
			int null = 0;
			for (size_t k = 0; k < n->foreign_keys.n; k++)
				null |= left_null(d, n->foreign_keys.items[k]);
			add_columns(d, push(d, null ? CONTRACT_FK_ADDED_NULL : CONTRACT_FK_ADDED,
					    n->loc, "adding the %s%s",
					    ref_text(n, text, sizeof(text)),
					    null ? " (old writers leave its new column NULL)" : ""),
				    &n->foreign_keys);
			continue;
		}
		ref_action(d, n, "on_delete", o->on_delete, n->on_delete, n->on_delete_loc);
		ref_action(d, n, "on_update", o->on_update, n->on_update, n->on_update_loc);
		if (!str_eq(o->description, n->description))
			push(d, CONTRACT_FK_DESCRIPTION, n->loc,
			     "changing the description of the %s", ref_text(n, text, sizeof(text)));
	}
	for (size_t i = 0; i < os->nrefs && !d->err; i++) {
		const struct reg_reference *o = &os->refs[i];
		int gone = 0;
		if (ref_match(ns, o))
			continue;
		for (size_t k = 0; k < o->foreign_keys.n; k++)
			gone |= !reg_schema_column(ns, o->foreign_keys.items[k]);
		if (gone)
			continue; /* its column is removed: that change says it all */
		add_columns(d, push(d, CONTRACT_FK_REMOVED,
				    list_loc(ns, ns->nrefs, ns->nrefs ? &ns->refs[0].loc : NULL),
				    "removing the %s", ref_text(o, text, sizeof(text))),
			    &o->foreign_keys);
	}
}

/* ---- the table ---- */

static int history_differs(const struct reg_schema *o, const struct reg_schema *n, size_t *at)
{
	size_t i;
	for (i = 0; i < o->nhistory && i < n->nhistory; i++) {
		const struct reg_history_entry *a = &o->history[i], *b = &n->history[i];
		if (!str_eq(a->version, b->version) || !str_eq(a->date, b->date) ||
		    !str_eq(a->changes, b->changes))
			break;
	}
	*at = i;
	return i < o->nhistory || i < n->nhistory;
}

static void table(struct dctx *d)
{
	const struct reg_schema *os = d->old, *ns = d->new_;
	size_t at;
	if (!str_eq(os->description, ns->description))
		push(d, CONTRACT_TABLE_DESCRIPTION, ns->name_loc,
		     "changing the description of table '%s'", ns->name);
	if (!str_eq(os->owner, ns->owner))
		push(d, CONTRACT_TABLE_OWNER, ns->owner_loc,
		     "changing the owner of table '%s' from %s to %s", ns->name,
		     os->owner ? os->owner : "nobody", ns->owner ? ns->owner : "nobody");
	columns(d);
	if (!d->err)
		keys(d);
	indexes(d);
	refs(d);
	if (history_differs(os, ns, &at))
		push(d, CONTRACT_HISTORY_TEXT,
		     at < ns->nhistory ? ns->history[at].loc
				       : ns->nhistory ? ns->history[ns->nhistory - 1].loc
						      : ns->name_loc,
		     "changing the version_history of table '%s'", ns->name);
}

int contract_diff_schema(const struct reg_schema *old, const struct reg_schema *new_,
			 struct contract_changes *out)
{
	struct dctx d = { old, new_, out, 0 };
	const struct reg_schema *s = new_ ? new_ : old;
	if (!s)
		return 0;
	free(out->table);
	free(out->owner);
	out->table = strdup(s->name ? s->name : "");
	out->owner = s->owner ? strdup(s->owner) : NULL;
	if (!out->table || (s->owner && !out->owner))
		return REG_ENOMEM;
	if (!old)
		push(&d, CONTRACT_TABLE_ADDED, new_->name_loc, "adding table '%s'", new_->name);
	else if (!new_)
		push(&d, CONTRACT_TABLE_REMOVED, (struct reg_loc){ 0, 0 }, "removing table '%s'",
		     old->name);
	else
		table(&d);
	return d.err;
}
