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
 * Allocation failure: all appenders return 0 on success and REG_ENOMEM
 * (negative) when memory runs out; the buffer is then left unchanged.
 */
#ifndef SCHEMAFS_SBUF_H
#define SCHEMAFS_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t alloc; /* 0 while buf points at the static empty string */
};

extern char sbuf_empty[];
#define SBUF_INIT { sbuf_empty, 0, 0 }

void sbuf_init(struct sbuf *sb);
/* Frees the storage; the sbuf is empty and reusable afterwards. */
void sbuf_release(struct sbuf *sb);
/* Empties without freeing (keeps capacity). */
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
/* Returns a malloc'd copy the caller frees; never NULL unless out of memory
 * (then NULL). For an empty buffer, returns a malloc'd "". The sbuf is reset. */
char *sbuf_detach(struct sbuf *sb, size_t *len_out);

#endif
