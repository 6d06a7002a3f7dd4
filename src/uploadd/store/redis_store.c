/* Redis locks and metadata: keys and scripts (see redis_store.h). */
#include "uploadd/store/redis_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uploadd/debug/metrics.h"
#include "uploadd/store/redis_conn.h"

#define KEY_MAX (FILENAME_MAX_LEN + VERSION_MAX_LEN + 16)

/* Returns 1 when the file exists; 0 when the lock is now ours (taken by
 * SET NX PX, or already held by this token: a retried call); 2 when someone
 * else holds it. KEYS: file, lock. ARGV: token, ttl_ms. */
static struct redis_script lock_script = { "lock",
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end\n"
	"if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then\n"
	"  return 0\n"
	"end\n"
	"if redis.call('GET', KEYS[2]) == ARGV[1] then\n"
	"  redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
	"  return 0\n"
	"end\n"
	"return 2\n", "" };

/* Returns 2 when another token holds the lock; 1 when the version exists
 * with another object; 0 when stored (now, or before by this token).
 * KEYS: file, lock, versions. ARGV: token, filename, version, sha256, size,
 * path, uploaded_at, score. */
static struct redis_script commit_script = { "commit",
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
static struct redis_script unlock_script = { "unlock",
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('DEL', KEYS[1])\n"
	"end\n"
	"return 0\n", "" };

/* Returns 1 when extended, 0 when the lock is not ours any more.
 * KEYS: lock. ARGV: token, ttl_ms. */
static struct redis_script refresh_script = { "refresh",
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"end\n"
	"return 0\n", "" };

int rstore_init(const struct redis_config *c)
{
	int err;

	if ((err = rconn_script_prepare(&lock_script)) ||
	    (err = rconn_script_prepare(&commit_script)) ||
	    (err = rconn_script_prepare(&unlock_script)) ||
	    (err = rconn_script_prepare(&refresh_script)))
		return err;
	return rconn_init(c);
}

void rstore_cleanup(void)
{
	rconn_cleanup();
}

const char *rstore_strerror(void)
{
	return rconn_strerror();
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
	ret = rconn_script(&lock_script, 2, keys, 2, args);
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
	ret = rconn_script(&refresh_script, 1, keys, 2, args);
	return ret == 1 ? RSTORE_OK : ret == 0 ? RSTORE_NOT_FOUND : ret;
}

int rstore_unlock(const char *filename, const char *version,
		  const char *token)
{
	char lkey[KEY_MAX];
	const char *keys[] = { lkey }, *args[] = { token };
	int ret;

	make_key(lkey, "lock", filename, version);
	ret = rconn_script(&unlock_script, 1, keys, 1, args);
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
	ret = rconn_script(&commit_script, 3, keys, 8, args);
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
 * RSTORE_NOT_FOUND (no such hash) or -EPROTO (damaged entry). No side
 * effects: the caller reports. */
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
	return -EPROTO;
}

/* Reports a metadata entry uploadd did not write. */
static int damaged(const char *filename)
{
	return rconn_protocol_failed("Redis at %s holds damaged metadata for "
				     "\"%.64s\" (not written by uploadd?)",
				     rconn_server(), filename);
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
	r = rconn_command(8, argv, len, &err);
	if (!r)
		return err;
	err = meta_from_reply(r, m);
	freeReplyObject(r);
	return err == -EPROTO ? damaged(filename) : err;
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
			return damaged(filename);
		make_key(fkey, "file", filename, v->str);
		for (int k = 0; k < 8; k++)
			len[k] = strlen(argv[k]);
		if (redisAppendCommandArgv(c, 8, argv, len) != REDIS_OK)
			return rconn_io_failed(c, "HMGET");
	}
	for (size_t i = 0; i < versions->elements; i++) {
		void *reply = NULL;
		int got;

		if (redisGetReply(c, &reply) != REDIS_OK)
			return rconn_io_failed(c, "HMGET");
		got = meta_from_reply(reply, &out[i]);
		freeReplyObject(reply);
		/* Keep reading so the connection stays in step. */
		if (got != RSTORE_OK)
			ret = -EPROTO;
	}
	return ret < 0 ? damaged(filename) : RSTORE_OK;
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
	r = rconn_command(4, argv, len, &err);
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return rconn_protocol_failed("Redis at %s gave an unexpected "
					     "reply to ZRANGE", rconn_server());
	}
	if (r->elements > 0) {
		*out = calloc(r->elements, sizeof(**out));
		if (!*out) {
			freeReplyObject(r);
			return -ENOMEM;
		}
		err = list_fetch(rconn_current(), r, filename, *out);
		if (err < 0) {
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

	r = rconn_command(1, argv, len, &err);
	if (!r)
		return err;
	if (r->type == REDIS_REPLY_ERROR)
		err = rconn_protocol_failed("Redis at %s answered PING with: %s",
					    rconn_server(), r->str);
	freeReplyObject(r);
	return err;
}
