/* cmocka tests of src/threadview/classify.c on inputs recorded from real
 * snapshots of tests/targets/blocked_target (syscall, arguments, the copied
 * user memory around the futex word, the symbolized function names). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "threadview/classify.h"
#include "threadview/syscalls.h"

#define FUTEX 202
#define FUTEX_WAIT_BITSET_PRIVATE 137
#define FUTEX_WAIT_PRIVATE 128

static struct ts_frame frames[8];
static const struct ts_classify_clock clk = { .mono_ns = 1000000000000ull,
					      .real_ns = 1700000000000000000ull };

/* A sleeping thread in syscall nr whose stack holds the given functions,
 * innermost first. */
static void thread_in(struct ts_thread *t, int nr, const char **fns, int n)
{
	memset(t, 0, sizeof(*t));
	memset(frames, 0, sizeof(frames));
	t->tid = 100;
	t->state = TS_STATE_SLEEPING;
	t->syscall_nr = nr;
	t->blocked.fd = -1;
	t->blocked.remaining_ns = -1;
	t->blocked.timeout_ms = -2;
	for (int i = 0; i < n; i++)
		frames[i].function = fns[i];
	t->frames = frames;
	t->nframes = n;
}

/* umem as BPF copies it for a futex: 48 bytes from uaddr - 16. */
static void futex_mem(struct ts_thread *t, uint64_t uaddr, int op)
{
	t->args[0] = uaddr;
	t->args[1] = op;
	t->has_umem = true;
	t->umem_low = true;
	t->umem_addr = uaddr - 16;
}

static void test_mutex_owner(void **state)
{
	const char *fns[] = { "__GI___lll_lock_wait", "__pthread_mutex_lock",
			      "waiter_lock_mutex", "mu_waiter", "start_thread" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 5);
	futex_mem(&t, 0x556783db2500, FUTEX_WAIT_PRIVATE);
	t.umem[4] = 2;          /* __lock: contended */
	t.umem[6] = 9219;       /* __owner at +8 */
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_MUTEX);
	assert_int_equal(t.blocked.owner_tid, 9219);
	assert_true(t.blocked.has_object);
	assert_int_equal(t.blocked.object, 0x556783db2500);
	assert_int_equal(t.blocked.futex_val, 2);
	assert_int_equal(t.blocked.futex_op, FUTEX_WAIT_PRIVATE & 0x7f);
}

static void test_mutex_owner_without_low_copy(void **state)
{
	const char *fns[] = { "__pthread_mutex_lock" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 1);
	t.args[0] = 0x1000;
	t.has_umem = true;
	t.umem_addr = 0x1000;   /* only 16 bytes from the word itself */
	t.umem[0] = 2;
	t.umem[2] = 4242;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_MUTEX);
	assert_int_equal(t.blocked.owner_tid, 4242);
}

static void test_condvar_object_is_the_cond(void **state)
{
	const char *fns[] = { "__futex_abstimed_wait_common", "pthread_cond_wait",
			      "waiter_wait_condvar" };
	struct ts_thread t;

	(void)state;
	/* __g_signals[0] at +40 and __g_signals[1] at +44 both name the cond. */
	thread_in(&t, FUTEX, fns, 3);
	futex_mem(&t, 0x556783db2480 + 40, FUTEX_WAIT_BITSET_PRIVATE);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_CONDVAR);
	assert_int_equal(t.blocked.object, 0x556783db2480);
	thread_in(&t, FUTEX, fns, 3);
	futex_mem(&t, 0x556783db2480 + 44, FUTEX_WAIT_BITSET_PRIVATE);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.object, 0x556783db2480);
}

static void test_condvar_relock_is_a_mutex_wait(void **state)
{
	/* Woken from the condvar, blocked re-taking its mutex: innermost wins. */
	const char *fns[] = { "__GI___lll_lock_wait", "__pthread_mutex_cond_lock",
			      "__pthread_cond_wait_common", "pthread_cond_wait" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 4);
	futex_mem(&t, 0x2000, FUTEX_WAIT_PRIVATE);
	t.umem[6] = 77;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_MUTEX);
	assert_int_equal(t.blocked.owner_tid, 77);
}

static void test_rwlock_reader_sees_writer(void **state)
{
	const char *fns[] = { "__futex_abstimed_wait_common", "pthread_rwlock_rdlock",
			      "waiter_rdlock_rwlock" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 3);
	futex_mem(&t, 0x556783db2440 + 8, FUTEX_WAIT_BITSET_PRIVATE);
	t.umem[(24 - 8 + 16) / 4] = 9221;      /* __cur_writer at +24 */
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_RWLOCK);
	assert_int_equal(t.blocked.object, 0x556783db2440);
	assert_int_equal(t.blocked.owner_tid, 9221);
}

static void test_rwlock_writer_sees_writer(void **state)
{
	const char *fns[] = { "__pthread_rwlock_wrlock_full64", "pthread_rwlock_wrlock" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 2);
	futex_mem(&t, 0x3000 + 12, FUTEX_WAIT_BITSET_PRIVATE);
	t.umem[(24 - 12 + 16) / 4] = 555;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_RWLOCK);
	assert_int_equal(t.blocked.object, 0x3000);
	assert_int_equal(t.blocked.owner_tid, 555);
}

