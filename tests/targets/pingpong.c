/* Futex ping-pong benchmark target: two threads pass a turn back and forth
 * through one pthread mutex and one condition variable, N round trips.
 *
 * Every hand-over is a condition-variable wake of a thread that is asleep in
 * futex_wait, so each round trip is two context switches out to sleep, two
 * wakeups and two switches in: the worst case for anything hooked on the
 * scheduler. tools/bench/watch_overhead.sh runs it alone and with tracers
 * attached and compares the rates.
 *
 *   usage: pingpong [ROUND_TRIPS] [--wait-for-file PATH]
 * With --wait-for-file it prints "ready <pid>" and waits until PATH exists
 * before starting the clock, so a tracer can attach first. Prints one line:
 * "round_trips=N seconds=S rate=R cpu_ns_per_rt=C": R round trips per
 * second of wall time, and C ns of CPU time (user + system, both threads)
 * per round trip, which other load on the machine disturbs much less than
 * the rate: what a tracer adds to the target's own threads shows there.
 */
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn;              /* 0: ping's turn, 1: pong's turn */
static long round_trips = 1000000;

/* Waits for `me`'s turn, then hands the turn to the other side. */
static __attribute__((noinline)) void play(int me, long n)
{
	for (long i = 0; i < n; i++) {
		pthread_mutex_lock(&lock);
		while (turn != me)
			pthread_cond_wait(&cond, &lock);
		turn = !me;
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&lock);
	}
}

static __attribute__((noinline)) void *pong_main(void *arg)
{
	(void)arg;
	play(1, round_trips);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *wait_file = NULL;
	pthread_t pong;
	struct rusage ru;
	double t0, t1, cpu0, cpu;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--wait-for-file") && i + 1 < argc)
			wait_file = argv[++i];
		else if (atol(argv[i]) > 0)
			round_trips = atol(argv[i]);
		else {
			fprintf(stderr, "usage: pingpong [ROUND_TRIPS] [--wait-for-file PATH]\n");
			return 2;
		}
	}
	if (wait_file) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		while (access(wait_file, F_OK) != 0)
			usleep(10000);
	}
	pthread_setname_np(pthread_self(), "ping");
	getrusage(RUSAGE_SELF, &ru);
	cpu0 = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	t0 = now_s();
	if (pthread_create(&pong, NULL, pong_main, NULL) != 0) {
		perror("pingpong: pthread_create");
		return 1;
	}
	pthread_setname_np(pong, "pong");
	play(0, round_trips);
	pthread_join(pong, NULL);
	t1 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 - cpu0;
	printf("round_trips=%ld seconds=%.3f rate=%.0f cpu_ns_per_rt=%.0f\n",
	       round_trips, t1 - t0, round_trips / (t1 - t0),
	       cpu * 1e9 / round_trips);
	return 0;
}
