/* Text output modelled on Go's goroutine dump (see output.h):
 *
 *   thread 4242 "up-write" [futex: mutex 0x7f.. held by 4240 "up-hash", 2.3s]:
 *       __lll_lock_wait+0x30 (/usr/lib/x86_64-linux-gnu/libc.so.6)
 *       worker_wait+0x1c (tests/targets/blocked_target.c:42)
 *
 * A thread blocked on a socket or pipe whose other end the cross-process
 * resolver found gets the holder and what its threads are doing:
 *
 *   thread 15873 "MHD-connection" [read fd 12, tcp 127.0.0.1:46810 -> ...]:
 *       other end: redis-server 15801 (fd 8); 57 B sent, unread there
 *         15801 "redis-server" stopped in epoll_wait fd 5, 1.1s
 *       __GI___libc_read+0x4c (...)
 *
 * then the wait-for summary, the chains that cross processes, and any
 * deadlock. With --all (s->pid 0) the chains and deadlocks come first and
 * the threads follow grouped by process. */
#include "threadview/output.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "threadview/describe.h"
#include "threadview/describe_peer.h"
#include "threadview/goroutine.h"
#include "threadview/recent.h"

/* Threads of a holder process listed under a peer; the rest are counted. */
#define PEER_THREADS_SHOWN 3

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

/* "other end: ..." and the holders' likeliest threads, under t's header. */
static void print_peer(FILE *f, const struct ts_snapshot *s,
		       const struct ts_thread *t)
{
	const struct ts_peer *p = t->blocked.peer;
	char line[512], doing[400], pp[160];
	size_t i, j, shown, unseen;

	if (!p)
		return;
	fprintf(f, "    %s\n", ts_describe_peer(t, line, sizeof(line)));
	for (i = 0; i < p->nprocs; i++) {
		const struct ts_peer_proc *pr = &p->procs[i];

		if (i > 0)
			fprintf(f, "    also held by %s\n",
				ts_describe_peer_proc(pr, pp, sizeof(pp)));
		shown = unseen = 0;
		for (j = 0; j < pr->ntids; j++) {
			const struct ts_thread *o = ts_snapshot_find(s, pr->tids[j]);

			if (!o) {
				unseen++;
				continue;
			}
			if (shown == PEER_THREADS_SHOWN)
				break;
			fprintf(f, "      %d \"%s\" %s\n", o->tid, o->name,
				ts_describe_doing(o, doing, sizeof(doing)));
			shown++;
		}
		if (j < pr->ntids)
			fprintf(f, "      + %zu more thread%s (process %s)\n",
				pr->ntids - j, pr->ntids - j > 1 ? "s" : "",
				ts_proc_state(s, pr));
		else if (unseen && !shown)
			fprintf(f, "      (its threads were not read)\n");
	}
}

static void print_thread(FILE *f, const struct ts_snapshot *s,
			 const struct ts_thread *t,
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
	print_peer(f, s, t);
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

static void print_edges(FILE *f, const struct ts_snapshot *s)
{
	size_t i;

	if (!s->nedges)
		return;
	fprintf(f, "wait-for:\n");
	for (i = 0; i < s->nedges; i++) {
		const struct ts_wait_edge *e = &s->edges[i];

		if (e->via != TS_VIA_NONE)
			fprintf(f, "  %d \"%s\" waits for %d \"%s\" of %s %d "
				"(%s on fd %" PRIu64 ")\n", e->waiter,
				name_of(s, e->waiter), e->holder,
				name_of(s, e->holder),
				ts_process_name(s, e->holder_pid), e->holder_pid,
				ts_peer_via_name(e->via), e->object);
		else
			fprintf(f, "  %d \"%s\" waits for %d \"%s\" (%s 0x%" PRIx64 ")\n",
				e->waiter, name_of(s, e->waiter), e->holder,
				name_of(s, e->holder), ts_block_kind_name(e->kind),
				e->object);
	}
	fputc('\n', f);
}

/* Chains that cross processes (with --all: every chain of two waits or
 * more, too), then one DEADLOCK line per cycle. */
static void print_chains(FILE *f, const struct ts_snapshot *s)
{
	char line[2048];
	size_t i, shown = 0;

	for (i = 0; i < s->nchains; i++) {
		const struct ts_chain *c = &s->chains[i];

		if (!c->crosses && (s->pid || c->n < 3))
			continue;
		if (!shown++)
			fprintf(f, "wait-for chains:\n");
		fprintf(f, "  %s\n", ts_describe_chain(s, c->tids, c->n,
			c->into_cycle ? TS_CHAIN_INTO_CYCLE : TS_CHAIN_END,
			line, sizeof(line)));
	}
	if (shown)
		fputc('\n', f);
	for (i = 0; i < s->ncycles; i++)
		fprintf(f, "DEADLOCK: %s\n",
			ts_describe_chain(s, s->cycles[i].tids, s->cycles[i].n,
					  TS_CHAIN_CYCLE, line, sizeof(line)));
}

static int cmp_by_process(const void *a, const void *b)
{
	const struct ts_thread *x = *(const struct ts_thread *const *)a;
	const struct ts_thread *y = *(const struct ts_thread *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* --all: the threads grouped by process, each group under its name. */
static int print_by_process(FILE *f, const struct ts_snapshot *s,
			    const struct ts_output_opts *o)
{
	const struct ts_thread **v = malloc((s->nthreads ? s->nthreads : 1) *
					    sizeof(*v));
	size_t i, j;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->nthreads; i++)
		v[i] = &s->threads[i];
	qsort(v, s->nthreads, sizeof(*v), cmp_by_process);
	for (i = 0; i < s->nthreads; i = j) {
		for (j = i; j < s->nthreads && v[j]->pid == v[i]->pid; j++)
			;
		fprintf(f, "process %d \"%s\": %zu thread%s\n\n", v[i]->pid,
			ts_process_name(s, v[i]->pid), j - i, j - i > 1 ? "s" : "");
		for (size_t k = i; k < j; k++)
			print_thread(f, s, v[k], o);
	}
	free(v);
	return 0;
}

int ts_output_text(FILE *f, const struct ts_snapshot *s,
		   const struct ts_output_opts *o)
{
	size_t i;
	int err = 0;

	print_header(f, s);
	if (s->go)
		ts_go_output_text(f, s->go, o->strip_prefix);
	if (!s->pid && !s->in_process) {
		print_chains(f, s);
		if (s->nchains || s->ncycles)
			fputc('\n', f);
		err = print_by_process(f, s, o);
		print_edges(f, s);
	} else {
		for (i = 0; i < s->nthreads; i++)
			print_thread(f, s, &s->threads[i], o);
		print_edges(f, s);
		print_chains(f, s);
	}
	if (err)
		return err;
	return ferror(f) ? -EIO : 0;
}