static void test_join_target_is_the_futex_word(void **state)
{
	const char *fns[] = { "__futex_abstimed_wait_common", "__pthread_clockjoin_ex",
			      "joiner_join_sleeper" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 3);
	futex_mem(&t, 0x7f9c700ff990, FUTEX_WAIT_BITSET_PRIVATE);
	t.umem[4] = 9224;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_JOIN);
	assert_int_equal(t.blocked.join_tid, 9224);
}

static void test_semaphore_with_clone_suffix(void **state)
{
	const char *fns[] = { "__futex_abstimed_wait_common",
			      "__new_sem_wait_slow64.constprop.0",
			      "holder_wait_on_semaphore" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 3);
	futex_mem(&t, 0x556783db2420, FUTEX_WAIT_BITSET_PRIVATE);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_SEMAPHORE);
	assert_int_equal(t.blocked.object, 0x556783db2420);
	assert_int_equal(t.blocked.owner_tid, 0);
}

static void test_prefix_is_not_a_match(void **state)
{
	const char *fns[] = { "pthread_mutex_lockless_helper" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 1);
	futex_mem(&t, 0x4000, FUTEX_WAIT_PRIVATE);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_FUTEX);
}

static void test_pi_futex_without_symbols(void **state)
{
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, NULL, 0);
	futex_mem(&t, 0x4000, 6 | 128);          /* FUTEX_LOCK_PI_PRIVATE */
	t.umem[4] = 0x80000000u | 3131;          /* FUTEX_WAITERS | owner */
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_MUTEX);
	assert_int_equal(t.blocked.owner_tid, 3131);
}

static void test_fd_reads_keep_fd(void **state)
{
	struct ts_thread t;

	(void)state;
	thread_in(&t, 45, NULL, 0);              /* recvfrom */
	t.blocked.fd = 6;
	t.blocked.fdi.type = TS_FD_SOCKET;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_READ);
	assert_int_equal(t.blocked.fd, 6);
	assert_false(t.blocked.has_object);
	thread_in(&t, 43, NULL, 0);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_ACCEPT);
	thread_in(&t, 232, NULL, 0);
	t.args[3] = (uint64_t)-1;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_EPOLL);
	assert_int_equal(t.blocked.timeout_ms, -1);
}

static void test_sleep_remaining(void **state)
{
	struct ts_thread t;

	(void)state;
	/* nanosleep({10 s}) that has slept 4 s: 6 s left. */
	thread_in(&t, 35, NULL, 0);
	t.has_umem = true;
	t.umem[0] = 10;
	t.off_cpu_known = true;
	t.off_cpu_ns = 4000000000ull;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_SLEEP);
	assert_int_equal(t.blocked.remaining_ns, 6000000000ll);
	/* clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, now + 2.5 s). */
	thread_in(&t, 230, NULL, 0);
	t.args[0] = 1;
	t.args[1] = 1;
	t.has_umem = true;
	t.umem[0] = (uint32_t)(clk.mono_ns / 1000000000ull + 2);
	t.umem[2] = 500000000;
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.remaining_ns, 2500000000ll);
}

/* futex_wait(2) (Linux 6.7, syscall 455) is a futex wait; futex_wake (454)
 * never sleeps. Debian 12's headers know neither, so the numbers are ours. */
static void test_futex2_wait_is_a_futex_wait(void **state)
{
	const char *fns[] = { "my_futex2_wait" };
	struct ts_thread t;

	(void)state;
	assert_string_equal(ts_syscall_name(455), "futex_wait");
	assert_string_equal(ts_syscall_name(454), "futex_wake");
	thread_in(&t, 455, fns, 1);
	futex_mem(&t, 0x7f0000001000, 0);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_FUTEX);
	assert_true(t.blocked.has_object);
	assert_int_equal(t.blocked.object, 0x7f0000001000);
}

static void test_not_blocked(void **state)
{
	const char *fns[] = { "pthread_mutex_lock" };
	struct ts_thread t;

	(void)state;
	thread_in(&t, FUTEX, fns, 1);
	t.state = TS_STATE_RUNNING;   /* stale syscall number: not a wait */
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_NONE);
	thread_in(&t, -1, NULL, 0);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_NONE);
	thread_in(&t, 61, NULL, 0);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_WAIT);
	thread_in(&t, 999, NULL, 0);
	ts_classify(&t, &clk);
	assert_int_equal(t.blocked.kind, TS_BLOCK_SYSCALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutex_owner),
		cmocka_unit_test(test_mutex_owner_without_low_copy),
		cmocka_unit_test(test_condvar_object_is_the_cond),
		cmocka_unit_test(test_condvar_relock_is_a_mutex_wait),
		cmocka_unit_test(test_rwlock_reader_sees_writer),
		cmocka_unit_test(test_rwlock_writer_sees_writer),
		cmocka_unit_test(test_join_target_is_the_futex_word),
		cmocka_unit_test(test_semaphore_with_clone_suffix),
		cmocka_unit_test(test_prefix_is_not_a_match),
		cmocka_unit_test(test_pi_futex_without_symbols),
		cmocka_unit_test(test_fd_reads_keep_fd),
		cmocka_unit_test(test_sleep_remaining),
		cmocka_unit_test(test_futex2_wait_is_a_futex_wait),
		cmocka_unit_test(test_not_blocked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
