/*
 * test_pcap: pcapng files the writer makes read back field by field (and
 * byte by byte where the draft fixes the layout); the reader on hand-made
 * sections (big-endian, several, versions it skips, blocks and options it
 * does not know); each malformed input refused with an error naming the
 * offset.
 */

#include "pcap_fixtures.h"

#include <sys/utsname.h>

#define T0 1700000000123456789ULL

static const struct pcap_section_info fixed_si = { "test-hw", "Linux 9.9", "sysrec test", "host=test" };
static const struct pcap_owner owner_curl = { 1234, 1235, "curl", "3f2a9c1b7e4d", 5 };
/* separators, a control byte, a byte that is no UTF-8, then a UTF-8 character */
static const char odd_comm[] = "a b;c=d%e\x01\xff\xc3\xa9";
static const struct pcap_owner owner_odd = { 77, 78, odd_comm, NULL, -1 };
static uint8_t payload[100];

static int to_sbuf(void *ctx, const void *p, size_t n)
{
	sbuf_put(ctx, p, n);
	return 0;
}

/* ------------------------------------------------------------ round trip */

/* Three interfaces, four packets (directions, owners, notes, a cut), counters for two. */
static void write_sample(struct pcap_writer *w)
{
	const struct pcap_iface ifs[3] = {
		{ PCAP_LINKTYPE_RAW, 64, "any", "every interface", T0 - 1000 },
		{ PCAP_LINKTYPE_ETHERNET, 0, "eth0", NULL, T0 - 2000 },
		{ PCAP_LINKTYPE_IPV6, 65535, NULL, NULL, T0 - 3000 },
	};
	const struct pcap_packet p[4] = {
		{ .iface = 0, .ts_ns = T0, .data = payload, .caplen = 100, .dir = PCAP_DIR_IN },
		{ .iface = 1,
		  .ts_ns = T0 + 1,
		  .data = payload,
		  .caplen = 40,
		  .origlen = 1500,
		  .dir = PCAP_DIR_OUT,
		  .owner = &owner_curl,
		  .note = "3 packets lost before this one",
		  .drops = 3 },
		{ .iface = 2, .ts_ns = T0 + 2, .data = payload, .caplen = 3, .owner = &owner_odd },
		{ .iface = 0, .ts_ns = T0 + 1000000000, .dir = PCAP_DIR_IN, .note = "\xc3\xa9t\xc3\xa9" },
	};
	const struct pcap_stats s0 = { .received = 10, .dropped = 2, .end_ns = T0 + 5000000000ULL },
	                        s1 = { .received = 20 };

	for (int i = 0; i < 3; i++)
		assert_int_equal(pcap_writer_add_iface(w, &ifs[i]), i);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pcap_writer_packet(w, &p[i]), 0);
	assert_int_equal(pcap_writer_set_stats(w, 0, &s0), 0);
	assert_int_equal(pcap_writer_set_stats(w, 1, &s1), 0);
}

static void check_sample_head(struct pcap_reader *r, struct pcap_record *rec)
{
	static const struct {
		uint16_t linktype;
		uint32_t snaplen;
		const char *name, *desc;
	} want[3] = { { 101, 64, "any", "every interface" },
		      { 1, 0, "eth0", NULL },
		      { 229, 65535, NULL, NULL } };

	assert_int_equal(next_ok(r, rec), PCAP_REC_SECTION);
	assert_false(rec->shb.big_endian);
	assert_false(rec->shb.skipped);
	assert_int_equal(rec->shb.major, 1);
	assert_int_equal(rec->shb.minor, 0);
	assert_int_equal(rec->shb.length, -1);
	assert_string_equal(rec->shb.hardware, "test-hw");
	assert_string_equal(rec->shb.os, "Linux 9.9");
	assert_string_equal(rec->shb.userappl, "sysrec test");
	assert_string_equal(rec->shb.comment, "host=test");
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(next_ok(r, rec), PCAP_REC_IFACE);
		assert_int_equal(rec->iface.id, i);
		assert_int_equal(rec->iface.linktype, want[i].linktype);
		assert_int_equal(rec->iface.snaplen, want[i].snaplen);
		assert_int_equal(rec->iface.tsresol, 9);
		assert_int_equal(rec->iface.tsoffset, 0);
		if (want[i].name)
			assert_string_equal(rec->iface.name, want[i].name);
		else
			assert_null(rec->iface.name);
		if (want[i].desc)
			assert_string_equal(rec->iface.description, want[i].desc);
		else
			assert_null(rec->iface.description);
		assert_null(rec->iface.comment);
	}
}

static void check_sample_packets(struct pcap_reader *r, struct pcap_record *rec)
{
	const struct pcap_packet_rec *pk = &rec->pkt;

	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(pk->iface, 0);
	assert_true(pk->has_ts);
	assert_true(pk->ts_ns == T0);
	assert_int_equal(pk->caplen, 64); /* the interface's snaplen */
	assert_int_equal(pk->origlen, 100);
	assert_memory_equal(pk->data, payload, 64);
	assert_int_equal(pk->flags, 1);
	assert_int_equal(pk->dir, PCAP_DIR_IN);
	assert_null(pk->comment);
	assert_false(pk->has_owner);

	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(pk->iface, 1);
	assert_true(pk->ts_ns == T0 + 1);
	assert_int_equal(pk->caplen, 40);
	assert_int_equal(pk->origlen, 1500);
	assert_int_equal(pk->dir, PCAP_DIR_OUT);
	assert_string_equal(pk->comment, "pid=1234 tid=1235 comm=curl container=3f2a9c1b7e4d fd=5\n"
	                                 "3 packets lost before this one");
	assert_true(pk->has_owner);
	assert_int_equal(pk->owner.pid, 1234);
	assert_int_equal(pk->owner.tid, 1235);
	assert_string_equal(pk->owner.comm, "curl");
	assert_string_equal(pk->owner.container, "3f2a9c1b7e4d");
	assert_int_equal(pk->owner.fd, 5);
	assert_int_equal(pk->drops, 3);

	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(pk->iface, 2);
	assert_int_equal(pk->caplen, 3);
	assert_memory_equal(pk->data, payload, 3);
	assert_int_equal(pk->flags, 0);
	assert_int_equal(pk->dir, PCAP_DIR_UNKNOWN);
	/* escaped for people, and exactly the same bytes back for programs */
	assert_string_equal(pk->comment, "pid=77 tid=78 comm=a%20b%3Bc%3Dd%25e%01%FF\xc3\xa9");
	assert_true(pk->has_owner);
	assert_string_equal(pk->owner.comm, odd_comm);
	assert_string_equal(pk->owner.container, "");
	assert_int_equal(pk->owner.fd, -1);

	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(pk->caplen, 0);
	assert_int_equal(pk->origlen, 0);
	assert_true(pk->ts_ns == T0 + 1000000000);
	assert_string_equal(pk->comment, "\xc3\xa9t\xc3\xa9");
	assert_int_equal(pk->drops, 0);
}

