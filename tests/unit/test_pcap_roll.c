/*
 * test_pcap_roll: rolling pcapng files. They roll, and each reads back with
 * its packets in order and its statistics; the size bound holds after every
 * packet, oldest files deleted first; the age bound through ticks; bounds
 * changed at run time; a cut, then the files of a time range; a reopen
 * after a crash; packets too big for any file; write and close errors.
 */
#include "pcap_fixtures.h"

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>

#define T0     1700000000000000000ULL
#define MS     1000000ULL
#define SEC    1000000000ULL
#define KiB    1024ULL
#define PREFIX "host"

/* Three interfaces by key (0, 1, 2): the last cuts packets to 96 bytes and has a name that is not UTF-8. */
static const struct pcap_iface ifaces[3] = {
	{ PCAP_LINKTYPE_RAW, 0, "eth0", "netns 4026531840", 0 },
	{ PCAP_LINKTYPE_ETHERNET, 0, "lo", NULL, 0 },
	{ PCAP_LINKTYPE_RAW, 96, "veth\xff", "cut to 96", 0 },
};
static const struct pcap_owner owner = { 42, 43, "curl", "3f2a9c1b7e4d", 7 };
static uint8_t buf[PCAP_MAX_SNAPLEN + 64];

/* Packet seq (its first 4 bytes) at ts, len bytes on interface key; every few an owner, a note, drops. */
static int put(struct pcap_roll *r, uint32_t key, uint32_t seq, uint64_t ts, uint32_t len)
{
	struct pcap_packet p = {
		.ts_ns = ts,
		.data = buf,
		.caplen = len,
		.origlen = seq % 4 == 0 ? len + 100 : 0,
		.dir = (enum pcap_dir)(seq % 3),
		.owner = seq % 5 == 0 ? &owner : NULL,
		.note = seq % 7 == 0 ? "n\xc3\xa9: a note" : NULL,
		.drops = seq % 11 == 0 ? seq % 13 + 1 : 0,
	};

	memcpy(buf, &seq, 4);
	return pcap_roll_packet(r, key, &ifaces[key], &p);
}

static uint32_t drops_of(uint32_t seq)
{
	return seq % 11 == 0 ? seq % 13 + 1 : 0;
}

static struct pcap_roll *roll_open(const char *dir, uint64_t max_bytes, uint64_t max_age_ns)
{
	static const struct pcap_section_info si = { "test-hw", "Linux 9.9", "sysrec test", "host=test" };
	struct err e = { { 0 } };
	struct pcap_roll *r = pcap_roll_open(&(struct pcap_roll_opts){ .dir = dir,
	                                                               .prefix = PREFIX,
	                                                               .max_bytes = max_bytes,
	                                                               .max_age_ns = max_age_ns,
	                                                               .si = &si },
	                                     &e);

	if (!r)
		fail_msg("pcap_roll_open %s: %s", dir, e.msg);
	return r;
}

/* The sum of st_size of every file in dir (temporaries included); *n their count. */
static uint64_t dir_bytes(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint64_t sum = 0;
	size_t count = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[512];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(lstat(path, &st), 0);
		sum += (uint64_t)st.st_size;
		count++;
	}
	closedir(d);
	if (n)
		*n = count;
	return sum;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static struct pcap_roll_stats stats_of(const struct pcap_roll *r)
{
	struct pcap_roll_stats st;

	pcap_roll_stats(r, &st);
	return st;
}

/* What a file holds, read back whole. */
struct held {
	size_t packets;
	uint32_t first_seq, last_seq;
	uint64_t first_ns, last_ns;
};

/*
 * Read path: it opens with the reader, its packets' seqs increase by one
 * (times never go back), and each interface's statistics block counts that
 * interface's packets and drops in it and spans the file's packets.
 */
static struct held read_file(const char *path)
{
	struct held h = { 0 };
	uint64_t recv[8] = { 0 }, drops[8] = { 0 };
	struct err e = { { 0 } };
	struct pcap_reader *r = pcap_reader_open(path, &e);
	struct pcap_record rec;
	uint32_t nifs = 0, nstats = 0;
	int rc;

