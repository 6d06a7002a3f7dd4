/* Resolving a snapshot's cross-process waits (see xproc_resolve.h). */
#include "taskscope/xproc/xproc_resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "threadview/waitgraph.h"
#include "taskscope/xproc/xproc_match.h"
#include "taskscope/xproc/xproc_table.h"
#include "taskscope/xproc/xproc_threads.h"

/* One resolution: the session, the records read so far (files and
 * sockets in one buffer, each process's threads in one of their own) and
 * the table over them all. */
struct resolver {
	struct ts_xp_session *x;
	struct ts_xp_table t;
	struct ts_xp_raw socks;
	struct ts_xp_raw *procs;
	size_t nprocs;
	struct ts_xp_stats *st;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct ts_thread *node(struct ts_snapshot *s, size_t i)
{
	return i < s->nthreads ? &s->threads[i] : &s->others[i - s->nthreads];
}

/* True when t waits on an fd the tables may know the other end of. */
static bool channel_wait(const struct ts_thread *t)
{
	const struct ts_blocked *b = &t->blocked;

	if (b->fd < 0 || (b->kind != TS_BLOCK_READ && b->kind != TS_BLOCK_WRITE &&
			  b->kind != TS_BLOCK_CONNECT))
		return false;
	return b->fdi.type == TS_FD_SOCKET || b->fdi.type == TS_FD_PIPE ||
	       b->fdi.type == TS_FD_NONE;
}

bool ts_xproc_needed(const struct ts_snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nthreads; i++)
		if (channel_wait(&s->threads[i]))
			return true;
	return false;
}

/* Finds the peers of nodes [from, to). Returns how many were found. */
static size_t match_range(const struct ts_xp_table *t, struct ts_snapshot *s,
			  size_t from, size_t to)
{
	size_t i, n = 0;

	for (i = from; i < to; i++) {
		struct ts_thread *th = node(s, i);

		if (!channel_wait(th))
			continue;
		ts_peer_free(th->blocked.peer);
		th->blocked.peer = ts_xp_match(t, th->pid, th->blocked.fd,
					       th->blocked.kind == TS_BLOCK_WRITE);
		n += th->blocked.peer != NULL;
	}
	return n;
}

