/* Redis locks and metadata: keys and scripts (see redis_store.h). */
#include "uploadd/store/redis_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uploadd/store/groupcommit.h"
#include "uploadd/store/redis_conn.h"

#define KEY_MAX (FILENAME_MAX_LEN + VERSION_MAX_LEN + 16)
/* How long a resolved upload's tombstone refuses its commit: far longer
 * than a command from a dead process can wait in Redis's input. */
#define TOMBSTONE_TTL_MS (7u * 24 * 3600 * 1000)

/* The registry's keys for this backend (rstore_init). */
static char inflight_key[STORE_ID_MAX + 16], dead_key[STORE_ID_MAX + 16];
static unsigned min_replicas, wait_ms;

/* Returns 1 when the file exists; 0 when the lock is now ours (taken by
 * SET NX PX, or already held by this token: a retried call) and the
 * upload's intent is registered with its names; 2 when someone else holds
 * it. Time is Redis's own (TIME), so every instance ages intents on one
 * clock. KEYS: file, lock, inflight, upload. ARGV: token, ttl_ms,
 * filename, version. */
static struct redis_script lock_script = { "lock",
	"if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end\n"
	"local t = redis.call('TIME')\n"
	"local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
	"if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then\n"
	"  if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 2 end\n"
	"  redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
	"end\n"
	"redis.call('ZADD', KEYS[3], now, ARGV[1])\n"
	"redis.call('HSET', KEYS[4], 'filename', ARGV[3], 'version', ARGV[4])\n"
	"return 0\n", "" };

/* Registers an upload whose names are not known yet (its file part came
 * first). KEYS: inflight. ARGV: token. */
static struct redis_script register_script = { "register",
	"local t = redis.call('TIME')\n"
	"redis.call('ZADD', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000),\n"
	"  ARGV[1])\n"
	"return 0\n", "" };

/* Returns 2 when another token holds the lock; 1 when the version exists
 * with another upload's object; 3 when this upload can never be recorded:
 * its intent is gone (ARGV[9] == '1': the sweep took it, or a failover
 * lost it) or a tombstone says the sweep resolved it as dead (an upload
 * without an intent: rstore_resolve); its bytes may be removed; 0 when
 * stored (now, or before by this token: the hash is rewritten so the WAIT
 * that follows covers it). KEYS: file, lock, versions, inflight, upload,
 * tombstone. ARGV: token, filename, version, sha256, size, path,
 * uploaded_at, score, intent ('1' when the upload registered one). */
static struct redis_script commit_script = { "commit",
	"local h = redis.call('GET', KEYS[2])\n"
	"if h and h ~= ARGV[1] then return 2 end\n"
	"local p = redis.call('HGET', KEYS[1], 'path')\n"
	"if p then\n"
	"  if p ~= ARGV[6] then return 1 end\n"
	"  redis.call('HSET', KEYS[1], 'path', p)\n"
	"  return 0\n"
	"end\n"
	"if ARGV[9] == '1' and not redis.call('ZSCORE', KEYS[4], ARGV[1]) then\n"
	"  return 3\n"
	"end\n"
	"if redis.call('EXISTS', KEYS[6]) == 1 then return 3 end\n"
	"redis.call('HSET', KEYS[1], 'filename', ARGV[2], 'version', ARGV[3],\n"
	"  'sha256', ARGV[4], 'size', ARGV[5], 'path', ARGV[6],\n"
	"  'uploaded_at', ARGV[7], 'token', ARGV[1])\n"
	"redis.call('ZADD', KEYS[3], ARGV[8], ARGV[3])\n"
	"redis.call('ZREM', KEYS[4], ARGV[1])\n"
	"redis.call('DEL', KEYS[5])\n"
	"if h then redis.call('DEL', KEYS[2]) end\n"
	"return 0\n", "" };

/* Compare-token-and-delete of the lock; with ARGV[2] == '1' the intent
 * goes too (the backend removed everything). KEYS: lock, inflight, upload.
 * ARGV: token, forget. */
static struct redis_script release_script = { "release",
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  redis.call('DEL', KEYS[1])\n"
	"end\n"
	"if ARGV[2] == '1' then\n"
	"  redis.call('ZREM', KEYS[2], ARGV[1])\n"
	"  redis.call('DEL', KEYS[3])\n"
	"end\n"
	"return 0\n", "" };

