/* The load generator's connection engine (see lg_run.h). */
#include "bench/lg_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/httphead.h"

enum cstate {
	CS_CLOSED,     /* no socket; reopened while requests may start */
	CS_DEAD,       /* reconnecting failed: never reopened */
	CS_CONNECTING,
	CS_IDLE,       /* connected, no request in flight */
	CS_SENDING,
	CS_READING,
};

struct conn {
	int fd;
	unsigned id;
	enum cstate st;
	uint64_t version;       /* requests started on this connection slot */
	char head[1024];        /* request line, headers, small fields */
	struct iovec iov[3];    /* head, shared payload, tail */
	unsigned iov_at;        /* first iovec not fully sent */
	bool early;             /* answered before the body was all sent */
	char rbuf[4096];        /* the answer's head; body bytes are dropped */
	size_t rlen;
	struct http_head resp;
	bool have_head;
	bool until_eof;         /* the answer's body ends when the peer closes */
	uint64_t body_left;     /* answer body bytes still to read */
	uint64_t start_ns;      /* the request's first byte was sent */
	uint64_t progress_ns;   /* last byte moved either way */
};

struct run {
	const struct lg_config *cfg;
	const struct lg_body *b;
	struct lg_result *res;
	struct conn *conns;
	int ep;
	uint64_t started;       /* requests started, all connections */
	uint64_t t0_ns, deadline_ns, last_done_ns;
	bool stopping;          /* no new request starts */
};

/* What a send or receive step ended with. */
enum step { STEP_BLOCKED, STEP_DONE, STEP_FAILED };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void conn_close(struct conn *c, enum cstate st)
{
	if (c->fd >= 0)
		close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->st = st;
}

/* Counts a failed request or connection, keeps the first reason, closes. */
__attribute__((format(printf, 3, 4)))
static void conn_fail(struct run *r, struct conn *c, const char *fmt, ...)
{
	va_list ap;

	r->res->errors++;
	if (!r->res->first_error[0]) {
		va_start(ap, fmt);
		vsnprintf(r->res->first_error, sizeof(r->res->first_error), fmt, ap);
		va_end(ap);
	}
	conn_close(c, CS_CLOSED);
}

static bool can_start(const struct run *r)
{
	return !r->stopping &&
	       (!r->cfg->requests || r->started < r->cfg->requests);
}

/* Opens connection c. Returns false (the error counted, c dead: retrying
 * would only spin) when that fails at once, as a loopback connect does
 * with nobody listening. */
static bool conn_open(struct run *r, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		conn_fail(r, c, "cannot create a socket: %s", strerror(errno));
		goto dead;
	}
	/* The last piece of a request must not wait for an ACK (Nagle). */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&r->cfg->addr,
		    sizeof(r->cfg->addr)) < 0 && errno != EINPROGRESS) {
		conn_fail(r, c, "cannot connect to %s: %s (is the server running?)",
			  r->cfg->host, strerror(errno));
		goto dead;
	}
	ev.data.ptr = c;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		conn_fail(r, c, "epoll_ctl: %s", strerror(errno));
		goto dead;
	}
	r->res->connects++;
	c->st = CS_CONNECTING;
	c->progress_ns = now_ns();
	return true;
dead:
	c->st = CS_DEAD;
	return false;
}

static void request_begin(struct run *r, struct conn *c)
{
	char filename[96], version[24];
	ssize_t n;

	c->version++;
	snprintf(filename, sizeof(filename), "%s-c%u", r->cfg->prefix, c->id);
	snprintf(version, sizeof(version), "%llu", (unsigned long long)c->version);
	n = lg_body_head(r->b, r->cfg->host, r->cfg->path, filename, version,
			 c->head, sizeof(c->head));
	if (n < 0) { /* prefix, host and path are bounded by lg_config */
		conn_fail(r, c, "request head does not fit in %zu bytes",
			  sizeof(c->head));
		return;
	}
	c->iov[0] = (struct iovec){ c->head, (size_t)n };
	c->iov[1] = (struct iovec){ r->b->payload, r->b->size };
	c->iov[2] = (struct iovec){ (void *)r->b->tail, r->b->tail_len };
	c->iov_at = 0;
	c->early = c->have_head = c->until_eof = false;
	c->rlen = 0;
	c->body_left = 0;
	r->started++;
	c->start_ns = c->progress_ns = now_ns();
	c->st = CS_SENDING;
}

