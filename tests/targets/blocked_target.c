/* Test target for `taskscope snapshot`: threads blocked in known ways, each
 * inside a distinctively named noinline function, so a test can check the
 * class, the object (mutex owner, peer port, fd) and the function in the
 * unwound stack of every thread. Once every thread is blocked it writes a
 * JSON manifest (tid, name, role, function, expected class and object) to
 * the path given as argv[1], then waits until killed.
 *
 *   usage: blocked_target MANIFEST_PATH
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "target_util.h"

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cv_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static int pipe_fds[2];
static int tcp_client_fd = -1, listen_fd = -1, epoll_fd = -1;
static pthread_t sleeper_thread;
static volatile unsigned long long spin_count;
static unsigned long long sleep_start_ns;

enum role {
	R_MU_HOLDER, R_MU_WAITER, R_CONDVAR, R_SLEEPER, R_JOIN, R_PIPE, R_TCP,
	R_EPOLL, R_RW_HOLDER, R_RW_WAITER, R_BUSY, R_COUNT
};

struct worker {
	const char *name;            /* thread name (<= 15 chars) */
	const char *role;
	const char *function;        /* the named function in its stack */
	void *(*fn)(void *);
	pid_t tid;
	pthread_t thread;
};

static volatile pid_t tids[R_COUNT];

/* Keeps a frame of its own below fn: no tail call may replace it. */
#define KEEP_FRAME() __asm__ volatile("" ::: "memory")

static NOINLINE void holder_wait_on_semaphore(void)
{
	sem_wait(&sem);
	KEEP_FRAME();
}

static void *mu_holder(void *arg)
{
	(void)arg;
	tids[R_MU_HOLDER] = tu_gettid();
	pthread_mutex_lock(&mu);
	holder_wait_on_semaphore();
	return NULL;
}

static NOINLINE void waiter_lock_mutex(void)
{
	pthread_mutex_lock(&mu);
	KEEP_FRAME();
}

static void *mu_waiter(void *arg)
{
	(void)arg;
	tids[R_MU_WAITER] = tu_gettid();
	waiter_lock_mutex();
	return NULL;
}

static NOINLINE void waiter_wait_condvar(void)
{
	pthread_mutex_lock(&cv_mu);
	for (;;)
		pthread_cond_wait(&cv, &cv_mu);
}

static void *cv_waiter(void *arg)
{
	(void)arg;
	tids[R_CONDVAR] = tu_gettid();
	waiter_wait_condvar();
	return NULL;
}

static NOINLINE void sleeper_nanosleep(void)
{
	struct timespec ts = { .tv_sec = 3600 };

	sleep_start_ns = tu_mono_ns();
	nanosleep(&ts, NULL);
	KEEP_FRAME();
}

static void *sleeper(void *arg)
{
	(void)arg;
	tids[R_SLEEPER] = tu_gettid();
	sleeper_nanosleep();
	return NULL;
}

static NOINLINE void joiner_join_sleeper(void)
{
	pthread_join(sleeper_thread, NULL);
	KEEP_FRAME();
}

static void *joiner(void *arg)
{
	(void)arg;
	tids[R_JOIN] = tu_gettid();
	joiner_join_sleeper();
	return NULL;
}

static NOINLINE void reader_read_pipe(void)
{
	char c;

	if (read(pipe_fds[0], &c, 1) < 0)
		tu_die("read");
	KEEP_FRAME();
}

static void *pipe_reader(void *arg)
{
	(void)arg;
	tids[R_PIPE] = tu_gettid();
	reader_read_pipe();
	return NULL;
}

static NOINLINE void reader_recv_tcp(void)
{
	char buf[64];

	if (recv(tcp_client_fd, buf, sizeof(buf), 0) < 0)
		tu_die("recv");
	KEEP_FRAME();
}

static void *tcp_reader(void *arg)
{
	(void)arg;
	tids[R_TCP] = tu_gettid();
	reader_recv_tcp();
	return NULL;
}

static NOINLINE void waiter_epoll_wait(void)
{
	struct epoll_event ev;

	epoll_wait(epoll_fd, &ev, 1, -1);
	KEEP_FRAME();
}

static void *epoll_waiter(void *arg)
{
	(void)arg;
	tids[R_EPOLL] = tu_gettid();
	waiter_epoll_wait();
	return NULL;
}

static NOINLINE void rw_holder_pause(void)
{
	pause();
	KEEP_FRAME();
}

static void *rw_holder(void *arg)
{
	(void)arg;
	tids[R_RW_HOLDER] = tu_gettid();
	pthread_rwlock_wrlock(&rw);
	rw_holder_pause();
	return NULL;
}

static NOINLINE void waiter_rdlock_rwlock(void)
{
	pthread_rwlock_rdlock(&rw);
	KEEP_FRAME();
}

static void *rw_waiter(void *arg)
{
	(void)arg;
	tids[R_RW_WAITER] = tu_gettid();
	waiter_rdlock_rwlock();
	return NULL;
}

