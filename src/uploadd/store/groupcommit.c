/* Group commit: leader/follower batching of flushes (see groupcommit.h). */
#include "uploadd/store/groupcommit.h"

#include <errno.h>
#include <stddef.h>

/* One caller, on its own stack: queued, then handed its batch's result. */
struct gcommit_waiter {
	struct gcommit_waiter *next;
	int result;
	bool done;
};

int gcommit_init(struct gcommit *g, int (*flush)(void *arg), void *arg)
{
	int err = pthread_mutex_init(&g->lock, NULL);

	if (err)
		return -err;
	err = pthread_cond_init(&g->done, NULL);
	if (err) {
		pthread_mutex_destroy(&g->lock);
		return -err;
	}
	g->queue = NULL;
	g->tail = &g->queue;
	g->flushing = false;
	g->error = 0;
	g->flush = flush;
	g->arg = arg;
	g->flushes = g->committed = 0;
	return 0;
}

void gcommit_destroy(struct gcommit *g)
{
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->lock);
}

/* Leader: runs one flush for the queued batch, lock held on entry and
 * exit (dropped during the flush, so others can queue for the next). */
static void gcommit_lead(struct gcommit *g)
{
	struct gcommit_waiter *batch = g->queue, *w;
	uint64_t n = 0;
	int err;

	g->queue = NULL;
	g->tail = &g->queue;
	g->flushing = true;
	pthread_mutex_unlock(&g->lock);
	err = g->flush(g->arg);
	pthread_mutex_lock(&g->lock);
	if (err && !g->error)
		g->error = err < 0 ? err : -EIO;
	for (w = batch; w; w = w->next, n++) {
		w->result = g->error;
		w->done = true;
	}
	g->flushing = false;
	g->flushes++;
	g->committed += n;
	pthread_cond_broadcast(&g->done);
}

int gcommit_wait(struct gcommit *g)
{
	struct gcommit_waiter me = { NULL, 0, false };

	pthread_mutex_lock(&g->lock);
	if (g->error) {
		me.result = g->error;
		pthread_mutex_unlock(&g->lock);
		return me.result;
	}
	*g->tail = &me;
	g->tail = &me.next;
	while (!me.done) {
		if (!g->flushing)
			gcommit_lead(g);
		else
			pthread_cond_wait(&g->done, &g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return me.result;
}

int gcommit_error(struct gcommit *g)
{
	int err;

	pthread_mutex_lock(&g->lock);
	err = g->error;
	pthread_mutex_unlock(&g->lock);
	return err;
}

void gcommit_stats(struct gcommit *g, uint64_t *flushes, uint64_t *committed)
{
	pthread_mutex_lock(&g->lock);
	*flushes = g->flushes;
	*committed = g->committed;
	pthread_mutex_unlock(&g->lock);
}
