/* Locks and metadata in Redis, for the connection threads.
 *
 * Keys (filename and version are validated, so the last ':' separates them):
 *   lock:<filename>:<version>   upload lock, value = the upload's token, PX ttl
 *   file:<filename>:<version>   hash: filename version sha256 size path
 *                               uploaded_at
 *   versions:<filename>         sorted set of versions by upload time (ms)
 *   inflight:<backend id>       sorted set: uploads in flight (tokens) by
 *                               their last heartbeat (Redis TIME, ms)
 *   upload:<token>              hash: filename version of one in flight
 *   orphans:<backend id>        sorted set: uploads the sweep claimed whose
 *                               bytes are being removed (sweep.h)
 *
 * An upload's intent (its token in inflight:) is registered, with the
 * lock, before the backend may write anything durable, and removed by the
 * commit script in the same atomic step that writes the metadata. The
 * commit refuses when the intent is gone, so once the sweep has claimed
 * an intent, that upload can never commit and its bytes may go.
 *
 * Round trips per upload: one to take the lock and register the intent (a
 * Lua script that checks the version does not exist, then SET lock:...
 * <token> NX PX <ttl>: one atomic step), one to commit (a script that
 * checks the lock is still ours or free and the intent still there, writes
 * the hash and the sorted set, and deletes the lock and the intent:
 * atomic), then, with --redis-min-replicas, a WAIT on the same connection
 * until a replica has the metadata. Unlock is the usual
 * compare-token-and-delete script. Every script is idempotent for a given
 * token, so a call that failed after Redis ran it can be retried safely.
 * Scripts go by EVALSHA, falling back to EVAL after NOSCRIPT (e.g. a
 * restarted Redis).
 *
 * Connections, timeouts and reconnection are redis_conn.c's job.
 *
 * Every function returns RSTORE_* (>= 0) or a negative errno: -ECONNREFUSED
 * (cannot connect), -ETIMEDOUT, -ECONNRESET (connection lost), -EPROTO
 * (error reply, e.g. NOAUTH), -ENOMEM. rstore_strerror() then has the one
 * line to log and answer with.
 */
#ifndef UPLOADD_REDIS_STORE_H
#define UPLOADD_REDIS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uploadd/store/backend.h"
#include "uploadd/store/meta.h"
#include "uploadd/store/redis_conn.h"

enum rstore_result {
	RSTORE_OK = 0,
	RSTORE_EXISTS = 1,    /* the version is already stored */
	RSTORE_LOCKED = 2,    /* another upload holds the lock */
	RSTORE_NOT_FOUND = 3,
	RSTORE_LOST = 4,         /* the upload's intent is gone: not stored */
	RSTORE_UNREPLICATED = 5, /* stored on the master, no replica ack */
};

/* One upload the sweep claimed (rstore_sweep_claim). */
struct rstore_dead {
	char token[STORE_TOKEN_HEX + 1];
	char filename[FILENAME_MAX_LEN + 1]; /* "" when never known */
	char version[VERSION_MAX_LEN + 1];
};

/* Keeps cfg (which must outlive the store), names the registry after the
 * backend's id, and prepares script digests. replicas: how many replicas
 * must acknowledge a commit (WAIT), within wait_ms. Returns 0 or -errno.
 * Start-up, before any other call. */
int rstore_init(const struct redis_config *cfg, const char *backend_id,
		unsigned replicas, unsigned wait_ms);

/* Closes the idle pool and the calling thread's connection. Call once no
 * connection thread is left. */
void rstore_cleanup(void);

/* Takes lock:<f>:<v> for token with a ttl unless file:<f>:<v> exists, and
 * registers (or names) the upload's intent. Returns RSTORE_OK (taken, or
 * already ours), RSTORE_EXISTS, RSTORE_LOCKED or -errno. */
int rstore_lock(const char *filename, const char *version, const char *token,
		unsigned ttl_ms);

/* Registers the intent of an upload whose names are not known yet (its
 * file part came first). Returns RSTORE_OK or -errno. */
int rstore_register(const char *token);

/* Extends the lock's ttl if token still holds it (filename NULL: no lock
 * yet), and moves the intent's heartbeat to now. Returns RSTORE_OK,
 * RSTORE_NOT_FOUND (no longer ours) or -errno. */
int rstore_refresh(const char *filename, const char *version,
		   const char *token, unsigned ttl_ms);

/* Deletes the lock if token holds it (filename NULL: none taken), and with
 * forget the intent too (only once the backend removed everything the
 * upload wrote). Returns RSTORE_OK or -errno. */
int rstore_release(const char *filename, const char *version,
		   const char *token, bool forget);

/* Stores m unless the version exists, another token holds the lock or the
 * intent is gone, and releases token's lock and intent; then waits for the
 * replicas (rstore_init). score_ms orders the version list. Returns
 * RSTORE_OK (stored now, or earlier by this same token, and replicated),
 * RSTORE_EXISTS, RSTORE_LOCKED, RSTORE_LOST (not stored), RSTORE_UNREPLICATED
 * (stored on the master only) or -errno (outcome unknown when -ETIMEDOUT,
 * -ECONNRESET or -EIO). */
int rstore_commit(const struct file_meta *m, const char *token,
		  int64_t score_ms, bool intent);

/* One commit of a batch (rstore_commit_batch). */
struct rstore_commit_req {
	const struct file_meta *m;
	const char *token;
	int64_t score_ms;
	bool intent;        /* the upload registered one (rstore_commit) */
	int result;         /* out: as rstore_commit returns */
};

/* rstore_commit for n uploads in one round trip (the group commit's
 * leader, for every upload one segment flush covered), then one WAIT for
 * them all when replicas must acknowledge. Each request's result is what
 * rstore_commit would return, except that a script Redis did not know
 * (NOSCRIPT), a demoted master (READONLY) or a lost connection leave
 * -EAGAIN, -ECONNREFUSED or the connection's -errno: the caller then
 * commits that one alone (rstore_commit: idempotent for its token). */
void rstore_commit_batch(struct rstore_commit_req *reqs, size_t n);

/* Resolves n uploads that registered no intent (store_orphan_candidates):
 * committed[i] is true when c[i]'s metadata carries its token; else its
 * tombstone (gone:<token>) is set, so its commit refuses from then on
 * and its bytes may go. Returns RSTORE_OK or -errno (nothing known). */
int rstore_resolve(const struct store_candidate *c, size_t n, bool *committed);

/* Reads one version's metadata. Returns RSTORE_OK, RSTORE_NOT_FOUND or
 * -errno. */
int rstore_get(const char *filename, const char *version, struct file_meta *m);

/* Reads every version of filename, oldest first, into a malloc'd array
 * (*out, caller frees; NULL when *n is 0). Returns RSTORE_OK or -errno. */
int rstore_list(const char *filename, struct file_meta **out, size_t *n);

/* Claims the uploads provably over (sweep.h): heartbeat older than
 * grace_ms and lock not held by their token. Returns RSTORE_OK with up to
 * limit claimed-and-not-yet-removed uploads in a malloc'd *out (caller
 * frees), their count in *n and how many were claimed now in *claimed, or
 * -errno. */
int rstore_sweep_claim(unsigned grace_ms, unsigned limit,
		       struct rstore_dead **out, size_t *n, unsigned *claimed);

/* Forgets a claimed upload whose bytes are gone. Returns RSTORE_OK or
 * -errno. */
int rstore_sweep_forget(const char *token);

/* PING. Returns RSTORE_OK or -errno. */
int rstore_ping(void);

/* The calling thread's description of its last failed call: one line, no
 * newline. */
const char *rstore_strerror(void);

#endif
