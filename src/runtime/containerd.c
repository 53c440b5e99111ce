/*
 * containerd: containerd's own API (gRPC on its socket: containers.v1 and
 * images.v1, the messages of containerd.proto) into sysdig's container
 * events, type 7 (CT_CONTAINERD). docs/containers.md says what each key comes from.
 */
#include "grpc.h"
#include "runtime_int.h"

#include "containerd.pb-c.h"

#include <errno.h>
#include <stdlib.h>

#define CONTAINERS_LIST "/containerd.services.containers.v1.Containers/List"
#define IMAGES_GET      "/containerd.services.images.v1.Images/Get"

/* ------------------------------------------------------------ the mapping */

static const char *label(const Ctd__Container *c, const char *key)
{
	for (size_t i = 0; i < c->n_labels; i++)
		if (c->labels[i]->key && c->labels[i]->value && !strcmp(c->labels[i]->key, key))
			return c->labels[i]->value;
	return NULL;
}

static json_t *labels(const Ctd__Container *c)
{
	json_t *out = json_object();

	for (size_t i = 0; i < c->n_labels; i++) {
		json_t *k = c->labels[i]->key ? rt_json_string(c->labels[i]->key) : NULL;

		if (k && c->labels[i]->value)
			json_object_set_new(out, json_string_value(k), rt_json_string(c->labels[i]->value));
		json_decref(k);
	}
	return out;
}

static bool has_string(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/*
 * Privileged, as the OCI spec tells it (containerd keeps no such flag): the
 * process has CAP_SYS_ADMIN among its effective capabilities and no path is
 * masked (linux.maskedPaths empty or absent). `ctr run --privileged`, the
 * CRI's privileged: true and Docker's --privileged all give both; a
 * container given CAP_SYS_ADMIN alone keeps the masked paths, and is not.
 */
static bool spec_privileged(const json_t *spec)
{
	const json_t *caps = json_object_get(json_object_get(spec, "process"), "capabilities");
	const json_t *masked = json_object_get(json_object_get(spec, "linux"), "maskedPaths");

	return has_string(json_object_get(caps, "effective"), "CAP_SYS_ADMIN") &&
	       (!masked || (json_is_array(masked) && !json_array_size(masked)));
}

/*
 * The bind mounts of the spec (what of the host the container sees, as
 * Docker's Mounts and the CRI's list them; the kernel's filesystems every
 * container gets, proc, sysfs, tmpfs, ..., are left out): Mode and RW from the
 * options "ro" (else "rw"), Propagation the option that names one.
 */
static json_t *spec_mounts(const json_t *spec)
{
	static const char *const propagations[] = { "rprivate", "private", "rshared",     "shared",
		                                    "rslave",   "slave",   "runbindable", "unbindable" };
	const json_t *list = json_object_get(spec, "mounts"), *m;
	json_t *out = json_array();
	size_t i;

	json_array_foreach(list, i, m)
	{
		const json_t *type = json_object_get(m, "type"), *opts = json_object_get(m, "options");
		const json_t *src = json_object_get(m, "source"), *dst = json_object_get(m, "destination");
		const char *prop = "";
		bool ro = has_string(opts, "ro");

		if (!(json_is_string(type) && !strcmp(json_string_value(type), "bind")) &&
		    !has_string(opts, "bind") && !has_string(opts, "rbind"))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(propagations) && !*prop; k++)
			if (has_string(opts, propagations[k]))
				prop = propagations[k];
		json_array_append_new(
		        out, json_pack("{s:s,s:s,s:s,s:b,s:s}", "Source",
		                       json_is_string(src) ? json_string_value(src) : "", "Destination",
		                       json_is_string(dst) ? json_string_value(dst) : "", "Mode",
		                       ro ? "ro" : "rw", "RW", !ro, "Propagation", prop));
	}
	return out;
}

