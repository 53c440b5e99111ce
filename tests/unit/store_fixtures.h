/* store_fixtures.h: each store test's directory and local store, objects, capture records, catalog. */

#ifndef SYSREC_TESTS_STORE_FIXTURES_H
#define SYSREC_TESTS_STORE_FIXTURES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../src/store/store.h"

#define DAY 86400

/* Each test gets a fresh directory under /tmp; the store lives in DIR/store (created by the test). */
struct fixture {
	char dir[64];
	char root[96]; /* DIR/store */
	struct store *s;
};

static inline int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct err e = { "" };

	snprintf(f->dir, sizeof(f->dir), "/tmp/sysrec-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->root, sizeof(f->root), "%s/store", f->dir);
	f->s = store_local_open(f->root, &e);
	if (!f->s) {
		fprintf(stderr, "%s\n", e.msg);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	store_close(f->s);
	rc = nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static inline void sha256_hex(const void *buf, size_t n, char hex[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(buf, n, md, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, 32);
	for (unsigned int i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static inline void put(struct store *s, const char *key, const char *text)
{
	struct err e = { "" };

	assert_int_equal(store_put_bytes(s, key, text, strlen(text), &e), 0);
}

struct keys {
	char k[32][STORE_KEY_MAX + 1];
	uint64_t size[32];
	size_t n;
	size_t stop_after; /* return 42 after this many; 0 = never */
};

static inline int collect(void *ctx, const char *key, const struct store_stat *st)
{
	struct keys *ks = ctx;

	assert_true(ks->n < 32);
	snprintf(ks->k[ks->n], sizeof(ks->k[0]), "%s", key);
	ks->size[ks->n] = st->size;
	ks->n++;
	return ks->stop_after && ks->n == ks->stop_after ? 42 : 0;
}

/* ---- capture records ---- */

static inline void meta_init(struct capture_meta *m, const char *id, const char *name, const char *host,
                             const char *trigger, enum capture_status status, int64_t created)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", id);
	m->name = xstrdup(name);
	m->host = xstrdup(host);
	m->container = xstrdup("");
	m->trigger = xstrdup(trigger);
	m->filter = xstrdup("");
	m->storage = xstrdup("local");
	m->error = xstrdup("");
	m->incomplete = xstrdup("");
	m->note = xstrdup("");
	m->status = status;
	m->created = created;
	m->expires_at = created + 90 * DAY;
	m->start_ns = (uint64_t)(created - 3) * 1000000000u;
	m->duration = 5.0;
	m->before = 3.0;
	m->after = 2.0;
}

static inline void sample_meta(struct capture_meta *m)
{
	meta_init(m, "20261124T101500Z-3f2a9c01", "suspicious-curl", "web-1", "manual", CAPTURE_OK,
	          1795515300);
	free(m->filter);
	m->filter = xstrdup("proc.name=curl");
	free(m->container);
	m->container = xstrdup("3f2a9c01abcd");
	m->size = 1843200;
	snprintf(m->sha256, sizeof(m->sha256), "%s",
	         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	m->filter_proclist = true;
	m->kept = true;
	m->expires_at = 1803291300; /* created + 90 days */
	m->end_ns = 1795515302500000000ULL;
	m->lost_events = 1788694;
	free(m->incomplete);
	m->incomplete = xstrdup("1788694 events lost (ring buffer full 1788694)");
	m->packets = true;
	m->pcapng_size = 90112;
	m->pcapng_packets = 4242;
	m->pcapng_lost = 7;
	snprintf(m->pcapng_sha256, sizeof(m->pcapng_sha256), "%s",
	         "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752");
}

static inline void assert_meta_equal(const struct capture_meta *a, const struct capture_meta *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->container, b->container);
	assert_string_equal(a->trigger, b->trigger);
	assert_string_equal(a->filter, b->filter);
	assert_string_equal(a->storage, b->storage);
	assert_string_equal(a->error, b->error);
	assert_string_equal(a->note, b->note);
	assert_int_equal(a->filter_proclist, b->filter_proclist);
	assert_int_equal(a->kept, b->kept);
	assert_int_equal(a->start_ns, b->start_ns);
	assert_int_equal(a->end_ns, b->end_ns);
	assert_int_equal(a->lost_events, b->lost_events);
	assert_string_equal(a->incomplete, b->incomplete);
	assert_true(a->duration == b->duration && a->before == b->before && a->after == b->after);
	assert_int_equal(a->size, b->size);
	assert_string_equal(a->sha256, b->sha256);
	assert_int_equal(a->packets, b->packets);
	assert_int_equal(a->pcapng_size, b->pcapng_size);
	assert_int_equal(a->pcapng_packets, b->pcapng_packets);
	assert_int_equal(a->pcapng_lost, b->pcapng_lost);
	assert_string_equal(a->pcapng_sha256, b->pcapng_sha256);
	assert_int_equal(a->status, b->status);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->expires_at, b->expires_at);
}

/* ---- the catalog ---- */

static inline struct catalog *open_catalog(struct fixture *f)
{
	struct err e = { "" };
	struct catalog *c = catalog_open(f->s, &e);

	if (!c)
		fail_msg("catalog_open: %s", e.msg);
	return c;
}

static inline void put_meta(struct catalog *c, const struct capture_meta *m)
{
	struct err e = { "" };

	if (catalog_put(c, m, &e))
		fail_msg("catalog_put %s: %s", m->id, e.msg);
}

/* Put a capture from a few fields. */
static inline void add(struct catalog *c, const char *id, const char *name, const char *host,
                       const char *trigger, enum capture_status st, int64_t created)
{
	struct capture_meta m;

	meta_init(&m, id, name, host, trigger, st, created);
	put_meta(c, &m);
	capture_meta_free(&m);
}

#endif
