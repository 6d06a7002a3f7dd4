/* Human wording shared by the text and folded outputs: durations in Go's
 * style ("2.3s", "150ms", "5m3s") and the one-line "what is it blocked on"
 * of a thread ("futex: mutex 0x7f.. held by 4240 \"up-hash\""). Pure. */
#ifndef THREADVIEW_DESCRIBE_H
#define THREADVIEW_DESCRIBE_H

#include <stddef.h>
#include <stdint.h>

#include "threadview/snapshot_model.h"

/* Formats ns as a short duration into buf. Returns buf. */
char *ts_format_duration(uint64_t ns, char *buf, size_t len);

/* Describes what t waits on (or its state when it is not blocked) into buf,
 * without the duration. Returns buf. */
char *ts_describe_blocked(const struct ts_thread *t, char *buf, size_t len);

/* file without the directory prefix strip (and its '/'), or file itself
 * when it does not start with it. NULL file or strip are fine. */
const char *ts_strip_dir(const char *file, const char *strip);

/* Formats a frame as "func+0x1c (file:line)" or "func+0x1c (module)";
 * strip: a directory prefix to drop from file names (may be NULL).
 * Returns buf. */
char *ts_describe_frame(const struct ts_frame *f, const char *strip, char *buf,
			size_t len);

#endif
