/* Describing an fd a thread waits on: "tcp 127.0.0.1:40000 -> 127.0.0.1:5555",
 * "pipe:[1234]", "file /var/log/x". The formatting is pure (from the BPF
 * view, struct ts_fd_info); ts_fd_readlink adds what only /proc knows
 * (a regular file's path). */
#ifndef THREADVIEW_FDINFO_H
#define THREADVIEW_FDINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "taskscope_abi.h"

/* Short type: "tcp", "tcp6", "udp", "udp6", "unix", "socket", "pipe",
 * "file", "other", "closed" (fd not open), or "unknown". */
const char *ts_fd_type_name(const struct ts_fd_info *fi);

/* Formats "addr:port" ("[v6]:port" for IPv6) of one end of a socket into
 * buf. which: 0 local, 1 peer. Returns buf. */
char *ts_fd_endpoint(const struct ts_fd_info *fi, int which, char *buf,
		     size_t len);

/* One line for fi, e.g. "tcp 127.0.0.1:40000 -> 127.0.0.1:5555, 12 B
 * queued", "tcp listening 127.0.0.1:8080", "pipe:[1234]", "file /tmp/x"
 * (path may be NULL). Returns buf. */
char *ts_fd_describe(const struct ts_fd_info *fi, const char *path, char *buf,
		     size_t len);

/* The target of /proc/PID/fd/FD as a malloc'd string (caller frees), or
 * NULL with errno set. */
char *ts_fd_readlink(pid_t pid, int fd);

#endif
