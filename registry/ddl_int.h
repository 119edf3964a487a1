/*
 * ddl_int: what the files of ddl_import (ddl_import.h) share; internal to
 * them. One import is one struct ddl_ctx, passed to everything:
 *
 *   ddl_import.c   the entry point: psql meta-commands, statements split
 *                  by sqllex and parsed one by one, dispatch, the output
 *   ddl_ctx.c      the state of one import: its memory failure, its
 *                  diagnostics (offsets -> file:line:col), what was ignored
 *   ddl_model.c    tables and columns; names (SQL -> registry) and their
 *                  resolution through search_path
 *   ddl_columns.c  column definitions, with types and defaults as written
 *   ddl_keys.c     primary keys, UNIQUE constraints, indexes
 *   ddl_refs.c     foreign keys: recorded as declared, resolved at the end
 *   ddl_stmts.c    CREATE TABLE, ALTER TABLE, COMMENT ON, SET, DROP TABLE
 *
 * Places are byte offsets into c->src (the whole text); a statement's tree
 * counts from c->base, ddl_ctx_at() converts. Out of memory is sticky:
 * the first REG_ENOMEM lands in c->rc and every later helper is a no-op,
 * so handlers check c->rc where they loop, not after every call.
 */
#ifndef SCHEMAFS_DDL_INT_H
#define SCHEMAFS_DDL_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "ddl_import.h"
#include "diag.h"
#include "model.h"
#include "pgq.h"
#include "sbuf.h"
#include "strlist.h"
#include "strmap.h"
#include "text.h"

/* A foreign key as declared; resolved once every table is known. */
struct ddl_fk {
	char *tschema;        /* NULL: unqualified, looked up through path */
	char *tname;
	struct strlist path;  /* the search_path when declared, for unqualified targets */
	struct reg_strlist local, remote; /* remote empty: the target's primary key */
	enum reg_fk_action on_delete, on_update;
	size_t at;
};

enum ddl_table_state { DDL_T_OK, DDL_T_EXCLUDED, DDL_T_REFUSED };

struct ddl_table {
	char *sqlschema, *sqlname;
	char *name; /* registry name; NULL when excluded */
	size_t at;  /* where CREATE TABLE names it */
	enum ddl_table_state state;
	struct reg_schema *s;
	struct reg_strlist pk; /* primary key columns in key order */
	struct ddl_fk *fks;
	size_t nfks;
};

struct ddl_ctx {
	char *src; /* the text, psql meta-commands blanked; NUL-terminated */
	size_t len;
	const char *file;
	const char *only_schema, *owner;
	struct diags *diags;
	struct ddl_import *out;
	struct text_lines lines;
	struct strlist path;       /* search_path, schemas only (no $user, pg_catalog) */
	struct ddl_table **tables; /* in declaration order; owned */
	size_t ntables, tables_alloc;
	struct strmap by_sqlname;  /* "schema\0name" -> struct ddl_table * */
	struct strmap others;      /* "schema\0name" of views, sequences, ... -> (void *)1 */
	struct strmap other_names; /* "name" of the same */
	struct sbuf key;           /* scratch for map keys */
	size_t base;               /* the current statement's offset in src */
	size_t stmt_end;           /* and its end */
	int rc;                    /* sticky: the first REG_ENOMEM */
};

/* ---- ddl_ctx.c ---- */

/* Records REG_ENOMEM; returns NULL, for `return ddl_ctx_oom(c);`. */
void *ddl_ctx_oom(struct ddl_ctx *c);
/* strdup (NULL for NULL), strndup, and realloc to n + 1 zeroed-last
 * elements; NULL (recorded) when out of memory. */
char *ddl_ctx_strdup(struct ddl_ctx *c, const char *s);
char *ddl_ctx_strndup(struct ddl_ctx *c, const char *s, size_t n);
void *ddl_ctx_grow(struct ddl_ctx *c, void *arr, size_t n, size_t size);
void ddl_ctx_push(struct ddl_ctx *c, struct reg_strlist *l, const char *s);
/* Pushes the svals of an array of String nodes (column lists). */
void ddl_ctx_push_names(struct ddl_ctx *c, json_object *arr, struct reg_strlist *l);
/* A location in the current statement's tree (-1: its start), as an
 * offset in src. */
