/* Seeing waits, the hot path of bpf/watch.bpf.c: switch-out records what
 * a target thread sleeps in, sched_waking notes who woke it in a per-CPU
 * ring, switch-in ends the wait and, for a long one only, reads a clock,
 * finds the waker and emits it. Included once, after watch.bpf.c's maps
 * and helpers. */
#ifndef TS_WATCH_WAIT_BPF_H
#define TS_WATCH_WAIT_BPF_H

/* Who woke whom, per CPU: sched_waking runs in the waker and must not
 * touch the sleeper's slot (another CPU's cache line, on the wakeup's
 * critical path), so it appends here; the sleeper's switch-in looks its
 * waker up only for a long wait. */
#define WAKE_RING 16
#define WAKE_RING_CPUS 128           /* CPUs searched for a waker */

struct wake_rec {
	__u32 wakee;                 /* tid woken */
	__u32 waker_tid, waker_tgid;
	__s32 waker_nr;              /* syscall the waker was in */
	__u64 wakee_cpu;             /* wakee's se.sum_exec_runtime: the wait */
	__u64 a0, a4;                /* waker's syscall args 0 and 4 (di, r8) */
	__u64 waker_task;            /* for its name, read only if needed */
	__u32 op;                    /* waker's syscall arg 1 (futex op) */
	__u32 irq;                   /* woken from an interrupt */
};

struct wake_ring {
	__u32 head;
	__u32 _pad;
	struct wake_rec r[WAKE_RING];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wake_ring);
} ts_wakers SEC(".maps");

/* When t, going off CPU now, went off: the stint began at last_arrival
 * (scheduler clock) and lasted sum - prev_sum of CPU time. */
static __always_inline __u64 sched_departure(struct task_struct *t)
{
	return t->sched_info.last_arrival + t->se.sum_exec_runtime -
	       t->se.prev_sum_exec_runtime;
}

static __always_inline void switch_out(struct task_struct *t, __u32 state)
{
	struct wstate *st;

	st = state_of(t, true);
	if (!st)
		return;
	if (st->pending)
		emit_wait(t, st, TS_WEV_WAIT, TS_WAIT_F_FLUSHED);
	/* The futex word is not read here: that is a user-memory copy on
	 * every wait, and by the wakeup a mutex word and owner are cleared
	 * anyway. The waker (a mutex's previous owner) and the stack tell
	 * the kind; the stuck and adopt passes read the word. */
	wait_begin(st, t, state);
	st->cpu_at_start = t->se.sum_exec_runtime;
	st->start_sched = sched_departure(t);
	st->blocked = 1;
}

/* The record of who woke tid for the wait named by wakee_cpu, from any
 * CPU's ring; NULL if gone (overwritten) or never seen. */
static __always_inline struct wake_rec *find_waker(__u32 tid, __u64 wakee_cpu)
{
	__u32 zero = 0, cpu, i;

	for (cpu = 0; cpu < WAKE_RING_CPUS && cpu < nr_cpus; cpu++) {
		struct wake_ring *ring =
			bpf_map_lookup_percpu_elem(&ts_wakers, &zero, cpu);

		if (!ring)
			continue;
		for (i = 0; i < WAKE_RING; i++)
			if (ring->r[i].wakee == tid &&
			    ring->r[i].wakee_cpu == wakee_cpu)
				return &ring->r[i];
	}
	return NULL;
}

/* Copies the waker of st's wait into st->cur; for a futex wait, whether
 * it was in a futex wake of the same address (then it released it). */
static __always_inline void note_waker(struct wstate *st, __u32 tid)
{
	struct wake_rec *w = find_waker(tid, st->cpu_at_start);
	struct task_struct *waker;

	if (!w)
		return;
	st->cur.waker_tid = w->waker_tid;
	st->cur.waker_tgid = w->waker_tgid;
	st->cur.waker_syscall = w->waker_nr;
	waker = (struct task_struct *)w->waker_task;
	bpf_probe_read_kernel(st->cur.waker_comm, sizeof(st->cur.waker_comm),
			      &waker->comm);
	st->cur.flags |= TS_WAIT_F_WAKER;
	if (w->irq) {
		st->cur.flags |= TS_WAIT_F_WAKER_IRQ;
		return;
	}
	if (st->cur.cls == TS_WAIT_FUTEX &&
	    (w->waker_nr == TS_NR_FUTEX || w->waker_nr == TS_NR_FUTEX_WAKE) &&
	    (w->a0 == st->cur.obj ||
	     (w->waker_nr == TS_NR_FUTEX && (w->op & FUTEX_CMD_MASK) == FUTEX_WAKE_OP &&
	      w->a4 == st->cur.obj)))
		st->cur.flags |= TS_WAIT_F_WAKER_FUTEX;
}

/* next comes back on a CPU (current is still prev). Its wait lasted from
 * start_sched to when it was queued again (sched_info.last_queued, cleared
 * only after this tracepoint). Short: clear it, nothing else. Long: place
 * it in monotonic time, find its waker, emit it or leave it pending for
 * its bytes (tsw_recv, or tsw_rseq without sock_recv_length) or stack
 * (tsw_rseq). */
