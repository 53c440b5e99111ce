/* scap_samples.h: sample metadata and events for the scap tests, their checks, a sample file. */

#ifndef SYSREC_TESTS_SCAP_SAMPLES_H
#define SYSREC_TESTS_SCAP_SAMPLES_H

#include "scap_fixtures.h"

static inline void ip4(uint8_t *dst, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	dst[0] = a;
	dst[1] = b;
	dst[2] = c;
	dst[3] = d;
}

static const struct scap_machine sample_machine = {
	.num_cpus = 8,
	.memory_bytes = 16ULL << 30,
	.max_pid = 4194304,
	.hostname = "testhost.example",
	.boot_ts = 1700000000123456789ULL,
};

#define NIFACES 4
static inline void sample_ifaces(struct scap_iface *f)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };
	static const uint8_t v6_ll[16] = { 0xfe, 0x80, [14] = 0x12, [15] = 0x34 };

	memset(f, 0, NIFACES * sizeof(*f));
	f[0].type = 1;
	ip4(f[0].addr, 127, 0, 0, 1);
	ip4(f[0].netmask, 255, 0, 0, 0);
	ip4(f[0].bcast, 127, 255, 255, 255);
	f[0].linkspeed = 0;
	f[0].name = (char *)"lo";
	f[1].type = 1;
	ip4(f[1].addr, 10, 0, 2, 15);
	ip4(f[1].netmask, 255, 255, 255, 0);
	ip4(f[1].bcast, 10, 0, 2, 255);
	f[1].linkspeed = 1000;
	f[1].name = (char *)"eth0";
	f[2].type = 2;
	memcpy(f[2].addr, v6_lo, 16);
	memset(f[2].netmask, 0xff, 16);
	f[2].linkspeed = 10000;
	f[2].name = (char *)"lo";
	f[3].type = 2;
	memcpy(f[3].addr, v6_ll, 16);
	memset(f[3].netmask, 0xff, 8);
	memset(f[3].bcast, 0xee, 16);
	f[3].linkspeed = UINT64_MAX;
	f[3].name = (char *)"enp0s31f6-with-a-longer-name";
}

static inline void check_ifaces(const struct scap_record *rec)
{
	struct scap_iface want[NIFACES];

	sample_ifaces(want);
	assert_int_equal(rec->kind, SCAP_REC_IFACES);
	assert_int_equal(rec->block_type, SCAP_BT_IL_V2);
	assert_int_equal(rec->nifaces, NIFACES);
	for (size_t i = 0; i < NIFACES; i++) {
		const struct scap_iface *g = &rec->ifaces[i];
		size_t alen = want[i].type == 2 ? 16 : 4;

		assert_int_equal(g->type, want[i].type);
		assert_memory_equal(g->addr, want[i].addr, alen);
		assert_memory_equal(g->netmask, want[i].netmask, alen);
		assert_memory_equal(g->bcast, want[i].bcast, alen);
		assert_true(g->linkspeed == want[i].linkspeed);
		assert_string_equal(g->name, want[i].name);
	}
}

#define NUSERS  3
#define NGROUPS 3
static const struct scap_user sample_users[NUSERS] = {
	{ 0, 0, (char *)"root", (char *)"/root", (char *)"/bin/bash" },
	{ 1000, 1001, (char *)"alice", (char *)"/home/alice", (char *)"/usr/bin/zsh" },
	{ 65534, 65534, (char *)"nobody", NULL, NULL },
};
static const struct scap_group sample_groups[NGROUPS] = {
	{ 0, (char *)"root" },
	{ 1001, (char *)"alice" },
	{ 27, (char *)"sudo" },
};

