/*
 * fuzz_runtime: libFuzzer target for the Docker API's answers (src/runtime/docker.c
 * over jansson): the input is what a socket claiming to be Docker's says of a
 * container, then of its image (split at the first NUL byte, if any).
 *
 * An answer that is a JSON object is mapped into sysdig's container event
 * JSON or refused (NULL); a mapped one has a 12-digit id, and dumps and loads
 * back. Anything else aborts; crashes, leaks, hangs and UB are bugs.
 *
 * Build: make build/fuzz/fuzz_runtime (see FUZZ_SRCS_runtime in the Makefile).
 */
#include "../../src/runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	json_t *inspect = json_loadb((const char *)data, n1, 0, NULL);
	json_t *image = nul ? json_loadb((const char *)nul + 1, size - n1 - 1, 0, NULL) : NULL;
	json_t *ev;

	if (json_is_object(inspect)) {
		(void)rt_docker_wants_image(inspect);
		ev = rt_docker_container(inspect, json_is_object(image) ? image : NULL, RT_DOCKER);
		if (ev) {
			const char *id =
			        json_string_value(json_object_get(json_object_get(ev, "container"), "id"));
			char *text = json_dumps(ev, JSON_COMPACT);
			json_t *back = text ? json_loads(text, 0, NULL) : NULL;

			if (!id || strlen(id) != 12 || !text || !back)
				abort();
			json_decref(back);
			free(text);
			json_decref(ev);
		}
	}
	json_decref(inspect);
	json_decref(image);
	return 0;
}
