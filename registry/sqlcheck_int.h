/*
 * sqlcheck_int: what sqlcheck.c (verdicts, the cache) and sqlcheck_canon.c
 * (the canonical form of an expression) share.
 */
#ifndef SCHEMAFS_SQLCHECK_INT_H
#define SCHEMAFS_SQLCHECK_INT_H

#include <stddef.h>

#include "pgq.h"
#include "sbuf.h"

/* Appends the canonical form of the expression tree o to out (errors are
 * out's: sbuf_error): keys sorted, locations dropped, strings
 * length-prefixed, casts of constants reduced to the constant. src is the
 * whole statement parsed (src_len bytes), which constants' locations
 * point into. Recursion is bounded by the tree's depth, which pgq_json()
 * limited. */
void sqlcheck_canon_expr(json_object *o, const char *src, size_t src_len, struct sbuf *out);

#endif
