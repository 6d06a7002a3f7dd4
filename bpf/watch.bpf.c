// SPDX-License-Identifier: GPL-2.0
/* taskscope watch: the kernel side. Streams the lifecycle of every thread of
 * one process (created with its start routine, renamed, exited) and every
 * wait of at least min_block_ns (what it slept in, for how long, who woke
 * it), through a ring buffer.
 *
 * Cost is the design constraint. No syscall tracepoint is attached: while one
 * is, every syscall of every task on the machine takes the slow tracing path.
 * A wait is seen at sched_switch instead: when a target thread goes off CPU
 * to sleep, bpf_task_pt_regs(prev) already holds the syscall and arguments
 * it sleeps in, so uncontended futex calls (which never sleep) cost nothing.
 * Every program exits after one compare for tasks of other processes.
 *
 * A short wait reads no clock: bpf_ktime_get_ns() costs ~100 ns a call on
 * this VM (a retpolined clocksource read), which twice per wait was most of
 * watch's cost in the futex ping-pong. Both ends come from the scheduler's
 * own bookkeeping in one clock (rq->clock, sched_clock): the sleep starts
 * at sched_info.last_arrival + the CPU time of that stint, and ends when the
 * thread is queued again, sched_info.last_queued, still set at switch-in.
 * Only a long wait reads the monotonic clock, once, to place itself in time.
 *
 * Completing a wait record:
 *   switch-out   record syscall, object, start (current == the thread)
 *   sched_waking who woke it, into this CPU's ring (current == the waker)
 *   switch-in    duration; >= min_block: find the waker, emit, or leave it
 *                pending for
 *   sock_recv_length  the bytes a socket read returned (current == thread)
 *   rseq_update  (--stacks) the user stack, copied on the thread's way back
 *                to user mode after the wait, when its stack is still
 *                exactly as it was at the start of the wait
 * A pending record is flushed without its tail when the thread blocks again
 * or exits first. Dropped records are counted per CPU (ts_wstats.lost).
 *
 * A thread's exit record is emitted at its final switch-out (sched_switch
 * with prev_state TASK_DEAD), not at sched_process_exit: only there does
 * se.sum_exec_runtime include the thread's last slice on the CPU (for a
 * thread that runs from its first wakeup to its exit, all of its work; see
 * "CPU time" in include/taskscope_abi.h). sched_process_exit notes
 * group_dead for it.
 *
 * Three task iterators run on demand from user space: tsw_adopt (at start:
 * threads already asleep), tsw_stuck (--stuck: waits still going on past
 * the limit, with their stack) and tsw_totals (at the end: live threads).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "taskscope_abi.h"
#include "features.bpf.h"
#include "task_info.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space before load. */
const volatile __u32 targ_tgid;      /* the watched process */
const volatile __u64 min_block_ns;   /* shorter waits are only counted */
const volatile __u64 stuck_ns;       /* tsw_stuck reports waits past this */
const volatile __u32 want_stacks;    /* 1: tsw_rseq completes long waits */
const volatile __u32 stack_max = TS_STACK_MAX;  /* user stack bytes copied */
const volatile __u32 rec_slots = TS_RECENT_DEFAULT;
const volatile __u32 self_time;      /* 1: time a sample of runs here */
const volatile __u32 state_mask = 32767;  /* ts_wstate slots - 1 */
const volatile __u64 wake_bytes = 1 << 20;  /* wake user space past this */
const volatile __u32 nr_cpus = 1;    /* possible CPUs, for the waker rings */


/* wstate.exit_flags: the slot was claimed only at exit (none before, or
 * another thread had taken it over): its totals are not this thread's. */
#define WST_NO_TOTALS 0x80000000u

#define FUTEX_WAKE_OP 5
#define FUTEX_CMD_MASK 0x7f

