/* The event ABI shared by the BPF programs (bpf/) and taskscope's user space
 * (src/taskscope/): every struct, enum and limit that crosses the kernel/user
 * boundary lives here and nowhere else.
 *
 * Rules: fixed-width types only (__u32, __u64; no long, bool or pointers),
 * explicit padding, the TS_/ts_ prefix on every name so nothing clashes with
 * vmlinux.h, and a _Static_assert on each record's size. Bump TS_ABI_VERSION
 * on any incompatible change.
 */
#ifndef TASKSCOPE_ABI_H
#define TASKSCOPE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TS_ABI_VERSION 1

#define TS_COMM_LEN 16

/* x86_64 syscall numbers the programs and the classifier reason about.
 * Kept here, not taken from <asm/unistd_64.h>: Debian 12's headers stop at
 * 6.1 and miss futex_wake/futex_wait (6.7), which this kernel has. */
#define TS_NR_READ 0
#define TS_NR_WRITE 1
#define TS_NR_POLL 7
#define TS_NR_PREAD64 17
#define TS_NR_PWRITE64 18
#define TS_NR_READV 19
#define TS_NR_WRITEV 20
#define TS_NR_SELECT 23
#define TS_NR_PAUSE 34
#define TS_NR_NANOSLEEP 35
#define TS_NR_CONNECT 42
#define TS_NR_ACCEPT 43
#define TS_NR_SENDTO 44
#define TS_NR_RECVFROM 45
#define TS_NR_SENDMSG 46
#define TS_NR_RECVMSG 47
#define TS_NR_WAIT4 61
#define TS_NR_RT_SIGTIMEDWAIT 128
#define TS_NR_RT_SIGSUSPEND 130
#define TS_NR_FUTEX 202
#define TS_NR_CLOCK_NANOSLEEP 230
#define TS_NR_EPOLL_WAIT 232
#define TS_NR_WAITID 247
#define TS_NR_PSELECT6 270
#define TS_NR_PPOLL 271
#define TS_NR_EPOLL_PWAIT 281
#define TS_NR_ACCEPT4 288
#define TS_NR_PREADV 295
#define TS_NR_RECVMMSG 299
#define TS_NR_SENDMMSG 307
#define TS_NR_PREADV2 327
#define TS_NR_EPOLL_PWAIT2 441
#define TS_NR_FUTEX_WAITV 449
#define TS_NR_FUTEX_WAKE 454
#define TS_NR_FUTEX_WAIT 455

/* ---- optional kernel features ------------------------------------------ */

/* Bits of ts_features, the read-only global every BPF object has
 * (bpf/features.bpf.h). User space probes the kernel before loading
 * (src/taskscope/attach/bpf_features.c) and sets the bit of each feature
 * that exists; the programs test it with ts_has() and the verifier drops
 * the path not taken as dead code (a const volatile is known at load), so
 * one object loads on kernels with and without the feature. The comment
 * says from which Linux release on the kernel has it. */
#define TS_FEAT_RCU_KFUNC         (1ull << 0)  /* bpf_rcu_read_lock kfunc, 6.2 */
#define TS_FEAT_EXIT_GROUP_DEAD   (1ull << 1)  /* sched_process_exit group_dead
						* argument, 6.16 */
#define TS_FEAT_SOCK_RECV_LENGTH  (1ull << 2)  /* sock/sock_recv_length, 6.3 */
#define TS_FEAT_SWITCH_PREV_STATE (1ull << 3)  /* sched_switch prev_state
						* argument, 5.18 */
#define TS_FEAT_UPROBE_MULTI      (1ull << 4)  /* uprobe_multi links, 6.6
						* (user space attaches) */

/* ---- common (both programs) ------------------------------------------- */

/* User registers in DWARF numbering for x86_64, the order libdw's
 * dwfl_thread_state_registers() takes: 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi,
 * 5 rdi, 6 rbp, 7 rsp, 8-15 r8-r15, 16 rip. */
enum ts_dwarf_reg {
	TS_REG_AX = 0, TS_REG_DX, TS_REG_CX, TS_REG_BX, TS_REG_SI, TS_REG_DI,
	TS_REG_BP, TS_REG_SP, TS_REG_R8, TS_REG_R9, TS_REG_R10, TS_REG_R11,
	TS_REG_R12, TS_REG_R13, TS_REG_R14, TS_REG_R15, TS_REG_IP,
	TS_REG_COUNT
};

/* A thread's user registers as saved on kernel entry (bpf_task_pt_regs). */
struct ts_user_regs {
	__u64 r[TS_REG_COUNT];       /* indexed by enum ts_dwarf_reg */
	__u64 fsbase;                /* thread pointer: glibc's struct pthread */
};
_Static_assert(sizeof(struct ts_user_regs) == 144, "ts_user_regs size");

