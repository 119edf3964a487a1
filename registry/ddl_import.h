/*
 * ddl_import: PostgreSQL DDL (a schema dump, a migration script) -> one
 * schema per table, for users whose database already exists.
 *
 * The SQL is read by PostgreSQL's own parser (libpg_query): split into
 * statements at every ';' outside quotes and comments (sqllex.h), each
 * statement parsed on its own, so one statement the parser refuses (one
 * that starts with an unknown word too) is reported as an error and the
 * rest still import. psql meta-commands (a line starting with a
 * backslash) are skipped.
 *
 * What is used: CREATE TABLE (columns, NOT NULL, DEFAULT, PRIMARY KEY,
 * UNIQUE, REFERENCES, inline or as table constraints, composite keys;
 * INHERITS, PARTITION OF and LIKE copy the parent's columns), CREATE
 * SCHEMA ... CREATE TABLE/INDEX, ALTER TABLE [ONLY] (ADD CONSTRAINT
 * PRIMARY KEY/UNIQUE/FOREIGN KEY, ADD/DROP COLUMN, ALTER COLUMN SET/DROP
 * DEFAULT, SET/DROP NOT NULL, TYPE), CREATE [UNIQUE] INDEX on plain
 * columns, COMMENT ON TABLE/COLUMN (descriptions), SET search_path (and
 * pg_dump's set_config form) to place unqualified names. Everything else
 * is counted in ddl_import.ignored, never an error.
 *
 * Types and defaults are the source text as written (blanks in a type
 * folded to one space), so they read as the user wrote them and pass
 * sqlcheck. Names: docs/import-sql.md. Every schema returned passes
 * reg_validate_schema; a table that would not is left out with a
 * diagnostic saying why, and foreign keys to it are dropped with a
 * warning.
 *
 * Diagnostics carry file:line:col into the SQL text (1-based, columns in
 * characters): DIAG_ERROR for a statement or table not imported,
 * DIAG_WARNING for a part of a table dropped (a foreign key, a default),
 * DIAG_NOTE for what could not be represented (an expression index, a
 * partition imported as a plain table).
 */
#ifndef SCHEMAFS_DDL_IMPORT_H
#define SCHEMAFS_DDL_IMPORT_H

#include <stddef.h>

#include "model.h"

struct ddl_import_opts {
	/* Import only the tables of this SQL schema, under their bare names;
	 * NULL imports every schema (public tables bare, others as
	 * "<schema>_<table>"). Compared with the parser's (folded) names. */
	const char *only_schema;
	/* Every table's owner; NULL: the table's SQL schema name, or
	 * "unknown-service" for public. */
	const char *owner;
};

/* One kind of statement or clause that was not used, and how often. */
struct ddl_ignored {
	char *what; /* "CREATE VIEW", "CHECK constraint", ...; owned */
	size_t count;
};

struct ddl_import {
	struct reg_schema **schemas; /* sorted by name; owned */
	size_t n;
	size_t nrefs;                /* foreign keys over all schemas */
	size_t nindexes;             /* indexes over all schemas */
	size_t statements;           /* statements read */
	struct ddl_ignored *ignored; /* in order of first appearance; owned */
	size_t nignored;
};

/*
 * Imports sql (len bytes, need not be NUL-terminated); file is the name
 * diagnostics use; opts may be NULL. Fills *out (release it with
 * ddl_import_release, also after an error). Returns 0 when the text could
 * be read, even if diagnostics (errors included) were added; REG_EINVAL
 * when it cannot be read at all (a NUL byte), with a diagnostic;
 * REG_ENOMEM. The files are ddl_int.h's.
 */
int ddl_import_sql(const char *sql, size_t len, const char *file,
		   const struct ddl_import_opts *opts, struct ddl_import *out, struct diags *diags);
void ddl_import_release(struct ddl_import *imp);

#endif