static bool has_pid(const pid_t *v, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/* Reads process pid's threads (the task iterator over that process
 * alone) into the table. A process gone since is no error: its threads
 * are just not there. Returns 0 or -errno. */
static int read_process(struct resolver *r, pid_t pid)
{
	struct ts_xp_raw *np, *raw;
	int err;

	np = realloc(r->procs, (r->nprocs + 1) * sizeof(*np));
	if (!np)
		return -ENOMEM;
	r->procs = np;
	raw = &r->procs[r->nprocs++];
	memset(raw, 0, sizeof(*raw));
	err = ts_xp_read_tasks(r->x, pid, raw);
	r->st->pass_ms += raw->pass_ms;
	if (err == -ESRCH || err == -ENOENT)
		return 0;
	if (err)
		return err;
	return ts_xp_table_add_tasks(&r->t, raw->buf, raw->len);
}

/* Appends the threads of process pid from the table to s->others. */
static int add_process(const struct ts_xp_table *t, struct ts_snapshot *s,
		       pid_t pid, int64_t off, const struct ts_classify_clock *clk)
{
	size_t first, n = ts_xp_tasks_of(t, pid, &first), i;
	struct ts_thread *no;

	if (!n)
		return 0;
	no = realloc(s->others, (s->nothers + n) * sizeof(*no));
	if (!no)
		return -ENOMEM;
	s->others = no;
	for (i = 0; i < n; i++)
		ts_xp_thread(t, t->tasks[first + i], off, clk,
			     &s->others[s->nothers++]);
	return 0;
}

/* The processes that hold the other ends of nodes [from, to) and are not
 * in s yet, into *pids (n, cap). */
static int holders_missing(struct ts_snapshot *s, size_t from, size_t to,
			   pid_t **pids, size_t *n, size_t *cap,
			   const pid_t *seen, size_t nseen)
{
	size_t i, j;

	for (i = from; i < to; i++) {
		const struct ts_peer *p = node(s, i)->blocked.peer;

		for (j = 0; p && j < p->nprocs; j++) {
			pid_t pid = p->procs[j].pid;

			if (pid == s->pid || has_pid(seen, nseen, pid) ||
			    has_pid(*pids, *n, pid))
				continue;
			if (*n == *cap) {
				pid_t *np = realloc(*pids, (*cap = *cap ? *cap * 2 : 8) *
						    sizeof(*np));

				if (!np)
					return -ENOMEM;
				*pids = np;
			}
			(*pids)[(*n)++] = pid;
		}
	}
	return 0;
}

/* The clocks classify.h wants for sleeps' time left. */
static void clocks_now(struct ts_classify_clock *clk)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	clk->mono_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	clock_gettime(CLOCK_REALTIME, &ts);
	clk->real_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* -p: adds the holders' threads, hop after hop, and resolves theirs. */
static int follow(struct resolver *r, struct ts_snapshot *s)
{
	struct ts_classify_clock clk;
	pid_t *seen = NULL, *next = NULL;
	size_t nseen = 0, cseen = 0, nnext, cnext = 0, from = 0, to, i;
	int depth, err = 0;

	clocks_now(&clk);
	to = s->nthreads;
	for (depth = 0; depth < TS_XP_MAX_DEPTH && !err; depth++) {
		nnext = 0;
		err = holders_missing(s, from, to, &next, &nnext, &cnext,
				      seen, nseen);
		if (err || !nnext)
			break;
		if (nseen + nnext > TS_XP_MAX_PROCS)
			nnext = nseen < TS_XP_MAX_PROCS ? TS_XP_MAX_PROCS - nseen : 0;
		if (!nnext)
			break;
		for (i = 0; i < nnext && !err; i++) {
			if (nseen == cseen) {
				pid_t *ns = realloc(seen, (cseen = cseen ? cseen * 2 : 8) *
						    sizeof(*ns));

				if (!ns) {
					err = -ENOMEM;
					break;
				}
				seen = ns;
			}
			seen[nseen++] = next[i];
			err = read_process(r, next[i]);
		}
		for (i = 0; i < nnext && !err; i++)
			err = add_process(&r->t, s, next[i],
					  ts_xp_sched_offset(&r->t), &clk);
		from = to;
		to = s->nthreads + s->nothers;
		r->st->peers += match_range(&r->t, s, from, to);
	}
	r->st->procs = nseen;
	free(seen);
	free(next);
	return err;
}

static int rank_all(const struct ts_xp_table *t, struct ts_snapshot *s)
{
	size_t i;
	int err = 0;

	for (i = 0; i < s->nthreads + s->nothers && !err; i++) {
		struct ts_thread *th = node(s, i);

		if (th->blocked.peer)
			err = ts_xp_rank(t, s, th, th->blocked.peer);
	}
	return err;
}

/* Resolves s against what r has read (more processes' threads are read
 * as the holders turn up). */
static int resolve_with(struct resolver *r, struct ts_snapshot *s)
{
	double t0 = now_ms();
	int err;

	r->st->peers += match_range(&r->t, s, 0, s->nthreads);
	err = s->pid ? follow(r, s) : 0;
	/* Other threads sorted for lookups, before ranking uses them. */
	ts_snapshot_sort(s);
	if (!err)
		err = rank_all(&r->t, s);
	s->xproc = true;
	r->st->files = r->t.nfiles;
	r->st->socks = r->t.nsocks;
	r->st->tasks = r->t.ntasks;
	r->st->match_ms = now_ms() - t0;
	return err;
}

/* Reads the files and sockets and indexes them. Returns 0 or -errno. */
static int resolver_start(struct resolver *r, struct ts_xp_session *x,
			  struct ts_xp_stats *st)
{
	int err;

	memset(r, 0, sizeof(*r));
	memset(st, 0, sizeof(*st));
	r->x = x;
	r->st = st;
	st->load_ms = ts_xp_load_ms(x);
	err = ts_xp_read(x, &r->socks);
	st->pass_ms = r->socks.pass_ms;
	if (!err)
		err = ts_xp_table_build(&r->t, r->socks.buf, r->socks.len);
	return err;
}

static void resolver_end(struct resolver *r)
{
	size_t i;

	ts_xp_table_free(&r->t);
	ts_xp_raw_free(&r->socks);
	for (i = 0; i < r->nprocs; i++)
		ts_xp_raw_free(&r->procs[i]);
	free(r->procs);
}

int ts_xproc_resolve(struct ts_xp_session *x, struct ts_snapshot *s,
		     struct ts_xp_stats *st)
{
	struct resolver r;
	int err, gerr;

	err = resolver_start(&r, x, st);
	if (!err)
		err = resolve_with(&r, s);
	resolver_end(&r);
	gerr = ts_waitgraph_build(s);
	return err ? err : gerr;
}

/* s->threads from process pid's task records. */
static int own_threads(const struct ts_xp_table *t, pid_t pid,
		       struct ts_snapshot *s)
{
	struct ts_classify_clock clk;
	size_t first, n = ts_xp_tasks_of(t, pid, &first), i;
	int64_t off = ts_xp_sched_offset(t);
	const struct ts_thread *main_thread;

	if (!n)
		return -ESRCH;
	s->threads = calloc(n, sizeof(*s->threads));
	if (!s->threads)
		return -ENOMEM;
	clocks_now(&clk);
	s->taken_mono_ns = clk.mono_ns;
	s->taken_real_ns = clk.real_ns;
	for (i = 0; i < n; i++)
		ts_xp_thread(t, t->tasks[first + i], off, &clk,
			     &s->threads[s->nthreads++]);
	ts_snapshot_sort(s);
	main_thread = ts_snapshot_find(s, pid);
	if (main_thread)
		memcpy(s->comm, main_thread->name, sizeof(s->comm));
	return 0;
}

int ts_xproc_snapshot(struct ts_xp_session *x, pid_t pid, struct ts_snapshot *s)
{
	struct ts_xp_stats st;
	struct resolver r;
	int err;

	memset(s, 0, sizeof(*s));
	s->pid = pid;
	err = resolver_start(&r, x, &st);
	if (!err)
		err = read_process(&r, pid);
	if (!err)
		err = own_threads(&r.t, pid, s);
	if (!err)
		err = resolve_with(&r, s);
	resolver_end(&r);
	if (!err)
		err = ts_waitgraph_build(s);
	return err;
}
