/* The BPF side of `taskscope watch` as seen from user space: load
 * bpf/watch.bpf.c configured for one process, attach its tracepoints and
 * the pthread_create uprobe, run its task iterators on demand, read its
 * counters and program statistics, and take everything down again. Every
 * link is an fd owned by this process, so nothing outlives it even when it
 * is killed. Main thread only. */
#ifndef TASKSCOPE_WATCH_BPF_H
#define TASKSCOPE_WATCH_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"

struct watch_probe;

struct watch_probe_opts {
	pid_t pid;                   /* process to watch */
	uint64_t min_block_ns;       /* shorter waits are only counted */
	uint64_t stuck_ns;           /* 0: no stuck reports */
	bool stacks;                 /* copy user stacks of long waits */
	uint32_t stack_max;          /* bytes of stack per copy */
	uint32_t recorder_slots;     /* flight recorder size (>= 1) */
	uint32_t ring_bytes;         /* ring buffer, a power of 2 */
	uint32_t state_slots;        /* per-thread slots, a power of 2
				      * (watch_state_slots()) */
};

/* Called for each ring-buffer record, from watch_probe_poll's caller's
 * thread. Returning nonzero stops the current poll. */
typedef int (*watch_record_fn)(void *ctx, const void *data, size_t size);

/* Loads, configures and attaches everything for o->pid. On failure prints
 * one line (what, why, what to do) and returns its exit code
 * (exit_codes.h); returns 0 and sets *out (caller frees with
 * watch_probe_free) on success. */
int watch_probe_start(const struct watch_probe_opts *o, watch_record_fn fn,
		      void *ctx, struct watch_probe **out);

/* CLOCK_MONOTONIC just before the first program was attached: no event
 * is older. */
uint64_t watch_probe_t0(const struct watch_probe *p);

/* Detaches and unloads everything. NULL is a no-op. */
void watch_probe_free(struct watch_probe *p);

/* Waits up to timeout_ms for records and hands them to the callback.
 * Returns the number of records or -errno (-EINTR on a signal). */
int watch_probe_poll(struct watch_probe *p, int timeout_ms);

/* The optional kernel facilities (TS_FEAT_*) the loaded programs use,
 * and those watch would use where the kernel has them. */
uint64_t watch_probe_features(const struct watch_probe *p);
uint64_t watch_probe_features_wanted(void);

/* The ring buffer's epoll fd, to wait on it together with other fds. */
int watch_probe_fd(const struct watch_probe *p);

/* Runs one pass of the named iterator over the target's threads
 * ("adopt", "stuck" or "totals"; see bpf/watch.bpf.c); its records arrive
 * through the ring buffer. Returns 0 or -errno. */
int watch_probe_iterate(struct watch_probe *p, const char *which);

/* Statistics of one BPF program. */
struct watch_prog_cost {
	const char *name;            /* static */
	uint64_t runs;               /* every run (kernel stats) or runs
				      * past the target filter (sampled) */
	uint64_t run_ns;             /* total time, for avg = run_ns / runs */
	double avg_ns;
	bool attached;
};

struct watch_cost {
	bool kernel_stats;           /* from kernel.bpf_stats_enabled, else
				      * sampled by the programs themselves */
	uint64_t lost, lost_stack, collisions;
	uint64_t emitted[TS_WEV_TYPE_MAX];
	uint64_t *lost_per_cpu;      /* ncpus entries, malloc'd: caller frees */
	int ncpus;
	struct watch_prog_cost progs[TS_WPROG_MAX];
	int nprogs;
};

/* Reads counters and program costs. Returns 0 or -errno; on success the
 * caller frees out->lost_per_cpu. */
int watch_probe_cost(struct watch_probe *p, struct watch_cost *out);

/* Per-thread state slots for this machine: pid_max rounded up to a power
 * of two (tids then never share a slot), capped at 65536. */
uint32_t watch_state_slots(void);

/* True when kernel.bpf_stats_enabled is 1 (programs' run_time_ns valid). */
bool watch_bpf_stats_enabled(void);

#endif
