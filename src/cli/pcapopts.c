/* pcapopts: `sysrec record`'s packet options, in tcpdump's habits and Tracee's spelling. */
#include "pcapopts.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char pcapopts_usage[] =
        "      --pcap PATH       also the packets the host's sockets send and receive, on\n"
        "                        every interface, into PATH (pcapng; each packet names its\n"
        "                        socket's process: pid, tid, comm, container, fd); -w is\n"
        "                        then optional; -C, -G and -W rotate it as they do -w's\n"
        "      --pcap-iface IFACE  only the packets of IFACE (repeatable); IFACE@NS for\n"
        "                        one in `ip netns` NS, IFACE@PID in process PID's namespace\n"
        "      --pcap-filter EXPR  only the packets EXPR matches (tcpdump's language)\n"
        "      --pcap-per MODES  PATH is a directory of files, one per process\n"
        "                        (process-PID-COMM.pcapng), container (container-ID,\n"
        "                        container-host) or command (command-COMM); MODES is\n"
        "                        process, container, command, single (all.pcapng), or\n"
        "                        several with commas\n"
        "      --pcap-snaplen LEN  bytes kept of each packet (default and most: 65000)\n"
        "      --capture OPT     Tracee's spelling (repeatable): net=IFACE or network,\n"
        "                        pcap:per-process|per-container|per-command|single,\n"
        "                        pcap-snaplen:default|headers|max|N[b|kb], pcap-options:none,\n"
        "                        dir:PATH (default /tmp/sysrec; packets in PATH/out/pcap),\n"
        "                        clear-dir; and artifacts: write (the bytes written to\n"
        "                        files), write=PREFIX (only files whose path starts so;\n"
        "                        repeatable; a trailing * is allowed), exec (each binary\n"
        "                        run, once per content), mem (memory made executable\n"
        "                        after being writable and executable), module (kernel\n"
        "                        module images), bpf (BPF programs loaded), profile (the\n"
        "                        programs run: PATH/out/profile.json), into PATH/out\n"
        "      --artifacts DIR   artifacts of every kind and the profile into DIR/out,\n"
        "                        with DIR/out/manifest.json; -w is then optional\n"
        "      --artifacts-file-max SIZE  bytes kept of one written file (default 256M)\n"
        "      --artifacts-mem-max SIZE   bytes kept of one memory region (default 16M)\n"
        "      --artifacts-max SIZE       bytes kept of all artifacts (default 4G);\n"
        "                        SIZE is N, NK, NM or NG (1024s); 0 is no limit\n";

bool pcapopts_owns(int c)
{
	return c >= PCAPOPT_PCAP && c <= PCAPOPT_ART_MAX;
}

static int bad(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Say what is wrong; 2 (a usage error). */
static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sysrec record: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static void add_iface(struct pcapopts *p, const char *name)
{
	p->ifaces = xrealloc(p->ifaces, (p->nifaces + 1) * sizeof(*p->ifaces));
	p->ifaces[p->nifaces++] = xstrdup(name);
}

/* A snaplen: N bytes (N, Nb) or kilobytes (Nkb), 1 to the most a packet keeps. */
static int parse_snaplen(struct pcapopts *p, const char *what, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!strcmp(end, "kb") || !strcmp(end, "KB"))
		v *= 1024;
	else if (*end && strcmp(end, "b") != 0 && strcmp(end, "B") != 0)
		v = 0;
	if (errno || end == s || s[0] == '-' || !v || v > ENGINE_PKT_MAX)
		return bad("%s '%s' must be a number of bytes from 1 to 65000 (N, Nb or Nkb)", what, s);
	p->snaplen = (uint32_t)v;
	return 0;
}

/* A size: N bytes, or N followed by K, M or G (powers of 1024, "KB", "MiB" alike); 0 is no limit. */
static int parse_size(const char *what, const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end == 'i')
		end++;
	if ((*end == 'B' || *end == 'b') && end[1] == 0)
		end++;
	if (errno || end == s || s[0] == '-' || *end || (shift && v > (UINT64_MAX >> shift)))
		return bad("%s '%s': a size is N bytes or NK, NM, NG (0: no limit)", what, s);
	*out = (uint64_t)v << shift;
	return 0;
}