static inline void check_users(const struct scap_record *rec)
{
	assert_int_equal(rec->kind, SCAP_REC_USERS);
	assert_int_equal(rec->block_type, SCAP_BT_UL_V2);
	assert_int_equal(rec->nusers, NUSERS);
	assert_int_equal(rec->ngroups, NGROUPS);
	for (size_t i = 0; i < NUSERS; i++) {
		assert_int_equal(rec->users[i].uid, sample_users[i].uid);
		assert_int_equal(rec->users[i].gid, sample_users[i].gid);
		assert_string_equal(rec->users[i].name, sample_users[i].name);
		assert_string_equal(rec->users[i].homedir,
		                    sample_users[i].homedir ? sample_users[i].homedir : "");
		assert_string_equal(rec->users[i].shell, sample_users[i].shell ? sample_users[i].shell : "");
	}
	for (size_t i = 0; i < NGROUPS; i++) {
		assert_int_equal(rec->groups[i].gid, sample_groups[i].gid);
		assert_string_equal(rec->groups[i].name, sample_groups[i].name);
	}
}

/* Lists with embedded NULs (an empty argument, NUL-separated entries). */
static const char p0_args[] = "splash\0--system\0";
static const char p0_env[] = "HOME=/\0TERM=linux\0";
static const char p0_cg[] = "cpu=/\0memory=/init.scope\0";
static const char p1_args[] = "-s\0\0http://example.com/\0";
static const char p1_env[] = "A=1\0\0B=\0PATH=/usr/bin:/bin\0";
static const char p1_cg[] = "cpu=/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\0"
                            "memory=/docker/x\0";

#define NPROCS 2
static inline void sample_procs(struct scap_proc *p)
{
	memset(p, 0, NPROCS * sizeof(*p));
	p[0] = (struct scap_proc){
		.tid = 1,
		.pid = 1,
		.ptid = 0,
		.sid = 1,
		.vpgid = 1,
		.comm = (char *)"systemd",
		.exe = (char *)"/sbin/init",
		.exepath = (char *)"/usr/lib/systemd/systemd",
		.cwd = (char *)"/",
		.root = (char *)"/",
		.args = (char *)p0_args,
		.args_len = sizeof(p0_args) - 1,
		.env = (char *)p0_env,
		.env_len = sizeof(p0_env) - 1,
		.cgroups = (char *)p0_cg,
		.cgroups_len = sizeof(p0_cg) - 1,
		.fdlimit = 1024,
		.flags = 0,
		.uid = 0,
		.gid = 0,
		.vmsize_kb = 170000,
		.vmrss_kb = 12000,
		.vmswap_kb = 0,
		.pfmajor = 12,
		.pfminor = 345678,
		.vtid = 1,
		.vpid = 1,
		.loginuid = UINT32_MAX,
		.exe_writable = 0,
		.has_caps = false,
	};
	p[1] = (struct scap_proc){
		.tid = 1235,
		.pid = 1234,
		.ptid = 1,
		.sid = 1000,
		.vpgid = 1234,
		.comm = (char *)"curl",
		.exe = (char *)"curl",
		.exepath = (char *)"/usr/bin/curl",
		.cwd = (char *)"/home/alice",
		.root = (char *)"/var/chroot",
		.args = (char *)p1_args,
		.args_len = sizeof(p1_args) - 1,
		.env = (char *)p1_env,
		.env_len = sizeof(p1_env) - 1,
		.cgroups = (char *)p1_cg,
		.cgroups_len = sizeof(p1_cg) - 1,
		.fdlimit = -1,
		.flags = 0x2001,
		.uid = 1000,
		.gid = 1001,
		.vmsize_kb = 1,
		.vmrss_kb = 2,
		.vmswap_kb = 3,
		.pfmajor = UINT64_MAX,
		.pfminor = 5,
		.vtid = 35,
		.vpid = 34,
		.loginuid = 1000,
		.exe_writable = 1,
		.has_caps = true,
		.cap_inheritable = 0,
		.cap_permitted = 0x1ffffffffffULL,
		.cap_effective = 0x3000,
	};
}

