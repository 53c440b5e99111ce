/*
 * test_containerd: containerd's answers (Containers/List, Images/Get:
 * protobuf built here with the generated code) into sysdig's container event
 * JSON, key by key; gRPC's framing and status, read from headers and
 * trailers as libcurl hands them over; and the lookup over a unix socket
 * against a fake gRPC server (HTTP/2, just enough of it): found in the second
 * namespace, unknown in all, NOT_FOUND, garbage, not HTTP/2, nothing there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../src/runtime/grpc.h"
#include "../../src/runtime/runtime.h"
#include "containerd.pb-c.h"
#include "json_asserts.h"
#include "tmpdir_fixture.h"

#define FULL_ID  "3f2a9c1b7e4d5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a"
#define OTHER_ID "3f2a9c1b7e4e0000000000000000000000000000000000000000000000000000"
#define DIGEST   "sha256:2e9ad8c665b36203c31285a45f44640395d2c032167840e2be9a354653b2dedd"
#define IMAGE    "docker.io/sysrec-e2e/bb:1"

/* An OCI spec as containerd keeps it (ctr run's, cut down): not privileged, two binds. */
static const char spec_text[] =
        "{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"args\":[\"sh\"],\"capabilities\":{"
        "\"bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_CHOWN\",\"CAP_KILL\"]}},"
        "\"mounts\":[{\"destination\":\"/"
        "proc\",\"type\":\"proc\",\"source\":\"proc\",\"options\":[\"nosuid\"]},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"mode=755\"]},"
        "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\",\"options\":[\"rbind\",\"ro\","
        "\"rprivate\"]},{\"destination\":\"/logs\",\"source\":\"/var/log\",\"options\":[\"bind\"]}],"
        "\"linux\":{\"resources\":{\"memory\":{\"limit\":268435456,\"swap\":536870912},\"cpu\":{\"shares\":"
        "512,"
        "\"quota\":150000,\"cpus\":\"0-1,3\"}},\"cgroupsPath\":\"/k8s.io/" FULL_ID "\","
        "\"maskedPaths\":[\"/proc/kcore\",\"/proc/keys\"]}}";

/* A container message's parts, to change before packing. */
struct ctr {
	Ctd__Container c;
	Ctd__Container__LabelsEntry l[4], *lp[4];
	Ctd__AnyValue spec;
	Ctd__Timestamp created;
};

static void ctr_init(struct ctr *t, const char *id, const char *image, const char *spec)
{
	static const char *const kv[4][2] = {
		{ "io.kubernetes.pod.name", "pod-c" },
		{ "io.kubernetes.pod.namespace", "ns-c" },
		{ "io.kubernetes.container.name", "web" },
		{ "io.containerd.image.config.stop-signal", "SIGTERM" },
	};

	ctd__container__init(&t->c);
	ctd__any_value__init(&t->spec);
	ctd__timestamp__init(&t->created);
	for (size_t i = 0; i < 4; i++) {
		ctd__container__labels_entry__init(&t->l[i]);
		t->l[i].key = (char *)kv[i][0];
		t->l[i].value = (char *)kv[i][1];
		t->lp[i] = &t->l[i];
	}
	t->c.id = (char *)id;
	t->c.image = (char *)image;
	t->c.n_labels = 4;
	t->c.labels = t->lp;
	t->spec.type_url = (char *)"types.containerd.io/opencontainers/runtime-spec/1/Spec";
	t->spec.value.data = (uint8_t *)spec;
	t->spec.value.len = strlen(spec);
	t->c.spec = &t->spec;
	t->created.seconds = 1796466030;
	t->c.created_at = &t->created;
}

/* A ListContainersResponse of n containers, packed (free it). */
static uint8_t *pack_list(Ctd__Container **cs, size_t n, size_t *len)
{
	Ctd__ListContainersResponse l = CTD__LIST_CONTAINERS_RESPONSE__INIT;
	uint8_t *p;

	l.n_containers = n;
	l.containers = cs;
	*len = ctd__list_containers_response__get_packed_size(&l);
	p = malloc(*len + 1);
	ctd__list_containers_response__pack(&l, p);
	return p;
}

