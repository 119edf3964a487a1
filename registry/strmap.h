/*
 * strmap: the one hash map of the core, from byte-string keys to pointers.
 *
 * Open addressing with linear probing over a power-of-two table, grown
 * before it is 3/4 full, so every operation is O(1) expected whatever the
 * keys. Keys are hashed with xxHash's XXH3 (Debian's libxxhash): fast on
 * long keys (a schema's bytes) and well distributed on short ones (names).
 *
 * Keys: strmap_init() makes a map that copies every key it is given and
 * frees the copies; strmap_init_borrowed() makes one that keeps the
 * caller's pointers, which must then outlive the map (an index over names
 * the registry owns). A key is any bytes with a length; the *_s forms take
 * a NUL-terminated string. Values are borrowed: the map never frees them
 * (strmap_release takes an optional function for that).
 *
 * Iteration order is the table's, not sorted: callers that print sort.
 *
 * Errors: functions that allocate return 0 or REG_ENOMEM, and leave the
 * map as it was on failure. Not thread-safe.
 */
#ifndef SCHEMAFS_STRMAP_H
#define SCHEMAFS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap_entry {
	const char *key; /* NULL: an empty slot */
	size_t keylen;
	uint64_t hash;
	void *value;
};

struct strmap {
	struct strmap_entry *slots;
	size_t cap;      /* 0 or a power of two */
	size_t n;        /* entries in use */
	bool borrowed;   /* keys are the caller's */
};

#define STRMAP_INIT { NULL, 0, 0, false }
#define STRMAP_INIT_BORROWED { NULL, 0, 0, true }

void strmap_init(struct strmap *m);
void strmap_init_borrowed(struct strmap *m);
/* Frees the table (and the key copies); calls free_value on every value
 * when not NULL. The map is empty and reusable afterwards. */
void strmap_release(struct strmap *m, void (*free_value)(void *));

/* The hash the map uses, for callers that key a cache by content. */
uint64_t strmap_hash(const void *bytes, size_t len);

/* Sets key to value, replacing an existing value (then *old, when not
 * NULL, receives it; else NULL). */
int strmap_put(struct strmap *m, const void *key, size_t keylen, void *value, void **old);
int strmap_put_s(struct strmap *m, const char *key, void *value, void **old);
/* The entry of key, or NULL. Borrowed: valid until the map changes. */
struct strmap_entry *strmap_find(const struct strmap *m, const void *key, size_t keylen);
/* The value of key, or NULL (also when the value stored is NULL). */
void *strmap_get(const struct strmap *m, const void *key, size_t keylen);
void *strmap_get_s(const struct strmap *m, const char *key);
bool strmap_has_s(const struct strmap *m, const char *key);
/* Removes key; returns its value (NULL when absent). */
void *strmap_remove(struct strmap *m, const void *key, size_t keylen);
void *strmap_remove_s(struct strmap *m, const char *key);

/* Iteration: for (struct strmap_entry *e = NULL; (e = strmap_next(m, e));).
 * The map must not change during the loop. */
struct strmap_entry *strmap_next(const struct strmap *m, struct strmap_entry *prev);

#endif
