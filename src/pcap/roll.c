/* roll: continuous recording into rolling pcapng files bounded in size and age (pcap.h). */
#include "pcap.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file's size: max_bytes / 8 within these (and at most max_bytes / 2). */
#define FILE_MIN (64ULL << 10)
#define FILE_MAX (1ULL << 30)
/* A file's span: max_age_ns / 8, at least this (or max_age_ns / 2 when shorter). */
#define SPAN_MIN 1000000000ULL
/* The digits of the time in a name: 19 as written, 20 for times past 2286. */
#define NAME_DIGITS 19

/* A closed file. */
struct rfile {
	char *path;
	uint64_t name_ns;
	uint64_t first_ns, last_ns; /* its packets' times (a previous run's: bounds, pcap.h) */
	uint64_t bytes;
};

/* An interface of the file being written: its id there, its counts for the statistics block. */
struct rkey {
	uint32_t id;
	uint64_t received, dropped;
};

struct pcap_roll {
	char *dir, *prefix;
	struct pcap_section_info si;
	char *si_strs[4]; /* the copies si points to */
	uint64_t max_bytes, max_age_ns;
	uint64_t now_ns; /* the latest tick's; 0: none yet */

	struct rfile *closed; /* oldest first: by name, which is the order they were written in */
	size_t nclosed, cap;
	uint64_t closed_bytes;
	uint64_t last_name_ns; /* the newest name given: names increase */

	/* the file being written, when w is not NULL (it holds packets, but inside pcap_roll_packet()) */
	struct pcap_writer *w;
	char *path;
	uint64_t name_ns;
	struct i64map keys; /* if_key -> struct rkey */
	uint32_t nkeys;
	uint64_t first_ns, last_ns, packets;

	struct pcap_writer *sizer; /* writes nowhere: sizes the blocks of a file not begun */
	uint64_t shb_bytes;        /* a section header's bytes */
	uint64_t isb_bytes;        /* a statistics block's, with the counts */

	struct pcap_roll_stats st; /* the counters */
};

static int discard(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	return 0;
}

static uint64_t file_cap(const struct pcap_roll *r)
{
	uint64_t cap = r->max_bytes / 8;

	if (cap < FILE_MIN)
		cap = FILE_MIN;
	if (cap > FILE_MAX)
		cap = FILE_MAX;
	return cap < r->max_bytes / 2 ? cap : r->max_bytes / 2;
}

/* The span a file's packets may have; 0: no bound. */
static uint64_t span_cap(const struct pcap_roll *r)
{
	uint64_t span = r->max_age_ns / 8;

	if (span < SPAN_MIN)
		span = SPAN_MIN < r->max_age_ns / 2 ? SPAN_MIN : r->max_age_ns / 2;
	return span;
}

/* The bytes of the file being written once closed: so far, and a statistics block per interface. */
static uint64_t cur_bytes(const struct pcap_roll *r)
{
	return r->w ? pcap_writer_bytes(r->w) + (uint64_t)r->nkeys * r->isb_bytes : 0;
}

static char *name_path(const struct pcap_roll *r, uint64_t ns)
{
	struct sbuf b = { 0 };

	sbuf_printf(&b, "%s/%s-", r->dir, r->prefix);
	sbuf_u64_padded(&b, ns, NAME_DIGITS);
	sbuf_puts(&b, ".pcapng");
	sbuf_cstr(&b);
	return b.data;
}

enum name_kind { NAME_OTHER, NAME_FILE, NAME_TEMP };

/* Whether name is one of the roll's files (its time in *ns), a temporary of one, or another's. */
static enum name_kind parse_name(const struct pcap_roll *r, const char *name, uint64_t *ns)
{
	size_t plen = strlen(r->prefix), digits = 0;
	const char *s;
	uint64_t v = 0;