static void check_sample_stats(struct pcap_reader *r, struct pcap_record *rec)
{
	const struct pcap_stats_rec *st = &rec->stats;

	assert_int_equal(next_ok(r, rec), PCAP_REC_STATS);
	assert_int_equal(st->iface, 0);
	assert_true(st->has_start && st->has_end && st->has_received && st->has_dropped);
	assert_true(st->start_ns == T0 - 1000);
	assert_true(st->end_ns == T0 + 5000000000ULL);
	assert_true(st->ts_ns == st->end_ns);
	assert_int_equal(st->received, 10);
	assert_int_equal(st->dropped, 2);

	assert_int_equal(next_ok(r, rec), PCAP_REC_STATS);
	assert_int_equal(st->iface, 1);
	assert_true(st->start_ns == T0 - 2000);
	assert_true(st->end_ns > T0 && st->ts_ns == st->end_ns); /* the close */
	assert_int_equal(st->received, 20);
	assert_true(st->has_dropped);
	assert_int_equal(st->dropped, 0);

	assert_int_equal(next_ok(r, rec), PCAP_REC_STATS);
	assert_int_equal(st->iface, 2);
	assert_true(st->has_start && st->has_end);
	assert_false(st->has_received || st->has_dropped); /* never set: not claimed to be 0 */

	assert_int_equal(next_ok(r, rec), PCAP_REC_EOF);
}

static void check_sample(struct pcap_reader *r)
{
	struct pcap_record rec;

	check_sample_head(r, &rec);
	check_sample_packets(r, &rec);
	check_sample_stats(r, &rec);
	pcap_reader_close(r);
}

static void test_roundtrip_file(void **state)
{
	char path[128], tmp[160];
	struct err e = { { 0 } };
	struct pcap_writer *w;
	struct pcap_reader *r;
	struct stat st;

	(void)state;
	tmp_path(path, sizeof(path), "sample.pcapng");
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	w = pcap_writer_open(path, &fixed_si, &e);
	assert_non_null(w);
	write_sample(w);
	/* written under the temporary name, published by the close */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), 0);
	assert_int_equal(pcap_writer_close(w, &e), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777 & ~0600, 0); /* the owner's alone */
	r = pcap_reader_open(path, &e);
	assert_non_null(r);
	check_sample(r);
}

static void test_roundtrip_memory(void **state)
{
	struct sbuf out = { 0 };
	struct err e = { { 0 } };
	struct pcap_writer *w;

	(void)state;
	w = pcap_writer_open_fn(to_sbuf, &out, &fixed_si);
	write_sample(w);
	assert_int_equal(pcap_writer_error(w), 0);
	assert_int_equal(pcap_writer_close(w, &e), 0);
	check_sample(pcap_reader_open_mem(out.data, out.len));
	sbuf_release(&out);
}

/* ------------------------------------------------------ the writer's bytes */

/* The draft's layout, byte by byte: SHB, IDB, EPB with its options, ISB. */
static void test_writer_layout(void **state)
{
	const struct pcap_owner o = { 1, 2, "x", NULL, -1 };
	const struct pcap_iface ifc = { .linktype = PCAP_LINKTYPE_RAW, .start_ns = 7 };
	const struct pcap_packet p = {
		.ts_ns = 0x0000000100000002ULL, .data = "hello", .caplen = 5, .dir = PCAP_DIR_OUT, .owner = &o
	};
	struct sbuf b = { 0 };
	struct pcap_writer *w = pcap_writer_open_fn(to_sbuf, &b, &fixed_si);
	const uint8_t *d;

	(void)state;
	assert_int_equal(pcap_writer_add_iface(w, &ifc), 0);
	assert_int_equal(pcap_writer_packet(w, &p), 0);
	assert_int_equal(pcap_writer_close(w, NULL), 0);
	d = (const uint8_t *)b.data;
	assert_int_equal(b.len, 92 + 32 + 104 + 52);
	/* SHB: magic, 1.0, length -1; options padded: 7+1, 9+3, 11+1, 9+3, end */
	assert_int_equal(load_u32(d), PCAP_BT_SHB);
	assert_int_equal(load_u32(d + 4), 92);
	assert_int_equal(load_u32(d + 8), PCAP_BYTE_ORDER_MAGIC);
	assert_int_equal(load_u16(d + 12), 1);
	assert_int_equal(load_u16(d + 14), 0);
	assert_true(load_u64(d + 16) == UINT64_MAX);
	assert_int_equal(load_u16(d + 24), PCAP_OPT_SHB_HARDWARE);
	assert_int_equal(load_u16(d + 26), 7);
	assert_memory_equal(d + 28, "test-hw\0", 8);
	assert_int_equal(load_u32(d + 84), 0); /* opt_endofopt */
	assert_int_equal(load_u32(d + 88), 92);
	/* IDB: link type 101, reserved 0, snaplen 0, if_tsresol = 9 */
	d += 92;
	assert_int_equal(load_u32(d), PCAP_BT_IDB);
	assert_int_equal(load_u32(d + 4), 32);
	assert_int_equal(load_u16(d + 8), 101);
	assert_int_equal(load_u16(d + 10), 0);
	assert_int_equal(load_u32(d + 12), 0);
	assert_memory_equal(d + 16, "\x09\x00\x01\x00\x09\x00\x00\x00", 8);
	/* EPB: ts split upper/lower, data padded, flags, comment, custom (PEN, text), end */
	d += 32;
	assert_int_equal(load_u32(d), PCAP_BT_EPB);
	assert_int_equal(load_u32(d + 4), 104);
	assert_int_equal(load_u32(d + 8), 0);
	assert_int_equal(load_u32(d + 12), 1);
	assert_int_equal(load_u32(d + 16), 2);
	assert_int_equal(load_u32(d + 20), 5);
	assert_int_equal(load_u32(d + 24), 5);
	assert_memory_equal(d + 28, "hello\0\0\0", 8);
	assert_memory_equal(d + 36, "\x02\x00\x04\x00\x02\x00\x00\x00", 8);
	assert_int_equal(load_u16(d + 44), PCAP_OPT_COMMENT);
	assert_int_equal(load_u16(d + 46), 18);
	assert_memory_equal(d + 48, "pid=1 tid=2 comm=x\0\0", 20);
	assert_int_equal(load_u16(d + 68), 2988);
	assert_int_equal(load_u16(d + 70), 22);
	assert_int_equal(load_u32(d + 72), 32473);
	assert_memory_equal(d + 76, "pid=1;tid=2;comm=x\0\0", 20);
	assert_int_equal(load_u32(d + 96), 0);
	assert_int_equal(load_u32(d + 100), 104);
	/* ISB: interface 0, then isb_starttime as upper/lower 32 bits */
	d += 104;
	assert_int_equal(load_u32(d), PCAP_BT_ISB);
	assert_int_equal(load_u32(d + 4), 52);
	assert_int_equal(load_u32(d + 8), 0);
	assert_int_equal(load_u16(d + 20), PCAP_OPT_ISB_STARTTIME);
	assert_int_equal(load_u16(d + 22), 8);
	assert_int_equal(load_u32(d + 24), 0);
	assert_int_equal(load_u32(d + 28), 7);
	sbuf_release(&b);
}

