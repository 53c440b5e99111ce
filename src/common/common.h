/* common: errors, growable byte buffers, bounded cursors and sticky-error sinks. */
#ifndef SYSREC_COMMON_H
#define SYSREC_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define likely(x)         __builtin_expect(!!(x), 1)
#define unlikely(x)       __builtin_expect(!!(x), 0)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/*
 * struct err carries one human-readable message from the place that knows what
 * went wrong to the place that reports it. err_set() formats it and returns
 * `code` (a negative errno) so callers can write `return err_set(e, -EINVAL, ...)`.
 * A NULL err is allowed and ignored.
 */
struct err {
	char msg[512];
};

int err_set(struct err *e, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);

/*
 * One line to stderr: "sysrec: error: <msg>" for a failure, "sysrec: warning:
 * <msg>" for something wrong that the program works around, "sysrec: <msg>"
 * for what is worth knowing and is not wrong (a capture started).
 */
void log_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Allocation that aborts on out-of-memory: callers never see NULL. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);
char *xstrdup(const char *s);

/*
 * sbuf: a growable byte buffer, the text builder of every formatter. Appends
 * never fail (allocation aborts). A zero-initialised sbuf is a valid empty
 * buffer. `data` is not NUL-terminated unless sbuf_cstr() is called.
 */
struct sbuf {
	char *data;
	size_t len;
	size_t cap;
};

void sbuf_init(struct sbuf *b, size_t cap);
void sbuf_release(struct sbuf *b);
void sbuf_grow(struct sbuf *b, size_t extra);
const char *sbuf_cstr(struct sbuf *b);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
void sbuf_u64(struct sbuf *b, uint64_t v);
void sbuf_i64(struct sbuf *b, int64_t v);
/* v in decimal, zero-padded to at least `width` digits. */
void sbuf_u64_padded(struct sbuf *b, uint64_t v, unsigned width);
void sbuf_hex(struct sbuf *b, uint64_t v, bool upper);
/* Write the buffer to fd and empty it; returns 0 or -errno. */
int sbuf_flush_fd(struct sbuf *b, int fd);

/*
 * Per-thread scratch buffers for formatters, reused from call to call and
 * released when their thread exits. Each user takes its own slot.
 */
enum sbuf_slot {
	SCRATCH_ARGS_RES,  /* event_format_args() */
	SCRATCH_JOIN,      /* filter: joined paths */
	SCRATCH_ABSPATH,   /* filter: evt.abspath, folded before it is appended */
	SCRATCH_RESOLVE,   /* filter: resolver's directory text */
	SCRATCH_ARG_RES,   /* filter: %evt.arg */
	SCRATCH_PARAM_VAL, /* filter: one parameter, as shown */
	SCRATCH_PARAM_RES, /* filter: one parameter, resolved */
	SCRATCH_SLOTS
};
struct sbuf *sbuf_scratch(enum sbuf_slot slot);

/*
 * The UTF-8 sequence at p (left bytes, left > 0): its length with the code point
 * in *cp, or 0 when it is malformed, overlong, a surrogate, past U+10FFFF or cut short.
 */
size_t utf8_decode(const unsigned char *p, size_t left, uint32_t *cp);

/* Seconds on the monotonic clock (for durations and progress). */
double mono_seconds(void);
/* The wall clock, ns since the epoch (event times are in it). */
uint64_t epoch_ns(void);
/* mkdir -p: path and its missing parents, each with mode; 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);
/* rm -r: path and, when a directory, everything under it (what cannot be removed stays). */
void rm_tree(const char *path);
/* The working directories mkdtemp("DIR/PREFIXXXXXXX") made that a stopped process left: removed. */
void rm_temp_dirs(const char *dir, const char *prefix);
/*
 * s as a file name a person can read: letters, digits, '_', '-' and '.' (not
 * first) kept, every other byte '_'; at most max-1 bytes, never "".
 */
void safe_filename(char *out, size_t max, const char *s);

/*
 * bq: batches of bytes from one producer to a consumer thread, which gets each
 * batch through fn, in order. bq_reserve() returns n bytes to fill; when every
 * batch is in use it waits for one (wait mode) or returns NULL at once (the
 * eBPF drain, which counts the loss instead). It also returns NULL once fn has
 * returned non-zero (bq_error() tells that value). bq_flush() hands over a
 * partly filled batch; bq_finish() hands over the rest and waits until fn has
 * seen it all (on the caller's thread if no batch was ever handed over), and
 * returns fn's first non-zero value or 0. bq_free() finishes and frees.
 */
typedef int (*bq_consume_fn)(void *ctx, const char *data, size_t len);
struct bq;
struct bq *bq_new(size_t batch_bytes, unsigned nbatches, bool wait, bq_consume_fn fn, void *ctx);
char *bq_reserve(struct bq *q, size_t n);
void bq_flush(struct bq *q);
int bq_error(struct bq *q);
int bq_finish(struct bq *q);
void bq_free(struct bq *q);

