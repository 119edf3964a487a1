/*
 * lint: migration hazards in one SQL script, the same rules for a
 * hand-written pending script and for a step of a generated plan.
 *
 * Pure and offline: no database is needed. The script is split into
 * statements (lint_split, one call), each statement is parsed by
 * PostgreSQL's own parser (libpg_query, through pgq.h) and its tree is
 * checked against the rule table below; state that spans statements (the
 * tables the script creates, open transactions, SET lock_timeout, the
 * indexes and foreign keys declared) is kept for the whole script.
 *
 * Every rule has a stable id (lint_rules[i].id, also the name used by
 * --disable, registry.yaml and inline comments), a default severity and a
 * one-line summary; docs/lint.md has an entry per rule (what, why, the
 * safe way) and the test suite checks that it does. Messages name the
 * rule and end with the safe way:
 *   "adding column 'users.token' with a volatile default ... (rule
 *    volatile-default); add the column without a default, then ..."
 *
 * Silencing, in the script itself (a -- comment):
 *   -- schemafs-ignore RULE[, RULE]     on the line before a statement, at
 *                                        the end of its last line, or inside
 *                                        it: those rules, that statement
 *   -- schemafs-ignore-file RULE[, RULE] anywhere: the whole script
 * A directive that silences nothing, or names an unknown rule, is itself
 * reported (rule unused-ignore).
 *
 * Places: 1-based line:col (characters) of the clause that causes the
 * finding when the parse tree has it (a column, a constraint), else of the
 * statement's first character; text_lines (text.h) converts.
 */
#ifndef SCHEMAFS_LINT_H
#define SCHEMAFS_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "sbuf.h"

/* The rules, in the order of lint_rules[] (and of docs/lint.md). */
enum lint_rule_id {
	/* the script must parse, and parse as PostgreSQL */
	LINT_SYNTAX_ERROR,
	LINT_MYSQL_SYNTAX,
	/* statements that cannot run where they are */
	LINT_CONCURRENTLY_IN_TX,
	LINT_NON_TRANSACTIONAL,
	LINT_TRANSACTION_NESTING,
	LINT_UNCOMMITTED_TX,
	/* locks: what blocks reads or writes while it runs */
	LINT_INDEX_CONCURRENTLY,
	LINT_DROP_INDEX_CONCURRENTLY,
	LINT_REINDEX_CONCURRENTLY,
	LINT_DETACH_CONCURRENTLY,
	LINT_FOREIGN_KEY,
	LINT_CONSTRAINT_NOT_VALID,
	LINT_VALIDATE_SAME_TX,
	LINT_UNIQUE_CONSTRAINT,
	LINT_PRIMARY_KEY,
	LINT_SET_NOT_NULL,
	LINT_COLUMN_TYPE,
	LINT_VOLATILE_DEFAULT,
	LINT_DEFAULT_BEFORE_11,
	LINT_REQUIRED_FIELD,
	LINT_REWRITE_TABLE,
	LINT_DOMAIN_CONSTRAINT,
	LINT_ALTER_DOMAIN_CONSTRAINT,
	/* breaking: readers and writers of the old shape fail */
	LINT_DROP_COLUMN,
	LINT_DROP_TABLE,
	LINT_DROP_DATABASE,
	LINT_RENAME_COLUMN,
	LINT_RENAME_TABLE,
	LINT_DROP_NOT_NULL,
	LINT_TRUNCATE_CASCADE,
	/* type choices */
	LINT_CHAR_FIELD,
	LINT_TIMESTAMPTZ,
	LINT_BIGINT_OVER_INT,
	LINT_BIGINT_OVER_SMALLINT,
	LINT_IDENTITY,
	LINT_TEXT_FIELD,
	/* robustness */
	LINT_LOCK_TIMEOUT,
	LINT_STATEMENT_TIMEOUT,
	LINT_ROBUST_STMTS,
	LINT_IDENTIFIER_TOO_LONG,
	LINT_ENUM_VALUE_ORDER,
	LINT_DUPLICATE_ASSIGNMENT,
	LINT_DUPLICATE_INDEX,
	LINT_FK_WITHOUT_INDEX,
	LINT_UNUSED_IGNORE,
	LINT_NRULES
};

