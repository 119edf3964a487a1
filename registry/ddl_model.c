/* Tables and columns of an import, their names, and name resolution. */
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "validate.h"

void ddl_model_init(struct ddl_ctx *c)
{
	strlist_init(&c->path);
	strmap_init(&c->by_sqlname);
	strmap_init(&c->others);
	strmap_init(&c->other_names);
	sbuf_init(&c->key);
}

static void table_free(struct ddl_table *t)
{
	if (!t)
		return;
	free(t->sqlschema);
	free(t->sqlname);
	free(t->name);
	reg_schema_free(t->s);
	reg_strlist_release(&t->pk);
	for (size_t i = 0; i < t->nfks; i++)
		ddl_refs_fk_release(&t->fks[i]);
	free(t->fks);
	free(t);
}

void ddl_model_release(struct ddl_ctx *c)
{
	for (size_t i = 0; i < c->ntables; i++)
		table_free(c->tables[i]);
	free(c->tables);
	c->tables = NULL;
	c->ntables = c->tables_alloc = 0;
	strmap_release(&c->by_sqlname, NULL);
	strmap_release(&c->others, NULL);
	strmap_release(&c->other_names, NULL);
	strlist_release(&c->path);
	sbuf_release(&c->key);
}

/* "schema\0name" in c->key: a quoted name may hold any other byte. NULL
 * when out of memory. */
static const char *key_of(struct ddl_ctx *c, const char *schema, const char *name)
{
	sbuf_reset(&c->key);
	sbuf_adds(&c->key, schema);
	sbuf_addch(&c->key, '\0');
	sbuf_adds(&c->key, name);
	return sbuf_error(&c->key) ? ddl_ctx_oom(c) : c->key.buf;
}

struct ddl_table *ddl_model_find(struct ddl_ctx *c, const char *schema, const char *name)
{
	const char *k = key_of(c, schema, name);
	return k ? strmap_get(&c->by_sqlname, k, c->key.len) : NULL;
}

const char *ddl_model_creation_schema(const struct ddl_ctx *c)
{
	/* PostgreSQL's first schema in search_path (an empty path would fail
	 * there; public is our guess) */
	return c->path.n ? c->path.items[0] : "public";
}

struct ddl_table *ddl_model_lookup(struct ddl_ctx *c, const char *schema, const char *name,
				   const char *default_schema)
{
	if (schema)
		return ddl_model_find(c, schema, name);
	/* inside CREATE SCHEMA, PostgreSQL puts that schema first in the path */
	struct ddl_table *t = default_schema ? ddl_model_find(c, default_schema, name) : NULL;
	for (size_t i = 0; !t && i < c->path.n; i++)
		t = ddl_model_find(c, c->path.items[i], name);
	if (!t && !c->path.n)
		t = ddl_model_find(c, "public", name);
	return t;
}

struct ddl_table *ddl_model_lookup_rv(struct ddl_ctx *c, json_object *rv,
				      const char *default_schema)
{
	const char *name = pgq_get_str(rv, "relname");
	if (!name)
		return NULL;
	return ddl_model_lookup(c, pgq_get_str(rv, "schemaname"), name, default_schema);
}

void ddl_model_add_other(struct ddl_ctx *c, json_object *rv, const char *default_schema)
{
	const char *schema = pgq_get_str(rv, "schemaname"), *name = pgq_get_str(rv, "relname");
	if (!name || c->rc)
		return;
	if (!schema)
		schema = default_schema ? default_schema : ddl_model_creation_schema(c);
	const char *k = key_of(c, schema, name);
	if (k && (strmap_put(&c->others, k, c->key.len, (void *)1, NULL) ||
		  strmap_put_s(&c->other_names, name, (void *)1, NULL)))
		ddl_ctx_oom(c);
}

bool ddl_model_is_other(struct ddl_ctx *c, json_object *rv)
{
	const char *schema = pgq_get_str(rv, "schemaname"), *name = pgq_get_str(rv, "relname");
	if (!name)
		return false;
	if (!schema)
		return strmap_has_s(&c->other_names, name);
	const char *k = key_of(c, schema, name);
	return k && strmap_get(&c->others, k, c->key.len);
}

const char *ddl_model_sql_name(struct sbuf *sb, const char *schema, const char *name)
{
	sbuf_reset(sb);
	if (schema && strcmp(schema, "public"))
		sbuf_addf(sb, "%s.%s", schema, name);
	else
		sbuf_adds(sb, name);
	return sb->buf;
}

/* The bare name under --schema or for public, else "<schema>_<name>". */
char *ddl_model_registry_name(struct ddl_ctx *c, const char *schema, const char *name,
			      bool *excluded)
{
	*excluded = false;
	if (c->only_schema) {
		if (strcmp(schema, c->only_schema)) {
			*excluded = true;
			return NULL;
		}
		return ddl_ctx_strdup(c, name);
	}
	if (!strcmp(schema, "public"))
		return ddl_ctx_strdup(c, name);
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "%s_%s", schema, name);
	char *p = sbuf_error(&sb) ? NULL : sbuf_detach(&sb, NULL);
	sbuf_release(&sb);
	return p ? p : ddl_ctx_oom(c);
}

