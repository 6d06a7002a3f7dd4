/* Unit tests for the recycled thread stacks (stackpool.c): a stack is
 * mapped and writable, has a PROT_NONE guard page below it, carries a real
 * thread (pthread_attr_setstack) whose locals lie inside it, comes back
 * from the pool after stackpool_put, and is unmapped when the pool is full
 * or released. Mappings are checked with the kernel: msync() fails with
 * ENOMEM on an unmapped range, and /proc/self/maps gives permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "uploadd/pipeline/stackpool.h"

static bool mapped(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == 0;
}

/* The permissions ("rw-p", "---p") of the mapping holding addr. */
static void perms_at(const void *addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	uintptr_t a = (uintptr_t)addr, lo, hi;
	char line[512];

	strcpy(out, "none");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, out) == 3 &&
		    a >= lo && a < hi)
			break;
		else
			strcpy(out, "none");
	if (f)
		fclose(f);
}

static void test_stack_mapped_with_guard(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *s = stackpool_get();
	char perms[5];

	(void)state;
	assert_non_null(s);
	memset(s, 0xa5, STACKPOOL_STACK); /* all of it is writable */
	perms_at(s - page, perms);
	assert_string_equal(perms, "---p");
	perms_at(s, perms);
	assert_string_equal(perms, "rw-p");
	stackpool_put(s);
	stackpool_release();
	assert_false(mapped(s, STACKPOOL_STACK));
}

static void *where_main(void *arg)
{
	int local = 1;

	*(uintptr_t *)arg = (uintptr_t)&local;
	return NULL;
}

static void test_thread_runs_on_it_and_recycles(void **state)
{
	char *s = stackpool_get();
	uintptr_t where = 0;
	pthread_attr_t attr;
	pthread_t t;

	(void)state;
	assert_non_null(s);
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstack(&attr, s, STACKPOOL_STACK), 0);
	assert_int_equal(pthread_create(&t, &attr, where_main, &where), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	assert_true(where >= (uintptr_t)s &&
		    where < (uintptr_t)s + STACKPOOL_STACK);
	/* Joined: it goes back, and is the next one handed out. */
	stackpool_put(s);
	assert_ptr_equal(stackpool_get(), s);
	assert_true(mapped(s, STACKPOOL_STACK));
	stackpool_put(s);
	stackpool_release();
}

static void test_full_pool_unmaps(void **state)
{
	void *s[STACKPOOL_SPARES + 1];

	(void)state;
	for (unsigned i = 0; i <= STACKPOOL_SPARES; i++) {
		s[i] = stackpool_get();
		assert_non_null(s[i]);
	}
	for (unsigned i = 0; i <= STACKPOOL_SPARES; i++)
		stackpool_put(s[i]);
	/* The first STACKPOOL_SPARES are kept, the last one is not. */
	assert_true(mapped(s[0], STACKPOOL_STACK));
	assert_false(mapped(s[STACKPOOL_SPARES], STACKPOOL_STACK));
	stackpool_release();
	for (unsigned i = 0; i < STACKPOOL_SPARES; i++)
		assert_false(mapped(s[i], STACKPOOL_STACK));
	stackpool_put(NULL); /* a no-op, as after a failed start */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_mapped_with_guard),
		cmocka_unit_test(test_thread_runs_on_it_and_recycles),
		cmocka_unit_test(test_full_pool_unmaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
