/* read: `sysrec read`, print or rewrite a capture as sysdig -r does. */
#include "cli.h"

#include "../common/common.h"
#include "../filter/filter.h"
#include "../scap/scap.h"
#include "../state/source.h"
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

/* One `sysrec read` run: where events come from, and where they go. */
struct read_run {
	const struct read_opts *o;
	struct state *st;
	struct filter *flt;
	struct output *out;    /* printing (NULL with -w) */
	struct printer *pr;    /* printing on a second thread (default lines) */
	struct scap_writer *w; /* -w */
	struct source *src;
	struct sbuf buf;      /* printed lines not yet written */
	struct progress prog; /* -w on a terminal */
	uint64_t nevents;
	long writer_pid;   /* the file is the temporary of this recorder (0: not one) */
	uint64_t shown_ts; /* the time of the last event printed (evt.deltatime's base) */
};

/* The filter, judged inside the state where sysdig's inspector filter is (state_set_judge). */
static bool judge(void *flt, const struct evctx *cx)
{
	return filter_match(flt, cx);
}

/* The filter, output, source and writer of the run; 0, or the exit code with the message said. */
static int read_open(struct read_run *rr)
{
	const struct read_opts *o = rr->o;
	struct err e = { { 0 } };
	bool track;

	if (o->filter && !(rr->flt = filter_compile(rr->st, o->filter, &e))) {
		fprintf(stderr, "sysrec read: %s\n", e.msg);
		return 2;
	}
	if (rr->flt)
		state_set_judge(rr->st, judge, rr->flt);
	if (!o->out) {
		rr->out = o->format ? output_new(rr->st, o->format, o->json, &e)
		                    : output_new_default(rr->st, o->json);
		if (!rr->out) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			return 2;
		}
	}
	if ((rr->writer_pid = sink_temp_pid(o->path)) != 0)
		warn_unfinished(o->path, rr->writer_pid);
	/* threads and fds are only followed when the output reads them */
	track = (rr->out && output_needs_state(rr->out)) || (rr->flt && filter_needs_state(rr->flt));
	if (!(rr->src = source_open_file(o->path, rr->st, track ? SOURCE_STATE : SOURCE_COUNT, &e))) {
		fprintf(stderr, "sysrec read: %s\n", e.msg);
		return 1;
	}
	if (o->out) {
		if (!(rr->w = scap_writer_open(o->out, o->gzip, &e))) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			return 1;
		}
		rr->prog.on = isatty(STDERR_FILENO);
		rr->prog.last = mono_seconds();
	}
	if (rr->out && output_splits(rr->out))
		rr->pr = printer_new(rr->out, rr->st, STDOUT_FILENO, source_stable(rr->src));
	return 0;
}

/* Whether the run's filter rejects the event: judged by the state already, or now. */
static bool rejected(struct read_run *rr, const struct evctx *cx)
{
	if (!rr->flt)
		return false;
	return cx->judged ? cx->rejected : !filter_match(rr->flt, cx);
}

/* One event, applied to the state: printed or written. false: the reader of stdout is gone. */
static bool read_event(struct read_run *rr, struct scap_record *rec, struct evctx *cx)
{
	if (rr->w) {
		/* as sysdig -w: events hidden in the input count as rejected too */
		if (!cx->head && ((rec->ev.dump_flags & EVENT_DF_STATE_ONLY) || rejected(rr, cx))) {
			int hide = event_rejected_flags(rec->ev.type, rr->o->fatfile);

			if (hide < 0)
				return true;
			rec->ev.dump_flags |= (uint32_t)hide;
		}
		scap_writer_event(rr->w, &rec->ev);
		progress_tick(&rr->prog, rr->nevents, source_offset(rr->src), false);
		return true;
	}
	if (rejected(rr, cx))
		cx->shown = false;
	if (cx->shown &&
	    rr->flt) { /* as sysdig, evt.deltatime counts from the last event the filter let through */
		cx->prev_ts = rr->shown_ts;
		rr->shown_ts = rec->ev.ts;
	}
	if (rr->pr)
		return !cx->shown || printer_add(rr->pr, cx);
	if (cx->shown && output_event(rr->out, cx, &rr->buf) && rr->buf.len >= FLUSH_AT)
		return sbuf_flush_fd(&rr->buf, STDOUT_FILENO) >= 0;
	return true;
}

/* Every record of the source (up to -n events); 0 or the reader's -errno with e set. */
static int read_all(struct read_run *rr, struct err *e)
{
	struct scap_record rec;
	struct evctx cx;
	int kind;

	while ((kind = source_next(rr->src, &rec, &cx, e)) > 0) {
		if (kind == SOURCE_HEAD) {
			if (rr->w)
				scap_writer_record(rr->w, &rec);
			continue;
		}
		if (rr->o->max_events && rr->nevents >= rr->o->max_events)
			break;
		rr->nevents++;
		if (!read_event(rr, &rec, &cx))
			return 0; /* reader gone (e.g. | head): stop quietly */
	}
	return kind < 0 ? kind : 0;
}

int cmd_read(int argc, char **argv)
{
	struct read_opts o;
	struct read_run rr = { .o = &o, .prog = { .who = "sysrec read" } };
	struct err e = { { 0 } };
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
	sbuf_init(&rr.buf, FLUSH_AT * 2);
	rr.st = state_new();
	if ((rc = read_open(&rr)) != 0) {
		exit_code = rc;
		goto cleanup;
	}
	rc = read_all(&rr, &e);
	if (rr.buf.len)
		sbuf_flush_fd(&rr.buf, STDOUT_FILENO);
	if (rr.pr)
		printer_finish(rr.pr);
	if (rc == -ENODATA && rr.writer_pid) {
		/* where an unfinished recording stops: what came before is all there is */
		fprintf(stderr, "sysrec read: warning: %s: %s: the unfinished recording ends there\n", o.path,
		        e.msg);
		rc = 0;
	}
	if (rc < 0) {
		fprintf(stderr, "sysrec read: %s: %s\n", o.path, e.msg);
		goto cleanup;
	}
	if (rr.w) {
		struct scap_writer *done = rr.w;

		progress_tick(&rr.prog, rr.nevents, source_offset(rr.src), true);
		rr.w = NULL;
		if (scap_writer_close(done, &e)) {
			fprintf(stderr, "sysrec read: %s\n", e.msg);
			goto cleanup;
		}
	}
	exit_code = 0;
cleanup:
	if (rr.w)
		scap_writer_abort(rr.w);
	source_close(rr.src);
	printer_free(rr.pr);
	output_free(rr.out);
	filter_free(rr.flt);
	free(o.filter);
	state_free(rr.st);
	sbuf_release(&rr.buf);
	return exit_code;
}
