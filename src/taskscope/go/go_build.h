/* Builds the goroutine view of a Go process (threadview/goroutine.h) from
 * the runtime's structures read by go_collect.c, and ties it to the thread
 * snapshot taken just before: each thread learns the goroutine it runs,
 * a running goroutine gets its thread's stack, one in a syscall its
 * thread's syscall. Not thread-safe. */
#ifndef TASKSCOPE_GO_BUILD_H
#define TASKSCOPE_GO_BUILD_H

#include <sys/types.h>

#include "taskscope/go/go_binary.h"
#include "taskscope/go/go_collect.h"
#include "taskscope/go/go_symbolize.h"
#include "threadview/goroutine.h"
#include "threadview/snapshot_model.h"

struct ts_go_build_in {
	pid_t pid;
	const struct ts_go_binary *bin;
	struct ts_gosym *sym;
	struct ts_go_reader *rd;
	struct ts_snapshot *threads;   /* may be NULL; threads get .goroutine */
};

/* Reads every goroutine and fills out (caller frees with
 * ts_go_view_free). Returns 0 or -errno (-ESRCH: the process is gone). */
int ts_go_build(const struct ts_go_build_in *in, struct ts_go_view *out);

/* Walks frame pointers through a copied goroutine stack: pc0 first (a
 * return address when ret0), then from frame pointer bp, each frame's
 * saved bp at [bp] and return address at [bp + 8], until a return into
 * runtime.goexit (is_goexit). Every bp must lie in [lo, hi) and above the
 * last, every pc in [text_lo, text_hi). The copy is [addr, addr + len).
 * Writes pcs (max) and *note when the walk stopped early (static text).
 * Returns the number of pcs. Pure: unit-tested. */
struct ts_fpwalk {
	uint64_t lo, hi;               /* the goroutine's stack bounds */
	uint64_t text_lo, text_hi;     /* runtime addresses of Go code */
	uint64_t goexit_lo, goexit_hi; /* runtime.goexit */
	const unsigned char *data;     /* copied stack bytes */
	uint64_t addr;
	uint32_t len;
};
int ts_go_fpwalk(const struct ts_fpwalk *w, uint64_t pc0, uint64_t bp,
		 uint64_t *pcs, int max, const char **note);

#endif
