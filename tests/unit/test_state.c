/*
 * test_state: hand-built events fed through state_process() build the thread
 * and fd tables as sysdig does (docs/scap-format.md section 9).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../../src/state/state.h"

/* ------------------------------------------------------------ helpers */

#define AT_FDCWD_ (-100)

/* Encode, parse and apply one event; the event buffer is released afterwards
 * (the state keeps what it needs). */
static void feed(struct state *s, struct evctx *cx, int64_t tid, uint16_t type, uint32_t n,
                 const void *const *vals, const uint32_t *lens)
{
	static uint64_t ts = 1700000000000000000ULL;
	struct sbuf b;
	struct event ev;
	struct err e = { { 0 } };

	sbuf_init(&b, 128);
	scap_encode_event(&b, ts++, tid, type, n, vals, lens);
	memset(&ev, 0, sizeof(ev));
	if (event_parse(&ev, (const uint8_t *)b.data, b.len, 2, &e) != 0)
		print_error("event_parse: %s\n", e.msg);
	memset(cx, 0, sizeof(*cx));
	state_process(s, &ev, cx);
	cx->ev = NULL; /* the buffer goes away */
	sbuf_release(&b);
}

#define V(...) ((const void *const[]){ __VA_ARGS__ })
#define L(...) ((const uint32_t[]){ __VA_ARGS__ })

static void add_proc(struct state *s, int64_t tid, int64_t pid, int64_t ptid, const char *comm,
                     const char *exe, const char *cwd, uint32_t flags)
{
	static const char env[] = "HOME=/root\0";
	struct scap_proc p = {
		.tid = (uint64_t)tid,
		.pid = (uint64_t)pid,
		.ptid = (uint64_t)ptid,
		.sid = (uint64_t)pid,
		.vpgid = (uint64_t)pid,
		.comm = (char *)comm,
		.exe = (char *)exe,
		.exepath = (char *)exe,
		.cwd = (char *)cwd,
		.root = (char *)"/",
		.args = (char *)"",
		.env = (char *)env,
		.env_len = sizeof(env) - 1,
		.cgroups = (char *)"",
		.fdlimit = 1024,
		.flags = flags,
		.uid = 1000,
		.gid = 1000,
		.vtid = tid,
		.vpid = pid,
		.loginuid = 1000,
	};
	struct scap_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_PROCS;
	rec.procs = &p;
	rec.nprocs = 1;
	state_add_record(s, &rec);
}

/* openat enter + exit on tid: returns the exit's context. */
static void open_at(struct state *s, struct evctx *cx, int64_t tid, int64_t dirfd, const char *name,
                    uint32_t flags, int64_t fd)
{
	uint32_t mode = 0, dev = 0x803, nl = (uint32_t)strlen(name) + 1;

	feed(s, cx, tid, 306, 4, V(&dirfd, name, &flags, &mode), L(8, nl, 4, 4));
	feed(s, cx, tid, 307, 6, V(&fd, &dirfd, name, &flags, &mode, &dev), L(8, 8, nl, 4, 4, 4));
}

static void close_fd(struct state *s, struct evctx *cx, int64_t tid, int64_t fd, int64_t res)
{
	feed(s, cx, tid, 4, 1, V(&fd), L(8));
	feed(s, cx, tid, 5, 1, V(&res), L(8));
}

/* A clone/fork exit (223) as seen in the parent (res = child) or the child (res = 0). */
static void clone_exit(struct state *s, struct evctx *cx, int64_t tid, int64_t res, int64_t pid, int64_t ptid,
                       const char *comm, uint32_t flags)
{
	static const char exe[] = "/usr/bin/worker",
	                  args[] = "-n\0"
	                           "4\0",
	                  cwd[] = "/srv", cg[] = "cpu=/\0";
	int64_t fdlimit = 4096, vtid = tid, vpid = pid;
	uint64_t maj = 0, min = 0;
	uint32_t vm = 0, uid = 1000, gid = 1000;

	feed(s, cx, tid, 222, 0, NULL, NULL);
	feed(s, cx, tid, 223, 20,
	     V(&res, exe, args, &tid, &pid, &ptid, cwd, &fdlimit, &maj, &min, &vm, &vm, &vm, comm, cg, &flags,
	       &uid, &gid, &vtid, &vpid),
	     L(8, sizeof(exe), sizeof(args) - 1, 8, 8, 8, sizeof(cwd), 8, 8, 8, 4, 4, 4,
	       (uint32_t)strlen(comm) + 1, sizeof(cg) - 1, 4, 4, 4, 8, 8));
}

/* ------------------------------------------------------------ open/close/dup */

