/*
 * gen-captures DIR: captures that exercise rules of sysdig 0.29.3 the shared
 * captures do not, written with sysrec's scap writer. tests/e2e/run.sh adds
 * them to the differential tables (filters.txt, fields.txt, the cases), so
 * sysdig and sysrec must read them alike:
 *   inherited.scap  sockets a process had when the capture began (from the
 *                   fd table): a connected socket whose local port is a
 *                   listening port of the host is named client->server
 *   events.scap     exits whose enter is not in the file (read, dup, close,
 *                   write), I/O on files and sockets whose enter a filter
 *                   rejects (evt.buflen), a container event of no thread
 */
#include "../../src/common/common.h"
#include "../../src/event/event_codes.h"
#include "../../src/scap/scap.h"

#include <stdio.h>
#include <string.h>

#define CID "3f2a9c1b7e4d"

struct gen {
	struct scap_writer *w;
	struct scap_evb b;
	uint64_t ts;
};

static void emit(struct gen *g, int64_t tid, uint16_t type)
{
	g->ts += 1000;
	scap_evb_write(&g->b, g->w, 0, g->ts, tid, type);
}

static void proc(struct scap_proc *p, int64_t tid, int64_t pid, const char *comm, const char *cg,
                 uint32_t cglen)
{
	static const char env[] = "HOME=/root";

	memset(p, 0, sizeof(*p));
	p->tid = (uint64_t)tid;
	p->pid = (uint64_t)pid;
	p->sid = p->vpgid = (uint64_t)pid;
	p->ptid = 1;
	p->comm = (char *)comm;
	p->exe = (char *)comm;
	p->exepath = (char *)"/usr/sbin/x";
	p->args = (char *)"";
	p->cwd = (char *)"/";
	p->root = (char *)"/";
	p->fdlimit = 1024;
	p->env = (char *)env;
	p->env_len = sizeof(env);
	p->cgroups = (char *)cg;
	p->cgroups_len = cglen;
	p->vtid = tid;
	p->vpid = pid;
}

static void v4(uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
	a[0] = x, a[1] = y, a[2] = z, a[3] = t;
}

static void v4mapped(uint8_t *a, uint8_t x, uint8_t y, uint8_t z, uint8_t t)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	v4(a + 12, x, y, z, t);
}

static void sock(struct scap_fd *f, int64_t fd, uint8_t type, uint8_t l4, uint16_t sport, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->ino = 1000 + (uint64_t)fd;
	f->type = type;
	f->l4proto = l4;
	f->sport = sport;
	f->dport = dport;
	f->name = (char *)"";
}

static void file(struct scap_fd *f, int64_t fd, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->ino = 2000 + (uint64_t)fd;
	f->type = SCAP_FD_FILE_V2;
	f->has_dev = true;
	f->dev = 0x803;
	f->open_flags = 1; /* PPM_O_RDONLY */
	f->name = (char *)name;
}

static void head(struct gen *g, const struct scap_proc *p, size_t np)
{
	struct scap_machine mi = { .num_cpus = 2, .memory_bytes = 8ULL << 30, .max_pid = 4194304 };
	struct scap_user users[] = { { 0, 0, "root", "/root", "/bin/bash" } };
	struct scap_group groups[] = { { 0, "root" } };

	strcpy(mi.hostname, "sysrec-gen");
	scap_writer_section(g->w);
	scap_writer_machine(g->w, &mi);
	scap_writer_users(g->w, users, 1, groups, 1);
	scap_writer_procs(g->w, p, np);
}

/* fd's read or write (enter and exit) of data; enter false: the exit alone. */
static void io(struct gen *g, int64_t tid, int64_t fd, uint16_t enter_type, const char *data, bool enter)
{
	if (enter) {
		scap_evb_num(&g->b, (uint64_t)fd, 8), scap_evb_num(&g->b, 65536, 4);
		emit(g, tid, enter_type);
	}
	scap_evb_num(&g->b, strlen(data), 8), scap_evb_bytes(&g->b, data, (uint32_t)strlen(data));
	emit(g, tid, (uint16_t)(enter_type + 1));
}

static void fd_call(struct gen *g, int64_t tid, uint16_t enter_type, int64_t fd, int64_t res, bool enter)
{
	if (enter) {
		scap_evb_num(&g->b, (uint64_t)fd, 8);
		emit(g, tid, enter_type);
	}
	scap_evb_num(&g->b, (uint64_t)res, 8);
	emit(g, tid, (uint16_t)(enter_type + 1));
}

static int finish(struct gen *g, const char *path)
{
	struct err e;

	scap_evb_release(&g->b);
	if (scap_writer_close(g->w, &e)) {
		fprintf(stderr, "gen-captures: %s: %s\n", path, e.msg);
		return 1;
	}
	return 0;
}