static void test_writer_section_defaults(void **state)
{
	struct sbuf b = { 0 };
	struct pcap_writer *w = pcap_writer_open_fn(to_sbuf, &b, NULL);
	struct pcap_reader *r;
	struct pcap_record rec;
	struct utsname u;
	char host[256] = "", want[600];

	(void)state;
	assert_int_equal(pcap_writer_close(w, NULL), 0);
	assert_int_equal(uname(&u), 0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	r = pcap_reader_open_mem(b.data, b.len);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_string_equal(rec.shb.hardware, u.machine);
	snprintf(want, sizeof(want), "%s %s", u.sysname, u.release);
	assert_string_equal(rec.shb.os, want);
	assert_string_equal(rec.shb.userappl, "sysrec");
	snprintf(want, sizeof(want), "host=%s", host);
	assert_string_equal(rec.shb.comment, want);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_EOF); /* no interface: no statistics */
	pcap_reader_close(r);
	sbuf_release(&b);
}

/*
 * The sizes a caller bounds its files by are exact: an IDB's (names cleaned
 * to UTF-8), a packet's block with each option (an owner the writer has
 * encoded already, or a new one; a note that is no UTF-8; drops) and cut to
 * its interface's snaplen, or only to PCAP_MAX_SNAPLEN on an interface the
 * writer lacks; a statistics block's with and without counts.
 */
static void test_writer_sizes(void **state)
{
	static uint8_t big[PCAP_MAX_SNAPLEN + 8];
	const struct pcap_iface ifs[2] = { { PCAP_LINKTYPE_RAW, 0, "eth\xff\xfe-x", "d\xc3\xa9sc", 0 },
		                           { PCAP_LINKTYPE_ETHERNET, 64, NULL, NULL, 0 } };
	const struct pcap_packet pk[] = {
		{ .iface = 0, .ts_ns = T0, .data = payload, .caplen = 0 },
		{ .iface = 0, .ts_ns = T0, .data = payload, .caplen = 5, .dir = PCAP_DIR_IN },
		{ .iface = 0, .data = payload, .caplen = 99, .owner = &owner_curl },
		{ .iface = 0, .data = payload, .caplen = 99, .owner = &owner_curl, .drops = 2 },
		{ .iface = 1, .data = payload, .caplen = 100, .owner = &owner_odd, .note = "x\xffy" },
		{ .iface = 1, .data = big, .caplen = sizeof(big), .note = "", .dir = PCAP_DIR_OUT },
		{ .iface = 0, .data = big, .caplen = sizeof(big) },
	};
	struct sbuf b = { 0 };
	struct pcap_writer *w = pcap_writer_open_fn(to_sbuf, &b, &fixed_si);
	struct pcap_packet unknown = pk[4];
	uint64_t at;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		at = pcap_writer_bytes(w);
		assert_int_equal(pcap_writer_add_iface(w, &ifs[i]), (int)i);
		assert_int_equal(pcap_writer_bytes(w) - at, pcap_writer_iface_size(&ifs[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(pk); i++) {
		size_t want = pcap_writer_packet_size(w, &pk[i]);

		at = pcap_writer_bytes(w);
		assert_int_equal(pcap_writer_packet(w, &pk[i]), 0);
		assert_int_equal(pcap_writer_bytes(w) - at, want);
	}
	/* an interface not added yet: cut to PCAP_MAX_SNAPLEN only */
	unknown.iface = 7;
	unknown.caplen = 64;
	assert_int_equal(pcap_writer_packet_size(w, &unknown), pcap_writer_packet_size(w, &pk[4]));
	unknown.caplen = 100;
	assert_int_equal(pcap_writer_packet_size(w, &unknown), pcap_writer_packet_size(w, &pk[4]) + 36);
	assert_int_equal(pcap_writer_set_stats(w, 0, &(struct pcap_stats){ .received = 1 }), 0);
	at = pcap_writer_bytes(w);
	assert_int_equal(pcap_writer_close(w, NULL), 0);
	assert_int_equal(b.len - at,
	                 pcap_writer_stats_size(&(struct pcap_stats){ 0 }) + pcap_writer_stats_size(NULL));
	assert_int_equal(pcap_writer_stats_size(&(struct pcap_stats){ .no_counts = true }),
	                 pcap_writer_stats_size(NULL));
	sbuf_release(&b);
}

/* Strings go out as valid UTF-8 within an option's 65535 bytes; owner fields are cut to 256. */
static void test_writer_strings_valid_and_bounded(void **state)
{
	size_t n = 70000;
	char *big = malloc(2 * n + 1), *comm = malloc(1001);
	struct pcap_owner o = { 1, 1, comm, NULL, -1 };
	struct pcap_iface ifc = { .linktype = 1, .name = big, .description = "bad \xff\xfe byte" };
	struct pcap_packet p = { .data = "x", .caplen = 1, .owner = &o };
	struct sbuf b = { 0 };
	struct pcap_writer *w = pcap_writer_open_fn(to_sbuf, &b, &fixed_si);
	struct pcap_reader *r;
	struct pcap_record rec;

	(void)state;
	assert_non_null(big);
	assert_non_null(comm);
	for (size_t i = 0; i < n; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * n] = '\0';
	memset(comm, 'c', 1000);
	comm[1000] = '\0';
	assert_int_equal(pcap_writer_add_iface(w, &ifc), 0);
	assert_int_equal(pcap_writer_packet(w, &p), 0);
	assert_int_equal(pcap_writer_close(w, NULL), 0);
	r = pcap_reader_open_mem(b.data, b.len);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_IFACE);
	assert_int_equal(strlen(rec.iface.name), 65534); /* cut between two-byte characters */
	assert_string_equal(rec.iface.description, "bad \xef\xbf\xbd\xef\xbf\xbd byte");
	assert_int_equal(next_ok(r, &rec), PCAP_REC_PACKET);
	assert_true(rec.pkt.has_owner);
	assert_int_equal(strlen(rec.pkt.owner.comm), 256); /* PCAP_OWNER_FIELD_MAX */
	pcap_reader_close(r);
	sbuf_release(&b);
	free(big);
	free(comm);
}

static int fail_third(void *ctx, const void *p, size_t n)
{
	int *calls = ctx;

	(void)p;
	(void)n;
	return ++*calls > 2 ? -ENOSPC : 0;
}

static void test_writer_errors(void **state)
{
	const struct pcap_iface ifc = { .linktype = 1 };
	const struct pcap_stats st = { .received = 1, .dropped = 1, .end_ns = 1 };
	struct pcap_packet p = { .iface = 1, .data = "x", .caplen = 1 };
	struct err e = { { 0 } };
	char path[128];
	int calls = 0;
	struct pcap_writer *w = pcap_writer_open_fn(fail_third, &calls, &fixed_si);
	uint64_t bytes;

	(void)state;
	assert_int_equal(pcap_writer_add_iface(w, &ifc), 0); /* the section and this block pass */
	bytes = pcap_writer_bytes(w);
	/* a packet of an interface never added is refused, nothing written */
	assert_int_equal(pcap_writer_packet(w, &p), -EINVAL);
	assert_int_equal(pcap_writer_set_stats(w, 1, &st), -EINVAL);
	assert_true(pcap_writer_bytes(w) == bytes);
	/* the first I/O error is kept and returned by each later packet and the close */
	p.iface = 0;
	assert_int_equal(pcap_writer_packet(w, &p), -ENOSPC);
	assert_int_equal(calls, 3);
	assert_int_equal(pcap_writer_close(w, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "No space left"));
	/* a file that cannot be created */
	tmp_path(path, sizeof(path), "missing-dir/x.pcapng");
	assert_null(pcap_writer_open(path, NULL, &e));
	assert_non_null(strstr(e.msg, "cannot create"));
	/* abort publishes nothing and leaves no temporary */
	tmp_path(path, sizeof(path), "aborted.pcapng");
	w = pcap_writer_open(path, NULL, &e);
	assert_non_null(w);
	assert_int_equal(pcap_writer_add_iface(w, &ifc), 0);
	pcap_writer_abort(w);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".tmp-%d", (int)getpid());
	assert_int_equal(access(path, F_OK), -1);
}

