/*
 * pcapdump_agent: `sysrec pcapdump` against the agent's API (docs/api.md):
 * change the continuous packet recording's settings at run time, show its
 * status, export its stored packets as one pcapng file.
 */
#include "../pcap/pcap.h"
#include "capture_int.h"
#include "cli.h"
#include "client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PCAPDUMP_PATH "/api/pcapdump"

/* The settings, by their flag and API name (Kubeshark's), then the other options. */
enum {
	P_ENABLE = 0x100,
	P_MAXSIZE,
	P_MAXTIME,
	P_REGEX,
	P_NAMESPACES,
	P_EXCLUDED,
	P_BPF,
	P_URL,
	P_TOKEN,
	P_DATA,
	P_CACERT,
	P_INSECURE,
	P_JSON,
	P_DEST,
	P_SINCE,
	P_UNTIL,
};

static const char *const setting_names[] = {
	"enabled", "maxSize", "maxTime", "regex", "namespaces", "excludedNamespaces", "bpfOverride",
};

static const struct option longs[] = {
	{ "enable", required_argument, NULL, P_ENABLE },
	{ "enabled", required_argument, NULL, P_ENABLE },
	{ "maxSize", required_argument, NULL, P_MAXSIZE },
	{ "maxTime", required_argument, NULL, P_MAXTIME },
	{ "regex", required_argument, NULL, P_REGEX },
	{ "namespaces", required_argument, NULL, P_NAMESPACES },
	{ "excludedNamespaces", required_argument, NULL, P_EXCLUDED },
	{ "bpfOverride", required_argument, NULL, P_BPF },
	{ "url", required_argument, NULL, P_URL },
	{ "token", required_argument, NULL, P_TOKEN },
	{ "data", required_argument, NULL, P_DATA },
	{ "cacert", required_argument, NULL, P_CACERT },
	{ "insecure", no_argument, NULL, P_INSECURE },
	{ "json", no_argument, NULL, P_JSON },
	{ "dest", required_argument, NULL, P_DEST },
	{ "write", required_argument, NULL, 'w' },
	{ "since", required_argument, NULL, P_SINCE },
	{ "until", required_argument, NULL, P_UNTIL },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct pd_opts {
	const char *set[ARRAY_SIZE(setting_names)]; /* NULL: not given */
	struct capture_opts conn;                   /* url, token_arg, data, cacert, insecure, json */
	const char *dest, *write, *since, *until;
	const char *sub; /* NULL (settings), "status", "export" */
};

void pcapdump_agent_usage(FILE *f)
{
	fprintf(f,
	        "       sysrec pcapdump [--enable=true|false] [--maxSize=SIZE] [--maxTime=DURATION]\n"
	        "                       [--regex=RE] [--namespaces=NS,...] [--excludedNamespaces=NS,...]\n"
	        "                       [--bpfOverride=EXPR] [--json]\n"
	        "       sysrec pcapdump status [--json]\n"
	        "       sysrec pcapdump export [--dest DIR | -w FILE] [--since T] [--until T] [--json]\n"
	        "\n"
	        "  The agent's continuous packet recording (rolling pcapng files in its data directory),\n"
	        "  changed at once, without a restart (until the agent stops: the configuration file's\n"
	        "  pcapdump section is what it starts with).\n"
	        "  --enable=true|false    record, or stop recording (the files stay)\n"
	        "  --maxSize=SIZE         bytes kept on disk at most (50MB, 500MB, 1GiB)\n"
	        "  --maxTime=DURATION     packets kept this long at most (90s, 30m, 2h)\n"
	        "  --regex=RE             only containers whose name or pod name matches (\"\" clears)\n"
	        "  --namespaces=NS,...    only pods of these Kubernetes namespaces (\"\" clears)\n"
	        "  --excludedNamespaces=NS,...  never pods of these\n"
	        "  --bpfOverride=EXPR     tcpdump's filter language, instead of the three above\n"
	        "  status                 the settings, the files and the counters\n"
	        "  export                 the stored packets as one pcapng file ordered by time\n"
	        "    --dest DIR           into DIR (default .), named pcapdump-HOST-TIME.pcapng\n"
	        "    -w, --write FILE     into FILE\n"
	        "    --since T, --until T the range: epoch seconds, RFC 3339 (2026-12-05T19:30:00Z),\n"
	        "                         or a duration ago (10m)\n"
	        "  --url URL, --token TOKEN, --data DIR, --cacert FILE, --insecure: as sysrec capture's\n");
}

static int usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sysrec pcapdump: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static int fail(const struct err *e)
{
	fprintf(stderr, "sysrec pcapdump: %s\n", e->msg);
	return 1;
}

/* A time for the API: a duration ago ("10m", "90s", "2h") as epoch seconds; else as given. */
static char *api_time(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	char buf[64];

	if (end != s && v >= 0 && end[0] && !end[1] && strchr("smh", end[0])) {
		double mult = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : 3600;

		snprintf(buf, sizeof(buf), "%.3f", (double)time(NULL) - v * mult);
		return xstrdup(buf);
	}
	return xstrdup(s);
}

static int parse(int argc, char **argv, struct pd_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hw:", longs, NULL)) != -1) {
		if (c >= P_ENABLE && c <= P_BPF)
			o->set[c - P_ENABLE] = optarg;
		else if (c == P_URL)
			o->conn.url = optarg;
		else if (c == P_TOKEN)
			o->conn.token_arg = optarg;
		else if (c == P_DATA)
			o->conn.data = optarg;
		else if (c == P_CACERT)
			o->conn.cacert = optarg;
		else if (c == P_INSECURE)
			o->conn.insecure = true;
		else if (c == P_JSON)
			o->conn.json = true;
		else if (c == P_DEST)
			o->dest = optarg;
		else if (c == 'w')
			o->write = optarg;
		else if (c == P_SINCE)
			o->since = optarg;
		else if (c == P_UNTIL)
			o->until = optarg;
		else if (c == 'h')
			return -1;
		else if (c == ':')
			return usage_error("%s needs a value", argv[optind - 1]);
		else
			return usage_error("unknown or malformed option '%s' (sysrec pcapdump -h lists them)",
			                   argv[optind - 1]);
	}
	if (optind < argc) {
		o->sub = argv[optind];
		if (strcmp(o->sub, "status") != 0 && strcmp(o->sub, "export") != 0)
			return usage_error("unknown subcommand '%s' (status, export or merge)", o->sub);
		if (optind + 1 < argc)
			return usage_error("%s takes no word, not '%s'", o->sub, argv[optind + 1]);
	}
	for (size_t i = 0; o->sub && i < ARRAY_SIZE(setting_names); i++)
		if (o->set[i])
			return usage_error("%s does not change settings: run sysrec pcapdump --%s=... alone",
			                   o->sub, longs[i + (i > 0)].name);
	if ((!o->sub || strcmp(o->sub, "export") != 0) && (o->dest || o->write || o->since || o->until))
		return usage_error("--dest, -w, --since and --until are export's");
	if (o->dest && o->write)
		return usage_error("give --dest DIR or -w FILE, not both");
	if (!o->sub) {
		bool any = false;

		for (size_t i = 0; i < ARRAY_SIZE(setting_names); i++)
			any = any || o->set[i];
		if (!any)
			return usage_error("name a setting to change (--enable=true ...), or status, export");
	}
	return 0;
}

