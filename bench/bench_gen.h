/*
 * bench_gen: the generated registries the benchmarks measure.
 */
#ifndef SCHEMAFS_BENCH_GEN_H
#define SCHEMAFS_BENCH_GEN_H

#include <stddef.h>

/* Writes DIR/registry.yaml and n table files into dir (created if needed).
 * The same n and seed always give the same bytes. Returns 0, or -1 with
 * errno set. */
int bench_generate(const char *dir, size_t n, unsigned seed);
/* The name of table i ("orders_000042"), as the generator writes it. */
void bench_table_name(size_t i, char *buf, size_t len);

#endif
