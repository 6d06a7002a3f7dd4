/* cmocka tests of ts_cpu_time_now (include/taskscope_abi.h): the CPU time
 * of a thread that may be running now, as the BPF programs (watch's
 * totals) and the snapshot decoder compute it from the scheduler's
 * fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "taskscope_abi.h"

#define MS 1000000ull
#define US 1000ull

/* Off a CPU, the field is final: nothing is added, whatever the clock. */
static void test_not_running(void **state)
{
	(void)state;
	assert_int_equal(ts_cpu_time_now(5 * MS, 4 * MS, 100 * MS, 200 * MS, 0),
			 5 * MS);
	assert_int_equal(ts_cpu_time_now(0, 0, 0, 0, 0), 0);
}

/* Running since arrival with nothing accounted yet (no tick, no switch
 * since): the whole stint so far is added. This is a short thread that
 * hashes from its first wakeup on: sum is what it had before it ran. */
static void test_running_unaccounted(void **state)
{
	(void)state;
	/* got the CPU at 100 ms with 3 us behind it; now 100.25 ms */
	assert_int_equal(ts_cpu_time_now(3 * US, 3 * US, 100 * MS,
					 100 * MS + 250 * US, 1),
			 3 * US + 250 * US);
}

/* A tick accounted part of the stint (sum - prev_sum): only the rest since
 * then is added, not the stint twice. */
static void test_running_partly_accounted(void **state)
{
	(void)state;
	/* stint of 6 ms so far, of which a tick accounted 4 ms */
	assert_int_equal(ts_cpu_time_now(10 * MS + 4 * MS, 10 * MS, 50 * MS,
					 56 * MS, 1),
			 10 * MS + 6 * MS);
}

/* A "now" estimate at or before arrival (a late reference clock) or before
 * the last accounting adds nothing and never subtracts. */
static void test_clock_behind(void **state)
{
	(void)state;
	assert_int_equal(ts_cpu_time_now(7 * MS, 7 * MS, 100 * MS, 100 * MS, 1),
			 7 * MS);
	assert_int_equal(ts_cpu_time_now(7 * MS, 7 * MS, 100 * MS, 90 * MS, 1),
			 7 * MS);
	/* 2 ms accounted, but the estimate says only 1 ms since arrival */
	assert_int_equal(ts_cpu_time_now(9 * MS, 7 * MS, 100 * MS, 101 * MS, 1),
			 9 * MS);
}

/* More unaccounted time than the scheduler ever leaves (a tick would have
 * accounted it): the stint's start is not where arrival says, so nothing
 * is added. Up to the limit it is. */
static void test_implausible_gap(void **state)
{
	(void)state;
	assert_int_equal(ts_cpu_time_now(1 * MS, 1 * MS, 10 * MS,
					 10 * MS + TS_CPU_UNACCOUNTED_MAX + 1, 1),
			 1 * MS);
	assert_int_equal(ts_cpu_time_now(1 * MS, 1 * MS, 10 * MS,
					 10 * MS + TS_CPU_UNACCOUNTED_MAX, 1),
			 1 * MS + TS_CPU_UNACCOUNTED_MAX);
}

/* Inconsistent inputs (a torn read of a thread running elsewhere:
 * prev_sum past sum, no arrival) fall back to sum. */
static void test_inconsistent(void **state)
{
	(void)state;
	assert_int_equal(ts_cpu_time_now(5 * MS, 6 * MS, 100 * MS, 101 * MS, 1),
			 5 * MS);
	assert_int_equal(ts_cpu_time_now(5 * MS, 5 * MS, 0, 101 * MS, 1),
			 5 * MS);
}

/* Large clock values (days of uptime) do not wrap. */
static void test_large_values(void **state)
{
	uint64_t day = 86400ull * 1000 * MS;

	(void)state;
	assert_int_equal(ts_cpu_time_now(3 * day, 3 * day, 30 * day,
					 30 * day + 2 * MS, 1),
			 3 * day + 2 * MS);
	assert_int_equal(ts_cpu_time_now(UINT64_MAX - MS, UINT64_MAX - MS,
					 1, UINT64_MAX, 1),
			 UINT64_MAX - MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_running),
		cmocka_unit_test(test_running_unaccounted),
		cmocka_unit_test(test_running_partly_accounted),
		cmocka_unit_test(test_clock_behind),
		cmocka_unit_test(test_implausible_gap),
		cmocka_unit_test(test_inconsistent),
		cmocka_unit_test(test_large_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
