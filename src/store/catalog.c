/*
 * catalog: the captures kept on a store, the in-memory index that answers list queries, recovery at open.
 *
 * The records on the store are the truth: every change is written there
 * (atomically) as it is mirrored in memory, and opening the catalog rebuilds
 * memory from them. A write that fails (a full disk, no inodes) leaves that
 * record unsaved: memory is ahead until catalog_flush() writes it, so no
 * capture is stuck in a state that no later call can leave. One mutex guards
 * the index, held across the record write so that memory and store agree on
 * the order of updates. A record itself (struct capture_meta, its keys, its
 * JSON form) is meta.c's.
 */
#include "catalog_int.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RECORD_MAX  (1u << 20) /* bytes in a .json record we agree to read */
#define STOPPED_MSG "the agent stopped before the capture was complete"
#define RECOVERED_MSG                                                                          \
	"recovered at restart: the agent stopped before it recorded the result; the file was " \
	"complete, and its size and sha256 were computed then"

/* ---- the catalog ---- */

struct catalog {
	struct store *store;
	pthread_mutex_t lock;
	struct capture_meta *v; /* sorted by id */
	bool *unsaved;          /* beside v: memory is ahead of the stored record */
	size_t n, cap;
	size_t nunsaved;         /* how many unsaved[] are set */
	uint64_t write_failures; /* record writes that failed, retries included */
};

/* Where id is in c->v, or where it would go; *found says which. */
static size_t find(const struct catalog *c, const char *id, bool *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->v[mid].id, id);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Insert a copy of m, or replace the one with its id; returns its index. */
static size_t index_put(struct catalog *c, const struct capture_meta *m)
{
	bool found;
	size_t i = find(c, m->id, &found);

	if (found) {
		capture_meta_free(&c->v[i]);
	} else {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 64;
			c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
			c->unsaved = xrealloc(c->unsaved, c->cap * sizeof(*c->unsaved));
		}
		memmove(&c->v[i + 1], &c->v[i], (c->n - i) * sizeof(*c->v));
		memmove(&c->unsaved[i + 1], &c->unsaved[i], (c->n - i) * sizeof(*c->unsaved));
		c->unsaved[i] = false;
		c->n++;
	}
	capture_meta_copy(&c->v[i], m);
	return i;
}

static void set_unsaved(struct catalog *c, size_t i, bool unsaved)
{
	if (c->unsaved[i] != unsaved)
		c->nunsaved = unsaved ? c->nunsaved + 1 : c->nunsaved - 1;
	c->unsaved[i] = unsaved;
}

static void index_drop(struct catalog *c, size_t i)
{
	set_unsaved(c, i, false);
	capture_meta_free(&c->v[i]);
	memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(*c->v));
	memmove(&c->unsaved[i], &c->unsaved[i + 1], (c->n - i - 1) * sizeof(*c->unsaved));
	c->n--;
}

/* Whether m's record would read back: 0, or -EINVAL naming the member (a bad id, a start_ns or size past
 * INT64_MAX). */
static int record_check(const struct capture_meta *m, struct err *e)
{
	struct capture_meta check;
	json_t *j;
	int rc;

	if (!capture_id_valid(m->id))
		return err_set(e, -EINVAL,
		               "bad capture id '%.63s': it must be 1 to 63 characters of [0-9A-Za-z-]",
		               m->id);
	j = capture_meta_to_json(m);
	rc = capture_meta_from_json(j, &check, e);
	capture_meta_free(&check);
	json_decref(j);
	return rc;
}

/* Write m's record (checked by record_check()) to the store: 0 or -errno with a message. */
static int record_write(struct store *s, const struct capture_meta *m, struct err *e)
{
	char key[STORE_KEY_MAX + 1];
	json_t *j;
	char *text;
	int rc;

	if (meta_record_key(key, m->id, ".json"))
		return err_set(e, -EINVAL, "bad capture id '%.63s'", m->id);
	j = capture_meta_to_json(m);
	text = json_dumps(j, JSON_INDENT(2));
	json_decref(j);
	if (!text)
		return err_set(e, -ENOMEM, "cannot format the record of capture %s", m->id);
	rc = store_put_bytes(s, key, text, strlen(text), e);
	free(text);
	return rc;
}

/*
 * Mirror m in memory, then write its record (lock held, or the catalog not yet
 * shared). A failed write leaves the record unsaved for catalog_flush().
 */
