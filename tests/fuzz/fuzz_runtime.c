/*
 * fuzz_runtime: libFuzzer target for the runtimes' answers: what a socket
 * claiming to be Docker's or containerd's says of a container.
 *
 * An input starting with a NUL byte is containerd's (src/runtime/containerd.c
 * over protobuf-c, src/runtime/grpc.c): the body of its Containers/List
 * answer, gRPC frames (a NUL flag byte, a 4-byte length, the message), the
 * first frame the list, a second its Images/Get answer, asked about
 * container FUZZ_ID's start; the container's spec inside is JSON again. Any
 * other input is Docker's (src/runtime/docker.c over jansson): its inspection
 * of a container, then of its image (split at the first NUL byte, if any).
 *
 * An answer is mapped into sysdig's container event JSON or refused (NULL);
 * a mapped one has a 12-digit id, and dumps and loads back. Anything else
 * aborts; crashes, leaks, hangs and UB are bugs.
 *
 * Build: make build/fuzz/fuzz_runtime (see FUZZ_SRCS_runtime in the Makefile).
 */
#include "../../src/runtime/grpc.h"
#include "../../src/runtime/runtime.h"

#include <stdlib.h>
#include <string.h>

#define FUZZ_ID "3f2a9c1b7e4d"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An event JSON as a reader takes it: a 12-digit id, and its text loads back. */
static void check_event(json_t *ev)
{
	const char *id = json_string_value(json_object_get(json_object_get(ev, "container"), "id"));
	char *text = json_dumps(ev, JSON_COMPACT);
	json_t *back = text ? json_loads(text, 0, NULL) : NULL;

	if (!id || strlen(id) != 12 || !text || !back)
		abort();
	json_decref(back);
	free(text);
	json_decref(ev);
}

static void containerd_answers(const uint8_t *data, size_t size)
{
	const uint8_t *list, *image = NULL;
	size_t llen, ilen = 0, used;
	struct err e;
	json_t *ev;

	if (rt_grpc_frame(data, size, &list, &llen, &used, &e))
		return;
	if (used < size && rt_grpc_frame(data + used, size - used, &image, &ilen, &used, &e))
		image = NULL;
	ev = rt_containerd_container(list, llen, FUZZ_ID, image, ilen, &e);
	if (ev)
		check_event(ev);
}

static void docker_answers(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	json_t *inspect = json_loadb((const char *)data, n1, 0, NULL);
	json_t *image = nul ? json_loadb((const char *)nul + 1, size - n1 - 1, 0, NULL) : NULL;
	json_t *ev;

	if (json_is_object(inspect)) {
		(void)rt_docker_wants_image(inspect);
		ev = rt_docker_container(inspect, json_is_object(image) ? image : NULL, RT_DOCKER);
		if (ev)
			check_event(ev);
	}
	json_decref(inspect);
	json_decref(image);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size && data[0] == 0)
		containerd_answers(data, size);
	else
		docker_answers(data, size);
	return 0;
}
