// SPDX-License-Identifier: GPL-2.0
/* taskscope snapshot: one pass of a sleepable task iterator over the target
 * process (filtered in the kernel by link_info.task.pid), writing one
 * struct ts_snap_thread record per thread, followed by its kernel stack and a
 * copy of the top of its user stack, for user space to unwind.
 *
 * Transport: bpf_seq_write into the iterator's seq_file rather than a ring
 * buffer. A record is written only when the reader has room for it, so the
 * seq_file applies backpressure and the pass scales to any thread count with
 * a fixed 32 KiB buffer; a ring buffer would have to hold every thread's
 * stack at once (10,000 threads x 24 KiB) or drop records. The cost is that
 * one object's output must stay under 32 KiB, which the ABI header asserts.
 *
 * Built twice for its light skeleton (see features.bpf.h): as is, with the
 * bpf_rcu_read_lock kfunc required (6.2+), and with TS_RCU_KFUNC=0 as
 * snapshot_norcu for older kernels.
 */
#ifndef TS_RCU_KFUNC
#define TS_RCU_KFUNC 1
#endif
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "taskscope_abi.h"
#include "features.bpf.h"
#include "task_info.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct ts_snap_config ts_cfg = {
	.stack_max = TS_STACK_MAX,
};

/* Per-CPU scratch for one record: too big for the 512-byte BPF stack. The
 * sleepable program runs with migration disabled, so the slot stays ours. */
struct ts_snap_buf {
	struct ts_snap_thread hdr;
	__u64 kstack[TS_KSTACK_MAX];
	__u8 stack[TS_STACK_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_snap_buf);
} ts_snap_scratch SEC(".maps");



/* Copies the user memory the syscall points at: for a futex wait the futex
 * word and what surrounds it (mutex owner at +8; 16 bytes below too, since
 * an rwlock waiter sleeps on a word in the middle of pthread_rwlock_t and
 * the writer's tid lies beyond), for a sleep its struct timespec. */
static __always_inline void snap_umem(struct task_struct *task,
				      struct ts_snap_thread *h)
{
	__u64 uaddr;

	switch (h->syscall_nr) {
	case TS_NR_FUTEX:
	case TS_NR_FUTEX_WAIT:
		uaddr = h->args[0];
		if (uaddr >= 16 &&
		    !bpf_copy_from_user_task(h->umem, sizeof(h->umem),
					     (void *)(uaddr - 16), task, 0)) {
			h->umem_addr = uaddr - 16;
			h->flags |= TS_SNAP_UMEM | TS_SNAP_UMEM_LOW;
			return;
		}
		break;
	case TS_NR_NANOSLEEP:
		uaddr = h->args[0];
		break;
	case TS_NR_CLOCK_NANOSLEEP:
		uaddr = h->args[2];
		break;
	default:
		return;
	}
	if (!bpf_copy_from_user_task(h->umem, 16, (void *)uaddr, task, 0)) {
		h->umem_addr = uaddr;
		h->flags |= TS_SNAP_UMEM;
	}
}

/* Bytes of user stack worth copying from sp. A glibc thread's stack
 * mapping holds, from the top down, its struct pthread (the thread pointer,
 * fsbase, points at it), its static TLS, then the stack frames: every frame
 * lies below fsbase, so the copy stops there (~2.3 KiB of struct pthread a
 * thread saved, half of a blocked thread's copy). The main thread's fsbase
 * is elsewhere (below sp), which leaves its copy as it was; a frame beyond
 * the window would still show as a truncated stack, never silently. */
static __always_inline __u32 snap_stack_len(const struct ts_user_regs *r,
					    bool *at_tls)
{
	__u64 sp = r->r[TS_REG_SP], fs = r->fsbase;
	__u32 max = ts_cfg.stack_max;

	*at_tls = fs > sp && fs - sp < max;
	return *at_tls ? (__u32)(fs - sp) : max;
}

SEC("iter.s/task")
int ts_snapshot(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct ts_snap_thread *h;
	struct ts_snap_buf *b;
	__u32 zero = 0, klen = 0, ulen = 0;
	bool at_tls = false;
	__u32 pf;
	long n;

	if (!task)
		return 0;
	/* Plain loads from task (a trusted BTF pointer), not a helper call
	 * per field: see ts_task_user_regs. */
	pf = task->flags;
	if ((pf & TS_PF_KTHREAD) && !ts_cfg.want_kthreads)
		return 0;
	b = bpf_map_lookup_elem(&ts_snap_scratch, &zero);
	if (!b)
		return 0;
	h = &b->hdr;
	__builtin_memset(h, 0, sizeof(*h));
	h->abi_version = TS_ABI_VERSION;
	h->tid = task->pid;
	h->tgid = task->tgid;
	h->state = task->__state;
	h->exit_state = task->exit_state;
	h->on_cpu = task->on_cpu;
	h->cpu = task->thread_info.cpu;
	h->start_mono_ns = task->start_time;
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
	ts_task_sched_times(task, &h->cpu_ns, &h->last_arrival_ns,
			    &h->last_run_ns, &h->last_queued_ns);
	/* Both clocks together, right after the scheduler times: user space
	 * pairs them to turn scheduler-clock times into durations, and adds
	 * a running thread's stint up to this "now" to its CPU time. Read
	 * after this record's stack copies instead, the first record's now
	 * came tens of us after the reader's switch-in, which lowered the
	 * pass's clock offset by as much, and a running thread's stint
	 * gained its own record's copying time. */
	h->now_sched_ns = ts_sched_clock_ref();
	h->now_mono_ns = bpf_ktime_get_ns();
	h->syscall_nr = -1;
	if (pf & TS_PF_KTHREAD) {
		h->flags |= TS_SNAP_KTHREAD;
	} else if (h->exit_state) {
		h->flags |= TS_SNAP_NO_REGS;   /* its memory is gone */
	} else if (ts_task_user_regs(task, &h->regs, &h->syscall_nr)) {
		ts_syscall_args(&h->regs, h->args);
		if (ts_syscall_fd_arg0(h->syscall_nr)) {
			ts_task_fd_info_rcu(task, (__u32)h->args[0], &h->fd);
			h->flags |= TS_SNAP_FD;
		}
		snap_umem(task, h);
		ulen = ts_copy_user_stack(task, h->regs.r[TS_REG_SP], b->stack,
					  snap_stack_len(&h->regs, &at_tls),
					  &h->ustack);
		if (at_tls && (h->ustack.flags & TS_STACK_CUT))
			h->ustack.flags ^= TS_STACK_CUT | TS_STACK_TLS;
	} else {
		h->flags |= TS_SNAP_NO_REGS;
	}
	if (ts_cfg.want_kstack) {
		n = bpf_get_task_stack(task, b->kstack, sizeof(b->kstack), 0);
		if (n > 0 && n <= sizeof(b->kstack))
			klen = n;
	}
	h->kstack_len = klen;
	if (ulen > TS_STACK_MAX)
		ulen = TS_STACK_MAX;
	if (klen > sizeof(b->kstack))
		klen = sizeof(b->kstack);
	h->rec_len = sizeof(*h) + klen + ulen;
	bpf_seq_write(seq, h, sizeof(*h));
	bpf_seq_write(seq, b->kstack, klen);
	bpf_seq_write(seq, b->stack, ulen);
	return 0;
}