static __always_inline void switch_in(struct task_struct *t)
{
	struct wstate *st = state_of(t, false);
	__u64 queued, dur, now;

	if (!st || !st->blocked)
		return;
	st->blocked = 0;
	queued = t->sched_info.last_queued;
	/* No enqueue seen (woken before it left the run queue): no wait. */
	if (!queued || queued <= st->start_sched)
		return;
	dur = queued - st->start_sched;
	if (dur < min_block_ns)
		return;
	now = bpf_ktime_get_ns();
	/* The run-queue delay since the wakeup is unknown here: times are
	 * placed at switch-in, the duration is exact. */
	st->cur.wake_ns = now;
	st->cur.end_ns = now;
	st->cur.start_ns = now - dur;
	add_totals(st, dur);
	note_waker(st, t->pid);
	if (st->cur.cls == TS_WAIT_READ || st->cur.cls == TS_WAIT_POLL) {
		ts_task_fd_info(t, (__u32)st->cur.obj, &st->cur.fd);
		st->cur.flags |= TS_WAIT_F_FD;
	}
	st->pending = 1;
	if (want_stacks)
		return;               /* tsw_rseq emits it with the stack */
	if (st->cur.cls == TS_WAIT_READ && st->cur.fd.type == TS_FD_SOCKET)
		return;               /* tsw_recv (or tsw_rseq) emits it with
				       * the bytes */
	emit_wait(t, st, TS_WEV_WAIT, 0);
}

/* The state prev leaves the CPU in: the tracepoint's prev_state argument
 * (5.18+), else prev->__state, which is what the argument is read from and
 * has not changed yet at this point. */
static __always_inline __u32 switch_prev_state(__u64 *ctx,
					       struct task_struct *prev)
{
	if (ts_has(TS_FEAT_SWITCH_PREV_STATE))
		return (__u32)ts_ctx_arg(ctx, 3);
	return prev->__state;
}

/* Arguments (bool preempt, prev, next[, unsigned int prev_state]). */
SEC("tp_btf/sched_switch")
int BPF_PROG(tsw_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	bool out = prev->tgid == targ_tgid, in = next->tgid == targ_tgid;
	struct ts_wstats *s;
	__u32 prev_state;
	__u64 t0;

	if ((!out && !in) || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_SWITCH);
	/* Preempted or yielding threads stay runnable: not a wait. A dead
	 * thread's last switch-out is its exit record, not a wait. */
	prev_state = out ? switch_prev_state(ctx, prev) : 0;
	if (out && (prev_state & TS_TASK_DEAD))
		exit_final(prev);
	else if (out && !preempt && prev_state)
		switch_out(prev, prev_state);
	if (in)
		switch_in(next);
	prog_end(s, TS_WPROG_SWITCH, t0);
	return 0;
}

#define TS_THREAD_SIZE (16 << 10)     /* x86_64 kernel task stack */

/* True when this program runs on an interrupt stack rather than on the
 * task stack of cur (== current). */
static __always_inline bool on_irq_stack(struct task_struct *cur)
{
	volatile __u64 marker = 0;
	__u64 here = (__u64)(void *)&marker;
	__u64 base = (__u64)cur->stack;

	return here < base || here >= base + TS_THREAD_SIZE;
}

/* p is woken; current is the waker. Appends to this CPU's waker ring and
 * touches nothing of p's but what the wakeup itself just read. An
 * interrupt (timer expiry, device) is told by the stack we run on:
 * preempt_count is not reachable (this kernel exports no per-CPU data
 * symbols), and interrupts run on the CPU's IRQ stack. Softirqs run at
 * local_bh_enable (loopback TCP) do run on the task stack, and name the
 * thread that sent the data, which is right. */
SEC("tp_btf/sched_waking")
int BPF_PROG(tsw_waking, struct task_struct *p)
{
	struct task_struct *cur;
	struct ts_wstats *s;
	struct wake_ring *ring;
	struct wake_rec *w;
	struct pt_regs *regs;
	__u32 zero = 0;
	__u64 t0;

	if (p->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_WAKING);
	ring = bpf_map_lookup_elem(&ts_wakers, &zero);
	if (!ring)
		goto out;
	w = &ring->r[ring->head++ & (WAKE_RING - 1)];
	cur = bpf_get_current_task_btf();
	w->wakee = p->pid;
	w->wakee_cpu = p->se.sum_exec_runtime;
	w->waker_tid = cur->pid;
	w->waker_tgid = cur->tgid;
	w->waker_task = (__u64)cur;
	w->irq = !cur->pid || on_irq_stack(cur);
	w->waker_nr = -1;
	regs = (struct pt_regs *)bpf_task_pt_regs(cur);
	if (regs && !w->irq) {
		w->waker_nr = (__s32)regs->orig_ax;
		w->a0 = regs->di;
		w->a4 = regs->r8;
		w->op = (__u32)regs->si;
	}
out:
	prog_end(s, TS_WPROG_WAKING, t0);
	return 0;
}

#endif
