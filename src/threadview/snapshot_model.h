/* The decoded, classified picture of a snapshot that every output format
 * prints: one struct ts_thread per thread, plus the wait-for graph. Built by
 * snapshot_decode.c (from BPF records), unwind/symbolize, classify.c and
 * waitgraph.c; printed by output_text.c, output_json.c, output_folded.c.
 * Plain data, no I/O, so unit tests build these by hand. */
#ifndef THREADVIEW_SNAPSHOT_MODEL_H
#define THREADVIEW_SNAPSHOT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"
#include "threadview/symbolize.h"

struct ts_recent;
struct ts_go_view;

enum ts_sched_state {
	TS_STATE_RUNNING,         /* on a CPU now */
	TS_STATE_RUNNABLE,        /* ready, waiting for a CPU */
	TS_STATE_SLEEPING,        /* interruptible sleep (S) */
	TS_STATE_UNINTERRUPTIBLE, /* D */
	TS_STATE_IDLE,            /* TASK_IDLE kernel waits */
	TS_STATE_STOPPED,         /* T */
	TS_STATE_TRACED,          /* t */
	TS_STATE_ZOMBIE,          /* Z */
	TS_STATE_DEAD,            /* X */
	TS_STATE_UNKNOWN,
};

/* What a thread waits on. The futex kinds come first. */
enum ts_block_kind {
	TS_BLOCK_NONE,            /* not blocked: running, runnable, user mode */
	TS_BLOCK_MUTEX,
	TS_BLOCK_CONDVAR,
	TS_BLOCK_RWLOCK,
	TS_BLOCK_JOIN,
	TS_BLOCK_SEMAPHORE,
	TS_BLOCK_FUTEX,           /* a futex we cannot name */
	TS_BLOCK_READ,            /* read/recv family on an fd */
	TS_BLOCK_WRITE,           /* write/send family on an fd */
	TS_BLOCK_ACCEPT,
	TS_BLOCK_CONNECT,
	TS_BLOCK_POLL,            /* poll/ppoll */
	TS_BLOCK_SELECT,          /* select/pselect */
	TS_BLOCK_EPOLL,
	TS_BLOCK_SLEEP,           /* nanosleep/clock_nanosleep */
	TS_BLOCK_WAIT,            /* wait4/waitid */
	TS_BLOCK_SIGNAL,          /* pause/sigsuspend/rt_sigtimedwait */
	TS_BLOCK_SYSCALL,         /* another syscall, by name */
};

/* Whether the user stack can be trusted. */
enum ts_stack_status {
	TS_STACK_COMPLETE,        /* unwound to the outermost frame */
	TS_STACK_TRUNCATED,       /* unwound part of it: see stack_note */
	TS_STACK_STALE,           /* running on another CPU: registers old */
	TS_STACK_UNAVAILABLE,     /* no registers or no stack copy */
};

/* How a thread's channel reaches another process (ts_peer.via). */
enum ts_peer_via {
	TS_VIA_NONE = 0,
	TS_VIA_TCP,
	TS_VIA_UNIX,
	TS_VIA_PIPE,
	TS_VIA_FIFO,
};

/* One process that holds the other end of a thread's channel. */
struct ts_peer_proc {
	pid_t pid;                /* as the host sees it */
	char comm[TS_COMM_LEN];   /* the process's name */
	int fd;                   /* its fd on the other end */
	pid_t ns_pid;             /* its pid in its own pid namespace */
	bool other_pidns;         /* in another pid namespace than the
				   * waiter (a container): ns_pid is its view */
	bool other_netns;         /* its socket is in another network
				   * namespace than the waiter's */
	bool listener;            /* holds the listening socket: the waiter's
				   * connection is not accepted yet */
	pid_t *tids;              /* its threads, the likeliest to unblock the
				   * waiter first (owned; may be empty when
				   * its threads were not read) */
	size_t ntids;
	size_t nlikely;           /* tids[0..nlikely): blocked on this very
				   * channel or in an event loop; the rest
				   * could but show no sign of it */
};

/* The other end of the channel a thread is blocked on (read, write,
 * connect on a socket, pipe or FIFO), found by the cross-process resolver
 * (taskscope/xproc/). Queue sizes in bytes. */