static void test_openat_exit_creates_fd_with_resolved_path(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	struct fdinfo *f;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/home/alice", 0);
	t = state_thread(s, 100);
	assert_non_null(t);
	assert_string_equal(t->cwd, "/home/alice/"); /* kept with a trailing slash */

	/* relative to the cwd of the PL entry */
	open_at(s, &cx, 100, AT_FDCWD_, "docs/../notes.txt", 0x1001, 3);
	assert_ptr_equal(cx.thread, t);
	assert_non_null(cx.fdinfo);
	assert_true(cx.fd == 3);
	f = state_fd(s, t, 3);
	assert_ptr_equal(f, cx.fdinfo);
	assert_string_equal(f->name, "/home/alice/notes.txt");
	assert_int_equal(f->type, SCAP_FD_FILE_V2);
	assert_int_equal(f->open_flags, 0x1001);
	assert_int_equal(f->dev, 0x803);
	assert_int_equal(state_fd_typechar(f), 'f');
	assert_string_equal(state_fd_typename(f), "file");

	/* an absolute path ignores the cwd */
	open_at(s, &cx, 100, AT_FDCWD_, "/etc/hosts", 1, 5);
	assert_string_equal(state_fd(s, t, 5)->name, "/etc/hosts");

	/* O_DIRECTORY gives a directory fd, and openat relative to it */
	open_at(s, &cx, 100, AT_FDCWD_, "/var/log", 0x401, 4);
	assert_int_equal(state_fd(s, t, 4)->type, SCAP_FD_DIRECTORY);
	assert_int_equal(state_fd_typechar(state_fd(s, t, 4)), 'd');
	open_at(s, &cx, 100, 4, "syslog", 1, 6);
	assert_string_equal(state_fd(s, t, 6)->name, "/var/log/syslog");

	/* a failed open creates nothing */
	open_at(s, &cx, 100, AT_FDCWD_, "missing", 1, -2);
	assert_null(state_fd(s, t, 7));
	assert_null(state_fd(s, t, -2));
	state_free(s);
}

static void test_close_removes_fd(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/home/alice", 0);
	t = state_thread(s, 100);
	open_at(s, &cx, 100, AT_FDCWD_, "a.txt", 1, 3);
	assert_non_null(state_fd(s, t, 3));

	/* a failed close keeps the fd */
	close_fd(s, &cx, 100, 3, -9);
	assert_non_null(state_fd(s, t, 3));

	close_fd(s, &cx, 100, 3, 0);
	/* the close exit still describes the fd it closed */
	assert_true(cx.fd == 3);
	assert_non_null(cx.fdinfo);
	assert_string_equal(cx.fdinfo->name, "/home/alice/a.txt");
	assert_null(state_fd(s, t, 3));
	state_free(s);
}

static void test_dup_copies_fd(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	struct fdinfo *a, *b;
	int64_t fd = 3, res = 7;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/home/alice", 0);
	t = state_thread(s, 100);
	open_at(s, &cx, 100, AT_FDCWD_, "/var/log/app.log", 0x1002, 3);
	feed(s, &cx, 100, 124, 1, V(&fd), L(8));
	feed(s, &cx, 100, 125, 1, V(&res), L(8));
	a = state_fd(s, t, 3);
	b = state_fd(s, t, 7);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_true(b->fd == 7);
	assert_string_equal(b->name, "/var/log/app.log");
	assert_int_equal(b->type, a->type);
	assert_int_equal(b->open_flags, 0x1002);
	assert_int_equal(b->dev, a->dev);
	/* an independent copy: closing the old fd leaves the new one */
	close_fd(s, &cx, 100, 3, 0);
	assert_null(state_fd(s, t, 3));
	assert_non_null(state_fd(s, t, 7));
	assert_string_equal(state_fd(s, t, 7)->name, "/var/log/app.log");
	state_free(s);
}

/* ------------------------------------------------------------ threads */

static void test_clone_exit_creates_child_with_parent_fds(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *parent, *child;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/home/alice", 0);
	parent = state_thread(s, 100);
	open_at(s, &cx, 100, AT_FDCWD_, "/etc/hosts", 1, 3);
	open_at(s, &cx, 100, AT_FDCWD_, "log.txt", 2, 4);

	clone_exit(s, &cx, 100, 200, 100, 1, "worker", 0);
	assert_ptr_equal(cx.thread, parent);
	child = state_thread(s, 200);
	assert_non_null(child);
	assert_false(child->fake);
	assert_true(child->tid == 200);
	assert_true(child->pid == 200);
	assert_true(child->ptid == 100);
	assert_string_equal(child->comm, "worker");
	assert_string_equal(child->exe, "/usr/bin/worker");
	assert_int_equal(child->args_len, 5);
	assert_memory_equal(child->args,
	                    "-n\0"
	                    "4\0",
	                    5);
	assert_string_equal(child->cwd, "/srv/");
	assert_int_equal(child->uid, 1000);
	/* env and exepath are inherited from the parent */
	assert_string_equal(child->exepath, parent->exepath);
	assert_int_equal(child->env_len, parent->env_len);
	/* the parent's fds, as copies */
	assert_non_null(state_fd(s, child, 3));
	assert_string_equal(state_fd(s, child, 3)->name, "/etc/hosts");
	assert_string_equal(state_fd(s, child, 4)->name, "/home/alice/log.txt");
	assert_ptr_not_equal(state_fd(s, child, 3), state_fd(s, parent, 3));
	close_fd(s, &cx, 100, 3, 0);
	assert_null(state_fd(s, parent, 3));
	assert_non_null(state_fd(s, child, 3));

	/* the child's own clone exit (res 0) does not replace it */
	clone_exit(s, &cx, 200, 0, 200, 100, "worker", 0);
	assert_ptr_equal(state_thread(s, 200), child);
	assert_ptr_equal(cx.thread, child);
	assert_non_null(state_fd(s, child, 3));
	state_free(s);
}

