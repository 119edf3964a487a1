/*
 * sbuf: the growable string buffer every renderer writes into.
 *
 * Invariants (as in git's strbuf):
 *  - buf is never NULL and always NUL-terminated, so it can be printed at
 *    any time; an empty buffer points at a shared static "".
 *  - len is the number of bytes before the terminating NUL; the buffer may
 *    hold NUL bytes of its own (len is authoritative, not strlen).
 *  - the buffer owns buf; sbuf_detach() hands ownership to the caller and
 *    leaves the sbuf empty and reusable.
 *
 * Errors, in the manner of stdio's ferror(): the first failure (REG_ENOMEM
 * when memory runs out, REG_EINVAL for a bad format) is remembered in err.
 * Every appender returns it, and once it is set every later appender is a
 * no-op that returns it again, leaving the bytes as they were before the
 * failure. So a renderer appends without checking each call and returns
 * sbuf_error(out) once at the end. sbuf_reset and sbuf_release clear it.
 */
#ifndef SCHEMAFS_SBUF_H
#define SCHEMAFS_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t alloc; /* 0 while buf points at the static empty string */
	int err;      /* the first failed append (REG_E*), 0 while none */
};

extern char sbuf_empty[];
#define SBUF_INIT { sbuf_empty, 0, 0, 0 }

void sbuf_init(struct sbuf *sb);
/* Frees the storage; the sbuf is empty and reusable afterwards. */
void sbuf_release(struct sbuf *sb);
/* Empties without freeing (keeps capacity); clears err. */
void sbuf_reset(struct sbuf *sb);
/* Makes room for extra more bytes (plus the NUL). */
int sbuf_grow(struct sbuf *sb, size_t extra);
int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_adds(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, char c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* 0, or the first error an appender met since init/reset/release. */
static inline int sbuf_error(const struct sbuf *sb)
{
	return sb->err;
}
/* Records err as the buffer's error when none is recorded yet (a renderer
 * that fails for a reason of its own, so the caller sees one error).
 * Returns the recorded error. */
int sbuf_fail(struct sbuf *sb, int err);
/* Returns a malloc'd copy the caller frees; never NULL unless out of memory
 * (then NULL). For an empty buffer, returns a malloc'd "". The sbuf is reset. */
char *sbuf_detach(struct sbuf *sb, size_t *len_out);

#endif
