/*
 * test_runtime: Docker's inspection of a container into sysdig's container
 * event JSON, key by key; and the lookup over a unix socket against a fake
 * Docker API (libmicrohttpd): found, unknown, not Docker's, nothing there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../../src/runtime/runtime.h"
#include "json_asserts.h"
#include "tmpdir_fixture.h"

#define FULL_ID  "3f2a9c1b7e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a"
#define IMAGE_ID "1111111111111111111111111111111111111111111111111111111111111111"

/* An inspection as Docker's Engine API gives it (/containers/ID/json), the fields sysdig reads. */
static const char inspect_text[] =
        "{\"Id\":\"" FULL_ID "\",\"Created\":\"2026-12-05T10:20:30.123456789Z\",\"Name\":\"/web-1\","
        "\"Image\":\"sha256:" IMAGE_ID "\","
        "\"Config\":{\"Image\":\"busybox:1.36\",\"Labels\":{\"io.kubernetes.pod.name\":\"shop-0\","
        "\"io.kubernetes.pod.namespace\":\"prod\",\"app\":\"shop\",\"n\":5},"
        "\"Healthcheck\":{\"Test\":[\"CMD-SHELL\",\"wget -q localhost\"]}},"
        "\"HostConfig\":{\"Privileged\":true,\"Memory\":268435456,\"MemorySwap\":536870912,\"CpuShares\":512,"
        "\"CpuQuota\":0,\"NanoCpus\":1500000000,\"CpuPeriod\":0,\"CpusetCpus\":\"0-1,3\"},"
        "\"NetworkSettings\":{\"IPAddress\":\"172.17.0.2\",\"Ports\":{\"80/tcp\":[{\"HostIp\":\"0.0.0.0\","
        "\"HostPort\":\"8080\"}],\"53/udp\":[{\"HostIp\":\"0.0.0.0\",\"HostPort\":\"5353\"}],\"bad\":7}},"
        "\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/data\",\"Destination\":\"/data\",\"Mode\":\"ro\","
        "\"RW\":false,\"Propagation\":\"rprivate\"}]}";

static const char image_text[] = "{\"Id\":\"sha256:" IMAGE_ID "\",\"RepoTags\":[\"busybox:1.36\"],"
                                 "\"RepoDigests\":[\"busybox@sha256:abcd\"]}";

static json_t *load(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);

	assert_non_null(j);
	return j;
}