/* A GetImageResponse for image name with target digest, packed (free it). */
static uint8_t *pack_image(const char *name, const char *digest, size_t *len)
{
	Ctd__GetImageResponse r = CTD__GET_IMAGE_RESPONSE__INIT;
	Ctd__Image img = CTD__IMAGE__INIT;
	Ctd__Descriptor d = CTD__DESCRIPTOR__INIT;
	uint8_t *p;

	d.media_type = (char *)"application/vnd.docker.distribution.manifest.v2+json";
	d.digest = (char *)digest;
	d.size = 422;
	img.name = (char *)name;
	img.target = &d;
	r.image = &img;
	*len = ctd__get_image_response__get_packed_size(&r);
	p = malloc(*len + 1);
	ctd__get_image_response__pack(&r, p);
	return p;
}

/* rt_containerd_container over one container t (and OTHER_ID beside it), the image answer for digest. */
static json_t *map(struct ctr *t, const char *id, const char *img_name, const char *digest, struct err *e)
{
	struct ctr other;
	Ctd__Container *cs[2] = { &t->c, &other.c };
	size_t llen, ilen = 0;
	uint8_t *list, *img = NULL;
	json_t *ev;

	ctr_init(&other, OTHER_ID, "other:2", "{}");
	list = pack_list(cs, 2, &llen);
	if (img_name)
		img = pack_image(img_name, digest, &ilen);
	ev = rt_containerd_container(list, llen, id, img, ilen, e);
	free(list);
	free(img);
	return ev;
}

/* --------------------------------------------------------- the mapping */

/* Every key sysdig reads, from the container, its spec and its image's target. */
static void test_containerd_mapping(void **state)
{
	struct ctr t;
	struct err e = { { 0 } };
	json_t *ev, *c, *m, *l;

	(void)state;
	ctr_init(&t, FULL_ID, IMAGE, spec_text);
	ev = map(&t, "3f2a9c1b7e4d", IMAGE, DIGEST, &e);
	assert_non_null(ev);
	c = json_object_get(ev, "container");
	assert_string_equal(cstr(c, "id"), "3f2a9c1b7e4d");
	assert_string_equal(cstr(c, "full_id"), FULL_ID);
	assert_int_equal(cint(c, "type"), RT_CONTAINERD);
	assert_string_equal(cstr(c, "name"), "web"); /* io.kubernetes.container.name */
	assert_string_equal(cstr(c, "image"), IMAGE);
	assert_string_equal(cstr(c, "imagerepo"), "docker.io/sysrec-e2e/bb");
	assert_string_equal(cstr(c, "imagetag"), "1");
	assert_string_equal(cstr(c, "imagedigest"), DIGEST);
	assert_string_equal(cstr(c, "imageid"), DIGEST + 7);
	assert_true(json_is_false(json_object_get(c, "privileged")));
	assert_true(json_is_false(json_object_get(c, "is_pod_sandbox")));
	assert_int_equal(cint(c, "lookup_state"), 1);
	assert_int_equal(cint(c, "created_time"), 1796466030);
	assert_string_equal(cstr(c, "ip"), "0.0.0.0");
	assert_int_equal(json_array_size(json_object_get(c, "port_mappings")), 0);
	assert_int_equal(cint(c, "memory_limit"), 268435456);
	assert_int_equal(cint(c, "swap_limit"), 536870912);
	assert_int_equal(cint(c, "cpu_shares"), 512);
	assert_int_equal(cint(c, "cpu_quota"), 150000);
	assert_int_equal(cint(c, "cpu_period"), 100000);
	assert_int_equal(cint(c, "cpuset_cpu_count"), 3);
	/* the binds only: not proc, not tmpfs */
	assert_int_equal(json_array_size(json_object_get(c, "Mounts")), 2);
	m = json_array_get(json_object_get(c, "Mounts"), 0);
	assert_string_equal(cstr(m, "Source"), "/srv/data");
	assert_string_equal(cstr(m, "Destination"), "/data");
	assert_string_equal(cstr(m, "Mode"), "ro");
	assert_true(json_is_false(json_object_get(m, "RW")));
	assert_string_equal(cstr(m, "Propagation"), "rprivate");
	m = json_array_get(json_object_get(c, "Mounts"), 1);
	assert_string_equal(cstr(m, "Destination"), "/logs");
	assert_string_equal(cstr(m, "Mode"), "rw");
	assert_true(json_is_true(json_object_get(m, "RW")));
	assert_string_equal(cstr(m, "Propagation"), "");
	l = json_object_get(c, "labels");
	assert_int_equal(json_object_size(l), 4);
	assert_string_equal(cstr(l, "io.kubernetes.pod.name"), "pod-c");
	assert_string_equal(cstr(l, "io.kubernetes.pod.namespace"), "ns-c");
	json_decref(ev);
}

