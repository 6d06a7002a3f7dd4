/* Writing a whole file so that readers never see half of it: a temp file
 * next to the target (same file system), fsync, rename. Used by every
 * output that goes to a named file (snapshot -o, --pprof). */
#ifndef TASKSCOPE_ATOMIC_FILE_H
#define TASKSCOPE_ATOMIC_FILE_H

#include <stddef.h>

/* Writes buf[0..len) to path atomically, mode 0644. On failure nothing is
 * left behind (the temp file is removed) and an existing path is
 * untouched. Returns 0 or -errno. Any thread. */
int ts_write_file_atomic(const char *path, const void *buf, size_t len);

#endif
