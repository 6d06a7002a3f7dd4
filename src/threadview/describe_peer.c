/* Wording of cross-process waits (see describe_peer.h). */
#include "threadview/describe_peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "threadview/describe.h"
#include "threadview/waitgraph.h"

/* Appends to a fixed buffer; output past its end is dropped, the buffer
 * stays NUL-terminated. */
struct sbuf {
	char *p;
	size_t len, off;
};

static __attribute__((format(printf, 2, 3)))
void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->off + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->off += (size_t)n < b->len - b->off ? (size_t)n
						       : b->len - b->off - 1;
}

char *ts_describe_doing(const struct ts_thread *t, char *buf, size_t len)
{
	char what[320], d[32];

	if (t->state == TS_STATE_ZOMBIE || t->state == TS_STATE_DEAD ||
	    t->exited) {
		snprintf(buf, len, "%s", "exited (zombie)");
		return buf;
	}
	ts_describe_blocked(t, what, sizeof(what));
	if (t->off_cpu_known && t->state != TS_STATE_RUNNING)
		snprintf(buf, len, "%s, %s", what,
			 ts_format_duration(t->off_cpu_ns, d, sizeof(d)));
	else
		snprintf(buf, len, "%s", what);
	return buf;
}

const char *ts_proc_state(const struct ts_snapshot *s,
			  const struct ts_peer_proc *pp)
{
	size_t i, seen = 0, live = 0, stopped = 0, traced = 0, running = 0;

	for (i = 0; i < pp->ntids; i++) {
		const struct ts_thread *t = ts_snapshot_find(s, pp->tids[i]);

		if (!t)
			continue;
		seen++;
		if (t->exited || t->state == TS_STATE_ZOMBIE ||
		    t->state == TS_STATE_DEAD)
			continue;
		live++;
		stopped += t->state == TS_STATE_STOPPED;
		traced += t->state == TS_STATE_TRACED;
		running += t->state == TS_STATE_RUNNING ||
			   t->state == TS_STATE_RUNNABLE;
	}
	if (!seen)
		return "unknown";
	if (!live)
		return "exited";
	if (stopped == live)
		return "stopped";
	if (traced + stopped == live)
		return "traced";
	return running ? "running" : "sleeping";
}

const char *ts_process_name(const struct ts_snapshot *s, pid_t pid)
{
	const struct ts_thread *main_thread;
	size_t i, j;

	if (s->pid && pid == s->pid)
		return s->comm;
	for (i = 0; i < s->nthreads + s->nothers; i++) {
		const struct ts_thread *t = i < s->nthreads ? &s->threads[i]
			: &s->others[i - s->nthreads];
		const struct ts_peer *p = t->blocked.peer;

		for (j = 0; p && j < p->nprocs; j++)
			if (p->procs[j].pid == pid)
				return p->procs[j].comm;
	}
	main_thread = ts_snapshot_find(s, pid);
	return main_thread ? main_thread->name : "?";
}

char *ts_describe_peer_proc(const struct ts_peer_proc *pp, char *buf,
			    size_t len)
{
	struct sbuf b = { buf, len, 0 };

	buf[0] = '\0';
	sb_printf(&b, "%s %d (fd %d", pp->comm, pp->pid, pp->fd);
	if (pp->other_pidns)
		sb_printf(&b, "; pid %d in its pid namespace", pp->ns_pid);
	if (pp->other_netns)
		sb_printf(&b, "; socket in another network namespace");
	sb_printf(&b, ")");
	return buf;
}

char *ts_describe_queues(const struct ts_thread *t, char *buf, size_t len)
{
	const struct ts_peer *p = t->blocked.peer;
	const struct ts_fd_info *fi = &t->blocked.fdi;
	bool reads = t->blocked.kind == TS_BLOCK_READ;
	struct sbuf b = { buf, len, 0 };

	buf[0] = '\0';
	if (!p)
		return buf;
	if (p->pipe) {
		if (p->pipe_bytes && reads)
			sb_printf(&b, "%s holds %u B", ts_peer_via_name(p->via),
				  p->pipe_bytes);
		else if (p->pipe_bytes)
			sb_printf(&b, "%s holds %u B, unread",
				  ts_peer_via_name(p->via), p->pipe_bytes);
		else
			sb_printf(&b, "%s empty: nothing written",
				  ts_peer_via_name(p->via));
		return buf;
	}
	if (p->queues_known && p->rx_queued)
		sb_printf(&b, "%u B sent, unread there", p->rx_queued);
	if (fi->type == TS_FD_SOCKET && fi->rx_queued)
		sb_printf(&b, "%s%u B unread here", b.off ? ", " : "",
			  fi->rx_queued);
	if (p->via == TS_VIA_TCP && fi->tx_queued)
		sb_printf(&b, "%s%u B not acknowledged", b.off ? ", " : "",
			  fi->tx_queued);
	if (!b.off && p->queues_known)
		sb_printf(&b, "nothing queued either way");
	return buf;
}

