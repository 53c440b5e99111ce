/* http_pcapdump: /api/pcapdump: the continuous packet recording's status, settings and export. */
#include "../pcap/pcap.h"
#include "http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* GET /api/pcapdump: the settings in force and what is stored. */
void http_pcapdump_status(const struct call *c, struct reply *r)
{
	r->status = 200;
	r->json = agent_pcapdump_status(c->a);
}

/* PUT (or POST) /api/pcapdump: change the settings named, at once; the reply is the status after. */
void http_pcapdump_set(const struct call *c, struct reply *r)
{
	struct agent_config tmp;
	struct req_error re = { 0 };
	struct err e = { { 0 } };
	json_t *body = http_body_object(c, r);
	int rc;

	if (!body)
		return;
	memset(&tmp, 0, sizeof(tmp));
	agent_pcapdump_settings(c->a, &tmp.pcapdump);
	if (request_pcapdump(body, &tmp, &re)) {
		http_refused(r, &re);
	} else if ((rc = agent_pcapdump_set(c->a, &tmp.pcapdump, &e)) != 0) {
		http_fail(r, rc, "%s", e.msg);
	} else {
		r->status = 200;
		r->json = agent_pcapdump_status(c->a);
	}
	agent_pcapdump_cfg_release(&tmp.pcapdump);
	json_decref(body);
}

/* A query argument as a time (request_time()); absent: dflt. False with a 400 in r. */
static bool time_arg(const struct call *c, const char *key, uint64_t dflt, uint64_t *ns, struct reply *r)
{
	const char *v = MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, key);
	struct req_error re = { 0 };

	*ns = dflt;
	if (v && request_time(v, key, ns, &re)) {
		http_refused(r, &re);
		return false;
	}
	return true;
}

/*
 * GET /api/pcapdump/export?since=T&until=T: the stored packets of the range
 * (default: all) as one pcapng file ordered by time, each host's interface
 * its own (src/pcap's merge).
 */
void http_pcapdump_export(const struct call *c, struct reply *r)
{
	struct pcap_merge_stats st;
	struct err e = { { 0 } };
	char out[4400], hdr[320];
	uint64_t since, until;
	struct stat sb;
	int fd, rc;

	if (!time_arg(c, "since", 0, &since, r) || !time_arg(c, "until", UINT64_MAX, &until, r))
		return;
	if (since > until) {
		struct req_error re = { .status = 400, .field = "until" };

		snprintf(re.msg, sizeof(re.msg), "until is before since");
		http_refused(r, &re);
		return;
	}
	if ((rc = agent_pcapdump_export(c->a, since, until, out, sizeof(out), &st, &e)) != 0) {
		http_fail(r, rc, "%s", e.msg);
		return;
	}
	fd = open(out, O_RDONLY | O_CLOEXEC);
	agent_pcapdump_export_done(out); /* the open file is all that is left of it */
	if (fd < 0 || fstat(fd, &sb) != 0) {
		http_fail(r, -EIO, "cannot read the merged file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	r->resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	if (!r->resp) {
		close(fd);
		http_fail(r, -EIO, "cannot send the merged file");
		return;
	}
	r->status = 200;
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-pcapng");
	snprintf(hdr, sizeof(hdr), "attachment; filename=\"pcapdump-%s.pcapng\"", c->a->host);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, hdr);
	snprintf(hdr, sizeof(hdr), "%llu", (unsigned long long)st.packets);
	MHD_add_response_header(r->resp, "X-Sysrec-Packets", hdr);
	snprintf(hdr, sizeof(hdr), "%zu", st.inputs);
	MHD_add_response_header(r->resp, "X-Sysrec-Files", hdr);
}
