/*
 * test_scap: the .scap writer and reader (docs/scap-format.md, sections 1-8).
 *
 *  - round trips of every block the writer emits (SHB, MI, IL_V2, UL_V2, PL_V9,
 *    FDL_V2, EV_V2, EVF_V2, EV_V2_LARGE/EVF_V2_LARGE) in raw and gzip form;
 *  - old layouts built by hand (v1 event blocks, PL_V1/V5/V6/V8);
 *  - malformed files built in-test as byte arrays, each refused with a message
 *    naming the defect and its byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/scap/scap.h"

/* ------------------------------------------------------------------ helpers */

static char g_dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/sysrec-test-scap-XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(g_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void tmp_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", g_dir, name);
}

static void p8(struct sbuf *b, uint8_t v)
{
	sbuf_put(b, &v, 1);
}
static void p16(struct sbuf *b, uint16_t v)
{
	sbuf_put(b, &v, 2);
}
static void p32(struct sbuf *b, uint32_t v)
{
	sbuf_put(b, &v, 4);
}
static void p64(struct sbuf *b, uint64_t v)
{
	sbuf_put(b, &v, 8);
}
/* u16 length + bytes (metadata string, no NUL) */
static void plstr(struct sbuf *b, const char *s, size_t n)
{
	p16(b, (uint16_t)n);
	sbuf_put(b, s, n);
}
static void pstr(struct sbuf *b, const char *s)
{
	plstr(b, s, strlen(s));
}

/* Start a block; returns its start for blk_end(). */
static size_t blk_begin(struct sbuf *b, uint32_t type)
{
	size_t at = b->len;

	p32(b, type);
	p32(b, 0);
	return at;
}

/* Pad to 4, patch the header length and append the trailer. */
static void blk_end(struct sbuf *b, size_t at)
{
	static const char zeros[4];
	uint32_t total;

	sbuf_put(b, zeros, (4 - (b->len - at) % 4) % 4);
	total = (uint32_t)(b->len - at + 4);
	memcpy(b->data + at + 4, &total, 4);
	p32(b, total);
}

static void add_shb(struct sbuf *b)
{
	size_t at = blk_begin(b, SCAP_BT_SHB);

	p32(b, SCAP_SHB_MAGIC);
	p16(b, 1);
	p16(b, 2);
	p64(b, UINT64_MAX);
	blk_end(b, at);
}

/* An event block around an already encoded event. */
static void add_event_block(struct sbuf *b, uint32_t bt, uint16_t cpu, uint32_t flags, const void *ev,
                            size_t len)
{
	size_t at = blk_begin(b, bt);

	p16(b, cpu);
	if (bt == SCAP_BT_EVF || bt == SCAP_BT_EVF_V2 || bt == SCAP_BT_EVF_V2_LARGE)
		p32(b, flags);
	sbuf_put(b, ev, len);
	blk_end(b, at);
}

/* A valid close exit (type 5, res=0) in an EV_V2 block. */
static void add_close_event(struct sbuf *b, uint64_t ts)
{
	struct sbuf e;
	int64_t res = 0;
	const void *v[] = { &res };
	uint32_t l[] = { 8 };
	uint32_t len;

	sbuf_init(&e, 64);
	len = scap_encode_event(&e, ts, 100, 5, 1, v, l);
	add_event_block(b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
}

static void write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t off = 0;

	assert_true(fd >= 0);
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(close(fd), 0);
}

static void read_whole(const char *path, struct sbuf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	assert_true(fd >= 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sbuf_put(out, buf, (size_t)n);
	assert_int_equal(n, 0);
	close(fd);
}

/* A reader over bytes held in memory (memfd); the reader owns the fd. */
static struct scap_reader *open_bytes(const void *p, size_t n, struct err *e)
{
	int fd = memfd_create("scap-fixture", MFD_CLOEXEC);
	size_t off = 0;

	assert_true(fd >= 0);
	while (off < n) {
		ssize_t w = write(fd, (const char *)p + off, n - off);

		assert_true(w > 0);
		off += (size_t)w;
	}
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return scap_reader_open_fd(fd, e);
}

/* True if msg contains "offset <off>" not followed by another digit. */
static bool names_offset(const char *msg, uint64_t off)
{
	char want[48];
	const char *p = msg;
	size_t wl;

	snprintf(want, sizeof(want), "offset %llu", (unsigned long long)off);
	wl = strlen(want);
	while ((p = strstr(p, want)) != NULL) {
		if (p[wl] < '0' || p[wl] > '9')
			return true;
		p += wl;
	}
	return false;
}

/* What reading a capture to its end gave: the last return, the records before it, the message. */
struct outcome {
	int rc, n;
	char msg[512];
};

/* Read every record, then close the reader (before any assertion can fire). */
static void read_to_end(struct scap_reader *r, struct outcome *o)
{
	struct scap_record rec;
	struct err e = { { 0 } };

	memset(o, 0, sizeof(*o));
	o->rc = -1;
	if (!r) {
		snprintf(o->msg, sizeof(o->msg), "cannot open");
		return;
	}
	memset(&rec, 0, sizeof(rec));
	while ((o->rc = scap_reader_next(r, &rec, &e)) > 0)
		o->n++;
	memcpy(o->msg, e.msg, sizeof(o->msg));
	scap_reader_close(r);
}

/*
 * Expect `ok` successful records, then a refusal (negative return) whose
 * message contains `want` and, when off >= 0, names byte offset `off`.
 */
static void assert_refused(const struct outcome *o, int ok, const char *want, long long off)
{
	if (o->rc >= 0 || o->n != ok || !strstr(o->msg, want) ||
	    (off >= 0 && !names_offset(o->msg, (uint64_t)off)))
		print_error("rc=%d after %d records, message \"%s\"; wanted \"%s\" at offset %lld after %d "
		            "records\n",
		            o->rc, o->n, o->msg, want, off, ok);
	assert_true(o->rc < 0);
	assert_int_equal(o->n, ok);
	assert_non_null(strstr(o->msg, want));
	if (off >= 0)
		assert_true(names_offset(o->msg, (uint64_t)off));
}

static void expect_refused_reader(struct scap_reader *r, int ok, const char *want, long long off)
{
	struct outcome o;

	read_to_end(r, &o);
	assert_refused(&o, ok, want, off);
}

/* Read the fixture in b (released here, before asserting) and expect a refusal. */
static void expect_refused(struct sbuf *b, int ok, const char *want, long long off)
{
	struct err e = { { 0 } };
	struct outcome o;

	read_to_end(open_bytes(b->data, b->len, &e), &o);
	sbuf_release(b);
	assert_refused(&o, ok, want, off);
}

/* As expect_refused(), for a file that ends inside a block: -ENODATA (cut short, or still being written). */
static void expect_cut_short(struct sbuf *b, int ok, const char *want, long long off)
{
	struct err e = { { 0 } };
	struct outcome o;

	read_to_end(open_bytes(b->data, b->len, &e), &o);
	sbuf_release(b);
	assert_refused(&o, ok, want, off);
	assert_int_equal(o.rc, -ENODATA);
}

/* Read the whole capture and return the record kinds seen (terminated by EOF). */
static int read_kinds(struct scap_reader *r, int *kinds, int max, struct err *e)
{
	struct scap_record rec;
	int rc, n = 0;

	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(r, &rec, e)) > 0) {
		if (n < max)
			kinds[n] = rc;
		n++;
	}
	if (rc < 0)
		return rc;
	return n;
}

/* --------------------------------------------------------- sample content */

