#include "lint_int.h"
#include "pgq.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lint_relname(json_object *rangevar, char *buf, size_t size)
{
	const char *rel = pgq_get_str(rangevar, "relname");
	const char *schema = pgq_get_str(rangevar, "schemaname");
	if (!rel)
		return NULL;
	if (!schema)
		return rel;
	snprintf(buf, size, "%s.%s", schema, rel);
	return buf;
}

/* ---- types ---- */

static const char *type_name(json_object *type_node)
{
	json_object *names = pgq_get(type_node, "names");
	size_t n = pgq_arr_len(names);
	return n ? pgq_string_node(pgq_arr_at(names, n - 1)) : NULL;
}

static bool is_serial(const char *t)
{
	return t && (!strcmp(t, "serial") || !strcmp(t, "serial4") || !strcmp(t, "bigserial") ||
		     !strcmp(t, "serial8") || !strcmp(t, "smallserial") || !strcmp(t, "serial2"));
}

/* The type rules, for a column of a new table, a new column, a new type. */
static void check_type(struct lint_ctx *c, json_object *tn, const char *table, const char *col)
{
	const char *t = type_name(tn);
	size_t at = lint_at(c, tn);
	if (!t)
		return;
	if (!strcmp(t, "bpchar"))
		lint_emit(c, LINT_CHAR_FIELD, at, "use text, with a CHECK on its length if one matters",
			  "column '%s.%s' is char(n): values are padded with blanks, which compare "
			  "and concatenate in surprising ways", table, col);
	else if (!strcmp(t, "timestamp"))
		lint_emit(c, LINT_TIMESTAMPTZ, at, "use timestamptz",
			  "column '%s.%s' is timestamp without time zone: the offset is lost and "
			  "values shift when the server's or a client's time zone changes", table, col);
	else if (!strcmp(t, "varchar") && pgq_arr_len(pgq_get(tn, "typmods")))
		lint_emit(c, LINT_TEXT_FIELD, at, "use text with a CHECK (length(col) <= n)",
			  "column '%s.%s' is varchar(n): changing n later rewrites or locks the table, "
			  "where a CHECK can be replaced NOT VALID", table, col);
	if (!strcmp(t, "int4") || !strcmp(t, "int") || !strcmp(t, "integer") ||
	    !strcmp(t, "serial") || !strcmp(t, "serial4"))
		lint_emit(c, LINT_BIGINT_OVER_INT, at, "use bigint (bigint identity for keys)",
			  "column '%s.%s' is integer, which runs out at 2147483647; widening it later "
			  "rewrites the table", table, col);
	else if (!strcmp(t, "int2") || !strcmp(t, "smallint") || !strcmp(t, "smallserial") ||
		 !strcmp(t, "serial2"))
		lint_emit(c, LINT_BIGINT_OVER_SMALLINT, at, "use bigint",
			  "column '%s.%s' is smallint, which runs out at 32767; widening it later "
			  "rewrites the table", table, col);
	if (is_serial(t))
		lint_emit(c, LINT_IDENTITY, at, "use bigint GENERATED ALWAYS AS IDENTITY",
			  "column '%s.%s' is %s: its sequence has separate ownership and permissions, "
			  "and explicit values bypass it", table, col, t);
}

/* ---- defaults ---- */

/* Functions PostgreSQL marks VOLATILE: a default calling one is computed per
 * row, so a new column with it rewrites the table. now(), CURRENT_TIMESTAMP
 * and the like are STABLE: evaluated once, stored in the catalog (11+). */
static const char *const volatile_funcs[] = {
	"random", "random_normal", "setseed", "gen_random_uuid", "gen_random_bytes",
	"uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "uuidv4", "uuidv7",
	"clock_timestamp", "timeofday", "nextval", "currval", "lastval", "setval",
	"txid_current", "txid_current_if_assigned", "pg_current_xact_id",
	"pg_current_xact_id_if_assigned", "gen_salt", "crypt", NULL,
};

