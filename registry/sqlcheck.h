/*
 * sqlcheck: what is valid PostgreSQL, decided by PostgreSQL's own parser
 * (libpg_query), never by string matching.
 *
 * A column type is valid when "SELECT NULL::<type>" parses to exactly one
 * SELECT of one type cast and nothing else; a default is valid when
 * "SELECT <expr>" parses to exactly one SELECT of one bare expression. So
 * "VARCHAR(255); DROP TABLE users" is two statements and refused.
 *
 * The parser is not free, so results are cached by text: each distinct
 * type or default text is parsed once per process, whoever asks (the
 * validator for declared texts, the planner for live ones too). This is
 * the one cache of parser verdicts and canonical forms. It is internal,
 * guarded by a mutex, and reachable until sqlcheck_cleanup().
 */
#ifndef SCHEMAFS_SQLCHECK_H
#define SCHEMAFS_SQLCHECK_H

#include <stddef.h>

/* Result of checking one text. Strings are owned by the cache: valid until
 * sqlcheck_cleanup(); copy them to keep them longer. */
struct sqlcheck_result {
	int ok;               /* 1 valid, 0 refused */
	const char *message;  /* when refused: why, lower case */
	int offset;           /* when refused: 0-based byte offset into the text, -1 unknown */
	const char *canonical;/* when valid, the form to compare texts by.
			       * Types: alias-normalised, e.g. "int4",
			       * "varchar(255)", "numeric(15,2)", "timestamp".
			       * Expressions: an opaque rendering of the parse
			       * tree without locations and with casts of
			       * constants dropped, so 'a' and 'a'::text, or
			       * -1 and '-1'::integer, are equal */
};

/* Returns 0 and fills *res, or REG_ENOMEM. */
int sqlcheck_type(const char *type_text, struct sqlcheck_result *res);
int sqlcheck_expr(const char *expr_text, struct sqlcheck_result *res);

/* The base of a canonical type without modifiers: "varchar(255)" -> "varchar",
 * "numeric(15,2)[]" -> "numeric[]" (array brackets are kept: an array is a
 * different type). Writes into buf (size n, truncating); returns buf. */
const char *sqlcheck_type_base(const char *canonical, char *buf, size_t n);

/* How many times the parser has run in this process (for tests and
 * benchmarks that check the cache); never reset. */
unsigned long sqlcheck_parse_count(void);

void sqlcheck_cleanup(void);

#endif
