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

/* What each runtime's socket did last: answered (even "unknown"), or could not be reached. */
struct sock_state {
	bool answered, down;
};

struct rt_watch {
	char *docker, *podman; /* "" : not asked */
	long timeout_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct ask *asks, **asks_end;
	struct answer *answers, **answers_end;
	atomic_bool ready; /* answers are waiting (read without the lock) */
	struct sock_state docker_st, podman_st;
	struct rt_watch_status st;
};

/* The sockets to try for a container of this runtime, in order: its own first. */
static size_t sockets_for(const struct rt_watch *w, int type, const char *out[2], enum rt_type types[2])
{
	size_t n = 0;

	if (type == RT_PODMAN && *w->podman) {
		out[n] = w->podman;
		types[n++] = RT_PODMAN;
	}
	if (*w->docker) {
		out[n] = w->docker;
		types[n++] = RT_DOCKER;
	}
	if (type != RT_PODMAN && *w->podman) {
		out[n] = w->podman;
		types[n++] = RT_PODMAN;
	}
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
 * How socket sock fared (rc of a lookup, e its error): a runtime that had
 * answered and now cannot be reached, or that answers again, is told (under
 * the lock).
 */
static void sock_fared(struct rt_watch *w, const char *sock, int rc, const struct err *e)
{
	struct sock_state *st = sock == w->docker ? &w->docker_st : &w->podman_st;
	bool reached = rc == 0 || rc == -ENOENT || rc == -EPROTO;
	char *note;

	if (reached && st->down) {
		note = xmalloc(strlen(sock) + 96);
		sprintf(note, "the container runtime at %s answers again: containers are described again",
		        sock);
		queue(w, "", NULL, note);
	} else if (!reached && st->answered && !st->down) {
		note = xmalloc(strlen(e->msg) + 160);
		sprintf(note,
		        "the container runtime stopped answering (%s): containers seen from now on are known "
		        "by their ids only",
		        e->msg);
		queue(w, "", NULL, note);
	}
	st->answered |= reached;
	st->down = !reached && st->answered;
}

/* Ask each runtime in turn; the first that knows the container answers. */
static void look_up(struct rt_watch *w, const struct ask *a)
{
	const char *socks[2];
	enum rt_type types[2];
	size_t n = sockets_for(w, a->type, socks, types);
	struct err es[2] = { { { 0 } }, { { 0 } } }, *e = &es[0];
	bool unknown = false;
	char *json = NULL;
	int rcs[2] = { 0, 0 };
	size_t tried = 0;

	for (size_t i = 0; i < n && !json; i++, tried++) {
		rcs[i] = rt_docker_lookup(socks[i], a->id, types[i], w->timeout_ms, &json, &es[i]);
		unknown |= rcs[i] == -ENOENT;
		e = &es[i];
	}
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < tried; i++)
		sock_fared(w, socks[i], rcs[i], &es[i]);
	if (json) {
		queue(w, a->id, json, NULL);
		w->st.answered++;
	} else {
		if (unknown)
			w->st.unknown++;
		else
			w->st.failed++;
		snprintf(w->st.last_error, sizeof(w->st.last_error), "%s",
		         n ? e->msg : "no runtime socket to ask");
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

struct rt_watch *rt_watch_start(const struct rt_watch_opts *o)
{
	struct rt_watch *w = xcalloc(1, sizeof(*w));

	w->docker = xstrdup(o->docker_sock ? o->docker_sock : RT_DOCKER_SOCK);
	w->podman = xstrdup(o->podman_sock ? o->podman_sock : RT_PODMAN_SOCK);
	w->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 2000;
	w->asks_end = &w->asks;
	w->answers_end = &w->answers;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->docker);
		free(w->podman);
		free(w);
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
	free(w->docker);
	free(w->podman);
	free(w);
}
