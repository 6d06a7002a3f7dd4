/* Decoding of the snapshot iterator's records (include/taskscope_abi.h) into
 * struct ts_thread: record framing and validation, scheduler state, and
 * turning the scheduler clock into durations. Pure: no I/O, unit-tested on
 * recorded records. */
#ifndef TASKSCOPE_SNAPSHOT_DECODE_H
#define TASKSCOPE_SNAPSHOT_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "taskscope_abi.h"
#include "threadview/snapshot_model.h"

/* Splits buf (len bytes) into records: *recs gets a malloc'd array of *n
 * pointers into buf (caller frees the array, buf stays owned by the
 * caller). Returns 0, -EPROTO for a malformed or foreign-ABI record, or
 * -ENOMEM. */
int ts_decode_records(const unsigned char *buf, size_t len,
		      const struct ts_snap_thread ***recs, size_t *n);

/* The kernel stack (count in *n) and user stack bytes behind a record. */
const uint64_t *ts_rec_kstack(const struct ts_snap_thread *r, int *n);
const void *ts_rec_ustack(const struct ts_snap_thread *r);

/* Estimates (scheduler clock - CLOCK_MONOTONIC) in ns. Each record pairs
 * the scheduler-clock time the reading thread last got the CPU with
 * bpf_ktime_get_ns() read later; the reader sleeps just before reading, so
 * the largest difference over all records (the first record after it was
 * switched in) is off by microseconds, and it can only err low, which makes
 * off-CPU times err short, never long. Returns 0 for no records. */
int64_t ts_sched_clock_offset(const struct ts_snap_thread *const *recs,
			      size_t n);

/* Scheduler state from task->__state, exit_state and on_cpu (the model's
 * ts_task_state, kept under this name for the decoder's callers). */
enum ts_sched_state ts_decode_state(uint32_t state, uint32_t exit_state,
				    bool on_cpu);

/* Fills t from r: ids, name, state, CPU time (for a thread running during
 * the pass, up to the pass), off-CPU time, syscall and its arguments, raw
 * user memory and fd info for classification. Frames and blocked_on are
 * left empty. sched_offset: from ts_sched_clock_offset. */
void ts_decode_thread(const struct ts_snap_thread *r, int64_t sched_offset,
		      struct ts_thread *t);

#endif