/* Largest copy of the top of a user stack, in bytes. Sized so one snapshot
 * record (header + kernel stack + this window) stays under the 32 KiB limit
 * of a bpf_seq_write record and of a per-CPU array value. */
#define TS_STACK_MAX 24576

/* ts_stack_window.flags */
#define TS_STACK_CLAMPED   0x1  /* window ends at the end of the stack VMA */
#define TS_STACK_CUT       0x2  /* the stack goes on past TS_STACK_MAX bytes */
#define TS_STACK_NO_VMA    0x4  /* sp is in no mapping: nothing copied */
#define TS_STACK_COPY_FAIL 0x8  /* bpf_copy_from_user_task failed */
#define TS_STACK_TLS       0x10 /* window ends at the thread pointer: above
				 * it lie struct pthread and TLS, no frame */

/* Describes the copied stack bytes that follow a record: [addr, addr+len). */
struct ts_stack_window {
	__u64 addr;                  /* user address of the first byte (= sp) */
	__u32 len;                   /* bytes copied, <= TS_STACK_MAX */
	__u32 flags;                 /* TS_STACK_* */
};
_Static_assert(sizeof(struct ts_stack_window) == 16, "ts_stack_window size");

/* What an fd refers to (ts_fd_info.type). */
enum ts_fd_type {
	TS_FD_NONE = 0,              /* not looked up (syscall takes no fd) */
	TS_FD_BAD,                   /* no such fd in the table */
	TS_FD_SOCKET,
	TS_FD_PIPE,
	TS_FD_FILE,                  /* regular file */
	TS_FD_OTHER,                 /* char device, eventfd, epoll, ... */
};

/* An fd as seen from the kernel: socket family/protocol and addresses in
 * network byte order as stored in struct sock_common, ports in host order. */
struct ts_fd_info {
	__u32 type;                  /* enum ts_fd_type */
	__u32 mode;                  /* inode i_mode */
	__u64 ino;                   /* inode number (pipe:[ino], socket:[ino]) */
	__u16 family;                /* AF_INET, AF_INET6, AF_UNIX, ... */
	__u16 sotype;                /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol;              /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u16 sk_state;              /* TCP_ESTABLISHED, TCP_LISTEN, ... */
	__u16 lport, rport;          /* host byte order */
	__u32 _pad0;
	__u8 laddr[16], raddr[16];   /* IPv4 in the first 4 bytes */
	__u32 rx_queued;             /* bytes waiting to be read */
	__u32 tx_queued;             /* bytes sent but not yet acknowledged */
};
_Static_assert(sizeof(struct ts_fd_info) == 72, "ts_fd_info size");

/* ---- CPU time (both programs) ---------------------------------------- */

/* The scheduler adds a running thread's time to se.sum_exec_runtime only
 * when it looks at it: at a tick, a switch, a wakeup on its CPU, or a read
 * of its CPU clock. Between those the slice since the last one is missing
 * from the field: a thread that hashes for 200 us from its first wakeup to
 * its exit has little or none of it there at sched_process_exit. Its
 * final figure is complete at its last switch-out (sched_switch with
 * prev_state TASK_DEAD), where taskscope watch reads an exiting thread's
 * CPU time. A thread still running when it is read (a snapshot pass,
 * watch's totals at the end) gets the unaccounted part of its current
 * stint added by ts_cpu_time_now(), which the BPF programs and user space
 * share from here (unit-tested in tests/unit/test_ts_cputime.c). */

/* Task state of a thread's last switch-out (include/linux/sched.h, the
 * same value since 4.14): do_task_dead() sets it before its final
 * __schedule(), and nothing else does. */
#define TS_TASK_DEAD 0x80

/* The most CPU time the scheduler leaves unaccounted to a thread that runs
 * without interruption: it accounts the running thread at every tick
 * (HZ >= 100: 10 ms apart); twice that allows for a late tick. A larger
 * gap means the stint did not start where last_arrival says: the kernel
 * resets prev_sum_exec_runtime without a switch when a running thread is
 * reniced, moved to another cgroup or gets a new policy. Then nothing is
 * added rather than a guess. */
#define TS_CPU_UNACCOUNTED_MAX 20000000ull

