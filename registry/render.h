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
 * The same file in parts, for a caller that keeps the parts of the tables
 * a change did not touch (the mount): render_docs() is render_docs_head()
 * followed by render_docs_table() of every table, in registry order, and
 * render_docs_head() is render_docs_title(), render_docs_toc_row() of every
 * table, render_docs_toc_end(). A render_docs borrows r, which must not
 * change while it lives; the caller frees it with render_docs_free().
 *
 * The keys say what a part is made of: a table of contents row, of the
 * schema's bytes; a table's section, of those and of the bytes of every
 * schema referencing it, of which of its references resolve, and of what
 * its diagram draws of each table it references (that table's key columns
 * and the referenced ones). Equal
 * keys, equal parts (up to a 64-bit hash collision). False when there is
 * no key: a schema was built without bytes (model.h: source NULL), or out
 * of memory; render the part then.
 */
struct render_docs;
int render_docs_new(const struct reg_registry *r, struct render_docs **out);
void render_docs_free(struct render_docs *d);
/* Title, description, table count and table of contents. */
int render_docs_head(const struct render_docs *d, struct sbuf *out);
int render_docs_title(const struct render_docs *d, struct sbuf *out);
int render_docs_toc_row(const struct render_docs *d, size_t t, struct sbuf *out);
int render_docs_toc_end(const struct render_docs *d, struct sbuf *out);
int render_docs_table(const struct render_docs *d, size_t t, struct sbuf *out);
bool render_docs_toc_row_key(struct render_docs *d, size_t t, uint64_t *key);
bool render_docs_table_key(struct render_docs *d, size_t t, uint64_t *key);
/* The keys rest on a hash of every schema's bytes, computed at the first
 * key asked for. A caller that knows which schemas changed since it last
 * computed them may hand them in instead: hash[i] for r->schemas[i], as
 * render_docs_schema_hash() gives it (false: the schema has no bytes). */
bool render_docs_schema_hash(const struct reg_schema *s, uint64_t *hash);
int render_docs_use_hashes(struct render_docs *d, const uint64_t *hash);
/*
 * ERDs (docs/views.md): Mermaid erDiagram accepted by mermaid 10, 11 and
 * 12 (render_erd.c), Graphviz DOT (render_erd_dot.c) and SVG laid out by
 * Graphviz (render_svg.c), each of every table, of one table's
 * neighbourhood (_table: the table with all its columns, what it
 * references and what references it with their keys and the columns of the
 * relationships) or of one service (_service: the tables it owns, and
 * their neighbours as in _table). _table returns REG_ENOENT when r has no
 * table name, _service when no table has that owner.
 */
int render_erd_mermaid(const struct reg_registry *r, struct sbuf *out);
int render_erd_mermaid_table(const struct reg_registry *r, const char *name, struct sbuf *out);
int render_erd_mermaid_service(const struct reg_registry *r, const char *service,
			       struct sbuf *out);
int render_erd_dot(const struct reg_registry *r, struct sbuf *out);
int render_erd_dot_table(const struct reg_registry *r, const char *name, struct sbuf *out);
int render_erd_dot_service(const struct reg_registry *r, const char *service, struct sbuf *out);
/* Above this many tables in one drawing, the SVG draws one box per table
 * (clustered by owner, no columns): dot's layout of every column row
 * takes longer than anyone waits for a `cat` (docs/views.md, measured). */
#define RENDER_SVG_FULL_MAX 500
/* Above this many, even that takes too long (3,000 tables: 6 s): the SVG
 * is a notice pointing at the services' and the tables' drawings. */
#define RENDER_SVG_MAX 2000
/* REG_EIO when Graphviz refuses the DOT or fails to lay it out. */
int render_erd_svg(const struct reg_registry *r, struct sbuf *out);
int render_erd_svg_table(const struct reg_registry *r, const char *name, struct sbuf *out);
int render_erd_svg_service(const struct reg_registry *r, const char *service, struct sbuf *out);
/* dot's SVG of a DOT text. Graphviz has process-wide state: one context is
 * kept for the process and calls are serialized; render_svg_release()
 * frees it (a later call makes a new one). */
int render_svg_of_dot(const char *dot, struct sbuf *out);
void render_svg_release(void);

/*
 * ---- the catalogue of views ----
 *
 * Every view of a registry alone, once, for every front end: the CLI
 * (`schemafs COMMAND DIR [NAME] [--json|--dot]`) picks a row by its
 * command word, form and whether a schema is named; the mount's route
 * table names rows by id (fs/fs_views.c). A row renders the whole registry
 * (all) or one part of it (one, given the name of a schema, or of a
 * service: an owner, when of says so; the CLI's --service).
 */
enum render_view_form {
	RENDER_FORM_TEXT,
	RENDER_FORM_JSON, /* the CLI's --json */
	RENDER_FORM_DOT,  /* the CLI's --dot */
	RENDER_FORM_SVG,  /* the CLI's --svg */
};

enum render_view_id {
	RENDER_VIEW_ORDER,
	RENDER_VIEW_ORDER_JSON,
	RENDER_VIEW_GRAPH,
	RENDER_VIEW_GRAPH_JSON,
	RENDER_VIEW_CYCLES,
	RENDER_VIEW_CYCLES_JSON,
	RENDER_VIEW_DEPENDENTS,      /* of one schema */
	RENDER_VIEW_DEPENDENT_JSON,  /* of one schema */
	RENDER_VIEW_DEPENDENTS_JSON, /* of every schema */
	RENDER_VIEW_DOCS,
	RENDER_VIEW_ERD_MERMAID,
	RENDER_VIEW_ERD_DOT,
	RENDER_VIEW_ERD_SVG,
	RENDER_VIEW_ERD_TABLE_MERMAID,   /* of one schema */
	RENDER_VIEW_ERD_TABLE_DOT,       /* of one schema */
	RENDER_VIEW_ERD_TABLE_SVG,       /* of one schema */
	RENDER_VIEW_ERD_SERVICE_MERMAID, /* of one service */
	RENDER_VIEW_ERD_SERVICE_DOT,     /* of one service */
	RENDER_VIEW_ERD_SERVICE_SVG,     /* of one service */
	RENDER_NVIEWS
};

struct render_view {
	const char *command; /* "order" */
	enum render_view_form form;
	/* exactly one of the two is set */
	int (*all)(const struct reg_registry *r, struct sbuf *out);
	int (*one)(const struct reg_registry *r, const char *name, struct sbuf *out);
	enum render_view_of { RENDER_OF_SCHEMA, RENDER_OF_SERVICE } of; /* what one names */
};

/* Indexed by enum render_view_id. */
extern const struct render_view render_views[RENDER_NVIEWS];

/* Appends v's rendering of r; name is the schema (or service) of a view of
 * one (ignored otherwise). Returns 0, REG_ENOENT when r has no schema name
 * (no table owned by service name), REG_ENOMEM, or the renderer's error. */
int render_view_run(const struct render_view *v, const struct reg_registry *r,
		    const char *name, struct sbuf *out);
/* The row of command in form, of one schema (named) or of all; NULL: none. */
const struct render_view *render_view_find(const char *command, enum render_view_form form,
					   bool named);
/* The row of command in form of one service; NULL: none. */
const struct render_view *render_view_find_service(const char *command,
						   enum render_view_form form);

/* User text on a line of a plain (line- and tab-separated) view: line
 * breaks and tabs as \\n, \\t, \\r, other control characters as \\xNN, so
 * no text can forge a line or a field. NULL is "". Errors: sbuf_error. */
void render_plain(struct sbuf *out, const char *text);

#endif