	if (!r)
		fail_msg("%s: %s", path, e.msg);
	while ((rc = next_ok(r, &rec)) > 0) {
		if (rc == PCAP_REC_IFACE) {
			assert_true(rec.iface.id == nifs && nifs < 8);
			nifs++;
		} else if (rc == PCAP_REC_PACKET) {
			uint32_t seq = load_u32(rec.pkt.data);

			assert_true(rec.pkt.iface < nifs);
			assert_true(rec.pkt.caplen >= 4);
			if (h.packets) {
				assert_int_equal(seq, h.last_seq + 1);
				assert_true(rec.pkt.ts_ns >= h.last_ns);
			} else {
				h.first_seq = seq;
				h.first_ns = rec.pkt.ts_ns;
			}
			assert_int_equal(rec.pkt.drops, drops_of(seq));
			h.last_seq = seq;
			h.last_ns = rec.pkt.ts_ns;
			h.packets++;
			recv[rec.pkt.iface]++;
			drops[rec.pkt.iface] += rec.pkt.drops;
		} else if (rc == PCAP_REC_STATS) {
			assert_true(rec.stats.iface == nstats && nstats < nifs);
			assert_true(rec.stats.has_received && rec.stats.has_dropped);
			assert_int_equal(rec.stats.received, recv[nstats]);
			assert_int_equal(rec.stats.dropped, drops[nstats]);
			assert_int_equal(rec.stats.start_ns, h.first_ns);
			assert_int_equal(rec.stats.end_ns, h.last_ns);
			nstats++;
		}
	}
	assert_int_equal(rc, PCAP_REC_EOF);
	assert_int_equal(nstats, nifs);
	pcap_reader_close(r);
	return h;
}

static void free_paths(char **paths)
{
	for (size_t i = 0; paths[i]; i++)
		free(paths[i]);
	free(paths);
}

/* The name a file whose first packet is at ns has. */
static void name_of(char *out, size_t n, const char *dir, uint64_t ns)
{
	snprintf(out, n, "%s/" PREFIX "-%019llu.pcapng", dir, (unsigned long long)ns);
}

/*
 * Files roll at max_bytes / 8 (128 KiB of 1 MiB): each is named by its first
 * packet, opens with the reader and holds its packets in order, the next
 * file going on where it ended; each holds the description of the
 * interfaces it has packets of, and their statistics. The stats add up.
 */
static void test_roll_files_in_order(void **state)
{
	char dir[128], want[256], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	struct err e = { { 0 } };
	uint64_t sum = 0;
	uint32_t next = 0;
	size_t n;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-order");
	r = roll_open(dir, 1024 * KiB, 0);
	for (uint32_t i = 0; i < 2000; i++)
		assert_int_equal(put(r, i % 3 == 2 ? 2 : i % 2, i, T0 + i * MS, 100 + i % 300), 0);
	st = stats_of(r);
	assert_int_equal(st.packets, 2000);
	assert_true(st.bytes <= 1024 * KiB);
	assert_int_equal(st.oldest_ns, T0);
	assert_int_equal(st.newest_ns, T0 + 1999 * MS);
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_true(n >= 3);
	assert_null(paths[n]);
	assert_int_equal(stats_of(r).files, n);
	for (size_t i = 0; i < n; i++) {
		struct held h = read_file(paths[i]);

		assert_int_equal(h.first_seq, next);
		name_of(want, sizeof(want), dir, h.first_ns);
		assert_string_equal(paths[i], want);
		assert_true(file_size(paths[i]) <= 128 * KiB);
		sum += file_size(paths[i]);
		next = h.last_seq + 1;
	}
	assert_int_equal(next, 2000);
	/* the accounting is exact: the files' sizes are what the roll said */
	assert_int_equal(stats_of(r).bytes, sum);
	assert_int_equal(dir_bytes(dir, NULL), sum);
	free_paths(paths);
	assert_int_equal(pcap_roll_close(r, &e), 0);
	assert_int_equal(dir_bytes(dir, NULL), sum);
}

