/* A process-wide, mutex-guarded stack of idle items of one size, for the
 * buffers and thread stacks uploadd reuses between uploads instead of
 * returning them to the allocator and asking again (chunkq.c's slot
 * buffers, stackpool.c's thread stacks).
 *
 * The pool remembers the size of the items it holds; an item of another
 * size is not kept (put) or given (get), so a size change (a new
 * --chunk-size, say) drains the old items out rather than mixing them.
 */
#ifndef UPLOADD_SPAREPOOL_H
#define UPLOADD_SPAREPOOL_H

#include <pthread.h>
#include <stddef.h>

#define SPAREPOOL_MAX 64u             /* idle items kept at most */

struct sparepool {
	pthread_mutex_t lock;
	void *items[SPAREPOOL_MAX];
	unsigned n;
	size_t size;                  /* of every item held */
	void (*destroy)(void *item, size_t size);
};

/* Static initializer: struct sparepool p = SPAREPOOL_INIT(free_fn); */
#define SPAREPOOL_INIT(destroy_fn) \
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .destroy = (destroy_fn) }

/* An idle item of size bytes, or NULL when there is none (the caller then
 * makes one). Any thread. */
void *sparepool_get(struct sparepool *p, size_t size);

/* Keeps item (of size bytes) for a later get, or destroys it when the pool
 * is full or holds another size. NULL is ignored. Any thread. */
void sparepool_put(struct sparepool *p, void *item, size_t size);

/* Destroys every idle item. At shutdown, after the last user. */
void sparepool_drain(struct sparepool *p);

#endif
