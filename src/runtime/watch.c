/* watch: the runtimes asked about containers on a thread of its own (see runtime.h). */
#include "runtime.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct ask {
	char id[13];
	int type;
	struct ask *next;
};

/* An answer (id, json) or a notice (note: a runtime stopped or started answering). */
struct answer {
	char id[13];
	char *json, *note;
	struct answer *next;
};

/* A runtime asked: its socket, and what it did last (answered, even "unknown"; could not be reached). */
struct runtime {
	enum rt_type type; /* RT_DOCKER, RT_PODMAN or RT_CONTAINERD */
	char *sock;        /* "": not asked */
	bool answered, down;
};

enum { NRUNTIMES = 3 };

struct rt_watch {
	struct runtime rts[NRUNTIMES]; /* in the order asked when the cgroups name none of them */
	char **namespaces;             /* containerd's */
	long timeout_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct ask *asks, **asks_end;
	struct answer *answers, **answers_end;
	atomic_bool ready; /* answers are waiting (read without the lock) */
	struct rt_watch_status st;
};

/* The runtimes to ask about a container of this type, in order: its own first, then the others. */
static size_t runtimes_for(struct rt_watch *w, int type, struct runtime *out[NRUNTIMES])
{
	size_t n = 0;

	for (size_t i = 0; i < NRUNTIMES; i++)
		if (w->rts[i].type == (enum rt_type)type && *w->rts[i].sock)
			out[n++] = &w->rts[i];
	for (size_t i = 0; i < NRUNTIMES; i++)
		if (w->rts[i].type != (enum rt_type)type && *w->rts[i].sock)
			out[n++] = &w->rts[i];
	return n;
}

/* Queue an answer or a notice (under the lock). */
static void queue(struct rt_watch *w, const char *id, char *json, char *note)
{
	struct answer *an = xcalloc(1, sizeof(*an));

	snprintf(an->id, sizeof(an->id), "%s", id);
	an->json = json;
	an->note = note;
	*w->answers_end = an;
	w->answers_end = &an->next;
	atomic_store(&w->ready, true);
}

/*
 * How runtime rt fared (rc of a lookup, e its error): one that had answered
 * and now cannot be reached, or that answers again, is told (under the lock).
 */
static void runtime_fared(struct rt_watch *w, struct runtime *rt, int rc, const struct err *e)
{
	bool reached = rc == 0 || rc == -ENOENT || rc == -EPROTO;
	char *note;

	if (reached && rt->down) {
		note = xmalloc(strlen(rt->sock) + 96);
		sprintf(note, "the container runtime at %s answers again: containers are described again",
		        rt->sock);
		queue(w, "", NULL, note);
	} else if (!reached && rt->answered && !rt->down) {
		note = xmalloc(strlen(e->msg) + 160);
		sprintf(note,
		        "the container runtime stopped answering (%s): containers seen from now on are known "
		        "by their ids only",
		        e->msg);
		queue(w, "", NULL, note);
	}
	rt->answered |= reached;
	rt->down = !reached && rt->answered;
}

static int lookup(const struct rt_watch *w, const struct runtime *rt, const char *id, char **json,
                  struct err *e)
{
	if (rt->type == RT_CONTAINERD)
		return rt_containerd_lookup(rt->sock, (const char *const *)w->namespaces, id, w->timeout_ms,
		                            json, e);
	return rt_docker_lookup(rt->sock, id, rt->type, w->timeout_ms, json, e);
}

/*
 * Ask each runtime in turn; the first that knows the container answers. When
 * none does, the reason kept is the first that did not know it, else the
 * first runtime's (the container's own, when its cgroups name one).
 */
