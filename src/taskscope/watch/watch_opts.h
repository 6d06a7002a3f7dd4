/* Command line of `taskscope watch`: flags, defaults and the --help text
 * (durations parse through cli.h). Pure (no I/O but the help stream):
 * unit-tested. */
#ifndef TASKSCOPE_WATCH_OPTS_H
#define TASKSCOPE_WATCH_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define WATCH_DEFAULT_MIN_BLOCK_NS 1000000ull    /* 1ms */
#define WATCH_DEFAULT_RING_MB 8
#define WATCH_DEFAULT_SUMMARY_THREADS 20

struct watch_opts {
	pid_t pid;                   /* -p, 0 if --comm */
	const char *comm;            /* --comm, or NULL */
	uint64_t duration_ns;        /* 0: until Ctrl-C or target exit */
	uint64_t min_block_ns;
	uint64_t stuck_ns;           /* 0: off */
	bool stacks, json, quiet;
	const char *trace_path;      /* --trace FILE, or NULL */
	const char *pprof_path;      /* --pprof FILE (sets stacks), or NULL */
	uint32_t recorder_slots;
	uint32_t ring_mb;
	uint32_t summary_threads;
	bool goroutine_waits;        /* Go: report goroutine parks too */
	bool no_goroutines;          /* Go: no goroutine probes */
	bool help;                   /* --help: print it and exit 0 */
};

/* Parses argv (argv[0] is "watch") into o, with defaults. Prints one line
 * and returns TS_EXIT_USAGE on a bad command line; returns 0 otherwise
 * (o->help set for --help). */
int watch_opts_parse(int argc, char **argv, struct watch_opts *o);

/* The full --help text. */
void cmd_watch_help(FILE *out);

#endif
