/*
 * store: object storage for captures (a local directory today, an S3-compatible
 * bucket later) and the capture catalog kept on it.
 *
 * Objects are named by keys, relative paths such as "captures/ID.scap": 1..255
 * bytes of [A-Za-z0-9._/-], components separated by single '/', none empty and
 * none starting with '.' (so no "." or "..", and the names of temporary files,
 * which start with '.', never collide with a key). Every function refuses any
 * other key with -EINVAL and a message naming it.
 *
 * Conventions: functions return 0 (or a count) or a negative errno, with a
 * message in `e` (which may be NULL). A struct store may be used by several
 * threads at once; a struct store_put or struct store_get belongs to one thread
 * at a time. The catalog is safe to share between threads.
 */
#ifndef SYSREC_STORE_H
#define SYSREC_STORE_H

#include "../common/common.h"

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define STORE_KEY_MAX 255 /* bytes in a key, without the NUL */

struct store;
struct store_put;
struct store_get;

struct store_stat {
	uint64_t size;   /* bytes */
	int64_t mtime_s; /* last modification, epoch seconds */
};

/* Key syntax (see the top of this file); 0 or -EINVAL with a message naming the key. */
int store_key_check(const char *key, struct err *e);

/*
 * Open the store kept in directory `dir`, creating it and its parents (mode
 * 0700) when missing. Returns NULL with a message naming the path and the
 * system's reason in e (and errno set) on failure. The
 * caller owns the store and releases it with store_close().
 */
struct store *store_local_open(const char *dir, struct err *e);

/* Release s (NULL is fine). Every put and get opened on s must be finished first. */
void store_close(struct store *s);

/*
 * Streaming put: write an object of any size, published atomically. The bytes
 * go to a temporary object (locally ".NAME.tmp.PID.SEQ" beside the key, mode
 * 0600) that readers and store_list() never see, and replace `key` at commit,
 * so a reader sees the old object or the whole new one, never a part.
 *
 * store_put_begin() returns NULL with a message and errno set on failure (bad
 * key, cannot create the temporary). Every put must end with exactly one of commit or abort,
 * which free it.
 */
struct store_put *store_put_begin(struct store *s, const char *key, struct err *e);

/*
 * Append n bytes. The first error is kept (sticky): later writes do nothing and
 * return it, and commit reports it with its message, so a writer may emit
 * everything and check once. Returns 0 or that first -errno.
 */
int store_put_write(struct store_put *p, const void *buf, size_t n);

/*
 * Publish the object: flush it to stable storage, rename it over the key and
 * make the rename durable. On success fills the SHA-256 (64 lowercase hex digits
 * and a NUL) and the byte count of what was written (either may be NULL) and
 * returns 0. On failure (the first write error, or one at flush/rename) the
 * temporary is removed, the key keeps its old content, and -errno returns with
 * a message naming the key and the system's reason (a full disk reads "No
 * space left on device"). The one exception: when only the final directory
 * sync fails, the new object is in place but might not survive a crash, and
 * the error is still returned. Always frees p.
 */
int store_put_commit(struct store_put *p, char sha256_hex[65], uint64_t *size, struct err *e);

/* Drop the put: remove the temporary and free p (NULL is fine). The key is untouched. */
void store_put_abort(struct store_put *p);

/* Store a whole small object in one call (begin, write, commit): 0 or -errno. */
int store_put_bytes(struct store *s, const char *key, const void *buf, size_t n, struct err *e);

/*
 * Ranged get: stream `length` bytes of key from `offset` (UINT64_MAX, or any
 * length past the end, means up to the end). An offset equal to the size gives
 * an empty stream (so an empty object can be read); a larger one fails with
 * -ERANGE. A missing object is -ENOENT with "no such object KEY". On failure
 * returns NULL with the message in e and errno set to the (positive) code, so
 * an HTTP layer can tell 404 from 416. The stream reads one consistent object
 * even if the key is replaced meanwhile. Release with store_get_close().
 */
struct store_get *store_get_open(struct store *s, const char *key, uint64_t offset, uint64_t length,
                                 struct err *e);

