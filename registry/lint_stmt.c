#include "lint_int.h"
#include "pgq.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- shared by the rules ---- */

void lint_need_timeouts(struct lint_ctx *c, size_t off)
{
	/* once per script: the first statement that needs them says so */
	if (!c->lock_timeout && !c->lock_reported) {
		c->lock_reported = true;
		lint_emit(c, LINT_LOCK_TIMEOUT, off,
			  "start the script with SET lock_timeout = '2s' and retry on timeout",
			  "this statement waits for its lock with no lock_timeout set, and every "
			  "query on the table queues behind it");
	}
	if (!c->statement_timeout && !c->statement_reported) {
		c->statement_reported = true;
		lint_emit(c, LINT_STATEMENT_TIMEOUT, off,
			  "start the script with SET statement_timeout = '...' sized for the change",
			  "this statement may run long holding its lock with no statement_timeout set");
	}
}

static bool ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '$' || (unsigned char)ch >= 0x80;
}

/* The parser truncates names to 63 bytes, so a 63-byte name in the tree may
 * be longer in the text: find it there and measure. */
void lint_ident(struct lint_ctx *c, const char *name)
{
	if (!name || strlen(name) != LINT_MAX_IDENT)
		return;
	const char *t = c->text + c->base;
	size_t len = c->stmt_len;
	for (size_t i = 0; i + LINT_MAX_IDENT <= len; i++) {
		if ((i > 0 && ident_char(t[i - 1]) && t[i - 1] != '"') ||
		    strncasecmp(t + i, name, LINT_MAX_IDENT))
			continue;
		size_t n = LINT_MAX_IDENT;
		if (i > 0 && t[i - 1] == '"')
			while (i + n < len && t[i + n] != '"')
				n++;
		else
			while (i + n < len && ident_char(t[i + n]))
				n++;
		if (n > LINT_MAX_IDENT) {
			lint_emit(c, LINT_IDENTIFIER_TOO_LONG, c->base + i,
				  "use a name of at most 63 bytes",
				  "name '%.*s' is %zu bytes; PostgreSQL truncates it to '%s'",
				  (int)n, t + i, n, name);
			return;
		}
	}
}

void lint_robust(struct lint_ctx *c, bool guarded, const char *what, const char *guard)
{
	if (guarded || lint_in_tx(c))
		return;
	lint_emit(c, LINT_ROBUST_STMTS, c->base, guard,
		  "%s fails when the script is run again after failing part way, as nothing "
		  "rolls it back outside a transaction", what);
}

/* The last name of a {"List": {"items": [String...]}} (a qualified name). */
static const char *last_name(json_object *list)
{
	json_object *items = pgq_get(pgq_get(list, "List"), "items");
	size_t n = pgq_arr_len(items);
	return n ? pgq_string_node(pgq_arr_at(items, n - 1)) : NULL;
}

static bool has_defelem(json_object *list, const char *name)
{
	for (size_t i = 0; i < pgq_arr_len(list); i++) {
		const char *d = pgq_get_str(pgq_node_as(pgq_arr_at(list, i), "DefElem"), "defname");
		if (d && !strcmp(d, name))
			return true;
	}
	return false;
}

static void outside_tx_only(struct lint_ctx *c, const char *what)
{
	if (lint_in_tx(c))
		lint_emit(c, LINT_NON_TRANSACTIONAL, c->base,
			  "run it on its own, outside the migration's transaction",
			  "%s cannot run inside a transaction block", what);
}

/* ---- transactions and settings ---- */

