/*
 * gen-capture: write a large, realistic, deterministic .scap capture for the
 * benchmarks (bench/run.sh, BENCHMARKS.md).
 *
 *   gen-capture OUT.scap [NEVENTS]      (default 5000000)
 *
 * The file holds SHB, MI, IL, UL, PL_V9 (~50 processes), FDL_V2 (a few fds per
 * process) and then NEVENTS events, written as enter+exit pairs on the same
 * thread with increasing timestamps: openat, read, write, close, fstat, mmap,
 * generic (clock_gettime), poll, socket+connect, sendto, recvfrom, and now and
 * then a clone of a short-lived child that does a little work and exits
 * (procexit). Every choice comes from a fixed-seed PRNG, so the output is the
 * same byte for byte on every run.
 */
#include "../src/common/common.h"
#include "../src/scap/scap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- PRNG (splitmix64: fixed seed, fast, deterministic) ---- */

static uint64_t rng_state = 0x5eed5eed12345678ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n). */
static uint32_t rn(uint32_t n)
{
	return (uint32_t)(((rnd() >> 32) * (uint64_t)n) >> 32);
}

/* ---- event building (scap_evb) ---- */

static struct scap_writer *W;
static struct scap_evb B;
static uint64_t ts_now;
static uint64_t nemitted, ntarget;

static void p_bytes(const void *p, uint32_t n)
{
	scap_evb_bytes(&B, p, n);
}

static void p_str(const char *s)
{
	scap_evb_str(&B, s);
}

static void p_num(uint64_t v, uint32_t size)
{
	scap_evb_num(&B, v, size);
}

static void p_i64(int64_t v)
{
	p_num((uint64_t)v, 8);
}

static void emit(int64_t tid, uint16_t cpu, uint16_t type)
{
	ts_now += 300 + rn(12000);
	scap_evb_write(&B, W, cpu, ts_now, tid, type);
	nemitted++;
	if (isatty(2) && (nemitted & 0x3ffff) == 0)
		fprintf(stderr, "\rgen-capture: %llu/%llu events", (unsigned long long)nemitted,
		        (unsigned long long)ntarget);
}

/* ---- the simulated system ---- */

#define NPROC_MAX       64
#define NFD             48 /* per-process fd slots 0..NFD-1 */
#define FIRST_CHILD_TID 200000

enum { K_FREE = 0, K_FILE, K_TCP, K_UDP };

struct sproc {
	struct scap_proc p;
	uint16_t cpu;
	uint8_t kind[NFD];
	uint8_t connected[NFD];
	uint16_t sport[NFD]; /* local port of a socket */
	uint8_t dip[NFD][4];
	uint16_t dport[NFD];
	uint8_t sip[4];
};

static struct sproc procs[NPROC_MAX];
static size_t nprocs;
static int64_t next_child = FIRST_CHILD_TID;

struct tmpl {
	const char *comm, *exe, *exepath, *cwd;
	const char *args; /* NUL-separated, in sizeof form below */
	uint32_t args_len;
	const char *cg_unit; /* systemd unit for cgroups */
	uint32_t uid;
	int count;
};

#define A(s) s, sizeof(s)