/*
 * A 200 KiB bound and many packets of varied sizes, options and interfaces:
 * after every single packet the files together (the one being written as it
 * would be closed) stay within it, on disk and by the roll's count. What is
 * left is the newest: the oldest files went first.
 */
static void test_roll_size_bound(void **state)
{
	const uint64_t max = 200 * KiB;
	char dir[128], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	struct err e = { { 0 } };
	uint64_t sum = 0;
	uint32_t next, total = 6000;
	size_t n;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-size");
	r = roll_open(dir, max, 0);
	for (uint32_t i = 0; i < total; i++) {
		uint32_t len = 4 + (i * 7919) % 1600;

		assert_int_equal(put(r, i % 3, i, T0 + i * MS, len), 0);
		st = stats_of(r);
		assert_true(st.bytes <= max);
		assert_true(dir_bytes(dir, NULL) <= max);
	}
	st = stats_of(r);
	assert_true(st.deleted_size > 0);
	assert_true(st.deleted_size_bytes > 0);
	assert_int_equal(st.packets, total);
	assert_int_equal(st.too_big, 0);
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	assert_true(dir_bytes(dir, NULL) <= max);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_true(n >= 2);
	next = read_file(paths[0]).first_seq;
	assert_true(next > 0);
	for (size_t i = 0; i < n; i++) {
		struct held h = read_file(paths[i]);

		assert_int_equal(h.first_seq, next); /* no hole: whole old files went */
		assert_true(file_size(paths[i]) <= 64 * KiB);
		sum += file_size(paths[i]);
		next = h.last_seq + 1;
	}
	assert_int_equal(next, total);
	assert_int_equal(stats_of(r).bytes, sum);
	assert_int_equal(dir_bytes(dir, NULL), sum);
	free_paths(paths);
	assert_int_equal(pcap_roll_close(r, &e), 0);
}

/*
 * A 10 s age bound, time given by ticks: files span at most 10 s / 8, and
 * those whose last packet is older than now - 10 s go; an idle roll closes
 * its file; then everything ages out, the file being written too.
 */
static void test_roll_age_tick(void **state)
{
	char dir[128], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	uint64_t now = 0;
	size_t n, nfiles;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-age");
	r = roll_open(dir, 64 * 1024 * KiB, 10 * SEC);
	for (uint32_t i = 0; i < 300; i++) {
		now = T0 + i * 100 * MS;
		assert_int_equal(put(r, i % 2, i, now, 200), 0);
		pcap_roll_tick(r, now);
		st = stats_of(r);
		assert_true(st.oldest_ns + 10 * SEC + 10 * SEC / 8 >= now);
	}
	st = stats_of(r);
	assert_true(st.deleted_age > 0);
	assert_int_equal(st.deleted_size, 0);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		struct held h = read_file(paths[i]);

		assert_true(h.last_ns - h.first_ns <= 10 * SEC / 8);
		assert_true(h.last_ns >= now - 10 * SEC);
	}
	free_paths(paths);
	/* idle: the file being written is closed once its first packet is older than a file's span */
	assert_int_equal(stats_of(r).files, n + 1);
	pcap_roll_tick(r, now + 2 * SEC);
	n = pcap_roll_files(r, 0, 0, &paths);
	free_paths(paths);
	assert_int_equal(stats_of(r).files, n);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, n);
	/* later, all of it is too old */
	pcap_roll_tick(r, now + 11 * SEC);
	st = stats_of(r);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.bytes, 0);
	assert_int_equal(st.oldest_ns, 0);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 0);
	/* a file being written whose last packet is too old is deleted */
	assert_int_equal(put(r, 0, 1000, now + 20 * SEC, 100), 0);
	pcap_roll_tick(r, now + 31 * SEC);
	assert_int_equal(stats_of(r).files, 0);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 0);
	assert_int_equal(pcap_roll_close(r, NULL), 0);
}

