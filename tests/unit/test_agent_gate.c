/*
 * test_agent_gate: the HTTP API's connection gate (src/agent/gate.c), with
 * socket pairs standing for connections: a connection the gate closes sees
 * the end of its stream on the other side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/agent/gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S 1000000000ull

/* A connection as the server sees it: its fd, its peer's, its address, the gate's handle. */
struct conn {
	int fd, peer;
	struct sockaddr_in sa;
	struct gate_conn *gc;
};

static void addr_of(struct sockaddr_in *sa, const char *ip)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(40000);
	assert_int_equal(inet_pton(AF_INET, ip, &sa->sin_addr), 1);
}

/* Admit and add a connection from ip at now; false when the gate refuses it. */
static bool connect_from(struct gate *g, struct conn *c, const char *ip, uint64_t now)
{
	int sv[2];

	addr_of(&c->sa, ip);
	if (!gate_admit(g, (const struct sockaddr *)&c->sa, sizeof(c->sa)))
		return false;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c->fd = sv[0];
	c->peer = sv[1];
	fcntl(c->peer, F_SETFL, O_NONBLOCK);
	c->gc = gate_add(g, c->fd, (const struct sockaddr *)&c->sa, sizeof(c->sa), now);
	return true;
}

/* Whether the gate has shut c down: its peer reads the end of the stream. */
static bool closed(const struct conn *c)
{
	char b;

	return read(c->peer, &b, 1) == 0;
}

/* The server's side of a close: the gate forgets it, the sockets go. */
static void disconnect(struct gate *g, struct conn *c)
{
	gate_remove(g, c->gc);
	close(c->fd);
	close(c->peer);
	c->gc = NULL;
}

static struct gate *gate_of(unsigned max, unsigned per_ip, unsigned head_s)
{
	const struct gate_limits l = { max, per_ip, head_s * S };

	return gate_new(&l);
}

/* The head deadline counts from the accept, whatever arrives; a head in time stops it; keep-alive restarts
 * it. */
static void test_head_deadline(void **state)
{
	struct gate *g = gate_of(8, 8, 10);
	struct conn slow, quick;
	struct gate_stats st;

	(void)state;
	assert_true(connect_from(g, &slow, "10.0.0.1", 100 * S));
	assert_true(connect_from(g, &quick, "10.0.0.2", 101 * S));
	assert_int_equal(gate_sweep(g, 105 * S), 5 * S); /* slow's deadline next */
	assert_false(closed(&slow));
	gate_head(g, quick.gc, false);
	assert_int_equal(gate_sweep(g, 110 * S), 10 * S);
	assert_true(closed(&slow));
	assert_false(closed(&quick));    /* its head was in: no deadline while it is served */
	gate_done(g, quick.gc, 200 * S); /* kept alive: 10 s for the next head */
	assert_int_equal(gate_sweep(g, 209 * S), 1 * S);
	assert_false(closed(&quick));
	gate_sweep(g, 210 * S);
	assert_true(closed(&quick));
	gate_stats(g, &st);
	assert_int_equal(st.head_timeouts, 2);
	assert_int_equal(st.open, 0);
	disconnect(g, &slow);
	disconnect(g, &quick);
	gate_free(g);
}

/*
 * At the total limit a new connection takes the place of the longest-waiting
 * one without the token; one serving a request with the token is never taken;
 * with nothing to take, the new one is refused.
 */
static void test_total_limit_evicts_untrusted(void **state)
{
	struct gate *g = gate_of(3, 3, 10);
	struct conn c[6];
	struct gate_stats st;

	(void)state;
	assert_true(connect_from(g, &c[0], "10.0.0.1", 1 * S)); /* will carry the token */
	assert_true(connect_from(g, &c[1], "10.0.0.2", 2 * S));
	assert_true(connect_from(g, &c[2], "10.0.0.3", 3 * S));
	gate_head(g, c[0].gc, true);
	assert_true(connect_from(g, &c[3], "10.0.0.4", 4 * S));
	assert_false(closed(&c[0]));
	assert_true(closed(&c[1])); /* the oldest without the token */
	assert_false(closed(&c[2]));
	disconnect(g, &c[1]);
	gate_head(g, c[2].gc, true);
	gate_head(g, c[3].gc, true);
	assert_false(connect_from(g, &c[4], "10.0.0.5", 5 * S)); /* all three serve the token */
	gate_done(g, c[2].gc, 6 * S);                            /* idle between requests: can make room */
	assert_true(connect_from(g, &c[4], "10.0.0.5", 7 * S));
	assert_true(closed(&c[2]));
	assert_false(closed(&c[0]));
	assert_false(closed(&c[3]));
	gate_stats(g, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.open, 3);
	disconnect(g, &c[0]);
	disconnect(g, &c[2]);
	disconnect(g, &c[3]);
	disconnect(g, &c[4]);
	gate_free(g);
}