static inline void check_proc(const struct scap_proc *g, const struct scap_proc *w)
{
	assert_true(g->tid == w->tid);
	assert_true(g->pid == w->pid);
	assert_true(g->ptid == w->ptid);
	assert_true(g->sid == w->sid);
	assert_true(g->vpgid == w->vpgid);
	assert_string_equal(g->comm, w->comm);
	assert_string_equal(g->exe, w->exe);
	assert_string_equal(g->exepath, w->exepath);
	assert_string_equal(g->cwd, w->cwd);
	assert_string_equal(g->root, w->root);
	assert_int_equal(g->args_len, w->args_len);
	assert_memory_equal(g->args, w->args, w->args_len);
	assert_int_equal(g->env_len, w->env_len);
	assert_memory_equal(g->env, w->env, w->env_len);
	assert_int_equal(g->cgroups_len, w->cgroups_len);
	assert_memory_equal(g->cgroups, w->cgroups, w->cgroups_len);
	assert_true(g->fdlimit == w->fdlimit);
	assert_int_equal(g->flags, w->flags);
	assert_int_equal(g->uid, w->uid);
	assert_int_equal(g->gid, w->gid);
	assert_int_equal(g->vmsize_kb, w->vmsize_kb);
	assert_int_equal(g->vmrss_kb, w->vmrss_kb);
	assert_int_equal(g->vmswap_kb, w->vmswap_kb);
	assert_true(g->pfmajor == w->pfmajor);
	assert_true(g->pfminor == w->pfminor);
	assert_true(g->vtid == w->vtid);
	assert_true(g->vpid == w->vpid);
	assert_int_equal(g->loginuid, w->loginuid);
	assert_int_equal(g->exe_writable, w->exe_writable);
	assert_int_equal(g->has_caps, w->has_caps);
	assert_true(g->cap_inheritable == w->cap_inheritable);
	assert_true(g->cap_permitted == w->cap_permitted);
	assert_true(g->cap_effective == w->cap_effective);
}

static inline void check_procs(const struct scap_record *rec)
{
	struct scap_proc want[NPROCS];

	sample_procs(want);
	assert_int_equal(rec->kind, SCAP_REC_PROCS);
	assert_int_equal(rec->block_type, SCAP_BT_PL_V9);
	assert_int_equal(rec->nprocs, NPROCS);
	for (size_t i = 0; i < NPROCS; i++)
		check_proc(&rec->procs[i], &want[i]);
}

