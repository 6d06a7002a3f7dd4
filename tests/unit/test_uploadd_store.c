/* The storage backend interface (store/backend.h), the same cases run
 * against each backend: the local directory always, Ceph RADOS when
 * UPLOADD_TEST_CEPH_CONF and UPLOADD_TEST_CEPH_POOL name a cluster
 * (tests/integration/uploadd_store_backends.sh starts one; without them
 * the RADOS group is skipped and says so).
 *
 * The local directory runs twice: with small files in segment records
 * (segstore.h, the default) and with every file its own.
 *
 * Cases: a round trip (write in odd pieces, finish, publish, read back at
 * every part boundary); an empty file; abort removes everything, before
 * and after publish; sweep_remove finds what an upload wrote knowing only
 * its key, for an upload that never published (a crash mid-body) and one
 * that published (a crash before the metadata commit); a missing object
 * reads as -ENOENT.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "uploadd/store/backend.h"
#include "uploadd/store/local.h"
#include "uploadd/store/rados.h"
#include "uploadd/store/storage.h"

/* small_max: files up to this size become segment records (0: none). */
static struct store_backend *open_local(uint64_t small_max)
{
	char dir[] = "/tmp/test-store-XXXXXX", err[256];
	struct store_backend *b;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_local_open(dir, &b), 0);
	assert_int_equal(store_local_start(b, small_max, err, sizeof(err)), 0);
	return b;
}

static int setup_local(void **state)
{
	*state = open_local(64 * 1024);
	return 0;
}

static int setup_local_files(void **state)
{
	*state = open_local(0);
	return 0;
}

static int setup_rados(void **state)
{
	const char *conf = getenv("UPLOADD_TEST_CEPH_CONF");
	const char *pool = getenv("UPLOADD_TEST_CEPH_POOL");
	struct store_backend *b;
	char err[512];

	if (!conf || !pool) {
		print_message("SKIP: no Ceph cluster (set UPLOADD_TEST_CEPH_CONF "
			      "and UPLOADD_TEST_CEPH_POOL; "
			      "uploadd_store_backends.sh does)\n");
		*state = NULL;
		return 0;
	}
	if (store_rados_open(pool, conf, "admin", 20, &b, err, sizeof(err))) {
		print_error("%s\n", err);
		return -1;
	}
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	struct store_backend *b = *state;

	if (b && strcmp(b->ops->kind, "local") == 0) {
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b->where);
		if (system(cmd) != 0)
			return -1;
	}
	store_destroy(b);
	return 0;
}

#define NEED_BACKEND(b) do { if (!(b)) skip(); } while (0)

static void new_key(struct store_key *k, char token[STORE_TOKEN_HEX + 1],
		    const char *name)
{
	assert_int_equal(storage_new_token(token), 0);
	k->filename = name;
	k->version = "1";
	k->token = token;
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed * 7 + (i >> 13)) & 0xff);
}

/* Writes data in pieces of odd sizes, as chunk queues hand them over. */
static struct store_upload *write_all(struct store_backend *b,
				      const struct store_key *k,
				      const unsigned char *data, size_t n)
{
	struct store_upload *u;
	size_t off = 0, step = 123457;

	assert_int_equal(store_upload_open(b, k->token, &u), 0);
	while (off < n) {
		size_t len = n - off < step ? n - off : step;

		assert_int_equal(store_upload_write(u, data + off, len), 0);
		off += len;
	}
	assert_int_equal(store_upload_finish(u), 0);
	return u;
}

static void read_back(struct store_backend *b, const char *loc,
		      const unsigned char *want, size_t n)
{
	struct store_reader r;
	unsigned char *got = malloc(n + 1);
	size_t off = 0;
	/* Reads that start at and straddle part boundaries. */
	const uint64_t probes[] = { 0, RADOS_PART - 10, RADOS_PART,
				    2 * RADOS_PART - 1 };

	assert_non_null(got);
	assert_int_equal(store_open(b, loc, n, &r), 0);
	assert_true(r.size == n);
	while (off < n) {
		ssize_t k = store_read(&r, off, got + off, n - off);

		assert_true(k > 0);
		off += (size_t)k;
	}
	assert_memory_equal(got, want, n);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		unsigned char tmp[64];
		ssize_t k;

		if (probes[i] >= n)
			continue;
		k = store_read(&r, probes[i], tmp, sizeof(tmp));
		assert_true(k > 0);
		assert_memory_equal(tmp, want + probes[i], (size_t)k);
	}
	store_close(&r);
	free(got);
}

static void test_roundtrip(void **state)
{
	struct store_backend *b = *state;
	size_t n = 2 * RADOS_PART + 12345; /* three RADOS parts */
	unsigned char *data;
	char token[STORE_TOKEN_HEX + 1], loc[STORE_LOCATOR_MAX];
	struct store_upload *u;
	struct store_key k;

	NEED_BACKEND(b);      /* before any allocation: skip() longjmps */
	data = malloc(n);
	assert_non_null(data);
	fill(data, n, 1);
	new_key(&k, token, "round trip.bin");
	u = write_all(b, &k, data, n);
	assert_int_equal(store_upload_publish(u, &k, loc), 0);
	store_upload_close(u);
	assert_true(store_valid_locator(loc));
	assert_non_null(strstr(loc, token));
	read_back(b, loc, data, n);
	assert_int_equal(store_remove(b, loc), 0);
	{
		struct store_reader r;

		assert_int_equal(store_open(b, loc, n, &r), -ENOENT);
	}
	free(data);
}

