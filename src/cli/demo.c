/* demo: `sysrec demo -w FILE`, a small capture built with the writer (make run). */
#include "cli.h"

#include "../common/common.h"
#include "../scap/scap.h"

#include <stdio.h>
#include <string.h>

#define DEMO_TID 4242

/* Write the gathered event for the demo thread, 1 us after the previous one. */
static void emit(struct scap_writer *w, struct scap_evb *b, uint64_t *ts, uint16_t type)
{
	*ts += 1000;
	scap_evb_write(b, w, 0, *ts, DEMO_TID, type);
}

int cmd_demo(int argc, char **argv)
{
	const char *path = argc == 3 && !strcmp(argv[1], "-w") ? argv[2] : NULL;
	struct err e;
	struct scap_writer *w;
	struct scap_evb b;
	uint64_t ts = 1700000000ULL * 1000000000ULL;
	struct scap_machine mi = { .num_cpus = 2, .memory_bytes = 8ULL << 30, .max_pid = 4194304 };
	struct scap_user users[] = { { 0, 0, "root", "/root", "/bin/bash" } };
	struct scap_group groups[] = { { 0, "root" } };
	struct scap_proc p = { 0 };
	struct scap_fd fd = { 0 };
	static const char args[] = "/etc/passwd";
	static const char env[] = "HOME=/root\0PATH=/usr/bin";
	static const char cg[] = "cpu=/\0memory=/user.slice";
	static const uint8_t addr[] = { 2, 93, 184, 216, 34, 80, 0 };
	static const uint8_t tuple[] = { 2, 10, 0, 0, 5, 0xca, 0xa8, 93, 184, 216, 34, 80, 0 };
	static const char data[] = "root:x:0:0:root:/root:/bin/bash\n";
	const int64_t tid = DEMO_TID;

	if (!path) {
		fprintf(stderr, "usage: sysrec demo -w FILE\n");
		return 2;
	}
	w = scap_writer_open(path, false, &e);
	if (!w) {
		fprintf(stderr, "sysrec demo: %s\n", e.msg);
		return 1;
	}
	scap_evb_init(&b);
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

	scap_evb_str(&b, "/usr/bin/cat");
	emit(w, &b, &ts, 292);
	scap_evb_num(&b, 0, 8), scap_evb_str(&b, "cat"), scap_evb_bytes(&b, args, sizeof(args));
	scap_evb_num(&b, (uint64_t)tid, 8), scap_evb_num(&b, (uint64_t)tid, 8), scap_evb_num(&b, 1000, 8),
	        scap_evb_str(&b, "");
	scap_evb_num(&b, 1024, 8), scap_evb_num(&b, 0, 8), scap_evb_num(&b, 12, 8), scap_evb_num(&b, 8000, 4),
	        scap_evb_num(&b, 3000, 4);
	scap_evb_num(&b, 0, 4), scap_evb_str(&b, "cat"), scap_evb_bytes(&b, cg, sizeof(cg)),
	        scap_evb_bytes(&b, env, sizeof(env));
	scap_evb_num(&b, 34816, 4), scap_evb_num(&b, (uint64_t)tid, 8), scap_evb_num(&b, 0, 4),
	        scap_evb_num(&b, 0, 4);
	emit(w, &b, &ts, 293);
	scap_evb_num(&b, (uint64_t)-100, 8), scap_evb_str(&b, "/etc/passwd"), scap_evb_num(&b, 0x1001, 4),
	        scap_evb_num(&b, 0, 4);
	emit(w, &b, &ts, 306);
	scap_evb_num(&b, 3, 8), scap_evb_num(&b, (uint64_t)-100, 8), scap_evb_str(&b, "/etc/passwd"),
	        scap_evb_num(&b, 0x1001, 4);
	scap_evb_num(&b, 0, 4), scap_evb_num(&b, 0x803, 4);
	emit(w, &b, &ts, 307);
	scap_evb_num(&b, 3, 8), scap_evb_num(&b, 4096, 4);
	emit(w, &b, &ts, 6);
	scap_evb_num(&b, sizeof(data) - 1, 8), scap_evb_bytes(&b, data, sizeof(data) - 1);
	emit(w, &b, &ts, 7);
	scap_evb_num(&b, 4, 8), scap_evb_bytes(&b, addr, sizeof(addr));
	emit(w, &b, &ts, 22);
	scap_evb_num(&b, 0, 8), scap_evb_bytes(&b, tuple, sizeof(tuple));
	emit(w, &b, &ts, 23);
	scap_evb_num(&b, 0, 8), scap_evb_num(&b, 0, 8), scap_evb_num(&b, 0, 1), scap_evb_num(&b, 0, 1);
	emit(w, &b, &ts, 186);

	scap_evb_release(&b);
	if (scap_writer_close(w, &e)) {
		fprintf(stderr, "sysrec demo: %s\n", e.msg);
		return 1;
	}
	return 0;
}
