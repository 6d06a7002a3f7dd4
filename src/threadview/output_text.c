/* Text output modelled on Go's goroutine dump (see output.h):
 *
 *   thread 4242 "up-write" [futex: mutex 0x7f.. held by 4240 "up-hash", 2.3s]:
 *       __lll_lock_wait+0x30 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *       worker_wait+0x1c (tests/targets/blocked_target.c:42)
 *
 * then the wait-for summary and any deadlock. */
#include "threadview/output.h"

#include <errno.h>
#include <inttypes.h>
#include <time.h>

#include "threadview/describe.h"
#include "threadview/goroutine.h"
#include "threadview/recent.h"

static void print_header(FILE *f, const struct ts_snapshot *s)
{
	time_t sec = s->taken_real_ns / 1000000000ull;
	struct tm tm;
	char when[32];

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (s->in_process)
		fprintf(f, "%s %d in-process thread dump at %s: %zu threads\n"
			"(stacks recorded by each thread in a signal handler; "
			"what a thread waits on\nand for how long only the "
			"kernel knows: taskscope snapshot -p %d)\n\n",
			s->source ? s->source : s->comm, s->pid, when,
			s->nthreads, s->pid);
	else if (s->pid)
		fprintf(f, "taskscope snapshot of %d \"%s\" at %s: %zu threads%s\n\n",
			s->pid, s->comm, when, s->nthreads,
			s->target_exited ? " (process exited during the pass)" : "");
	else
		fprintf(f, "taskscope snapshot of all processes at %s: %zu threads\n\n",
			when, s->nthreads);
}

static void print_thread(FILE *f, const struct ts_thread *t,
			 const struct ts_output_opts *o)
{
	char what[320], dur[32], line[768];
	int i;

	if (t->recent) {        /* exited: from watch's flight recorder */
		fprintf(f, "thread %d \"%s\" [%s]\n\n", t->tid, t->name,
			ts_recent_describe(t->recent, what, sizeof(what)));
		return;
	}
	ts_describe_blocked(t, what, sizeof(what));
	if (t->off_cpu_known && t->state != TS_STATE_RUNNING)
		fprintf(f, "thread %d \"%s\" [%s, %s]:\n", t->tid, t->name, what,
			ts_format_duration(t->off_cpu_ns, dur, sizeof(dur)));
	else
		fprintf(f, "thread %d \"%s\" [%s]:\n", t->tid, t->name, what);
	if (t->goroutine)
		fprintf(f, "    (runs goroutine %" PRId64 ")\n", t->goroutine);
	if (o->kernel_stacks)
		for (i = 0; i < t->nkframes; i++)
			fprintf(f, "    [kernel] %s\n",
				ts_describe_frame(&t->kframes[i], NULL, line,
						  sizeof(line)));
	for (i = 0; i < t->nframes; i++)
		fprintf(f, "    %s\n", ts_describe_frame(&t->frames[i],
							 o->strip_prefix, line,
							 sizeof(line)));
	if (t->stack_status != TS_STACK_COMPLETE && t->stack_note)
		fprintf(f, "    ... (%s)\n", t->stack_note);
	fputc('\n', f);
}

static const char *name_of(const struct ts_snapshot *s, pid_t tid)
{
	const struct ts_thread *t = ts_snapshot_find(s, tid);

	return t ? t->name : "?";
}

static void print_waits(FILE *f, const struct ts_snapshot *s)
{
	size_t i, j;

	if (s->nedges) {
		fprintf(f, "wait-for:\n");
		for (i = 0; i < s->nedges; i++) {
			const struct ts_wait_edge *e = &s->edges[i];

			fprintf(f, "  %d \"%s\" waits for %d \"%s\" (%s 0x%" PRIx64 ")\n",
				e->waiter, name_of(s, e->waiter), e->holder,
				name_of(s, e->holder), ts_block_kind_name(e->kind),
				e->object);
		}
		fputc('\n', f);
	}
	for (i = 0; i < s->ncycles; i++) {
		const struct ts_cycle *c = &s->cycles[i];

		fprintf(f, "DEADLOCK:");
		for (j = 0; j < c->n; j++)
			fprintf(f, " %d \"%s\" ->", c->tids[j], name_of(s, c->tids[j]));
		fprintf(f, " %d \"%s\"\n", c->tids[0], name_of(s, c->tids[0]));
	}
}

int ts_output_text(FILE *f, const struct ts_snapshot *s,
		   const struct ts_output_opts *o)
{
	size_t i;

	print_header(f, s);
	if (s->go)
		ts_go_output_text(f, s->go, o->strip_prefix);
	for (i = 0; i < s->nthreads; i++)
		print_thread(f, &s->threads[i], o);
	print_waits(f, s);
	return ferror(f) ? -EIO : 0;
}
