/* One upload's pipeline: the connection thread copies each piece of the
 * file once into a chunk queue; a hash thread ("up-hash", SHA-256 with
 * OpenSSL EVP) and a writer thread ("up-write", the upload's file in the
 * storage backend: store/backend.h) consume every chunk in parallel.
 *
 * Both threads are created for this upload and named, on purpose: they are
 * what taskscope observes. They start with the first full chunk, or at the
 * end for a file smaller than one: a small upload's threads then find all
 * of its data and the end of the queue at once and run straight through,
 * instead of each sleeping on the queue until the data, then the end,
 * wakes it. Memory is bounded by the queue (PIPELINE_SLOTS x
 * PIPELINE_CHUNK), whatever the file size.
 *
 * The writer issues the backend's writes (the local directory's write(2)s
 * and fdatasync, RADOS's pipelined aio writes), so the connection thread
 * never waits for storage while the body arrives. Both threads run on
 * stacks recycled between uploads (stackpool.h).
 *
 * Life cycle, all calls from the upload's connection thread:
 * pipeline_start -> pipeline_write* -> pipeline_finish -> pipeline_commit
 * -> pipeline_keep (once the metadata is in Redis), and pipeline_destroy
 * (idempotent) always at the end: on a failure or a client abort it stops
 * both threads, joins them and removes what the backend wrote.
 */
#ifndef UPLOADD_PIPELINE_H
#define UPLOADD_PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "uploadd/pipeline/chunkq.h"
#include "uploadd/store/backend.h"
#include "uploadd/store/storage.h"

#define PIPELINE_CHUNK (256u * 1024) /* bytes per queue slot */
#define PIPELINE_SLOTS 4u

struct pipeline {
	struct chunkq q;
	struct store_backend *store;  /* not owned */
	struct store_upload *up;      /* the backend's handle until kept */
	pthread_t hash_thread, write_thread;
	void *hash_stack, *write_stack; /* stackpool.h, until joined */
	bool hash_started, write_started;
	bool finished;                /* threads joined */
	EVP_MD_CTX *md;
	unsigned char digest[32];
	uint64_t written;             /* bytes the writer wrote */
	int write_err;                /* writer's -errno, 0 if fine */
	char *fill;                   /* slot being filled, NULL if none */
	size_t fill_len;
};

/* Prepares the pipeline process-wide state (OpenSSL digest fetch). Returns
 * 0 or -errno. Start-up, before any upload. */
int pipeline_global_init(void);

/* Releases what pipeline_global_init() took, and recycled buffers. */
void pipeline_global_cleanup(void);

/* Opens the backend's upload handle for token; the threads start with
 * the first chunk. Returns 0 or -errno; on failure nothing is left
 * behind. p may be zeroed or destroyed before. */
int pipeline_start(struct pipeline *p, struct store_backend *store,
		   const char *token);

/* The upload's names, when known before its first byte (the backend may
 * keep them with the bytes: store_upload_names). Connection thread. */
void pipeline_names(struct pipeline *p, const struct store_key *key);

/* After pipeline_finish: whether the upload's intent must be in Redis
 * before pipeline_commit (store_upload_needs_intent). */
bool pipeline_needs_intent(struct pipeline *p);

/* Copies len bytes into the queue, blocking while it is full (the slower
 * consumer sets the pace). Returns 0, or the writer's -errno when it failed
 * (e.g. -ENOSPC), -ENOMEM, or -EAGAIN when a thread could not start. */
int pipeline_write(struct pipeline *p, const char *data, size_t len);

/* Ends the stream: flushes the last chunk, starts the threads if no chunk
 * did, waits for the hash and the writer (which fdatasyncs), and stores the
 * digest as 64 hex digits in sha256_hex and the byte count in *size.
 * Returns 0, the writer's -errno or -EAGAIN (a thread could not start). The
 * bytes stay until pipeline_keep or pipeline_destroy. */
int pipeline_finish(struct pipeline *p, char sha256_hex[65], uint64_t *size);

/* After pipeline_finish: makes the bytes durable and readable under the
 * locator for key, written to locator (store_upload_publish_then: then,
 * if not NULL, may run with a group's others after their flush). Returns
 * 0 or -errno (the bytes are left for pipeline_destroy to remove). */
int pipeline_commit(struct pipeline *p, const struct store_key *key,
		    char locator[STORE_LOCATOR_MAX], struct gcommit_job *then);

/* The metadata names the bytes, or may (unsure: the commit's outcome is
 * unknown, and the sweep decides later): keep them (pipeline_destroy then
 * only frees). */
void pipeline_keep(struct pipeline *p, bool unsure);

/* Stops and joins the threads if still running, removes what the backend
 * wrote unless kept, frees everything. Returns 0, or -errno when the
 * backend could not remove everything (the orphan sweep will). Safe on a
 * zeroed pipeline (never started), after a failed start, after keep, and
 * twice. */
int pipeline_destroy(struct pipeline *p);

#endif
