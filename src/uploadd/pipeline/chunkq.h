/* A bounded fan-out queue of chunks: one producer, up to CHUNKQ_MAX_READERS
 * consumers that each see every chunk, in order.
 *
 * The connection thread copies each piece of the upload once, into a slot
 * buffer; the hash thread and the writer thread both read that same slot,
 * and the slot is reused only when both have released it. So memory per
 * upload is nslots * slot_size whatever the file size, nothing is copied a
 * second time, and the slower consumer paces the producer (back-pressure
 * reaches the client through TCP). Slot buffers are taken on first use, so
 * small uploads touch only one, from a small process-wide free list of
 * recycled buffers (CHUNKQ_SPARE_MAX of them), so a busy server does not
 * map, fault in and unmap a fresh buffer per upload.
 *
 * One mutex and two condition variables; no I/O, so unit tests drive it with
 * plain threads.
 */
#ifndef UPLOADD_CHUNKQ_H
#define UPLOADD_CHUNKQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uploadd/pipeline/sparepool.h"

#define CHUNKQ_MAX_READERS 2
#define CHUNKQ_SPARE_MAX   SPAREPOOL_MAX /* recycled slot buffers kept, process-wide */

struct chunkq_slot {
	char *buf;  /* slot_size bytes, allocated on first use */
	size_t len; /* bytes published in it */
};

struct chunkq {
	pthread_mutex_t lock;
	pthread_cond_t space;  /* producer waits here for a free slot */
	pthread_cond_t data;   /* readers wait here for a chunk */
	struct chunkq_slot *slots;
	unsigned nslots;
	unsigned nreaders;
	size_t slot_size;
	uint64_t head;                      /* chunks published so far */
	uint64_t tail[CHUNKQ_MAX_READERS];  /* chunks each reader released */
	bool filling;  /* the producer holds slot head % nslots */
	bool closed;   /* no more chunks will come */
	int error;     /* 0, or the -errno the queue was aborted with */
};

/* Sets up q with nslots slots of slot_size bytes for nreaders readers
 * (1..CHUNKQ_MAX_READERS). Returns 0 or -errno. */
int chunkq_init(struct chunkq *q, unsigned nslots, size_t slot_size,
		unsigned nreaders);

/* Returns the slot buffers to the free list (or frees them beyond
 * CHUNKQ_SPARE_MAX or when their size differs) and frees the slots. No
 * thread may use q any more. */
void chunkq_destroy(struct chunkq *q);

/* Producer: returns the buffer of the next free slot (slot_size bytes),
 * waiting until every reader released it. Calling it again before
 * chunkq_publish() returns the same buffer. Returns NULL with errno set when
 * the queue was aborted (errno = the abort reason) or memory ran out. */
char *chunkq_acquire(struct chunkq *q);

/* Producer: makes the acquired slot, holding len bytes, visible to every
 * reader. */
void chunkq_publish(struct chunkq *q, size_t len);

/* Producer: no more chunks; readers see the end after the last one. */
void chunkq_close(struct chunkq *q);

/* Any thread: stops the queue with error (a -errno, e.g. -ECANCELED or a
 * writer's -ENOSPC). Everyone blocked wakes; the first error is kept. */
void chunkq_abort(struct chunkq *q, int error);

/* Frees the recycled buffers kept by the free list (at exit). */
void chunkq_release_spares(void);

/* The error the queue was aborted with, or 0. */
int chunkq_error(struct chunkq *q);

/* Reader r: waits for its next chunk. Returns 1 with *data and *len set (valid
 * until chunkq_release), 0 at the end of a closed queue, or the abort
 * error. */
int chunkq_next(struct chunkq *q, unsigned r, const char **data, size_t *len);

/* Reader r: done with the chunk chunkq_next() gave it. */
void chunkq_release(struct chunkq *q, unsigned r);

#endif
