/* recpcap: the recording's packets into pcapng files, each packet with its owner. */
#include "recpcap.h"

#include "../pcap/pcap.h"
#include "cli.h"
#include "rotnames.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A split makes at most this many files per mode; the packets of later owners go to MODE-others. */
#define MAX_SPLIT_FILES 1000
#define KEY_UNKNOWN     UINT64_MAX       /* packets of no known owner */
#define KEY_OTHERS      (UINT64_MAX - 1) /* owners past MAX_SPLIT_FILES */

/* An interface of one file: its id there and the packets it got. */
struct oif {
	uint64_t netns;
	uint32_t ifindex;
	uint32_t id;
	uint64_t received;
};

/* One file being written. */
struct out {
	struct pcap_writer *w;
	struct oif *ifs;
	size_t nifs;
	uint64_t lost_told; /* the recording's losses said in this file so far */
	uint64_t lost_open; /* the recording's losses when it was opened */
	uint64_t start;     /* epoch seconds it was opened (-G) */
	bool shared;        /* a split file: a loss may have been anyone's */
};

/* The files of one split mode, by owner key. */
struct split {
	unsigned mode;
	const char *prefix; /* "process", "container", "command" */
	struct i64map outs; /* key -> struct out */
	size_t n;
};

struct recpcap {
	struct recpcap_opts o;
	struct engine *en;
	char *dir; /* with a split: the directory */
	struct out *single;
	char *single_path;
	struct rotnames names; /* of the single file */
	struct split splits[3];
	struct pktnames *names_of; /* interfaces and owners' containers */
	struct recpcap_counts c;
	uint64_t lost_seen; /* losses the stream has said so far */
	int err;            /* the first file error */
	struct err e;
	struct pcap_filter *filter; /* --pcap-filter (run here, not in the kernel); NULL: none */
	pthread_t thread;
	atomic_bool stop;
	bool running;
};

int recpcap_parse_split(const char *s, unsigned *split, struct err *e)
{
	static const struct {
		const char *name;
		unsigned bit;
	} modes[] = {
		{ "single", RECPCAP_SINGLE },           { "process", RECPCAP_PROCESS },
		{ "per-process", RECPCAP_PROCESS },     { "container", RECPCAP_CONTAINER },
		{ "per-container", RECPCAP_CONTAINER }, { "command", RECPCAP_COMMAND },
		{ "per-command", RECPCAP_COMMAND },
	};
	const char *p = s;

	*split = 0;
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (strlen(modes[i].name) == n && !strncmp(modes[i].name, p, n))
				break;
		if (i == sizeof(modes) / sizeof(modes[0]))
			return err_set(e, -EINVAL,
			               "'%.*s' in '%s' is not a way to split packets: process, container, "
			               "command or single (several with commas)",
			               (int)n, p, s);
		*split |= modes[i].bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*split)
		return err_set(e, -EINVAL, "'%s': name process, container, command or single", s);
	return 0;
}

/* ---------------------------------------------------------------- naming */

/* 64-bit FNV-1a of s, kept clear of the two special keys. */
static uint64_t key_of(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h >= KEY_OTHERS ? h - 2 : h;
}

/* ----------------------------------------------------------------- files */

static void fail(struct recpcap *rp, int rc, const char *msg)
{
	if (!rp->err) {
		rp->err = rc ? rc : -EIO;
		err_set(&rp->e, rp->err, "%s", msg);
	}
}

static struct out *out_open(struct recpcap *rp, const char *path, bool shared)
{
	struct pcap_section_info si = { .userappl = "sysrec " SYSREC_VERSION };
	struct err e = { { 0 } };
	struct out *o;
	struct pcap_writer *w = pcap_writer_open(path, &si, &e);

	if (!w) {
		fail(rp, -EIO, e.msg);
		return NULL;
	}
	o = xcalloc(1, sizeof(*o));
	o->w = w;
	o->shared = shared;
	o->lost_open = o->lost_told = shared ? 0 : rp->lost_seen;
	o->start = epoch_ns() / 1000000000ULL;
	rp->c.files++;
	return o;
}

/* Finish o: each interface's statistics (the recording's losses while it was open on its first). */
static void out_close(struct recpcap *rp, struct out *o)
{
	struct engine_pkt_stats st;
	struct err e = { { 0 } };
	uint64_t lost;

	if (!o)
		return;
	engine_packets_stats(rp->en, &st);
	lost = st.lost + st.copy_failed;
	lost = lost > o->lost_open ? lost - o->lost_open : 0;
	/* the kernel does not say on which interface (or whose) a lost packet was: counted on the first */
	for (size_t i = 0; i < o->nifs; i++) {
		struct pcap_stats ps = { .received = o->ifs[i].received, .dropped = i ? 0 : lost };

		pcap_writer_set_stats(o->w, o->ifs[i].id, &ps);
	}
	if (pcap_writer_close(o->w, &e))
		fail(rp, -EIO, e.msg);
	free(o->ifs);
	free(o);
}