/* Bytes the range holds (after clamping to the object's end), and the object's size. */
uint64_t store_get_length(const struct store_get *g);
uint64_t store_get_object_size(const struct store_get *g);

/* Read up to n bytes: returns how many (0 at the end of the range) or -errno. */
ssize_t store_get_read(struct store_get *g, void *buf, size_t n);

/* Release g (NULL is fine). */
void store_get_close(struct store_get *g);

/*
 * Read a whole small object into a new buffer: *buf (NUL-terminated for the
 * convenience of text parsers, the NUL not counted in *len) is the caller's to
 * free(). An object larger than max bytes is refused with -EFBIG; a missing one
 * is -ENOENT. On error *buf is NULL.
 */
int store_get_all(struct store *s, const char *key, size_t max, char **buf, size_t *len, struct err *e);

/*
 * A read-only fd of key where the backend keeps objects as files (local), for
 * readers that need one (mmap, seeks): the fd (the caller closes it), or
 * -ENOTSUP where it does not (an object store), -ENOENT, -errno.
 */
int store_open_file(struct store *s, const char *key, struct err *e);

/* Size and modification time of key: 0, or -ENOENT "no such object KEY", or -errno. */
int store_stat(struct store *s, const char *key, struct store_stat *st, struct err *e);

/* Remove key: 0, or -ENOENT "no such object KEY", or -errno. */
int store_delete(struct store *s, const char *key, struct err *e);

/*
 * Call fn for every object directly under prefix ("" for the top, else a key
 * ending in '/', e.g. "captures/"), in byte order of key, with its full key and
 * stat; temporaries and deeper levels are skipped, and a prefix that holds
 * nothing yet is simply empty. fn may delete or put objects. A non-zero return
 * from fn stops the walk and is returned; otherwise 0 or -errno.
 */
typedef int (*store_list_fn)(void *ctx, const char *key, const struct store_stat *st);
int store_list(struct store *s, const char *prefix, store_list_fn fn, void *ctx, struct err *e);

/*
 * Remove the temporaries left under prefix (same form as for store_list) by a
 * process that died mid-put. Call it at startup, before any put is under way:
 * it cannot tell an abandoned temporary from one being written. Returns how
 * many were removed, or -errno when prefix is bad or cannot be read.
 */
int store_clean_temp(struct store *s, const char *prefix);

/*
 * The capture catalog. A capture is two objects: "captures/ID.scap", the file,
 * and "captures/ID.json", its record (capture_meta_to_json(), the capture object
 * of docs/api.md). The store is the source of truth: the catalog mirrors the
 * records in memory and writes every change through to them.
 *
 * Every catalog_* function may be called from any thread between catalog_open()
 * and catalog_close(): they share one mutex, held across the record write of a
 * put or delete (so a slow disk delays readers of the catalog, never corrupts
 * them). capture_meta_* functions touch only their arguments.
 */
#define CAPTURE_KEY_PREFIX "captures/"

enum capture_status { CAPTURE_RECORDING, CAPTURE_STORING, CAPTURE_OK, CAPTURE_ERROR };

struct capture_meta {
	char id[64]; /* [0-9A-Za-z-], 1..63 characters */
	/* owned strings; never NULL once filled ("" for none) */
	char *name, *host, *container, *trigger, *filter, *storage, *error;
	/* why the file is not the whole window asked for (history short, events lost, cut short); "": it is
	 */
	char *incomplete;
	char *note; /* what happened to the record itself, e.g. "recovered at restart: ..." */
	char *container_name, *container_image; /* as its runtime describes the container ("": unknown) */
	bool filter_proclist, kept;
	uint64_t start_ns; /* first instant the file covers, epoch ns */
	uint64_t end_ns;   /* last instant it covers (0 until the capture ends) */
	/* duration: the span covered (end - start) once ok; the span asked for until then */
	double duration, before, after; /* seconds */
	uint64_t lost_events;           /* events lost in the span covered (its drop marks), 0 until ok */
	uint64_t size;                  /* of the .scap, 0 until ok */
	char sha256[65];                /* of the .scap, "" until ok */
	/*
	 * The bundle's pcapng part (captures/ID.pcapng): the window's packets.
	 * packets: asked for; then, once ok, its size and sha256, the packets in
	 * it and those the agent lost in the window (said in the file too).
	 */
	bool packets;
	uint64_t pcapng_size, pcapng_packets, pcapng_lost;
	char pcapng_sha256[65];
	/*
	 * The bundle's artifacts part (captures/ID.artifacts.tar.gz): the
	 * artifacts made in the window, with their manifest. artifacts: the kinds
	 * asked for, comma-separated ("" none); then, once ok, the part's size and
	 * sha256, its manifest's entries and the bytes not kept (it says why).
	 */
	char artifacts[40];
	uint64_t artifacts_size, artifacts_count, artifacts_not_kept;
	char artifacts_sha256[65];
	enum capture_status status;
	int64_t created, expires_at; /* epoch seconds */
};