/* An untrusted idle connection goes before a trusted idle one, even a younger one. */
static void test_untrusted_before_trusted(void **state)
{
	struct gate *g = gate_of(2, 2, 10);
	struct conn old, young, next;

	(void)state;
	assert_true(connect_from(g, &old, "10.0.0.1", 1 * S));
	gate_head(g, old.gc, true);
	gate_done(g, old.gc, 2 * S); /* trusted, idle since 2 */
	assert_true(connect_from(g, &young, "10.0.0.2", 3 * S));
	assert_true(connect_from(g, &next, "10.0.0.3", 4 * S));
	assert_true(closed(&young));
	assert_false(closed(&old));
	disconnect(g, &old);
	disconnect(g, &young);
	disconnect(g, &next);
	gate_free(g);
}

/* One address at its own limit makes room among its own connections only. */
static void test_per_ip_limit(void **state)
{
	struct gate *g = gate_of(10, 2, 10);
	struct conn a1, a2, a3, b1;

	(void)state;
	assert_true(connect_from(g, &b1, "10.0.0.9", 1 * S));
	assert_true(connect_from(g, &a1, "10.0.0.1", 2 * S));
	assert_true(connect_from(g, &a2, "10.0.0.1", 3 * S));
	assert_true(connect_from(g, &a3, "10.0.0.1", 4 * S));
	assert_true(closed(&a1));
	assert_false(closed(&b1)); /* older, but another address */
	assert_false(closed(&a2));
	disconnect(g, &a1);
	gate_head(g, a2.gc, true);
	gate_head(g, a3.gc, true);
	assert_false(connect_from(g, &a1, "10.0.0.1", 5 * S));
	assert_false(closed(&b1));
	disconnect(g, &a2);
	disconnect(g, &a3);
	disconnect(g, &b1);
	gate_free(g);
}

/* The host's own addresses share the total only: no per-address limit for 127.0.0.0/8 and ::1. */
static void test_loopback_total_only(void **state)
{
	struct gate *g = gate_of(4, 1, 10);
	struct conn c[5];

	(void)state;
	assert_true(connect_from(g, &c[0], "127.0.0.1", 1 * S));
	assert_true(connect_from(g, &c[1], "127.0.0.1", 2 * S));
	assert_true(connect_from(g, &c[2], "127.0.0.2", 3 * S));
	assert_true(connect_from(g, &c[3], "127.0.0.1", 4 * S));
	for (int i = 0; i < 4; i++)
		assert_false(closed(&c[i]));
	assert_true(connect_from(g, &c[4], "127.0.0.1", 5 * S)); /* the total: the oldest goes */
	assert_true(closed(&c[0]));
	assert_false(closed(&c[1]));
	for (int i = 0; i < 5; i++)
		disconnect(g, &c[i]);
	gate_free(g);
}

/*
 * Closed connections that have not gone yet do not count towards the limits,
 * but no more than max_connections of them are held.
 */
static void test_closing_bound(void **state)
{
	struct gate *g = gate_of(2, 2, 10);
	struct conn c[5];

	(void)state; /* from one remote address: its limit makes room */
	assert_true(connect_from(g, &c[0], "10.0.0.1", 1 * S));
	assert_true(connect_from(g, &c[1], "10.0.0.1", 2 * S));
	assert_true(connect_from(g, &c[2], "10.0.0.1", 3 * S)); /* c[0] closing */
	assert_true(connect_from(g, &c[3], "10.0.0.1", 4 * S)); /* c[1] closing */
	assert_false(connect_from(g, &c[4], "10.0.0.1", 5 * S));
	disconnect(g, &c[0]);
	assert_true(connect_from(g, &c[4], "10.0.0.1", 6 * S));
	for (int i = 1; i < 5; i++)
		disconnect(g, &c[i]);
	gate_free(g);
}

/* IPv4 and its IPv6-mapped form are one address; limits above the total are the total. */
static void test_addresses(void **state)
{
	struct gate *g = gate_of(1, 5, 10);
	struct conn v4; /* one connection in all: the mapped form must find the IPv4 one */
	struct sockaddr_in6 v6 = { 0 };
	struct gate_stats st;

	(void)state;
	assert_true(connect_from(g, &v4, "127.0.0.1", 1 * S));
	v6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", &v6.sin6_addr), 1);
	assert_true(gate_admit(g, (const struct sockaddr *)&v6, sizeof(v6))); /* v4 makes room */
	assert_true(closed(&v4));
	gate_stats(g, &st);
	assert_int_equal(st.evicted, 1);
	disconnect(g, &v4);
	gate_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_deadline),
		cmocka_unit_test(test_total_limit_evicts_untrusted),
		cmocka_unit_test(test_untrusted_before_trusted),
		cmocka_unit_test(test_per_ip_limit),
		cmocka_unit_test(test_loopback_total_only),
		cmocka_unit_test(test_closing_bound),
		cmocka_unit_test(test_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
