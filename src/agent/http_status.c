/* http_status: GET /api/status (JSON) and GET /metrics (Prometheus text): the agent's counters. */
#include "http_int.h"

#include <jansson.h>
#include <microhttpd.h>
#include <string.h>

/* The agent's counters, read together. */
struct counters {
	struct recorder_stats rs;
	double er, dr;
	uint64_t et, dt;
	uint64_t dby[EVENT_LOST_NCAUSES];
	uint64_t bugs;
	unsigned out;
	struct agent_rules_stats ru;
	struct catalog_stats cs;
	struct gate_stats conns;
};

static void read_counters(const struct call *c, struct counters *k)
{
	struct agent *a = c->a;

	gate_stats(c->http->gate, &k->conns);
	recorder_stats(a->rec, &k->rs);
	pthread_mutex_lock(&a->lock);
	k->er = a->event_rate;
	k->dr = a->drop_rate;
	k->et = a->events_total;
	k->dt = a->drops_total;
	memcpy(k->dby, a->drops_by, sizeof(k->dby));
	k->bugs = a->filler_bugs;
	k->out = a->outstanding;
	pthread_mutex_unlock(&a->lock);
	agent_rules_stats(a->rules, &k->ru);
	catalog_stats(a->cat, &k->cs);
}

/* GET /api/status: the counters as JSON (docs/api.md). */
void http_get_status(const struct call *c, struct reply *r)
{
	struct agent *a = c->a;
	struct counters k;
	const struct recorder_stats *rs = &k.rs;
	const struct agent_rules_stats *ru = &k.ru;

	read_counters(c, &k);
	r->status = 200;
	r->json = json_pack(
	        "{s:s,s:s,s:b,s:i,s:i,s:{s:f,s:i,s:I,s:I,s:I,s:I,s:I},s:{s:I,s:f},s:{s:I,s:f}}", "host",
	        a->host, "version", AGENT_VERSION, "captures_enabled", a->cfg->captures_enabled,
	        "outstanding", (int)k.out, "max_outstanding", (int)a->cfg->max_outstanding, "ring", "seconds",
	        rs->seconds, "seconds_wanted", (int)a->cfg->seconds, "bytes", (json_int_t)rs->bytes,
	        "max_bytes", (json_int_t)rs->max_bytes, "segments", (json_int_t)rs->segments, "events",
	        (json_int_t)rs->held, "oldest_ns", (json_int_t)rs->oldest_ns, "events", "total",
	        (json_int_t)k.et, "per_second", k.er, "drops", "total", (json_int_t)k.dt, "per_second", k.dr);
	{
		json_t *by = json_object_get(r->json, "drops");

		/* by cause, as capture records and drop marks name them */
		json_object_set_new(by, "ring_full", json_integer((json_int_t)k.dby[EVENT_LOST_RING]));
		json_object_set_new(by, "too_large", json_integer((json_int_t)k.dby[EVENT_LOST_BIG]));
		json_object_set_new(by, "recorder_behind",
		                    json_integer((json_int_t)k.dby[EVENT_LOST_BEHIND]));
		json_object_set_new(by, "tracepoint_busy", json_integer((json_int_t)k.dby[EVENT_LOST_BUSY]));
		/* not a loss of the host's doing: a bug of ours, counted apart (not in total) */
		json_object_set_new(by, "filler_bugs", json_integer((json_int_t)k.bugs));
	}
	json_object_set_new(r->json, "rules",
	                    json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "loaded", (json_int_t)ru->loaded, "files",
	                              (json_int_t)ru->files, "alerts", (json_int_t)ru->alerts,
	                              "alerts_dropped", (json_int_t)ru->alerts_dropped, "captures_taken",
	                              (json_int_t)ru->captures_taken, "captures_refused",
	                              (json_int_t)ru->captures_refused));
	json_object_set_new(r->json, "catalog",
	                    json_pack("{s:I,s:I}", "unsaved_records", (json_int_t)k.cs.unsaved,
	                              "record_write_failures", (json_int_t)k.cs.write_failures));
	json_object_set_new(
	        r->json, "http",
	        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "connections", (json_int_t)k.conns.open,
	                  "max_connections", (json_int_t)a->cfg->http_max_connections,
	                  "max_connections_per_ip", (json_int_t)a->cfg->http_max_per_ip, "header_timeout",
	                  (json_int_t)a->cfg->http_header_timeout, "accepted", (json_int_t)k.conns.accepted,
	                  "refused", (json_int_t)k.conns.refused, "evicted", (json_int_t)k.conns.evicted,
	                  "header_timeouts", (json_int_t)k.conns.head_timeouts));
	json_object_set_new(r->json, "packets", agent_packets_status(a));
	json_object_set_new(r->json, "pcapdump", agent_pcapdump_status(a));
	json_object_set_new(r->json, "artifacts", agent_artifacts_status(a));
}

