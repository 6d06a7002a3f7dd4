/* Test target for the CPU time taskscope reports: starts COUNT threads at
 * RATE a second, each doing WORK_US of CPU work in cpuwork_worker and
 * exiting, and writes to OUT one line per thread, "TID CPU_NS", the CPU time
 * it measured for itself from its start to the end of its work.
 *
 *   usage: cpuwork_target COUNT RATE_PER_S WORK_US pure|clock OUT
 *                         [--wait-for-file PATH]
 *
 * How a thread measures itself matters, because measuring can hide the
 * error under test. Reading CLOCK_THREAD_CPUTIME_ID makes the kernel
 * account the running slice (task_sched_runtime -> update_curr), so a
 * thread that spins on that clock ("clock" mode) leaves se.sum_exec_runtime
 * exact at its last read, and a reader of the bare field at exit looks
 * right. A thread that hashes without entering the scheduler (uploadd's
 * up-hash) leaves it as of its last tick or switch: "pure" mode does that.
 * It counts its work with a perf task-clock counter on itself (perf's
 * clock, read with read(2), which accounts nothing in the scheduler) plus
 * one CLOCK_THREAD_CPUTIME_ID read at its start for the time before the
 * counter was opened. Both figures exclude the thread's way out (close,
 * glibc's thread exit, do_exit), so the kernel's final CPU time of a
 * thread is at least its own figure, by that exit path.
 *
 * Prints "ready PID" first; with --wait-for-file it starts only once PATH
 * exists. Prints "done COUNT" once OUT is written. */
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target_sync.h"

#define IN_FLIGHT 256            /* threads not yet joined, at most */

struct result {
	pid_t tid;
	int err;                     /* errno of a failed perf_event_open */
	uint64_t cpu_ns;             /* the thread's own figure */
};

static uint64_t work_ns;
static int pure_mode;
static volatile uint64_t sink;   /* keeps the work from being optimized out */

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return ts_ns(&t);
}

/* Some hashing-like arithmetic, ~1-2 us a call; no system call. */
static uint64_t mix(uint64_t h)
{
	for (int i = 0; i < 512; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return h;
}

/* "pure": arithmetic until a perf task-clock counter on this thread says
 * work_ns passed. Returns the thread's CPU time, or 0 with r->err set. */
static uint64_t work_pure(struct result *r)
{
	struct perf_event_attr a;
	uint64_t before, count = 0, h = (uint64_t)r->tid;
	int fd;

	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	before = thread_cpu_ns();
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		r->err = errno;
		return 0;
	}
	while (count < work_ns) {
		h = mix(h);
		if (read(fd, &count, sizeof(count)) != sizeof(count)) {
			r->err = errno;
			close(fd);
			return 0;
		}
	}
	sink = h;
	close(fd);
	return before + count;
}

/* "clock": spin on CLOCK_THREAD_CPUTIME_ID (each read brings the kernel's
 * account of this thread up to date). */
static uint64_t work_clock(void)
{
	uint64_t now;

	while ((now = thread_cpu_ns()) < work_ns)
		;
	return now;
}

/* The start routine the tests look for. */
__attribute__((noinline)) void *cpuwork_worker(void *arg)
{
	struct result *r = arg;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->cpu_ns = pure_mode ? work_pure(r) : work_clock();
	return NULL;
}

static void add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static int write_results(const char *path, const struct result *res, long n)
{
	char tmp[4096];
	FILE *f;
	long i;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	for (i = 0; i < n; i++)
		fprintf(f, "%d %llu\n", (int)res[i].tid,
			(unsigned long long)res[i].cpu_ns);
	if (fclose(f) || rename(tmp, path))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static pthread_t ring[IN_FLIGHT];
	long count, rate, i, period, work_us;
	struct result *res;
	struct timespec next;
	int err;

	if (argc < 6 || (count = atol(argv[1])) <= 0 || (rate = atol(argv[2])) <= 0 ||
	    (work_us = atol(argv[3])) <= 0 ||
	    (strcmp(argv[4], "pure") && strcmp(argv[4], "clock"))) {
		fprintf(stderr, "usage: cpuwork_target COUNT RATE_PER_S WORK_US pure|clock OUT [--wait-for-file PATH]\n");
		return 2;
	}
	work_ns = (uint64_t)work_us * 1000;
	pure_mode = !strcmp(argv[4], "pure");
	res = calloc((size_t)count, sizeof(*res));
	if (!res) {
		fprintf(stderr, "cpuwork_target: out of memory\n");
		return 1;
	}
	target_ready(argc, argv, 6);
	period = 1000000000L / rate;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < count; i++) {
		if (i >= IN_FLIGHT)
			pthread_join(ring[i % IN_FLIGHT], NULL);
		err = pthread_create(&ring[i % IN_FLIGHT], NULL, cpuwork_worker, &res[i]);
		if (err) {
			fprintf(stderr, "cpuwork_target: pthread_create: %s\n", strerror(err));
			return 1;
		}
		add_ns(&next, period);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	for (i = count > IN_FLIGHT ? count - IN_FLIGHT : 0; i < count; i++)
		pthread_join(ring[i % IN_FLIGHT], NULL);
	for (i = 0; i < count; i++)
		if (res[i].err) {
			fprintf(stderr, "cpuwork_target: perf_event_open(task-clock) in a thread: %s (run as root or lower kernel.perf_event_paranoid)\n",
				strerror(res[i].err));
			return 1;
		}
	if (write_results(argv[5], res, count)) {
		fprintf(stderr, "cpuwork_target: cannot write %s: %s\n", argv[5], strerror(errno));
		return 1;
	}
	printf("done %ld\n", count);
	fflush(stdout);
	free(res);
	usleep(100000);          /* let the last exits reach the tracer */
	return 0;
}