/* Free m's strings (not m itself) and leave m zeroed. NULL is fine. */
void capture_meta_free(struct capture_meta *m);

/* Deep copy: dst's previous contents are overwritten, not freed; a NULL string in src becomes "". */
void capture_meta_copy(struct capture_meta *dst, const struct capture_meta *src);

/* "recording", "storing", "ok", "error" ("?" for a value out of range). */
const char *capture_status_name(enum capture_status st);

/* The status named s: 0, or -EINVAL for an unknown name. */
int capture_status_parse(const char *s, enum capture_status *out);

/* Whether id has the syntax of a capture id ([0-9A-Za-z-], 1..63 characters). */
bool capture_id_valid(const char *id);

/*
 * A new id "YYYYMMDDTHHMMSSZ-" and 8 random hex digits, from now_s (UTC) and
 * getrandom(). Returns 0 or -errno (no randomness available).
 */
int capture_id_new(char id[64], int64_t now_s);

/* The key of a capture's file ("captures/ID.scap"): 0, or -EINVAL for a bad id. */
int capture_scap_key(char key[STORE_KEY_MAX + 1], const char *id);
/* The key of its packets ("captures/ID.pcapng"): 0, or -EINVAL for a bad id. */
int capture_pcapng_key(char key[STORE_KEY_MAX + 1], const char *id);
/* The key of its artifacts ("captures/ID.artifacts.tar.gz"): 0, or -EINVAL for a bad id. */
int capture_artifacts_key(char key[STORE_KEY_MAX + 1], const char *id);

/*
 * The capture object of docs/api.md, members in its order; "start" is RFC 3339
 * UTC with nanoseconds, "created" and "expires_at" with seconds. A NULL string
 * member is written as "". Returns a new reference (the caller json_decref()s).
 */
json_t *capture_meta_to_json(const struct capture_meta *m);

/*
 * Read a capture object back into m (which the caller later frees with
 * capture_meta_free(); its previous contents are overwritten). id, name and
 * status are required; any other member may be absent (zero or ""), but a
 * member present with the wrong type or an impossible value is refused. When
 * both are present, start_ns wins over start. Returns 0, or -EINVAL with a
 * message naming the member (m then holds nothing to free).
 */
int capture_meta_from_json(const json_t *j, struct capture_meta *m, struct err *e);

struct catalog;

/*
 * Open the catalog kept on s (which must outlive it): remove temporaries under
 * "captures/", then load every "captures/ID.json". A record still "recording"
 * or "storing" means the agent stopped during that capture. If its
 * "captures/ID.scap" exists (only a completed commit publishes that key) and
 * reads through as whole .scap blocks, the capture is "ok" with the file's
 * size and sha256 and the note "recovered at restart: ..."; otherwise it
 * becomes "error" with the error "the agent stopped before the capture was
 * complete". Either way the record is rewritten (left unsaved for
 * catalog_flush() when that fails). A record that does not parse, or whose id
 * is not its key's, is skipped with a warning naming the key and left in
 * place; a .scap without a record is left alone. Returns NULL with a message
 * when the store cannot be listed.
 */
struct catalog *catalog_open(struct store *s, struct err *e);