/* CPU time of a thread, in ns, including the part of its current stint on
 * a CPU the scheduler has not accounted yet.
 *   sum       se.sum_exec_runtime (accounted up to its last tick/switch)
 *   prev_sum  se.prev_sum_exec_runtime: sum when it last got the CPU
 *   arrival   sched_info.last_arrival: when it last got the CPU
 *   now       the scheduler clock now (same clock as arrival)
 *   on_cpu    nonzero when it is running now
 * The stint so far lasted now - arrival, of which sum - prev_sum is
 * accounted. Returns sum when the thread is not running, when now is not
 * past arrival (a late clock estimate) or when the gap is implausible (see
 * TS_CPU_UNACCOUNTED_MAX). Never less than sum. */
static inline __attribute__((always_inline)) __u64
ts_cpu_time_now(__u64 sum, __u64 prev_sum, __u64 arrival, __u64 now,
		__u32 on_cpu)
{
	__u64 stint, accounted;

	if (!on_cpu || !arrival || now <= arrival || prev_sum > sum)
		return sum;
	stint = now - arrival;
	accounted = sum - prev_sum;
	if (stint <= accounted || stint - accounted > TS_CPU_UNACCOUNTED_MAX)
		return sum;
	return sum + (stint - accounted);
}

/* ---- snapshot (bpf/snapshot.bpf.c) ------------------------------------ */

/* Kernel stack depth kept per thread (bpf_get_task_stack). */
#define TS_KSTACK_MAX 64

/* ts_snap_thread.flags */
#define TS_SNAP_KTHREAD    0x1   /* PF_KTHREAD: no user side */
#define TS_SNAP_UMEM       0x2   /* umem holds user memory at umem_addr */
#define TS_SNAP_UMEM_LOW   0x4   /* umem starts 16 bytes below the futex */
#define TS_SNAP_FD         0x8   /* fd describes args[0] */
#define TS_SNAP_NO_REGS    0x10  /* bpf_task_pt_regs unavailable */

/* One thread, written by the snapshot iterator with bpf_seq_write. The
 * record is followed by kstack_len bytes of kernel return addresses
 * (__u64 each) and then ustack.len bytes of user stack; rec_len covers all
 * three. */
struct ts_snap_thread {
	__u32 rec_len;               /* bytes, this header included */
	__u32 abi_version;           /* TS_ABI_VERSION */
	__u32 tid, tgid;
	__u32 state;                 /* task->__state */
	__u32 exit_state;            /* task->exit_state */
	__u32 flags;                 /* TS_SNAP_* */
	__u32 on_cpu;                /* 1 while running on a CPU */
	__u32 cpu;                   /* CPU it last ran on */
	__s32 syscall_nr;            /* orig_ax; < 0 when not in a syscall */
	__u64 args[6];               /* syscall arguments di si dx r10 r8 r9 */
	__u64 cpu_ns;                /* se.sum_exec_runtime as accounted:
				      * a running thread's current stint
				      * is added in user space */
	__u64 last_arrival_ns;       /* sched clock when it last got a CPU */
	__u64 last_run_ns;           /* length of that last stint on the CPU */
	__u64 last_queued_ns;        /* sched clock it became runnable, or 0 */
	__u64 now_sched_ns;          /* sched clock when the reader last got
				      * the CPU (a reference, see
				      * bpf/task_info.bpf.h) */
	__u64 now_mono_ns;           /* bpf_ktime_get_ns() at the read */
	__u64 start_mono_ns;         /* task->start_time (CLOCK_MONOTONIC) */
	char comm[TS_COMM_LEN];
	struct ts_user_regs regs;
	__u64 umem_addr;             /* user address of umem[0] */
	__u32 umem[12];              /* user memory the syscall points at: the
				      * futex word (and the mutex owner at +8)
				      * or a sleep's struct timespec */
	struct ts_fd_info fd;
	__u32 kstack_len;            /* bytes of kernel stack after the header */
	__u32 _pad1;
	struct ts_stack_window ustack;
};
_Static_assert(sizeof(struct ts_snap_thread) == 456, "ts_snap_thread size");
_Static_assert(sizeof(struct ts_snap_thread) + TS_KSTACK_MAX * 8 +
	       TS_STACK_MAX < 32768, "snapshot record must fit a seq_file write");

/* Read-only configuration of the snapshot iterator (rodata). */
struct ts_snap_config {
	__u32 want_kstack;           /* 1: bpf_get_task_stack for every thread */
	__u32 want_kthreads;         /* 1: include kernel threads (--all) */
	__u32 stack_max;             /* user stack bytes to copy, <= TS_STACK_MAX */
	__u32 _pad;
};
_Static_assert(sizeof(struct ts_snap_config) == 16, "ts_snap_config size");

/* ---- watch (bpf/watch.bpf.c) ------------------------------------------ */

