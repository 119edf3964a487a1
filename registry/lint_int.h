/*
 * lint_int: what the lint_*.c files share. Internal to registry/lint*.c.
 *
 *   lint.c         the rule table, options, the run over a script, findings
 *   lint_ignore.c  -- schemafs-ignore directives
 *   lint_stmt.c    one statement: dispatch by node type, transactions,
 *                  timeouts, indexes, drops, renames, the non-transactional
 *   lint_table.c   CREATE TABLE and ALTER TABLE: columns, types, defaults,
 *                  constraints
 *   lint_keys.c    indexes and foreign keys across the script: duplicate
 *                  indexes, foreign keys without an index
 */
#ifndef SCHEMAFS_LINT_INT_H
#define SCHEMAFS_LINT_INT_H

#include <json-c/json.h>

#include "lint.h"
#include "strlist.h"
#include "strmap.h"
#include "text.h"

/* NAMEDATALEN - 1: PostgreSQL truncates longer names. */
#define LINT_MAX_IDENT 63

struct lint_ignore {
	size_t offset;          /* of the rule's name in the text */
	struct reg_loc loc;
	uint32_t line;          /* of the directive */
	bool whole_file;
	size_t stmt;            /* the statement it silences (not whole_file) */
	bool assigned;          /* false: no statement follows it */
	int rule;               /* enum lint_rule_id, or -1 for an unknown name */
	char *name;             /* as written */
	bool used;
};

/* An index (or the index behind a primary key or unique constraint). */
struct lint_index {
	char *table;
	char *columns;          /* "a,b"; NULL for an expression or partial index */
	char *name;             /* as declared, or "" */
	bool unique;
	size_t offset, stmt;
};

/* A foreign key declared in the script, checked at the end. */
struct lint_fk {
	char *table;
	char *columns;          /* "a,b" */
	char *reftable;
	size_t offset, stmt;
};

struct lint_ctx {
	const char *text;       /* the whole script, NUL-terminated copy */
	size_t len;
	struct lint_options opt;
	struct lint_report *out;
	struct text_lines lines;

	/* the statement being linted */
	size_t stmt;            /* index */
	size_t base;            /* byte offset of its first character */
	size_t stmt_len;

	/* across statements */
	struct strmap created;  /* tables created by this script (copied keys) */
	struct strmap renamed;  /* new names of existing tables renamed by it */
	struct strmap index_keys;   /* "table\x1fcolumns" -> 1 + index in indexes */
	struct strmap index_names;  /* index name -> 1 + index in indexes */
	int tx_depth;           /* BEGIN ... COMMIT opened by the script */
	size_t tx_begin, tx_stmt;  /* where the open BEGIN is */
	bool lock_timeout, statement_timeout;   /* SET to a non-zero value */
	bool lock_reported, statement_reported;
	struct strlist dropped_if_exists; /* "table\tconstraint": a re-run can add it again */
	struct strlist not_valid;  /* "table\tconstraint" added NOT VALID in this transaction */
	struct strlist nn_checks;  /* "table\tconstraint": a CHECK (col IS NOT NULL), in */
	struct strlist nn_cols;    /* nn_checks' order: its column */
	struct strlist proven_nn;  /* "table\tcolumn" with a valid CHECK (col IS NOT NULL) */
	struct lint_index *indexes;
	size_t nindexes;
	struct lint_fk *fks;
	size_t nfks;
	struct lint_ignore *ignores;
	size_t nignores;
	int err;                /* the first REG_ENOMEM */
};

/* lint.c */
/* Reports rule at byte offset off of the script: the message is fmt's text,
 * then " (rule ID); " and safe. Skips rules that are off, hand-only rules on
 * a plan, and what a directive silences. */
void lint_emit(struct lint_ctx *c, enum lint_rule_id rule, size_t off, const char *safe,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The byte offset in the script of a node's "location" (relative to the
 * statement), or the statement's start. */
size_t lint_at(const struct lint_ctx *c, json_object *node);
/* In a transaction now: by the options or a BEGIN of the script. */
bool lint_in_tx(const struct lint_ctx *c);
/* The table existed before the script (it may hold rows; locks on it matter). */
bool lint_existing(const struct lint_ctx *c, const char *table);
void lint_oom(struct lint_ctx *c);

/* lint_ignore.c */
int lint_ignore_scan(struct lint_ctx *c);
struct sqlscript;
/* Ties each directive to the statement it silences. 0 or REG_ENOMEM. */
int lint_ignore_assign(struct lint_ctx *c, const struct sqlscript *s);
/* True when a directive silences rule for the current statement; marks it used. */
bool lint_ignored(struct lint_ctx *c, enum lint_rule_id rule);
/* Reports directives that silenced nothing. */
void lint_ignore_finish(struct lint_ctx *c);
void lint_ignore_release(struct lint_ctx *c);

/* lint_stmt.c */
void lint_stmt(struct lint_ctx *c, const char *type, json_object *body);
/* Hand SQL that takes a lock on an existing table wants timeouts set first. */
void lint_need_timeouts(struct lint_ctx *c, size_t off);
/* Outside a transaction, a statement without its IF [NOT] EXISTS guard. */
void lint_robust(struct lint_ctx *c, bool guarded, const char *what, const char *guard);
/* A name the parser truncated: reports identifier-too-long. */
void lint_ident(struct lint_ctx *c, const char *name);

/* lint_table.c */
void lint_create_table(struct lint_ctx *c, json_object *st);
void lint_alter_table(struct lint_ctx *c, json_object *st);
/* The relation's name as the script writes it: "schema.table" or "table". */
const char *lint_relname(json_object *rangevar, char *buf, size_t size);

/* lint_keys.c */
/* Columns of a list of String nodes (keys, fk_attrs) or of IndexElems as
 * "a,b", malloc'd; NULL for an expression (or out of memory: c->err). */
char *lint_keys_join(struct lint_ctx *c, json_object *list);
/* An index of the script (columns is taken, NULL for one that cannot be
 * compared): reports a duplicate of an earlier one. */
void lint_keys_index(struct lint_ctx *c, const char *table, char *columns, const char *name,
		     bool unique, size_t off);
/* DROP INDEX name: true when the script built it. */
bool lint_keys_drop(struct lint_ctx *c, const char *name);
/* A foreign key of the script (columns is taken). */
void lint_keys_fk(struct lint_ctx *c, const char *table, char *columns, const char *reftable,
		  size_t off);
/* At the end of the script: foreign keys without an index. */
void lint_keys_finish(struct lint_ctx *c);
void lint_keys_release(struct lint_ctx *c);

#endif
