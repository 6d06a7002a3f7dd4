/* cmocka tests of uploadd's signal-driven stack capture
 * (threaddump_capture.c) on this test's own threads, symbolized with the
 * same libdw symbolizer /debug/threads uses: a condition-variable waiter
 * and a pipe reader are caught in their own functions; a thread that
 * blocks the signal is reported unanswered, an exited one gone; the
 * caller records itself; concurrent dumps agree; and reads interrupted by
 * the signal resume (SA_RESTART), never failing with EINTR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "threadview/symbolize.h"
#include "uploadd/debug/threaddump_capture.h"

#define TIMEOUT_MS 2000u

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool stop;
static int pipefd[2];
static pid_t cv_tid, reader_tid, blocker_tid;
static long reader_eintr, reader_bytes;

__attribute__((noinline)) void td_test_cv_wait_here(void)
{
	pthread_mutex_lock(&mu);
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

static void *cv_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&cv_tid, gettid(), __ATOMIC_RELEASE);
	td_test_cv_wait_here();
	return NULL;
}

__attribute__((noinline)) ssize_t td_test_read_here(char *buf, size_t len)
{
	ssize_t n = read(pipefd[0], buf, len);

	/* Not a tail call: this frame must stay on the stack. */
	__asm__ volatile("" ::: "memory");
	return n;
}

static void *reader_main(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	__atomic_store_n(&reader_tid, gettid(), __ATOMIC_RELEASE);
	for (;;) {
		n = td_test_read_here(buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			__atomic_add_fetch(&reader_eintr, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (n <= 0)
			break;
		__atomic_add_fetch(&reader_bytes, n, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *blocker_main(void *arg)
{
	sigset_t set;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, td_capture_signal());
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	__atomic_store_n(&blocker_tid, gettid(), __ATOMIC_RELEASE);
	td_test_cv_wait_here();
	return NULL;
}

static void *exit_main(void *arg)
{
	*(pid_t *)arg = gettid();
	return NULL;
}

static pthread_t th_cv, th_reader, th_blocker;
static struct ts_symbolizer *unw;

static pid_t wait_tid(pid_t *p)
{
	pid_t t;

	while (!(t = __atomic_load_n(p, __ATOMIC_ACQUIRE)))
		usleep(1000);
	return t;
}

static int setup(void **state)
{
	(void)state;
	if (td_capture_init() < 0 || pipe(pipefd) < 0)
		return -1;
	pthread_create(&th_cv, NULL, cv_main, NULL);
	pthread_create(&th_reader, NULL, reader_main, NULL);
	pthread_create(&th_blocker, NULL, blocker_main, NULL);
	wait_tid(&cv_tid);
	wait_tid(&reader_tid);
	wait_tid(&blocker_tid);
	usleep(20000);          /* let them reach their waits */
	unw = ts_symbolizer_new(getpid());
	return unw ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pthread_mutex_lock(&mu);
	stop = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	close(pipefd[1]);
	pthread_join(th_cv, NULL);
	pthread_join(th_reader, NULL);
	pthread_join(th_blocker, NULL);
	close(pipefd[0]);
	ts_symbolizer_free(unw);
	return 0;
}

/* True when a frame of st symbolizes to function fn. */
static bool has_function(const struct td_stack *st, const char *fn)
{
	struct ts_frame f;
	int i;

	for (i = 0; i < st->npcs; i++) {
		bool ret_addr = i > 0 || !st->first_exact;

		if (ts_symbolize(unw, st->pcs[i], ret_addr, &f) == 0 &&
		    f.function && !strcmp(f.function, fn))
			return true;
	}
	return false;
}

static void test_blocked_threads_answer(void **state)
{
	struct td_stack st[3] = { { .tid = cv_tid }, { .tid = reader_tid },
				  { .tid = gettid() } };

	(void)state;
	assert_int_equal(td_capture(st, 3, TIMEOUT_MS), 0);
	assert_int_equal(st[0].answer, TD_ANSWERED);
	assert_true(st[0].first_exact);
	assert_true(has_function(&st[0], "td_test_cv_wait_here"));
	assert_true(has_function(&st[0], "pthread_cond_wait"));
	assert_true(has_function(&st[0], "cv_main"));
	assert_false(st[0].truncated);

	assert_int_equal(st[1].answer, TD_ANSWERED);
	assert_true(has_function(&st[1], "td_test_read_here"));
	assert_true(has_function(&st[1], "reader_main"));

	/* The caller records itself, without a signal frame. */
	assert_int_equal(st[2].answer, TD_ANSWERED);
	assert_false(st[2].first_exact);
	assert_true(has_function(&st[2], "test_blocked_threads_answer"));
}

static void test_blocked_signal_and_gone(void **state)
{
	struct td_stack st[2] = { { .tid = blocker_tid } };
	pthread_t t;
	pid_t gone = 0;

	(void)state;
	pthread_create(&t, NULL, exit_main, &gone);
	pthread_join(t, NULL);
	st[1].tid = gone;
	/* Short timeout: the blocker can never answer. */
	assert_int_equal(td_capture(st, 2, 100), 0);
	assert_int_equal(st[0].answer, TD_NO_ANSWER);
	assert_int_equal(st[0].npcs, 0);
	assert_int_equal(st[1].answer, TD_GONE);
	/* The blocker's signal stays pending: a later dump must not be
	 * confused by it. */
	st[0].tid = cv_tid;
	assert_int_equal(td_capture(st, 1, TIMEOUT_MS), 0);
	assert_int_equal(st[0].answer, TD_ANSWERED);
	assert_true(has_function(&st[0], "td_test_cv_wait_here"));
}

static void *dumper_main(void *arg)
{
	long *bad = arg;
	int i;

	for (i = 0; i < 50; i++) {
		struct td_stack st[2] = { { .tid = cv_tid }, { .tid = reader_tid } };

		if (td_capture(st, 2, TIMEOUT_MS) != 0 ||
		    st[0].answer != TD_ANSWERED || st[1].answer != TD_ANSWERED ||
		    st[0].npcs < 3 || st[1].npcs < 3)
			(*bad)++;
	}
	return NULL;
}

/* Four dumpers at once while the reader gets data: every dump complete,
 * and not one read(2) failed with EINTR. */
static void test_concurrent_dumps_and_restart(void **state)
{
	pthread_t d[4];
	long bad[4] = { 0 };
	long before = __atomic_load_n(&reader_bytes, __ATOMIC_RELAXED);
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		pthread_create(&d[i], NULL, dumper_main, &bad[i]);
	for (i = 0; i < 200; i++) {
		assert_int_equal(write(pipefd[1], "0123456789", 10), 10);
		usleep(500);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(d[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	while (__atomic_load_n(&reader_bytes, __ATOMIC_RELAXED) < before + 2000)
		usleep(1000);
	assert_int_equal(__atomic_load_n(&reader_eintr, __ATOMIC_RELAXED), 0);
}

static void test_init_twice(void **state)
{
	struct td_stack st = { .tid = cv_tid };

	(void)state;
	/* Initialising twice is harmless; capture keeps working. */
	assert_int_equal(td_capture_init(), 0);
	assert_int_equal(td_capture(&st, 1, TIMEOUT_MS), 0);
	assert_int_equal(st.answer, TD_ANSWERED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_threads_answer),
		cmocka_unit_test(test_blocked_signal_and_gone),
		cmocka_unit_test(test_concurrent_dumps_and_restart),
		cmocka_unit_test(test_init_twice),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