/* ------------------------------------------------ hand-made sections, read */

/* A big-endian section: times in 2^-10 s, flags, owner, drops, statistics. */
static void add_be_section(struct img *m)
{
	size_t at;

	add_shb_v(m, 1, 0, "be-writer");
	add_idb(m, PCAP_LINKTYPE_ETHERNET, 0, "be0", 0x8a);
	at = epb_begin(m, 0, 1024 * 5 + 512, "abcde", 5, 60);
	opt_32(m, PCAP_OPT_EPB_FLAGS, 1);
	opt_raw(m, 0x7777, "xyz", 3); /* unknown: skipped */
	opt_s(m, PCAP_OPT_COMMENT, "be comment");
	opt_owner_text(m, 12345, "pid=1;tid=1"); /* another enterprise's: ignored */
	opt_owner_text(m, PCAP_PEN, "pid=9;tid=10;comm=sh;container=abc;fd=3;later=key");
	opt_64(m, PCAP_OPT_EPB_DROPCOUNT, 7);
	opt_endofopt(m);
	blk_end(m, at);
	at = blk_begin(m, PCAP_BT_ISB);
	w32(m, 0);
	w32(m, 0);
	w32(m, 1024 * 6);
	w16(m, PCAP_OPT_ISB_STARTTIME);
	w16(m, 8);
	w32(m, 0);
	w32(m, 1024 * 4);
	opt_64(m, PCAP_OPT_ISB_IFRECV, 100);
	opt_64(m, PCAP_OPT_ISB_IFDROP, 4);
	opt_endofopt(m);
	blk_end(m, at);
}

/* A little-endian section: microseconds with an offset, blocks to skip, a simple and an old packet block. */
static void add_le_section(struct img *m)
{
	static const uint32_t skipped_types[] = { PCAP_BT_NRB, 0x00000BAD, 0x80000001, PCAP_BT_DSB };
	size_t at;

	add_shb(m);
	at = blk_begin(m, PCAP_BT_IDB);
	w16(m, PCAP_LINKTYPE_RAW);
	w16(m, 0);
	w32(m, 4);
	opt_64(m, PCAP_OPT_IF_TSOFFSET, 10);
	blk_end(m, at); /* no opt_endofopt: the block's end ends the options */
	for (size_t i = 0; i < ARRAY_SIZE(skipped_types); i++) {
		at = blk_begin(m, skipped_types[i]);
		w32(m, 0xdeadbeef);
		blk_end(m, at);
	}
	add_epb(m, 0, 1500000, "ab", 2);
	at = blk_begin(m, PCAP_BT_SPB);
	w32(m, 10);
	sbuf_put(&m->b, "0123456789", 10);
	blk_end(m, at);
	at = blk_begin(m, PCAP_BT_PB);
	w16(m, 0);
	w16(m, 3);
	w32(m, 0);
	w32(m, 2000000);
	w32(m, 2);
	w32(m, 2);
	sbuf_put(&m->b, "pb", 2);
	wpad(m);
	opt_32(m, PCAP_OPT_EPB_FLAGS, 2);
	opt_endofopt(m);
	blk_end(m, at);
}

