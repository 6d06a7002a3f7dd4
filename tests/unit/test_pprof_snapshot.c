/* cmocka tests of the pprof writer (pprof.c, pprof_snapshot.c): a
 * hand-built snapshot is written as a profile, read back with zlib and
 * protobuf-c's own decoder, and checked: gzip framing, string_table[0]
 * empty, one sample of value 1 per live thread with the leaf first, shared
 * frames interned once, labels, the executable as mapping[0], and a file
 * that appears only complete. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof.pb-c.h"
#include "threadview/pprof.h"

#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define EXE  "/srv/uploadd"

static struct ts_frame main_frames[] = {
	{ 0x7f0000001000, "__sigtimedwait", 0x72, LIBC, "sigtimedwait.c", 31 },
	{ 0x555500000100, "main", 0x25f, EXE, "src/uploadd/main.c", 136 },
	{ 0x555500000010, "_start", 0x21, EXE, NULL, 0 },
};
static struct ts_frame hash_frames[] = {
	{ 0x7f0000002000, "__futex_abstimed_wait_common", 0xc6, LIBC, NULL, 0 },
	{ 0x555500000200, "chunkq_next", 0x45, EXE, "src/uploadd/pipeline/chunkq.c", 163 },
	{ 0x7f0000003000, NULL, 0, "/usr/lib/libmicrohttpd.so.12", NULL, 0 },
	{ 0x7f0000004000, "__clone3", 0x2c, LIBC, NULL, 0 },
};

static void make_snapshot(struct ts_snapshot *s, struct ts_thread *t)
{
	memset(s, 0, sizeof(*s));
	memset(t, 0, 4 * sizeof(*t));
	s->pid = 100;
	strcpy(s->comm, "uploadd");
	s->taken_real_ns = 1700000000123456789ull;
	s->threads = t;
	s->nthreads = 4;
	t[0] = (struct ts_thread){ .tid = 100, .pid = 100, .name = "uploadd",
		.state = TS_STATE_SLEEPING, .syscall_nr = 128,
		.frames = main_frames, .nframes = 3,
		.stack_status = TS_STACK_COMPLETE,
		.off_cpu_known = true, .off_cpu_ns = 5000000000ull };
	t[0].blocked = (struct ts_blocked){ .kind = TS_BLOCK_SIGNAL, .fd = -1,
		.remaining_ns = -1, .timeout_ms = -2 };
	/* Two threads with the very same stack: locations are shared. */
	for (int i = 1; i <= 2; i++) {
		t[i] = (struct ts_thread){ .tid = 100 + i, .pid = 100,
			.state = TS_STATE_SLEEPING, .syscall_nr = 202,
			.frames = hash_frames, .nframes = 4,
			.stack_status = TS_STACK_COMPLETE };
		strcpy(t[i].name, "up-hash");
		t[i].blocked = (struct ts_blocked){ .kind = TS_BLOCK_CONDVAR,
			.object = 0x5000, .has_object = true, .fd = -1,
			.remaining_ns = -1, .timeout_ms = -2 };
	}
	/* A thread without a stack still counts. */
	t[3] = (struct ts_thread){ .tid = 104, .pid = 100, .name = "stuck",
		.state = TS_STATE_UNINTERRUPTIBLE, .syscall_nr = 75,
		.stack_status = TS_STACK_UNAVAILABLE };
	t[3].blocked = t[0].blocked;
	t[3].blocked.kind = TS_BLOCK_NONE;
}

static Perftools__Profiles__Profile *read_profile(const char *path)
{
	static unsigned char raw[1 << 20];
	gzFile gz = gzopen(path, "rb");
	FILE *f = fopen(path, "rb");
	unsigned char magic[2] = { 0 };
	int n;

	assert_non_null(gz);
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, 2, f), 2);
	fclose(f);
	assert_true(magic[0] == 0x1f && magic[1] == 0x8b);   /* gzip */
	n = gzread(gz, raw, sizeof(raw));
	gzclose(gz);
	assert_true(n > 0);
	return perftools__profiles__profile__unpack(NULL, (size_t)n, raw);
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static const char *label_str(const Perftools__Profiles__Profile *p,
			     const Perftools__Profiles__Sample *s,
			     const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (!strcmp(str(p, s->label[i]->key), key))
			return s->label[i]->str ? str(p, s->label[i]->str) : NULL;
	return NULL;
}

static const Perftools__Profiles__Location *
location(const Perftools__Profiles__Profile *p, uint64_t id)
{
	for (size_t i = 0; i < p->n_location; i++)
		if (p->location[i]->id == id)
			return p->location[i];
	fail_msg("no location %llu", (unsigned long long)id);
	return NULL;
}

static const char *function_of(const Perftools__Profiles__Profile *p,
			       uint64_t loc_id)
{
	const Perftools__Profiles__Location *l = location(p, loc_id);

	if (l->n_line == 0)
		return NULL;
	for (size_t i = 0; i < p->n_function; i++)
		if (p->function[i]->id == l->line[0]->function_id)
			return str(p, p->function[i]->name);
	fail_msg("no function %llu", (unsigned long long)l->line[0]->function_id);
	return NULL;
}

