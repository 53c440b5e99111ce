/* capture_take: `sysrec capture take`: ask the agent for a capture, then wait until it is ok or error. */
#include "capture_int.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 250000000 /* between two looks at a capture being taken */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One line of stderr rewritten in place with \r. */
struct status_line {
	int len; /* the widest text shown; 0: nothing shown */
};

static void status_line_show(struct status_line *l, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void status_line_show(struct status_line *l, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	fprintf(stderr, "\r%s%*s", buf, l->len > n ? l->len - n : 0, "");
	if (n > l->len)
		l->len = n;
}

static json_t *take_request(const struct capture_opts *o)
{
	json_t *req = json_object();
	int bad = json_object_set_new(req, "name", json_string(o->name));

	if (o->container)
		bad |= json_object_set_new(req, "container", json_string(o->container));
	if (o->given & BIT(O_DURATION))
		bad |= json_object_set_new(req, "duration", json_real(o->duration));
	if (o->given & BIT(O_BEFORE))
		bad |= json_object_set_new(req, "before", json_real(o->before));
	if (o->given & BIT(O_AFTER))
		bad |= json_object_set_new(req, "after", json_real(o->after));
	if (o->filter)
		bad |= json_object_set_new(req, "filter", json_string(o->filter));
	if (o->filter_proclist)
		bad |= json_object_set_new(req, "filter_proclist", json_true());
	if (o->packets >= 0)
		bad |= json_object_set_new(req, "packets", json_boolean(o->packets));
	if (o->no_artifacts)
		bad |= json_object_set_new(req, "artifacts", json_false());
	if (o->artifacts && !strcmp(o->artifacts, "all"))
		bad |= json_object_set_new(req, "artifacts", json_true());
	else if (o->artifacts) {
		json_t *kinds = json_array();

		for (const char *p = o->artifacts;; p += strcspn(p, ",") + 1) {
			json_array_append_new(kinds, json_stringn(p, strcspn(p, ",")));
			if (!p[strcspn(p, ",")])
				break;
		}
		bad |= json_object_set_new(req, "artifacts", kinds);
	}
	if (o->storage)
		bad |= json_object_set_new(req, "storage", json_string(o->storage));
	if (bad) { /* json_string() refuses text that is not UTF-8 */
		json_decref(req);
		return NULL;
	}
	return req;
}

/*
 * Look at the capture every POLL_NS until it is ok or error, showing how far
 * it is on stderr when that is a terminal. Takes cap's reference; returns the
 * last look, or NULL with e set (also when interrupted: the capture goes on).
 */
static json_t *take_wait(struct client *c, json_t *cap, struct err *e)
{
	bool tty = isatty(STDERR_FILENO);
	struct status_line line = { 0 };
	struct sigaction sa = { .sa_handler = on_interrupt }, old_int;
	const struct timespec tick = { 0, POLL_NS };
	double t0 = mono_seconds();
	char *path = capture_path(c, capture_member_str(cap, "id"), "");
	char *id = xstrdup(capture_member_str(cap, "id"));

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	for (;;) {
		const char *status = capture_member_str(cap, "status");
		json_t *next;

		if (!strcmp(status, "ok") || !strcmp(status, "error"))
			break;
		if (tty && !strcmp(status, "recording")) {
			double before = json_number_value(json_object_get(cap, "before"));
			double total = json_number_value(json_object_get(cap, "duration"));
			double done = before + mono_seconds() - t0;

			status_line_show(&line, "recording  %.1f/%.1f s", done < total ? done : total, total);
		} else if (tty) {
			status_line_show(&line, "%s", status);
		}
		nanosleep(&tick, NULL);
		next = interrupted ? NULL : client_call(c, "GET", path, NULL, e);
		if (interrupted)
			err_set(e, -EINTR, "stopped waiting: capture %s goes on (sysrec capture show %s)", id,
			        id);
		json_decref(cap);
		cap = next;
		if (!cap)
			break;
	}
	if (tty && line.len) {
		if (cap)
			status_line_show(&line, "%s", capture_member_str(cap, "status"));
		fputc('\n', stderr);
	}
	sigaction(SIGINT, &old_int, NULL);
	free(path);
	free(id);
	return cap;
}

int capture_run_take(struct client *c, const struct capture_opts *o)
{
	json_t *req = take_request(o), *cap;
	struct err e = { { 0 } };
	int rc = 0;

	if (!req)
		return capture_usage_error("--name, --container, --filter and --storage must be UTF-8 text");
	cap = client_call(c, "POST", CAPTURE_PATH, req, &e);
	json_decref(req);
	if (cap && !o->no_wait)
		cap = take_wait(c, cap, &e);
	if (!cap)
		return capture_fail(&e);
	capture_print(cap, o->json);
	if (!strcmp(capture_member_str(cap, "status"), "error")) {
		char *why = capture_clean_text(capture_member_str(cap, "error"));

		fflush(stdout);
		fprintf(stderr, "sysrec capture: capture %s failed: %s\n", capture_member_str(cap, "id"),
		        *why ? why : "the agent gave no reason");
		free(why);
		rc = 1;
	} else if (json_is_true(json_object_get(cap, "incomplete"))) {
		char *why = capture_clean_text(capture_member_str(cap, "incomplete_reason"));

		fflush(stdout);
		fprintf(stderr, "sysrec capture: capture %s is incomplete: %s\n",
		        capture_member_str(cap, "id"), why);
		free(why);
	}
	json_decref(cap);
	return rc;
}