static NOINLINE void busy_spin_loop(void)
{
	for (;;)
		spin_count++;
}

static void *busy(void *arg)
{
	(void)arg;
	tids[R_BUSY] = tu_gettid();
	busy_spin_loop();
	return NULL;
}

static struct worker workers[R_COUNT] = {
	[R_MU_HOLDER] = { "mu-holder", "mutex_holder", "holder_wait_on_semaphore", mu_holder },
	[R_MU_WAITER] = { "mu-waiter", "mutex", "waiter_lock_mutex", mu_waiter },
	[R_CONDVAR] = { "cv-waiter", "condvar", "waiter_wait_condvar", cv_waiter },
	[R_SLEEPER] = { "sleeper", "sleep", "sleeper_nanosleep", sleeper },
	[R_JOIN] = { "joiner", "join", "joiner_join_sleeper", joiner },
	[R_PIPE] = { "pipe-reader", "pipe", "reader_read_pipe", pipe_reader },
	[R_TCP] = { "tcp-reader", "tcp", "reader_recv_tcp", tcp_reader },
	[R_EPOLL] = { "epoll-waiter", "epoll", "waiter_epoll_wait", epoll_waiter },
	[R_RW_HOLDER] = { "rw-holder", "rwlock_holder", "rw_holder_pause", rw_holder },
	[R_RW_WAITER] = { "rw-waiter", "rwlock", "waiter_rdlock_rwlock", rw_waiter },
	[R_BUSY] = { "busy", "busy", "busy_spin_loop", busy },
};

static void start(enum role r)
{
	struct worker *w = &workers[r];

	if (pthread_create(&w->thread, NULL, w->fn, NULL))
		tu_die("pthread_create");
	pthread_setname_np(w->thread, w->name);
	while (!tids[r])
		usleep(1000);
	w->tid = tids[r];
	if (r != R_BUSY)
		tu_wait_asleep(w->tid);
}

static int tcp_setup(int *accepted)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(listen_fd, 4) ||
	    getsockname(listen_fd, (struct sockaddr *)&a, &len))
		tu_die("listen");
	tcp_client_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (tcp_client_fd < 0 ||
	    connect(tcp_client_fd, (struct sockaddr *)&a, sizeof(a)))
		tu_die("connect");
	*accepted = accept(listen_fd, NULL, NULL);
	if (*accepted < 0)
		tu_die("accept");
	return ntohs(a.sin_port);
}

static void write_manifest(const char *path, int port, int accepted)
{
	struct tu_manifest m;
	int i;

	tu_manifest_begin(&m);
	tu_printf(&m, "{\"pid\": %d, \"main_tid\": %d, \"listen_port\": %d,\n",
		  getpid(), tu_gettid(), port);
	tu_printf(&m, " \"listen_fd\": %d, \"accepted_fd\": %d,\n", listen_fd,
		  accepted);
	tu_printf(&m, " \"mutex\": \"%p\", \"cond\": \"%p\", \"rwlock\": \"%p\","
		  " \"sem\": \"%p\",\n", (void *)&mu, (void *)&cv, (void *)&rw,
		  (void *)&sem);
	tu_printf(&m, " \"pipe_fd\": %d, \"tcp_fd\": %d, \"epoll_fd\": %d,\n",
		  pipe_fds[0], tcp_client_fd, epoll_fd);
	tu_printf(&m, " \"sleep_start_mono_ns\": %llu,\n", sleep_start_ns);
	tu_printf(&m, " \"threads\": [\n");
	for (i = 0; i < R_COUNT; i++)
		tu_printf(&m, "  {\"tid\": %d, \"name\": \"%s\", \"role\": \"%s\","
			  " \"function\": \"%s\"}%s\n", workers[i].tid,
			  workers[i].name, workers[i].role, workers[i].function,
			  i + 1 < R_COUNT ? "," : "");
	tu_printf(&m, " ]}\n");
	tu_manifest_write(&m, path);
}

static NOINLINE void main_wait_accept(void)
{
	/* Nobody else connects: the main thread stays in accept(). */
	accept(listen_fd, NULL, NULL);
	KEEP_FRAME();
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int port, accepted, r;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MANIFEST_PATH\n", argv[0]);
		return 2;
	}
	if (sem_init(&sem, 0, 0) || pipe(pipe_fds))
		tu_die("setup");
	port = tcp_setup(&accepted);
	epoll_fd = epoll_create1(0);
	if (epoll_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, pipe_fds[0], &ev))
		tu_die("epoll");
	/* Holders first, so the waiters block on a held lock. */
	start(R_MU_HOLDER);
	start(R_RW_HOLDER);
	for (r = 0; r < R_COUNT; r++) {
		if (r == R_MU_HOLDER || r == R_RW_HOLDER)
			continue;
		if (r == R_JOIN)
			sleeper_thread = workers[R_SLEEPER].thread;
		start(r);
	}
	write_manifest(argv[1], port, accepted);
	main_wait_accept();
	return 0;
}