/* The flight recorder's artifacts, per kind kept, in Prometheus' text. */
static void artifacts_metrics(struct agent *a, struct sbuf *b)
{
	json_t *st = agent_artifacts_status(a), *kinds = json_object_get(st, "kinds"), *k;
	const char *name;
	/* the status member, the metric's name (a counter's ends in _total), its type and help */
	static const char *const metrics[][4] = {
		{ "seconds", "seconds", "gauge",
		  "Seconds of artifacts of the kind the flight recorder holds." },
		{ "bytes", "bytes", "gauge",
		  "Bytes of artifact records of the kind the flight recorder holds." },
		{ "total", "records_total", "counter",
		  "Artifact records of the kind the flight recorder took." },
		{ "dropped", "dropped_total", "counter",
		  "Artifact records of the kind let go before the history's end (artifacts.max_memory)." },
		{ "unreadable", "unreadable_total", "counter",
		  "Binaries of the kind listed without their bytes." },
	};

	for (size_t i = 0; i < ARRAY_SIZE(metrics); i++) {
		sbuf_printf(b, "# HELP sysrec_artifacts_%s %s\n# TYPE sysrec_artifacts_%s %s\n",
		            metrics[i][1], metrics[i][3], metrics[i][1], metrics[i][2]);
		json_object_foreach(kinds, name, k)
		{
			const json_t *v = json_object_get(k, metrics[i][0]);

			if (json_is_real(v))
				sbuf_printf(b, "sysrec_artifacts_%s{kind=\"%s\"} %.3f\n", metrics[i][1], name,
				            json_real_value(v));
			else
				sbuf_printf(b, "sysrec_artifacts_%s{kind=\"%s\"} %lld\n", metrics[i][1], name,
				            (long long)json_integer_value(v));
		}
	}
	k = json_object_get(st, "kernel");
	sbuf_printf(b,
	            "# HELP sysrec_artifacts_kernel_lost_records_total Artifact records the kernel's ring "
	            "could not take.\n# TYPE sysrec_artifacts_kernel_lost_records_total counter\n"
	            "sysrec_artifacts_kernel_lost_records_total %lld\n",
	            (long long)json_integer_value(json_object_get(k, "lost_records")));
	json_decref(st);
}

