/* What goroutines wait on, where the runtime records it: the channel of a
 * channel operation or select (g.waiting -> sudog.c), the semaphore of a
 * sync.Mutex/RWMutex/WaitGroup wait (the runtime's semtable: a treap of
 * sudogs per bucket, keyed by address), the fd of an IO wait (the poll
 * descriptors the netpoller registered with epoll, found through
 * /proc/PID/fdinfo of its epoll fd, whose rg/wg hold the waiting g).
 * Reads go through the BPF reader's GATHER passes. Best effort: what
 * cannot be read stays unknown. Not thread-safe. */
#ifndef TASKSCOPE_GO_WAITS_H
#define TASKSCOPE_GO_WAITS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope/go/go_binary.h"
#include "taskscope/go/go_collect.h"
#include "threadview/goroutine.h"

/* Fills gs[i].wait for the n goroutines; waiting[i] is gs[i]'s g.waiting. */
void ts_go_waits(pid_t pid, const struct ts_go_binary *bin,
		 struct ts_go_reader *rd, struct ts_goroutine *gs,
		 const uint64_t *waiting, size_t n);

/* "tcp 127.0.0.1:5000 -> 127.0.0.1:41234", "pipe", "unix", a path...
 * for fd of pid, from /proc (malloc'd, or NULL). */
char *ts_go_fd_desc(pid_t pid, int fd);

#endif
