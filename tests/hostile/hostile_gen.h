/*
 * hostile_gen: the hostile schema file of issue 12 item 3 -- a table of
 * `columns` columns and an index naming `undeclared` columns it does not
 * have (22,000 and 70,000 make just under 1 MiB) -- for the test that
 * checks the rules stay linear and capped (tests/hostile/test_core.c) and
 * the benchmark that times them (bench/bench_hostile.c).
 */
#ifndef SCHEMAFS_HOSTILE_GEN_H
#define SCHEMAFS_HOSTILE_GEN_H

#include "sbuf.h"

/* Appends the file to out; returns sbuf_error(out). */
int hostile_wide_yaml(struct sbuf *out, unsigned columns, unsigned undeclared);

#endif
