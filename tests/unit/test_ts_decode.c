/* cmocka tests of src/taskscope/snapshot/snapshot_decode.c: record framing and
 * validation, scheduler state, and the scheduler-clock -> duration maths
 * (the off-CPU time of a thread that blocked long before the snapshot, the
 * CPU time of one running during the pass). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "taskscope/snapshot/snapshot_decode.h"

/* Appends a record with klen kernel-stack bytes and ulen stack bytes. */
static size_t put_record(unsigned char *buf, size_t off, __u32 tid,
			 __u32 klen, __u32 ulen)
{
	struct ts_snap_thread r;

	memset(&r, 0, sizeof(r));
	r.abi_version = TS_ABI_VERSION;
	r.tid = tid;
	r.tgid = 1;
	r.kstack_len = klen;
	r.ustack.len = ulen;
	r.rec_len = sizeof(r) + klen + ulen;
	memcpy(buf + off, &r, sizeof(r));
	memset(buf + off + sizeof(r), 0xab, klen + ulen);
	return off + r.rec_len;
}

static void test_framing(void **state)
{
	unsigned char *buf = calloc(1, 8192);
	const struct ts_snap_thread **recs;
	size_t len = 0, n;
	int nk;

	(void)state;
	len = put_record(buf, len, 11, 16, 64);
	len = put_record(buf, len, 12, 0, 0);
	len = put_record(buf, len, 13, 8, 4096);
	assert_int_equal(ts_decode_records(buf, len, &recs, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(recs[0]->tid, 11);
	assert_int_equal(recs[2]->tid, 13);
	ts_rec_kstack(recs[0], &nk);
	assert_int_equal(nk, 2);
	assert_ptr_equal(ts_rec_ustack(recs[0]),
			 (const unsigned char *)recs[0] + sizeof(*recs[0]) + 16);
	free(recs);
	/* Cut short, wrong length, foreign ABI: all rejected. */
	assert_int_equal(ts_decode_records(buf, len - 1, &recs, &n), -EPROTO);
	((struct ts_snap_thread *)buf)->rec_len += 8;
	assert_int_equal(ts_decode_records(buf, len, &recs, &n), -EPROTO);
	((struct ts_snap_thread *)buf)->rec_len -= 8;
	((struct ts_snap_thread *)buf)->abi_version = TS_ABI_VERSION + 1;
	assert_int_equal(ts_decode_records(buf, len, &recs, &n), -EPROTO);
	/* Empty output: zero records, no error. */
	assert_int_equal(ts_decode_records(buf, 0, &recs, &n), 0);
	assert_int_equal(n, 0);
	free(recs);
	free(buf);
}

static void test_states(void **state)
{
	(void)state;
	assert_int_equal(ts_decode_state(0, 0, true), TS_STATE_RUNNING);
	assert_int_equal(ts_decode_state(0, 0, false), TS_STATE_RUNNABLE);
	assert_int_equal(ts_decode_state(1, 0, false), TS_STATE_SLEEPING);
	assert_int_equal(ts_decode_state(2, 0, false), TS_STATE_UNINTERRUPTIBLE);
	assert_int_equal(ts_decode_state(0x102, 0, false), TS_STATE_UNINTERRUPTIBLE);
	assert_int_equal(ts_decode_state(0x402, 0, false), TS_STATE_IDLE);
	assert_int_equal(ts_decode_state(4, 0, false), TS_STATE_STOPPED);
	assert_int_equal(ts_decode_state(8, 0, false), TS_STATE_TRACED);
	assert_int_equal(ts_decode_state(0, 0x20, false), TS_STATE_ZOMBIE);
	assert_int_equal(ts_decode_state(0, 0x10, false), TS_STATE_DEAD);
}

static void test_clock_offset_takes_freshest(void **state)
{
	struct ts_snap_thread a, b, c;
	const struct ts_snap_thread *v[] = { &a, &b, &c };

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	/* The reader got the CPU at sched 5,000,000; mono runs 1 s behind
	 * sched; each record reads mono a bit later. */
	a.now_sched_ns = b.now_sched_ns = c.now_sched_ns = 5000000000ull;
	a.now_mono_ns = 4000000000ull + 3000;
	b.now_mono_ns = 4000000000ull + 90000;
	c.now_mono_ns = 4000000000ull + 200000;
	assert_int_equal(ts_sched_clock_offset(v, 3), 1000000000ll - 3000);
	assert_int_equal(ts_sched_clock_offset(v, 0), 0);
}

static void test_off_cpu_long_sleep(void **state)
{
	struct ts_snap_thread r;
	struct ts_thread t;
	int64_t off = 1000000000ll;   /* sched = mono + 1 s */

	(void)state;
	memset(&r, 0, sizeof(r));
	r.tid = r.tgid = 7;
	memcpy(r.comm, "sleeper", 8);
	r.state = 1;
	r.syscall_nr = 35;
	/* Arrived at sched 10 s, ran 2 ms, then slept; read at mono 3609 s,
	 * i.e. sched 3610 s: off CPU 3600 s - 2 ms. */
	r.last_arrival_ns = 10000000000ull;
	r.last_run_ns = 2000000;
	r.now_mono_ns = 3609000000000ull;
	ts_decode_thread(&r, off, &t);
	assert_true(t.off_cpu_known);
	assert_int_equal(t.off_cpu_ns, 3600000000000ull - 2000000);
	assert_int_equal(t.state, TS_STATE_SLEEPING);
	assert_string_equal(t.name, "sleeper");
	assert_int_equal(t.blocked.fd, -1);
	/* Running: off CPU for 0; never ran: unknown. */
	r.state = 0;
	r.on_cpu = 1;
	ts_decode_thread(&r, off, &t);
	assert_true(t.off_cpu_known);
	assert_int_equal(t.off_cpu_ns, 0);
	r.state = 1;
	r.on_cpu = 0;
	r.last_arrival_ns = 0;
	ts_decode_thread(&r, off, &t);
	assert_false(t.off_cpu_known);
}

/* CPU time: a sleeping thread's is the scheduler's figure; one running
 * during the pass gets the part of its stint not accounted yet, up to the
 * record's "now" in the scheduler clock (mono + offset). */
static void test_cpu_time_running(void **state)
{
	struct ts_snap_thread r;
	struct ts_thread t;
	int64_t off = 1000000000ll;   /* sched = mono + 1 s */

	(void)state;
	memset(&r, 0, sizeof(r));
	r.tid = r.tgid = 8;
	/* A thread that got the CPU at sched 50 s with 3 us of CPU behind
	 * it, nothing accounted since (sum == prev_sum), read at mono 49.00025
	 * s = sched 50.00025 s: 250 us more than the field says. */
	r.cpu_ns = 3000;
	r.last_run_ns = 0;
	r.last_arrival_ns = 50000000000ull;
	r.now_mono_ns = 49000250000ull;
	r.on_cpu = 1;
	ts_decode_thread(&r, off, &t);
	assert_int_equal(t.state, TS_STATE_RUNNING);
	assert_int_equal(t.cpu_ns, 3000 + 250000);
	/* A tick accounted 100 us of that stint: still 250 us in all. */
	r.cpu_ns = 103000;
	r.last_run_ns = 100000;
	ts_decode_thread(&r, off, &t);
	assert_int_equal(t.cpu_ns, 3000 + 250000);
	/* Off the CPU: the field is final. */
	r.on_cpu = 0;
	r.state = 1;
	ts_decode_thread(&r, off, &t);
	assert_int_equal(t.cpu_ns, 103000);
}

static void test_fd_and_umem_carried(void **state)
{
	struct ts_snap_thread r;
	struct ts_thread t;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.syscall_nr = 0;
	r.args[0] = 9;
	r.flags = TS_SNAP_FD | TS_SNAP_UMEM | TS_SNAP_UMEM_LOW;
	r.fd.type = TS_FD_PIPE;
	r.umem_addr = 0x1000;
	r.umem[4] = 42;
	ts_decode_thread(&r, 0, &t);
	assert_int_equal(t.blocked.fd, 9);
	assert_int_equal(t.blocked.fdi.type, TS_FD_PIPE);
	assert_true(t.has_umem && t.umem_low);
	assert_int_equal(t.umem[4], 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_framing),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_clock_offset_takes_freshest),
		cmocka_unit_test(test_off_cpu_long_sleep),
		cmocka_unit_test(test_cpu_time_running),
		cmocka_unit_test(test_fd_and_umem_carried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
