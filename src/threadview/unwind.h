/* DWARF (CFI) unwinding of another process's threads from copied state:
 * registers and a window of stack bytes captured by BPF, no ptrace, the
 * target never stops. One ts_unwinder per process: it owns a ts_symbolizer
 * (symbolize.h: the process's modules from /proc/PID/maps, read once, and
 * the symbol cache) and uses those modules' CFI for every thread.
 *
 * Shared by `taskscope snapshot` and `taskscope watch --stacks`. Not
 * thread-safe: use one unwinder per thread, or a lock around it. */
#ifndef THREADVIEW_UNWIND_H
#define THREADVIEW_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"

struct ts_unwinder;
struct ts_symbolizer;

/* Why an unwind stopped early (ts_unwind's *why when truncated). */
enum ts_unwind_stop {
	TS_UNWIND_COMPLETE = 0,   /* reached the outermost frame */
	TS_UNWIND_WINDOW,         /* needed stack bytes beyond the copied window */
	TS_UNWIND_MAX_FRAMES,     /* the pcs array was full */
	TS_UNWIND_NO_CFI,         /* a pc with no module or no CFI for it */
	TS_UNWIND_ERROR,          /* libdw gave up (bad registers or stack) */
};

/* Creates an unwinder for process pid: reads /proc/PID/maps and the ELF
 * files it maps. Returns NULL with errno set on failure (ESRCH: process
 * gone). The caller owns the result: ts_unwinder_free(). */
struct ts_unwinder *ts_unwinder_new(pid_t pid);

/* Loads every module's symbol table, unwind tables and debug info now
 * (libc's separate debug info alone takes ~0.1 s to decompress), so later
 * ts_unwind/ts_symbolize calls are fast. May run on another thread while
 * nothing else uses u, e.g. while the BPF pass runs. Returns 0 (modules
 * without debug info are not an error). */
int ts_unwinder_prewarm(struct ts_unwinder *u);

/* Frees the unwinder and its symbolizer (every string a ts_frame got from
 * ts_symbolize goes with it). NULL is a no-op. */
void ts_unwinder_free(struct ts_unwinder *u);

/* Unwinds thread tid from regs (as saved on kernel entry) and the copied
 * stack bytes [stack_addr, stack_addr + len). Writes up to max pcs, the
 * first being regs->r[TS_REG_IP]; every later one is a return address.
 * *truncated is set when the stack goes on beyond what could be unwound,
 * *why (may be NULL) says why. Returns the number of pcs (>= 1), or
 * -EINVAL for bad arguments. */
int ts_unwind(struct ts_unwinder *u, pid_t tid, const struct ts_user_regs *regs,
	      uint64_t stack_addr, const void *stack, size_t len, uint64_t *pcs,
	      int max, bool *truncated, enum ts_unwind_stop *why);

/* Short text for why (e.g. "stack window too small"). */
const char *ts_unwind_stop_str(enum ts_unwind_stop why);

/* The symbolizer u owns: symbolize the pcs ts_unwind gave with it. */
struct ts_symbolizer *ts_unwinder_symbolizer(struct ts_unwinder *u);

#endif
