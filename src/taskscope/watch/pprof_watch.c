/* The off-CPU profile of `taskscope watch --pprof` (see pprof_watch.h).
 * `go tool pprof -top` then ranks functions by time blocked, `-traces`
 * lists each wait with its stack, and `-tagfocus wait=mutex` (or
 * thread=up-hash) narrows to one kind of wait or one thread. */
#include "taskscope/watch/pprof_watch.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "taskscope/go/go_watch.h"
#include "threadview/describe.h"

struct ts_pprof *ts_pprof_watch_new(pid_t pid)
{
	static const char *const types[] = { "blocked", "nanoseconds",
					     "waits", "count" };
	struct ts_pprof *p = ts_pprof_new(types, 2);
	char link[64], exe[4096];
	ssize_t n;

	if (!p)
		return NULL;
	/* pprof takes the first mapping for the program: make it so. */
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		if (ts_pprof_main_module(p, exe)) {
			ts_pprof_free(p);
			errno = ENOMEM;
			return NULL;
		}
	}
	return p;
}

int ts_pprof_watch_add(struct ts_pprof *p, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	struct ts_pprof_label l[7];
	int64_t values[2];
	size_t n = 0;

	if (ev->type != TS_WEV_WAIT)
		return 0;
	values[0] = (int64_t)wev_wait_ns(&ev->wait.w);
	values[1] = 1;
	l[n++] = (struct ts_pprof_label){ .key = "thread", .str = ev->name };
	l[n++] = (struct ts_pprof_label){ .key = "tid", .num = ev->tid };
	l[n++] = (struct ts_pprof_label){ .key = "wait",
					  .str = ts_block_kind_name(v->kind) };
	l[n++] = (struct ts_pprof_label){ .key = "class",
					  .str = wev_class_name(ev->wait.w.cls) };
	l[n++] = (struct ts_pprof_label){ .key = "on", .str = v->what };
	if (ev->wait.w.flags & TS_WAIT_F_WAKER)
		l[n++] = (struct ts_pprof_label){ .key = "woken_by",
						  .str = ev->wait.waker_name };
	if (v->fd_peer[0])
		l[n++] = (struct ts_pprof_label){ .key = "peer",
						  .str = v->fd_peer };
	if (v->nframes > 0)
		return ts_pprof_sample(p, v->frames, v->nframes, values, l, n);
	return ts_pprof_sample(p, &ts_pprof_no_stack, 1, values, l, n);
}

int ts_pprof_watch_add_go(struct ts_pprof *p, const char *exe,
			  const struct ts_go_event *ev)
{
	struct ts_frame fr[2] = {
		{ .pc = ev->startpc, .function = ev->start_function, .module = exe },
		{ .pc = ev->gopc, .function = ev->go_stmt.function, .module = exe,
		  .file = ev->go_stmt.file, .line = ev->go_stmt.line },
	};
	struct ts_pprof_label l[3];
	int64_t values[2];
	size_t n = 0;

	if (ev->type != TS_GEV_WAIT)
		return 0;
	values[0] = (int64_t)ev->dur_ns;
	values[1] = 1;
	l[n++] = (struct ts_pprof_label){ .key = "goroutine", .num = ev->goid };
	l[n++] = (struct ts_pprof_label){ .key = "wait",
					  .str = ev->reason ? ev->reason : "?" };
	if (ev->other_goid)
		l[n++] = (struct ts_pprof_label){ .key = "woken_by_goroutine",
						  .num = ev->other_goid };
	return ts_pprof_sample(p, fr, ev->go_stmt.function ? 2 : 1, values, l, n);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int ts_pprof_watch_write(struct ts_pprof *p, const char *path, pid_t pid,
			 const char *comm, uint64_t start_mono_ns,
			 uint64_t min_block_ns)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC), real = clock_ns(CLOCK_REALTIME);
	uint64_t dur = mono > start_mono_ns ? mono - start_mono_ns : 0;
	char comment[160], d[32];
	int err;

	ts_pprof_set_time(p, (int64_t)(real - dur), (int64_t)dur);
	snprintf(comment, sizeof(comment), "taskscope watch of %d \"%s\": "
		 "waits of at least %s", pid, comm,
		 ts_format_duration(min_block_ns, d, sizeof(d)));
	err = ts_pprof_comment(p, comment);
	return err ? err : ts_pprof_write(p, path);
}
