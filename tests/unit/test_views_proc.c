/* cmocka tests of uploadd's /proc/self/task parsers (threaddump_proc.c):
 * stat lines with awkward names, every syscall-file form, and the readers
 * on this test's own threads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "uploadd/debug/threaddump_proc.h"

/* A stat line as Linux 6.x prints it (52 fields), name as given. */
static void stat_line(char *buf, size_t len, const char *name, char state,
		      unsigned utime, unsigned stime, int cpu)
{
	snprintf(buf, len, "4242 (%s) %c 4240 4240 4240 0 -1 4194368 120 0 0 0 "
		 "%u %u 0 0 20 0 7 0 3551 123456789 1234 18446744073709551615 "
		 "1 1 0 0 0 0 0 4096 0 0 0 0 -1 %d 0 0 0 0 0 0 0 0 0 0 0 0 0",
		 name, state, utime, stime, cpu);
}

static void test_stat_plain(void **state)
{
	struct ts_thread t = { 0 };
	unsigned long long ticks = 0;
	char buf[512];

	(void)state;
	stat_line(buf, sizeof(buf), "up-hash", 'S', 7, 3, 1);
	assert_int_equal(td_parse_stat(buf, &t, &ticks), 0);
	assert_string_equal(t.name, "up-hash");
	assert_int_equal(t.state, TS_STATE_SLEEPING);
	assert_int_equal(t.cpu, 1);
	assert_int_equal(ticks, 10);
}

static void test_stat_awkward_name(void **state)
{
	struct ts_thread t = { 0 };
	unsigned long long ticks = 0;
	char buf[512];

	(void)state;
	/* A thread may name itself anything: spaces and ") (" included. */
	stat_line(buf, sizeof(buf), "a) (b c", 'D', 0, 0, 0);
	assert_int_equal(td_parse_stat(buf, &t, &ticks), 0);
	assert_string_equal(t.name, "a) (b c");
	assert_int_equal(t.state, TS_STATE_UNINTERRUPTIBLE);
	assert_int_equal(t.cpu, 0);
}

static void test_stat_bad(void **state)
{
	struct ts_thread t = { 0 };
	unsigned long long ticks;

	(void)state;
	assert_int_equal(td_parse_stat("", &t, &ticks), -EINVAL);
	assert_int_equal(td_parse_stat("4242 (x S 1 2", &t, &ticks), -EINVAL);
	assert_int_equal(td_parse_stat("4242 (x) S 1 2 3", &t, &ticks), -EINVAL);
	assert_int_equal(td_parse_stat("4242 (x)", &t, &ticks), -EINVAL);
}

static void test_syscall_forms(void **state)
{
	struct ts_thread t;

	(void)state;
	memset(&t, 0xff, sizeof(t));
	assert_int_equal(td_parse_syscall("202 0x55d0c0de1290 0x80 0x0 0x0 0x0 "
					  "0xca 0x7ffc0 0x7f00\n", &t), 0);
	assert_int_equal(t.syscall_nr, 202);
	assert_true(t.args[0] == 0x55d0c0de1290ull);
	assert_true(t.args[1] == 0x80);
	assert_true(t.args[5] == 0xca);

	assert_int_equal(td_parse_syscall("running\n", &t), 0);
	assert_int_equal(t.syscall_nr, -1);
	assert_true(t.args[0] == 0);

	/* Blocked outside a syscall (page fault, ...): only sp and pc. */
	assert_int_equal(td_parse_syscall("-1 0x7ffc0 0x7f00\n", &t), 0);
	assert_int_equal(t.syscall_nr, -1);

	assert_int_equal(td_parse_syscall("", &t), -EINVAL);
	assert_int_equal(td_parse_syscall("7 0x1 0x2\n", &t), -EINVAL);
}

static void test_state_letters(void **state)
{
	(void)state;
	assert_int_equal(td_state_from_char('R'), TS_STATE_RUNNING);
	assert_int_equal(td_state_from_char('S'), TS_STATE_SLEEPING);
	assert_int_equal(td_state_from_char('D'), TS_STATE_UNINTERRUPTIBLE);
	assert_int_equal(td_state_from_char('I'), TS_STATE_IDLE);
	assert_int_equal(td_state_from_char('T'), TS_STATE_STOPPED);
	assert_int_equal(td_state_from_char('t'), TS_STATE_TRACED);
	assert_int_equal(td_state_from_char('Z'), TS_STATE_ZOMBIE);
	assert_int_equal(td_state_from_char('X'), TS_STATE_DEAD);
	assert_int_equal(td_state_from_char('?'), TS_STATE_UNKNOWN);
}

