/* json_asserts.h: a JSON object's member, asserted to be of the type read (include after cmocka.h). */
#ifndef SYSREC_TESTS_JSON_ASSERTS_H
#define SYSREC_TESTS_JSON_ASSERTS_H

#include <jansson.h>

static inline const char *cstr(const json_t *c, const char *key)
{
	const json_t *v = json_object_get(c, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static inline json_int_t cint(const json_t *c, const char *key)
{
	const json_t *v = json_object_get(c, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

#endif
