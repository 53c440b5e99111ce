/*
 * runtime: what the container runtimes know of a container (its name, image,
 * labels, mounts, IP, ...), in the layout of sysdig's container events
 * (PPME_CONTAINER_JSON_2_E: {"container": {...}}), so readers of a capture
 * show it offline: sysdig's container.* fields, and k8s.pod.name, k8s.ns.name
 * and k8s.pod.id from the CRI's io.kubernetes.* labels.
 *
 * Docker's Engine API on its socket (podman's Docker-compatible socket
 * alike): GET /containers/ID/json, and /images/ID/json when the container's
 * image name lacks its tag or digest. containerd's own API (gRPC on its
 * socket, in each of its namespaces asked): Containers/List by the id's
 * start, then Images/Get for the image's digest. The layout, key by key, is
 * sysdig 0.29.3's (docs/containers.md).
 */
#ifndef SYSREC_RUNTIME_H
#define SYSREC_RUNTIME_H

#include "../common/common.h"

#include <jansson.h>
#include <stdint.h>

/* sysdig's container types (the "type" key). */
enum rt_type {
	RT_DOCKER = 0,
	RT_CRI = 6,
	RT_CONTAINERD = 7,
	RT_CRIO = 8,
	RT_PODMAN = 11,
};

#define RT_DOCKER_SOCK     "/var/run/docker.sock"
#define RT_PODMAN_SOCK     "/run/podman/podman.sock"
#define RT_CONTAINERD_SOCK "/run/containerd/containerd.sock"
/* containerd's namespaces asked, in order: the CRI's (Kubernetes'), then ctr's default. */
#define RT_CONTAINERD_NAMESPACES "k8s.io,default"

/*
 * The container event JSON for Docker's inspection of a container (its
 * /containers/ID/json) and of its image (/images/ID/json; NULL: not asked),
 * as a runtime of type t: a new object, or NULL when inspect is not a
 * container's (no "Id" of 12 or more hex digits).
 */
json_t *rt_docker_container(const json_t *inspect, const json_t *image, enum rt_type t);

/* Whether the container's image name leaves its tag or digest to the image's inspection. */
bool rt_docker_wants_image(const json_t *inspect);

/*
 * Ask the Docker API at sock about container id (12 to 64 hex digits): its
 * event JSON into *json (text, to free). 0, or -errno with e set: -ENOENT
 * when the runtime does not know it, -ECONNREFUSED or -EIO when nothing
 * answers on sock, -EPROTO for an answer that is not Docker's, -EINVAL for
 * an id that is not one. Waits at most timeout_ms per request.
 */
int rt_docker_lookup(const char *sock, const char *id, enum rt_type t, long timeout_ms, char **json,
                     struct err *e);

/*
 * The 12-digit id of the container named name (a name as Docker allows:
 * letters, digits, '_', '.', '-'; or an id) on the Docker API at sock, into
 * id. 0, or -errno with e set (-ENOENT: no such container; -EINVAL: not a
 * name).
 */
int rt_docker_resolve(const char *sock, const char *name, long timeout_ms, char id[13], struct err *e);

/*
 * The same asked of Docker's API at docker_sock, then podman's at
 * podman_sock ("" : not asked), until one knows the name. 0, or -EINVAL
 * (not a name), or -ENOENT with e saying "container NAME: no runtime knows
 * it (Docker: ...; podman: ...)".
 */
int rt_resolve(const char *docker_sock, const char *podman_sock, const char *name, long timeout_ms,
               char id[13], struct err *e);

/* ------------------------------------------------------------ containerd */

/*
 * The container event JSON for what containerd said of container id (12 to
 * 64 hex digits): list, the message of its Containers/List answer (a
 * ListContainersResponse, protobuf), and image, the message of its
 * Images/Get answer for the container's image (a GetImageResponse; NULL: not
 * had). A new object, or NULL with e set: -ENOENT when not one container
 * listed has an id starting with id, -EPROTO when list is not such a
 * message or the container's id is not of hex digits. An image answer that
 * is not one, or not of the container's image, is left out.
 */
json_t *rt_containerd_container(const uint8_t *list, size_t list_len, const char *id, const uint8_t *image,
                                size_t image_len, struct err *e);

/*
 * Ask containerd's API at sock about container id (12 to 64 hex digits), in
 * each of namespaces in turn (NULL-terminated) until one knows it: its event
 * JSON into *json (text, to free). 0, or -errno with e set: -ENOENT when no
 * namespace asked has it, -ECONNREFUSED or -EIO when nothing answers on
 * sock, -EPROTO for an answer that is not containerd's, -EINVAL for an id or
 * a namespace that is not one. Waits at most timeout_ms per request.
 */
int rt_containerd_lookup(const char *sock, const char *const *namespaces, const char *id, long timeout_ms,
                         char **json, struct err *e);

/*
 * The namespaces of list, comma-separated ("k8s.io,default"; each of
 * letters, digits, '.', '_' and '-'), as a NULL-terminated array in one
 * allocation (free() it); NULL with e set (-EINVAL) when one is not a name
 * or there is none.
 */
char **rt_containerd_namespaces(const char *list, struct err *e);

/* containerd's longest namespace name. */
#define RT_NS_MAX 76
/* A namespace name as containerd takes it: letters, digits, '.', '_', '-', not first; at most RT_NS_MAX. */
bool rt_is_namespace(const char *s);

/* ------------------------------------------------------------ the watcher */

struct rt_watch_opts {
	const char *docker_sock;           /* NULL: RT_DOCKER_SOCK; "": not asked */
	const char *podman_sock;           /* NULL: RT_PODMAN_SOCK; "": not asked */
	const char *containerd_sock;       /* NULL: RT_CONTAINERD_SOCK; "": not asked */
	const char *containerd_namespaces; /* NULL: RT_CONTAINERD_NAMESPACES; one refused: not asked */
	long timeout_ms;                   /* per request (0: 2000) */
};

/*
 * A thread of its own asks the runtimes about containers, so that whoever
 * records never waits for them: rt_watch_ask() queues a container (by its
 * 12-digit id and the runtime its cgroups name: enum rt_type), and
 * rt_watch_take() hands over the answers that came since. The runtime the
 * cgroups name is asked first, then Docker, podman and containerd in that
 * order. A container that no runtime knows, or whose runtime does not
 * answer, gets no answer (the reason is counted, and kept for
 * rt_watch_status(): the first runtime's, or the first that did not know it).
 */
struct rt_watch;

struct rt_watch *rt_watch_start(const struct rt_watch_opts *o);
void rt_watch_ask(struct rt_watch *w, const char *id, int type);
/*
 * What came since the last call, in order: fn(ctx, id, json) for each answer
 * (json: the event JSON text), note(ctx, text) for each notice: a runtime
 * that had answered can no longer be reached, or answers again.
 */
void rt_watch_take(struct rt_watch *w, void (*fn)(void *ctx, const char *id, const char *json),
                   void (*note)(void *ctx, const char *text), void *ctx);
struct rt_watch_status {
	uint64_t asked, answered, unknown, failed; /* failed: no runtime answered */
	char last_error[256];                      /* the last failure, "" if none */
};
void rt_watch_status(struct rt_watch *w, struct rt_watch_status *st);
/* Stop the thread (a request under way ends within its timeout) and free. */
void rt_watch_stop(struct rt_watch *w);

#endif