static void check_be_section(struct pcap_reader *r, struct pcap_record *rec)
{
	const struct pcap_packet_rec *pk = &rec->pkt;

	assert_int_equal(next_ok(r, rec), PCAP_REC_SECTION);
	assert_true(rec->shb.big_endian);
	assert_int_equal(rec->section, 0);
	assert_string_equal(rec->shb.userappl, "be-writer");
	assert_null(rec->shb.comment);
	assert_int_equal(next_ok(r, rec), PCAP_REC_IFACE);
	assert_int_equal(rec->iface.linktype, 1);
	assert_string_equal(rec->iface.name, "be0");
	assert_int_equal(rec->iface.tsresol, 0x8a);
	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_true(pk->ts_ns == 5500000000ULL); /* 5.5 s in 1/1024 s */
	assert_int_equal(pk->caplen, 5);
	assert_int_equal(pk->origlen, 60);
	assert_memory_equal(pk->data, "abcde", 5);
	assert_int_equal(pk->dir, PCAP_DIR_IN);
	assert_string_equal(pk->comment, "be comment");
	assert_true(pk->has_owner);
	assert_int_equal(pk->owner.pid, 9);
	assert_int_equal(pk->owner.tid, 10);
	assert_string_equal(pk->owner.comm, "sh");
	assert_string_equal(pk->owner.container, "abc");
	assert_int_equal(pk->owner.fd, 3);
	assert_int_equal(pk->drops, 7);
	assert_int_equal(next_ok(r, rec), PCAP_REC_STATS);
	assert_true(rec->stats.ts_ns == 6000000000ULL);
	assert_true(rec->stats.start_ns == 4000000000ULL);
	assert_false(rec->stats.has_end);
	assert_int_equal(rec->stats.received, 100);
	assert_int_equal(rec->stats.dropped, 4);
}

static void check_le_section(struct pcap_reader *r, struct pcap_record *rec)
{
	const struct pcap_packet_rec *pk = &rec->pkt;

	assert_int_equal(next_ok(r, rec), PCAP_REC_SECTION);
	assert_false(rec->shb.big_endian);
	assert_int_equal(rec->section, 1);
	assert_null(rec->shb.userappl);
	assert_int_equal(next_ok(r, rec), PCAP_REC_IFACE);
	assert_int_equal(rec->iface.id, 0); /* ids start again in each section */
	assert_int_equal(rec->iface.tsresol, 6);
	assert_int_equal(rec->iface.tsoffset, 10);
	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(rec->block_type, PCAP_BT_EPB);
	assert_int_equal(rec->section, 1);
	assert_true(pk->ts_ns == 11500000000ULL); /* 1.5 s in us, + 10 s */
	assert_false(pk->has_owner);
	assert_null(pk->comment);
	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(rec->block_type, PCAP_BT_SPB);
	assert_false(pk->has_ts);
	assert_int_equal(pk->caplen, 4); /* the interface's snaplen */
	assert_int_equal(pk->origlen, 10);
	assert_memory_equal(pk->data, "0123", 4);
	assert_int_equal(next_ok(r, rec), PCAP_REC_PACKET);
	assert_int_equal(rec->block_type, PCAP_BT_PB);
	assert_true(pk->ts_ns == 12000000000ULL);
	assert_int_equal(pk->drops, 3);
	assert_int_equal(pk->dir, PCAP_DIR_OUT);
	assert_memory_equal(pk->data, "pb", 2);
	assert_int_equal(next_ok(r, rec), PCAP_REC_EOF);
	assert_int_equal(next_ok(r, rec), PCAP_REC_EOF);
}

static void test_reader_big_endian_then_little(void **state)
{
	struct img m;
	struct pcap_reader *r;
	struct pcap_record rec;

	(void)state;
	img_init(&m, true);
	add_be_section(&m);
	m.be = false;
	add_le_section(&m);
	r = pcap_reader_open_mem(m.b.data, m.b.len);
	check_be_section(r, &rec);
	check_le_section(r, &rec);
	assert_true(pcap_reader_offset(r) == m.b.len);
	pcap_reader_close(r);
	sbuf_release(&m.b);
}

/* A section of a version other than 1.0/1.2 is skipped whole, as the draft asks. */
static void test_reader_skips_other_versions(void **state)
{
	struct img m;
	struct pcap_reader *r;
	struct pcap_record rec;

	(void)state;
	img_init(&m, false);
	add_shb_v(&m, 2, 0, "future");
	add_epb(&m, 9, 0, "x", 1); /* no interface 9: read, it would be refused */
	add_shb_v(&m, 1, 2, "one-two");
	add_idb(&m, 1, 0, NULL, -1);
	add_epb(&m, 0, 0, "y", 1);
	r = pcap_reader_open_mem(m.b.data, m.b.len);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_true(rec.shb.skipped);
	assert_int_equal(rec.shb.major, 2);
	assert_null(rec.shb.userappl);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_false(rec.shb.skipped);
	assert_int_equal(rec.shb.minor, 2);
	assert_string_equal(rec.shb.userappl, "one-two");
	assert_int_equal(next_ok(r, &rec), PCAP_REC_IFACE);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_PACKET);
	assert_memory_equal(rec.pkt.data, "y", 1);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_EOF);
	pcap_reader_close(r);
	sbuf_release(&m.b);
}

/* Owner options that do not parse leave the packet without an owner, never fail the file. */
static void test_reader_malformed_owner_ignored(void **state)
{
	static const char *const bad[] = { "pid=1",
		                           "pid=1;tid=x",
		                           "pid=1;tid=2;comm=%4",
		                           "pid=1;tid=2;comm=%00",
		                           "pid=1;tid=2;;",
		                           "tid=2;pid=99999999999999999999" };
	struct img m;
	struct pcap_reader *r;
	struct pcap_record rec;

	(void)state;
	img_init(&m, false);
	add_shb(&m);
	add_idb(&m, 1, 0, NULL, -1);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t at = epb_begin(&m, 0, 0, "x", 1, 1);

		opt_owner_text(&m, PCAP_PEN, bad[i]);
		blk_end(&m, at);
	}
	r = pcap_reader_open_mem(m.b.data, m.b.len);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_IFACE);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(next_ok(r, &rec), PCAP_REC_PACKET);
		assert_false(rec.pkt.has_owner);
	}
	assert_int_equal(next_ok(r, &rec), PCAP_REC_EOF);
	pcap_reader_close(r);
	sbuf_release(&m.b);
}

/* A file that cannot be mapped (a pipe) is read whole; missing files and directories are refused. */
static void test_reader_open_paths(void **state)
{
	struct img m;
	struct err e = { { 0 } };
	struct pcap_reader *r;
	struct pcap_record rec;
	char path[64];
	int fds[2];

	(void)state;
	img_init(&m, false);
	add_shb(&m);
	add_idb(&m, 1, 0, NULL, -1);
	add_epb(&m, 0, 0, "pipe", 4);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], m.b.data, m.b.len), (ssize_t)m.b.len);
	close(fds[1]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	r = pcap_reader_open(path, &e);
	assert_non_null(r);
	close(fds[0]);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_SECTION);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_IFACE);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_PACKET);
	assert_memory_equal(rec.pkt.data, "pipe", 4);
	assert_int_equal(next_ok(r, &rec), PCAP_REC_EOF);
	pcap_reader_close(r);
	assert_null(pcap_reader_open("/nonexistent/x.pcapng", &e));
	assert_non_null(strstr(e.msg, "No such file"));
	assert_null(pcap_reader_open(g_dir, &e));
	assert_non_null(strstr(e.msg, "Is a directory"));
	sbuf_release(&m.b);
}

