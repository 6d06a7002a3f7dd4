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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/store/sentinel.h"

#define POOL_MAX 64 /* idle connections kept for new threads */

static const struct redis_config *cfg;
static pthread_key_t conn_key;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static redisContext *pool[POOL_MAX];
static unsigned pool_gen[POOL_MAX]; /* master generation of each */
static unsigned pool_len;

/* Whether the last attempt to reach Redis worked, so that losing it and
 * getting it back are each logged once, not once per request. */
static atomic_bool redis_down;

static __thread redisContext *tls_conn;
static __thread unsigned tls_gen;      /* master generation of tls_conn */
static __thread char tls_addr[SENTINEL_HOST_MAX + 8]; /* its "host:port" */
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
	return tls_addr[0] ? tls_addr : server;
}

void rconn_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_err, sizeof(tls_err), fmt, ap);
	va_end(ap);
}

/* Thread exit: hand a healthy connection to the pool for the next thread. */
static void conn_release(void *arg)
{
	redisContext *c = arg;

	pthread_mutex_lock(&pool_lock);
	if (c && !c->err && pool_len < POOL_MAX &&
	    tls_gen == sentinel_generation()) {
		pool_gen[pool_len] = tls_gen;
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
	struct sentinel_config *sc = calloc(1, sizeof(*sc));
	char err[512];
	int ret;

	if (!sc)
		return -ENOMEM;
	cfg = c;
	if (c->sentinels)
		snprintf(server, sizeof(server), "master \"%s\" of Sentinel %s",
			 c->master_name, c->sentinels);
	else
		snprintf(server, sizeof(server), "%s:%u", c->host, c->port);
	*sc = (struct sentinel_config){ .host = c->host, .port = c->port,
		.sentinels = c->sentinels, .master_name = c->master_name,
		.connect_timeout_ms = c->connect_timeout_ms };
	ret = sentinel_init(sc, err, sizeof(err));
	if (ret < 0) {
		log_err("%s", err);
		free(sc);
		return ret;
	}
	/* sc lives as long as the process: sentinel.c keeps it. */
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
		log_err("Redis at %s is reachable again", rconn_server());
	else
		log_err("%s; uploads get 503 until it is back", tls_err);
}

/* Maps a context's I/O error to -errno and a message. */
static int io_error(redisContext *c, const char *what)
{
	int saved = errno;

	metrics_redis_error();
	if (c->err == REDIS_ERR_IO && (saved == EAGAIN || saved == EWOULDBLOCK)) {
		set_err("Redis at %s did not answer %s within %u ms",
			rconn_server(), what, cfg->timeout_ms);
		return -ETIMEDOUT;
	}
	if (c->err == REDIS_ERR_EOF || saved == ECONNRESET || saved == EPIPE) {
		set_err("lost the connection to Redis at %s during %s: %s",
			rconn_server(), what, c->errstr);
		return -ECONNRESET;
	}
	set_err("Redis at %s failed during %s: %s", rconn_server(), what,
		c->errstr);
	return -EIO;
}

/* hiredis 0.14 gives up a connect when a signal interrupts its poll(2),
 * and /debug/threads signals every thread (threaddump_capture.h): try
 * again for what is left of the connect timeout. */
static redisContext *connect_retrying(const char *host, unsigned port)
{
	unsigned left = cfg->connect_timeout_ms;
	struct timespec start, now;
	redisContext *c;
	uint64_t used;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		c = redisConnectWithTimeout(host, (int)port, ms_to_tv(left));
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

/* With Sentinel: true when the server says ROLE master (Sentinel's
 * answer can be stale right after a failover, and a demoted master that
 * comes back says "slave"). */
static bool is_master(redisContext *c)
{
	redisReply *r = redisCommand(c, "ROLE");
	bool ok = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		  r->element[0]->type == REDIS_REPLY_STRING &&
		  strcmp(r->element[0]->str, "master") == 0;

	if (r)
		freeReplyObject(r);
	return ok;
}

/* Opens a connection to the master with timeouts and AUTH. Returns it or
 * NULL with the error set (*err = -errno). */
static redisContext *conn_open(int *err)
{
	char host[SENTINEL_HOST_MAX], why[300];
	unsigned port, gen;
	redisContext *c;
	redisReply *r;

	if (sentinel_master(host, &port, &gen, why, sizeof(why)) < 0) {
		metrics_redis_error();
		set_err("%s", why);
		*err = -ECONNREFUSED;
		return NULL;
	}
	c = connect_retrying(host, port);
	snprintf(tls_addr, sizeof(tls_addr), "%s:%u", host, port);
	if (!c) {
		*err = -ENOMEM;
		set_err("cannot allocate a Redis connection");
		return NULL;
	}
	if (c->err) {
		metrics_redis_error();
		set_err("cannot connect to Redis at %s: %s (is redis-server "
			"running? see %s)", tls_addr, c->errstr,
			sentinel_enabled() ? "--redis-sentinel" :
			"--redis-host/--redis-port");
		*err = -ECONNREFUSED;
		redisFree(c);
		sentinel_invalidate(gen);
		return NULL;
	}
	redisSetTimeout(c, ms_to_tv(cfg->timeout_ms));
	redisEnableKeepAlive(c);
	if (cfg->password) {
		r = redisCommand(c, "AUTH %s", cfg->password);
		if (!r) {
			*err = io_error(c, "AUTH");
			redisFree(c);
			sentinel_invalidate(gen);
			return NULL;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			metrics_redis_error();
			set_err("Redis at %s refused the password from "
				"--redis-password-file: %s", tls_addr, r->str);
			*err = -EACCES;
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	if (sentinel_enabled() && !is_master(c)) {
		metrics_redis_error();
		set_err("Redis at %s, named master by Sentinel, is not (yet) "
			"the master", tls_addr);
		*err = -ECONNREFUSED;
		redisFree(c);
		sentinel_invalidate(gen);
		return NULL;
	}
	tls_gen = gen;
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
	if (tls_conn && (!conn_alive(tls_conn) ||
			 tls_gen != sentinel_generation())) {
		conn_drop();
		pool_flush();
	}
	if (tls_conn)
		return tls_conn;
	pthread_mutex_lock(&pool_lock);
	while (pool_len > 0 && !tls_conn) {
		tls_conn = pool[--pool_len];
		tls_gen = pool_gen[pool_len];
		if (!conn_alive(tls_conn) || tls_gen != sentinel_generation()) {
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

/* One try on the thread's connection. */
static redisReply *command_once(int argc, const char **argv, const size_t *len,
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
		if (r->type == REDIS_REPLY_ERROR &&
		    strncmp(r->str, "READONLY", 8) == 0) {
			/* A demoted master: it did not run the command. */
			metrics_redis_error();
			set_err("Redis at %s is a replica now (READONLY)",
				tls_addr);
			freeReplyObject(r);
			sentinel_invalidate(tls_gen);
			conn_drop();
			*err = -ECONNREFUSED;
			return NULL;
		}
		return r;
	}
	*err = io_error(c, argv[0]);
	sentinel_invalidate(tls_gen);
	conn_drop();
	note_reachable(false);
	return NULL;
}

int rconn_pipeline(size_t n, const int *argc, const char **const *argv,
		   const size_t *const *len, redisReply **replies)
{
	redisContext *c;
	int err = 0;
	size_t i;

	for (i = 0; i < n; i++)
		replies[i] = NULL;
	c = conn_get(&err);
	if (!c) {
		note_reachable(false);
		return err;
	}
	for (i = 0; i < n; i++)
		if (redisAppendCommandArgv(c, argc[i], argv[i], len[i]) != REDIS_OK)
			goto failed;
	for (i = 0; i < n; i++) {
		void *r = NULL;

		if (redisGetReply(c, &r) != REDIS_OK)
			goto failed;
		replies[i] = r;
	}
	note_reachable(true);
	return 0;
failed:
	for (i = 0; i < n; i++) {
		if (replies[i])
			freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
	err = io_error(c, argv[0][0]);
	sentinel_invalidate(tls_gen);
	conn_drop();
	note_reachable(false);
	return err;
}

static double since_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Without Sentinel, sent once, never retried: after an error past the send
 * the command may have run, and only the caller knows whether running it
 * twice is safe (see redis_conn.h for which errors those are). With
 * Sentinel, a failed command is sent again to the (new) master until
 * failover_wait_ms has passed: every command uploadd sends is idempotent
 * (scripts keyed by the upload's token, reads). */
redisReply *rconn_command(int argc, const char **argv, const size_t *len,
			  int *err)
{
	const struct timespec pause = { 0, 100 * 1000000L };
	struct timespec t0;
	redisReply *r = command_once(argc, argv, len, err);

	if (r || !sentinel_enabled() || *err == -EACCES || *err == -ENOMEM)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!r && since_ms(&t0) < cfg->failover_wait_ms &&
	       *err != -EACCES && *err != -ENOMEM) {
		nanosleep(&pause, NULL);
		r = command_once(argc, argv, len, err);
	}
	return r;
}

redisReply *rconn_command_here(int argc, const char **argv,
			       const size_t *len, int *err)
{
	redisReply *r;

	if (!tls_conn) {
		*err = -ECONNRESET;
		set_err("lost the connection to Redis at %s before %s",
			rconn_server(), argv[0]);
		return NULL;
	}
	r = redisCommandArgv(tls_conn, argc, argv, len);
	if (r)
		return r;
	*err = io_error(tls_conn, argv[0]);
	sentinel_invalidate(tls_gen);
	conn_drop();
	return NULL;
}

redisReply *rconn_script_reply(struct redis_script *s, int nkeys,
				const char **keys, int nargs, const char **args,
				int *err)
{
	const char *argv_small[24], **argv = argv_small;
	size_t len_small[24], *len = len_small;
	char nk[8];
	redisReply *r;
	int argc = 0;

	if (3 + nkeys + nargs > 24) {
		/* The sweep's batches: many arguments. */
		argv = malloc((size_t)(3 + nkeys + nargs) * sizeof(*argv));
		len = malloc((size_t)(3 + nkeys + nargs) * sizeof(*len));
		if (!argv || !len) {
			free(argv);
			free(len);
			*err = -ENOMEM;
			return NULL;
		}
	}
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
	r = rconn_command(argc, argv, len, err);
	if (r && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = s->text;
		len[0] = 4;
		len[1] = strlen(s->text);
		r = rconn_command(argc, argv, len, err);
	}
	if (argv != argv_small) {
		free(argv);
		free(len);
	}
	if (r && r->type == REDIS_REPLY_ERROR) {
		*err = rconn_protocol_failed("Redis at %s failed the %s script: "
					     "%s", rconn_server(), s->name,
					     r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

int rconn_script(struct redis_script *s, int nkeys, const char **keys,
		 int nargs, const char **args)
{
	int err = 0;
	redisReply *r = rconn_script_reply(s, nkeys, keys, nargs, args, &err);
	long long v;

	if (!r)
		return err;
	if (r->type != REDIS_REPLY_INTEGER) {
		err = rconn_protocol_failed("Redis at %s failed the %s script: "
					    "unexpected reply", rconn_server(),
					    s->name);
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