static void ip4(uint8_t *dst, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
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
static void sample_ifaces(struct scap_iface *f)
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

static void check_ifaces(const struct scap_record *rec)
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

static void check_users(const struct scap_record *rec)
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
static void sample_procs(struct scap_proc *p)
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

static void check_proc(const struct scap_proc *g, const struct scap_proc *w)
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

static void check_procs(const struct scap_record *rec)
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
static void sample_fds(struct scap_fd *f)
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

static void check_fds(const struct scap_record *rec)
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

static void check_machine(const struct scap_record *rec)
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

static uint32_t tev_len(const struct tev *t)
{
	uint32_t len = EVENT_HDR_V2 + t->n * event_len_width(t->type);

	for (uint32_t i = 0; i < t->n; i++)
		len += t->lens[i];
	return len;
}

static void tev_write(struct scap_writer *w, const struct tev *t)
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
static void tev_check(const struct scap_record *rec, const struct tev *t, uint32_t bt)
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
static void sample_events(struct tev *t)
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

/* ---------------------------------------------------------- round trips */

static struct scap_reader *open_ok(const char *path)
{
	struct err e = { { 0 } };
	struct scap_reader *r = scap_reader_open(path, &e);

	if (!r)
		print_error("cannot open %s: %s\n", path, e.msg);
	assert_non_null(r);
	return r;
}

static int next_ok(struct scap_reader *r, struct scap_record *rec)
{
	struct err e = { { 0 } };
	int rc = scap_reader_next(r, rec, &e);

	if (rc < 0)
		print_error("unexpected read error %d: %s\n", rc, e.msg);
	assert_true(rc >= 0);
	return rc;
}

static void close_writer_ok(struct scap_writer *w)
{
	struct err e = { { 0 } };
	int rc = scap_writer_close(w, &e);

	if (rc)
		print_error("writer close: %s\n", e.msg);
	assert_int_equal(rc, 0);
}

static struct scap_writer *open_writer(const char *path, bool gz)
{
	struct err e = { { 0 } };
	struct scap_writer *w = scap_writer_open(path, gz, &e);

	if (!w)
		print_error("writer open: %s\n", e.msg);
	assert_non_null(w);
	return w;
}

/* A file with SHB, the given metadata blocks (bit mask) and the sample events. */
enum { W_MI = 1, W_IL = 2, W_UL = 4, W_PL = 8, W_FDL = 16, W_ALL = 31 };

static void write_sample(const char *path, bool gz, unsigned what)
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

static void check_sample(const char *path, unsigned what)
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

/* Write the sample blocks `what` to a temp file and check every field reads back. */
static void roundtrip(const char *name, bool gzip, unsigned what)
{
	char path[128];

	tmp_path(path, sizeof(path), name);
	write_sample(path, gzip, what);
	check_sample(path, what);
}

static void test_roundtrip_shb(void **state)
{
	char path[128];
	struct sbuf b;
	static const uint8_t want[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0,    0,    0x4d, 0x3c,
		                          0x2b, 0x1a, 1,    0,    2,  0, 0xff, 0xff, 0xff, 0xff,
		                          0xff, 0xff, 0xff, 0xff, 28, 0, 0,    0 };

	(void)state;
	tmp_path(path, sizeof(path), "shb.scap");
	write_sample(path, false, 0);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	assert_true(b.len > 28);
	assert_memory_equal(b.data, want, 28); /* exactly the 28-byte SHB of section 1.3 */
	sbuf_release(&b);
	check_sample(path, 0);
}

static void test_roundtrip_machine_info(void **state)
{
	char path[128];
	struct sbuf b;

	(void)state;
	tmp_path(path, sizeof(path), "mi.scap");
	write_sample(path, false, W_MI);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	/* MI: type 0x201, total 192 (180-byte body) right after the SHB */
	assert_int_equal(load_u32(b.data + 28), SCAP_BT_MI);
	assert_int_equal(load_u32(b.data + 32), 192);
	assert_int_equal(load_u32(b.data + 28 + 188), 192);
	sbuf_release(&b);
	check_sample(path, W_MI);
}

static void test_roundtrip_il_v2_ipv4_ipv6(void **state)
{
	(void)state;
	roundtrip("il.scap", false, W_IL);
}

static void test_roundtrip_ul_v2_users_groups(void **state)
{
	(void)state;
	roundtrip("ul.scap", false, W_UL);
}

static void test_roundtrip_pl_v9_caps_and_nul_lists(void **state)
{
	(void)state;
	roundtrip("pl.scap", false, W_PL);
}

static void test_roundtrip_pl_v9_tail_sizes(void **state)
{
	char path[128];
	struct sbuf b;
	struct scap_proc p[NPROCS];
	struct scap_writer *w;
	uint32_t e0, e1;
	size_t off;

	(void)state;
	/* the entries carry the 5-byte tail, and the 29-byte tail with capabilities */
	tmp_path(path, sizeof(path), "pltail.scap");
	sample_procs(p);
	w = open_writer(path, false);
	scap_writer_section(w);
	scap_writer_procs(w, p, NPROCS);
	close_writer_ok(w);
	sbuf_init(&b, 1024);
	read_whole(path, &b);
	assert_int_equal(load_u32(b.data + 28), SCAP_BT_PL_V9);
	off = 28 + 8;
	e0 = load_u32(b.data + off);
	e1 = load_u32(b.data + off + e0);
	/* entry_len includes itself: fixed part + strings + lists + tail */
	assert_int_equal(e0, 4 + 5 * 8 + 2 + 7 + 2 + 10 + 2 + 24 + 2 + (sizeof(p0_args) - 1) + 2 + 1 + 8 +
	                             4 * 3 + 4 * 3 + 8 * 2 + 2 + (sizeof(p0_env) - 1) + 8 * 2 + 2 +
	                             (sizeof(p0_cg) - 1) + 2 + 1 + 5);
	assert_int_equal(e1, 4 + 5 * 8 + 2 + 4 + 2 + 4 + 2 + 13 + 2 + (sizeof(p1_args) - 1) + 2 + 11 + 8 +
	                             4 * 3 + 4 * 3 + 8 * 2 + 2 + (sizeof(p1_env) - 1) + 8 * 2 + 2 +
	                             (sizeof(p1_cg) - 1) + 2 + 11 + 29);
	sbuf_release(&b);
}

static void test_roundtrip_fdl_v2_every_fd_type(void **state)
{
	(void)state;
	roundtrip("fdl.scap", false, W_FDL);
}

static void test_roundtrip_all_blocks_raw(void **state)
{
	char path[128];
	DIR *d;
	struct dirent *de;

	(void)state;
	tmp_path(path, sizeof(path), "all.scap");
	write_sample(path, false, W_ALL);
	check_sample(path, W_ALL);
	/* the temporary "<path>.tmp-<pid>" was renamed away */
	d = opendir(g_dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		assert_null(strstr(de->d_name, ".tmp-"));
	closedir(d);
}

static void test_roundtrip_ev_v2(void **state)
{
	char path[128];

	(void)state;
	/* check_sample asserts each event block is EV_V2 with every field intact */
	tmp_path(path, sizeof(path), "ev.scap");
	write_sample(path, false, 0);
	check_sample(path, 0);
}

static void test_roundtrip_evf_v2_dump_flags(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	struct tev evs[NSAMPLE_EVENTS];
	static const uint32_t flags[] = { 1, 2, 0, 0x80000001u };

	(void)state;
	tmp_path(path, sizeof(path), "evf.scap");
	sample_events(evs);
	w = open_writer(path, false);
	scap_writer_section(w);
	for (int i = 0; i < 4; i++) {
		evs[i].flags = flags[i];
		tev_write(w, &evs[i]);
	}
	close_writer_ok(w);
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], flags[i] ? SCAP_BT_EVF_V2 : SCAP_BT_EV_V2);
	}
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
}

