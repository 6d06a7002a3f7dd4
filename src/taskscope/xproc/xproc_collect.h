/* The kernel side of the cross-process resolver (bpf/xproc.bpf.c): loads
 * its four iterators once per session and reads them on demand into one
 * buffer of records (include/taskscope_abi.h, "cross-process resolver"):
 * every socket, pipe and FIFO fd of every process, every TCP and unix
 * socket of our network namespace, and the threads of the processes asked
 * for.
 * A session may be read many times (watch does, once per stuck report).
 * Main thread only. */
#ifndef TASKSCOPE_XPROC_COLLECT_H
#define TASKSCOPE_XPROC_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ts_xp_session;

/* Raw records of one read, back to back. */
struct ts_xp_raw {
	unsigned char *buf;       /* malloc'd: ts_xp_raw_free() */
	size_t len, cap;
	double pass_ms;           /* the iterators' reads */
};

/* Loads the iterators (light skeleton: the kernel does the CO-RE
 * relocations). Returns the session, or NULL with errno set; the caller
 * explains the failure (it is not fatal to a snapshot). */
struct ts_xp_session *ts_xp_open(void);

/* Runs the file, TCP and unix iterators into out (replacing what it
 * held). Returns 0 or -errno. */
int ts_xp_read(struct ts_xp_session *x, struct ts_xp_raw *out);

/* Runs the task iterator over process pid's threads only (the kernel
 * walks just that process), or over every thread when pid is 0, appending
 * to out. Returns 0 or -errno (-ESRCH: pid is gone). */
int ts_xp_read_tasks(struct ts_xp_session *x, pid_t pid, struct ts_xp_raw *out);

/* Unloads everything. NULL is fine. */
void ts_xp_close(struct ts_xp_session *x);

/* Frees out's buffer. Safe on a zeroed or already freed result. */
void ts_xp_raw_free(struct ts_xp_raw *out);

/* ms the last ts_xp_open took (BPF load and CO-RE relocations). */
double ts_xp_load_ms(const struct ts_xp_session *x);

#endif