/* ----------------------------------------------------------- refusals */

/* SHB (28 bytes) at 0, IDB (20) at 28: the blocks a test adds start at 48. */
static void base(struct img *m)
{
	img_init(m, false);
	add_shb(m);
	add_idb(m, PCAP_LINKTYPE_RAW, 0, NULL, -1);
}

static void test_refuses_not_pcapng(void **state)
{
	struct img m;

	(void)state;
	refused("", 0, -EINVAL, "empty file", 0);
	refused("GIF89a\0\0\0\0\0\0", 12, -EINVAL, "not a pcapng capture", 0);
	base(&m);
	patch32(&m, 8, 0x11223344);
	refused(m.b.data, m.b.len, -EINVAL, "bad byte-order magic 0x11223344", 0);
	refused(m.b.data, 10, -ENODATA, "truncated section header block", 0);
	sbuf_release(&m.b);
}

static void test_refuses_bad_framing(void **state)
{
	struct img m;

	(void)state;
	base(&m);
	add_epb(&m, 0, 0, "abcd", 4); /* 36 bytes at 48 */
	refused(m.b.data, 48 + 5, -ENODATA, "truncated block header", 48);
	refused(m.b.data, m.b.len - 4, -ENODATA, "truncated block type 0x6", 48);
	patch32(&m, 52, 45);
	refused(m.b.data, m.b.len, -EINVAL, "length 45 is not a multiple of 4", 48);
	patch32(&m, 52, 8);
	refused(m.b.data, m.b.len, -EINVAL, "length 8 below the 12-byte minimum", 48);
	patch32(&m, 52, 0xFFFFFFF0); /* huge */
	refused(m.b.data, m.b.len, -EINVAL, "exceeds the 16777216-byte limit", 48);
	patch32(&m, 52, 1U << 20); /* within the limit, past the file */
	refused(m.b.data, m.b.len, -ENODATA, "only 36 bytes left", 48);
	patch32(&m, 52, 36);
	patch32(&m, 80, 40);
	refused(m.b.data, m.b.len, -EINVAL, "trailer length 40 does not match header length 36", 48);
	patch32(&m, 80, 36);
	patch32(&m, 4, 0x7FFFFFFC); /* the section header's own length */
	refused(m.b.data, m.b.len, -EINVAL, "exceeds the 16777216-byte limit", 0);
	sbuf_release(&m.b);
}

static void test_refuses_short_blocks(void **state)
{
	static const struct {
		uint32_t type, body;
		const char *what;
	} cases[] = {
		{ PCAP_BT_EPB, 16,
		  "enhanced packet block at offset 48: length 28 below its 32-byte minimum" },
		{ PCAP_BT_IDB, 4, "interface description block at offset 48: length 16 below its 20-byte" },
		{ PCAP_BT_ISB, 8, "interface statistics block at offset 48: length 20 below its 24-byte" },
		{ PCAP_BT_SPB, 0, "simple packet block at offset 48: length 12 below its 16-byte" },
		{ PCAP_BT_PB, 16, "packet block at offset 48: length 28 below its 32-byte" },
		{ PCAP_BT_SHB, 8, "section header block at offset 48: length 20 below its 28-byte" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct img m;
		size_t at;

		base(&m);
		at = blk_begin(&m, cases[i].type);
		if (cases[i].type == PCAP_BT_SHB)
			w32(&m, PCAP_BYTE_ORDER_MAGIC);
		while (m.b.len - at < 8 + cases[i].body)
			w32(&m, 0);
		blk_end(&m, at);
		refused(m.b.data, m.b.len, -EINVAL, cases[i].what, 48);
		sbuf_release(&m.b);
	}
}

/* An EPB at 48 whose options start at 80 (4 bytes of data). */
static void epb_with_option(struct img *m, uint16_t code, uint16_t len, uint16_t real_len)
{
	size_t at;

	base(m);
	at = epb_begin(m, 0, 0, "abcd", 4, 4);
	w16(m, code);
	w16(m, len);
	for (uint16_t i = 0; i < (real_len + 3) / 4; i++)
		w32(m, 0);
	blk_end(m, at);
}

static void test_refuses_bad_options(void **state)
{
	struct img m;

	(void)state;
	epb_with_option(&m, PCAP_OPT_COMMENT, 200, 8);
	refused(m.b.data, m.b.len, -EINVAL, "option 1 at offset 80: length 200 runs past the block", 48);
	sbuf_release(&m.b);
	epb_with_option(&m, PCAP_OPT_COMMENT, 9, 8); /* its padding would run past */
	refused(m.b.data, m.b.len, -EINVAL, "length 9 runs past the block (8 bytes left)", 80);
	sbuf_release(&m.b);
	epb_with_option(&m, PCAP_OPT_EPB_FLAGS, 2, 2);
	refused(m.b.data, m.b.len, -EINVAL, "epb_flags (2) at offset 80: length 2, expected 4", 48);
	sbuf_release(&m.b);
	epb_with_option(&m, PCAP_OPT_EPB_DROPCOUNT, 4, 4);
	refused(m.b.data, m.b.len, -EINVAL, "epb_dropcount (4) at offset 80: length 4, expected 8", 48);
	sbuf_release(&m.b);
	epb_with_option(&m, PCAP_OPT_CUSTOM_STR, 2, 2);
	refused(m.b.data, m.b.len, -EINVAL, "custom option 2988 at offset 80: length 2 below the 4-byte", 48);
	sbuf_release(&m.b);
	base(&m);
	add_idb(&m, 1, 0, NULL, 0);
	patch32(&m, 48 + 16, 2 << 16 | PCAP_OPT_IF_TSRESOL); /* if_tsresol of 2 bytes */
	refused(m.b.data, m.b.len, -EINVAL, "if_tsresol (9) at offset 64: length 2, expected 1", 48);
	sbuf_release(&m.b);
}

static void test_refuses_bad_lengths_and_interfaces(void **state)
{
	struct img m;
	size_t at;

	(void)state;
	base(&m);
	add_epb(&m, 0, 0, "abcd", 4);
	patch32(&m, 48 + 20, 1000); /* caplen */
	refused(m.b.data, m.b.len, -EINVAL, "captured length 1000 exceeds the 4 bytes the block has room",
	        48);
	patch32(&m, 48 + 20, 0xFFFFFFFF);
	refused(m.b.data, m.b.len, -EINVAL, "captured length 4294967295 exceeds", 48);
	patch32(&m, 48 + 20, 4);
	patch32(&m, 48 + 8, 5); /* interface id */
	refused(m.b.data, m.b.len, -EINVAL, "interface 5 not described (the section has 1)", 48);
	sbuf_release(&m.b);

	img_init(&m, false);
	add_shb(&m);
	at = blk_begin(&m, PCAP_BT_SPB);
	w32(&m, 4);
	w32(&m, 0);
	blk_end(&m, at);
	refused(m.b.data, m.b.len, -EINVAL, "simple packet block at offset 28: interface 0 not described",
	        28);
	sbuf_release(&m.b);

	base(&m);
	at = blk_begin(&m, PCAP_BT_SPB);
	w32(&m, 9); /* 9 bytes of no snaplen, in 4 */
	w32(&m, 0);
	blk_end(&m, at);
	refused(m.b.data, m.b.len, -EINVAL, "captured length 9 (original 9, snaplen 0) exceeds the 4", 48);
	sbuf_release(&m.b);

	/* interfaces belong to their section */
	base(&m);
	add_shb(&m);
	add_epb(&m, 0, 0, "x", 1);
	refused(m.b.data, m.b.len, -EINVAL, "interface 0 not described (the section has 0)", 76);
	sbuf_release(&m.b);

	base(&m);
	at = blk_begin(&m, PCAP_BT_ISB);
	w32(&m, 2);
	w64(&m, 0);
	blk_end(&m, at);
	refused(m.b.data, m.b.len, -EINVAL, "interface statistics block at offset 48: interface 2", 48);
	sbuf_release(&m.b);
}

/* ------------------------------------------------------------------ merge */

/* A file of host: one interface named ifname, a packet at each of ts[0..n) (its byte: tag + i). */
static void merge_input(const char *path, const char *host, const char *ifname, const uint64_t *ts, size_t n,
                        uint8_t tag)
{
	char comment[64];
	struct pcap_section_info si = { .comment = comment };
	struct pcap_owner own = { .pid = 7, .tid = 8, .comm = "curl", .container = "", .fd = 3 };
	struct err e = { { 0 } };
	struct pcap_writer *w;
	int id;

	snprintf(comment, sizeof(comment), "host=%s", host);
	w = pcap_writer_open(path, &si, &e);
	assert_non_null(w);
	id = pcap_writer_add_iface(w, &(struct pcap_iface){ .linktype = PCAP_LINKTYPE_RAW, .name = ifname });
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)(tag + i);

		assert_int_equal(
		        pcap_writer_packet(w, &(struct pcap_packet){ .iface = (uint32_t)id,
		                                                     .ts_ns = ts[i],
		                                                     .data = &b,
		                                                     .caplen = 1,
		                                                     .dir = PCAP_DIR_OUT,
		                                                     .owner = i == 0 ? &own : NULL,
		                                                     .note = i == 0 ? "a note" : NULL }),
		        0);
	}
	assert_int_equal(pcap_writer_close(w, &e), 0);
}