static void test_roundtrip_ev_v2_large(void **state)
{
	static const char json[] = "{\"container\":{\"id\":\"0123456789ab\",\"name\":\"web\","
	                           "\"image\":\"nginx:latest\",\"type\":0}}";
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	uint8_t *big = malloc(100000), *io = malloc(65500);
	uint32_t plugin = 999;
	int64_t res = 65500;
	struct tev t[5];

	(void)state;
	assert_non_null(big);
	assert_non_null(io);
	for (size_t i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < 65500; i++)
		io[i] = (uint8_t)(i ^ 0x5a);
	memset(t, 0, sizeof(t));
	/* 324 container: EF_LARGE_PAYLOAD, u32 lengths, small */
	t[0] = (struct tev){
		.ts = 10, .tid = -1, .type = 324, .cpu = 0, .n = 1, .vals = { json }, .lens = { sizeof(json) }
	};
	/* 322 plugin event over 65536 bytes */
	t[1] = (struct tev){ .ts = 11,
		             .tid = 7,
		             .type = 322,
		             .cpu = 1,
		             .n = 2,
		             .vals = { &plugin, big },
		             .lens = { 4, 100000 } };
	/* the same with dump flags: EVF_V2_LARGE */
	t[2] = t[1];
	t[2].ts = 12;
	t[2].flags = 1;
	/* a u16-length event (read exit) whose block would exceed 65536 bytes */
	t[3] = (struct tev){
		.ts = 13, .tid = 7, .type = 7, .cpu = 2, .n = 2, .vals = { &res, io }, .lens = { 8, 65500 }
	};
	/* a 324 event with dump flags */
	t[4] = t[0];
	t[4].ts = 14;
	t[4].flags = 1;
	tmp_path(path, sizeof(path), "large.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	for (int i = 0; i < 5; i++)
		tev_write(w, &t[i]);
	close_writer_ok(w);

	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[0], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(load_u32(rec.ev.raw + 26), sizeof(json)); /* u32 length */
	assert_int_equal(rec.ev.len, 26 + 4 + sizeof(json));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[1], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(rec.ev.len, 26 + 8 + 4 + 100000);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[2], SCAP_BT_EVF_V2_LARGE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[3], SCAP_BT_EV_V2_LARGE);
	assert_int_equal(rec.ev.len, 26 + 4 + 8 + 65500);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	tev_check(&rec, &t[4], SCAP_BT_EVF_V2_LARGE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	free(big);
	free(io);
}

/*
 * Section 7.1: for non-LARGE blocks block_total_length - 8 must be <= 65536.
 * Events just below/above the limit, with and without dump flags, must be
 * written either as a non-LARGE block within the limit or as a LARGE block.
 */
static void test_writer_non_large_blocks_stay_within_limit(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct sbuf b;
	uint8_t *io = calloc(1, 65536);
	int64_t res = 1;
	size_t off;
	int bad = 0, nblocks = 0;
	bool framing_ok = true;

	(void)state;
	assert_non_null(io);
	tmp_path(path, sizeof(path), "limit.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	for (uint32_t len = 65520; len <= 65540; len++) {
		for (uint32_t fl = 0; fl <= 1; fl++) {
			struct tev t = { .ts = len,
				         .tid = 1,
				         .type = 7,
				         .cpu = 0,
				         .flags = fl,
				         .n = 2,
				         .vals = { &res, io },
				         .lens = { 8, len - 26 - 4 - 8 } };

			tev_write(w, &t);
		}
	}
	close_writer_ok(w);
	free(io);
	sbuf_init(&b, 1 << 20);
	read_whole(path, &b);
	for (off = 28; off + 8 <= b.len;) {
		uint32_t bt = load_u32(b.data + off), blen = load_u32(b.data + off + 4);
		bool flags = bt == SCAP_BT_EVF_V2 || bt == SCAP_BT_EVF_V2_LARGE;

		if (blen < 32 || off + blen > b.len) {
			framing_ok = false;
			break;
		}
		if ((bt == SCAP_BT_EV_V2 || bt == SCAP_BT_EVF_V2) && blen - 8 > 65536) {
			print_error("event len %u written as non-LARGE block 0x%x of %u bytes (%u > 65536)\n",
			            load_u32(b.data + off + 8 + (flags ? 6 : 2) + 16), bt, blen, blen - 8);
			bad++;
		}
		nblocks++;
		off += blen;
	}
	framing_ok = framing_ok && off == b.len;
	sbuf_release(&b);
	assert_true(framing_ok);
	assert_int_equal(nblocks, 2 * 21);
	assert_int_equal(bad, 0);
}

static void test_roundtrip_gzip(void **state)
{
	char raw[128], gzp[128];
	struct sbuf a, z, u;
	gzFile g;
	char buf[4096];
	int n;

	(void)state;
	tmp_path(raw, sizeof(raw), "cmp.scap");
	tmp_path(gzp, sizeof(gzp), "all.scap.gz");
	write_sample(raw, false, W_ALL);
	write_sample(gzp, true, W_ALL);
	sbuf_init(&a, 4096);
	sbuf_init(&z, 4096);
	sbuf_init(&u, 4096);
	read_whole(raw, &a);
	read_whole(gzp, &z);
	/* a gzip stream whose content is byte for byte the raw capture */
	assert_true(z.len > 2);
	assert_int_equal((uint8_t)z.data[0], 0x1f);
	assert_int_equal((uint8_t)z.data[1], 0x8b);
	g = gzopen(gzp, "rb");
	assert_non_null(g);
	assert_int_equal(gzdirect(g), 0);
	while ((n = gzread(g, buf, sizeof(buf))) > 0)
		sbuf_put(&u, buf, (size_t)n);
	assert_int_equal(n, 0);
	gzclose(g);
	assert_int_equal(u.len, a.len);
	assert_memory_equal(u.data, a.data, a.len);
	sbuf_release(&a);
	sbuf_release(&z);
	sbuf_release(&u);
	check_sample(gzp, W_ALL);
}

static void test_writer_truncates_overlong_strings(void **state)
{
	char path[128];
	struct scap_writer *w;
	struct scap_reader *r;
	struct scap_record rec;
	struct scap_proc p[NPROCS];
	char *args = malloc(5000), *comm = malloc(2000);
	struct scap_fd f = { .fd = 3, .type = SCAP_FD_FILE_V2, .ino = 1 };
	struct scap_user u = { .uid = 1, .gid = 1 };

	(void)state;
	assert_non_null(args);
	assert_non_null(comm);
	memset(args, 'a', 5000);
	memset(comm, 'c', 1999);
	comm[1999] = 0;
	sample_procs(p);
	p[0].args = args;
	p[0].args_len = 5000;
	p[0].comm = comm;
	f.name = comm;
	u.name = comm;
	tmp_path(path, sizeof(path), "trunc.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	scap_writer_users(w, &u, 1, NULL, 0);
	scap_writer_procs(w, p, 1);
	scap_writer_fds(w, 1, &f, 1);
	close_writer_ok(w);
	/* readers refuse longer strings, so the writer cuts them to the limit */
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_USERS);
	assert_int_equal(strlen(rec.users[0].name), 255);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.procs[0].args_len, 4096);
	assert_int_equal(strlen(rec.procs[0].comm), 1024);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_FDS);
	assert_int_equal(strlen(rec.fds[0].name), 1023);
	scap_reader_close(r);
	free(args);
	free(comm);
}

/* ------------------------------------------------------- old layouts */

/* A v1 event: 22-byte header (no nparams), u16 lengths, values. */
static uint32_t encode_v1(struct sbuf *b, uint64_t ts, int64_t tid, uint16_t type, uint32_t n,
                          const void *const *vals, const uint32_t *lens)
{
	uint32_t len = EVENT_HDR_V1 + 2 * n;

	for (uint32_t i = 0; i < n; i++)
		len += lens[i];
	p64(b, ts);
	p64(b, (uint64_t)tid);
	p32(b, len);
	p16(b, type);
	for (uint32_t i = 0; i < n; i++)
		p16(b, (uint16_t)lens[i]);
	for (uint32_t i = 0; i < n; i++)
		sbuf_put(b, vals[i], lens[i]);
	return len;
}