/* The pcapdump's counters (its status object's members) in Prometheus' text. */
static void pcapdump_metrics(struct agent *a, struct sbuf *b)
{
	json_t *p = agent_pcapdump_status(a);
#define PD(k) ((unsigned long long)json_integer_value(json_object_get(p, k)))

	sbuf_printf(b,
	            "# HELP sysrec_pcapdump_enabled Whether continuous packet recording is on.\n"
	            "# TYPE sysrec_pcapdump_enabled gauge\nsysrec_pcapdump_enabled %d\n"
	            "# HELP sysrec_pcapdump_bytes Bytes of the pcapdump files on disk.\n"
	            "# TYPE sysrec_pcapdump_bytes gauge\nsysrec_pcapdump_bytes %llu\n"
	            "# HELP sysrec_pcapdump_files pcapdump files on disk.\n"
	            "# TYPE sysrec_pcapdump_files gauge\nsysrec_pcapdump_files %llu\n"
	            "# HELP sysrec_pcapdump_seconds Seconds of packets the pcapdump files hold.\n"
	            "# TYPE sysrec_pcapdump_seconds gauge\nsysrec_pcapdump_seconds %.3f\n"
	            "# HELP sysrec_pcapdump_packets_total Packets written by pcapdump.\n"
	            "# TYPE sysrec_pcapdump_packets_total counter\nsysrec_pcapdump_packets_total %llu\n"
	            "# HELP sysrec_pcapdump_dropped_total Packets pcapdump lost, by cause.\n"
	            "# TYPE sysrec_pcapdump_dropped_total counter\n"
	            "sysrec_pcapdump_dropped_total{cause=\"buffer_full\"} %llu\n"
	            "sysrec_pcapdump_dropped_total{cause=\"write_failed\"} %llu\n"
	            "sysrec_pcapdump_dropped_total{cause=\"too_big\"} %llu\n",
	            json_is_true(json_object_get(p, "enabled")), PD("bytes"), PD("files"),
	            json_number_value(json_object_get(p, "seconds")), PD("packets"), PD("dropped"),
	            PD("write_failed"), PD("too_big"));
	json_decref(p);
	p = agent_packets_status(a);
	sbuf_printf(b,
	            "# HELP sysrec_packets_ring_seconds Seconds of packets the flight recorder holds.\n"
	            "# TYPE sysrec_packets_ring_seconds gauge\nsysrec_packets_ring_seconds %.3f\n"
	            "# HELP sysrec_packets_ring_bytes Bytes of packets the flight recorder holds.\n"
	            "# TYPE sysrec_packets_ring_bytes gauge\nsysrec_packets_ring_bytes %llu\n"
	            "# HELP sysrec_packets_total Packets the flight recorder took.\n"
	            "# TYPE sysrec_packets_total counter\nsysrec_packets_total %llu\n"
	            "# HELP sysrec_packets_dropped_total Packets the flight recorder lost (the buffer was "
	            "full).\n"
	            "# TYPE sysrec_packets_dropped_total counter\nsysrec_packets_dropped_total %llu\n",
	            json_number_value(json_object_get(p, "seconds")), PD("bytes"), PD("total"),
	            PD("dropped"));
	json_decref(p);
#undef PD
}

