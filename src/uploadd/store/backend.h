/* The storage backend interface: where an upload's bytes go, how they are
 * read back, and how what a dead upload left behind is found and removed.
 *
 * The commit point of an upload is the Redis metadata write (redis_store.h),
 * never anything a backend does. A backend's duty is narrower: bytes
 * written through an upload handle are unreachable (no locator names them)
 * until upload_publish() returns a locator, and are durable by then; the
 * metadata then records that locator, and reads go through it. An upload
 * that fails or is aborted calls upload_abort(), which removes what it
 * wrote. A process that dies mid-upload leaves whatever the backend had
 * written; Redis knows which uploads were in flight (their intents, taken
 * with the lock: see redis_store.h), and the sweep (sweep.h) hands each one
 * that is provably over to sweep_remove(), which must remove everything
 * that upload could have written, knowing only its key.
 *
 * Threads: upload_open, upload_publish, upload_abort, upload_close and the
 * read side are called from connection threads; upload_write and
 * upload_finish from the upload's writer thread ("up-write"), strictly
 * after upload_open and before publish/abort; sweep_remove from the sweep
 * thread. Every backend is shared by all threads and must be thread-safe.
 *
 * Backends that batch (issue 15: many small uploads in one flush) fit the
 * same calls: upload_write may only buffer, upload_finish may return at
 * once, and upload_publish may wait for a group flush; it returns once the
 * bytes are durable and a locator names them. sweep_remove is keyed by the
 * upload's token, which every backend must be able to find its bytes by
 * (the two here put it in the object names).
 *
 * Errors are negative errno values: -ENOSPC/-EDQUOT (full: 507), -EAGAIN
 * (backend busy or unreachable for now: 503), anything else (500).
 */
#ifndef UPLOADD_STORE_BACKEND_H
#define UPLOADD_STORE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "uploadd/store/groupcommit.h"

#define STORE_LOCATOR_MAX 128 /* bytes with the NUL: metadata's "path" */
#define STORE_ID_MAX      160 /* bytes with the NUL */
#define STORE_TOKEN_HEX   32  /* an upload's random token, hex digits */

/* An object the sweep must resolve against the metadata: written by an
 * upload that registered no intent (backend.h: upload_names), found in
 * the backend after a crash or kept after a commit of unknown outcome. */
struct store_candidate {
	char token[STORE_TOKEN_HEX + 1];
	char filename[256];
	char version[65];
};

/* What identifies one upload: the client's names and its random token. */
struct store_key {
	const char *filename;
	const char *version;
	const char *token; /* STORE_TOKEN_HEX hex digits */
};

struct store_backend;
struct store_upload;

/* One stored object open for reading. */
struct store_reader {
	struct store_backend *b;
	uint64_t size;  /* bytes */
	int fd;         /* >= 0: a plain file the caller may send (sendfile) */
	uint64_t off;   /* where the object starts in fd (a segment record) */
	void *priv;     /* the backend's */
};

struct store_ops {
	const char *kind; /* "local", "rados" */
	/* True when upload_write makes bytes durable before publish (so the
	 * upload's intent must be in Redis before the first write); false
	 * when nothing survives a crash before publish (an unnamed file). */
	bool writes_before_publish;

	/* Upload side. */
	int (*upload_open)(struct store_backend *b, const char *token,
			   struct store_upload **out);
	/* Optional: the upload's names, known before its first byte. A
	 * backend that keeps them with what it writes can have what a crash
	 * leaves resolved against the metadata (orphan_candidates), so that
	 * upload needs no intent in Redis: upload_needs_intent says. */
	void (*upload_names)(struct store_upload *u, const struct store_key *k);
	/* Optional (default: true): after finish, whether the upload's intent
	 * must be in Redis before publish. */
	bool (*upload_needs_intent)(struct store_upload *u);
	int (*upload_write)(struct store_upload *u, const void *data, size_t len);
	int (*upload_finish)(struct store_upload *u);
	int (*upload_publish)(struct store_upload *u, const struct store_key *k,
			      char locator[STORE_LOCATOR_MAX]);
	int (*upload_abort)(struct store_upload *u);
	void (*upload_close)(struct store_upload *u);
	/* Optional: publish, and when the backend groups uploads under one
	 * flush, run then (the metadata commit) with the group's others
	 * after that flush (then->ran). */
	int (*upload_publish_then)(struct store_upload *u,
				   const struct store_key *k,
				   char locator[STORE_LOCATOR_MAX],
				   struct gcommit_job *then);
	/* Optional: the metadata commit's outcome is unknown and the bytes
	 * are kept (upload_close follows); the sweep may ask for them. */
	void (*upload_unsure)(struct store_upload *u);

