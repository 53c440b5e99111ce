/* pcapdump: the agent's continuous packet recording into rolling pcapng files (see agent_int.h). */
#include "../engine/engine.h"
#include "../pcap/pcap.h"
#include "agent_int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAPDUMP_DIR "pcapdump" /* in the data directory */
#define MATCH_AGE_S  2.0        /* a container's verdict is taken again after this long */
#define WARN_EVERY_S 10.0       /* drops are warned of at most this often */
#define NAMES_AGE_S  30         /* a process's container is looked up again after this long */
#define MATCHES_MAX  4096       /* verdicts kept at most (then all forgotten) */

/* Whether a container's packets are kept, as its description said lately. */
struct verdict {
	bool keep;
	double at;
};

struct agent_pcapdump {
	struct agent *a;
	struct engine *en; /* NULL: no packets on this host (why in unavailable) */
	char unavailable[300];
	char dir[4096];

	pthread_mutex_t mu; /* all below: the packet thread and the API's threads */
	struct agent_pcapdump_cfg cfg;
	bool has_re;
	regex_t re;
	char **ns, **ex; /* namespaces, excluded namespaces (NULL-terminated; NULL: none) */
	struct pcap_filter *bpf;
	struct pcap_roll *roll; /* NULL when it could not be opened (why in roll_error) */
	char roll_error[512];
	struct i64map verdicts; /* container id (its 12 hex digits as a number) -> struct verdict */
	uint64_t gap;           /* packets the agent lost while enabled, not yet said in a file */
	uint64_t written, filtered, dropped, refused, write_failed;
	uint64_t warned_dropped, warned_failed; /* counts at the last warnings */
	double warned_at;
	uint64_t enabled_at_ns; /* when recording last began (0: off) */
};

/* ---- settings ---- */

