/*
 * fuzz_reader: libFuzzer target for the whole `sysrec read` path.
 *
 * The input is a .scap file (raw or gzip). It goes into a memfd, is opened with
 * scap_reader_open_fd() and read like cmd_read() does: metadata records feed
 * state_add_record(), events go through state_process() and, when sysdig would
 * show them, through several outputs (the default line, -j JSON, and formats
 * using every field). A capture read cleanly is then rewritten with
 * scap_writer and the copy read back: it must come back with the same events.
 * Reader errors are expected; crashes, hangs, leaks and UB are bugs.
 *
 * Each event is copied into an allocation of exactly its size before use, so
 * ASan sees a read past an event's end (the reader's buffer would hide it).
 *
 * Build: make build/fuzz/fuzz_reader; run: make fuzz (scripts/fuzz.sh).
 */
#include "../../src/common/common.h"
#include "../../src/filter/filter.h"
#include "../../src/scap/scap.h"
#include "../../src/state/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every field once, without '*' (a missing field suppresses the line). */
#define ALL_FIELDS                                                                              \
	"%evt.num %evt.time %evt.datetime %evt.outputtime %evt.rawtime %evt.cpu %evt.dir "      \
	"%evt.type %evt.args %evt.info %evt.res %evt.rawres %evt.failed %evt.arg.fd "           \
	"%evt.arg.res %evt.arg.name %evt.arg.path %evt.arg.data %evt.arg.tuple %evt.arg.flags " \
	"%evt.arg.addr %evt.arg.dirfd %evt.arg.ID %evt.arg.sig %evt.arg.mode %evt.arg.uid "     \
	"%proc.name %proc.pid %proc.ppid %proc.exe %proc.exepath %proc.cmdline %proc.args "     \
	"%proc.env %proc.cwd %thread.tid %fd.num %fd.name %fd.type %fd.typechar %user.name "    \
	"%user.uid %container.id %container.name %container.image"

static char out_path[4096]; /* where the rewritten capture goes */
static char out_dir[4096];

static void cleanup_dir(void)
{
	if (out_dir[0])
		rmdir(out_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1); /* deterministic, and no tzfile lookups per event */
	snprintf(out_dir, sizeof(out_dir), "%s/sysrec-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(out_dir)) {
		perror("fuzz_reader: mkdtemp");
		exit(1);
	}
	snprintf(out_path, sizeof(out_path), "%s/out.scap", out_dir);
	atexit(cleanup_dir);
	return 0;
}

/* Copy ev into an exact-size heap block (freed by the caller) and repoint it there. */
static uint8_t *isolate_event(struct event *ev)
{
	uint8_t *mem = xmalloc(ev->raw_len ? ev->raw_len : 1);
	const uint8_t *old = ev->raw;

	memcpy(mem, old, ev->raw_len);
	ev->raw = mem;
	for (uint32_t i = 0; i < ev->nvals; i++)
		ev->val[i] = mem + (ev->val[i] - old);
	return mem;
}

/* The input in a fresh memfd, opened with the reader (NULL when it refuses it). */
static struct scap_reader *open_input(const uint8_t *data, size_t size, struct err *e)
{
	int fd = memfd_create("fuzz_reader", MFD_CLOEXEC);

	if (fd < 0) {
		perror("fuzz_reader: memfd_create");
		abort();
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			perror("fuzz_reader: write");
			abort();
		}
		off += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	return scap_reader_open_fd(fd, e); /* owns fd from here, even on failure */
}

/*
 * Rewrite a capture the reader accepted with scap_writer, as `sysrec read -w`
 * does, and read the copy back: it must hold the same events.
 */