/* Returns 1 when extended, 0 when the lock is not ours any more; either
 * way the intent's heartbeat (its score) moves to now if it is still
 * registered. KEYS: lock (or "" when unlocked), inflight. ARGV: token,
 * ttl_ms. */
static struct redis_script refresh_script = { "refresh",
	"local t = redis.call('TIME')\n"
	"redis.call('ZADD', KEYS[2], 'XX', t[1] * 1000 + math.floor(t[2] / 1000),\n"
	"  ARGV[1])\n"
	"if KEYS[1] == '' then return 1 end\n"
	"if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
	"  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
	"end\n"
	"return 0\n", "" };

/* The sweep's claim (see sweep.h for the rule): every intent whose
 * heartbeat is older than ARGV[1] ms and whose lock is not held by its
 * token moves to the dead set, after which its commit can never succeed
 * (the commit script wants the intent); one that committed already (the
 * metadata carries its token) is just dropped. Returns the number newly
 * claimed, then token, filename, version for up to ARGV[2] dead entries
 * (this sweep's and any an earlier sweep could not finish). Other keys are
 * read by name: a single Redis or a Sentinel group, not Redis Cluster.
 * KEYS: inflight, dead. ARGV: grace_ms, limit. */
static struct redis_script claim_script = { "claim",
	"local t = redis.call('TIME')\n"
	"local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
	"local limit = tonumber(ARGV[2])\n"
	"local cand = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf',\n"
	"  now - tonumber(ARGV[1]), 'LIMIT', 0, limit)\n"
	"local claimed = 0\n"
	"for _, tok in ipairs(cand) do\n"
	"  local n = redis.call('HMGET', 'upload:' .. tok, 'filename', 'version')\n"
	"  local live, done = false, false\n"
	"  if n[1] and n[2] then\n"
	"    local k = n[1] .. ':' .. n[2]\n"
	"    live = redis.call('GET', 'lock:' .. k) == tok\n"
	"    done = redis.call('HGET', 'file:' .. k, 'token') == tok\n"
	"  end\n"
	"  if done then\n"
	"    redis.call('ZREM', KEYS[1], tok)\n"
	"    redis.call('DEL', 'upload:' .. tok)\n"
	"  elseif not live then\n"
	"    redis.call('ZREM', KEYS[1], tok)\n"
	"    redis.call('ZADD', KEYS[2], now, tok)\n"
	"    claimed = claimed + 1\n"
	"  end\n"
	"end\n"
	"local out = { claimed }\n"
	"for _, tok in ipairs(redis.call('ZRANGE', KEYS[2], 0, limit - 1)) do\n"
	"  local n = redis.call('HMGET', 'upload:' .. tok, 'filename', 'version')\n"
	"  out[#out + 1] = tok\n"
	"  out[#out + 1] = n[1] or ''\n"
	"  out[#out + 1] = n[2] or ''\n"
	"end\n"
	"return out\n", "" };

/* The sweep removed a dead upload's bytes. KEYS: dead, upload. ARGV:
 * token. */
static struct redis_script forget_script = { "forget",
	"redis.call('ZREM', KEYS[1], ARGV[1])\n"
	"redis.call('DEL', KEYS[2])\n"
	"return 0\n", "" };

/* Resolves uploads that registered no intent (their bytes carry their
 * names): for each, 1 when its metadata carries its token (committed),
 * else 0 after setting its tombstone, which makes its commit refuse from
 * then on (commit_script), so its bytes may go. Keys are read by name, as
 * the claim script's. ARGV: tombstone ttl_ms, then token, filename,
 * version for each. */
static struct redis_script resolve_script = { "resolve",
	"local out = {}\n"
	"for i = 2, #ARGV, 3 do\n"
	"  local tok = ARGV[i]\n"
	"  local k = ARGV[i + 1] .. ':' .. ARGV[i + 2]\n"
	"  if redis.call('HGET', 'file:' .. k, 'token') == tok then\n"
	"    out[#out + 1] = 1\n"
	"  else\n"
	"    redis.call('SET', 'gone:' .. tok, '1', 'PX', ARGV[1])\n"
	"    out[#out + 1] = 0\n"
	"  end\n"
	"end\n"
	"return out\n", "" };

