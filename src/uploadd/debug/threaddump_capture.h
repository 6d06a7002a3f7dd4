/* Stacks captured by each thread itself, for /debug/threads.
 *
 * A thread cannot read another thread's registers, so the dumping thread
 * asks: it sends each thread the reserved real-time signal (tgkill), and the
 * handler, running on that thread, records its own return addresses with
 * glibc's backtrace() into a slot armed for it, then posts a semaphore.
 * The handler does nothing else (no malloc, no locks, no stdio): everything
 * it calls is async-signal-safe once backtrace() has been warmed up at
 * start-up (its first call dlopens libgcc_s). Symbolizing happens later, in
 * the dumping thread.
 *
 * The requester waits with a deadline: a thread that exited, or never runs
 * the handler (blocked in uninterruptible sleep such as fdatasync, or with
 * the signal blocked), is reported as such and never hangs the dump. Slots
 * live for the whole run and are claimed with one compare-and-swap on a
 * word holding tid, generation and state, so a handler that runs late (after
 * its request gave up) never writes into a slot armed for another thread.
 * Dumps are serialized by a mutex inside td_capture().
 *
 * The signal is installed with SA_RESTART, so interrupted read/write/futex
 * calls resume by themselves; calls Linux never restarts (poll, epoll_wait,
 * nanosleep, socket I/O with a timeout) return EINTR, which libmicrohttpd,
 * hiredis's reads and writes, and uploadd's own loops retry. hiredis 0.14
 * does not retry an interrupted connect: redis_conn.c does. */
#ifndef UPLOADD_THREADDUMP_CAPTURE_H
#define UPLOADD_THREADDUMP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The one place the signal is reserved: SIGRTMIN + 4. glibc keeps the first
 * real-time signals for itself below SIGRTMIN; +4 leaves room for libraries
 * that take SIGRTMIN itself. Nothing else in uploadd may use it. */
#define TD_SIGNAL_OFFSET 4

/* Return addresses kept per thread (deeper stacks are truncated). */
#define TD_MAX_FRAMES 64

enum td_answer {
	TD_ANSWERED,      /* pcs hold the thread's stack */
	TD_GONE,          /* the thread exited before it could answer */
	TD_NO_ANSWER,     /* alive, but did not run the handler in time */
};

struct td_stack {
	pid_t tid;                /* in: the thread to ask */
	enum td_answer answer;    /* out */
	int npcs;                 /* out: entries in pcs */
	/* pcs[0] is the exact interrupted pc (not a return address): the
	 * handler found the signal frame. False for the requesting thread
	 * itself, whose pcs are all return addresses. */
	bool first_exact;
	bool truncated;           /* more frames than TD_MAX_FRAMES */
	uint64_t pcs[TD_MAX_FRAMES];
};

/* The reserved signal's number (SIGRTMIN + TD_SIGNAL_OFFSET). */
int td_capture_signal(void);

/* Installs the handler (SA_RESTART | SA_SIGINFO) and warms up backtrace().
 * Main thread, at start-up, before any other thread exists; a second call
 * does nothing. Returns 0 or -errno. */
int td_capture_init(void);

/* Asks every thread in st[0..n) for its stack (st[i].tid set by the
 * caller) and fills the rest of each entry. The calling thread may be in
 * the list: it records its own stack directly. Threads are asked in rounds
 * of up to 128 at once; each round waits at most timeout_ms. Concurrent
 * callers take turns. Any thread. Returns 0, or -EINVAL before
 * td_capture_init(). */
int td_capture(struct td_stack *st, size_t n, unsigned timeout_ms);

#endif
