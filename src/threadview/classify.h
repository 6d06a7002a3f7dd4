/* What a thread is blocked on, from its syscall, arguments, the user memory
 * BPF copied (futex word, mutex owner, timespec), its fd info and the
 * function names in its symbolized stack. Pure: unit tests feed it recorded
 * threads. */
#ifndef THREADVIEW_CLASSIFY_H
#define THREADVIEW_CLASSIFY_H

#include <stdint.h>

#include "threadview/snapshot_model.h"

/* Clocks at the snapshot, for the time left in absolute sleeps. */
struct ts_classify_clock {
	uint64_t mono_ns;
	uint64_t real_ns;
};

/* Fills t->blocked (kind, object, futex value, owner/join tid, remaining
 * time). Needs t->syscall_nr, args, umem, state and frames; keeps the fd
 * fields already decoded. Owner/join names are left to the wait graph
 * (waitgraph.h), which knows the other threads. */
void ts_classify(struct ts_thread *t, const struct ts_classify_clock *clk);

/* The futex kind implied by a stack: the innermost frame naming a known
 * glibc primitive decides. Returns TS_BLOCK_FUTEX when none does. */
enum ts_block_kind ts_futex_kind_from_stack(const struct ts_frame *frames,
					    int n);

#endif
