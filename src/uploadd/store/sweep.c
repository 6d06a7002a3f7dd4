/* The orphan sweep (see sweep.h). */
#include "uploadd/store/sweep.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "uploadd/debug/metrics.h"
#include "uploadd/store/redis_conn.h"
#include "uploadd/store/redis_store.h"

static pthread_t thread;
static bool started, stopping;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct store_backend *backend;
static unsigned interval, grace;

/* One batch of resolve_unregistered. Returns how many could not be
 * resolved now; *n says how many were offered. */
static unsigned resolve_batch(struct store_backend *b, unsigned *found,
			      unsigned *removed, size_t *n_out)
{
	struct store_candidate c[SWEEP_RESOLVE_BATCH];
	bool committed[SWEEP_RESOLVE_BATCH];
	size_t n = store_orphan_candidates(b, c, SWEEP_RESOLVE_BATCH);
	unsigned left = 0;
	int err;

	*n_out = n;
	if (n == 0)
		return 0;
	err = rstore_resolve(c, n, committed);
	if (err < 0) {
		log_warn("orphan sweep: cannot ask Redis about %zu upload(s) "
			 "without an intent: %s (tried again at the next sweep)",
			 n, rstore_strerror());
		return (unsigned)n;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned gone = 0;
		int rerr = store_orphan_resolved(b, &c[i], committed[i], &gone);

		if (rerr < 0) {
			log_warn("orphan sweep: cannot remove what the upload "
				 "of \"%s\" version \"%s\" (token %s) left in %s: "
				 "%s (tried again at the next sweep)",
				 c[i].filename, c[i].version, c[i].token,
				 b->where, strerror(-rerr));
			left++;
			continue;
		}
		if (committed[i])
			continue;
		(*found)++;
		*removed += gone;
		log_err("orphan sweep: removed %u object(s) (token %s) of an "
			"upload of \"%s\" version \"%s\" that never committed, "
			"from %s", gone, c[i].token, c[i].filename,
			c[i].version, b->where);
	}
	return left;
}

/* Uploads that registered no intent (their bytes carry their names, e.g.
 * small files in segment records): the backend offers what it found after
 * a crash (a whole segment's records, committed ones included) or kept
 * after a commit of unknown outcome, and Redis says, with a tombstone for
 * those it refuses from then on, which were committed. Batches until the
 * backend has nothing left or a batch resolves nothing. Returns how many
 * could not be resolved now. */
static unsigned resolve_unregistered(struct store_backend *b, unsigned *found,
				     unsigned *removed)
{
	unsigned left = 0;

	for (unsigned round = 0; round < SWEEP_RESOLVE_ROUNDS; round++) {
		size_t n;

		left = resolve_batch(b, found, removed, &n);
		if (n == 0 || left >= n)
			break; /* all done, or no progress: next sweep */
	}
	return left;
}

int sweep_once(struct store_backend *b, unsigned grace_ms, unsigned *found,
	       unsigned *removed)
{
	struct rstore_dead *dead = NULL;
	size_t n = 0;
	unsigned claimed = 0, left = 0;
	struct timespec now;
	int64_t before_ms;
	int err;

	*found = *removed = 0;
	/* Every intent older than this is claimed by the call below unless
	 * the batch is full (see the end). */
	clock_gettime(CLOCK_REALTIME, &now);
	before_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 -
		    (int64_t)grace_ms;
	err = rstore_sweep_claim(grace_ms, SWEEP_BATCH, &dead, &n, &claimed);
	if (err < 0) {
		metrics_sweep(false, 0, 0);
		return err;
	}
	*found = claimed;
	for (size_t i = 0; i < n; i++) {
		const struct store_key k = { dead[i].filename, dead[i].version,
					     dead[i].token };
		char name[STORE_LOCATOR_MAX] = "";
		unsigned gone = 0;
		int rerr = store_sweep_remove(b, &k, &gone);

		if (k.filename[0] && k.version[0])
			store_locator(&k, name);
		if (rerr < 0) {
			log_warn("orphan sweep: cannot remove what the upload "
				 "of \"%s\" version \"%s\" (token %s) left in %s: "
				 "%s (tried again at the next sweep)",
				 k.filename, k.version, k.token, b->where,
				 strerror(-rerr));
			left++;
			continue;
		}
		*removed += gone;
		log_err("orphan sweep: removed %u object(s) %s%s(token %s) of "
			"an upload of \"%s\" version \"%s\" that never "
			"committed, from %s", gone, name, name[0] ? " " : "",
			k.token, k.filename, k.version, b->where);
		if (rstore_sweep_forget(k.token) < 0) {
			log_warn("orphan sweep: cannot forget token %s: %s",
				 k.token, rstore_strerror());
			left++;
		}
	}
	free(dead);
	left += resolve_unregistered(b, found, removed);
	metrics_sweep(true, *found, *removed);
	/* Nothing older than before_ms is left unresolved: every such intent
	 * was claimed (the batch was not full) and its bytes are gone, or it
	 * committed. The backend may forget what it kept to find them. */
	if (!left && claimed < SWEEP_BATCH && n < SWEEP_BATCH)
		store_sweep_settled(b, before_ms);
	return 0;
}

static void *sweep_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "up-sweep");
	pthread_mutex_lock(&lock);
	while (!stopping) {
		unsigned found, removed;
		struct timespec until;
		int err;

		pthread_mutex_unlock(&lock);
		err = sweep_once(backend, grace, &found, &removed);
		if (err < 0)
			log_debug(1, "orphan sweep skipped: %s",
				  rstore_strerror());
		pthread_mutex_lock(&lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += interval;
		while (!stopping &&
		       pthread_cond_timedwait(&wake, &lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&lock);
	/* This thread's Redis connection goes back to the pool on exit. */
	return NULL;
}

int sweep_start(struct store_backend *b, unsigned interval_s,
		unsigned grace_ms)
{
	int err;

	backend = b;
	interval = interval_s;
	grace = grace_ms;
	stopping = false;
	err = pthread_create(&thread, NULL, sweep_main, NULL);
	if (err)
		return -err;
	started = true;
	return 0;
}

void sweep_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&lock);
	pthread_join(thread, NULL);
	started = false;
}
