/* Redis locks and metadata over pooled, thread-local hiredis connections
 * (see redis_store.h). */
#include "uploadd/redis_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "common/log.h"
#include "uploadd/metrics.h"

#define POOL_MAX 64  /* idle connections kept for new threads */
#define KEY_MAX  (FILENAME_MAX_LEN + VERSION_MAX_LEN + 16)

/* A script and the SHA-1 Redis knows it by. */
struct script {
	const char *name; /* for error messages */
	const char *text;
	char sha[41];
};

/* Returns 1 when the file exists; 0 when the lock is now ours (taken, or
 * already held by this token: a retried call); 2 when someone else holds it.
 * KEYS: file, lock. ARGV: token, ttl_ms. */
static struct script lock_script = { "lock",
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end\n"
	"local h = redis.call('GET', KEYS[2])\n"
	"if h == ARGV[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) return 0 end\n"
	"if h then return 2 end\n"
	"redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])\n"
	"return 0\n", "" };

/* Returns 2 when another token holds the lock; 1 when the version exists
 * with another object; 0 when stored (now, or before by this token).
 * KEYS: file, lock, versions. ARGV: token, filename, version, sha256, size,
 * path, uploaded_at, score. */
static struct script commit_script = { "commit",
	"local h = redis.call('GET', KEYS[2])\n"
	"if h and h ~= ARGV[1] then return 2 end\n"
	"local p = redis.call('HGET', KEYS[1], 'path')\n"
	"if p then if p == ARGV[6] then return 0 end return 1 end\n"
	"redis.call('HSET', KEYS[1], 'filename', ARGV[2], 'version', ARGV[3],\n"
	"  'sha256', ARGV[4], 'size', ARGV[5], 'path', ARGV[6],\n"
	"  'uploaded_at', ARGV[7])\n"
	"redis.call('ZADD', KEYS[3], ARGV[8], ARGV[3])\n"
	"if h then redis.call('DEL', KEYS[2]) end\n"
	"return 0\n", "" };

/* Compare-token-and-delete. KEYS: lock. ARGV: token. */
static struct script unlock_script = { "unlock",
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('DEL', KEYS[1])\n"
	"end\n"
	"return 0\n", "" };

/* Returns 1 when extended, 0 when the lock is not ours any more.
 * KEYS: lock. ARGV: token, ttl_ms. */
static struct script refresh_script = { "refresh",
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"end\n"
	"return 0\n", "" };

static const struct redis_config *cfg;
static pthread_key_t conn_key;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static redisContext *pool[POOL_MAX];
static unsigned pool_len;

/* Whether the last attempt to reach Redis worked, so that losing it and
 * getting it back are each logged once, not once per request. */
static atomic_bool redis_down;

static __thread redisContext *tls_conn;
static __thread bool tls_conn_reused; /* came from the pool or a prior call */
static __thread char tls_err[256];

__attribute__((format(printf, 1, 2)))
static void set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tls_err, sizeof(tls_err), fmt, ap);
	va_end(ap);
}

const char *rstore_strerror(void)
{
	return tls_err[0] ? tls_err : "no error";
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

static int script_digest(struct script *s)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!EVP_Digest(s->text, strlen(s->text), md, &len, EVP_sha1(), NULL))
		return -ENOMEM;
	for (unsigned i = 0; i < len && i < 20; i++)
		snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
	return 0;
}

int rstore_init(const struct redis_config *c)
{
	int err;

	cfg = c;
	if ((err = script_digest(&lock_script)) ||
	    (err = script_digest(&commit_script)) ||
	    (err = script_digest(&unlock_script)) ||
	    (err = script_digest(&refresh_script)))
		return err;
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

void rstore_cleanup(void)
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

/* Opens a connection with timeouts and AUTH. Returns it or NULL with the
 * error set (*err = -errno). */
static redisContext *conn_open(int *err)
{
	redisContext *c = redisConnectWithTimeout(cfg->host, (int)cfg->port,
						  ms_to_tv(cfg->connect_timeout_ms));
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
		note_reachable(false);
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

/* The calling thread's connection: its own, else an idle one, else new. */
static redisContext *conn_get(int *err)
{
	if (tls_conn)
		return tls_conn;
	pthread_mutex_lock(&pool_lock);
	if (pool_len > 0)
		tls_conn = pool[--pool_len];
	pthread_mutex_unlock(&pool_lock);
	tls_conn_reused = tls_conn != NULL;
	if (!tls_conn)
		tls_conn = conn_open(err);
	if (tls_conn)
		pthread_setspecific(conn_key, tls_conn);
	return tls_conn;
}

/* Runs one command. Returns the reply (caller frees) or NULL with *err set.
 * A connection that was idle may have been closed by a restarted Redis:
 * then the command is retried once on a fresh one (every command here is
 * idempotent). Error replies are returned as replies. */
static redisReply *command(int argc, const char **argv, const size_t *len,
			   int *err)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		redisContext *c = conn_get(err);
		redisReply *r;
		bool reused = tls_conn_reused;

		if (!c)
			return NULL;
		tls_conn_reused = true;
		r = redisCommandArgv(c, argc, argv, len);
		if (r) {
			note_reachable(true);
			return r;
		}
		*err = io_error(c, argv[0]);
		conn_drop();
		if (reused && *err == -ECONNRESET) {
			/* Redis closed it (restarted?): the idle ones are
			 * stale too. Retry once on a new connection. */
			pool_flush();
			continue;
		}
		note_reachable(false);
		break;
	}
	return NULL;
}