/*
 * Two hosts' files merged: by time; of equal times the later input's first
 * (as mergecap); each input's interface the output's own, described with its
 * host; the owner and the other comment kept. A file cut short fails the
 * merge naming it, and leaves no output.
 */
static void test_merge(void **state)
{
	static const uint64_t ta[] = { 10, 30, 30, 50 }, tb[] = { 20, 30, 60 };
	static const uint8_t want_byte[] = { 0x10, 0x20, 0x21, 0x11, 0x12, 0x13, 0x22 };
	static const uint32_t want_if[] = { 0, 1, 1, 0, 0, 0, 1 };
	const char *paths[2];
	char a[128], b[128], out[128], cut[128];
	struct pcap_merge_stats st;
	struct err e = { { 0 } };
	struct pcap_reader *r;
	struct pcap_record rec;
	size_t np = 0, ni = 0;
	FILE *f;
	int rc;

	(void)state;
	tmp_path(a, sizeof(a), "merge-a.pcapng");
	tmp_path(b, sizeof(b), "merge-b.pcapng");
	tmp_path(out, sizeof(out), "merged.pcapng");
	merge_input(a, "web-1", "eth0", ta, 4, 0x10);
	merge_input(b, "web-2", "eth0", tb, 3, 0x20);
	paths[0] = a;
	paths[1] = b;
	assert_int_equal(pcap_merge(paths, 2, out, NULL, &st, &e), 0);
	assert_int_equal(st.packets, 7);
	assert_int_equal(st.interfaces, 2);
	r = pcap_reader_open(out, &e);
	assert_non_null(r);
	while ((rc = pcap_reader_next(r, &rec, &e)) > 0) {
		if (rc == PCAP_REC_IFACE) {
			assert_string_equal(rec.iface.name, "eth0");
			assert_string_equal(rec.iface.description, ni++ ? "host=web-2" : "host=web-1");
		} else if (rc == PCAP_REC_PACKET) {
			assert_true(np < 7);
			assert_int_equal(rec.pkt.data[0], want_byte[np]);
			assert_int_equal(rec.pkt.iface, want_if[np]);
			assert_int_equal(rec.pkt.dir, PCAP_DIR_OUT);
			if (rec.pkt.data[0] == 0x10 || rec.pkt.data[0] == 0x20) {
				assert_true(rec.pkt.has_owner);
				assert_string_equal(rec.pkt.owner.comm, "curl");
				assert_string_equal(rec.pkt.comment, "pid=7 tid=8 comm=curl fd=3\na note");
			} else {
				assert_false(rec.pkt.has_owner);
				assert_null(rec.pkt.comment);
			}
			np++;
		}
	}
	assert_int_equal(rc, PCAP_REC_EOF);
	assert_int_equal(np, 7);
	pcap_reader_close(r);

	/* a file cut short: refused, naming it; no output */
	tmp_path(cut, sizeof(cut), "merge-cut.pcapng");
	f = fopen(cut, "w");
	assert_non_null(f);
	fwrite("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", 1, 8, f);
	fclose(f);
	paths[1] = cut;
	tmp_path(out, sizeof(out), "merged-bad.pcapng");
	assert_true(pcap_merge(paths, 2, out, NULL, &st, &e) < 0);
	assert_non_null(strstr(e.msg, cut));
	assert_int_equal(access(out, F_OK), -1);
}

