/* Recycled thread stacks (see stackpool.h). */
#include "uploadd/pipeline/stackpool.h"

#include <sys/mman.h>
#include <unistd.h>

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

static void stack_destroy(void *stack, size_t size)
{
	(void)size;
	stack_unmap(stack);
}

static struct sparepool spare_stacks = SPAREPOOL_INIT(stack_destroy);

void *stackpool_get(void)
{
	void *stack = sparepool_get(&spare_stacks, STACKPOOL_STACK);

	return stack ? stack : stack_map();
}

void stackpool_put(void *stack)
{
	sparepool_put(&spare_stacks, stack, STACKPOOL_STACK);
}

void stackpool_release(void)
{
	sparepool_drain(&spare_stacks);
}