static void test_clone_thread_shares_fd_table(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *parent, *th;

	(void)state;
	add_proc(s, 100, 100, 1, "server", "/usr/sbin/server", "/", 0);
	parent = state_thread(s, 100);
	open_at(s, &cx, 100, AT_FDCWD_, "/data/db", 3, 3);
	/* CLONE_THREAD | CLONE_FILES (PPM_CL_*) */
	clone_exit(s, &cx, 100, 101, 100, 1, "server", 0x2001);
	th = state_thread(s, 101);
	assert_non_null(th);
	assert_true(th->pid == 100);
	assert_ptr_equal(state_main_thread(s, th), parent);
	assert_ptr_equal(state_fd(s, th, 3), state_fd(s, parent, 3));
	/* an fd opened by the thread is the process's */
	open_at(s, &cx, 101, AT_FDCWD_, "/data/wal", 2, 9);
	assert_non_null(state_fd(s, parent, 9));
	close_fd(s, &cx, 101, 3, 0);
	assert_null(state_fd(s, parent, 3));
	state_free(s);
}

static void test_execve_exit_changes_comm_exe_args(void **state)
{
	static const char fname[] = "./bin/tool", exe[] = "tool", args[] = "-v\0--out=x\0", empty[] = "",
	                  comm[] = "tool", cg[] = "cpu=/user.slice\0", env[] = "A=1\0B=2\0";
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	int64_t res = 0, fail = -2, tid = 100, pid = 100, ptid = 1, pgid = 100;
	uint64_t fdlimit = 1024, zero64 = 0;
	uint32_t zero32 = 0, flags = 1;
	int32_t tty = 34816, loginuid = 1234;
	const void *const *v;
	const uint32_t *l;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/home/alice", 0);
	t = state_thread(s, 100);
	v = V(&res, exe, args, &tid, &pid, &ptid, empty, &fdlimit, &zero64, &zero64, &zero32, &zero32,
	      &zero32, comm, cg, env, &tty, &pgid, &loginuid, &flags);
	l = L(8, sizeof(exe), sizeof(args) - 1, 8, 8, 8, sizeof(empty), 8, 8, 8, 4, 4, 4, sizeof(comm),
	      sizeof(cg) - 1, sizeof(env) - 1, 4, 8, 4, 4);

	/* a failed execve changes nothing */
	{
		const void *vf[20];

		memcpy(vf, v, sizeof(vf));
		vf[0] = &fail;
		feed(s, &cx, 100, 292, 1, V(fname), L(sizeof(fname)));
		feed(s, &cx, 100, 293, 20, vf, l);
		assert_string_equal(t->comm, "bash");
		assert_string_equal(t->exe, "/bin/bash");
	}

	feed(s, &cx, 100, 292, 1, V(fname), L(sizeof(fname)));
	feed(s, &cx, 100, 293, 20, v, l);
	assert_ptr_equal(cx.thread, t);
	assert_ptr_equal(state_thread(s, 100), t);
	assert_string_equal(t->comm, "tool");
	assert_string_equal(t->exe, "tool");
	assert_int_equal(t->args_len, sizeof(args) - 1);
	assert_memory_equal(t->args, args, sizeof(args) - 1);
	/* the executable path: the enter's filename against the cwd */
	assert_string_equal(t->exepath, "/home/alice/bin/tool");
	assert_int_equal(t->env_len, sizeof(env) - 1);
	assert_memory_equal(t->env, env, sizeof(env) - 1);
	assert_int_equal(t->cgroups_len, sizeof(cg) - 1);
	assert_int_equal(t->loginuid, 1234);
	assert_string_equal(t->cwd, "/home/alice/"); /* the empty cwd of the event is ignored */
	state_free(s);
}

static void test_procexit_removes_thread_at_next_event(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	int64_t status = 0, ret = 0, fd = 0;
	uint8_t sig = 0, core = 0;
	uint32_t size = 10;

	(void)state;
	add_proc(s, 100, 100, 1, "bash", "/bin/bash", "/", 0);
	add_proc(s, 300, 300, 100, "sleep", "/bin/sleep", "/", 0);
	t = state_thread(s, 300);
	assert_non_null(t);
	feed(s, &cx, 300, 186, 4, V(&status, &ret, &sig, &core), L(8, 8, 1, 1));
	/* the procexit event itself still has its thread */
	assert_ptr_equal(cx.thread, t);
	assert_ptr_equal(state_thread(s, 300), t);
	assert_string_equal(state_thread(s, 300)->comm, "sleep");
	/* gone at the next event, whichever thread it belongs to */
	feed(s, &cx, 100, 6, 2, V(&fd, &size), L(8, 4));
	assert_null(state_thread(s, 300));
	assert_non_null(state_thread(s, 100));
	/* a procexit of a thread never seen creates none */
	feed(s, &cx, 301, 186, 4, V(&status, &ret, &sig, &core), L(8, 8, 1, 1));
	assert_null(cx.thread);
	assert_null(state_thread(s, 301));
	state_free(s);
}

