/*
 * gate: which connections the HTTP API holds, and for how long one may take
 * to send its request head (issue 19: slowloris).
 *
 * The API's threads report each connection's life here: admitted (from its
 * address, before it is accepted), added (its socket), its head in (with or
 * without the token), its request done (keep-alive: waiting for the next
 * head), removed. The gate closes a connection by shutting its socket down
 * (shutdown(2)): the server's thread sees the end of the stream and closes
 * it, and only then removes it; the socket is never closed here.
 *
 * The rules:
 * - at most max_connections are held, and max_per_ip from one address
 *   other than the host's own (127.0.0.0/8 and ::1: all its processes share
 *   it, so only the total applies to them);
 * - a connection has head_timeout_ns, from its accept (or the end of its
 *   previous request), to complete its request head; trickled bytes do not
 *   extend it;
 * - a new connection at a limit takes the place of one that can wait: first
 *   the one that has waited longest of those that never presented the token,
 *   then the longest waiting of those idle between requests. A connection
 *   inside a request that presented the token is never closed for another, so
 *   a client without the token cannot shut out one that has it: it can only
 *   push out its own connections. When no connection can make room, the new
 *   one is refused.
 * Connections being closed (shut down, not yet removed) do not count towards
 * the limits, but no more than max_connections of them are held either.
 *
 * Every call is thread-safe; times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef SYSREC_AGENT_GATE_H
#define SYSREC_AGENT_GATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct gate_limits {
	unsigned max_connections; /* at least 1 */
	unsigned max_per_ip;      /* at least 1; above max_connections it is max_connections */
	uint64_t head_timeout_ns;
};

struct gate_stats {
	unsigned open;          /* connections held (not being closed) */
	uint64_t accepted;      /* admitted since the start */
	uint64_t refused;       /* at a limit with no connection that could make room */
	uint64_t evicted;       /* closed to make room for a new one */
	uint64_t head_timeouts; /* closed because their head was not in on time */
};

struct gate;
struct gate_conn;

struct gate *gate_new(const struct gate_limits *l);
/* Once every connection is removed (NULL is fine). */
void gate_free(struct gate *g);

/*
 * A new connection from sa (len bytes): true to accept it, after shutting
 * down the connection that makes room for it if a limit needed one; false to
 * refuse it. The caller then gate_add()s it (or, failing to set it up, does
 * not: nothing is held for it).
 */
bool gate_admit(struct gate *g, const struct sockaddr *sa, socklen_t len);

/* The admitted connection's socket fd and address: its handle, waiting for its head since now. */
struct gate_conn *gate_add(struct gate *g, int fd, const struct sockaddr *sa, socklen_t len, uint64_t now);

/* c's request head is in (NULL is ignored); trusted: it carries the token. */
void gate_head(struct gate *g, struct gate_conn *c, bool trusted);

/* c's request is done: it waits for its next head from now (NULL is ignored). */
void gate_done(struct gate *g, struct gate_conn *c, uint64_t now);

/* c is closed: forget it (NULL is ignored). Its fd is not touched. */
void gate_remove(struct gate *g, struct gate_conn *c);

/*
 * Shut down every connection whose head is late at now. Returns the
 * nanoseconds until the next head deadline (head_timeout_ns when nothing waits).
 */
uint64_t gate_sweep(struct gate *g, uint64_t now);

void gate_stats(struct gate *g, struct gate_stats *out);

#endif