/* The registry name, or the reason the table is not imported. */
static void name_table(struct ddl_ctx *c, struct ddl_table *t, const char *schema,
		       const char *name, size_t off)
{
	struct sbuf sb = SBUF_INIT;
	bool excluded;
	const char *why;
	t->name = ddl_model_registry_name(c, schema, name, &excluded);
	if (c->rc)
		return;
	if (excluded) {
		t->state = DDL_T_EXCLUDED;
	} else if (!reg_validate_ident(t->name, &why)) {
		if (strlen(t->name) > REG_MAX_IDENT_LEN)
			ddl_ctx_report(c, DIAG_ERROR, off,
				       "table '%s' not imported: name '%s' is %zu bytes long; "
				       "names are at most %d",
				       ddl_model_sql_name(&sb, schema, name), t->name,
				       strlen(t->name), REG_MAX_IDENT_LEN);
		else
			ddl_ctx_report(c, DIAG_ERROR, off,
				       "table '%s' not imported: invalid name '%s': %s",
				       ddl_model_sql_name(&sb, schema, name), t->name, why);
		t->state = DDL_T_REFUSED;
	}
	sbuf_release(&sb);
}

static int register_table(struct ddl_ctx *c, struct ddl_table *t)
{
	if (c->ntables == c->tables_alloc) {
		size_t n = c->tables_alloc ? c->tables_alloc * 2 : 64;
		struct ddl_table **tables = realloc(c->tables, n * sizeof(*tables));
		if (!tables)
			return REG_ENOMEM;
		c->tables = tables;
		c->tables_alloc = n;
	}
	const char *k = key_of(c, t->sqlschema, t->sqlname);
	if (!k || strmap_put(&c->by_sqlname, k, c->key.len, t, NULL))
		return REG_ENOMEM;
	c->tables[c->ntables++] = t;
	return 0;
}

struct ddl_table *ddl_model_new_table(struct ddl_ctx *c, const char *schema, const char *name,
				      size_t off)
{
	struct ddl_table *t = calloc(1, sizeof(*t));
	if (!t)
		return ddl_ctx_oom(c);
	t->at = off;
	if (!(t->sqlschema = ddl_ctx_strdup(c, schema)) || !(t->sqlname = ddl_ctx_strdup(c, name)) ||
	    !(t->s = reg_schema_new()))
		goto fail;
	name_table(c, t, schema, name, off);
	if (c->rc)
		goto fail;
	if (!(t->s->name = ddl_ctx_strdup(c, t->name ? t->name : name)) ||
	    !(t->s->version = ddl_ctx_strdup(c, REG_DEFAULT_VERSION)))
		goto fail;
	const char *owner = c->owner;
	if (!owner)
		owner = strcmp(schema, "public") ? schema : "unknown-service";
	if (!(t->s->owner = ddl_ctx_strdup(c, owner)))
		goto fail;
	if (register_table(c, t))
		goto fail;
	return t;
fail:
	table_free(t);
	return ddl_ctx_oom(c);
}

void ddl_model_drop_table(struct ddl_ctx *c, struct ddl_table *t)
{
	const char *k = key_of(c, t->sqlschema, t->sqlname);
	if (!k)
		return;
	strmap_remove(&c->by_sqlname, k, c->key.len);
	for (size_t i = 0; i < c->ntables; i++) {
		if (c->tables[i] == t) {
			memmove(&c->tables[i], &c->tables[i + 1],
				(c->ntables - i - 1) * sizeof(*c->tables));
			c->ntables--;
			break;
		}
	}
	table_free(t);
}

void ddl_model_refuse(struct ddl_table *t)
{
	if (t->state == DDL_T_OK)
		t->state = DDL_T_REFUSED;
}

static long column_index(const struct reg_schema *s, const char *name)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		if (!strcmp(s->columns[i].name, name))
			return (long)i;
	return -1;
}

struct reg_column *ddl_model_column(struct ddl_table *t, const char *name)
{
	long i = name ? column_index(t->s, name) : -1;
	return i < 0 ? NULL : &t->s->columns[i];
}

struct reg_column *ddl_model_add_column(struct ddl_ctx *c, struct ddl_table *t, const char *name)
{
	struct reg_column *cols = ddl_ctx_grow(c, t->s->columns, t->s->ncolumns, sizeof(*cols));
	if (!cols)
		return NULL;
	t->s->columns = cols;
	struct reg_column *col = &cols[t->s->ncolumns];
	col->nullable = true;
	if (!(col->name = ddl_ctx_strdup(c, name)))
		return NULL;
	t->s->ncolumns++;
	return col;
}

void ddl_model_drop_column(struct ddl_table *t, const char *name)
{
	long k = column_index(t->s, name);
	if (k < 0)
		return;
	struct reg_column *col = &t->s->columns[k];
	free(col->name);
	free(col->type);
	free(col->default_expr);
	free(col->description);
	memmove(col, col + 1, (t->s->ncolumns - (size_t)k - 1) * sizeof(*col));
	t->s->ncolumns--;
}

void ddl_model_copy_columns(struct ddl_ctx *c, struct ddl_table *t, const struct ddl_table *from,
			    bool like)
{
	for (size_t i = 0; i < from->s->ncolumns && !c->rc; i++) {
		const struct reg_column *src = &from->s->columns[i];
		if (ddl_model_column(t, src->name))
			continue;
		struct reg_column *col = ddl_model_add_column(c, t, src->name);
		if (!col)
			return;
		col->nullable = src->nullable;
		col->type = ddl_ctx_strdup(c, src->type);
		if (!like)
			col->default_expr = ddl_ctx_strdup(c, src->default_expr);
	}
}

void ddl_model_path_clear(struct ddl_ctx *c)
{
	strlist_release(&c->path);
}

void ddl_model_path_push(struct ddl_ctx *c, const char *schema)
{
	if (!strcmp(schema, "$user") || !strcmp(schema, "pg_catalog") ||
	    !strncmp(schema, "pg_temp", 7))
		return;
	if (!c->rc && strlist_push(&c->path, schema))
		ddl_ctx_oom(c);
}