static void print_status(const json_t *j)
{
	const json_t *en = json_object_get(j, "enabled");
	const char *unav = json_string_value(json_object_get(j, "unavailable"));
	const char *err = json_string_value(json_object_get(j, "error"));

	printf("pcapdump: %s\n", json_is_true(en) ? "recording" : "off");
	if (unav)
		printf("  unavailable: %s\n", unav);
	if (err)
		printf("  error: %s\n", err);
	printf("  maxSize: %lld bytes\n  maxTime: %lld s\n",
	       (long long)json_integer_value(json_object_get(j, "maxSize")),
	       (long long)json_integer_value(json_object_get(j, "maxTime")));
	for (size_t i = 3; i < ARRAY_SIZE(setting_names); i++) {
		const char *v = json_string_value(json_object_get(j, setting_names[i]));

		if (v)
			printf("  %s: %s\n", setting_names[i], v);
	}
	printf("  stored: %lld files, %lld bytes, %.1f s of packets in %s\n",
	       (long long)json_integer_value(json_object_get(j, "files")),
	       (long long)json_integer_value(json_object_get(j, "bytes")),
	       json_number_value(json_object_get(j, "seconds")),
	       json_string_value(json_object_get(j, "dir")) ? json_string_value(json_object_get(j, "dir"))
	                                                    : "?");
	printf("  packets written %lld, filtered out %lld, dropped %lld (buffer full), not written %lld\n",
	       (long long)json_integer_value(json_object_get(j, "packets")),
	       (long long)json_integer_value(json_object_get(j, "filtered")),
	       (long long)json_integer_value(json_object_get(j, "dropped")),
	       (long long)(json_integer_value(json_object_get(j, "write_failed")) +
	                   json_integer_value(json_object_get(j, "too_big"))));
}

/* METHOD /api/pcapdump (with the settings given, for PUT), the reply printed: the status. */
static int call_and_print(struct client *c, const char *method, const struct pd_opts *o)
{
	json_t *body = NULL, *reply;
	struct err e = { { 0 } };

	if (!strcmp(method, "PUT")) {
		body = json_object();
		for (size_t i = 0; i < ARRAY_SIZE(setting_names); i++)
			if (o->set[i])
				json_object_set_new(body, setting_names[i], json_string(o->set[i]));
	}
	reply = client_call(c, method, PCAPDUMP_PATH, body, &e);
	json_decref(body);
	if (!reply)
		return fail(&e);
	if (o->conn.json)
		capture_print_json(reply);
	else
		print_status(reply);
	json_decref(reply);
	return 0;
}

