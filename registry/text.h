/*
 * text: UTF-8 and places in text, the one implementation of each for the
 * whole core.
 *
 * UTF-8 is checked as RFC 3629 defines it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. Places are 1-based lines and
 * columns counted in characters (code points), as libyaml counts them, so
 * a diagnostic from any module points at the same column an editor shows.
 *
 * Line breaks: TEXT_BREAKS_LF counts only '\n' (SQL, what psql and
 * PostgreSQL count); TEXT_BREAKS_YAML also counts '\r', "\r\n" (as one),
 * NEL, LS and PS, and skips a leading BOM, as libyaml does.
 */
#ifndef SCHEMAFS_TEXT_H
#define SCHEMAFS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Length of the valid UTF-8 sequence at s[i] (of len bytes), 0 when the
 * bytes there are not one. */
size_t text_utf8_len(const char *s, size_t len, size_t i);
/* Decodes the sequence at s[i]; returns its length (0 when invalid, then
 * *cp is unset). */
size_t text_utf8_decode(const char *s, size_t len, size_t i, uint32_t *cp);
/* True when all len bytes are UTF-8; else false and *bad (when not NULL)
 * is the offset of the first byte that is not. */
bool text_utf8_valid(const char *s, size_t len, size_t *bad);
/* Characters in the first n bytes of valid UTF-8 (bytes that do not
 * continue a sequence). */
size_t text_utf8_chars(const char *s, size_t n);
/* The largest m <= n such that s[0..m) does not end inside a sequence:
 * where to cut a string for display. */
size_t text_utf8_cut(const char *s, size_t n);

enum text_breaks { TEXT_BREAKS_LF, TEXT_BREAKS_YAML };

/* An index of line starts, for many offset -> place lookups on one text
 * (O(log lines) each). The text is borrowed and must outlive the index. */
struct text_lines {
	const char *src;
	size_t len;
	size_t *starts; /* byte offset of each line's first character */
	size_t n;
};
/* 0 or REG_ENOMEM. */
int text_lines_init(struct text_lines *tl, const char *src, size_t len, enum text_breaks breaks);
void text_lines_release(struct text_lines *tl);
/* The place of byte offset off (clamped to the text's end). */
struct reg_loc text_lines_loc(const struct text_lines *tl, size_t off);

/* The same for a single lookup, without an index (O(off)). */
struct reg_loc text_loc(const char *src, size_t len, size_t off, enum text_breaks breaks);

#endif