/* The first volatile function called anywhere in expr, or NULL. */
static const char *volatile_call(json_object *expr, int depth)
{
	if (!expr || depth > PGQ_JSON_MAX_DEPTH)
		return NULL;
	if (json_object_is_type(expr, json_type_array)) {
		for (size_t i = 0; i < pgq_arr_len(expr); i++) {
			const char *f = volatile_call(pgq_arr_at(expr, i), depth + 1);
			if (f)
				return f;
		}
		return NULL;
	}
	if (!json_object_is_type(expr, json_type_object))
		return NULL;
	json_object_object_foreach(expr, key, val) {
		if (!strcmp(key, "FuncCall")) {
			json_object *names = pgq_get(val, "funcname");
			size_t n = pgq_arr_len(names);
			const char *f = n ? pgq_string_node(pgq_arr_at(names, n - 1)) : NULL;
			for (size_t i = 0; f && volatile_funcs[i]; i++)
				if (!strcmp(f, volatile_funcs[i]))
					return volatile_funcs[i];
		}
		const char *f = volatile_call(val, depth + 1);
		if (f)
			return f;
	}
	return NULL;
}

static bool is_null_const(json_object *expr)
{
	return pgq_get_bool(pgq_node_as(expr, "A_Const"), "isnull");
}

/* ---- columns ---- */

struct coldef {
	const char *name, *type;
	json_object *def;         /* the DEFAULT expression */
	bool not_null, identity, stored, primary, unique, check;
	json_object *fk;          /* the REFERENCES constraint */
	size_t at;
};

static void read_coldef(struct lint_ctx *c, json_object *cd, struct coldef *d)
{
	*d = (struct coldef){ .name = pgq_get_str(cd, "colname"), .at = lint_at(c, cd) };
	d->type = type_name(pgq_get(cd, "typeName"));
	if (!d->name)
		d->name = "?";
	json_object *cons = pgq_get(cd, "constraints");
	for (size_t i = 0; i < pgq_arr_len(cons); i++) {
		json_object *con = pgq_node_as(pgq_arr_at(cons, i), "Constraint");
		const char *t = pgq_get_str(con, "contype");
		if (!t)
			continue;
		if (!strcmp(t, "CONSTR_DEFAULT") && !is_null_const(pgq_get(con, "raw_expr")))
			d->def = pgq_get(con, "raw_expr");
		else if (!strcmp(t, "CONSTR_NOTNULL"))
			d->not_null = true;
		else if (!strcmp(t, "CONSTR_IDENTITY"))
			d->identity = true;
		else if (!strcmp(t, "CONSTR_GENERATED"))
			d->stored = true;
		else if (!strcmp(t, "CONSTR_PRIMARY"))
			d->primary = d->not_null = true;
		else if (!strcmp(t, "CONSTR_UNIQUE"))
			d->unique = true;
		else if (!strcmp(t, "CONSTR_CHECK"))
			d->check = true;
		else if (!strcmp(t, "CONSTR_FOREIGN"))
			d->fk = con;
	}
}

