/*
 * catalog: the captures kept on a store, their JSON records (the capture object
 * of docs/api.md) and the in-memory index that answers list queries.
 *
 * The records on the store are the truth: every change is written there
 * (atomically) as it is mirrored in memory, and opening the catalog rebuilds
 * memory from them. A write that fails (a full disk, no inodes) leaves that
 * record unsaved: memory is ahead until catalog_flush() writes it, so no
 * capture is stuck in a state that no later call can leave. One mutex guards
 * the index, held across the record write so that memory and store agree on
 * the order of updates.
 */
#include "store.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#define RECORD_MAX  (1u << 20) /* bytes in a .json record we agree to read */
#define STOPPED_MSG "the agent stopped before the capture was complete"
#define RECOVERED_MSG                                                                          \
	"recovered at restart: the agent stopped before it recorded the result; the file was " \
	"complete, and its size and sha256 were computed then"

/* ---- capture_meta ---- */

/* The owned string members, for the loops that copy, free and (de)serialise them. */
static const struct {
	const char *name;
	size_t off;
	bool required;
} string_members[] = {
	{ "name", offsetof(struct capture_meta, name), true },
	{ "host", offsetof(struct capture_meta, host), false },
	{ "container", offsetof(struct capture_meta, container), false },
	{ "trigger", offsetof(struct capture_meta, trigger), false },
	{ "filter", offsetof(struct capture_meta, filter), false },
	{ "storage", offsetof(struct capture_meta, storage), false },
	{ "error", offsetof(struct capture_meta, error), false },
	{ "incomplete_reason", offsetof(struct capture_meta, incomplete), false },
	{ "note", offsetof(struct capture_meta, note), false },
};

static char **string_member(struct capture_meta *m, size_t i)
{
	return (char **)((char *)m + string_members[i].off);
}

static const char *string_value(const struct capture_meta *m, size_t i)
{
	const char *s = *(char *const *)((const char *)m + string_members[i].off);

	return s ? s : "";
}

void capture_meta_free(struct capture_meta *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(string_members); i++)
		free(*string_member(m, i));
	memset(m, 0, sizeof(*m));
}

void capture_meta_copy(struct capture_meta *dst, const struct capture_meta *src)
{
	*dst = *src;
	for (size_t i = 0; i < ARRAY_SIZE(string_members); i++)
		*string_member(dst, i) = xstrdup(string_value(src, i));
}

static const char *const status_names[] = {
	[CAPTURE_RECORDING] = "recording",
	[CAPTURE_STORING] = "storing",
	[CAPTURE_OK] = "ok",
	[CAPTURE_ERROR] = "error",
};

const char *capture_status_name(enum capture_status st)
{
	return (size_t)st < ARRAY_SIZE(status_names) ? status_names[st] : "?";
}

int capture_status_parse(const char *s, enum capture_status *out)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(status_names); i++) {
		if (!strcmp(s, status_names[i])) {
			*out = (enum capture_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool capture_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id && id[i]; i++) {
		char c = id[i];

		if (i >= 63 ||
		    !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-'))
			return false;
	}
	return i > 0;
}

int capture_id_new(char id[64], int64_t now_s)
{
	time_t t = (time_t)now_s;
	unsigned char r[4];
	char stamp[32];
	struct tm tm;
	ssize_t got;

	if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	do {
		got = getrandom(r, sizeof(r), 0);
	} while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(r))
		return got < 0 ? -errno : -EIO;
	snprintf(id, 64, "%s-%02x%02x%02x%02x", stamp, r[0], r[1], r[2], r[3]);
	return 0;
}

static int record_key(char key[STORE_KEY_MAX + 1], const char *id, const char *ext)
{
	if (!capture_id_valid(id))
		return -EINVAL;
	snprintf(key, STORE_KEY_MAX + 1, CAPTURE_KEY_PREFIX "%s%s", id, ext);
	return 0;
}

int capture_scap_key(char key[STORE_KEY_MAX + 1], const char *id)
{
	return record_key(key, id, ".scap");
}

/* ---- RFC 3339 UTC times ---- */

/* "YYYY-MM-DDTHH:MM:SS" then ".NNNNNNNNN" when nsec >= 0, then "Z". */
static void format_time(char *buf, size_t size, int64_t sec, long nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm)) { /* beyond any calendar: show the epoch rather than nothing */
		t = 0;
		nsec = nsec >= 0 ? 0 : -1;
		gmtime_r(&t, &tm);
	}
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nsec >= 0)
		snprintf(buf + n, size - n, ".%09ldZ", nsec);
	else
		snprintf(buf + n, size - n, "Z");
}