/* Ring-buffer records of taskscope watch, all starting with ts_wev_hdr. */
enum ts_wev_type {
	TS_WEV_CREATE = 1,           /* a thread of the target was created */
	TS_WEV_RENAME,               /* a thread changed its name */
	TS_WEV_EXIT,                 /* a thread exited */
	TS_WEV_WAIT,                 /* a wait of at least min_block ended */
	TS_WEV_STUCK,                /* a wait still going on passed --stuck */
	TS_WEV_TOTALS,               /* a live thread's totals (end of watch) */
	TS_WEV_TYPE_MAX,
};

/* What a thread waited in, from the syscall it slept in (ts_wait.cls). */
enum ts_wait_class {
	TS_WAIT_FUTEX = 0,           /* futex, futex_wait, futex_waitv */
	TS_WAIT_READ,                /* read/readv/pread*, recvfrom/recvmsg/recvmmsg */
	TS_WAIT_POLL,                /* poll, select, epoll_wait and variants */
	TS_WAIT_SLEEP,               /* nanosleep, clock_nanosleep, pause */
	TS_WAIT_OTHER,               /* any other syscall, or none (syscall < 0) */
	TS_WAIT_NCLASS,
};

/* ts_wait.flags */
#define TS_WAIT_F_WORD      0x1   /* futex_word and futex_owner were read
				   * (stuck and adopted waits only) */
#define TS_WAIT_F_WAKER     0x2   /* waker_* name the thread that woke it */
#define TS_WAIT_F_WAKER_FUTEX 0x4 /* the waker was in a futex call on obj */
#define TS_WAIT_F_WAKER_IRQ 0x8   /* woken by an interrupt on an idle
				   * CPU (timer, network): no thread */
#define TS_WAIT_F_FD        0x10  /* fd describes obj (a read wait) */
#define TS_WAIT_F_BYTES     0x20  /* bytes is the socket read's result */
#define TS_WAIT_F_STACK     0x40  /* a ts_wev_stack tail follows */
#define TS_WAIT_F_ADOPTED   0x80  /* the wait began before watch started:
				   * start_ns is estimated from the
				   * scheduler's last-ran time */
#define TS_WAIT_F_FLUSHED   0x100 /* emitted before its stack or bytes came
				   * (the thread blocked again or exited) */

/* One wait: from going off CPU to sleep (start) to being queued to run
 * again (wake). wake - start is exact (scheduler clock); both are placed
 * in monotonic time at the thread's switch-in, so they may be late by its
 * run-queue delay. */
struct ts_wait {
	__u64 start_ns;              /* went off CPU to sleep (monotonic) */
	__u64 wake_ns;               /* woken (0: still asleep) */
	__u64 end_ns;                /* = wake_ns; stuck: time of the report */
	__u64 obj;                   /* futex address, or fd for read/poll */
	__u64 ip;                    /* user ip of the syscall */
	__s32 syscall;               /* orig_ax at switch-out; < 0: none */
	__u32 cls;                   /* enum ts_wait_class */
	__u32 sched_state;           /* task state it slept in (1 S, 2 D) */
	__u32 futex_op;              /* futex(2) op argument */
	__u32 futex_word;            /* *obj at switch-out (TS_WAIT_F_WORD) */
	__u32 futex_owner;           /* *(obj + 8): glibc mutex __owner */
	__u32 flags;                 /* TS_WAIT_F_* */
	__u32 waker_tid, waker_tgid;
	char waker_comm[TS_COMM_LEN];
	__s32 waker_syscall;         /* the syscall the waker was in (60:
				      * exit, for a pthread_join) */
	__s64 bytes;                 /* socket read result (TS_WAIT_F_BYTES) */
	struct ts_fd_info fd;        /* what obj is (TS_WAIT_F_FD) */
};
_Static_assert(sizeof(struct ts_wait) == 176, "ts_wait size");

/* Per-thread totals of the waits of at least min_block (the reported ones)
 * the kernel saw; all waits together are lifetime - CPU time - run delay. */
struct ts_thread_totals {
	__u64 blocked_ns[TS_WAIT_NCLASS];  /* time asleep by class */
	__u32 waits[TS_WAIT_NCLASS];       /* number of waits by class */
	__u32 top_cls;               /* the longest single wait: class, */
	__u64 top_ns;                /* duration, */
	__u64 top_obj;               /* futex address or fd, */
	__s32 top_syscall;           /* syscall */
	__u32 _pad0;
};
_Static_assert(sizeof(struct ts_thread_totals) == 88, "ts_thread_totals size");

struct ts_wev_hdr {
	__u32 type;                  /* enum ts_wev_type */
	__u32 size;                  /* bytes of the whole record */
	__u64 ts_ns;                 /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 tid, tgid;
	char comm[TS_COMM_LEN];      /* the thread's name at ts_ns */
};
_Static_assert(sizeof(struct ts_wev_hdr) == 40, "ts_wev_hdr size");