/* Tracee's --capture OPT (the packet ones; the artifacts' come with them). */
static int parse_capture(struct pcapopts *p, const char *arg)
{
	const char *a = !strncmp(arg, "artifact:", 9) ? arg + 9 : arg;
	struct err e = { { 0 } };

	if (!strcmp(a, "network") || !strcmp(a, "net")) {
		p->enabled = true;
	} else if (!strncmp(a, "net=", 4)) {
		if (!a[4])
			return bad("--capture %s: name an interface after 'net='", arg);
		p->enabled = true;
		if (!p->iface_arg)
			p->iface_arg = a + 4;
		add_iface(p, a + 4);
	} else if (!strncmp(a, "pcap:", 5)) {
		unsigned split;

		if (recpcap_parse_split(a + 5, &split, &e))
			return bad("--capture %s: %s", arg, e.msg);
		p->split |= split;
		p->enabled = true;
	} else if (!strncmp(a, "pcap-snaplen:", 13)) {
		const char *v = a + 13;

		p->enabled = true;
		if (!strcmp(v, "default"))
			p->snaplen = 96; /* Tracee's default */
		else if (!strcmp(v, "max"))
			p->snaplen = 0;
		else if (!strcmp(v, "headers"))
			p->headers = true;
		else
			return parse_snaplen(p, "--capture pcap-snaplen:", v);
	} else if (!strncmp(a, "pcap-options:", 13)) {
		if (strcmp(a + 13, "none") != 0)
			return bad(
			        "--capture %s: only pcap-options:none is taken (every packet, whatever the "
			        "event filter keeps)",
			        arg);
	} else if (!strcmp(a, "write")) {
		p->art_kinds |= ENGINE_ART_WRITE;
		p->art_every_file = true;
	} else if (!strncmp(a, "write=", 6)) {
		if (!a[6] || !strcmp(a + 6, "*"))
			return bad(
			        "--capture %s: name a path prefix after 'write=' (or say 'write' for every "
			        "file)",
			        arg);
		if (a[6] != '/')
			return bad("--capture %s: a prefix is an absolute path (it starts with '/'), as the "
			           "kernel names the file written",
			           arg);
		if (strlen(a + 6) > ENGINE_ART_PREFIX_MAX + 1)
			return bad("--capture %s: a prefix of at most %d bytes", arg, ENGINE_ART_PREFIX_MAX);
		if (p->art_nprefixes == ENGINE_ART_PREFIXES)
			return bad("--capture %s: at most %d write prefixes", arg, ENGINE_ART_PREFIXES);
		p->art_kinds |= ENGINE_ART_WRITE;
		p->art_prefixes =
		        xrealloc(p->art_prefixes, (p->art_nprefixes + 1) * sizeof(*p->art_prefixes));
		p->art_prefixes[p->art_nprefixes++] = xstrdup(a + 6);
	} else if (!strcmp(a, "exec")) {
		p->art_kinds |= ENGINE_ART_EXEC;
	} else if (!strcmp(a, "mem")) {
		p->art_kinds |= ENGINE_ART_MEM;
	} else if (!strcmp(a, "module")) {
		p->art_kinds |= ENGINE_ART_MODULE;
	} else if (!strcmp(a, "bpf")) {
		p->art_kinds |= ENGINE_ART_BPF;
	} else if (!strcmp(a, "profile")) {
		p->art_kinds |= ENGINE_ART_EXEC;
		p->art_profile = true;
	} else if (!strncmp(a, "dir:", 4)) {
		if (!a[4])
			return bad("--capture %s: name a directory after 'dir:'", arg);
		p->dir = a + 4;
	} else if (!strcmp(a, "clear-dir")) {
		p->clear_dir = true;
	} else {
		return bad(
		        "--capture %s: not taken (sysrec record --capture takes net=IFACE, network, "
		        "pcap:..., pcap-snaplen:..., pcap-options:none, write[=PREFIX], exec, mem, module, "
		        "bpf, profile, dir:PATH, clear-dir)",
		        arg);
	}
	return 0;
}

int pcapopts_parse(struct pcapopts *p, int c, const char *arg)
{
	struct err e = { { 0 } };

	switch (c) {
	case PCAPOPT_PCAP:
		p->path = arg;
		p->enabled = true;
		return 0;
	case PCAPOPT_SNAPLEN:
		return parse_snaplen(p, "--pcap-snaplen", arg);
	case PCAPOPT_FILTER:
		p->filter = arg;
		return 0;
	case PCAPOPT_IFACE:
		if (!p->iface_arg)
			p->iface_arg = arg;
		add_iface(p, arg);
		return 0;
	case PCAPOPT_PER:
		if (recpcap_parse_split(arg, &p->split, &e))
			return bad("--pcap-per %s: %s", arg, e.msg);
		return 0;
	case PCAPOPT_ARTIFACTS:
		if (!*arg)
			return bad("--artifacts: name a directory");
		p->art_path = arg;
		return 0;
	case PCAPOPT_ART_FILE_MAX:
		p->art_file_max_set = true;
		return parse_size("--artifacts-file-max", arg, &p->art_file_max);
	case PCAPOPT_ART_MEM_MAX:
		p->art_mem_max_set = true;
		return parse_size("--artifacts-mem-max", arg, &p->art_mem_max);
	case PCAPOPT_ART_MAX:
		p->art_total_max_set = true;
		return parse_size("--artifacts-max", arg, &p->art_total_max);
	default:
		return parse_capture(p, arg);
	}
}

/* clear-dir: the pcapng files a previous run left in dir (nothing else is touched). */
static void clear_pcaps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4400];

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 7 && !strcmp(de->d_name + n - 7, ".pcapng")) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