static int open_gen(struct gen *g, const char *dir, const char *name, char *path, size_t cap)
{
	struct err e;

	snprintf(path, cap, "%s/%s", dir, name);
	g->w = scap_writer_open(path, false, &e);
	if (!g->w) {
		fprintf(stderr, "gen-captures: %s\n", e.msg);
		return 1;
	}
	scap_evb_init(&g->b);
	g->ts = 1700000000ULL * 1000000000ULL;
	return 0;
}

static int gen_inherited(const char *dir)
{
	struct gen g;
	char path[4096];
	struct scap_proc p[3];
	struct scap_fd a[8], c[2];
	static const char cg[] = "cpu=/";
	static const uint8_t tuple[] = { 2, 10, 0, 2, 15, 0xe9, 0x14, 224, 0, 0, 251, 0xe9, 0x14 };

	if (open_gen(&g, dir, "inherited.scap", path, sizeof(path)))
		return 1;
	proc(&p[0], 100, 100, "sshd", cg, sizeof(cg));
	proc(&p[1], 200, 200, "sshd-session", cg, sizeof(cg));
	proc(&p[2], 300, 300, "curl", cg, sizeof(cg));
	head(&g, p, 3);
	/* sshd: listening on 22 (v4) and 8080 (v6); an accepted v4 connection
	 * (local 10.0.2.15:22, remote 10.0.2.2:49289, as /proc lists it), an
	 * accepted v6 one, a v4-mapped v6 one on port 22, and a UDP socket */
	sock(&a[0], 3, SCAP_FD_IPV4_SERVSOCK, SCAP_L4_TCP, 22, 0);
	sock(&a[1], 4, SCAP_FD_IPV4_SOCK, SCAP_L4_TCP, 22, 49289);
	v4(a[1].sip, 10, 0, 2, 15), v4(a[1].dip, 10, 0, 2, 2);
	sock(&a[2], 5, SCAP_FD_IPV6_SERVSOCK, SCAP_L4_TCP, 8080, 0);
	sock(&a[3], 6, SCAP_FD_IPV6_SOCK, SCAP_L4_TCP, 8080, 50000);
	a[3].sip[15] = 1, a[3].dip[15] = 1;
	sock(&a[4], 7, SCAP_FD_IPV6_SOCK, SCAP_L4_TCP, 22, 50001);
	v4mapped(a[4].sip, 10, 0, 2, 15), v4mapped(a[4].dip, 10, 0, 2, 3);
	sock(&a[5], 8, SCAP_FD_IPV4_SOCK, SCAP_L4_UDP, 5353, 5353);
	v4(a[5].sip, 10, 0, 2, 15), v4(a[5].dip, 224, 0, 0, 251);
	sock(&a[6], 9, SCAP_FD_IPV6_SOCK, SCAP_L4_TCP, 8080, 50002); /* v6, not mapped, on a listening port */
	a[6].sip[15] = 1, a[6].dip[15] = 1;
	scap_writer_fds(g.w, 100, a, 7);
	/* another process holds a connection whose local port is sshd's */
	sock(&c[0], 3, SCAP_FD_IPV4_SOCK, SCAP_L4_TCP, 22, 49300);
	v4(c[0].sip, 10, 0, 2, 15), v4(c[0].dip, 10, 0, 2, 2);
	scap_writer_fds(g.w, 200, c, 1);
	/* curl: a client connection to a port nothing here listens on */
	sock(&c[1], 3, SCAP_FD_IPV4_SOCK, SCAP_L4_TCP, 41000, 443);
	v4(c[1].sip, 10, 0, 2, 15), v4(c[1].dip, 93, 184, 216, 34);
	scap_writer_fds(g.w, 300, c + 1, 1);

	for (int64_t fd = 3; fd <= 9; fd++) {
		io(&g, 100, fd, PPME_SYSCALL_READ_E, "ping", true);
		io(&g, 100, fd, PPME_SYSCALL_WRITE_E, "pong", true);
	}
	scap_evb_num(&g.b, 8, 8), scap_evb_num(&g.b, 512, 4);
	emit(&g, 100, PPME_SOCKET_RECVFROM_E);
	scap_evb_num(&g.b, 4, 8), scap_evb_bytes(&g.b, "mdns", 4), scap_evb_bytes(&g.b, tuple, sizeof(tuple));
	emit(&g, 100, PPME_SOCKET_RECVFROM_X);
	io(&g, 200, 3, PPME_SYSCALL_WRITE_E, "banner", true);
	io(&g, 300, 3, PPME_SYSCALL_WRITE_E, "GET / HTTP/1.1", true);
	io(&g, 300, 3, PPME_SYSCALL_READ_E, "HTTP/1.1 200 OK", true);
	fd_call(&g, 100, PPME_SYSCALL_CLOSE_E, 4, 0, true);
	return finish(&g, path);
}

