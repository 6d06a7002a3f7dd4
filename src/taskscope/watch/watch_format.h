/* Prints watch events: one readable line per event (plus indented frames
 * when a stack came with it), or one JSON object per line (JSON Lines, the
 * schema in docs/taskscope-watch.md). Pure formatting of a resolved view:
 * unit tests feed hand-made views. Any thread, one stream at a time. */
#ifndef TASKSCOPE_WATCH_FORMAT_H
#define TASKSCOPE_WATCH_FORMAT_H

#include <stdio.h>

#include "taskscope/watch/watch_view.h"

/* Writes v as text to f. TS_WEV_TOTALS prints nothing (summary only). */
void watch_print_text(FILE *f, const struct wev_view *v);

/* Writes v as one JSON object and a newline to f. */
void watch_print_json(FILE *f, const struct wev_view *v);

/* "exit code 0" / "killed by signal 9" for a wait(2) status into buf. */
char *watch_exit_status(int status, char *buf, size_t len);

#endif
