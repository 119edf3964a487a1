/*
 * render_svg: the ERDs as SVG, laid out by Graphviz's dot through libgvc.
 * This is the one place that links Graphviz; the mount (erd.svg, erd/) and
 * the CLI (`schemafs erd --svg`) both come here.
 *
 * Graphviz keeps process-wide state (its error handler, the plugins a
 * context loads), so one context serves the process and calls are
 * serialized by a mutex; loading the plugins once saves each rendering
 * that cost.
 */
#include "render.h"
#include "render_int.h"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>
#include <pthread.h>

static pthread_mutex_t svg_lock = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *svg_gvc;

/* Graphviz's messages would go to stderr; a failed layout is reported as
 * REG_EIO instead. */
static int svg_quiet(char *msg)
{
	(void)msg;
	return 0;
}

static int svg_locked(const char *dot, struct sbuf *out)
{
	char *svg = NULL;
	unsigned int len = 0;
	int err = REG_EIO;

	if (!svg_gvc) {
		agseterrf(svg_quiet);
		if (!(svg_gvc = gvContext()))
			return REG_ENOMEM;
	}
	Agraph_t *g = agmemread(dot);
	if (!g)
		return REG_EIO;
	if (gvLayout(svg_gvc, g, "dot"))
		goto out_graph;
	if (!gvRenderData(svg_gvc, g, "svg", &svg, &len)) {
		err = sbuf_add(out, svg, len);
		gvFreeRenderData(svg);
	}
	gvFreeLayout(svg_gvc, g);
out_graph:
	agclose(g);
	return err;
}

int render_svg_of_dot(const char *dot, struct sbuf *out)
{
	pthread_mutex_lock(&svg_lock);
	int err = svg_locked(dot, out);
	pthread_mutex_unlock(&svg_lock);
	return err;
}

void render_svg_release(void)
{
	pthread_mutex_lock(&svg_lock);
	if (svg_gvc)
		gvFreeContext(svg_gvc);
	svg_gvc = NULL;
	pthread_mutex_unlock(&svg_lock);
}

/* The DOT of a selection, drawn. */
static int svg_sel(const struct render_erd_sel *sel, bool compact, struct sbuf *out)
{
	struct sbuf dot = SBUF_INIT;
	int err = render_erd_dot_sel(sel, compact, &dot);
	if (!err)
		err = render_svg_of_dot(dot.buf, out);
	sbuf_release(&dot);
	return err;
}

/* Above RENDER_SVG_MAX tables even the compact layout takes longer than
 * anyone waits (and the mount renders under its lock): a notice says
 * where the drawings are. */
static int svg_auto(const struct render_erd_sel *sel, struct sbuf *out)
{
	if (sel->n <= RENDER_SVG_MAX)
		return svg_sel(sel, sel->n > RENDER_SVG_FULL_MAX, out);
	sbuf_addf(out,
		  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"40\">"
		  "<text x=\"10\" y=\"25\">%zu tables are too many for one drawing (limit %d): "
		  "see erd/service/*.svg and erd/&lt;table&gt;.svg</text></svg>\n",
		  sel->n, RENDER_SVG_MAX);
	return sbuf_error(out);
}

int render_erd_svg(const struct reg_registry *r, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_all(r, &sel), &sel, svg_auto, out);
}

int render_erd_svg_table(const struct reg_registry *r, const char *name, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_table(r, NULL, name, &sel), &sel, svg_auto, out);
}

int render_erd_svg_service(const struct reg_registry *r, const char *service, struct sbuf *out)
{
	struct render_erd_sel sel;
	return render_erd_with_sel(render_erd_sel_service(r, service, &sel), &sel, svg_auto, out);
}
