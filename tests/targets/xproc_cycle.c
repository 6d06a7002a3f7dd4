/* Test target for cross-process deadlock reports: two processes, each with
 * one thread blocked reading a channel that only the other would write,
 * and neither ever writes: a wait-for cycle that crosses the process
 * boundary.
 *
 *   usage: xproc_cycle MANIFEST_PATH tcp|unix|pipe
 *
 *   tcp   one loopback TCP connection; both ends read it (each waits for
 *         the other to speak first: a protocol deadlock)
 *   unix  the same over a unix stream socketpair
 *   pipe  two pipes: A reads the one B writes, B the one A writes
 *
 * Process A is this one ("xp-cycle-a", thread "cyc-a-read"); B is its
 * child ("xp-cycle-b", thread "cyc-b-read"), which dies with it
 * (PR_SET_PDEATHSIG). Once both threads are blocked the manifest (pids and
 * tids of both readers, the fds) goes to MANIFEST_PATH; then it waits
 * until killed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "target_util.h"

#define NOINLINE __attribute__((noinline))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

struct reader {
	int fd;
	const char *name;
	int tid_pipe;                /* where the reader writes its tid */
};

static NOINLINE void cycle_read(int fd)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) != 0)
		;
	KEEP_FRAME();
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	pid_t tid = tu_gettid();

	prctl(PR_SET_NAME, r->name);
	if (write(r->tid_pipe, &tid, sizeof(tid)) != sizeof(tid))
		tu_die("report tid");
	cycle_read(r->fd);
	return NULL;
}

/* Starts the reader thread of this process; its tid goes to tid_pipe. */
static void start_reader(struct reader *r)
{
	pthread_t t;

	if (pthread_create(&t, NULL, reader_main, r))
		tu_die("pthread_create");
}

/* A connected pair of TCP sockets on loopback. */
static void tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		tu_die("listen");
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
		tu_die("connect");
	fds[1] = accept(l, NULL, NULL);
	if (fds[1] < 0)
		tu_die("accept");
	close(l);
}

int main(int argc, char **argv)
{
	int a_fd, b_fd, tids[2], ab[2], ba[2];
	pid_t a_tid, b_tid, child;
	struct reader ra, rb;
	struct tu_manifest m;
	const char *via;

	if (argc != 3 || (strcmp(argv[2], "tcp") && strcmp(argv[2], "unix") &&
			  strcmp(argv[2], "pipe"))) {
		fprintf(stderr, "usage: %s MANIFEST_PATH tcp|unix|pipe\n", argv[0]);
		return 2;
	}
	via = argv[2];
	if (pipe(tids))
		tu_die("pipe");
	if (!strcmp(via, "pipe")) {
		/* ab: A writes, B reads; ba: B writes, A reads. */
		if (pipe(ab) || pipe(ba))
			tu_die("pipe");
		a_fd = ba[0];
		b_fd = ab[0];
	} else if (!strcmp(via, "unix")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, ab))
			tu_die("socketpair");
		a_fd = ab[0];
		b_fd = ab[1];
	} else {
		tcp_pair(ab);
		a_fd = ab[0];
		b_fd = ab[1];
	}
	child = fork();
	if (child < 0)
		tu_die("fork");
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		prctl(PR_SET_NAME, "xp-cycle-b");
		/* B keeps its read end and the write end of the channel A
		 * reads; everything else is A's. */
		close(a_fd);
		if (!strcmp(via, "pipe"))
			close(ab[1]);
		rb = (struct reader){ b_fd, "cyc-b-read", tids[1] };
		start_reader(&rb);
		for (;;)
			pause();
	}
	prctl(PR_SET_NAME, "xp-cycle-a");
	close(b_fd);
	if (!strcmp(via, "pipe"))
		close(ba[1]);
	ra = (struct reader){ a_fd, "cyc-a-read", tids[1] };
	start_reader(&ra);
	if (read(tids[0], &a_tid, sizeof(a_tid)) != sizeof(a_tid) ||
	    read(tids[0], &b_tid, sizeof(b_tid)) != sizeof(b_tid))
		tu_die("collect tids");
	/* Which of the two came first is not known: sort them by process. */
	{
		char path[64];
		pid_t t = a_tid;

		snprintf(path, sizeof(path), "/proc/self/task/%d", a_tid);
		if (access(path, F_OK)) {
			a_tid = b_tid;
			b_tid = t;
		}
	}
	tu_wait_asleep(a_tid);
	usleep(50000);               /* B's reader: asleep by now as well */
	tu_manifest_begin(&m);
	tu_printf(&m, "{\"via\": \"%s\", \"a_pid\": %d, \"a_tid\": %d, \"a_fd\": %d,"
		  " \"b_pid\": %d, \"b_tid\": %d, \"b_fd\": %d}\n", via, getpid(),
		  a_tid, a_fd, child, b_tid, b_fd);
	tu_manifest_write(&m, argv[1]);
	for (;;)
		pause();
	return 0;
}
