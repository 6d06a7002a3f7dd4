/* Which process to look at: resolves -p PID / --comm NAME to a live user
 * process (never a kernel thread), and lists a process's threads from
 * /proc. Shared by every taskscope command. Any thread may call these. */
#ifndef TASKSCOPE_TARGET_H
#define TASKSCOPE_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "taskscope_abi.h"

struct ts_target {
	pid_t pid;                       /* the process (thread group) id */
	char comm[TS_COMM_LEN];          /* its main thread's name */
};

/* Parses a positive decimal pid. Returns 0, or -EINVAL (not a pid). */
int ts_parse_pid(const char *s, pid_t *out);

/* Resolves the target from pid (> 0) or comm (exact name, matched against
 * /proc/PID/comm, so at most 15 characters count). A thread id resolves to
 * its process. On failure prints one line saying why and returns the exit
 * code: TS_EXIT_NO_TARGET (missing, gone, no match or several matches:
 * all candidates are listed), TS_EXIT_KTHREAD. Returns 0 and fills out on
 * success. */
int ts_target_resolve(pid_t pid, const char *comm, struct ts_target *out);

/* True while pid exists and is not a zombie. */
bool ts_pid_alive(pid_t pid);

/* True when pid is a kernel thread (PF_KTHREAD in /proc/PID/stat). */
bool ts_pid_is_kthread(pid_t pid);

/* Reads the name of thread tid of process pid into buf (NUL-terminated,
 * newline stripped). Returns 0 or -errno (-ENOENT: gone). */
int ts_thread_comm(pid_t pid, pid_t tid, char *buf, size_t len);

/* Lists the thread ids of pid from /proc/PID/task into a malloc'd array
 * (*tids, caller frees) of *n entries. Returns 0 or -errno. */
int ts_target_threads(pid_t pid, pid_t **tids, size_t *n);

#endif
