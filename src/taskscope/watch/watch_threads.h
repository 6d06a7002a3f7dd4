/* The threads a watch has seen: names (for wakers and owners), start
 * routines, lifetimes, kernel totals and the longest reported waits, for the
 * per-thread summary. Keyed by tid. Main thread only. */
#ifndef TASKSCOPE_WATCH_THREADS_H
#define TASKSCOPE_WATCH_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope/watch/watch_event.h"

#define WTHREAD_TOP 3                /* longest waits kept per thread */

struct wtop {
	uint64_t dur_ns;
	char what[96];
};

struct wthread {
	pid_t tid;
	char name[WEV_NAME_LEN];
	pid_t parent_tid;            /* 0: not seen created */
	uint64_t created_ns;         /* creation seen at (monotonic), or 0 */
	uint64_t start_ns;           /* task start time, 0: unknown yet */
	uint64_t end_ns;             /* exit time (monotonic), 0: alive */
	uint64_t cpu_ns;
	uint64_t run_delay_ns;       /* runnable but waiting for a CPU */
	int32_t exit_code;
	bool exited;
	bool has_totals;
	char *start_routine;         /* symbol (owned), or NULL */
	struct ts_thread_totals tot; /* from the kernel, waits >= min-block */
	uint64_t reported_ns;        /* waits reported as events */
	uint32_t reported;
	struct wtop top[WTHREAD_TOP];
};

struct wthreads {
	void *root;                  /* tsearch tree of struct wthread */
	size_t n;
};

/* Returns thread tid, created (zeroed, tid set) when create is true and it
 * is new; NULL if absent or out of memory. */
struct wthread *wthreads_get(struct wthreads *ts, pid_t tid, bool create);

/* The last known name of tid, or NULL. */
const char *wthreads_name(struct wthreads *ts, pid_t tid);

/* Sets t's start routine symbol (copied). */
void wthread_set_start_routine(struct wthread *t, const char *sym);

/* Counts a reported wait of dur_ns described by what, keeping the
 * WTHREAD_TOP longest. */
void wthread_add_wait(struct wthread *t, uint64_t dur_ns, const char *what);

/* t's time asleep in all its waits, short ones too: lifetime (to end_ns
 * if alive) - CPU time - run delay, from the scheduler's accounting; when
 * that is unknown, the sum of the reported waits. */
uint64_t wthread_blocked_ns(const struct wthread *t, uint64_t end_ns);

/* The number of threads not (yet) seen exit. */
size_t wthreads_alive(const struct wthreads *ts);

/* Sum of t's waits of at least min-block, over all classes. */
uint64_t wthread_reported_ns(const struct wthread *t);

/* All threads in a malloc'd array (caller frees the array, not the
 * threads), sorted by blocked time up to end_ns, longest first, then tid.
 * NULL with *n = 0 when empty or out of memory. */
struct wthread **wthreads_sorted(struct wthreads *ts, uint64_t end_ns,
				 size_t *n);

/* Frees every thread. */
void wthreads_free(struct wthreads *ts);

#endif