/* The file's id of interface (netns, ifindex), described in it on first use. */
static int out_iface(struct recpcap *rp, struct out *o, const struct engine_packet *m)
{
	struct pcap_iface ifc = { .linktype = PCAP_LINKTYPE_RAW, .snaplen = rp->o.snaplen };
	const struct pktname_if *n;
	int id;

	for (size_t i = 0; i < o->nifs; i++)
		if (o->ifs[i].netns == m->netns && o->ifs[i].ifindex == m->ifindex)
			return (int)i;
	n = pktnames_iface(rp->names_of, m->netns, m->ifindex, m->pid);
	ifc.name = n->name;
	ifc.description = n->desc;
	id = pcap_writer_add_iface(o->w, &ifc);
	if (id < 0)
		return -1;
	o->ifs = xrealloc(o->ifs, (o->nifs + 1) * sizeof(*o->ifs));
	o->ifs[o->nifs] = (struct oif){ m->netns, m->ifindex, (uint32_t)id, 0 };
	return (int)o->nifs++;
}

/* Write packet p (m's) into o; false when the file could not take it. */
static bool out_packet(struct recpcap *rp, struct out *o, const struct engine_packet *m,
                       struct pcap_packet *p)
{
	char note[160];
	int i = out_iface(rp, o, m), rc;

	if (i < 0)
		return false;
	p->iface = o->ifs[i].id;
	p->note = NULL;
	p->drops = 0;
	/* losses are said on the first packet after them */
	if (rp->lost_seen > o->lost_told) {
		snprintf(note, sizeof(note),
		         "%llu packets lost before this one (the kernel's buffer was full%s)",
		         (unsigned long long)(rp->lost_seen - o->lost_told),
		         o->shared ? "; whose they were is not known" : "");
		p->note = note;
		p->drops = rp->lost_seen - o->lost_told;
		o->lost_told = rp->lost_seen;
	}
	rc = pcap_writer_packet(o->w, p);
	p->note = NULL; /* note is this call's */
	if (rc != 0)
		return false;
	o->ifs[i].received++;
	return true;
}

/* The single file, rotated when -C's size or -G's period is passed. */
static struct out *single_out(struct recpcap *rp, uint64_t ts)
{
	struct out *o = rp->single;
	bool due = o && ((rp->o.rotate_mb && pcap_writer_bytes(o->w) >= rp->o.rotate_mb * 1000000ULL) ||
	                 (rp->o.rotate_secs && ts / 1000000000ULL >= o->start + rp->o.rotate_secs));

	if (o && due) {
		out_close(rp, o);
		rp->single = o = NULL;
	}
	if (!o && !rp->err) {
		char *name = rotnames_next(&rp->names, (time_t)(epoch_ns() / 1000000000ULL));

		rp->single = o = out_open(rp, name, false);
		free(name);
	}
	return o;
}

/* The file of the owner of m in split sp, opened on first use. */
static struct out *split_out(struct recpcap *rp, struct split *sp, const struct engine_packet *m,
                             const char *container)
{
	char safe[64], path[4200];
	uint64_t key = KEY_UNKNOWN;
	struct out *o;

	if (m->pid) {
		if (sp->mode == RECPCAP_PROCESS)
			key = m->pid;
		else
			key = key_of(sp->mode == RECPCAP_CONTAINER ? container : m->comm);
	}
	if ((o = i64map_get(&sp->outs, key)))
		return o;
	if (key != KEY_UNKNOWN && sp->n >= MAX_SPLIT_FILES) {
		rp->c.split_others++;
		key = KEY_OTHERS;
		if ((o = i64map_get(&sp->outs, key)))
			return o;
	}
	if (key == KEY_UNKNOWN)
		snprintf(path, sizeof(path), "%s/%s-unknown.pcapng", rp->dir, sp->prefix);
	else if (key == KEY_OTHERS)
		snprintf(path, sizeof(path), "%s/%s-others.pcapng", rp->dir, sp->prefix);
	else if (sp->mode == RECPCAP_PROCESS) {
		safe_filename(safe, sizeof(safe), m->comm);
		snprintf(path, sizeof(path), "%s/process-%u-%s.pcapng", rp->dir, m->pid, safe);
	} else if (sp->mode == RECPCAP_CONTAINER) {
		safe_filename(safe, sizeof(safe), container[0] ? container : "host");
		snprintf(path, sizeof(path), "%s/container-%s.pcapng", rp->dir, safe);
	} else {
		safe_filename(safe, sizeof(safe), m->comm);
		snprintf(path, sizeof(path), "%s/command-%s.pcapng", rp->dir, safe);
	}
	if (!(o = out_open(rp, path, true)))
		return NULL;
	i64map_put(&sp->outs, key, o);
	sp->n++;
	return o;
}

