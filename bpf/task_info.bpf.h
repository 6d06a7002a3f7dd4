/* Reusable BPF helpers that describe a task: its user registers, what one of
 * its fds is (socket with addresses and queues, pipe, file), its scheduler
 * times, and a copy of the top of its user stack.
 *
 * Included by bpf/snapshot.bpf.c and meant for bpf/watch.bpf.c too. Every
 * kernel read goes through CO-RE so the object loads on any kernel with BTF.
 * Include after vmlinux.h, bpf_helpers.h, bpf_core_read.h and
 * taskscope_abi.h; it brings features.bpf.h (the kernel facilities it may
 * use) along.
 */
#ifndef TS_TASK_INFO_BPF_H
#define TS_TASK_INFO_BPF_H

#include "features.bpf.h"

#define TS_PF_KTHREAD 0x00200000   /* include/linux/sched.h */
#define TS_S_IFMT     0170000
#define TS_S_IFSOCK   0140000
#define TS_S_IFREG    0100000
#define TS_S_IFIFO    0010000
#define TS_AF_INET    2
#define TS_AF_INET6   10
#define TS_IPPROTO_TCP 6

/* Copies the user registers saved at the task's last kernel entry into out
 * (DWARF order). Returns false when the task has none (kernel thread). For a
 * task running on another CPU they are stale: the caller must say so.
 * Plain loads, not BPF_CORE_READ: task and the pt_regs bpf_task_pt_regs
 * returns are BTF pointers, which BTF-aware programs (iterators, tp_btf)
 * may dereference directly (still CO-RE relocated through vmlinux.h's
 * preserve_access_index); a helper call per field cost ~20 calls a thread
 * in every snapshot pass. */
static __always_inline bool ts_task_user_regs(struct task_struct *task,
					      struct ts_user_regs *out,
					      __s32 *orig_ax)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (!regs)
		return false;
	out->r[TS_REG_AX] = regs->ax;
	out->r[TS_REG_DX] = regs->dx;
	out->r[TS_REG_CX] = regs->cx;
	out->r[TS_REG_BX] = regs->bx;
	out->r[TS_REG_SI] = regs->si;
	out->r[TS_REG_DI] = regs->di;
	out->r[TS_REG_BP] = regs->bp;
	out->r[TS_REG_SP] = regs->sp;
	out->r[TS_REG_R8] = regs->r8;
	out->r[TS_REG_R9] = regs->r9;
	out->r[TS_REG_R10] = regs->r10;
	out->r[TS_REG_R11] = regs->r11;
	out->r[TS_REG_R12] = regs->r12;
	out->r[TS_REG_R13] = regs->r13;
	out->r[TS_REG_R14] = regs->r14;
	out->r[TS_REG_R15] = regs->r15;
	out->r[TS_REG_IP] = regs->ip;
	out->fsbase = task->thread.fsbase;
	*orig_ax = (__s32)regs->orig_ax;
	return true;
}

/* Syscall arguments in the x86_64 syscall ABI order. */
static __always_inline void ts_syscall_args(const struct ts_user_regs *r,
					    __u64 args[6])
{
	args[0] = r->r[TS_REG_DI];
	args[1] = r->r[TS_REG_SI];
	args[2] = r->r[TS_REG_DX];
	args[3] = r->r[TS_REG_R10];
	args[4] = r->r[TS_REG_R8];
	args[5] = r->r[TS_REG_R9];
}

/* sk's ports (host byte order) and addresses, for family TS_AF_INET (the
 * IPv4 address in the first 4 bytes of laddr/raddr) or TS_AF_INET6; the
 * addresses are left alone for another family. Snapshot's fd description
 * and the cross-process resolver both name a socket this way. */
static __always_inline void ts_sock_addrs(struct sock *sk, __u16 family,
					  __u16 *lport, __u16 *rport,
					  __u8 laddr[16], __u8 raddr[16])
{
	*lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	*rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == TS_AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		__builtin_memcpy(laddr, &l, 4);
		__builtin_memcpy(raddr, &r, 4);
	} else if (family == TS_AF_INET6) {
		BPF_CORE_READ_INTO(laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(raddr, sk, __sk_common.skc_v6_daddr);
	}
}

