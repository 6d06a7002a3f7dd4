/* uploadd's in-process thread dump (GET /debug/threads): every thread of
 * the process as it sees itself, like Go's /debug/pprof/goroutine?debug=2.
 *
 * Per thread: tid, name, state, CPU time and current syscall from
 * /proc/self/task (threaddump_proc.c), and the user stack the thread
 * records itself in a signal handler (threaddump_capture.c), symbolized
 * here with libdw through taskscope's symbolizer (function+offset, module,
 * file:line). The result is taskscope's snapshot model, printed by
 * taskscope's own writers (taskscope/output.h): text like Go's debug=2, or
 * the JSON schema of `taskscope snapshot --json` with "source": "uploadd".
 * What only the kernel knows (what a thread is blocked on, for how long,
 * lock owners, socket peers, the wait-for graph) is null. */
#ifndef UPLOADD_THREADDUMP_H
#define UPLOADD_THREADDUMP_H

#include <stdbool.h>
#include <stdio.h>

/* Default and largest wait for threads to answer, per round. */
#define TD_TIMEOUT_MS_DEFAULT 250u
#define TD_TIMEOUT_MS_MAX     10000u

enum td_format { TD_FORMAT_TEXT, TD_FORMAT_JSON };

/* Installs the signal handler behind the dump and reads this process's
 * module list for the symbolizer (it must happen before --user drops
 * privileges: the process is not dumpable after). Main thread, at
 * start-up, before any other thread. Returns 0 or -errno (a module list
 * that cannot be read is not an error: dumps then show bare pcs). */
int threaddump_init(void);

/* Takes a dump of every thread and writes it to f in fmt. Dumps are
 * serialized (one at a time; the symbolizer is shared and kept between
 * dumps, so only the first pays for loading debug info). Any thread.
 * Returns 0, or -errno (-EIO when writing to f failed). */
int threaddump_write(FILE *f, enum td_format fmt, unsigned timeout_ms);

#endif
