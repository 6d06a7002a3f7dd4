/* Test target for the CPU time taskscope snapshot reports for a thread that
 * is running during the pass: one thread ("spinner") computes without
 * pause and keeps a record of its own CPU time against the monotonic
 * clock, so a test can tell what its CPU time was at the moment of a pass.
 *
 *   usage: cpuspin_target MANIFEST [CPU]
 *
 * The record is a ring of {mono_ns, cpu_ns, anchor_ns} samples (u64
 * each) after a header {next, slots} (u64 each; next counts the samples
 * written) in a memfd, which the manifest names as a /proc path
 * ("samples"); stop the process (SIGSTOP, until the spinner's state is T)
 * before reading it so the ring holds still. The memfd is memory, touched
 * before sampling starts: a store to a file page could fault into the
 * filesystem mid-work (ext4 under /tmp here: 150 us once), time the kernel
 * counts and a sample cannot. MANIFEST gets {"pid", "spinner_tid", "samples", "slots"} once
 * sampling runs. The main thread then sleeps until killed.
 *
 * With CPU, the spinner is pinned there (a test runs taskscope on another
 * CPU, so the pass finds the spinner on its CPU rather than preempted by
 * the reader's wakeup).
 *
 * The spinner must not let the scheduler account it often, or there is
 * nothing to get wrong: reading CLOCK_THREAD_CPUTIME_ID does
 * (update_curr), so it reads that clock only every ANCHOR_NS of CPU, and
 * in between adds a perf task-clock counter's progress (read(2) of a perf
 * counter accounts nothing in the scheduler). perf's clock also runs while
 * the hypervisor steals the CPU, the kernel's does not: each sample
 * carries its span's anchor, so a reader sees at the next anchor how far
 * perf ran ahead in that span (up to 150 us of a 1 ms span on a busy host
 * here). The monotonic clock comes from the vDSO: no system call. */
#include <errno.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target_util.h"

#define SLOTS (1u << 20)            /* ~2 s of samples */
#define ANCHOR_NS 1000000ull        /* CPU time between clock reads */

struct ring {
	uint64_t next, slots;
	struct {
		uint64_t mono_ns;    /* when (vDSO, CLOCK_MONOTONIC) */
		uint64_t cpu_ns;     /* anchor_ns + task-clock since */
		uint64_t anchor_ns;  /* CLOCK_THREAD_CPUTIME_ID at the
				      * span's start: exact */
	} s[];
};

static struct ring *ring;
static volatile pid_t spinner_tid;
static volatile uint64_t sink;

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t mix(uint64_t h)
{
	for (int i = 0; i < 512; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 29;
	}
	return h;
}

static uint64_t perf_read(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		tu_die("read of the perf counter");
	return v;
}

__attribute__((noinline)) void *spinner_main(void *arg)
{
	struct perf_event_attr a;
	uint64_t anchor_cpu, anchor_perf, p, h = 1;
	int fd;

	(void)arg;
	memset(&a, 0, sizeof(a));
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof(a);
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		tu_die("perf_event_open(task-clock) (run as root)");
	spinner_tid = tu_gettid();
	for (;;) {
		anchor_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		anchor_perf = perf_read(fd);
		do {
			uint64_t i = ring->next;

			h = mix(h);
			p = perf_read(fd);
			ring->s[i % SLOTS].mono_ns = clock_ns(CLOCK_MONOTONIC);
			ring->s[i % SLOTS].cpu_ns = anchor_cpu + (p - anchor_perf);
			ring->s[i % SLOTS].anchor_ns = anchor_cpu;
			__atomic_store_n(&ring->next, i + 1, __ATOMIC_RELEASE);
		} while (p - anchor_perf < ANCHOR_NS);
		sink = h;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	size_t size = sizeof(struct ring) + SLOTS * sizeof(ring->s[0]);
	struct tu_manifest m;
	pthread_t t;
	int fd;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: cpuspin_target MANIFEST [CPU]\n");
		return 2;
	}
	fd = memfd_create("cpuspin-samples", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size))
		tu_die("creating the samples memfd");
	ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED)
		tu_die("mmap of the samples memfd");
	memset(ring, 0, size);        /* every page present before sampling */
	ring->slots = SLOTS;
	if (pthread_create(&t, NULL, spinner_main, NULL))
		tu_die("pthread_create");
	if (argc == 3) {
		cpu_set_t set;
		int err;

		CPU_ZERO(&set);
		CPU_SET(atoi(argv[2]), &set);
		err = pthread_setaffinity_np(t, sizeof(set), &set);
		if (err) {
			errno = err;
			tu_die("pinning the spinner");
		}
	}
	pthread_setname_np(t, "spinner");
	while (__atomic_load_n(&ring->next, __ATOMIC_ACQUIRE) < 1000)
		usleep(1000);
	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"spinner_tid\": %d, "
		  "\"samples\": \"/proc/%d/fd/%d\", \"slots\": %u}\n",
		  (int)getpid(), (int)spinner_tid, (int)getpid(), fd, SLOTS);
	tu_manifest_write(&m, argv[1]);
	for (;;)
		pause();
}
