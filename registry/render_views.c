/*
 * render_views: the catalogue of views (render.h). A row per file the
 * mount serves and per form the CLI prints, pointing at its renderer, so
 * that neither front end writes a wrapper per view.
 */
#include "render.h"

#include <string.h>

const struct render_view render_views[RENDER_NVIEWS] = {
	[RENDER_VIEW_ORDER] = { "order", RENDER_FORM_TEXT, .all = render_order },
	[RENDER_VIEW_ORDER_JSON] = { "order", RENDER_FORM_JSON, .all = render_order_json },
	[RENDER_VIEW_GRAPH] = { "graph", RENDER_FORM_TEXT, .all = render_graph },
	[RENDER_VIEW_GRAPH_JSON] = { "graph", RENDER_FORM_JSON, .all = render_graph_json },
	[RENDER_VIEW_CYCLES] = { "cycles", RENDER_FORM_TEXT, .all = render_cycles },
	[RENDER_VIEW_CYCLES_JSON] = { "cycles", RENDER_FORM_JSON, .all = render_cycles_json },
	[RENDER_VIEW_DEPENDENTS] = { "dependents", RENDER_FORM_TEXT, .one = render_dependents },
	[RENDER_VIEW_DEPENDENT_JSON] = { "dependents", RENDER_FORM_JSON,
					 .one = render_dependent_json },
	[RENDER_VIEW_DEPENDENTS_JSON] = { "dependents", RENDER_FORM_JSON,
					  .all = render_dependents_json },
	[RENDER_VIEW_DOCS] = { "docs", RENDER_FORM_TEXT, .all = render_docs },
	[RENDER_VIEW_ERD_MERMAID] = { "erd", RENDER_FORM_TEXT, .all = render_erd_mermaid },
	[RENDER_VIEW_ERD_DOT] = { "erd", RENDER_FORM_DOT, .all = render_erd_dot },
	[RENDER_VIEW_ERD_SVG] = { "erd", RENDER_FORM_SVG, .all = render_erd_svg },
	[RENDER_VIEW_ERD_TABLE_MERMAID] = { "erd", RENDER_FORM_TEXT,
					    .one = render_erd_mermaid_table },
	[RENDER_VIEW_ERD_TABLE_DOT] = { "erd", RENDER_FORM_DOT, .one = render_erd_dot_table },
	[RENDER_VIEW_ERD_TABLE_SVG] = { "erd", RENDER_FORM_SVG, .one = render_erd_svg_table },
	[RENDER_VIEW_ERD_SERVICE_MERMAID] = { "erd", RENDER_FORM_TEXT,
					      .one = render_erd_mermaid_service,
					      .of = RENDER_OF_SERVICE },
	[RENDER_VIEW_ERD_SERVICE_DOT] = { "erd", RENDER_FORM_DOT, .one = render_erd_dot_service,
					  .of = RENDER_OF_SERVICE },
	[RENDER_VIEW_ERD_SERVICE_SVG] = { "erd", RENDER_FORM_SVG, .one = render_erd_svg_service,
					  .of = RENDER_OF_SERVICE },
};

int render_view_run(const struct render_view *v, const struct reg_registry *r,
		    const char *name, struct sbuf *out)
{
	if (!v->one)
		return v->all(r, out);
	if (!name || (v->of == RENDER_OF_SCHEMA && reg_find(r, name) < 0))
		return REG_ENOENT;
	return v->one(r, name, out); /* a service's renderer says whether it has tables */
}

const struct render_view *render_view_find(const char *command, enum render_view_form form,
					   bool named)
{
	for (size_t i = 0; i < RENDER_NVIEWS; i++) {
		const struct render_view *v = &render_views[i];
		if (!strcmp(v->command, command) && v->form == form && !!v->one == named &&
		    v->of == RENDER_OF_SCHEMA)
			return v;
	}
	return NULL;
}

const struct render_view *render_view_find_service(const char *command,
						   enum render_view_form form)
{
	for (size_t i = 0; i < RENDER_NVIEWS; i++) {
		const struct render_view *v = &render_views[i];
		if (!strcmp(v->command, command) && v->form == form && v->one &&
		    v->of == RENDER_OF_SERVICE)
			return v;
	}
	return NULL;
}