/*
 * Privileged: CAP_SYS_ADMIN effective and no masked path; the name without
 * the CRI's label is the id; a sandbox; no image answer (or one for another
 * image): the digest the name gives, if any.
 */
static void test_containerd_rules(void **state)
{
	static const struct {
		const char *spec;
		bool privileged;
	} specs[] = {
		{ "{\"process\":{\"capabilities\":{\"effective\":[\"CAP_CHOWN\",\"CAP_SYS_ADMIN\"]}},"
		  "\"linux\":{\"maskedPaths\":[]}}",
		  true },
		{ "{\"process\":{\"capabilities\":{\"effective\":[\"CAP_SYS_ADMIN\"]}}}", true },
		{ "{\"process\":{\"capabilities\":{\"effective\":[\"CAP_SYS_ADMIN\"]}},"
		  "\"linux\":{\"maskedPaths\":[\"/proc/kcore\"]}}",
		  false }, /* --cap-add SYS_ADMIN alone */
		{ "{\"linux\":{}}", false },
		{ "not JSON", false },
		{ "{\"process\":{\"capabilities\":{\"effective\":\"CAP_SYS_ADMIN\"}},\"mounts\":{}}", false },
	};
	struct err e = { { 0 } };
	struct ctr t;
	json_t *ev, *c;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		ctr_init(&t, FULL_ID, IMAGE, specs[i].spec);
		ev = map(&t, FULL_ID, NULL, NULL, &e);
		c = json_object_get(ev, "container");
		assert_int_equal(json_is_true(json_object_get(c, "privileged")), specs[i].privileged);
		assert_int_equal(json_array_size(json_object_get(c, "Mounts")), 0);
		assert_int_equal(cint(c, "cpu_shares"), 1024);
		json_decref(ev);
	}
	/* no container name: the id; the CRI's sandbox; no tag; the digest in the name */
	ctr_init(&t, FULL_ID, "reg:5000/ns/img@sha256:abcd", spec_text);
	t.l[2].key = (char *)"io.cri-containerd.kind";
	t.l[2].value = (char *)"sandbox";
	ev = map(&t, "3f2a9c1b7e4d5f", "other:2", DIGEST, &e); /* an answer for another image: left out */
	c = json_object_get(ev, "container");
	assert_string_equal(cstr(c, "name"), "3f2a9c1b7e4d");
	assert_true(json_is_true(json_object_get(c, "is_pod_sandbox")));
	assert_string_equal(cstr(c, "imagerepo"), "reg:5000/ns/img");
	assert_string_equal(cstr(c, "imagetag"), "latest");
	assert_string_equal(cstr(c, "imagedigest"), "sha256:abcd");
	assert_string_equal(cstr(c, "imageid"), "abcd");
	json_decref(ev);
	/* no image answer, none in the name */
	ctr_init(&t, FULL_ID, IMAGE, spec_text);
	ev = map(&t, "3f2a9c1b7e4d", NULL, NULL, &e);
	c = json_object_get(ev, "container");
	assert_string_equal(cstr(c, "imagedigest"), "");
	assert_string_equal(cstr(c, "imageid"), "");
	json_decref(ev);
}

