/* sink: the upload benchmark's reference server. It accepts HTTP/1.1
 * requests on keep-alive connections, reads every body byte into user
 * space and drops it, and answers 201 (200 for methods other than POST).
 *
 * It is the "what this machine allows" baseline: the client, the loopback
 * TCP stack and one user-space copy of each byte, with no parsing of the
 * multipart body, no hashing and no disk. Plain sockets and epoll, one
 * event loop per worker thread, all sharing one listening socket
 * (EPOLLEXCLUSIVE wakes one worker per new connection). Bodies need a
 * Content-Length (curl and loadgen send one); Expect: 100-continue is
 * honoured, so curl does not wait a second before sending.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "bench/httphead.h"
#include "common/log.h"

#define HEAD_MAX   (16u * 1024)  /* largest request head accepted */
#define DRAIN_BUF  (256u * 1024) /* recv size while dropping a body */
#define MAX_WORKERS 64

struct sink_conn {
	struct sink_conn *prev, *next; /* the worker's open connections */
	int fd;
	bool in_body;
	bool close_after;       /* the request said Connection: close */
	bool post;
	uint64_t body_left;
	size_t hlen;            /* bytes in head[] */
	char head[HEAD_MAX];
};

struct worker {
	pthread_t thread;
	int ep;
	int lfd;
	char *drain;            /* DRAIN_BUF scratch bytes */
	struct sink_conn *conns; /* open connections, freed at stop */
	uint64_t requests;      /* answered */
	uint64_t body_bytes;
};

static atomic_bool stopping;

static void usage(FILE *f)
{
	fputs(
"sink: reference HTTP server for the upload benchmark: drains request\n"
"bodies and answers 201, as fast as the machine allows\n"
"\n"
"Usage: sink [OPTIONS]\n"
"\n"
"  -l, --listen ADDR:PORT  IPv4 address and port (default 127.0.0.1:0, a\n"
"                          free port); prints \"listening on ADDR:PORT\"\n"
"  -t, --threads N         event-loop threads (default: online CPUs)\n"
"  -h, --help              this text\n"
"\n"
"Every request body (Content-Length required; Expect: 100-continue\n"
"honoured) is read into memory and dropped; POST gets 201 with a tiny JSON\n"
"body, other methods 200. SIGTERM or SIGINT stops it and prints the number\n"
"of requests and body bytes to stderr.\n"
"\n"
"Exit codes: 0 stopped by SIGTERM/SIGINT or --help; 1 cannot start\n"
"(bind, threads); 2 usage error.\n"
"\n"
"Examples:\n"
"  sink --listen 127.0.0.1:8099 --threads 2\n"
"  loadgen -s 1M -c 16 -d 10 http://127.0.0.1:8099/upload\n", f);
}

static void conn_close(struct worker *w, struct sink_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
}

/* Sends a short answer; a socket that cannot take ~120 bytes is broken. */
static bool answer(struct sink_conn *c, const char *text)
{
	size_t len = strlen(text);

	return send(c->fd, text, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static bool answer_done(struct worker *w, struct sink_conn *c)
{
	static const char created[] = "HTTP/1.1 201 Created\r\n"
		"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
		"{\"status\":\"ok\"}\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\n"
		"Content-Type: application/json\r\nContent-Length: 16\r\n\r\n"
		"{\"status\":\"ok\"}\n";

	w->requests++;
	c->in_body = false;
	return answer(c, c->post ? created : ok) && !c->close_after;
}

/* Starts on the head at the front of c->head. Returns 1 when handled, 0
 * when more bytes are needed, -1 when the connection must close. */
static int take_head(struct worker *w, struct sink_conn *c)
{
	struct http_head h;
	int got = http_head_parse(c->head, c->hlen, false, sizeof(c->head), &h);
	size_t rest, body_here;

	if (got == 0)
		return 0;
	if (got < 0) {
		answer(c, got == -E2BIG ?
		       "HTTP/1.1 431 Request Header Fields Too Large\r\n"
		       "Connection: close\r\nContent-Length: 0\r\n\r\n" :
		       "HTTP/1.1 400 Bad Request\r\n"
		       "Connection: close\r\nContent-Length: 0\r\n\r\n");
		return -1;
	}
	if (h.chunked) {
		answer(c, "HTTP/1.1 411 Length Required\r\n"
		       "Connection: close\r\nContent-Length: 0\r\n\r\n");
		return -1;
	}
	c->post = strcmp(h.method, "POST") == 0;
	c->close_after = h.close;
	c->body_left = h.has_length ? h.content_length : 0;
	if (h.expect_continue && c->body_left > 0 &&
	    !answer(c, "HTTP/1.1 100 Continue\r\n\r\n"))
		return -1;
	/* Body bytes that came with the head; anything after the body is the
	 * next request's head. */
	rest = c->hlen - h.head_len;
	body_here = rest < c->body_left ? rest : (size_t)c->body_left;
	c->body_left -= body_here;
	w->body_bytes += body_here;
	memmove(c->head, c->head + h.head_len + body_here, rest - body_here);
	c->hlen = rest - body_here;
	c->in_body = true;
	return 1;
}

/* Reads what the socket has. Returns false when the connection is done. */
static bool conn_readable(struct worker *w, struct sink_conn *c)
{
	for (;;) {
		ssize_t n;

		if (c->in_body && c->body_left == 0) {
			if (!answer_done(w, c))
				return false;
			continue;
		}
		if (!c->in_body && c->hlen > 0) {
			int t = take_head(w, c);

			if (t < 0)
				return false;
			if (t > 0)
				continue;
		}
		if (c->in_body) {
			size_t want = c->body_left < DRAIN_BUF ?
				      (size_t)c->body_left : DRAIN_BUF;

			n = recv(c->fd, w->drain, want, 0);
			if (n > 0) {
				c->body_left -= (uint64_t)n;
				w->body_bytes += (uint64_t)n;
				continue;
			}
		} else {
			if (c->hlen == sizeof(c->head)) {
				answer(c, "HTTP/1.1 431 Request Header Fields Too "
				       "Large\r\nConnection: close\r\n"
				       "Content-Length: 0\r\n\r\n");
				return false;
			}
			n = recv(c->fd, c->head + c->hlen,
				 sizeof(c->head) - c->hlen, 0);
			if (n > 0) {
				c->hlen += (size_t)n;
				continue;
			}
		}
		if (n == 0)
			return false; /* the client closed */
		if (errno == EINTR)
			continue;
		return errno == EAGAIN;
	}
}

static void accept_all(struct worker *w)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct sink_conn *c;
		int fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->next = w->conns;
		if (w->conns)
			w->conns->prev = c;
		w->conns = c;
		ev.data.ptr = c;
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(w, c);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];

	while (!atomic_load(&stopping)) {
		int n = epoll_wait(w->ep, evs, 64, 200);

		for (int i = 0; i < n; i++) {
			struct sink_conn *c = evs[i].data.ptr;

			if (!c)
				accept_all(w);
			else if (!conn_readable(w, c))
				conn_close(w, c);
		}
	}
	while (w->conns)
		conn_close(w, w->conns);
	return NULL;
}

