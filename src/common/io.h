/* Plain file-descriptor helpers both programs use. */
#ifndef COMMON_IO_H
#define COMMON_IO_H

#include <stddef.h>

/* Writes all len bytes of buf to fd, across short writes and EINTR (a
 * signal such as uploadd's thread-dump signal may interrupt a write).
 * Returns 0 or -errno. Any thread. */
int io_write_all(int fd, const void *buf, size_t len);

#endif
