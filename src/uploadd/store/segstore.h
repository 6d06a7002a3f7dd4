/* The small-object store: small uploads appended to shared segment files,
 * made durable by one fdatasync per group of uploads (group commit), as
 * Haystack and SeaweedFS volumes keep small files. The local backend
 * (local.c) sends files up to --small-file-max here; larger ones stay one
 * file each. docs/STORAGE.md says why, with the measurements.
 *
 * Why: a file of its own costs every small upload an inode, a directory
 * entry and two cache flushes of the disk; on this machine's disk that
 * capped durable 4 KiB uploads near 2,500/s at 16 connections. A record
 * in a segment costs a pwritev into the page cache and a share of one
 * fdatasync that covers every upload which reached the commit point while
 * the previous one ran (groupcommit.h).
 *
 * Layout, in <storage>/segments/:
 *   seg-NNNNNNNN   a segment: SEG_SIZE bytes, zero-filled and fdatasync'ed
 *                  before its first record (by the "up-segprep" thread, one
 *                  segment ahead once the first small upload came), so a
 *                  record's fdatasync writes its data and nothing else: no
 *                  size change, no extent conversion, no inode write. Mode 0640 while it may hold records
 *                  nobody has accounted for, 0440 once sealed (every record
 *                  in it committed or dead).
 * A record starts at a multiple of 64 bytes: a 64-byte header (magic,
 * CRC-32 of the header, flags, payload length, the upload's token, the
 * time it was written) then the payload. A dead record (upload aborted or
 * swept) has the DEAD flag and its payload punched out
 * (FALLOC_FL_PUNCH_HOLE). Locators (the metadata's "path") read
 * "seg-NNNNNNNN:OFFSET:LENGTH" (payload offset and length, decimal).
 *
 * Crash safety. Nothing names a record before the metadata commit, which
 * comes after the group fdatasync that covers the record, so a reader never
 * sees a partial object and a 201 means the bytes are on disk. A record
 * written by an upload that then died is an orphan: the upload registered
 * its intent in Redis before the write (local.c: writes_before_publish),
 * so the orphan sweep (sweep.h) asks for it by token. Tokens are found in
 * memory for records this process kept without knowing whether their
 * commit landed (segstore_resolve(..., true)), and, for segments an earlier
 * run left unsealed, in an index built by scanning them at start-up. Once
 * a sweep has settled every upload older than a record (segstore_settled),
 * the record is forgotten, and a segment no remembered record names is
 * sealed.
 * Segments a process prepared but never wrote to are deleted at start-up;
 * the unused tail of one it was filling is punched out.
 *
 * A failed fdatasync poisons its segment (groupcommit.h): its pending
 * uploads fail and new records go to the next segment.
 *
 * Threads: append from writer threads, commit/resolve/kill/read from
 * connection threads, sweep/settled from the sweep thread; one mutex.
 */
#ifndef UPLOADD_SEGSTORE_H
#define UPLOADD_SEGSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "uploadd/store/groupcommit.h"

#define SEG_SIZE       (16u * 1024 * 1024) /* bytes per segment file */
#define SEG_HEADER     64u                 /* bytes of a record header */
#define SEG_ALIGN      64u                 /* records start at multiples */
#define SEG_OBJECT_MAX (SEG_SIZE / 4)      /* largest record payload */
#define SEG_DIR        "segments"
#define SEG_LOCATOR_MAX 48                 /* with the NUL */
#define SEG_NAMES_MAX  (255 + 1 + 64 + 1)  /* "filename\0version\0" */

struct segstore;
struct segment;

/* Where one record is, held by its upload until resolved or killed. */
struct seg_ref {
	struct segment *seg;  /* NULL when the reference is not held */
	uint32_t no;          /* segment number */
	uint64_t off;         /* payload offset in the segment */
	uint64_t len;         /* payload bytes */
	uint8_t token[16];
	uint16_t names_len;   /* bytes of names, 0 when none */
	char names[SEG_NAMES_MAX];
};

/* A record the sweep must resolve against Redis (segstore_candidates). */
struct seg_candidate {
	char token[33];
	char filename[256];
	char version[65];
};

