/*
 * meta: a capture's record: struct capture_meta, its id and keys, its JSON form.
 *
 * The JSON form is the capture object of docs/api.md, its times RFC 3339 UTC;
 * capture_meta_from_json() refuses a member of the wrong type or form, naming
 * it. catalog.c keeps the records, on the store and in memory.
 */
#include "catalog_int.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

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
	{ "container_name", offsetof(struct capture_meta, container_name), false },
	{ "container_image", offsetof(struct capture_meta, container_image), false },
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

int meta_record_key(char key[STORE_KEY_MAX + 1], const char *id, const char *ext)
{
	if (!capture_id_valid(id))
		return -EINVAL;
	snprintf(key, STORE_KEY_MAX + 1, CAPTURE_KEY_PREFIX "%s%s", id, ext);
	return 0;
}

int capture_scap_key(char key[STORE_KEY_MAX + 1], const char *id)
{
	return meta_record_key(key, id, ".scap");
}

int capture_pcapng_key(char key[STORE_KEY_MAX + 1], const char *id)
{
	return meta_record_key(key, id, ".pcapng");
}

int capture_artifacts_key(char key[STORE_KEY_MAX + 1], const char *id)
{
	return meta_record_key(key, id, ".artifacts.tar.gz");
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
	json_object_set_new(j, "container_name", json_text(m->container_name));
	json_object_set_new(j, "container_image", json_text(m->container_image));
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
	json_object_set_new(j, "packets", json_boolean(m->packets));
	json_object_set_new(j, "pcapng_size", json_integer((json_int_t)m->pcapng_size));
	json_object_set_new(j, "pcapng_sha256", json_text(m->pcapng_sha256));
	json_object_set_new(j, "pcapng_packets", json_integer((json_int_t)m->pcapng_packets));
	json_object_set_new(j, "pcapng_lost_packets", json_integer((json_int_t)m->pcapng_lost));
	{
		json_t *kinds = json_array();
		char copy[sizeof(m->artifacts)], *save = NULL;

		snprintf(copy, sizeof(copy), "%s", m->artifacts);
		for (char *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save))
			json_array_append_new(kinds, json_string(k));
		json_object_set_new(j, "artifacts", kinds);
	}
	json_object_set_new(j, "artifacts_size", json_integer((json_int_t)m->artifacts_size));
	json_object_set_new(j, "artifacts_sha256", json_text(m->artifacts_sha256));
	json_object_set_new(j, "artifacts_count", json_integer((json_int_t)m->artifacts_count));
	json_object_set_new(j, "artifacts_not_kept_bytes", json_integer((json_int_t)m->artifacts_not_kept));
	{
		/* the parts of the bundle, each as `capture download --part` names it (derived: not read
		 * back) */
		json_t *parts = json_array();

		if (m->status == CAPTURE_OK)
			json_array_append_new(parts,
			                      json_pack("{s:s,s:I,s:o}", "part", "scap", "size",
			                                (json_int_t)m->size, "sha256", json_text(m->sha256)));
		if (m->status == CAPTURE_OK && m->pcapng_sha256[0])
			json_array_append_new(parts, json_pack("{s:s,s:I,s:o,s:I,s:I}", "part", "pcapng",
			                                       "size", (json_int_t)m->pcapng_size, "sha256",
			                                       json_text(m->pcapng_sha256), "packets",
			                                       (json_int_t)m->pcapng_packets, "lost_packets",
			                                       (json_int_t)m->pcapng_lost));
		if (m->status == CAPTURE_OK && m->artifacts_sha256[0])
			json_array_append_new(parts,
			                      json_pack("{s:s,s:I,s:o,s:I,s:I}", "part", "artifacts", "size",
			                                (json_int_t)m->artifacts_size, "sha256",
			                                json_text(m->artifacts_sha256), "artifacts",
			                                (json_int_t)m->artifacts_count, "not_kept_bytes",
			                                (json_int_t)m->artifacts_not_kept));
		json_object_set_new(j, "parts", parts);
	}
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

static int get_sha256(const json_t *j, const char *name, char out[65], struct err *e)
{
	int rc = 0;
	const char *s = get_string(j, name, false, &rc, e);
	size_t len;

	if (rc || !s)
		return rc;
	len = strlen(s);
	if ((len != 0 && len != 64) || strspn(s, "0123456789abcdef") != len)
		return member_error(e, name, "must be \"\" or 64 lowercase hex digits");
	memcpy(out, s, len + 1);
	return 0;
}

/* An optional array of lower-case words, joined by commas into out. */
static int get_kinds(const json_t *j, const char *name, char *out, size_t size, struct err *e)
{
	const json_t *v = json_object_get(j, name), *k;
	size_t i, len = 0;

	out[0] = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return member_error(e, name, "must be an array of artifact kinds");
	json_array_foreach(v, i, k)
	{
		const char *s = json_string_value(k);
		size_t n = s ? strlen(s) : 0;

		if (!n || strspn(s, "abcdefghijklmnopqrstuvwxyz") != n || len + n + 2 > size)
			return member_error(e, name, "must be an array of artifact kinds");
		len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", s);
	}
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
	    (rc = get_u64(j, "size", &m->size, e)) || (rc = get_sha256(j, "sha256", m->sha256, e)) ||
	    (rc = get_bool(j, "packets", &m->packets, e)) ||
	    (rc = get_u64(j, "pcapng_size", &m->pcapng_size, e)) ||
	    (rc = get_sha256(j, "pcapng_sha256", m->pcapng_sha256, e)) ||
	    (rc = get_u64(j, "pcapng_packets", &m->pcapng_packets, e)) ||
	    (rc = get_u64(j, "pcapng_lost_packets", &m->pcapng_lost, e)) ||
	    (rc = get_kinds(j, "artifacts", m->artifacts, sizeof(m->artifacts), e)) ||
	    (rc = get_u64(j, "artifacts_size", &m->artifacts_size, e)) ||
	    (rc = get_sha256(j, "artifacts_sha256", m->artifacts_sha256, e)) ||
	    (rc = get_u64(j, "artifacts_count", &m->artifacts_count, e)) ||
	    (rc = get_u64(j, "artifacts_not_kept_bytes", &m->artifacts_not_kept, e)) ||
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