/* TS_WEV_CREATE: hdr.tid is the new thread, hdr.comm its inherited name. */
struct ts_wev_create {
	struct ts_wev_hdr h;
	__u32 parent_tid;
	__u32 _pad0;
	__u64 clone_flags;
	__u64 start_routine;         /* pthread_create's start routine, or 0 */
};
_Static_assert(sizeof(struct ts_wev_create) == 64, "ts_wev_create size");

/* TS_WEV_RENAME: hdr.comm is the old name. */
struct ts_wev_rename {
	struct ts_wev_hdr h;
	char new_comm[TS_COMM_LEN];
	__u32 by_tid;                /* the thread that renamed it */
	__u32 _pad0;
};
_Static_assert(sizeof(struct ts_wev_rename) == 64, "ts_wev_rename size");

/* ts_wev_exit.flags */
#define TS_WEXIT_F_GROUP_DEAD 0x1  /* the last thread: the process is gone */
#define TS_WEXIT_F_TOTALS     0x2  /* tot is valid (the thread waited) */

/* TS_WEV_EXIT, and TS_WEV_TOTALS for threads alive at the end. */
struct ts_wev_exit {
	struct ts_wev_hdr h;
	__u64 start_ns;              /* task->start_time (monotonic) */
	__u64 cpu_ns;                /* se.sum_exec_runtime: at the final
				      * switch-out (exit), or with the
				      * running stint (totals; see "CPU
				      * time" above) */
	__u64 run_delay_ns;          /* sched_info.run_delay: runnable, waiting
				      * for a CPU */
	__u64 start_routine;         /* 0 unless its creation was seen */
	__s32 exit_code;             /* task->exit_code (wait(2) status) */
	__u32 flags;                 /* TS_WEXIT_F_* */
	struct ts_thread_totals tot;
};
_Static_assert(sizeof(struct ts_wev_exit) == 168, "ts_wev_exit size");

/* TS_WEV_WAIT / TS_WEV_STUCK: hdr.ts_ns = w.end_ns. With TS_WAIT_F_STACK
 * the record goes on with a struct ts_wev_stack and stack.len bytes. */
struct ts_wev_wait {
	struct ts_wev_hdr h;
	struct ts_wait w;
};
_Static_assert(sizeof(struct ts_wev_wait) == 216, "ts_wev_wait size");

struct ts_wev_stack {
	struct ts_user_regs regs;    /* user registers at the syscall */
	struct ts_stack_window stack;
};
_Static_assert(sizeof(struct ts_wev_stack) == 160, "ts_wev_stack size");

/* Flight recorder: the BPF map of this name (an array of ts_recent_thread,
 * TS_RECENT_DEFAULT slots unless --recorder N) keeps the last exited
 * threads of the watched process while a watch runs; slots are reused
 * round-robin, empty ones have exit_ns == 0. `taskscope snapshot --recent`
 * finds it by name (src/taskscope/snapshot/recorder.c). */
#define TS_RECENT_MAP_NAME "ts_recent"
#define TS_RECENT_DEFAULT 1024

struct ts_recent_thread {
	__u32 tid, tgid;
	char comm[TS_COMM_LEN];
	__u64 start_ns;              /* monotonic */
	__u64 exit_ns;               /* monotonic; 0: empty slot */
	__u64 cpu_ns;
	__u64 run_delay_ns;
	__u64 start_routine;
	__s32 exit_code;
	__u32 abi_version;           /* TS_ABI_VERSION */
	struct ts_thread_totals tot;
};
_Static_assert(sizeof(struct ts_recent_thread) == 160, "ts_recent_thread size");

/* Per-CPU counters (BPF map "ts_wstats", one slot). */
#define TS_WPROG_MAX 8               /* programs, enum ts_wprog */

enum ts_wprog {
	TS_WPROG_SWITCH = 0, TS_WPROG_WAKING, TS_WPROG_NEWTASK, TS_WPROG_RENAME,
	TS_WPROG_EXIT, TS_WPROG_RECV, TS_WPROG_RSEQ, TS_WPROG_UPROBE,
};

struct ts_wstats {
	__u64 lost;                  /* ring buffer full: records dropped */
	__u64 lost_stack;            /* stack tails dropped (record kept) */
	__u64 collisions;            /* thread state slots taken over by
				      * another thread (bpf/watch.bpf.c) */
	__u64 emitted[TS_WEV_TYPE_MAX];
	__u64 runs[TS_WPROG_MAX];    /* runs past the target filter */
	__u64 timed[TS_WPROG_MAX];   /* sampled runs timed by the program */
	__u64 timed_ns[TS_WPROG_MAX];/* their total time */
};
_Static_assert(sizeof(struct ts_wstats) == 24 + 8 * TS_WEV_TYPE_MAX +
	       3 * 8 * TS_WPROG_MAX, "ts_wstats size");

