/* Goroutine writers (see goroutine.h). The text reads like Go's own
 * /debug/pprof/goroutine?debug=2 dump, so the two can be diffed:
 *
 *   goroutine 19 [semacquire, 2 minutes]:
 *   sync.(*Mutex).lockSlow(...)
 *   	/usr/lib/go-1.19/src/sync/mutex.go:171 +0x165
 *   created by main.main
 *   	/src/main.go:166 +0x445
 *
 * Like Go, text hides the runtime's unexported frames (runtime.gopark and
 * friends); JSON and folded keep every frame. What Go's dump does not say
 * (what it waits on, its thread) follows the header on a line of its own
 * starting with "#". */
#include "threadview/goroutine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "threadview/describe.h"

const char *ts_go_state_name(unsigned int status)
{
	switch (status) {
	case 0: return "idle";
	case 1: return "runnable";
	case 2: return "running";
	case 3: return "syscall";
	case 4: return "waiting";
	case 5: return "moribund";
	case 6: return "dead";
	case 7: return "enqueue";
	case 8: return "copystack";
	case 9: return "preempted";
	}
	return "unknown";
}

char *ts_go_header(const struct ts_goroutine *g, char *buf, size_t len)
{
	const char *what = g->status == 4 && g->reason && g->reason[0] ?
			   g->reason : g->state;
	char dur[32] = "";
	int64_t min;

	if (g->wait_ns >= 60000000000ll) {
		min = g->wait_ns / 60000000000ll;
		snprintf(dur, sizeof(dur), ", %" PRId64 " minute%s", min,
			 min == 1 ? "" : "s");
	} else if (g->wait_ns > 0) {
		dur[0] = ',';
		dur[1] = ' ';
		ts_format_duration(g->wait_ns, dur + 2, sizeof(dur) - 2);
	}
	snprintf(buf, len, "goroutine %" PRId64 " [%s%s%s]", g->goid,
		 what ? what : "?", dur, g->locked ? ", locked to thread" : "");
	return buf;
}

/* Go's rule (runtime.showfuncinfo): runtime frames are hidden unless
 * exported (runtime.Gosched). */
static bool go_hides(const char *fn)
{
	if (!fn || strncmp(fn, "runtime.", 8))
		return false;
	return !(fn[8] >= 'A' && fn[8] <= 'Z');
}

static const char *strip(const char *file, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (file && n && !strncmp(file, prefix, n) && file[n] == '/')
		return file + n + 1;
	return file;
}

static void text_wait(FILE *f, const struct ts_goroutine *g)
{
	bool any = false;

	switch (g->wait.kind) {
	case TS_GOWAIT_CHAN:
		fprintf(f, "# waits on channel 0x%" PRIx64, g->wait.object);
		any = true;
		break;
	case TS_GOWAIT_SELECT:
		fprintf(f, "# waits on %d channel%s, first 0x%" PRIx64,
			g->wait.nobjects, g->wait.nobjects == 1 ? "" : "s",
			g->wait.object);
		any = true;
		break;
	case TS_GOWAIT_SEMA:
		fprintf(f, "# waits on semaphore 0x%" PRIx64, g->wait.object);
		any = true;
		break;
	case TS_GOWAIT_FD:
		fprintf(f, "# waits on fd %d%s%s", g->wait.fd,
			g->wait.fd_desc ? ", " : "",
			g->wait.fd_desc ? g->wait.fd_desc : "");
		any = true;
		break;
	case TS_GOWAIT_SYSCALL:
		fprintf(f, "# in syscall: %s", g->wait.syscall_desc ?
			g->wait.syscall_desc : "(its thread is not known)");
		any = true;
		break;
	case TS_GOWAIT_NONE:
		break;
	}
	if (g->thread) {
		fprintf(f, "%s on thread %d", any ? ";" : "#", g->thread);
		any = true;
	} else if (g->locked_thread) {
		fprintf(f, "%s locked to thread %d", any ? ";" : "#",
			g->locked_thread);
		any = true;
	}
	if (g->changed) {
		fprintf(f, "%s changed while read", any ? ";" : "#");
		any = true;
	}
	if (any)
		fputc('\n', f);
}

static void text_frame(FILE *f, const struct ts_goframe *fr, const char *prefix)
{
	fprintf(f, "%s(...)\n", fr->function ? fr->function : "?");
	if (fr->file && fr->line)
		fprintf(f, "\t%s:%d", strip(fr->file, prefix), fr->line);
	else
		fprintf(f, "\t?");
	if (!fr->inlined && fr->pc)
		fprintf(f, " +0x%" PRIx64, fr->offset);
	fputc('\n', f);
}