static void test_unknown_tid_gets_na_thread(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	int64_t fd = 0;
	uint32_t size = 10;

	(void)state;
	assert_null(state_thread(s, 999));
	feed(s, &cx, 999, 6, 2, V(&fd, &size), L(8, 4));
	assert_non_null(cx.thread);
	assert_ptr_equal(state_thread(s, 999), cx.thread);
	assert_true(cx.thread->tid == 999);
	assert_string_equal(cx.thread->comm, "<NA>");
	assert_string_equal(cx.thread->exe, "<NA>");
	assert_true(cx.thread->fake);
	assert_true(cx.shown);
	state_free(s);
}

/* ------------------------------------------------------------ sockets */

static void test_socket_connect_ipv4_tuple_and_role(void **state)
{
	static const uint8_t addr[7] = { 2, 93, 184, 216, 34, 80, 0 };
	/* 10.0.2.15:47192 -> 93.184.216.34:80 (ports little-endian) */
	static const uint8_t tuple[13] = { 2, 10, 0, 2, 15, 0x58, 0xb8, 93, 184, 216, 34, 80, 0 };
	static const uint8_t dip[4] = { 93, 184, 216, 34 }, sip[4] = { 10, 0, 2, 15 };
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	struct fdinfo *f;
	uint32_t domain = 2, type = 1, proto = 0;
	int64_t fd = 5, res = 0;

	(void)state;
	add_proc(s, 100, 100, 1, "curl", "/usr/bin/curl", "/", 0);
	t = state_thread(s, 100);
	feed(s, &cx, 100, 18, 3, V(&domain, &type, &proto), L(4, 4, 4));
	feed(s, &cx, 100, 19, 1, V(&fd), L(8));
	f = state_fd(s, t, 5);
	assert_non_null(f);
	assert_int_equal(f->type, SCAP_FD_IPV4_SOCK);
	assert_int_equal(f->role, STATE_ROLE_NONE);
	assert_int_equal(state_fd_l4proto(f), SCAP_L4_NA); /* unknown until it has a role */
	assert_string_equal(f->name, "");

	feed(s, &cx, 100, 22, 2, V(&fd, addr), L(8, sizeof(addr)));
	feed(s, &cx, 100, 23, 2, V(&res, tuple), L(8, sizeof(tuple)));
	f = state_fd(s, t, 5);
	assert_ptr_equal(cx.fdinfo, f);
	assert_string_equal(f->name, "10.0.2.15:47192->93.184.216.34:80");
	assert_int_equal(f->type, SCAP_FD_IPV4_SOCK);
	assert_int_equal(f->role, STATE_ROLE_CLIENT);
	assert_true(f->connected);
	assert_int_equal(state_fd_l4proto(f), SCAP_L4_TCP);
	assert_int_equal(state_fd_typechar(f), '4');
	assert_string_equal(state_fd_typename(f), "ipv4");
	assert_memory_equal(f->sip, sip, 4);
	assert_memory_equal(f->dip, dip, 4);
	assert_int_equal(f->sport, 47192);
	assert_int_equal(f->dport, 80);
	state_free(s);
}

static void test_connect_einprogress_succeeds_refused_does_not(void **state)
{
	static const uint8_t addr[7] = { 2, 10, 0, 0, 9, 0xbb, 0x01 };
	static const uint8_t tuple[13] = { 2, 10, 0, 0, 1, 0x10, 0x27, 10, 0, 0, 9, 0xbb, 0x01 };
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	uint32_t domain = 2, type = 1, proto = 6;
	int64_t fd6 = 6, fd7 = 7, inprog = -115, refused = -111;

	(void)state;
	add_proc(s, 100, 100, 1, "curl", "/usr/bin/curl", "/", 0);
	t = state_thread(s, 100);
	feed(s, &cx, 100, 18, 3, V(&domain, &type, &proto), L(4, 4, 4));
	feed(s, &cx, 100, 19, 1, V(&fd6), L(8));
	feed(s, &cx, 100, 18, 3, V(&domain, &type, &proto), L(4, 4, 4));
	feed(s, &cx, 100, 19, 1, V(&fd7), L(8));
	feed(s, &cx, 100, 22, 2, V(&fd6, addr), L(8, sizeof(addr)));
	feed(s, &cx, 100, 23, 2, V(&inprog, tuple), L(8, sizeof(tuple)));
	assert_string_equal(state_fd(s, t, 6)->name, "10.0.0.1:10000->10.0.0.9:443");
	assert_int_equal(state_fd(s, t, 6)->role, STATE_ROLE_CLIENT);
	feed(s, &cx, 100, 22, 2, V(&fd7, addr), L(8, sizeof(addr)));
	feed(s, &cx, 100, 23, 2, V(&refused, tuple), L(8, sizeof(tuple)));
	assert_string_equal(state_fd(s, t, 7)->name, "");
	assert_int_equal(state_fd(s, t, 7)->role, STATE_ROLE_NONE);
	state_free(s);
}

