/* The xproc iterators' records (xproc_collect.h) indexed for the questions
 * the resolver asks: which object is fd F of process P, who holds object O
 * and how (read or write end), which socket is the TCP peer of S, which
 * listener would accept it, which unix sockets are connected to U, and
 * which threads process P has. Pure: unit tests build tables from
 * hand-made records. */
#ifndef TASKSCOPE_XPROC_TABLE_H
#define TASKSCOPE_XPROC_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"

struct ts_xp_table {
	const struct ts_xp_file **files;   /* by (tgid, fd) */
	const struct ts_xp_file **by_obj;  /* by (obj, tgid, fd) */
	size_t nfiles;
	const struct ts_xp_sock **socks;   /* by obj, one per socket */
	size_t nsocks;
	const struct ts_xp_sock **tcp;     /* TCP, by (netns, local, remote) */
	size_t ntcp;
	const struct ts_xp_sock **by_peer; /* unix sockets with a peer, by peer */
	size_t nby_peer;
	const struct ts_xp_task **tasks;   /* by (tgid, tid) */
	size_t ntasks;
};

/* Indexes the records in buf (len bytes; not copied: buf must outlive t).
 * Returns 0, -EPROTO for a malformed record, or -ENOMEM. */
int ts_xp_table_build(struct ts_xp_table *t, const unsigned char *buf,
		      size_t len);

/* Adds the task records in buf (len bytes, only ts_xp_task records; not
 * copied: buf must outlive t) to t. Returns 0, -EPROTO or -ENOMEM. */
int ts_xp_table_add_tasks(struct ts_xp_table *t, const unsigned char *buf,
			  size_t len);

/* Frees the indexes (not the records). Safe on a zeroed table. */
void ts_xp_table_free(struct ts_xp_table *t);

/* Process pid's fd, or NULL when it is no socket, pipe or FIFO (or was
 * closed since). */
const struct ts_xp_file *ts_xp_file_of(const struct ts_xp_table *t, pid_t pid,
				       int fd);

/* The files on object obj: *first is the index of the first in
 * t->by_obj; returns how many. */
size_t ts_xp_holders(const struct ts_xp_table *t, uint64_t obj, size_t *first);

/* The socket with identity obj, or NULL. */
const struct ts_xp_sock *ts_xp_sock_of(const struct ts_xp_table *t,
				       uint64_t obj);

/* The other end of TCP socket s: the socket whose local address is s's
 * remote one and the other way round, in s's network namespace, or in any
 * namespace when the addresses are not loopback ones (a container on a
 * veth pair sees the same pair of addresses). NULL when none is here. */
const struct ts_xp_sock *ts_xp_tcp_peer(const struct ts_xp_table *t,
					const struct ts_xp_sock *s);

/* The TCP listener that a connection with local end s (held by nobody
 * yet) came in through: same namespace and port, same address or a
 * wildcard one. NULL when none. */
const struct ts_xp_sock *ts_xp_tcp_listener(const struct ts_xp_table *t,
					    const struct ts_xp_sock *s);

/* The unix listener bound to address addr (ts_xp_sock.addr), or NULL. */
const struct ts_xp_sock *ts_xp_unix_listener(const struct ts_xp_table *t,
					     uint64_t addr);

/* Unix sockets whose peer is obj (datagram senders connected to it):
 * *first indexes t->by_peer; returns how many. */
size_t ts_xp_connected_to(const struct ts_xp_table *t, uint64_t obj,
			  size_t *first);

/* Process pid's threads: *first indexes t->tasks; returns how many. */
size_t ts_xp_tasks_of(const struct ts_xp_table *t, pid_t pid, size_t *first);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104: addresses that mean
 * "this network namespace". */
int ts_xp_is_loopback(uint16_t family, const uint8_t addr[16]);

#endif
