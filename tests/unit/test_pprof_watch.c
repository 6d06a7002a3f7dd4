/* cmocka tests of watch's off-CPU profile (pprof_watch.c): hand-made wait
 * events go in, the file is read back with zlib and protobuf-c, and must
 * hold one sample per finished wait (stuck reports and other events left
 * out) with blocked nanoseconds and a count, the wait's stack (or the
 * no-stack marker), its labels, and the watch's time window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof.pb-c.h"
#include "taskscope/watch/pprof_watch.h"

static const struct ts_frame frames[] = {
	{ 0x7f0000001000, "__lll_lock_wait", 0x30, "/lib/libc.so.6", NULL, 0 },
	{ 0x555500000100, "waiter_main", 0x10, "/t/mutexhold", "t.c", 42 },
};

static void wait_event(struct wev *ev, uint32_t type, uint64_t dur_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->tid = 4242;
	ev->pid = 4240;
	strcpy(ev->name, "waiter");
	ev->wait.w.start_ns = 1000000000ull;
	ev->wait.w.wake_ns = ev->wait.w.end_ns = 1000000000ull + dur_ns;
	ev->wait.w.cls = TS_WAIT_FUTEX;
	ev->wait.w.flags = TS_WAIT_F_WAKER;
	strcpy(ev->wait.waker_name, "holder");
}

static void view_of(struct wev_view *v, const struct wev *ev, bool stack)
{
	memset(v, 0, sizeof(*v));
	v->ev = ev;
	v->kind = TS_BLOCK_MUTEX;
	snprintf(v->what, sizeof(v->what), "futex: mutex 0x5000 held by 4241 \"holder\"");
	if (stack) {
		v->frames = frames;
		v->nframes = 2;
	}
}

static const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	assert_true(i >= 0 && (size_t)i < p->n_string_table);
	return p->string_table[i];
}

static const char *label(const Perftools__Profiles__Profile *p,
			 const Perftools__Profiles__Sample *s, const char *key)
{
	for (size_t i = 0; i < s->n_label; i++)
		if (!strcmp(str(p, s->label[i]->key), key))
			return s->label[i]->str ? str(p, s->label[i]->str) : "(num)";
	return NULL;
}

static void test_offcpu_profile(void **state)
{
	static unsigned char raw[1 << 16];
	char dir[] = "/tmp/test_pprof_watch.XXXXXX", path[80];
	Perftools__Profiles__Profile *p;
	struct ts_pprof *b = ts_pprof_watch_new(getpid());
	struct wev ev;
	struct wev_view v;
	struct timespec now;
	uint64_t t0;
	gzFile gz;
	int n;

	(void)state;
	assert_non_null(b);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/offcpu.pb.gz", dir);
	wait_event(&ev, TS_WEV_WAIT, 300000000ull);
	view_of(&v, &ev, true);
	assert_int_equal(ts_pprof_watch_add(b, &v), 0);
	/* A stuck report is not a wait yet: left out. */
	wait_event(&ev, TS_WEV_STUCK, 2000000000ull);
	view_of(&v, &ev, true);
	assert_int_equal(ts_pprof_watch_add(b, &v), 0);
	/* A wait whose stack could not be copied still counts. */
	wait_event(&ev, TS_WEV_WAIT, 5000000ull);
	ev.wait.w.flags = 0;
	view_of(&v, &ev, false);
	assert_int_equal(ts_pprof_watch_add(b, &v), 0);
	ev.type = TS_WEV_EXIT;
	assert_int_equal(ts_pprof_watch_add(b, &v), 0);
	assert_int_equal(ts_pprof_nsamples(b), 2);

	clock_gettime(CLOCK_MONOTONIC, &now);
	t0 = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec -
	     2000000000ull;           /* the watch began 2 s ago */
	assert_int_equal(ts_pprof_watch_write(b, path, 4240, "mutexhold",
					      t0, 1000000), 0);
	ts_pprof_free(b);

	gz = gzopen(path, "rb");
	assert_non_null(gz);
	n = gzread(gz, raw, sizeof(raw));
	gzclose(gz);
	p = perftools__profiles__profile__unpack(NULL, (size_t)n, raw);
	assert_non_null(p);
	assert_int_equal(p->n_sample_type, 2);
	assert_string_equal(str(p, p->sample_type[0]->type), "blocked");
	assert_string_equal(str(p, p->sample_type[0]->unit), "nanoseconds");
	assert_string_equal(str(p, p->sample_type[1]->type), "waits");
	assert_string_equal(str(p, p->sample_type[1]->unit), "count");
	assert_string_equal(str(p, p->default_sample_type), "blocked");
	assert_true(p->duration_nanos >= 2000000000ll &&
		    p->duration_nanos < 60000000000ll);
	assert_string_equal(str(p, p->comment[0]),
			    "taskscope watch of 4240 \"mutexhold\": waits of at least 1ms");
	/* This test's own executable comes first among the mappings. */
	assert_non_null(strstr(str(p, p->mapping[0]->filename), "test_pprof_watch"));

	assert_int_equal(p->n_sample, 2);
	assert_true(p->sample[0]->value[0] == 300000000ll && p->sample[0]->value[1] == 1);
	assert_int_equal(p->sample[0]->n_location_id, 2);
	assert_string_equal(label(p, p->sample[0], "thread"), "waiter");
	assert_string_equal(label(p, p->sample[0], "wait"), "mutex");
	assert_string_equal(label(p, p->sample[0], "class"), "futex");
	assert_string_equal(label(p, p->sample[0], "woken_by"), "holder");
	assert_string_equal(label(p, p->sample[0], "on"),
			    "futex: mutex 0x5000 held by 4241 \"holder\"");
	assert_true(p->sample[1]->value[0] == 5000000ll);
	assert_int_equal(p->sample[1]->n_location_id, 1);
	assert_null(label(p, p->sample[1], "woken_by"));
	perftools__profiles__profile__free_unpacked(p, NULL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offcpu_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