static void test_read_v1_event_block_reconstructs_nparams(void **state)
{
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	static const char name[] = "/tmp/x";
	int64_t fd = 5, dirfd = -100;
	uint32_t flags = 0x106, mode = 0644, dev = 0x803;
	const void *v307[] = { &fd, &dirfd, name, &flags, &mode, &dev };
	uint32_t l307[] = { 8, 8, sizeof(name), 4, 4, 4 };
	const void *v3[] = { &fd, name, &flags, &mode };
	uint32_t l3[] = { 8, sizeof(name), 4, 4 };
	uint32_t len307, len3, len5;
	int64_t res = -9;
	const void *v5[] = { &res };
	uint32_t l5[] = { 8 };

	(void)state;
	sbuf_init(&b, 1024);
	sbuf_init(&e, 256);
	add_shb(&b);
	/* openat exit with the table's 6 parameters in an EV (0x204) block */
	len307 = encode_v1(&e, 100, 42, 307, 6, v307, l307);
	add_event_block(&b, SCAP_BT_EV, 7, 0, e.data, len307);
	/* open exit with 4 of the table's 5 parameters (an older driver) */
	sbuf_reset(&e);
	len3 = encode_v1(&e, 101, 42, 3, 4, v3, l3);
	add_event_block(&b, SCAP_BT_EV_ALT, 1, 0, e.data, len3);
	/* close exit in an EVF (0x208) block with dump flags */
	sbuf_reset(&e);
	len5 = encode_v1(&e, 102, 42, 5, 1, v5, l5);
	add_event_block(&b, SCAP_BT_EVF, 2, 1, e.data, len5);

	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EV);
	assert_int_equal(rec.ev.version, 1);
	assert_int_equal(rec.ev.type, 307);
	assert_int_equal(rec.ev.cpu, 7);
	assert_true(rec.ev.ts == 100);
	assert_true(rec.ev.tid == 42);
	assert_int_equal(rec.ev.nparams, 6);
	assert_int_equal(rec.ev.len, len307 + 4); /* as if it had a v2 header */
	assert_int_equal(rec.ev.raw_len, len307);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rec.ev.vlen[i], l307[i]);
		assert_memory_equal(rec.ev.val[i], v307[i], l307[i]);
	}

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EV_ALT);
	assert_int_equal(rec.ev.type, 3);
	assert_int_equal(rec.ev.nparams, 4);
	assert_int_equal(rec.ev.len, len3 + 4);
	assert_string_equal(event_str(&rec.ev, 1, NULL), name);
	assert_int_equal(event_uint(&rec.ev, 3, 0), 0644);

	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.block_type, SCAP_BT_EVF);
	assert_int_equal(rec.ev.dump_flags, 1);
	assert_int_equal(rec.ev.nparams, 1);
	assert_true(event_int(&rec.ev, 0, 0) == -9);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&e);
}

static void test_writer_converts_v1_event_to_v2(void **state)
{
	char path[128];
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_writer *w;
	struct scap_record rec;
	static const char name[] = "/tmp/y";
	int64_t fd = 5, dirfd = -100;
	uint32_t flags = 1, mode = 0, dev = 0x10;
	const void *v[] = { &fd, &dirfd, name, &flags, &mode, &dev };
	uint32_t l[] = { 8, 8, sizeof(name), 4, 4, 4 };
	uint32_t len;

	(void)state;
	sbuf_init(&b, 1024);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = encode_v1(&e, 200, 43, 307, 6, v, l);
	add_event_block(&b, SCAP_BT_EV, 4, 0, e.data, len);
	add_event_block(&b, SCAP_BT_EVF, 5, 1, e.data, len);
	tmp_path(path, sizeof(path), "v1conv.scap");
	w = open_writer(path, false);
	scap_writer_section(w);
	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	scap_writer_event(w, &rec.ev);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	scap_writer_event(w, &rec.ev);
	scap_reader_close(r);
	close_writer_ok(w);

	{
		struct tev t = { .ts = 200,
			         .tid = 43,
			         .type = 307,
			         .cpu = 4,
			         .n = 6,
			         .vals = { v[0], v[1], v[2], v[3], v[4], v[5] },
			         .lens = { l[0], l[1], l[2], l[3], l[4], l[5] } };

		r = open_ok(path);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &t, SCAP_BT_EV_V2);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		t.cpu = 5;
		t.flags = 1;
		tev_check(&rec, &t, SCAP_BT_EVF_V2);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
		scap_reader_close(r);
	}
	sbuf_release(&b);
	sbuf_release(&e);
}

/* One process entry in the fixed layout of PL version v (section 5.2). */
static void put_old_proc(struct sbuf *b, int v, const struct scap_proc *p)
{
	p64(b, p->tid);
	p64(b, p->pid);
	p64(b, p->ptid);
	if (v >= 6)
		p64(b, p->sid);
	if (v >= 8)
		p64(b, p->vpgid);
	pstr(b, p->comm);
	pstr(b, p->exe);
	if (v >= 7)
		pstr(b, p->exepath);
	plstr(b, p->args, p->args_len);
	pstr(b, p->cwd);
	p64(b, (uint64_t)p->fdlimit);
	p32(b, p->flags);
	p32(b, p->uid);
	p32(b, p->gid);
	if (v >= 2) {
		p32(b, p->vmsize_kb);
		p32(b, p->vmrss_kb);
		p32(b, p->vmswap_kb);
		p64(b, p->pfmajor);
		p64(b, p->pfminor);
	}
	if (v >= 3)
		plstr(b, p->env, p->env_len);
	if (v >= 4) {
		p64(b, (uint64_t)p->vtid);
		p64(b, (uint64_t)p->vpid);
		plstr(b, p->cgroups, p->cgroups_len);
	}
	if (v >= 5)
		pstr(b, p->root);
}

/* The sample procs as a version-v reader sees them (fields it lacks take defaults). */
static void expect_old_proc(struct scap_proc *w, int v)
{
	if (v < 6)
		w->sid = (uint64_t)-1;
	if (v < 8)
		w->vpgid = (uint64_t)-1;
	if (v < 7)
		w->exepath = (char *)"";
	if (v < 2) {
		w->vmsize_kb = w->vmrss_kb = w->vmswap_kb = 0;
		w->pfmajor = w->pfminor = 0;
	}
	if (v < 3) {
		w->env = (char *)"";
		w->env_len = 0;
	}
	if (v < 4) {
		w->vtid = w->vpid = -1;
		w->cgroups = (char *)"";
		w->cgroups_len = 0;
	}
	if (v < 5)
		w->root = (char *)"";
	w->loginuid = UINT32_MAX;
	w->exe_writable = 0;
	w->has_caps = false;
	w->cap_inheritable = w->cap_permitted = w->cap_effective = 0;
}

static void test_read_old_pl_versions(void **state)
{
	static const struct {
		uint32_t bt;
		int v;
	} vers[] = {
		{ SCAP_BT_PL_V1, 1 }, { SCAP_BT_PL_V2_ALT, 2 }, { SCAP_BT_PL_V3, 3 }, { SCAP_BT_PL_V4, 4 },
		{ SCAP_BT_PL_V5, 5 }, { SCAP_BT_PL_V6, 6 },     { SCAP_BT_PL_V7, 7 }, { SCAP_BT_PL_V8, 8 },
	};

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(vers); k++) {
		struct sbuf b;
		struct err e = { { 0 } };
		struct scap_reader *r;
		struct scap_record rec;
		struct scap_proc p[NPROCS], want[NPROCS];
		size_t at;

		sample_procs(p);
		sample_procs(want);
		sbuf_init(&b, 1024);
		add_shb(&b);
		at = blk_begin(&b, vers[k].bt);
		for (int i = 0; i < NPROCS; i++) /* two entries: the second starts where the first ends */
			put_old_proc(&b, vers[k].v, &p[i]);
		blk_end(&b, at);
		add_close_event(&b, 1);
		r = open_bytes(b.data, b.len, &e);
		assert_non_null(r);
		memset(&rec, 0, sizeof(rec));
		assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
		assert_int_equal(rec.block_type, vers[k].bt);
		assert_int_equal(rec.nprocs, NPROCS);
		for (int i = 0; i < NPROCS; i++) {
			expect_old_proc(&want[i], vers[k].v);
			check_proc(&rec.procs[i], &want[i]);
		}
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
		scap_reader_close(r);
		sbuf_release(&b);
	}
}

