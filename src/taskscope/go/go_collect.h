/* Reading a Go process's goroutines out of its memory with the BPF
 * goroutine reader (bpf/goroutines.bpf.c): no ptrace, no signal, no code
 * in the target; bpf_copy_from_user_task from a sleepable task iterator.
 * A reader is loaded once per snapshot and runs passes: WALK passes go
 * through runtime.allgs, GATHER passes copy lists of small objects (the Ms
 * of running goroutines, channel waiters, poll descriptors, semaphore
 * queues) that the walk pointed to. Slots are handed to a callback while
 * they are still in the mmapped map: copy what you keep. Not thread-safe. */
#ifndef TASKSCOPE_GO_COLLECT_H
#define TASKSCOPE_GO_COLLECT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"
#include "taskscope/go/go_binary.h"

struct ts_go_reader;

/* A GATHER request for len bytes at addr. */
static inline struct ts_go_req ts_go_req_of(uint64_t addr, uint32_t len)
{
	struct ts_go_req r = { .addr = addr, .len = len };

	return r;
}

/* Loads the reader and attaches its iterator to process pid. Returns NULL
 * with errno set (a BPF error, explained by ts_bpf_explain in the caller). */
struct ts_go_reader *ts_go_reader_open(pid_t pid, const struct ts_go_binary *b);
void ts_go_reader_close(struct ts_go_reader *r);

/* idx: the allgs index (WALK) or the request index (GATHER). */
typedef int (*ts_go_slot_fn)(const struct ts_go_slot *s, size_t idx,
			     void *arg);

/* Walks every g of allgs, calling fn for each slot in allgs order (fn
 * returning non-zero stops). Fills the counters below. Returns 0 or
 * -errno (-ESRCH: the process is gone). */
int ts_go_walk(struct ts_go_reader *r, ts_go_slot_fn fn, void *arg);

/* Copies n (<= TS_GO_SLOTS per call; more are done in several passes)
 * requests, calling fn with each slot (index = request index). Returns 0
 * or -errno. */
int ts_go_gather(struct ts_go_reader *r, const struct ts_go_req *reqs,
		 size_t n, ts_go_slot_fn fn, void *arg);

struct ts_go_read_stats {
	uint64_t allglen;          /* allgs length at the first pass */
	int passes;                /* iterator passes run (walk + gather) */
	double read_ms;            /* time inside the passes */
	uint64_t errors;           /* copies that failed */
	uint64_t first_mono_ns, last_mono_ns; /* when the walk began/ended */
};
const struct ts_go_read_stats *ts_go_reader_stats(const struct ts_go_reader *r);

#endif
