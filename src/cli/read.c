/* read: `sysrec read`, print or rewrite a capture as sysdig -r does. */
#include "cli.h"

#include "../common/common.h"
#include "../filter/filter.h"
#include "../scap/scap.h"
#include "../state/state.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FLUSH_AT (1U << 16)

struct read_opts {
	const char *path;
	const char *format;
	const char *out;
	uint64_t max_events; /* 0 = all */
	bool json;
	bool gzip;
	bool list_events;
	bool list_fields;
	bool fatfile; /* -F: with -w and a filter, keep the state-changing events it rejects, hidden */
	char *filter; /* the arguments after the options, joined by spaces; NULL: none */
};

static void read_usage(FILE *f)
{
	fprintf(f, "usage: sysrec read -r FILE [-n N] [-p FORMAT] [-j] [-w OUT [-z] [-F]] [FILTER]\n"
	           "       sysrec read --list-events | --list-fields\n"
	           "\n"
	           "  FILTER               Falco/sysdig condition, e.g. \"evt.type=open and fd.name\n"
	           "                       startswith /etc\" (the words after the options, joined)\n"
	           "  -r, --read FILE      the capture to read (.scap, raw or gzip)\n"
	           "  -n, --numevents N    stop after N events (hidden ones count, as in sysdig)\n"
	           "  -p, --print FORMAT   print %%fields, e.g. \"%%evt.num %%proc.name %%fd.name\";\n"
	           "                       a leading * prints events whose fields are missing\n"
	           "  -j, --json           one JSON object per event\n"
	           "  -w, --write OUT      write the events to OUT instead of printing them\n"
	           "  -z, --compress       gzip OUT\n"
	           "  -F, --fatfile        with -w: keep the events FILTER rejects that change the\n"
	           "                       state (clone, execve, open, close, ...) in OUT, hidden,\n"
	           "                       so that readers of OUT still know every process and fd\n"
	           "  -L, --list-events    list the event table\n"
	           "  -l, --list-fields    list the fields -p and filters take\n");
}

static int list_events(void)
{
	struct sbuf b;

	sbuf_init(&b, 1 << 16);
	for (int i = 0; i < EVENT_MAX; i++) {
		const struct event_info *e = &event_table[i];

		if ((e->flags & (EF_UNUSED | EF_OLD_VERSION)) || (e->category & EC_INTERNAL))
			continue; /* what sysdig -L lists */
		sbuf_printf(&b, "%c %s(", event_is_exit((uint32_t)i) ? '<' : '>', e->name);
		for (uint32_t j = 0; j < e->nparams; j++)
			sbuf_printf(&b, "%s%s %s", j ? ", " : "", event_ptype_name(e->params[j].type),
			            e->params[j].name);
		sbuf_puts(&b, ")\n");
	}
	sbuf_flush_fd(&b, STDOUT_FILENO);
	sbuf_release(&b);
	return 0;
}

static int parse_opts(int argc, char **argv, struct read_opts *o)
{
	static const struct option longopts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "numevents", required_argument, NULL, 'n' },
		{ "print", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "write", required_argument, NULL, 'w' },
		{ "compress", no_argument, NULL, 'z' },
		{ "fatfile", no_argument, NULL, 'F' },
		{ "list-events", no_argument, NULL, 'L' },
		{ "list-fields", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:n:p:jw:zFLlh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->path = optarg;
			break;
		case 'n': {
			char *end;

			errno = 0;
			o->max_events = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-') {
				fprintf(stderr, "sysrec read: -n needs a positive number, got '%s'\n",
				        optarg);
				return 2;
			}
			break;
		}
		case 'p':
			o->format = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->out = optarg;
			break;
		case 'z':
			o->gzip = true;
			break;
		case 'F':
			o->fatfile = true;
			break;
		case 'L':
			o->list_events = true;
			break;
		case 'l':
			o->list_fields = true;
			break;
		case 'h':
			read_usage(stdout);
			return -1;
		default:
			read_usage(stderr);
			return 2;
		}
	}
	o->filter = cli_join_args(argc, argv, optind);
	if (!o->list_events && !o->list_fields && !o->path) {
		fprintf(stderr, "sysrec read: -r FILE is required\n");
		read_usage(stderr);
		return 2;
	}
	if (o->gzip && !o->out) {
		fprintf(stderr, "sysrec read: -z only applies with -w OUT\n");
		return 2;
	}
	if (o->fatfile && !o->out) {
		fprintf(stderr, "sysrec read: -F only applies with -w OUT\n");
		return 2;
	}
	return 0;
}

/*
 * path is the temporary of a recording (sink.c names it PATH.tmp-PID): say so
 * before reading it, and whether its writer is still at work or was stopped
 * without finishing it (killed, or the machine went down).
 */
static void warn_unfinished(const char *path, long pid)
{
	if (sink_writer_alive(pid))
		fprintf(stderr,
		        "sysrec read: warning: %s is an unfinished recording (sysrec process %ld is still "
		        "writing it): the events up to its last whole block are read\n",
		        path, pid);
	else
		fprintf(stderr,
		        "sysrec read: warning: %s is an unfinished recording (sysrec process %ld did not "
		        "finish it): the events up to its last whole block are read\n",
		        path, pid);
}

