/* libFuzzer target: the DWARF unwinder (unwind.c) and symbolizer
 * (symbolize.c) on copied registers and stack bytes, as taskscope gets them
 * from BPF: real libdw, real CFI, on this fuzzer's own process maps.
 *
 * At start-up the target captures its own registers and the top of its
 * stack inside a chain of named functions (as the snapshot iterator copies
 * a blocked thread), so unwinding starts from a state that goes deep. Each
 * input then damages that state: registers replaced, nudged or swapped,
 * the window cut short or moved, stack bytes overwritten, or the whole
 * window replaced by the input. That is what a racing or hostile target
 * can hand the unwinder (a thread running while its stack is copied, a
 * smashed stack, a stack pointer into nowhere).
 *
 * Input: [mode][register edits][window edits][stack patches or bytes].
 * Checked: 1..max pcs, the first is the ip; "truncated" exactly when the
 * stop reason is not "complete"; symbolized names are C strings. */
#include <errno.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../lib/self_stack.h"
#include "fuzz_util.h"
#include "threadview/symbolize.h"
#include "threadview/unwind.h"

#define NOINLINE __attribute__((noinline))
#define WINDOW 16384
#define MAX_PCS 64
#define RENEW_EVERY 4096   /* bound the symbol cache: a fresh unwinder */

static struct ts_user_regs base_regs;
static unsigned char base_stack[WINDOW];
static uint64_t base_addr;
static size_t base_len;
static struct ts_unwinder *unwinder;
static unsigned runs;
static pid_t tid;

static NOINLINE void capture(void)
{
	self_stack_capture(&base_regs, &base_addr, base_stack, WINDOW, &base_len);
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void blocked_inner(void)
{
	capture();
	__asm__ volatile("" ::: "memory");
}

static NOINLINE void blocked_outer(void)
{
	blocked_inner();
	__asm__ volatile("" ::: "memory");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	blocked_outer();
	tid = (pid_t)syscall(SYS_gettid);
	unwinder = ts_unwinder_new(getpid());
	if (!unwinder || base_len < 64) {
		fprintf(stderr, "fuzz_unwind: cannot set up (%s)\n", strerror(errno));
		exit(1);
	}
	return 0;
}

static void edit_regs(struct fz *in, struct ts_user_regs *regs)
{
	unsigned edits = fz_u8(in) % 5;

	for (unsigned e = 0; e < edits; e++) {
		unsigned idx = fz_u8(in) % TS_REG_COUNT, how = fz_u8(in) % 3;
		uint64_t v = fz_u64(in);

		if (how == 0)
			regs->r[idx] = v;
		else if (how == 1)
			regs->r[idx] += (uint64_t)(int64_t)(int16_t)v;
		else
			regs->r[idx] = base_regs.r[v % TS_REG_COUNT];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char stack[WINDOW];
	struct fz in = { data, size };
	struct ts_user_regs regs = base_regs;
	unsigned mode = fz_u8(&in);
	uint64_t pcs[MAX_PCS], addr = base_addr;
	size_t len = base_len;
	enum ts_unwind_stop why = TS_UNWIND_COMPLETE;
	bool truncated = false;
	int n;

	if (++runs % RENEW_EVERY == 0) {
		ts_unwinder_free(unwinder);
		unwinder = ts_unwinder_new(getpid());
		FZ_ASSERT(unwinder != NULL);
	}
	edit_regs(&in, &regs);
	if (mode & 1)
		len = fz_u16(&in) % (base_len + 1);
	if (mode & 2)
		addr += (uint64_t)(int64_t)(int16_t)fz_u16(&in);
	if (mode & 4) {
		/* The window is the input itself. */
		const uint8_t *p = fz_take(&in, WINDOW, &len);

		memcpy(stack, p, len);
	} else {
		memcpy(stack, base_stack, base_len);
		while (in.n >= 3 && len > 0) {
			size_t off = fz_u16(&in) % len;

			stack[off] = fz_u8(&in);
		}
	}
	n = ts_unwind(unwinder, (mode & 8) ? tid + 1 : tid, &regs, addr,
		      (mode & 16) ? NULL : stack, len, pcs, 1 + (int)(mode >> 5) * 9,
		      &truncated, &why);
	FZ_ASSERT(n >= 1 && n <= 1 + (int)(mode >> 5) * 9);
	FZ_SAY("unwind: %d pcs, %s\n", n, ts_unwind_stop_str(why));
	FZ_ASSERT(pcs[0] == regs.r[TS_REG_IP]);
	FZ_ASSERT(why >= TS_UNWIND_COMPLETE && why <= TS_UNWIND_ERROR);
	FZ_ASSERT(truncated == (why != TS_UNWIND_COMPLETE));
	FZ_ASSERT(ts_unwind_stop_str(why) != NULL);
	for (int i = 0; i < n; i++) {
		struct ts_frame f;
		int rc = ts_symbolize(ts_unwinder_symbolizer(unwinder), pcs[i], i > 0, &f);

		FZ_ASSERT(rc == 0 || rc == -ENOENT);
		FZ_ASSERT(f.pc == pcs[i]);
		if (f.function)
			FZ_ASSERT(strlen(f.function) < 65536);
		if (f.module)
			FZ_ASSERT(strlen(f.module) < 65536);
		if (f.file)
			FZ_ASSERT(strlen(f.file) < 65536);
	}
	return 0;
}
