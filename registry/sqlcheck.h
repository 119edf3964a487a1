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
 * type or default text is parsed once while it is in use, whoever asks
 * (the validator for declared texts, the planner for live ones too). This
 * is the one cache of parser verdicts and canonical forms. It is internal,
 * guarded by a mutex, and bounded (SQLCHECK_CACHE_BYTES, counting texts
 * and verdicts, and SQLCHECK_CACHE_ENTRIES): texts not asked about for a
 * while are dropped, and a text over 8 KiB is refused without being kept.
 */
#ifndef SCHEMAFS_SQLCHECK_H
#define SCHEMAFS_SQLCHECK_H

#include <stddef.h>

#define SQLCHECK_CACHE_BYTES (8u << 20)
#define SQLCHECK_CACHE_ENTRIES 50000u
/* A result stays valid across at least this many other texts: an entry
 * costs at most about 25 KiB (a text is at most 8 KiB and a canonical form
 * at most 16 KiB), so a generation holds at least 160. */
#define SQLCHECK_STABLE_TEXTS 100u

/*
 * What PostgreSQL's catalog (pg_catalog.h) says of a valid type's name, or
 * of the functions a valid default calls; sqlcheck only reports it, the
 * validator decides what it is worth (docs/validation.md, "Names PostgreSQL
 * knows"): it alone knows what the registry declares.
 */
enum sqlcheck_name {
	SQLCHECK_KNOWN = 0,  /* built in, or qualified by a schema other than
			      * pg_catalog (not judged: an extension's, a
			      * type or function of the target) */
	SQLCHECK_EXTENSION,  /* unqualified, and defined by an extension */
	SQLCHECK_PSEUDO,     /* types: a pseudo-type (void, record, trigger...) */
	SQLCHECK_UNKNOWN,    /* unqualified or pg_catalog., and not built in */
};

struct sqlcheck_names {
	enum sqlcheck_name verdict;
	/* When not KNOWN: the type's or (first such) function's name as
	 * written ("BOOLEN"), and its 0-based offset into the text. For a
	 * default, an UNKNOWN call is reported before an EXTENSION one. */
	const char *name;
	int offset;
	const char *extension; /* EXTENSION: "citext", "uuid-ossp" (static) */
	/* Types, UNKNOWN: the nearest built-in spelling ("boolean"), or NULL
	 * (static); whether that is one typo away (pg_catalog_one_typo), and
	 * whether the type has modifiers, which no enum or domain accepts.
	 * Functions get their suggestion from the caller's budget
	 * (pg_catalog_suggest_function). */
	const char *near;
	int typo;
	int typmods;
};

/* Result of checking one text. Strings are owned by the cache: valid until
 * sqlcheck_cleanup(), and while fewer than SQLCHECK_STABLE_TEXTS other
 * distinct texts have been checked since (the cache drops what was not
 * asked about for that long). Use them at once, or copy them. */
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
	struct sqlcheck_names names; /* when valid; name owned like message */
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
/* What the cache holds now: entries, and their estimated bytes (texts,
 * verdicts and bookkeeping); never over the limits above. */
void sqlcheck_cache_size(size_t *entries, size_t *bytes);

void sqlcheck_cleanup(void);

#endif
