#include "strlist.h"
#include "diag.h"

#include <stdlib.h>
#include <string.h>

void strlist_init(struct strlist *l)
{
	*l = (struct strlist)STRLIST_INIT;
}

void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	strlist_init(l);
}

int strlist_push_owned(struct strlist *l, char *s)
{
	if (!s)
		return REG_ENOMEM;
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? l->alloc * 2 : 8;
		char **items = alloc > SIZE_MAX / sizeof(*items)
				       ? NULL
				       : realloc(l->items, alloc * sizeof(*items));
		if (!items) {
			free(s);
			return REG_ENOMEM;
		}
		l->items = items;
		l->alloc = alloc;
	}
	l->items[l->n++] = s;
	return 0;
}

int strlist_pushn(struct strlist *l, const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		return REG_ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	return strlist_push_owned(l, copy);
}

int strlist_push(struct strlist *l, const char *s)
{
	return strlist_pushn(l, s, strlen(s));
}

static int cmp_items(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_items);
}

void strlist_uniq(struct strlist *l)
{
	size_t o = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (o && !strcmp(l->items[o - 1], l->items[i]))
			free(l->items[i]);
		else
			l->items[o++] = l->items[i];
	}
	l->n = o;
}

long strlist_find_sorted(const struct strlist *l, const char *s)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(l->items[mid], s);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long strlist_find(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i], s))
			return (long)i;
	return -1;
}

int strlist_split(struct strlist *l, const char *text, char sep, bool skip_empty)
{
	size_t n0 = l->n;
	const char *p = text;
	while (*p) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if ((len || !skip_empty) && strlist_pushn(l, p, len)) {
			while (l->n > n0)
				free(l->items[--l->n]);
			return REG_ENOMEM;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

int strlist_join(const struct strlist *l, const char *sep, struct sbuf *out)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sbuf_adds(out, sep);
		sbuf_adds(out, l->items[i]);
	}
	return sbuf_error(out);
}
