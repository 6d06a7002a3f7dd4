/* Builds the target's unwinder (modules, symbol tables, CFI, DWARF) on a
 * helper thread while the main thread loads BPF and runs the pass: neither
 * needs the other, and on a machine with a spare core the unwinder is
 * ready for free.
 *
 * The helper runs at nice 19 until the main thread needs its result: a
 * snapshot must not take CPU from the target, and a target whose threads
 * keep every core busy would otherwise share one with the helper. While
 * the main thread waits for it, the helper is back at nice 0. */
#ifndef TASKSCOPE_SNAPSHOT_PREWARM_H
#define TASKSCOPE_SNAPSHOT_PREWARM_H

#include <sys/types.h>

struct ts_prewarm;
struct ts_unwinder;

/* Starts building the unwinder of process pid. Returns the handle, or NULL
 * when no thread could be started (then the unwinder is built later, on
 * demand). Main thread. */
struct ts_prewarm *ts_prewarm_start(pid_t pid);

/* Waits for the helper and frees p. Returns its unwinder (the caller owns
 * it: ts_unwinder_free) or NULL when it could not be built or p is NULL.
 * Main thread; the unwinder is used by the caller's thread only after
 * this returns. */
struct ts_unwinder *ts_prewarm_finish(struct ts_prewarm *p);

#endif
