/* The orphan sweep: removes what uploads that can never commit left in
 * the backend, shared by every backend (backend.h: sweep_remove).
 *
 * The rule. An upload registers its intent in Redis (its token, with its
 * names once known) before the backend may hold anything durable of it,
 * and renews the intent's heartbeat with its lock. The commit script writes
 * the metadata and removes the intent in one atomic step, and refuses to
 * commit when the intent is gone. The sweep claims an intent (moves it to
 * the dead set, atomically in one script) only when
 *   - its heartbeat (Redis TIME) is older than --orphan-grace (default
 *     twice --lock-ttl: a live upload renews it every third of a TTL), and
 *   - the lock on its filename and version is not held by its token, and
 *   - no metadata carries its token (else it committed: the stale intent
 *     is dropped, nothing removed).
 * Once claimed, the upload cannot commit any more (no intent), so nothing
 * can ever reference what it wrote: the backend removes it by token. A
 * claimed upload stays in the dead set until its bytes are gone, so a
 * removal that fails (backend down) is tried again by the next sweep.
 *
 * Uploads whose backend kept their names with their bytes register no
 * intent (a small file's segment record, segstore.h: one Redis round trip
 * per upload fewer). What a crash leaves of them, or what an upload kept
 * when its commit's outcome was unknown, the backend offers to the sweep
 * (store_orphan_candidates); one script asks Redis whether each one's
 * metadata carries its token, and sets a tombstone (gone:<token>, 7 days)
 * for each that is not, which the commit script refuses from then on: so
 * a late commit of a dead process can never name bytes the sweep removed.
 *
 * Runs at start-up and every --sweep-interval in a background thread
 * ("up-sweep"), on every instance: the claim is atomic, so two instances
 * never both remove one upload, and only intents of this backend's
 * namespace are looked at (never a listing of the directory or the pool).
 * Each removal is logged with the object and the upload's names; /metrics
 * counts sweeps, uploads found and objects removed.
 */
#ifndef UPLOADD_STORE_SWEEP_H
#define UPLOADD_STORE_SWEEP_H

#include "uploadd/store/backend.h"

#define SWEEP_BATCH 256 /* uploads claimed per round trip */
#define SWEEP_RESOLVE_BATCH 64    /* uploads without intent per round trip */
#define SWEEP_RESOLVE_ROUNDS 1024 /* round trips per sweep, at most */

/* Runs one sweep now. Returns 0, or -errno when Redis could not be asked
 * (then nothing was removed). *found and *removed count what it did. Any
 * thread. */
int sweep_once(struct store_backend *b, unsigned grace_ms, unsigned *found,
	       unsigned *removed);

/* Starts the background sweep: once now, then every interval_s. Returns 0
 * or -errno. After privileges are dropped. */
int sweep_start(struct store_backend *b, unsigned interval_s,
		unsigned grace_ms);

/* Stops and joins the sweep thread (a sweep in progress finishes). */
void sweep_stop(void);

#endif
