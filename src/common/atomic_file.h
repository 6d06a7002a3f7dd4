/* Writing a whole file so that readers never see half of it: a temp file
 * next to the target (same file system), filled, optionally fsynced, then
 * renamed over it. Used by every output that goes to a named file
 * (taskscope snapshot -o, --pprof) and by the debug-info cache. */
#ifndef COMMON_ATOMIC_FILE_H
#define COMMON_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Creates path atomically, mode 0644: fill(fd, arg) writes the contents
 * into a temp file (returns 0 or -errno); durable fsyncs it before the
 * rename (a cache that can be rebuilt skips that). On failure nothing is
 * left behind and an existing path is untouched. Returns 0, fill's error
 * or -errno. Any thread. */
int atomic_file_write(const char *path, int (*fill)(int fd, void *arg),
		      void *arg, bool durable);

/* atomic_file_write of buf[0..len), durable. */
int atomic_file_write_buf(const char *path, const void *buf, size_t len);

#endif
