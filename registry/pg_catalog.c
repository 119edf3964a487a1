#include "pg_catalog.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* The longest name PostgreSQL keeps (NAMEDATALEN - 1). */
#define NAME_MAX_LEN 63

static int name_cmp(const void *key, const void *item)
{
	return strcmp(key, *(const char *const *)item);
}

static long find(const char *const *names, size_t n, const char *name)
{
	const char *const *hit = bsearch(name, names, n, sizeof(*names), name_cmp);
	return hit ? (long)(hit - names) : -1;
}

char pg_catalog_type_kind(const char *name)
{
	long i = find(pg_catalog_types, pg_catalog_ntypes, name);
	return i < 0 ? 0 : pg_catalog_type_kinds[i];
}

int pg_catalog_has_function(const char *name)
{
	return find(pg_catalog_functions, pg_catalog_nfunctions, name) >= 0;
}

const char *pg_catalog_type_extension(const char *name)
{
	long i = find(pg_catalog_ext_types, pg_catalog_next_types, name);
	return i < 0 ? NULL : pg_catalog_extensions[pg_catalog_ext_type_of[i]];
}

const char *pg_catalog_function_extension(const char *name)
{
	long i = find(pg_catalog_ext_functions, pg_catalog_next_functions, name);
	return i < 0 ? NULL : pg_catalog_extensions[pg_catalog_ext_function_of[i]];
}

/* The name of sorted[] that is word with one adjacent pair swapped. */
static const char *swapped(const char *word, const char *const *sorted, size_t n)
{
	char buf[NAME_MAX_LEN + 1];
	size_t len = strlen(word);
	if (len < 2 || len > NAME_MAX_LEN)
		return NULL;
	memcpy(buf, word, len + 1);
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == buf[i + 1])
			continue;
		char t = buf[i];
		buf[i] = buf[i + 1];
		buf[i + 1] = t;
		long k = find(sorted, n, buf);
		buf[i + 1] = buf[i];
		buf[i] = t;
		if (k >= 0)
			return sorted[k];
	}
	return NULL;
}

static const char *suggest(const char *word, const char *const *sorted, size_t nsorted,
			   const char *const *cands, size_t ncands, size_t *budget)
{
	size_t unlimited = SIZE_MAX;
	const char *near = swapped(word, sorted, nsorted);
	return near ? near : reg_nearest_within(word, cands, ncands, budget ? budget : &unlimited);
}

const char *pg_catalog_suggest_type(const char *word, size_t *budget)
{
	return suggest(word, pg_catalog_types, pg_catalog_ntypes, pg_catalog_type_words,
		       pg_catalog_ntype_words, budget);
}

const char *pg_catalog_suggest_function(const char *word, size_t *budget)
{
	return suggest(word, pg_catalog_functions, pg_catalog_nfunctions, pg_catalog_functions,
		       pg_catalog_nfunctions, budget);
}

int pg_catalog_one_typo(const char *a, const char *b)
{
	if (reg_edit_distance(a, b, 1) <= 1)
		return 1;
	size_t n = strlen(a), i = 0;
	if (n != strlen(b))
		return 0;
	while (i < n && a[i] == b[i])
		i++;
	return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] && !strcmp(a + i + 2, b + i + 2);
}
