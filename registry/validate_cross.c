/*
 * validate_cross: the cross rules of validate.h (references, types across
 * tables, the index namespace, cycles), linear in the registry: each
 * referenced table's columns are indexed once, suggestions share a budget
 * per file, and each file keeps at most DIAG_MAX_PER_FILE problems.
 */
#include "validate.h"
#include "validate_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"
#include "graph.h"
#include "sqlcheck.h"
#include "strmap.h"

/* ---- across schemas ---- */

/* A referenced table's columns, indexed once per check however many
 * references name it. */
struct xcols {
	struct strmap map;   /* name -> struct reg_column, borrowed keys */
	const char **names;  /* NULL-terminated, for suggestions */
	size_t n;
};

struct xctx {
	const struct reg_registry *r;
	struct diags *d;
	const char **schema_names; /* NULL-terminated, lazily built */
	struct strmap tables;      /* struct reg_schema * (as bytes) -> struct xcols */
	size_t budget;             /* suggestion comparisons left for this file */
};

static void xcols_free(void *p)
{
	struct xcols *xc = p;
	strmap_release(&xc->map, NULL);
	free(xc->names);
	free(xc);
}

/* The column index of t; NULL on OOM. */
static struct xcols *xcols_of(struct xctx *x, const struct reg_schema *t)
{
	struct xcols *xc = strmap_get(&x->tables, &t, sizeof(t));
	if (xc)
		return xc;
	if (!(xc = calloc(1, sizeof(*xc))))
		return NULL;
	strmap_init_borrowed(&xc->map);
	if (!(xc->names = validate_column_names(t)))
		goto fail;
	for (xc->n = 0; xc->names[xc->n]; xc->n++)
		;
	for (size_t i = 0; i < t->ncolumns; i++) {
		const struct reg_column *col = &t->columns[i];
		/* the first of duplicates, as reg_schema_column finds */
		if (col->name && !strmap_has_s(&xc->map, col->name) &&
		    strmap_put_s(&xc->map, col->name, (void *)col, NULL))
			goto fail;
	}
	if (strmap_put(&x->tables, &t, sizeof(t), xc, NULL))
		goto fail;
	return xc;
fail:
	xcols_free(xc);
	return NULL;
}

/* reg_schema_column through the index; *rc REG_ENOMEM when it failed. */
static const struct reg_column *xcolumn(struct xctx *x, const struct reg_schema *t,
					const char *name, int *rc)
{
	if (t->ncolumns <= VALIDATE_SMALL_TABLE)
		return reg_schema_column(t, name);
	struct xcols *xc = xcols_of(x, t);
	if (!xc) {
		*rc = REG_ENOMEM;
		return NULL;
	}
	return strmap_get_s(&xc->map, name);
}

/* "users.id" or "users.(a, b)" */
static int add_end(struct sbuf *sb, const char *table, const struct reg_strlist *cols)
{
	int rc = sbuf_addf(sb, "%s.", table ? table : "");
	if (!rc && cols->n != 1)
		rc = sbuf_addch(sb, '(');
	for (size_t i = 0; i < cols->n && !rc; i++)
		rc = sbuf_addf(sb, "%s%s", i ? ", " : "", cols->items[i]);
	if (!rc && cols->n != 1)
		rc = sbuf_addch(sb, ')');
	return rc;
}

/* "foreign key applications.user_id references users.id" */
static int add_fk(struct sbuf *sb, const struct reg_schema *s, const struct reg_reference *ref)
{
	int rc = sbuf_adds(sb, "foreign key ");
	if (!rc)
		rc = add_end(sb, s->name, &ref->foreign_keys);
	if (!rc)
		rc = sbuf_adds(sb, " references ");
	if (!rc)
		rc = add_end(sb, ref->schema, &ref->columns);
	return rc;
}