/* ---------------------------------------------------------------- thread */

/* The length of the IP and transport headers of the packet at d (caplen bytes there). */
static uint32_t headers_len(const uint8_t *d, uint32_t caplen)
{
	uint32_t off, proto;

	if (caplen < 1)
		return caplen;
	if (d[0] >> 4 == 4) {
		if (caplen < 20)
			return caplen;
		off = (uint32_t)(d[0] & 15) * 4;
		proto = d[9];
	} else if (d[0] >> 4 == 6) {
		off = 40;
		proto = caplen >= 40 ? d[6] : 0;
		/* hop-by-hop, routing, destination options: each says its length in 8-byte units */
		while ((proto == 0 || proto == 43 || proto == 60) && off + 8 <= caplen) {
			proto = d[off];
			off += ((uint32_t)d[off + 1] + 1) * 8;
		}
	} else {
		return caplen;
	}
	if (proto == 6 && off + 13 <= caplen)
		off += (uint32_t)(d[off + 12] >> 4) * 4;
	else if (proto == 17 || proto == 1 || proto == 58)
		off += 8;
	return off < caplen ? off : caplen;
}

static void on_packet(void *ctx, const struct engine_packet *m)
{
	struct recpcap *rp = ctx;
	struct pcap_owner owner = { .fd = -1 };
	struct pcap_packet p = {
		.ts_ns = m->ts,
		.data = m->data,
		.caplen = m->caplen,
		.origlen = m->len,
		.dir = m->dir == ENGINE_PKT_IN ? PCAP_DIR_IN : PCAP_DIR_OUT,
	};
	const char *container = "";
	bool ok = true, any = false;

	if (rp->o.headers)
		p.caplen = headers_len(m->data, m->caplen);
	rp->lost_seen = engine_packets_lost_seen(rp->en);
	if (rp->filter && !pcap_filter_match(rp->filter, m->data, m->caplen, m->len)) {
		rp->c.filtered++;
		return;
	}
	if (m->pid) {
		container = pktnames_container(rp->names_of, m->pid);
		owner.pid = m->pid;
		owner.tid = m->tid;
		owner.comm = m->comm;
		owner.container = container;
		owner.fd = m->fd;
		p.owner = &owner;
	}
	if (rp->o.split & RECPCAP_SINGLE) {
		struct out *o = single_out(rp, m->ts);

		any = true;
		ok = o && out_packet(rp, o, m, &p);
	}
	for (size_t i = 0; i < 3; i++) {
		struct out *o;

		if (!(rp->o.split & rp->splits[i].mode))
			continue;
		any = true;
		o = split_out(rp, &rp->splits[i], m, container);
		ok = o && out_packet(rp, o, m, &p) && ok;
	}
	if (any && ok)
		rp->c.written++;
	else
		rp->c.lost_write++;
}

static void *packet_thread(void *arg)
{
	struct recpcap *rp = arg;

	while (!atomic_load(&rp->stop))
		if (engine_packets_poll(rp->en, 1000, on_packet, rp) < 0) /* recpcap_stop() wakes it */
			break;
	/* what the kernel handed over before the programs were detached */
	while (engine_packets_poll(rp->en, 0, on_packet, rp) > 0)
		;
	return NULL;
}

/* ----------------------------------------------------------------- setup */

/* The filter, or NULL with e "--pcap-filter 'EXPR': libpcap's message". */
static struct pcap_filter *compile_filter(const char *expr, struct err *e)
{
	struct err pe = { { 0 } };
	struct pcap_filter *f = pcap_filter_new(expr, &pe);

	if (!f)
		err_set(e, -EINVAL, "--pcap-filter %s", pe.msg);
	return f;
}

int recpcap_check_filter(const char *expr, struct err *e)
{
	struct pcap_filter *f = compile_filter(expr, e);

	pcap_filter_free(f);
	return f ? 0 : -EINVAL;
}