/* Binds the listening socket. Returns it, or -errno. */
static int listen_on(const char *spec, char *shown, size_t cap)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char host[64];
	const char *colon = strrchr(spec, ':');
	unsigned long port;
	char *end;
	int fd, one = 1, err;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -EINVAL;
	a.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1024) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	snprintf(shown, cap, "%s:%u", host, ntohs(a.sin_port));
	return fd;
}

/* Starts n workers on lfd. Returns 0 or -errno (started ones stopped). */
static int start_workers(struct worker *ws, unsigned n, int lfd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	unsigned i;
	int err;

	for (i = 0; i < n; i++) {
		struct worker *w = &ws[i];

		w->lfd = lfd;
		w->drain = malloc(DRAIN_BUF);
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		if (!w->drain || w->ep < 0 ||
		    epoll_ctl(w->ep, EPOLL_CTL_ADD, lfd, &ev) < 0) {
			err = w->drain ? -errno : -ENOMEM;
			goto stop_started;
		}
		err = -pthread_create(&w->thread, NULL, worker_main, w);
		if (err)
			goto stop_started;
	}
	return 0;
stop_started:
	atomic_store(&stopping, true);
	if (ws[i].ep >= 0)
		close(ws[i].ep);
	free(ws[i].drain);
	while (i-- > 0) {
		pthread_join(ws[i].thread, NULL);
		close(ws[i].ep);
		free(ws[i].drain);
	}
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct worker ws[MAX_WORKERS];
	const char *spec = "127.0.0.1:0";
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nthreads = ncpu > 0 && ncpu <= MAX_WORKERS ? (unsigned)ncpu : 2;
	uint64_t requests = 0, bytes = 0;
	char shown[96], *end;
	sigset_t sigs;
	int c, lfd, err, sig;

	log_set_prog("sink");
	while ((c = getopt_long(argc, argv, "l:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			spec = optarg;
			break;
		case 't':
			nthreads = (unsigned)strtoul(optarg, &end, 10);
			if (*end || nthreads < 1 || nthreads > MAX_WORKERS) {
				log_err("invalid --threads \"%s\": expected 1..%d "
					"(see sink --help)", optarg, MAX_WORKERS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			log_err("see sink --help");
			return 2;
		}
	}
	if (optind != argc) {
		log_err("unexpected argument \"%s\" (see sink --help)", argv[optind]);
		return 2;
	}
	lfd = listen_on(spec, shown, sizeof(shown));
	if (lfd == -EINVAL) {
		log_err("invalid --listen \"%s\": expected IPV4:PORT (see sink "
			"--help)", spec);
		return 2;
	}
	if (lfd < 0) {
		log_err("cannot listen on %s: %s (is the port in use?)", spec,
			strerror(-lfd));
		return 1;
	}
	/* Workers inherit the blocked signals; main waits for them. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = start_workers(ws, nthreads, lfd);
	if (err) {
		log_err("cannot start %u worker threads: %s", nthreads,
			strerror(-err));
		close(lfd);
		return 1;
	}
	printf("listening on %s (%u threads)\n", shown, nthreads);
	fflush(stdout);
	sigwait(&sigs, &sig);
	atomic_store(&stopping, true);
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(ws[i].thread, NULL);
		requests += ws[i].requests;
		bytes += ws[i].body_bytes;
		close(ws[i].ep);
		free(ws[i].drain);
	}
	close(lfd);
	log_err("stopped by %s: %" PRIu64 " requests, %" PRIu64 " body bytes",
		sig == SIGTERM ? "SIGTERM" : "SIGINT", requests, bytes);
	return 0;
}