size_t ddl_ctx_at(const struct ddl_ctx *c, int loc);
struct reg_loc ddl_ctx_loc(const struct ddl_ctx *c, size_t off);
void ddl_ctx_report(struct ddl_ctx *c, enum diag_severity sev, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same about table t: silent for a table outside --schema, whose
 * problems are nobody's concern. */
void ddl_ctx_treport(struct ddl_ctx *c, const struct ddl_table *t, enum diag_severity sev,
		     size_t off, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Counts one more of what in out->ignored. */
void ddl_ctx_ignore(struct ddl_ctx *c, const char *what);
/* prefix + an enum name in words: "OBJECT_MATVIEW" -> "MATVIEW",
 * "AT_ChangeOwner" -> "CHANGE OWNER". */
void ddl_ctx_ignoref(struct ddl_ctx *c, const char *prefix, const char *kind);

/* ---- ddl_model.c ---- */

void ddl_model_init(struct ddl_ctx *c);
void ddl_model_release(struct ddl_ctx *c);
/* A new table, registered under (schema, name); NULL when out of memory.
 * Reports a registry name the registry would refuse (the table is then
 * DDL_T_REFUSED). */
struct ddl_table *ddl_model_new_table(struct ddl_ctx *c, const char *schema, const char *name,
				      size_t off);
/* Forgets t (DROP TABLE) and frees it. */
void ddl_model_drop_table(struct ddl_ctx *c, struct ddl_table *t);
/* Refuses t, unless it is excluded (then it stays that). */
void ddl_model_refuse(struct ddl_table *t);
struct ddl_table *ddl_model_find(struct ddl_ctx *c, const char *schema, const char *name);
/* The table a name means: schema NULL looks in default_schema (CREATE
 * SCHEMA's elements) then along search_path. */
struct ddl_table *ddl_model_lookup(struct ddl_ctx *c, const char *schema, const char *name,
				   const char *default_schema);
/* The same for a RangeVar node. */
struct ddl_table *ddl_model_lookup_rv(struct ddl_ctx *c, json_object *rv,
				      const char *default_schema);
/* Where an unqualified CREATE puts a table. */
const char *ddl_model_creation_schema(const struct ddl_ctx *c);
/* A relation that is not a table (view, sequence): ALTER TABLE and CREATE
 * INDEX may name one, and that is no reason for a warning. */
void ddl_model_add_other(struct ddl_ctx *c, json_object *rv, const char *default_schema);
bool ddl_model_is_other(struct ddl_ctx *c, json_object *rv);
/* "schema.name", or "name" for public: how messages name a SQL table.
 * Borrowed from sb, which it resets. */
const char *ddl_model_sql_name(struct sbuf *sb, const char *schema, const char *name);
/* The registry name of an object (table or index) of a SQL schema; NULL
 * with *excluded set when --schema leaves it out. */
char *ddl_model_registry_name(struct ddl_ctx *c, const char *schema, const char *name,
			      bool *excluded);
struct reg_column *ddl_model_column(struct ddl_table *t, const char *name);
struct reg_column *ddl_model_add_column(struct ddl_ctx *c, struct ddl_table *t, const char *name);
void ddl_model_drop_column(struct ddl_table *t, const char *name);
/* Columns of another table (INHERITS, PARTITION OF, LIKE): name, type,
 * NOT NULL and, unless like, the default. */
void ddl_model_copy_columns(struct ddl_ctx *c, struct ddl_table *t, const struct ddl_table *from,
			    bool like);
/* search_path: emptied, and one schema appended ($user, pg_catalog and
 * pg_temp are not places tables are imported from). */
void ddl_model_path_clear(struct ddl_ctx *c);
void ddl_model_path_push(struct ddl_ctx *c, const char *schema);

/* ---- ddl_columns.c ---- */

/* A column definition (CREATE TABLE element, ALTER TABLE ADD COLUMN); bound:
 * where the next element starts. */
void ddl_columns_def(struct ddl_ctx *c, struct ddl_table *t, json_object *cd, size_t bound,
		     const char *default_schema);
/* The type from the source text of TypeName tn, up to bound. */
void ddl_columns_set_type(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			  json_object *tn, size_t bound);
/* The default: the text after the last DEFAULT in [from, limit), up to the
 * clause's end or bound. */
void ddl_columns_set_default(struct ddl_ctx *c, struct ddl_table *t, struct reg_column *col,
			     size_t from, size_t limit, size_t bound);

/* ---- ddl_keys.c ---- */

void ddl_keys_mark_pk(struct ddl_ctx *c, struct ddl_table *t, const char *name, size_t off);
/* A table constraint (CREATE TABLE element, ALTER TABLE ADD CONSTRAINT). */
void ddl_keys_constraint(struct ddl_ctx *c, struct ddl_table *t, json_object *con,
			 const char *default_schema);
void ddl_keys_create_index(struct ddl_ctx *c, json_object *st, const char *default_schema);

/* ---- ddl_refs.c ---- */

/* Records a FOREIGN KEY constraint; local_col: the column of a column
 * constraint, NULL for a table constraint. */
void ddl_refs_add(struct ddl_ctx *c, struct ddl_table *t, json_object *con, const char *local_col,
		  const char *default_schema);
void ddl_refs_fk_release(struct ddl_fk *f);
/* Turns every importable table's foreign keys into references, dropping
 * (with a warning) those that cannot be. */
void ddl_refs_resolve(struct ddl_ctx *c);
/* Drops the references of imported tables to a table that is not, with a
 * warning, so the rest stays consistent. */
void ddl_refs_drop_dangling(struct ddl_ctx *c);

/* ---- ddl_stmts.c ---- */

void ddl_stmts_create_table(struct ddl_ctx *c, json_object *st, const char *default_schema);
void ddl_stmts_alter_table(struct ddl_ctx *c, json_object *st);
void ddl_stmts_comment_on(struct ddl_ctx *c, json_object *st);
void ddl_stmts_set(struct ddl_ctx *c, json_object *st);
/* pg_dump's "SELECT pg_catalog.set_config('search_path', '', false);" */
void ddl_stmts_select(struct ddl_ctx *c, json_object *st);
void ddl_stmts_drop(struct ddl_ctx *c, json_object *st);

#endif
