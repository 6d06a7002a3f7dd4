/* Unit tests for the small-object store (segstore.c) in a real directory
 * under $TMPDIR: locators parse strictly; records append, commit, read
 * back (also through the fd and offset downloads use) and die; what a
 * crash leaves (a copy of the segments taken while records were in
 * flight, opened as a new store would after a restart) is indexed: a
 * record with its names is offered to the sweep as a candidate, one
 * without is found by its token, both die, and the segment is sealed once
 * settled; a segment that never got a record is deleted; a torn header is
 * skipped over. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "uploadd/store/segstore.h"

#define TOKEN_A "0123456789abcdef0123456789abcdef"
#define TOKEN_B "fedcba9876543210fedcba9876543210"
#define NAMES_A "a.bin\0" "1\0"

static int open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void new_dir(char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(out, len, "%s/uploadd-segstore-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(out));
}

static void remove_dir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void fill(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(i * 7 + seed + (i >> 8));
}

static void test_locators(void **state)
{
	uint32_t no;
	uint64_t off, len;
	static const char *const bad[] = {
		"", "seg-0000001:64:1", "seg-00000000:64:1", "seg-00000001:65:1",
		"seg-00000001:0:1", "seg-00000001:064:1", "seg-00000001:64:0",
		"seg-00000001:64:1x", "seg-00000001:64:01", "seg-00000001:64",
		"seg-00000001:16777152:65", "abc.0123", "seg-0000000a:64:1",
		"seg-00000001:64:4194305", "seg-00000001:99999999999999999999:1",
	};

	(void)state;
	assert_true(segstore_parse_locator("seg-00000001:64:4096", &no, &off, &len));
	assert_int_equal(no, 1);
	assert_int_equal(off, 64);
	assert_int_equal(len, 4096);
	assert_true(segstore_parse_locator("seg-12345678:16777152:64", &no, &off, &len));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(segstore_parse_locator(bad[i], &no, &off, &len));
}

/* Reads a record the way a download does: fd and payload offset. */
static void read_record(struct segstore *ss, const struct seg_ref *r,
			const char *want)
{
	char loc[SEG_LOCATOR_MAX], *got = malloc(r->len);
	uint64_t off;
	int fd;

	assert_non_null(got);
	segstore_locator(r, loc);
	fd = segstore_open_record(ss, loc, r->len, &off);
	assert_true(fd >= 0);
	assert_int_equal(off, r->off);
	assert_int_equal(pread(fd, got, r->len, (off_t)off), (ssize_t)r->len);
	assert_memory_equal(got, want, r->len);
	close(fd);
	assert_int_equal(segstore_read(ss, r, got), 0);
	assert_memory_equal(got, want, r->len);
	/* Another size than the metadata says: refused. */
	assert_true(segstore_open_record(ss, loc, r->len + 1, &off) < 0);
	free(got);
}

static void test_append_commit_kill(void **state)
{
	char dir[PATH_MAX], a[4096], b[300], loc[SEG_LOCATOR_MAX];
	struct seg_ref ra, rb;
	struct segstore *ss;
	uint64_t off;
	int dfd;

	(void)state;
	new_dir(dir, sizeof(dir));
	dfd = open_dir(dir);
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	assert_int_equal(segstore_open(dfd, dir, &ss), 0);
	assert_int_equal(segstore_append(ss, TOKEN_A, NAMES_A, sizeof(NAMES_A) - 1,
					 a, sizeof(a), &ra), 0);
	assert_int_equal(segstore_append(ss, TOKEN_B, NULL, 0, b, sizeof(b), &rb), 0);
	assert_int_equal(ra.no, rb.no);
	assert_true(rb.off > ra.off + ra.len); /* the names sit between */
	assert_int_equal(rb.off % 64, 0);
	assert_int_equal(segstore_commit(ss, &ra, NULL), 0);
	assert_int_equal(segstore_commit(ss, &rb, NULL), 0);
	read_record(ss, &ra, a);
	read_record(ss, &rb, b);
	segstore_resolve(ss, &ra, false);
	assert_null(ra.seg);
	/* Bad inputs: no record, unknown token shape, names malformed. */
	assert_int_equal(segstore_append(ss, "xyz", NULL, 0, a, 10, &ra), -EINVAL);
	assert_int_equal(segstore_append(ss, TOKEN_A, "a\0", 2, a, 10, &ra), -EINVAL);
	assert_int_equal(segstore_append(ss, TOKEN_A, NULL, 0, a, 0, &ra), -EINVAL);
	assert_null(ra.seg);
	/* A record killed (its commit was refused): gone for readers. */
	assert_int_equal(segstore_append(ss, TOKEN_A, NULL, 0, a, 100, &ra), 0);
	segstore_locator(&ra, loc);
	assert_int_equal(segstore_kill(ss, &ra), 0);
	assert_int_equal(segstore_open_record(ss, loc, 100, &off), -ENOENT);
	segstore_resolve(ss, &rb, false);
	assert_null(rb.seg);
	segstore_close(ss);
	close(dfd);
	remove_dir(dir);
}

/* Copies dir/segments to copy/segments with modes, as a crash leaves it. */
static void copy_segments(const char *dir, const char *copy)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp -a '%s/segments' '%s/'", dir, copy);
	assert_int_equal(system(cmd), 0);
}

