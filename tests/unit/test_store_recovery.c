/* test_store_recovery: the catalog through failed record writes and a restart mid-capture. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../src/store/store_int.h" /* to inject write failures behind the store's ops */

#include "store_fixtures.h"

/* ---- a store whose writes fail on demand (no inodes, a full disk) ---- */

static const struct store_ops *real_ops;
static struct store_ops faulty_ops;
static int fail_puts; /* errno every put_begin fails with; 0: none */

static struct store_put *faulty_put_begin(struct store *s, const char *key, struct err *e)
{
	if (fail_puts) {
		err_set(e, -fail_puts, "creating %s: %s", key, strerror(fail_puts));
		errno = fail_puts;
		return NULL;
	}
	return real_ops->put_begin(s, key, e);
}

static void inject_put_failures(struct store *s, int code)
{
	if (s->ops != &faulty_ops) {
		real_ops = s->ops;
		faulty_ops = *real_ops;
		faulty_ops.put_begin = faulty_put_begin;
		s->ops = &faulty_ops;
	}
	fail_puts = code;
}

/* The stored record's member name, as text ("" when absent). */
static void stored_member(struct fixture *f, const char *id, const char *name, char *out, size_t size)
{
	char key[STORE_KEY_MAX + 1], *text;
	struct err e = { "" };
	const json_t *v;
	size_t len;
	json_t *j;

	snprintf(key, sizeof(key), "captures/%s.json", id);
	if (store_get_all(f->s, key, 1 << 16, &text, &len, &e))
		fail_msg("%s", e.msg);
	j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	v = json_object_get(j, name);
	if (json_is_string(v))
		snprintf(out, size, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	else
		out[0] = '\0';
	json_decref(j);
}

/*
 * The final record write of a capture fails (no inodes): the catalog still
 * answers with the final state, counts the record unsaved, and writes it once
 * the store takes writes again; a delete drops an unsaved record.
 */
static void test_catalog_failed_write_kept_in_memory_then_flushed(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	struct catalog_stats st;
	struct capture_meta m, got;
	struct err e = { "" };
	char val[128];

	meta_init(&m, "cap", "n", "h", "manual", CAPTURE_RECORDING, 100);
	put_meta(c, &m);
	inject_put_failures(f->s, ENOSPC);
	m.status = CAPTURE_OK;
	m.size = 19000000;
	memset(m.sha256, 'a', 64);
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "captures/cap.json"));
	assert_int_equal(catalog_get(c, "cap", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK); /* reachable: download, keep, delete see ok */
	assert_int_equal(got.size, 19000000);
	capture_meta_free(&got);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 1);
	assert_int_equal(st.write_failures, 1);
	stored_member(f, "cap", "status", val, sizeof(val));
	assert_string_equal(val, "recording"); /* the old record, whole */

	/* still failing: the retry says so and counts */
	assert_int_equal(catalog_flush(c, &e), 1);
	assert_non_null(strstr(e.msg, "No space left on device"));
	catalog_stats(c, &st);
	assert_int_equal(st.write_failures, 2);

	/* a later change while unsaved: the flush writes the latest state */
	m.kept = true;
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	inject_put_failures(f->s, 0);
	assert_int_equal(catalog_flush(c, &e), 0);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 0);
	assert_int_equal(st.write_failures, 3);
	stored_member(f, "cap", "status", val, sizeof(val));
	assert_string_equal(val, "ok");
	stored_member(f, "cap", "size", val, sizeof(val));
	assert_string_equal(val, "19000000");
	assert_int_equal(catalog_flush(c, &e), 0);

	/* an unsaved record that is deleted leaves nothing to write */
	inject_put_failures(f->s, ENOSPC);
	m.kept = false;
	assert_int_equal(catalog_put(c, &m, &e), -ENOSPC);
	assert_int_equal(catalog_delete(c, "cap", &e), 0);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 0);
	assert_int_equal(catalog_flush(c, &e), 0);

	/* a refused record changes nothing, and is no write failure */
	m.start_ns = UINT64_MAX;
	assert_int_equal(catalog_put(c, &m, &e), -EINVAL);
	assert_int_equal(catalog_get(c, "cap", &got), -ENOENT);
	catalog_stats(c, &st);
	assert_int_equal(st.write_failures, 4);
	inject_put_failures(f->s, 0);
	capture_meta_free(&m);
	catalog_close(c);
}

/* A .scap of whole blocks: a section header, then n event-sized blocks of 16 bytes. */
static size_t make_scap(unsigned char *buf, size_t nblocks)
{
	static const uint32_t shb[7] = { 0x0A0D0D0Au, 28, 0x1A2B3C4Du, 1, 0xffffffffu, 0xffffffffu, 28 };
	size_t off = sizeof(shb);

	memcpy(buf, shb, sizeof(shb));
	for (size_t i = 0; i < nblocks; i++) {
		const uint32_t blk[4] = { 0x216, 16, (uint32_t)i, 16 };

		memcpy(buf + off, blk, sizeof(blk));
		off += sizeof(blk);
	}
	return off;
}

/*
 * The agent stopped after a capture's file was committed but before its
 * record said so: at the next open, a .scap that reads through makes the
 * capture ok (size and sha256 of the file, a note that it was recovered);
 * one cut inside a block, a foreign file or none at all make it an error.
 * When the store refuses the rewrite, the catalog still holds the result.
 */