static void test_read_pl_v9_newer_76_byte_tail(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	struct scap_proc p[NPROCS];
	size_t at, ent;

	(void)state;
	/* libs >= 0.10 tail: pidns_init_start_ts, tty, loginuid, exe_writable, caps, ... (5.3) */
	sample_procs(p);
	sbuf_init(&b, 1024);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	ent = b.len;
	p32(&b, 0);
	p64(&b, p[1].tid);
	p64(&b, p[1].pid);
	p64(&b, p[1].ptid);
	p64(&b, p[1].sid);
	p64(&b, p[1].vpgid);
	pstr(&b, p[1].comm);
	pstr(&b, p[1].exe);
	pstr(&b, p[1].exepath);
	plstr(&b, p[1].args, p[1].args_len);
	pstr(&b, p[1].cwd);
	p64(&b, (uint64_t)p[1].fdlimit);
	p32(&b, p[1].flags);
	p32(&b, p[1].uid);
	p32(&b, p[1].gid);
	p32(&b, p[1].vmsize_kb);
	p32(&b, p[1].vmrss_kb);
	p32(&b, p[1].vmswap_kb);
	p64(&b, p[1].pfmajor);
	p64(&b, p[1].pfminor);
	plstr(&b, p[1].env, p[1].env_len);
	p64(&b, (uint64_t)p[1].vtid);
	p64(&b, (uint64_t)p[1].vpid);
	plstr(&b, p[1].cgroups, p[1].cgroups_len);
	pstr(&b, p[1].root);
	p64(&b, 123456789); /* pidns_init_start_ts */
	p32(&b, 34816);     /* tty */
	p32(&b, 1234);      /* loginuid */
	p8(&b, 1);          /* exe_writable */
	p64(&b, 1);         /* cap_inheritable */
	p64(&b, 2);         /* cap_permitted */
	p64(&b, 3);         /* cap_effective */
	p8(&b, 0);          /* exe_upper_layer */
	p64(&b, 0);         /* exe_ino */
	p64(&b, 0);         /* exe_ino_ctime */
	p64(&b, 0);         /* exe_ino_mtime */
	p8(&b, 0);          /* exe_from_memfd */
	p8(&b, 0);          /* exe_lower_layer */
	p64(&b, 0);         /* pgid */
	{
		uint32_t l = (uint32_t)(b.len - ent);

		memcpy(b.data + ent, &l, 4);
	}
	blk_end(&b, at);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.nprocs, 1);
	assert_string_equal(rec.procs[0].root, p[1].root);
	assert_int_equal(rec.procs[0].loginuid, 1234);
	assert_int_equal(rec.procs[0].exe_writable, 1);
	assert_true(rec.procs[0].has_caps);
	assert_true(rec.procs[0].cap_permitted == 2);
	assert_true(rec.procs[0].cap_effective == 3);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

/* ------------------------------------------------------- malformed files */

/* The close event block of add_close_event(): 8 + 2 (cpu) + 36 (26 + 2 + 8), padded to 48, + 4. */
#define CLOSE_BLOCK_LEN 52

static void test_malformed_truncated_block_header(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	assert_int_equal(b.len, 28 + CLOSE_BLOCK_LEN);
	sbuf_put(&b, "\x16\x02\x00\x00\x30", 5); /* 5 of the 8 header bytes */
	expect_cut_short(&b, 2, "truncated block header", 28 + CLOSE_BLOCK_LEN);
}

static void test_malformed_truncated_block_body(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	b.len -= 10;
	expect_cut_short(&b, 1, "truncated block", 28);
}

static void test_malformed_trailer_mismatch(void **state)
{
	struct sbuf b;
	uint32_t bad = CLOSE_BLOCK_LEN + 4;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	memcpy(b.data + b.len - 4, &bad, 4);
	expect_refused(&b, 1, "trailer length", 28);
}

static void test_malformed_length_not_multiple_of_4(void **state)
{
	struct sbuf b;
	uint32_t odd = CLOSE_BLOCK_LEN - 2;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	add_close_event(&b, 1);
	memcpy(b.data + 28 + 4, &odd, 4);
	memcpy(b.data + 28 + odd - 4, &odd, 4);
	b.len = 28 + odd;
	expect_refused(&b, 1, "not a multiple of 4", 28);
}

static void test_malformed_length_below_12(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_EV_V2);
	p32(&b, 8);
	p32(&b, 8);
	expect_refused(&b, 1, "below the 12-byte minimum", 28);
}

static void test_malformed_shb_length_below_28(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 256);
	at = blk_begin(&b, SCAP_BT_SHB);
	p32(&b, SCAP_SHB_MAGIC);
	p16(&b, 1);
	p16(&b, 2);
	blk_end(&b, at); /* 20 bytes: no section_length */
	add_close_event(&b, 1);
	expect_refused(&b, 0, "below 28", 0);
}

static long maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A block declaring more than SCAP_MAX_BLOCK in a file that really is that
 * large (sparse): refused from the header alone, without reading or
 * allocating the declared size.
 */
static void test_malformed_over_large_block_fails_fast(void **state)
{
	char path[128];
	struct sbuf b;
	struct err e = { { 0 } };
	long rss0;
	double t0;
	int fd;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_EV_V2_LARGE);
	p32(&b, SCAP_MAX_BLOCK + 4);
	tmp_path(path, sizeof(path), "huge.scap");
	write_file(path, b.data, b.len);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)SCAP_MAX_BLOCK + 64), 0); /* sparse tail */
	close(fd);
	sbuf_release(&b);
	rss0 = maxrss_kb();
	t0 = now_s();
	expect_refused_reader(scap_reader_open(path, &e), 1, "exceeds", 28);
	assert_true(now_s() - t0 < 0.5);
	/* a reader that buffered the block would have touched >= 256 MiB */
	assert_true(maxrss_kb() - rss0 < 64 * 1024);
	unlink(path);
}

/* The same over a non-blocking pipe holding only the header: any attempt to
 * read the declared body would fail with EAGAIN instead. */
static void test_malformed_over_large_block_not_read(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	int p[2];

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	p32(&b, SCAP_BT_PL_V9);
	p32(&b, 0xFFFFFFF0u);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(write(p[1], b.data, b.len), (ssize_t)b.len);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	sbuf_release(&b);
	expect_refused_reader(scap_reader_open_fd(p[0], &e), 1, "exceeds", 28);
	close(p[1]);
}

/* An EV_V2 block: cpu, then a read exit event of event length evlen, then
 * `extra` bytes (ignored by readers), padded; returns the block length. */
static uint32_t add_read_event_block(struct sbuf *b, uint32_t evlen, size_t extra)
{
	struct sbuf e;
	int64_t res = 1;
	uint8_t *data = calloc(1, evlen);
	const void *v[] = { &res, data };
	uint32_t l[] = { 8, evlen - 26 - 4 - 8 };
	size_t at;

	assert_non_null(data);
	sbuf_init(&e, evlen + 16);
	assert_int_equal(scap_encode_event(&e, 5, 1, 7, 2, v, l), evlen);
	at = blk_begin(b, SCAP_BT_EV_V2);
	p16(b, 0);
	sbuf_put(b, e.data, e.len);
	for (size_t i = 0; i < extra; i++)
		p8(b, 0);
	blk_end(b, at);
	sbuf_release(&e);
	free(data);
	return load_u32(b->data + at + 4);
}

static void test_malformed_non_large_event_block_over_65536(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 4000), 8 + 2 + 65530 + 4000 + 4);
	expect_refused(&b, 1, "non-LARGE", 28);
}

/* Section 7.1: block_total_length - 8 <= 65536 is the limit (65544-byte block
 * accepted, 65548 refused, as sysdig's "event block length ... greater than
 * NON-LARGE read buffer size 65536"). */
