/* Runs the snapshot BPF iterator once and returns its raw output: the
 * records of bpf/snapshot.bpf.c (struct ts_snap_thread + kernel stack + user
 * stack bytes) back to back. Loads, runs and destroys the BPF objects in one
 * call, so nothing outlives it. Main thread only. */
#ifndef TASKSCOPE_SNAPSHOT_COLLECT_H
#define TASKSCOPE_SNAPSHOT_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_collect_opts {
	pid_t pid;                /* process to walk; 0 = every process */
	bool kernel_stacks;       /* bpf_get_task_stack for each thread */
	bool kthreads;            /* include kernel threads (only with pid 0) */
	uint32_t stack_max;       /* user stack bytes per thread, 0 = default */
};

struct ts_collect_result {
	unsigned char *buf;       /* records: ts_collect_result_free() */
	size_t len;
	size_t cap;               /* bytes mapped at buf */
	uint64_t mono_ns;         /* CLOCK_MONOTONIC at the start of the pass */
	uint64_t real_ns;         /* CLOCK_REALTIME at the same moment */
	double load_ms, pass_ms;  /* BPF load+attach, iterator read */
	uint64_t features;        /* TS_FEAT_* the loaded programs use */
	uint64_t features_wanted; /* TS_FEAT_* they could have used */
};

/* Loads the iterator, reads one full pass into out and unloads everything.
 * On failure prints one line and returns its exit code (exit_codes.h);
 * returns 0 on success. */
int ts_snapshot_collect(const struct ts_collect_opts *o,
			struct ts_collect_result *out);

/* Unmaps out->buf. Safe on a zeroed or already freed result. */
void ts_collect_result_free(struct ts_collect_result *out);

#endif