/* What containerd would not say, taken without a crash: garbage, no such id, two ids alike, bad bytes. */
static void test_containerd_hostile(void **state)
{
	static const uint8_t garbage[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01 };
	struct err e = { { 0 } };
	struct ctr t, t2;
	Ctd__Container *cs[2] = { &t.c, &t2.c };
	size_t len;
	uint8_t *list;
	json_t *ev, *c;

	(void)state;
	assert_null(rt_containerd_container(garbage, sizeof(garbage), "3f2a9c1b7e4d", NULL, 0, &e));
	assert_non_null(strstr(e.msg, "not containerd's list"));
	ctr_init(&t, FULL_ID, IMAGE, spec_text);
	assert_null(map(&t, "0123456789ab", NULL, NULL, &e)); /* not listed */
	assert_non_null(strstr(e.msg, "no container 0123456789ab"));
	/* the common start of two ids is no one container's */
	ctr_init(&t2, OTHER_ID, IMAGE, spec_text);
	list = pack_list(cs, 2, &len);
	assert_null(rt_containerd_container(list, len, "3f2a9c1b7e4", NULL, 0, &e));
	assert_non_null(strstr(e.msg, "2 containers' ids start with"));
	free(list);
	/* not hex: no container sysrec sees */
	ctr_init(&t, "3f2a9c1b7e4d-not-hex", IMAGE, spec_text);
	assert_null(map(&t, "3f2a9c1b7e4d", NULL, NULL, &e));
	/* bytes that are not UTF-8: shown as '?' (a JSON text holds UTF-8 only) */
	ctr_init(&t, FULL_ID, "img\xff:1", "{\"mounts\":[{\"type\":\"bind\",\"source\":5,\"options\":[7]}]}");
	t.l[0].value = (char *)"pod\xc3";
	t.l[1].key = (char *)"key\x80";
	ev = map(&t, "3f2a9c1b7e4d", NULL, NULL, &e);
	assert_non_null(ev);
	c = json_object_get(ev, "container");
	assert_string_equal(cstr(c, "image"), "img?:1");
	assert_string_equal(cstr(json_object_get(c, "labels"), "io.kubernetes.pod.name"), "pod?");
	assert_string_equal(cstr(json_object_get(c, "labels"), "key?"), "ns-c");
	assert_string_equal(cstr(json_array_get(json_object_get(c, "Mounts"), 0), "Source"), "");
	json_decref(ev);
}

/* --------------------------------------------------------- gRPC's framing */

static void headers(struct rt_grpc_reply *r, const char *const *lines)
{
	for (size_t i = 0; lines[i]; i++)
		rt_grpc_reply_header(r, lines[i], strlen(lines[i]));
}

/* Frames: whole, cut short, compressed; an answer's status from its headers or trailers. */
static void test_grpc_framing(void **state)
{
	static const uint8_t frame[] = { 0, 0, 0, 0, 3, 0x0a, 0x01, 'x', 0xee };
	static const char *const ok_head[] = { "HTTP/2 200 \r\n", "content-type: application/grpc\r\n",
		                               "\r\n", NULL };
	const uint8_t *msg;
	size_t mlen, used;
	struct err e = { { 0 } };
	struct rt_grpc_reply r;

	(void)state;
	assert_int_equal(rt_grpc_frame(frame, sizeof(frame), &msg, &mlen, &used, &e), 0);
	assert_int_equal(mlen, 3);
	assert_int_equal(used, 8);
	assert_ptr_equal(msg, frame + 5);
	assert_int_equal(rt_grpc_frame(frame, 4, &msg, &mlen, &used, &e), -EPROTO);
	assert_int_equal(rt_grpc_frame(frame, 7, &msg, &mlen, &used, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "cut short"));
	{
		uint8_t z[sizeof(frame)];

		memcpy(z, frame, sizeof(z));
		z[0] = 1;
		assert_int_equal(rt_grpc_frame(z, sizeof(z), &msg, &mlen, &used, &e), -EPROTO);
		assert_non_null(strstr(e.msg, "compressed"));
	}

	/* status 0 in the trailers, one frame: its message */
	rt_grpc_reply_init(&r);
	r.http_status = 200;
	headers(&r, ok_head);
	sbuf_put(&r.body.b, frame, 8);
	headers(&r, (const char *const[]){ "grpc-status: 0\r\n", "grpc-message: \r\n", NULL });
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), 0);
	assert_int_equal(mlen, 3);
	/* a byte more than the frame */
	sbuf_put(&r.body.b, frame + 8, 1);
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "1 bytes after"));
	rt_grpc_reply_release(&r);

	/* NOT_FOUND, trailers-only (in the headers, no body), as containerd says it */
	rt_grpc_reply_init(&r);
	r.http_status = 200;
	headers(&r, (const char *const[]){ "HTTP/2 200 \r\n", "Content-Type: application/grpc\r\n",
	                                   "grpc-status: 5\r\n", "grpc-message: image \"x\": not found\r\n",
	                                   NULL });
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "image \"x\": not found"));
	rt_grpc_reply_release(&r);

	/* UNAVAILABLE: there, cannot answer now; a status that is not a number; none at all */
	rt_grpc_reply_init(&r);
	r.http_status = 200;
	headers(&r, ok_head);
	headers(&r, (const char *const[]){ "grpc-status: 14\r\n", NULL });
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EIO);
	headers(&r, (const char *const[]){ "grpc-status: 1x\r\n", NULL });
	assert_int_equal(r.status, 2);
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	r.status = -1;
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "without its status"));
	/* status 0 with no body: no message */
	r.status = 0;
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	rt_grpc_reply_release(&r);

	/* not gRPC: another content type, another HTTP status */
	rt_grpc_reply_init(&r);
	r.http_status = 200;
	headers(&r,
	        (const char *const[]){ "content-type: application/grpcx\r\n", "grpc-status: 0\r\n", NULL });
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	headers(&r, (const char *const[]){ "content-type: application/grpc+proto\r\n", NULL });
	assert_true(r.is_grpc);
	r.http_status = 404;
	assert_int_equal(rt_grpc_reply_message(&r, &msg, &mlen, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "HTTP status 404"));
	rt_grpc_reply_release(&r);
}

