/* Recycled thread stacks (see stackpool.h). */
#include "uploadd/stackpool.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static void *spares[STACKPOOL_SPARES];
static unsigned nspares;

/* The guard page's size: one page, below the stack. */
static size_t guard_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Maps guard + stack; returns the stack's lowest address or NULL. */
static void *stack_map(void)
{
	size_t guard = guard_size();
	char *m = mmap(NULL, guard + STACKPOOL_STACK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	if (mprotect(m, guard, PROT_NONE) < 0) {
		munmap(m, guard + STACKPOOL_STACK);
		return NULL;
	}
	return m + guard;
}

static void stack_unmap(void *stack)
{
	size_t guard = guard_size();

	munmap((char *)stack - guard, guard + STACKPOOL_STACK);
}

void *stackpool_get(void)
{
	void *stack = NULL;

	pthread_mutex_lock(&pool_lock);
	if (nspares > 0)
		stack = spares[--nspares];
	pthread_mutex_unlock(&pool_lock);
	return stack ? stack : stack_map();
}

void stackpool_put(void *stack)
{
	if (!stack)
		return;
	pthread_mutex_lock(&pool_lock);
	if (nspares < STACKPOOL_SPARES) {
		spares[nspares++] = stack;
		stack = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (stack)
		stack_unmap(stack);
}

void stackpool_release(void)
{
	pthread_mutex_lock(&pool_lock);
	while (nspares > 0)
		stack_unmap(spares[--nspares]);
	pthread_mutex_unlock(&pool_lock);
}
