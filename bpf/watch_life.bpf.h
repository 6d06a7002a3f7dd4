/* Thread lifecycle for bpf/watch.bpf.c: the pthread_create uprobe (start
 * routine), creation, rename and exit (its record comes from exit_final,
 * which tsw_switch calls at the thread's final switch-out), and the flight
 * recorder of exited threads. Included once, after watch.bpf.c's maps and
 * helpers and before watch_wait.bpf.h. */
#ifndef TS_WATCH_LIFE_BPF_H
#define TS_WATCH_LIFE_BPF_H

/* pthread_create(thread, attr, start_routine, arg) in the target: remember
 * start_routine for the child the calling thread is about to clone. */
SEC("uprobe")
int BPF_KPROBE(tsw_pcreate, void *thread, void *attr, void *start_routine)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ts_wstats *s;
	struct wstate *st;
	__u64 t0;

	if (t->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_UPROBE);
	st = state_of(t, true);
	if (st)
		st->next_start_routine = (__u64)start_routine;
	prog_end(s, TS_WPROG_UPROBE, t0);
	return 0;
}

/* A new task: current is its creator. */
SEC("tp_btf/task_newtask")
int BPF_PROG(tsw_newtask, struct task_struct *task, u64 clone_flags)
{
	struct task_struct *cur;
	struct ts_wev_create *e;
	struct wstate *pst, *cst;
	struct ts_wstats *s;
	__u64 start = 0, t0;

	if (task->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_NEWTASK);
	cur = bpf_get_current_task_btf();
	pst = state_of(cur, false);
	if (pst && pst->next_start_routine) {
		start = pst->next_start_routine;
		pst->next_start_routine = 0;
		cst = state_of(task, true);
		if (cst)
			cst->start_routine = start;
	}
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto out;
	}
	fill_hdr(&e->h, TS_WEV_CREATE, sizeof(*e), bpf_ktime_get_ns(), task);
	e->parent_tid = cur->pid;
	e->_pad0 = 0;
	e->clone_flags = clone_flags;
	e->start_routine = start;
	submit(e);
	count_emit(TS_WEV_CREATE);
out:
	prog_end(s, TS_WPROG_NEWTASK, t0);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(tsw_rename, struct task_struct *task, const char *comm)
{
	struct ts_wev_rename *e;
	struct ts_wstats *s;
	__u64 t0;

	if (task->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_RENAME);
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto out;
	}
	fill_hdr(&e->h, TS_WEV_RENAME, sizeof(*e), bpf_ktime_get_ns(), task);
	__builtin_memset(e->new_comm, 0, sizeof(e->new_comm));
	bpf_probe_read_kernel_str(e->new_comm, sizeof(e->new_comm), comm);
	e->by_tid = bpf_get_current_pid_tgid();
	e->_pad0 = 0;
	submit(e);
	count_emit(TS_WEV_RENAME);
out:
	prog_end(s, TS_WPROG_RENAME, t0);
	return 0;
}

/* Fills the exit/totals body for t from its state (st may be NULL), with
 * cpu_ns its CPU time as the caller established it. */
static __always_inline void fill_exit(struct ts_wev_exit *e,
				      struct task_struct *t,
				      struct wstate *st, __u64 cpu_ns)
{
	e->start_ns = t->start_time;
	e->cpu_ns = cpu_ns;
	e->run_delay_ns = t->sched_info.run_delay;
	e->exit_code = t->exit_code;
	e->flags = 0;
	e->start_routine = st ? st->start_routine : 0;
	if (st && !(st->exit_flags & WST_NO_TOTALS)) {
		__builtin_memcpy(&e->tot, &st->tot, sizeof(e->tot));
		e->flags |= TS_WEXIT_F_TOTALS;
	} else {
		__builtin_memset(&e->tot, 0, sizeof(e->tot));
	}
}