static void text_goroutine(FILE *f, const struct ts_goroutine *g,
			   const char *prefix)
{
	char head[192];
	int i, shown = 0;

	fprintf(f, "%s:\n", ts_go_header(g, head, sizeof(head)));
	text_wait(f, g);
	for (i = 0; i < g->nframes; i++) {
		if (go_hides(g->frames[i].function))
			continue;
		/* Go elides the `go f(x)` wrapper closure too. */
		if (i == g->nframes - 1 && g->start_wrapper &&
		    g->frames[i].function &&
		    !strcmp(g->frames[i].function, g->start_wrapper))
			continue;
		text_frame(f, &g->frames[i], prefix);
		shown++;
	}
	if (g->nframes == 0 || g->stack_status != TS_STACK_COMPLETE)
		fprintf(f, "%s\n", g->stack_note ? g->stack_note :
			"stack unavailable");
	else if (!shown && g->nframes)  /* all runtime: show them anyway */
		for (i = 0; i < g->nframes; i++)
			text_frame(f, &g->frames[i], prefix);
	/* As Go: not for goroutine 1, nor when the creator is the runtime. */
	if (g->created_by.function && g->goid != 1 &&
	    !go_hides(g->created_by.function)) {
		if (g->parent_goid > 0)
			fprintf(f, "created by %s in goroutine %" PRId64 "\n",
				g->created_by.function, g->parent_goid);
		else
			fprintf(f, "created by %s\n", g->created_by.function);
		if (g->created_by.file)
			fprintf(f, "\t%s:%d +0x%" PRIx64 "\n",
				strip(g->created_by.file, prefix),
				g->created_by.line, g->created_by.offset);
	}
	fputc('\n', f);
}

int ts_go_output_text(FILE *f, const struct ts_go_view *v,
		      const char *strip_prefix)
{
	size_t i, nsys = 0;

	for (i = 0; i < v->n; i++)
		nsys += v->gs[i].system;
	fprintf(f, "%zu goroutines, %s (%zu of the runtime's own not shown, "
		"as in Go's dump; --json lists them); %zu changed while read\n\n",
		v->n, v->version, nsys, v->nchanged);
	for (i = 0; i < v->n; i++)
		if (!v->gs[i].system)
			text_goroutine(f, &v->gs[i], strip_prefix);
	return ferror(f) ? -EIO : 0;
}

static void json_goframes(struct json_writer *w, const struct ts_goframe *fr,
			  int n, const char *prefix)
{
	int i;

	json_array_begin(w);
	for (i = 0; i < n; i++) {
		json_object_begin(w);
		json_key(w, "pc");
		fr[i].pc ? json_hex(w, fr[i].pc) : json_null(w);
		json_key(w, "function");
		fr[i].function ? json_string(w, fr[i].function) : json_null(w);
		json_kv_uint(w, "offset", fr[i].offset);
		json_key(w, "file");
		fr[i].file ? json_string(w, strip(fr[i].file, prefix)) : json_null(w);
		json_key(w, "line");
		fr[i].line ? json_int(w, fr[i].line) : json_null(w);
		json_kv_bool(w, "inlined", fr[i].inlined);
		json_object_end(w);
	}
	json_array_end(w);
}

static const char *wait_kind_name(enum ts_gowait_kind k)
{
	switch (k) {
	case TS_GOWAIT_CHAN: return "channel";
	case TS_GOWAIT_SELECT: return "select";
	case TS_GOWAIT_SEMA: return "semaphore";
	case TS_GOWAIT_FD: return "fd";
	case TS_GOWAIT_SYSCALL: return "syscall";
	case TS_GOWAIT_NONE: break;
	}
	return NULL;
}