/* ---- goroutines (bpf/goroutines.bpf.c) -------------------------------- */

/* One pass of the goroutine reader fills up to TS_GO_SLOTS slots of the
 * mmapable array "ts_go_out"; user space runs passes until every goroutine
 * (or request) is read (src/taskscope/go/go_collect.c). */
#define TS_GO_SLOTS 1024
#define TS_GO_G_MAX 640              /* bytes of runtime.g copied (1.19: 392) */
#define TS_GO_DATA_MAX 8192          /* stack window or gathered bytes */

enum ts_go_mode {
	TS_GO_WALK = 1,              /* read allgs[start..] and each g's stack */
	TS_GO_GATHER,                /* read the (addr, len) list in ts_go_req */
};

/* ts_go_slot.flags */
#define TS_GO_F_G        0x1         /* g holds the first copy of the g */
#define TS_GO_F_G2       0x2         /* g2 holds the second copy (after the
				      * stack): fields that differ changed
				      * while they were read */
#define TS_GO_F_DATA     0x4         /* data holds len bytes from data_addr */
#define TS_GO_F_DATA_FAIL 0x8        /* the copy of data failed */
#define TS_GO_F_CUT      0x10        /* the stack goes on past the window */
#define TS_GO_F_NO_STACK 0x20        /* sp outside [stack.lo, stack.hi) or
				      * dead: no stack copied */
#define TS_GO_F_PTR_FAIL 0x40        /* allgs[index] could not be read */

/* Per-pass configuration (array map "ts_go_cfg", one element), written by
 * user space before each pass. Offsets are into runtime.g, from the
 * binary's DWARF. */
struct ts_go_config {
	__u32 mode;                  /* enum ts_go_mode */
	__u32 pass;                  /* pass number, echoed in ts_go_result */
	__u64 allgs_addr;            /* address of the runtime.allgs slice */
	__u32 start;                 /* WALK: first allgs index of the pass */
	__u32 count;                 /* GATHER: requests in ts_go_req */
	__u32 gsize;                 /* bytes of g to copy, <= TS_GO_G_MAX */
	__u32 data_max;              /* stack bytes to copy, <= TS_GO_DATA_MAX */
	__u32 off_status;            /* g.atomicstatus (uint32) */
	__u32 off_stack_lo;          /* g.stack.lo; hi follows at +8 */
	__u32 off_sched_sp;          /* g.sched.sp */
	__u32 off_syscallsp;         /* g.syscallsp */
};
_Static_assert(sizeof(struct ts_go_config) == 48, "ts_go_config size");

/* A GATHER request (array map "ts_go_req", TS_GO_SLOTS elements). */
struct ts_go_req {
	__u64 addr;
	__u32 len;                   /* <= TS_GO_DATA_MAX */
	__u32 _pad;
};
_Static_assert(sizeof(struct ts_go_req) == 16, "ts_go_req size");

/* What a pass did (array map "ts_go_res", one element). */
struct ts_go_result {
	__u32 pass;                  /* = ts_go_config.pass once it ran */
	__u32 done;                  /* slots filled */
	__u64 allgs_ptr;             /* WALK: the slice as read this pass */
	__u64 allglen;
	__u32 tid;                   /* the thread whose memory view was used */
	__u32 errors;                /* reads that failed */
	__u64 now_mono_ns;           /* bpf_ktime_get_ns() at the end */
};
_Static_assert(sizeof(struct ts_go_result) == 40, "ts_go_result size");

/* One goroutine (WALK) or one request (GATHER). WALK: addr is the g,
 * data the stack from data_addr (16 bytes below sched.sp or syscallsp,
 * for the saved frame pointer) up to stack.hi or data_max bytes. */
struct ts_go_slot {
	__u64 addr;
	__u64 data_addr;
	__u32 flags;                 /* TS_GO_F_* */
	__u32 len;                   /* bytes in data */
	__u32 index;                 /* allgs index, or request index */
	__u32 _pad;
	__u8 g[TS_GO_G_MAX];
	__u8 g2[TS_GO_G_MAX];
	__u8 data[TS_GO_DATA_MAX];
};
_Static_assert(sizeof(struct ts_go_slot) == 32 + 2 * TS_GO_G_MAX +
	       TS_GO_DATA_MAX, "ts_go_slot size");

/* ---- goroutine lifecycles (bpf/gowatch.bpf.c) ------------------------ */