static int xerr(struct xctx *x, const struct reg_schema *s, struct reg_loc loc,
		enum diag_severity sev, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int xerr(struct xctx *x, const struct reg_schema *s, struct reg_loc loc,
		enum diag_severity sev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = diags_vadd(x->d, s->file, loc, sev, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *const *schema_names(struct xctx *x)
{
	if (x->schema_names)
		return x->schema_names;
	x->schema_names = calloc(x->r->n + 1, sizeof(*x->schema_names));
	if (!x->schema_names)
		return NULL;
	for (size_t i = 0, k = 0; i < x->r->n; i++)
		if (x->r->schemas[i]->name)
			x->schema_names[k++] = x->r->schemas[i]->name;
	return x->schema_names;
}

/*
 * PostgreSQL accepts a foreign key between different types when one btree
 * operator family compares them (int2/int4/int8; text and varchar, which
 * is binary-coercible to text; float4/float8). Real schemas do this
 * (a smallint column referencing a serial key), so it is a warning; any
 * other difference is an error, as the server would refuse or mis-match it.
 */
static const char *type_family(const char *base)
{
	static const char *const families[][2] = {
		{ "int2", "integer" }, { "int4", "integer" }, { "int8", "integer" },
		{ "text", "text" },    { "varchar", "text" },
		{ "float4", "float" }, { "float8", "float" },
	};
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (!strcmp(base, families[i][0]))
			return families[i][1];
	return base;
}

static int check_types(struct xctx *x, const struct reg_schema *s, const struct reg_reference *ref,
		       const struct reg_schema *t)
{
	int rc = 0;
	for (size_t i = 0; i < ref->foreign_keys.n && i < ref->columns.n && !rc; i++) {
		const struct reg_column *a = xcolumn(x, s, ref->foreign_keys.items[i], &rc);
		const struct reg_column *b = rc ? NULL : xcolumn(x, t, ref->columns.items[i], &rc);
		struct sqlcheck_result ra, rb;
		char base_a[128], base_b[128];
		if (!a || !b || !a->type || !b->type)
			continue;
		if ((rc = sqlcheck_type(a->type, &ra)) || (rc = sqlcheck_type(b->type, &rb)))
			break;
		if (!ra.ok || !rb.ok || !strcmp(ra.canonical, rb.canonical))
			continue;
		sqlcheck_type_base(ra.canonical, base_a, sizeof(base_a));
		sqlcheck_type_base(rb.canonical, base_b, sizeof(base_b));
		int same_base = !strcmp(base_a, base_b);
		int same_family = same_base || !strcmp(type_family(base_a), type_family(base_b));
		rc = xerr(x, s, ref->loc, same_family ? DIAG_WARNING : DIAG_ERROR,
			  "foreign key %s.%s (%s) references %s.%s (%s): %s", s->name, a->name,
			  a->type, t->name, b->name, b->type,
			  same_base ? "type modifiers differ"
			  : same_family ? "types differ within one family (PostgreSQL accepts it; "
					  "values outside the narrower type cannot be referenced)"
			  : "types differ");
	}
	return rc;
}

static int check_one_ref(struct xctx *x, const struct reg_schema *s, const struct reg_reference *ref)
{
	struct sbuf msg = SBUF_INIT;
	int rc = 0;
	if (!ref->schema)
		return 0;
	const struct reg_schema *t = reg_get(x->r, ref->schema);
	if (!t) {
		const char *const *cands = schema_names(x);
		if (!cands)
			return REG_ENOMEM;
		if (!(rc = add_fk(&msg, s, ref)) &&
		    !(rc = sbuf_addf(&msg, ": no schema '%s'", ref->schema)) &&
		    !(rc = validate_suggest(&msg, ref->schema, cands, x->r->n, &x->budget)))
			rc = xerr(x, s, validate_loc_or(ref->schema_loc, ref->loc), DIAG_ERROR,
				  "%s", msg.buf);
		goto out;
	}
	int missing = 0;
	for (size_t i = 0; i < ref->columns.n && !rc; i++) {
		const char *name = ref->columns.items[i];
		if (xcolumn(x, t, name, &rc) || rc)
			continue;
		missing = 1;
		struct xcols *xc = xcols_of(x, t);
		sbuf_reset(&msg);
		if (!(rc = add_fk(&msg, s, ref)) &&
		    !(rc = sbuf_addf(&msg, ": '%s' has no column '%s'", t->name, name)) &&
		    !(rc = validate_suggest(&msg, name, xc->names, xc->n, &x->budget)))
			rc = xerr(x, s, validate_strlist_loc(&ref->columns, i, ref->loc), DIAG_ERROR, "%s",
				  msg.buf);
	}
	if (rc || missing)
		goto out;
	if (!reg_schema_is_key(t, &ref->columns)) {
		sbuf_reset(&msg);
		if (!(rc = add_fk(&msg, s, ref)))
			rc = xerr(x, s, ref->loc, DIAG_ERROR,
				  "%s, which is neither the primary key nor unique in '%s' "
				  "(PostgreSQL needs a primary key, unique column or unique index "
				  "on exactly the referenced columns)", msg.buf, t->name);
	}
	if (!rc)
		rc = check_types(x, s, ref, t);
out:
	sbuf_release(&msg);
	return rc;
}

/* PostgreSQL keeps indexes and tables in one namespace per database schema,
 * so two tables cannot both have an index called idx_created_at. */
struct index_name {
	const char *name;
	size_t schema, index; /* index == SIZE_MAX: the table itself */
};

static int index_name_cmp(const void *pa, const void *pb)
{
	const struct index_name *a = pa, *b = pb;
	int r = strcmp(a->name, b->name);
	if (r)
		return r;
	/* the table first, then by schema and position: the first holder of a
	 * name keeps it, later ones are reported */
	if ((a->index == SIZE_MAX) != (b->index == SIZE_MAX))
		return a->index == SIZE_MAX ? -1 : 1;
	if (a->schema != b->schema)
		return a->schema < b->schema ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int check_index_namespace(struct xctx *x)
{
	const struct reg_registry *r = x->r;
	size_t n = r->n;
	for (size_t i = 0; i < r->n; i++)
		n += r->schemas[i]->nindexes;
	struct index_name *v = malloc((n ? n : 1) * sizeof(*v));
	size_t k = 0;
	int rc = 0;
	if (!v)
		return REG_ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		const struct reg_schema *s = r->schemas[i];
		if (s->name)
			v[k++] = (struct index_name){ s->name, i, SIZE_MAX };
		for (size_t j = 0; j < s->nindexes; j++)
			if (s->indexes[j].name)
				v[k++] = (struct index_name){ s->indexes[j].name, i, j };
	}
	qsort(v, k, sizeof(*v), index_name_cmp);
	for (size_t i = 1, f = 0; i < k && !rc; i++) {
		const struct index_name *first = &v[f], *e = &v[i];
		if (strcmp(e->name, first->name)) {
			f = i;
			continue;
		}
		const struct reg_schema *s = r->schemas[e->schema];
		const struct reg_index *ix = &s->indexes[e->index];
		struct reg_loc at = validate_loc_or(ix->name_loc, ix->loc);
		/* duplicates inside one file are a local rule, reported there */
		if (first->index != SIZE_MAX && first->schema == e->schema)
			continue;
		if (first->index == SIZE_MAX)
			rc = xerr(x, s, at, DIAG_ERROR,
				  "index '%s' of '%s' has the name of table '%s' (tables and "
				  "indexes share one namespace in PostgreSQL)", ix->name, s->name,
				  r->schemas[first->schema]->name);
		else
			rc = xerr(x, s, at, DIAG_ERROR,
				  "index '%s' of '%s' has the name of an index of '%s' (index "
				  "names are unique per database schema in PostgreSQL)", ix->name,
				  s->name, r->schemas[first->schema]->name);
	}
	free(v);
	return rc;
}

int reg_validate_references(const struct reg_registry *r, struct diags *diags)
{
	struct xctx x = { r, diags, NULL, STRMAP_INIT, 0 };
	int rc = 0;
	for (size_t i = 0; i < r->n && !rc; i++) {
		const struct reg_schema *s = r->schemas[i];
		x.budget = DIAG_SUGGEST_BUDGET;
		for (size_t j = 0; j < s->nrefs && !rc; j++)
			rc = check_one_ref(&x, s, &s->refs[j]);
	}
	if (!rc)
		rc = check_index_namespace(&x);
	free(x.schema_names);
	strmap_release(&x.tables, xcols_free);
	return rc;
}

static int report_cycle(const struct reg_registry *r, const size_t *path, size_t len,
			struct diags *d)
{
	const struct reg_schema *a = r->schemas[path[0]];
	const char *next = len > 1 ? r->schemas[path[1]]->name : a->name;
	struct reg_loc at = { 0, 0 };
	struct sbuf msg = SBUF_INIT;
	int rc = 0;
	for (size_t j = 0; j < a->nrefs; j++) {
		if (a->refs[j].schema && !strcmp(a->refs[j].schema, next)) {
			at = a->refs[j].loc;
			break;
		}
	}
	for (size_t i = 0; i < len && !rc; i++)
		rc = sbuf_addf(&msg, "%s%s", i ? " -> " : "", r->schemas[path[i]]->name);
	if (!rc)
		rc = diags_add(d, a->file, at, DIAG_ERROR, "dependency cycle: %s", msg.buf);
	sbuf_release(&msg);
	return rc;
}

int reg_validate_registry(const struct reg_registry *r, struct diags *diags)
{
	struct diags local = DIAGS_INIT;
	struct reg_graph g;
	struct reg_cycles cycles;
	int rc = reg_validate_references(r, &local);
	if (!rc)
		rc = contract_validate_services(r, &local);
	if (rc)
		goto out;
	if ((rc = reg_graph_build(r, &g)))
		goto out;
	rc = reg_graph_cycles(&g, &cycles);
	reg_graph_release(&g);
	if (rc)
		goto out;
	for (size_t i = 0; i < cycles.n && !rc; i++)
		rc = report_cycle(r, cycles.paths[i], cycles.lens[i], &local);
	reg_graph_cycles_release(&cycles);
	if (rc)
		goto out;
	diags_sort(&local);
	if (!(rc = diags_cap_per_file(&local, 0, DIAG_MAX_PER_FILE)))
		rc = diags_move(diags, &local);
out:
	diags_release(&local);
	return rc;
}
