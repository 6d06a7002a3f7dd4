/* Group commit: one flush covers every caller that reached the commit
 * point while the previous flush ran, as a database does with its log.
 *
 * A caller whose writes have completed calls gcommit_wait(). If no flush is
 * running, it becomes the leader: it takes every caller queued so far
 * (itself included) as one batch, runs the flush function once for all of
 * them, hands each the result and wakes it. Callers that arrive while a
 * flush runs queue up for the next one, which the first of them leads,
 * woken by the previous leader. So at most one flush runs at a time, a
 * flush never waits for more callers (no added latency when the server is
 * idle), and under load the batches grow by themselves to whatever
 * arrived during one flush.
 *
 * What a flush covers: every write that completed before the caller
 * queued, because the leader takes the queue before it starts the flush.
 *
 * A failed flush is sticky: after an fdatasync error the kernel may have
 * dropped the dirty pages it could not write and a later fdatasync can
 * succeed without them, so every later wait fails with the same error and
 * the owner must stop writing to what this commits (a new segment).
 *
 * One mutex for the queue and a semaphore per waiter; no I/O of its own
 * (the flush function does it), so unit tests drive it with plain
 * threads.
 */
#ifndef UPLOADD_GROUPCOMMIT_H
#define UPLOADD_GROUPCOMMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gcommit_waiter;

#define GCOMMIT_JOBS_MAX 64 /* jobs run() gets at once, at most */

/* Work a leader runs for its whole batch once the flush succeeded, before
 * it wakes anyone: uploadd's metadata commits, one Redis round trip for
 * every upload the flush covered (upload.c). run() is the same for every
 * job of a batch (jobs with another run() are run in their own call). */
struct gcommit_job {
	void (*run)(struct gcommit_job **jobs, size_t n);
	bool ran;                     /* set when run() covered it */
};

struct gcommit {
	pthread_mutex_t lock;
	struct gcommit_waiter *queue;  /* waiting for the next flush */
	struct gcommit_waiter **tail;
	bool flushing;                /* a leader is in flush() */
	int error;                    /* sticky -errno of a failed flush */
	int (*flush)(void *arg);      /* returns 0 or -errno */
	void *arg;
	uint64_t flushes;             /* flushes run */
	uint64_t committed;           /* callers those flushes covered */
};

/* Sets up g to run flush(arg) for each batch. Returns 0 or -errno. */
int gcommit_init(struct gcommit *g, int (*flush)(void *arg), void *arg);

/* Frees g. No caller may be waiting. */
void gcommit_destroy(struct gcommit *g);

/* Blocks until a flush that started after this call began has completed,
 * possibly running it (the leader). Call only once the writes it must
 * cover have returned. Returns 0 (covered and durable) or the flush's
 * -errno, also for every call after a failed flush. Any thread. */
int gcommit_wait(struct gcommit *g);

/* gcommit_wait, and when the flush succeeded, job (if not NULL) is run
 * with the rest of the batch's jobs by the leader before this returns
 * (job->ran then true). */
int gcommit_wait_job(struct gcommit *g, struct gcommit_job *job);

/* The sticky error, 0 while every flush succeeded. Any thread. */
int gcommit_error(struct gcommit *g);

/* Flushes run and callers covered so far (for metrics). Any thread. */
void gcommit_stats(struct gcommit *g, uint64_t *flushes, uint64_t *committed);

#endif
