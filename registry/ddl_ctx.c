/* The state of one import: memory failure, diagnostics, what was ignored. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ddl_int.h"

void *ddl_ctx_oom(struct ddl_ctx *c)
{
	c->rc = REG_ENOMEM;
	return NULL;
}

char *ddl_ctx_strdup(struct ddl_ctx *c, const char *s)
{
	char *p = s ? strdup(s) : NULL;
	return s && !p ? ddl_ctx_oom(c) : p;
}

char *ddl_ctx_strndup(struct ddl_ctx *c, const char *s, size_t n)
{
	char *p = strndup(s, n);
	return p ? p : ddl_ctx_oom(c);
}

void *ddl_ctx_grow(struct ddl_ctx *c, void *arr, size_t n, size_t size)
{
	void *p = realloc(arr, (n + 1) * size);
	if (!p)
		return ddl_ctx_oom(c);
	memset((char *)p + n * size, 0, size);
	return p;
}

void ddl_ctx_push(struct ddl_ctx *c, struct reg_strlist *l, const char *s)
{
	if (!c->rc && reg_strlist_push(l, s, NULL))
		ddl_ctx_oom(c);
}

void ddl_ctx_push_names(struct ddl_ctx *c, json_object *arr, struct reg_strlist *l)
{
	for (size_t i = 0; i < pgq_arr_len(arr); i++) {
		const char *s = pgq_string_node(pgq_arr_at(arr, i));
		if (s)
			ddl_ctx_push(c, l, s);
	}
}

size_t ddl_ctx_at(const struct ddl_ctx *c, int loc)
{
	return loc < 0 ? c->base : c->base + (size_t)loc;
}

struct reg_loc ddl_ctx_loc(const struct ddl_ctx *c, size_t off)
{
	return text_lines_loc(&c->lines, off);
}

static void vreport(struct ddl_ctx *c, enum diag_severity sev, size_t off, const char *fmt,
		    va_list ap) __attribute__((format(printf, 4, 0)));

static void vreport(struct ddl_ctx *c, enum diag_severity sev, size_t off, const char *fmt,
		    va_list ap)
{
	if (!c->rc && diags_vadd(c->diags, c->file, ddl_ctx_loc(c, off), sev, fmt, ap))
		ddl_ctx_oom(c);
}

void ddl_ctx_report(struct ddl_ctx *c, enum diag_severity sev, size_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, sev, off, fmt, ap);
	va_end(ap);
}

void ddl_ctx_treport(struct ddl_ctx *c, const struct ddl_table *t, enum diag_severity sev,
		     size_t off, const char *fmt, ...)
{
	va_list ap;
	if (t->state == DDL_T_EXCLUDED)
		return;
	va_start(ap, fmt);
	vreport(c, sev, off, fmt, ap);
	va_end(ap);
}

void ddl_ctx_ignore(struct ddl_ctx *c, const char *what)
{
	struct ddl_import *o = c->out;
	if (c->rc)
		return;
	/* a few dozen kinds at most: a scan is enough */
	for (size_t i = 0; i < o->nignored; i++) {
		if (!strcmp(o->ignored[i].what, what)) {
			o->ignored[i].count++;
			return;
		}
	}
	struct ddl_ignored *g = ddl_ctx_grow(c, o->ignored, o->nignored, sizeof(*g));
	if (!g)
		return;
	o->ignored = g;
	if (!(g[o->nignored].what = ddl_ctx_strdup(c, what)))
		return;
	g[o->nignored++].count = 1;
}

void ddl_ctx_ignoref(struct ddl_ctx *c, const char *prefix, const char *kind)
{
	struct sbuf sb = SBUF_INIT;
	const char *u = kind ? strchr(kind, '_') : NULL;
	const char *p = u ? u + 1 : kind ? kind : "?";
	sbuf_adds(&sb, prefix);
	for (size_t i = 0; p[i]; i++) {
		char ch = p[i];
		if (ch == '_')
			ch = ' ';
		if (i && ch >= 'A' && ch <= 'Z' && p[i - 1] >= 'a' && p[i - 1] <= 'z')
			sbuf_addch(&sb, ' ');
		sbuf_addch(&sb, ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch);
	}
	if (sbuf_error(&sb))
		ddl_ctx_oom(c);
	else
		ddl_ctx_ignore(c, sb.buf);
	sbuf_release(&sb);
}
