/* registry/ddl_import.c: PostgreSQL DDL -> schemas, on small fixtures with exact outputs. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ddl_import.h"
#include "graph.h"
#include "registry.h"
#include "validate.h"
#include "schemafile.h"

struct result {
	struct ddl_import imp;
	struct diags diags;
	char *diag_text; /* every diagnostic, rendered */
	int rc;
};

static void run_import(const char *sql, const struct ddl_import_opts *opts, struct result *r)
{
	struct sbuf sb = SBUF_INIT;
	diags_init(&r->diags);
	r->rc = ddl_import_sql(sql, strlen(sql), "in.sql", opts, &r->imp, &r->diags);
	ck_assert_int_ne(r->rc, REG_ENOMEM);
	ck_assert_int_eq(diags_render(&r->diags, &sb), 0);
	r->diag_text = sbuf_detach(&sb, NULL);
}

static void result_release(struct result *r)
{
	ddl_import_release(&r->imp);
	diags_release(&r->diags);
	free(r->diag_text);
}

static const struct reg_schema *schema(const struct result *r, const char *name)
{
	for (size_t i = 0; i < r->imp.n; i++)
		if (!strcmp(r->imp.schemas[i]->name, name))
			return r->imp.schemas[i];
	ck_abort_msg("no schema '%s'", name);
	return NULL;
}

/* The canonical YAML of one imported schema (malloc'd). */
static char *yaml_of(const struct result *r, const char *name)
{
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(schemafile_emit(schema(r, name), &sb), 0);
	return sbuf_detach(&sb, NULL);
}

static char *names_of(const struct result *r)
{
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; i < r->imp.n; i++)
		sbuf_addf(&sb, "%s%s", i ? " " : "", r->imp.schemas[i]->name);
	return sbuf_detach(&sb, NULL);
}

static char *ignored_of(const struct result *r)
{
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; i < r->imp.nignored; i++)
		sbuf_addf(&sb, "%s%zu %s", i ? ", " : "", r->imp.ignored[i].count,
			  r->imp.ignored[i].what);
	return sbuf_detach(&sb, NULL);
}

#define ASSERT_YAML(res, name, expected)                                                           \
	do {                                                                                       \
		char *y_ = yaml_of(res, name);                                                     \
		ck_assert_str_eq(y_, expected);                                                    \
		free(y_);                                                                          \
	} while (0)

#define ASSERT_NAMES(res, expected)                                                                \
	do {                                                                                       \
		char *n_ = names_of(res);                                                          \
		ck_assert_str_eq(n_, expected);                                                    \
		free(n_);                                                                          \
	} while (0)

/* Every imported schema is one the registry accepts, through its bytes. */
static void assert_reloads(const struct result *r)
{
	for (size_t i = 0; i < r->imp.n; i++) {
		struct sbuf sb = SBUF_INIT;
		struct diags d = DIAGS_INIT;
		struct reg_schema *s = NULL;
		const char *name = r->imp.schemas[i]->name;
		ck_assert_int_eq(schemafile_emit(r->imp.schemas[i], &sb), 0);
		int rc = reg_schema_from_bytes(sb.buf, sb.len, name, name, &s, &d);
		if (rc) {
			struct sbuf msg = SBUF_INIT;
			diags_render(&d, &msg);
			ck_abort_msg("%s refused:\n%s", name, msg.buf);
		}
		reg_schema_free(s);
		diags_release(&d);
		sbuf_release(&sb);
	}
}

/* ---- CREATE TABLE ---- */

static const char basic_sql[] =
    "CREATE TABLE users (\n"
    "    id bigserial PRIMARY KEY,\n"
    "    email character varying(255) NOT NULL UNIQUE,\n"
    "    created_at timestamp(6) with time zone DEFAULT now() NOT NULL,\n"
    "    note text DEFAULT 'a, (b)' -- a comment\n"
    ");\n"
    "CREATE TABLE orders (\n"
    "    user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,\n"
    "    n integer DEFAULT (1 + 2),\n"
    "    total numeric(15, 2)[] DEFAULT E'{1}\\'',\n"
    "    status varchar(10) DEFAULT $$new$$::varchar COLLATE \"C\",\n"
    "    PRIMARY KEY (user_id, n),\n"
    "    CONSTRAINT orders_n_check CHECK (n > 0)\n"
    ");\n"
    "CREATE TABLE lines (\n"
    "    user_id bigint, n int, x double precision,\n"
    "    FOREIGN KEY (user_id, n) REFERENCES orders (user_id, n) ON UPDATE SET NULL,\n"
    "    UNIQUE (x, n)\n"
    ");\n";

