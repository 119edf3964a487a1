/*
 * ddl_import: the entry point. The text is split into statements by
 * sqllex and each is parsed alone by libpg_query, then dispatched to the
 * handler of its kind (ddl_stmts.c, ddl_keys.c); at the end foreign keys
 * are resolved, every table is validated and the survivors are handed out.
 */
#include "ddl_import.h"

#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"
#include "sqllex.h"
#include "validate.h"

/*
 * psql reads a line that starts with a backslash as a meta-command (\connect,
 * \pset), not as SQL; the parser would choke on it. Blank such lines (the
 * offsets of everything else stay put) and count them.
 */
static void blank_meta_commands(struct ddl_ctx *c)
{
	size_t i = 0;
	while (!c->rc && (i = sqllex_skip_blank(c->src, i, c->len)) < c->len) {
		size_t e = sqllex_token_end(c->src, i, c->len);
		if (c->src[i] == '\\') {
			size_t k = i;
			while (k > 0 && (c->src[k - 1] == ' ' || c->src[k - 1] == '\t'))
				k--;
			if (k == 0 || c->src[k - 1] == '\n') {
				while (i < c->len && c->src[i] != '\n')
					c->src[i++] = ' ';
				ddl_ctx_ignore(c, "psql meta-command");
				continue;
			}
		}
		i = e;
	}
}

/* How out->ignored names a statement kind it does not use. */
static const struct {
	const char *node, *label;
} stmt_labels[] = {
	{ "ViewStmt", "CREATE VIEW" },
	{ "CreateTableAsStmt", "CREATE TABLE AS / MATERIALIZED VIEW" },
	{ "CreateFunctionStmt", "CREATE FUNCTION" },
	{ "CreateSeqStmt", "CREATE SEQUENCE" },
	{ "AlterSeqStmt", "ALTER SEQUENCE" },
	{ "CreateTrigStmt", "CREATE TRIGGER" },
	{ "CreateExtensionStmt", "CREATE EXTENSION" },
	{ "CreateEnumStmt", "CREATE TYPE AS ENUM" },
	{ "CreateDomainStmt", "CREATE DOMAIN" },
	{ "CompositeTypeStmt", "CREATE TYPE" },
	{ "DefineStmt", "CREATE AGGREGATE/OPERATOR/TYPE" },
	{ "GrantStmt", "GRANT/REVOKE" },
	{ "GrantRoleStmt", "GRANT/REVOKE role" },
	{ "AlterOwnerStmt", "ALTER ... OWNER TO" },
	{ "InsertStmt", "INSERT" },
	{ "UpdateStmt", "UPDATE" },
	{ "DeleteStmt", "DELETE" },
	{ "CopyStmt", "COPY" },
	{ "TransactionStmt", "BEGIN/COMMIT" },
	{ "RuleStmt", "CREATE RULE" },
	{ "DoStmt", "DO" },
	{ "CreatePolicyStmt", "CREATE POLICY" },
	{ "CreateRoleStmt", "CREATE ROLE" },
	{ "RenameStmt", "ALTER ... RENAME" },
	{ "AlterFunctionStmt", "ALTER FUNCTION" },
	{ "AlterDefaultPrivilegesStmt", "ALTER DEFAULT PRIVILEGES" },
	{ "AlterObjectSchemaStmt", "ALTER ... SET SCHEMA" },
	{ "AlterEnumStmt", "ALTER TYPE" },
	{ "CreateCastStmt", "CREATE CAST" },
	{ "CreateOpClassStmt", "CREATE OPERATOR CLASS" },
	{ "CreateEventTrigStmt", "CREATE EVENT TRIGGER" },
	{ "VacuumStmt", "VACUUM/ANALYZE" },
	{ "CallStmt", "CALL" },
	{ "ClusterStmt", "CLUSTER" },
	{ "CreateStatsStmt", "CREATE STATISTICS" },
	{ "CreateForeignTableStmt", "CREATE FOREIGN TABLE" },
	{ "CreatePLangStmt", "CREATE LANGUAGE" },
	{ "CreateConversionStmt", "CREATE CONVERSION" },
	{ "CreateOpFamilyStmt", "CREATE OPERATOR FAMILY" },
	{ "CreateRangeStmt", "CREATE TYPE AS RANGE" },
	{ "CreateSchemaStmt", "CREATE SCHEMA" },
	{ "AlterExtensionStmt", "ALTER EXTENSION" },
	{ "AlterDomainStmt", "ALTER DOMAIN" },
	{ "AlterTSConfigurationStmt", "ALTER TEXT SEARCH CONFIGURATION" },
	{ "SecLabelStmt", "SECURITY LABEL" },
	{ "CheckPointStmt", "CHECKPOINT" },
	{ "ReindexStmt", "REINDEX" },
	{ "LockStmt", "LOCK" },
	{ "NotifyStmt", "NOTIFY" },
	{ "ListenStmt", "LISTEN" },
	{ "AlterRoleStmt", "ALTER ROLE" },
	{ "AlterSystemStmt", "ALTER SYSTEM" },
	{ "AlterStatsStmt", "ALTER STATISTICS" },
	{ "CreateTransformStmt", "CREATE TRANSFORM" },
	{ "CreateAmStmt", "CREATE ACCESS METHOD" },
	{ "CreateFdwStmt", "CREATE FOREIGN DATA WRAPPER" },
	{ "CreateForeignServerStmt", "CREATE SERVER" },
	{ "CreateUserMappingStmt", "CREATE USER MAPPING" },
	{ "ImportForeignSchemaStmt", "IMPORT FOREIGN SCHEMA" },
	{ "CreatePublicationStmt", "CREATE PUBLICATION" },
	{ "CreateSubscriptionStmt", "CREATE SUBSCRIPTION" },
	{ "DropOwnedStmt", "DROP OWNED" },
	{ "ReassignOwnedStmt", "REASSIGN OWNED" },
	{ "DropRoleStmt", "DROP ROLE" },
	{ "TruncateStmt", "TRUNCATE" },
	{ "ExplainStmt", "EXPLAIN" },
	{ "PrepareStmt", "PREPARE" },
	{ "ExecuteStmt", "EXECUTE" },
	{ "DeallocateStmt", "DEALLOCATE" },
	{ "DeclareCursorStmt", "DECLARE" },
	{ "FetchStmt", "FETCH" },
	{ "ClosePortalStmt", "CLOSE" },
	{ "DiscardStmt", "DISCARD" },
	{ "VariableShowStmt", "SHOW" },
	{ "AlterDatabaseStmt", "ALTER DATABASE" },
	{ "AlterDatabaseSetStmt", "ALTER DATABASE SET" },
	{ "CreatedbStmt", "CREATE DATABASE" },
	{ "DropdbStmt", "DROP DATABASE" },
	{ "AlterOpFamilyStmt", "ALTER OPERATOR FAMILY" },
	{ "AlterOperatorStmt", "ALTER OPERATOR" },
	{ "AlterTypeStmt", "ALTER TYPE" },
	{ "AlterCollationStmt", "ALTER COLLATION" },
	{ "AlterPolicyStmt", "ALTER POLICY" },
	{ "AlterEventTrigStmt", "ALTER EVENT TRIGGER" },
	{ "AlterTableSpaceOptionsStmt", "ALTER TABLESPACE" },
	{ "CreateTableSpaceStmt", "CREATE TABLESPACE" },
	{ "DropTableSpaceStmt", "DROP TABLESPACE" },
	{ "RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW" },
	{ "MergeStmt", "MERGE" },
};