/* Every key sysdig 0.29.3 reads, from the inspection and the image's. */
static void test_docker_mapping(void **state)
{
	json_t *in = load(inspect_text), *img = load(image_text), *ev, *c, *m, *p, *l, *h;
	struct tm tm = {
		.tm_year = 126, .tm_mon = 11, .tm_mday = 5, .tm_hour = 10, .tm_min = 20, .tm_sec = 30
	};

	(void)state;
	assert_true(rt_docker_wants_image(in)); /* busybox:1.36 names no digest */
	ev = rt_docker_container(in, img, RT_DOCKER);
	assert_non_null(ev);
	c = json_object_get(ev, "container");
	assert_string_equal(cstr(c, "id"), "3f2a9c1b7e4d");
	assert_string_equal(cstr(c, "full_id"), FULL_ID);
	assert_int_equal(cint(c, "type"), 0);
	assert_string_equal(cstr(c, "name"), "web-1");
	assert_string_equal(cstr(c, "image"), "busybox:1.36");
	assert_string_equal(cstr(c, "imageid"), IMAGE_ID);
	assert_string_equal(cstr(c, "imagerepo"), "busybox");
	assert_string_equal(cstr(c, "imagetag"), "1.36");
	assert_string_equal(cstr(c, "imagedigest"), "sha256:abcd");
	assert_true(json_is_true(json_object_get(c, "privileged")));
	assert_true(json_is_false(json_object_get(c, "is_pod_sandbox")));
	assert_int_equal(cint(c, "lookup_state"), 1);
	assert_int_equal(cint(c, "created_time"), (json_int_t)timegm(&tm));
	assert_string_equal(cstr(c, "ip"), "172.17.0.2");
	assert_int_equal(cint(c, "memory_limit"), 268435456);
	assert_int_equal(cint(c, "swap_limit"), 536870912);
	assert_int_equal(cint(c, "cpu_shares"), 512);
	assert_int_equal(cint(c, "cpu_quota"), 150000); /* NanoCpus / 10000 */
	assert_int_equal(cint(c, "cpu_period"), 100000);
	assert_int_equal(cint(c, "cpuset_cpu_count"), 3);
	m = json_array_get(json_object_get(c, "Mounts"), 0);
	assert_string_equal(cstr(m, "Source"), "/srv/data");
	assert_string_equal(cstr(m, "Destination"), "/data");
	assert_string_equal(cstr(m, "Mode"), "ro");
	assert_true(json_is_false(json_object_get(m, "RW")));
	assert_string_equal(cstr(m, "Propagation"), "rprivate");
	/* TCP ports only, the host's address in host order */
	assert_int_equal(json_array_size(json_object_get(c, "port_mappings")), 1);
	p = json_array_get(json_object_get(c, "port_mappings"), 0);
	assert_int_equal(cint(p, "HostPort"), 8080);
	assert_int_equal(cint(p, "ContainerPort"), 80);
	assert_int_equal(cint(p, "HostIp"), 0);
	/* labels: string values only (a reader takes every value as a string) */
	l = json_object_get(c, "labels");
	assert_int_equal(json_object_size(l), 3);
	assert_string_equal(cstr(l, "io.kubernetes.pod.name"), "shop-0");
	assert_string_equal(cstr(l, "io.kubernetes.pod.namespace"), "prod");
	h = json_object_get(c, "Healthcheck");
	assert_string_equal(cstr(h, "exe"), "/bin/sh");
	assert_string_equal(json_string_value(json_array_get(json_object_get(h, "args"), 1)),
	                    "wget -q localhost");
	json_decref(ev);
	json_decref(in);
	json_decref(img);
}

/* Image names split as sysdig splits them; no image inspection: the names the container gives. */
static void test_docker_image_names(void **state)
{
	static const struct {
		const char *image, *repo, *tag, *digest;
	} cases[] = {
		{ "reg:5000/ns/img:1.2@sha256:ab", "reg:5000/ns/img", "1.2", "sha256:ab" },
		{ "reg:5000/img", "reg:5000/img", "latest", "" },
		{ "busybox", "busybox", "latest", "" },
		{ "docker.io/library/nginx:1.25", "docker.io/library/nginx", "1.25", "" },
		{ "sha256:" IMAGE_ID, "", "latest", "" }, /* started by the image's id */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *in = json_pack("{s:s,s:{s:s}}", "Id", FULL_ID, "Config", "Image", cases[i].image);
		json_t *ev = rt_docker_container(in, NULL, RT_PODMAN), *c = json_object_get(ev, "container");

		assert_string_equal(cstr(c, "imagerepo"), cases[i].repo);
		assert_string_equal(cstr(c, "imagetag"), cases[i].tag);
		assert_string_equal(cstr(c, "imagedigest"), cases[i].digest);
		assert_int_equal(cint(c, "type"), RT_PODMAN);
		json_decref(ev);
		json_decref(in);
	}
}