static void test_fd_list_record_names_sockets(void **state)
{
	struct state *s = state_new();
	struct scap_fd fds[2];
	struct scap_record rec;
	struct thread *t;

	(void)state;
	add_proc(s, 100, 100, 1, "sshd", "/usr/sbin/sshd", "/", 0);
	memset(fds, 0, sizeof(fds));
	fds[0] = (struct scap_fd){ .fd = 3,
		                   .type = SCAP_FD_IPV4_SOCK,
		                   .l4proto = SCAP_L4_TCP,
		                   .sip = { 10, 0, 2, 15 },
		                   .dip = { 10, 0, 2, 2 },
		                   .sport = 22,
		                   .dport = 51000,
		                   .name = (char *)"" };
	fds[1] = (struct scap_fd){ .fd = 4,
		                   .type = SCAP_FD_IPV4_SERVSOCK,
		                   .l4proto = SCAP_L4_TCP,
		                   .sport = 22,
		                   .name = (char *)"" };
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = 100;
	rec.fds = fds;
	rec.nfds = 2;
	state_add_record(s, &rec);
	t = state_thread(s, 100);
	/* listed local->remote, as /proc has them; no role before the first event */
	assert_string_equal(state_fd(s, t, 3)->name, "10.0.2.15:22->10.0.2.2:51000");
	assert_int_equal(state_fd(s, t, 3)->role, STATE_ROLE_NONE);
	assert_string_equal(state_fd(s, t, 4)->name, "0.0.0.0:22");
	state_free(s);
}

/* sysdig's rule when a capture opens (issue 21 item 1): a connected v4
 * socket of the head whose local port is one the head listens on (in any
 * process) is the server's end, named client->server; the others are
 * clients' and keep their order. */
static void test_fd_list_sockets_turn_client_server(void **state)
{
	struct state *s = state_new();
	struct scap_fd fds[3];
	struct scap_record rec;
	struct evctx cx;
	struct thread *t;
	int64_t fd = 3;
	uint32_t size = 100;

	(void)state;
	add_proc(s, 100, 100, 1, "sshd", "/usr/sbin/sshd", "/", 0);
	add_proc(s, 200, 200, 1, "curl", "/usr/bin/curl", "/", 0);
	memset(fds, 0, sizeof(fds));
	fds[0] = (struct scap_fd){ .fd = 3,
		                   .type = SCAP_FD_IPV4_SOCK,
		                   .l4proto = SCAP_L4_TCP,
		                   .sip = { 10, 0, 2, 15 },
		                   .dip = { 10, 0, 2, 2 },
		                   .sport = 22,
		                   .dport = 51000,
		                   .name = (char *)"" };
	fds[1] = (struct scap_fd){ .fd = 4,
		                   .type = SCAP_FD_IPV6_SERVSOCK,
		                   .l4proto = SCAP_L4_TCP,
		                   .sport = 22,
		                   .name = (char *)"" };
	fds[2] = (struct scap_fd){ .fd = 3,
		                   .type = SCAP_FD_IPV4_SOCK,
		                   .l4proto = SCAP_L4_TCP,
		                   .sip = { 10, 0, 2, 15 },
		                   .dip = { 93, 184, 216, 34 },
		                   .sport = 41000,
		                   .dport = 443,
		                   .name = (char *)"" };
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = 100;
	rec.fds = fds;
	rec.nfds = 2;
	state_add_record(s, &rec);
	rec.fds_tid = 200;
	rec.fds = fds + 2;
	rec.nfds = 1;
	state_add_record(s, &rec);
	feed(s, &cx, 100, PPME_SYSCALL_READ_E, 2, V(&fd, &size), L(8, 4));
	t = state_thread(s, 100);
	assert_string_equal(state_fd(s, t, 3)->name, "10.0.2.2:51000->10.0.2.15:22");
	assert_int_equal(state_fd(s, t, 3)->role, STATE_ROLE_SERVER);
	t = state_thread(s, 200);
	assert_string_equal(state_fd(s, t, 3)->name, "10.0.2.15:41000->93.184.216.34:443");
	assert_int_equal(state_fd(s, t, 3)->role, STATE_ROLE_CLIENT);
	state_free(s);
}

/* A judge that keeps exits only, as the filter evt.dir=< would. */
static bool keep_exits(void *ctx, const struct evctx *cx)
{
	(void)ctx;
	return event_is_exit(cx->ev->type);
}

static void add_file_fd(struct state *s, int64_t tid, int64_t fd, const char *name)
{
	struct scap_fd f = { .fd = fd, .type = SCAP_FD_FILE_V2, .name = (char *)name };
	struct scap_record rec;

	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = (uint64_t)tid;
	rec.fds = &f;
	rec.nfds = 1;
	state_add_record(s, &rec);
}

/* sysdig's inspector filter (issue 21 item 2): a read's enter the filter
 * rejects leaves its exit with no fd of its own (evt.buflen, evt.category
 * read none), while fd.* still find the thread's last fd; a write's exit
 * has its fd all the same. Without a filter the exit has it. */