static void ignore_stmt(struct ddl_ctx *c, const char *type)
{
	for (size_t i = 0; i < sizeof(stmt_labels) / sizeof(*stmt_labels); i++)
		if (!strcmp(stmt_labels[i].node, type))
			return ddl_ctx_ignore(c, stmt_labels[i].label);
	ddl_ctx_ignore(c, type);
}

static void statement(struct ddl_ctx *c, json_object *node, const char *default_schema)
{
	json_object *st;
	const char *type = pgq_node_type(node, &st);
	if (!type)
		return;
	if (!strcmp(type, "CreateStmt")) {
		ddl_stmts_create_table(c, st, default_schema);
	} else if (!strcmp(type, "IndexStmt")) {
		ddl_keys_create_index(c, st, default_schema);
	} else if (!strcmp(type, "CreateSchemaStmt") && !default_schema) {
		const char *schema = pgq_get_str(st, "schemaname");
		json_object *elts = pgq_get(st, "schemaElts");
		for (size_t i = 0; schema && i < pgq_arr_len(elts) && !c->rc; i++)
			statement(c, pgq_arr_at(elts, i), schema);
	} else if (!strcmp(type, "AlterTableStmt") && !default_schema) {
		ddl_stmts_alter_table(c, st);
	} else if (!strcmp(type, "CommentStmt")) {
		ddl_stmts_comment_on(c, st);
	} else if (!strcmp(type, "VariableSetStmt")) {
		ddl_stmts_set(c, st);
	} else if (!strcmp(type, "SelectStmt")) {
		ddl_stmts_select(c, st);
	} else if (!strcmp(type, "DropStmt")) {
		ddl_stmts_drop(c, st);
	} else if (!strcmp(type, "ViewStmt") || !strcmp(type, "CreateSeqStmt") ||
		   !strcmp(type, "CreateTableAsStmt")) {
		json_object *rv = pgq_get(st, "view");
		if (!rv)
			rv = pgq_get(st, "sequence");
		if (!rv)
			rv = pgq_get(pgq_get(st, "into"), "rel");
		ddl_model_add_other(c, rv, default_schema);
		ignore_stmt(c, type);
	} else {
		ignore_stmt(c, type);
	}
}