/* Runs a script by digest, sending its text only after NOSCRIPT. Returns
 * the integer it returned, or -errno. */
static int run_script(struct script *s, int nkeys, const char **keys,
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
	r = command(argc, argv, len, &err);
	if (r && r->type == REDIS_REPLY_ERROR &&
	    strncmp(r->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(r);
		argv[0] = "EVAL";
		argv[1] = s->text;
		len[0] = 4;
		len[1] = strlen(s->text);
		r = command(argc, argv, len, &err);
	}
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_INTEGER) {
		metrics_redis_error();
		set_err("Redis at %s:%u failed the %s script: %s", cfg->host,
			cfg->port, s->name,
			r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -EPROTO;
	}
	v = r->integer;
	freeReplyObject(r);
	return (int)v;
}

static void make_key(char *out, const char *kind, const char *filename,
		     const char *version)
{
	if (version)
		snprintf(out, KEY_MAX, "%s:%s:%s", kind, filename, version);
	else
		snprintf(out, KEY_MAX, "%s:%s", kind, filename);
}

int rstore_lock(const char *filename, const char *version, const char *token,
		unsigned ttl_ms)
{
	char fkey[KEY_MAX], lkey[KEY_MAX], ttl[16];
	const char *keys[] = { fkey, lkey }, *args[] = { token, ttl };
	int ret;

	make_key(fkey, "file", filename, version);
	make_key(lkey, "lock", filename, version);
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	ret = run_script(&lock_script, 2, keys, 2, args);
	return ret == 1 ? RSTORE_EXISTS : ret == 2 ? RSTORE_LOCKED : ret;
}

int rstore_refresh(const char *filename, const char *version,
		   const char *token, unsigned ttl_ms)
{
	char lkey[KEY_MAX], ttl[16];
	const char *keys[] = { lkey }, *args[] = { token, ttl };
	int ret;

	make_key(lkey, "lock", filename, version);
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	ret = run_script(&refresh_script, 1, keys, 2, args);
	return ret == 1 ? RSTORE_OK : ret == 0 ? RSTORE_NOT_FOUND : ret;
}

int rstore_unlock(const char *filename, const char *version,
		  const char *token)
{
	char lkey[KEY_MAX];
	const char *keys[] = { lkey }, *args[] = { token };
	int ret;

	make_key(lkey, "lock", filename, version);
	ret = run_script(&unlock_script, 1, keys, 1, args);
	return ret < 0 ? ret : RSTORE_OK;
}

int rstore_commit(const struct file_meta *m, const char *token,
		  int64_t score_ms)
{
	char fkey[KEY_MAX], lkey[KEY_MAX], vkey[KEY_MAX], size[24], score[24];
	const char *keys[] = { fkey, lkey, vkey };
	const char *args[] = { token, m->filename, m->version, m->sha256, size,
			       m->path, m->uploaded_at, score };
	int ret;

	make_key(fkey, "file", m->filename, m->version);
	make_key(lkey, "lock", m->filename, m->version);
	make_key(vkey, "versions", m->filename, NULL);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)m->size);
	snprintf(score, sizeof(score), "%lld", (long long)score_ms);
	ret = run_script(&commit_script, 3, keys, 8, args);
	return ret == 1 ? RSTORE_EXISTS : ret == 2 ? RSTORE_LOCKED : ret;
}

/* Copies a bulk string reply into a fixed field; false if absent or too
 * long (the hash was not written by uploadd). */
static bool copy_field(const redisReply *r, char *dst, size_t cap)
{
	if (r->type != REDIS_REPLY_STRING || r->len >= cap)
		return false;
	memcpy(dst, r->str, r->len);
	dst[r->len] = '\0';
	return true;
}

/* Fills m from an HMGET reply of the six fields. Returns RSTORE_OK,
 * RSTORE_NOT_FOUND (no such hash) or -EPROTO (damaged entry). */