/*
 * Bounds changed at run time are enforced at once: shrinking the size
 * deletes the oldest files; when the file being written alone passes the
 * new bound it goes too (the bound wins). A zero size is refused.
 */
static void test_roll_set_bounds(void **state)
{
	char dir[128], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	struct err e = { { 0 } };
	uint32_t seq = 0, last_seq;
	size_t n, nfiles;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-bounds");
	r = roll_open(dir, 1024 * KiB, 0);
	for (; seq < 3000; seq++)
		assert_int_equal(put(r, 0, seq, T0 + seq * MS, 280), 0);
	assert_true(stats_of(r).bytes > 700 * KiB);
	assert_int_equal(pcap_roll_set_bounds(r, 300 * KiB, 0), 0);
	st = stats_of(r);
	assert_true(st.bytes <= 300 * KiB);
	assert_true(dir_bytes(dir, NULL) <= 300 * KiB);
	assert_true(st.deleted_size > 0);
	assert_int_equal(st.max_bytes, 300 * KiB);
	/* what is left is the newest, whole */
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_true(n >= 1);
	last_seq = read_file(paths[n - 1]).last_seq;
	assert_int_equal(last_seq, seq - 1);
	free_paths(paths);

	/* a file being written of ~30 KiB, then a bound of 20 KiB: everything goes */
	for (uint32_t i = 0; i < 100; i++, seq++)
		assert_int_equal(put(r, 1, seq, T0 + seq * MS, 280), 0);
	assert_true(stats_of(r).bytes > 20 * KiB);
	assert_int_equal(pcap_roll_set_bounds(r, 20 * KiB, 0), 0);
	st = stats_of(r);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.bytes, 0);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 0);
	/* and it goes on within the new bound */
	for (uint32_t i = 0; i < 500; i++, seq++) {
		assert_int_equal(put(r, 1, seq, T0 + seq * MS, 280), 0);
		assert_true(stats_of(r).bytes <= 20 * KiB);
	}
	assert_int_equal(pcap_roll_set_bounds(r, 0, 0), -EINVAL);
	assert_int_equal(stats_of(r).max_bytes, 20 * KiB);
	assert_int_equal(pcap_roll_close(r, &e), 0);
	assert_true(dir_bytes(dir, NULL) <= 20 * KiB);
}

/* paths holds exactly the files of want[0..n), in order. */
static void files_are(char **paths, size_t n, char *const *want, size_t nwant)
{
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(paths[i], want[i]);
	assert_null(paths[n]);
	free_paths(paths);
}

/*
 * Three bursts 10 s apart, cut between them: the files of a time range are
 * those whose packets overlap it, oldest first; the file being written is
 * not among them until it is cut. Merged with the same bounds they give
 * exactly the range's packets.
 */
