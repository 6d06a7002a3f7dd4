/* Idle items kept for reuse (see sparepool.h). */
#include "uploadd/pipeline/sparepool.h"

void *sparepool_get(struct sparepool *p, size_t size)
{
	void *item = NULL;

	pthread_mutex_lock(&p->lock);
	if (p->n > 0 && p->size == size)
		item = p->items[--p->n];
	pthread_mutex_unlock(&p->lock);
	return item;
}

void sparepool_put(struct sparepool *p, void *item, size_t size)
{
	if (!item)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->n == 0)
		p->size = size;
	if (p->n < SPAREPOOL_MAX && p->size == size) {
		p->items[p->n++] = item;
		item = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (item)
		p->destroy(item, size);
}

void sparepool_drain(struct sparepool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->n > 0) {
		p->n--;
		p->destroy(p->items[p->n], p->size);
	}
	pthread_mutex_unlock(&p->lock);
}