int rstore_init(const struct redis_config *c, const char *backend_id,
		unsigned replicas, unsigned replica_wait_ms)
{
	struct redis_script *all[] = { &lock_script, &register_script,
		&commit_script, &release_script, &refresh_script,
		&claim_script, &forget_script, &resolve_script };
	int err;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((err = rconn_script_prepare(all[i])))
			return err;
	snprintf(inflight_key, sizeof(inflight_key), "inflight:%s", backend_id);
	snprintf(dead_key, sizeof(dead_key), "orphans:%s", backend_id);
	min_replicas = replicas;
	wait_ms = replica_wait_ms;
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

static void upload_key(char *out, const char *token)
{
	snprintf(out, KEY_MAX, "upload:%s", token);
}

int rstore_lock(const char *filename, const char *version, const char *token,
		unsigned ttl_ms)
{
	char fkey[KEY_MAX], lkey[KEY_MAX], ukey[KEY_MAX], ttl[16];
	const char *keys[] = { fkey, lkey, inflight_key, ukey };
	const char *args[] = { token, ttl, filename, version };
	int ret;

	make_key(fkey, "file", filename, version);
	make_key(lkey, "lock", filename, version);
	upload_key(ukey, token);
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	ret = rconn_script(&lock_script, 4, keys, 4, args);
	return ret == 1 ? RSTORE_EXISTS : ret == 2 ? RSTORE_LOCKED : ret;
}

int rstore_register(const char *token)
{
	const char *keys[] = { inflight_key }, *args[] = { token };
	int ret = rconn_script(&register_script, 1, keys, 1, args);

	return ret < 0 ? ret : RSTORE_OK;
}

int rstore_refresh(const char *filename, const char *version,
		   const char *token, unsigned ttl_ms)
{
	char lkey[KEY_MAX], ttl[16];
	const char *keys[] = { lkey, inflight_key }, *args[] = { token, ttl };
	int ret;

	if (filename)
		make_key(lkey, "lock", filename, version);
	else
		lkey[0] = '\0';
	snprintf(ttl, sizeof(ttl), "%u", ttl_ms);
	ret = rconn_script(&refresh_script, 2, keys, 2, args);
	return ret == 1 ? RSTORE_OK : ret == 0 ? RSTORE_NOT_FOUND : ret;
}

int rstore_release(const char *filename, const char *version,
		   const char *token, bool forget)
{
	char lkey[KEY_MAX], ukey[KEY_MAX];
	const char *keys[] = { lkey, inflight_key, ukey };
	const char *args[] = { token, forget ? "1" : "0" };
	int ret;

	if (filename)
		make_key(lkey, "lock", filename, version);
	else
		snprintf(lkey, sizeof(lkey), "lock:");
	upload_key(ukey, token);
	ret = rconn_script(&release_script, 3, keys, 2, args);
	return ret < 0 ? ret : RSTORE_OK;
}

/* Waits until min_replicas replicas acknowledged this connection's writes
 * (WAIT), for up to wait_ms. Returns RSTORE_OK, RSTORE_UNREPLICATED or
 * -errno (connection lost: the caller asks again). */
static int wait_replicas(void)
{
	char n[16], ms[16];
	const char *argv[] = { "WAIT", n, ms };
	size_t len[3];
	redisReply *r;
	int err = 0;
	long long got;

	if (min_replicas == 0)
		return RSTORE_OK;
	snprintf(n, sizeof(n), "%u", min_replicas);
	snprintf(ms, sizeof(ms), "%u", wait_ms);
	for (int i = 0; i < 3; i++)
		len[i] = strlen(argv[i]);
	r = rconn_command_here(3, argv, len, &err);
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_INTEGER) {
		err = rconn_protocol_failed("Redis at %s answered WAIT with: %s",
					    rconn_server(), r->type ==
					    REDIS_REPLY_ERROR ? r->str :
					    "an unexpected reply");
		freeReplyObject(r);
		return err;
	}
	got = r->integer;
	freeReplyObject(r);
	if (got >= (long long)min_replicas)
		return RSTORE_OK;
	rconn_note("Redis at %s: %lld of %u replica(s) acknowledged the "
		   "metadata within %u ms (--redis-min-replicas, "
		   "--redis-wait-timeout)", rconn_server(), got, min_replicas,
		   wait_ms);
	return RSTORE_UNREPLICATED;
}