static void test_judge_rejected_enter_leaves_exit_without_fd(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	int64_t fd = 3, res = 5;
	uint32_t size = 100;

	(void)state;
	add_proc(s, 100, 100, 1, "cat", "/bin/cat", "/", 0);
	add_file_fd(s, 100, 3, "/etc/hosts");
	feed(s, &cx, 100, PPME_SYSCALL_READ_E, 2, V(&fd, &size), L(8, 4));
	feed(s, &cx, 100, PPME_SYSCALL_READ_X, 2, V(&res, "hello"), L(8, 5));
	assert_non_null(cx.evt_fdinfo);
	assert_false(cx.judged);

	state_set_judge(s, keep_exits, NULL);
	feed(s, &cx, 100, PPME_SYSCALL_READ_E, 2, V(&fd, &size), L(8, 4));
	assert_true(cx.judged);
	assert_true(cx.rejected);
	feed(s, &cx, 100, PPME_SYSCALL_READ_X, 2, V(&res, "hello"), L(8, 5));
	assert_true(cx.judged);
	assert_false(cx.rejected);
	assert_null(cx.evt_fdinfo);
	assert_non_null(cx.fdinfo);
	assert_string_equal(cx.fdinfo->name, "/etc/hosts");
	feed(s, &cx, 100, PPME_SYSCALL_WRITE_E, 2, V(&fd, &size), L(8, 4));
	feed(s, &cx, 100, PPME_SYSCALL_WRITE_X, 2, V(&res, "hello"), L(8, 5));
	assert_non_null(cx.evt_fdinfo);
	state_free(s);
}

/* An exit whose enter is not the thread's last event finds no fd for the
 * parsers: a dup's exit copies nothing (issue 21 item 4, as sysdig). */
static void test_dup_exit_without_enter_copies_nothing(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	int64_t fd = 7, one = 1;
	struct thread *t;

	(void)state;
	add_proc(s, 100, 100, 1, "sh", "/bin/sh", "/", 0);
	add_file_fd(s, 100, 1, "/dev/pts/6");
	add_file_fd(s, 100, 7, "/tmp/shell.log");
	feed(s, &cx, 100, PPME_SYSCALL_DUP_X, 1, V(&one), L(8));
	t = state_thread(s, 100);
	assert_string_equal(state_fd(s, t, 1)->name, "/dev/pts/6");
	feed(s, &cx, 100, PPME_SYSCALL_DUP_E, 1, V(&fd), L(8));
	feed(s, &cx, 100, PPME_SYSCALL_DUP_X, 1, V(&one), L(8));
	assert_string_equal(state_fd(s, t, 1)->name, "/tmp/shell.log");
	assert_int_equal(t->last_fd, 1);
	state_free(s);
}

/* A container's event of no thread (issue 21 item 3) is read as sysdig's
 * thread of that container: -1, named container:ID, in the container. */
static void test_container_event_thread(void **state)
{
	static const char js[] =
	        "{\"container\":{\"id\":\"4b5c6d7e8f90\",\"name\":\"db\",\"image\":\"busybox\"}}";
	struct state *s = state_new();
	struct evctx cx;
	int64_t fd = 3;
	uint32_t size = 1;

	(void)state;
	add_proc(s, 100, 100, 1, "cat", "/bin/cat", "/", 0);
	feed(s, &cx, 100, PPME_SYSCALL_READ_E, 2, V(&fd, &size), L(8, 4));
	feed(s, &cx, -1, PPME_CONTAINER_JSON_E, 1, V(js), L(sizeof(js)));
	assert_true(cx.shown);
	assert_non_null(cx.thread);
	assert_int_equal(cx.thread->tid, -1);
	assert_int_equal(cx.thread->pid, -1);
	assert_int_equal(cx.thread->vtid, -2);
	assert_int_equal(cx.thread->uid, 0);
	assert_string_equal(cx.thread->comm, "container:4b5c6d7e8f90");
	assert_string_equal(cx.thread->container_id, "4b5c6d7e8f90");
	state_free(s);
}

/*
 * A container described again (its runtime answered after its id was
 * written) is the later description, as sysdig reads it; its labels are
 * found by key, non-string ones left out.
 */
static void test_container_described_again(void **state)
{
	static const char first[] = "{\"container\":{\"id\":\"4b5c6d7e8f90\",\"type\":0,\"name\":\"\"}}";
	static const char second[] =
	        "{\"container\":{\"id\":\"4b5c6d7e8f90\",\"type\":0,\"name\":\"db\","
	        "\"labels\":{\"io.kubernetes.pod.name\":\"p-0\",\"app\":\"db\",\"n\":3}}}";
	struct state *s = state_new();
	struct evctx cx;
	const struct container *c;

	(void)state;
	feed(s, &cx, -1, PPME_CONTAINER_JSON_2_E, 1, V(first), L(sizeof(first)));
	feed(s, &cx, -1, PPME_CONTAINER_JSON_2_E, 1, V(second), L(sizeof(second)));
	c = state_container(s, "4b5c6d7e8f90");
	assert_non_null(c);
	assert_string_equal(c->name, "db");
	assert_int_equal(c->nlabels, 2);
	assert_string_equal(state_container_label(c, "io.kubernetes.pod.name"), "p-0");
	assert_string_equal(state_container_label(c, "app"), "db");
	assert_null(state_container_label(c, "n"));
	assert_null(state_container_label(c, "zz"));
	state_free(s);
}