static __always_inline void ts_sock_info(struct sock *sk, struct ts_fd_info *out)
{
	out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	out->sotype = BPF_CORE_READ(sk, sk_type);
	out->protocol = BPF_CORE_READ(sk, sk_protocol);
	out->sk_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	ts_sock_addrs(sk, out->family, &out->lport, &out->rport, out->laddr,
		      out->raddr);
	if ((out->family == TS_AF_INET || out->family == TS_AF_INET6) &&
	    out->protocol == TS_IPPROTO_TCP) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;

		out->rx_queued = BPF_CORE_READ(tp, rcv_nxt) -
				 BPF_CORE_READ(tp, copied_seq);
		out->tx_queued = BPF_CORE_READ(tp, write_seq) -
				 BPF_CORE_READ(tp, snd_una);
	} else {
		out->rx_queued = BPF_CORE_READ(sk, sk_backlog.rmem_alloc.counter);
	}
}

/* Describes fd of task into out: task->files->fdt->fd[fd] -> file -> inode,
 * and for a socket file -> socket -> sock. Every read is a probe read, so
 * a file closed under us yields stale fields, never a fault. A
 * non-sleepable program runs inside an RCU read-side section already,
 * which keeps the file from being freed meanwhile; a sleepable one calls
 * ts_task_fd_info_rcu. */
static __always_inline void ts_task_fd_info(struct task_struct *task, __u32 fd,
					    struct ts_fd_info *out)
{
	struct files_struct *files;
	struct fdtable *fdt;
	struct file **fdarr;
	struct file *f = NULL;
	struct inode *inode;
	__u32 mode;

	out->type = TS_FD_BAD;
	files = BPF_CORE_READ(task, files);
	if (!files)
		return;
	fdt = BPF_CORE_READ(files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return;
	fdarr = BPF_CORE_READ(fdt, fd);
	/* The array element is plain memory: no CO-RE relocation applies. */
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdarr[fd]) || !f)
		return;
	inode = BPF_CORE_READ(f, f_inode);
	mode = BPF_CORE_READ(inode, i_mode);
	out->mode = mode;
	out->ino = BPF_CORE_READ(inode, i_ino);
	switch (mode & TS_S_IFMT) {
	case TS_S_IFSOCK: {
		struct socket *sock = BPF_CORE_READ(f, private_data);
		struct sock *sk = BPF_CORE_READ(sock, sk);

		out->type = TS_FD_SOCKET;
		if (sk)
			ts_sock_info(sk, out);
		break;
	}
	case TS_S_IFIFO:
		out->type = TS_FD_PIPE;
		break;
	case TS_S_IFREG:
		out->type = TS_FD_FILE;
		break;
	default:
		out->type = TS_FD_OTHER;
	}
}

/* ts_task_fd_info for sleepable programs: inside bpf_rcu_read_lock where
 * the kernel has it (6.2+), so the file cannot be freed while it is read.
 * Below 6.2 the reads are unprotected: still safe (probe reads), but a
 * close racing with the pass may show a half-updated description. Must
 * not be called with the RCU lock held, and bpf_copy_from_user_task must
 * not be called inside. */
static __always_inline void ts_task_fd_info_rcu(struct task_struct *task,
						__u32 fd,
						struct ts_fd_info *out)
{
	if (ts_rcu_kfunc())
		bpf_rcu_read_lock();
	ts_task_fd_info(task, fd, out);
	if (ts_rcu_kfunc())
		bpf_rcu_read_unlock();
}

/* True when syscall nr takes an fd as its first argument and may block on
 * it: the calls for which "what is this fd" answers "what is it waiting
 * for". x86_64 numbers. */
static __always_inline bool ts_syscall_fd_arg0(__s32 nr)
{
	switch (nr) {
	case 0:   /* read */
	case 1:   /* write */
	case 17:  /* pread64 */
	case 18:  /* pwrite64 */
	case 19:  /* readv */
	case 20:  /* writev */
	case 42:  /* connect */
	case 43:  /* accept */
	case 44:  /* sendto */
	case 45:  /* recvfrom */
	case 46:  /* sendmsg */
	case 47:  /* recvmsg */
	case 72:  /* fcntl (F_SETLKW) */
	case 73:  /* flock */
	case 74:  /* fsync */
	case 232: /* epoll_wait */
	case 281: /* epoll_pwait */
	case 288: /* accept4 */
	case 295: /* preadv */
	case 299: /* recvmmsg */
	case 307: /* sendmmsg */
	case 327: /* preadv2 */
	case 441: /* epoll_pwait2 */
		return true;
	}
	return false;
}

/* Scheduler times of task: CPU time, when it last got a CPU and how long
 * it ran then, all in the scheduler clock (rq clock, sched_clock based),
 * which is not bpf_ktime_get_ns(): see ts_sched_clock_ref(). */