static void test_containerd_namespaces(void **state)
{
	struct err e = { { 0 } };
	char **ns;

	(void)state;
	ns = rt_containerd_namespaces("k8s.io,,default", &e);
	assert_non_null(ns);
	assert_string_equal(ns[0], "k8s.io");
	assert_string_equal(ns[1], "default");
	assert_null(ns[2]);
	free(ns);
	ns = rt_containerd_namespaces("moby", &e);
	assert_string_equal(ns[0], "moby");
	free(ns);
	assert_null(rt_containerd_namespaces("", &e));
	assert_null(rt_containerd_namespaces(",", &e));
	assert_null(rt_containerd_namespaces("k8s.io,a b", &e));
	assert_non_null(strstr(e.msg, "'a b' is not a containerd namespace"));
	assert_null(rt_containerd_namespaces("x\r\nevil: 1", &e));
	assert_null(rt_containerd_namespaces(".hidden", &e));
}

/* ------------------------------------------------ a fake gRPC server */

/*
 * Just enough HTTP/2 for libcurl: the server's SETTINGS, acknowledgements,
 * and for each request (a stream that ends) the next scripted reply: HEADERS
 * (:status 200, content-type, as literals HPACK decodes without a table),
 * DATA, and trailers; or trailers-only; or an HTTP/1 answer. The requests'
 * bodies are kept for the test to read (their headers are not decoded).
 */
struct fake_reply {
	int status;         /* grpc-status */
	const uint8_t *msg; /* the message; NULL: trailers-only */
	size_t len;
	bool garbage; /* a body that is no gRPC frame */
	bool http1;   /* answer as an HTTP/1.1 server */
};

static struct {
	int lfd;
	pthread_t thread;
	atomic_bool stop;
	struct fake_reply replies[8];
	size_t nreplies, served;
	struct sbuf requests[8];
} g_fake;

static bool read_full(int fd, void *p, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)p + got, n - got);

		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

static void send_frame(int fd, uint8_t type, uint8_t flags, uint32_t stream, const void *p, size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16),
		         (uint8_t)(n >> 8),
		         (uint8_t)n,
		         type,
		         flags,
		         (uint8_t)(stream >> 24),
		         (uint8_t)(stream >> 16),
		         (uint8_t)(stream >> 8),
		         (uint8_t)stream };

	assert_int_equal(write(fd, h, 9), 9);
	if (n)
		assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* An HPACK literal header field without indexing, new name, no Huffman (lengths < 127). */
static void hpack_literal(struct sbuf *b, const char *name, const char *value)
{
	sbuf_putc(b, 0);
	sbuf_putc(b, (char)strlen(name));
	sbuf_puts(b, name);
	sbuf_putc(b, (char)strlen(value));
	sbuf_puts(b, value);
}

enum { H2_DATA = 0, H2_HEADERS = 1, H2_SETTINGS = 4, H2_PING = 6, H2_GOAWAY = 7 };
enum { H2_END_STREAM = 1, H2_ACK = 1, H2_END_HEADERS = 4 };