static int put_checked(struct catalog *c, const struct capture_meta *m, struct err *e)
{
	size_t i = index_put(c, m);
	int rc = record_write(c->store, m, e);

	set_unsaved(c, i, rc != 0);
	if (rc)
		c->write_failures++;
	return rc;
}

/* ---- recovery at open: a .scap under its final key, with a record that never said so ---- */

/*
 * The store sits beside the scap module (one layer), so the few constants of
 * the .scap framing it checks are spelt here (docs/scap-format.md): every
 * block is type u32, length u32 (>= 12, a multiple of 4), body, length again;
 * the first is a section header whose body opens with the byte-order magic.
 */
#define SCAP_SECTION_HEADER 0x0A0D0D0Au
#define SCAP_BYTE_ORDER     0x1A2B3C4Du
#define SCAN_CHUNK          (1u << 20)

/* Following the block chain through a file read in chunks. */
struct block_walk {
	uint64_t next;    /* offset of the next block's header */
	uint8_t head[12]; /* its first bytes, gathered across chunks */
	size_t have;
	uint64_t blocks;
	const char *bad; /* why the chain broke, or NULL */
};

/* Feed the bytes at offset base; the walk stops at the first bad block. */
static void walk_blocks(struct block_walk *w, uint64_t base, const uint8_t *p, size_t n)
{
	uint64_t pos = base, end = base + n;

	while (pos < end && !w->bad) {
		size_t want = w->blocks ? 8 : 12, take;
		uint32_t type, len;

		if (pos < w->next) {
			pos = w->next < end ? w->next : end;
			continue;
		}
		take = want - w->have;
		if (take > end - pos)
			take = (size_t)(end - pos);
		memcpy(w->head + w->have, p + (pos - base), take);
		w->have += take;
		pos += take;
		if (w->have < want)
			continue;
		memcpy(&type, w->head, 4);
		memcpy(&len, w->head + 4, 4);
		if (!w->blocks && type != SCAP_SECTION_HEADER)
			w->bad = "it does not start with a .scap section header";
		else if (!w->blocks && load_u32(w->head + 8) != SCAP_BYTE_ORDER)
			w->bad = "its section header has no byte-order magic";
		else if (len < 12 || len % 4)
			w->bad = "a block has an impossible length";
		w->next += len;
		w->have = 0;
		w->blocks++;
	}
}

/*
 * Read the .scap at key through: whole blocks from its section header to its
 * last byte. 0 with its size and SHA-256; -ENOENT when there is none; -EINVAL
 * (or a read error) with the reason in e.
 */
static int scap_verify(struct store *s, const char *key, uint64_t *size, char sha256_hex[65], struct err *e)
{
	struct store_get *g = store_get_open(s, key, 0, UINT64_MAX, e);
	struct block_walk w = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *sha;
	uint64_t off = 0;
	uint8_t *buf;
	int rc = 0;

	if (!g)
		return -errno;
	sha = EVP_MD_CTX_new();
	buf = xmalloc(SCAN_CHUNK);
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
		rc = err_set(e, -EIO, "%s: SHA-256 is not available", key);
	while (!rc) {
		ssize_t r = store_get_read(g, buf, SCAN_CHUNK);

		if (r < 0)
			rc = err_set(e, (int)r, "reading %s: %s", key, strerror((int)-r));
		if (r <= 0)
			break;
		if (EVP_DigestUpdate(sha, buf, (size_t)r) != 1)
			rc = err_set(e, -EIO, "%s: SHA-256 failed", key);
		walk_blocks(&w, off, buf, (size_t)r);
		off += (uint64_t)r;
	}
	if (!rc && w.bad)
		rc = err_set(e, -EINVAL, "%s is not a whole .scap: %s", key, w.bad);
	else if (!rc && (!w.blocks || w.have || w.next != off))
		rc = err_set(e, -EINVAL, "%s is not a whole .scap: it ends inside a block", key);
	if (!rc && (EVP_DigestFinal_ex(sha, md, &mdlen) != 1 || mdlen != 32))
		rc = err_set(e, -EIO, "%s: SHA-256 failed", key);
	if (!rc) {
		for (unsigned int i = 0; i < mdlen; i++)
			snprintf(sha256_hex + 2 * i, 3, "%02x", md[i]);
		*size = off;
	}
	EVP_MD_CTX_free(sha);
	free(buf);
	store_get_close(g);
	return rc;
}

/*
 * A record still recording or storing at open: the agent stopped during that
 * capture. Its file under the final key means the commit completed (only a
 * commit publishes it): when it reads through, the capture is ok; otherwise it
 * failed.
 */
