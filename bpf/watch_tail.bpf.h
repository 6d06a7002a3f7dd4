/* Completing a long wait after its wakeup, in the woken thread itself:
 * tsw_recv adds the bytes a socket read returned, tsw_rseq (--stacks) the
 * registers and user stack on the thread's way back to user mode. Where
 * the kernel has no sock_recv_length tracepoint (before 6.3), tsw_rseq is
 * attached without --stacks too and takes the bytes from the syscall's
 * return value instead. Part of bpf/watch.bpf.c (included once, after its
 * maps and helpers). */
#ifndef TS_WATCH_TAIL_BPF_H
#define TS_WATCH_TAIL_BPF_H

/* A socket read returned in the reading thread (current): its byte count
 * completes a pending read wait. */
SEC("tp_btf/sock_recv_length")
int BPF_PROG(tsw_recv, struct sock *sk, int ret, int flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct ts_wstats *s;
	struct wstate *st;
	__u64 t0;

	if (t->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_RECV);
	st = state_of(t, false);
	if (st && st->pending && st->cur.cls == TS_WAIT_READ &&
	    !(st->cur.flags & TS_WAIT_F_BYTES)) {
		st->cur.bytes = ret;
		st->cur.flags |= TS_WAIT_F_BYTES;
		if (!want_stacks)
			emit_wait(t, st, TS_WEV_WAIT, 0);
	}
	prog_end(s, TS_WPROG_RECV, t0);
	return 0;
}

/* Non-sleepable copy of current's user stack from sp (the sleepable
 * ts_copy_user_stack cannot run here). Returns bytes copied. */
static __always_inline __u32 copy_current_stack(struct task_struct *t,
						__u64 sp, void *buf,
						struct ts_stack_window *win)
{
	__u64 len = ts_stack_len_checked(ts_stack_clamp(t, sp, stack_max, win));

	if (!len || bpf_probe_read_user(buf, len, (void *)sp)) {
		win->flags |= TS_STACK_COPY_FAIL;
		return 0;
	}
	win->len = len;
	return len;
}

/* Without sock_recv_length: a socket read's result is the return value of
 * the syscall t (== current) is about to return to user mode from, still
 * in its saved registers (ax) here. recvmmsg returns a message count, not
 * bytes: left without. */
static __always_inline void bytes_at_return(struct task_struct *t,
					    struct wstate *st)
{
	struct pt_regs *regs;

	if (st->cur.cls != TS_WAIT_READ || st->cur.fd.type != TS_FD_SOCKET ||
	    (st->cur.flags & TS_WAIT_F_BYTES) ||
	    st->cur.syscall == TS_NR_RECVMMSG)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs || (__s32)regs->orig_ax != st->cur.syscall)
		return;
	st->cur.bytes = (__s32)regs->ax;
	st->cur.flags |= TS_WAIT_F_BYTES;
}

/* The thread (current) returns to user mode after a switch (rseq_update
 * fires for threads with an rseq area: every glibc 2.35+ thread). With
 * --stacks, its user stack is still exactly as at the start of the wait,
 * so a pending long wait is emitted here with registers and a copy of the
 * stack; without sock_recv_length a pending socket read gets its bytes
 * here first. */
SEC("tp_btf/rseq_update")
int BPF_PROG(tsw_rseq, struct task_struct *t)
{
	struct wev_wait_stack *e;
	struct ts_wstats *s;
	struct wstate *st;
	__s32 orig_ax;
	__u64 t0;

	if (t->tgid != targ_tgid || !targ_tgid)
		return 0;
	t0 = prog_begin(&s, TS_WPROG_RSEQ);
	st = state_of(t, false);
	if (!st || !st->pending)
		goto out;
	if (!ts_has(TS_FEAT_SOCK_RECV_LENGTH))
		bytes_at_return(t, st);
	if (!want_stacks) {
		emit_wait(t, st, TS_WEV_WAIT, 0);
		goto out;
	}
	e = bpf_ringbuf_reserve(&ts_wevents, sizeof(*e), 0);
	if (!e) {
		if (s)
			s->lost_stack++;
		emit_wait(t, st, TS_WEV_WAIT, 0);
		goto out;
	}
	st->pending = 0;
	__builtin_memcpy(&e->e.w, &st->cur, sizeof(e->e.w));
	__builtin_memset(&e->s, 0, sizeof(e->s));
	ts_task_user_regs(t, &e->s.regs, &orig_ax);
	copy_current_stack(t, e->s.regs.r[TS_REG_SP], e->data, &e->s.stack);
	e->e.w.flags |= TS_WAIT_F_STACK;
	fill_hdr(&e->e.h, TS_WEV_WAIT,
		 sizeof(e->e) + sizeof(e->s) + e->s.stack.len,
		 st->cur.end_ns, t);
	submit(e);
	count_emit(TS_WEV_WAIT);
out:
	prog_end(s, TS_WPROG_RSEQ, t0);
	return 0;
}

#endif
