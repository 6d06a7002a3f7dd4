/* What /proc says about the threads of this process, for /debug/threads:
 * the list of tids (/proc/self/task), and per thread its name and state
 * (stat), CPU time (the thread's CPU clock) and the syscall it is in with its arguments
 * (syscall). Fills taskscope's thread model (struct ts_thread) so the
 * in-process dump and `taskscope snapshot` share one schema. The parsers
 * are pure and unit-tested; the readers only open files. */
#ifndef UPLOADD_THREADDUMP_PROC_H
#define UPLOADD_THREADDUMP_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "threadview/snapshot_model.h"

/* Lists the calling process's thread ids into a malloc'd array (*tids,
 * caller frees), sorted. Returns 0 or -errno. Any thread. */
int td_proc_tids(pid_t **tids, size_t *n);

/* Fills t (tid, pid, name, state, cpu, cpu_ns, syscall_nr and args) from
 * /proc/self/task/TID; clears everything else to "unknown" (no blocked
 * object, no off-CPU time, no stack). *syscall_known is false when the
 * syscall file could not be read (EACCES once the process is not dumpable,
 * after --user): then syscall_nr is -1 too. Returns 0, or -ESRCH when the
 * thread has exited. Any thread. */
int td_proc_read(pid_t tid, struct ts_thread *t, bool *syscall_known);

/* Thread tid's CPU time in ns from its CPU clock, exact even while it
 * runs (schedstat lags by up to a tick). tid must be a thread of this
 * process: the kernel refuses per-thread clocks of others (-EINVAL).
 * Returns 0 or -errno. Any thread. */
int td_thread_cpu_ns(pid_t tid, unsigned long long *ns);

/* Parses a stat line into t's name, state and cpu, and the CPU time in
 * clock ticks (utime + stime) into *ticks. Returns 0 or -EINVAL. Pure. */
int td_parse_stat(const char *line, struct ts_thread *t,
		  unsigned long long *ticks);

/* Parses a syscall line ("202 0x1 ... sp pc", "-1 sp pc" or "running")
 * into t->syscall_nr (-1: not in a syscall) and t->args. Returns 0 or
 * -EINVAL. Pure. */
int td_parse_syscall(const char *line, struct ts_thread *t);

/* The state letter of /proc/PID/stat as the model's state. Pure. */
enum ts_sched_state td_state_from_char(char c);

#endif