static void on_transaction(struct lint_ctx *c, json_object *st)
{
	const char *kind = pgq_get_str(st, "kind");
	if (!kind)
		return;
	bool begin = !strcmp(kind, "TRANS_STMT_BEGIN") || !strcmp(kind, "TRANS_STMT_START");
	bool end = !strcmp(kind, "TRANS_STMT_COMMIT") || !strcmp(kind, "TRANS_STMT_ROLLBACK") ||
		   !strcmp(kind, "TRANS_STMT_PREPARE");
	if (!begin && !end)
		return;
	if (c->opt.in_transaction) {
		lint_emit(c, LINT_TRANSACTION_NESTING, c->base,
			  "remove it: the script already runs in one transaction",
			  begin ? "BEGIN in a script that runs inside a transaction"
				: "COMMIT or ROLLBACK in a script that runs inside a transaction "
				  "ends it early; what follows runs outside it");
	} else if (begin && c->tx_depth > 0) {
		lint_emit(c, LINT_TRANSACTION_NESTING, c->base, "remove the inner BEGIN",
			  "BEGIN inside an open transaction: PostgreSQL ignores it, and the first "
			  "COMMIT ends both");
	} else if (begin) {
		c->tx_depth = 1;
		c->tx_begin = c->base;
		c->tx_stmt = c->stmt;
	} else if (c->tx_depth > 0) {
		c->tx_depth = 0;
		strlist_release(&c->not_valid);
	}
}

/* SET x = v counts when v is not 0 (0 turns the timeout off). */
static bool sets_nonzero(json_object *st)
{
	const char *kind = pgq_get_str(st, "kind");
	if (!kind || strcmp(kind, "VAR_SET_VALUE"))
		return false;
	json_object *k = pgq_node_as(pgq_arr_at(pgq_get(st, "args"), 0), "A_Const");
	const char *s = pgq_get_str(pgq_get(k, "sval"), "sval");
	if (s)
		return strtod(s, NULL) != 0;
	json_object *iv = pgq_get(k, "ival");
	return iv && pgq_get(iv, "ival"); /* ival 0 is written as {} */
}

static void on_set(struct lint_ctx *c, json_object *st)
{
	const char *name = pgq_get_str(st, "name");
	const char *kind = pgq_get_str(st, "kind");
	bool all = kind && !strcmp(kind, "VAR_RESET_ALL");
	bool on = sets_nonzero(st);
	if (all || (name && !strcmp(name, "lock_timeout")))
		c->lock_timeout = on;
	if (all || (name && !strcmp(name, "statement_timeout")))
		c->statement_timeout = on;
}

/* ---- indexes ---- */

static void on_index(struct lint_ctx *c, json_object *st)
{
	char buf[300];
	const char *table = lint_relname(pgq_get(st, "relation"), buf, sizeof(buf));
	const char *name = pgq_get_str(st, "idxname");
	const char *method = pgq_get_str(st, "accessMethod");
	bool unique = pgq_get_bool(st, "unique");
	lint_ident(c, name);
	if (pgq_get_bool(st, "concurrent")) {
		if (lint_in_tx(c))
			lint_emit(c, LINT_CONCURRENTLY_IN_TX, c->base,
				  "run it on its own, outside any transaction",
				  "CREATE INDEX CONCURRENTLY cannot run inside a transaction block");
		if (lint_existing(c, table))
			lint_need_timeouts(c, c->base); /* it waits for a lock too */
		lint_robust(c, pgq_get_bool(st, "if_not_exists"), "CREATE INDEX CONCURRENTLY",
		       "use IF NOT EXISTS (and drop an INVALID index a failed build left)");
	} else {
		if (lint_existing(c, table)) {
			lint_emit(c, LINT_INDEX_CONCURRENTLY, c->base,
				  "use CREATE INDEX CONCURRENTLY, outside a transaction",
				  "CREATE %sINDEX '%s' on existing table '%s' without CONCURRENTLY "
				  "blocks writes to it while the index builds", unique ? "UNIQUE " : "",
				  name ? name : "(unnamed)", table);
			lint_need_timeouts(c, c->base);
		}
		lint_robust(c, pgq_get_bool(st, "if_not_exists"), "CREATE INDEX",
		       "use IF NOT EXISTS");
	}
	bool plain = (!method || !strcmp(method, "btree")) && !pgq_get(st, "whereClause");
	char *cols = plain ? lint_keys_join(c, pgq_get(st, "indexParams")) : NULL;
	if (table)
		lint_keys_index(c, table, cols, name ? name : "", unique, c->base);
	else
		free(cols);
}

