/* namespaces: containerd's namespace names, checked and listed (runtime.h; no library needed). */
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A namespace name as containerd takes it: letters, digits, '.', '_', '-', not first; at most RT_NS_MAX. */
bool rt_is_namespace(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");

	return n && !s[n] && n <= RT_NS_MAX && !strchr("._-", s[0]);
}

char **rt_containerd_namespaces(const char *list, struct err *e)
{
	size_t n = 1, len = strlen(list);
	char **out, *names;

	for (const char *c = list; *c; c++)
		n += *c == ',';
	out = xmalloc((n + 1) * sizeof(char *) + len + 1);
	names = (char *)(out + n + 1);
	memcpy(names, list, len + 1);
	n = 0;
	for (char *s = names, *end; s; s = end) {
		if ((end = strchr(s, ',')))
			*end++ = 0;
		if (!*s)
			continue; /* "k8s.io,,default": an empty name is no name */
		if (!rt_is_namespace(s)) {
			err_set(e, -EINVAL, "'%.80s' is not a containerd namespace (%s; %d at most)", s,
			        "letters, digits, '.', '_', '-'", RT_NS_MAX);
			free(out);
			return NULL;
		}
		out[n++] = s;
	}
	out[n] = NULL;
	if (!n) {
		err_set(e, -EINVAL, "no containerd namespace in '%.80s'", list);
		free(out);
		return NULL;
	}
	return out;
}