	if (strncmp(name, r->prefix, plen) != 0 || name[plen] != '-')
		return NAME_OTHER;
	s = name + plen + 1;
	for (; s[digits] >= '0' && s[digits] <= '9'; digits++) {
		unsigned d = (unsigned)(s[digits] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return NAME_OTHER;
		v = v * 10 + d;
	}
	if (digits < NAME_DIGITS || digits > NAME_DIGITS + 1 || strncmp(s + digits, ".pcapng", 7) != 0)
		return NAME_OTHER;
	*ns = v;
	s += digits + 7;
	if (!*s)
		return NAME_FILE;
	return strncmp(s, ".tmp-", 5) == 0 && sink_temp_pid(name) > 0 ? NAME_TEMP : NAME_OTHER;
}

static void closed_push(struct pcap_roll *r, const struct rfile *f)
{
	if (r->nclosed == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->closed = xrealloc(r->closed, r->cap * sizeof(*r->closed));
	}
	r->closed[r->nclosed++] = *f;
	r->closed_bytes += f->bytes;
}

/*
 * Delete closed file i, counting it in *files and *bytes. One that cannot be
 * unlinked is forgotten all the same (left on disk): the roll cannot keep
 * trying.
 */
static void closed_delete(struct pcap_roll *r, size_t i, uint64_t *files, uint64_t *bytes)
{
	struct rfile *f = &r->closed[i];

	unlink(f->path);
	(*files)++;
	*bytes += f->bytes;
	r->closed_bytes -= f->bytes;
	free(f->path);
	memmove(f, f + 1, (r->nclosed - i - 1) * sizeof(*f));
	r->nclosed--;
}

/* Delete the oldest closed files until need more bytes fit; whether they do. */
static bool make_room(struct pcap_roll *r, uint64_t need)
{
	while (r->nclosed && r->closed_bytes + need > r->max_bytes)
		closed_delete(r, 0, &r->st.deleted_size, &r->st.deleted_size_bytes);
	return r->closed_bytes + need <= r->max_bytes;
}

/* Forget the file being written (already closed or aborted). */
static void cur_reset(struct pcap_roll *r)
{
	for (size_t i = 0; i < r->keys.cap; i++)
		free(r->keys.slots[i].val);
	i64map_release(&r->keys);
	i64map_init(&r->keys);
	free(r->path);
	r->path = NULL;
	r->w = NULL;
	r->nkeys = 0;
	r->first_ns = r->last_ns = r->packets = 0;
}

/* Drop the file being written, counting it in *files and *bytes (NULL: lost to a write error). */
static void cur_drop(struct pcap_roll *r, uint64_t *files, uint64_t *bytes)
{
	if (files) {
		(*files)++;
		*bytes += cur_bytes(r);
	} else {
		r->st.write_lost += r->packets;
	}
	pcap_writer_abort(r->w);
	cur_reset(r);
}

/* Close the file being written: its statistics, then publish it as the newest closed file. */
static int cur_close(struct pcap_roll *r, struct err *e)
{
	struct rfile f = { r->path, r->name_ns, r->first_ns, r->last_ns, cur_bytes(r) };
	int rc;

	for (size_t i = 0; i < r->keys.cap; i++) {
		const struct rkey *k = r->keys.slots[i].val;

		if (k)
			pcap_writer_set_stats(r->w, k->id,
			                      &(struct pcap_stats){ .received = k->received,
			                                            .dropped = k->dropped,
			                                            .start_ns = r->first_ns,
			                                            .end_ns = r->last_ns });
	}
	rc = pcap_writer_close(r->w, e);
	if (rc) {
		r->st.write_lost += r->packets;
		r->st.write_error = rc;
	} else {
		closed_push(r, &f);
		r->path = NULL; /* the closed file's now */
	}
	cur_reset(r);
	return rc;
}

/* Begin a file for a first packet at ts_ns. */
static int cur_open(struct pcap_roll *r, uint64_t ts_ns)
{
	struct err e = { { 0 } };
	uint64_t ns = ts_ns > r->last_name_ns ? ts_ns : r->last_name_ns + 1;

	r->path = name_path(r, ns);
	errno = 0;
	r->w = pcap_writer_open(r->path, &r->si, &e);
	if (!r->w) {
		int rc = errno ? -errno : -EIO;

		free(r->path);
		r->path = NULL;
		r->st.write_error = rc;
		return rc;
	}
	r->name_ns = r->last_name_ns = ns;
	r->shb_bytes = pcap_writer_bytes(r->w);
	r->first_ns = r->last_ns = ts_ns;
	return 0;
}

/*
 * What writing q (cut to its interface's snaplen) adds to the file being
 * written: its block, and when k is NULL (the interface new to the file, or
 * no file yet) the interface's description and statistics blocks.
 */
static uint64_t grow_of(const struct pcap_roll *r, const struct rkey *k, const struct pcap_iface *ifc,
                        struct pcap_packet *q)
{
	if (k) {
		q->iface = k->id;
		return pcap_writer_packet_size(r->w, q);
	}
	q->iface = UINT32_MAX; /* not one of the sizer's: no snaplen but q's own cut */
	return pcap_writer_packet_size(r->sizer, q) + pcap_writer_iface_size(ifc) + r->isb_bytes;
}

/* Whether the file being written is done before a packet at ts_ns adding grow bytes. */
static bool rolls_over(const struct pcap_roll *r, uint64_t grow, uint64_t ts_ns)
{
	uint64_t first = ts_ns < r->first_ns ? ts_ns : r->first_ns;
	uint64_t last = ts_ns > r->last_ns ? ts_ns : r->last_ns;
	uint64_t span = span_cap(r);

	return cur_bytes(r) + grow > file_cap(r) || (span && last - first > span);
}

/* A write error as pcap_roll_packet() returns it: its -EFBIG means too big, so a file system's is -EIO. */
static int write_rc(int rc)
{
	return rc == -EFBIG ? -EIO : rc;
}

/* Close the file being written as the roll moves on: an error is counted (pcap_roll_stats), not returned. */
static void move_on(struct pcap_roll *r)
{
	cur_close(r, NULL);
}

int pcap_roll_packet(struct pcap_roll *r, uint64_t if_key, const struct pcap_iface *ifc,
                     const struct pcap_packet *p)
{
	struct pcap_packet q;
	struct rkey *k;
	uint64_t grow;
	int rc;

	if (!ifc || (p->caplen && !p->data))
		return -EINVAL;
	/* cut here, as the file's interface will: the sizes are then exact before it exists */
	q = *p;
	q.origlen = p->origlen ? p->origlen : p->caplen;
	if (ifc->snaplen && q.caplen > ifc->snaplen)
		q.caplen = ifc->snaplen;
	k = r->w ? i64map_get(&r->keys, (int64_t)if_key) : NULL;
	grow = grow_of(r, k, ifc, &q);
	if (r->w && rolls_over(r, grow, q.ts_ns)) {
		move_on(r);
		k = NULL;
		grow = grow_of(r, k, ifc, &q);
	}
	if (r->closed_bytes + (r->w ? cur_bytes(r) : r->shb_bytes) + grow > r->max_bytes) {
		uint64_t fresh = k ? grow_of(r, NULL, ifc, &q) : grow;

		if (r->shb_bytes + fresh > r->max_bytes) {
			r->st.too_big++;
			return -EFBIG;
		}
		if (!make_room(r, (r->w ? cur_bytes(r) : r->shb_bytes) + grow)) {
			move_on(r); /* there is a file being written: without one, fresh fits */
			k = NULL;
			grow = grow_of(r, k, ifc, &q);
			make_room(r, r->shb_bytes + grow);
		}
	}
	if (!r->w) {
		if ((rc = cur_open(r, q.ts_ns)) != 0) {
			r->st.write_lost++;
			return write_rc(rc);
		}
		if (!make_room(r, cur_bytes(r) + grow)) { /* its section header grew: the host renamed */
			pcap_writer_abort(r->w);
			cur_reset(r);
			r->st.too_big++;
			return -EFBIG;
		}
	}
	if (!k) {
		int id = pcap_writer_add_iface(r->w, ifc);

		if (id < 0) { /* more interfaces than a file may hold */
			if (!r->packets) {
				pcap_writer_abort(r->w);
				cur_reset(r);
			}
			return id;
		}
		k = xcalloc(1, sizeof(*k));
		k->id = (uint32_t)id;
		i64map_put(&r->keys, (int64_t)if_key, k);
		r->nkeys++;
	}
	q.iface = k->id;
	if ((rc = pcap_writer_packet(r->w, &q)) != 0) {
		r->st.write_lost++; /* this one; cur_drop() counts the file's */
		r->st.write_error = rc;
		cur_drop(r, NULL, NULL);
		return write_rc(rc);
	}
	k->received++;
	k->dropped += p->drops;
	if (q.ts_ns < r->first_ns)
		r->first_ns = q.ts_ns;
	if (q.ts_ns > r->last_ns)
		r->last_ns = q.ts_ns;
	r->packets++;
	r->st.packets++;
	return 0;
}

/* Delete what is older than now_ns - max_age_ns: closed files, and the file being written. */
static void enforce_age(struct pcap_roll *r, uint64_t now_ns)
{
	uint64_t limit;

	if (!r->max_age_ns || now_ns <= r->max_age_ns)
		return;
	limit = now_ns - r->max_age_ns;
	for (size_t i = 0; i < r->nclosed;)
		if (r->closed[i].last_ns < limit)
			closed_delete(r, i, &r->st.deleted_age, &r->st.deleted_age_bytes);
		else
			i++;
	if (r->w && r->last_ns < limit)
		cur_drop(r, &r->st.deleted_age, &r->st.deleted_age_bytes);
}

/* Both bounds at once; 0 or the error of closing the file being written. */
static int enforce(struct pcap_roll *r, uint64_t now_ns)
{
	uint64_t span = span_cap(r);

	enforce_age(r, now_ns);
	make_room(r, cur_bytes(r));
	if (r->w && cur_bytes(r) > r->max_bytes)
		cur_drop(r, &r->st.deleted_size, &r->st.deleted_size_bytes);
	if (r->w && (cur_bytes(r) > file_cap(r) || (span && r->last_ns - r->first_ns > span)))
		return cur_close(r, NULL);
	return 0;
}

int pcap_roll_set_bounds(struct pcap_roll *r, uint64_t max_bytes, uint64_t max_age_ns)
{
	if (!max_bytes)
		return -EINVAL;
	r->max_bytes = max_bytes;
	r->max_age_ns = max_age_ns;
	return enforce(r, r->now_ns ? r->now_ns : epoch_ns());
}

void pcap_roll_tick(struct pcap_roll *r, uint64_t now_ns)
{
	uint64_t span = span_cap(r);

	r->now_ns = now_ns;
	enforce_age(r, now_ns);
	if (r->w && span && now_ns > span && r->first_ns < now_ns - span)
		move_on(r);
}

int pcap_roll_cut(struct pcap_roll *r, struct err *e)
{
	return r->w ? cur_close(r, e) : 0;
}

size_t pcap_roll_files(struct pcap_roll *r, uint64_t since_ns, uint64_t until_ns, char ***paths)
{
	char **out = xcalloc(r->nclosed + 1, sizeof(*out));
	size_t n = 0;

	if (!until_ns)
		until_ns = UINT64_MAX;
	for (size_t i = 0; i < r->nclosed; i++)
		if (r->closed[i].first_ns <= until_ns && r->closed[i].last_ns >= since_ns)
			out[n++] = xstrdup(r->closed[i].path);
	*paths = out;
	return n;
}

void pcap_roll_stats(const struct pcap_roll *r, struct pcap_roll_stats *out)
{
	*out = r->st;
	out->files = r->nclosed + (r->w ? 1 : 0);
	out->bytes = r->closed_bytes + cur_bytes(r);
	out->oldest_ns = r->w ? r->first_ns : 0;
	out->newest_ns = r->w ? r->last_ns : 0;
	for (size_t i = 0; i < r->nclosed; i++) {
		const struct rfile *f = &r->closed[i];

		if (!out->oldest_ns || f->first_ns < out->oldest_ns)
			out->oldest_ns = f->first_ns;
		if (f->last_ns > out->newest_ns)
			out->newest_ns = f->last_ns;
	}
	out->max_bytes = r->max_bytes;
	out->max_age_ns = r->max_age_ns;
}

static int by_name(const void *a, const void *b)
{
	const struct rfile *x = a, *y = b;

	return x->name_ns < y->name_ns ? -1 : x->name_ns > y->name_ns;
}

/*
 * Take the directory's files: delete crashed writers' temporaries, list a
 * previous run's files by name with their spans (pcap.h: bounds).
 */
static int scan_dir(struct pcap_roll *r, struct err *e)
{
	DIR *d = opendir(r->dir);
	struct dirent *de;

	if (!d) {
		int rc = -errno;

		return err_set(e, rc, "cannot read the directory %s: %s", r->dir, strerror(-rc));
	}
	while ((de = readdir(d))) {
		enum name_kind kind;
		struct stat st;
		uint64_t ns;
		char *path;
		size_t n;

		if ((kind = parse_name(r, de->d_name, &ns)) == NAME_OTHER)
			continue;
		n = strlen(r->dir) + strlen(de->d_name) + 2;
		path = xmalloc(n);
		snprintf(path, n, "%s/%s", r->dir, de->d_name);
		if (kind == NAME_TEMP) {
			unlink(path);
			free(path);
		} else if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
		} else {
			uint64_t mtime =
			        (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + (uint64_t)st.st_mtim.tv_nsec;

			/* its last packet: by its mtime until the next file's name is known */
			closed_push(r, &(struct rfile){ path, ns, ns, mtime > ns ? mtime : ns,
			                                (uint64_t)st.st_size });
		}
	}
	closedir(d);
	if (!r->nclosed)
		return 0;
	qsort(r->closed, r->nclosed, sizeof(*r->closed), by_name);
	for (size_t i = 0; i + 1 < r->nclosed; i++)
		r->closed[i].last_ns = r->closed[i + 1].name_ns;
	r->last_name_ns = r->closed[r->nclosed - 1].name_ns;
	return 0;
}

static const char *keep_str(struct pcap_roll *r, int i, const char *s)
{
	return s ? (r->si_strs[i] = xstrdup(s)) : NULL;
}

struct pcap_roll *pcap_roll_open(const struct pcap_roll_opts *o, struct err *e)
{
	struct pcap_roll *r;
	int rc;

