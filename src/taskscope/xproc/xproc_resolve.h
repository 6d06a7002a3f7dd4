/* The cross-process resolver: for every thread of a snapshot blocked on a
 * socket, pipe or FIFO, who holds the other end (xproc_match.h) and what
 * that process's threads are doing; the holders' threads join the
 * snapshot as s->others (without stacks) and their own waits are followed
 * the same way, process after process, so the wait-for graph
 * (threadview/waitgraph.h) runs across processes: chains and deadlock
 * cycles included. Used by `taskscope snapshot` (every run) and by
 * `taskscope watch --stuck` (the chain of a stuck wait). Main thread only. */
#ifndef TASKSCOPE_XPROC_RESOLVE_H
#define TASKSCOPE_XPROC_RESOLVE_H

#include <stdbool.h>
#include <sys/types.h>

#include "threadview/snapshot_model.h"
#include "taskscope/xproc/xproc_collect.h"

/* Hops followed from the target's processes, and other processes whose
 * threads are read at most (a server with thousands of clients): holders
 * beyond are named, their threads not read. */
#define TS_XP_MAX_DEPTH 8
#define TS_XP_MAX_PROCS 256

struct ts_xp_stats {
	double load_ms, pass_ms, match_ms;
	size_t files, socks, tasks;  /* records read */
	size_t peers;                /* threads whose other end was found */
	size_t procs;                /* other processes whose threads were added */
};

/* True when a thread of s waits on a socket, pipe or FIFO, whose other
 * end the resolver may find in another process; without one, loading its
 * iterators (13-40 ms of verifier CPU here) would buy nothing. */
bool ts_xproc_needed(const struct ts_snapshot *s);

/* Resolves the peers of s's threads (classified, sorted: what
 * ts_snapshot_build leaves) with session x, adds the other processes'
 * threads to s->others, and rebuilds s's wait-for graph. With s->pid 0
 * (--all) every process is already in s and no thread is added. Returns
 * 0 or -errno (s keeps what it had; its graph is rebuilt either way). */
int ts_xproc_resolve(struct ts_xp_session *x, struct ts_snapshot *s,
		     struct ts_xp_stats *st);

/* A snapshot of process pid made from the xproc pass alone (its threads
 * without stacks), resolved as above: what watch reads when a wait is
 * stuck. s is zeroed first; free it with ts_snapshot_free. Returns 0,
 * -ESRCH when pid has no thread, or -errno. */
int ts_xproc_snapshot(struct ts_xp_session *x, pid_t pid,
		      struct ts_snapshot *s);

#endif