/* What no runtime would say, taken without a crash: no id, a bad address, odd types everywhere. */
static void test_docker_hostile(void **state)
{
	static const char *const texts[] = {
		"{}",
		"{\"Id\":\"not-hex\"}",
		"{\"Id\":\"3f2a9c1b\"}", /* too short */
		"{\"Id\":\"" FULL_ID "\",\"Name\":5,\"Config\":[],\"HostConfig\":\"x\",\"NetworkSettings\":"
		"{\"IPAddress\":\"999.1.2.3\",\"Ports\":{\"99999/tcp\":[{}],\"80/"
		"tcp\":[{\"HostIp\":7,\"HostPort\":"
		"\"99999\"}]}},\"Mounts\":{\"a\":1}}",
	};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		json_t *in = load(texts[i]);

		assert_null(rt_docker_container(in, NULL, RT_DOCKER));
		json_decref(in);
	}
	{
		json_t *in = load(texts[3]), *ev = rt_docker_container(in, NULL, RT_DOCKER);
		json_t *c = json_object_get(ev, "container");

		assert_non_null(ev);
		assert_string_equal(cstr(c, "name"), "");
		assert_string_equal(cstr(c, "ip"), "0.0.0.0");
		assert_int_equal(json_array_size(json_object_get(c, "Mounts")), 0);
		assert_int_equal(cint(json_array_get(json_object_get(c, "port_mappings"), 0), "HostPort"), 0);
		json_decref(ev);
		json_decref(in);
	}
}

/* ---------------------------------------------------------- a fake API */

static enum { SERVE_OK, SERVE_GARBAGE } g_mode;

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *data, size_t *size, void **con_cls)
{
	const char *body = NULL;
	unsigned status = 404;
	struct MHD_Response *r;
	enum MHD_Result rc;

	(void)cls, (void)method, (void)version, (void)data, (void)size, (void)con_cls;
	if (g_mode == SERVE_GARBAGE) {
		body = "this is not JSON";
		status = 200;
	} else if (!strcmp(url, "/containers/3f2a9c1b7e4d/json") ||
	           !strcmp(url, "/containers/" FULL_ID "/json")) {
		body = inspect_text;
		status = 200;
	} else if (!strcmp(url, "/images/" IMAGE_ID "/json")) {
		body = image_text;
		status = 200;
	} else {
		body = "{\"message\":\"No such container\"}";
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static struct MHD_Daemon *fake_api(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct MHD_Daemon *d;

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 8), 0);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, NULL,
	                     MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_END);
	assert_non_null(d);
	return d;
}

/* A lookup by short id: the container and its image asked, the event JSON made. */
static void test_lookup_found(void **state)
{
	char sock[256], *text;
	struct err e = { { 0 } };
	struct MHD_Daemon *d;
	json_t *j;

	(void)state;
	tmp_path(sock, sizeof(sock), "docker.sock");
	g_mode = SERVE_OK;
	d = fake_api(sock);
	assert_int_equal(rt_docker_lookup(sock, "3f2a9c1b7e4d", RT_DOCKER, 2000, &text, &e), 0);
	j = load(text);
	assert_string_equal(cstr(json_object_get(j, "container"), "name"), "web-1");
	assert_string_equal(cstr(json_object_get(j, "container"), "imagedigest"), "sha256:abcd");
	json_decref(j);
	free(text);
	MHD_stop_daemon(d);
}

/* Unknown to the runtime, an answer not Docker's, nothing on the socket, not an id: each said. */
static void test_lookup_refused(void **state)
{
	char sock[256], *text;
	struct err e = { { 0 } };
	struct MHD_Daemon *d;

	(void)state;
	tmp_path(sock, sizeof(sock), "docker2.sock");
	g_mode = SERVE_OK;
	d = fake_api(sock);
	assert_int_equal(rt_docker_lookup(sock, "0123456789ab", RT_DOCKER, 2000, &text, &e), -ENOENT);
	assert_null(text);
	g_mode = SERVE_GARBAGE;
	assert_int_equal(rt_docker_lookup(sock, "3f2a9c1b7e4d", RT_DOCKER, 2000, &text, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "not a JSON object"));
	MHD_stop_daemon(d);
	assert_true(rt_docker_lookup(sock, "3f2a9c1b7e4d", RT_DOCKER, 2000, &text, &e) < 0);
	assert_non_null(strstr(e.msg, sock));
	assert_int_equal(rt_docker_lookup(sock, "../../etc", RT_DOCKER, 2000, &text, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_mapping), cmocka_unit_test(test_docker_image_names),
		cmocka_unit_test(test_docker_hostile), cmocka_unit_test(test_lookup_found),
		cmocka_unit_test(test_lookup_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