static void look_up(struct rt_watch *w, const struct ask *a)
{
	struct runtime *rts[NRUNTIMES];
	size_t n = runtimes_for(w, a->type, rts), tried = 0, why = 0;
	struct err es[NRUNTIMES];
	char *json = NULL;
	int rcs[NRUNTIMES];

	for (; tried < n && !json; tried++) {
		memset(&es[tried], 0, sizeof(es[tried]));
		rcs[tried] = lookup(w, rts[tried], a->id, &json, &es[tried]);
	}
	while (why < tried && rcs[why] != -ENOENT)
		why++;
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < tried; i++)
		runtime_fared(w, rts[i], rcs[i], &es[i]);
	if (json) {
		queue(w, a->id, json, NULL);
		w->st.answered++;
	} else {
		if (why < tried)
			w->st.unknown++;
		else
			w->st.failed++;
		snprintf(w->st.last_error, sizeof(w->st.last_error), "%.*s",
		         (int)sizeof(w->st.last_error) - 1,
		         !tried        ? "no runtime socket to ask"
		         : why < tried ? es[why].msg
		                       : es[0].msg);
	}
	pthread_mutex_unlock(&w->mu);
}

static void *watch_thread(void *arg)
{
	struct rt_watch *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct ask *a;

		while (!w->stop && !w->asks)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop)
			break;
		a = w->asks;
		w->asks = a->next;
		if (!w->asks)
			w->asks_end = &w->asks;
		pthread_mutex_unlock(&w->mu);
		look_up(w, a);
		free(a);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void watch_free(struct rt_watch *w)
{
	for (size_t i = 0; i < NRUNTIMES; i++)
		free(w->rts[i].sock);
	free(w->namespaces);
	free(w);
}

struct rt_watch *rt_watch_start(const struct rt_watch_opts *o)
{
	static const enum rt_type types[NRUNTIMES] = { RT_DOCKER, RT_PODMAN, RT_CONTAINERD };
	const char *socks[NRUNTIMES] = { o->docker_sock ? o->docker_sock : RT_DOCKER_SOCK,
		                         o->podman_sock ? o->podman_sock : RT_PODMAN_SOCK,
		                         o->containerd_sock ? o->containerd_sock : RT_CONTAINERD_SOCK };
	struct rt_watch *w = xcalloc(1, sizeof(*w));

	w->namespaces = rt_containerd_namespaces(
	        o->containerd_namespaces ? o->containerd_namespaces : RT_CONTAINERD_NAMESPACES, NULL);
	for (size_t i = 0; i < NRUNTIMES; i++) {
		w->rts[i].type = types[i];
		w->rts[i].sock = xstrdup(types[i] == RT_CONTAINERD && !w->namespaces ? "" : socks[i]);
	}
	w->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
	w->asks_end = &w->asks;
	w->answers_end = &w->answers;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		watch_free(w);
		return NULL;
	}
	return w;
}

void rt_watch_ask(struct rt_watch *w, const char *id, int type)
{
	struct ask *a = xcalloc(1, sizeof(*a));

	snprintf(a->id, sizeof(a->id), "%s", id);
	a->type = type;
	pthread_mutex_lock(&w->mu);
	*w->asks_end = a;
	w->asks_end = &a->next;
	w->st.asked++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void rt_watch_take(struct rt_watch *w, void (*fn)(void *ctx, const char *id, const char *json),
                   void (*note)(void *ctx, const char *text), void *ctx)
{
	struct answer *list;

	if (!atomic_load(&w->ready)) /* the usual case: nothing, and no lock taken */
		return;
	pthread_mutex_lock(&w->mu);
	list = w->answers;
	w->answers = NULL;
	w->answers_end = &w->answers;
	atomic_store(&w->ready, false);
	pthread_mutex_unlock(&w->mu);
	while (list) {
		struct answer *next = list->next;

		if (list->json && fn)
			fn(ctx, list->id, list->json);
		else if (list->note && note)
			note(ctx, list->note);
		free(list->json);
		free(list->note);
		free(list);
		list = next;
	}
}

void rt_watch_status(struct rt_watch *w, struct rt_watch_status *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

void rt_watch_stop(struct rt_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	rt_watch_take(w, NULL, NULL, NULL);
	for (struct ask *a = w->asks, *next; a; a = next) {
		next = a->next;
		free(a);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	watch_free(w);
}