static __always_inline void ts_task_sched_times(struct task_struct *task,
						__u64 *cpu_ns, __u64 *arrival,
						__u64 *last_run, __u64 *queued)
{
	__u64 sum = task->se.sum_exec_runtime;   /* plain loads: see above */

	*cpu_ns = sum;
	*arrival = task->sched_info.last_arrival;
	*queued = task->sched_info.last_queued;
	/* prev_sum_exec_runtime is sum_exec_runtime when it last got the CPU,
	 * so the difference is how long that stint lasted: arrival + stint is
	 * when it went off the CPU. */
	*last_run = sum - task->se.prev_sum_exec_runtime;
}

/* A scheduler-clock reading to pair with bpf_ktime_get_ns(): when the
 * thread running this program last got the CPU (sched_info.last_arrival,
 * in the rq clock like every time above). The scheduler clock has no BPF
 * helper and `runqueues` is not in kallsyms without CONFIG_KALLSYMS_ALL, so
 * the reader sleeps briefly just before it reads: it is switched in again a
 * few microseconds before this runs, and user space takes the largest
 * (reference - ktime) over all records as the offset between the clocks
 * (see src/taskscope/snapshot/snapshot_decode.c). */
static __always_inline __u64 ts_sched_clock_ref(void)
{
	struct task_struct *cur = bpf_get_current_task_btf();

	return cur->sched_info.last_arrival;
}

struct ts_vma_span {
	__u64 start, end;
};

static long ts_vma_cb(struct task_struct *task, struct vm_area_struct *vma,
		      void *data)
{
	struct ts_vma_span *span = data;

	span->start = BPF_CORE_READ(vma, vm_start);
	span->end = BPF_CORE_READ(vma, vm_end);
	return 0;
}

/* How many bytes of task's user stack from sp can be copied, at most max
 * (and TS_STACK_MAX): user copies are all-or-nothing, so the length is
 * clamped to the end of the mapping that holds sp (bpf_find_vma). Fills
 * win's addr and flags (len stays 0 for the caller to set). Shared by the
 * sleepable copy below and watch's non-sleepable one. */
static __always_inline __u32 ts_stack_clamp(struct task_struct *task,
					    __u64 sp, __u32 max,
					    struct ts_stack_window *win)
{
	struct ts_vma_span span = {};
	__u64 avail;
	__u32 len;

	win->addr = sp;
	win->len = 0;
	win->flags = 0;
	if (bpf_find_vma(task, sp, ts_vma_cb, &span, 0) || span.end <= sp) {
		win->flags = TS_STACK_NO_VMA;
		return 0;
	}
	avail = span.end - sp;
	if (avail <= max) {
		len = avail;
		win->flags |= TS_STACK_CLAMPED;
	} else {
		len = max;
		win->flags |= TS_STACK_CUT;
	}
	/* Whole words only: records stay 8-byte aligned back to back. */
	len &= ~7u;
	return len > TS_STACK_MAX ? TS_STACK_MAX : len;
}

/* len as a length the verifier can see is at most TS_STACK_MAX, for the
 * helper that copies into a TS_STACK_MAX buffer. 6.1's verifier loses the
 * bound of ts_stack_clamp's 32-bit result: the compiler tests a
 * zero-extended copy of the register and passes the register itself, whose
 * upper half the verifier does not know is zero ("R2 min value is
 * negative, either use unsigned or 'var &= const'"); newer verifiers keep
 * the bound. So the test is made on the 64-bit value that is passed, and
 * the empty asm statements keep the compiler from folding it away (it
 * knows len is bounded already) or merging it with the caller's test for
 * zero into one range check, which 6.1 cannot follow either. */
static __always_inline __u64 ts_stack_len_checked(__u64 len)
{
	asm volatile("" : "+r"(len));
	if (len > TS_STACK_MAX)
		len = 0;
	asm volatile("" : "+r"(len));
	return len;
}

/* Copies the top of task's user stack, from sp up to at most max bytes,
 * into buf and describes it in win. Sleepable programs only
 * (bpf_copy_from_user_task). Returns the bytes copied. */
static __always_inline __u32 ts_copy_user_stack(struct task_struct *task,
						__u64 sp, void *buf, __u32 max,
						struct ts_stack_window *win)
{
	__u64 len = ts_stack_len_checked(ts_stack_clamp(task, sp, max, win));

	if (!len)
		return 0;
	if (bpf_copy_from_user_task(buf, len, (void *)sp, task, 0)) {
		win->flags |= TS_STACK_COPY_FAIL;
		return 0;
	}
	win->len = len;
	return len;
}

#endif
