/* fdtable: per-process fd tables and the pool their entries come from. */
#include "state_int.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct fdtable *state_fdtable_new(struct fdpool *pool)
{
	struct fdtable *t = xcalloc(1, sizeof(*t));

	i64map_init(&t->map);
	t->pool = pool;
	return t;
}

static struct fdinfo *fdinfo_alloc(struct fdpool *pool)
{
	struct fdinfo *f = pool->free;

	if (!f)
		return xmalloc(sizeof(*f));
	pool->free = (struct fdinfo *)(void *)f->name;
	pool->n--;
	return f;
}

void state_fdinfo_free(struct fdpool *pool, struct fdinfo *f)
{
	if (!f)
		return;
	if (f->name != f->inl)
		free(f->name);
	if (pool->n >= FDPOOL_MAX) {
		free(f);
		return;
	}
	f->name = (char *)(void *)pool->free;
	pool->free = f;
	pool->n++;
}

void state_fdpool_release(struct fdpool *pool)
{
	while (pool->free) {
		struct fdinfo *f = pool->free;

		pool->free = (struct fdinfo *)(void *)f->name;
		free(f);
	}
	pool->n = 0;
}

void state_fdtable_free(struct fdtable *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->map.cap; i++)
		if (t->map.slots[i].val)
			state_fdinfo_free(t->pool, t->map.slots[i].val);
	i64map_release(&t->map);
	free(t);
}

/* Some byte of p[0..len) is below 0x20 (eight at a time: a byte b < 0x20 makes b - 0x20 borrow). */
static bool has_control(const char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, p + i, 8);
		if ((x - ones * 0x20) & ~x & highs)
			return true;
	}
	for (; i < len; i++)
		if ((unsigned char)p[i] < 0x20)
			return true;
	return false;
}

static struct fdinfo *fdinfo_copy(struct fdpool *pool, const struct fdinfo *f)
{
	struct fdinfo *c = fdinfo_alloc(pool);

	/* the name is clean already: copied as it is, in place or on the heap */
	if (f->name == f->inl) {
		memcpy(c, f, offsetof(struct fdinfo, inl) + f->name_len + 1);
		c->name = c->inl;
	} else {
		memcpy(c, f, offsetof(struct fdinfo, inl));
		c->name = xmalloc(f->name_len + 1);
		memcpy(c->name, f->name, f->name_len + 1);
	}
	return c;
}

/* A fork's copy: the same map layout, every fd copied. */
struct fdtable *state_fdtable_copy(const struct fdtable *src)
{
	struct fdtable *t = xcalloc(1, sizeof(*t));

	t->pool = src->pool;
	i64map_copy(&t->map, &src->map);
	for (size_t i = 0; i < t->map.cap; i++)
		if (t->map.slots[i].val)
			t->map.slots[i].val = fdinfo_copy(t->pool, t->map.slots[i].val);
	return t;
}

/*
 * Set f's name to name without its control characters (sysdig sanitizes fd
 * names). name may not lie in f's own storage.
 */
static void fd_store_name(struct fdinfo *f, const char *name, size_t len)
{
	char *c = len < sizeof(f->inl) ? f->inl : xmalloc(len + 1);
	size_t n = len;

	memcpy(c, name, len);
	if (has_control(c, len)) {
		n = 0;
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)name[i] >= 0x20)
				c[n++] = name[i];
	}
	c[n] = 0;
	f->name = c;
	f->name_len = (uint32_t)n;
}

/*
 * fds note the number of the event that named them, num (fd.name_changed):
 * the event being applied, or 0 for the capture's fd list.
 */
struct fdinfo *state_fd_add(struct fdtable *t, int64_t fd, const struct fdinfo *proto, const char *name,
                            uint64_t num)
{
	struct fdinfo *f = fdinfo_alloc(t->pool);

	memcpy(f, proto, offsetof(struct fdinfo, inl));
	f->fd = fd;
	fd_store_name(f, name, strlen(name));
	f->named_at = *f->name ? num : 0;
	state_fdinfo_free(t->pool, i64map_put(&t->map, fd, f));
	return f;
}

void state_fd_set_name(struct fdinfo *f, const char *name, size_t len, uint64_t num)
{
	if (f->name && f->name_len == len && !memcmp(f->name, name, len))
		return; /* the same name: not a change (fd.name_changed), as sysdig compares them */
	if (f->name != f->inl)
		free(f->name);
	fd_store_name(f, name, len);
	f->named_at = num;
}

void state_fd_swap_ends(struct fdinfo *f)
{
	uint8_t ip[16];
	uint16_t port = f->sport;

	memcpy(ip, f->sip, 16);
	memcpy(f->sip, f->dip, 16);
	memcpy(f->dip, ip, 16);
	f->sport = f->dport;
	f->dport = port;
}