static void fake_respond(int fd, uint32_t stream, const struct fake_reply *r)
{
	struct sbuf h = { 0 }, t = { 0 }, d = { 0 };
	char status[16];

	snprintf(status, sizeof(status), "%d", r->status);
	sbuf_putc(&h, (char)0x88); /* :status 200, from HPACK's static table */
	hpack_literal(&h, "content-type", "application/grpc");
	hpack_literal(&t, "grpc-status", status);
	hpack_literal(&t, "grpc-message", r->status ? "not found" : "");
	if (!r->msg && !r->garbage) { /* trailers-only */
		sbuf_put(&h, t.data, t.len);
		send_frame(fd, H2_HEADERS, H2_END_HEADERS | H2_END_STREAM, stream, h.data, h.len);
	} else {
		uint8_t head[5] = { 0, (uint8_t)(r->len >> 24), (uint8_t)(r->len >> 16),
			            (uint8_t)(r->len >> 8), (uint8_t)r->len };

		if (r->garbage) {
			sbuf_puts(&d, "<html>not gRPC</html>");
		} else {
			sbuf_put(&d, head, 5);
			sbuf_put(&d, r->msg, r->len);
		}
		send_frame(fd, H2_HEADERS, H2_END_HEADERS, stream, h.data, h.len);
		send_frame(fd, H2_DATA, 0, stream, d.data, d.len);
		send_frame(fd, H2_HEADERS, H2_END_HEADERS | H2_END_STREAM, stream, t.data, t.len);
	}
	sbuf_release(&h);
	sbuf_release(&t);
	sbuf_release(&d);
}

static void fake_connection(int fd)
{
	uint8_t preface[24], h[9], *p = NULL;

	if (g_fake.served < g_fake.nreplies && g_fake.replies[g_fake.served].http1) {
		static const char http1[] =
		        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		g_fake.served++;
		while (poll(&pfd, 1, 200) > 0 && read(fd, preface, sizeof(preface)) > 0)
			; /* all the client sends, then the answer, as an HTTP/1.1 server would */
		assert_int_equal(write(fd, http1, sizeof(http1) - 1), (ssize_t)sizeof(http1) - 1);
		shutdown(fd, SHUT_WR);
		while (poll(&pfd, 1, 1000) > 0 && read(fd, preface, sizeof(preface)) > 0)
			;
		return;
	}
	if (!read_full(fd, preface, sizeof(preface)) ||
	    memcmp(preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24))
		return;
	send_frame(fd, H2_SETTINGS, 0, 0, NULL, 0);
	while (read_full(fd, h, 9)) {
		size_t n = (size_t)h[0] << 16 | (size_t)h[1] << 8 | h[2];
		uint32_t stream =
		        ((uint32_t)h[5] & 0x7f) << 24 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 8 | h[8];

		p = realloc(p, n + 1);
		if (!read_full(fd, p, n))
			break;
		if (h[3] == H2_SETTINGS && !(h[4] & H2_ACK))
			send_frame(fd, H2_SETTINGS, H2_ACK, 0, NULL, 0);
		else if (h[3] == H2_PING && !(h[4] & H2_ACK))
			send_frame(fd, H2_PING, H2_ACK, 0, p, n);
		else if (h[3] == H2_GOAWAY)
			break;
		if (h[3] == H2_DATA && g_fake.served < 8)
			sbuf_put(&g_fake.requests[g_fake.served], p, n);
		if ((h[3] == H2_DATA || h[3] == H2_HEADERS) && (h[4] & H2_END_STREAM)) {
			struct fake_reply none = { .status = 12 }; /* UNIMPLEMENTED: past the script */

			fake_respond(fd, stream,
			             g_fake.served < g_fake.nreplies ? &g_fake.replies[g_fake.served]
			                                             : &none);
			g_fake.served++;
		}
	}
	free(p);
}

static void *fake_serve(void *arg)
{
	(void)arg;
	while (!atomic_load(&g_fake.stop)) {
		struct pollfd pfd = { .fd = g_fake.lfd, .events = POLLIN };
		int fd;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((fd = accept(g_fake.lfd, NULL, NULL)) < 0)
			continue;
		fake_connection(fd);
		close(fd);
	}
	return NULL;
}

/* Serve the replies (n of them) on the unix socket path, one connection at a time. */
static void fake_start(const char *path, const struct fake_reply *replies, size_t n)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(g_fake.requests, 0, sizeof(g_fake.requests));
	memcpy(g_fake.replies, replies, n * sizeof(*replies));
	g_fake.nreplies = n;
	g_fake.served = 0;
	atomic_store(&g_fake.stop, false);
	g_fake.lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(g_fake.lfd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(g_fake.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(g_fake.lfd, 8), 0);
	assert_int_equal(pthread_create(&g_fake.thread, NULL, fake_serve, NULL), 0);
}

