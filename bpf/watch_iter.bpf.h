/* The task iterators of bpf/watch.bpf.c, run on demand by user space over
 * the target's threads only (link_info.task.pid): tsw_adopt once at start
 * (threads already asleep), tsw_stuck every few ms with --stuck (waits still
 * going on past the limit, with their stack), tsw_totals once at the end
 * (every live thread's totals). Included once, at the end of watch.bpf.c:
 * it uses that file's maps and helpers. */
#ifndef TS_WATCH_ITER_BPF_H
#define TS_WATCH_ITER_BPF_H

/* Reads the futex word and the glibc mutex owner 8 bytes on from a thread
 * that is still asleep on it (sleepable programs only). */
static __always_inline void read_futex_word(struct wstate *st,
					    struct task_struct *task)
{
	__u32 w[3];

	if ((st->cur.syscall == TS_NR_FUTEX || st->cur.syscall == TS_NR_FUTEX_WAIT) &&
	    !bpf_copy_from_user_task(w, sizeof(w), (void *)st->cur.obj, task, 0)) {
		st->cur.futex_word = w[0];
		st->cur.futex_owner = w[2];
		st->cur.flags |= TS_WAIT_F_WORD;
	}
}

/* Iterator, once at start: threads already asleep get a wait whose start
 * is estimated from when they last left the CPU (scheduler clock), so a
 * thread hung since long before watch started is still reported. */
SEC("iter.s/task")
int tsw_adopt(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wstate *st;

	if (!task || task->tgid != targ_tgid || !task->__state)
		return 0;
	st = state_of(task, true);
	if (!st || st->blocked)
		return 0;
	/* Asleep since it last left the CPU: same clock as switch_out. */
	wait_begin(st, task, task->__state);
	st->cur.flags |= TS_WAIT_F_ADOPTED;
	st->cpu_at_start = task->se.sum_exec_runtime;
	st->start_sched = sched_departure(task);
	read_futex_word(st, task);
	st->blocked = 1;
	return 0;
}

SEC("iter.s/task")
int tsw_stuck(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct wev_wait_stack *e;
	struct wstate *st;
	__s32 orig_ax;
	__u64 now, sched_now;

	if (!task || task->tgid != targ_tgid || !task->__state)
		return 0;
	st = state_of(task, false);
	if (!st || !st->blocked || st->stuck_reported ||
	    task->se.sum_exec_runtime != st->cpu_at_start)
		return 0;             /* not asleep in the wait recorded */
	/* The scheduler clock now, from this running thread (its stint so
	 * far, as of its last accounting: at most a tick behind). */
	sched_now = sched_departure(bpf_get_current_task_btf());
	if (sched_now < st->start_sched + stuck_ns)
		return 0;
	now = bpf_ktime_get_ns();
	st->stuck_reported = 1;
	read_futex_word(st, task);
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	__builtin_memcpy(&e->e.w, &st->cur, sizeof(e->e.w));
	e->e.w.end_ns = now;
	e->e.w.start_ns = now - (sched_now - st->start_sched);
	if (e->e.w.cls == TS_WAIT_READ || e->e.w.cls == TS_WAIT_POLL) {
		ts_task_fd_info_rcu(task, (__u32)e->e.w.obj, &e->e.w.fd);
		e->e.w.flags |= TS_WAIT_F_FD;
	}
	__builtin_memset(&e->s, 0, sizeof(e->s));
	ts_task_user_regs(task, &e->s.regs, &orig_ax);
	ts_copy_user_stack(task, e->s.regs.r[TS_REG_SP], e->data, stack_max,
			   &e->s.stack);
	e->e.w.flags |= TS_WAIT_F_STACK;
	fill_hdr(&e->e.h, TS_WEV_STUCK,
		 sizeof(e->e) + sizeof(e->s) + e->s.stack.len, now, task);
	submit(e);
	count_emit(TS_WEV_STUCK);
	return 0;
}

/* The scheduler clock now, for tsw_totals: the iterating thread's last
 * switch-in (sched_info.last_arrival, scheduler clock) plus the monotonic
 * time since the first record of the pass after it. User space sleeps just
 * before the pass, so that switch-in is microseconds before the first
 * record: the estimate is late by about that much, never early. */
__u64 totals_arrival, totals_mono;

static __always_inline __u64 totals_sched_now(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	__u64 arrival = cur->sched_info.last_arrival, mono = bpf_ktime_get_ns();

	if (arrival != totals_arrival) {      /* a new pass, or switched */
		totals_arrival = arrival;
		totals_mono = mono;
	}
	return arrival + (mono - totals_mono);
}

/* Iterator, once at the end: every live thread's totals, and any wait
 * still pending its tail. A thread on a CPU now gets the part of its
 * current stint the scheduler has not accounted yet (ts_cpu_time_now). */
SEC("iter/task")
int tsw_totals(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ts_wev_exit *e;
	struct wstate *st;
	__u64 cpu;

	if (!task || task->tgid != targ_tgid)
		return 0;
	st = state_of(task, false);
	if (st && st->pending)
		emit_wait(task, st, TS_WEV_WAIT, TS_WAIT_F_FLUSHED);
	cpu = ts_cpu_time_now(task->se.sum_exec_runtime,
			      task->se.prev_sum_exec_runtime,
			      task->sched_info.last_arrival, totals_sched_now(),
			      task->on_cpu);
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		return 0;
	}
	fill_hdr(&e->h, TS_WEV_TOTALS, sizeof(*e), bpf_ktime_get_ns(), task);
	fill_exit(e, task, st, cpu);
	submit(e);
	count_emit(TS_WEV_TOTALS);
	return 0;
}

#endif