#define NFDS 16
static inline void sample_fds(struct scap_fd *f)
{
	static const uint8_t v6a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
	static const uint8_t v6b[16] = { 0x2a, 0x00, 0x14, 0x50, [14] = 0x20, [15] = 0x0e };
	int i = 0;

	memset(f, 0, NFDS * sizeof(*f));
	f[i++] = (struct scap_fd){ .fd = 0, .ino = 11, .type = SCAP_FD_FILE, .name = (char *)"/dev/pts/0" };
	f[i++] = (struct scap_fd){
		.fd = 1, .ino = 12, .type = SCAP_FD_DIRECTORY, .name = (char *)"/home/alice"
	};
	f[i] = (struct scap_fd){ .fd = 2,
		                 .ino = 13,
		                 .type = SCAP_FD_IPV4_SOCK,
		                 .l4proto = SCAP_L4_TCP,
		                 .sport = 47192,
		                 .dport = 80,
		                 .name = (char *)"" };
	ip4(f[i].sip, 10, 0, 2, 15);
	ip4(f[i++].dip, 93, 184, 216, 34);
	f[i] = (struct scap_fd){ .fd = 3,
		                 .ino = 14,
		                 .type = SCAP_FD_IPV6_SOCK,
		                 .l4proto = SCAP_L4_UDP,
		                 .sport = 5353,
		                 .dport = 53,
		                 .name = (char *)"" };
	memcpy(f[i].sip, v6a, 16);
	memcpy(f[i++].dip, v6b, 16);
	f[i] = (struct scap_fd){ .fd = 4,
		                 .ino = 15,
		                 .type = SCAP_FD_IPV4_SERVSOCK,
		                 .l4proto = SCAP_L4_TCP,
		                 .sport = 22,
		                 .name = (char *)"" };
	ip4(f[i++].sip, 0, 0, 0, 0);
	f[i] = (struct scap_fd){ .fd = 5,
		                 .ino = 16,
		                 .type = SCAP_FD_IPV6_SERVSOCK,
		                 .l4proto = SCAP_L4_TCP,
		                 .sport = 443,
		                 .name = (char *)"" };
	memcpy(f[i++].sip, v6a, 16);
	f[i++] = (struct scap_fd){ .fd = 6, .ino = 487, .type = SCAP_FD_FIFO, .name = (char *)"pipe:[487]" };
	f[i++] = (struct scap_fd){ .fd = 7,
		                   .ino = 18,
		                   .type = SCAP_FD_UNIX_SOCK,
		                   .usrc = 0xffff888001234567ULL,
		                   .udst = 0xffff888007654321ULL,
		                   .name = (char *)"/run/systemd/journal/stdout" };
	f[i++] = (struct scap_fd){
		.fd = 8, .ino = 19, .type = SCAP_FD_EVENT, .name = (char *)"anon_inode:[eventfd]"
	};
	f[i++] = (struct scap_fd){
		.fd = 9, .ino = 20, .type = SCAP_FD_UNSUPPORTED, .name = (char *)"anon_inode:[bpf-map]"
	};
	f[i++] = (struct scap_fd){
		.fd = 10, .ino = 21, .type = SCAP_FD_SIGNALFD, .name = (char *)"anon_inode:[signalfd]"
	};
	f[i++] = (struct scap_fd){
		.fd = 11, .ino = 22, .type = SCAP_FD_EVENTPOLL, .name = (char *)"anon_inode:[eventpoll]"
	};
	f[i++] = (struct scap_fd){
		.fd = 12, .ino = 23, .type = SCAP_FD_INOTIFY, .name = (char *)"anon_inode:inotify"
	};
	f[i++] = (struct scap_fd){
		.fd = 13, .ino = 24, .type = SCAP_FD_TIMERFD, .name = (char *)"anon_inode:[timerfd]"
	};
	f[i++] = (struct scap_fd){ .fd = 14, .ino = 25, .type = SCAP_FD_NETLINK, .name = (char *)"" };
	f[i++] = (struct scap_fd){ .fd = 1023,
		                   .ino = 26,
		                   .type = SCAP_FD_FILE_V2,
		                   .open_flags = 0x1002,
		                   .dev = 0x803,
		                   .has_dev = true,
		                   .name = (char *)"/var/log/app.log" };
	assert_int_equal(i, NFDS);
}

static inline void check_fds(const struct scap_record *rec)
{
	struct scap_fd want[NFDS];

	sample_fds(want);
	assert_int_equal(rec->kind, SCAP_REC_FDS);
	assert_int_equal(rec->block_type, SCAP_BT_FDL_V2);
	assert_true(rec->fds_tid == 1235);
	assert_int_equal(rec->nfds, NFDS);
	for (size_t i = 0; i < NFDS; i++) {
		const struct scap_fd *g = &rec->fds[i], *w = &want[i];

		assert_true(g->fd == w->fd);
		assert_true(g->ino == w->ino);
		assert_int_equal(g->type, w->type);
		assert_int_equal(g->l4proto, w->l4proto);
		assert_int_equal(g->has_dev, w->has_dev);
		assert_int_equal(g->open_flags, w->open_flags);
		assert_int_equal(g->dev, w->dev);
		assert_memory_equal(g->sip, w->sip, 16);
		assert_memory_equal(g->dip, w->dip, 16);
		assert_int_equal(g->sport, w->sport);
		assert_int_equal(g->dport, w->dport);
		assert_true(g->usrc == w->usrc);
		assert_true(g->udst == w->udst);
		assert_string_equal(g->name, w->name);
	}
}

