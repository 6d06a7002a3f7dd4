/* Turns the iterator's raw records into a finished struct ts_snapshot:
 * decode, DWARF-unwind and symbolize each thread's copied stack (one
 * unwinder per process), name fds from /proc, symbolize kernel stacks,
 * classify what each thread waits on and build the wait-for graph.
 * Main thread only. */
#ifndef TASKSCOPE_SNAPSHOT_BUILD_H
#define TASKSCOPE_SNAPSHOT_BUILD_H

#include <stdbool.h>

#include "taskscope/snapshot/snapshot_collect.h"
#include "threadview/snapshot_model.h"

struct ts_snapshot_builder;

struct ts_unwinder;

/* Builds s (zeroed by the caller, pid/comm set) from raw. Frames point into
 * the builder's symbol caches: keep the builder until s is printed, then
 * ts_snapshot_builder_free() and ts_snapshot_free(). warm: an unwinder
 * already made (and prewarmed) for process s->pid, or NULL; the builder
 * takes it over in every case. Returns the builder, or NULL with errno set
 * (EPROTO: malformed records; ENOMEM). */
struct ts_snapshot_builder *ts_snapshot_build(const struct ts_collect_result *raw,
					      bool kernel_stacks,
					      struct ts_unwinder *warm,
					      struct ts_snapshot *s);

/* Frees the unwinders and symbol caches. NULL is a no-op. */
void ts_snapshot_builder_free(struct ts_snapshot_builder *b);

#endif
