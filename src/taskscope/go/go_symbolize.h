/* pc -> Go frames with file:line and inlined calls, from the Go binary's
 * DWARF (libdw): each pc yields the chain of functions inlined at it,
 * innermost first, the way Go's own traceback prints them. A cache keeps
 * each pc's answer; strings point into the binary's DWARF and live as long
 * as the struct ts_go_binary. Not thread-safe. */
#ifndef TASKSCOPE_GO_SYMBOLIZE_H
#define TASKSCOPE_GO_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "taskscope/go/go_binary.h"
#include "threadview/goroutine.h"

struct ts_gosym;

/* Indexes b's functions. Returns NULL with errno on failure. */
struct ts_gosym *ts_gosym_new(const struct ts_go_binary *b);
void ts_gosym_free(struct ts_gosym *s);

/* Frames at runtime address pc, innermost first, into out (max): the
 * inlined calls then the physical function, whose offset is pc - entry.
 * is_return: pc is a return address (looked up at pc - 1). Returns the
 * number of frames (>= 1; an unknown pc gives one frame with no name). */
int ts_gosym_frames(struct ts_gosym *s, uint64_t pc, bool is_return,
		    struct ts_goframe *out, int max);

/* The physical function containing runtime address pc, or NULL; its entry
 * (runtime address) in *entry. */
const char *ts_gosym_func(struct ts_gosym *s, uint64_t pc, uint64_t *entry);

/* The function a goroutine really starts in. Since Go 1.18 `go f(x)`
 * starts a small wrapper closure ("main.main.func1") that calls f: when
 * startpc is such a wrapper (named .funcN, under 256 bytes, exactly one
 * call outside the runtime) the callee is returned, else startpc's own
 * function. *wrapper (may be NULL) gets the wrapper's name or NULL. */
const char *ts_gosym_start_func(struct ts_gosym *s, uint64_t startpc,
				const char **wrapper);

#endif