static void check_rewrite(const uint8_t *data, size_t size, uint64_t nevents)
{
	struct err e = { { 0 } };
	struct scap_reader *r = open_input(data, size, &e);
	struct scap_writer *w;
	struct scap_record rec;
	uint64_t n = 0;
	int rc;

	w = r ? scap_writer_open(out_path, false, &e) : NULL;
	if (!w) {
		fprintf(stderr, "fuzz_reader: rewrite: %s\n", e.msg);
		abort();
	}
	while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
		uint8_t *mem;

		if (rec.kind != SCAP_REC_EVENT) {
			scap_writer_record(w, &rec);
			continue;
		}
		mem = isolate_event(&rec.ev);
		scap_writer_event(w, &rec.ev);
		free(mem);
	}
	scap_reader_close(r);
	if (rc != SCAP_REC_EOF) {
		fprintf(stderr, "fuzz_reader: second read differs: rc %d: %s\n", rc, e.msg);
		abort();
	}
	if (scap_writer_close(w, &e)) {
		fprintf(stderr, "fuzz_reader: cannot write the rewrite: %s\n", e.msg);
		abort();
	}

	r = scap_reader_open(out_path, &e);
	if (!r) {
		fprintf(stderr, "fuzz_reader: cannot reopen the rewrite: %s\n", e.msg);
		abort();
	}
	while ((rc = scap_reader_next(r, &rec, &e)) > 0)
		if (rec.kind == SCAP_REC_EVENT)
			n++;
	scap_reader_close(r);
	unlink(out_path);
	if (rc < 0 || n != nevents) {
		fprintf(stderr, "fuzz_reader: rewrite of %llu events read back as %llu (rc %d: %s)\n",
		        (unsigned long long)nevents, (unsigned long long)n, rc, rc < 0 ? e.msg : "");
		abort();
	}
}

/* The default line, -j, and every field in plain (no '*') and JSON ('*') form. */
static void new_outputs(struct state *st, struct output *outs[5])
{
	struct err e = { { 0 } };

	outs[0] = output_new_default(st, false);
	outs[1] = output_new_default(st, true);
	outs[2] = output_new(st, ALL_FIELDS, false, &e);
	outs[3] = output_new(st, "*" ALL_FIELDS, true, &e);
	outs[4] = output_new_default(st, false); /* the two-step line, checked against outs[0] */
	if (!outs[2] || !outs[3]) {
		fprintf(stderr, "fuzz_reader: bad format: %s\n", e.msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct state *st;
	struct output *outs[5] = { NULL };
	struct scap_record rec;
	struct sbuf buf, memo = { 0 }, split = { 0 };
	uint64_t nevents = 0;
	int rc;

	r = open_input(data, size, &e);
	if (!r)
		return 0;

	st = state_new();
	sbuf_init(&buf, 1 << 16);

	while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
		struct evctx cx;
		uint8_t *mem;

		if (rec.kind != SCAP_REC_EVENT) {
			state_add_record(st, &rec);
			continue;
		}
		mem = isolate_event(&rec.ev);
		nevents++;
		state_process(st, &rec.ev, &cx);
		if (cx.shown) {
			if (!outs[0]) /* made on first use: most inputs never get here */
				new_outputs(st, outs);
			output_event(outs[0], &cx, &buf);
			/* the printing thread's way must give the same line */
			memo.len = split.len = 0;
			output_prepare(st, &cx, &memo);
			output_render(outs[4], &rec.ev, cx.num, memo.data, memo.len, &split);
			if (split.len != buf.len || memcmp(split.data, buf.data, buf.len) != 0)
				abort();
			for (size_t i = 1; i < 4; i++)
				output_event(outs[i], &cx, &buf);
		}
		sbuf_reset(&buf);
		free(mem);
	}

	scap_reader_close(r);
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++)
		output_free(outs[i]);
	state_free(st);
	sbuf_release(&buf);
	sbuf_release(&memo);
	sbuf_release(&split);

	/* Only clean reads are rewritten: most inputs fail early, and file I/O is slow. */
	if (rc == SCAP_REC_EOF && nevents)
		check_rewrite(data, size, nevents);
	return 0;
}