/* ------------------------------------------------------------ paths */

static void expect_path(const char *dir, const char *path, const char *want)
{
	struct sbuf out;
	const char *got;

	sbuf_init(&out, 16);
	got = state_concat_path(&out, dir, path);
	if (strcmp(got, want) != 0)
		print_error("concat(\"%s\", \"%s\") = \"%s\", want \"%s\"\n", dir, path, got, want);
	assert_string_equal(got, want);
	assert_ptr_equal(got, out.data);
	assert_int_equal(out.len, strlen(want));
	sbuf_release(&out);
}

static void test_concat_path_folds_dot_and_dotdot(void **state)
{
	(void)state;
	expect_path("/home/alice/", "notes.txt", "/home/alice/notes.txt");
	expect_path("/home/alice", "notes.txt", "/home/alice/notes.txt");
	expect_path("/home/alice/", "./docs/./a.txt", "/home/alice/docs/a.txt");
	expect_path("/home/alice/", "../bob/x", "/home/bob/x");
	expect_path("/a/b/c/", "../../d", "/a/d");
	expect_path("/a/b/", "c/../../e/./f", "/a/e/f");
	expect_path("/", "../../etc/passwd", "/etc/passwd");
	expect_path("/home/alice/", "/etc/../var/./log/syslog", "/var/log/syslog");
	expect_path("/a/", "b//c", "/a/b/c");
	/* as sysdig 0.29.3 names the fds of crafted opens (checked with sysdig -p %fd.name) */
	expect_path("/home/u/", "/a/b/", "/a/b");
	expect_path("/home/u/", "x/../y/", "/home/u/y");
	expect_path("/home/u/", "//w", "/w");
	expect_path("/home/u/", "/", "/");
	/* clean absolute paths (copied as they are) and ones that only look unclean */
	expect_path("/home/u/", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6");
	expect_path("/home/u/", "/a/.hidden/..x/...", "/a/.hidden/..x/...");
	expect_path("/home/u/", "/a/b/.", "/a/b");
}

/* A unix socket takes the path it connects to at the connect enter, even when the connect fails (as sysdig).
 */
static void test_unix_connect_enter_names_socket(void **state)
{
	struct state *s = state_new();
	struct evctx cx;
	struct thread *t;
	uint32_t dom = 1, type = 1, proto = 0;
	int64_t fd = 4, res = -2;
	static const char addr[] = "\x01/var/run/nscd/socket";

	(void)state;
	add_proc(s, 100, 100, 1, "ps", "/bin/ps", "/", 0);
	t = state_thread(s, 100);
	feed(s, &cx, 100, 18, 3, V(&dom, &type, &proto), L(4, 4, 4));
	feed(s, &cx, 100, 19, 1, V(&fd), L(8));
	assert_string_equal(state_fd(s, t, 4)->name, "");
	feed(s, &cx, 100, 22, 2, V(&fd, addr), L(8, sizeof(addr)));
	assert_string_equal(state_fd(s, t, 4)->name, "/var/run/nscd/socket");
	feed(s, &cx, 100, 23, 2, V(&res, ""), L(8, 0));
	assert_string_equal(state_fd(s, t, 4)->name, "/var/run/nscd/socket");
	state_free(s);
}

/* Container ids and runtimes from the cgroup layouts of docker, containerd, cri-o, podman, kubepods. */
static void test_cgroups_container_layouts(void **state)
{
	static const char hex[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char id[13], cg[512];
	int n;

	(void)state;
	n = snprintf(cg, sizeof(cg), "cpuset=/%c0cpu=/docker/%s", 0, hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 0);
	assert_string_equal(id, "0123456789ab");
	n = snprintf(cg, sizeof(cg), "memory=/system.slice/docker-%s.scope", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 0);
	n = snprintf(cg, sizeof(cg), "cpu=/system.slice/cri-containerd-%s.scope", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 7);
	n = snprintf(cg, sizeof(cg), "pids=/k8s.io/%s", hex); /* ctr's, in containerd's namespace k8s.io */
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 7);
	n = snprintf(cg, sizeof(cg), "0::/default/%s", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 7);
	n = snprintf(cg, sizeof(cg), "cpu=/kubepods.slice/kubepods-pod1.slice/crio-%s.scope", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 8);
	n = snprintf(cg, sizeof(cg), "cpu=/machine.slice/libpod-%s.scope", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 11);
	n = snprintf(cg, sizeof(cg), "cpu=/kubepods/besteffort/pod1/%s", hex);
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), 6);
	n = snprintf(cg, sizeof(cg), "cpu=/user.slice/x%s", hex); /* not a path segment of its own */
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), -1);
	n = snprintf(cg, sizeof(cg), "cpu=/user.slice");
	assert_int_equal(state_cgroups_container(cg, (size_t)n + 1, id), -1);
}

/* ------------------------------------------------------------ snapshot */

/*
 * A file that starts mid-stream (rotation) describes the threads and fds as
 * the events left them: a state rebuilt from the snapshot's records names the
 * same threads and fds as the state it was taken from.
 */
