/* Test target for taskscope watch: thread "server" listens on loopback and
 * answers each request after DELAY_MS; thread "reader" sends a request and
 * blocks in recv() until the answer comes. watch must report the reader's
 * wait as a read on a TCP socket whose peer is the server's port, lasting
 * about DELAY_MS, with the bytes received.
 *
 *   usage: sockdelay_target DELAY_MS MANIFEST [--wait-for-file PATH]
 * Writes "reader_tid=N server_tid=N port=N delay_ms=N bytes=N" to MANIFEST
 * (atomically), does one exchange, then exits. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "target_sync.h"

#define ANSWER "answer-after-delay"

static long delay_ms;
static int listen_fd;
static pthread_barrier_t ready;
static pid_t reader_tid, server_tid;

static __attribute__((noinline)) void *server_main(void *arg)
{
	struct timespec d;
	char buf[64];
	int c;

	(void)arg;
	server_tid = (pid_t)syscall(SYS_gettid);
	c = accept(listen_fd, NULL, NULL);
	if (c < 0 || recv(c, buf, sizeof(buf), 0) <= 0)
		return NULL;
	d.tv_sec = delay_ms / 1000;
	d.tv_nsec = delay_ms % 1000 * 1000000L;
	nanosleep(&d, NULL);
	send(c, ANSWER, strlen(ANSWER), 0);
	close(c);
	return NULL;
}

static __attribute__((noinline)) void *reader_main(void *arg)
{
	struct sockaddr_in *addr = arg;
	char buf[64];
	int s = socket(AF_INET, SOCK_STREAM, 0);

	reader_tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&ready);
	if (s < 0 || connect(s, (struct sockaddr *)addr, sizeof(*addr)) ||
	    send(s, "q", 1, 0) != 1) {
		perror("sockdelay_target: reader");
		return NULL;
	}
	recv(s, buf, sizeof(buf), 0);   /* blocks delay_ms */
	close(s);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	pthread_t r, sv;

	if (argc < 3 || (delay_ms = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: sockdelay_target DELAY_MS MANIFEST [--wait-for-file PATH]\n");
		return 2;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listen_fd, 4) || getsockname(listen_fd, (struct sockaddr *)&addr, &len)) {
		perror("sockdelay_target: listen on 127.0.0.1");
		return 1;
	}
	target_ready(argc, argv, 3);
	pthread_barrier_init(&ready, NULL, 2);
	pthread_create(&sv, NULL, server_main, NULL);
	pthread_setname_np(sv, "server");
	pthread_create(&r, NULL, reader_main, &addr);
	pthread_setname_np(r, "reader");
	pthread_barrier_wait(&ready);
	if (target_manifest(argv[2], "reader_tid=%d server_tid=%d port=%d "
			    "delay_ms=%ld bytes=%zu\n", (int)reader_tid,
			    (int)server_tid, ntohs(addr.sin_port), delay_ms,
			    strlen(ANSWER)))
		return 1;
	pthread_join(r, NULL);
	pthread_join(sv, NULL);
	usleep(100000);
	return 0;
}