static const struct tmpl tmpls[] = {
	{ "systemd", "/sbin/init", "/usr/lib/systemd/systemd", "/", A("splash"), "init.scope", 0, 1 },
	{ "systemd-journal", "/lib/systemd/systemd-journald", "/usr/lib/systemd/systemd-journald", "/", "", 0,
	  "systemd-journald.service", 0, 1 },
	{ "sshd", "/usr/sbin/sshd", "/usr/sbin/sshd", "/", A("-D"), "ssh.service", 0, 2 },
	{ "bash", "-bash", "/usr/bin/bash", "/home/alice/", "", 0, "session-3.scope", 1000, 3 },
	{ "nginx", "nginx: worker process", "/usr/sbin/nginx", "/", "", 0, "nginx.service", 33, 4 },
	{ "postgres", "/usr/lib/postgresql/14/bin/postgres", "/usr/lib/postgresql/14/bin/postgres",
	  "/var/lib/postgresql/14/main/",
	  A("-D\0/var/lib/postgresql/14/main\0-c\0config_file=/etc/postgresql/14/main/postgresql.conf"),
	  "postgresql@14-main.service", 113, 5 },
	{ "python3", "/usr/bin/python3", "/usr/bin/python3.10", "/srv/app/",
	  A("-m\0gunicorn\0app:server\0--workers\0004\0--bind\0000.0.0.0:8000"), "app.service", 1001, 4 },
	{ "node", "/usr/bin/node", "/usr/bin/node", "/srv/web/", A("dist/server.js\0--port=3000"),
	  "web.service", 1001, 3 },
	{ "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
	  "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "/opt/kafka/",
	  A("-Xmx1G\0-Xms1G\0-server\0-XX:+UseG1GC\0-cp\0/opt/kafka/libs/*\0kafka.Kafka\0config/"
	    "server.properties"),
	  "kafka.service", 1002, 2 },
	{ "redis-server", "/usr/bin/redis-server 127.0.0.1:6379", "/usr/bin/redis-check-rdb",
	  "/var/lib/redis/", "", 0, "redis-server.service", 114, 1 },
	{ "containerd", "/usr/bin/containerd", "/usr/bin/containerd", "/", "", 0, "containerd.service", 0,
	  1 },
	{ "dockerd", "/usr/bin/dockerd", "/usr/bin/dockerd", "/",
	  A("-H\0fd://\0--containerd=/run/containerd/containerd.sock"), "docker.service", 0, 1 },
	{ "cron", "/usr/sbin/cron", "/usr/sbin/cron", "/var/spool/cron/", A("-f"), "cron.service", 0, 1 },
	{ "rsyslogd", "/usr/sbin/rsyslogd", "/usr/sbin/rsyslogd", "/", A("-n\0-iNONE"), "rsyslog.service",
	  104, 1 },
	{ "dbus-daemon", "@dbus-daemon", "/usr/bin/dbus-daemon", "/",
	  A("--system\0--address=systemd:\0--nofork\0--nopidfile\0--systemd-activation\0--syslog-only"),
	  "dbus.service", 103, 1 },
	{ "prometheus", "/usr/bin/prometheus", "/usr/bin/prometheus", "/var/lib/prometheus/",
	  A("--config.file=/etc/prometheus/prometheus.yml\0--storage.tsdb.path=/var/lib/prometheus/"
	    "metrics2/"),
	  "prometheus.service", 115, 1 },
	{ "grep", "grep", "/usr/bin/grep", "/home/alice/src/", A("-rn\0error\0."), "session-3.scope", 1000,
	  2 },
	{ "vim", "vim", "/usr/bin/vim.basic", "/home/alice/src/", A("main.c"), "session-3.scope", 1000, 2 },
	{ "make", "make", "/usr/bin/make", "/home/alice/src/", A("-j2"), "session-3.scope", 1000, 1 },
	{ "cc1", "/usr/lib/gcc/x86_64-linux-gnu/11/cc1", "/usr/lib/gcc/x86_64-linux-gnu/11/cc1",
	  "/home/alice/src/", A("-quiet\0-I\0include\0src/main.c\0-O2\0-o\0/tmp/ccX1a2b3.s"),
	  "session-3.scope", 1000, 2 },
	{ "curl", "curl", "/usr/bin/curl", "/home/bob/", A("-sS\0https://example.com/api/v1/health"),
	  "session-7.scope", 1003, 2 },
	{ "git", "git", "/usr/bin/git", "/home/bob/repo/", A("fetch\0--all"), "session-7.scope", 1003, 1 },
	{ "snapd", "/usr/lib/snapd/snapd", "/usr/lib/snapd/snapd", "/", "", 0, "snapd.service", 0, 1 },
	{ "unattended-upgr", "/usr/bin/python3", "/usr/bin/python3.10", "/",
	  A("/usr/share/unattended-upgrades/unattended-upgrade-shutdown\0--wait-for-signal"),
	  "unattended-upgrades.service", 0, 1 },
	{ "top", "top", "/usr/bin/top", "/root/", "", 0, "session-9.scope", 0, 1 },
	{ "tail", "tail", "/usr/bin/tail", "/var/log/", A("-F\0/var/log/syslog"), "session-9.scope", 0, 1 },
};