static json_int_t int_at(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* linux.resources: memory and CPU limits, as Docker's HostConfig gives them (with its defaults). */
static void spec_limits(json_t *c, const json_t *spec)
{
	const json_t *res = json_object_get(json_object_get(spec, "linux"), "resources");
	const json_t *mem = json_object_get(res, "memory"), *cpu = json_object_get(res, "cpu");
	const json_t *cpus = json_object_get(cpu, "cpus");
	json_int_t shares = int_at(cpu, "shares"), period = int_at(cpu, "period");

	json_object_set_new(c, "memory_limit", json_integer(int_at(mem, "limit")));
	json_object_set_new(c, "swap_limit", json_integer(int_at(mem, "swap")));
	json_object_set_new(c, "cpu_shares", json_integer(shares > 0 ? shares : 1024));
	json_object_set_new(c, "cpu_quota", json_integer(int_at(cpu, "quota")));
	json_object_set_new(c, "cpu_period", json_integer(period > 0 ? period : 100000));
	json_object_set_new(
	        c, "cpuset_cpu_count",
	        json_integer(rt_cpuset_count(json_is_string(cpus) ? json_string_value(cpus) : "")));
}

/*
 * The event JSON of container c, whose image's name points to digest (its
 * target's: "" or NULL when not known). NULL when c's id is not a
 * container's as sysrec sees them (12 or more hex digits).
 */
static json_t *container_json(const Ctd__Container *c, const char *digest)
{
	const char *full = c->id ? c->id : "", *image = c->image ? c->image : "";
	const char *name = label(c, "io.kubernetes.container.name"),
	           *kind = label(c, "io.cri-containerd.kind");
	char id[13], *repo, *tag, *name_digest;
	json_t *ev, *o, *spec = NULL;

	if (!rt_is_hex_id(full, 12))
		return NULL;
	snprintf(id, sizeof(id), "%.12s", full);
	if (c->spec && c->spec->value.data)
		spec = json_loadb((const char *)c->spec->value.data, c->spec->value.len, 0, NULL);
	rt_split_image(image, &repo, &tag, &name_digest);
	if (!digest || !*digest)
		digest = name_digest; /* the one the image's name gives, if it does */
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "full_id", json_string(full));
	json_object_set_new(o, "type", json_integer(RT_CONTAINERD));
	json_object_set_new(o, "name", rt_json_string(name && *name ? name : id));
	json_object_set_new(o, "image", rt_json_string(image));
	json_object_set_new(o, "imageid", rt_json_string(!strncmp(digest, "sha256:", 7) ? digest + 7 : ""));
	json_object_set_new(o, "imagerepo", rt_json_string(repo));
	json_object_set_new(o, "imagetag", rt_json_string(*tag ? tag : "latest"));
	json_object_set_new(o, "imagedigest", rt_json_string(digest));
	json_object_set_new(o, "privileged", json_boolean(spec_privileged(spec)));
	json_object_set_new(o, "is_pod_sandbox", json_boolean(kind && !strcmp(kind, "sandbox")));
	json_object_set_new(o, "lookup_state", json_integer(1));
	json_object_set_new(o, "created_time", json_integer(c->created_at ? c->created_at->seconds : 0));
	json_object_set_new(o, "Mounts", spec_mounts(spec));
	json_object_set_new(o, "ip", json_string("0.0.0.0")); /* containerd knows no address */
	json_object_set_new(o, "port_mappings", json_array());
	json_object_set_new(o, "labels", labels(c));
	spec_limits(o, spec);
	ev = json_pack("{s:o}", "container", o);
	json_decref(spec);
	free(repo);
	free(tag);
	free(name_digest);
	return ev;
}

static Ctd__ListContainersResponse *unpack_list(const uint8_t *msg, size_t len, struct err *e)
{
	Ctd__ListContainersResponse *l = ctd__list_containers_response__unpack(NULL, len, msg);

	if (!l)
		err_set(e, -EPROTO, "not containerd's list of containers (%zu bytes)", len);
	return l;
}

