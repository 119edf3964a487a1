/*
 * jsonw: the one JSON writer of the core, streaming into an sbuf.
 *
 * The writer places commas and colons itself, so callers only say what
 * comes next: jsonw_obj(w) ... jsonw_key(w, "k"); jsonw_str(w, v) ...
 * jsonw_end(w). Strings are escaped as RFC 8259 requires, no more: '"',
 * '\\' and control characters (\n \r \t \b \f, the others as \u00XX);
 * other UTF-8 passes through readable. Bytes that are not UTF-8 are written
 * as U+FFFD, so the output is always valid JSON that jq accepts.
 *
 * Layout: jsonw_init() writes compact JSON (no blanks). jsonw_init_layout()
 * can also write JSONW_SPACED (", " between elements, ": " after a key, on
 * one line) or JSONW_LINES (spaced, and each element of the outermost
 * container on a line of its own, indented by two spaces, with the closer
 * on its own line): the views' layout, one record per line for grep and
 * diff. No layout writes a final newline.
 *
 * Errors: like every renderer, it appends through sbuf and leaves errors
 * in the sbuf (sbuf_error); nesting deeper than JSONW_MAX_DEPTH or a
 * misplaced call records REG_EINVAL there. jsonw_finish() returns it.
 */
#ifndef SCHEMAFS_JSONW_H
#define SCHEMAFS_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

#define JSONW_MAX_DEPTH 64

enum jsonw_layout { JSONW_COMPACT, JSONW_SPACED, JSONW_LINES };

struct jsonw {
	struct sbuf *out;
	enum jsonw_layout layout;
	unsigned depth;
	bool after_key;                    /* a key was written, its value is next */
	bool nonempty[JSONW_MAX_DEPTH + 1]; /* per level: an element was written */
	char closer[JSONW_MAX_DEPTH + 1];  /* per level: '}' or ']' */
};

void jsonw_init(struct jsonw *w, struct sbuf *out);
void jsonw_init_layout(struct jsonw *w, struct sbuf *out, enum jsonw_layout layout);
/* sbuf_error(out), or REG_EINVAL when a container is still open. */
int jsonw_finish(struct jsonw *w);

void jsonw_obj(struct jsonw *w);
void jsonw_arr(struct jsonw *w);
/* Closes the innermost object or array. */
void jsonw_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);

/* Values; jsonw_str of NULL writes null. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_uint(struct jsonw *w, uint64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);

/* key + value in one call. */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

/* A JSON string literal of the n bytes at s, quotes included, appended to
 * out (no writer needed). Returns sbuf_error(out). */
int jsonw_quote(struct sbuf *out, const char *s, size_t n);

#endif
