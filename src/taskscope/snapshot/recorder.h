/* The flight recorder from the snapshot side: finds the BPF map a running
 * `taskscope watch` keeps its last exited threads in (by name, no pinning:
 * bpf_map_get_next_id + bpf_map_get_fd_by_id), reads the threads of one
 * process that exited within a window, and adds them to a snapshot marked
 * exited (`taskscope snapshot --recent D`). Main thread only. */
#ifndef TASKSCOPE_RECORDER_H
#define TASKSCOPE_RECORDER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"
#include "threadview/recent.h"

struct ts_snapshot;

struct ts_recorder_result {
	struct ts_recent *v;         /* sorted by exit time, oldest first */
	size_t n;
	int maps;                    /* flight recorders found */
};

/* Reads the threads of pid that exited within window_ns before now from
 * every running watch's recorder into out (caller frees with
 * ts_recorder_free). Returns 0, -ENOENT when no watch is running, or
 * -errno (-EPERM: not allowed to read BPF maps). out->n may be 0: a
 * watch runs but saw no such exit (or watches another process). */
int ts_recorder_read(pid_t pid, uint64_t window_ns,
		     struct ts_recorder_result *out);

/* Appends r's threads to s as exited threads (state dead, t->recent set;
 * r must outlive s's use) and re-sorts s. Returns 0 or -ENOMEM. */
int ts_recorder_add(struct ts_snapshot *s, const struct ts_recorder_result *r);

void ts_recorder_free(struct ts_recorder_result *r);

/* snapshot --recent: reads pid's threads that exited within window_ns and
 * adds them to s. When there is no recorder to read, says so on stderr
 * (one line, with how to start one) and leaves s as it is: the live
 * snapshot is still worth printing. r holds what s now points to: free it
 * after s is printed. */
void ts_recorder_snapshot(struct ts_snapshot *s, pid_t pid, uint64_t window_ns,
			  struct ts_recorder_result *r);

#endif