/* PostgreSQL quotes the text "at or near" a problem, up to the end of the
 * input for an unterminated string: keep messages to one short line.
 * Returns whether the message was cut. */
static bool parser_message(const char *msg, int *len)
{
	size_t n = 0;
	if (!msg)
		return false;
	while (msg[n] && msg[n] != '\n' && msg[n] != '\r' && n < 120)
		n++;
	n = text_utf8_cut(msg, n);
	*len = (int)n;
	return msg[n] != '\0';
}

static void parse_error(struct ddl_ctx *c, const char *text, size_t start, size_t len,
			const PgQueryError *e)
{
	size_t off = start + (e->cursorpos > 0 ? sqllex_char_offset(text, len, e->cursorpos)
					       : sqllex_skip_blank(text, 0, len));
	int n = 0;
	bool cut = parser_message(e->message, &n);
	ddl_ctx_report(c, DIAG_ERROR, off, "statement not imported: %.*s%s", n ? n : 12,
		       n ? e->message : "syntax error", cut ? "..." : "");
}

static void parse_statement(struct ddl_ctx *c, size_t start, size_t len)
{
	char *text = ddl_ctx_strndup(c, c->src + start, len);
	if (!text)
		return;
	c->base = start;
	c->stmt_end = start + len;
	PgQueryParseResult pr = pgq_parse(text);
	if (pr.error) {
		parse_error(c, text, start, len, pr.error);
		goto out;
	}
	json_object *tree = pgq_json(pr.parse_tree);
	if (!tree) {
		ddl_ctx_report(c, DIAG_ERROR, start + sqllex_skip_blank(text, 0, len),
			       "statement not imported: nested too deeply to read");
		goto out;
	}
	json_object *stmts = pgq_get(tree, "stmts");
	for (size_t i = 0; i < pgq_arr_len(stmts) && !c->rc; i++) {
		c->out->statements++;
		statement(c, pgq_get(pgq_arr_at(stmts, i), "stmt"), NULL);
	}
	json_object_put(tree);
out:
	pg_query_free_parse_result(pr);
	free(text);
}

/* ---- the end: names, foreign keys, validation, output ---- */

/* Tables that may be imported, by registry name, then in declaration order. */
struct named {
	struct ddl_table *t;
	size_t order;
};

static int by_registry_name(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int d = strcmp(x->t->name, y->t->name);
	return d ? d : (x->order > y->order) - (x->order < y->order);
}

/* Two SQL tables, one registry name (public.sales_orders, sales.orders):
 * the first declared wins. Reported in name order, for stable output. */
static void refuse_name_clashes(struct ddl_ctx *c)
{
	struct sbuf a = SBUF_INIT, b = SBUF_INIT;
	struct named *sorted = calloc(c->ntables + 1, sizeof(*sorted));
	size_t n = 0;
	if (!sorted)
		return (void)ddl_ctx_oom(c);
	for (size_t i = 0; i < c->ntables; i++)
		if (c->tables[i]->state == DDL_T_OK)
			sorted[n++] = (struct named){ c->tables[i], i };
	qsort(sorted, n, sizeof(*sorted), by_registry_name);
	for (size_t i = 1, first = 0; i < n; i++) {
		struct ddl_table *t = sorted[i].t;
		if (strcmp(sorted[first].t->name, t->name)) {
			first = i;
			continue;
		}
		const struct ddl_table *f = sorted[first].t;
		ddl_ctx_report(c, DIAG_ERROR, t->at,
			       "table '%s' not imported: its registry name '%s' is taken by '%s' "
			       "(line %u)",
			       ddl_model_sql_name(&a, t->sqlschema, t->sqlname), t->name,
			       ddl_model_sql_name(&b, f->sqlschema, f->sqlname),
			       ddl_ctx_loc(c, f->at).line);
		t->state = DDL_T_REFUSED;
	}
	free(sorted);
	sbuf_release(&a);
	sbuf_release(&b);
}

