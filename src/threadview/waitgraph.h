/* The wait-for graph of a snapshot: which thread waits for which (a mutex
 * or rwlock owner, a joined thread, and across processes the thread that
 * holds the other end of a socket or pipe, ts_peer.next_tid), the owners'
 * names, the chains of waits and the deadlock cycles. Pure: runs on
 * classified threads (classify.h) and resolved peers. */
#ifndef THREADVIEW_WAITGRAPH_H
#define THREADVIEW_WAITGRAPH_H

#include "threadview/snapshot_model.h"

/* Builds s->edges, s->cycles and s->chains from the blocked_on of
 * s->threads and s->others (the other processes' threads the resolver
 * added), and fills owner_name/join_name. Each thread waits for at most
 * one other, so every cycle is found by following edges. A stopped,
 * traced or exited thread waits for nothing across a channel: it is where
 * a chain ends. Chains start at a thread of s->threads nobody waits for.
 * Returns 0 or -ENOMEM (s is left with whatever was built). Frees earlier
 * results. */
int ts_waitgraph_build(struct ts_snapshot *s);

/* What ts_waitgraph_build made (edges, cycles, chains) is freed by
 * ts_snapshot_free, or alone by ts_snapshot_free_graph (snapshot_model.h)
 * for a snapshot whose threads the caller owns otherwise. */

/* The path of waits from thread tid: out[0] = tid, then whom it waits
 * for, and so on, at most max threads. Stops at a thread that waits for
 * nobody the graph knows, or when the next thread is already on the path
 * (*cycle_at is then its index, else -1). Needs no ts_waitgraph_build.
 * Returns the number of threads written (0 when tid is not in s). */
size_t ts_waitgraph_path(const struct ts_snapshot *s, pid_t tid, pid_t *out,
			 size_t max, long *cycle_at);

/* True when t can make no progress of its own: stopped (SIGSTOP), traced
 * (a debugger holds it) or exited. */
bool ts_thread_halted(const struct ts_thread *t);

#endif
