#include "jsonw.h"
#include "diag.h"
#include "text.h"

#include <inttypes.h>
#include <string.h>

void jsonw_init_layout(struct jsonw *w, struct sbuf *out, enum jsonw_layout layout)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->layout = layout;
}

void jsonw_init(struct jsonw *w, struct sbuf *out)
{
	jsonw_init_layout(w, out, JSONW_COMPACT);
}

/* What goes before an element of the current container (or a key). */
static void separate(struct jsonw *w)
{
	bool lines = w->layout == JSONW_LINES && w->depth == 1;
	if (w->nonempty[w->depth])
		sbuf_adds(w->out, w->layout == JSONW_COMPACT || lines ? "," : ", ");
	if (lines)
		sbuf_adds(w->out, "\n  ");
	w->nonempty[w->depth] = true;
}

int jsonw_finish(struct jsonw *w)
{
	if (w->depth || w->after_key)
		sbuf_fail(w->out, REG_EINVAL);
	return sbuf_error(w->out);
}

/* Before any value: the comma between elements, nothing after a key. */
static void before_value(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth && w->closer[w->depth] == '}') {
		sbuf_fail(w->out, REG_EINVAL); /* a value in an object needs a key */
		return;
	}
	separate(w);
}

static void open_container(struct jsonw *w, char open, char close)
{
	before_value(w);
	if (w->depth == JSONW_MAX_DEPTH) {
		sbuf_fail(w->out, REG_EINVAL);
		return;
	}
	sbuf_addch(w->out, open);
	w->depth++;
	w->nonempty[w->depth] = false;
	w->closer[w->depth] = close;
}

void jsonw_obj(struct jsonw *w)
{
	open_container(w, '{', '}');
}

void jsonw_arr(struct jsonw *w)
{
	open_container(w, '[', ']');
}

void jsonw_end(struct jsonw *w)
{
	if (!w->depth || w->after_key) {
		sbuf_fail(w->out, REG_EINVAL);
		return;
	}
	if (w->layout == JSONW_LINES && w->depth == 1 && w->nonempty[1])
		sbuf_addch(w->out, '\n');
	sbuf_addch(w->out, w->closer[w->depth]);
	w->depth--;
}

void jsonw_key(struct jsonw *w, const char *key)
{
	if (!w->depth || w->closer[w->depth] != '}' || w->after_key) {
		sbuf_fail(w->out, REG_EINVAL);
		return;
	}
	separate(w);
	jsonw_quote(w->out, key, strlen(key));
	sbuf_adds(w->out, w->layout == JSONW_COMPACT ? ":" : ": ");
	w->after_key = true;
}

int jsonw_quote(struct sbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sbuf_addch(out, '"');
	size_t run = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t w = c < 0x80 ? 1 : text_utf8_len(s, n, i);
		if (c >= 0x20 && c != '"' && c != '\\' && w) {
			i += w;
			continue;
		}
		sbuf_add(out, s + run, i - run);
		switch (c) {
		case '"': sbuf_adds(out, "\\\""); break;
		case '\\': sbuf_adds(out, "\\\\"); break;
		case '\n': sbuf_adds(out, "\\n"); break;
		case '\r': sbuf_adds(out, "\\r"); break;
		case '\t': sbuf_adds(out, "\\t"); break;
		case '\b': sbuf_adds(out, "\\b"); break;
		case '\f': sbuf_adds(out, "\\f"); break;
		default:
			if (!w) /* not UTF-8: the replacement character */
				sbuf_adds(out, "\\ufffd");
			else {
				char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
				sbuf_adds(out, u);
			}
		}
		i += w ? w : 1;
		run = i;
	}
	sbuf_add(out, s + run, n - run);
	sbuf_addch(out, '"');
	return sbuf_error(out);
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	before_value(w);
	jsonw_quote(w->out, s, n);
}

void jsonw_str(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw_null(w);
		return;
	}
	jsonw_strn(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
	before_value(w);
	sbuf_addf(w->out, "%" PRId64, v);
}

void jsonw_uint(struct jsonw *w, uint64_t v)
{
	before_value(w);
	sbuf_addf(w->out, "%" PRIu64, v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
	before_value(w);
	sbuf_adds(w->out, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
	before_value(w);
	sbuf_adds(w->out, "null");
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
	jsonw_key(w, key);
	jsonw_str(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jsonw_key(w, key);
	jsonw_int(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
	jsonw_key(w, key);
	jsonw_bool(w, v);
}