enum ts_gev_type {
	TS_GEV_CREATE = 1,           /* a goroutine was created (newproc1 returned) */
	TS_GEV_EXIT,                 /* a goroutine exited (goexit1) */
	TS_GEV_WAIT,                 /* a park of at least min_block ended
				      * (--goroutine-waits) */
	TS_GEV_TYPE_MAX,
};

/* One goroutine event, from uprobes on the Go runtime. */
struct ts_gev {
	__u32 type;                  /* enum ts_gev_type */
	__u32 tid;                   /* the thread it happened on */
	__u64 ts_ns;                 /* CLOCK_MONOTONIC */
	__s64 goid;
	__s64 other_goid;            /* CREATE: the creator; WAIT: the waker
				      * (0: unknown) */
	__u64 startpc;               /* g.startpc */
	__u64 gopc;                  /* g.gopc: the go statement */
	__u64 dur_ns;                /* WAIT: parked for this long (until it
				      * ran again) */
	__u32 reason;                /* WAIT: g.waitreason index */
	__u32 _pad;
};
_Static_assert(sizeof(struct ts_gev) == 64, "ts_gev size");

/* Read-only configuration of bpf/gowatch.bpf.c: runtime.g and runtime.m
 * offsets from the binary's DWARF. */
struct ts_gwatch_config {
	__u32 off_goid, off_startpc, off_gopc, off_parent_goid; /* parent: ~0
							 * when absent */
	__u32 off_m, off_curg;
	__u32 _pad0, _pad1;
	__u64 min_block_ns;          /* WAIT events only from this long */
};
_Static_assert(sizeof(struct ts_gwatch_config) == 40, "ts_gwatch_config size");

/* Per-CPU counters of bpf/gowatch.bpf.c (map "ts_gw_stats"). */
struct ts_gwatch_stats {
	__u64 lost;                  /* ring buffer full: events dropped */
	__u64 emitted[TS_GEV_TYPE_MAX];
	__u64 parks;                 /* gopark hits (--goroutine-waits) */
};
_Static_assert(sizeof(struct ts_gwatch_stats) == 8 + 8 * TS_GEV_TYPE_MAX + 8,
	       "ts_gwatch_stats size");

/* ---- cross-process resolver (bpf/xproc.bpf.c) ------------------------- */

/* Three iterators map every socket, pipe and FIFO to the processes holding
 * it, in one pass each: iter/task_file writes a ts_xp_file per such fd of
 * every process (and, for a socket in another network namespace, which the
 * two socket iterators cannot see, a ts_xp_sock after it); iter/tcp and
 * iter/unix write a ts_xp_sock per socket of taskscope's own network
 * namespace, held or not (a connection still in a listener's accept queue
 * is held by nobody). A fourth, iter/task, writes a ts_xp_task per user
 * thread: what the holders' threads are doing, without their stacks.
 * Records are read back to back; each starts with rec_type and rec_len. */
enum ts_xp_rec_type {
	TS_XP_REC_FILE = 1,          /* struct ts_xp_file */
	TS_XP_REC_SOCK,              /* struct ts_xp_sock */
	TS_XP_REC_TASK,              /* struct ts_xp_task */
};

/* What a held fd is (ts_xp_file.kind). */
enum ts_xp_kind {
	TS_XP_SOCKET = 1,
	TS_XP_PIPE,                  /* anonymous pipe (pipefs) */
	TS_XP_FIFO,                  /* named pipe on a file system */
};

/* ts_xp_file.f_mode: the kernel's FMODE_READ and FMODE_WRITE. */
#define TS_XP_FMODE_READ  0x1
#define TS_XP_FMODE_WRITE 0x2

/* One fd of one process that is a socket, pipe or FIFO. Identities (obj,
 * ts_xp_sock.obj/peer/addr) are kernel addresses XORed with a key user
 * space picks per run (ts_xp_config.key): equal when the object is the
 * same, and no address leaves the kernel. */
struct ts_xp_file {
	__u32 rec_type;              /* TS_XP_REC_FILE */
	__u32 rec_len;               /* sizeof(struct ts_xp_file) */
	__u32 tgid;                  /* holder process, as the host sees it */
	__u32 fd;
	__u64 obj;                   /* socket: its struct sock; pipe/FIFO: its
				      * inode (both ends share it) */
	__u64 ino;                   /* inode number (socket:[N], pipe:[N]) */
	__u32 kind;                  /* enum ts_xp_kind */
	__u32 f_mode;                /* TS_XP_FMODE_* of this open file */
	__u32 ns_tgid;               /* the holder's pid in its own pid
				      * namespace (= tgid on the host's) */
	__u32 pidns;                 /* inode number of that pid namespace */
	__u32 pipe_bytes;            /* pipes/FIFOs: bytes in the pipe (the
				      * first TS_XP_PIPE_BUFS buffers) */
	__u16 pipe_readers;          /* pipes/FIFOs: open read ends */
	__u16 pipe_writers;          /* pipes/FIFOs: open write ends */
	char comm[TS_COMM_LEN];      /* the process's name (group leader) */
};
_Static_assert(sizeof(struct ts_xp_file) == 72, "ts_xp_file size");

