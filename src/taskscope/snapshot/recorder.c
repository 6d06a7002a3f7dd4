/* Reading watch's flight recorder for `snapshot --recent` (see recorder.h). */
#include "taskscope/snapshot/recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/log.h"
#include "threadview/describe.h"
#include "threadview/snapshot_model.h"
#include "threadview/symbolize.h"
#include "threadview/unwind.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* True when fd is a flight recorder of this ABI. */
static bool is_recorder(int fd, uint32_t *slots)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return false;
	*slots = info.max_entries;
	return !strcmp(info.name, TS_RECENT_MAP_NAME) &&
	       info.key_size == sizeof(uint32_t) &&
	       info.value_size == sizeof(struct ts_recent_thread);
}

static int push(struct ts_recorder_result *out, size_t *cap,
		const struct ts_recent_thread *rec, uint64_t now)
{
	if (out->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct ts_recent *v = realloc(out->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		out->v = v;
		*cap = ncap;
	}
	memset(&out->v[out->n], 0, sizeof(out->v[0]));
	out->v[out->n].rec = *rec;
	out->v[out->n].exited_ago_ns = now > rec->exit_ns ? now - rec->exit_ns : 0;
	out->n++;
	return 0;
}

/* Reads one recorder map's slots for pid's threads that exited since. */
static int read_map(int fd, uint32_t slots, pid_t pid, uint64_t since,
		    uint64_t now, struct ts_recorder_result *out, size_t *cap)
{
	struct ts_recent_thread rec;
	uint32_t k;
	int err;

	for (k = 0; k < slots; k++) {
		if (bpf_map_lookup_elem(fd, &k, &rec))
			return -errno;
		if (!rec.exit_ns || rec.tgid != (uint32_t)pid ||
		    rec.exit_ns < since || rec.abi_version != TS_ABI_VERSION)
			continue;
		err = push(out, cap, &rec, now);
		if (err)
			return err;
	}
	return 0;
}

static int cmp_exit(const void *a, const void *b)
{
	const struct ts_recent *x = a, *y = b;

	return (x->rec.exit_ns > y->rec.exit_ns) - (x->rec.exit_ns < y->rec.exit_ns);
}

/* Start routine symbols, when the process is still there to read. */
static void symbolize(pid_t pid, struct ts_recorder_result *out)
{
	struct ts_unwinder *u = ts_unwinder_new(pid);
	struct ts_frame f;

	if (!u)
		return;
	for (size_t i = 0; i < out->n; i++)
		if (out->v[i].rec.start_routine &&
		    !ts_symbolize(ts_unwinder_symbolizer(u), out->v[i].rec.start_routine, false, &f) &&
		    f.function)
			out->v[i].start_routine = strdup(f.function);
	ts_unwinder_free(u);
}

int ts_recorder_read(pid_t pid, uint64_t window_ns,
		     struct ts_recorder_result *out)
{
	uint64_t now = mono_ns(), since = now > window_ns ? now - window_ns : 0;
	uint32_t id = 0, slots;
	size_t cap = 0;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	while (!err && !bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;     /* freed since we saw its id */
			err = -errno;
			break;
		}
		if (is_recorder(fd, &slots)) {
			out->maps++;
			err = read_map(fd, slots, pid, since, now, out, &cap);
		}
		close(fd);
	}
	if (!err && errno == EPERM && !out->maps)
		err = -EPERM;
	if (!err && !out->maps)
		err = -ENOENT;
	if (err) {
		ts_recorder_free(out);
		return err;
	}
	qsort(out->v, out->n, sizeof(out->v[0]), cmp_exit);
	symbolize(pid, out);
	return 0;
}

int ts_recorder_add(struct ts_snapshot *s, const struct ts_recorder_result *r)
{
	struct ts_thread *v;
	size_t i;

	if (!r->n)
		return 0;
	v = realloc(s->threads, (s->nthreads + r->n) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->threads = v;
	for (i = 0; i < r->n; i++) {
		struct ts_thread *t = &s->threads[s->nthreads++];
		const struct ts_recent *e = &r->v[i];

		memset(t, 0, sizeof(*t));
		t->tid = (pid_t)e->rec.tid;
		t->pid = (pid_t)e->rec.tgid;
		memcpy(t->name, e->rec.comm, sizeof(t->name));
		t->name[sizeof(t->name) - 1] = '\0';
		t->state = TS_STATE_DEAD;
		t->exited = true;
		t->cpu = -1;
		t->cpu_ns = e->rec.cpu_ns;
		t->off_cpu_ns = e->exited_ago_ns;
		t->off_cpu_known = true;
		t->syscall_nr = -1;
		t->blocked.fd = -1;
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = "exited (from taskscope watch's flight recorder)";
		t->recent = e;
	}
	ts_snapshot_sort(s);
	return 0;
}

void ts_recorder_free(struct ts_recorder_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].start_routine);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void ts_recorder_snapshot(struct ts_snapshot *s, pid_t pid, uint64_t window_ns,
			  struct ts_recorder_result *r)
{
	int err = ts_recorder_read(pid, window_ns, r);

	if (err == -ENOENT)
		log_warn("--recent: no taskscope watch is running, so no flight "
			 "recorder holds exited threads (keep `taskscope watch "
			 "-p %d -q` running while the threads come and go)", pid);
	else if (err)
		log_warn("--recent: cannot read the flight recorder: %s (run as "
			 "root)", strerror(-err));
	else if (ts_recorder_add(s, r))
		log_warn("--recent: out of memory adding exited threads");
	else if (!r->n)
		log_warn("--recent: no thread of process %d exited in the "
			 "window by the %d running flight recorder(s) (is a "
			 "`taskscope watch -p %d` running?)", pid, r->maps, pid);
}
