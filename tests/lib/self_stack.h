/* Test helper shared by the unwinder's unit test and its fuzzer: captures
 * the calling thread's registers and the top of its stack the way the
 * snapshot iterator copies a blocked thread's (registers in DWARF order,
 * bytes from sp up to the end of the stack mapping, at most max bytes), so
 * real libdw unwinds a real stack of this process with no ptrace.
 * Header-only: each test binary gets its own copy. */
#ifndef TESTS_SELF_STACK_H
#define TESTS_SELF_STACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ucontext.h>

#include "taskscope_abi.h"

/* End of the mapping holding addr (what bpf_find_vma gives the BPF side). */
static inline uint64_t self_mapping_end(uint64_t addr)
{
	unsigned long lo, hi, end = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi)
			end = hi;
	if (f)
		fclose(f);
	return end;
}

/* Copies live stack bytes, other frames' ASan redzones included: the
 * kernel's copy of a target's stack sees them too, and they are no bug. */
__attribute__((no_sanitize_address)) static inline void
self_copy_stack(unsigned char *dst, uint64_t src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = ((const volatile unsigned char *)(uintptr_t)src)[i];
}

/* Captures this thread's registers into *regs and up to max bytes of its
 * stack into buf; *addr is the stack pointer, *len the bytes copied. */
static __attribute__((noinline)) void
self_stack_capture(struct ts_user_regs *regs, uint64_t *addr,
		   unsigned char *buf, size_t max, size_t *len)
{
	static const int map[TS_REG_COUNT] = {
		[TS_REG_AX] = REG_RAX, [TS_REG_DX] = REG_RDX, [TS_REG_CX] = REG_RCX,
		[TS_REG_BX] = REG_RBX, [TS_REG_SI] = REG_RSI, [TS_REG_DI] = REG_RDI,
		[TS_REG_BP] = REG_RBP, [TS_REG_SP] = REG_RSP, [TS_REG_R8] = REG_R8,
		[TS_REG_R9] = REG_R9, [TS_REG_R10] = REG_R10, [TS_REG_R11] = REG_R11,
		[TS_REG_R12] = REG_R12, [TS_REG_R13] = REG_R13,
		[TS_REG_R14] = REG_R14, [TS_REG_R15] = REG_R15,
		[TS_REG_IP] = REG_RIP,
	};
	ucontext_t uc;
	const greg_t *g = uc.uc_mcontext.gregs;

	getcontext(&uc);
	for (int i = 0; i < TS_REG_COUNT; i++)
		regs->r[i] = (uint64_t)g[map[i]];
	*addr = (uint64_t)g[REG_RSP];
	*len = self_mapping_end(*addr) - *addr;
	if (*len > max)
		*len = max;
	self_copy_stack(buf, *addr, *len);
	__asm__ volatile("" ::: "memory");
}

#endif