	/* Read side. */
	int (*open)(struct store_backend *b, const char *locator,
		    uint64_t size, struct store_reader *r);
	ssize_t (*read)(struct store_reader *r, uint64_t off, void *buf,
			size_t len);
	void (*close)(struct store_reader *r);
	int (*remove)(struct store_backend *b, const char *locator);

	/* Orphans: removes everything upload k could have written. */
	int (*sweep_remove)(struct store_backend *b, const struct store_key *k,
			    unsigned *removed);
	/* Optional: every upload whose intent's heartbeat was older than
	 * before_ms (wall clock) is resolved; see store_sweep_settled. */
	void (*sweep_settled)(struct store_backend *b, int64_t before_ms);
	/* Optional: objects written without an intent that the sweep must
	 * resolve against the metadata; see store_orphan_candidates. */
	size_t (*orphan_candidates)(struct store_backend *b,
				    struct store_candidate *out, size_t max);
	int (*orphan_resolved)(struct store_backend *b,
			       const struct store_candidate *c, bool committed,
			       unsigned *removed);

	/* Operations. */
	int (*check)(struct store_backend *b, char *why, size_t len);
	void (*describe)(struct store_backend *b, char *out, size_t len);
	void (*metrics)(struct store_backend *b, FILE *f);
	void (*destroy)(struct store_backend *b);
};

/* Every backend's state starts with this. */
struct store_backend {
	const struct store_ops *ops;
	/* Names this backend's namespace in Redis (the in-flight registry
	 * and the sweep's keys): instances that share it share the bytes. */
	char id[STORE_ID_MAX];
	/* Where the log points an operator: a directory, a pool. */
	char where[STORE_ID_MAX];
};

/* Opens the handle of the upload with this token (its names may not be
 * known yet: multipart fields come in any order). Returns 0 with *out set,
 * or -errno with nothing left behind. Connection thread. */
int store_upload_open(struct store_backend *b, const char *token,
		      struct store_upload **out);

/* Tells the backend the upload's names before its first byte (when the
 * form gave them before the file). Connection thread. */
void store_upload_names(struct store_upload *u, const struct store_key *k);

/* After finish, before publish: true when the upload's intent must be in
 * Redis before publish (what it wrote may be found after a crash only by
 * its token), false when the backend keeps its names with its bytes.
 * Connection thread. */
bool store_upload_needs_intent(struct store_upload *u);

/* Hands len bytes to the backend. Returns 0 or -errno. Writer thread. */
int store_upload_write(struct store_upload *u, const void *data, size_t len);

/* Every byte was handed over. Returns 0 or -errno. Writer thread. */
int store_upload_finish(struct store_upload *u);

/* After finish: makes the bytes durable and readable under the locator
 * for key k (same token as the open), written to locator, never replacing
 * anything. Returns 0 or -errno; on failure nothing is reachable.
 * Connection thread. */
int store_upload_publish(struct store_upload *u, const struct store_key *k,
			 char locator[STORE_LOCATOR_MAX]);

/* store_upload_publish, and when the backend makes this upload durable
 * with others in one flush (a segment record: segstore.h), then->run is
 * called once for the whole group right after that flush, before anyone
 * is answered: uploadd sends the group's metadata commits to Redis in one
 * round trip that way. then->ran says whether it ran (else the caller
 * commits on its own). then->ran must be false on entry. Connection
 * thread. */
