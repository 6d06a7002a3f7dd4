/* `taskscope watch --pprof FILE`: an off-CPU profile of the watched
 * process, built while events stream in (pprof.h): one sample per
 * reported wait (at least --min-block long), its stack at the start of the
 * wait, values blocked nanoseconds and 1 (sample types blocked/nanoseconds
 * and waits/count), labels saying which thread waited on what and who
 * woke it. Written atomically when the watch ends. Main thread. */
#ifndef TASKSCOPE_PPROF_WATCH_H
#define TASKSCOPE_PPROF_WATCH_H

#include <stdint.h>
#include <sys/types.h>

#include "taskscope/watch/watch_view.h"
#include "threadview/pprof.h"

/* An empty off-CPU profile of process pid (its executable first among the
 * mappings), or NULL with errno set. Free with ts_pprof_free(). */
struct ts_pprof *ts_pprof_watch_new(pid_t pid);

/* Adds v when it is a finished wait (TS_WEV_WAIT); other events (and
 * "stuck" reports, whose wait ends later as a wait event) are ignored.
 * Returns 0 or -ENOMEM (then the profile refuses to be written). */
int ts_pprof_watch_add(struct ts_pprof *p, const struct wev_view *v);

/* Writes the profile to path atomically, stamped with the watch's start
 * (CLOCK_MONOTONIC start_mono_ns, turned into wall time) and length, and a
 * comment naming pid, comm and the --min-block filter. Returns 0 or
 * -errno. */
struct ts_go_event;

/* A goroutine park (watch --goroutine-waits) as a sample: its parked
 * nanoseconds and 1, the stack [start function, the function with the go
 * statement] (a park has no stack of its own in the probes), labels
 * goroutine, wait (the runtime's reason), woken_by_goroutine. Other
 * goroutine events are not samples. Returns 0 or -ENOMEM. */
int ts_pprof_watch_add_go(struct ts_pprof *p, const char *exe,
			  const struct ts_go_event *ev);

int ts_pprof_watch_write(struct ts_pprof *p, const char *path, pid_t pid,
			 const char *comm, uint64_t start_mono_ns,
			 uint64_t min_block_ns);

#endif
