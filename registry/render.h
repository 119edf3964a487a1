/*
 * render: every derived view as text. Each function appends to out and
 * returns 0 or REG_ENOMEM. Plain forms are line- or tab-separated for grep,
 * cut and awk; JSON twins are for jq. All output is deterministic.
 */
#ifndef SCHEMAFS_RENDER_H
#define SCHEMAFS_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "registry.h"
#include "sbuf.h"

/* "<schema>: <dep> <dep>..." one schema per line (every schema, deps may be none). */
int render_graph(const struct reg_registry *r, struct sbuf *out);
int render_graph_json(const struct reg_registry *r, struct sbuf *out);
/* One schema per line, dependencies first. */
int render_order(const struct reg_registry *r, struct sbuf *out);
int render_order_json(const struct reg_registry *r, struct sbuf *out);
/* "a -> b -> a" per line; empty when none. */
int render_cycles(const struct reg_registry *r, struct sbuf *out);
int render_cycles_json(const struct reg_registry *r, struct sbuf *out);
/* Services depending on name, one per line, sorted. */
int render_dependents(const struct reg_registry *r, const char *name, struct sbuf *out);
/* {"users": {"services": [...], "references": [{"schema":..,"columns":[..],"foreign_key":[..]}]}, ...} */
int render_dependents_json(const struct reg_registry *r, struct sbuf *out);
/* The entry of one schema in that object:
 * {"services": [...], "references": [{"schema":..,"service":..,"columns":[..],"foreign_key":[..]}]} */
int render_dependent_json(const struct reg_registry *r, const char *name, struct sbuf *out);
/* One diagnostic per line (diags_render), and a JSON array twin. */
int render_validation_json(const struct diags *d, struct sbuf *out);
/* Markdown documentation of every table (GFM tables, escaped). */
int render_docs(const struct reg_registry *r, struct sbuf *out);
/*
 * The same file in parts, for a caller that keeps the sections of the
 * tables a change did not touch (the mount): render_docs() is
 * render_docs_head() followed by render_docs_table() of every table, in
 * registry order. A render_docs borrows r, which must not change while it
 * lives; the caller frees it with render_docs_free().
 *
 * render_docs_table_key() gives a key of everything table t's section is
 * made of (the bytes of the schema and of every schema referencing it,
 * which of its references resolve): equal keys, equal sections (up to a
 * 64-bit hash collision). False when there is no key: a schema was built
 * without bytes (model.h: source NULL), or out of memory; render it then.
 */
struct render_docs;
int render_docs_new(const struct reg_registry *r, struct render_docs **out);
void render_docs_free(struct render_docs *d);
/* Title, description, table count and table of contents. */
int render_docs_head(const struct render_docs *d, struct sbuf *out);
int render_docs_table(const struct render_docs *d, size_t t, struct sbuf *out);
bool render_docs_table_key(struct render_docs *d, size_t t, uint64_t *key);
/* Mermaid erDiagram accepted by mermaid 11. */
int render_erd_mermaid(const struct reg_registry *r, struct sbuf *out);
/* Graphviz DOT of the same diagram. */
int render_erd_dot(const struct reg_registry *r, struct sbuf *out);
/* Appends s as a JSON string literal (quotes included). */
int render_json_string(struct sbuf *out, const char *s);

#endif
