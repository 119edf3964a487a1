#include "pgq.h"

#include <pthread.h>
#include <string.h>

/*
 * Below this many bytes the calling thread's stack is enough (the deepest
 * tree such a text makes needs well under 1 MiB); above it, a thread with
 * room for the worst case: about 64 bytes of stack per byte of text,
 * measured as the point where "1+1+..." overflowed 8 MiB at 65,000 terms,
 * doubled for margin. The stack is reserved, not touched, so a big text
 * costs address space, not memory.
 */
#define PGQ_INLINE_MAX (16 * 1024)
#define PGQ_STACK_PER_BYTE 128
#define PGQ_STACK_MIN (8 * 1024 * 1024)

struct parse_job {
	const char *sql;
	PgQueryParseResult result;
};

static void *parse_thread(void *arg)
{
	struct parse_job *job = arg;
	job->result = pg_query_parse(job->sql);
	return NULL;
}

PgQueryParseResult pgq_parse(const char *sql)
{
	size_t len = strlen(sql);
	if (len <= PGQ_INLINE_MAX)
		return pg_query_parse(sql);
	struct parse_job job = { sql, { 0 } };
	pthread_attr_t attr;
	pthread_t tid;
	size_t stack = PGQ_STACK_MIN + len * PGQ_STACK_PER_BYTE;
	if (pthread_attr_init(&attr) == 0) {
		int ok = pthread_attr_setstacksize(&attr, stack) == 0 &&
			 pthread_create(&tid, &attr, parse_thread, &job) == 0;
		pthread_attr_destroy(&attr);
		if (ok && pthread_join(tid, NULL) == 0)
			return job.result;
	}
	/* no thread to be had: parse here; only a pathological text can fail */
	return pg_query_parse(sql);
}

json_object *pgq_json(const char *parse_tree)
{
	json_tokener *tok = json_tokener_new_ex(PGQ_JSON_MAX_DEPTH);
	if (!tok)
		return NULL;
	json_object *o = json_tokener_parse_ex(tok, parse_tree, -1);
	json_tokener_free(tok);
	return o;
}

json_object *pgq_get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (!o || !json_object_is_type(o, json_type_object))
		return NULL;
	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *pgq_get_str(json_object *o, const char *key)
{
	json_object *v = pgq_get(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool pgq_get_bool(json_object *o, const char *key)
{
	json_object *v = pgq_get(o, key);
	return v && json_object_get_boolean(v);
}

int pgq_get_loc(json_object *o)
{
	json_object *v = pgq_get(o, "location");
	return v && json_object_is_type(v, json_type_int) ? json_object_get_int(v) : -1;
}

size_t pgq_arr_len(json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

json_object *pgq_arr_at(json_object *a, size_t i)
{
	/* json-c asserts on a non-array */
	return i < pgq_arr_len(a) ? json_object_array_get_idx(a, i) : NULL;
}

const char *pgq_node_type(json_object *node, json_object **body)
{
	*body = NULL;
	if (!node || !json_object_is_type(node, json_type_object) ||
	    json_object_object_length(node) != 1)
		return NULL;
	json_object_object_foreach(node, key, val) {
		*body = val;
		return key;
	}
	return NULL;
}

json_object *pgq_node_as(json_object *node, const char *type)
{
	json_object *body;
	const char *t = pgq_node_type(node, &body);
	return t && !strcmp(t, type) ? body : NULL;
}

const char *pgq_string_node(json_object *node)
{
	return pgq_get_str(pgq_node_as(node, "String"), "sval");
}

int pgq_first_location(json_object *o)
{
	int best = -1;
	if (!o)
		return -1;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < pgq_arr_len(o); i++) {
			int l = pgq_first_location(pgq_arr_at(o, i));
			if (l >= 0 && (best < 0 || l < best))
				best = l;
		}
		return best;
	}
	if (!json_object_is_type(o, json_type_object))
		return -1;
	json_object_object_foreach(o, key, val) {
		int l;
		if (!strcmp(key, "location") && json_object_is_type(val, json_type_int))
			l = json_object_get_int(val);
		else
			l = pgq_first_location(val);
		if (l >= 0 && (best < 0 || l < best))
			best = l;
	}
	return best;
}
