/* i64map: open-addressing hash map from int64 keys to pointers (part of common). */
#ifndef SYSREC_I64MAP_H
#define SYSREC_I64MAP_H

#include <stddef.h>
#include <stdint.h>

struct i64map_slot {
	int64_t key;
	void *val; /* NULL marks an empty slot */
};

struct i64map {
	struct i64map_slot *slots;
	size_t cap; /* power of two */
	size_t len;
};

void i64map_init(struct i64map *m);
void i64map_release(struct i64map *m);
void *i64map_get(const struct i64map *m, int64_t key);
/* Insert or replace; returns the previous value or NULL. val must not be NULL. */
void *i64map_put(struct i64map *m, int64_t key, void *val);
/* Remove; returns the removed value or NULL. */
void *i64map_del(struct i64map *m, int64_t key);
/* dst (uninitialized) becomes a copy of src: the same keys and values, the same layout. */
void i64map_copy(struct i64map *dst, const struct i64map *src);

/* Iterate: for (size_t i = 0; i < m->cap; i++) if (m->slots[i].val) ... */

#endif