struct ts_peer {
	enum ts_peer_via via;
	char where[128];          /* the other end: "127.0.0.1:6379", a unix
				   * socket's path, "pipe:[1234]" */
	bool remote;              /* no process here holds it: only an
				   * address (another machine, or a NAT) */
	bool not_accepted;        /* the connection waits in a listener's
				   * accept queue (procs[] are the listeners) */
	bool unknown_senders;     /* unix datagram socket nobody is connected
				   * to: senders that name it per message
				   * cannot be known */
	bool queues_known;        /* rx_queued/tx_queued describe the peer */
	uint32_t rx_queued;       /* received at the other end, not read there */
	uint32_t tx_queued;       /* sent from the other end, not acknowledged */
	bool pipe;                /* pipe_bytes is set */
	uint32_t pipe_bytes;      /* bytes in the pipe or FIFO */
	struct ts_peer_proc *procs;  /* holders, likeliest first (owned) */
	size_t nprocs;
	pid_t next_tid;           /* the thread the wait-for chain follows,
				   * 0 if none (remote, nobody, stopped...) */
	uint64_t other_obj;       /* the resolver's identity of the other end
				   * (opaque; 0 if none) */
};

struct ts_blocked {
	enum ts_block_kind kind;
	uint64_t object;          /* futex address, or the fd for fd kinds */
	bool has_object;
	unsigned int futex_op;    /* FUTEX_WAIT... without the private flag */
	uint32_t futex_val;       /* the futex word at the snapshot */
	pid_t owner_tid;          /* mutex/rwlock owner, 0 if none or unknown */
	const char *owner_name;   /* points into the owner's ts_thread */
	pid_t join_tid;           /* pthread_join target, 0 if not a join */
	const char *join_name;
	int fd;                   /* -1 when no fd */
	struct ts_fd_info fdi;    /* from BPF; type TS_FD_NONE if not looked up */
	const char *fd_path;      /* /proc/PID/fd/N link, owned by the thread */
	int64_t remaining_ns;     /* sleep/timeout time left, -1 if unknown */
	int64_t timeout_ms;       /* poll/epoll timeout argument, -2 if none */
	struct ts_peer *peer;     /* who holds the other end of the fd, or
				   * NULL (owned by the thread) */
};

struct ts_thread {
	pid_t tid, pid;
	char name[TS_COMM_LEN];
	enum ts_sched_state state;
	int cpu;
	bool exited;              /* gone before we could look (zombie) */
	uint64_t cpu_ns;          /* CPU time used */
	uint64_t off_cpu_ns;      /* time since it last left the CPU */
	bool off_cpu_known;
	int syscall_nr;           /* < 0: not in a syscall */
	uint64_t args[6];
	struct ts_blocked blocked;
	struct ts_frame *frames;  /* user stack, innermost first (owned) */
	int nframes;
	enum ts_stack_status stack_status;
	const char *stack_note;   /* why not complete (static string) */
	struct ts_frame *kframes; /* kernel stack with --kernel-stacks (owned) */
	int nkframes;
	char *fd_path_buf;        /* storage behind blocked.fd_path (owned) */
	/* Raw inputs classification uses, kept for tests and --json debug. */
	uint64_t umem_addr;
	uint32_t umem[12];
	bool umem_low;            /* umem starts 16 bytes below the futex */
	bool has_umem;
	uint64_t fsbase;
	/* A thread that already exited, from taskscope watch's flight
	 * recorder (snapshot --recent, recent.h); NULL for live threads.
	 * Not owned. */
	const struct ts_recent *recent;
	/* In a Go process: the goroutine this thread runs (0: none, it is in
	 * the scheduler or idle), from the runtime's m.curg. */
	int64_t goroutine;
};

/* One edge of the wait-for graph: waiter waits for holder. */
struct ts_wait_edge {
	pid_t waiter, holder;
	enum ts_block_kind kind;  /* mutex, rwlock, join; read, write,
				   * connect through a channel */
	uint64_t object;          /* lock address, or the waiter's fd */
	pid_t waiter_pid, holder_pid;
	enum ts_peer_via via;     /* the channel, TS_VIA_NONE for a lock */
};