/* ---- drops, renames, truncate ---- */

static void on_drop_index(struct lint_ctx *c, json_object *st, const char *name)
{
	if (pgq_get_bool(st, "concurrent")) {
		if (lint_in_tx(c))
			lint_emit(c, LINT_CONCURRENTLY_IN_TX, c->base,
				  "run it on its own, outside any transaction",
				  "DROP INDEX CONCURRENTLY cannot run inside a transaction block");
		lint_need_timeouts(c, c->base);
		return;
	}
	if (lint_keys_drop(c, name))
		return; /* built by this script: nobody uses it yet */
	lint_emit(c, LINT_DROP_INDEX_CONCURRENTLY, c->base,
		  "use DROP INDEX CONCURRENTLY, outside a transaction",
		  "DROP INDEX '%s' takes ACCESS EXCLUSIVE on its table: reads and writes wait",
		  name);
	lint_need_timeouts(c, c->base);
}

static void on_drop(struct lint_ctx *c, json_object *st)
{
	const char *type = pgq_get_str(st, "removeType");
	json_object *objs = pgq_get(st, "objects");
	if (!type)
		return;
	bool index = !strcmp(type, "OBJECT_INDEX"), table = !strcmp(type, "OBJECT_TABLE");
	for (size_t i = 0; i < pgq_arr_len(objs) && !c->err; i++) {
		const char *name = last_name(pgq_arr_at(objs, i));
		if (!name)
			continue;
		if (index) {
			on_drop_index(c, st, name);
		} else if (table && lint_existing(c, name)) {
			lint_emit(c, LINT_DROP_TABLE, c->base,
				  "stop every reader and writer first, keep a backup, and drop it in a "
				  "later release", "DROP TABLE '%s' deletes the table and all its rows",
				  name);
			lint_need_timeouts(c, c->base);
		}
	}
	lint_robust(c, pgq_get_bool(st, "missing_ok"), "DROP", "use IF EXISTS");
}

static void on_rename(struct lint_ctx *c, json_object *st)
{
	const char *type = pgq_get_str(st, "renameType");
	char buf[300];
	const char *table = lint_relname(pgq_get(st, "relation"), buf, sizeof(buf));
	const char *newname = pgq_get_str(st, "newname");
	lint_ident(c, newname);
	if (!type || !lint_existing(c, table))
		return;
	lint_robust(c, pgq_get_bool(st, "missing_ok"), "RENAME",
		    "guard it: ALTER TABLE IF EXISTS, or check the catalog in a DO block");
	if (!strcmp(type, "OBJECT_COLUMN")) {
		lint_emit(c, LINT_RENAME_COLUMN, c->base,
			  "add the new column, write both, move readers, then drop the old one",
			  "renaming column '%s.%s' to '%s' breaks every query that uses the old name",
			  table, pgq_get_str(st, "subname") ? pgq_get_str(st, "subname") : "?",
			  newname ? newname : "?");
		lint_need_timeouts(c, c->base);
	} else if (!strcmp(type, "OBJECT_TABLE")) {
		lint_emit(c, LINT_RENAME_TABLE, c->base,
			  "rename it and leave a view with the old name until every reader moved",
			  "renaming table '%s' to '%s' breaks every query that uses the old name",
			  table, newname ? newname : "?");
		lint_need_timeouts(c, c->base);
		if (newname && strmap_put_s(&c->renamed, newname, (void *)1, NULL))
			lint_oom(c);
	}
}

static void on_truncate(struct lint_ctx *c, json_object *st)
{
	const char *b = pgq_get_str(st, "behavior");
	if (b && !strcmp(b, "DROP_CASCADE"))
		lint_emit(c, LINT_TRUNCATE_CASCADE, c->base,
			  "name every table to truncate and leave out CASCADE",
			  "TRUNCATE ... CASCADE also empties every table with a foreign key to these, "
			  "and theirs");
	lint_need_timeouts(c, c->base);
}