/* Keeps the first non-2xx answer's body start, printable, for the report. */
static void keep_bad_answer(struct run *r, const struct conn *c)
{
	struct lg_result *res = r->res;
	size_t n = c->rlen - c->resp.head_len, i;

	if (res->first_bad_status)
		return;
	res->first_bad_status = c->resp.status;
	if (n >= sizeof(res->first_bad_body))
		n = sizeof(res->first_bad_body) - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->rbuf[c->resp.head_len + i];

		res->first_bad_body[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	res->first_bad_body[i] = '\0';
}

static void request_done(struct run *r, struct conn *c)
{
	struct lg_result *res = r->res;
	unsigned status = c->resp.status;
	uint64_t t = now_ns();

	res->by_class[status / 100 < LG_CLASSES ? status / 100 : 0]++;
	if (status / 100 == 2) {
		res->ok++;
		if (lg_samples_add(&res->lat, t - c->start_ns) < 0 &&
		    !res->first_error[0])
			snprintf(res->first_error, sizeof(res->first_error),
				 "out of memory for latency samples");
	} else {
		res->non2xx++;
	}
	r->last_done_ns = t;
	/* After an early answer the rest of our body is still owed: the
	 * connection cannot carry another request. */
	if (c->resp.close || c->early || c->until_eof)
		conn_close(c, CS_CLOSED);
	else
		c->st = CS_IDLE;
}

/* Sends as much of the request as the socket takes. */
static enum step do_send(struct run *r, struct conn *c)
{
	while (c->iov_at < 3) {
		struct msghdr msg = { .msg_iov = &c->iov[c->iov_at],
				      .msg_iovlen = 3 - c->iov_at };
		ssize_t n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return STEP_BLOCKED;
			if (errno == EPIPE || errno == ECONNRESET) {
				/* The server may have answered, then closed:
				 * read what it said. */
				c->early = true;
				return STEP_DONE;
			}
			conn_fail(r, c, "send to %s: %s", r->cfg->host, strerror(errno));
			return STEP_FAILED;
		}
		c->progress_ns = now_ns();
		while (n > 0 && c->iov_at < 3) {
			struct iovec *v = &c->iov[c->iov_at];
			size_t k = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;

			v->iov_base = (char *)v->iov_base + k;
			v->iov_len -= k;
			n -= (ssize_t)k;
			if (v->iov_len == 0)
				c->iov_at++;
		}
	}
	return STEP_DONE;
}

/* Parses the answer's head in rbuf, once complete. */
static enum step take_head(struct run *r, struct conn *c)
{
	int got;
	size_t extra;

	for (;;) {
		got = http_head_parse(c->rbuf, c->rlen, true, sizeof(c->rbuf),
				      &c->resp);
		if (got == 0)
			return STEP_BLOCKED;
		if (got < 0) {
			conn_fail(r, c, "%s sent an answer that is not HTTP/1.x "
				  "(or a head over %zu bytes)", r->cfg->host,
				  sizeof(c->rbuf));
			return STEP_FAILED;
		}
		if (c->resp.status >= 200)
			break;
		/* An interim 1xx answer: drop it, the final one follows. */
		memmove(c->rbuf, c->rbuf + c->resp.head_len,
			c->rlen - c->resp.head_len);
		c->rlen -= c->resp.head_len;
	}
	if (c->resp.chunked) {
		conn_fail(r, c, "%s answered with a chunked body, which this "
			  "client does not decode", r->cfg->host);
		return STEP_FAILED;
	}
	c->have_head = true;
	c->until_eof = !c->resp.has_length;
	c->body_left = c->resp.content_length;
	if (c->resp.status / 100 != 2)
		keep_bad_answer(r, c);
	extra = c->rlen - c->resp.head_len;
	if (!c->until_eof && extra > c->body_left) {
		conn_fail(r, c, "%s sent bytes after its answer's body",
			  r->cfg->host);
		return STEP_FAILED;
	}
	if (!c->until_eof)
		c->body_left -= extra;
	c->rlen = 0;
	return !c->until_eof && c->body_left == 0 ? STEP_DONE : STEP_BLOCKED;
}

/* Reads the answer; its body is counted and dropped. */
static enum step do_read(struct run *r, struct conn *c)
{
	for (;;) {
		size_t room = sizeof(c->rbuf) - c->rlen;
		ssize_t n;

		if (c->have_head && !c->until_eof && c->body_left < room)
			room = (size_t)c->body_left + 1; /* +1 sees excess bytes */
		n = recv(c->fd, c->rbuf + c->rlen, room, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return STEP_BLOCKED;
			conn_fail(r, c, "receive from %s: %s", r->cfg->host,
				  strerror(errno));
			return STEP_FAILED;
		}
		if (n == 0) {
			if (c->have_head && c->until_eof)
				return STEP_DONE;
			conn_fail(r, c, "%s closed the connection before "
				  "answering in full", r->cfg->host);
			return STEP_FAILED;
		}
		c->progress_ns = now_ns();
		if (!c->have_head) {
			enum step s;

			c->rlen += (size_t)n;
			s = take_head(r, c);
			if (s != STEP_BLOCKED)
				return s;
			/* Edge-triggered: read on until EAGAIN. */
			continue;
		}
		if (c->until_eof)
			continue;
		if ((uint64_t)n > c->body_left) {
			conn_fail(r, c, "%s sent bytes after its answer's body",
				  r->cfg->host);
			return STEP_FAILED;
		}
		c->body_left -= (uint64_t)n;
		if (c->body_left == 0)
			return STEP_DONE;
	}
}

