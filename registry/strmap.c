#include "strmap.h"
#include "diag.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void strmap_init(struct strmap *m)
{
	*m = (struct strmap)STRMAP_INIT;
}

void strmap_init_borrowed(struct strmap *m)
{
	*m = (struct strmap)STRMAP_INIT_BORROWED;
}

void strmap_release(struct strmap *m, void (*free_value)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		struct strmap_entry *e = &m->slots[i];
		if (!e->key)
			continue;
		if (free_value)
			free_value(e->value);
		if (!m->borrowed)
			free((char *)e->key);
	}
	free(m->slots);
	bool borrowed = m->borrowed;
	*m = (struct strmap)STRMAP_INIT;
	m->borrowed = borrowed;
}

uint64_t strmap_hash(const void *bytes, size_t len)
{
	return XXH3_64bits(bytes, len);
}

static size_t slot_of(const struct strmap *m, const void *key, size_t keylen, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		const struct strmap_entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && e->keylen == keylen &&
				!memcmp(e->key, key, keylen)))
			return i;
	}
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	if (cap < m->cap || cap > SIZE_MAX / sizeof(struct strmap_entry))
		return REG_ENOMEM;
	struct strmap_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return REG_ENOMEM;
	struct strmap old = *m;
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			m->slots[slot_of(m, old.slots[i].key, old.slots[i].keylen,
					 old.slots[i].hash)] = old.slots[i];
	free(old.slots);
	return 0;
}

int strmap_put(struct strmap *m, const void *key, size_t keylen, void *value, void **old)
{
	if (old)
		*old = NULL;
	uint64_t h = strmap_hash(key, keylen);
	if (m->cap) {
		struct strmap_entry *e = &m->slots[slot_of(m, key, keylen, h)];
		if (e->key) {
			if (old)
				*old = e->value;
			e->value = value;
			return 0;
		}
	}
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return REG_ENOMEM;
	const char *k = key;
	if (!m->borrowed) {
		char *copy = malloc(keylen + 1);
		if (!copy)
			return REG_ENOMEM;
		memcpy(copy, key, keylen);
		copy[keylen] = '\0';
		k = copy;
	}
	m->slots[slot_of(m, key, keylen, h)] = (struct strmap_entry){ k, keylen, h, value };
	m->n++;
	return 0;
}

int strmap_put_s(struct strmap *m, const char *key, void *value, void **old)
{
	return strmap_put(m, key, strlen(key), value, old);
}

struct strmap_entry *strmap_find(const struct strmap *m, const void *key, size_t keylen)
{
	if (!m->n)
		return NULL;
	struct strmap_entry *e = &m->slots[slot_of(m, key, keylen, strmap_hash(key, keylen))];
	return e->key ? e : NULL;
}

void *strmap_get(const struct strmap *m, const void *key, size_t keylen)
{
	struct strmap_entry *e = strmap_find(m, key, keylen);
	return e ? e->value : NULL;
}

void *strmap_get_s(const struct strmap *m, const char *key)
{
	return strmap_get(m, key, strlen(key));
}

bool strmap_has_s(const struct strmap *m, const char *key)
{
	return strmap_find(m, key, strlen(key)) != NULL;
}

void *strmap_remove(struct strmap *m, const void *key, size_t keylen)
{
	struct strmap_entry *e = strmap_find(m, key, keylen);
	if (!e)
		return NULL;
	void *value = e->value;
	if (!m->borrowed)
		free((char *)e->key);
	/* Backward-shift deletion: move later members of the probe run into
	 * the hole, so lookups never need tombstones. */
	size_t mask = m->cap - 1, hole = (size_t)(e - m->slots);
	for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
		size_t home = (size_t)m->slots[i].hash & mask;
		/* i may move to hole unless its home lies cyclically in (hole, i] */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!stays) {
			m->slots[hole] = m->slots[i];
			hole = i;
		}
	}
	m->slots[hole] = (struct strmap_entry){ 0 };
	m->n--;
	return value;
}

void *strmap_remove_s(struct strmap *m, const char *key)
{
	return strmap_remove(m, key, strlen(key));
}

struct strmap_entry *strmap_next(const struct strmap *m, struct strmap_entry *prev)
{
	size_t i = prev ? (size_t)(prev - m->slots) + 1 : 0;
	for (; i < m->cap; i++)
		if (m->slots[i].key)
			return &m->slots[i];
	return NULL;
}