/* GET /metrics: the counters in Prometheus' text format. */
void http_get_metrics(const struct call *c, struct reply *r)
{
	struct agent *a = c->a;
	struct counters k;
	struct sbuf b;

	read_counters(c, &k);
	sbuf_init(&b, 2048);
	sbuf_printf(&b,
	            "# HELP sysrec_events_total Events recorded since the agent started.\n"
	            "# TYPE sysrec_events_total counter\nsysrec_events_total %llu\n"
	            "# HELP sysrec_drops_total Events lost since the agent started.\n"
	            "# TYPE sysrec_drops_total counter\nsysrec_drops_total %llu\n"
	            "# HELP sysrec_ring_bytes Bytes the flight recorder holds.\n"
	            "# TYPE sysrec_ring_bytes gauge\nsysrec_ring_bytes %llu\n"
	            "# HELP sysrec_ring_events Events the flight recorder holds.\n"
	            "# TYPE sysrec_ring_events gauge\nsysrec_ring_events %llu\n"
	            "# HELP sysrec_ring_seconds Seconds of history the flight recorder holds.\n"
	            "# TYPE sysrec_ring_seconds gauge\nsysrec_ring_seconds %.3f\n"
	            "# HELP sysrec_captures_outstanding Captures recording or storing now.\n"
	            "# TYPE sysrec_captures_outstanding gauge\nsysrec_captures_outstanding %u\n"
	            "# HELP sysrec_captures_total Captures in the catalog, by status.\n"
	            "# TYPE sysrec_captures_total gauge\n",
	            (unsigned long long)k.et, (unsigned long long)k.dt, (unsigned long long)k.rs.bytes,
	            (unsigned long long)k.rs.held, k.rs.seconds, k.out);
	for (int s = CAPTURE_RECORDING; s <= CAPTURE_ERROR; s++)
		sbuf_printf(&b, "sysrec_captures_total{status=\"%s\"} %zu\n",
		            capture_status_name((enum capture_status)s),
		            catalog_count(a->cat, (enum capture_status)s));
	sbuf_printf(&b,
	            "# HELP sysrec_rules_loaded Rules that can match (enabled and compiled).\n"
	            "# TYPE sysrec_rules_loaded gauge\nsysrec_rules_loaded %zu\n"
	            "# HELP sysrec_alerts_total Alerts of rules written since the agent started.\n"
	            "# TYPE sysrec_alerts_total counter\nsysrec_alerts_total %llu\n"
	            "# HELP sysrec_alerts_dropped_total Alerts held back by a rule's rate limit.\n"
	            "# TYPE sysrec_alerts_dropped_total counter\nsysrec_alerts_dropped_total %llu\n"
	            "# HELP sysrec_rule_captures_total Captures rules asked for, by result.\n"
	            "# TYPE sysrec_rule_captures_total counter\n"
	            "sysrec_rule_captures_total{result=\"taken\"} %llu\n"
	            "sysrec_rule_captures_total{result=\"refused\"} %llu\n",
	            k.ru.loaded, (unsigned long long)k.ru.alerts, (unsigned long long)k.ru.alerts_dropped,
	            (unsigned long long)k.ru.captures_taken, (unsigned long long)k.ru.captures_refused);
	sbuf_printf(&b,
	            "# HELP sysrec_catalog_unsaved_records Capture records whose write failed, not yet "
	            "rewritten.\n"
	            "# TYPE sysrec_catalog_unsaved_records gauge\nsysrec_catalog_unsaved_records %zu\n"
	            "# HELP sysrec_catalog_record_write_failures_total Capture record writes that failed.\n"
	            "# TYPE sysrec_catalog_record_write_failures_total counter\n"
	            "sysrec_catalog_record_write_failures_total %llu\n",
	            k.cs.unsaved, (unsigned long long)k.cs.write_failures);
	sbuf_printf(&b,
	            "# HELP sysrec_http_connections Connections the API holds.\n"
	            "# TYPE sysrec_http_connections gauge\nsysrec_http_connections %u\n"
	            "# HELP sysrec_http_connections_closed_total API connections the agent closed or "
	            "refused, by reason.\n"
	            "# TYPE sysrec_http_connections_closed_total counter\n"
	            "sysrec_http_connections_closed_total{reason=\"refused\"} %llu\n"
	            "sysrec_http_connections_closed_total{reason=\"evicted\"} %llu\n"
	            "sysrec_http_connections_closed_total{reason=\"header_timeout\"} %llu\n",
	            k.conns.open, (unsigned long long)k.conns.refused, (unsigned long long)k.conns.evicted,
	            (unsigned long long)k.conns.head_timeouts);
	sbuf_printf(&b, "# HELP sysrec_drops_by_cause_total Events lost since the agent started, by cause.\n"
	                "# TYPE sysrec_drops_by_cause_total counter\n");
	for (int i = 0; i < EVENT_LOST_NCAUSES; i++)
		sbuf_printf(&b, "sysrec_drops_by_cause_total{cause=\"%s\"} %llu\n",
		            event_loss_cause_name((enum event_loss_cause)i), (unsigned long long)k.dby[i]);
	pcapdump_metrics(a, &b);
	artifacts_metrics(a, &b);
	r->resp = MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
	r->status = 200;
	sbuf_release(&b);
}
