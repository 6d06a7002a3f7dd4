/* The threads of other processes, from the xproc task iterator's records
 * (struct ts_xp_task): decoded into the model's struct ts_thread and
 * classified as snapshot classifies its own (classify.h), the fd their
 * syscall names described from the xproc tables. They have no stack: a
 * futex wait there stays "futex", not "mutex held by". Pure. */
#ifndef TASKSCOPE_XPROC_THREADS_H
#define TASKSCOPE_XPROC_THREADS_H

#include <stdint.h>

#include "threadview/classify.h"
#include "threadview/snapshot_model.h"
#include "taskscope/xproc/xproc_table.h"

/* (scheduler clock - CLOCK_MONOTONIC) in ns over t's task records, as
 * snapshot estimates it (snapshot_decode.h): the largest difference. */
int64_t ts_xp_sched_offset(const struct ts_xp_table *t);

/* Fills out (zeroed first) from task record r. */
void ts_xp_thread(const struct ts_xp_table *t, const struct ts_xp_task *r,
		  int64_t sched_offset, const struct ts_classify_clock *clk,
		  struct ts_thread *out);

/* What fd of process pid is, from the tables, into fi: a socket with its
 * addresses and queues, a pipe; TS_FD_NONE when the tables do not know it
 * (a regular file, an eventfd...). */
void ts_xp_fd_info(const struct ts_xp_table *t, pid_t pid, int fd,
		   struct ts_fd_info *fi);

#endif
