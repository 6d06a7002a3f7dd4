/* Who holds the other end of a process's socket, pipe or FIFO, from the
 * indexed records (xproc_table.h): the peer of a TCP connection (the
 * socket with the swapped address pair) or of a unix socket (its peer
 * pointer), the other ends of a pipe (the same inode opened the other way
 * round), a listener when the connection is not accepted yet, the senders
 * connected to a datagram socket; what is queued there; and, once the
 * holders' threads are known, which of them could unblock the waiter.
 * Pure. */
#ifndef TASKSCOPE_XPROC_MATCH_H
#define TASKSCOPE_XPROC_MATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "threadview/snapshot_model.h"
#include "taskscope/xproc/xproc_table.h"

/* The peer of fd of process pid, for a thread that waits to read (or
 * write, when writes) on it. Holders are listed with their fd and
 * namespaces; their threads are left for ts_xp_rank. Returns a new peer
 * (the caller owns it: ts_peer_free), or NULL when fd is no TCP or unix
 * socket, pipe or FIFO (or is a listening socket), or on ENOMEM. */
struct ts_peer *ts_xp_match(const struct ts_xp_table *t, pid_t pid, int fd,
			    bool writes);

/* Fills each holder's tids with its threads found in s (s->threads and
 * s->others, sorted), likeliest to unblock the waiter first: blocked on
 * the very object of the other end (p->other_obj), then waiting in an
 * event loop (epoll, poll, select), then blocked on another channel, then
 * running, then the rest; the main thread first among equals. The waiter
 * itself is never a candidate. Orders the holders by their best thread
 * (the waiter's own process last among equals) and sets p->next_tid to
 * the first one's. Returns 0 or -ENOMEM. */
int ts_xp_rank(const struct ts_xp_table *t, const struct ts_snapshot *s,
	       const struct ts_thread *waiter, struct ts_peer *p);

#endif