/* What a new column on an existing table does to it. */
static void new_column_locks(struct lint_ctx *c, const char *table, const struct coldef *d)
{
	const char *vf = d->def ? volatile_call(d->def, 0) : NULL;
	if (vf || d->identity || d->stored || is_serial(d->type)) {
		const char *why = vf ? vf : d->identity ? "an identity" : d->stored
				  ? "a stored generated expression" : "a serial sequence";
		lint_emit(c, LINT_VOLATILE_DEFAULT, d->at,
			  "add the column without a default, then set the default and backfill in "
			  "batches", "adding column '%s.%s' with a volatile default (%s) rewrites '%s' "
			  "under ACCESS EXCLUSIVE", table, d->name, why, table);
	} else if (d->def && c->opt.pg_version < 110000) {
		lint_emit(c, LINT_DEFAULT_BEFORE_11, d->at,
			  "add the column without a default, then set the default and backfill in "
			  "batches", "before PostgreSQL 11, adding column '%s.%s' with a default rewrites "
			  "'%s' under ACCESS EXCLUSIVE", table, d->name, table);
	}
	if (d->not_null && !d->def && !d->identity && !d->stored && !is_serial(d->type))
		lint_emit(c, LINT_REQUIRED_FIELD, d->at,
			  "add it nullable (or with a default), backfill, then make it NOT NULL",
			  "NOT NULL column '%s.%s' added without a default fails if '%s' has rows",
			  table, d->name, table);
	if (d->primary)
		lint_emit(c, LINT_PRIMARY_KEY, d->at,
			  "add the column, build a unique index CONCURRENTLY, then ADD PRIMARY KEY "
			  "USING INDEX", "adding primary key column '%s.%s' builds its index under "
			  "ACCESS EXCLUSIVE on '%s'", table, d->name, table);
	if (d->unique)
		lint_emit(c, LINT_UNIQUE_CONSTRAINT, d->at,
			  "add the column, build a unique index CONCURRENTLY, then ADD UNIQUE USING "
			  "INDEX", "adding unique column '%s.%s' builds its index under ACCESS "
			  "EXCLUSIVE on '%s'", table, d->name, table);
	if (d->check)
		lint_emit(c, LINT_CONSTRAINT_NOT_VALID, d->at,
			  "add the column, then ADD CONSTRAINT ... CHECK ... NOT VALID and VALIDATE "
			  "it in a later transaction", "a CHECK on new column '%s.%s' scans '%s' under "
			  "ACCESS EXCLUSIVE", table, d->name, table);
	if (d->fk)
		lint_emit(c, LINT_FOREIGN_KEY, d->at,
			  "add the column, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID and "
			  "VALIDATE it in a later transaction", "a foreign key on new column '%s.%s' "
			  "locks '%s' and the table it references", table, d->name, table);
}

static void column(struct lint_ctx *c, json_object *cd, const char *table, bool added)
{
	struct coldef d;
	read_coldef(c, cd, &d);
	lint_ident(c, d.name);
	check_type(c, pgq_get(cd, "typeName"), table, d.name);
	if (added && lint_existing(c, table))
		new_column_locks(c, table, &d);
	if (d.primary || d.unique) {
		char *cols = strdup(d.name);
		if (!cols)
			lint_oom(c);
		lint_keys_index(c, table, cols, "", true, d.at);
	}
	if (d.fk) {
		char buf[300];
		const char *ref = lint_relname(pgq_get(d.fk, "pktable"), buf, sizeof(buf));
		char *cols = strdup(d.name);
		if (!cols)
			lint_oom(c);
		lint_keys_fk(c, table, cols, ref, lint_at(c, d.fk));
		if (lint_existing(c, ref))
			lint_need_timeouts(c, c->base); /* SHARE ROW EXCLUSIVE on the parent */
	}
}

/* ---- constraints ---- */

/* Lists and finds "table\tconstraint" pairs. */
static void pair_push(struct lint_ctx *c, struct strlist *l, const char *table, const char *name)
{
	struct sbuf key = SBUF_INIT;
	sbuf_addf(&key, "%s\t%s", table, name);
	if (sbuf_error(&key) || strlist_push(l, key.buf) < 0)
		lint_oom(c);
	sbuf_release(&key);
}

static bool pair_has(struct lint_ctx *c, const struct strlist *l, const char *table,
		     const char *name)
{
	struct sbuf key = SBUF_INIT;
	sbuf_addf(&key, "%s\t%s", table, name);
	bool has = !sbuf_error(&key) && strlist_find(l, key.buf) >= 0;
	if (sbuf_error(&key))
		lint_oom(c);
	sbuf_release(&key);
	return has;
}

static void remember_not_valid(struct lint_ctx *c, const char *table, const char *name)
{
	if (name && lint_in_tx(c))
		pair_push(c, &c->not_valid, table, name);
}

/* The column of a CHECK (col IS NOT NULL), or NULL when con is no such check. */
static const char *not_null_check_column(json_object *con)
{
	json_object *nt = pgq_node_as(pgq_get(con, "raw_expr"), "NullTest");
	const char *kind = pgq_get_str(nt, "nulltesttype");
	json_object *fields = pgq_get(pgq_node_as(pgq_get(nt, "arg"), "ColumnRef"), "fields");
	if (!kind || strcmp(kind, "IS_NOT_NULL") || pgq_arr_len(fields) != 1)
		return NULL;
	return pgq_string_node(pgq_arr_at(fields, 0));
}