static void test_non_large_event_block_at_limit_accepted(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	int kinds[8];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 0), 65544);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 8, &e);
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, 2);
	assert_int_equal(kinds[1], SCAP_REC_EVENT);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_non_large_event_block_limit_plus_4(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 1 << 17);
	add_shb(&b);
	assert_int_equal(add_read_event_block(&b, 65530, 4), 65548);
	expect_refused(&b, 1, "non-LARGE", 28);
}

static void test_malformed_bad_magic(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 256);
	sbuf_puts(&b, "#!/bin/sh\necho this is not a capture\n");
	expect_refused(&b, 0, "not a scap capture", 0);
}

static void test_malformed_bad_byte_order_magic(void **state)
{
	struct sbuf b;
	uint32_t swapped = 0x4D3C2B1A;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 8, &swapped, 4);
	add_close_event(&b, 1);
	expect_refused(&b, 0, "bad byte-order magic", 0);
}

static void test_malformed_shb_major_version_2(void **state)
{
	struct sbuf b;
	uint16_t major = 2, minor = 0;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 12, &major, 2);
	memcpy(b.data + 14, &minor, 2);
	add_close_event(&b, 1);
	expect_refused(&b, 0, "version 2.0 is newer than 1.x", 0);
}

static void test_shb_minor_version_not_checked(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	uint16_t minor = 99;
	int kinds[4];
	struct scap_reader *r;

	(void)state;
	sbuf_init(&b, 256);
	add_shb(&b);
	memcpy(b.data + 14, &minor, 2);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_int_equal(read_kinds(r, kinds, 4, &e), 2);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_unknown_metadata_block_is_skipped(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at, mi_at, ev_at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, 0x12345678);
	sbuf_puts(&b, "some future metadata, 35 bytes long");
	blk_end(&b, at);
	mi_at = b.len;
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	at = blk_begin(&b, 0x8003ABCD);
	blk_end(&b, at); /* empty unknown block */
	ev_at = b.len;
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	assert_int_equal(rec.offset, mi_at);
	assert_int_equal(mi_at, 28 + 8 + 36 + 4);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.offset, ev_at);
	assert_int_equal(ev_at, mi_at + 192 + 12);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_metadata_block_after_events(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	add_close_event(&b, 1);
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	expect_refused(&b, 2, "after the first event", 28 + CLOSE_BLOCK_LEN);
}

static void test_malformed_no_events_in_file(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_MI);
	for (int i = 0; i < 180; i++)
		p8(&b, 0);
	blk_end(&b, at);
	expect_refused(&b, 2, "no events in file", -1);
}

static void test_malformed_empty_file(void **state)
{
	struct sbuf b;

	(void)state;
	sbuf_init(&b, 16);
	expect_refused(&b, 0, "empty file", -1);
}

static void test_malformed_event_too_many_params(void **state)
{
	struct sbuf b, e;
	const void *v[EVENT_MAX_PARAMS + 1];
	uint32_t l[EVENT_MAX_PARAMS + 1];
	uint32_t len;

	(void)state;
	for (int i = 0; i <= EVENT_MAX_PARAMS; i++) {
		v[i] = "";
		l[i] = 0;
	}
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 5, EVENT_MAX_PARAMS + 1, v, l);
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "33 parameters, more than any event of the table", 28);
}

static void test_malformed_param_lengths_past_event_length(void **state)
{
	struct sbuf b, e;
	int64_t res = 0;
	const void *v[] = { &res, "abcd" };
	uint32_t l[] = { 8, 4 };
	uint32_t len;
	uint16_t big = 100;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 7, 2, v, l);
	memcpy(e.data + 26 + 2, &big, 2); /* data claims 100 bytes, 4 are there */
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "parameter 1 length 100 runs past the event length", 28);
}

static void test_malformed_event_length_past_block(void **state)
{
	struct sbuf b, e;
	int64_t res = 0;
	const void *v[] = { &res };
	uint32_t l[] = { 8 };
	uint32_t len, big = 4000;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 256);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 5, 1, v, l);
	memcpy(e.data + 16, &big, 4);
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	sbuf_release(&e);
	expect_refused(&b, 1, "event length 4000 outside its block", 28);
}

/* A PL_V9 entry with every mandatory field, args of args_len bytes. */
static void put_v9_entry(struct sbuf *b, size_t args_len)
{
	size_t ent = b->len;
	uint32_t l;

	p32(b, 0);
	for (int i = 0; i < 5; i++)
		p64(b, 100);
	pstr(b, "sh");
	pstr(b, "/bin/sh");
	pstr(b, "/bin/sh");
	p16(b, (uint16_t)args_len);
	for (size_t i = 0; i < args_len; i++)
		p8(b, i % 8 == 7 ? 0 : 'a');
	pstr(b, "/");
	p64(b, 1024);
	for (int i = 0; i < 6; i++)
		p32(b, 0);
	p64(b, 0);
	p64(b, 0);
	pstr(b, "");
	p64(b, 100);
	p64(b, 100);
	pstr(b, "");
	pstr(b, "/");
	p32(b, 0);
	p8(b, 0);
	l = (uint32_t)(b->len - ent);
	memcpy(b->data + ent, &l, 4);
}

static void test_malformed_pl_args_len_4097(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 16384);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 4096); /* at the limit: fine */
	put_v9_entry(&b, 4097);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "invalid argslen 4097", 28);
}

static void test_pl_args_len_4096_accepted(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at;

	(void)state;
	sbuf_init(&b, 16384);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 4096);
	blk_end(&b, at);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(rec.procs[0].args_len, 4096);
	assert_int_equal(rec.procs[0].loginuid, 0);
	scap_reader_close(r);
	sbuf_release(&b);
}

static void test_malformed_pl_entry_shorter_than_fields(void **state)
{
	struct sbuf b;
	size_t at;
	uint32_t shortlen;

	(void)state;
	sbuf_init(&b, 1024);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_PL_V9);
	put_v9_entry(&b, 8);
	/* entry_len ends the entry inside the mandatory fields (before root) */
	shortlen = load_u32(b.data + at + 8) - 10;
	memcpy(b.data + at + 8, &shortlen, 4);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "truncated process entry", 28);
}

static void put_ul_user(struct sbuf *b, size_t namelen)
{
	size_t ent = b->len;
	uint32_t l;

	p32(b, 0);
	p8(b, 0);
	p32(b, 1000);
	p32(b, 1000);
	p16(b, (uint16_t)namelen);
	for (size_t i = 0; i < namelen; i++)
		p8(b, 'u');
	pstr(b, "/home/u");
	pstr(b, "/bin/sh");
	l = (uint32_t)(b->len - ent);
	memcpy(b->data + ent, &l, 4);
}

static void test_malformed_ul_name_len_256(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 2048);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_UL_V2);
	put_ul_user(&b, 255); /* at the limit: fine */
	put_ul_user(&b, 256);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "invalid user name len 256", 28);
}

static void test_malformed_il_unknown_interface_type(void **state)
{
	struct sbuf b;
	size_t at, ent;
	uint32_t l;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_IL_V2);
	ent = b.len;
	p32(&b, 0);
	p16(&b, 7);
	p16(&b, 2);
	for (int i = 0; i < 12 + 8; i++)
		p8(&b, 0);
	sbuf_put(&b, "lo", 2);
	l = (uint32_t)(b.len - ent - 4); /* IL_V2 lengths exclude themselves */
	memcpy(b.data + ent, &l, 4);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "unknown interface type 7", 28);
}

static void put_fd_entry(struct sbuf *b, bool v2, uint8_t type)
{
	size_t ent = b->len;
	uint32_t l;

	if (v2)
		p32(b, 0);
	p64(b, 3);
	p64(b, 77);
	p8(b, type);
	pstr(b, "anon_inode:[x]");
	if (v2) {
		l = (uint32_t)(b->len - ent);
		memcpy(b->data + ent, &l, 4);
	}
}