static int gen_events(const char *dir)
{
	struct gen g;
	char path[4096];
	struct scap_proc p[3];
	struct scap_fd a[4], b[2];
	static const char cg[] = "cpu=/";
	static const char cgc[] = "cpu=/docker/" CID "0123456789abcdef0123456789abcdef0123456789abcdef0123";
	static const char js[] =
	        "{\"container\":{\"id\":\"" CID "\",\"name\":\"web\",\"image\":\"busybox:latest\","
	        "\"imagerepo\":\"busybox\",\"imagetag\":\"latest\",\"imageid\":\"0123abcd\","
	        "\"imagedigest\":\"\",\"type\":0,\"privileged\":false,\"Mounts\":[],"
	        "\"ip\":\"172.17.0.2\",\"labels\":{},\"port_mappings\":[]}}";
	static const char js2[] =
	        "{\"container\":{\"id\":\"4b5c6d7e8f90\",\"name\":\"db\",\"image\":\"busybox:1.36\","
	        "\"imagerepo\":\"busybox\",\"imagetag\":\"1.36\",\"imageid\":\"4567cdef\","
	        "\"imagedigest\":\"\",\"type\":0,\"privileged\":true,\"Mounts\":[],"
	        "\"ip\":\"172.17.0.3\",\"labels\":{},\"port_mappings\":[]}}";
	static const uint8_t tuple[] = { 2, 10, 0, 2, 2, 0x01, 0xc0, 10, 0, 2, 15, 0x90, 0x1f };

	if (open_gen(&g, dir, "events.scap", path, sizeof(path)))
		return 1;
	proc(&p[0], 400, 400, "loader", cg, sizeof(cg));
	proc(&p[1], 500, 500, "shell", cg, sizeof(cg));
	proc(&p[2], 600, 600, "web", cgc, sizeof(cgc));
	head(&g, p, 3);
	file(&a[0], 0, "/dev/pts/5");
	file(&a[1], 3, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	sock(&a[2], 4, SCAP_FD_IPV4_SOCK, SCAP_L4_UDP, 8080, 0);
	v4(a[2].sip, 10, 0, 2, 15);
	file(&a[3], 5, "/tmp/out.log");
	scap_writer_fds(g.w, 400, a, 4);
	file(&b[0], 1, "/dev/pts/6");
	file(&b[1], 7, "/tmp/shell.log");
	scap_writer_fds(g.w, 500, b, 2);

	/* a container event of no thread, as sysdig writes them at a file's head */
	scap_evb_str(&g.b, js);
	emit(&g, -1, PPME_CONTAINER_JSON_E);

	/* exits whose enters came before the capture */
	io(&g, 400, 0, PPME_SYSCALL_READ_E, "typed", false);
	fd_call(&g, 500, PPME_SYSCALL_DUP_E, 7, 1, false); /* fd 1 stays /dev/pts/6 */
	io(&g, 500, 1, PPME_SYSCALL_WRITE_E, "to the tty", true);
	fd_call(&g, 500, PPME_SYSCALL_DUP_E, 7, 1, true); /* now fd 1 is /tmp/shell.log */
	io(&g, 500, 1, PPME_SYSCALL_WRITE_E, "to the log", true);
	fd_call(&g, 500, PPME_SYSCALL_CLOSE_E, 7, 0, true);
	fd_call(&g, 500, PPME_SYSCALL_CLOSE_E, 1, 0, false); /* closes nothing */
	io(&g, 500, 1, PPME_SYSCALL_WRITE_E, "after", true);

	/* I/O whose enters a filter may reject: read of a library, a socket
	 * receive, writes, an exit of write without its enter */
	io(&g, 400, 3, PPME_SYSCALL_READ_E, "\177ELF................", true);
	scap_evb_num(&g.b, 4, 8), scap_evb_num(&g.b, 512, 4);
	emit(&g, 400, PPME_SOCKET_RECVFROM_E);
	scap_evb_num(&g.b, 5, 8), scap_evb_bytes(&g.b, "hello", 5),
	        scap_evb_bytes(&g.b, tuple, sizeof(tuple));
	emit(&g, 400, PPME_SOCKET_RECVFROM_X);
	io(&g, 400, 5, PPME_SYSCALL_WRITE_E, "line one\n", true);
	io(&g, 400, 5, PPME_SYSCALL_WRITE_E, "line two\n", false);
	io(&g, 400, 3, PPME_SYSCALL_READ_E, "", true);
	io(&g, 400, 4, PPME_SYSCALL_READ_E, "dgram", true);

	/* a container that appears during the capture: shown, a meta event of no thread */
	scap_evb_str(&g.b, js2);
	emit(&g, -1, PPME_CONTAINER_JSON_E);

	/* the container's process at work */
	io(&g, 600, 1, PPME_SYSCALL_WRITE_E, "served", true);
	return finish(&g, path);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen-captures DIR\n");
		return 2;
	}
	return gen_inherited(argv[1]) || gen_events(argv[1]);
}
