/* Test target for taskscope's cross-process resolver: two processes joined
 * by every kind of channel it follows, each blocked on its side.
 *
 * The parent ("xproc_peers") has one thread per channel, each blocked in
 * read(2) or write(2) on it; the child ("xp-writer", forked) holds the other
 * ends and never uses them: its main thread sleeps in writer_sleep()
 * (clock_nanosleep, an hour), a second thread "xp-w-idle" waits in pause().
 *
 *   role          parent thread blocks in         the child holds
 *   pipe          read, pipe                      the write end
 *   fifo          read, FIFO in the manifest dir  the FIFO open for writing
 *   unix          read, socketpair(SOCK_STREAM)   the other end
 *   dgram         recv, bound unix datagram       a socket connected to it
 *   tcp           read, accepted TCP connection   the client side
 *   backlog       read, TCP client                the listener, which never
 *                                                 accepts the connection
 *   pipe_full     write, pipe filled to the brim  the read end
 *
 * With --newns the child starts in new pid and network namespaces (root
 * only): it is pid 1 there, its sockets live in its own namespace, and the
 * TCP roles are left out (its loopback is not ours). With --wake-after MS
 * the child's main thread writes one byte into the pipe every MS ms, so
 * the pipe reader is woken from another process.
 *
 *   usage: xproc_peers MANIFEST_PATH [--newns] [--wake-after MS]
 *
 * Once every thread is blocked it writes a JSON manifest (pids, the child's
 * thread ids and its pid in its namespace, per role: tid, name, fd, the
 * channel and the direction) to MANIFEST_PATH and waits until killed; the
 * child dies with it (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "target_util.h"

#define NOINLINE __attribute__((noinline))
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

enum role { R_PIPE, R_FIFO, R_UNIX, R_DGRAM, R_TCP, R_BACKLOG, R_PIPE_FULL,
	    R_COUNT };

struct worker {
	const char *name;            /* thread name (<= 15 chars) */
	const char *role;
	const char *via;             /* pipe, fifo, unix, tcp */
	const char *dir;             /* read or write */
	int fd;                      /* the parent's end */
	pid_t tid;
	pthread_t thread;
};

static struct worker workers[R_COUNT] = {
	[R_PIPE] = { "pipe-reader", "pipe", "pipe", "read", -1, 0, 0 },
	[R_FIFO] = { "fifo-reader", "fifo", "fifo", "read", -1, 0, 0 },
	[R_UNIX] = { "unix-reader", "unix", "unix", "read", -1, 0, 0 },
	[R_DGRAM] = { "dgram-reader", "dgram", "unix", "read", -1, 0, 0 },
	[R_TCP] = { "tcp-reader", "tcp", "tcp", "read", -1, 0, 0 },
	[R_BACKLOG] = { "backlog-reader", "backlog", "tcp", "read", -1, 0, 0 },
	[R_PIPE_FULL] = { "pipe-filler", "pipe_full", "pipe", "write", -1, 0, 0 },
};

/* The child's ends, made before the fork. */
static int child_pipe_w = -1, child_full_r = -1, child_sp = -1;
static int child_tcp_listen = -1;    /* the backlog role's listener */
static int parent_tcp_listen = -1;   /* the tcp role's listener */
static char fifo_path[4096], dgram_path[108];
static bool newns;
static long wake_after_ms;

static NOINLINE void writer_sleep(void)
{
	struct timespec d = { .tv_sec = 3600 };

	if (wake_after_ms) {
		d.tv_sec = wake_after_ms / 1000;
		d.tv_nsec = wake_after_ms % 1000 * 1000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL) == EINTR)
		;
	KEEP_FRAME();
}

static void *idle_main(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "xp-w-idle");
	for (;;)
		pause();
	return NULL;
}

static int tcp_listen_any(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(fd, 4) || getsockname(fd, (struct sockaddr *)&a, &len))
		tu_die("tcp listen");
	*port = ntohs(a.sin_port);
	return fd;
}

static int tcp_connect(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		tu_die("tcp connect");
	return fd;
}

/* The child: takes its ends, tells the parent it is ready through sync,
 * then sleeps forever. */
