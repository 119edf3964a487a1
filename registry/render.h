/*
 * render: every derived view as text. Each function appends to out and
 * returns 0 or REG_ENOMEM. Plain forms are line- or tab-separated for grep,
 * cut and awk; JSON twins are for jq. All output is deterministic.
 */
#ifndef SCHEMAFS_RENDER_H
#define SCHEMAFS_RENDER_H

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
/* Mermaid erDiagram accepted by mermaid 11. */
int render_erd_mermaid(const struct reg_registry *r, struct sbuf *out);
/* Graphviz DOT of the same diagram. */
int render_erd_dot(const struct reg_registry *r, struct sbuf *out);
/* Appends s as a JSON string literal (quotes included). */
int render_json_string(struct sbuf *out, const char *s);

#endif
