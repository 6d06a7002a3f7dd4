/* The cross-process chain of a stuck wait (taskscope watch --stuck): when
 * a thread has been blocked on a socket, pipe or FIFO past the threshold,
 * the cross-process resolver (taskscope/xproc/) reads who holds the other
 * end and what that process's threads are doing, and the wait-for chain
 * from the stuck thread goes into its report. The resolver's BPF
 * iterators are loaded at the first such report and kept until the end.
 * Main thread only. */
#ifndef TASKSCOPE_WATCH_CHAIN_H
#define TASKSCOPE_WATCH_CHAIN_H

#include <stdbool.h>

#include "taskscope/watch/watch_view.h"

struct watch_chains;

/* Returns a new, empty chain finder, or NULL when out of memory. */
struct watch_chains *watch_chains_new(void);

/* Unloads what it loaded. NULL is fine. */
void watch_chains_free(struct watch_chains *wc);

/* True when v (a resolved stuck wait) is a wait on a channel whose other
 * end the resolver can look for. */
bool watch_chain_wanted(const struct wev_view *v);

/* Fills out with the chain from v's thread: its process read from the
 * kernel now, peers resolved. Returns 0, -ENOENT when the thread leads
 * nowhere the resolver can follow (no peer), or -errno (the iterators
 * could not be loaded: said once on stderr). */
int watch_chain_of(struct watch_chains *wc, const struct wev_view *v,
		   struct wev_chain *out);

#endif
