/* Unit tests for the group commit (groupcommit.c): every wait returns
 * after a flush that started after the caller's write, many callers share
 * few flushes, a failed flush fails its batch and every later wait, and a
 * batch's jobs run once, together, after a successful flush. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>
#include <cmocka.h>

#include "uploadd/store/groupcommit.h"

#define THREADS 16
#define ROUNDS  200

/* The "disk": writes are numbered; a flush makes durable every write
 * that happened before it started. */
struct disk {
	atomic_ulong written;   /* writes done */
	atomic_ulong durable;   /* writes a finished flush covered */
	atomic_uint flushes;
	atomic_int fail_next;   /* the next flush fails with -EIO */
	atomic_uint job_runs;   /* run() calls */
	atomic_uint jobs_run;   /* jobs those calls covered */
};

static int flush(void *arg)
{
	struct disk *d = arg;
	unsigned long covered = atomic_load(&d->written);
	struct timespec ts = { 0, 200 * 1000 };

	nanosleep(&ts, NULL); /* a flush takes time: others queue up */
	atomic_fetch_add(&d->flushes, 1);
	if (atomic_exchange(&d->fail_next, 0))
		return -EIO;
	/* Only ever moves forward: flushes do not overlap. */
	atomic_store(&d->durable, covered);
	return 0;
}

struct caller {
	struct gcommit *g;
	struct disk *d;
	int failures;
	int uncovered;
};

static void *writer(void *arg)
{
	struct caller *c = arg;

	for (int i = 0; i < ROUNDS; i++) {
		unsigned long mine = atomic_fetch_add(&c->d->written, 1) + 1;
		int err = gcommit_wait(c->g);

		if (err)
			c->failures++;
		else if (atomic_load(&c->d->durable) < mine)
			c->uncovered++;
	}
	return NULL;
}

static void test_every_wait_is_covered(void **state)
{
	struct disk d = { 0 };
	struct gcommit g;
	struct caller c[THREADS];
	pthread_t t[THREADS];
	uint64_t flushes, committed;

	(void)state;
	assert_int_equal(gcommit_init(&g, flush, &d), 0);
	for (int i = 0; i < THREADS; i++) {
		c[i] = (struct caller){ &g, &d, 0, 0 };
		pthread_create(&t[i], NULL, writer, &c[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].failures, 0);
		assert_int_equal(c[i].uncovered, 0);
	}
	gcommit_stats(&g, &flushes, &committed);
	assert_int_equal(committed, THREADS * ROUNDS);
	assert_int_equal(flushes, atomic_load(&d.flushes));
	/* Sixteen writers sharing flushes: far fewer flushes than waits. */
	assert_true(flushes < committed);
	gcommit_destroy(&g);
}

static void test_failure_is_sticky(void **state)
{
	struct disk d = { 0 };
	struct gcommit g;

	(void)state;
	assert_int_equal(gcommit_init(&g, flush, &d), 0);
	assert_int_equal(gcommit_wait(&g), 0);
	atomic_store(&d.fail_next, 1);
	assert_int_equal(gcommit_wait(&g), -EIO);
	/* The next flush would succeed, but the pages it lost are gone. */
	assert_int_equal(gcommit_wait(&g), -EIO);
	assert_int_equal(gcommit_error(&g), -EIO);
	assert_int_equal(atomic_load(&d.flushes), 2);
	gcommit_destroy(&g);
}

static struct disk *job_disk;

static void run_jobs(struct gcommit_job **jobs, size_t n)
{
	atomic_fetch_add(&job_disk->job_runs, 1);
	atomic_fetch_add(&job_disk->jobs_run, (unsigned)n);
	for (size_t i = 0; i < n; i++)
		assert_false(jobs[i]->ran);
}

static void *job_writer(void *arg)
{
	struct caller *c = arg;

	for (int i = 0; i < ROUNDS; i++) {
		struct gcommit_job job = { run_jobs, false };

		atomic_fetch_add(&c->d->written, 1);
		if (gcommit_wait_job(c->g, &job) != 0 || !job.ran)
			c->failures++;
	}
	return NULL;
}

static void test_jobs_run_once_per_batch(void **state)
{
	struct disk d = { 0 };
	struct gcommit g;
	struct caller c[THREADS];
	pthread_t t[THREADS];

	(void)state;
	job_disk = &d;
	assert_int_equal(gcommit_init(&g, flush, &d), 0);
	for (int i = 0; i < THREADS; i++) {
		c[i] = (struct caller){ &g, &d, 0, 0 };
		pthread_create(&t[i], NULL, job_writer, &c[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].failures, 0);
	}
	/* Every job ran exactly once, by its batch's leader. */
	assert_int_equal(atomic_load(&d.jobs_run), THREADS * ROUNDS);
	assert_true(atomic_load(&d.job_runs) <= atomic_load(&d.flushes));
	gcommit_destroy(&g);
}

static void test_failed_flush_runs_no_job(void **state)
{
	struct disk d = { 0 };
	struct gcommit g;
	struct gcommit_job job = { run_jobs, false };

	(void)state;
	job_disk = &d;
	assert_int_equal(gcommit_init(&g, flush, &d), 0);
	atomic_store(&d.fail_next, 1);
	assert_int_equal(gcommit_wait_job(&g, &job), -EIO);
	assert_false(job.ran);
	assert_int_equal(atomic_load(&d.job_runs), 0);
	gcommit_destroy(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_wait_is_covered),
		cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_jobs_run_once_per_batch),
		cmocka_unit_test(test_failed_flush_runs_no_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
