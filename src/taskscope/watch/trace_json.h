/* Writes a timeline as Chrome trace-event JSON (the format chrome://tracing
 * and Perfetto open): one track per thread, complete events ("X") for
 * blocked periods, instant events for creation and exit, thread names as
 * metadata. The file is written to a temporary name beside the target and
 * renamed into place by trace_json_commit(), so a reader never sees half a
 * file. Main thread only. */
#ifndef TASKSCOPE_TRACE_JSON_H
#define TASKSCOPE_TRACE_JSON_H

#include <stdint.h>
#include <sys/types.h>

struct trace_json;

/* One "args" entry of an event; a NULL key ends a list. */
struct trace_arg {
	const char *key;
	const char *value;
};

/* Starts a trace for process pid (named name) at path; times are counted
 * from t0_ns. Returns NULL with errno set when the temporary file cannot be
 * created. The caller ends it with trace_json_commit or trace_json_abort. */
struct trace_json *trace_json_open(const char *path, pid_t pid,
				   const char *name, uint64_t t0_ns);

/* Names (or renames) the track of thread tid. */
void trace_json_thread_name(struct trace_json *t, pid_t tid, const char *name);

/* A slice [ts_ns, ts_ns + dur_ns) on tid's track. args may be NULL. */
void trace_json_slice(struct trace_json *t, pid_t tid, const char *name,
		      const char *cat, uint64_t ts_ns, uint64_t dur_ns,
		      const struct trace_arg *args);

/* A thread-scoped instant event at ts_ns. args may be NULL. */
void trace_json_instant(struct trace_json *t, pid_t tid, const char *name,
			uint64_t ts_ns, const struct trace_arg *args);

/* Finishes the document, flushes it to disk and renames it into place.
 * Frees t. Returns 0 or -errno (the temporary file is removed then). */
int trace_json_commit(struct trace_json *t);

/* Removes the temporary file and frees t. NULL is a no-op. */
void trace_json_abort(struct trace_json *t);

#endif
