/* cursor: bounded little-endian reads over untrusted bytes. */
#include "common.h"

#include <string.h>

const void *cursor_take(struct cursor *c, size_t n)
{
	const void *p = c->p;

	if (c->bad || cursor_left(c) < n) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	c->p += n;
	return p;
}

uint8_t cursor_u8(struct cursor *c)
{
	const uint8_t *p = cursor_take(c, 1);

	return p ? *p : 0;
}

uint16_t cursor_u16(struct cursor *c)
{
	const void *p = cursor_take(c, 2);

	return p ? load_u16(p) : 0;
}

uint32_t cursor_u32(struct cursor *c)
{
	const void *p = cursor_take(c, 4);

	return p ? load_u32(p) : 0;
}

uint64_t cursor_u64(struct cursor *c)
{
	const void *p = cursor_take(c, 8);

	return p ? load_u64(p) : 0;
}

char *cursor_lstr(struct cursor *c, size_t max, size_t *len_out)
{
	uint16_t n = cursor_u16(c);
	const char *p;

	if (c->bad)
		return NULL;
	if (n > max) {
		c->bad = true;
		if (len_out)
			*len_out = n;
		return NULL;
	}
	p = cursor_take(c, n);
	if (!p)
		return NULL;
	if (len_out)
		*len_out = n;
	return xstrndup(p, n);
}