/* Release c (NULL is fine) once no other call on it is in progress; the store stays open. */
void catalog_close(struct catalog *c);

/*
 * Insert or replace the catalog's copy of m and write its record (pretty JSON,
 * atomically). A record that would not read back (a bad id, a start_ns or
 * size past INT64_MAX) is refused with -EINVAL naming the member, and nothing
 * changes. Any other failure is of the write alone (a full disk, no inodes):
 * the memory copy takes m all the same, so every call sees the new state, the
 * stored record keeps its old content and is marked unsaved, and -errno
 * returns with the store's message; catalog_flush() writes it later. A
 * capture whose final state cannot be written is thus never stuck in
 * "recording" or "storing". 0 or -errno.
 */
int catalog_put(struct catalog *c, const struct capture_meta *m, struct err *e);

/*
 * Write every unsaved record from its memory copy (the latest state). Returns
 * how many are still unsaved (0: memory and store agree), with the first
 * failure's message in e. Cheap when nothing is unsaved: call it as often as
 * convenient (the agent does, every second).
 */
int catalog_flush(struct catalog *c, struct err *e);

struct catalog_stats {
	size_t unsaved;          /* records whose write failed and is not yet retried successfully */
	uint64_t write_failures; /* record writes that failed since open, retries included */
};

void catalog_stats(struct catalog *c, struct catalog_stats *out);

/* Copy the capture id into out (free with capture_meta_free()): 0, or -ENOENT when unknown. */
int catalog_get(struct catalog *c, const char *id, struct capture_meta *out);

/*
 * Delete capture id: its file (if any), then its record, then the memory copy
 * (an unsaved record goes too: nothing is left to write).
 * The caller decides whether a capture in progress may go (the catalog does not
 * refuse it). 0, -ENOENT for an unknown id, or -errno (the record then stays).
 */
int catalog_delete(struct catalog *c, const char *id, struct err *e);

enum catalog_filter {
	CATALOG_ALL,
	CATALOG_OK,
	CATALOG_ERROR,
	CATALOG_EXPIRING, /* ok or error, not kept, expires_at - now <= 7 days */
	CATALOG_RECORDING,
	CATALOG_STORING,
};

#define CATALOG_EXPIRING_S (7 * 24 * 3600)

/*
 * Whether m is expiring at now (epoch s): complete (ok or error), not kept,
 * and deleted by retention within CATALOG_EXPIRING_S. The rule of the
 * catalog's CATALOG_EXPIRING filter, and what the API tells per capture.
 */
bool catalog_expiring(const struct capture_meta *m, int64_t now);

/*
 * sort: created (also for NULL or ""), name, start, duration, size, status (by
 * its name), trigger or host; names compare case-insensitively.
 */
struct catalog_query {
	const char *search;         /* case-insensitive substring of name, host or trigger; NULL/"" = any */
	enum catalog_filter filter; /* which captures */
	const char *sort;           /* the sort key, above */
	bool ascending;             /* false: newest/largest/last first */
	size_t offset;              /* matches to skip */
	size_t limit;               /* at most this many; 0 = no limit */
	int64_t now;                /* epoch seconds, for CATALOG_EXPIRING */
};

/*
 * The captures q selects, sorted (ties broken by id, so pages are stable) and
 * paged: *out is a new array of *n copies (free with catalog_list_free(); NULL
 * when *n is 0), *total the count before paging (total may be NULL). A zeroed
 * query lists everything, newest first. 0, or -EINVAL "unknown sort key 'x'".
 */
int catalog_list(struct catalog *c, const struct catalog_query *q, struct capture_meta **out, size_t *n,
                 size_t *total, struct err *e);

/* Free what catalog_list() returned (NULL is fine). */
void catalog_list_free(struct capture_meta *list, size_t n);

/*
 * Delete every complete (ok or error) capture that is not kept and whose
 * expires_at <= now. Every candidate is tried; returns how many went, or the
 * first failure's -errno (message in e) when one could not be deleted.
 */
int catalog_expire(struct catalog *c, int64_t now, struct err *e);

/* How many captures have status st. */
size_t catalog_count(struct catalog *c, enum capture_status st);

#endif
