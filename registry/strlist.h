/*
 * strlist: the one list of strings of the core, in the manner of git's
 * string_list: a growable array of malloc'd, NUL-terminated strings that
 * the list owns.
 *
 * Sorted lists: strlist_sort() then strlist_uniq() give a set; bsearch it
 * with strlist_find_sorted(). Order is byte order (strcmp), so listings
 * are the same on every machine and locale.
 *
 * Errors: functions that allocate return 0 or REG_ENOMEM and leave the list
 * as it was. Not thread-safe.
 */
#ifndef SCHEMAFS_STRLIST_H
#define SCHEMAFS_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

struct strlist {
	char **items; /* owned; NULL while empty */
	size_t n, alloc;
};

#define STRLIST_INIT { NULL, 0, 0 }

void strlist_init(struct strlist *l);
/* Frees every item and the array; the list is empty and reusable. */
void strlist_release(struct strlist *l);
/* Appends a copy of s. */
int strlist_push(struct strlist *l, const char *s);
/* Appends a copy of the len bytes at s (a NUL is added). */
int strlist_pushn(struct strlist *l, const char *s, size_t len);
/* Appends s itself: the list takes ownership, also on failure (then s is
 * freed). */
int strlist_push_owned(struct strlist *l, char *s);
/* Sorts in byte order. */
void strlist_sort(struct strlist *l);
/* On a sorted list: removes repeated items (freeing them). */
void strlist_uniq(struct strlist *l);
/* Index of s in a sorted list, or -1. */
long strlist_find_sorted(const struct strlist *l, const char *s);
/* Index of the first item equal to s, or -1 (a linear scan). */
long strlist_find(const struct strlist *l, const char *s);
/* Appends the pieces of text between each sep (a trailing sep adds no
 * empty piece; empty pieces in between are kept unless skip_empty). */
int strlist_split(struct strlist *l, const char *text, char sep, bool skip_empty);
/* Appends the items to out, sep between them. Returns sbuf_error(out). */
int strlist_join(const struct strlist *l, const char *sep, struct sbuf *out);

#endif
