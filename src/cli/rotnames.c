/* rotnames: the names of rotated files, as sysdig's cycle writer names them. */
#include "rotnames.h"

#include "../common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned digits(uint64_t n)
{
	unsigned d = 0;

	for (; n; n /= 10)
		d++;
	return d;
}

void rotnames_init(struct rotnames *r, const char *path, uint64_t rotate_mb, uint64_t rotate_secs,
                   uint64_t max_files, uint64_t file_events)
{
	*r = (struct rotnames){ .path = path,
		                .rotate_mb = rotate_mb,
		                .rotate_secs = rotate_secs,
		                .max_files = max_files,
		                .file_events = file_events,
		                .rotating = rotate_mb || rotate_secs || file_events };
	if (max_files)
		r->past = xcalloc(max_files, sizeof(*r->past));
}

char *rotnames_next(struct rotnames *r, time_t start)
{
	struct sbuf b = { 0 };
	uint64_t idx;
	char *name;

	if (!r->rotating)
		return xstrdup(r->path);
	if (r->max_files && r->index >= r->max_files)
		r->index = 0;
	idx = r->index++;
	if (r->rotate_secs && strchr(r->path, '%')) {
		char buf[4096];
		struct tm tm;

		localtime_r(&start, &tm);
		if (!strftime(buf, sizeof(buf), r->path, &tm))
			snprintf(buf, sizeof(buf), "%s", r->path);
		sbuf_puts(&b, buf);
		if (r->rotate_mb)
			sbuf_printf(&b, "%0*llu", (int)digits(r->max_files), (unsigned long long)idx);
		if (r->max_files) {
			/* the ring reuses this slot: the file that had it goes */
			const char *cur = sbuf_cstr(&b);

			if (r->past[idx] && strcmp(r->past[idx], cur) != 0)
				unlink(r->past[idx]);
			free(r->past[idx]);
			r->past[idx] = xstrdup(cur);
		}
	} else {
		sbuf_puts(&b, r->path);
		if (r->rotate_mb && !r->file_events)
			sbuf_printf(&b, "%0*llu", (int)digits(r->max_files), (unsigned long long)idx);
		else
			sbuf_printf(&b, "%llu", (unsigned long long)idx);
	}
	name = xstrdup(sbuf_cstr(&b));
	sbuf_release(&b);
	return name;
}

void rotnames_release(struct rotnames *r)
{
	if (r->past)
		for (uint64_t i = 0; i < r->max_files; i++)
			free(r->past[i]);
	free(r->past);
	r->past = NULL;
}