static const char *const file_paths[] = {
	"/etc/passwd",
	"/etc/group",
	"/etc/hosts",
	"/etc/resolv.conf",
	"/etc/nsswitch.conf",
	"/etc/ld.so.cache",
	"/etc/localtime",
	"/etc/ssl/certs/ca-certificates.crt",
	"/usr/lib/x86_64-linux-gnu/libc.so.6",
	"/usr/lib/x86_64-linux-gnu/libpthread.so.0",
	"/usr/lib/x86_64-linux-gnu/libssl.so.3",
	"/usr/lib/locale/locale-archive",
	"/proc/self/status",
	"/proc/self/maps",
	"/proc/meminfo",
	"/proc/stat",
	"/proc/loadavg",
	"/sys/fs/cgroup/memory.max",
	"/var/log/syslog",
	"/var/log/nginx/access.log",
	"/var/log/nginx/error.log",
	"/var/lib/postgresql/14/main/base/16384/2619",
	"/var/lib/postgresql/14/main/pg_wal/000000010000000000000003",
	"/srv/app/app/views.py",
	"/srv/app/templates/index.html",
	"/srv/web/dist/server.js",
	"/tmp/ccX1a2b3.s",
	"/home/alice/src/main.c",
	"/home/alice/src/include/util.h",
	"/home/alice/.bashrc",
	"/opt/kafka/config/server.properties",
	"/var/lib/redis/dump.rdb",
	"/dev/urandom",
	"/dev/null",
};
#define NPATHS (sizeof(file_paths) / sizeof(file_paths[0]))

static const char *const missing_paths[] = {
	"/etc/ld.so.preload",           "/usr/lib/x86_64-linux-gnu/tls/libc.so.6",
	"/home/alice/.config/app.toml", "/srv/app/.env",
	"/var/run/nginx.pid.old",       "/usr/share/locale/C.UTF-8/LC_MESSAGES/libc.mo",
};
#define NMISSING (sizeof(missing_paths) / sizeof(missing_paths[0]))

static const char *const text_lines[] = {
	"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.81.0\r\nAccept: */*\r\n\r\n",
	"HTTP/1.1 200 OK\r\nServer: nginx/1.18.0\r\nContent-Type: text/html\r\nContent-Length: 612\r\n\r\n",
	"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
	"Nov 14 22:13:20 host systemd[1]: Started Session 3 of user alice.\n",
	"SELECT id, name, email FROM users WHERE id = $1 LIMIT 1;",
	"{\"status\":\"ok\",\"uptime\":123456,\"version\":\"1.4.2\",\"items\":[1,2,3]}\n",
	"*3\r\n$3\r\nSET\r\n$7\r\nsession\r\n$32\r\n9f86d081884c7d659a2feaa0c55ad015\r\n",
	"#include <stdio.h>\n#include <stdlib.h>\n\nint main(int argc, char **argv)\n{\n",
};
#define NTEXT (sizeof(text_lines) / sizeof(text_lines[0]))

static const uint8_t remote_ips[][4] = {
	{ 93, 184, 216, 34 }, { 10, 0, 0, 12 }, { 10, 0, 0, 13 },    { 172, 17, 0, 2 },
	{ 127, 0, 0, 1 },     { 8, 8, 8, 8 },   { 140, 82, 121, 4 },
};
static const uint16_t remote_ports[] = { 80, 443, 5432, 6379, 9092, 53, 8000 };

