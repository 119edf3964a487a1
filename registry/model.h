/*
 * model: the C form of one schema file (SPEC §1) and of registry.yaml.
 *
 * Ownership: a struct reg_schema owns every string and array hanging off it;
 * reg_schema_free() releases all of it. Strings are NUL-terminated UTF-8,
 * malloc'd. Optional strings are NULL when the key was absent.
 *
 * Locations (struct reg_loc) are 1-based places in the source file, filled
 * by the YAML parser; they are {0,0} for schemas built through the C API.
 * They exist so that every later check (validation, references) can say
 * where a problem is.
 */
#ifndef SCHEMAFS_MODEL_H
#define SCHEMAFS_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define REG_DEFAULT_VERSION "1.0.0"
/* Files over this size are refused before parsing (SPEC: EFBIG). */
#define REG_MAX_FILE_SIZE (1024 * 1024)
/* PostgreSQL's NAMEDATALEN - 1. */
#define REG_MAX_IDENT_LEN 63

enum reg_fk_action {
	REG_FK_NO_ACTION = 0, /* PostgreSQL's default */
	REG_FK_RESTRICT,
	REG_FK_CASCADE,
	REG_FK_SET_NULL,
	REG_FK_SET_DEFAULT,
};
/* "NO ACTION", "RESTRICT", ... */
const char *reg_fk_action_sql(enum reg_fk_action a);
/* Case-insensitive parse of the SQL spelling; -1 when unknown. */
int reg_fk_action_parse(const char *s);

/* A list of strings with the place of each item. */
struct reg_strlist {
	char **items;
	struct reg_loc *locs; /* same length as items; may be NULL when built by API */
	size_t n;
	bool was_list; /* written as a YAML sequence (vs a single scalar) */
};

struct reg_column {
	char *name;
	char *type;          /* as written: "VARCHAR(255)" */
	char *default_expr;  /* SQL expression text, NULL when absent */
	char *description;
	bool nullable;       /* default true, as in the seed */
	bool primary_key;
	bool unique;
	char *renamed_from;  /* the column's previous name, NULL when absent */
	struct reg_loc loc;  /* the list item */
	struct reg_loc name_loc, type_loc, default_loc, nullable_loc, renamed_from_loc;
	struct reg_strlist lint_ignore; /* lint rule ids silenced for it (lint.h) */
};

struct reg_reference {
	char *schema;                    /* referenced table */
	struct reg_strlist columns;      /* referenced columns, >= 1 */
	struct reg_strlist foreign_keys; /* local columns, same count */
	enum reg_fk_action on_delete;
	enum reg_fk_action on_update;
	char *description;
	struct reg_loc loc, schema_loc, on_delete_loc, on_update_loc;
	struct reg_strlist lint_ignore;
};

struct reg_index {
	char *name;
	struct reg_strlist columns;
	bool unique;
	char *description;
	struct reg_loc loc, name_loc;
	struct reg_strlist lint_ignore;
};

struct reg_history_entry {
	char *version;
	char *date;
	char *changes;
	struct reg_loc loc;
};

struct reg_schema {
	char *name;
	char *owner;
	char *version;     /* REG_DEFAULT_VERSION when absent */
	char *description;
	struct reg_column *columns;
	size_t ncolumns;
	struct reg_reference *refs;
	size_t nrefs;
	struct reg_index *indexes;
	size_t nindexes;
	struct reg_history_entry *history;
	size_t nhistory;
	char *renamed_from; /* the table's previous name, NULL when absent */

	char *compatibility; /* `compatibility:` as written (a contract mode), NULL: the registry's */

	char *file;        /* name used in diagnostics: "schemas/users.yaml" */
	char *source;      /* the accepted bytes, byte-exact; NULL when built by API */
	size_t source_len;
	struct reg_loc name_loc, owner_loc, version_loc, columns_loc, renamed_from_loc;
};

/* One entry of registry.yaml's lint: mapping. */
struct reg_lint_level {
	int rule;            /* enum lint_rule_id (lint.h), checked by the parser */
	int level;           /* enum lint_level: LINT_LEVEL_OFF, _WARNING or _ERROR */
	struct reg_loc loc;  /* of the rule's key */
};

struct reg_meta {
	char *name;
	char *description;
	char *target;      /* libpq conninfo or "service=NAME"; NULL when absent */
	/* lint: {RULE: off|warning|error, ..., strict: true} */
	struct reg_lint_level *lint;
	size_t nlint;
	bool lint_strict;  /* warnings fail check too */
	char *compatibility; /* the default contract mode as written; NULL: BACKWARD */
	char *file;
	char *source;
	size_t source_len;
};

/* services/<name>.yaml: what a service reads and writes in tables it does
 * not own (SPEC §1.2, docs/contracts.md). Items of reads are "table" or
 * "table.column"; of writes likewise. */
struct reg_service {
	char *name;
	char *description;
	char *contact;
	struct reg_strlist reads;
	struct reg_strlist writes;
	char *file;        /* "services/notification-service.yaml" */
	char *source;      /* the accepted bytes, byte-exact */
	size_t source_len;
	struct reg_loc name_loc;
};

struct reg_service *reg_service_new(void);          /* zeroed; NULL on OOM */
void reg_service_free(struct reg_service *s);       /* NULL is fine */

struct reg_schema *reg_schema_new(void);            /* zeroed; NULL on OOM */
void reg_schema_free(struct reg_schema *s);         /* NULL is fine */
/* Deep copy (locations and source included); NULL on OOM. */
struct reg_schema *reg_schema_dup(const struct reg_schema *s);
void reg_meta_release(struct reg_meta *m);

const struct reg_column *reg_schema_column(const struct reg_schema *s, const char *name);
/* True when cols (in any order, no name twice) are exactly the columns of
 * s's primary key or of one of its unique indexes, or are one column
 * declared unique: what PostgreSQL accepts as the target of a foreign key,
 * and what makes the referencing side "one" rather than "many". False for
 * an empty list. */
bool reg_schema_is_key(const struct reg_schema *s, const struct reg_strlist *cols);
/* Appends a copy of str to the list (loc may be NULL). */
int reg_strlist_push(struct reg_strlist *l, const char *str, const struct reg_loc *loc);
void reg_strlist_release(struct reg_strlist *l);

#endif