/* ---- maintenance and whole-database statements ---- */

static void on_vacuum(struct lint_ctx *c, json_object *st)
{
	if (!pgq_get_bool(st, "is_vacuumcmd"))
		return; /* ANALYZE: fine anywhere */
	outside_tx_only(c, "VACUUM");
	lint_need_timeouts(c, c->base); /* it waits behind DDL on the table, and DDL behind it */
	if (has_defelem(pgq_get(st, "options"), "full")) {
		lint_emit(c, LINT_REWRITE_TABLE, c->base,
			  "use pg_repack or pg_squeeze, which rewrite without the long lock",
			  "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE: reads and writes wait");
		lint_need_timeouts(c, c->base);
	}
}

static void on_cluster(struct lint_ctx *c, json_object *st)
{
	if (!pgq_get(st, "relation"))
		outside_tx_only(c, "CLUSTER without a table");
	lint_emit(c, LINT_REWRITE_TABLE, c->base,
		  "use pg_repack, which reorders without the long lock",
		  "CLUSTER rewrites the table under ACCESS EXCLUSIVE: reads and writes wait");
	lint_need_timeouts(c, c->base);
}

static void on_reindex(struct lint_ctx *c, json_object *st)
{
	const char *kind = pgq_get_str(st, "kind");
	if (kind && (!strcmp(kind, "REINDEX_OBJECT_DATABASE") ||
		     !strcmp(kind, "REINDEX_OBJECT_SYSTEM") || !strcmp(kind, "REINDEX_OBJECT_SCHEMA")))
		outside_tx_only(c, "REINDEX SCHEMA, DATABASE or SYSTEM");
	if (has_defelem(pgq_get(st, "params"), "concurrently")) {
		if (lint_in_tx(c))
			lint_emit(c, LINT_CONCURRENTLY_IN_TX, c->base,
				  "run it on its own, outside any transaction",
				  "REINDEX CONCURRENTLY cannot run inside a transaction block");
		return;
	}
	lint_emit(c, LINT_REINDEX_CONCURRENTLY, c->base,
		  c->opt.pg_version >= 120000
			  ? "use REINDEX ... CONCURRENTLY, outside a transaction"
			  : "build a new index CONCURRENTLY, then drop the old one (PostgreSQL 12 "
			    "has REINDEX CONCURRENTLY)",
		  "REINDEX blocks writes to the table, and reads that would use the index");
	lint_need_timeouts(c, c->base);
}

static void on_enum(struct lint_ctx *c, json_object *st)
{
	if (!pgq_get_str(st, "newVal") || pgq_get_str(st, "oldVal"))
		return; /* RENAME VALUE */
	if (c->opt.pg_version < 120000)
		outside_tx_only(c, "before PostgreSQL 12, ALTER TYPE ... ADD VALUE");
	lint_need_timeouts(c, c->base);
	if (!pgq_get_str(st, "newValNeighbor"))
		lint_emit(c, LINT_ENUM_VALUE_ORDER, c->base,
			  "say where it goes: ADD VALUE 'x' BEFORE 'y' (or AFTER)",
			  "ADD VALUE '%s' without BEFORE or AFTER puts it after every existing value, "
			  "and enum values sort in that order", pgq_get_str(st, "newVal"));
}

static void on_create_domain(struct lint_ctx *c, json_object *st)
{
	json_object *cons = pgq_get(st, "constraints");
	for (size_t i = 0; i < pgq_arr_len(cons); i++) {
		const char *t = pgq_get_str(pgq_node_as(pgq_arr_at(cons, i), "Constraint"), "contype");
		if (t && (!strcmp(t, "CONSTR_CHECK") || !strcmp(t, "CONSTR_NOTNULL"))) {
			lint_emit(c, LINT_DOMAIN_CONSTRAINT, c->base,
				  "put the CHECK on the tables' columns, where NOT VALID works",
				  "a domain with a constraint: changing the constraint later scans every "
				  "column of the domain under a lock");
			return;
		}
	}
}

