/* Bounded fan-out chunk queue (see chunkq.h). */
#include "uploadd/pipeline/chunkq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uploadd/pipeline/sparepool.h"

/* Recycled slot buffers (sparepool.h). */
static void buf_free(void *buf, size_t size)
{
	(void)size;
	free(buf);
}

static struct sparepool spare_bufs = SPAREPOOL_INIT(buf_free);

static char *buf_get(size_t size)
{
	char *buf = sparepool_get(&spare_bufs, size);

	return buf ? buf : malloc(size);
}

static void buf_put(char *buf, size_t size)
{
	sparepool_put(&spare_bufs, buf, size);
}

void chunkq_release_spares(void)
{
	sparepool_drain(&spare_bufs);
}

int chunkq_init(struct chunkq *q, unsigned nslots, size_t slot_size,
		unsigned nreaders)
{
	if (nslots == 0 || slot_size == 0 || nreaders == 0 ||
	    nreaders > CHUNKQ_MAX_READERS)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->slots = calloc(nslots, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	q->nslots = nslots;
	q->slot_size = slot_size;
	q->nreaders = nreaders;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->space, NULL);
	pthread_cond_init(&q->data, NULL);
	return 0;
}

void chunkq_destroy(struct chunkq *q)
{
	if (!q->slots)
		return;
	for (unsigned i = 0; i < q->nslots; i++)
		if (q->slots[i].buf)
			buf_put(q->slots[i].buf, q->slot_size);
	free(q->slots);
	q->slots = NULL;
	pthread_cond_destroy(&q->data);
	pthread_cond_destroy(&q->space);
	pthread_mutex_destroy(&q->lock);
}

/* The slowest reader's position: slots before it are free. */
static uint64_t chunkq_min_tail(const struct chunkq *q)
{
	uint64_t m = q->tail[0];

	for (unsigned r = 1; r < q->nreaders; r++)
		if (q->tail[r] < m)
			m = q->tail[r];
	return m;
}

char *chunkq_acquire(struct chunkq *q)
{
	struct chunkq_slot *s;
	char *buf = NULL;

	pthread_mutex_lock(&q->lock);
	while (!q->error && q->head - chunkq_min_tail(q) >= q->nslots)
		pthread_cond_wait(&q->space, &q->lock);
	if (q->error) {
		errno = -q->error;
		goto unlock;
	}
	s = &q->slots[q->head % q->nslots];
	if (!s->buf) {
		s->buf = buf_get(q->slot_size);
		if (!s->buf) {
			errno = ENOMEM;
			goto unlock;
		}
	}
	q->filling = true;
	buf = s->buf;
unlock:
	pthread_mutex_unlock(&q->lock);
	return buf;
}

void chunkq_publish(struct chunkq *q, size_t len)
{
	pthread_mutex_lock(&q->lock);
	if (q->filling) {
		q->slots[q->head % q->nslots].len = len;
		q->head++;
		q->filling = false;
		pthread_cond_broadcast(&q->data);
	}
	pthread_mutex_unlock(&q->lock);
}

void chunkq_close(struct chunkq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	pthread_cond_broadcast(&q->data);
	pthread_mutex_unlock(&q->lock);
}

void chunkq_abort(struct chunkq *q, int error)
{
	pthread_mutex_lock(&q->lock);
	if (!q->error)
		q->error = error < 0 ? error : -ECANCELED;
	pthread_cond_broadcast(&q->data);
	pthread_cond_broadcast(&q->space);
	pthread_mutex_unlock(&q->lock);
}

int chunkq_error(struct chunkq *q)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = q->error;
	pthread_mutex_unlock(&q->lock);
	return err;
}

int chunkq_next(struct chunkq *q, unsigned r, const char **data, size_t *len)
{
	int ret;

	pthread_mutex_lock(&q->lock);
	while (!q->error && q->tail[r] == q->head && !q->closed)
		pthread_cond_wait(&q->data, &q->lock);
	if (q->error) {
		ret = q->error;
	} else if (q->tail[r] == q->head) {
		ret = 0; /* closed and drained */
	} else {
		const struct chunkq_slot *s = &q->slots[q->tail[r] % q->nslots];

		*data = s->buf;
		*len = s->len;
		ret = 1;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

void chunkq_release(struct chunkq *q, unsigned r)
{
	pthread_mutex_lock(&q->lock);
	if (q->tail[r] < q->head) {
		q->tail[r]++;
		/* One producer, so a signal suffices. Only the slowest
		 * reader's release frees a slot; signalling on every release
		 * costs nothing when nobody waits. */
		pthread_cond_signal(&q->space);
	}
	pthread_mutex_unlock(&q->lock);
}
