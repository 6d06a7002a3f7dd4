/* Load for the cross-process resolver's benchmark: N child processes, each
 * joined to this parent by a loopback TCP connection, a unix socket pair
 * and a pipe, each blocked reading its pipe; the parent holds the other
 * ends and waits. With ~1,000 children that is ~6,000 socket and pipe fds
 * for the resolver (and lsof) to map to their holders.
 *
 *   usage: xproc_many N MANIFEST_PATH
 *
 * Writes {"pid": P, "children": N} to MANIFEST_PATH once every child is
 * up, then waits until killed; the children die with it
 * (PR_SET_PDEATHSIG). Raises its fd limit to what it needs (root may). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "target_util.h"

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Closes every fd above stderr but the three given: a child would
 * otherwise inherit the parent's ends of all the children before it. */
static void keep_only(int a, int b, int c)
{
	int keep[3] = { a, b, c }, lo = 3, i;

	qsort(keep, 3, sizeof(int), cmp_int);
	for (i = 0; i < 3; i++) {
		if (keep[i] > lo)
			close_range(lo, keep[i] - 1, 0);
		lo = keep[i] + 1;
	}
	close_range(lo, ~0u, 0);
}

static void child_main(int tcp, int unix_end, int pipe_r)
{
	char c;

	keep_only(tcp, unix_end, pipe_r);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
	prctl(PR_SET_NAME, "xp-many-child");
	(void)tcp;
	(void)unix_end;
	while (read(pipe_r, &c, 1) != 0)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct rlimit rl;
	struct tu_manifest m;
	int n, i, l;

	if (argc != 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: %s N MANIFEST_PATH\n", argv[0]);
		return 2;
	}
	/* The parent keeps 3 fds per child, plus the ones it passes on. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)(6 * n + 64)) {
		rl.rlim_cur = 6 * n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			tu_die("setrlimit(RLIMIT_NOFILE)");
	}
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 128) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		tu_die("listen");
	for (i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), acc, sp[2], p[2];
		pid_t pid;

		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			tu_die("connect");
		acc = accept(l, NULL, NULL);
		if (acc < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || pipe(p))
			tu_die("socketpair/pipe");
		pid = fork();
		if (pid < 0)
			tu_die("fork");
		if (pid == 0) {
			child_main(c, sp[1], p[0]);
		}
		close(c);
		close(sp[1]);
		close(p[0]);
	}
	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"children\": %d}\n", getpid(), n);
	tu_manifest_write(&m, argv[2]);
	for (;;)
		pause();
	return 0;
}