static void test_roll_cut_and_range(void **state)
{
	char dir[128], out[128], **all, **paths;
	struct pcap_roll *r;
	struct pcap_merge_stats ms;
	struct err e = { { 0 } };
	uint32_t seq = 0;
	size_t n;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-range");
	tmp_path(out, sizeof(out), "roll-range-merged.pcapng");
	r = roll_open(dir, 16 * 1024 * KiB, 0);
	for (int b = 0; b < 3; b++) {
		for (uint32_t i = 0; i < 1000; i++, seq++)
			assert_int_equal(put(r, seq % 2, seq, T0 + (uint64_t)b * 10 * SEC + i * MS, 64), 0);
		if (b < 2)
			assert_int_equal(pcap_roll_cut(r, &e), 0);
	}
	assert_int_equal(pcap_roll_files(r, 0, 0, &all), 2);
	free_paths(all);
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	assert_int_equal(pcap_roll_cut(r, &e), 0); /* nothing more to cut */
	assert_int_equal(pcap_roll_files(r, 0, UINT64_MAX, &all), 3);

	n = pcap_roll_files(r, T0 + 10500 * MS, T0 + 10600 * MS, &paths);
	files_are(paths, n, all + 1, 1);
	n = pcap_roll_files(r, T0 + 500 * MS, T0 + 10200 * MS, &paths);
	files_are(paths, n, all, 2);
	n = pcap_roll_files(r, T0 + 5 * SEC, T0 + 6 * SEC, &paths);
	files_are(paths, n, all, 0);
	n = pcap_roll_files(r, T0 + 20500 * MS, UINT64_MAX, &paths);
	files_are(paths, n, all + 2, 1);
	n = pcap_roll_files(r, 1, T0, &paths); /* the first file's first packet is at T0 */
	files_are(paths, n, all, 1);
	n = pcap_roll_files(r, T0 + 999 * MS, T0 + 10 * SEC, &paths); /* both ends touch */
	files_are(paths, n, all, 2);

	/* an export of a range: A's second half, B's first 200 ms (both ends kept) */
	n = pcap_roll_files(r, T0 + 500 * MS, T0 + 10200 * MS, &paths);
	assert_int_equal(pcap_merge((const char *const *)paths, n, out,
	                            &(struct pcap_merge_opts){ .since_ns = T0 + 500 * MS,
	                                                       .until_ns = T0 + 10200 * MS },
	                            &ms, &e),
	                 0);
	assert_int_equal(ms.packets, 500 + 201);
	assert_int_equal(ms.inputs, 2);
	free_paths(paths);
	free_paths(all);
	assert_int_equal(pcap_roll_close(r, &e), 0);
}

static void write_bytes(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('x', f);
	fclose(f);
}

/*
 * A reopen after a crash: the crashed writer's temporary is deleted, the
 * previous run's files are taken oldest first and bounded at once, other
 * names are left alone; new files are named after the old ones even when
 * their packets are older; and files too old by their mtime go at open.
 */
static void test_roll_reopen_after_crash(void **state)
{
	char dir[128], tmp[256], other[256], notes[256], odd[256], name[256], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	struct err e = { { 0 } };
	uint64_t sizes[3];
	uint32_t seq = 0;
	size_t n, nfiles;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-crash");
	r = roll_open(dir, 1024 * KiB, 0);
	for (int f = 0; f < 3; f++) {
		for (uint32_t i = 0; i < 100; i++, seq++)
			assert_int_equal(put(r, 0, seq, T0 + (uint64_t)f * SEC + i * MS, 200), 0);
		assert_int_equal(pcap_roll_cut(r, &e), 0);
	}
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++)
		sizes[i] = file_size(paths[i]);
	free_paths(paths);
	/* the crash: a file being written left behind; names that are not the roll's */
	snprintf(tmp, sizeof(tmp), "%s/" PREFIX "-%019llu.pcapng.tmp-4242", dir,
	         (unsigned long long)(T0 + 3 * SEC));
	write_bytes(tmp, 5000);
	snprintf(other, sizeof(other), "%s/other-%019llu.pcapng", dir, (unsigned long long)T0);
	write_bytes(other, 10);
	snprintf(notes, sizeof(notes), "%s/notes.txt", dir);
	write_bytes(notes, 10);
	snprintf(odd, sizeof(odd), "%s/" PREFIX "-123.pcapng", dir);
	write_bytes(odd, 10);
	pcap_roll_close(r, NULL); /* nothing being written */

	/* room for the two newest */
	r = roll_open(dir, sizes[1] + sizes[2] + 100, 0);
	st = stats_of(r);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(access(notes, F_OK), 0);
	assert_int_equal(access(odd, F_OK), 0);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.bytes, sizes[1] + sizes[2]);
	assert_int_equal(st.deleted_size, 1);
	assert_int_equal(st.deleted_size_bytes, sizes[0]);
	assert_int_equal(st.oldest_ns, T0 + 1 * SEC);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_int_equal(n, 2);
	name_of(name, sizeof(name), dir, T0 + 1 * SEC);
	assert_string_equal(paths[0], name);
	name_of(name, sizeof(name), dir, T0 + 2 * SEC);
	assert_string_equal(paths[1], name);
	free_paths(paths);
	/* the previous run's first file ends, as far as the roll knows, where the next begins */
	n = pcap_roll_files(r, T0 + 1500 * MS, T0 + 1600 * MS, &paths);
	assert_int_equal(n, 1);
	free_paths(paths);

	/* packets older than the newest file: named after it all the same */
	assert_int_equal(pcap_roll_set_bounds(r, 1024 * KiB, 0), 0);
	for (uint32_t i = 0; i < 10; i++, seq++)
		assert_int_equal(put(r, 1, seq, T0 + i * MS, 200), 0);
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_int_equal(n, 3);
	name_of(name, sizeof(name), dir, T0 + 2 * SEC + 1);
	assert_string_equal(paths[2], name);
	assert_int_equal(read_file(paths[2]).first_ns, T0);
	free_paths(paths);
	assert_int_equal(pcap_roll_close(r, &e), 0);

	/* files whose packets (the newest's: its mtime) are older than the age bound go at open */
	n = 0;
	{
		DIR *d = opendir(dir);
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d))) {
			char path[512];
			const struct timespec old[2] = { { (time_t)(T0 / SEC), 0 },
				                         { (time_t)(T0 / SEC), 0 } };

			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			if (de->d_name[0] != '.')
				assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
		}
		closedir(d);
	}
	r = roll_open(dir, 1024 * KiB, 3600 * SEC);
	st = stats_of(r);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.deleted_age, 3);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 3); /* other, notes, odd */
	assert_int_equal(pcap_roll_close(r, &e), 0);
}

