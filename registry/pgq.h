/*
 * pgq: calling libpg_query and reading the JSON trees it returns.
 * Internal to registry/ (sqlcheck, sqlscript, plan, ddl_import).
 *
 * libpg_query writes its tree to JSON with one C recursion per tree level,
 * and a level can cost two bytes of text ("1+1+1..."): a long enough text
 * overflows any fixed stack and kills the process. pgq_parse() runs a long
 * text on a thread whose stack grows with the text, so no input can.
 *
 * The readers never assert on an unexpected shape: a missing key, a wrong
 * kind or an index past the end reads as NULL / 0 / -1.
 */
#ifndef SCHEMAFS_PGQ_H
#define SCHEMAFS_PGQ_H

#include <json-c/json.h>
#include <pg_query.h>
#include <stdbool.h>
#include <stddef.h>

/* pg_query_parse(sql) with a stack big enough for sql; the caller frees
 * the result with pg_query_free_parse_result() as usual. */
PgQueryParseResult pgq_parse(const char *sql);

/* The tree as json-c objects (caller puts it), NULL when deeper than
 * PGQ_JSON_MAX_DEPTH or out of memory. json-c's own default (32) is less
 * than a dozen nested function calls need; the limit also bounds the
 * recursion of every walk over the tree. */
#define PGQ_JSON_MAX_DEPTH 2000
json_object *pgq_json(const char *parse_tree);

json_object *pgq_get(json_object *o, const char *key);
const char *pgq_get_str(json_object *o, const char *key);
bool pgq_get_bool(json_object *o, const char *key);
/* The node's own "location", -1 when absent. */
int pgq_get_loc(json_object *o);
size_t pgq_arr_len(json_object *a);
json_object *pgq_arr_at(json_object *a, size_t i);
/* A node is {"NodeType": {...}}: its type name, and the body in *body. */
const char *pgq_node_type(json_object *node, json_object **body);
/* The body when node is of the given type, else NULL. */
json_object *pgq_node_as(json_object *node, const char *type);
/* The sval of a {"String": {"sval": ...}} node. */
const char *pgq_string_node(json_object *node);
/* The smallest "location" anywhere under o, or -1: where a clause starts. */
int pgq_first_location(json_object *o);

#endif