const char *pcapopts_art_dir(const struct pcapopts *p)
{
	return p->art_path ? p->art_path : p->dir ? p->dir : "/tmp/sysrec";
}

int pcapopts_finish(struct pcapopts *p)
{
	struct recpcap_opts ro;
	struct err e = { { 0 } };

	if (p->art_path && !p->art_kinds) {
		p->art_kinds = ENGINE_ART_WRITE | ENGINE_ART_EXEC | ENGINE_ART_MEM | ENGINE_ART_MODULE |
		               ENGINE_ART_BPF;
		p->art_profile = true;
	}
	if (!p->art_kinds && (p->art_file_max_set || p->art_mem_max_set || p->art_total_max_set))
		return bad(
		        "--artifacts-file-max, --artifacts-mem-max and --artifacts-max need --artifacts DIR "
		        "or --capture write, exec, mem, module or bpf");
	if (!p->art_file_max_set)
		p->art_file_max = ART_DEFAULT_FILE_MAX;
	if (!p->art_mem_max_set)
		p->art_mem_max = ART_DEFAULT_MEM_MAX;
	if (!p->art_total_max_set)
		p->art_total_max = ART_DEFAULT_TOTAL_MAX;
	if (p->art_kinds) { /* the directory: made and writable before anything starts */
		const char *dir = pcapopts_art_dir(p);
		char *out = xmalloc(strlen(dir) + sizeof("/out"));
		int rc;

		sprintf(out, "%s/out", dir);
		rc = mkdir_p(out, 0755);
		if (!rc && access(out, W_OK | X_OK) < 0)
			rc = -errno;
		free(out);
		if (rc)
			return bad("%s %s: cannot make or write %s/out: %s",
			           p->art_path ? "--artifacts" : "--capture dir:", dir, dir, strerror(-rc));
	}
	if (p->art_every_file) { /* a plain `write` beside write=PREFIX: every file */
		for (size_t i = 0; i < p->art_nprefixes; i++)
			free(p->art_prefixes[i]);
		p->art_nprefixes = 0;
	}
	if (p->art_path && p->dir)
		return bad("--artifacts %s and --capture dir:%s: say the directory once", p->art_path,
		           p->dir);
	if (!p->enabled) {
		if (p->filter || p->snaplen || p->nifaces || p->split || p->headers ||
		    (!p->art_kinds && (p->dir || p->clear_dir)))
			return bad("--pcap-filter, --pcap-snaplen, --pcap-iface, --pcap-per and --capture's "
			           "packet options need --pcap PATH or --capture net");
		return 0;
	}
	if (p->filter && recpcap_check_filter(p->filter, &e))
		return bad("%s", e.msg);
	p->resolved = xcalloc(p->nifaces + 1, sizeof(*p->resolved));
	for (size_t i = 0; i < p->nifaces; i++)
		if (engine_iface_lookup(p->ifaces[i], &p->resolved[i], &e))
			return bad("--pcap-iface %s", e.msg);
	if (!p->path) {
		/* Tracee's layout: DIR/out/pcap */
		const char *dir = p->dir ? p->dir : "/tmp/sysrec";
		int rc;

		p->out_path = xmalloc(strlen(dir) + sizeof("/out/pcap"));
		sprintf(p->out_path, "%s/out/pcap", dir);
		if ((rc = mkdir_p(p->out_path, 0755)) != 0)
			return bad("--capture dir:%s: cannot make %s: %s", dir, p->out_path, strerror(-rc));
		p->as_dir = true;
		if (p->clear_dir)
			clear_pcaps(p->out_path);
	} else if ((p->dir || p->clear_dir) && !p->art_kinds) {
		return bad("--capture dir: and clear-dir are for --capture without --pcap (--pcap %s names "
		           "the output)",
		           p->path);
	}
	if (p->split && p->split != RECPCAP_SINGLE)
		p->as_dir = true;
	pcapopts_recpcap(p, &ro);
	if (recpcap_check_output(&ro, &e))
		return bad("%s", e.msg);
	return 0;
}

void pcapopts_recpcap(const struct pcapopts *p, struct recpcap_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->path = p->path ? p->path : p->out_path;
	o->split = p->split ? p->split : RECPCAP_SINGLE;
	o->as_dir = p->as_dir;
	o->snaplen = p->snaplen ? p->snaplen : ENGINE_PKT_MAX;
	o->headers = p->headers;
	o->filter = p->filter;
}

void pcapopts_release(struct pcapopts *p)
{
	for (size_t i = 0; i < p->nifaces; i++)
		free(p->ifaces[i]);
	free(p->ifaces);
	free(p->resolved);
	free(p->out_path);
	for (size_t i = 0; i < p->art_nprefixes; i++)
		free(p->art_prefixes[i]);
	free(p->art_prefixes);
	memset(p, 0, sizeof(*p));
}