static __always_inline void record_exit(struct ts_wev_exit *e)
{
	struct ts_recent_thread *r;
	__u32 slot;

	if (!rec_slots)
		return;
	slot = __sync_fetch_and_add(&rec_next, 1) % rec_slots;
	r = bpf_map_lookup_elem(&ts_recent, &slot);
	if (!r)
		return;
	r->tid = e->h.tid;
	r->tgid = e->h.tgid;
	__builtin_memcpy(r->comm, e->h.comm, sizeof(r->comm));
	r->start_ns = e->start_ns;
	r->cpu_ns = e->cpu_ns;
	r->run_delay_ns = e->run_delay_ns;
	r->start_routine = e->start_routine;
	r->exit_code = e->exit_code;
	r->abi_version = TS_ABI_VERSION;
	__builtin_memcpy(&r->tot, &e->tot, sizeof(r->tot));
	r->exit_ns = e->h.ts_ns;
}

/* Set once the last thread of the target was seen exiting, where the
 * tracepoint does not say so itself. */
__u64 group_dead_seen;

/* Whether p, exiting, is the last thread of its process: the tracepoint's
 * group_dead argument (6.16+). Before 6.16 the tracepoint runs after
 * do_exit() has decremented signal->live, so a count of 0 means every
 * thread is on its way out; two threads exiting together may both see 0,
 * so only the first is flagged (the process is gone either way, which is
 * what user space needs). */
static __always_inline bool exit_group_dead(__u64 *ctx, struct task_struct *p)
{
	if (ts_has(TS_FEAT_EXIT_GROUP_DEAD))
		return (bool)ts_ctx_arg(ctx, 1);
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return false;
	return __sync_fetch_and_or(&group_dead_seen, 1) == 0;
}

/* p (== current) exits. Its exit record waits for its final switch-out
 * (exit_final below), when its CPU time is complete; here: flush a pending
 * wait and note group_dead, which that tracepoint does not pass. The slot
 * is claimed if p had none, so the note has a place. Arguments (p[, bool
 * group_dead]). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(tsw_exit, struct task_struct *p)
{
	struct ts_wstats *s;
	struct wstate *st;
	__u32 fresh = 0;
	__u64 t0;

	if (p->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_EXIT);
	st = state_of(p, false);
	if (!st) {
		st = state_of(p, true);
		fresh = WST_NO_TOTALS;
	}
	if (!st)
		goto out;
	if (st->pending)
		emit_wait(p, st, TS_WEV_WAIT, TS_WAIT_F_FLUSHED);
	st->exit_flags = fresh |
			 (exit_group_dead(ctx, p) ? TS_WEXIT_F_GROUP_DEAD : 0);
out:
	prog_end(s, TS_WPROG_EXIT, t0);
	return 0;
}

/* p (== current, prev of a sched_switch) leaves the CPU for the last time:
 * se.sum_exec_runtime is final (the switch accounted the slice that ends
 * here). Emits its lifetime, CPU time and totals, keeps them in the flight
 * recorder and frees its slot. Without a slot (watch attached after p's
 * sched_process_exit, or the slot was taken over) whether it was the last
 * thread is read from signal->live. */
static __always_inline void exit_final(struct task_struct *p)
{
	struct ts_wev_exit *e;
	struct wstate *st;

	st = state_of(p, false);
	if (st && st->pending)
		emit_wait(p, st, TS_WEV_WAIT, TS_WAIT_F_FLUSHED);
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		count_lost();
		goto out;
	}
	fill_hdr(&e->h, TS_WEV_EXIT, sizeof(*e), bpf_ktime_get_ns(), p);
	fill_exit(e, p, st, p->se.sum_exec_runtime);
	if (st ? st->exit_flags & TS_WEXIT_F_GROUP_DEAD :
	    !BPF_CORE_READ(p, signal, live.counter))
		e->flags |= TS_WEXIT_F_GROUP_DEAD;
	record_exit(e);
	submit(e);
	count_emit(TS_WEV_EXIT);
out:
	if (st)
		st->tid = 0;          /* free the slot */
}

#endif