static void test_malformed_fdl_unknown_fd_type(void **state)
{
	struct sbuf b;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_FDL_V2);
	p64(&b, 100);
	put_fd_entry(&b, true, SCAP_FD_EVENT);
	put_fd_entry(&b, true, 22);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "wrong fd type 22", 28);

	/* fd type 17 (bpf) is unknown to the v1 layout, as to sysdig 0.29.3 */
	sbuf_init(&b, 512);
	add_shb(&b);
	at = blk_begin(&b, SCAP_BT_FDL);
	p64(&b, 100);
	put_fd_entry(&b, false, SCAP_FD_EVENT);
	put_fd_entry(&b, false, 17);
	blk_end(&b, at);
	add_close_event(&b, 1);
	expect_refused(&b, 1, "wrong fd type 17", 28);
}

/* ------------------------------------------------------------------ gzip */

/* Deflate in to a gzip member; with flush_at > 0 the input is flushed
 * (Z_FULL_FLUSH) after flush_at bytes and the compressed size there is
 * returned in *flush_off. */
static void gz_member(struct sbuf *out, const void *in, size_t n, size_t flush_at, size_t *flush_off)
{
	z_stream zs;
	unsigned char buf[16384];
	size_t fed = 0;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	for (int phase = flush_at ? 0 : 1; phase < 2; phase++) {
		size_t upto = phase == 0 ? flush_at : n;
		int flush = phase == 0 ? Z_FULL_FLUSH : Z_FINISH;
		int rc;

		zs.next_in = (unsigned char *)in + fed;
		zs.avail_in = (unsigned)(upto - fed);
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof(buf);
			rc = deflate(&zs, flush);
			assert_true(rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR);
			sbuf_put(out, buf, sizeof(buf) - zs.avail_out);
		} while (zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
		fed = upto;
		if (phase == 0 && flush_off)
			*flush_off = out->len;
	}
	deflateEnd(&zs);
}

/* A raw capture with many events (a few hundred KB). */
static void build_many_events(struct sbuf *b, int nevents)
{
	struct sbuf e;

	sbuf_init(&e, 256);
	add_shb(b);
	for (int i = 0; i < nevents; i++) {
		int64_t res = i;
		char data[200];
		const void *v[] = { &res, data };
		uint32_t l[] = { 8, (uint32_t)(i % 200) };
		uint32_t len;

		for (size_t k = 0; k < sizeof(data); k++)
			data[k] = (char)((i * 31 + (int)k * 17) & 0x7f);
		sbuf_reset(&e);
		len = scap_encode_event(&e, (uint64_t)i, 1000 + i % 7, 7, 2, v, l);
		add_event_block(b, SCAP_BT_EV_V2, (uint16_t)(i % 4), 0, e.data, len);
	}
	sbuf_release(&e);
}

static void test_gzip_truncated_mid_stream_refused(void **state)
{
	struct sbuf raw, z;
	char path[128];

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 2000);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	tmp_path(path, sizeof(path), "trunc.scap.gz");
	for (int k = 1; k <= 9; k++) {
		struct err e = { { 0 } };
		struct scap_record rec;
		struct scap_reader *r;
		size_t cut = z.len * (size_t)k / 10;
		int rc, n = 0;

		write_file(path, z.data, cut);
		r = scap_reader_open(path, &e);
		assert_non_null(r);
		memset(&rec, 0, sizeof(rec));
		while ((rc = scap_reader_next(r, &rec, &e)) > 0)
			n++;
		if (rc >= 0)
			print_error("gzip cut at %zu of %zu bytes read as complete (%d records)\n", cut,
			            z.len, n);
		assert_true(rc < 0);
		assert_true(n < 2001);
		assert_true(strlen(e.msg) > 0);
		assert_non_null(strstr(e.msg, "offset"));
		scap_reader_close(r);
	}
	sbuf_release(&raw);
	sbuf_release(&z);
}

/* The stream cut right after a flush point that falls on a block boundary:
 * zlib reports "unexpected end of file", which must not pass for a clean end. */
static void test_gzip_truncated_at_block_boundary_refused(void **state)
{
	struct sbuf raw, z;
	struct err e = { { 0 } };
	char path[128];
	size_t flush_off = 0;
	int kinds[4];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	add_shb(&raw);
	add_close_event(&raw, 1);
	add_close_event(&raw, 2);
	add_close_event(&raw, 3);
	gz_member(&z, raw.data, raw.len, 28 + CLOSE_BLOCK_LEN, &flush_off);
	assert_true(flush_off > 0 && flush_off < z.len);
	tmp_path(path, sizeof(path), "trunc-boundary.scap.gz");
	write_file(path, z.data, flush_off);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 4, &e);
	if (rc >= 0)
		print_error("truncated gzip read as a complete capture of %d records\n", rc);
	assert_true(rc < 0);
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_truncated_in_trailer_refused(void **state)
{
	struct sbuf raw, z;
	char path[128];

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 50);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	tmp_path(path, sizeof(path), "trunc-trailer.scap.gz");
	/* drop 4 of the 8 trailer bytes (CRC32 + ISIZE): all data still inflates */
	write_file(path, z.data, z.len - 4);
	{
		struct err e = { { 0 } };
		int kinds[4];
		struct scap_reader *r = scap_reader_open(path, &e);
		int rc;

		assert_non_null(r);
		rc = read_kinds(r, kinds, 4, &e);
		if (rc >= 0)
			print_error("gzip without its trailer read as complete (%d records)\n", rc);
		assert_true(rc < 0);
		scap_reader_close(r);
	}
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_corrupt_data_refused(void **state)
{
	struct sbuf raw, z;
	struct err e = { { 0 } };
	char path[128];
	int kinds[4];
	struct scap_reader *r;
	int rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 500);
	gz_member(&z, raw.data, raw.len, 0, NULL);
	/* flip the stored CRC32: inflate reports "incorrect data check" */
	z.data[z.len - 8] ^= 0x55;
	tmp_path(path, sizeof(path), "crc.scap.gz");
	write_file(path, z.data, z.len);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	rc = read_kinds(r, kinds, 4, &e);
	assert_true(rc < 0);
	assert_non_null(strstr(e.msg, "gzip error"));
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_gzip_concatenated_members_read_fully(void **state)
{
	struct sbuf raw, z;
	char path[128];
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t cut;
	int n = 0, rc;

	(void)state;
	sbuf_init(&raw, 1 << 16);
	sbuf_init(&z, 1 << 16);
	build_many_events(&raw, 300);
	/* the member boundary falls in the middle of a block */
	cut = raw.len / 2 + 3;
	gz_member(&z, raw.data, cut, 0, NULL);
	gz_member(&z, raw.data + cut, raw.len - cut, 0, NULL);
	tmp_path(path, sizeof(path), "members.scap.gz");
	write_file(path, z.data, z.len);
	r = scap_reader_open(path, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	while ((rc = scap_reader_next(r, &rec, &e)) > 0) {
		if (rc == SCAP_REC_EVENT) {
			assert_true(rec.ev.ts == (uint64_t)n);
			assert_int_equal(rec.ev.vlen[1], n % 200);
			n++;
		}
	}
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, SCAP_REC_EOF);
	assert_int_equal(n, 300);
	assert_true(scap_reader_offset(r) == raw.len);
	scap_reader_close(r);
	sbuf_release(&raw);
	sbuf_release(&z);
}

