/*
 * contract_type: which type changes PostgreSQL performs without touching
 * the data (binary-coercible: ALTER COLUMN TYPE skips the rewrite, as its
 * varchar/numeric/timestamp "support" functions allow), which keep every
 * value (a rewrite, but nothing lost), which only shrink the set of values,
 * and which are something else. docs/contracts.md explains each row.
 */
#include "contract_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "sqlcheck.h"

/* A canonical type split: base name, up to two numeric modifiers, array dims. */
struct ptype {
	char base[128];
	long mod[2];
	int nmods;
	int dims;
};

static void split(const char *canon, struct ptype *t)
{
	size_t len = strlen(canon);
	memset(t, 0, sizeof(*t));
	while (len >= 2 && !strncmp(canon + len - 2, "[]", 2)) {
		t->dims++;
		len -= 2;
	}
	const char *paren = memchr(canon, '(', len);
	size_t blen = paren ? (size_t)(paren - canon) : len;
	if (blen >= sizeof(t->base))
		blen = sizeof(t->base) - 1;
	memcpy(t->base, canon, blen);
	for (const char *p = paren; p && *p != ')' && t->nmods < 2 && p < canon + len;) {
		char *end;
		t->mod[t->nmods++] = strtol(p + 1, &end, 10);
		p = *end == ',' ? end : NULL;
	}
}

static int is(const struct ptype *t, const char *base)
{
	return !strcmp(t->base, base);
}

/* int2/int4/int8 rank 1..3 and their decimal digits; 0 for other types. */
static int int_rank(const struct ptype *t)
{
	return is(t, "int2") ? 1 : is(t, "int4") ? 2 : is(t, "int8") ? 3 : 0;
}

static long int_digits(int rank)
{
	static const long digits[] = { 0, 5, 10, 19 };
	return digits[rank];
}

/* A length-like modifier: absent means unbounded. a < b, ==, > as -1/0/1. */
static int cmp_limit(const struct ptype *a, const struct ptype *b)
{
	if (!a->nmods || !b->nmods)
		return a->nmods == b->nmods ? 0 : a->nmods ? -1 : 1;
	return a->mod[0] < b->mod[0] ? -1 : a->mod[0] > b->mod[0];
}

static enum contract_type_change by_limit(const struct ptype *o, const struct ptype *n,
					  enum contract_type_change wider)
{
	int c = cmp_limit(o, n);
	return c < 0 ? wider : c > 0 ? CONTRACT_TYPE_NARROW : CONTRACT_TYPE_ALIAS;
}

static enum contract_type_change numeric_to_numeric(const struct ptype *o, const struct ptype *n)
{
	if (!n->nmods)
		return o->nmods ? CONTRACT_TYPE_FREE : CONTRACT_TYPE_ALIAS;
	if (!o->nmods)
		return CONTRACT_TYPE_NARROW;
	long op = o->mod[0], os = o->nmods > 1 ? o->mod[1] : 0;
	long np = n->mod[0], ns = n->nmods > 1 ? n->mod[1] : 0;
	if (op == np && os == ns)
		return CONTRACT_TYPE_ALIAS;
	if (ns == os)
		return np > op ? CONTRACT_TYPE_FREE : CONTRACT_TYPE_NARROW;
	if (ns > os && np - ns >= op - os)
		return CONTRACT_TYPE_REWRITE; /* more scale, as many integer digits */
	if (ns < os && np - ns <= op - os)
		return CONTRACT_TYPE_NARROW;
	return CONTRACT_TYPE_OTHER;
}

