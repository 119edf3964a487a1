/*
 * sqlscript: hand-written migration SQL (migrations/pending/<name>.sql, the
 * seed's schema_changes), checked by PostgreSQL's own parser (libpg_query)
 * before anything touches a database.
 *
 * A script is split into statements by sqllex.h and each statement is
 * parsed on its own, so one pass reports every broken statement, not only
 * the first. Places are 1-based line and column; columns count characters
 * (UTF-8 code points), as editors do.
 *
 * Errors (refuse the script):
 *  - syntax errors, at the parser's cursor, with a hint for common MySQL
 *    spellings (COMMENT '...', AUTO_INCREMENT, `backticks`);
 *  - MySQL's "ADD INDEX idx (col)" / "ADD KEY idx (col)": PostgreSQL parses
 *    it as "ADD COLUMN index <type idx(col)>", so it is recognised by that
 *    shape (a new column named index or key whose type has a column
 *    reference as modifier), not by string matching;
 *  - statements that cannot run inside the migration's single transaction:
 *    transaction control, VACUUM, CREATE INDEX CONCURRENTLY, CREATE/DROP
 *    DATABASE, ALTER SYSTEM;
 *  - an empty script.
 * Warnings (lint, sqlscript_lint_* texts shared with plan.c):
 *  DROP TABLE, DROP COLUMN, ALTER COLUMN TYPE, SET NOT NULL, a foreign key
 *  without NOT VALID, CREATE INDEX on an existing table, a NOT NULL column
 *  added without a default to an existing table.
 */
#ifndef SCHEMAFS_SQLSCRIPT_H
#define SCHEMAFS_SQLSCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Lint needs to know which tables already exist (a CREATE INDEX on a table
 * the same script creates blocks nobody). NULL callback: every table is
 * taken to exist. */
struct sqlscript_env {
	bool (*table_exists)(void *ctx, const char *table);
	void *ctx;
};

struct sqlscript_stmt {
	size_t offset;        /* byte range in the text, leading blanks skipped */
	size_t len;
	struct reg_loc loc;   /* where the statement starts */
};

/* What a checked script holds. Owns stmts. */
struct sqlscript {
	struct sqlscript_stmt *stmts;
	size_t n;
};

/*
 * Checks text (len bytes; NUL bytes are refused) and adds diagnostics named
 * file. out may be NULL; otherwise it receives the statements (also when
 * some are broken: they are listed, so callers can still show them).
 * Returns 0 whether or not the script is acceptable (diags->errors says),
 * or REG_ENOMEM.
 */
int sqlscript_check(const char *text, size_t len, const char *file,
		    const struct sqlscript_env *env, struct sqlscript *out,
		    struct diags *diags);
void sqlscript_release(struct sqlscript *s);

/* Lint messages, shared by generated DDL (plan.c) and pending scripts so
 * both say the same thing. Each appends to out. */
int sqlscript_lint_drop_table(struct sbuf *out, const char *table);
int sqlscript_lint_drop_column(struct sbuf *out, const char *table, const char *column);
int sqlscript_lint_type_change(struct sbuf *out, const char *table, const char *column);
int sqlscript_lint_set_not_null(struct sbuf *out, const char *table, const char *column);
int sqlscript_lint_fk(struct sbuf *out, const char *table, const char *reftable);
int sqlscript_lint_index(struct sbuf *out, const char *index, const char *table);
int sqlscript_lint_not_null_no_default(struct sbuf *out, const char *table, const char *column);

#endif