static char **split_list(const char *s)
{
	char **v;
	size_t n = 1, i = 0;

	if (!s || !*s)
		return NULL;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	v = xcalloc(n + 1, sizeof(*v));
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");

		v[i++] = xstrndup(p, len);
		p += len;
		if (!*p)
			break;
	}
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static bool in_list(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void forget_verdicts(struct agent_pcapdump *p)
{
	for (size_t i = 0; i < p->verdicts.cap; i++)
		free(p->verdicts.slots[i].val);
	i64map_release(&p->verdicts);
	i64map_init(&p->verdicts);
}

/* Compile cfg's filters (checked by the configuration already); 0 or -EINVAL with e set. Under mu. */
static int compile(struct agent_pcapdump *p, const struct agent_pcapdump_cfg *cfg, struct err *e)
{
	struct pcap_filter *bpf = NULL;
	regex_t re;
	bool has_re = cfg->regex && *cfg->regex;

	if (cfg->bpf && *cfg->bpf && !(bpf = pcap_filter_new(cfg->bpf, e)))
		return -EINVAL;
	if (has_re && regcomp(&re, cfg->regex, REG_EXTENDED | REG_NOSUB)) {
		pcap_filter_free(bpf);
		return err_set(e, -EINVAL, "pcapdump.regex: '%s' is not a regular expression", cfg->regex);
	}
	if (p->has_re)
		regfree(&p->re);
	p->has_re = has_re;
	if (has_re)
		p->re = re;
	pcap_filter_free(p->bpf);
	p->bpf = bpf;
	free_list(p->ns);
	free_list(p->ex);
	p->ns = split_list(cfg->namespaces);
	p->ex = split_list(cfg->excluded);
	forget_verdicts(p);
	return 0;
}

/* ---- the packets ---- */

/* Whether a described container's packets are kept (the regex and the namespaces). */
static bool container_kept(struct agent_pcapdump *p, const char *id)
{
	struct agent_container_names n;
	bool known = agent_container_k8s(p->a, id, &n);

	if (p->has_re && !(known && (regexec(&p->re, n.name, 0, NULL, 0) == 0 ||
	                             (n.pod[0] && regexec(&p->re, n.pod, 0, NULL, 0) == 0))))
		return false;
	if (p->ns && !(known && in_list(p->ns, n.ns)))
		return false;
	if (p->ex && known && in_list(p->ex, n.ns))
		return false;
	return true;
}

/* Whether the packet is kept: the BPF expression alone when set, else its owner's container. */
static bool wanted(struct agent_pcapdump *p, const struct engine_packet *m, const char *container)
{
	struct verdict *v;
	uint64_t key;
	double now;

	if (p->bpf)
		return pcap_filter_match(p->bpf, m->data, m->caplen, m->len);
	if (!p->has_re && !p->ns && !p->ex)
		return true;
	if (!*container) /* the host's, or no owner: only an exclusion keeps them */
		return !p->has_re && !p->ns;
	key = strtoull(container, NULL, 16);
	now = mono_seconds();
	v = i64map_get(&p->verdicts, (int64_t)key);
	if (!v || now - v->at > MATCH_AGE_S) {
		if (!v) {
			if (p->verdicts.len >= MATCHES_MAX)
				forget_verdicts(p);
			v = xcalloc(1, sizeof(*v));
			i64map_put(&p->verdicts, (int64_t)key, v);
		}
		v->keep = container_kept(p, container);
		v->at = now;
	}
	return v->keep;
}

void agent_pcapdump_packet(struct agent_pcapdump *p, const struct engine_packet *m, struct pktnames *names,
                           uint64_t lost)
{
	struct pcap_owner owner = { .fd = -1 };
	struct pcap_packet pk = {
		.ts_ns = m->ts,
		.data = m->data,
		.caplen = m->caplen,
		.origlen = m->len,
		.dir = m->dir == ENGINE_PKT_IN ? PCAP_DIR_IN : PCAP_DIR_OUT,
	};
	struct pcap_iface ifc = { .linktype = PCAP_LINKTYPE_RAW };
	const struct pktname_if *n;
	const char *container;
	char note[160];
	int rc;

	pthread_mutex_lock(&p->mu);
	if (lost && p->cfg.enabled) {
		p->gap += lost;
		p->dropped += lost;
	}
	if (!p->cfg.enabled || !p->roll || m->ts < p->enabled_at_ns)
		goto out;
	container = m->pid ? pktnames_container(names, m->pid) : "";
	if (!wanted(p, m, container)) {
		p->filtered++;
		goto out;
	}
	if (m->pid) {
		owner.pid = m->pid;
		owner.tid = m->tid;
		owner.comm = m->comm;
		owner.container = container;
		owner.fd = m->fd;
		pk.owner = &owner;
	}
	if (p->gap) { /* the packets the buffer had no room for, said where they were lost */
		agent_lost_note(note, sizeof(note), p->gap);
		pk.note = note;
		pk.drops = p->gap;
	}
	n = pktnames_iface(names, m->netns, m->ifindex, m->pid);
	ifc.name = n->name;
	ifc.description = n->desc;
	rc = pcap_roll_packet(p->roll, agent_iface_key(m->netns, m->ifindex), &ifc, &pk);
	if (rc == 0) {
		p->written++;
		p->gap = 0;
	} else if (rc == -EFBIG) {
		p->refused++;
	} else {
		p->write_failed++;
	}
out:
	pthread_mutex_unlock(&p->mu);
}

bool agent_pcapdump_enabled(struct agent_pcapdump *p)
{
	bool on;

	pthread_mutex_lock(&p->mu);
	on = p->cfg.enabled;
	pthread_mutex_unlock(&p->mu);
	return on;
}

/* Once a second: old files go, and what was lost is warned of with its numbers. */
void agent_pcapdump_tick(struct agent_pcapdump *p)
{
	double now = mono_seconds();

	pthread_mutex_lock(&p->mu);
	if (p->roll)
		pcap_roll_tick(p->roll, agent_now_ns(p->a));
	if (now - p->warned_at >= WARN_EVERY_S &&
	    (p->dropped > p->warned_dropped || p->write_failed > p->warned_failed)) {
		if (p->dropped > p->warned_dropped)
			log_warn("pcapdump: %llu packets dropped in the last %.0f s (%llu in all): the agent "
			         "was behind and its packet buffer full; the gap is marked in the file",
			         (unsigned long long)(p->dropped - p->warned_dropped), now - p->warned_at,
			         (unsigned long long)p->dropped);
		if (p->write_failed > p->warned_failed)
			log_warn("pcapdump: %llu packets could not be written to %s (%llu in all)",
			         (unsigned long long)(p->write_failed - p->warned_failed), p->dir,
			         (unsigned long long)p->write_failed);
		p->warned_dropped = p->dropped;
		p->warned_failed = p->write_failed;
		p->warned_at = now;
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---- start, change, stop ---- */

/* The roll of the data directory, opened with cfg's bounds; NULL with why in p->roll_error. */
static void open_roll(struct agent_pcapdump *p)
{
	char prefix[80];
	char comment[300];
	struct pcap_section_info si = { .userappl = "sysrec agent " AGENT_VERSION, .comment = comment };
	struct err e = { { 0 } };
	size_t j = 0;

	/* the host names the files: what a file name may hold of it */
	for (const char *s = p->a->host; *s && j < sizeof(prefix) - 1; s++)
		prefix[j++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		                                     (*s >= '0' && *s <= '9') || *s == '.' || *s == '-'
		                             ? *s
		                             : '_');
	prefix[j] = 0;
	snprintf(comment, sizeof(comment), "host=%s", p->a->host);
	p->roll = pcap_roll_open(
	        &(struct pcap_roll_opts){
	                .dir = p->dir,
	                .prefix = j ? prefix : "host",
	                .max_bytes = p->cfg.max_size,
	                .max_age_ns = (uint64_t)p->cfg.max_time * 1000000000ULL,
	                .si = &si,
	        },
	        &e);
	if (!p->roll) {
		snprintf(p->roll_error, sizeof(p->roll_error), "%s", e.msg);
		log_error("pcapdump: %s", e.msg);
	}
}

struct agent_pcapdump *agent_pcapdump_start(struct agent *a, struct engine *en, const char *unavailable)
{
	struct agent_pcapdump *p = xcalloc(1, sizeof(*p));
	struct err e = { { 0 } };

	p->a = a;
	p->en = en;
	snprintf(p->unavailable, sizeof(p->unavailable), "%s", unavailable ? unavailable : "");
	snprintf(p->dir, sizeof(p->dir), "%s/" PCAPDUMP_DIR, a->cfg->data_dir);
	pthread_mutex_init(&p->mu, NULL);
	i64map_init(&p->verdicts);
	agent_pcapdump_cfg_copy(&p->cfg, &a->cfg->pcapdump);
	rm_temp_dirs(a->cfg->data_dir, "export-"); /* an export cut short by a stop */
	if (compile(p, &p->cfg, &e))
		log_error("pcapdump: %s", e.msg); /* checked with the configuration: not expected */
	open_roll(p);
	if (p->cfg.enabled && !en) {
		log_warn("pcapdump: not recording: %s", p->unavailable);
		p->cfg.enabled = false;
	}
	if (p->cfg.enabled)
		p->enabled_at_ns = agent_now_ns(a);
	if (p->cfg.enabled)
		log_info("pcapdump: recording packets into %s (at most %llu bytes, %u s)", p->dir,
		         (unsigned long long)p->cfg.max_size, p->cfg.max_time);
	return p;
}

void agent_pcapdump_stop(struct agent_pcapdump *p)
{
	struct err e = { { 0 } };

	if (!p)
		return;
	if (p->roll && pcap_roll_close(p->roll, &e))
		log_warn("pcapdump: %s", e.msg);
	if (p->has_re)
		regfree(&p->re);
	pcap_filter_free(p->bpf);
	free_list(p->ns);
	free_list(p->ex);
	forget_verdicts(p);
	i64map_release(&p->verdicts);
	agent_pcapdump_cfg_release(&p->cfg);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void agent_pcapdump_settings(struct agent *a, struct agent_pcapdump_cfg *out)
{
	struct agent_pcapdump *p = a->pcapdump;

	pthread_mutex_lock(&p->mu);
	agent_pcapdump_cfg_copy(out, &p->cfg);
	pthread_mutex_unlock(&p->mu);
}

int agent_pcapdump_set(struct agent *a, const struct agent_pcapdump_cfg *cfg, struct err *e)
{
	struct agent_pcapdump *p = a->pcapdump;
	bool was;
	int rc;

	if (cfg->enabled && !p->en)
		return err_set(e, -EBUSY, "pcapdump cannot record on this host: %s", p->unavailable);
	pthread_mutex_lock(&p->mu);
	if (cfg->enabled && !p->roll)
		open_roll(p);
	if (cfg->enabled && !p->roll) {
		rc = err_set(e, -EIO, "pcapdump cannot record: %s", p->roll_error);
		goto out;
	}
	if ((rc = compile(p, cfg, e)) != 0)
		goto out;
	was = p->cfg.enabled;
	agent_pcapdump_cfg_release(&p->cfg);
	agent_pcapdump_cfg_copy(&p->cfg, cfg);
	if (p->roll)
		pcap_roll_set_bounds(p->roll, cfg->max_size, (uint64_t)cfg->max_time * 1000000000ULL);
	if (cfg->enabled && !was) {
		p->enabled_at_ns = agent_now_ns(a);
		p->gap = 0;
	}
	if (!cfg->enabled && was && p->roll) {
		struct err ce = { { 0 } };

		if (pcap_roll_cut(p->roll, &ce)) /* what was recorded is in closed files */
			log_warn("pcapdump: %s", ce.msg);
	}
	log_info("pcapdump: %s (at most %llu bytes, %u s%s%s)", cfg->enabled ? "recording" : "off",
	         (unsigned long long)cfg->max_size, cfg->max_time, cfg->bpf ? ", bpfOverride " : "",
	         cfg->bpf ? cfg->bpf : "");
out:
	pthread_mutex_unlock(&p->mu);
	if (!rc)
		agent_packets_update_pause(a);
	return rc;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *agent_pcapdump_status(struct agent *a)
{
	struct agent_pcapdump *p = a->pcapdump;
	struct pcap_roll_stats st;
	json_t *j;

	pthread_mutex_lock(&p->mu);
	memset(&st, 0, sizeof(st));
	if (p->roll)
		pcap_roll_stats(p->roll, &st);
	j = json_pack("{s:b, s:I, s:I, s:o, s:o, s:o, s:o, s:s, s:b, s:o}", "enabled", p->cfg.enabled,
	              "maxTime", (json_int_t)p->cfg.max_time, "maxSize", (json_int_t)p->cfg.max_size, "regex",
	              str_or_null(p->cfg.regex), "namespaces", str_or_null(p->cfg.namespaces),
	              "excludedNamespaces", str_or_null(p->cfg.excluded), "bpfOverride",
	              str_or_null(p->cfg.bpf), "dir", p->dir, "available", p->en != NULL, "unavailable",
	              str_or_null(p->en ? NULL : p->unavailable));
	json_object_set_new(j, "files", json_integer((json_int_t)st.files));
	json_object_set_new(j, "bytes", json_integer((json_int_t)st.bytes));
	json_object_set_new(j, "oldest_ns", json_integer((json_int_t)st.oldest_ns));
	json_object_set_new(j, "newest_ns", json_integer((json_int_t)st.newest_ns));
	json_object_set_new(
	        j, "seconds",
	        json_real(st.newest_ns > st.oldest_ns ? (double)(st.newest_ns - st.oldest_ns) / 1e9 : 0));
	json_object_set_new(j, "packets", json_integer((json_int_t)p->written));
	json_object_set_new(j, "filtered", json_integer((json_int_t)p->filtered));
	json_object_set_new(j, "dropped", json_integer((json_int_t)p->dropped));
	json_object_set_new(j, "too_big", json_integer((json_int_t)p->refused));
	json_object_set_new(j, "write_failed", json_integer((json_int_t)p->write_failed));
	json_object_set_new(j, "deleted_for_size", json_integer((json_int_t)st.deleted_size));
	json_object_set_new(j, "deleted_for_age", json_integer((json_int_t)st.deleted_age));
	json_object_set_new(j, "error", str_or_null(p->roll ? NULL : p->roll_error));
	pthread_mutex_unlock(&p->mu);
	return j;
}

/* Remove the links an export merged from, and its working directory unless it holds the merge. */
static void remove_links(const char *dir, char **links, size_t n, bool keep_dir)
{
	for (size_t i = 0; i < n; i++)
		if (links[i]) {
			unlink(links[i]);
			free(links[i]);
		}
	free(links);
	if (!keep_dir)
		rmdir(dir);
}

int agent_pcapdump_export(struct agent *a, uint64_t since_ns, uint64_t until_ns, char *out, size_t outsize,
                          struct pcap_merge_stats *st, struct err *e)
{
	struct agent_pcapdump *p = a->pcapdump;
	char dir[4200], **files = NULL, **links;
	size_t n = 0;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/export-XXXXXX", a->cfg->data_dir);
	if (!mkdtemp(dir))
		return err_set(e, -EIO, "cannot make a directory in %s: %s", a->cfg->data_dir,
		               strerror(errno));
	pthread_mutex_lock(&p->mu);
	if (!p->roll) {
		rc = err_set(e, -EIO, "no pcapdump files: %s", p->roll_error);
	} else if ((rc = pcap_roll_cut(p->roll, e)) == 0) {
		n = pcap_roll_files(p->roll, since_ns, until_ns, &files);
	}
	/* linked while held, so that the roll may delete them while they are merged */
	links = xcalloc(n + 1, sizeof(*links));
	for (size_t i = 0; i < n && !rc; i++) {
		char path[4400];

		snprintf(path, sizeof(path), "%s/%05zu.pcapng", dir, i);
		if (link(files[i], path) != 0)
			rc = err_set(e, -EIO, "cannot link %s into %s: %s", files[i], dir, strerror(errno));
		else
			links[i] = xstrdup(path);
	}
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; files && files[i]; i++)
		free(files[i]);
	free(files);
	if (!rc && !n)
		rc = err_set(e, -ENOENT, "no packets are stored in that time range");
	if (!rc) {
		snprintf(out, outsize, "%s/merged.pcapng", dir);
		rc = pcap_merge((const char *const *)links, n, out,
		                &(struct pcap_merge_opts){ .since_ns = since_ns, .until_ns = until_ns }, st,
		                e);
	}
	remove_links(dir, links, n, rc == 0);
	return rc;
}

void agent_pcapdump_export_done(const char *out)
{
	char *dir = xstrdup(out), *slash = strrchr(dir, '/');

	unlink(out);
	if (slash) {
		*slash = 0;
		rmdir(dir);
	}
	free(dir);
}