/* Per-thread state in an array indexed by tid & state_mask, tagged with the
 * tid. An array lookup is inlined by the verifier; task storage cost about
 * 150 ns a lookup here, which the futex ping-pong showed as a 10% slowdown
 * on its own. User space sizes the array to pid_max when it can (no two
 * tids share a slot), else to 65536 slots: a live thread whose slot another
 * thread of the target claims loses its totals, counted in
 * ts_wstats.collisions. Entries are whole cache lines (the map is mmapable,
 * so its values start page-aligned) with what every wait touches in the
 * first line: the waker's CPU reads it once per wait. */
struct wstate {
	__u32 tid;                   /* owner of the slot, 0: free */
	__u32 blocked;               /* between switch-out and wakeup */
	__u32 pending;               /* cur is complete but not yet emitted */
	__u32 stuck_reported;
	__u64 cpu_at_start;          /* se.sum_exec_runtime at switch-out: it
				      * names this wait (the thread does not
				      * run while asleep) */
	__u64 start_sched;           /* sleep start, scheduler clock */
	__u64 start_routine;         /* this thread's, from its creator */
	__u64 next_start_routine;    /* stashed by pthread_create for a child */
	struct ts_wait cur;
	struct ts_thread_totals tot;
	__u32 exit_flags;            /* set at sched_process_exit for the exit
				      * record of its final switch-out:
				      * TS_WEXIT_F_GROUP_DEAD, WST_NO_TOTALS */
	__u32 _pad;
};
_Static_assert(sizeof(struct wstate) % 64 == 0, "wstate: whole cache lines");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32768);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct wstate);
} ts_wstate SEC(".maps");

/* Size set by user space (--ring-size). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} ts_wevents SEC(".maps");

/* The flight recorder: last exited threads, round-robin. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_RECENT_DEFAULT);
	__type(key, __u32);
	__type(value, struct ts_recent_thread);
} ts_recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_wstats);
} ts_wstats SEC(".maps");

__u64 rec_next;                      /* next flight-recorder slot */

/* A wait record with its stack tail, as reserved in the ring buffer. */
struct wev_wait_stack {
	struct ts_wev_wait e;
	struct ts_wev_stack s;
	__u8 data[TS_STACK_MAX];
};

static __always_inline struct ts_wstats *wstats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ts_wstats, &zero);
}

/* Counts a run that passed the target filter (self-timing only: with
 * kernel.bpf_stats_enabled the kernel counts) and sets *s for prog_end.
 * Returns a start time when this run is one of the 1-in-16 sampled for
 * self-timing, else 0. */
static __always_inline __u64 prog_begin(struct ts_wstats **s, int prog)
{
	*s = self_time ? wstats() : NULL;
	if (!*s || prog < 0 || prog >= TS_WPROG_MAX)
		return 0;
	(*s)->runs[prog]++;
	if (!((*s)->runs[prog] & 15))
		return bpf_ktime_get_ns();
	return 0;
}

static __always_inline void prog_end(struct ts_wstats *s, int prog, __u64 t0)
{
	if (!t0 || !s || prog < 0 || prog >= TS_WPROG_MAX)
		return;
	s->timed[prog]++;
	s->timed_ns[prog] += bpf_ktime_get_ns() - t0;
}

static __always_inline void count_emit(__u32 type)
{
	struct ts_wstats *s = wstats();

	if (s && type < TS_WEV_TYPE_MAX)
		s->emitted[type]++;
}

static __always_inline void count_lost(void)
{
	struct ts_wstats *s = wstats();

	if (s)
		s->lost++;
}

/* t's state slot, or NULL when t has none. claim: take the slot over for
 * t (reset) if it belongs to nobody or to another thread. */
static __always_inline struct wstate *state_of(struct task_struct *t,
					       bool claim)
{
	__u32 tid = t->pid, key = tid & state_mask;
	struct wstate *st = bpf_map_lookup_elem(&ts_wstate, &key);

	if (!st || st->tid == tid)
		return st;
	if (!claim)
		return NULL;
	if (st->tid) {
		struct ts_wstats *s = wstats();

		if (s)
			s->collisions++;
	}
	__builtin_memset(st, 0, sizeof(*st));
	st->tid = tid;
	return st;
}