static void child_main(int sync_w, int tcp_port)
{
	struct sockaddr_un d = { .sun_family = AF_UNIX };
	int fifo_w, dg, tcp = -1;
	pthread_t idle;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1 && !newns)
		_exit(1);                  /* the parent is already gone */
	if (newns && unshare(CLONE_NEWNET))
		tu_die("unshare(CLONE_NEWNET)");
	/* Only the child's own ends stay open here: each channel then has
	 * exactly one holder on each side. */
	for (int i = 0; i < R_COUNT; i++)
		if (workers[i].fd >= 0)
			close(workers[i].fd);
	if (parent_tcp_listen >= 0)
		close(parent_tcp_listen);
	prctl(PR_SET_NAME, "xp-writer");
	fifo_w = open(fifo_path, O_WRONLY);
	if (fifo_w < 0)
		tu_die("open fifo for writing");
	dg = socket(AF_UNIX, SOCK_DGRAM, 0);
	memcpy(d.sun_path, dgram_path, strlen(dgram_path) + 1);
	if (dg < 0 || connect(dg, (struct sockaddr *)&d, sizeof(d)))
		tu_die("connect datagram socket");
	if (!newns)
		tcp = tcp_connect(tcp_port);
	if (pthread_create(&idle, NULL, idle_main, NULL))
		tu_die("pthread_create");
	if (write(sync_w, "r", 1) != 1)
		tu_die("sync");
	close(sync_w);
	(void)tcp;
	for (;;) {
		writer_sleep();
		if (!wake_after_ms)
			continue;
		if (write(child_pipe_w, "w", 1) != 1)
			tu_die("wake the pipe reader");
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static char buf[1 << 20];

	__atomic_store_n(&w->tid, tu_gettid(), __ATOMIC_RELEASE);
	prctl(PR_SET_NAME, w->name);
	if (!strcmp(w->dir, "write"))
		for (;;)
			if (write(w->fd, buf, sizeof(buf)) < 0 && errno != EINTR)
				break;
	for (;;)
		if (read(w->fd, buf, sizeof(buf)) <= 0 && errno != EINTR)
			break;
	return NULL;
}

/* Forks the child, in new pid namespace when newns: clone(2) with
 * CLONE_NEWPID moves only the child, so the parent can still create
 * threads (after unshare(CLONE_NEWPID) it could not). */
static pid_t start_child(int sync_w, int tcp_port)
{
	pid_t pid;

	if (newns)
		pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL,
				     NULL, NULL, NULL);
	else
		pid = fork();
	if (pid < 0)
		tu_die(newns ? "clone(CLONE_NEWPID)" : "fork");
	if (pid == 0)
		child_main(sync_w, tcp_port);
	return pid;
}

static void write_manifest(const char *path, pid_t child)
{
	char dir[64], comm_path[512], comm[32];
	struct tu_manifest m;
	struct dirent *de;
	bool first = true;
	DIR *d;
	int i;

	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"child_pid\": %d, \"newns\": %s,"
		  " \"wake_after_ms\": %ld,\n", getpid(), child,
		  newns ? "true" : "false", wake_after_ms);
	tu_printf(&m, " \"child_ns_pid\": %d, \"fifo\": \"%s\", \"dgram\": \"%s\",\n",
		  newns ? 1 : child, fifo_path, dgram_path);
	/* The child's threads as the host sees them. */
	tu_printf(&m, " \"child_threads\": [");
	snprintf(dir, sizeof(dir), "/proc/%d/task", child);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(comm_path, sizeof(comm_path), "%s/%s/comm", dir, de->d_name);
		f = fopen(comm_path, "r");
		if (!f || !fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		if (f)
			fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		tu_printf(&m, "%s{\"tid\": %s, \"name\": \"%s\"}", first ? "" : ", ",
			  de->d_name, comm);
		first = false;
	}
	if (d)
		closedir(d);
	tu_printf(&m, "],\n \"threads\": [\n");
	first = true;
	for (i = 0; i < R_COUNT; i++) {
		if (workers[i].fd < 0)
			continue;
		tu_printf(&m, "%s  {\"tid\": %d, \"name\": \"%s\", \"role\": \"%s\","
			  " \"via\": \"%s\", \"dir\": \"%s\", \"fd\": %d}",
			  first ? "" : ",\n", workers[i].tid, workers[i].name,
			  workers[i].role, workers[i].via, workers[i].dir,
			  workers[i].fd);
		first = false;
	}
	tu_printf(&m, "\n ]}\n");
	tu_manifest_write(&m, path);
}