/*
 * A valid CHECK (col IS NOT NULL) is what lets PostgreSQL 12+ SET NOT NULL
 * without scanning the table: remember which columns have one, from the
 * CHECK itself when added valid, or from its VALIDATE CONSTRAINT later.
 */
static void remember_not_null_check(struct lint_ctx *c, json_object *con, const char *table,
				    const char *name, bool not_valid)
{
	const char *col = not_null_check_column(con);
	if (!col)
		return;
	if (!not_valid)
		pair_push(c, &c->proven_nn, table, col);
	else if (name) {
		pair_push(c, &c->nn_checks, table, name);
		if (strlist_push(&c->nn_cols, col))
			lint_oom(c);
	}
}

static void validated(struct lint_ctx *c, const char *table, const char *name)
{
	struct sbuf key = SBUF_INIT;
	sbuf_addf(&key, "%s\t%s", table, name);
	long i = sbuf_error(&key) ? -1 : strlist_find(&c->nn_checks, key.buf);
	if (sbuf_error(&key))
		lint_oom(c);
	sbuf_release(&key);
	if (i >= 0 && (size_t)i < c->nn_cols.n)
		pair_push(c, &c->proven_nn, table, c->nn_cols.items[i]);
}

static void constraint(struct lint_ctx *c, json_object *con, const char *table, bool alter)
{
	const char *t = pgq_get_str(con, "contype");
	const char *name = pgq_get_str(con, "conname");
	bool existing = alter && lint_existing(c, table);
	bool not_valid = pgq_get_bool(con, "skip_validation");
	size_t at = lint_at(c, con);
	char buf[300];
	if (!t)
		return;
	lint_ident(c, name);
	if (!strcmp(t, "CONSTR_FOREIGN")) {
		const char *ref = lint_relname(pgq_get(con, "pktable"), buf, sizeof(buf));
		lint_keys_fk(c, table, lint_keys_join(c, pgq_get(con, "fk_attrs")), ref, at);
		if (lint_existing(c, ref))
			lint_need_timeouts(c, c->base); /* SHARE ROW EXCLUSIVE on the parent */
		if (not_valid)
			remember_not_valid(c, table, name);
		else if (existing)
			lint_emit(c, LINT_FOREIGN_KEY, at,
				  "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
				  "foreign key from '%s' to '%s' without NOT VALID checks every row while "
				  "both tables are locked", table, ref ? ref : "?");
	} else if (!strcmp(t, "CONSTR_CHECK")) {
		remember_not_null_check(c, con, table, name, not_valid);
		if (not_valid)
			remember_not_valid(c, table, name);
		else if (existing)
			lint_emit(c, LINT_CONSTRAINT_NOT_VALID, at,
				  "add it NOT VALID, then VALIDATE CONSTRAINT in a later transaction",
				  "CHECK constraint '%s' on '%s' without NOT VALID scans the table under "
				  "ACCESS EXCLUSIVE", name ? name : "(unnamed)", table);
	} else if (!strcmp(t, "CONSTR_PRIMARY") || !strcmp(t, "CONSTR_UNIQUE")) {
		bool pk = !strcmp(t, "CONSTR_PRIMARY");
		if (pgq_get_str(con, "indexname"))
			return; /* USING INDEX: the safe form */
		lint_keys_index(c, table, lint_keys_join(c, pgq_get(con, "keys")), name ? name : "",
				true, at);
		if (existing)
			lint_emit(c, pk ? LINT_PRIMARY_KEY : LINT_UNIQUE_CONSTRAINT, at,
				  pk ? "build a unique index CONCURRENTLY, then ADD PRIMARY KEY USING INDEX"
				     : "build a unique index CONCURRENTLY, then ADD UNIQUE USING INDEX",
				  "ADD %s on '%s' builds its index under ACCESS EXCLUSIVE: reads and "
				  "writes wait", pk ? "PRIMARY KEY" : "UNIQUE", table);
	}
}