/* A wait-for chain: tids[0] waits for tids[1] ... and tids[n-1] waits for
 * nothing the graph can follow (it runs, sleeps, is stopped, reads from a
 * remote peer), or for a thread of a cycle (into_cycle: tids[n-1] is on
 * it). Only maximal chains: tids[0] waits, nobody waits for it. */
struct ts_chain {
	pid_t *tids;
	size_t n;                 /* threads, >= 2 */
	bool into_cycle;
	bool crosses;             /* two of its threads are in different
				   * processes */
};

/* A deadlock: tids[0] waits for tids[1] ... tids[n-1] waits for tids[0]. */
struct ts_cycle {
	pid_t *tids;
	size_t n;
};

/* An optional kernel facility and whether the BPF programs that took a
 * snapshot (or ran a watch) used it; the names are taskscope's
 * (taskscope/attach/bpf_features.h), static strings. */
struct ts_kernel_feature {
	const char *name;
	bool on;
};
#define TS_KERNEL_FEATURES_MAX 16

struct ts_snapshot {
	pid_t pid;                /* the target process; 0 with --all */
	char comm[TS_COMM_LEN];
	uint64_t taken_mono_ns;   /* CLOCK_MONOTONIC when the pass ran */
	uint64_t taken_real_ns;   /* CLOCK_REALTIME, for humans */
	double load_ms;           /* BPF load + attach */
	double collect_ms;        /* the iterator pass (the target runs on) */
	double unwind_ms;         /* decode, unwind, symbolize, classify */
	struct ts_thread *threads;
	size_t nthreads;
	/* Threads of other processes that hold the other end of a channel a
	 * thread of the target waits on (the cross-process resolver reads
	 * them, without stacks), sorted by tid; never printed as the target's
	 * own. Owned. */
	struct ts_thread *others;
	size_t nothers;
	struct ts_wait_edge *edges;
	size_t nedges;
	struct ts_cycle *cycles;  /* deadlocks found in the wait-for graph */
	size_t ncycles;
	struct ts_chain *chains;  /* longest first */
	size_t nchains;
	bool xproc;               /* the cross-process resolver ran: peers
				   * were looked for */
	bool target_exited;       /* the process ended during the pass */
	/* A process's view of itself (uploadd's /debug/threads) instead of
	 * the kernel's: source names who took it ("taskscope" when NULL);
	 * what only the kernel knows (what a thread is blocked on, for how
	 * long, the wait-for graph) is unknown and printed as null. */
	const char *source;
	bool in_process;
	/* The kernel it was taken on (uname -r, static; NULL: unknown) and
	 * which optional facilities the programs used. */
	const char *kernel_release;
	struct ts_kernel_feature kernel_features[TS_KERNEL_FEATURES_MAX];
	size_t nkernel_features;
	/* A Go program's goroutines (threadview/goroutine.h), NULL for
	 * other programs. Not owned. */
	const struct ts_go_view *go;
};

/* Finds a thread by tid among s->threads, then s->others, or NULL. Both
 * must be sorted by tid (ts_snapshot_sort). */
struct ts_thread *ts_snapshot_find(const struct ts_snapshot *s, pid_t tid);

/* Sorts s->threads and s->others by tid (unique across processes, so
 * --all works). */
void ts_snapshot_sort(struct ts_snapshot *s);

/* Frees what one thread owns (stacks, fd path, peer); not the struct. */
void ts_thread_free(struct ts_thread *t);

/* Frees a peer and everything it owns. NULL is fine. */
void ts_peer_free(struct ts_peer *p);

/* The scheduler state of a task from task->__state, exit_state and
 * on_cpu (include/linux/sched.h bits). */
enum ts_sched_state ts_task_state(uint32_t state, uint32_t exit_state,
				  bool on_cpu);

/* Frees everything a snapshot owns (not the struct itself). */
void ts_snapshot_free(struct ts_snapshot *s);

/* Frees the wait-for graph's results in s (edges, cycles, chains) and
 * leaves them empty, for a graph built again or not at all. */
void ts_snapshot_free_graph(struct ts_snapshot *s);

/* Names for the enums, as printed in text and JSON. */
const char *ts_state_name(enum ts_sched_state st);
const char *ts_block_kind_name(enum ts_block_kind k);
const char *ts_peer_via_name(enum ts_peer_via v);   /* "tcp", "pipe"... */

#endif
