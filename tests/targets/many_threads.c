/* Benchmark target for `taskscope snapshot`: N threads blocked on one
 * condition variable (each in its own named frame), plus one "gap-meter"
 * thread that reads the clock in a tight loop and keeps the largest gap
 * between two consecutive reads: if the process is stopped (as ptrace-based
 * dumpers do), the gap shows it. SIGUSR1 resets the maximum, SIGUSR2 writes
 * it in ns to GAP_FILE (atomically). Writes "ready" to READY_FILE once all
 * threads are blocked.
 *
 *   usage: many_threads N READY_FILE GAP_FILE
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "target_util.h"

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_int blocked;
static atomic_ullong max_gap_ns;
static atomic_int reset_req, report_req;
static const char *gap_file;

static NOINLINE void bench_worker_wait(void)
{
	pthread_mutex_lock(&mu);
	atomic_fetch_add(&blocked, 1);
	for (;;)
		pthread_cond_wait(&cv, &mu);
}

static void *worker(void *arg)
{
	(void)arg;
	bench_worker_wait();
	return NULL;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		atomic_store(&reset_req, 1);
	else
		atomic_store(&report_req, 1);
}

static void report_gap(void)
{
	struct tu_manifest m;

	tu_manifest_begin(&m);
	tu_printf(&m, "%llu\n", (unsigned long long)atomic_load(&max_gap_ns));
	tu_manifest_write(&m, gap_file);
}

static NOINLINE void gap_meter_loop(void)
{
	unsigned long long prev = tu_mono_ns(), now, gap;

	for (;;) {
		now = tu_mono_ns();
		gap = now - prev;
		prev = now;
		if (gap > atomic_load(&max_gap_ns))
			atomic_store(&max_gap_ns, gap);
		if (atomic_exchange(&reset_req, 0)) {
			atomic_store(&max_gap_ns, 0);
			prev = tu_mono_ns();
		}
		if (atomic_exchange(&report_req, 0)) {
			report_gap();
			prev = tu_mono_ns();
		}
	}
}

static void *gap_meter(void *arg)
{
	(void)arg;
	/* Nice -10 when allowed: sharing a CPU with a nice-0 task then costs
	 * it short slices only, so a long gap means it was stopped, not just
	 * out-scheduled. (SCHED_FIFO would be throttled 50 ms a second.) */
	setpriority(PRIO_PROCESS, tu_gettid(), -10);
	gap_meter_loop();
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	pthread_attr_t attr;
	struct tu_manifest m;
	pthread_t t;
	int n, i;

	if (argc != 4 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s N READY_FILE GAP_FILE\n", argv[0]);
		return 2;
	}
	gap_file = argv[3];
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* Small stacks: 10,000 threads must fit in memory. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < n; i++) {
		if (pthread_create(&t, &attr, worker, NULL))
			tu_die("pthread_create");
		pthread_detach(t);
	}
	while (atomic_load(&blocked) < n)
		usleep(10000);
	if (pthread_create(&t, NULL, gap_meter, NULL))
		tu_die("pthread_create");
	pthread_setname_np(t, "gap-meter");
	usleep(200000);   /* every waiter inside its futex wait */
	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"threads\": %d}\n", getpid(), n + 2);
	tu_manifest_write(&m, argv[2]);
	for (;;)
		pause();
}