/* int -> numeric and numeric -> int. */
static enum contract_type_change int_numeric(const struct ptype *o, const struct ptype *n)
{
	if (int_rank(o)) {
		if (!n->nmods)
			return CONTRACT_TYPE_REWRITE;
		long p = n->mod[0], s = n->nmods > 1 ? n->mod[1] : 0;
		return p - s >= int_digits(int_rank(o)) ? CONTRACT_TYPE_REWRITE
			: s == 0 ? CONTRACT_TYPE_NARROW : CONTRACT_TYPE_OTHER;
	}
	if (!o->nmods)
		return CONTRACT_TYPE_NARROW;
	long p = o->mod[0], s = o->nmods > 1 ? o->mod[1] : 0;
	if (s)
		return CONTRACT_TYPE_OTHER;
	return p < int_digits(int_rank(n)) ? CONTRACT_TYPE_REWRITE : CONTRACT_TYPE_NARROW;
}

static int is_text_like(const struct ptype *t)
{
	return is(t, "text") || is(t, "varchar");
}

static enum contract_type_change classify(const struct ptype *o, const struct ptype *n)
{
	if (o->dims != n->dims)
		return CONTRACT_TYPE_OTHER;
	if (is(o, n->base)) {
		if (is(o, "varchar") || is(o, "varbit"))
			return by_limit(o, n, CONTRACT_TYPE_FREE);
		if (is(o, "bpchar"))
			return by_limit(o, n, CONTRACT_TYPE_REWRITE);
		if (is(o, "numeric"))
			return numeric_to_numeric(o, n);
		if (is(o, "timestamp") || is(o, "timestamptz") || is(o, "time") || is(o, "timetz"))
			return by_limit(o, n, CONTRACT_TYPE_FREE); /* no precision: 6, the most */
		if (o->nmods == n->nmods && !memcmp(o->mod, n->mod, sizeof(o->mod)))
			return CONTRACT_TYPE_ALIAS;
		return CONTRACT_TYPE_OTHER;
	}
	if (int_rank(o) && int_rank(n))
		return int_rank(n) > int_rank(o) ? CONTRACT_TYPE_REWRITE : CONTRACT_TYPE_NARROW;
	if ((int_rank(o) && is(n, "numeric")) || (is(o, "numeric") && int_rank(n)))
		return int_numeric(o, n);
	if (is(o, "float4") && is(n, "float8"))
		return CONTRACT_TYPE_REWRITE;
	if (is(o, "float8") && is(n, "float4"))
		return CONTRACT_TYPE_NARROW;
	if (is_text_like(o) && is_text_like(n)) {
		/* varchar is text with an optional length check (same storage) */
		const struct ptype *v = is(o, "varchar") ? o : n;
		if (!v->nmods || v == o)
			return CONTRACT_TYPE_FREE;
		return CONTRACT_TYPE_NARROW;
	}
	return CONTRACT_TYPE_OTHER;
}

static int canon(const char *text, char *buf, size_t n, int *ok)
{
	struct sqlcheck_result res;
	int rc = sqlcheck_type(text, &res);
	if (rc)
		return rc;
	*ok = res.ok;
	snprintf(buf, n, "%s", res.ok ? res.canonical : text);
	return 0;
}

int contract_type_compare(const char *old_type, const char *new_type,
			  enum contract_type_change *out, char *old_canon, char *new_canon,
			  size_t n)
{
	int ok_old = 0, ok_new = 0, rc;
	old_type = old_type ? old_type : "";
	new_type = new_type ? new_type : "";
	if ((rc = canon(old_type, old_canon, n, &ok_old)) ||
	    (rc = canon(new_type, new_canon, n, &ok_new)))
		return rc;
	if (!strcmp(old_type, new_type)) {
		*out = CONTRACT_TYPE_SAME;
	} else if (!ok_old || !ok_new) {
		*out = !strcasecmp(old_type, new_type) ? CONTRACT_TYPE_ALIAS : CONTRACT_TYPE_OTHER;
	} else if (!strcmp(old_canon, new_canon)) {
		*out = CONTRACT_TYPE_ALIAS;
	} else {
		struct ptype o, t;
		split(old_canon, &o);
		split(new_canon, &t);
		*out = classify(&o, &t);
	}
	return 0;
}