int rstore_commit(const struct file_meta *m, const char *token,
		  int64_t score_ms, bool intent)
{
	char fkey[KEY_MAX], lkey[KEY_MAX], vkey[KEY_MAX], ukey[KEY_MAX];
	char gkey[KEY_MAX], size[24], score[24];
	const char *keys[] = { fkey, lkey, vkey, inflight_key, ukey, gkey };
	const char *args[] = { token, m->filename, m->version, m->sha256, size,
			       m->path, m->uploaded_at, score, intent ? "1" : "0" };
	int ret;

	make_key(fkey, "file", m->filename, m->version);
	make_key(lkey, "lock", m->filename, m->version);
	make_key(vkey, "versions", m->filename, NULL);
	upload_key(ukey, token);
	snprintf(gkey, sizeof(gkey), "gone:%s", token);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)m->size);
	snprintf(score, sizeof(score), "%lld", (long long)score_ms);
	ret = rconn_script(&commit_script, 6, keys, 9, args);
	if (ret == 0)
		return wait_replicas();
	return ret == 1 ? RSTORE_EXISTS : ret == 2 ? RSTORE_LOCKED :
	       ret == 3 ? RSTORE_LOST : ret;
}

/* Arguments of one commit script call, built in place. */
struct commit_args {
	char fkey[KEY_MAX], lkey[KEY_MAX], vkey[KEY_MAX], ukey[KEY_MAX];
	char gkey[KEY_MAX], size[24], score[24], nk[4];
	const char *argv[20];
	size_t len[20];
	int argc;
};

static void commit_args_fill(struct commit_args *a, const struct file_meta *m,
			     const char *token, int64_t score_ms, bool intent)
{
	const char *keys[] = { a->fkey, a->lkey, a->vkey, inflight_key, a->ukey,
			       a->gkey };
	const char *args[] = { token, m->filename, m->version, m->sha256, a->size,
			       m->path, m->uploaded_at, a->score,
			       intent ? "1" : "0" };

	make_key(a->fkey, "file", m->filename, m->version);
	make_key(a->lkey, "lock", m->filename, m->version);
	make_key(a->vkey, "versions", m->filename, NULL);
	upload_key(a->ukey, token);
	snprintf(a->gkey, sizeof(a->gkey), "gone:%s", token);
	snprintf(a->size, sizeof(a->size), "%llu", (unsigned long long)m->size);
	snprintf(a->score, sizeof(a->score), "%lld", (long long)score_ms);
	snprintf(a->nk, sizeof(a->nk), "%d", 6);
	a->argc = 0;
	a->argv[a->argc++] = "EVALSHA";
	a->argv[a->argc++] = commit_script.sha;
	a->argv[a->argc++] = a->nk;
	for (int i = 0; i < 6; i++)
		a->argv[a->argc++] = keys[i];
	for (int i = 0; i < 9; i++)
		a->argv[a->argc++] = args[i];
	for (int i = 0; i < a->argc; i++)
		a->len[i] = strlen(a->argv[i]);
}

void rstore_commit_batch(struct rstore_commit_req *reqs, size_t n)
{
	struct commit_args *a = calloc(n, sizeof(*a));
	redisReply **rep = calloc(n, sizeof(*rep));
	const char **argvs[GCOMMIT_JOBS_MAX] = { NULL };
	const size_t *lens[GCOMMIT_JOBS_MAX] = { NULL };
	int argcs[GCOMMIT_JOBS_MAX] = { 0 };
	bool any_ok = false;
	int err;

	if (!a || !rep || n > GCOMMIT_JOBS_MAX) {
		for (size_t i = 0; i < n; i++)
			reqs[i].result = -EAGAIN;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		commit_args_fill(&a[i], reqs[i].m, reqs[i].token, reqs[i].score_ms,
				 reqs[i].intent);
		argvs[i] = a[i].argv;
		lens[i] = a[i].len;
		argcs[i] = a[i].argc;
	}
	err = rconn_pipeline(n, argcs, argvs, lens, rep);
	for (size_t i = 0; i < n; i++) {
		redisReply *r = rep[i];

		if (err) {
			reqs[i].result = err;
		} else if (r->type == REDIS_REPLY_INTEGER) {
			reqs[i].result = r->integer == 0 ? RSTORE_OK :
					 r->integer == 1 ? RSTORE_EXISTS :
					 r->integer == 2 ? RSTORE_LOCKED :
					 r->integer == 3 ? RSTORE_LOST : -EPROTO;
			any_ok |= reqs[i].result == RSTORE_OK;
		} else if (r->type == REDIS_REPLY_ERROR &&
			   strncmp(r->str, "READONLY", 8) == 0) {
			reqs[i].result = -ECONNREFUSED; /* did not run */
		} else {
			reqs[i].result = -EAGAIN; /* NOSCRIPT or unexpected */
		}
	}
	if (any_ok && min_replicas > 0) {
		int w = wait_replicas();

		for (size_t i = 0; i < n; i++)
			if (reqs[i].result == RSTORE_OK && w != RSTORE_OK)
				reqs[i].result = w < 0 ? -EAGAIN : w;
	}
out:
	for (size_t i = 0; rep && i < n; i++)
		if (rep[i])
			freeReplyObject(rep[i]);
	free(rep);
	free(a);
}