static void settle_interrupted(struct catalog *c, struct capture_meta *m)
{
	char key[STORE_KEY_MAX + 1], sha[65];
	struct err e = { { 0 } };
	uint64_t size = 0;
	int rc;

	capture_scap_key(key, m->id);
	rc = scap_verify(c->store, key, &size, sha, &e);
	if (rc == 0) {
		log_warn("capture %s: recovered at restart: its record said %s, its file is complete "
		         "(%llu bytes)",
		         m->id, capture_status_name(m->status), (unsigned long long)size);
		m->status = CAPTURE_OK;
		m->size = size;
		memcpy(m->sha256, sha, sizeof(m->sha256));
		free(m->error);
		m->error = xstrdup("");
		free(m->note);
		m->note = xstrdup(RECOVERED_MSG);
		/* what the capture lacks was in the record never written: claim nothing, point at the file */
		if (!m->end_ns)
			m->end_ns = m->start_ns + (uint64_t)(m->duration * 1e9);
		if (!m->incomplete || !*m->incomplete) {
			free(m->incomplete);
			m->incomplete = xstrdup(
			        m->packets || m->artifacts[0]
			                ? "not known, and its other parts (packets, artifacts) are not kept: "
			                  "the capture "
			                  "was recovered at restart, before its other parts and its losses "
			                  "were recorded; the file's sysrec-drops and sysrec-incomplete "
			                  "notifications say what it lacks"
			                : "not known: the capture was recovered at restart, before its "
			                  "losses were recorded; the file's sysrec-drops and "
			                  "sysrec-incomplete notifications say what it lacks");
		}
		if (m->packets) { /* a pcapng part no record vouches for is not served */
			capture_pcapng_key(key, m->id);
			store_delete(c->store, key, NULL);
			m->pcapng_size = m->pcapng_packets = m->pcapng_lost = 0;
			m->pcapng_sha256[0] = 0;
		}
		if (m->artifacts[0]) { /* nor an artifacts part */
			capture_artifacts_key(key, m->id);
			store_delete(c->store, key, NULL);
			m->artifacts_size = m->artifacts_count = m->artifacts_not_kept = 0;
			m->artifacts_sha256[0] = 0;
		}
		return;
	}
	if (rc != -ENOENT)
		log_warn("capture %s: %s", m->id, e.msg);
	m->status = CAPTURE_ERROR;
	free(m->error);
	m->error = xstrdup(STOPPED_MSG);
}

/* Load one record at open (store_list callback); never fails the walk. */
static int load_record(void *ctx, const char *key, const struct store_stat *st)
{
	static const char ext[] = ".json";
	struct catalog *c = ctx;
	size_t keylen = strlen(key), prefix = strlen(CAPTURE_KEY_PREFIX), idlen, len;
	struct capture_meta m;
	json_error_t jerr;
	struct err e;
	char *text;
	json_t *j;
	int rc;

	(void)st;
	if (keylen < prefix + sizeof(ext) || strcmp(key + keylen - (sizeof(ext) - 1), ext) != 0)
		return 0; /* a .scap, or something else */
	idlen = keylen - prefix - (sizeof(ext) - 1);
	if (store_get_all(c->store, key, RECORD_MAX, &text, &len, &e)) {
		log_warn("skipping the capture record %s: %s", key, e.msg);
		return 0;
	}
	j = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!j) {
		log_warn("skipping the capture record %s: line %d: %s", key, jerr.line, jerr.text);
		return 0;
	}
	rc = capture_meta_from_json(j, &m, &e);
	json_decref(j);
	if (rc) {
		log_warn("skipping the capture record %s: %s", key, e.msg);
		return 0;
	}
	if (strlen(m.id) != idlen || strncmp(m.id, key + prefix, idlen) != 0) {
		log_warn("skipping the capture record %s: it holds capture %s", key, m.id);
		capture_meta_free(&m);
		return 0;
	}
	if (m.status == CAPTURE_RECORDING || m.status == CAPTURE_STORING) {
		settle_interrupted(c, &m);
		if (put_checked(c, &m, &e))
			log_warn("capture %s: cannot record that it is %s (retried later): %s", m.id,
			         capture_status_name(m.status), e.msg);
	} else {
		index_put(c, &m);
	}
	capture_meta_free(&m);
	return 0;
}

struct catalog *catalog_open(struct store *s, struct err *e)
{
	struct catalog *c = xcalloc(1, sizeof(*c));
	int rc;