/* The directory a file path is in ("." for a bare name). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	return xstrndup(path, (size_t)(slash - path + (slash == path)));
}

int recpcap_check_output(const struct recpcap_opts *o, struct err *e)
{
	unsigned split = o->split ? o->split : RECPCAP_SINGLE;
	struct stat sb;
	char *dir;
	int rc = 0;

	if (split != RECPCAP_SINGLE || o->as_dir) {
		/* a directory of files: made if missing (its parent must be there) */
		if (stat(o->path, &sb) == 0 && !S_ISDIR(sb.st_mode))
			return err_set(e, -ENOTDIR,
			               "--pcap %s: with --pcap-per it names a directory, and this is a file",
			               o->path);
		if (stat(o->path, &sb) < 0 && mkdir(o->path, 0755) < 0)
			return err_set(e, -errno, "--pcap %s: cannot make the directory: %s", o->path,
			               strerror(errno));
		dir = xstrdup(o->path);
	} else {
		if (stat(o->path, &sb) == 0 && S_ISDIR(sb.st_mode))
			return err_set(e, -EISDIR,
			               "--pcap %s: is a directory (--pcap-per writes files into one)",
			               o->path);
		dir = dir_of(o->path);
	}
	if (access(dir, W_OK | X_OK) < 0)
		rc = err_set(e, -errno, "--pcap %s: cannot write in %s: %s", o->path, dir, strerror(errno));
	free(dir);
	return rc;
}

struct recpcap *recpcap_start(const struct recpcap_opts *o, struct engine *en, struct err *e)
{
	static const char *const prefixes[] = { "process", "container", "command" };
	struct recpcap *rp = xcalloc(1, sizeof(*rp));
	int rc;

	rp->o = *o;
	if (!rp->o.split)
		rp->o.split = RECPCAP_SINGLE;
	rp->en = en;
	rp->names_of = pktnames_new(0);
	for (size_t i = 0; i < 3; i++) {
		rp->splits[i].mode = RECPCAP_PROCESS << i;
		rp->splits[i].prefix = prefixes[i];
		i64map_init(&rp->splits[i].outs);
	}
	if (rp->o.split != RECPCAP_SINGLE || o->as_dir)
		rp->dir = xstrdup(o->path);
	if (o->filter) {
		if (!(rp->filter = compile_filter(o->filter, e)))
			goto fail;
	}
	if (rp->o.split & RECPCAP_SINGLE) {
		/* with a split, the file of every packet is in the directory too */
		if (rp->dir) {
			rp->single_path = xmalloc(strlen(rp->dir) + sizeof("/all.pcapng"));
			sprintf(rp->single_path, "%s/all.pcapng", rp->dir);
		} else {
			rp->single_path = xstrdup(o->path);
		}
		rotnames_init(&rp->names, rp->single_path, o->rotate_mb, o->rotate_secs, o->max_files, 0);
		/* the first file now: a path that cannot be written is said before the recording starts */
		if (!single_out(rp, epoch_ns())) {
			*e = rp->e;
			goto fail;
		}
	}
	rc = pthread_create(&rp->thread, NULL, packet_thread, rp);
	if (rc) {
		err_set(e, -rc, "cannot start the packet thread: %s", strerror(rc));
		goto fail;
	}
	rp->running = true;
	return rp;
fail:
	if (rp->single) {
		pcap_writer_abort(rp->single->w);
		free(rp->single->ifs);
		free(rp->single);
		rp->single = NULL;
	}
	recpcap_close(rp, &(struct err){ { 0 } });
	return NULL;
}

void recpcap_stop(struct recpcap *rp)
{
	if (!rp->running)
		return;
	atomic_store(&rp->stop, true);
	engine_packets_wake(rp->en);
	pthread_join(rp->thread, NULL);
	rp->running = false;
}

void recpcap_counts(const struct recpcap *rp, struct recpcap_counts *c)
{
	struct engine_pkt_stats st;

	engine_packets_stats(rp->en, &st);
	*c = rp->c;
	c->lost_full = st.lost;
	c->lost_copy = st.copy_failed;
	c->interfaces = st.interfaces;
	c->namespaces = st.namespaces;
	c->refused = st.refused;
}

int recpcap_close(struct recpcap *rp, struct err *e)
{
	int rc;

	recpcap_stop(rp);
	out_close(rp, rp->single);
	for (size_t i = 0; i < 3; i++) {
		struct i64map *m = &rp->splits[i].outs;

		for (size_t j = 0; j < m->cap; j++)
			if (m->slots[j].val)
				out_close(rp, m->slots[j].val);
		i64map_release(m);
	}
	rc = rp->err;
	if (rc)
		*e = rp->e;
	pcap_filter_free(rp->filter);
	pktnames_free(rp->names_of);
	rotnames_release(&rp->names);
	free(rp->single_path);
	free(rp->dir);
	free(rp);
	return rc;
}