int rstore_resolve(const struct store_candidate *c, size_t n, bool *committed)
{
	const char **args = calloc(1 + 3 * n, sizeof(*args));
	char ttl[24];
	redisReply *r;
	int err = 0;

	if (!args)
		return -ENOMEM;
	snprintf(ttl, sizeof(ttl), "%u", TOMBSTONE_TTL_MS);
	args[0] = ttl;
	for (size_t i = 0; i < n; i++) {
		args[1 + 3 * i] = c[i].token;
		args[2 + 3 * i] = c[i].filename;
		args[3 + 3 * i] = c[i].version;
	}
	r = rconn_script_reply(&resolve_script, 0, NULL, (int)(1 + 3 * n), args,
			       &err);
	free(args);
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
		freeReplyObject(r);
		return rconn_protocol_failed("Redis at %s gave an unexpected "
					     "reply to the resolve script",
					     rconn_server());
	}
	for (size_t i = 0; i < n; i++)
		committed[i] = r->element[i]->type == REDIS_REPLY_INTEGER &&
			       r->element[i]->integer == 1;
	freeReplyObject(r);
	return RSTORE_OK;
}

int rstore_sweep_claim(unsigned grace_ms, unsigned limit,
		       struct rstore_dead **out, size_t *n, unsigned *claimed)
{
	char grace[16], lim[16];
	const char *keys[] = { inflight_key, dead_key }, *args[] = { grace, lim };
	redisReply *r;
	int err = 0;

	*out = NULL;
	*n = 0;
	*claimed = 0;
	snprintf(grace, sizeof(grace), "%u", grace_ms);
	snprintf(lim, sizeof(lim), "%u", limit);
	r = rconn_script_reply(&claim_script, 2, keys, 2, args, &err);
	if (!r)
		return err;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER ||
	    (r->elements - 1) % 3 != 0)
		goto bad;
	*claimed = (unsigned)r->element[0]->integer;
	if (r->elements > 1) {
		*out = calloc((r->elements - 1) / 3, sizeof(**out));
		if (!*out) {
			freeReplyObject(r);
			return -ENOMEM;
		}
	}
	for (size_t i = 1; i + 2 < r->elements; i += 3) {
		struct rstore_dead *d = &(*out)[*n];

		if (!copy_field(r->element[i], d->token, sizeof(d->token)) ||
		    !copy_field(r->element[i + 1], d->filename,
				sizeof(d->filename)) ||
		    !copy_field(r->element[i + 2], d->version,
				sizeof(d->version)))
			continue; /* not ours: left for a person */
		(*n)++;
	}
	freeReplyObject(r);
	return RSTORE_OK;
bad:
	freeReplyObject(r);
	return rconn_protocol_failed("Redis at %s gave an unexpected reply to "
				     "the sweep's claim", rconn_server());
}

int rstore_sweep_forget(const char *token)
{
	char ukey[KEY_MAX];
	const char *keys[] = { dead_key, ukey }, *args[] = { token };
	int ret;

	upload_key(ukey, token);
	ret = rconn_script(&forget_script, 2, keys, 1, args);
	return ret < 0 ? ret : RSTORE_OK;
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