	if (!o || !o->dir || !*o->dir || !o->prefix || !*o->prefix || strchr(o->prefix, '/') ||
	    !o->max_bytes) {
		err_set(e, -EINVAL,
		        "rolling pcapng files need a directory, a file name prefix and a size bound");
		errno = EINVAL;
		return NULL;
	}
	if (mkdir(o->dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		err_set(e, rc, "cannot make the directory %s: %s", o->dir, strerror(-rc));
		errno = -rc;
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->dir = xstrdup(o->dir);
	r->prefix = xstrdup(o->prefix);
	if (o->si) {
		r->si.hardware = keep_str(r, 0, o->si->hardware);
		r->si.os = keep_str(r, 1, o->si->os);
		r->si.userappl = keep_str(r, 2, o->si->userappl);
		r->si.comment = keep_str(r, 3, o->si->comment);
	}
	r->max_bytes = o->max_bytes;
	r->max_age_ns = o->max_age_ns;
	i64map_init(&r->keys);
	r->sizer = pcap_writer_open_fn(discard, NULL, &r->si);
	r->shb_bytes = pcap_writer_bytes(r->sizer);
	r->isb_bytes = pcap_writer_stats_size(&(struct pcap_stats){ 0 });
	if ((rc = scan_dir(r, e)) != 0) {
		pcap_roll_close(r, NULL);
		errno = -rc;
		return NULL;
	}
	enforce(r, epoch_ns());
	return r;
}

int pcap_roll_close(struct pcap_roll *r, struct err *e)
{
	int rc = 0;

	if (!r)
		return 0;
	if (r->w)
		rc = cur_close(r, e);
	for (size_t i = 0; i < r->keys.cap; i++)
		free(r->keys.slots[i].val);
	i64map_release(&r->keys);
	for (size_t i = 0; i < r->nclosed; i++)
		free(r->closed[i].path);
	free(r->closed);
	for (size_t i = 0; i < ARRAY_SIZE(r->si_strs); i++)
		free(r->si_strs[i]);
	if (r->sizer)
		pcap_writer_abort(r->sizer);
	free(r->dir);
	free(r->prefix);
	free(r);
	return rc;
}
