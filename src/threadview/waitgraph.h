/* The wait-for graph of a snapshot: which thread waits for which (a mutex
 * or rwlock owner, a joined thread), the owners' names, and deadlock
 * cycles. Pure: runs on classified threads (classify.h). */
#ifndef THREADVIEW_WAITGRAPH_H
#define THREADVIEW_WAITGRAPH_H

#include "threadview/snapshot_model.h"

/* Builds s->edges and s->cycles from the threads' blocked_on, and fills
 * owner_name/join_name from the threads of s. Each thread waits for at
 * most one other, so every cycle is found by following edges. Returns 0 or
 * -ENOMEM (s is left with whatever was built). Frees earlier results. */
int ts_waitgraph_build(struct ts_snapshot *s);

#endif
