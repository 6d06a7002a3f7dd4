/* `taskscope snapshot` on a Go program: after the thread pass, reads the
 * goroutines (go_collect, go_build) and hangs them on the snapshot
 * (s->go), so every output format shows them. Not thread-safe. */
#ifndef TASKSCOPE_GO_SNAPSHOT_H
#define TASKSCOPE_GO_SNAPSHOT_H

#include <sys/types.h>

#include "threadview/snapshot_model.h"

struct ts_go_snap;

/* Reads pid's goroutines when it runs a Go program; s->go points into
 * *out afterwards (free with ts_go_snap_free after the output). Not Go:
 * returns 0 with *out NULL. Go without DWARF or with an unknown layout:
 * one line on stderr saying so, returns 0 (the threads are still shown).
 * Returns an exit code (TS_EXIT_*) after logging on failure. */
int ts_go_snapshot(pid_t pid, struct ts_snapshot *s, struct ts_go_snap **out);

void ts_go_snap_free(struct ts_go_snap *g);

#endif
