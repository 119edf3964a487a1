#include "text.h"

#include <stdlib.h>

size_t text_utf8_len(const char *str, size_t len, size_t i)
{
	const unsigned char *b = (const unsigned char *)str;
	unsigned char c0 = b[i], lo = 0x80, hi = 0xbf;
	size_t n;
	if (c0 < 0x80)
		return 1;
	if (c0 >= 0xc2 && c0 <= 0xdf)
		n = 2;
	else if (c0 >= 0xe0 && c0 <= 0xef) {
		n = 3;
		if (c0 == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c0 == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c0 >= 0xf0 && c0 <= 0xf4) {
		n = 4;
		if (c0 == 0xf0)
			lo = 0x90; /* overlong */
		else if (c0 == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0;
	if (i + n > len || b[i + 1] < lo || b[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < n; k++)
		if (b[i + k] < 0x80 || b[i + k] > 0xbf)
			return 0;
	return n;
}

size_t text_utf8_decode(const char *str, size_t len, size_t i, uint32_t *cp)
{
	const unsigned char *b = (const unsigned char *)str;
	size_t n = text_utf8_len(str, len, i);
	if (!n)
		return 0;
	static const unsigned char first_mask[5] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	uint32_t c = b[i] & first_mask[n];
	for (size_t k = 1; k < n; k++)
		c = (c << 6) | (b[i + k] & 0x3f);
	*cp = c;
	return n;
}

bool text_utf8_valid(const char *s, size_t len, size_t *bad)
{
	for (size_t i = 0; i < len;) {
		size_t w = text_utf8_len(s, len, i);
		if (!w) {
			if (bad)
				*bad = i;
			return false;
		}
		i += w;
	}
	return true;
}

size_t text_utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

size_t text_utf8_cut(const char *s, size_t n)
{
	/* back up over continuation bytes to the start of the last sequence */
	size_t m = n;
	while (m && ((unsigned char)s[m - 1] & 0xc0) == 0x80 && n - m < 3)
		m--;
	if (m && (unsigned char)s[m - 1] >= 0xc0) {
		size_t start = m - 1;
		return text_utf8_len(s, n, start) == n - start ? n : start;
	}
	return n;
}

/* Width of the line break at b[i], 0 when there is none. */
static size_t break_at(const char *str, size_t len, size_t i, enum text_breaks breaks)
{
	const unsigned char *b = (const unsigned char *)str;
	if (b[i] == '\n')
		return 1;
	if (breaks == TEXT_BREAKS_LF)
		return 0;
	if (b[i] == '\r')
		return (i + 1 < len && b[i + 1] == '\n') ? 2 : 1;
	/* NEL, LS and PS end lines for libyaml (YAML 1.1) */
	if (b[i] == 0xc2 && i + 1 < len && b[i + 1] == 0x85)
		return 2;
	if (b[i] == 0xe2 && i + 2 < len && b[i + 1] == 0x80 &&
	    (b[i + 2] == 0xa8 || b[i + 2] == 0xa9))
		return 3;
	return 0;
}

static size_t first_char(const char *b, size_t len, enum text_breaks breaks)
{
	/* libyaml does not count the BOM */
	if (breaks == TEXT_BREAKS_YAML && len >= 3 && (unsigned char)b[0] == 0xef &&
	    (unsigned char)b[1] == 0xbb && (unsigned char)b[2] == 0xbf)
		return 3;
	return 0;
}

/* Columns from line start s to off: one per character, an invalid byte
 * counting as one. */
static uint32_t columns(const char *src, size_t len, size_t s, size_t off)
{
	uint32_t col = 1;
	for (size_t i = s; i < off && i < len; col++) {
		size_t w = text_utf8_len(src, len, i);
		i += w ? w : 1;
	}
	return col;
}

int text_lines_init(struct text_lines *tl, const char *src, size_t len, enum text_breaks breaks)
{
	size_t cap = 64, n = 0;
	size_t *starts = malloc(cap * sizeof(*starts));
	if (!starts)
		return REG_ENOMEM;
	starts[n++] = first_char(src, len, breaks);
	for (size_t i = starts[0]; i < len;) {
		size_t w = break_at(src, len, i, breaks);
		if (!w) {
			i++;
			continue;
		}
		i += w;
		if (n == cap) {
			size_t *p = realloc(starts, 2 * cap * sizeof(*starts));
			if (!p) {
				free(starts);
				return REG_ENOMEM;
			}
			starts = p;
			cap *= 2;
		}
		starts[n++] = i;
	}
	*tl = (struct text_lines){ src, len, starts, n };
	return 0;
}

void text_lines_release(struct text_lines *tl)
{
	free(tl->starts);
	*tl = (struct text_lines){ 0 };
}

struct reg_loc text_lines_loc(const struct text_lines *tl, size_t off)
{
	size_t lo = 0, hi = tl->n;
	if (off > tl->len)
		off = tl->len;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tl->starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return (struct reg_loc){ (uint32_t)lo + 1, columns(tl->src, tl->len, tl->starts[lo], off) };
}

struct reg_loc text_loc(const char *src, size_t len, size_t off, enum text_breaks breaks)
{
	struct reg_loc loc = { 1, 1 };
	size_t line_start = first_char(src, len, breaks);
	if (off > len)
		off = len;
	for (size_t i = line_start; i < off;) {
		size_t w = break_at(src, len, i, breaks);
		if (w) {
			loc.line++;
			i += w;
			line_start = i;
		} else
			i++;
	}
	loc.col = columns(src, len, line_start, off);
	return loc;
}
