/* The snapshot's output formats, one file each: text (output_text.c, like
 * Go's goroutine dump), JSON (output_json.c, schema in
 * docs/taskscope-snapshot.md) and folded stacks (output_folded.c, for flame
 * graphs). They only format a finished struct ts_snapshot to a stream: no
 * other I/O, so unit tests run them on hand-built snapshots. */
#ifndef THREADVIEW_OUTPUT_H
#define THREADVIEW_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "threadview/snapshot_model.h"

struct ts_output_opts {
	bool kernel_stacks;       /* print kernel stacks too */
	const char *strip_prefix; /* directory to drop from source file names */
	const char *version;      /* taskscope version for JSON */
};

/* Each returns 0, or -EIO when writing to f failed. */
int ts_output_text(FILE *f, const struct ts_snapshot *s,
		   const struct ts_output_opts *o);
int ts_output_json(FILE *f, const struct ts_snapshot *s,
		   const struct ts_output_opts *o);
int ts_output_folded(FILE *f, const struct ts_snapshot *s,
		     const struct ts_output_opts *o);

struct json_writer;

/* Writes "kernel": {"release": ..., "bpf_features": {name: bool, ...}}
 * into the current JSON object, or "kernel": null when release is NULL
 * (the in-process dump). Shared by the snapshot and watch's summary. */
void ts_kernel_json(struct json_writer *w, const char *release,
		    const struct ts_kernel_feature *f, size_t n);

#endif
