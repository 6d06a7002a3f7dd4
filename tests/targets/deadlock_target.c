/* Test target for taskscope's deadlock report: two threads take two
 * mutexes in opposite order and deadlock for good. Writes a JSON manifest
 * (the two tids and mutex addresses) to argv[1] once both are stuck.
 *
 *   usage: deadlock_target MANIFEST_PATH
 */
#include <pthread.h>
#include <stdio.h>

#include "target_util.h"

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t m1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static volatile pid_t tid_a, tid_b;

static NOINLINE void deadlock_take_second(pthread_mutex_t *first,
					  pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	/* Both hold their first lock before either asks for the second. */
	pthread_barrier_wait(&both_hold_one);
	pthread_mutex_lock(second);
	__asm__ volatile("" ::: "memory");
}

static void *thread_a(void *arg)
{
	(void)arg;
	tid_a = tu_gettid();
	deadlock_take_second(&m1, &m2);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	tid_b = tu_gettid();
	deadlock_take_second(&m2, &m1);
	return NULL;
}

int main(int argc, char **argv)
{
	struct tu_manifest m;
	pthread_t a, b;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MANIFEST_PATH\n", argv[0]);
		return 2;
	}
	pthread_barrier_init(&both_hold_one, NULL, 2);
	if (pthread_create(&a, NULL, thread_a, NULL) ||
	    pthread_create(&b, NULL, thread_b, NULL))
		tu_die("pthread_create");
	pthread_setname_np(a, "dl-a");
	pthread_setname_np(b, "dl-b");
	while (!tid_a || !tid_b)
		usleep(1000);
	tu_wait_asleep(tid_a);
	tu_wait_asleep(tid_b);
	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"tid_a\": %d, \"tid_b\": %d, "
		  "\"m1\": \"%p\", \"m2\": \"%p\", "
		  "\"function\": \"deadlock_take_second\"}\n",
		  getpid(), tid_a, tid_b, (void *)&m1, (void *)&m2);
	tu_manifest_write(&m, argv[1]);
	pthread_join(a, NULL);
	return 0;
}
