/* Phase timing for `taskscope -v snapshot`: wall time and this thread's CPU
 * time since the previous mark, printed as one debug line per phase, so a
 * slow run says where the time went (on a loaded machine wall time says
 * little alone: CPU time is what taskscope itself spent). Header-only:
 * marks are cheap (two clock reads) and taken whatever the verbosity. */
#ifndef TASKSCOPE_PHASE_H
#define TASKSCOPE_PHASE_H

#include <stdint.h>
#include <time.h>

#include "common/log.h"

struct ts_phase {
	uint64_t wall_ns, cpu_ns;   /* at the previous mark */
};

static inline uint64_t ts_phase_clock(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Starts timing from now. */
static inline void ts_phase_start(struct ts_phase *p)
{
	p->wall_ns = ts_phase_clock(CLOCK_MONOTONIC);
	p->cpu_ns = ts_phase_clock(CLOCK_THREAD_CPUTIME_ID);
}

/* Ends phase name (prints it at -v) and starts the next one. Returns the
 * phase's wall time in ms. */
static inline double ts_phase_mark(struct ts_phase *p, const char *name)
{
	uint64_t wall = ts_phase_clock(CLOCK_MONOTONIC);
	uint64_t cpu = ts_phase_clock(CLOCK_THREAD_CPUTIME_ID);
	double ms = (wall - p->wall_ns) / 1e6;

	log_debug(1, "phase %-9s %7.1f ms wall %7.1f ms cpu", name, ms,
		  (cpu - p->cpu_ns) / 1e6);
	p->wall_ns = wall;
	p->cpu_ns = cpu;
	return ms;
}

#endif
