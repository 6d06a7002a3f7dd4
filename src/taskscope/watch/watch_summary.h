/* The end-of-watch report: per-thread summary (lifetime, blocked time by
 * class, longest waits) and taskscope's own cost (events, losses per CPU,
 * BPF time per event), as text or as the final JSON Lines object. Pure
 * formatting: unit-tested. Main thread. */
#ifndef TASKSCOPE_WATCH_SUMMARY_H
#define TASKSCOPE_WATCH_SUMMARY_H

#include <stdio.h>

#include "taskscope/watch/watch_bpf.h"
#include "threadview/snapshot_model.h"
#include "taskscope/watch/watch_threads.h"

struct watch_summary {
	pid_t pid;
	uint64_t start_ns, end_ns;   /* CLOCK_MONOTONIC */
	const char *end_reason;      /* "target exited", "duration", "signal" */
	uint64_t events;             /* records received */
	uint64_t bad_records;        /* records that did not decode */
	const struct watch_cost *cost;   /* NULL: unavailable */
	struct wthreads *threads;
	size_t text_max_threads;     /* text lists at most this many */
	const char *kernel_release;  /* uname -r; NULL: unknown */
	struct ts_kernel_feature features[TS_KERNEL_FEATURES_MAX];
	size_t nfeatures;            /* optional kernel facilities, in use
				      * or not */
};

void watch_summary_text(FILE *f, const struct watch_summary *s);

/* Writes {"type":"summary",...} and a newline. */
void watch_summary_json(FILE *f, const struct watch_summary *s);

/* A thread's lifetime as far as the watch knows: start to exit, or to
 * end_ns when it is still alive; 0 when its start is unknown. */
uint64_t watch_thread_lifetime(const struct wthread *t, uint64_t end_ns);

#endif