char *ts_describe_peer(const struct ts_thread *t, char *buf, size_t len)
{
	const struct ts_peer *p = t->blocked.peer;
	struct sbuf b = { buf, len, 0 };
	char pp[160], q[96];

	buf[0] = '\0';
	if (!p)
		return buf;
	ts_describe_queues(t, q, sizeof(q));
	if (p->remote) {
		sb_printf(&b, "other end: %s, held by no process on this machine",
			  p->where);
	} else if (!p->nprocs) {
		sb_printf(&b, "other end: %s, held by no process%s", p->where,
			  p->unknown_senders ? " (unconnected senders cannot "
					       "be named)" : "");
	} else if (p->not_accepted) {
		sb_printf(&b, "other end: not accepted yet by %s, listening",
			  ts_describe_peer_proc(&p->procs[0], pp, sizeof(pp)));
	} else {
		sb_printf(&b, "other end: %s",
			  ts_describe_peer_proc(&p->procs[0], pp, sizeof(pp)));
	}
	if (p->nprocs > 1)
		sb_printf(&b, " and %zu more process%s", p->nprocs - 1,
			  p->nprocs > 2 ? "es" : "");
	if (q[0])
		sb_printf(&b, "; %s", q);
	return buf;
}

/* `tid "name"`, plus ` (comm pid)` when with_proc. */
static void chain_node(struct sbuf *b, const struct ts_snapshot *s, pid_t tid,
		       bool with_proc)
{
	const struct ts_thread *t = ts_snapshot_find(s, tid);

	sb_printf(b, "%d \"%s\"", tid, t ? t->name : "?");
	if (with_proc && t)
		sb_printf(b, " (%s %d)", ts_process_name(s, t->pid), t->pid);
}

/* " -> (tcp) -> " for the edge leaving t. */
static void chain_edge(struct sbuf *b, const struct ts_thread *t, bool labels)
{
	const struct ts_peer *p = t ? t->blocked.peer : NULL;

	if (!labels || !t)
		sb_printf(b, " -> ");
	else if (p && (t->blocked.kind == TS_BLOCK_READ ||
		       t->blocked.kind == TS_BLOCK_WRITE ||
		       t->blocked.kind == TS_BLOCK_CONNECT))
		sb_printf(b, " -> (%s%s) -> ", ts_peer_via_name(p->via),
			  t->blocked.kind == TS_BLOCK_WRITE ? " write" : "");
	else
		sb_printf(b, " -> (%s) -> ", ts_block_kind_name(t->blocked.kind));
}

char *ts_describe_chain(const struct ts_snapshot *s, const pid_t *tids,
			size_t n, enum ts_chain_end end, char *buf, size_t len)
{
	struct sbuf b = { buf, len, 0 };
	const struct ts_thread *t, *last;
	bool crosses = false;
	char doing[400];
	size_t i;

	buf[0] = '\0';
	if (!n)
		return buf;
	t = ts_snapshot_find(s, tids[0]);
	for (i = 1; i < n && t; i++) {
		const struct ts_thread *o = ts_snapshot_find(s, tids[i]);

		if (!o || o->pid != t->pid)
			crosses = true;
	}
	/* A chain or cycle within one process reads as before: threads and
	 * arrows. One that crosses names each process and each channel. */
	for (i = 0; i < n; i++) {
		chain_node(&b, s, tids[i], crosses);
		if (i + 1 < n)
			chain_edge(&b, ts_snapshot_find(s, tids[i]), crosses);
	}
	last = ts_snapshot_find(s, tids[n - 1]);
	switch (end) {
	case TS_CHAIN_CYCLE:
		chain_edge(&b, last, crosses);
		chain_node(&b, s, tids[0], false);
		break;
	case TS_CHAIN_INTO_CYCLE:
		sb_printf(&b, " -> (deadlock cycle)");
		break;
	case TS_CHAIN_END:
		if (!last)
			break;
		if (last->blocked.peer && last->blocked.peer->remote &&
		    !ts_thread_halted(last))
			sb_printf(&b, " -> (%s %s, not on this machine)",
				  ts_peer_via_name(last->blocked.peer->via),
				  last->blocked.peer->where);
		else
			sb_printf(&b, " -> (%s)",
				  ts_describe_doing(last, doing, sizeof(doing)));
		break;
	}
	return buf;
}
