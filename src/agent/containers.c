/* containers: the agent's runtimes, asked about each container the recorder sees (see agent_int.h). */
#include "../runtime/runtime.h"
#include "../scap/scap.h"
#include "agent_int.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct known {
	char id[13];
	char *name, *image;
	char *pod, *ns; /* from the Kubernetes labels ("": none) */
};

struct agent_containers {
	struct rt_watch *w;
	char *docker, *podman, *containerd; /* "": not asked */
	struct sbuf ev;                     /* the writer thread's notification being encoded */
	pthread_mutex_t mu;                 /* known */
	struct known *known;
	size_t nknown;
};

struct agent_containers *agent_containers_start(const struct agent_config *c)
{
	struct agent_containers *k = xcalloc(1, sizeof(*k));

	k->docker = xstrdup(c->docker_socket ? c->docker_socket : "");
	k->podman = xstrdup(c->podman_socket ? c->podman_socket : "");
	k->containerd = xstrdup(c->containerd_socket ? c->containerd_socket : "");
	pthread_mutex_init(&k->mu, NULL);
	if (*k->docker || *k->podman || *k->containerd)
		k->w = rt_watch_start(&(struct rt_watch_opts){
		        .docker_sock = k->docker,
		        .podman_sock = k->podman,
		        .containerd_sock = k->containerd,
		        .containerd_namespaces = c->containerd_namespaces,
		});
	return k;
}

void agent_containers_stop(struct agent_containers *k)
{
	if (!k)
		return;
	rt_watch_stop(k->w);
	for (size_t i = 0; i < k->nknown; i++) {
		free(k->known[i].name);
		free(k->known[i].image);
		free(k->known[i].pod);
		free(k->known[i].ns);
	}
	free(k->known);
	free(k->docker);
	free(k->podman);
	free(k->containerd);
	sbuf_release(&k->ev);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

static void ask(void *ctx, const char *id, int type)
{
	struct agent *a = ctx;

	rt_watch_ask(a->containers->w, id, type);
}

/* A runtime's description: into the recorder (captures hold it), and its name and image kept. */
static void on_answer(void *ctx, const char *id, const char *json)
{
	struct agent *a = ctx;
	struct agent_containers *k = a->containers;
	json_t *root = json_loads(json, 0, NULL), *c = json_object_get(root, "container");
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *image = json_string_value(json_object_get(c, "image"));
	json_t *labels = json_object_get(c, "labels");
	const char *pod = json_string_value(json_object_get(labels, "io.kubernetes.pod.name"));
	const char *ns = json_string_value(json_object_get(labels, "io.kubernetes.pod.namespace"));
	struct known *kn = NULL;

	recorder_describe_container(a->rec, json);
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->nknown && !kn; i++)
		if (!strcmp(k->known[i].id, id))
			kn = &k->known[i];
	if (!kn) {
		k->known = xrealloc(k->known, (k->nknown + 1) * sizeof(*k->known));
		kn = &k->known[k->nknown++];
		memset(kn, 0, sizeof(*kn));
		snprintf(kn->id, sizeof(kn->id), "%s", id);
	}
	free(kn->name);
	free(kn->image);
	free(kn->pod);
	free(kn->ns);
	kn->name = xstrdup(name ? name : "");
	kn->image = xstrdup(image ? image : "");
	kn->pod = xstrdup(pod ? pod : "");
	kn->ns = xstrdup(ns ? ns : "");
	pthread_mutex_unlock(&k->mu);
	json_decref(root);
}

/* A runtime stopped (or started again) answering: logged, and said in the recording. */
static void on_note(void *ctx, const char *text)
{
	struct agent *a = ctx;
	struct sbuf *ev = &a->containers->ev;
	const void *val[2] = { "sysrec-containers", text };
	uint32_t len[2] = { sizeof("sysrec-containers"), (uint32_t)strlen(text) + 1 };

	log_warn("containers: %s", text);
	sbuf_reset(ev);
	scap_encode_event(ev, agent_now_ns(a), -1, PPME_NOTIFICATION_E, PPME_NOTIFICATION_E_NPARAMS, val,
	                  len);
	recorder_append_event(a->rec, 0, (const uint8_t *)ev->data, (uint32_t)ev->len);
}

void agent_containers_sync(struct agent *a)
{
	struct agent_containers *k = a->containers;

	if (!k || !k->w)
		return;
	recorder_take_containers(a->rec, ask, a);
	rt_watch_take(k->w, on_answer, on_note, a);
}

static bool is_id(const char *s)
{
	size_t n = strlen(s);

	return n >= 12 && n <= 64 && strspn(s, "0123456789abcdef") == n;
}

int agent_container_find(struct agent *a, const char *name, char id[13], struct err *e)
{
	struct agent_containers *k = a->containers;
	bool found = false;

	if (is_id(name)) {
		snprintf(id, 13, "%.12s", name);
		return 0;
	}
	if (k) {
		pthread_mutex_lock(&k->mu);
		for (size_t i = 0; i < k->nknown && !found; i++)
			if (!strcmp(k->known[i].name, name)) {
				memcpy(id, k->known[i].id, 13);
				found = true;
			}
		pthread_mutex_unlock(&k->mu);
	}
	if (found)
		return 0;
	/* not seen yet (or not described): asked of each runtime, at most 2 s each */
	return rt_resolve(k ? k->docker : "", k ? k->podman : "", name, 2000, id, e);
}

void agent_container_describe(struct agent *a, const char *id, char **name, char **image)
{
	struct agent_containers *k = a->containers;
	const char *n = "", *im = "";

	if (k)
		pthread_mutex_lock(&k->mu);
	for (size_t i = 0; k && id && i < k->nknown; i++)
		if (!strcmp(k->known[i].id, id)) {
			n = k->known[i].name;
			im = k->known[i].image;
			break;
		}
	*name = xstrdup(n);
	*image = xstrdup(im);
	if (k)
		pthread_mutex_unlock(&k->mu);
}

bool agent_container_k8s(struct agent *a, const char *id, struct agent_container_names *out)
{
	struct agent_containers *k = a->containers;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (!k)
		return false;
	pthread_mutex_lock(&k->mu);
	for (size_t i = 0; i < k->nknown && !found; i++)
		if (!strcmp(k->known[i].id, id)) {
			snprintf(out->name, sizeof(out->name), "%s", k->known[i].name);
			snprintf(out->pod, sizeof(out->pod), "%s", k->known[i].pod);
			snprintf(out->ns, sizeof(out->ns), "%s", k->known[i].ns);
			found = true;
		}
	pthread_mutex_unlock(&k->mu);
	return found;
}