static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (what format_time writes, and any fraction of 1..9 digits). */
static bool parse_time(const char *s, int64_t *sec, uint32_t *nsec)
{
	int year, mon, day, hour, min, secs, digit;
	uint32_t frac = 0;
	int scale = 0;
	struct tm tm = { 0 }, check;
	time_t t;

	if (!take_digits(&s, 4, &year) || !take_char(&s, '-') || !take_digits(&s, 2, &mon) ||
	    !take_char(&s, '-') || !take_digits(&s, 2, &day) || !take_char(&s, 'T') ||
	    !take_digits(&s, 2, &hour) || !take_char(&s, ':') || !take_digits(&s, 2, &min) ||
	    !take_char(&s, ':') || !take_digits(&s, 2, &secs))
		return false;
	if (take_char(&s, '.')) {
		for (; scale < 9 && take_digits(&s, 1, &digit); scale++)
			frac = frac * 10 + (uint32_t)digit;
		if (!scale || (*s >= '0' && *s <= '9'))
			return false;
		for (int i = scale; i < 9; i++)
			frac *= 10;
	}
	if (!take_char(&s, 'Z') || *s)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = secs;
	t = timegm(&tm);
	/* timegm() normalises 31 February into March: refuse what it had to change */
	if (!gmtime_r(&t, &check) || check.tm_year != tm.tm_year || check.tm_mon != tm.tm_mon ||
	    check.tm_mday != day || check.tm_hour != hour || check.tm_min != min || check.tm_sec != secs)
		return false;
	*sec = (int64_t)t;
	*nsec = frac;
	return true;
}

/* ---- JSON ---- */

/* A JSON string of s; bytes that are not valid UTF-8 turn to '?' rather than losing the member. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *copy;

	if (j)
		return j;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *json_seconds(double v)
{
	return json_real(isfinite(v) ? v : 0.0);
}

static json_t *json_time(int64_t sec, long nsec)
{
	char buf[64];

	format_time(buf, sizeof(buf), sec, nsec);
	return json_string(buf);
}

json_t *capture_meta_to_json(const struct capture_meta *m)
{
	json_t *j = json_object();

	/* the member order of docs/api.md */
	json_object_set_new(j, "id", json_text(m->id));
	json_object_set_new(j, "name", json_text(m->name));
	json_object_set_new(j, "host", json_text(m->host));
	json_object_set_new(j, "container", json_text(m->container));
	json_object_set_new(j, "trigger", json_text(m->trigger));
	json_object_set_new(j, "filter", json_text(m->filter));
	json_object_set_new(j, "filter_proclist", json_boolean(m->filter_proclist));
	json_object_set_new(j, "storage", json_text(m->storage));
	json_object_set_new(
	        j, "start",
	        json_time((int64_t)(m->start_ns / 1000000000u), (long)(m->start_ns % 1000000000u)));
	json_object_set_new(j, "start_ns", json_integer((json_int_t)m->start_ns));
	json_object_set_new(j, "duration", json_seconds(m->duration));
	json_object_set_new(j, "before", json_seconds(m->before));
	json_object_set_new(j, "after", json_seconds(m->after));
	json_object_set_new(j, "end",
	                    json_time((int64_t)(m->end_ns / 1000000000u), (long)(m->end_ns % 1000000000u)));
	json_object_set_new(j, "end_ns", json_integer((json_int_t)m->end_ns));
	json_object_set_new(j, "lost_events", json_integer((json_int_t)m->lost_events));
	json_object_set_new(j, "incomplete", json_boolean(m->incomplete && *m->incomplete));
	json_object_set_new(j, "incomplete_reason", json_text(m->incomplete));
	json_object_set_new(j, "size", json_integer((json_int_t)m->size));
	json_object_set_new(j, "sha256", json_text(m->sha256));
	json_object_set_new(j, "status", json_string(capture_status_name(m->status)));
	json_object_set_new(j, "error", json_text(m->error));
	json_object_set_new(j, "note", json_text(m->note));
	json_object_set_new(j, "kept", json_boolean(m->kept));
	json_object_set_new(j, "created", json_time(m->created, -1));
	json_object_set_new(j, "expires_at", json_time(m->expires_at, -1));
	return j;
}

static int member_error(struct err *e, const char *name, const char *what)
{
	return err_set(e, -EINVAL, "capture record: member '%s' %s", name, what);
}

/* The string member name of j, NULL when absent; -EINVAL in *rc when it is not a string. */
static const char *get_string(const json_t *j, const char *name, bool required, int *rc, struct err *e)
{
	const json_t *v = json_object_get(j, name);

	if (!v) {
		if (required)
			*rc = member_error(e, name, "is missing");
		return NULL;
	}
	if (!json_is_string(v)) {
		*rc = member_error(e, name, "must be a string");
		return NULL;
	}
	return json_string_value(v);
}