/* Waits until the child has written its state letter 'S' for all of its
 * threads (it sleeps) or 10 s passed. */
static void wait_child_asleep(pid_t child)
{
	char path[64], buf[512], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	for (i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			break;
		usleep(10000);
	}
	usleep(20000);
}

int main(int argc, char **argv)
{
	struct sockaddr_un d = { .sun_family = AF_UNIX };
	int p[2], full[2], sp[2], sync[2], tcp_port = 0, backlog_port = 0;
	char dirbuf[4096], c;
	pid_t child;
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--newns"))
			newns = true;
		else if (!strcmp(argv[i], "--wake-after") && i + 1 < argc)
			wake_after_ms = atol(argv[++i]);
		else
			break;
	}
	if (argc < 2 || i < argc || wake_after_ms < 0) {
		fprintf(stderr, "usage: %s MANIFEST_PATH [--newns] "
			"[--wake-after MS]\n", argv[0]);
		return 2;
	}
	snprintf(dirbuf, sizeof(dirbuf), "%s", argv[1]);
	dirname(dirbuf);
	if (strlen(dirbuf) + sizeof("/xp.dgram") > sizeof(d.sun_path)) {
		fprintf(stderr, "xproc_peers: %s is too long for a unix socket path\n",
			dgram_path);
		return 2;
	}
	strcat(strcpy(fifo_path, dirbuf), "/xp.fifo");
	strcat(strcpy(dgram_path, dirbuf), "/xp.dgram");
	unlink(fifo_path);
	unlink(dgram_path);
	if (pipe(p) || pipe(full) || socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    pipe(sync) || mkfifo(fifo_path, 0600))
		tu_die("setup");
	/* A FIFO opened for reading without O_NONBLOCK would wait for a
	 * writer: open it first, then let reads block. */
	workers[R_FIFO].fd = open(fifo_path, O_RDONLY | O_NONBLOCK);
	if (workers[R_FIFO].fd < 0)
		tu_die("open fifo");
	workers[R_DGRAM].fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memcpy(d.sun_path, dgram_path, strlen(dgram_path) + 1);
	if (workers[R_DGRAM].fd < 0 ||
	    bind(workers[R_DGRAM].fd, (struct sockaddr *)&d, sizeof(d)))
		tu_die("bind datagram socket");
	if (!newns) {
		parent_tcp_listen = tcp_listen_any(&tcp_port);
		child_tcp_listen = tcp_listen_any(&backlog_port);
	}
	workers[R_PIPE].fd = p[0];
	child_pipe_w = p[1];
	workers[R_PIPE_FULL].fd = full[1];
	child_full_r = full[0];
	workers[R_UNIX].fd = sp[0];
	child_sp = sp[1];
	child = start_child(sync[1], tcp_port);
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1) {
		fprintf(stderr, "xproc_peers: the child died during setup\n");
		return 1;
	}
	close(child_pipe_w);
	close(child_full_r);
	close(child_sp);
	if (fcntl(workers[R_FIFO].fd, F_SETFL, 0))
		tu_die("fcntl");
	if (!newns) {
		close(child_tcp_listen);
		workers[R_TCP].fd = accept(parent_tcp_listen, NULL, NULL);
		if (workers[R_TCP].fd < 0)
			tu_die("accept");
		workers[R_BACKLOG].fd = tcp_connect(backlog_port);
	}
	for (i = 0; i < R_COUNT; i++) {
		if (workers[i].fd < 0)
			continue;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
			tu_die("pthread_create");
	}
	for (i = 0; i < R_COUNT; i++) {
		while (workers[i].fd >= 0 && !__atomic_load_n(&workers[i].tid,
							      __ATOMIC_ACQUIRE))
			usleep(1000);
		if (workers[i].fd >= 0)
			tu_wait_asleep(workers[i].tid);
	}
	wait_child_asleep(child);
	write_manifest(argv[1], child);
	for (;;)
		pause();
	return 0;
}