static inline void sbuf_reset(struct sbuf *b)
{
	b->len = 0;
}

static inline void sbuf_put(struct sbuf *b, const void *p, size_t n)
{
	if (!n)
		return;
	if (unlikely(b->len + n > b->cap))
		sbuf_grow(b, n);
	if (n <= 16) { /* most pieces are short: skip the library call */
		const char *s = p;
		char *d = b->data + b->len;

		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		__builtin_memcpy(b->data + b->len, p, n);
	}
	b->len += n;
}

/* Fixed-size integers in host byte order (the order .scap and pcapng files are written in). */
static inline void sbuf_put16(struct sbuf *b, uint16_t v)
{
	sbuf_put(b, &v, 2);
}

static inline void sbuf_put32(struct sbuf *b, uint32_t v)
{
	sbuf_put(b, &v, 4);
}

static inline void sbuf_put64(struct sbuf *b, uint64_t v)
{
	sbuf_put(b, &v, 8);
}

static inline void sbuf_putc(struct sbuf *b, char c)
{
	if (unlikely(b->len + 1 > b->cap))
		sbuf_grow(b, 1);
	b->data[b->len++] = c;
}

static inline void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_put(b, s, __builtin_strlen(s));
}

/*
 * cursor: a bounded reader over untrusted bytes. Every getter checks the bytes
 * remain; the first short read sets `bad` and all later reads return zeros, so a
 * parser reads a whole record and checks `bad` once.
 */
struct cursor {
	const uint8_t *p;
	const uint8_t *end;
	bool bad;
};

static inline void cursor_init(struct cursor *c, const void *p, size_t n)
{
	c->p = p;
	c->end = (const uint8_t *)p + n;
	c->bad = false;
}

static inline size_t cursor_left(const struct cursor *c)
{
	return (size_t)(c->end - c->p);
}

const void *cursor_take(struct cursor *c, size_t n);
uint8_t cursor_u8(struct cursor *c);
uint16_t cursor_u16(struct cursor *c);
uint32_t cursor_u32(struct cursor *c);
uint64_t cursor_u64(struct cursor *c);
/* A u16-length-prefixed string (no NUL on disk) of at most `max` bytes, as a
 * newly allocated NUL-terminated copy; NULL and `bad` set when too long/short. */
char *cursor_lstr(struct cursor *c, size_t max, size_t *len_out);

/*
 * Host-order loads from possibly unaligned memory. The .scap layout is
 * little-endian and so are the only arches sysrec builds for (x86_64,
 * aarch64), where host order is little-endian; a big-endian build would need
 * byte swaps here, which this assertion asks for.
 */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "load_u16/32/64 read host order");
static inline uint16_t load_u16(const void *p)
{
	uint16_t v;
	__builtin_memcpy(&v, p, 2);
	return v;
}
static inline uint32_t load_u32(const void *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}
static inline uint64_t load_u64(const void *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

/*
 * sink: where a writer's bytes go, a plain file or a gzip stream. The first
 * error is kept and every later write is a no-op, so writers emit whole records
 * and check once at close. Files are written under "<path>.tmp-<pid>" (mode
 * 0600, narrowed further by the umask) and renamed to <path> by sink_close()
 * only when everything succeeded; a process killed meanwhile leaves the
 * temporary behind (sink_temp_pid() recognises its name). A plain
 * file gets whole 1 MiB chunks with O_DIRECT (sink.c says why), the rest at close.
 */
struct sink;

struct sink *sink_open(const char *path, bool gzip, struct err *e);
void sink_write(struct sink *s, const void *p, size_t n);
int sink_error(const struct sink *s);
uint64_t sink_offset(const struct sink *s);
/* Flush, close and rename into place; on error remove the temporary file.
 * Returns 0 or the first error (message in e). Always frees s. */
int sink_close(struct sink *s, struct err *e);
/* Close and remove the temporary file without publishing it. */
void sink_abort(struct sink *s);
/* The pid in the name of a sink's temporary ("<path>.tmp-<pid>"), or 0 when path is no such name. */
long sink_temp_pid(const char *path);
/* Whether process pid is alive and runs sysrec (the writer of a temporary, still at work). */
bool sink_writer_alive(long pid);

/* Environment helpers. */
const char *env_or(const char *name, const char *fallback);

/*
 * targz (targz.c): a tar.gz archive as a stream into out (which returns 0 or
 * -errno; the first error sticks and every later call returns it). Each
 * regular file: targz_file() with its name (split into ustar's prefix and
 * name past 100 bytes: -ENAMETOOLONG, the archive still good, when it cannot
 * be) and size, then exactly size bytes by targz_write(). targz_close()
 * ends the archive and frees it: 0 or the first error.
 */
struct targz;
struct targz *targz_new(int (*out)(void *ctx, const void *p, size_t n), void *ctx);
int targz_file(struct targz *t, const char *name, uint64_t size, int64_t mtime);
int targz_write(struct targz *t, const void *p, size_t n);
int targz_close(struct targz *t);

#include "i64map.h"

#endif
