/* Taking an in-process thread dump (see threaddump.h): list the threads,
 * read /proc, ask each thread for its stack, symbolize, print. */
#include "uploadd/debug/threaddump.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "threadview/output.h"
#include "threadview/symbolize.h"
#include "uploadd/debug/threaddump_capture.h"
#include "uploadd/debug/threaddump_proc.h"
#include "version.h"

static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
/* libdw's view of our own modules, kept between dumps (dump_lock). */
static struct ts_symbolizer *self_symbolizer;
static unsigned long maps_hash;     /* of /proc/self/maps when it was made */
static bool warned_syscall, warned_modules;

static unsigned long hash_maps(void);

/* Makes a symbolizer for our own modules with their files opened, and
 * checks that our own code symbolizes: the binary may lie where the
 * --user account cannot read it, and an unopened file is never opened
 * again after the drop. Returns NULL (errno set) when libdw cannot read
 * our modules; *own_ok says whether our own functions have names. */
static struct ts_symbolizer *self_symbolizer_new(bool *own_ok)
{
	struct ts_symbolizer *s = ts_symbolizer_new(getpid());
	struct ts_frame f;

	*own_ok = false;
	if (!s)
		return NULL;
	ts_symbolizer_open(s);
	*own_ok = ts_symbolize(s, (uint64_t)(uintptr_t)&threaddump_init, false,
			       &f) == 0 && f.function;
	return s;
}

int threaddump_init(void)
{
	int err = td_capture_init();
	bool own_ok;

	if (err)
		return err;
	/* Read our modules and open their files now, while still root:
	 * after --user the process is not dumpable (libdw can no longer read
	 * /proc/self/auxv) and the binary may be unreadable to the user. */
	self_symbolizer = self_symbolizer_new(&own_ok);
	if (self_symbolizer && !own_ok)
		log_warn("/debug/threads: uploadd's own functions have no names "
			 "in dumps: its binary (/proc/self/exe) has no symbol "
			 "table or cannot be read (build with symbols, or make "
			 "it readable)");
	maps_hash = hash_maps();
	return 0;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A hash of the executable mappings: a new one (dlopen) means the
 * symbolizer must reload the module list. */
static unsigned long hash_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned long h = 5381;
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *perms = strchr(line, ' ');

		if (!perms || perms[3] != 'x')
			continue;
		for (const char *p = line; *p; p++)
			h = h * 33 + (unsigned char)*p;
	}
	fclose(f);
	return h;
}

/* Remakes the symbolizer for our own pcs when the executable mappings
 * changed since it was made (or there is none). Returns true when it
 * remade it. */
static bool symbolizer_refresh(void)
{
	unsigned long h = hash_maps();
	struct ts_symbolizer *u;
	bool own_ok;

	if (self_symbolizer && h == maps_hash)
		return false;
	maps_hash = h;
	u = self_symbolizer_new(&own_ok);
	if (u && self_symbolizer && !own_ok) {
		/* After --user our binary may be unreadable: the start-up
		 * symbolizer, whose files are open, still names our code. */
		ts_symbolizer_free(u);
		if (!warned_modules)
			log_warn("/debug/threads: the modules changed since "
				 "start-up but this user cannot reopen "
				 "uploadd's binary: pcs in new modules stay "
				 "bare");
		warned_modules = true;
		return false;
	}
	if (!u) {
		/* Keep the one made at start-up: most pcs still resolve. */
		if (!warned_modules)
			log_warn("/debug/threads: cannot read this process's "
				 "modules with libdw: %s (%s)", strerror(errno),
				 self_symbolizer ? "pcs in modules loaded since "
				 "start-up stay bare" : "stacks are shown as "
				 "bare addresses");
		warned_modules = true;
		return false;
	}
	ts_symbolizer_free(self_symbolizer);
	self_symbolizer = u;
	return true;
}

/* Symbolizes st into t->frames. Returns 0 or -ENOMEM. */
static int symbolize_stack(struct ts_thread *t, const struct td_stack *st,
			   bool *missed)
{
	struct ts_symbolizer *u = self_symbolizer; /* NULL: bare pcs */
	int i;

	t->frames = calloc((size_t)st->npcs, sizeof(*t->frames));
	if (!t->frames)
		return -ENOMEM;
	t->nframes = st->npcs;
	for (i = 0; i < st->npcs; i++) {
		/* Every pc but an exact interrupted one is a return address:
		 * look up pc - 1, inside the call. */
		bool ret_addr = i > 0 || !st->first_exact;

		t->frames[i].pc = st->pcs[i];
		if (u && ts_symbolize(u, st->pcs[i], ret_addr, &t->frames[i]) ==
		    -ENOENT)
			*missed = true;
	}
	return 0;
}