/* ---- statements ---- */

void lint_create_table(struct lint_ctx *c, json_object *st)
{
	char buf[300];
	json_object *rel = pgq_get(st, "relation");
	const char *table = lint_relname(rel, buf, sizeof(buf));
	if (!table)
		return;
	lint_ident(c, pgq_get_str(rel, "relname"));
	lint_robust(c, pgq_get_bool(st, "if_not_exists"), "CREATE TABLE", "use CREATE TABLE IF NOT EXISTS");
	if (strmap_put_s(&c->created, table, (void *)1, NULL) < 0)
		lint_oom(c);
	json_object *elts = pgq_get(st, "tableElts");
	for (size_t i = 0; i < pgq_arr_len(elts) && !c->err; i++) {
		json_object *body = NULL;
		const char *type = pgq_node_type(pgq_arr_at(elts, i), &body);
		if (type && !strcmp(type, "ColumnDef"))
			column(c, body, table, false);
		else if (type && !strcmp(type, "Constraint"))
			constraint(c, body, table, false);
	}
}

/* Back over blanks and word in t before *pos; true (and *pos moved) when
 * the word is there. */
static bool word_before(const char *t, size_t lo, size_t *pos, const char *word)
{
	size_t i = *pos, n = strlen(word);
	while (i > lo && isspace((unsigned char)t[i - 1]))
		i--;
	if (i < lo + n || strncasecmp(t + i - n, word, n))
		return false;
	if (i > lo + n && (isalnum((unsigned char)t[i - n - 1]) || t[i - n - 1] == '_'))
		return false;
	*pos = i - n;
	return true;
}

/* PostgreSQL reads MySQL's "ADD INDEX idx (col)" as a new column named
 * index of type idx with a column reference as its type modifier, which no
 * real type has: that shape is the MySQL form. Reported at the ADD. */
static bool mysql_add_index(struct lint_ctx *c, json_object *cd)
{
	const char *name = pgq_get_str(cd, "colname");
	if (!name || (strcasecmp(name, "index") && strcasecmp(name, "key")))
		return false;
	json_object *mods = pgq_get(pgq_get(cd, "typeName"), "typmods");
	bool colref = false;
	for (size_t i = 0; i < pgq_arr_len(mods); i++)
		colref |= pgq_node_as(pgq_arr_at(mods, i), "ColumnRef") != NULL;
	if (!colref)
		return false;
	size_t at = lint_at(c, cd);
	word_before(c->text, c->base, &at, "COLUMN");
	if (!word_before(c->text, c->base, &at, "ADD"))
		at = lint_at(c, cd);
	lint_emit(c, LINT_MYSQL_SYNTAX, at, "use CREATE INDEX",
		  "MySQL syntax: ADD %s is not PostgreSQL", strcasecmp(name, "key") ? "INDEX" : "KEY");
	return true;
}