static inline void check_machine(const struct scap_record *rec)
{
	assert_int_equal(rec->kind, SCAP_REC_MACHINE);
	assert_int_equal(rec->block_type, SCAP_BT_MI);
	assert_int_equal(rec->machine.num_cpus, sample_machine.num_cpus);
	assert_true(rec->machine.memory_bytes == sample_machine.memory_bytes);
	assert_true(rec->machine.max_pid == sample_machine.max_pid);
	assert_string_equal(rec->machine.hostname, sample_machine.hostname);
	assert_true(rec->machine.boot_ts == sample_machine.boot_ts);
}

/* One test event: its header fields, block cpu/flags and parameters. */
#define TEV_MAXP 40
struct tev {
	uint64_t ts;
	int64_t tid;
	uint16_t type;
	uint16_t cpu;
	uint32_t flags;
	uint32_t n;
	const void *vals[TEV_MAXP];
	uint32_t lens[TEV_MAXP];
};

static inline uint32_t tev_len(const struct tev *t)
{
	uint32_t len = EVENT_HDR_V2 + t->n * event_len_width(t->type);

	for (uint32_t i = 0; i < t->n; i++)
		len += t->lens[i];
	return len;
}

static inline void tev_write(struct scap_writer *w, const struct tev *t)
{
	struct sbuf b;
	uint32_t len;

	sbuf_init(&b, 64);
	len = scap_encode_event(&b, t->ts, t->tid, t->type, t->n, t->vals, t->lens);
	assert_int_equal(len, tev_len(t));
	assert_int_equal(b.len, len);
	scap_writer_event_bytes(w, t->cpu, t->flags, (const uint8_t *)b.data, len);
	sbuf_release(&b);
}

/* Every field of an event record against what was written. */
static inline void tev_check(const struct scap_record *rec, const struct tev *t, uint32_t bt)
{
	const struct event *ev = &rec->ev;
	unsigned width = event_len_width(t->type);
	uint32_t len = tev_len(t);

	assert_int_equal(rec->kind, SCAP_REC_EVENT);
	assert_int_equal(rec->block_type, bt);
	assert_true(ev->ts == t->ts);
	assert_true(ev->tid == t->tid);
	assert_int_equal(ev->type, t->type);
	assert_int_equal(ev->cpu, t->cpu);
	assert_int_equal(ev->dump_flags, t->flags);
	assert_int_equal(ev->version, 2);
	assert_int_equal(ev->nparams, t->n);
	assert_int_equal(ev->nvals, t->n);
	assert_int_equal(ev->len, len);
	assert_int_equal(ev->raw_len, len);
	/* the raw v2 layout: header, then lengths of the event type's width */
	assert_true(load_u64(ev->raw) == t->ts);
	assert_int_equal(load_u32(ev->raw + 16), len);
	assert_int_equal(load_u16(ev->raw + 20), t->type);
	assert_int_equal(load_u32(ev->raw + 22), t->n);
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t l = width == 4 ? load_u32(ev->raw + 26 + 4 * i) : load_u16(ev->raw + 26 + 2 * i);

		assert_int_equal(l, t->lens[i]);
		assert_int_equal(ev->vlen[i], t->lens[i]);
		if (t->lens[i])
			assert_memory_equal(ev->val[i], t->vals[i], t->lens[i]);
	}
}

/* The sample events: openat pair, read exit with binary data, a 0-param
 * enter, an empty parameter, the widest cpu, a negative tid. */
static const int64_t v_fd3 = 3, v_cwd = -100, v_res12 = 12;
static const uint32_t v_oflags = 0x1001, v_mode0 = 0, v_dev = 0x803, v_size = 4096;
static const char v_path[] = "/etc/hosts";
static const uint8_t v_data[12] = { '1', '2', '7', 0, 1, 0xff, '\n', 'l', 'o', 0, 0, 'x' };

