/* Test target for taskscope watch: creates N short-lived threads at a fixed
 * rate, each running the start routine shortlived_worker for about 200 us,
 * then exits. The watch tests check that every creation and exit is seen,
 * with that start routine and a lifetime near 200 us.
 *
 *   usage: shortlived_target COUNT RATE_PER_S [--wait-for-file PATH]
 * Prints "ready PID" first; with --wait-for-file it starts only once PATH
 * exists, so a tracer can attach first. Prints "done COUNT" at the end. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "target_sync.h"

#define LIFETIME_NS 200000L
#define IN_FLIGHT 256            /* threads not yet joined, at most */

static void add_ns(struct timespec *t, long ns)
{
	t->tv_nsec += ns;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

/* The start routine the watch must report: lives ~200 us, then returns. */
__attribute__((noinline)) void *shortlived_worker(void *arg)
{
	struct timespec d = { 0, LIFETIME_NS };

	(void)arg;
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, &d) == EINTR)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	static pthread_t ring[IN_FLIGHT];
	long count, rate, i, period;
	struct timespec next;
	int err;

	if (argc < 3 || (count = atol(argv[1])) <= 0 || (rate = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: shortlived_target COUNT RATE_PER_S [--wait-for-file PATH]\n");
		return 2;
	}
	target_ready(argc, argv, 3);
	period = 1000000000L / rate;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (i = 0; i < count; i++) {
		if (i >= IN_FLIGHT)
			pthread_join(ring[i % IN_FLIGHT], NULL);
		err = pthread_create(&ring[i % IN_FLIGHT], NULL, shortlived_worker, NULL);
		if (err) {
			fprintf(stderr, "shortlived_target: pthread_create: %s\n", strerror(err));
			return 1;
		}
		add_ns(&next, period);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	for (i = count > IN_FLIGHT ? count - IN_FLIGHT : 0; i < count; i++)
		pthread_join(ring[i % IN_FLIGHT], NULL);
	printf("done %ld\n", count);
	fflush(stdout);
	usleep(100000);          /* let the last exits reach the tracer */
	return 0;
}
