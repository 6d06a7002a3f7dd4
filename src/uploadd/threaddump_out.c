/* The in-process dump as text and as JSON (see threaddump.h).
 *
 * JSON: the schema of `taskscope snapshot --json` (taskscope.snapshot/1,
 * docs/taskscope-snapshot.md), field for field, with "source": "uploadd".
 * Fields only the kernel can fill are null: off_cpu_ns, blocked_on,
 * load_ms, wait_for, deadlocks. Text: Go's goroutine dump layout, with
 * the frame wording of taskscope's text output (describe.c). */
#include "uploadd/threaddump.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "common/json.h"
#include "taskscope/describe.h"
#include "taskscope/syscalls.h"
#include "version.h"

#define TD_SCHEMA "taskscope.snapshot/1"

static const char *stack_status_name(enum ts_stack_status st)
{
	switch (st) {
	case TS_STACK_COMPLETE: return "complete";
	case TS_STACK_TRUNCATED: return "truncated";
	case TS_STACK_STALE: return "stale";
	case TS_STACK_UNAVAILABLE: return "unavailable";
	}
	return "unknown";
}

static void when_utc(uint64_t real_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(real_ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void json_frames(struct json_writer *w, const struct ts_thread *t,
			const char *strip)
{
	int i;

	json_array_begin(w);
	for (i = 0; i < t->nframes; i++) {
		const struct ts_frame *f = &t->frames[i];
		const char *file = ts_strip_dir(f->file, strip);

		json_object_begin(w);
		json_kv_hex(w, "pc", f->pc);
		json_key(w, "function");
		f->function ? json_string(w, f->function) : json_null(w);
		json_kv_uint(w, "offset", f->offset);
		json_key(w, "module");
		f->module ? json_string(w, f->module) : json_null(w);
		json_key(w, "file");
		file && f->line ? json_string(w, file) : json_null(w);
		json_key(w, "line");
		f->line ? json_int(w, f->line) : json_null(w);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_syscall(struct json_writer *w, const struct ts_thread *t)
{
	const char *name = ts_syscall_name(t->syscall_nr);
	int i;

	json_key(w, "syscall");
	if (t->syscall_nr < 0) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_int(w, "nr", t->syscall_nr);
	json_key(w, "name");
	name ? json_string(w, name) : json_null(w);
	json_key(w, "args");
	json_array_begin(w);
	for (i = 0; i < 6; i++)
		json_hex(w, t->args[i]);
	json_array_end(w);
	json_object_end(w);
}

static void json_thread(struct json_writer *w, const struct ts_thread *t,
			const char *strip)
{
	json_object_begin(w);
	json_kv_int(w, "tid", t->tid);
	json_kv_int(w, "pid", t->pid);
	json_kv_string(w, "name", t->name);
	json_kv_string(w, "state", ts_state_name(t->state));
	json_kv_int(w, "cpu", t->cpu);
	json_kv_uint(w, "cpu_ns", t->cpu_ns);
	json_key(w, "off_cpu_ns");
	json_null(w);                /* the scheduler's, not ours */
	json_syscall(w, t);
	json_key(w, "blocked_on");
	json_null(w);                /* lock owners, peers: kernel only */
	json_key(w, "stack");
	json_frames(w, t, strip);
	json_kv_bool(w, "stack_complete", t->stack_status == TS_STACK_COMPLETE);
	json_kv_string(w, "stack_status", stack_status_name(t->stack_status));
	json_key(w, "stack_note");
	t->stack_note ? json_string(w, t->stack_note) : json_null(w);
	json_object_end(w);
}

int threaddump_json(FILE *f, const struct ts_snapshot *s)
{
	struct json_writer w;
	char when[32], cwd[4096];
	const char *strip = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
	size_t i;

	when_utc(s->taken_real_ns, when, sizeof(when));
	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "schema", TD_SCHEMA);
	json_kv_string(&w, "source", "uploadd");
	json_kv_string(&w, "version", TS_VERSION);
	json_kv_int(&w, "pid", s->pid);
	json_kv_string(&w, "comm", s->comm);
	json_kv_string(&w, "taken_at", when);
	json_kv_uint(&w, "taken_mono_ns", s->taken_mono_ns);
	json_key(&w, "load_ms");
	json_null(&w);               /* nothing to load in process */
	json_kv_double(&w, "collect_ms", s->collect_ms);
	json_kv_double(&w, "unwind_ms", s->unwind_ms);
	json_kv_bool(&w, "target_exited", false);
	json_key(&w, "threads");
	json_array_begin(&w);
	for (i = 0; i < s->nthreads; i++)
		json_thread(&w, &s->threads[i], strip);
	json_array_end(&w);
	json_key(&w, "wait_for");
	json_null(&w);
	json_key(&w, "deadlocks");
	json_null(&w);
	json_object_end(&w);
	json_end_document(&w);
	return ferror(f) ? -EIO : 0;
}

/* "sleeping in futex", "running", "uninterruptible in fdatasync". */
static void describe_state(const struct ts_thread *t, char *buf, size_t len)
{
	const char *sc = ts_syscall_name(t->syscall_nr);

	if (t->exited)
		snprintf(buf, len, "exited");
	else if (t->syscall_nr >= 0 && sc)
		snprintf(buf, len, "%s in %s", ts_state_name(t->state), sc);
	else if (t->syscall_nr >= 0)
		snprintf(buf, len, "%s in syscall %d", ts_state_name(t->state),
			 t->syscall_nr);
	else
		snprintf(buf, len, "%s", ts_state_name(t->state));
}

int threaddump_text(FILE *f, const struct ts_snapshot *s)
{
	char when[32], cwd[4096], what[96], line[768];
	const char *strip = getcwd(cwd, sizeof(cwd)) ? cwd : NULL;
	size_t i;
	int j;

	when_utc(s->taken_real_ns, when, sizeof(when));
	fprintf(f, "uploadd %d in-process thread dump at %s: %zu threads\n"
		"(stacks recorded by each thread in a signal handler; what a "
		"thread waits on\nand for how long only the kernel knows: "
		"taskscope snapshot -p %d)\n\n", s->pid, when, s->nthreads,
		s->pid);
	for (i = 0; i < s->nthreads; i++) {
		const struct ts_thread *t = &s->threads[i];

		describe_state(t, what, sizeof(what));
		fprintf(f, "thread %d \"%s\" [%s]:\n", t->tid, t->name, what);
		for (j = 0; j < t->nframes; j++)
			fprintf(f, "    %s\n", ts_describe_frame(&t->frames[j],
								 strip, line,
								 sizeof(line)));
		if (t->stack_status != TS_STACK_COMPLETE && t->stack_note)
			fprintf(f, "    ... (%s)\n", t->stack_note);
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}