static void on_alter_domain(struct lint_ctx *c, json_object *st)
{
	const char *sub = pgq_get_str(st, "subtype");
	json_object *con = pgq_node_as(pgq_get(st, "def"), "Constraint");
	if (!sub || strcmp(sub, "C") || pgq_get_bool(con, "skip_validation"))
		return;
	lint_emit(c, LINT_ALTER_DOMAIN_CONSTRAINT, c->base,
		  "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
		  "ALTER DOMAIN ADD CONSTRAINT checks every column of the domain under a lock");
	lint_need_timeouts(c, c->base);
}

static void on_update(struct lint_ctx *c, json_object *st)
{
	json_object *targets = pgq_get(st, "targetList");
	size_t n = pgq_arr_len(targets);
	for (size_t i = 0; i < n; i++) {
		json_object *a = pgq_node_as(pgq_arr_at(targets, i), "ResTarget");
		const char *name = pgq_get_str(a, "name");
		if (!name || pgq_get(a, "indirection"))
			continue;
		for (size_t j = i + 1; j < n; j++) {
			json_object *b = pgq_node_as(pgq_arr_at(targets, j), "ResTarget");
			const char *other = pgq_get_str(b, "name");
			if (other && !pgq_get(b, "indirection") && !strcmp(name, other)) {
				lint_emit(c, LINT_DUPLICATE_ASSIGNMENT, lint_at(c, b),
					  "assign it once", "UPDATE assigns column '%s' twice", name);
				return;
			}
		}
	}
}

static void on_dropdb(struct lint_ctx *c, json_object *st)
{
	const char *db = pgq_get_str(st, "dbname");
	lint_emit(c, LINT_DROP_DATABASE, c->base, "drop databases by hand, never in a migration",
		  "DROP DATABASE '%s' deletes the whole database", db ? db : "?");
	outside_tx_only(c, "DROP DATABASE");
}

static void on_createdb(struct lint_ctx *c, json_object *st)
{
	(void)st;
	outside_tx_only(c, "CREATE DATABASE");
}

static void on_alter_system(struct lint_ctx *c, json_object *st)
{
	(void)st;
	outside_tx_only(c, "ALTER SYSTEM");
}

static void on_tablespace(struct lint_ctx *c, json_object *st)
{
	(void)st;
	outside_tx_only(c, "CREATE or DROP TABLESPACE");
}

static const struct {
	const char *type;
	void (*run)(struct lint_ctx *c, json_object *st);
} handlers[] = {
	{ "AlterTableStmt", lint_alter_table },
	{ "CreateStmt", lint_create_table },
	{ "IndexStmt", on_index },
	{ "DropStmt", on_drop },
	{ "RenameStmt", on_rename },
	{ "TruncateStmt", on_truncate },
	{ "TransactionStmt", on_transaction },
	{ "VariableSetStmt", on_set },
	{ "VacuumStmt", on_vacuum },
	{ "ClusterStmt", on_cluster },
	{ "ReindexStmt", on_reindex },
	{ "AlterEnumStmt", on_enum },
	{ "CreateDomainStmt", on_create_domain },
	{ "AlterDomainStmt", on_alter_domain },
	{ "UpdateStmt", on_update },
	{ "DropdbStmt", on_dropdb },
	{ "CreatedbStmt", on_createdb },
	{ "AlterSystemStmt", on_alter_system },
	{ "CreateTableSpaceStmt", on_tablespace },
	{ "DropTableSpaceStmt", on_tablespace },
};

void lint_stmt(struct lint_ctx *c, const char *type, json_object *body)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (!strcmp(type, handlers[i].type)) {
			handlers[i].run(c, body);
			return;
		}
}
