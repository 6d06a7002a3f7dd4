/* The model of a Go process's goroutines, beside its threads: what
 * `taskscope snapshot` shows of a Go program (filled by
 * src/taskscope/go/ from the runtime's own structures) and what the
 * writers print (output_go.c: text like Go's debug=2 dump, JSON, folded;
 * pprof_snapshot.c: goroutine samples). Plain data, no I/O: unit tests
 * build it by hand. A struct ts_snapshot points to one (s->go) when the
 * target is a Go program. */
#ifndef THREADVIEW_GOROUTINE_H
#define THREADVIEW_GOROUTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "threadview/snapshot_model.h"

/* One frame of a goroutine's stack, innermost first. Strings belong to
 * the Go symbolizer (they live as long as the snapshot) or are static. */
struct ts_goframe {
	uint64_t pc;               /* 0 for an inlined frame (no pc of its own) */
	const char *function;      /* "sync.(*Mutex).lockSlow", NULL unknown */
	const char *file;
	int line;                  /* 0 unknown */
	uint64_t offset;           /* pc - function entry (Go prints +0x..) */
	bool inlined;              /* inlined into the frame below it */
};

/* What a goroutine waits on, where the runtime says it. */
enum ts_gowait_kind {
	TS_GOWAIT_NONE,
	TS_GOWAIT_CHAN,            /* object: the hchan (g.waiting sudog.c) */
	TS_GOWAIT_SELECT,          /* object: first channel; nobjects of them */
	TS_GOWAIT_SEMA,            /* object: the semaphore word (semtable) */
	TS_GOWAIT_FD,              /* fd: the poll descriptor's fd (IO wait) */
	TS_GOWAIT_SYSCALL,         /* its thread's syscall (status syscall) */
};

struct ts_goroutine {
	int64_t goid;
	uint64_t addr;             /* the runtime.g */
	unsigned int status;       /* the runtime's _G* value, scan bit off */
	const char *state;         /* "running", "runnable", "syscall", ... */
	const char *reason;        /* the runtime's wait reason, NULL if none */
	int64_t wait_ns;           /* waiting for at least this; -1 unknown */
	bool locked;               /* locked to an OS thread (LockOSThread) */
	pid_t thread;              /* the thread running it (running/syscall) */
	pid_t locked_thread;       /* the thread it is locked to, 0 unknown */
	int64_t parent_goid;       /* creator (Go 1.21+ or watch), 0 unknown */
	struct ts_goframe created_by; /* the go statement (g.gopc) */
	const char *start_function;/* g.startpc (through a go wrapper) */
	const char *start_wrapper; /* the `go f(x)` wrapper it went through */
	struct ts_goframe *frames; /* owned */
	int nframes;
	enum ts_stack_status stack_status;
	const char *stack_note;    /* static string */
	bool changed;              /* its g changed while it was read */
	bool system;               /* the runtime's own (Go's dump hides it) */
	struct {
		enum ts_gowait_kind kind;
		uint64_t object;       /* channel or semaphore address */
		int nobjects;          /* channels of a select */
		int fd;                /* IO wait: fd; -1 none */
		char *fd_desc;         /* "tcp 127.0.0.1:5 -> 127.0.0.1:6", owned */
		int syscall_nr;        /* syscall: its thread's; -1 unknown */
		char *syscall_desc;    /* its thread's wait in words, owned */
	} wait;
};

struct ts_go_view {
	char version[48];          /* "go1.19.8" */
	const char *binary;        /* path of the executable (owned by caller) */
	struct ts_goroutine *gs;   /* sorted by goid, owned */
	size_t n;
	uint64_t allglen;          /* runtime.allgs length (dead gs included) */
	size_t nchanged;           /* goroutines that changed while read */
	int passes;                /* BPF iterator passes */
	double read_ms;            /* time in the passes */
	const char *how;           /* how memory was read, for the record */
};

/* Go's words for a _G* status ("waiting", "syscall", ...). */
const char *ts_go_state_name(unsigned int status);

/* "goroutine 18 [chan receive, 2 minutes, locked to thread]" into buf,
 * as Go's own dump heads a goroutine (Go prints the wait only from one
 * minute on; taskscope also prints shorter ones it knows, e.g. "12s").
 * Returns buf. */
char *ts_go_header(const struct ts_goroutine *g, char *buf, size_t len);

/* Writers for the goroutine part of a snapshot. Each returns 0 or -EIO. */
int ts_go_output_text(FILE *f, const struct ts_go_view *v,
		      const char *strip_prefix);
struct json_writer;
void ts_go_output_json(struct json_writer *w, const struct ts_go_view *v,
		       const char *strip_prefix);
int ts_go_output_folded(FILE *f, const char *comm, const struct ts_go_view *v);

/* Finds a goroutine by id in the sorted view, or NULL. */
const struct ts_goroutine *ts_go_find(const struct ts_go_view *v, int64_t goid);

/* Frees what the view owns (not the strings of the symbolizer). */
void ts_go_view_free(struct ts_go_view *v);

#endif