/* Advances connection c as far as its socket allows. */
static void drive(struct run *r, struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);
	enum step s;

	for (;;) {
		switch (c->st) {
		case CS_CONNECTING:
			if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
				return;
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			if (err) {
				conn_fail(r, c, "cannot connect to %s: %s (is the "
					  "server running?)", r->cfg->host,
					  strerror(err));
				c->st = CS_DEAD;
				return;
			}
			c->st = CS_IDLE;
			break;
		case CS_IDLE:
			if (!can_start(r)) {
				conn_close(c, CS_CLOSED);
				return;
			}
			request_begin(r, c);
			/* The events were about the previous request. */
			events = 0;
			break;
		case CS_SENDING:
			s = do_send(r, c);
			if (s == STEP_FAILED)
				return;
			if (s == STEP_BLOCKED) {
				/* An answer while we still send is an early
				 * refusal (409, 413, 503...): read it. */
				if (!(events & (EPOLLIN | EPOLLRDHUP)))
					return;
				c->early = true;
			}
			c->st = CS_READING;
			break;
		case CS_READING:
			s = do_read(r, c);
			if (s != STEP_DONE)
				return;
			request_done(r, c);
			break;
		default:
			return;
		}
	}
}

/* Requests that made no progress for the timeout fail; after the drain
 * limit, whatever is still in flight is counted as unfinished. */
static void check_timeouts(struct run *r, uint64_t now, bool drain_over)
{
	uint64_t limit = (uint64_t)(r->cfg->timeout_s * 1e9);

	for (unsigned i = 0; i < r->cfg->conns; i++) {
		struct conn *c = &r->conns[i];

		if (c->st < CS_CONNECTING)
			continue;
		if (drain_over && c->st != CS_IDLE) {
			r->res->unfinished++;
			conn_close(c, CS_CLOSED);
		} else if (c->st != CS_IDLE && now - c->progress_ns > limit) {
			conn_fail(r, c, "no progress from %s for %.0f s (request "
				  "timeout)", r->cfg->host, r->cfg->timeout_s);
		}
	}
}

/* True while some connection has work or may start some. */
static bool any_active(struct run *r)
{
	for (unsigned i = 0; i < r->cfg->conns; i++) {
		enum cstate st = r->conns[i].st;

		if (st >= CS_CONNECTING && (st != CS_IDLE || can_start(r)))
			return true;
		if (st == CS_CLOSED && can_start(r))
			return true;
	}
	return false;
}

static void loop(struct run *r)
{
	struct epoll_event evs[64];
	uint64_t drain_end = 0;

	while (any_active(r)) {
		uint64_t now = now_ns();
		int n;

		if (!r->stopping && r->deadline_ns && now >= r->deadline_ns) {
			r->stopping = true;
			drain_end = now + (uint64_t)(r->cfg->timeout_s * 1e9);
		}
		if (r->stopping && !drain_end)
			drain_end = now + (uint64_t)(r->cfg->timeout_s * 1e9);
		for (unsigned i = 0; i < r->cfg->conns; i++) {
			struct conn *c = &r->conns[i];

			if (c->st == CS_CLOSED && can_start(r) && conn_open(r, c))
				drive(r, c, 0);
			else if (c->st == CS_IDLE)
				drive(r, c, 0); /* starts a request or closes */
		}
		n = epoll_wait(r->ep, evs, 64, 50);
		for (int i = 0; i < n; i++)
			drive(r, evs[i].data.ptr, evs[i].events);
		if (!can_start(r))
			r->stopping = true;
		check_timeouts(r, now_ns(), drain_end && now_ns() > drain_end);
	}
}

int lg_run(const struct lg_config *cfg, const struct lg_body *b,
	   struct lg_result *res)
{
	struct run r = { .cfg = cfg, .b = b, .res = res };
	uint64_t end;

	memset(res, 0, sizeof(*res));
	r.conns = calloc(cfg->conns, sizeof(*r.conns));
	if (!r.conns)
		return -ENOMEM;
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	if (r.ep < 0) {
		free(r.conns);
		return -errno;
	}
	for (unsigned i = 0; i < cfg->conns; i++) {
		r.conns[i].fd = -1;
		r.conns[i].id = i;
		r.conns[i].st = CS_CLOSED;
	}
	r.t0_ns = now_ns();
	if (cfg->duration_s > 0)
		r.deadline_ns = r.t0_ns + (uint64_t)(cfg->duration_s * 1e9);
	loop(&r);
	end = res->ok + res->non2xx ? r.last_done_ns : now_ns();
	res->elapsed_s = (double)(end - r.t0_ns) / 1e9;
	for (unsigned i = 0; i < cfg->conns; i++)
		conn_close(&r.conns[i], CS_CLOSED);
	close(r.ep);
	free(r.conns);
	return 0;
}