static int pipefd[2];
static pid_t reader_tid;

static void *reader_main(void *arg)
{
	char c;

	(void)arg;
	pthread_setname_np(pthread_self(), "td-reader");
	__atomic_store_n(&reader_tid, gettid(), __ATOMIC_RELEASE);
	while (read(pipefd[0], &c, 1) < 0)
		;
	return NULL;
}

/* The readers on real threads: a reader blocked in read(2) on a pipe. */
static void test_read_own_threads(void **state)
{
	struct ts_thread t;
	pthread_t th;
	pid_t *tids, tid;
	size_t n, i;
	bool known, found = false;

	(void)state;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(pthread_create(&th, NULL, reader_main, NULL), 0);
	while (!(tid = __atomic_load_n(&reader_tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	/* Until the reader is asleep in read(2) on the pipe. */
	for (;;) {
		assert_int_equal(td_proc_read(tid, &t, &known), 0);
		if (t.state == TS_STATE_SLEEPING && t.syscall_nr == 0)
			break;
		usleep(1000);
	}
	assert_true(known);
	assert_string_equal(t.name, "td-reader");
	assert_int_equal(t.pid, getpid());
	assert_true(t.args[0] == (uint64_t)pipefd[0]);
	assert_int_equal(t.blocked.kind, TS_BLOCK_NONE);
	assert_int_equal(t.blocked.fd, -1);
	assert_int_equal(t.stack_status, TS_STACK_UNAVAILABLE);

	assert_int_equal(td_proc_tids(&tids, &n), 0);
	assert_true(n >= 2);
	for (i = 0; i < n; i++) {
		if (i > 0)
			assert_true(tids[i - 1] < tids[i]);
		found |= tids[i] == tid;
	}
	assert_true(found);
	free(tids);

	assert_int_equal(write(pipefd[1], "x", 1), 1);
	pthread_join(th, NULL);
	/* Gone: the reader says so instead of reading a stale entry. */
	assert_int_equal(td_proc_read(tid, &t, &known), -ESRCH);
	close(pipefd[0]);
	close(pipefd[1]);
}

static unsigned long long ts_ns(const struct timespec *t)
{
	return (unsigned long long)t->tv_sec * 1000000000ull +
	       (unsigned long long)t->tv_nsec;
}

/* A thread's CPU clock from its tid: for the calling thread it lies
 * between the thread's own clock read just before and just after (a wrong
 * clock id reads another clock or fails); another process's thread is
 * refused; td_proc_read reports the same clock. */
static void test_thread_cpu_clock(void **state)
{
	struct timespec a, b;
	struct ts_thread t;
	unsigned long long ns;
	volatile unsigned long spin = 0;
	pid_t self = (pid_t)syscall(SYS_gettid);
	bool known;

	(void)state;
	while (spin < 20000000ul)   /* some CPU time of our own first */
		spin++;
	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a), 0);
	assert_int_equal(td_thread_cpu_ns(self, &ns), 0);
	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b), 0);
	assert_true(ns >= ts_ns(&a));
	assert_true(ns <= ts_ns(&b));
	assert_true(ns > 0);

	assert_int_equal(td_thread_cpu_ns(getppid(), &ns), -EINVAL);

	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a), 0);
	assert_int_equal(td_proc_read(self, &t, &known), 0);
	assert_int_equal(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b), 0);
	assert_true(t.cpu_ns >= ts_ns(&a));
	assert_true(t.cpu_ns <= ts_ns(&b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_plain),
		cmocka_unit_test(test_stat_awkward_name),
		cmocka_unit_test(test_stat_bad),
		cmocka_unit_test(test_syscall_forms),
		cmocka_unit_test(test_state_letters),
		cmocka_unit_test(test_read_own_threads),
		cmocka_unit_test(test_thread_cpu_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