static void test_snapshot_profile(void **state)
{
	char dir[] = "/tmp/test_pprof.XXXXXX", path[64];
	Perftools__Profiles__Profile *p;
	struct ts_snapshot s;
	struct ts_thread t[4];
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/threads.pb.gz", dir);
	make_snapshot(&s, t);
	assert_int_equal(ts_pprof_snapshot(&s, path), 0);
	p = read_profile(path);
	assert_non_null(p);

	assert_string_equal(p->string_table[0], "");
	assert_int_equal(p->n_sample_type, 1);
	assert_string_equal(str(p, p->sample_type[0]->type), "threads");
	assert_string_equal(str(p, p->sample_type[0]->unit), "count");
	assert_true(p->time_nanos == 1700000000123456789ll);
	assert_int_equal(p->n_comment, 1);
	assert_string_equal(str(p, p->comment[0]), "taskscope snapshot of 100 \"uploadd\"");
	assert_string_equal(str(p, p->mapping[0]->filename), EXE);

	assert_int_equal(p->n_sample, 4);
	for (i = 0; i < p->n_sample; i++) {
		assert_int_equal(p->sample[i]->n_value, 1);
		assert_int_equal(p->sample[i]->value[0], 1);
	}
	/* Leaf first; the unknown frame has no function, only an address. */
	assert_int_equal(p->sample[1]->n_location_id, 4);
	assert_string_equal(function_of(p, p->sample[1]->location_id[0]),
			    "__futex_abstimed_wait_common");
	assert_string_equal(function_of(p, p->sample[1]->location_id[1]),
			    "chunkq_next");
	assert_null(function_of(p, p->sample[1]->location_id[2]));
	assert_true(location(p, p->sample[1]->location_id[2])->address ==
		    0x7f0000003000);
	/* 3 + 4 distinct frames and the no-stack marker; the second up-hash
	 * shares all of the first's. */
	assert_int_equal(p->n_location, 8);
	assert_memory_equal(p->sample[1]->location_id, p->sample[2]->location_id,
			    4 * sizeof(uint64_t));
	assert_string_equal(label_str(p, p->sample[1], "thread"), "up-hash");
	assert_string_equal(label_str(p, p->sample[1], "state"), "sleeping");
	assert_string_equal(label_str(p, p->sample[1], "wait"), "condvar");
	assert_string_equal(label_str(p, p->sample[1], "blocked_on"),
			    "futex: condition variable 0x5000");
	assert_string_equal(label_str(p, p->sample[0], "wait"), "signal");
	assert_string_equal(function_of(p, p->sample[3]->location_id[0]),
			    "[no user stack]");
	assert_null(label_str(p, p->sample[3], "wait"));
	for (i = 0; i < p->sample[0]->n_label; i++)
		if (!strcmp(str(p, p->sample[0]->label[i]->key), "off_cpu")) {
			assert_true(p->sample[0]->label[i]->num == 5000000000ll);
			assert_string_equal(str(p, p->sample[0]->label[i]->num_unit),
					    "nanoseconds");
		}
	perftools__profiles__profile__free_unpacked(p, NULL);
	unlink(path);
	rmdir(dir);
}

static void test_write_errors(void **state)
{
	struct ts_snapshot s;
	struct ts_thread t[4];

	(void)state;
	make_snapshot(&s, t);
	assert_int_equal(ts_pprof_snapshot(&s, "/nonexistent-dir/x.pb.gz"), -ENOENT);
	assert_null(ts_pprof_new(NULL, 0));
	assert_int_equal(errno, EINVAL);
}

static void test_builder_values_and_time(void **state)
{
	static const char *const types[] = { "blocked", "nanoseconds",
					     "waits", "count" };
	struct ts_pprof *b = ts_pprof_new(types, 2);
	const int64_t v[2] = { 2500, 1 };
	const struct ts_pprof_label l = { .key = "wait", .str = "mutex" };
	Perftools__Profiles__Profile *p;
	unsigned char *buf, raw[65536];
	size_t len;
	uLongf rawlen = sizeof(raw);
	z_stream z = { 0 };

	(void)state;
	assert_non_null(b);
	ts_pprof_set_time(b, 42, 5000);
	assert_int_equal(ts_pprof_sample(b, hash_frames, 2, v, &l, 1), 0);
	assert_int_equal(ts_pprof_sample(b, hash_frames, 2, v, NULL, 0), 0);
	assert_int_equal(ts_pprof_nsamples(b), 2);
	assert_int_equal(ts_pprof_encode(b, &buf, &len), 0);
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = buf;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = (uInt)rawlen;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	p = perftools__profiles__profile__unpack(NULL, z.total_out, raw);
	inflateEnd(&z);
	assert_non_null(p);
	assert_true(p->duration_nanos == 5000 && p->time_nanos == 42);
	assert_string_equal(str(p, p->period_type->type), "blocked");
	assert_int_equal(p->period, 1);
	assert_int_equal(p->n_sample_type, 2);
	assert_true(p->sample[0]->value[0] == 2500 && p->sample[0]->value[1] == 1);
	assert_int_equal(p->sample[1]->n_label, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(buf);
	ts_pprof_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_profile),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_builder_values_and_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
