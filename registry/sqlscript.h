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
 * Errors (refuse the script): syntax errors, at the parser's cursor, with a
 * hint for common MySQL spellings (COMMENT '...', AUTO_INCREMENT,
 * `backticks`); a statement nested too deeply to check; NUL bytes; an
 * empty script. Everything else about what a script does (locks, MySQL's
 * ADD INDEX, statements that cannot run in a transaction) is lint.h's.
 */
#ifndef SCHEMAFS_SQLSCRIPT_H
#define SCHEMAFS_SQLSCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

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
int sqlscript_check(const char *text, size_t len, const char *file, struct sqlscript *out,
		    struct diags *diags);
void sqlscript_release(struct sqlscript *s);

#endif
