/*
 * grpc: one unary gRPC call over a unix socket, as containerd's API is asked
 * (gRPC over HTTP/2 without TLS, "prior knowledge", by libcurl). A request
 * and its answer each carry one message, framed:
 *
 *   +------+---------------------------+------------------------+
 *   | flag | length                    | message (protobuf)     |
 *   | 0    | 4 bytes, big-endian       | length bytes           |
 *   +------+---------------------------+------------------------+
 *
 * (flag 1: compressed; never asked for, so never taken). The answer's status
 * comes in its trailers (grpc-status, grpc-message), or in its headers for
 * an answer without a message ("trailers-only"); libcurl hands both to the
 * header callback. Internal to src/runtime: runtime.h is the interface.
 */
#ifndef SYSREC_RUNTIME_GRPC_H
#define SYSREC_RUNTIME_GRPC_H

#include "runtime_int.h"

#include <stdint.h>

/* The gRPC status codes sysrec tells apart. */
enum {
	RT_GRPC_OK = 0,
	RT_GRPC_DEADLINE_EXCEEDED = 4,
	RT_GRPC_NOT_FOUND = 5,
	RT_GRPC_UNAVAILABLE = 14,
};

/* An answer as it came: its HTTP status, headers and trailers read, and body. */
struct rt_grpc_reply {
	long http_status;
	bool is_grpc;      /* content-type: application/grpc (or application/grpc+...) */
	int status;        /* grpc-status; -1 until one came */
	char message[200]; /* grpc-message, as it came (percent-encoded) */
	struct rt_body body;
};

void rt_grpc_reply_init(struct rt_grpc_reply *r);
void rt_grpc_reply_release(struct rt_grpc_reply *r);

/* Take one header or trailer line of an answer ("name: value\r\n", as libcurl hands it). */
void rt_grpc_reply_header(struct rt_grpc_reply *r, const char *line, size_t len);

/*
 * The message of a whole answer: *msg and *len point into r's body. 0, or
 * -errno with e set: -ENOENT for the status NOT_FOUND; -EIO for
 * DEADLINE_EXCEEDED and UNAVAILABLE (the server is there and cannot answer
 * now); -EPROTO for any other status and for an answer that is not gRPC's
 * (an HTTP status other than 200, another content type, no grpc-status, a
 * body that is not one uncompressed frame).
 */
int rt_grpc_reply_message(const struct rt_grpc_reply *r, const uint8_t **msg, size_t *len, struct err *e);

/*
 * The frame at p (len bytes): 0 with its message in *msg, *mlen and the
 * frame's size in *used (5 + *mlen); -EPROTO with e set when p is cut short
 * of a frame or its message is compressed.
 */
int rt_grpc_frame(const uint8_t *p, size_t len, const uint8_t **msg, size_t *mlen, size_t *used,
                  struct err *e);

/*
 * Call method ("/package.Service/Method") on the gRPC server at unix socket
 * sock with request message req (len bytes of protobuf) and metadata (header
 * lines "name: value", NULL-terminated; NULL: none), waiting at most
 * timeout_ms: the answer into *r (rt_grpc_reply_init'ed by the caller,
 * released by it whatever this returns). 0 when an answer came, whatever it
 * says (rt_grpc_reply_message tells); else -errno with e set:
 * -ECONNREFUSED when nothing listens on sock, -EPROTO when what answers does
 * not speak HTTP/2 or says too much, -EIO for anything else (a timeout, a
 * connection cut).
 */
int rt_grpc_call(const char *sock, const char *method, const char *const *metadata, const uint8_t *req,
                 size_t len, long timeout_ms, struct rt_grpc_reply *r, struct err *e);

#endif
