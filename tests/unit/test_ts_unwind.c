/* cmocka tests of src/threadview/unwind.c and symbolize.c with real libdw on
 * this very process: registers captured with getcontext() and a copy of the
 * stack above them are unwound exactly as BPF-captured ones are, and pcs
 * symbolize to the functions (and source lines) they are in. Also the pure
 * @GLIBC_ version stripping. No ptrace, as in taskscope. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "../lib/self_stack.h"
#include "threadview/symbolize.h"
#include "threadview/unwind.h"

#define NOINLINE __attribute__((noinline))
#define WINDOW 16384

static struct ts_user_regs regs;
static unsigned char stack_copy[WINDOW];
static uint64_t stack_addr;
static size_t stack_len;

/* Captures this thread's registers and the stack above them, like the
 * snapshot iterator does for a blocked thread. */
static NOINLINE void capture_here(void)
{
	self_stack_capture(&regs, &stack_addr, stack_copy, WINDOW, &stack_len);
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void outer_named_frame(void)
{
	capture_here();
	__asm__ volatile("" ::: "memory");
}

static bool stack_has(struct ts_unwinder *u, const uint64_t *pcs, int n,
		      const char *fn)
{
	struct ts_frame f;

	for (int i = 0; i < n; i++)
		if (!ts_symbolize(ts_unwinder_symbolizer(u), pcs[i], i > 0, &f) && f.function &&
		    !strcmp(f.function, fn))
			return true;
	return false;
}

static void test_unwind_copied_stack(void **state)
{
	struct ts_unwinder *u = ts_unwinder_new(getpid());
	enum ts_unwind_stop why;
	uint64_t pcs[64];
	bool truncated;
	int n;

	(void)state;
	assert_non_null(u);
	outer_named_frame();
	n = ts_unwind(u, (pid_t)syscall(SYS_gettid), &regs, stack_addr,
		      stack_copy, stack_len, pcs, 64, &truncated, &why);
	assert_true(n >= 4);
	assert_int_equal(pcs[0], regs.r[TS_REG_IP]);
	assert_true(stack_has(u, pcs, n, "outer_named_frame"));
	assert_true(stack_has(u, pcs, n, "test_unwind_copied_stack"));
	/* A window too small for the stack is reported, not silently cut. */
	n = ts_unwind(u, (pid_t)syscall(SYS_gettid), &regs, stack_addr,
		      stack_copy, 64, pcs, 64, &truncated, &why);
	assert_true(n >= 1);
	assert_true(truncated);
	assert_int_equal(why, TS_UNWIND_WINDOW);
	/* Room for two frames only. */
	n = ts_unwind(u, (pid_t)syscall(SYS_gettid), &regs, stack_addr,
		      stack_copy, stack_len, pcs, 2, &truncated, &why);
	assert_int_equal(n, 2);
	assert_true(truncated);
	assert_int_equal(why, TS_UNWIND_MAX_FRAMES);
	ts_unwinder_free(u);
}

/* A window starting at 0 and a stack pointer at the very top of the address
 * space: the bounds check must not let addr - window + 8 wrap to a small
 * offset (a fuzzed watch record did; UBSan saw the pointer overflow). Every
 * read is out of the window, so the walk stops there. */
static void test_unwind_window_no_wrap(void **state)
{
	struct ts_unwinder *u = ts_unwinder_new(getpid());
	struct ts_user_regs top;
	enum ts_unwind_stop why;
	uint64_t pcs[8];
	bool truncated;
	int n;

	(void)state;
	assert_non_null(u);
	outer_named_frame();
	for (uint64_t back = 1; back <= 64; back++) {
		top = regs;
		top.r[TS_REG_SP] = UINT64_MAX - back;
		top.r[TS_REG_BP] = UINT64_MAX - back;
		n = ts_unwind(u, (pid_t)syscall(SYS_gettid), &top, 0,
			      stack_copy, stack_len, pcs, 8, &truncated, &why);
		assert_true(n >= 1);
		assert_int_equal(pcs[0], regs.r[TS_REG_IP]);
	}
	ts_unwinder_free(u);
}

static void test_symbolize_function_and_line(void **state)
{
	struct ts_unwinder *u = ts_unwinder_new(getpid());
	uint64_t pc = (uint64_t)(uintptr_t)&outer_named_frame;
	struct ts_frame f, again;

	(void)state;
	assert_non_null(u);
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(u), pc + 1, false, &f), 0);
	assert_string_equal(f.function, "outer_named_frame");
	assert_int_equal(f.offset, 1);
	assert_non_null(f.file);
	assert_non_null(strstr(f.file, "test_ts_unwind.c"));
	assert_true(f.line > 0);
	/* Cached: the same strings come back. */
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(u), pc + 1, false, &again), 0);
	assert_ptr_equal(again.function, f.function);
	/* A libc function, named without its symbol version. */
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(u), (uint64_t)(uintptr_t)&getpid, false, &f), 0);
	assert_non_null(f.module);
	assert_non_null(strstr(f.module, "libc.so"));
	assert_non_null(f.function);
	assert_null(strchr(f.function, '@'));
	/* Nothing is mapped at page 0. */
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(u), 0x10, false, &f), -ENOENT);
	ts_unwinder_free(u);
}

/* A second session on the same modules (another process mapping the same
 * libc, as with snapshot --all) answers from the cache shared across
 * symbolizers: the same frame, its strings the very same (no second libdw
 * lookup), valid after the first session is gone; and the pc is this
 * session's. */
static void test_symbolize_shared_across_sessions(void **state)
{
	struct ts_unwinder *a = ts_unwinder_new(getpid()), *b;
	uint64_t pc = (uint64_t)(uintptr_t)&getpid;
	struct ts_frame fa, fb;

	(void)state;
	assert_non_null(a);
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(a), pc, false, &fa), 0);
	b = ts_unwinder_new(getpid());
	assert_non_null(b);
	assert_int_equal(ts_symbolize(ts_unwinder_symbolizer(b), pc, false, &fb), 0);
	/* Both alive: equal pointers can only be shared strings. */
	assert_ptr_equal(fb.function, fa.function);
	assert_ptr_equal(fb.module, fa.module);
	assert_int_equal(fb.offset, fa.offset);
	assert_int_equal(fb.pc, pc);
	ts_unwinder_free(a);
	/* Still valid without the first session (ASan would see otherwise). */
	assert_non_null(strstr(fb.module, "libc.so"));
	assert_true(fb.function[0] != '\0');
	ts_unwinder_free(b);
}

static void test_strip_symver(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(ts_strip_symver("pthread_cond_wait@@GLIBC_2.3.2", b,
					    sizeof(b)), "pthread_cond_wait");
	assert_string_equal(ts_strip_symver("read", b, sizeof(b)), "read");
	assert_string_equal(ts_strip_symver("a_very_long_function_name_indeed", b, 8),
			    "a_very_");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwind_copied_stack),
		cmocka_unit_test(test_unwind_window_no_wrap),
		cmocka_unit_test(test_symbolize_shared_across_sessions),
		cmocka_unit_test(test_symbolize_function_and_line),
		cmocka_unit_test(test_strip_symver),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
