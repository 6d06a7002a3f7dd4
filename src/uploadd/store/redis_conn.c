/* Pooled, thread-local hiredis connections (see redis_conn.h). */
#include "uploadd/store/redis_conn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"

#define POOL_MAX 64 /* idle connections kept for new threads */

static const struct redis_config *cfg;
static pthread_key_t conn_key;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static redisContext *pool[POOL_MAX];
static unsigned pool_len;

/* Whether the last attempt to reach Redis worked, so that losing it and
 * getting it back are each logged once, not once per request. */
static atomic_bool redis_down;

static __thread redisContext *tls_conn;
static __thread char tls_err[256];

static char server[300];

__attribute__((format(printf, 1, 2)))
static void set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_err, sizeof(tls_err), fmt, ap);
	va_end(ap);
}

const char *rconn_strerror(void)
{
	return tls_err[0] ? tls_err : "no error";
}

const char *rconn_server(void)
{
	return server;
}

/* Thread exit: hand a healthy connection to the pool for the next thread. */
static void conn_release(void *arg)
{
	redisContext *c = arg;

	pthread_mutex_lock(&pool_lock);
	if (c && !c->err && pool_len < POOL_MAX) {
		pool[pool_len++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (c)
		redisFree(c);
}

int rconn_script_prepare(struct redis_script *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(s->text, strlen(s->text), md, &len, EVP_sha1(), NULL))
		return -ENOMEM;
	for (unsigned i = 0; i < len && i < 20; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int rconn_init(const struct redis_config *c)
{
	cfg = c;
	snprintf(server, sizeof(server), "%s:%u", c->host, c->port);
	return -pthread_key_create(&conn_key, conn_release);
}

/* Closes every idle connection. */
static void pool_flush(void)
{
	redisContext *idle[POOL_MAX];
	unsigned n;

	pthread_mutex_lock(&pool_lock);
	n = pool_len;
	memcpy(idle, pool, n * sizeof(idle[0]));
	pool_len = 0;
	pthread_mutex_unlock(&pool_lock);
	while (n > 0)
		redisFree(idle[--n]);
}

void rconn_cleanup(void)
{
	pool_flush();
	if (tls_conn) {
		pthread_setspecific(conn_key, NULL);
		redisFree(tls_conn);
		tls_conn = NULL;
	}
}

static struct timeval ms_to_tv(unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return tv;
}

/* Forgets the thread's connection after an error. */
static void conn_drop(void)
{
	if (!tls_conn)
		return;
	pthread_setspecific(conn_key, NULL);
	redisFree(tls_conn);
	tls_conn = NULL;
}

/* Logs the transitions between reachable and unreachable. */
static void note_reachable(bool ok)
{
	if (atomic_exchange(&redis_down, !ok) == !ok)
		return;
	if (ok)
		log_err("Redis at %s:%u is reachable again", cfg->host, cfg->port);
	else
		log_err("%s; uploads get 503 until it is back", tls_err);
}

/* Maps a context's I/O error to -errno and a message. */
static int io_error(redisContext *c, const char *what)
{
	int saved = errno;

	metrics_redis_error();
	if (c->err == REDIS_ERR_IO && (saved == EAGAIN || saved == EWOULDBLOCK)) {
		set_err("Redis at %s:%u did not answer %s within %u ms",
			cfg->host, cfg->port, what, cfg->timeout_ms);
		return -ETIMEDOUT;
	}
	if (c->err == REDIS_ERR_EOF || saved == ECONNRESET || saved == EPIPE) {
		set_err("lost the connection to Redis at %s:%u during %s: %s",
			cfg->host, cfg->port, what, c->errstr);
		return -ECONNRESET;
	}
	set_err("Redis at %s:%u failed during %s: %s", cfg->host, cfg->port,
		what, c->errstr);
	return -EIO;
}

/* hiredis 0.14 gives up a connect when a signal interrupts its poll(2),
 * and /debug/threads signals every thread (threaddump_capture.h): try
 * again for what is left of the connect timeout. */
static redisContext *connect_retrying(void)
{
	unsigned left = cfg->connect_timeout_ms;
	struct timespec start, now;
	redisContext *c;
	uint64_t used;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		c = redisConnectWithTimeout(cfg->host, (int)cfg->port,
					    ms_to_tv(left));
		if (!c || c->err != REDIS_ERR_IO || errno != EINTR)
			return c;
		clock_gettime(CLOCK_MONOTONIC, &now);
		used = (uint64_t)(now.tv_sec - start.tv_sec) * 1000 +
		       (uint64_t)(now.tv_nsec / 1000000) -
		       (uint64_t)(start.tv_nsec / 1000000);
		if (used + 1 >= cfg->connect_timeout_ms)
			return c;
		redisFree(c);
		left = cfg->connect_timeout_ms - (unsigned)used;
	}
}

/* Opens a connection with timeouts and AUTH. Returns it or NULL with the
 * error set (*err = -errno). */
static redisContext *conn_open(int *err)
{
	redisContext *c = connect_retrying();
	redisReply *r;

	if (!c) {
		*err = -ENOMEM;
		set_err("cannot allocate a Redis connection");
		return NULL;
	}
	if (c->err) {
		metrics_redis_error();
		set_err("cannot connect to Redis at %s:%u: %s (is redis-server "
			"running? see --redis-host/--redis-port)",
			cfg->host, cfg->port, c->errstr);
		*err = -ECONNREFUSED;
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, ms_to_tv(cfg->timeout_ms));
	redisEnableKeepAlive(c);
	if (!cfg->password)
		return c;
	r = redisCommand(c, "AUTH %s", cfg->password);
	if (!r) {
		*err = io_error(c, "AUTH");
		redisFree(c);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		metrics_redis_error();
		set_err("Redis at %s:%u refused the password from "
			"--redis-password-file: %s", cfg->host, cfg->port, r->str);
		*err = -EACCES;
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	return c;
}

/* True when an idle connection is still open: nothing to read, no hang-up.
 * A Redis that exited or restarted has closed it (FIN): using it would
 * fail only after sending, when a command's outcome can no longer be
 * known. */
static bool conn_alive(const redisContext *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLRDHUP };

	return !c->err && poll(&p, 1, 0) == 0;
}

/* The calling thread's connection: its own, else an idle one, else new;
 * never one Redis has closed (then the idle ones are stale too). */
static redisContext *conn_get(int *err)
{
	if (tls_conn && !conn_alive(tls_conn)) {
		conn_drop();
		pool_flush();
	}
	if (tls_conn)
		return tls_conn;
	pthread_mutex_lock(&pool_lock);
	while (pool_len > 0 && !tls_conn) {
		tls_conn = pool[--pool_len];
		if (!conn_alive(tls_conn)) {
			redisFree(tls_conn);
			tls_conn = NULL;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	if (!tls_conn)
		tls_conn = conn_open(err);
	if (tls_conn)
		pthread_setspecific(conn_key, tls_conn);
	return tls_conn;
}

/* Sent once, never retried: after an error past the send the command may
 * have run, and only the caller knows whether running it twice is safe
 * (see redis_conn.h for which errors those are). */
redisReply *rconn_command(int argc, const char **argv, const size_t *len,
			  int *err)
{
	redisContext *c = conn_get(err);
	redisReply *r;

	if (!c) {
		note_reachable(false);
		return NULL;
	}
	r = redisCommandArgv(c, argc, argv, len);
	if (r) {
		note_reachable(true);
		return r;
	}
	*err = io_error(c, argv[0]);
	conn_drop();
	note_reachable(false);
	return NULL;
}

int rconn_script(struct redis_script *s, int nkeys, const char **keys,
		 int nargs, const char **args)
{
	const char *argv[16];
	size_t len[16];
	char nk[8];
	redisReply *r;
	int argc = 0, err = 0;
	long long v;

	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[argc++] = "EVALSHA";
	argv[argc++] = s->sha;
	argv[argc++] = nk;
	for (int i = 0; i < nkeys; i++)
		argv[argc++] = keys[i];
	for (int i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	for (int i = 0; i < argc; i++)
		len[i] = strlen(argv[i]);
	r = rconn_command(argc, argv, len, &err);
	if (r && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = s->text;
		len[0] = 4;
		len[1] = strlen(s->text);
		r = rconn_command(argc, argv, len, &err);
	}
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_INTEGER) {
		err = rconn_protocol_failed("Redis at %s failed the %s script: %s",
					    server, s->name,
					    r->type == REDIS_REPLY_ERROR ?
					    r->str : "unexpected reply");
		freeReplyObject(r);
		return err;
	}
	v = r->integer;
	freeReplyObject(r);
	return (int)v;
}


redisContext *rconn_current(void)
{
	return tls_conn;
}

int rconn_io_failed(redisContext *c, const char *what)
{
	int err = io_error(c, what);

	conn_drop();
	return err;
}

int rconn_protocol_failed(const char *fmt, ...)
{
	va_list ap;

	metrics_redis_error();
	va_start(ap, fmt);
	vsnprintf(tls_err, sizeof(tls_err), fmt, ap);
	va_end(ap);
	/* Unread replies may be queued on it: never reuse it. */
	conn_drop();
	return -EPROTO;
}