static void test_empty(void **state)
{
	struct store_backend *b = *state;
	char token[STORE_TOKEN_HEX + 1], loc[STORE_LOCATOR_MAX];
	struct store_upload *u;
	struct store_reader r;
	struct store_key k;

	NEED_BACKEND(b);
	new_key(&k, token, "empty");
	u = write_all(b, &k, (const unsigned char *)"", 0);
	assert_int_equal(store_upload_publish(u, &k, loc), 0);
	store_upload_close(u);
	assert_int_equal(store_open(b, loc, 0, &r), 0);
	assert_true(r.size == 0);
	store_close(&r);
	assert_int_equal(store_remove(b, loc), 0);
}

static void test_abort(void **state)
{
	struct store_backend *b = *state;
	unsigned char data[300000];
	char token[STORE_TOKEN_HEX + 1], loc[STORE_LOCATOR_MAX];
	struct store_upload *u;
	struct store_reader r;
	struct store_key k;
	unsigned removed;

	NEED_BACKEND(b);
	fill(data, sizeof(data), 2);
	/* Before publish. */
	new_key(&k, token, "aborted");
	u = write_all(b, &k, data, sizeof(data));
	assert_int_equal(store_upload_abort(u), 0);
	assert_int_equal(store_sweep_remove(b, &k, &removed), 0);
	assert_int_equal(removed, 0); /* nothing left to find */
	/* After publish (the metadata commit was refused). */
	new_key(&k, token, "aborted");
	u = write_all(b, &k, data, sizeof(data));
	assert_int_equal(store_upload_publish(u, &k, loc), 0);
	assert_int_equal(store_upload_abort(u), 0);
	assert_int_equal(store_open(b, loc, sizeof(data), &r), -ENOENT);
}

/* A crash leaves the handle's bytes with nobody to abort them: only the
 * key (from Redis) is left to find them by. */
static void test_sweep_by_key(void **state)
{
	struct store_backend *b = *state;
	size_t n = RADOS_PART + 5000;
	unsigned char *data;
	char token[STORE_TOKEN_HEX + 1], loc[STORE_LOCATOR_MAX];
	struct store_upload *u;
	struct store_reader r;
	struct store_key k;
	unsigned removed;
	bool rados;

	NEED_BACKEND(b);      /* before any allocation: skip() longjmps */
	rados = strcmp(b->ops->kind, "rados") == 0;
	data = malloc(n);
	assert_non_null(data);
	fill(data, n, 3);
	/* Crashed mid-body: written, never published. */
	new_key(&k, token, "crashed mid-body");
	u = write_all(b, &k, data, n);
	assert_int_equal(store_sweep_remove(b, &k, &removed), 0);
	/* RADOS held two parts; an unnamed local file holds no name. */
	assert_int_equal(removed, rados ? 2 : 0);
	store_upload_close(u); /* frees the handle, as a crash would */
	/* Crashed between publish and the metadata commit. */
	new_key(&k, token, "crashed before commit");
	u = write_all(b, &k, data, n);
	assert_int_equal(store_upload_publish(u, &k, loc), 0);
	store_upload_close(u);
	assert_int_equal(store_sweep_remove(b, &k, &removed), 0);
	assert_int_equal(removed, rados ? 2 : 1);
	assert_int_equal(store_open(b, loc, n, &r), -ENOENT);
	/* Names never reached Redis: the token alone. (A small local file is
	 * a segment record, which a handle closed in this process keeps as
	 * committed: what a crash leaves of one is found by the next start's
	 * scan, tests/unit/test_uploadd_segstore.c.) */
	new_key(&k, token, "no names");
	u = write_all(b, &k, data, 1000);
	store_upload_close(u);
	k.filename = k.version = "";
	assert_int_equal(store_sweep_remove(b, &k, &removed), 0);
	assert_int_equal(removed, rados ? 1 : 0);
	free(data);
}

static void test_bad_locator(void **state)
{
	struct store_backend *b = *state;
	struct store_reader r;

	NEED_BACKEND(b);
	assert_int_equal(store_open(b, "../etc/passwd", 1, &r), -EINVAL);
	assert_int_equal(store_open(b, "abc.0123456789abcdef0123456789abcdef",
				    1, &r), -ENOENT);
}

#define CASES(setup) \
	cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_empty, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_abort, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_sweep_by_key, setup, teardown), \
	cmocka_unit_test_setup_teardown(test_bad_locator, setup, teardown)

int main(void)
{
	const struct CMUnitTest local[] = { CASES(setup_local) };
	const struct CMUnitTest files[] = { CASES(setup_local_files) };
	const struct CMUnitTest rados[] = { CASES(setup_rados) };
	int failed = cmocka_run_group_tests_name("local", local, NULL, NULL);

	failed += cmocka_run_group_tests_name("local, no segments", files, NULL,
					      NULL);
	return failed + cmocka_run_group_tests_name("rados", rados, NULL, NULL);
}
