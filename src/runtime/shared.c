/* shared: the pieces Docker's and containerd's clients both use (runtime_int.h). */
#include "runtime_int.h"

#include <stdlib.h>

void rt_split_image(const char *image, char **repo, char **tag, char **digest)
{
	const char *at = strchr(image, '@'), *end = at ? at : image + strlen(image);
	const char *last = image, *colon = NULL; /* the last path component starts at last */

	for (const char *p = image; p < end; p++)
		if (*p == '/')
			last = p + 1;
	for (const char *p = last; p < end && !colon; p++)
		if (*p == ':')
			colon = p;
	*digest = xstrdup(at ? at + 1 : "");
	*tag = colon ? xstrndup(colon + 1, (size_t)(end - colon - 1)) : xstrdup("");
	*repo = xstrndup(image, (size_t)((colon ? colon : end) - image));
}

json_int_t rt_cpuset_count(const char *s)
{
	json_int_t n = 0;

	while (*s) {
		char *end;
		unsigned long a = strtoul(s, &end, 10), b = a;

		if (end == s)
			break;
		if (*end == '-')
			b = strtoul(end + 1, &end, 10);
		if (b >= a && b - a < 65536)
			n += (json_int_t)(b - a + 1);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			break;
	}
	return n;
}

json_t *rt_json_string(const char *s)
{
	json_t *j = json_string(s);
	size_t len = strlen(s);
	char *clean;

	if (j)
		return j;
	clean = xmalloc(len + 1);
	for (size_t i = 0, n; i < len; i += n) {
		uint32_t cp;

		n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n) {
			memcpy(clean + i, s + i, n);
		} else {
			clean[i] = '?';
			n = 1;
		}
	}
	clean[len] = 0;
	j = json_string(clean);
	free(clean);
	return j;
}

size_t rt_body_write(char *p, size_t size, size_t n, void *ctx)
{
	struct rt_body *body = ctx;

	if (body->b.len + size * n > RT_MAX_BODY) {
		body->too_big = true;
		return 0;
	}
	sbuf_put(&body->b, p, size * n);
	return size * n;
}