static void test_crash_leftovers(void **state)
{
	char dir[PATH_MAX], copy[PATH_MAX], a[5000], b[200], seg[PATH_MAX + 40];
	char loca[SEG_LOCATOR_MAX], locb[SEG_LOCATOR_MAX];
	struct seg_candidate c[8];
	struct seg_ref ra, rb, rc;
	struct segstore *ss, *after;
	unsigned removed = 0;
	struct stat st;
	uint64_t off;
	int dfd, cfd;

	(void)state;
	new_dir(dir, sizeof(dir));
	new_dir(copy, sizeof(copy));
	dfd = open_dir(dir);
	cfd = open_dir(copy);
	fill(a, sizeof(a), 3);
	fill(b, sizeof(b), 4);
	assert_int_equal(segstore_open(dfd, dir, &ss), 0);
	/* A committed record, and two in flight when the "crash" happens:
	 * one with its names (no intent in Redis), one without. */
	assert_int_equal(segstore_append(ss, TOKEN_B, NULL, 0, b, sizeof(b), &rc), 0);
	assert_int_equal(segstore_commit(ss, &rc, NULL), 0);
	assert_int_equal(segstore_append(ss, TOKEN_A, NAMES_A, sizeof(NAMES_A) - 1,
					 a, sizeof(a), &ra), 0);
	assert_int_equal(segstore_append(ss, "00000000000000000000000000000001",
					 NULL, 0, b, sizeof(b), &rb), 0);
	segstore_locator(&ra, loca);
	segstore_locator(&rb, locb);
	copy_segments(dir, copy);
	segstore_resolve(ss, &rc, false);
	segstore_kill(ss, &ra);
	segstore_kill(ss, &rb);
	segstore_close(ss);

	/* A zero-filled segment a crash left before its first record. */
	snprintf(seg, sizeof(seg), "%s/segments/seg-00000099", copy);
	{
		int fd = open(seg, O_WRONLY | O_CREAT | O_EXCL, 0640);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 1 << 20), 0);
		close(fd);
	}
	assert_int_equal(segstore_open(cfd, copy, &after), 0);
	assert_int_equal(stat(seg, &st), -1); /* never used: deleted */
	/* Every record of the unsealed segment was indexed: the named one is
	 * offered for resolution (the other two have no names). */
	assert_int_equal(segstore_candidates(after, c, 8), 1);
	assert_string_equal(c[0].token, TOKEN_A);
	assert_string_equal(c[0].filename, "a.bin");
	assert_string_equal(c[0].version, "1");
	{
		int fd = segstore_open_record(after, loca, sizeof(a), &off);

		assert_true(fd >= 0); /* readable until resolved */
		close(fd);
	}
	assert_int_equal(segstore_resolved(after, TOKEN_A, false, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(segstore_open_record(after, loca, sizeof(a), &off), -ENOENT);
	/* The one without names: the sweep asks by token (its intent). */
	assert_int_equal(segstore_sweep(after, "00000000000000000000000000000001",
					&removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(segstore_open_record(after, locb, sizeof(b), &off), -ENOENT);
	/* The committed one stays readable; once the sweep settled every
	 * upload older than now, the old segment is sealed. */
	assert_int_equal(segstore_candidates(after, c, 8), 0);
	segstore_settled(after, (int64_t)time(NULL) * 1000 + 3600 * 1000);
	snprintf(seg, sizeof(seg), "%s/segments/seg-%08u", copy, (unsigned)ra.no);
	assert_int_equal(stat(seg, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0440);
	segstore_close(after);
	close(cfd);
	close(dfd);
	remove_dir(dir);
	remove_dir(copy);
}

static void test_torn_header_skipped(void **state)
{
	char dir[PATH_MAX], seg[PATH_MAX + 40], junk[64], a[1000];
	struct seg_candidate c[4];
	struct segstore *ss;
	struct seg_ref r;
	int dfd, fd;

	(void)state;
	new_dir(dir, sizeof(dir));
	dfd = open_dir(dir);
	fill(a, sizeof(a), 5);
	assert_int_equal(segstore_open(dfd, dir, &ss), 0);
	assert_int_equal(segstore_append(ss, TOKEN_A, NAMES_A, sizeof(NAMES_A) - 1,
					 a, sizeof(a), &r), 0);
	assert_int_equal(segstore_commit(ss, &r, NULL), 0);
	segstore_resolve(ss, &r, true); /* unsure: the sweep must resolve it */
	segstore_close(ss);
	/* Garbage where a record was being written before it, as a torn
	 * write could leave: the scan must step over it to the record. */
	snprintf(seg, sizeof(seg), "%s/segments/seg-%08u", dir, (unsigned)r.no);
	fd = open(seg, O_WRONLY);
	assert_true(fd >= 0);
	memset(junk, 0x5a, sizeof(junk));
	/* The record's own header is at r.off - 64; move it forward by
	 * rewriting the file: copy it 128 bytes further and junk before. */
	{
		char *buf = malloc(64 + sizeof(a) + 64);
		int rfd = open(seg, O_RDONLY);

		assert_non_null(buf);
		assert_int_equal(pread(rfd, buf, 64 + sizeof(a) + 8,
				       (off_t)(r.off - 64)), (ssize_t)(64 + sizeof(a) + 8));
		assert_int_equal(pwrite(fd, buf, 64 + sizeof(a) + 8,
					(off_t)(r.off - 64 + 128)),
				 (ssize_t)(64 + sizeof(a) + 8));
		assert_int_equal(pwrite(fd, junk, sizeof(junk), (off_t)(r.off - 64)),
				 (ssize_t)sizeof(junk));
		close(rfd);
		free(buf);
	}
	assert_int_equal(fchmod(fd, 0640), 0); /* unsealed again */
	close(fd);
	assert_int_equal(segstore_open(dfd, dir, &ss), 0);
	assert_int_equal(segstore_candidates(ss, c, 4), 1);
	assert_string_equal(c[0].token, TOKEN_A);
	segstore_close(ss);
	close(dfd);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locators),
		cmocka_unit_test(test_append_commit_kill),
		cmocka_unit_test(test_crash_leftovers),
		cmocka_unit_test(test_torn_header_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