static void test_two_concatenated_sections_read_fully(void **state)
{
	char a[128], b2[128];
	struct sbuf b, x;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	struct tev evs[NSAMPLE_EVENTS];
	uint64_t second;

	(void)state;
	tmp_path(a, sizeof(a), "sec-a.scap");
	tmp_path(b2, sizeof(b2), "sec-b.scap");
	write_sample(a, false, W_ALL);
	write_sample(b2, false, W_MI | W_PL);
	sbuf_init(&b, 4096);
	sbuf_init(&x, 4096);
	read_whole(a, &b);
	second = b.len;
	read_whole(b2, &x);
	sbuf_put(&b, x.data, x.len); /* cat a.scap b.scap */
	sample_events(evs);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_IFACES);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_USERS);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_FDS);
	for (int i = 0; i < NSAMPLE_EVENTS; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], SCAP_BT_EV_V2);
	}
	/* the second section: its own metadata after the first one's events */
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_true(rec.offset == second);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_MACHINE);
	check_machine(&rec);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_PROCS);
	check_procs(&rec);
	for (int i = 0; i < NSAMPLE_EVENTS; i++) {
		assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
		tev_check(&rec, &evs[i], SCAP_BT_EV_V2);
	}
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&x);
}

static void test_event_with_unknown_type_is_skipped(void **state)
{
	struct sbuf b, e;
	struct err er = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	uint32_t len;

	(void)state;
	sbuf_init(&b, 512);
	sbuf_init(&e, 64);
	add_shb(&b);
	len = scap_encode_event(&e, 1, 1, 400, 0, NULL, NULL); /* HEAD-only code */
	add_event_block(&b, SCAP_BT_EV_V2, 0, 0, e.data, len);
	add_close_event(&b, 2);
	r = open_bytes(b.data, b.len, &er);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.ev.type, 5);
	assert_true(rec.ev.ts == 2);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
	sbuf_release(&e);
}

/* ------------------------------------------------------- SHB options */

static void test_shb_with_pcapng_options_is_read(void **state)
{
	struct sbuf b;
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	size_t at;

	(void)state;
	sbuf_init(&b, 512);
	at = blk_begin(&b, SCAP_BT_SHB);
	p32(&b, SCAP_SHB_MAGIC);
	p16(&b, 1);
	p16(&b, 2);
	p64(&b, UINT64_MAX);
	p16(&b, 1); /* opt_comment */
	p16(&b, 13);
	sbuf_put(&b, "edited by me\0\0\0", 16);
	p16(&b, 4); /* shb_userappl */
	p16(&b, 7);
	sbuf_put(&b, "editcap\0", 8);
	p16(&b, 0); /* opt_endofopt */
	p16(&b, 0);
	blk_end(&b, at);
	assert_int_equal(load_u32(b.data + 4), 64);
	add_close_event(&b, 1);
	r = open_bytes(b.data, b.len, &e);
	assert_non_null(r);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EVENT);
	assert_int_equal(rec.offset, 64);
	assert_int_equal(rec.ev.type, 5);
	assert_int_equal(next_ok(r, &rec), SCAP_REC_EOF);
	scap_reader_close(r);
	sbuf_release(&b);
}

static const char *testdata_dir(void)
{
	return env_or("SYSREC_TESTDATA", "../shared/testdata");
}

/* The shared capture rewritten by editcap (116-byte SHB with options). */
static void test_shared_capture_with_shb_options(void **state)
{
	char path[512], plain[512];
	struct err e = { { 0 } };
	struct scap_reader *r;
	struct scap_record rec;
	int rc, nev = 0, nplain = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/scap/curl_google_comments.scap", testdata_dir());
	snprintf(plain, sizeof(plain), "%s/scap/curl_google.scap", testdata_dir());
	if (access(path, R_OK) != 0 || access(plain, R_OK) != 0) {
		fprintf(stderr, "test_scap: SKIP: shared capture %s not found (set SYSREC_TESTDATA)\n", path);
		skip();
	}
	r = open_ok(path);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(next_ok(r, &rec), SCAP_REC_SECTION);
	while ((rc = scap_reader_next(r, &rec, &e)) > 0)
		nev += rc == SCAP_REC_EVENT;
	if (rc < 0)
		print_error("%s\n", e.msg);
	assert_int_equal(rc, SCAP_REC_EOF);
	scap_reader_close(r);
	r = open_ok(plain);
	while ((rc = scap_reader_next(r, &rec, &e)) > 0)
		nplain += rc == SCAP_REC_EVENT;
	assert_int_equal(rc, SCAP_REC_EOF);
	scap_reader_close(r);
	assert_true(nev > 0);
	assert_int_equal(nev, nplain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_shb),
		cmocka_unit_test(test_roundtrip_machine_info),
		cmocka_unit_test(test_roundtrip_il_v2_ipv4_ipv6),
		cmocka_unit_test(test_roundtrip_ul_v2_users_groups),
		cmocka_unit_test(test_roundtrip_pl_v9_caps_and_nul_lists),
		cmocka_unit_test(test_roundtrip_pl_v9_tail_sizes),
		cmocka_unit_test(test_roundtrip_fdl_v2_every_fd_type),
		cmocka_unit_test(test_roundtrip_ev_v2),
		cmocka_unit_test(test_roundtrip_evf_v2_dump_flags),
		cmocka_unit_test(test_roundtrip_ev_v2_large),
		cmocka_unit_test(test_roundtrip_all_blocks_raw),
		cmocka_unit_test(test_roundtrip_gzip),
		cmocka_unit_test(test_writer_truncates_overlong_strings),
		cmocka_unit_test(test_writer_non_large_blocks_stay_within_limit),
		cmocka_unit_test(test_writer_converts_v1_event_to_v2),
		cmocka_unit_test(test_read_v1_event_block_reconstructs_nparams),
		cmocka_unit_test(test_read_old_pl_versions),
		cmocka_unit_test(test_read_pl_v9_newer_76_byte_tail),
		cmocka_unit_test(test_malformed_truncated_block_header),
		cmocka_unit_test(test_malformed_truncated_block_body),
		cmocka_unit_test(test_malformed_trailer_mismatch),
		cmocka_unit_test(test_malformed_length_not_multiple_of_4),
		cmocka_unit_test(test_malformed_length_below_12),
		cmocka_unit_test(test_malformed_shb_length_below_28),
		cmocka_unit_test(test_malformed_over_large_block_fails_fast),
		cmocka_unit_test(test_malformed_over_large_block_not_read),
		cmocka_unit_test(test_malformed_non_large_event_block_over_65536),
		cmocka_unit_test(test_non_large_event_block_at_limit_accepted),
		cmocka_unit_test(test_malformed_non_large_event_block_limit_plus_4),
		cmocka_unit_test(test_malformed_bad_magic),
		cmocka_unit_test(test_malformed_bad_byte_order_magic),
		cmocka_unit_test(test_malformed_shb_major_version_2),
		cmocka_unit_test(test_shb_minor_version_not_checked),
		cmocka_unit_test(test_unknown_metadata_block_is_skipped),
		cmocka_unit_test(test_malformed_metadata_block_after_events),
		cmocka_unit_test(test_malformed_no_events_in_file),
		cmocka_unit_test(test_malformed_empty_file),
		cmocka_unit_test(test_malformed_event_too_many_params),
		cmocka_unit_test(test_malformed_param_lengths_past_event_length),
		cmocka_unit_test(test_malformed_event_length_past_block),
		cmocka_unit_test(test_malformed_pl_args_len_4097),
		cmocka_unit_test(test_pl_args_len_4096_accepted),
		cmocka_unit_test(test_malformed_pl_entry_shorter_than_fields),
		cmocka_unit_test(test_malformed_ul_name_len_256),
		cmocka_unit_test(test_malformed_il_unknown_interface_type),
		cmocka_unit_test(test_malformed_fdl_unknown_fd_type),
		cmocka_unit_test(test_gzip_truncated_mid_stream_refused),
		cmocka_unit_test(test_gzip_truncated_at_block_boundary_refused),
		cmocka_unit_test(test_gzip_truncated_in_trailer_refused),
		cmocka_unit_test(test_gzip_corrupt_data_refused),
		cmocka_unit_test(test_gzip_concatenated_members_read_fully),
		cmocka_unit_test(test_two_concatenated_sections_read_fully),
		cmocka_unit_test(test_event_with_unknown_type_is_skipped),
		cmocka_unit_test(test_shb_with_pcapng_options_is_read),
		cmocka_unit_test(test_shared_capture_with_shb_options),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