static int write_fd(void *ctx, const void *p, size_t n, struct err *e)
{
	int fd = *(int *)ctx;

	for (const char *q = p; n;) {
		ssize_t w = write(fd, q, n);

		if (w < 0)
			return err_set(e, -errno, "cannot write the export: %s", strerror(errno));
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Packets and interfaces of the file written, read back (it must open as pcapng). */
static int count_file(const char *path, uint64_t *packets, uint64_t *ifaces, struct err *e)
{
	struct pcap_reader *rd = pcap_reader_open(path, e);
	struct pcap_record rec;
	int k;

	*packets = *ifaces = 0;
	if (!rd)
		return -EINVAL;
	while ((k = pcap_reader_next(rd, &rec, e)) > 0) {
		*packets += k == PCAP_REC_PACKET;
		*ifaces += k == PCAP_REC_IFACE;
	}
	pcap_reader_close(rd);
	return k;
}

static int run_export(struct client *c, const struct pd_opts *o)
{
	struct err e = { { 0 } };
	struct sbuf path = { 0 };
	char out[4096], tmp[4200], stamp[32];
	uint64_t packets, ifaces;
	time_t now = time(NULL);
	struct tm tm;
	int fd, rc;

	sbuf_puts(&path, PCAPDUMP_PATH "/export");
	for (int i = 0; i < 2; i++) {
		const char *v = i ? o->until : o->since;

		if (v) {
			char *t = api_time(v), *esc = client_escape(c, t);

			sbuf_printf(&path, "%c%s=%s",
			            path.len == sizeof(PCAPDUMP_PATH "/export") - 1 ? '?' : '&',
			            i ? "until" : "since", esc);
			free(esc);
			free(t);
		}
	}
	sbuf_cstr(&path);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (o->write)
		snprintf(out, sizeof(out), "%s", o->write);
	else
		snprintf(out, sizeof(out), "%s/pcapdump-%s.pcapng", o->dest ? o->dest : ".", stamp);
	snprintf(tmp, sizeof(tmp), "%s.part-%d", out, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_set(&e, -errno, "cannot create %s: %s", tmp, strerror(errno));
		sbuf_release(&path);
		return fail(&e);
	}
	rc = client_download(c, path.data, write_fd, &fd, !o->conn.json && isatty(STDERR_FILENO), &e);
	sbuf_release(&path);
	if (!rc && fsync(fd) != 0)
		rc = err_set(&e, -errno, "cannot write %s: %s", tmp, strerror(errno));
	close(fd);
	if (!rc && count_file(tmp, &packets, &ifaces, &e) < 0)
		rc = -EINVAL;
	if (!rc && rename(tmp, out) != 0)
		rc = err_set(&e, -errno, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
	if (rc) {
		unlink(tmp);
		return fail(&e);
	}
	if (o->conn.json)
		printf("{\"path\": \"%s\", \"packets\": %llu, \"interfaces\": %llu}\n", out,
		       (unsigned long long)packets, (unsigned long long)ifaces);
	else
		fprintf(stderr, "sysrec pcapdump: %llu packets, %llu interfaces, into %s\n",
		        (unsigned long long)packets, (unsigned long long)ifaces, out);
	return 0;
}

int pcapdump_agent(int argc, char **argv)
{
	struct pd_opts o;
	struct client_opts co = { 0 };
	struct client *c;
	struct err e = { { 0 } };
	char *token = NULL;
	int rc = parse(argc, argv, &o);

	if (rc < 0) {
		pcapdump_agent_usage(stdout);
		return 0;
	}
	if (rc)
		return rc;
	co.url = o.conn.url ? o.conn.url : env_or("SYSREC_URL", "http://127.0.0.1:7070");
	if (strncasecmp(co.url, "http://", 7) != 0 && strncasecmp(co.url, "https://", 8) != 0)
		return usage_error("the agent's URL must start with http:// or https://, not '%s'", co.url);
	rc = capture_resolve_token(&o.conn, &token);
	if (rc || !token)
		return rc ? rc : 1;
	co.token = token;
	co.cacert = o.conn.cacert;
	co.insecure = o.conn.insecure;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		err_set(&e, -EIO, "cannot start libcurl");
		rc = fail(&e);
	} else {
		c = client_new(&co, &e);
		if (!c)
			rc = fail(&e);
		else if (!o.sub)
			rc = call_and_print(c, "PUT", &o);
		else if (!strcmp(o.sub, "status"))
			rc = call_and_print(c, "GET", &o);
		else
			rc = run_export(c, &o);
		client_free(c);
		curl_global_cleanup();
	}
	explicit_bzero(token, strlen(token));
	free(token);
	return rc;
}
