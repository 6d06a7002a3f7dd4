/* One watch event with everything user space resolved about it (start
 * routine symbol, what a wait was on, its unwound stack), ready for the
 * text, JSON and trace outputs. Filled by watch_resolve.c, printed by
 * watch_format.c; plain data so unit tests build views by hand. */
#ifndef TASKSCOPE_WATCH_VIEW_H
#define TASKSCOPE_WATCH_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope/watch/watch_event.h"
#include "threadview/snapshot_model.h"
#include "threadview/symbolize.h"

/* Where a stuck wait on a socket or pipe leads across processes
 * (watch_chain.h): the threads of its wait-for chain and one line. */
#define WEV_CHAIN_MAX 16

struct wev_chain {
	size_t n;                    /* threads in tids/pids, >= 1 */
	pid_t tids[WEV_CHAIN_MAX], pids[WEV_CHAIN_MAX];
	bool deadlock;               /* it comes back to a thread on it */
	char end_state[16];          /* the last thread's state ("stopped") */
	char end[256];               /* what the last thread is doing */
	char text[1024];             /* threadview/describe_peer.h's line */
};

struct wev_view {
	const struct wev *ev;
	uint64_t t_ns;               /* since the watch started */
	const char *start_routine;   /* create/exit: symbol, or NULL */
	const char *parent_name;     /* create: the creator's name, or NULL */
	/* Waits: classified as snapshot does (classify.h), and described
	 * in its words ("futex: mutex 0x.. held by 4240 \"up-hash\""). */
	enum ts_block_kind kind;
	uint64_t object;             /* futex address (lock object) or fd */
	pid_t owner_tid;             /* mutex holder / joined thread, or 0 */
	const char *owner_name;
	const char *syscall;         /* syscall name, or NULL */
	char what[256];
	char fd_local[64], fd_peer[64];   /* sockets: "127.0.0.1:5555" */
	const char *fd_type;         /* "tcp", "pipe", ... or NULL */
	const struct ts_frame *frames;    /* user stack, innermost first */
	int nframes;
	const char *stack_note;      /* why the stack is incomplete, or NULL */
	/* The name of the waker's process when it is another process than
	 * the watched one (cross-process wakeups), or NULL. */
	const char *waker_process;
	const struct wev_chain *chain;   /* --stuck on a channel, or NULL */
};

#endif