/* Fill buf with 0..300 bytes of text or binary data; returns the length. */
static uint32_t make_data(uint8_t *buf)
{
	uint32_t len = rn(301), i;

	if (rn(3)) { /* text */
		const char *t = text_lines[rn(NTEXT)];
		size_t tl = strlen(t);

		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)t[i % tl];
	} else {
		uint64_t x = 0;

		for (i = 0; i < len; i++) {
			if ((i & 7) == 0)
				x = rnd();
			buf[i] = (uint8_t)(x >> ((i & 7) * 8));
		}
	}
	return len;
}

static char *dup_mem(const void *p, size_t n)
{
	char *d = malloc(n ? n : 1);

	if (!d)
		abort();
	memcpy(d, p, n);
	if (!n)
		d[0] = 0;
	return d;
}

static char env_buf[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\0"
                        "LANG=C.UTF-8\0HOME=/root\0SHELL=/bin/bash\0TERM=xterm-256color\0"
                        "INVOCATION_ID=4b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e\0JOURNAL_STREAM=8:23456";

static const char *const cg_ctrls[] = { "cpuset", "cpu", "cpuacct", "io", "memory", "devices", "pids" };

static void build_procs(void)
{
	size_t t;
	int64_t pid = 1;

	for (t = 0; t < sizeof(tmpls) / sizeof(tmpls[0]); t++) {
		for (int k = 0; k < tmpls[t].count && nprocs < NPROC_MAX; k++) {
			struct sproc *s = &procs[nprocs];
			struct scap_proc *p = &s->p;
			char cg[512];
			int cgl;

			memset(s, 0, sizeof(*s));
			p->tid = p->pid = p->vpgid = (uint64_t)pid;
			p->sid = nprocs < 3 ? (uint64_t)pid : 1;
			p->ptid = nprocs == 0 ? 0 : 1;
			p->comm = (char *)tmpls[t].comm;
			p->exe = (char *)tmpls[t].exe;
			p->exepath = (char *)tmpls[t].exepath;
			p->cwd = (char *)tmpls[t].cwd;
			p->root = (char *)"/";
			p->args = dup_mem(tmpls[t].args, tmpls[t].args_len);
			p->args_len = tmpls[t].args_len;
			p->env = env_buf;
			p->env_len = sizeof(env_buf);
			cgl = 0;
			for (size_t c = 0; c < sizeof(cg_ctrls) / sizeof(cg_ctrls[0]); c++)
				cgl += snprintf(cg + cgl, sizeof(cg) - (size_t)cgl, "%s=/system.slice/%s",
				                cg_ctrls[c], tmpls[t].cg_unit) +
				       1;
			p->cgroups = dup_mem(cg, (size_t)cgl);
			p->cgroups_len = (uint32_t)cgl;
			p->fdlimit = 1024 + 64 * (int64_t)rn(900);
			p->uid = p->gid = tmpls[t].uid;
			p->loginuid = tmpls[t].uid >= 1000 ? tmpls[t].uid : 0xffffffffU;
			p->vmsize_kb = 4000 + rn(900000);
			p->vmrss_kb = p->vmsize_kb / (2 + rn(8));
			p->vmswap_kb = rn(4) ? 0 : rn(2000);
			p->pfmajor = rn(400);
			p->pfminor = 1000 + rn(200000);
			p->vtid = p->vpid = pid;
			p->has_caps = true;
			if (tmpls[t].uid == 0)
				p->cap_permitted = p->cap_effective = 0x1ffffffffffULL;
			s->cpu = (uint16_t)(nprocs & 1);
			s->sip[0] = 10, s->sip[1] = 0, s->sip[2] = 0, s->sip[3] = 5;
			for (int f = 0; f < 3; f++)
				s->kind[f] = K_FILE;
			/* a few already-open files */
			for (int f = 3; f < 3 + (int)rn(4); f++)
				s->kind[f] = K_FILE;
			nprocs++;
			pid += 1 + rn(1500);
		}
	}
}

static void write_fds(void)
{
	struct scap_fd fds[NFD];

	for (size_t i = 0; i < nprocs; i++) {
		struct sproc *s = &procs[i];
		size_t n = 0;

		for (int f = 0; f < NFD; f++) {
			struct scap_fd *d = &fds[n];

			if (s->kind[f] != K_FILE)
				continue;
			memset(d, 0, sizeof(*d));
			d->fd = f;
			d->type = SCAP_FD_FILE_V2;
			d->ino = 1000 + rn(5000000);
			d->has_dev = true;
			d->dev = f < 3 ? 0x5 : 0x803;
			d->open_flags = f == 0 ? 0x1 : f < 3 ? 0x2 : 0x1001;
			d->name = (char *)(f < 3 ? (s->p.uid >= 1000 ? "/dev/pts/0" : "/dev/null")
			                         : file_paths[rn(NPATHS)]);
			n++;
		}
		scap_writer_fds(W, s->p.tid, fds, n);
	}
}

/* ---- fd helpers ---- */

static int pick_fd(struct sproc *s, int kind, bool need_connected)
{
	int cand[NFD], n = 0;

	for (int f = 0; f < NFD; f++)
		if (s->kind[f] == kind && (!need_connected || s->connected[f]))
			cand[n++] = f;
	return n ? cand[rn((uint32_t)n)] : -1;
}

static int free_fd(struct sproc *s)
{
	for (int f = 3; f < NFD; f++)
		if (s->kind[f] == K_FREE)
			return f;
	return -1;
}

static int count_open(struct sproc *s)
{
	int n = 0;

	for (int f = 3; f < NFD; f++)
		n += s->kind[f] != K_FREE;
	return n;
}

static void tuple_of(struct sproc *s, int fd, uint8_t *t)
{
	t[0] = 2;
	memcpy(t + 1, s->sip, 4);
	t[5] = (uint8_t)s->sport[fd], t[6] = (uint8_t)(s->sport[fd] >> 8);
	memcpy(t + 7, s->dip[fd], 4);
	t[11] = (uint8_t)s->dport[fd], t[12] = (uint8_t)(s->dport[fd] >> 8);
}

/* ---- the actions; each returns the number of events it needs ---- */

static uint8_t databuf[512];

static void do_generic(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;

	p_num(176, 2), p_num(228, 2);
	emit(tid, s->cpu, 0);
	p_num(176, 2);
	emit(tid, s->cpu, 1);
}

static void do_openat(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	int fd = free_fd(s);
	bool fail = fd < 0 || rn(100) < 12;
	const char *path = fail ? missing_paths[rn(NMISSING)] : file_paths[rn(NPATHS)];
	/* O_RDONLY|O_CLOEXEC, O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, O_RDWR|O_LARGEFILE */
	static const uint32_t fl[] = { 0x1001, 0x1001, 0x1001, 0x100e, 0x803 };
	uint32_t flags = fl[rn(5)];
	uint32_t mode = (flags & 0x4) ? 0644 : 0;

	p_i64(-100), p_str(path), p_num(flags, 4), p_num(mode, 4);
	emit(tid, s->cpu, 306);
	p_i64(fail ? -2 : fd), p_i64(-100), p_str(path), p_num(flags, 4), p_num(mode, 4);
	p_num(fail ? 0 : 0x803, 4);
	emit(tid, s->cpu, 307);
	if (!fail)
		s->kind[fd] = K_FILE;
}

static void do_rw(struct sproc *s, bool write)
{
	int64_t tid = (int64_t)s->p.tid;
	int fd = write && rn(3) == 0 ? 1 : pick_fd(s, K_FILE, false);
	uint32_t size = write ? 0 : (rn(2) ? 4096 : 65536);
	uint32_t len = make_data(databuf);

	if (fd < 0)
		fd = write ? 1 : 0;
	if (write)
		size = len;
	p_i64(fd), p_num(size, 4);
	emit(tid, s->cpu, write ? 8 : 6);
	p_i64(len), p_bytes(databuf, len);
	emit(tid, s->cpu, write ? 9 : 7);
}

static void do_close(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	int cand[NFD], n = 0, fd;

	for (int f = 3; f < NFD; f++)
		if (s->kind[f] != K_FREE)
			cand[n++] = f;
	fd = n ? cand[rn((uint32_t)n)] : 3 + (int)rn(40);
	bool ok = n > 0;

	p_i64(fd);
	emit(tid, s->cpu, 4);
	p_i64(ok ? 0 : -9); /* EBADF */
	emit(tid, s->cpu, 5);
	if (ok) {
		s->kind[fd] = K_FREE;
		s->connected[fd] = 0;
	}
}

static void do_fstat(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	int fd = pick_fd(s, K_FILE, false);

	p_i64(fd < 0 ? 0 : fd);
	emit(tid, s->cpu, 70);
	p_i64(0);
	emit(tid, s->cpu, 71);
}

static void do_mmap(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	bool anon = rn(2);
	int fd = anon ? -1 : pick_fd(s, K_FILE, false);
	uint64_t len = (uint64_t)(1 + rn(256)) * 4096;
	uint64_t addr = 0x7f0000000000ULL + ((uint64_t)rn(0x100000) << 12);

	if (fd < 0)
		anon = true, fd = -1;
	p_num(0, 8), p_num(len, 8), p_num(anon ? 0x3 : 0x1, 4), p_num(anon ? 0xa : 0x402, 4);
	p_i64(fd), p_num(0, 8);
	emit(tid, s->cpu, 160);
	s->p.vmsize_kb += (uint32_t)(len / 1024);
	if (rn(2))
		s->p.vmrss_kb += 4;
	p_num(addr, 8), p_num(s->p.vmsize_kb, 4), p_num(s->p.vmrss_kb, 4), p_num(s->p.vmswap_kb, 4);
	emit(tid, s->cpu, 161);
}

static void do_poll(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	uint8_t in[2 + 3 * 10], out[2 + 3 * 10];
	uint16_t n = (uint16_t)(1 + rn(3)), nready = 0;
	int64_t timeout = rn(2) ? -1 : (int64_t)rn(5000);

	in[0] = out[0] = (uint8_t)n, in[1] = out[1] = 0;
	for (uint16_t i = 0; i < n; i++) {
		int fd = pick_fd(s, rn(2) ? K_TCP : K_FILE, false);
		int64_t f = fd < 0 ? (int64_t)i : fd;
		uint16_t ev = rn(3) ? 0x1 : 0x5, rev = rn(2) ? (ev & 0x1) : 0;

		if (rev)
			nready++;
		memcpy(in + 2 + i * 10, &f, 8), memcpy(out + 2 + i * 10, &f, 8);
		memcpy(in + 10 + i * 10, &ev, 2), memcpy(out + 10 + i * 10, &rev, 2);
	}
	p_bytes(in, 2 + 10u * n), p_i64(timeout);
	emit(tid, s->cpu, 80);
	p_i64(nready), p_bytes(out, 2 + 10u * n);
	emit(tid, s->cpu, 81);
}

/* socket + connect: 4 events */
static void do_socket(struct sproc *s)
{
	int64_t tid = (int64_t)s->p.tid;
	int fd = free_fd(s);
	bool udp = rn(4) == 0;
	uint32_t r = rn(sizeof(remote_ports) / sizeof(remote_ports[0]));
	uint8_t addr[7], tuple[13];
	bool refused;

	if (fd < 0)
		return do_generic(s), do_generic(s);
	p_num(2, 4), p_num(udp ? 2 : 1, 4), p_num(0, 4);
	emit(tid, s->cpu, 18);
	p_i64(fd);
	emit(tid, s->cpu, 19);
	s->kind[fd] = udp ? K_UDP : K_TCP;
	memcpy(s->dip[fd], remote_ips[r], 4);
	s->dport[fd] = udp ? 53 : remote_ports[r];
	s->sport[fd] = (uint16_t)(32768 + rn(28000));
	refused = !udp && rn(10) == 0;

	addr[0] = 2;
	memcpy(addr + 1, s->dip[fd], 4);
	addr[5] = (uint8_t)s->dport[fd], addr[6] = (uint8_t)(s->dport[fd] >> 8);
	p_i64(fd), p_bytes(addr, sizeof(addr));
	emit(tid, s->cpu, 22);
	tuple_of(s, fd, tuple);
	p_i64(refused ? -111 : 0), p_bytes(tuple, sizeof(tuple));
	emit(tid, s->cpu, 23);
	s->connected[fd] = !refused;
}

static void do_sendrecv(struct sproc *s, bool send)
{
	int64_t tid = (int64_t)s->p.tid;
	int fd = pick_fd(s, rn(3) ? K_TCP : K_UDP, true);
	uint8_t tuple[13];
	uint32_t len;
	bool udp;

	if (fd < 0)
		fd = pick_fd(s, K_TCP, true);
	if (fd < 0)
		fd = pick_fd(s, K_UDP, true);
	if (fd < 0)
		return do_generic(s);
	udp = s->kind[fd] == K_UDP;
	tuple_of(s, fd, tuple);
	len = make_data(databuf);
	if (send) {
		p_i64(fd), p_num(len, 4), p_bytes(tuple, udp ? 13 : 0);
		emit(tid, s->cpu, 30);
		p_i64(len), p_bytes(databuf, len);
		emit(tid, s->cpu, 31);
	} else {
		p_i64(fd), p_num(65536, 4);
		emit(tid, s->cpu, 34);
		p_i64(len), p_bytes(databuf, len), p_bytes(tuple, udp ? 13 : 0);
		emit(tid, s->cpu, 35);
	}
}

static void clone_exit(struct sproc *s, int64_t res, int64_t tid, int64_t pid, int64_t ptid)
{
	const struct scap_proc *p = &s->p;

	p_i64(res), p_str(p->exe), p_bytes(p->args, p->args_len);
	p_i64(tid), p_i64(pid), p_i64(ptid), p_str(p->cwd), p_i64(p->fdlimit);
	p_num(res == 0 ? 0 : p->pfmajor, 8), p_num(res == 0 ? 0 : p->pfminor, 8);
	p_num(p->vmsize_kb, 4), p_num(p->vmrss_kb, 4), p_num(p->vmswap_kb, 4);
	p_str(p->comm), p_bytes(p->cgroups, p->cgroups_len);
	p_num(0x1800000, 4), p_num(p->uid, 4), p_num(p->gid, 4), p_i64(tid), p_i64(pid);
	emit(tid, s->cpu, 223);
}

/* clone (parent pair), child clone exit, two child pairs, procexit: 7 events */
static void do_clone(struct sproc *s)
{
	int64_t ptid = (int64_t)s->p.tid, child = next_child++;
	uint16_t ccpu = (uint16_t)(s->cpu ^ 1);

	emit(ptid, s->cpu, 222);
	clone_exit(s, child, ptid, (int64_t)s->p.pid, (int64_t)s->p.ptid);
	clone_exit(s, 0, child, child, ptid);
	p_num(176, 2), p_num(228, 2);
	emit(child, ccpu, 0);
	p_num(176, 2);
	emit(child, ccpu, 1);
	p_i64(1), p_num(1 + rn(200), 4);
	emit(child, ccpu, 8);
	p_i64(5), p_bytes("done\n", 5);
	emit(child, ccpu, 9);
	p_i64(0), p_i64(0), p_num(0, 1), p_num(0, 1);
	emit(child, ccpu, 186);
}

static void do_one(struct sproc *s, uint64_t left)
{
	uint32_t r = rn(1000);
	int open = count_open(s);

	if (left < 2) {
		p_num(176, 2), p_num(228, 2);
		emit((int64_t)s->p.tid, s->cpu, 0);
		return;
	}
	if (r < 4 && left >= 8) { /* a short-lived child */
		do_clone(s);
		return;
	}
	if (r < 220)
		do_rw(s, false);
	else if (r < 380)
		do_rw(s, true);
	else if (r < 480)
		open > 30 ? do_close(s) : do_openat(s);
	else if (r < 570)
		open < 2 ? do_openat(s) : do_close(s);
	else if (r < 630)
		do_fstat(s);
	else if (r < 680)
		do_mmap(s);
	else if (r < 800)
		do_generic(s);
	else if (r < 860)
		do_poll(s);
	else if (r < 890 && left >= 4)
		do_socket(s);
	else if (r < 945)
		do_sendrecv(s, true);
	else
		do_sendrecv(s, false);
}

int main(int argc, char **argv)
{
	struct err e;
	struct scap_machine mi = { .num_cpus = 2, .memory_bytes = 8ULL << 30, .max_pid = 4194304 };
	struct scap_iface ifs[2] = { 0 };
	struct scap_user users[] = {
		{ 0, 0, "root", "/root", "/bin/bash" },
		{ 33, 33, "www-data", "/var/www", "/usr/sbin/nologin" },
		{ 113, 120, "postgres", "/var/lib/postgresql", "/bin/bash" },
		{ 1000, 1000, "alice", "/home/alice", "/bin/bash" },
		{ 1001, 1001, "app", "/srv/app", "/usr/sbin/nologin" },
		{ 1003, 1003, "bob", "/home/bob", "/bin/zsh" },
	};
	struct scap_group groups[] = { { 0, "root" },     { 33, "www-data" }, { 120, "postgres" },
		                       { 1000, "alice" }, { 1001, "app" },    { 1003, "bob" } };
	char *end;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gen-capture OUT.scap [NEVENTS]\n");
		return 2;
	}
	ntarget = 5000000;
	if (argc == 3) {
		ntarget = strtoull(argv[2], &end, 10);
		if (!*argv[2] || *end) {
			fprintf(stderr, "gen-capture: bad event count '%s'\n", argv[2]);
			return 2;
		}
	}
	W = scap_writer_open(argv[1], false, &e);
	if (!W) {
		fprintf(stderr, "gen-capture: %s\n", e.msg);
		return 1;
	}
	scap_evb_init(&B);
	ts_now = 1700000000ULL * 1000000000ULL;
	mi.boot_ts = ts_now - 86400ULL * 1000000000ULL;
	strcpy(mi.hostname, "bench-host");

	ifs[0].type = 1, ifs[0].linkspeed = 0, ifs[0].name = "lo";
	ifs[0].addr[0] = 127, ifs[0].addr[3] = 1, ifs[0].netmask[0] = 255;
	ifs[1].type = 1, ifs[1].linkspeed = 1000, ifs[1].name = "eth0";
	ifs[1].addr[0] = 10, ifs[1].addr[3] = 5;
	ifs[1].netmask[0] = ifs[1].netmask[1] = ifs[1].netmask[2] = 255;
	ifs[1].bcast[0] = 10, ifs[1].bcast[3] = 255;

	build_procs();
	scap_writer_section(W);
	scap_writer_machine(W, &mi);
	scap_writer_ifaces(W, ifs, 2);
	scap_writer_users(W, users, sizeof(users) / sizeof(users[0]), groups,
	                  sizeof(groups) / sizeof(groups[0]));
	{
		struct scap_proc pl[NPROC_MAX];

		for (size_t i = 0; i < nprocs; i++)
			pl[i] = procs[i].p;
		scap_writer_procs(W, pl, nprocs);
	}
	write_fds();

	while (nemitted < ntarget) {
		/* a few busy processes get most of the events */
		size_t i = rn(3) ? rn(12) % nprocs : rn((uint32_t)nprocs);

		do_one(&procs[i], ntarget - nemitted);
	}
	if (isatty(2))
		fprintf(stderr, "\rgen-capture: %llu events written\n", (unsigned long long)nemitted);
	scap_evb_release(&B);
	if (scap_writer_close(W, &e)) {
		fprintf(stderr, "gen-capture: %s\n", e.msg);
		return 1;
	}
	for (size_t i = 0; i < nprocs; i++) {
		free(procs[i].p.args);
		free(procs[i].p.cgroups);
	}
	return 0;
}
