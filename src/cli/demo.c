/* demo: `sysrec demo -w FILE`, a small capture built with the writer (make run). */
#include "cli.h"

#include "../common/common.h"
#include "../scap/scap.h"

#include <stdio.h>
#include <string.h>

struct evb {
	struct sbuf buf;
	uint64_t ts;
	const void *vals[EVENT_MAX_PARAMS];
	uint32_t lens[EVENT_MAX_PARAMS];
	uint8_t store[EVENT_MAX_PARAMS][16];
	uint32_t n;
};

static void p_bytes(struct evb *b, const void *p, uint32_t n)
{
	b->vals[b->n] = p;
	b->lens[b->n++] = n;
}

static void p_str(struct evb *b, const char *s)
{
	p_bytes(b, s, (uint32_t)strlen(s) + 1);
}

static void p_num(struct evb *b, uint64_t v, uint32_t size)
{
	memcpy(b->store[b->n], &v, size);
	p_bytes(b, b->store[b->n], size);
}

/* Encode the parameters gathered in b as one event, 1 us after the previous one. */
static void emit(struct scap_writer *w, struct evb *b, int64_t tid, uint16_t type)
{
	b->ts += 1000;
	sbuf_reset(&b->buf);
	scap_encode_event(&b->buf, b->ts, tid, type, b->n, b->vals, b->lens);
	scap_writer_event_bytes(w, 0, 0, (const uint8_t *)b->buf.data, (uint32_t)b->buf.len);
	b->n = 0;
}

int cmd_demo(int argc, char **argv)
{
	const char *path = argc == 3 && !strcmp(argv[1], "-w") ? argv[2] : NULL;
	struct err e;
	struct scap_writer *w;
	struct evb b = {0};
	struct scap_machine mi = {.num_cpus = 2, .memory_bytes = 8ULL << 30, .max_pid = 4194304};
	struct scap_user users[] = {{0, 0, "root", "/root", "/bin/bash"}};
	struct scap_group groups[] = {{0, "root"}};
	struct scap_proc p = {0};
	struct scap_fd fd = {0};
	static const char args[] = "/etc/passwd";
	static const char env[] = "HOME=/root\0PATH=/usr/bin";
	static const char cg[] = "cpu=/\0memory=/user.slice";
	static const uint8_t addr[] = {2, 93, 184, 216, 34, 80, 0};
	static const uint8_t tuple[] = {2, 10, 0, 0, 5, 0xca, 0xa8, 93, 184, 216, 34, 80, 0};
	static const char data[] = "root:x:0:0:root:/root:/bin/bash\n";
	const int64_t tid = 4242;

	if (!path) {
		fprintf(stderr, "usage: sysrec demo -w FILE\n");
		return 2;
	}
	w = scap_writer_open(path, false, &e);
	if (!w) {
		fprintf(stderr, "sysrec demo: %s\n", e.msg);
		return 1;
	}
	sbuf_init(&b.buf, 1024);
	b.ts = 1700000000ULL * 1000000000ULL;
	strcpy(mi.hostname, "sysrec-demo");
	p.tid = p.pid = p.sid = p.vpgid = (uint64_t)tid;
	p.ptid = 1000;
	p.comm = "bash";
	p.exe = "/bin/bash";
	p.exepath = "/usr/bin/bash";
	p.args = "";
	p.cwd = "/root/";
	p.root = "/";
	p.fdlimit = 1024;
	p.vmsize_kb = 8000;
	p.vmrss_kb = 3000;
	p.env = (char *)"HOME=/root";
	p.env_len = sizeof("HOME=/root");
	p.cgroups = (char *)cg;
	p.cgroups_len = sizeof(cg);
	p.vtid = p.vpid = tid;
	fd.fd = 4;
	fd.ino = 123456;
	fd.type = SCAP_FD_IPV4_SOCK;
	fd.l4proto = SCAP_L4_TCP;
	fd.name = "";

	scap_writer_section(w);
	scap_writer_machine(w, &mi);
	scap_writer_users(w, users, 1, groups, 1);
	scap_writer_procs(w, &p, 1);
	scap_writer_fds(w, (uint64_t)tid, &fd, 1);

	p_str(&b, "/usr/bin/cat");
	emit(w, &b, tid, 292);
	p_num(&b, 0, 8), p_str(&b, "cat"), p_bytes(&b, args, sizeof(args));
	p_num(&b, (uint64_t)tid, 8), p_num(&b, (uint64_t)tid, 8), p_num(&b, 1000, 8), p_str(&b, "");
	p_num(&b, 1024, 8), p_num(&b, 0, 8), p_num(&b, 12, 8), p_num(&b, 8000, 4), p_num(&b, 3000, 4);
	p_num(&b, 0, 4), p_str(&b, "cat"), p_bytes(&b, cg, sizeof(cg)), p_bytes(&b, env, sizeof(env));
	p_num(&b, 34816, 4), p_num(&b, (uint64_t)tid, 8), p_num(&b, 0, 4), p_num(&b, 0, 4);
	emit(w, &b, tid, 293);
	p_num(&b, (uint64_t)-100, 8), p_str(&b, "/etc/passwd"), p_num(&b, 0x1001, 4), p_num(&b, 0, 4);
	emit(w, &b, tid, 306);
	p_num(&b, 3, 8), p_num(&b, (uint64_t)-100, 8), p_str(&b, "/etc/passwd"), p_num(&b, 0x1001, 4);
	p_num(&b, 0, 4), p_num(&b, 0x803, 4);
	emit(w, &b, tid, 307);
	p_num(&b, 3, 8), p_num(&b, 4096, 4);
	emit(w, &b, tid, 6);
	p_num(&b, sizeof(data) - 1, 8), p_bytes(&b, data, sizeof(data) - 1);
	emit(w, &b, tid, 7);
	p_num(&b, 4, 8), p_bytes(&b, addr, sizeof(addr));
	emit(w, &b, tid, 22);
	p_num(&b, 0, 8), p_bytes(&b, tuple, sizeof(tuple));
	emit(w, &b, tid, 23);
	p_num(&b, 0, 8), p_num(&b, 0, 8), p_num(&b, 0, 1), p_num(&b, 0, 1);
	emit(w, &b, tid, 186);

	sbuf_release(&b.buf);
	if (scap_writer_close(w, &e)) {
		fprintf(stderr, "sysrec demo: %s\n", e.msg);
		return 1;
	}
	return 0;
}
