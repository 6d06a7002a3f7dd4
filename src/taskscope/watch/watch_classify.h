/* What a watched wait was on, in snapshot's terms and words: builds the
 * struct ts_thread snapshot's classifier takes from a wait record plus its
 * frames, runs ts_classify() and ts_describe_blocked(), and adds what only
 * a watch knows (the waker: a mutex's previous holder, an exiting joined
 * thread). Pure: unit-tested on recorded waits. Any thread. */
#ifndef TASKSCOPE_WATCH_CLASSIFY_H
#define TASKSCOPE_WATCH_CLASSIFY_H

#include "taskscope/watch/watch_threads.h"
#include "taskscope/watch/watch_view.h"

/* Fills v's wait fields (kind, object, owner, syscall, what, fd_*) for the
 * wait event v->ev, whose user stack is frames[0..n) (may be just the
 * syscall's ip, or nothing). Names come from threads (may be NULL). */
void watch_classify_wait(struct wev_view *v, const struct ts_frame *frames,
			 int n, struct wthreads *threads);

#endif