	c->store = s;
	pthread_mutex_init(&c->lock, NULL);
	rc = store_clean_temp(s, CAPTURE_KEY_PREFIX);
	if (rc < 0)
		log_warn("cannot remove the temporary files under %s: %s", CAPTURE_KEY_PREFIX, strerror(-rc));
	rc = store_list(s, CAPTURE_KEY_PREFIX, load_record, c, e);
	if (rc) {
		catalog_close(c);
		errno = rc < 0 ? -rc : EIO;
		return NULL;
	}
	return c;
}

void catalog_close(struct catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		capture_meta_free(&c->v[i]);
	free(c->v);
	free(c->unsaved);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int catalog_put(struct catalog *c, const struct capture_meta *m, struct err *e)
{
	int rc = record_check(m, e);

	if (rc)
		return rc;
	pthread_mutex_lock(&c->lock);
	rc = put_checked(c, m, e);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int catalog_flush(struct catalog *c, struct err *e)
{
	int first = 0, left;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n && c->nunsaved; i++) {
		struct err one;
		int rc;

		if (!c->unsaved[i])
			continue;
		rc = record_write(c->store, &c->v[i], &one);
		set_unsaved(c, i, rc != 0);
		if (rc) {
			c->write_failures++;
			if (!first)
				first = err_set(e, rc, "%s", one.msg);
		}
	}
	left = (int)c->nunsaved;
	pthread_mutex_unlock(&c->lock);
	return left;
}

void catalog_stats(struct catalog *c, struct catalog_stats *out)
{
	pthread_mutex_lock(&c->lock);
	out->unsaved = c->nunsaved;
	out->write_failures = c->write_failures;
	pthread_mutex_unlock(&c->lock);
}

int catalog_get(struct catalog *c, const char *id, struct capture_meta *out)
{
	bool found;
	size_t i;

	pthread_mutex_lock(&c->lock);
	i = find(c, id, &found);
	if (found)
		capture_meta_copy(out, &c->v[i]);
	pthread_mutex_unlock(&c->lock);
	return found ? 0 : -ENOENT;
}

/* Delete capture c->v[i] from the store, then from memory (lock held). */
static int delete_locked(struct catalog *c, size_t i, struct err *e)
{
	/* the record last: it lists them */
	static const char *const exts[] = { ".scap", ".pcapng", ".artifacts.tar.gz", ".json" };
	char key[STORE_KEY_MAX + 1];

	for (size_t k = 0; k < ARRAY_SIZE(exts); k++) {
		int rc;

		meta_record_key(key, c->v[i].id, exts[k]);
		rc = store_delete(c->store, key, e);
		if (rc && rc != -ENOENT)
			return rc;
	}
	index_drop(c, i);
	return 0;
}

int catalog_delete(struct catalog *c, const char *id, struct err *e)
{
	bool found;
	size_t i;
	int rc;

	pthread_mutex_lock(&c->lock);
	i = find(c, id, &found);
	rc = found ? delete_locked(c, i, e) : err_set(e, -ENOENT, "no such capture %.63s", id);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static bool complete(const struct capture_meta *m)
{
	return m->status == CAPTURE_OK || m->status == CAPTURE_ERROR;
}

bool catalog_expiring(const struct capture_meta *m, int64_t now)
{
	int64_t left;

	if (!complete(m) || m->kept)
		return false;
	if (__builtin_sub_overflow(m->expires_at, now, &left))
		return m->expires_at < now;
	return left <= CATALOG_EXPIRING_S;
}

static bool filter_match(const struct capture_meta *m, const struct catalog_query *q)
{
	switch (q->filter) {
	case CATALOG_ALL:
		return true;
	case CATALOG_OK:
		return m->status == CAPTURE_OK;
	case CATALOG_ERROR:
		return m->status == CAPTURE_ERROR;
	case CATALOG_EXPIRING:
		return catalog_expiring(m, q->now);
	case CATALOG_RECORDING:
		return m->status == CAPTURE_RECORDING;
	case CATALOG_STORING:
		return m->status == CAPTURE_STORING;
	}
	return false;
}

static bool search_match(const struct capture_meta *m, const char *search)
{
	return !search || !*search || strcasestr(m->name, search) || strcasestr(m->host, search) ||
	       strcasestr(m->trigger, search);
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int by_created(const struct capture_meta *a, const struct capture_meta *b)
{
	return CMP(a->created, b->created);
}

static int by_name(const struct capture_meta *a, const struct capture_meta *b)
{
	return strcasecmp(a->name, b->name);
}

static int by_start(const struct capture_meta *a, const struct capture_meta *b)
{
	return CMP(a->start_ns, b->start_ns);
}

static int by_duration(const struct capture_meta *a, const struct capture_meta *b)
{
	return CMP(a->duration, b->duration);
}

static int by_size(const struct capture_meta *a, const struct capture_meta *b)
{
	return CMP(a->size, b->size);
}

static int by_status(const struct capture_meta *a, const struct capture_meta *b)
{
	return strcmp(capture_status_name(a->status), capture_status_name(b->status));
}

static int by_trigger(const struct capture_meta *a, const struct capture_meta *b)
{
	return strcasecmp(a->trigger, b->trigger);
}

static int by_host(const struct capture_meta *a, const struct capture_meta *b)
{
	return strcasecmp(a->host, b->host);
}

typedef int (*meta_cmp_fn)(const struct capture_meta *a, const struct capture_meta *b);

static const struct {
	const char *name;
	meta_cmp_fn cmp;
} sort_keys[] = {
	{ "created", by_created },   { "name", by_name }, { "start", by_start },
	{ "duration", by_duration }, { "size", by_size }, { "status", by_status },
	{ "trigger", by_trigger },   { "host", by_host },
};

struct sort_ctx {
	meta_cmp_fn cmp;
	bool ascending;
};

static int sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct capture_meta *a = *(const struct capture_meta *const *)pa;
	const struct capture_meta *b = *(const struct capture_meta *const *)pb;
	const struct sort_ctx *ctx = arg;
	int r = ctx->cmp(a, b);

	if (!r)
		r = strcmp(a->id, b->id);
	return ctx->ascending ? r : -r;
}

int catalog_list(struct catalog *c, const struct catalog_query *q, struct capture_meta **out, size_t *n,
                 size_t *total, struct err *e)
{
	static const struct catalog_query all = { 0 };
	const struct capture_meta **hits;
	struct sort_ctx ctx = { NULL, false };
	size_t k = 0, first, count;

	*out = NULL;
	*n = 0;
	if (total)
		*total = 0;
	if (!q)
		q = &all;
	for (size_t i = 0; i < ARRAY_SIZE(sort_keys) && !ctx.cmp; i++) {
		if (!q->sort || !*q->sort ? i == 0 : !strcmp(q->sort, sort_keys[i].name))
			ctx.cmp = sort_keys[i].cmp;
	}
	if (!ctx.cmp)
		return err_set(e, -EINVAL, "unknown sort key '%.64s'", q->sort);
	ctx.ascending = q->ascending;

	pthread_mutex_lock(&c->lock);
	hits = xmalloc((c->n ? c->n : 1) * sizeof(const struct capture_meta *));
	for (size_t i = 0; i < c->n; i++) {
		if (filter_match(&c->v[i], q) && search_match(&c->v[i], q->search))
			hits[k++] = &c->v[i];
	}
	qsort_r(hits, k, sizeof(const struct capture_meta *), sort_cmp, &ctx);
	first = q->offset < k ? q->offset : k;
	count = k - first;
	if (q->limit && count > q->limit)
		count = q->limit;
	if (count) {
		*out = xcalloc(count, sizeof(**out));
		for (size_t i = 0; i < count; i++)
			capture_meta_copy(&(*out)[i], hits[first + i]);
	}
	pthread_mutex_unlock(&c->lock);
	free(hits);
	*n = count;
	if (total)
		*total = k;
	return 0;
}

void catalog_list_free(struct capture_meta *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		capture_meta_free(&list[i]);
	free(list);
}

int catalog_expire(struct catalog *c, int64_t now, struct err *e)
{
	int deleted = 0, first_rc = 0;
	struct err one;

	pthread_mutex_lock(&c->lock);
	for (size_t i = c->n; i-- > 0;) { /* from the end: deleting shifts only what was seen */
		const struct capture_meta *m = &c->v[i];
		int rc;

		if (!complete(m) || m->kept || m->expires_at > now)
			continue;
		rc = delete_locked(c, i, &one);
		if (!rc) {
			deleted++;
		} else if (!first_rc) {
			first_rc = err_set(e, rc, "expiring capture %s: %s", m->id, one.msg);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return first_rc ? first_rc : deleted;
}

size_t catalog_count(struct catalog *c, enum capture_status st)
{
	size_t count = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n; i++)
		count += c->v[i].status == st;
	pthread_mutex_unlock(&c->lock);
	return count;
}