#define NSAMPLE_EVENTS 6
static inline void sample_events(struct tev *t)
{
	memset(t, 0, NSAMPLE_EVENTS * sizeof(*t));
	t[0] = (struct tev){ .ts = 1700000000000000001ULL,
		             .tid = 1235,
		             .type = 306,
		             .cpu = 0,
		             .n = 4,
		             .vals = { &v_cwd, v_path, &v_oflags, &v_mode0 },
		             .lens = { 8, sizeof(v_path), 4, 4 } };
	t[1] = (struct tev){ .ts = 1700000000000000002ULL,
		             .tid = 1235,
		             .type = 307,
		             .cpu = 3,
		             .n = 6,
		             .vals = { &v_fd3, &v_cwd, v_path, &v_oflags, &v_mode0, &v_dev },
		             .lens = { 8, 8, sizeof(v_path), 4, 4, 4 } };
	t[2] = (struct tev){ .ts = 1700000000000000003ULL,
		             .tid = 1235,
		             .type = 6,
		             .cpu = 3,
		             .n = 2,
		             .vals = { &v_fd3, &v_size },
		             .lens = { 8, 4 } };
	t[3] = (struct tev){ .ts = 1700000000000000004ULL,
		             .tid = 1235,
		             .type = 7,
		             .cpu = 65535,
		             .n = 2,
		             .vals = { &v_res12, v_data },
		             .lens = { 8, sizeof(v_data) } };
	t[4] = (struct tev){ .ts = 1700000000000000005ULL, .tid = -1, .type = 222, .cpu = 1, .n = 0 };
	/* sendto enter with a 0-length tuple */
	t[5] = (struct tev){ .ts = 1700000000000000006ULL,
		             .tid = 1,
		             .type = 30,
		             .cpu = 2,
		             .n = 3,
		             .vals = { &v_fd3, &v_size, "" },
		             .lens = { 8, 4, 0 } };
}

enum { W_MI = 1, W_IL = 2, W_UL = 4, W_PL = 8, W_FDL = 16, W_ALL = 31 };

static inline void write_sample(const char *path, bool gz, unsigned what)
{
	struct scap_writer *w = open_writer(path, gz);
	struct scap_iface ifs[NIFACES];
	struct scap_proc procs[NPROCS];
	struct scap_fd fds[NFDS];
	struct tev evs[NSAMPLE_EVENTS];

	sample_ifaces(ifs);
	sample_procs(procs);
	sample_fds(fds);
	sample_events(evs);
	scap_writer_section(w);
	if (what & W_MI)
		scap_writer_machine(w, &sample_machine);
	if (what & W_IL)
		scap_writer_ifaces(w, ifs, NIFACES);
	if (what & W_UL)
		scap_writer_users(w, sample_users, NUSERS, sample_groups, NGROUPS);
	if (what & W_PL)
		scap_writer_procs(w, procs, NPROCS);
	if (what & W_FDL)
		scap_writer_fds(w, 1235, fds, NFDS);
	for (int i = 0; i < NSAMPLE_EVENTS; i++)
		tev_write(w, &evs[i]);
	assert_int_equal(scap_writer_events(w), NSAMPLE_EVENTS);
	close_writer_ok(w);
}

static inline void check_sample(const char *path, unsigned what)
{
	struct scap_reader *r = open_ok(path);
	struct scap_record rec;
	struct tev evs[NSAMPLE_EVENTS];

	sample_events(evs);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(rec.block_type, SCAP_BT_SHB);
	assert_int_equal(rec.offset, 0);
	if (what & W_MI) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
		assert_int_equal(rec.offset, 28);
		check_machine(&rec);
	}
	if (what & W_IL) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_IFACES);
		check_ifaces(&rec);
	}
	if (what & W_UL) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_USERS);
		check_users(&rec);
	}
	if (what & W_PL) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
		check_procs(&rec);
	}
	if (what & W_FDL) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_FDS);
		check_fds(&rec);
	}
	for (int i = 0; i < NSAMPLE_EVENTS; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], SCAP_BT_EV_V2);
	}
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	/* EOF is sticky */
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
}

#endif