static void test_snapshot_round_trip(void **state)
{
	struct state *s = state_new(), *r = state_new();
	struct evctx cx;
	struct state_snapshot snap;
	struct scap_fd sock;
	struct scap_record rec;
	size_t nthreads = 0;

	(void)state;
	add_proc(s, 100, 100, 1, "server", "/usr/sbin/server", "/srv/", 0);
	open_at(s, &cx, 100, AT_FDCWD_, "data/log.txt", 0x2 | 0x4, 5);
	memset(&sock, 0, sizeof(sock));
	sock = (struct scap_fd){ .fd = 6,
		                 .type = SCAP_FD_IPV4_SOCK,
		                 .l4proto = SCAP_L4_TCP,
		                 .sip = { 10, 0, 0, 1 },
		                 .dip = { 10, 0, 0, 2 },
		                 .sport = 8080,
		                 .dport = 40000,
		                 .name = (char *)"" };
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_FDS;
	rec.fds_tid = 100;
	rec.fds = &sock;
	rec.nfds = 1;
	state_add_record(s, &rec);
	clone_exit(s, &cx, 100, 101, 100, 1, "server", 0);      /* parent side */
	clone_exit(s, &cx, 101, 0, 101, 100, "worker", 0);      /* a child process */
	clone_exit(s, &cx, 100, 102, 100, 1, "server", 0x2001); /* a thread sharing fds */
	clone_exit(s, &cx, 102, 0, 100, 1, "server", 0x2001);

	state_snapshot(s, &snap);
	memset(&rec, 0, sizeof(rec));
	rec.kind = SCAP_REC_PROCS;
	rec.procs = snap.procs;
	rec.nprocs = snap.n;
	state_add_record(r, &rec);
	for (size_t i = 0; i < snap.n; i++) {
		nthreads++;
		if (!snap.nfds[i])
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.kind = SCAP_REC_FDS;
		rec.fds_tid = snap.procs[i].tid;
		rec.fds = snap.fds[i];
		rec.nfds = snap.nfds[i];
		state_add_record(r, &rec);
	}
	state_snapshot_free(&snap);
	assert_int_equal(nthreads, 3);
	for (int64_t tid = 100; tid <= 102; tid++) {
		struct thread *a = state_thread(s, tid), *b = state_thread(r, tid);

		assert_non_null(b);
		assert_false(b->fake);
		assert_string_equal(a->comm, b->comm);
		assert_string_equal(a->exe, b->exe);
		assert_string_equal(a->cwd, b->cwd);
		assert_int_equal(a->pid, b->pid);
		assert_int_equal(a->ptid, b->ptid);
		assert_int_equal(a->flags, b->flags);
		assert_int_equal(a->args_len, b->args_len);
		assert_memory_equal(a->args, b->args, a->args_len);
		for (int64_t fd = 5; fd <= 6; fd++) {
			struct fdinfo *fa = state_fd(s, a, fd), *fb = state_fd(r, b, fd);

			assert_non_null(fa);
			assert_non_null(fb);
			assert_string_equal(fa->name, fb->name);
			assert_int_equal(fa->type, fb->type);
			assert_int_equal(fa->open_flags, fb->open_flags);
		}
	}
	assert_string_equal(state_fd(r, state_thread(r, 101), 5)->name, "/srv/data/log.txt");
	assert_string_equal(state_fd(r, state_thread(r, 102), 6)->name, "10.0.0.1:8080->10.0.0.2:40000");
	/* the thread uses its process's table: closing there closes for it */
	assert_int_equal(state_thread(r, 102)->pid, 100);
	close_fd(r, &cx, 100, 6, 0);
	assert_null(state_fd(r, state_thread(r, 102), 6));
	state_free(s);
	state_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat_exit_creates_fd_with_resolved_path),
		cmocka_unit_test(test_close_removes_fd),
		cmocka_unit_test(test_dup_copies_fd),
		cmocka_unit_test(test_clone_exit_creates_child_with_parent_fds),
		cmocka_unit_test(test_clone_thread_shares_fd_table),
		cmocka_unit_test(test_execve_exit_changes_comm_exe_args),
		cmocka_unit_test(test_procexit_removes_thread_at_next_event),
		cmocka_unit_test(test_unknown_tid_gets_na_thread),
		cmocka_unit_test(test_socket_connect_ipv4_tuple_and_role),
		cmocka_unit_test(test_connect_einprogress_succeeds_refused_does_not),
		cmocka_unit_test(test_fd_list_record_names_sockets),
		cmocka_unit_test(test_fd_list_sockets_turn_client_server),
		cmocka_unit_test(test_judge_rejected_enter_leaves_exit_without_fd),
		cmocka_unit_test(test_dup_exit_without_enter_copies_nothing),
		cmocka_unit_test(test_container_event_thread),
		cmocka_unit_test(test_container_described_again),
		cmocka_unit_test(test_concat_path_folds_dot_and_dotdot),
		cmocka_unit_test(test_cgroups_container_layouts),
		cmocka_unit_test(test_unix_connect_enter_names_socket),
		cmocka_unit_test(test_snapshot_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
