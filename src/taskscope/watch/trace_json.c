/* Chrome trace-event JSON writer with atomic replace (see trace_json.h). */
#include "taskscope/watch/trace_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"

struct trace_json {
	FILE *f;
	struct json_writer w;
	char *path, *tmp;
	pid_t pid;
	uint64_t t0_ns;
};

static double us(const struct trace_json *t, uint64_t ns)
{
	return ns > t->t0_ns ? (ns - t->t0_ns) / 1e3 : 0;
}

static void event_head(struct trace_json *t, const char *ph, pid_t tid,
		       const char *name)
{
	json_object_begin(&t->w);
	json_kv_string(&t->w, "ph", ph);
	json_kv_int(&t->w, "pid", t->pid);
	json_kv_int(&t->w, "tid", tid);
	json_kv_string(&t->w, "name", name);
}

static void event_args(struct trace_json *t, const struct trace_arg *args)
{
	if (!args)
		return;
	json_key(&t->w, "args");
	json_object_begin(&t->w);
	for (; args->key; args++)
		json_kv_string(&t->w, args->key, args->value ? args->value : "");
	json_object_end(&t->w);
}

struct trace_json *trace_json_open(const char *path, pid_t pid,
				   const char *name, uint64_t t0_ns)
{
	struct trace_json *t = calloc(1, sizeof(*t));
	struct trace_arg a[] = { { "name", name }, { NULL, NULL } };
	int fd, err;

	if (!t)
		return NULL;
	t->path = strdup(path);
	if (!t->path || asprintf(&t->tmp, "%s.XXXXXX", path) < 0) {
		t->tmp = NULL;
		err = ENOMEM;
		goto free_t;
	}
	fd = mkstemp(t->tmp);
	if (fd < 0) {
		err = errno;
		goto free_t;
	}
	fchmod(fd, 0644);       /* mkstemp makes it 0600 */
	t->f = fdopen(fd, "w");
	if (!t->f) {
		err = errno;
		close(fd);
		unlink(t->tmp);
		goto free_t;
	}
	t->pid = pid;
	t->t0_ns = t0_ns;
	json_init(&t->w, t->f, false);
	json_object_begin(&t->w);
	json_kv_string(&t->w, "displayTimeUnit", "ns");
	json_key(&t->w, "traceEvents");
	json_array_begin(&t->w);
	event_head(t, "M", pid, "process_name");
	event_args(t, a);
	json_object_end(&t->w);
	return t;
free_t:
	free(t->tmp);
	free(t->path);
	free(t);
	errno = err;
	return NULL;
}

void trace_json_thread_name(struct trace_json *t, pid_t tid, const char *name)
{
	struct trace_arg a[] = { { "name", name }, { NULL, NULL } };

	event_head(t, "M", tid, "thread_name");
	event_args(t, a);
	json_object_end(&t->w);
}

void trace_json_slice(struct trace_json *t, pid_t tid, const char *name,
		      const char *cat, uint64_t ts_ns, uint64_t dur_ns,
		      const struct trace_arg *args)
{
	event_head(t, "X", tid, name);
	json_kv_string(&t->w, "cat", cat);
	json_kv_double(&t->w, "ts", us(t, ts_ns));
	json_kv_double(&t->w, "dur", dur_ns / 1e3);
	event_args(t, args);
	json_object_end(&t->w);
}

void trace_json_instant(struct trace_json *t, pid_t tid, const char *name,
			uint64_t ts_ns, const struct trace_arg *args)
{
	event_head(t, "i", tid, name);
	json_kv_string(&t->w, "s", "t");
	json_kv_double(&t->w, "ts", us(t, ts_ns));
	event_args(t, args);
	json_object_end(&t->w);
}

static void free_trace(struct trace_json *t)
{
	free(t->tmp);
	free(t->path);
	free(t);
}

int trace_json_commit(struct trace_json *t)
{
	int err = 0;

	json_array_end(&t->w);
	json_object_end(&t->w);
	json_end_document(&t->w);
	if (fflush(t->f) || fsync(fileno(t->f)))
		err = -errno;
	if (fclose(t->f) && !err)
		err = -errno;
	if (!err && rename(t->tmp, t->path))
		err = -errno;
	if (err)
		unlink(t->tmp);
	free_trace(t);
	return err;
}

void trace_json_abort(struct trace_json *t)
{
	if (!t)
		return;
	fclose(t->f);
	unlink(t->tmp);
	free_trace(t);
}