static void test_catalog_complete_scap_recovered_at_open(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	static unsigned char scap[28 + 16 * 100000];
	size_t len = make_scap(scap, 100000);
	struct capture_meta got;
	struct catalog_stats st;
	struct err e = { "" };
	char sha[65], val[256];

	add(c, "whole", "w", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "stored", "s", "h", "manual", CAPTURE_STORING, 100);
	add(c, "cut", "c", "h", "manual", CAPTURE_STORING, 100);
	add(c, "foreign", "g", "h", "manual", CAPTURE_RECORDING, 100);
	add(c, "none", "n", "h", "manual", CAPTURE_RECORDING, 100);
	catalog_close(c); /* the agent dies */
	assert_int_equal(store_put_bytes(f->s, "captures/whole.scap", scap, len, &e), 0);
	assert_int_equal(store_put_bytes(f->s, "captures/stored.scap", scap, 28 + 16, &e), 0);
	assert_int_equal(store_put_bytes(f->s, "captures/cut.scap", scap, len - 6, &e), 0);
	put(f->s, "captures/foreign.scap", "this is not a capture at all....");
	sha256_hex(scap, len, sha);

	inject_put_failures(f->s, ENOSPC); /* and the rewrite fails at first */
	c = open_catalog(f);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved, 5);
	assert_int_equal(catalog_get(c, "whole", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_int_equal(got.size, len);
	assert_string_equal(got.sha256, sha);
	assert_string_equal(got.error, "");
	assert_non_null(strstr(got.note, "recovered at restart"));
	assert_non_null(strstr(got.incomplete, "recovered at restart"));
	capture_meta_free(&got);
	assert_int_equal(catalog_get(c, "stored", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_int_equal(got.size, 28 + 16);
	capture_meta_free(&got);
	for (const char *const *id = (const char *const[]){ "cut", "foreign", "none", NULL }; *id; id++) {
		assert_int_equal(catalog_get(c, *id, &got), 0);
		assert_int_equal(got.status, CAPTURE_ERROR);
		assert_string_equal(got.error, "the agent stopped before the capture was complete");
		assert_string_equal(got.note, "");
		capture_meta_free(&got);
	}
	stored_member(f, "whole", "status", val, sizeof(val));
	assert_string_equal(val, "recording");
	inject_put_failures(f->s, 0);
	assert_int_equal(catalog_flush(c, &e), 0);
	stored_member(f, "whole", "status", val, sizeof(val));
	assert_string_equal(val, "ok");
	stored_member(f, "whole", "sha256", val, sizeof(val));
	assert_string_equal(val, sha);
	stored_member(f, "whole", "note", val, sizeof(val));
	assert_non_null(strstr(val, "recovered at restart"));
	catalog_close(c);

	/* and it stays ok, no longer recovered again */
	c = open_catalog(f);
	assert_int_equal(catalog_count(c, CAPTURE_OK), 2);
	assert_int_equal(catalog_count(c, CAPTURE_ERROR), 3);
	catalog_stats(c, &st);
	assert_int_equal(st.unsaved + st.write_failures, 0);
	catalog_close(c);
}

/* A recovered capture that asked for packets and artifacts serves neither: no record vouches for them. */
static void test_recovered_bundle_claims_no_parts(void **state)
{
	struct fixture *f = *state;
	struct catalog *c = open_catalog(f);
	static unsigned char scap[28 + 16 * 100];
	size_t len = make_scap(scap, 100);
	struct capture_meta m, got;
	struct store_stat st;
	struct err e = { "" };
	json_t *j;

	meta_init(&m, "bundle", "b", "h", "manual", CAPTURE_STORING, 100);
	m.packets = true;
	snprintf(m.artifacts, sizeof(m.artifacts), "write,exec");
	put_meta(c, &m);
	capture_meta_free(&m);
	catalog_close(c); /* the agent dies while storing the parts */
	assert_int_equal(store_put_bytes(f->s, "captures/bundle.scap", scap, len, &e), 0);
	put(f->s, "captures/bundle.pcapng", "half a pcapng");
	put(f->s, "captures/bundle.artifacts.tar.gz", "half an archive");

	c = open_catalog(f);
	assert_int_equal(catalog_get(c, "bundle", &got), 0);
	assert_int_equal(got.status, CAPTURE_OK);
	assert_string_equal(got.artifacts, "write,exec");
	assert_string_equal(got.artifacts_sha256, "");
	assert_string_equal(got.pcapng_sha256, "");
	assert_non_null(strstr(got.incomplete, "its other parts (packets, artifacts) are not kept"));
	j = capture_meta_to_json(&got);
	assert_int_equal(json_array_size(json_object_get(j, "parts")), 1); /* the .scap alone */
	json_decref(j);
	capture_meta_free(&got);
	assert_int_equal(store_stat(f->s, "captures/bundle.pcapng", &st, &e), -ENOENT);
	assert_int_equal(store_stat(f->s, "captures/bundle.artifacts.tar.gz", &st, &e), -ENOENT);
	catalog_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_catalog_failed_write_kept_in_memory_then_flushed, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_catalog_complete_scap_recovered_at_open, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_recovered_bundle_claims_no_parts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