/* Stop serving; how many requests came. */
static size_t fake_stop(void)
{
	atomic_store(&g_fake.stop, true);
	pthread_join(g_fake.thread, NULL);
	close(g_fake.lfd);
	for (size_t i = 0; i < 8; i++)
		sbuf_release(&g_fake.requests[i]);
	return g_fake.served;
}

/* Whether request i's body holds s. */
static bool asked(size_t i, const char *s)
{
	return g_fake.requests[i].len &&
	       memmem(g_fake.requests[i].data, g_fake.requests[i].len, s, strlen(s));
}

static const char *const two_ns[] = { "k8s.io", "default", NULL };

/* Not in k8s.io, found in default: the container, then its image asked there. */
static void test_lookup_found(void **state)
{
	struct ctr t;
	Ctd__Container *cs[1] = { &t.c };
	size_t llen, ilen;
	uint8_t *list, *img;
	char sock[256], *text = NULL;
	struct err e = { { 0 } };
	json_t *j, *c;

	(void)state;
	ctr_init(&t, FULL_ID, IMAGE, spec_text);
	list = pack_list(cs, 1, &llen);
	img = pack_image(IMAGE, DIGEST, &ilen);
	tmp_path(sock, sizeof(sock), "ctd.sock");
	fake_start(sock,
	           (const struct fake_reply[]){
	                   { .status = 0, .msg = (const uint8_t *)"", .len = 0 }, /* k8s.io: an empty list */
	                   { .status = 0, .msg = list, .len = llen },
	                   { .status = 0, .msg = img, .len = ilen },
	           },
	           3);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "3f2a9c1b7e4d", 2000, &text, &e), 0);
	assert_true(asked(0, "id~=^3f2a9c1b7e4d"));
	assert_true(asked(1, "id~=^3f2a9c1b7e4d"));
	assert_true(asked(2, IMAGE));
	assert_int_equal(fake_stop(), 3);
	j = json_loads(text, 0, NULL);
	c = json_object_get(j, "container");
	assert_string_equal(cstr(c, "full_id"), FULL_ID);
	assert_string_equal(cstr(c, "name"), "web");
	assert_string_equal(cstr(c, "imagedigest"), DIGEST);
	assert_int_equal(cint(c, "type"), RT_CONTAINERD);
	json_decref(j);
	free(text);

	/* the image unknown (NOT_FOUND, trailers-only): described all the same, no digest */
	fake_start(sock,
	           (const struct fake_reply[]){ { .status = 0, .msg = list, .len = llen }, { .status = 5 } },
	           2);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, FULL_ID, 2000, &text, &e), 0);
	assert_int_equal(fake_stop(), 2);
	j = json_loads(text, 0, NULL);
	assert_string_equal(cstr(json_object_get(j, "container"), "imagedigest"), "");
	json_decref(j);
	free(text);
	free(list);
	free(img);
}

/* Unknown in every namespace, NOT_FOUND, garbage, not HTTP/2, nothing there, not an id: each said. */
static void test_lookup_refused(void **state)
{
	char sock[256], *text;
	struct err e = { { 0 } };

	(void)state;
	tmp_path(sock, sizeof(sock), "ctd2.sock");
	fake_start(sock,
	           (const struct fake_reply[]){ { .status = 0, .msg = (const uint8_t *)"", .len = 0 },
	                                        { .status = 5 } },
	           2);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "0123456789ab", 2000, &text, &e), -ENOENT);
	assert_null(text);
	assert_non_null(strstr(e.msg, "in none of the namespaces asked (k8s.io, default)"));
	assert_int_equal(fake_stop(), 2);

	fake_start(sock, (const struct fake_reply[]){ { .status = 0, .garbage = true } }, 1);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "0123456789ab", 2000, &text, &e), -EPROTO);
	assert_non_null(strstr(e.msg, sock));
	assert_int_equal(fake_stop(), 1); /* the other namespace is not asked */

	fake_start(
	        sock,
	        (const struct fake_reply[]){ { .status = 0, .msg = (const uint8_t *)"\x0a\xff", .len = 2 } },
	        1);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "0123456789ab", 2000, &text, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "not containerd's answer"));
	fake_stop();

	fake_start(sock, (const struct fake_reply[]){ { .http1 = true } }, 1);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "0123456789ab", 2000, &text, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "not a gRPC server"));
	fake_stop();

	unlink(sock);
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "0123456789ab", 2000, &text, &e), -ECONNREFUSED);
	assert_non_null(strstr(e.msg, sock));
	assert_int_equal(rt_containerd_lookup(sock, two_ns, "../../etc", 2000, &text, &e), -EINVAL);
	assert_int_equal(rt_containerd_lookup(sock, (const char *const[]){ "a\r\nb: c", NULL },
	                                      "0123456789ab", 2000, &text, &e),
	                 -EINVAL);
}