void progress_tick(struct progress *p, uint64_t events, uint64_t bytes, bool done)
{
	double t;

	if (!p->on || (!done && events % 65536))
		return;
	t = mono_seconds();
	if (!done && t - p->last < 0.25)
		return;
	p->last = t;
	fprintf(stderr, "\r%s: %llu events, %.1f MiB%s", p->who, (unsigned long long)events,
	        (double)bytes / (1 << 20), done ? "\n" : "");
}

int cmd_read(int argc, char **argv)
{
	struct read_opts o;
	struct err e = { { 0 } };
	struct scap_reader *r = NULL;
	struct scap_writer *w = NULL;
	struct state *st = NULL;
	struct output *out = NULL;
	struct filter *flt = NULL;
	struct printer *pr = NULL;
	struct scap_record rec;
	struct evctx cx;
	struct sbuf buf;
	uint64_t nevents = 0;
	struct progress prog = { .who = "sysrec read" };
	bool track_state;
	long writer_pid;
	int rc, exit_code = 1;

	rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.list_events)
		return list_events();
	if (o.list_fields) {
		filter_list_fields(stdout);
		return 0;
	}

	sbuf_init(&buf, FLUSH_AT * 2);
	st = state_new();
	if (o.filter) {
		flt = filter_compile(st, o.filter, &e);
		if (!flt) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			exit_code = 2;
			goto cleanup;
		}
	}
	if (!o.out) {
		out = o.format ? output_new(st, o.format, o.json, &e) : output_new_default(st, o.json);
		if (!out) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			exit_code = 2;
			goto cleanup;
		}
	}
	writer_pid = sink_temp_pid(o.path);
	if (writer_pid)
		warn_unfinished(o.path, writer_pid);
	r = scap_reader_open(o.path, &e);
	if (!r) {
		fprintf(stderr, "sysrec read: %s\n", e.msg);
		goto cleanup;
	}
	if (o.out) {
		w = scap_writer_open(o.out, o.gzip, &e);
		if (!w) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			goto cleanup;
		}
		prog.on = isatty(STDERR_FILENO);
		prog.last = mono_seconds();
	}

	/* threads and fds are only followed when the output reads them */
	track_state = (out && output_needs_state(out)) || (flt && filter_needs_state(flt));
	if (out && output_splits(out))
		pr = printer_new(out, st, STDOUT_FILENO, scap_reader_stable(r));
	while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
		if (rec.kind != SCAP_REC_EVENT) {
			state_add_record(st, &rec);
			if (w)
				scap_writer_record(w, &rec);
			continue;
		}
		if (o.max_events && nevents >= o.max_events)
			break;
		nevents++;
		if (track_state)
			state_process(st, &rec.ev, &cx);
		else
			state_count(st, &rec.ev, &cx);
		if (w) {
			/* as sysdig -w: events hidden in the input count as rejected too */
			if (!cx.head &&
			    ((rec.ev.dump_flags & EVENT_DF_STATE_ONLY) || (flt && !filter_match(flt, &cx)))) {
				int hide = event_rejected_flags(rec.ev.type, o.fatfile);

				if (hide < 0)
					continue;
				rec.ev.dump_flags |= (uint32_t)hide;
			}
		} else if (flt && !filter_match(flt, &cx)) {
			cx.shown = false;
		}
		if (pr) {
			if (cx.shown && !printer_add(pr, &cx)) {
				rc = 0;
				break; /* reader gone (e.g. | head): stop quietly */
			}
		} else if (w) {
			scap_writer_event(w, &rec.ev);
			progress_tick(&prog, nevents, scap_reader_offset(r), false);
		} else if (cx.shown && output_event(out, &cx, &buf) && buf.len >= FLUSH_AT) {
			if (sbuf_flush_fd(&buf, STDOUT_FILENO) < 0) {
				rc = 0;
				break; /* reader gone (e.g. | head): stop quietly */
			}
		}
	}
	if (buf.len)
		sbuf_flush_fd(&buf, STDOUT_FILENO);
	if (pr)
		printer_finish(pr);
	if (rc == -ENODATA && writer_pid) {
		/* where an unfinished recording stops: what came before is all there is */
		fprintf(stderr, "sysrec read: warning: %s: %s: the unfinished recording ends there\n", o.path,
		        e.msg);
		rc = 0;
	}
	if (rc < 0) {
		fprintf(stderr, "sysrec read: %s: %s\n", o.path, e.msg);
		goto cleanup;
	}
	if (w) {
		struct scap_writer *done = w;

		progress_tick(&prog, nevents, scap_reader_offset(r), true);
		w = NULL;
		if (scap_writer_close(done, &e)) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			goto cleanup;
		}
	}
	exit_code = 0;
cleanup:
	if (w)
		scap_writer_abort(w);
	scap_reader_close(r);
	printer_free(pr);
	output_free(out);
	filter_free(flt);
	free(o.filter);
	state_free(st);
	sbuf_release(&buf);
	return exit_code;
}
