/* Test target for taskscope watch: thread "holder" takes a mutex, lets
 * thread "waiter" block on it, holds it for HOLD_MS and unlocks, which
 * wakes the waiter: watch must report the waiter's wait as about HOLD_MS on
 * a mutex, woken by the holder.
 *
 *   usage: mutexhold_target HOLD_MS MANIFEST [--wait-for-file PATH]
 * Writes "holder_tid=N waiter_tid=N hold_ms=N" to MANIFEST (atomically),
 * then does it once, then exits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target_sync.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready;
static long hold_ms;
static pid_t holder_tid, waiter_tid;

static __attribute__((noinline)) void *holder_main(void *arg)
{
	struct timespec d;

	(void)arg;
	holder_tid = (pid_t)syscall(SYS_gettid);
	pthread_mutex_lock(&lock);
	pthread_barrier_wait(&ready);
	d.tv_sec = hold_ms / 1000;
	d.tv_nsec = hold_ms % 1000 * 1000000L;
	nanosleep(&d, NULL);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static __attribute__((noinline)) void *waiter_main(void *arg)
{
	(void)arg;
	waiter_tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&ready);
	pthread_mutex_lock(&lock);     /* blocks about hold_ms */
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t h, w;

	if (argc < 3 || (hold_ms = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: mutexhold_target HOLD_MS MANIFEST [--wait-for-file PATH]\n");
		return 2;
	}
	target_ready(argc, argv, 3);
	pthread_barrier_init(&ready, NULL, 3);
	pthread_create(&h, NULL, holder_main, NULL);
	pthread_setname_np(h, "holder");
	pthread_create(&w, NULL, waiter_main, NULL);
	pthread_setname_np(w, "waiter");
	pthread_barrier_wait(&ready);
	if (target_manifest(argv[2], "holder_tid=%d waiter_tid=%d hold_ms=%ld\n",
			    (int)holder_tid, (int)waiter_tid, hold_ms))
		return 1;
	pthread_join(h, NULL);
	pthread_join(w, NULL);
	usleep(100000);
	return 0;
}