/* Submits a record without waking user space: a wakeup is an irq_work
 * self-IPI, which on this VM costs ~5 us inside the program (the creating
 * or waking thread pays it). User space polls every 50 ms anyway; it is
 * woken early only once the ring holds wake_bytes. */
static __always_inline void submit(void *e)
{
	__u64 flags = bpf_ringbuf_query(&ts_wevents, BPF_RB_AVAIL_DATA) >=
		      wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;

	bpf_ringbuf_submit(e, flags);
}

static __always_inline void fill_hdr(struct ts_wev_hdr *h, __u32 type,
				     __u32 size, __u64 ts,
				     struct task_struct *t)
{
	h->type = type;
	h->size = size;
	h->ts_ns = ts;
	h->tid = t->pid;
	h->tgid = t->tgid;
	bpf_probe_read_kernel(h->comm, sizeof(h->comm), t->comm);
}

static __always_inline __u32 wait_class(__s32 nr)
{
	switch (nr) {
	case TS_NR_FUTEX:
	case TS_NR_FUTEX_WAIT:
	case TS_NR_FUTEX_WAITV:
		return TS_WAIT_FUTEX;
	case TS_NR_READ:
	case TS_NR_PREAD64:
	case TS_NR_READV:
	case TS_NR_RECVFROM:
	case TS_NR_RECVMSG:
	case TS_NR_PREADV:
	case TS_NR_RECVMMSG:
	case TS_NR_PREADV2:
		return TS_WAIT_READ;
	case TS_NR_POLL:
	case TS_NR_SELECT:
	case TS_NR_EPOLL_WAIT:
	case TS_NR_PSELECT6:
	case TS_NR_PPOLL:
	case TS_NR_EPOLL_PWAIT:
	case TS_NR_EPOLL_PWAIT2:
		return TS_WAIT_POLL;
	case TS_NR_NANOSLEEP:
	case TS_NR_CLOCK_NANOSLEEP:
	case TS_NR_PAUSE:
		return TS_WAIT_SLEEP;
	}
	return TS_WAIT_OTHER;
}

/* Starts st->cur from the syscall t sleeps in (its saved user registers). */
static __always_inline void wait_begin(struct wstate *st,
				       struct task_struct *t, __u32 state)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	__s32 nr = -1;

	if (regs) {
		/* Direct loads (BTF pointer): no helper call per field. */
		nr = (__s32)regs->orig_ax;
		st->cur.obj = regs->di;
		st->cur.futex_op = (__u32)regs->si;
		st->cur.ip = regs->ip;
	}
	st->cur.syscall = nr;
	st->cur.cls = wait_class(nr);
	st->cur.start_ns = 0;       /* monotonic: set once the wait is long */
	st->cur.wake_ns = 0;
	st->cur.end_ns = 0;
	st->cur.sched_state = state;
	st->cur.flags = 0;
	st->stuck_reported = 0;
}

/* Emits st->cur as a record without a stack tail. Clears pending. */
static __always_inline void emit_wait(struct task_struct *t,
				      struct wstate *st, __u32 type,
				      __u32 flags)
{
	struct ts_wev_wait *e;

	st->pending = 0;
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return;
	}
	fill_hdr(&e->h, type, sizeof(*e), st->cur.end_ns, t);
	__builtin_memcpy(&e->w, &st->cur, sizeof(e->w));
	e->w.flags |= flags;
	submit(e);
	count_emit(type);
}

static __always_inline void add_totals(struct wstate *st, __u64 dur)
{
	__u32 cls = st->cur.cls;

	if (cls >= TS_WAIT_NCLASS)
		cls = TS_WAIT_OTHER;
	st->tot.blocked_ns[cls] += dur;
	st->tot.waits[cls]++;
	if (dur > st->tot.top_ns) {
		st->tot.top_ns = dur;
		st->tot.top_cls = cls;
		st->tot.top_obj = st->cur.obj;
		st->tot.top_syscall = st->cur.syscall;
	}
}

/* prev goes off CPU. current == prev, so its user memory is readable. */
#include "watch_life.bpf.h"
#include "watch_wait.bpf.h"
#include "watch_tail.bpf.h"
#include "watch_iter.bpf.h"
