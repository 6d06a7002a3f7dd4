/* CPU time of a thread that may be running right now: arithmetic shared by
 * the BPF programs (bpf/) and taskscope's user space, so one function,
 * unit-tested in user space, is what both run.
 *
 * The scheduler adds a running thread's time to se.sum_exec_runtime only
 * when it looks at it: at a tick, a switch, a wakeup on its CPU, or a read
 * of its CPU clock. In between, the slice since the last of those is
 * missing from the field; a thread that hashes for 200 us between its
 * first wakeup and its exit is never accounted at all before
 * sched_process_exit. A thread's final figure is exact at its last
 * switch-out (sched_switch with prev_state TASK_DEAD), which is where
 * taskscope watch reads an exiting thread's CPU time. A thread still
 * running when it is read (a snapshot pass, watch's totals at the end)
 * gets the unaccounted part of its current stint added here.
 *
 * Include after vmlinux.h in BPF, after <linux/types.h> elsewhere (both
 * come with taskscope_abi.h).
 */
#ifndef TASKSCOPE_CPUTIME_H
#define TASKSCOPE_CPUTIME_H

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

#endif