/* Turns one answer into the thread's stack fields. */
static int fill_stack(struct ts_thread *t, const struct td_stack *st,
		      bool *missed)
{
	switch (st->answer) {
	case TD_ANSWERED:
		t->stack_status = st->truncated ? TS_STACK_TRUNCATED
						: TS_STACK_COMPLETE;
		if (st->truncated)
			t->stack_note = st->npcs == 1 ?
				"no unwind information past the signal frame" :
				"deeper than the frames kept (64)";
		return symbolize_stack(t, st, missed);
	case TD_GONE:
		t->exited = true;
		t->state = TS_STATE_DEAD;
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = "exited during the dump";
		return 0;
	case TD_NO_ANSWER:
		t->stack_status = TS_STACK_UNAVAILABLE;
		t->stack_note = t->state == TS_STATE_UNINTERRUPTIBLE ?
			"did not answer in time: in uninterruptible sleep, "
			"a thread runs signal handlers only when the "
			"syscall returns" :
			"did not answer the dump signal in time (busy in "
			"a long syscall such as fsync, or blocking the "
			"signal)";
		return 0;
	}
	return 0;
}

/* Reads /proc for every thread. Threads gone before we looked are left
 * out. Returns 0 or -errno; s->threads is allocated. */
static int read_threads(struct ts_snapshot *s)
{
	pid_t *tids, self = gettid();
	size_t n, i;
	bool known;
	int err;

	err = td_proc_tids(&tids, &n);
	if (err)
		return err;
	s->threads = calloc(n ? n : 1, sizeof(*s->threads));
	if (!s->threads) {
		free(tids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct ts_thread *t = &s->threads[s->nthreads];

		if (td_proc_read(tids[i], t, &known) < 0)
			continue;
		s->nthreads++;
		if (t->tid == self) {
			/* Its "syscall" is this very read of /proc. */
			t->syscall_nr = -1;
			continue;
		}
		if (!known && !warned_syscall) {
			warned_syscall = true;
			log_warn("/debug/threads: cannot read /proc/self/task/"
				 "%d/syscall (the process is not dumpable "
				 "after --user): dumps leave syscalls out",
				 tids[i]);
		}
	}
	free(tids);
	return 0;
}

/* Fills s with a dump. Holds dump_lock. */
static int take(struct ts_snapshot *s, unsigned timeout_ms)
{
	struct td_stack *st;
	bool missed = false;
	uint64_t t0, t1;
	FILE *f;
	size_t i;
	int err;

	s->source = "uploadd";
	s->in_process = true;
	s->load_ms = NAN;            /* nothing is loaded in process */
	s->pid = getpid();
	s->taken_mono_ns = t0 = clock_ns(CLOCK_MONOTONIC);
	s->taken_real_ns = clock_ns(CLOCK_REALTIME);
	f = fopen("/proc/self/comm", "re");
	if (f) {
		if (fgets(s->comm, sizeof(s->comm), f))
			s->comm[strcspn(s->comm, "\n")] = '\0';
		fclose(f);
	}
	err = read_threads(s);
	if (err)
		return err;
	st = calloc(s->nthreads ? s->nthreads : 1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (i = 0; i < s->nthreads; i++)
		st[i].tid = s->threads[i].tid;
	err = td_capture(st, s->nthreads, timeout_ms);
	t1 = clock_ns(CLOCK_MONOTONIC);
	s->collect_ms = (double)(t1 - t0) / 1e6;
	for (i = 0; !err && i < s->nthreads; i++)
		err = fill_stack(&s->threads[i], &st[i], &missed);
	if (!err && missed && symbolizer_refresh()) {
		/* A module mapped since the symbolizer was made: again. */
		for (i = 0; i < s->nthreads; i++) {
			free(s->threads[i].frames);
			s->threads[i].frames = NULL;
			s->threads[i].nframes = 0;
		}
		missed = false;
		for (i = 0; !err && i < s->nthreads; i++)
			err = fill_stack(&s->threads[i], &st[i], &missed);
	}
	s->unwind_ms = (double)(clock_ns(CLOCK_MONOTONIC) - t1) / 1e6;
	free(st);
	return err;
}

int threaddump_write(FILE *f, enum td_format fmt, unsigned timeout_ms)
{
	struct ts_output_opts o = { .version = TS_VERSION };
	struct ts_snapshot s;
	char cwd[4096];
	int err;

	/* Source paths relative to where uploadd runs, as taskscope prints
	 * them relative to where it runs. */
	if (getcwd(cwd, sizeof(cwd)))
		o.strip_prefix = cwd;
	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&dump_lock);
	err = take(&s, timeout_ms);
	/* taskscope's own writers: one schema for both views. Frames point
	 * into the symbolizer: print before anyone can replace it. */
	if (!err)
		err = fmt == TD_FORMAT_JSON ? ts_output_json(f, &s, &o)
					    : ts_output_text(f, &s, &o);
	pthread_mutex_unlock(&dump_lock);
	ts_snapshot_free(&s);
	return err;
}