struct lint_rule {
	const char *id;                /* "volatile-default" */
	enum diag_severity severity;   /* by default: DIAG_ERROR or DIAG_WARNING */
	const char *summary;           /* one line, lower case */
	bool hand_only;                /* applies to hand-written SQL only */
};

/* Indexed by enum lint_rule_id. */
extern const struct lint_rule lint_rules[LINT_NRULES];

/* The rule named id, or -1. */
int lint_rule_find(const char *id);
/* The rule id nearest to a misspelt id (reg_nearest), or NULL. */
const char *lint_rule_nearest(const char *id);

/* What a rule becomes for one run. */
enum lint_level {
	LINT_LEVEL_DEFAULT = 0,  /* the rule's own severity */
	LINT_LEVEL_OFF,
	LINT_LEVEL_WARNING,
	LINT_LEVEL_ERROR,
};

#define LINT_PG_DEFAULT 150000

struct lint_options {
	/* server_version_num of the target: 110000, 150000; 0 means
	 * LINT_PG_DEFAULT. Decides what is cheap (a constant default since 11,
	 * ALTER TYPE ... ADD VALUE in a transaction since 12, REINDEX
	 * CONCURRENTLY since 12, DETACH CONCURRENTLY since 14). */
	int pg_version;
	/* The whole script runs inside one transaction (the plan's
	 * transactional phase, psql -1). */
	bool in_transaction;
	/* Hand-written SQL: the rules marked hand_only (missing timeouts)
	 * apply; a generated plan sets its own timeouts. */
	bool hand_written;
	/* The caller places findings itself (a plan's steps, at their YAML):
	 * messages do not cite lines of the script. */
	bool no_script_lines;
	/* Per rule; LINT_LEVEL_DEFAULT everywhere when zeroed. */
	unsigned char level[LINT_NRULES];
	/* Does a table exist before the script runs? NULL: every table the
	 * script does not create itself is taken to exist (and to hold rows). */
	bool (*table_exists)(void *ctx, const char *table);
	void *ctx;
};

/* Defaults: PostgreSQL 15, not in a transaction, hand-written. */
void lint_options_init(struct lint_options *o);
/* Sets rule id to level. REG_EINVAL when no rule is named id. */
int lint_options_set(struct lint_options *o, const char *id, enum lint_level level);

/* One finding. */
struct lint_finding {
	enum lint_rule_id rule;
	enum diag_severity severity;   /* after the options' levels */
	size_t offset;                 /* byte offset in the script */
	struct reg_loc loc;            /* the place of offset */
	size_t stmt;                   /* 0-based statement it belongs to */
	char *message;                 /* owned; "... (rule ID); safe way" */
	size_t what_len;               /* bytes of message before " (rule ID)" */
};

/* Owns every finding. LINT_REPORT_INIT or zeroed. */
struct lint_report {
	struct lint_finding *items;    /* in script order */
	size_t n, alloc;
	size_t errors, warnings;
	size_t statements;             /* how many the script holds */
};
#define LINT_REPORT_INIT { NULL, 0, 0, 0, 0, 0 }

/*
 * Lints the len bytes of text (NUL bytes are a syntax error) with options
 * o (NULL: lint_options_init's). Findings are appended to out. Returns 0
 * whether or not anything was found, or REG_ENOMEM (out then holds what
 * was found so far).
 */
int lint_run(const char *text, size_t len, const struct lint_options *o,
	     struct lint_report *out);
void lint_report_release(struct lint_report *r);

/* The findings as diagnostics named file ("file:line:col: severity: msg").
 * 0 or REG_ENOMEM. */
int lint_report_diags(const struct lint_report *r, const char *file, struct diags *out);

/* One finding as a migration check says it: "what; safe way" (the rule's
 * id is lint's own output's, and JSON's), appended to out. Returns
 * sbuf_error(out). */
int lint_finding_render(const struct lint_finding *f, struct sbuf *out);

/* lint_run + lint_report_diags in one call. */
int lint_script(const char *text, size_t len, const char *file,
		const struct lint_options *o, struct diags *out);

/* The rule table as text: "id\tseverity\tsummary\n" per rule. */
int lint_render_rules(struct sbuf *out);

#endif
