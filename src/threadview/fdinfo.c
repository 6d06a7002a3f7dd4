/* fd descriptions (see fdinfo.h). */
#include "threadview/fdinfo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#define TCP_LISTEN_STATE 10

const char *ts_fd_type_name(const struct ts_fd_info *fi)
{
	switch (fi->type) {
	case TS_FD_SOCKET:
		if (fi->family == AF_UNIX)
			return "unix";
		if (fi->family == AF_INET || fi->family == AF_INET6) {
			bool v6 = fi->family == AF_INET6;

			if (fi->protocol == IPPROTO_TCP)
				return v6 ? "tcp6" : "tcp";
			if (fi->protocol == IPPROTO_UDP)
				return v6 ? "udp6" : "udp";
		}
		return "socket";
	case TS_FD_PIPE:
		return "pipe";
	case TS_FD_FILE:
		return "file";
	case TS_FD_OTHER:
		return "other";
	case TS_FD_BAD:
		return "closed";
	}
	return "unknown";
}

char *ts_fd_endpoint(const struct ts_fd_info *fi, int which, char *buf,
		     size_t len)
{
	const unsigned char *a = which ? fi->raddr : fi->laddr;
	unsigned int port = which ? fi->rport : fi->lport;
	char host[INET6_ADDRSTRLEN] = "?";

	if (fi->family == AF_INET6) {
		inet_ntop(AF_INET6, a, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, a, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, port);
	}
	return buf;
}

char *ts_fd_describe(const struct ts_fd_info *fi, const char *path, char *buf,
		     size_t len)
{
	const char *type = ts_fd_type_name(fi);
	char l[64], r[64];

	if (fi->type == TS_FD_SOCKET &&
	    (fi->family == AF_INET || fi->family == AF_INET6)) {
		ts_fd_endpoint(fi, 0, l, sizeof(l));
		if (fi->sk_state == TCP_LISTEN_STATE && fi->protocol == IPPROTO_TCP)
			snprintf(buf, len, "%s listening %s", type, l);
		else
			snprintf(buf, len, "%s %s -> %s, %u B queued", type, l,
				 ts_fd_endpoint(fi, 1, r, sizeof(r)),
				 fi->rx_queued);
	} else if (fi->type == TS_FD_SOCKET) {
		snprintf(buf, len, "%s socket:[%llu]", type,
			 (unsigned long long)fi->ino);
	} else if (fi->type == TS_FD_PIPE) {
		snprintf(buf, len, "pipe:[%llu]", (unsigned long long)fi->ino);
	} else if (path) {
		snprintf(buf, len, "%s %s", type, path);
	} else {
		snprintf(buf, len, "%s", type);
	}
	return buf;
}

char *ts_fd_readlink(pid_t pid, int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}
