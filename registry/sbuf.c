#include "sbuf.h"
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb)
{
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->err = 0;
}

void sbuf_release(struct sbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sbuf_init(sb);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	sb->buf[0] = '\0';
	sb->err = 0;
}

int sbuf_fail(struct sbuf *sb, int err)
{
	if (!sb->err)
		sb->err = err;
	return sb->err;
}

int sbuf_grow(struct sbuf *sb, size_t extra)
{
	if (sb->err)
		return sb->err;
	size_t need = sb->len + extra + 1;
	if (need < sb->len)
		return sbuf_fail(sb, REG_ENOMEM);
	if (need <= sb->alloc)
		return 0;
	size_t alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < need)
		alloc = alloc < (SIZE_MAX / 2) ? alloc * 2 : need;
	char *p = realloc(sb->alloc ? sb->buf : NULL, alloc);
	if (!p)
		return sbuf_fail(sb, REG_ENOMEM);
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = alloc;
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	int rc = sbuf_grow(sb, len);
	if (rc)
		return rc;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_adds(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, char c)
{
	return sbuf_add(sb, &c, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	if (sb->err)
		return sb->err;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(sb->buf + sb->len, sb->alloc ? sb->alloc - sb->len : 0, fmt, cp);
	va_end(cp);
	if (n >= 0 && sb->alloc && (size_t)n < sb->alloc - sb->len) {
		sb->len += (size_t)n;
		return 0;
	}
	int rc = n < 0 ? sbuf_fail(sb, REG_EINVAL) : sbuf_grow(sb, (size_t)n);
	if (rc) {
		/* the first try may have written a cut-off copy past len */
		if (sb->alloc)
			sb->buf[sb->len] = '\0';
		return rc;
	}
	vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

char *sbuf_detach(struct sbuf *sb, size_t *len_out)
{
	char *res;
	if (len_out)
		*len_out = sb->len;
	if (!sb->alloc) {
		res = malloc(1);
		if (res)
			res[0] = '\0';
		return res;
	}
	res = sb->buf;
	sbuf_init(sb);
	return res;
}
