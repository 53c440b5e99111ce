/* runtime_int: what the runtime clients (docker.c, containerd.c, grpc.c) share; runtime.h stays the
 * interface. */
#ifndef SYSREC_RUNTIME_INT_H
#define SYSREC_RUNTIME_INT_H

#include "runtime.h"

#include <string.h>

#define RT_MAX_BODY (8u << 20) /* an answer larger than this is no runtime's */

/* Whether s is min or more lowercase hex digits and nothing else. */
static inline bool rt_is_hex_id(const char *s, size_t min)
{
	size_t n = strspn(s, "0123456789abcdef");

	return n >= min && s[n] == 0;
}

/*
 * An image name split as sysdig splits it: the digest after '@', the tag
 * after the first ':' of the last path component, the repository the rest
 * (its registry and path kept): "reg:5000/ns/img:1.2@sha256:ab" is
 * "reg:5000/ns/img", "1.2", "sha256:ab". Each new (free them), "" if absent.
 */
void rt_split_image(const char *image, char **repo, char **tag, char **digest);

/* The CPUs of a cpuset list ("0-3,8": 5); what does not parse ends the count. */
json_int_t rt_cpuset_count(const char *s);

/* A JSON string of s, its bytes that are not UTF-8 each made '?' (jansson takes UTF-8 only). */
json_t *rt_json_string(const char *s);

/* An answer's body as curl hands it over (rt_body_write, its write callback), up to RT_MAX_BODY. */
struct rt_body {
	struct sbuf b;
	bool too_big; /* set when more came: the transfer was stopped */
};
size_t rt_body_write(char *p, size_t size, size_t n, void *ctx);

#endif
