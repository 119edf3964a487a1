/*
 * sqlcheck_canon: the canonical form of a default, which sqlcheck caches
 * (sqlcheck.h, "canonical") so that a declared default and the one
 * PostgreSQL prints back compare equal.
 */
#include "sqlcheck_int.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

/* The value of an A_Const as text: 1, '1' and '1'::int all become "1",
 * since PostgreSQL prints stored defaults with casts the user never wrote.
 * A length prefix keeps 'a,b' from looking like two things. Integers are
 * read back from the source: libpg_query 15-4.0.0 prints every negative
 * integer constant as {} (as if it were 0). */
static void canon_const(json_object *c, const char *src, size_t src_len, struct sbuf *out)
{
	json_object *v;
	const char *t = NULL;
	char num[32];
	if (pgq_get(c, "isnull")) {
		t = "NULL";
	} else if ((v = pgq_get(c, "ival"))) {
		json_object *loc = pgq_get(c, "location");
		long long x = json_object_get_int64(pgq_get(v, "ival"));
		if (loc && json_object_get_int64(loc) >= 0 &&
		    (size_t)json_object_get_int64(loc) < src_len) {
			const char *p = src + json_object_get_int64(loc);
			bool neg = *p == '-';
			if (neg)
				p++;
			while (isspace((unsigned char)*p))
				p++;
			if (isdigit((unsigned char)*p))
				x = strtoll(p, NULL, 10) * (neg ? -1 : 1);
		}
		snprintf(num, sizeof(num), "%lld", x);
		t = num;
	} else if ((v = pgq_get(c, "fval"))) {
		t = json_object_get_string(pgq_get(v, "fval"));
	} else if ((v = pgq_get(c, "boolval"))) {
		t = json_object_get_boolean(pgq_get(v, "boolval")) ? "true" : "false";
	} else if ((v = pgq_get(c, "sval"))) {
		t = json_object_get_string(pgq_get(v, "sval"));
	} else if ((v = pgq_get(c, "bsval"))) {
		t = json_object_get_string(pgq_get(v, "bsval"));
	}
	if (!t)
		t = "";
	sbuf_addf(out, "C%zu:%s", strlen(t), t);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The canonical form of a default: a deterministic rendering of its parse
 * tree without locations (keys sorted, strings length-prefixed), with
 * casts of constants reduced to the constant, so a declared default and
 * the one PostgreSQL prints back compare equal. Recursion is bounded by
 * the tree's depth, which pgq_json() already limited.
 */
void sqlcheck_canon_expr(json_object *o, const char *src, size_t src_len, struct sbuf *out)
{
	json_object *c;
	switch (json_object_get_type(o)) {
	case json_type_object: {
		if ((c = pgq_get(o, "A_Const"))) {
			canon_const(c, src, src_len, out);
			return;
		}
		if ((c = pgq_get(o, "TypeCast")) && pgq_get(pgq_get(c, "arg"), "A_Const")) {
			sqlcheck_canon_expr(pgq_get(c, "arg"), src, src_len, out);
			return;
		}
		size_t n = (size_t)json_object_object_length(o), k = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		if (!keys) {
			sbuf_fail(out, REG_ENOMEM);
			return;
		}
		json_object_object_foreach(o, key, val) {
			(void)val;
			if (strcmp(key, "location"))
				keys[k++] = key;
		}
		qsort(keys, k, sizeof(*keys), key_cmp);
		sbuf_addch(out, '{');
		for (size_t i = 0; i < k && !sbuf_error(out); i++) {
			sbuf_addf(out, "%s:", keys[i]);
			sqlcheck_canon_expr(pgq_get(o, keys[i]), src, src_len, out);
			sbuf_addch(out, ',');
		}
		free(keys);
		sbuf_addch(out, '}');
		return;
	}
	case json_type_array:
		sbuf_addch(out, '[');
		for (size_t i = 0; i < json_object_array_length(o) && !sbuf_error(out); i++) {
			sqlcheck_canon_expr(json_object_array_get_idx(o, i), src, src_len, out);
			sbuf_addch(out, ',');
		}
		sbuf_addch(out, ']');
		return;
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t len = (size_t)json_object_get_string_len(o);
		sbuf_addf(out, "S%zu:", len);
		sbuf_add(out, s, len);
		return;
	}
	case json_type_null:
		sbuf_adds(out, "null");
		return;
	default:
		sbuf_adds(out, json_object_get_string(o));
		return;
	}
}