/*
 * A packet that cannot fit even into an empty file is refused with -EFBIG
 * and counted, and nothing is deleted for it; cut to its interface's
 * snaplen, the same packet fits.
 */
static void test_roll_too_big(void **state)
{
	const uint64_t max = 200 * KiB;
	char dir[128];
	struct pcap_roll *r;
	struct pcap_roll_stats before, after;
	size_t nfiles;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-big");
	r = roll_open(dir, max, 0);
	for (uint32_t i = 0; i < 600; i++)
		assert_int_equal(put(r, 0, i, T0 + i * MS, 500), 0);
	before = stats_of(r);
	assert_int_equal(put(r, 0, 600, T0 + 600 * MS, 210 * KiB), -EFBIG);
	assert_int_equal(put(r, 1, 600, T0 + 600 * MS, PCAP_MAX_SNAPLEN), -EFBIG);
	after = stats_of(r);
	assert_int_equal(after.too_big, 2);
	assert_int_equal(after.files, before.files);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.deleted_size, before.deleted_size);
	assert_int_equal(after.packets, 600);
	/* cut to 96 bytes by its interface: it fits */
	assert_int_equal(put(r, 2, 600, T0 + 600 * MS, 210 * KiB), 0);
	assert_int_equal(stats_of(r).packets, 601);
	/* bytes refused by their own sizes: a bound smaller than an empty file refuses all */
	assert_int_equal(pcap_roll_set_bounds(r, 100, 0), 0);
	assert_int_equal(put(r, 0, 601, T0 + 601 * MS, 4), -EFBIG);
	assert_int_equal(stats_of(r).files, 0);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 0);
	assert_int_equal(pcap_roll_close(r, NULL), 0);
}

/*
 * Write errors. The file size limit (RLIMIT_FSIZE) fails the file being
 * written at its first 1 MiB write: that packet returns -EIO, the file is
 * dropped with all its packets, counted; the next packet begins a new
 * file. A file that cannot be begun (a directory holds its name) loses its
 * packet; one whose last bytes fail at close fails the cut, its packets
 * counted lost.
 */
