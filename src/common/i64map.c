/* i64map: linear-probing hash map with backward-shift deletion. */
#include "i64map.h"

#include "common.h"

#include <stdlib.h>
#include <string.h>

static inline size_t slot_of(int64_t key, size_t cap)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;

	return (size_t)(h >> 20) & (cap - 1);
}

void i64map_init(struct i64map *m)
{
	m->cap = 16;
	m->len = 0;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
}

void i64map_release(struct i64map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = m->len = 0;
}

void *i64map_get(const struct i64map *m, int64_t key)
{
	size_t mask = m->cap - 1;

	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & mask) {
		if (!m->slots[i].val)
			return NULL;
		if (m->slots[i].key == key)
			return m->slots[i].val;
	}
}

static void grow(struct i64map *m)
{
	struct i64map_slot *old = m->slots;
	size_t oldcap = m->cap;

	m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	m->len = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].val)
			i64map_put(m, old[i].key, old[i].val);
	free(old);
}

void *i64map_put(struct i64map *m, int64_t key, void *val)
{
	size_t mask;

	if ((m->len + 1) * 4 > m->cap * 3)
		grow(m);
	mask = m->cap - 1;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & mask) {
		if (!m->slots[i].val) {
			m->slots[i].key = key;
			m->slots[i].val = val;
			m->len++;
			return NULL;
		}
		if (m->slots[i].key == key) {
			void *prev = m->slots[i].val;

			m->slots[i].val = val;
			return prev;
		}
	}
}

void *i64map_del(struct i64map *m, int64_t key)
{
	size_t mask = m->cap - 1;
	size_t i = slot_of(key, m->cap);
	void *val;

	for (;; i = (i + 1) & mask) {
		if (!m->slots[i].val)
			return NULL;
		if (m->slots[i].key == key)
			break;
	}
	val = m->slots[i].val;
	m->slots[i].val = NULL;
	m->len--;
	/* shift back the entries that probed past the hole */
	for (size_t j = (i + 1) & mask; m->slots[j].val; j = (j + 1) & mask) {
		size_t home = slot_of(m->slots[j].key, m->cap);

		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			m->slots[j].val = NULL;
			i = j;
		}
	}
	return val;
}

void i64map_copy(struct i64map *dst, const struct i64map *src)
{
	dst->cap = src->cap;
	dst->len = src->len;
	dst->slots = xmalloc(src->cap * sizeof(*src->slots));
	memcpy(dst->slots, src->slots, src->cap * sizeof(*src->slots));
}