/* The safety net: what the registry would refuse is not emitted. */
static void validate_tables(struct ddl_ctx *c)
{
	for (size_t i = 0; i < c->ntables && !c->rc; i++) {
		struct ddl_table *t = c->tables[i];
		struct diags d = DIAGS_INIT;
		if (t->state != DDL_T_OK)
			continue;
		if (reg_validate_schema(t->s, t->name, &d)) {
			diags_release(&d);
			return (void)ddl_ctx_oom(c);
		}
		for (size_t k = 0; k < d.n; k++)
			if (d.items[k].severity == DIAG_ERROR)
				ddl_ctx_report(c, DIAG_ERROR, t->at, "table '%s' not imported: %s",
					       t->sqlname, d.items[k].message);
		if (d.errors)
			t->state = DDL_T_REFUSED;
		diags_release(&d);
	}
}

static int by_name(const void *a, const void *b)
{
	const struct reg_schema *x = *(const struct reg_schema *const *)a;
	const struct reg_schema *y = *(const struct reg_schema *const *)b;
	return strcmp(x->name, y->name);
}

/* Hands the imported schemas over to out, sorted by name. */
static void output(struct ddl_ctx *c)
{
	struct ddl_import *o = c->out;
	if (!(o->schemas = calloc(c->ntables + 1, sizeof(*o->schemas))))
		return (void)ddl_ctx_oom(c);
	for (size_t i = 0; i < c->ntables; i++) {
		struct ddl_table *t = c->tables[i];
		if (t->state != DDL_T_OK)
			continue;
		for (size_t k = 0; k < t->s->nrefs; k++)
			t->s->refs[k].loc = (struct reg_loc){ 0, 0 };
		o->schemas[o->n++] = t->s;
		o->nrefs += t->s->nrefs;
		o->nindexes += t->s->nindexes;
		t->s = NULL;
	}
	qsort(o->schemas, o->n, sizeof(*o->schemas), by_name);
}

static void finish(struct ddl_ctx *c)
{
	refuse_name_clashes(c);
	if (!c->rc)
		ddl_refs_resolve(c);
	if (!c->rc)
		validate_tables(c);
	if (!c->rc)
		ddl_refs_drop_dangling(c);
	if (!c->rc)
		output(c);
}

/* Every statement, split by sqllex: unlike libpg_query's scanner-based
 * splitter it drops none, so one starting with an unknown word is read,
 * refused by the parser and reported like any other. */
static void read_statements(struct ddl_ctx *c)
{
	size_t pos = 0, start, n;
	while (!c->rc && sqllex_next_stmt(c->src, c->len, &pos, &start, &n))
		if (sqllex_skip_blank(c->src, start, start + n) < start + n)
			parse_statement(c, start, n);
}

int ddl_import_sql(const char *sql, size_t len, const char *file,
		   const struct ddl_import_opts *opts, struct ddl_import *out, struct diags *diags)
{
	struct ddl_ctx c = { 0 };
	memset(out, 0, sizeof(*out));
	c.file = file ? file : "";
	c.diags = diags;
	c.out = out;
	c.only_schema = opts ? opts->only_schema : NULL;
	c.owner = opts ? opts->owner : NULL;
	c.len = len;
	ddl_model_init(&c);
	if (!(c.src = malloc(len + 1))) {
		c.rc = REG_ENOMEM;
		goto out;
	}
	memcpy(c.src, sql, len);
	c.src[len] = '\0';
	if ((c.rc = text_lines_init(&c.lines, c.src, len, TEXT_BREAKS_LF)))
		goto out;
	const char *nul = memchr(sql, '\0', len);
	if (nul) {
		ddl_ctx_report(&c, DIAG_ERROR, (size_t)(nul - sql), "not SQL text: a NUL byte");
		c.rc = c.rc ? c.rc : REG_EINVAL;
		goto out;
	}
	ddl_model_path_push(&c, "public");
	blank_meta_commands(&c);
	read_statements(&c);
	if (!c.rc)
		finish(&c);
out:
	ddl_model_release(&c);
	text_lines_release(&c.lines);
	free(c.src);
	return c.rc;
}

void ddl_import_release(struct ddl_import *imp)
{
	if (!imp)
		return;
	for (size_t i = 0; i < imp->n; i++)
		reg_schema_free(imp->schemas[i]);
	free(imp->schemas);
	for (size_t i = 0; i < imp->nignored; i++)
		free(imp->ignored[i].what);
	free(imp->ignored);
	memset(imp, 0, sizeof(*imp));
}