/* The container of l whose id starts with id: the only one. NULL with e set (-ENOENT) when none or more. */
static const Ctd__Container *pick(const Ctd__ListContainersResponse *l, const char *id, struct err *e)
{
	const Ctd__Container *found = NULL;
	size_t n = 0, idlen = strlen(id);

	for (size_t i = 0; i < l->n_containers; i++) {
		const char *cid = l->containers[i]->id;

		if (cid && !strncmp(cid, id, idlen)) {
			found = l->containers[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n)
		err_set(e, -ENOENT, "%zu containers' ids start with %s", n, id);
	else
		err_set(e, -ENOENT, "no container %s", id);
	return NULL;
}

/* The target digest ("sha256:...") of image r, when it is the image named name; NULL: not told. */
static char *target_digest(const Ctd__GetImageResponse *r, const char *name)
{
	const Ctd__Image *img = r->image;

	if (img && img->name && !strcmp(img->name, name) && img->target && img->target->digest &&
	    strchr(img->target->digest, ':'))
		return xstrdup(img->target->digest);
	return NULL;
}

json_t *rt_containerd_container(const uint8_t *list, size_t list_len, const char *id, const uint8_t *image,
                                size_t image_len, struct err *e)
{
	Ctd__ListContainersResponse *l = unpack_list(list, list_len, e);
	const Ctd__Container *c = l ? pick(l, id, e) : NULL;
	Ctd__GetImageResponse *img =
	        c && image ? ctd__get_image_response__unpack(NULL, image_len, image) : NULL;
	char *digest = img ? target_digest(img, c->image ? c->image : "") : NULL;
	json_t *ev = c ? container_json(c, digest) : NULL;

	if (c && !ev)
		err_set(e, -EPROTO, "containerd's container %s has no id of hex digits", id);
	free(digest);
	if (img)
		ctd__get_image_response__free_unpacked(img, NULL);
	if (l)
		ctd__list_containers_response__free_unpacked(l, NULL);
	return ev;
}

/* ------------------------------------------------------------ the socket */

/*
 * Call method in namespace ns with the request message req (packed here):
 * its answer's message, unpacked by unpack (NULL: the call's failure, with e
 * set as rt_grpc_reply_message and rt_grpc_call set it, sock and method named).
 */
static void *call(const char *sock, const char *ns, const char *method, const ProtobufCMessage *req,
                  void *(*unpack)(ProtobufCAllocator *, size_t, const uint8_t *), long timeout_ms, int *rc,
                  struct err *e)
{
	char meta[32 + RT_NS_MAX];
	const char *metadata[2] = { meta, NULL };
	size_t len = protobuf_c_message_get_packed_size(req), mlen;
	uint8_t *packed = xmalloc(len ? len : 1);
	const uint8_t *msg;
	struct rt_grpc_reply r;
	struct err why = { { 0 } };
	void *out = NULL;

	snprintf(meta, sizeof(meta), "containerd-namespace: %s", ns);
	protobuf_c_message_pack(req, packed);
	rt_grpc_reply_init(&r);
	*rc = rt_grpc_call(sock, method, metadata, packed, len, timeout_ms, &r, e);
	if (!*rc && (*rc = rt_grpc_reply_message(&r, &msg, &mlen, &why)) != 0)
		err_set(e, *rc, "%s: %s (namespace %s): %s", sock, method + 1, ns, why.msg);
	if (!*rc && !(out = unpack(NULL, mlen, msg)))
		*rc = err_set(e, -EPROTO, "%s: %s (namespace %s): not containerd's answer (%zu bytes)", sock,
		              method + 1, ns, mlen);
	rt_grpc_reply_release(&r);
	free(packed);
	return out;
}

/* protobuf-c's unpack functions, with the one signature call() takes. */
static void *unpack_list_any(ProtobufCAllocator *a, size_t len, const uint8_t *p)
{
	return ctd__list_containers_response__unpack(a, len, p);
}

static void *unpack_image_any(ProtobufCAllocator *a, size_t len, const uint8_t *p)
{
	return ctd__get_image_response__unpack(a, len, p);
}

/* The target digest of the image named name in namespace ns; NULL when containerd does not tell it. */
static char *image_digest(const char *sock, const char *ns, const char *name, long timeout_ms)
{
	Ctd__GetImageRequest req = CTD__GET_IMAGE_REQUEST__INIT;
	Ctd__GetImageResponse *r;
	char *digest;
	int rc;

	req.name = (char *)name;
	if (!*name || !(r = call(sock, ns, IMAGES_GET, &req.base, unpack_image_any, timeout_ms, &rc, NULL)))
		return NULL;
	digest = target_digest(r, name);
	ctd__get_image_response__free_unpacked(r, NULL);
	return digest;
}

int rt_containerd_lookup(const char *sock, const char *const *namespaces, const char *id, long timeout_ms,
                         char **json, struct err *e)
{
	Ctd__ListContainersRequest req = CTD__LIST_CONTAINERS_REQUEST__INIT;
	Ctd__ListContainersResponse *l = NULL;
	const Ctd__Container *c = NULL;
	char filter[80], *filters[1] = { filter }, *digest;
	const char *ns = NULL;
	char asked[256] = "";
	json_t *ev;
	int rc = 0;

	*json = NULL;
	if (!rt_is_hex_id(id, 12) || strlen(id) > 64)
		return err_set(e, -EINVAL, "'%.80s' is not a container id", id);
	for (size_t i = 0; namespaces && namespaces[i]; i++)
		if (!rt_is_namespace(namespaces[i]))
			return err_set(e, -EINVAL, "'%.80s' is not a containerd namespace", namespaces[i]);
	/* containers are found by the start of their ids: the cgroups tell 12 digits or more */
	snprintf(filter, sizeof(filter), "id~=^%s", id);
	req.n_filters = 1;
	req.filters = filters;
	for (size_t i = 0; namespaces && namespaces[i] && !c; i++) {
		ns = namespaces[i];
		snprintf(asked + strlen(asked), sizeof(asked) - strlen(asked), "%s%s", i ? ", " : "", ns);
		l = call(sock, ns, CONTAINERS_LIST, &req.base, unpack_list_any, timeout_ms, &rc, e);
		if (!l && rc != -ENOENT)
			return rc; /* nothing answers, or not containerd: the other namespaces would not do
			              better */
		if (l && !(c = pick(l, id, NULL))) {
			ctd__list_containers_response__free_unpacked(l, NULL);
			l = NULL;
		}
	}
	if (!c)
		return err_set(e, -ENOENT, "%s: container %s: in none of the namespaces asked (%s)", sock, id,
		               asked);
	digest = image_digest(sock, ns, c->image ? c->image : "", timeout_ms);
	ev = container_json(c, digest);
	free(digest);
	ctd__list_containers_response__free_unpacked(l, NULL);
	if (!ev)
		return err_set(e, -EPROTO, "%s: container %s: its id is not of hex digits", sock, id);
	*json = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	return 0;
}
