/* Locks and metadata in Redis, for the connection threads.
 *
 * Keys (filename and version are validated, so the last ':' separates them):
 *   lock:<filename>:<version>   upload lock, value = the upload's token, PX ttl
 *   file:<filename>:<version>   hash: filename version sha256 size path
 *                               uploaded_at
 *   versions:<filename>         sorted set of versions by upload time (ms)
 *
 * Round trips per upload: one to take the lock (a Lua script that checks the
 * version does not exist, then SET lock:... <token> NX PX <ttl>: both in one
 * atomic step; upload.c skips it when the whole body arrived at once, since
 * it could refuse nothing early), one to commit (a
 * script that checks the lock is still ours or free, writes the hash and the
 * sorted set, and deletes the lock: atomic). Unlock is the usual
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

#include <stddef.h>
#include <stdint.h>

#include "uploadd/store/meta.h"
#include "uploadd/store/redis_conn.h"

enum rstore_result {
	RSTORE_OK = 0,
	RSTORE_EXISTS = 1,    /* the version is already stored */
	RSTORE_LOCKED = 2,    /* another upload holds the lock */
	RSTORE_NOT_FOUND = 3,
};

/* Keeps cfg (which must outlive the store) and prepares script digests.
 * Returns 0 or -errno. Start-up, before any other call. */
int rstore_init(const struct redis_config *cfg);

/* Closes the idle pool and the calling thread's connection. Call once no
 * connection thread is left. */
void rstore_cleanup(void);

/* Takes lock:<f>:<v> for token with a ttl unless file:<f>:<v> exists.
 * Returns RSTORE_OK (taken, or already ours), RSTORE_EXISTS, RSTORE_LOCKED
 * or -errno. */
int rstore_lock(const char *filename, const char *version, const char *token,
		unsigned ttl_ms);

/* Extends the lock's ttl if token still holds it. Returns RSTORE_OK,
 * RSTORE_NOT_FOUND (no longer ours) or -errno. */
int rstore_refresh(const char *filename, const char *version,
		   const char *token, unsigned ttl_ms);

/* Deletes the lock if token holds it. Returns RSTORE_OK or -errno. */
int rstore_unlock(const char *filename, const char *version,
		  const char *token);

/* Stores m unless the version exists or another token holds the lock, and
 * releases token's lock. score_ms orders the version list. Returns RSTORE_OK
 * (stored now, or earlier by this same token), RSTORE_EXISTS, RSTORE_LOCKED
 * or -errno. */
int rstore_commit(const struct file_meta *m, const char *token,
		  int64_t score_ms);

/* Reads one version's metadata. Returns RSTORE_OK, RSTORE_NOT_FOUND or
 * -errno. */
int rstore_get(const char *filename, const char *version, struct file_meta *m);

/* Reads every version of filename, oldest first, into a malloc'd array
 * (*out, caller frees; NULL when *n is 0). Returns RSTORE_OK or -errno. */
int rstore_list(const char *filename, struct file_meta **out, size_t *n);

/* PING. Returns RSTORE_OK or -errno. */
int rstore_ping(void);

/* The calling thread's description of its last failed call: one line, no
 * newline. */
const char *rstore_strerror(void);

#endif