static void test_roll_write_errors(void **state)
{
	char dir[128], name[256], **paths;
	struct pcap_roll *r;
	struct pcap_roll_stats st;
	struct rlimit old, lim;
	struct err e = { { 0 } };
	uint32_t seq = 0, failed_at = 0;
	size_t n, nfiles;
	int rc = 0;

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-errors");
	r = roll_open(dir, 64 * 1024 * KiB, 0);
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 256 * KiB;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (; seq < 2000 && rc == 0; seq++)
		if ((rc = put(r, 0, seq, T0 + seq * MS, 1400)) != 0)
			failed_at = seq;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(rc, -EIO);
	st = stats_of(r);
	assert_int_equal(st.write_lost, failed_at + 1);
	assert_int_equal(st.write_error, -EFBIG);
	assert_int_equal(st.files, 0);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 0);
	/* the next packets begin a new file */
	for (uint32_t i = 0; i < 10; i++, seq++)
		assert_int_equal(put(r, 0, seq, T0 + seq * MS, 100), 0);
	assert_int_equal(pcap_roll_cut(r, &e), 0);
	n = pcap_roll_files(r, 0, 0, &paths);
	assert_int_equal(n, 1);
	assert_int_equal(read_file(paths[0]).packets, 10);
	free_paths(paths);

	/* a directory where the next file is to be: that packet is lost, the next one goes on */
	name_of(name, sizeof(name), dir, T0 + 5000 * MS);
	assert_int_equal(mkdir(name, 0700), 0);
	assert_int_equal(put(r, 1, seq++, T0 + 5000 * MS, 100), -EISDIR);
	assert_int_equal(stats_of(r).write_lost, failed_at + 2);
	assert_int_equal(rmdir(name), 0);
	/* a file that fails as it is closed: its last bytes cannot be written */
	for (uint32_t i = 0; i < 200; i++, seq++)
		assert_int_equal(put(r, 1, seq, T0 + 6000 * MS + i, 1400), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	memset(&e, 0, sizeof(e));
	rc = pcap_roll_cut(r, &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(rc, -EFBIG);
	assert_non_null(strstr(e.msg, "cannot write"));
	st = stats_of(r);
	assert_int_equal(st.write_lost, failed_at + 2 + 200);
	assert_int_equal(st.files, 1);
	dir_bytes(dir, &nfiles);
	assert_int_equal(nfiles, 1); /* the file of 10 */
	assert_int_equal(pcap_roll_close(r, &e), 0);
}

/* Options a roll cannot work with are refused; a missing parent is too. */
static void test_roll_open_refused(void **state)
{
	char dir[128];
	struct err e = { { 0 } };

	(void)state;
	tmp_path(dir, sizeof(dir), "roll-refused");
	assert_null(
	        pcap_roll_open(&(struct pcap_roll_opts){ .dir = dir, .prefix = "a/b", .max_bytes = 1 }, &e));
	assert_null(pcap_roll_open(&(struct pcap_roll_opts){ .dir = dir, .prefix = "", .max_bytes = 1 }, &e));
	assert_null(
	        pcap_roll_open(&(struct pcap_roll_opts){ .dir = dir, .prefix = "p", .max_bytes = 0 }, &e));
	assert_null(pcap_roll_open(NULL, &e));
	tmp_path(dir, sizeof(dir), "roll-refused/missing/dir");
	memset(&e, 0, sizeof(e));
	assert_null(
	        pcap_roll_open(&(struct pcap_roll_opts){ .dir = dir, .prefix = "p", .max_bytes = 1 }, &e));
	assert_non_null(strstr(e.msg, dir));
	assert_int_equal(pcap_roll_close(NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roll_files_in_order), cmocka_unit_test(test_roll_size_bound),
		cmocka_unit_test(test_roll_age_tick),       cmocka_unit_test(test_roll_set_bounds),
		cmocka_unit_test(test_roll_cut_and_range),  cmocka_unit_test(test_roll_reopen_after_crash),
		cmocka_unit_test(test_roll_too_big),        cmocka_unit_test(test_roll_write_errors),
		cmocka_unit_test(test_roll_open_refused),
	};

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