/* One interface, packets at 25 and 40, counts in its statistics block: 9 received, 2 dropped. */
static void merge_input_counted(const char *path)
{
	struct err e = { { 0 } };
	struct pcap_writer *w = pcap_writer_open(path, &fixed_si, &e);
	uint8_t b = 0x40;

	assert_non_null(w);
	assert_int_equal(pcap_writer_add_iface(w, &(struct pcap_iface){ .linktype = PCAP_LINKTYPE_RAW,
	                                                                .name = "eth1",
	                                                                .start_ns = 25 }),
	                 0);
	for (uint64_t ts = 25; ts <= 40; ts += 15)
		assert_int_equal(
		        pcap_writer_packet(w, &(struct pcap_packet){ .ts_ns = ts, .data = &b, .caplen = 1 }),
		        0);
	assert_int_equal(pcap_writer_set_stats(w, 0, &(struct pcap_stats){ .received = 9, .dropped = 2 }), 0);
	assert_int_equal(pcap_writer_close(w, &e), 0);
}

/* A section with a packet without a time (a Simple Packet Block), then one at 100. */
static void merge_input_untimed(const char *path)
{
	struct img m;
	size_t at;
	FILE *f;

	img_init(&m, false);
	add_shb(&m);
	add_idb(&m, PCAP_LINKTYPE_RAW, 0, "lo", 9);
	at = blk_begin(&m, PCAP_BT_SPB);
	w32(&m, 1);
	sbuf_put(&m.b, "s", 1);
	blk_end(&m, at);
	add_epb(&m, 0, 100, "t", 1);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(m.b.data, 1, m.b.len, f), m.b.len);
	fclose(f);
	sbuf_release(&m.b);
}

/*
 * Time bounds: only the packets from since to until (both kept) and those
 * without a time; each statistics block spans its kept packets (none: its
 * input's span clamped to the bounds), with the input's counts only when no
 * packet of it was left out. until 0: no end.
 */
static void test_merge_time_bounds(void **state)
{
	static const uint64_t ta[] = { 10, 30, 30, 50 }, tb[] = { 20, 30, 60 };
	static const struct {
		uint64_t start, end;
		bool counts;
	} want_st[4] = { { 30, 50, false }, { 20, 30, false }, { 50, 50, false }, { 25, 40, true } };
	char a[128], b[128], c[128], d[128], out[128];
	const char *paths[4] = { a, b, c, d };
	struct pcap_merge_stats st;
	struct err e = { { 0 } };
	struct pcap_reader *r;
	struct pcap_record rec;
	size_t np = 0, nuntimed = 0, ns = 0;
	uint64_t last = 0;
	int rc;

	(void)state;
	tmp_path(a, sizeof(a), "bounds-a.pcapng");
	tmp_path(b, sizeof(b), "bounds-b.pcapng");
	tmp_path(c, sizeof(c), "bounds-c.pcapng");
	tmp_path(d, sizeof(d), "bounds-d.pcapng");
	tmp_path(out, sizeof(out), "bounds-out.pcapng");
	merge_input(a, "web-1", "eth0", ta, 4, 0x10);
	merge_input(b, "web-2", "eth0", tb, 3, 0x20);
	merge_input_untimed(c);
	merge_input_counted(d);
	assert_int_equal(pcap_merge(paths, 4, out,
	                            &(struct pcap_merge_opts){ .since_ns = 20, .until_ns = 50 }, &st, &e),
	                 0);
	/* a: 30 30 50; b: 20 30; c: the untimed one; d: 25 40 */
	assert_int_equal(st.packets, 8);
	assert_int_equal(st.interfaces, 4);
	r = pcap_reader_open(out, &e);
	assert_non_null(r);
	while ((rc = pcap_reader_next(r, &rec, &e)) > 0) {
		if (rc == PCAP_REC_PACKET && rec.pkt.data[0] == 's') {
			nuntimed++;
		} else if (rc == PCAP_REC_PACKET) {
			assert_true(rec.pkt.ts_ns >= 20 && rec.pkt.ts_ns <= 50);
			assert_true(rec.pkt.ts_ns >= last);
			last = rec.pkt.ts_ns;
			np++;
		} else if (rc == PCAP_REC_STATS) {
			assert_true(rec.stats.iface == ns && ns < 4);
			assert_int_equal(rec.stats.start_ns, want_st[ns].start);
			assert_int_equal(rec.stats.end_ns, want_st[ns].end);
			assert_int_equal(rec.stats.has_received, want_st[ns].counts);
			if (want_st[ns].counts) {
				assert_int_equal(rec.stats.received, 9);
				assert_int_equal(rec.stats.dropped, 2);
			}
			ns++;
		}
	}
	assert_int_equal(rc, PCAP_REC_EOF);
	assert_int_equal(np, 7);
	assert_int_equal(nuntimed, 1);
	assert_int_equal(ns, 4);
	pcap_reader_close(r);

	/* since alone: a 50, b 60, c's untimed one and 100 */
	assert_int_equal(pcap_merge(paths, 4, out, &(struct pcap_merge_opts){ .since_ns = 50 }, &st, &e), 0);
	assert_int_equal(st.packets, 4);
	/* no bounds: everything */
	assert_int_equal(pcap_merge(paths, 4, out, &(struct pcap_merge_opts){ 0 }, &st, &e), 0);
	assert_int_equal(st.packets, 4 + 3 + 2 + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_file),
		cmocka_unit_test(test_roundtrip_memory),
		cmocka_unit_test(test_writer_layout),
		cmocka_unit_test(test_writer_section_defaults),
		cmocka_unit_test(test_writer_strings_valid_and_bounded),
		cmocka_unit_test(test_writer_sizes),
		cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_reader_big_endian_then_little),
		cmocka_unit_test(test_reader_skips_other_versions),
		cmocka_unit_test(test_reader_malformed_owner_ignored),
		cmocka_unit_test(test_reader_open_paths),
		cmocka_unit_test(test_refuses_not_pcapng),
		cmocka_unit_test(test_refuses_bad_framing),
		cmocka_unit_test(test_refuses_short_blocks),
		cmocka_unit_test(test_refuses_bad_options),
		cmocka_unit_test(test_refuses_bad_lengths_and_interfaces),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_time_bounds),
	};

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