static int meta_from_reply(const redisReply *r, struct file_meta *m)
{
	char size[24];
	char *end;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 6)
		goto bad;
	if (r->element[0]->type == REDIS_REPLY_NIL)
		return RSTORE_NOT_FOUND;
	if (!copy_field(r->element[0], m->filename, sizeof(m->filename)) ||
	    !copy_field(r->element[1], m->version, sizeof(m->version)) ||
	    !copy_field(r->element[2], m->sha256, sizeof(m->sha256)) ||
	    !copy_field(r->element[3], size, sizeof(size)) ||
	    !copy_field(r->element[4], m->path, sizeof(m->path)) ||
	    !copy_field(r->element[5], m->uploaded_at, sizeof(m->uploaded_at)))
		goto bad;
	errno = 0;
	m->size = strtoull(size, &end, 10);
	if (errno || *end || end == size)
		goto bad;
	return RSTORE_OK;
bad:
	metrics_redis_error();
	set_err("Redis at %s:%u holds a damaged metadata entry (not written "
		"by uploadd?)", cfg->host, cfg->port);
	return -EPROTO;
}

#define HMGET_FIELDS "filename", "version", "sha256", "size", "path", \
		     "uploaded_at"

int rstore_get(const char *filename, const char *version, struct file_meta *m)
{
	char fkey[KEY_MAX];
	const char *argv[] = { "HMGET", fkey, HMGET_FIELDS };
	size_t len[8];
	redisReply *r;
	int err = 0;

	make_key(fkey, "file", filename, version);
	for (int i = 0; i < 8; i++)
		len[i] = strlen(argv[i]);
	r = command(8, argv, len, &err);
	if (!r)
		return err;
	err = meta_from_reply(r, m);
	freeReplyObject(r);
	return err;
}

/* Pipelines one HMGET per version and reads the replies into out. */
static int list_fetch(redisContext *c, const redisReply *versions,
		      const char *filename, struct file_meta *out)
{
	char fkey[KEY_MAX];
	size_t len[8];
	int ret = RSTORE_OK;

	for (size_t i = 0; i < versions->elements; i++) {
		const redisReply *v = versions->element[i];
		const char *argv[] = { "HMGET", fkey, HMGET_FIELDS };

		if (v->type != REDIS_REPLY_STRING || v->len > VERSION_MAX_LEN)
			return -EPROTO;
		make_key(fkey, "file", filename, v->str);
		for (int k = 0; k < 8; k++)
			len[k] = strlen(argv[k]);
		if (redisAppendCommandArgv(c, 8, argv, len) != REDIS_OK)
			return io_error(c, "HMGET");
	}
	for (size_t i = 0; i < versions->elements; i++) {
		void *reply = NULL;
		int got;

		if (redisGetReply(c, &reply) != REDIS_OK)
			return io_error(c, "HMGET");
		got = meta_from_reply(reply, &out[i]);
		freeReplyObject(reply);
		/* Keep reading so the connection stays in step. */
		if (got != RSTORE_OK && ret == RSTORE_OK)
			ret = got == RSTORE_NOT_FOUND ? -EPROTO : got;
	}
	return ret;
}

int rstore_list(const char *filename, struct file_meta **out, size_t *n)
{
	char vkey[KEY_MAX];
	const char *argv[] = { "ZRANGE", vkey, "0", "-1" };
	size_t len[4];
	redisReply *r;
	int err = 0;

	*out = NULL;
	*n = 0;
	make_key(vkey, "versions", filename, NULL);
	for (int i = 0; i < 4; i++)
		len[i] = strlen(argv[i]);
	r = command(4, argv, len, &err);
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		metrics_redis_error();
		set_err("Redis at %s:%u gave an unexpected reply to ZRANGE",
			cfg->host, cfg->port);
		return -EPROTO;
	}
	if (r->elements > 0) {
		*out = calloc(r->elements, sizeof(**out));
		if (!*out) {
			freeReplyObject(r);
			return -ENOMEM;
		}
		err = list_fetch(tls_conn, r, filename, *out);
		if (err < 0) {
			if (err == -EPROTO)
				set_err("Redis at %s:%u holds a damaged version "
					"list for this file", cfg->host, cfg->port);
			conn_drop();
			free(*out);
			*out = NULL;
			freeReplyObject(r);
			return err;
		}
		*n = r->elements;
	}
	freeReplyObject(r);
	return RSTORE_OK;
}

int rstore_ping(void)
{
	const char *argv[] = { "PING" };
	size_t len[] = { 4 };
	redisReply *r;
	int err = 0;

	r = command(1, argv, len, &err);
	if (!r)
		return err;
	if (r->type == REDIS_REPLY_ERROR) {
		metrics_redis_error();
		set_err("Redis at %s:%u answered PING with: %s", cfg->host,
			cfg->port, r->str);
		err = -EPROTO;
	}
	freeReplyObject(r);
	return err;
}