/* Opens (creating it) <storage>/segments under the directory fd dirfd,
 * indexes the records of segments an earlier run left unsealed, removes
 * segments that never got a record, and starts the up-segprep thread.
 * Returns 0 with *out set or -errno. After privileges are dropped. */
int segstore_open(int dirfd, const char *where, struct segstore **out);

/* Stops the thread, seals what can be sealed, closes everything. */
void segstore_close(struct segstore *ss);

/* Writer thread: appends a record of len bytes (at most SEG_OBJECT_MAX)
 * for the upload with this token (32 hex digits) to the active segment,
 * with the upload's names ("filename\0version\0", names_len bytes) when
 * known: a record with names needs no intent in Redis (the sweep resolves
 * it against the metadata, segstore_candidates); one without needs the
 * upload's intent registered before this call. Returns 0 with r held,
 * or -errno (-EAGAIN: no segment could be prepared; -EIO...). The record
 * is not durable yet. */
int segstore_append(struct segstore *ss, const char *token, const char *names,
		    size_t names_len, const void *data, size_t len,
		    struct seg_ref *r);

/* Reads r's payload (r->len bytes) into buf. Returns 0 or -errno. */
int segstore_read(struct segstore *ss, const struct seg_ref *r, void *buf);

/* Waits for the group fdatasync that covers r; job (or NULL) runs with
 * the group's other jobs after it (groupcommit.h). Returns 0 (durable) or
 * -errno (the segment's flush failed: the record is lost). */
int segstore_commit(struct segstore *ss, struct seg_ref *r,
		    struct gcommit_job *job);

/* The upload is over with its record kept: releases r. unsure: the
 * metadata commit's outcome is unknown, so the sweep may ask for the
 * record by token later. */
void segstore_resolve(struct segstore *ss, struct seg_ref *r, bool unsure);

/* Kills r's record (DEAD flag, payload punched out), durably, and
 * releases r. Returns 0, or -errno when it may survive (the sweep will
 * ask again). */
int segstore_kill(struct segstore *ss, struct seg_ref *r);

/* Writes r's locator ("seg-NNNNNNNN:OFF:LEN") to out. */
void segstore_locator(const struct seg_ref *r, char out[SEG_LOCATOR_MAX]);

/* True when s is a segment locator; fills its parts. Pure. */
bool segstore_parse_locator(const char *s, uint32_t *no, uint64_t *off,
			    uint64_t *len);

/* Read side: opens the record a locator names and checks its header
 * (live, same length as size). Returns an fd of the segment (caller owns)
 * and the payload's offset in *off, or -errno (-ENOENT: no such segment or
 * record). Any thread. */
int segstore_open_record(struct segstore *ss, const char *locator,
			 uint64_t size, uint64_t *off);

/* Kills the record a locator names (a published record whose metadata
 * commit was refused, when its upload handle is gone). Returns 0 or
 * -errno. */
int segstore_remove(struct segstore *ss, const char *locator);

/* Sweep: kills the record an upload with this token left, if this store
 * knows of one; *removed counts it. Returns 0 or -errno. */
int segstore_sweep(struct segstore *ss, const char *token, unsigned *removed);

/* Sweep: writes to out (at most max) the remembered records that carry
 * their names: written without an intent by an earlier run, or kept
 * unsure by this one. Returns how many. */
size_t segstore_candidates(struct segstore *ss, struct seg_candidate *out,
			   size_t max);

/* Sweep: Redis says whether the record of this token was committed (its
 * metadata names it) or can never be (a tombstone now fences a late
 * commit). Forgets it, killing it unless committed; *removed counts a
 * kill. Returns 0 or -errno (then it is offered again). */
int segstore_resolved(struct segstore *ss, const char *token, bool committed,
		      unsigned *removed);

/* Sweep: every upload whose intent's heartbeat was older than before_ms
 * (wall clock) has been resolved (committed, or its bytes removed).
 * Forgets the records written or kept before then (less a margin for the
 * Redis host's clock), and seals the closed segments no remembered record
 * names. */
void segstore_settled(struct segstore *ss, int64_t before_ms);

/* Prometheus series: segments, records, group flushes. */
void segstore_metrics(struct segstore *ss, FILE *f);

#endif
