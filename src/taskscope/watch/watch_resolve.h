/* Turns decoded watch events into views (watch_view.h): symbolizes start
 * routines, unwinds the stacks BPF copied (snapshot's DWARF unwinder, no
 * ptrace) or at least symbolizes the syscall's ip, and classifies waits.
 * Keeps the thread table (watch_threads.h) up to date as events pass.
 * Main thread only. */
#ifndef TASKSCOPE_WATCH_RESOLVE_H
#define TASKSCOPE_WATCH_RESOLVE_H

#include <stdint.h>
#include <sys/types.h>

#include "taskscope/watch/watch_threads.h"
#include "taskscope/watch/watch_view.h"

struct watch_resolver;

/* Creates a resolver for process pid whose events count time from t0_ns
 * (CLOCK_MONOTONIC). threads is not owned. Without a usable unwinder
 * (process gone, unreadable maps) symbols are simply missing. Returns NULL
 * with errno set when out of memory; the caller frees it. */
struct watch_resolver *watch_resolver_new(pid_t pid, uint64_t t0_ns,
					  struct wthreads *threads);

void watch_resolver_free(struct watch_resolver *r);

/* Sets the time (CLOCK_MONOTONIC) view times count from. */
void watch_resolver_set_t0(struct watch_resolver *r, uint64_t t0_ns);

/* Fills v for ev (v->ev = ev) and updates the thread table. v points into
 * r and ev: valid until the next call. */
void watch_resolve(struct watch_resolver *r, const struct wev *ev,
		   struct wev_view *v);

#endif