START_TEST(create_table_columns_keys_defaults)
{
	struct result r;
	run_import(basic_sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.diag_text, "");
	ASSERT_NAMES(&r, "lines orders users");
	ck_assert_uint_eq(r.imp.nrefs, 2);
	ck_assert_uint_eq(r.imp.nindexes, 1);
	ck_assert_uint_eq(r.imp.statements, 3);
	/* types and defaults as written; serial and PRIMARY KEY imply NOT NULL */
	ASSERT_YAML(&r, "users",
		    "name: users\n"
		    "owner: unknown-service\n"
		    "version: 1.0.0\n"
		    "\n"
		    "columns:\n"
		    "  - name: id\n"
		    "    type: bigserial\n"
		    "    nullable: false\n"
		    "    primary_key: true\n"
		    "\n"
		    "  - name: email\n"
		    "    type: character varying(255)\n"
		    "    nullable: false\n"
		    "    unique: true\n"
		    "\n"
		    "  - name: created_at\n"
		    "    type: timestamp(6) with time zone\n"
		    "    nullable: false\n"
		    "    default: now()\n"
		    "\n"
		    "  - name: note\n"
		    "    type: text\n"
		    "    nullable: true\n"
		    "    default: \"'a, (b)'\"\n"
		    "\n"
		    "references: []\n"
		    "\n"
		    "indexes: []\n");
	/* REFERENCES without columns means the target's primary key */
	ASSERT_YAML(&r, "orders",
		    "name: orders\n"
		    "owner: unknown-service\n"
		    "version: 1.0.0\n"
		    "\n"
		    "columns:\n"
		    "  - name: user_id\n"
		    "    type: bigint\n"
		    "    nullable: false\n"
		    "    primary_key: true\n"
		    "\n"
		    "  - name: \"n\"\n"
		    "    type: integer\n"
		    "    nullable: false\n"
		    "    primary_key: true\n"
		    "    default: (1 + 2)\n"
		    "\n"
		    "  - name: total\n"
		    "    type: numeric(15, 2)[]\n"
		    "    nullable: true\n"
		    "    default: E'{1}\\''\n"
		    "\n"
		    "  - name: status\n"
		    "    type: varchar(10)\n"
		    "    nullable: true\n"
		    "    default: \"$$new$$::varchar\"\n"
		    "\n"
		    "references:\n"
		    "  - schema: users\n"
		    "    column: id\n"
		    "    foreign_key: user_id\n"
		    "    on_delete: CASCADE\n"
		    "    on_update: NO ACTION\n"
		    "\n"
		    "indexes: []\n");
	/* composite foreign key; a composite UNIQUE becomes a unique index
	 * with PostgreSQL's default name */
	ASSERT_YAML(&r, "lines",
		    "name: lines\n"
		    "owner: unknown-service\n"
		    "version: 1.0.0\n"
		    "\n"
		    "columns:\n"
		    "  - name: user_id\n"
		    "    type: bigint\n"
		    "    nullable: true\n"
		    "\n"
		    "  - name: \"n\"\n"
		    "    type: int\n"
		    "    nullable: true\n"
		    "\n"
		    "  - name: x\n"
		    "    type: double precision\n"
		    "    nullable: true\n"
		    "\n"
		    "references:\n"
		    "  - schema: orders\n"
		    "    column: [user_id, \"n\"]\n"
		    "    foreign_key: [user_id, \"n\"]\n"
		    "    on_delete: NO ACTION\n"
		    "    on_update: SET NULL\n"
		    "\n"
		    "indexes:\n"
		    "  - name: lines_x_n_key\n"
		    "    columns: [x, \"n\"]\n"
		    "    unique: true\n");
	char *ign = ignored_of(&r);
	ck_assert_str_eq(ign, "1 COLLATE, 1 CHECK constraint");
	free(ign);
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

/* ---- pg_dump style: constraints afterwards ---- */

static const char dump_sql[] =
    "SET statement_timeout = 0;\n"
    "SELECT pg_catalog.set_config('search_path', '', false);\n"
    "CREATE TABLE public.customers (\n"
    "    id integer NOT NULL,\n"
    "    region text,\n"
    "    code text\n"
    ");\n"
    "CREATE SEQUENCE public.customers_id_seq AS integer;\n"
    "ALTER TABLE public.customers_id_seq OWNER TO app;\n"
    "ALTER TABLE ONLY public.customers ALTER COLUMN id SET DEFAULT "
    "nextval('public.customers_id_seq'::regclass);\n"
    "CREATE TABLE public.invoices (\n"
    "    id integer NOT NULL,\n"
    "    customer_id integer,\n"
    "    region text, code text\n"
    ");\n"
    "ALTER TABLE ONLY public.customers\n"
    "    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);\n"
    "ALTER TABLE ONLY public.customers\n"
    "    ADD CONSTRAINT customers_region_code_key UNIQUE (region, code);\n"
    "ALTER TABLE ONLY public.invoices\n"
    "    ADD CONSTRAINT invoices_pkey PRIMARY KEY (id),\n"
    "    ALTER COLUMN region SET NOT NULL;\n"
    "ALTER TABLE ONLY public.invoices\n"
    "    ADD CONSTRAINT invoices_customer_fkey FOREIGN KEY (customer_id)\n"
    "    REFERENCES public.customers(id) ON UPDATE CASCADE ON DELETE SET NULL;\n"
    "ALTER TABLE ONLY public.invoices\n"
    "    ADD CONSTRAINT invoices_rc_fkey FOREIGN KEY (region, code)\n"
    "    REFERENCES public.customers(region, code) ON DELETE RESTRICT;\n"
    "ALTER TABLE public.invoices OWNER TO app;\n";

START_TEST(alter_table_adds_constraints)
{
	struct result r;
	run_import(dump_sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.diag_text, "");
	ASSERT_YAML(&r, "customers",
		    "name: customers\n"
		    "owner: unknown-service\n"
		    "version: 1.0.0\n"
		    "\n"
		    "columns:\n"
		    "  - name: id\n"
		    "    type: integer\n"
		    "    nullable: false\n"
		    "    primary_key: true\n"
		    "    default: \"nextval('public.customers_id_seq'::regclass)\"\n"
		    "\n"
		    "  - name: region\n"
		    "    type: text\n"
		    "    nullable: true\n"
		    "\n"
		    "  - name: code\n"
		    "    type: text\n"
		    "    nullable: true\n"
		    "\n"
		    "references: []\n"
		    "\n"
		    "indexes:\n"
		    "  - name: customers_region_code_key\n"
		    "    columns: [region, code]\n"
		    "    unique: true\n");
	ASSERT_YAML(&r, "invoices",
		    "name: invoices\n"
		    "owner: unknown-service\n"
		    "version: 1.0.0\n"
		    "\n"
		    "columns:\n"
		    "  - name: id\n"
		    "    type: integer\n"
		    "    nullable: false\n"
		    "    primary_key: true\n"
		    "\n"
		    "  - name: customer_id\n"
		    "    type: integer\n"
		    "    nullable: true\n"
		    "\n"
		    "  - name: region\n"
		    "    type: text\n"
		    "    nullable: false\n"
		    "\n"
		    "  - name: code\n"
		    "    type: text\n"
		    "    nullable: true\n"
		    "\n"
		    "references:\n"
		    "  - schema: customers\n"
		    "    column: id\n"
		    "    foreign_key: customer_id\n"
		    "    on_delete: SET NULL\n"
		    "    on_update: CASCADE\n"
		    "\n"
		    "  - schema: customers\n"
		    "    column: [region, code]\n"
		    "    foreign_key: [region, code]\n"
		    "    on_delete: RESTRICT\n"
		    "    on_update: NO ACTION\n"
		    "\n"
		    "indexes: []\n");
	char *ign = ignored_of(&r);
	ck_assert_str_eq(ign, "1 SET, 1 CREATE SEQUENCE, 2 ALTER TABLE CHANGE OWNER");
	free(ign);
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

/* ---- CREATE INDEX ---- */

START_TEST(create_index_plain_and_skipped)
{
	static const char sql[] = "CREATE TABLE t (a int, b text, c int);\n"
				  "CREATE INDEX t_a_idx ON t (a);\n"
				  "CREATE UNIQUE INDEX t_ab ON public.t USING btree (a, b);\n"
				  "CREATE INDEX ON t (c);\n"
				  "CREATE INDEX t_lower ON t (lower(b));\n"
				  "  CREATE INDEX t_partial ON t (a) WHERE c > 0;\n"
				  "CREATE INDEX t_gist ON t USING gist (b);\n"
				  "CREATE INDEX t_desc ON t (a DESC);\n"
				  "CREATE INDEX t_none ON nowhere (a);\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:5:1: note: index 't_lower' of 't' not imported: it indexes an expression\n"
	    "in.sql:6:3: note: index 't_partial' of 't' not imported: it is partial (WHERE)\n"
	    "in.sql:7:1: note: index 't_gist' of 't' not imported: it uses 'gist', not btree\n"
	    "in.sql:8:1: note: index 't_desc' of 't' not imported: it sets a sort order\n"
	    "in.sql:9:24: warning: index 't_none' not imported: table 'nowhere' is unknown\n");
	ck_assert_uint_eq(r.diags.errors, 0);
	ck_assert_uint_eq(r.imp.nindexes, 3);
	const struct reg_schema *t = schema(&r, "t");
	ck_assert_str_eq(t->indexes[0].name, "t_a_idx");
	ck_assert(!t->indexes[0].unique);
	ck_assert_str_eq(t->indexes[1].name, "t_ab");
	ck_assert(t->indexes[1].unique);
	ck_assert_uint_eq(t->indexes[1].columns.n, 2);
	ck_assert_str_eq(t->indexes[2].name, "t_c_idx"); /* PostgreSQL's default name */
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

/* ---- names: schemas, --schema, --owner, refused names ---- */

static const char schemas_sql[] =
    "CREATE TABLE customers (id int PRIMARY KEY);\n"
    "CREATE SCHEMA sales\n"
    "    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers)\n"
    "    CREATE INDEX orders_customer ON orders (customer_id);\n"
    "SET search_path = sales, public;\n"
    "CREATE TABLE items (order_id int REFERENCES orders, customer_id int REFERENCES customers);\n";

START_TEST(schemas_map_to_prefixed_names)
{
	struct result r;
	run_import(schemas_sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.diag_text, "");
	ASSERT_NAMES(&r, "customers sales_items sales_orders");
	const struct reg_schema *o = schema(&r, "sales_orders");
	ck_assert_str_eq(o->owner, "sales");
	ck_assert_str_eq(o->refs[0].schema, "customers");
	ck_assert_str_eq(o->indexes[0].name, "sales_orders_customer");
	ck_assert_str_eq(schema(&r, "customers")->owner, "unknown-service");
	/* unqualified names go through search_path, as in PostgreSQL */
	const struct reg_schema *it = schema(&r, "sales_items");
	ck_assert_uint_eq(it->nrefs, 2);
	ck_assert_str_eq(it->refs[0].schema, "sales_orders");
	ck_assert_str_eq(it->refs[1].schema, "customers");
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

START_TEST(only_schema_and_owner)
{
	struct ddl_import_opts opts = {.only_schema = "sales", .owner = "order-service"};
	struct result r;
	run_import(schemas_sql, &opts, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:3:62: warning: foreign key of 'orders' not imported: table 'customers' "
	    "is outside schema 'sales'\n"
	    "in.sql:6:69: warning: foreign key of 'items' not imported: table 'customers' "
	    "is outside schema 'sales'\n");
	ASSERT_NAMES(&r, "items orders");
	ck_assert_str_eq(schema(&r, "orders")->owner, "order-service");
	ck_assert_str_eq(schema(&r, "orders")->indexes[0].name, "orders_customer");
	ck_assert_uint_eq(schema(&r, "items")->nrefs, 1);
	ck_assert_str_eq(schema(&r, "items")->refs[0].schema, "orders");
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

START_TEST(refused_names_are_errors_with_places)
{
	static const char sql[] = "CREATE TABLE \"Users\" (id int PRIMARY KEY);\n"
				  "CREATE TABLE accounts (\n"
				  "    id int PRIMARY KEY,\n"
				  "    \"OwnerId\" int\n"
				  ");\n"
				  "CREATE TABLE notes (user_id int REFERENCES \"Users\", "
				  "account_id int REFERENCES accounts);\n"
				  "CREATE SCHEMA a_very_long_schema_name_that_goes_on\n"
				  "  CREATE TABLE and_a_table_name_that_is_long_too (x int);\n"
				  "CREATE TABLE notes (x int);\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:1:14: error: table 'Users' not imported: invalid name 'Users': "
	    "must be lower case\n"
	    "in.sql:4:5: error: table 'accounts' not imported: invalid column name "
	    "'OwnerId': must be lower case\n"
	    "in.sql:8:16: error: table 'a_very_long_schema_name_that_goes_on."
	    "and_a_table_name_that_is_long_too' not imported: name "
	    "'a_very_long_schema_name_that_goes_on_and_a_table_name_that_is_long_too' "
	    "is 70 bytes long; names are at most 63\n"
	    "in.sql:9:14: error: table 'notes' created twice; the second definition is "
	    "not imported\n"
	    "in.sql:6:33: warning: foreign key of 'notes' not imported: table 'Users' is "
	    "not imported\n"
	    "in.sql:6:68: warning: foreign key of 'notes' not imported: table 'accounts' "
	    "is not imported\n");
	ck_assert_uint_eq(r.diags.errors, 4);
	ASSERT_NAMES(&r, "notes");
	ck_assert_uint_eq(r.imp.nrefs, 0);
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

START_TEST(registry_name_clash_first_wins)
{
	static const char sql[] =
	    "CREATE TABLE sales_orders (id int PRIMARY KEY);\n"
	    "CREATE SCHEMA sales;\n"
	    "CREATE TABLE sales.orders (id int PRIMARY KEY);\n"
	    "CREATE TABLE lines (o int REFERENCES sales.orders, p int REFERENCES sales_orders);\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_str_eq(r.diag_text,
			 "in.sql:3:14: error: table 'sales.orders' not imported: its registry name "
			 "'sales_orders' is taken by 'sales_orders' (line 1)\n"
			 "in.sql:4:27: warning: foreign key of 'lines' not imported: table "
			 "'sales.orders' is not imported\n");
	ASSERT_NAMES(&r, "lines sales_orders");
	ck_assert_uint_eq(schema(&r, "lines")->nrefs, 1);
	ck_assert_str_eq(schema(&r, "lines")->refs[0].foreign_keys.items[0], "p");
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

/* ---- what cannot be read or used ---- */

START_TEST(syntax_error_reported_rest_imported)
{
	static const char sql[] =
	    "CREATE TABLE a (id int);\n"
	    "\\connect other\n"
	    "CREATE TABLE b (id int,, x int);\n"
	    "CREATE TABLE c (id int);\n"
	    "CREATE VIEW v AS SELECT 1;\n"
	    "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n"
	    "COMMENT ON TABLE c IS 'the c table';\n"
	    "COMMENT ON COLUMN c.id IS 'its id';\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:3:24: error: statement not imported: syntax error at or near \",\"\n");
	ASSERT_NAMES(&r, "a c");
	ck_assert_str_eq(schema(&r, "c")->description, "the c table");
	ck_assert_str_eq(schema(&r, "c")->columns[0].description, "its id");
	char *ign = ignored_of(&r);
	ck_assert_str_eq(ign, "1 psql meta-command, 1 CREATE VIEW, 1 CREATE FUNCTION");
	free(ign);
	result_release(&r);
}
END_TEST

/*
 * libpg_query's scanner-based splitter silently dropped a statement that
 * starts with a word it does not know; each must be an error at its
 * place, and the rest still import.
 */
START_TEST(unknown_word_statement_reported)
{
	static const char sql[] = "FOO bar baz;\nCREATE TABLE t (id int primary key);\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.diag_text,
			 "in.sql:1:1: error: statement not imported: syntax error at or near "
			 "\"FOO\"\n");
	ck_assert_uint_eq(r.diags.errors, 1);
	ASSERT_NAMES(&r, "t");
	ck_assert_uint_eq(r.imp.statements, 1);
	result_release(&r);

	/* anywhere in the text, after comments, before a statement without ';' */
	static const char later[] = "CREATE TABLE a (id int);\n/* x; */ -- y;\n  frobnicate 'a;b';\n"
				    "CREATE TABLE b (id int)";
	run_import(later, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.diag_text,
			 "in.sql:3:3: error: statement not imported: syntax error at or near "
			 "\"frobnicate\"\n");
	ASSERT_NAMES(&r, "a b");
	result_release(&r);
}
END_TEST

/* The same through the command users run: the error on stderr with its
 * place, the table still written, exit status 1 (docs/import-sql.md). */
START_TEST(unknown_word_statement_cli)
{
	const char *bin = getenv("SCHEMAFS_BIN");
	ck_assert_ptr_nonnull(bin);
	char *out = tu_tmp_path("out"), *err = tu_tmp_path("stderr"), *t = tu_tmp_path("out/t.yaml");
	struct sbuf cmd = SBUF_INIT;
	sbuf_addf(&cmd,
		  "printf 'FOO bar baz;\\nCREATE TABLE t (id int primary key);\\n' | "
		  "'%s' import-sql - '%s' 2>'%s'",
		  bin, out, err);
	int st = system(cmd.buf);
	char *text = tu_read_file(err, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit %d:\n%s", st, text);
	ck_assert_msg(strstr(text, "<stdin>:1:1: error: statement not imported: syntax error at "
				   "or near \"FOO\"\n"),
		      "no located error in:\n%s", text);
	ck_assert_msg(strstr(text, "<stdin>: 1 tables, 0 foreign keys, 0 indexes -> "), "%s",
		      text);
	ck_assert_int_eq(access(t, R_OK), 0);
	free(text);
	free(out);
	free(err);
	free(t);
	sbuf_release(&cmd);
}
END_TEST

/* Runs `schemafs import-sql ARGS` in tu_tmpdir (stdin from in.sql there);
 * returns the exit status, stderr in *err (malloc'd). */
static int import_sql_cli(const char *args, char **err)
{
	struct sbuf cmd = SBUF_INIT;
	const char *bin = getenv("SCHEMAFS_BIN");
	ck_assert_ptr_nonnull(bin);
	sbuf_addf(&cmd, "cd '%s' && '%s' import-sql %s <in.sql 2>stderr >/dev/null", tu_tmpdir,
		  bin, args);
	int st = system(cmd.buf);
	sbuf_release(&cmd);
	char *path = tu_tmp_path("stderr");
	*err = tu_read_file(path, NULL);
	free(path);
	ck_assert_ptr_nonnull(*err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool tmp_exists(const char *rel)
{
	char *p = tu_tmp_path(rel);
	bool yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

/* Options anywhere (getopt_long permutes), both spellings of a value,
 * usage errors exit 2, an OUTDIR holding YAML needs --force. */
START_TEST(cli_options)
{
	static const char sql[] = "CREATE SCHEMA sales;\n"
				  "CREATE TABLE sales.orders (id int PRIMARY KEY);\n"
				  "CREATE TABLE users (id int PRIMARY KEY);\n";
	char *in = tu_tmp_path("in.sql"), *err;
	ck_assert_int_eq(tu_write_file(in, sql, strlen(sql)), 0);
	free(in);

	ck_assert_int_eq(import_sql_cli("- a/b --schema sales --owner=team", &err), 0);
	ck_assert_msg(strstr(err, "1 tables"), "%s", err);
	free(err);
	ck_assert(tmp_exists("a/b/orders.yaml") && !tmp_exists("a/b/users.yaml"));
	char *p = tu_tmp_path("a/b/orders.yaml");
	char *text = tu_read_file(p, NULL);
	free(p);
	ck_assert_ptr_nonnull(strstr(text, "owner: team\n"));
	free(text);

	ck_assert_int_eq(import_sql_cli("- a/b", &err), 1);
	ck_assert_msg(strstr(err, "already holds .yaml files; use --force"), "%s", err);
	free(err);
	ck_assert_int_eq(import_sql_cli("--force - a/b", &err), 0);
	free(err);
	ck_assert(tmp_exists("a/b/users.yaml") && tmp_exists("a/b/sales_orders.yaml"));

	ck_assert_int_eq(import_sql_cli("--bogus - out", &err), 2);
	ck_assert_str_eq(err, "schemafs import-sql: unknown option '--bogus'\n"
			      "usage: schemafs import-sql [--schema NAME] [--owner NAME] [--force] "
			      "FILE.sql OUTDIR\n");
	free(err);
	ck_assert_int_eq(import_sql_cli("- out --schema", &err), 2);
	ck_assert_msg(strstr(err, "option needs a value: '--schema'"), "%s", err);
	free(err);
	ck_assert_int_eq(import_sql_cli("--schema= - out", &err), 2);
	ck_assert_msg(strstr(err, "option needs a value: '--schema='"), "%s", err);
	free(err);
	ck_assert_int_eq(import_sql_cli("- out extra", &err), 2);
	ck_assert_msg(strstr(err, "unexpected argument 'extra'"), "%s", err);
	free(err);
	ck_assert_int_eq(import_sql_cli("-- -", &err), 2);
	ck_assert_msg(strstr(err, "missing OUTDIR"), "%s", err);
	free(err);
	ck_assert(!tmp_exists("out"));
}
END_TEST

START_TEST(nul_byte_refused)
{
	static const char sql[] = "CREATE TABLE a (id int);\nCREATE\0 TABLE b (id int);\n";
	struct ddl_import imp;
	struct diags d = DIAGS_INIT;
	struct sbuf sb = SBUF_INIT;
	ck_assert_int_eq(ddl_import_sql(sql, sizeof(sql) - 1, "in.sql", NULL, &imp, &d),
			 REG_EINVAL);
	ck_assert_uint_eq(imp.n, 0);
	diags_render(&d, &sb);
	ck_assert_str_eq(sb.buf, "in.sql:2:7: error: not SQL text: a NUL byte\n");
	sbuf_release(&sb);
	diags_release(&d);
	ddl_import_release(&imp);
}
END_TEST

/*
 * A default as deep as it is long ("1+1+...": 100,000 levels) overflowed
 * the stack inside libpg_query's JSON writer and killed the process
 * (docs/fuzzing.md). pgq_parse gives such texts a stack that fits; the
 * import must come back, in a child so that a regression kills only it.
 */
START_TEST(deep_expression_does_not_crash)
{
	struct sbuf sql = SBUF_INIT;
	sbuf_adds(&sql, "CREATE TABLE t (id int PRIMARY KEY, c int DEFAULT 1");
	for (int i = 0; i < 100000; i++)
		sbuf_adds(&sql, "+1");
	sbuf_adds(&sql, ");\n");
	fflush(NULL);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct ddl_import imp;
		struct diags d = DIAGS_INIT;
		int rc = ddl_import_sql(sql.buf, sql.len, "in.sql", NULL, &imp, &d);
		/* the table is read; its over-long default is refused by sqlcheck */
		_exit(rc >= 0 || rc == REG_EINVAL ? 0 : 3);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	sbuf_release(&sql);
	ck_assert_msg(WIFEXITED(status), "the import died of signal %d",
		      WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(dropped_parts_are_warned)
{
	static const char sql[] =
	    "CREATE TABLE p (id int PRIMARY KEY, k int);\n"
	    "CREATE TABLE q (\n"
	    "  p_id int NOT NULL REFERENCES p ON DELETE SET NULL,\n"
	    "  k int REFERENCES p (k),\n"
	    "  g int GENERATED ALWAYS AS (p_id * 2) STORED\n"
	    ");\n"
	    "ALTER TABLE q ADD CONSTRAINT q_x FOREIGN KEY (k) REFERENCES nowhere (id);\n"
	    "ALTER TABLE q ALTER COLUMN nope SET NOT NULL;\n"
	    "ALTER TABLE missing ADD COLUMN x int;\n"
	    "ALTER TABLE IF EXISTS missing ADD COLUMN x int;\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	/* p.k is not unique: that is the registry's cross check to report,
	 * the key itself is imported as written */
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:5:9: warning: generated column 'g' of 'q' imported as a plain column\n"
	    "in.sql:8:13: warning: ALTER TABLE 'q' names unknown column 'nope'; ignored\n"
	    "in.sql:9:13: warning: ALTER TABLE of unknown table 'missing' ignored\n"
	    "in.sql:3:21: warning: foreign key of 'q' not imported: SET NULL on NOT NULL "
	    "column 'p_id'\n"
	    "in.sql:7:19: warning: foreign key of 'q' not imported: table 'nowhere' is "
	    "unknown\n");
	const struct reg_schema *q = schema(&r, "q");
	ck_assert_uint_eq(q->nrefs, 1);
	ck_assert_str_eq(q->refs[0].columns.items[0], "k");
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

START_TEST(inherits_partitions_drop)
{
	static const char sql[] =
	    "DROP TABLE IF EXISTS m;\n"
	    "CREATE TABLE m (id int NOT NULL, at date DEFAULT now(), PRIMARY KEY (id, at))\n"
	    "  PARTITION BY RANGE (at);\n"
	    "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
	    "CREATE TABLE child (extra text) INHERITS (m);\n"
	    "CREATE TABLE gone (id int);\n"
	    "DROP TABLE gone, nothing;\n"
	    "CREATE TEMP TABLE scratch (id int);\n";
	struct result r;
	run_import(sql, NULL, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(
	    r.diag_text,
	    "in.sql:2:14: note: partitioning of 'm' is not represented\n"
	    "in.sql:4:14: note: partition 'm_2024' of 'm' imported as a plain table with "
	    "its columns\n"
	    "in.sql:5:14: note: table 'child' imported with the columns it inherits from "
	    "'m'; inheritance is not represented\n");
	ASSERT_NAMES(&r, "child m m_2024");
	const struct reg_schema *c = schema(&r, "child");
	ck_assert_uint_eq(c->ncolumns, 3);
	ck_assert_str_eq(c->columns[1].name, "at");
	ck_assert_str_eq(c->columns[1].default_expr, "now()");
	ck_assert(!c->columns[0].nullable);
	ck_assert(!c->columns[0].primary_key); /* keys are not inherited */
	ck_assert_str_eq(c->columns[2].name, "extra");
	char *ign = ignored_of(&r);
	ck_assert_str_eq(ign, "1 CREATE TEMP TABLE");
	free(ign);
	assert_reloads(&r);
	result_release(&r);
}
END_TEST

/* ---- the registry's own views over an import ---- */

START_TEST(cycle_found_and_order)
{
	static const char sql[] =
	    "CREATE TABLE clusters (id int PRIMARY KEY, upgrade_id int);\n"
	    "CREATE TABLE upgrade (id int PRIMARY KEY, cluster_id int REFERENCES clusters);\n"
	    "CREATE TABLE hosts (id int PRIMARY KEY, cluster_id int REFERENCES clusters (id));\n"
	    "ALTER TABLE clusters ADD CONSTRAINT fk_up FOREIGN KEY (upgrade_id) REFERENCES upgrade "
	    "(id);\n";
	struct result r;
	struct reg_registry *reg = reg_registry_new();
	struct reg_graph g;
	struct reg_cycles cy;
	struct reg_order o;
	run_import(sql, NULL, &r);
	ck_assert_str_eq(r.diag_text, "");
	for (size_t i = 0; i < r.imp.n; i++) {
		ck_assert_int_eq(reg_register(reg, r.imp.schemas[i]), 0);
		r.imp.schemas[i] = NULL;
	}
	r.imp.n = 0;
	ck_assert_int_eq(reg_graph_build(reg, &g), 0);
	ck_assert_int_eq(reg_graph_cycles(&g, &cy), 0);
	ck_assert_uint_eq(cy.n, 1);
	ck_assert_uint_eq(cy.lens[0], 3);
	ck_assert_str_eq(reg->schemas[cy.paths[0][0]]->name, "clusters");
	ck_assert_str_eq(reg->schemas[cy.paths[0][1]]->name, "upgrade");
	ck_assert_int_eq(reg_graph_order(&g, reg, &o), 0);
	ck_assert_str_eq(reg->schemas[o.order[2]]->name, "hosts");
	reg_graph_order_release(&o);
	reg_graph_cycles_release(&cy);
	reg_graph_release(&g);
	reg_registry_free(reg);
	result_release(&r);
}
END_TEST

static Suite *ddl_import_suite(void)
{
	Suite *s = suite_create("ddl_import");
	TCase *tc = tcase_create("fixtures");
	tcase_add_test(tc, create_table_columns_keys_defaults);
	tcase_add_test(tc, alter_table_adds_constraints);
	tcase_add_test(tc, create_index_plain_and_skipped);
	tcase_add_test(tc, schemas_map_to_prefixed_names);
	tcase_add_test(tc, only_schema_and_owner);
	tcase_add_test(tc, refused_names_are_errors_with_places);
	tcase_add_test(tc, registry_name_clash_first_wins);
	tcase_add_test(tc, syntax_error_reported_rest_imported);
	tcase_add_test(tc, unknown_word_statement_reported);
	tcase_add_test(tc, nul_byte_refused);
	tcase_add_test(tc, dropped_parts_are_warned);
	tcase_add_test(tc, deep_expression_does_not_crash);
	tcase_add_test(tc, inherits_partitions_drop);
	tcase_add_test(tc, cycle_found_and_order);
	suite_add_tcase(s, tc);
	TCase *cli = tcase_create("cli");
	tcase_add_checked_fixture(cli, tu_tmpdir_setup, tu_tmpdir_teardown);
	tcase_add_test(cli, unknown_word_statement_cli);
	tcase_add_test(cli, cli_options);
	suite_add_tcase(s, cli);
	return s;
}

int main(void)
{
	return tu_run(ddl_import_suite());
}