int store_upload_publish_then(struct store_upload *u, const struct store_key *k,
			      char locator[STORE_LOCATOR_MAX],
			      struct gcommit_job *then);

/* Removes everything written (published or not) and frees u. Returns 0,
 * or -errno when something may remain (the sweep removes it later, so
 * the caller must then keep the upload's intent in Redis). */
int store_upload_abort(struct store_upload *u);

/* After the metadata commit: frees u, keeping the bytes. */
void store_upload_close(struct store_upload *u);

/* Before store_upload_close when the commit's outcome is unknown (Redis
 * went away): the bytes stay, and the sweep may later ask for them by
 * token, which a backend that cannot find bytes by token alone must
 * remember (the small-object store: segstore.h). Connection thread. */
void store_upload_unsure(struct store_upload *u);

/* Opens the object a locator names, whose metadata says it holds size
 * bytes. Returns 0 with r filled (close it with store_close), -ENOENT when
 * it is missing, or -errno. */
int store_open(struct store_backend *b, const char *locator, uint64_t size,
	       struct store_reader *r);

/* Reads up to len bytes at off. Returns the count (0 only at the end) or
 * -errno. */
ssize_t store_read(struct store_reader *r, uint64_t off, void *buf,
		   size_t len);

/* Closes r (and its fd unless the caller took it: set r->fd = -1). */
void store_close(struct store_reader *r);

/* Removes a published object (a commit Redis refused). Returns 0 or
 * -errno. */
int store_remove(struct store_backend *b, const char *locator);

/* Removes what upload k may have written (its filename and version are
 * "" when they never reached Redis); *removed counts the objects
 * removed. Returns 0 (nothing left, also when nothing was there) or
 * -errno (try again later). Sweep thread. */
int store_sweep_remove(struct store_backend *b, const struct store_key *k,
		       unsigned *removed);

/* A sweep ended with every upload whose intent's heartbeat was older than
 * before_ms (wall clock) resolved: committed, or its bytes removed. A
 * backend may forget what it kept to find such uploads' bytes. Sweep
 * thread. */
void store_sweep_settled(struct store_backend *b, int64_t before_ms);

/* The sweep's part for uploads without an intent: writes to out (at most
 * max) the objects it must resolve against the metadata. Returns how
 * many (0 for backends that keep none). Sweep thread. */
size_t store_orphan_candidates(struct store_backend *b,
			       struct store_candidate *out, size_t max);

/* Redis said whether c was committed (its metadata carries c's token) or
 * can never be (a tombstone now refuses its commit): the backend forgets
 * it, removing it unless committed; *removed counts what went. Returns 0
 * or -errno (then it is offered again). Sweep thread. */
int store_orphan_resolved(struct store_backend *b,
			  const struct store_candidate *c, bool committed,
			  unsigned *removed);

/* Returns 0 when the backend takes writes right now, else -errno with a
 * one-line reason in why. Any thread (/healthz). */
int store_check(struct store_backend *b, char *why, size_t len);

/* One line saying what the backend is ("local /srv/uploads"). */
void store_describe(struct store_backend *b, char *out, size_t len);

/* Writes the backend's own Prometheus series to f. */
void store_metrics(struct store_backend *b, FILE *f);

/* Frees the backend. Start-up or shutdown only. */
void store_destroy(struct store_backend *b);

/* Writes the locator both backends use for key k: hex(SHA-256(filename
 * NUL version)) "." token (never derived from the client's names as a
 * path; fixed length; contains the token). Returns 0 or -ENOMEM. */
int store_locator(const struct store_key *k, char out[STORE_LOCATOR_MAX]);

/* True when s has the shape store_locator() produces, or is a segment
 * record's locator ("seg-NNNNNNNN:OFF:LEN", segstore.h). Pure. */
bool store_valid_locator(const char *s);

#endif