static void json_goroutine(struct json_writer *w, const struct ts_goroutine *g,
			   const char *prefix)
{
	json_object_begin(w);
	json_kv_int(w, "goid", g->goid);
	json_kv_hex(w, "g", g->addr);
	json_kv_string(w, "status", g->state);
	json_key(w, "wait_reason");
	g->reason && g->reason[0] ? json_string(w, g->reason) : json_null(w);
	json_key(w, "wait_ns");
	g->wait_ns >= 0 ? json_int(w, g->wait_ns) : json_null(w);
	/* waitsince is set by the first GC that sees the goroutine waiting:
	 * the wait is at least this long. */
	json_key(w, "wait_is");
	g->wait_ns >= 0 ? json_string(w, "lower bound") : json_string(w, "unknown");
	json_kv_bool(w, "locked_to_thread", g->locked);
	json_key(w, "thread");
	g->thread ? json_int(w, g->thread) : json_null(w);
	json_key(w, "locked_thread");
	g->locked_thread ? json_int(w, g->locked_thread) : json_null(w);
	json_key(w, "waits_on");
	if (g->wait.kind == TS_GOWAIT_NONE) {
		json_null(w);
	} else {
		json_object_begin(w);
		json_kv_string(w, "kind", wait_kind_name(g->wait.kind));
		json_key(w, "object");
		g->wait.object ? json_hex(w, g->wait.object) : json_null(w);
		json_key(w, "fd");
		g->wait.fd >= 0 ? json_int(w, g->wait.fd) : json_null(w);
		json_key(w, "fd_desc");
		g->wait.fd_desc ? json_string(w, g->wait.fd_desc) : json_null(w);
		json_key(w, "syscall");
		g->wait.syscall_desc ? json_string(w, g->wait.syscall_desc)
				     : json_null(w);
		json_object_end(w);
	}
	json_key(w, "start_function");
	g->start_function ? json_string(w, g->start_function) : json_null(w);
	json_key(w, "start_wrapper");
	g->start_wrapper ? json_string(w, g->start_wrapper) : json_null(w);
	json_key(w, "created_by");
	if (g->created_by.function) {
		json_object_begin(w);
		json_kv_string(w, "function", g->created_by.function);
		json_key(w, "file");
		g->created_by.file ? json_string(w, strip(g->created_by.file, prefix))
				   : json_null(w);
		json_key(w, "line");
		g->created_by.line ? json_int(w, g->created_by.line) : json_null(w);
		json_key(w, "goroutine");
		g->parent_goid > 0 ? json_int(w, g->parent_goid) : json_null(w);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_key(w, "stack");
	json_goframes(w, g->frames, g->nframes, prefix);
	json_kv_string(w, "stack_status",
		       g->stack_status == TS_STACK_COMPLETE ? "complete" :
		       g->stack_status == TS_STACK_TRUNCATED ? "truncated" :
		       g->stack_status == TS_STACK_STALE ? "stale" : "unavailable");
	json_key(w, "stack_note");
	g->stack_note ? json_string(w, g->stack_note) : json_null(w);
	json_kv_bool(w, "changed_while_read", g->changed);
	json_kv_bool(w, "system", g->system);
	json_object_end(w);
}

void ts_go_output_json(struct json_writer *w, const struct ts_go_view *v,
		       const char *strip_prefix)
{
	size_t i;

	json_object_begin(w);
	json_kv_string(w, "version", v->version);
	json_key(w, "binary");
	v->binary ? json_string(w, v->binary) : json_null(w);
	json_kv_uint(w, "allglen", v->allglen);
	json_kv_uint(w, "changed_while_read", v->nchanged);
	json_kv_int(w, "passes", v->passes);
	json_kv_double(w, "read_ms", v->read_ms);
	json_key(w, "read_with");
	v->how ? json_string(w, v->how) : json_null(w);
	json_key(w, "goroutines");
	json_array_begin(w);
	for (i = 0; i < v->n; i++)
		json_goroutine(w, &v->gs[i], strip_prefix);
	json_array_end(w);
	json_object_end(w);
}

/* Folded stacks: "comm;goroutine;outer;...;inner;[reason] count", the
 * outermost frame first, identical stacks merged with their count. */
static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *fold_goroutine(const char *comm, const struct ts_goroutine *g)
{
	const char *what = g->status == 4 && g->reason ? g->reason : g->state;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int j;

	if (!m)
		return NULL;
	fprintf(m, "%s;goroutine", comm);
	for (j = g->nframes - 1; j >= 0; j--)
		fprintf(m, ";%s", g->frames[j].function ? g->frames[j].function : "?");
	fprintf(m, ";[%s]", what ? what : "?");
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int ts_go_output_folded(FILE *f, const char *comm, const struct ts_go_view *v)
{
	char **lines = calloc(v->n ? v->n : 1, sizeof(*lines));
	size_t i, j, n = 0;
	int err = 0;

	if (!lines)
		return -ENOMEM;
	for (i = 0; i < v->n; i++) {
		lines[n] = fold_goroutine(comm, &v->gs[i]);
		if (!lines[n]) {
			err = -ENOMEM;
			goto out;
		}
		n++;
	}
	qsort(lines, n, sizeof(*lines), cmp_line);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && !strcmp(lines[i], lines[j]); j++)
			;
		fprintf(f, "%s %zu\n", lines[i], j - i);
	}
	if (ferror(f))
		err = -EIO;
out:
	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
	return err;
}

static int cmp_goid(const void *k, const void *e)
{
	int64_t a = *(const int64_t *)k, b = ((const struct ts_goroutine *)e)->goid;

	return a < b ? -1 : a > b;
}

const struct ts_goroutine *ts_go_find(const struct ts_go_view *v, int64_t goid)
{
	return v->n ? bsearch(&goid, v->gs, v->n, sizeof(*v->gs), cmp_goid) : NULL;
}

void ts_go_view_free(struct ts_go_view *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		free(v->gs[i].frames);
		free(v->gs[i].wait.fd_desc);
		free(v->gs[i].wait.syscall_desc);
	}
	free(v->gs);
	v->gs = NULL;
	v->n = 0;
}