static void alter_cmd(struct lint_ctx *c, json_object *cmd, const char *table, bool existing)
{
	const char *sub = pgq_get_str(cmd, "subtype");
	const char *col = pgq_get_str(cmd, "name");
	json_object *def = pgq_get(cmd, "def");
	if (!sub)
		return;
	if (!col)
		col = "?";
	if (!strcmp(sub, "AT_AddColumn")) {
		json_object *cd = pgq_node_as(def, "ColumnDef");
		if (!cd || mysql_add_index(c, cd))
			return;
		lint_robust(c, pgq_get_bool(cmd, "missing_ok"), "ADD COLUMN", "use ADD COLUMN IF NOT EXISTS");
		column(c, cd, table, true);
	} else if (!strcmp(sub, "AT_AddConstraint")) {
		json_object *con = pgq_node_as(def, "Constraint");
		const char *name = pgq_get_str(con, "conname");
		lint_robust(c, name && pair_has(c, &c->dropped_if_exists, table, name),
			    "ADD CONSTRAINT", "drop it first with DROP CONSTRAINT IF EXISTS");
		constraint(c, con, table, true);
	} else if (!strcmp(sub, "AT_DropConstraint")) {
		if (pgq_get_bool(cmd, "missing_ok"))
			pair_push(c, &c->dropped_if_exists, table, col);
	} else if (!strcmp(sub, "AT_ValidateConstraint")) {
		validated(c, table, col);
		if (lint_in_tx(c) && pair_has(c, &c->not_valid, table, col))
			lint_emit(c, LINT_VALIDATE_SAME_TX, c->base,
				  "commit after adding it NOT VALID, then VALIDATE CONSTRAINT",
				  "VALIDATE CONSTRAINT '%s' in the transaction that added it NOT VALID "
				  "keeps the ACCESS EXCLUSIVE lock while it scans '%s'", col, table);
	} else if (!existing) {
		return;
	} else if (!strcmp(sub, "AT_SetNotNull")) {
		if (c->opt.pg_version >= 120000 && pair_has(c, &c->proven_nn, table, col))
			return; /* the valid CHECK proves it: no scan */
		lint_emit(c, LINT_SET_NOT_NULL, c->base,
			  c->opt.pg_version >= 120000
				  ? "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it, then SET NOT "
				    "NULL (which then skips the scan) and drop the CHECK"
				  : "add CHECK (col IS NOT NULL) NOT VALID and VALIDATE it instead",
			  "SET NOT NULL on '%s.%s' scans all of '%s' under ACCESS EXCLUSIVE",
			  table, col, table);
	} else if (!strcmp(sub, "AT_DropNotNull")) {
		lint_emit(c, LINT_DROP_NOT_NULL, c->base,
			  "make sure every reader handles NULL before it ships",
			  "DROP NOT NULL on '%s.%s': readers that expect a value get NULL", table, col);
	} else if (!strcmp(sub, "AT_AlterColumnType")) {
		json_object *cd = pgq_node_as(def, "ColumnDef");
		check_type(c, pgq_get(cd, "typeName"), table, col);
		lint_emit(c, LINT_COLUMN_TYPE, lint_at(c, cd),
			  "add a column of the new type, backfill it in batches, then swap",
			  "changing the type of '%s.%s' may rewrite '%s' and its indexes under ACCESS "
			  "EXCLUSIVE", table, col, table);
	} else if (!strcmp(sub, "AT_DropColumn")) {
		lint_emit(c, LINT_DROP_COLUMN, c->base,
			  "stop every reader and writer of the column first, then drop it",
			  "DROP COLUMN '%s.%s' loses the column's data", table, col);
		lint_robust(c, pgq_get_bool(cmd, "missing_ok"), "DROP COLUMN",
		       "use DROP COLUMN IF EXISTS");
	} else if (!strcmp(sub, "AT_DetachPartition")) {
		if (pgq_get_bool(pgq_node_as(def, "PartitionCmd"), "concurrent")) {
			if (lint_in_tx(c))
				lint_emit(c, LINT_CONCURRENTLY_IN_TX, c->base,
					  "run it on its own, outside any transaction",
					  "DETACH PARTITION CONCURRENTLY cannot run inside a transaction "
					  "block");
		} else if (c->opt.pg_version >= 140000) {
			lint_emit(c, LINT_DETACH_CONCURRENTLY, c->base,
				  "use DETACH PARTITION ... CONCURRENTLY, outside a transaction",
				  "DETACH PARTITION takes ACCESS EXCLUSIVE on '%s'", table);
		}
	}
}

void lint_alter_table(struct lint_ctx *c, json_object *st)
{
	char buf[300];
	const char *table = lint_relname(pgq_get(st, "relation"), buf, sizeof(buf));
	const char *objtype = pgq_get_str(st, "objtype");
	if (!table || (objtype && strcmp(objtype, "OBJECT_TABLE")))
		return;
	bool existing = lint_existing(c, table);
	json_object *cmds = pgq_get(st, "cmds");
	for (size_t i = 0; i < pgq_arr_len(cmds) && !c->err; i++)
		alter_cmd(c, pgq_node_as(pgq_arr_at(cmds, i), "AlterTableCmd"), table, existing);
	if (existing && pgq_arr_len(cmds))
		lint_need_timeouts(c, c->base);
}
