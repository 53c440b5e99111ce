/* gate: the HTTP API's connection limits and request-head deadline (see gate.h). */
#include "gate.h"

#include "../common/common.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum conn_state {
	WAITING, /* for its request head */
	SERVING, /* its head is in: a request is being served */
	CLOSING, /* shut down, not yet removed */
};

struct gate_conn {
	int fd;
	uint8_t addr[16]; /* IPv6, or IPv4 mapped into it */
	enum conn_state state;
	bool trusted;   /* the current request carries the token (or, waiting, an earlier one did) */
	uint64_t since; /* when it began waiting for its head */
	struct gate_conn *prev, *next;
};

struct gate {
	pthread_mutex_t lock;
	struct gate_limits lim;
	struct gate_conn *head;
	unsigned open, closing;
	struct gate_stats st;
};

struct gate *gate_new(const struct gate_limits *l)
{
	struct gate *g = xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->lock, NULL);
	g->lim = *l;
	if (!g->lim.max_connections)
		g->lim.max_connections = 1;
	if (!g->lim.max_per_ip || g->lim.max_per_ip > g->lim.max_connections)
		g->lim.max_per_ip = g->lim.max_connections;
	return g;
}

void gate_free(struct gate *g)
{
	if (!g)
		return;
	while (g->head) { /* only if the server forgot some: the handles, never the sockets */
		struct gate_conn *c = g->head;

		g->head = c->next;
		free(c);
	}
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* The address as 16 bytes: IPv6 as is, IPv4 as ::ffff:a.b.c.d, anything else zeros. */
static void addr_key(uint8_t key[16], const struct sockaddr *sa, socklen_t len)
{
	memset(key, 0, 16);
	if (sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

/* Shut c down: its server thread ends it and removes it. Under the lock. */
static void close_conn(struct gate *g, struct gate_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->state = CLOSING;
	g->open--;
	g->closing++;
}

/*
 * The connection that makes room for a new one (from key, or any address when
 * key is NULL), or NULL: never one serving a request with the token; first
 * those without the token, then the others; of those the longest waiting.
 */
static struct gate_conn *victim(struct gate *g, const uint8_t *key)
{
	struct gate_conn *best = NULL;

	for (struct gate_conn *c = g->head; c; c = c->next) {
		if (c->state == CLOSING || (c->state == SERVING && c->trusted))
			continue;
		if (key && memcmp(c->addr, key, 16) != 0)
			continue;
		if (!best || (best->trusted && !c->trusted) ||
		    (best->trusted == c->trusted && c->since < best->since))
			best = c;
	}
	return best;
}

/*
 * Whether the address is the host's own (127.0.0.0/8, ::1): every local
 * process shares it, so a limit per address would only be a smaller total.
 */
static bool addr_loopback(const uint8_t key[16])
{
	static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t v6_loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	return (!memcmp(key, v4_mapped, 12) && key[12] == 127) || !memcmp(key, v6_loopback, 16);
}

static unsigned open_from(const struct gate *g, const uint8_t key[16])
{
	unsigned n = 0;

	for (const struct gate_conn *c = g->head; c; c = c->next)
		n += c->state != CLOSING && !memcmp(c->addr, key, 16);
	return n;
}

bool gate_admit(struct gate *g, const struct sockaddr *sa, socklen_t len)
{
	uint8_t key[16];
	struct gate_conn *v = NULL;
	bool ok = true;

	addr_key(key, sa, len);
	pthread_mutex_lock(&g->lock);
	if (g->closing >= g->lim.max_connections)
		ok = false; /* the closed ones have not gone yet: the bound on sockets and threads */
	else if (!addr_loopback(key) && open_from(g, key) >= g->lim.max_per_ip)
		ok = (v = victim(g, key)) != NULL;
	else if (g->open >= g->lim.max_connections)
		ok = (v = victim(g, NULL)) != NULL;
	if (v) {
		close_conn(g, v);
		g->st.evicted++;
	}
	if (ok)
		g->st.accepted++;
	else
		g->st.refused++;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

struct gate_conn *gate_add(struct gate *g, int fd, const struct sockaddr *sa, socklen_t len, uint64_t now)
{
	struct gate_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	addr_key(c->addr, sa, len);
	c->state = WAITING;
	c->since = now;
	pthread_mutex_lock(&g->lock);
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	g->open++;
	pthread_mutex_unlock(&g->lock);
	return c;
}

void gate_head(struct gate *g, struct gate_conn *c, bool trusted)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->state == WAITING) {
		c->state = SERVING;
		c->trusted = trusted;
	}
	pthread_mutex_unlock(&g->lock);
}

void gate_done(struct gate *g, struct gate_conn *c, uint64_t now)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->state == SERVING) {
		c->state = WAITING;
		c->since = now;
	}
	pthread_mutex_unlock(&g->lock);
}

void gate_remove(struct gate *g, struct gate_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->state == CLOSING)
		g->closing--;
	else
		g->open--;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->lock);
	free(c);
}

uint64_t gate_sweep(struct gate *g, uint64_t now)
{
	uint64_t next = g->lim.head_timeout_ns;

	pthread_mutex_lock(&g->lock);
	for (struct gate_conn *c = g->head; c; c = c->next) {
		uint64_t deadline = c->since + g->lim.head_timeout_ns;

		if (c->state != WAITING)
			continue;
		if (now >= deadline) {
			close_conn(g, c);
			g->st.head_timeouts++;
		} else if (deadline - now < next) {
			next = deadline - now;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return next;
}

void gate_stats(struct gate *g, struct gate_stats *out)
{
	pthread_mutex_lock(&g->lock);
	*out = g->st;
	out->open = g->open;
	pthread_mutex_unlock(&g->lock);
}
