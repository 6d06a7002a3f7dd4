/* `taskscope watch` on a Go program: goroutine creation and exit (and,
 * with --goroutine-waits, parks) from uprobes on the Go runtime
 * (bpf/gowatch.bpf.c), decoded into events with the start function, the
 * go statement's location, the creator and the lifetime. The caller polls
 * ts_go_watch_fd() beside its other ring buffers. Not thread-safe. */
#ifndef TASKSCOPE_GO_WATCH_H
#define TASKSCOPE_GO_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "taskscope_abi.h"
#include "threadview/goroutine.h"

struct ts_go_watch;

struct ts_go_watch_opts {
	pid_t pid;
	bool waits;                 /* --goroutine-waits: parks too */
	uint64_t min_block_ns;      /* parks shorter than this are not sent */
	uint32_t ring_bytes;        /* 0: the default (8 MiB) */
};

/* A decoded event. Strings live as long as the watch. */
struct ts_go_event {
	enum ts_gev_type type;
	pid_t tid;
	uint64_t ts_ns;             /* CLOCK_MONOTONIC */
	int64_t goid;
	int64_t other_goid;         /* creator / waker, 0 unknown */
	const char *start_function; /* through a go wrapper */
	uint64_t startpc, gopc;     /* g.startpc, g.gopc (runtime addresses) */
	struct ts_goframe go_stmt;  /* the go statement (function, file:line) */
	int64_t lifetime_ns;        /* EXIT: since its CREATE; -1 not seen */
	uint64_t dur_ns;            /* WAIT */
	const char *reason;         /* WAIT: the runtime's words */
};

typedef void (*ts_go_event_fn)(void *ctx, const struct ts_go_event *ev);

/* Starts watching pid's goroutines if it runs a Go program. Returns 0
 * with *out NULL when it is not Go (or is Go without the DWARF needed:
 * one line on stderr says so); an exit code after logging on failure. */
int ts_go_watch_start(const struct ts_go_watch_opts *o, ts_go_event_fn fn,
		      void *ctx, struct ts_go_watch **out);

int ts_go_watch_fd(const struct ts_go_watch *w);

/* Consumes what the ring holds, calling fn per event. Returns the number
 * of events or -errno. */
int ts_go_watch_poll(struct ts_go_watch *w);

struct ts_go_watch_stats {
	uint64_t created, exited, waits, parks, lost;
	uint64_t emitted[TS_GEV_TYPE_MAX];
	uint64_t run_cnt, run_ns;   /* all its programs, from bpf_stats */
	bool have_cost;             /* kernel.bpf_stats_enabled was on */
	int probes;                 /* uprobes attached */
};
void ts_go_watch_stats(struct ts_go_watch *w, struct ts_go_watch_stats *out);

void ts_go_watch_free(struct ts_go_watch *w);

/* Formatting (go_watch_format.c): one text line or one JSON line per
 * event, times relative to t0_ns; the summary line (text, or a JSON
 * object with "type": "gosummary"). */
void ts_go_event_text(FILE *f, const struct ts_go_event *ev, uint64_t t0_ns);
void ts_go_event_json(FILE *f, const struct ts_go_event *ev, uint64_t t0_ns);
void ts_go_summary(FILE *f, const struct ts_go_watch_stats *st, bool json);

#endif
