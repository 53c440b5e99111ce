/*
 * store_int: what a storage backend implements (private to src/store).
 *
 * The public functions of store.h check keys and ranges, hash and count the
 * bytes of a put and keep its first error, then call the backend through
 * struct store_ops. A backend embeds the base structs below as the first
 * member of its own (struct local_store { struct store base; ... }), so the
 * pointers it gets are its own objects.
 */
#ifndef SYSREC_STORE_INT_H
#define SYSREC_STORE_INT_H

#include "store.h"

#include <openssl/evp.h>

struct store {
	const struct store_ops *ops;
};

struct store_put {
	struct store *store;
	char key[STORE_KEY_MAX + 1];
	EVP_MD_CTX *sha; /* over every byte written */
	uint64_t size;   /* bytes written */
	struct sbuf buf; /* small writes gathered: the backend and the hash see large ones */
	int error;       /* first error (negative errno), sticky */
	struct err err;  /* its message */
};

struct store_get {
	struct store *store;
	char key[STORE_KEY_MAX + 1];
	uint64_t object_size; /* set by the backend's get_open */
	uint64_t length;      /* the range, clamped to the object */
	uint64_t remaining;   /* of the range, still to read */
};

/*
 * Every op receives a checked key (or prefix) and sets its messages through e
 * (which may be NULL); the message names the key. Ops returning int return 0 or
 * -errno; ops returning a pointer return NULL with errno set.
 */
struct store_ops {
	const char *name;

	/* Release the backend's store, s included. */
	void (*close)(struct store *s);

	/*
	 * Allocate the backend's put (the base zeroed; the caller fills it) and
	 * create its temporary, invisible to list and get until committed.
	 */
	struct store_put *(*put_begin)(struct store *s, const char *key, struct err *e);
	/* Append all n bytes (retrying short writes) or fail. */
	int (*put_write)(struct store_put *p, const void *buf, size_t n, struct err *e);
	/* Make the bytes durable and publish them under p->key; on failure remove
	 * the temporary. Frees p in every case. */
	int (*put_commit)(struct store_put *p, struct err *e);
	/* Remove the temporary and free p. */
	void (*put_abort)(struct store_put *p);

	/*
	 * Open key for reading the range [offset, offset + length) (length is not
	 * clamped: it may run past the end) and set base.object_size. An
	 * offset past the end need not fail here: the caller checks it against
	 * object_size. A missing key is -ENOENT "no such object KEY".
	 */
	struct store_get *(*get_open)(struct store *s, const char *key, uint64_t offset, uint64_t length,
	                              struct err *e);
	/* Read up to n bytes (n never exceeds what the range has left) from the
	 * current position: the count, 0 only at the object's end, or -errno. */
	ssize_t (*get_read)(struct store_get *g, void *buf, size_t n);
	/* Release g. */
	void (*get_close)(struct store_get *g);

	int (*stat)(struct store *s, const char *key, struct store_stat *st, struct err *e);
	int (*del)(struct store *s, const char *key, struct err *e);
	/* As store_list(): prefix is "" or ends in '/'; keys in byte order. */
	int (*list)(struct store *s, const char *prefix, store_list_fn fn, void *ctx, struct err *e);
	/* As store_clean_temp(). */
	int (*clean_temp)(struct store *s, const char *prefix);
	/* As store_open_file(); NULL: the backend has no files (-ENOTSUP). */
	int (*open_file)(struct store *s, const char *key, struct err *e);
};

#endif