/* ------------------------------------------------------------ the watcher */

struct taken {
	int answers, notes;
	char json[4096], note[1024];
};

static void on_answer(void *ctx, const char *id, const char *json)
{
	struct taken *t = ctx;

	(void)id;
	t->answers++;
	snprintf(t->json, sizeof(t->json), "%s", json);
}

static void on_note(void *ctx, const char *text)
{
	struct taken *t = ctx;

	t->notes++;
	snprintf(t->note, sizeof(t->note), "%s", text);
}

/* Wait until the watcher has settled n containers (answered, unknown or failed); its status. */
static struct rt_watch_status settled(struct rt_watch *w, uint64_t n)
{
	struct rt_watch_status st;

	for (int i = 0; i < 500; i++) {
		rt_watch_status(w, &st);
		if (st.answered + st.unknown + st.failed >= n)
			break;
		usleep(10000);
	}
	assert_int_equal(st.answered + st.unknown + st.failed, n);
	return st;
}

/*
 * The watcher with containerd alone: a container described; containerd gone,
 * the next not answered and a notice says so; back, a notice says it answers
 * again (an unknown container is an answer).
 */
static void test_watch_containerd(void **state)
{
	struct ctr t;
	Ctd__Container *cs[1] = { &t.c };
	size_t llen;
	uint8_t *list;
	char sock[256];
	struct taken got = { 0 };
	struct rt_watch *w;
	struct rt_watch_status st;

	(void)state;
	ctr_init(&t, FULL_ID, IMAGE, spec_text);
	list = pack_list(cs, 1, &llen);
	tmp_path(sock, sizeof(sock), "ctd3.sock");
	fake_start(sock,
	           (const struct fake_reply[]){ { .status = 0, .msg = list, .len = llen }, { .status = 5 } },
	           2);
	w = rt_watch_start(&(struct rt_watch_opts){ .docker_sock = "",
	                                            .podman_sock = "",
	                                            .containerd_sock = sock,
	                                            .containerd_namespaces = "k8s.io" });
	assert_non_null(w);
	rt_watch_ask(w, "3f2a9c1b7e4d", 7);
	st = settled(w, 1);
	assert_int_equal(st.answered, 1);
	rt_watch_take(w, on_answer, on_note, &got);
	assert_int_equal(got.answers, 1);
	assert_non_null(strstr(got.json, "\"full_id\":\"" FULL_ID "\""));
	assert_int_equal(fake_stop(), 2);
	unlink(sock);

	rt_watch_ask(w, "0123456789ab", 0); /* a Docker layout: containerd is asked all the same */
	st = settled(w, 2);
	assert_int_equal(st.failed, 1);
	assert_non_null(strstr(st.last_error, sock));
	rt_watch_take(w, on_answer, on_note, &got);
	assert_int_equal(got.notes, 1);
	assert_non_null(strstr(got.note, "the container runtime stopped answering"));

	fake_start(sock, (const struct fake_reply[]){ { .status = 0, .msg = (const uint8_t *)"", .len = 0 } },
	           1);
	rt_watch_ask(w, "0123456789ab", 0);
	st = settled(w, 3);
	assert_int_equal(st.unknown, 1);
	rt_watch_take(w, on_answer, on_note, &got);
	assert_int_equal(got.notes, 2);
	assert_non_null(strstr(got.note, "answers again"));
	assert_int_equal(got.answers, 1);
	fake_stop();
	rt_watch_stop(w);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containerd_mapping),    cmocka_unit_test(test_containerd_rules),
		cmocka_unit_test(test_containerd_hostile),    cmocka_unit_test(test_grpc_framing),
		cmocka_unit_test(test_containerd_namespaces), cmocka_unit_test(test_lookup_found),
		cmocka_unit_test(test_lookup_refused),        cmocka_unit_test(test_watch_containerd),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