static int get_bool(const json_t *j, const char *name, bool *out, struct err *e)
{
	const json_t *v = json_object_get(j, name);

	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return member_error(e, name, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

static int get_u64(const json_t *j, const char *name, uint64_t *out, struct err *e)
{
	const json_t *v = json_object_get(j, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return member_error(e, name, "must be a non-negative integer");
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int get_seconds(const json_t *j, const char *name, double *out, struct err *e)
{
	const json_t *v = json_object_get(j, name);

	if (!v)
		return 0;
	if (!json_is_number(v))
		return member_error(e, name, "must be a number of seconds");
	*out = json_number_value(v);
	return 0;
}

static int get_time(const json_t *j, const char *name, int64_t *sec, uint32_t *nsec, struct err *e)
{
	int rc = 0;
	const char *s = get_string(j, name, false, &rc, e);

	if (rc || !s)
		return rc;
	if (!parse_time(s, sec, nsec))
		return member_error(e, name, "must be an RFC 3339 UTC time such as 2026-11-24T10:15:00Z");
	return 0;
}

static int get_sha256(const json_t *j, struct capture_meta *m, struct err *e)
{
	int rc = 0;
	const char *s = get_string(j, "sha256", false, &rc, e);
	size_t len;

	if (rc || !s)
		return rc;
	len = strlen(s);
	if ((len != 0 && len != 64) || strspn(s, "0123456789abcdef") != len)
		return member_error(e, "sha256", "must be \"\" or 64 lowercase hex digits");
	memcpy(m->sha256, s, len + 1);
	return 0;
}

static int meta_read(const json_t *j, struct capture_meta *m, struct err *e)
{
	int64_t start_s = 0;
	uint32_t nsec = 0, unused;
	uint64_t start_ns = 0;
	const char *s;
	int rc = 0;

	if (!json_is_object(j))
		return err_set(e, -EINVAL, "capture record: not a JSON object");
	s = get_string(j, "id", true, &rc, e);
	if (rc)
		return rc;
	if (!capture_id_valid(s))
		return member_error(e, "id", "must be 1 to 63 characters of [0-9A-Za-z-]");
	memcpy(m->id, s, strlen(s) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(string_members); i++) {
		s = get_string(j, string_members[i].name, string_members[i].required, &rc, e);
		if (rc)
			return rc;
		*string_member(m, i) = xstrdup(s ? s : "");
	}
	s = get_string(j, "status", true, &rc, e);
	if (rc)
		return rc;
	if (capture_status_parse(s, &m->status))
		return member_error(e, "status", "must be recording, storing, ok or error");
	if ((rc = get_bool(j, "filter_proclist", &m->filter_proclist, e)) ||
	    (rc = get_bool(j, "kept", &m->kept, e)) || (rc = get_time(j, "start", &start_s, &nsec, e)) ||
	    (rc = get_u64(j, "start_ns", &start_ns, e)) ||
	    (rc = get_seconds(j, "duration", &m->duration, e)) ||
	    (rc = get_seconds(j, "before", &m->before, e)) || (rc = get_seconds(j, "after", &m->after, e)) ||
	    (rc = get_u64(j, "size", &m->size, e)) || (rc = get_sha256(j, m, e)) ||
	    (rc = get_u64(j, "end_ns", &m->end_ns, e)) ||
	    (rc = get_u64(j, "lost_events", &m->lost_events, e)) ||
	    (rc = get_time(j, "created", &m->created, &unused, e)) ||
	    (rc = get_time(j, "expires_at", &m->expires_at, &unused, e)))
		return rc;
	if (json_object_get(j, "start_ns"))
		m->start_ns = start_ns;
	else if (start_s > 0)
		m->start_ns = (uint64_t)start_s * 1000000000u + nsec;
	return 0;
}

int capture_meta_from_json(const json_t *j, struct capture_meta *m, struct err *e)
{
	int rc;

	memset(m, 0, sizeof(*m));
	rc = meta_read(j, m, e);
	if (rc)
		capture_meta_free(m);
	return rc;
}

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

	if (record_key(key, m->id, ".json"))
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
			m->incomplete = xstrdup("not known: the capture was recovered at restart, before its "
			                        "losses were recorded; the file's sysrec-drops and "
			                        "sysrec-incomplete notifications say what it lacks");
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
	static const char *const exts[] = { ".scap", ".json" }; /* the record last: it is what lists it */
	char key[STORE_KEY_MAX + 1];

	for (size_t k = 0; k < ARRAY_SIZE(exts); k++) {
		int rc;

		record_key(key, c->v[i].id, exts[k]);
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
