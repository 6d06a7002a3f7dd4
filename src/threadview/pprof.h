/* Writing pprof profiles (the gzipped protobuf `go tool pprof` reads):
 * a builder that collects samples, each a symbolized stack (struct
 * ts_frame, innermost first) with one value per sample type and labels,
 * and interns what they share (strings, functions, locations, mappings).
 * ts_pprof_write() serializes it with protobuf-c (src/threadview/pprof.proto),
 * gzips it with zlib and writes the file atomically.
 *
 * Used by `taskscope snapshot --pprof` (pprof_snapshot.c: a goroutine-style
 * profile, one sample per thread) and `taskscope watch --pprof` (an off-CPU
 * profile). Not thread-safe: one builder per thread. */
#ifndef THREADVIEW_PPROF_H
#define THREADVIEW_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "threadview/snapshot_model.h"

struct ts_pprof;

/* A sample label: a string (str != NULL) or a number with an optional
 * unit ("nanoseconds", "bytes"). The strings are copied. */
struct ts_pprof_label {
	const char *key;
	const char *str;
	int64_t num;
	const char *unit;
};

/* A frame that stands for a stack that could not be captured, so the
 * sample still counts (pprof needs a location to show one). */
extern const struct ts_frame ts_pprof_no_stack;

/* Creates an empty profile whose samples carry ntypes values, described by
 * types[2*i] (e.g. "threads", "blocked") and types[2*i+1] (its unit:
 * "count", "nanoseconds"). The first type is also the period type (period
 * 1) and the one pprof shows by default. Returns NULL with errno set (ENOMEM, EINVAL). The caller owns it:
 * ts_pprof_free(). */
struct ts_pprof *ts_pprof_new(const char *const *types, size_t ntypes);

/* Makes path the first mapping, which pprof takes for the main binary.
 * Call before the first sample. Returns 0 or -ENOMEM. */
int ts_pprof_main_module(struct ts_pprof *p, const char *path);

/* Adds a sample: the stack frames[0..nframes) (innermost first; frames
 * without a function become bare addresses), values[0..ntypes) and
 * labels. Nothing is kept pointing into the arguments. Returns 0 or
 * -ENOMEM; after a failure the profile refuses to be written. */
int ts_pprof_sample(struct ts_pprof *p, const struct ts_frame *frames,
		    int nframes, const int64_t *values,
		    const struct ts_pprof_label *labels, size_t nlabels);

/* When the capture started (ns since the epoch) and how long it lasted. */
void ts_pprof_set_time(struct ts_pprof *p, int64_t time_ns,
		       int64_t duration_ns);

/* Adds a free-text comment (`go tool pprof -comments`). Returns 0 or
 * -ENOMEM. */
int ts_pprof_comment(struct ts_pprof *p, const char *text);

/* The number of samples so far. */
size_t ts_pprof_nsamples(const struct ts_pprof *p);

/* Serializes and gzips the profile into a malloc'd buffer (*out, caller
 * frees). Returns 0, -ENOMEM, or -EIO when zlib fails. */
int ts_pprof_encode(const struct ts_pprof *p, unsigned char **out,
		    size_t *len);

/* Encodes the profile and writes it to path atomically (a temp file in
 * the same directory, then rename). Returns 0 or -errno. */
int ts_pprof_write(const struct ts_pprof *p, const char *path);

/* Frees the builder and everything it holds. NULL is a no-op. */
void ts_pprof_free(struct ts_pprof *p);

/* `snapshot --pprof`: a goroutine-style profile of s, one sample of value
 * 1 per thread (sample type threads/count), labelled with the thread's
 * name, tid, state and what it is blocked on (and off-CPU time when
 * known), written to path atomically. Returns 0 or -errno. */
int ts_pprof_snapshot(const struct ts_snapshot *s, const char *path);

#endif