/* Pipe buffers summed into ts_xp_file.pipe_bytes (a default pipe has 16). */
#define TS_XP_PIPE_BUFS 16
/* Unix skbs summed into ts_xp_sock.rx_queued before it is marked capped. */
#define TS_XP_UNIX_SKBS 32
/* Bytes of a unix socket's path kept (sun_path is 108). */
#define TS_XP_PATH_LEN 64

/* ts_xp_sock.flags */
#define TS_XP_F_RX_CAPPED 0x1        /* rx_queued counts the first
				      * TS_XP_UNIX_SKBS packets only */
#define TS_XP_F_PATH      0x2        /* path holds a unix address */
#define TS_XP_F_ABSTRACT  0x4        /* ... in the abstract namespace */
#define TS_XP_F_V4MAPPED  0x8        /* AF_INET6 socket of an IPv4 connection:
				      * laddr/raddr hold the IPv4 form */

/* One socket: TCP (both families) or unix. Addresses as in ts_fd_info. */
struct ts_xp_sock {
	__u32 rec_type;              /* TS_XP_REC_SOCK */
	__u32 rec_len;               /* sizeof(struct ts_xp_sock) */
	__u64 obj;                   /* this struct sock (see ts_xp_file) */
	__u64 peer;                  /* unix: the connected peer's sock, 0 */
	__u64 addr;                  /* unix: its bound address object, which
				      * a not yet accepted connection shares
				      * with its listener; 0 */
	__u64 ino;                   /* socket inode, 0 while no process
				      * holds it (not accepted yet) */
	__u32 netns;                 /* inode number of its network namespace */
	__u32 flags;                 /* TS_XP_F_* */
	__u16 family, sotype, protocol, state;
	__u16 lport, rport;          /* host byte order */
	__u32 rx_pkts;               /* unix: packets in the receive queue;
				      * TCP listener: connections waiting to
				      * be accepted */
	__u8 laddr[16], raddr[16];
	__u32 rx_queued;             /* bytes received, not yet read here */
	__u32 tx_queued;             /* TCP: bytes written here, not yet
				      * acknowledged by the peer; unix: bytes
				      * sent, not yet read by the peer
				      * (sk_wmem_alloc, truesize) */
	char path[TS_XP_PATH_LEN];   /* unix: bound path, NUL-padded */
};
_Static_assert(sizeof(struct ts_xp_sock) == 168, "ts_xp_sock size");

/* ts_xp_task.flags */
#define TS_XP_T_NO_REGS 0x1          /* no user registers (exiting thread) */

/* One user thread: the fields of ts_snap_thread that say what it is doing,
 * with none of its stack. */
struct ts_xp_task {
	__u32 rec_type;              /* TS_XP_REC_TASK */
	__u32 rec_len;               /* sizeof(struct ts_xp_task) */
	__u32 tid, tgid;
	__u32 state;                 /* task->__state */
	__u32 exit_state;            /* task->exit_state */
	__u32 on_cpu;                /* 1 while running on a CPU */
	__u32 cpu;                   /* CPU it last ran on */
	__s32 syscall_nr;            /* orig_ax; < 0 when not in a syscall */
	__u32 flags;                 /* TS_XP_T_* */
	__u64 args[6];               /* syscall arguments di si dx r10 r8 r9 */
	__u64 cpu_ns;                /* se.sum_exec_runtime */
	__u64 last_arrival_ns;       /* as in ts_snap_thread */
	__u64 last_run_ns;
	__u64 now_sched_ns;
	__u64 now_mono_ns;
	char comm[TS_COMM_LEN];
};
_Static_assert(sizeof(struct ts_xp_task) == 144, "ts_xp_task size");

/* Read-only configuration of the xproc iterators (rodata). */
struct ts_xp_config {
	__u64 key;                   /* XORed into every identity */
	__u32 self_netns;            /* taskscope's network namespace: the
				      * socket iterators cover it, so the file
				      * iterator describes only sockets of
				      * other namespaces */
	__u32 _pad;
};
_Static_assert(sizeof(struct ts_xp_config) == 16, "ts_xp_config size");

#endif
