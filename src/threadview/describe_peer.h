/* Wording of waits that cross processes, shared by every output: what a
 * thread of another process is doing now ("stopped in epoll_wait fd 5,
 * 1.1s"), who holds the other end of a channel ("redis-server 15801 (fd
 * 8)"), what is queued on either side, and a wait-for chain on one line:
 *
 *   15873 "MHD-connection" (uploadd 15844) -> (tcp) ->
 *       15801 "redis-server" (redis-server 15801) -> (stopped, 1.1s)
 *
 * Pure: works on a snapshot whose peers the resolver filled. */
#ifndef THREADVIEW_DESCRIBE_PEER_H
#define THREADVIEW_DESCRIBE_PEER_H

#include <stddef.h>

#include "threadview/snapshot_model.h"

/* What t is doing now, with how long when it is off the CPU: its blocked
 * description (describe.h), "running on CPU 1", "stopped in read fd 3,
 * 2.0s", "zombie". Returns buf. */
char *ts_describe_doing(const struct ts_thread *t, char *buf, size_t len);

/* One word for a process from its threads in s: "stopped" or "traced"
 * when every live thread is, "exited" when all are gone, else "running"
 * when one runs, else "sleeping". Threads not in s count as unknown:
 * "unknown" when none is. */
const char *ts_proc_state(const struct ts_snapshot *s,
			  const struct ts_peer_proc *pp);

/* The name of process pid as s knows it: the target's comm, a holder's
 * comm, or its main thread's name; "?" when unknown. */
const char *ts_process_name(const struct ts_snapshot *s, pid_t pid);

/* "redis-server 15801 (fd 8)", with "pid 1 in its pid namespace" and
 * "socket in another network namespace" when so. Returns buf. */
char *ts_describe_peer_proc(const struct ts_peer_proc *pp, char *buf,
			    size_t len);

/* What is queued between t and its peer, from both ends: "57 B sent,
 * unread there", "pipe holds 65536 B, unread", "nothing queued either
 * way". Returns buf. */
char *ts_describe_queues(const struct ts_thread *t, char *buf, size_t len);

/* The headline of t's peer: "other end: redis-server 15801 (fd 8); 57 B
 * sent, unread there", "other end: 10.0.0.5:6379, held by no process on
 * this machine", "other end: not accepted yet by ...". Empty when t has
 * no peer. Returns buf. */
char *ts_describe_peer(const struct ts_thread *t, char *buf, size_t len);

/* How a chain or cycle ends (ts_describe_chain's end argument). */
enum ts_chain_end {
	TS_CHAIN_END,             /* the last thread's doing closes it */
	TS_CHAIN_INTO_CYCLE,      /* the last thread is on a deadlock cycle */
	TS_CHAIN_CYCLE,           /* tids are a cycle: back to tids[0] */
};

/* One line for the chain tids[0] -> ... -> tids[n-1] of s: each thread
 * with its process when the chain crosses processes, each edge with what
 * it goes through ("(tcp)", "(mutex)", "(join)"), then the end. Returns
 * buf (truncated to len). */
char *ts_describe_chain(const struct ts_snapshot *s, const pid_t *tids,
			size_t n, enum ts_chain_end end, char *buf, size_t len);

#endif
