/* Finding the other end of a channel and ranking its holders' threads
 * (see xproc_match.h). */
#include "taskscope/xproc/xproc_match.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCP_LISTEN_ 10
#define SOCK_STREAM_ 1
#define SOCK_DGRAM_ 2

static int sock_family(const struct ts_xp_sock *s)
{
	return (s->flags & TS_XP_F_V4MAPPED) ? AF_INET : s->family;
}

/* "127.0.0.1:6379", "[::1]:6379". */
static void format_inet(const struct ts_xp_sock *s, bool remote, char *buf,
			size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const uint8_t *a = remote ? s->raddr : s->laddr;
	unsigned int port = remote ? s->rport : s->lport;

	if (sock_family(s) == AF_INET6) {
		inet_ntop(AF_INET6, a, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, port);
	} else {
		inet_ntop(AF_INET, a, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, port);
	}
}

/* A unix socket's bound path ("@name" for the abstract namespace), or
 * "socket:[ino]" for an unbound one. */
static void format_unix(const struct ts_xp_sock *s, char *buf, size_t len)
{
	if (s->flags & TS_XP_F_PATH)
		snprintf(buf, len, "%s%.*s", s->flags & TS_XP_F_ABSTRACT ? "@" : "",
			 (int)sizeof(s->path), s->path);
	else
		snprintf(buf, len, "socket:[%llu]", (unsigned long long)s->ino);
}

/* Adds the holders of obj to p, one entry per process (its first fd);
 * with mode, only files open for that (TS_XP_FMODE_*). other_netns: obj
 * is a socket of another network namespace than the waiter's. Returns 0
 * or -ENOMEM. */
static int add_holders(const struct ts_xp_table *t, struct ts_peer *p,
		       uint64_t obj, uint32_t mode, const struct ts_xp_file *me,
		       bool listener, bool other_netns)
{
	size_t first, n = ts_xp_holders(t, obj, &first), i, j;

	for (i = first; i < first + n; i++) {
		const struct ts_xp_file *f = t->by_obj[i];
		struct ts_peer_proc *np, *pp;

		if (mode && !(f->f_mode & mode))
			continue;
		for (j = 0; j < p->nprocs && p->procs[j].pid != (pid_t)f->tgid; j++)
			;
		if (j < p->nprocs)
			continue;            /* one entry per process */
		np = realloc(p->procs, (p->nprocs + 1) * sizeof(*np));
		if (!np)
			return -ENOMEM;
		p->procs = np;
		pp = &p->procs[p->nprocs++];
		memset(pp, 0, sizeof(*pp));
		pp->pid = (pid_t)f->tgid;
		memcpy(pp->comm, f->comm, sizeof(pp->comm));
		pp->comm[sizeof(pp->comm) - 1] = '\0';
		pp->fd = (int)f->fd;
		pp->ns_pid = (pid_t)f->ns_tgid;
		pp->other_pidns = me && f->pidns != me->pidns;
		pp->listener = listener;
		pp->other_netns = other_netns;
	}
	return 0;
}

static int match_pipe(const struct ts_xp_table *t, const struct ts_xp_file *f,
		      bool writes, struct ts_peer *p)
{
	p->via = f->kind == TS_XP_FIFO ? TS_VIA_FIFO : TS_VIA_PIPE;
	snprintf(p->where, sizeof(p->where), "%s:[%llu]",
		 f->kind == TS_XP_FIFO ? "fifo" : "pipe",
		 (unsigned long long)f->ino);
	p->pipe = true;
	p->pipe_bytes = f->pipe_bytes;
	p->other_obj = f->obj;
	return add_holders(t, p, f->obj,
			   writes ? TS_XP_FMODE_READ : TS_XP_FMODE_WRITE, f, false,
			   false);
}

static int match_tcp(const struct ts_xp_table *t, const struct ts_xp_file *f,
		     const struct ts_xp_sock *s, struct ts_peer *p)
{
	const struct ts_xp_sock *o, *l;
	size_t first;
	int err;

	p->via = TS_VIA_TCP;
	format_inet(s, true, p->where, sizeof(p->where));
	o = ts_xp_tcp_peer(t, s);
	if (!o) {
		p->remote = true;
		return 0;
	}
	p->queues_known = true;
	p->rx_queued = o->rx_queued;
	p->tx_queued = o->tx_queued;
	p->other_obj = o->obj;
	if (ts_xp_holders(t, o->obj, &first)) {
		err = add_holders(t, p, o->obj, 0, f, false, o->netns != s->netns);
	} else {
		/* Nobody holds the other end yet: it waits in the accept
		 * queue of a listener, whose holders would accept it. */
		l = ts_xp_tcp_listener(t, o);
		if (!l)
			return 0;
		p->not_accepted = true;
		p->other_obj = l->obj;
		err = add_holders(t, p, l->obj, 0, f, true, l->netns != s->netns);
	}
	return err;
}

static int match_unix(const struct ts_xp_table *t, const struct ts_xp_file *f,
		      const struct ts_xp_sock *s, struct ts_peer *p)
{
	const struct ts_xp_sock *o = s->peer ? ts_xp_sock_of(t, s->peer) : NULL;
	const struct ts_xp_sock *l;
	size_t first, n, i;
	int err = 0;

	p->via = TS_VIA_UNIX;
	if (o)
		format_unix(o->flags & TS_XP_F_PATH ? o : s, p->where,
			    sizeof(p->where));
	else
		format_unix(s, p->where, sizeof(p->where));
	if (s->sotype == SOCK_DGRAM_) {
		/* Anyone connected to it may send; so may anyone who names
		 * its address per message, whom nothing records. */
		n = ts_xp_connected_to(t, s->obj, &first);
		for (i = first; i < first + n && !err; i++)
			err = add_holders(t, p, t->by_peer[i]->obj, 0, f, false,
					  t->by_peer[i]->netns != s->netns);
		if (o && !err)
			err = add_holders(t, p, o->obj, 0, f, false,
					  o->netns != s->netns);
		p->unknown_senders = !o;
		p->other_obj = o ? o->obj : n ? t->by_peer[first]->obj : 0;
		if (!p->nprocs && !o && !n)
			p->other_obj = 0;
		return err;
	}
	if (!o)
		return 0;
	p->queues_known = true;
	p->rx_queued = o->rx_queued;
	p->tx_queued = o->tx_queued;
	p->other_obj = o->obj;
	if (ts_xp_holders(t, o->obj, &first)) {
		err = add_holders(t, p, o->obj, 0, f, false, o->netns != s->netns);
	} else if ((l = ts_xp_unix_listener(t, o->addr))) {
		p->not_accepted = true;
		p->other_obj = l->obj;
		err = add_holders(t, p, l->obj, 0, f, true, l->netns != s->netns);
	}
	return err;
}

struct ts_peer *ts_xp_match(const struct ts_xp_table *t, pid_t pid, int fd,
			    bool writes)
{
	const struct ts_xp_file *f = ts_xp_file_of(t, pid, fd);
	const struct ts_xp_sock *s;
	struct ts_peer *p;
	int err;

	if (!f)
		return NULL;
	s = f->kind == TS_XP_SOCKET ? ts_xp_sock_of(t, f->obj) : NULL;
	if (f->kind == TS_XP_SOCKET &&
	    (!s || s->state == TCP_LISTEN_ ||
	     (s->family != AF_UNIX && s->family != AF_INET &&
	      s->family != AF_INET6)))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (f->kind != TS_XP_SOCKET)
		err = match_pipe(t, f, writes, p);
	else if (s->family == AF_UNIX)
		err = match_unix(t, f, s, p);
	else
		err = match_tcp(t, f, s, p);
	if (err) {
		ts_peer_free(p);
		return NULL;
	}
	return p;
}

/* ---- ranking the holders' threads ------------------------------------ */

enum {
	RANK_ON_OBJECT,           /* blocked on the other end itself */
	RANK_EVENT_LOOP,          /* epoll, poll, select: may serve it */
	RANK_OTHER_CHANNEL,       /* blocked on another socket or pipe */
	RANK_RUNNING,
	RANK_OTHER,
	RANK_LIKELY_MAX = RANK_EVENT_LOOP,
};

static int rank_of(const struct ts_xp_table *t, const struct ts_thread *o,
		   uint64_t obj)
{
	const struct ts_blocked *b = &o->blocked;
	const struct ts_xp_file *f;

	switch (b->kind) {
	case TS_BLOCK_READ:
	case TS_BLOCK_WRITE:
	case TS_BLOCK_ACCEPT:
	case TS_BLOCK_CONNECT:
		f = ts_xp_file_of(t, o->pid, b->fd);
		if (f && obj && f->obj == obj)
			return RANK_ON_OBJECT;
		return f ? RANK_OTHER_CHANNEL : RANK_OTHER;
	case TS_BLOCK_EPOLL:
	case TS_BLOCK_POLL:
	case TS_BLOCK_SELECT:
		return RANK_EVENT_LOOP;
	case TS_BLOCK_NONE:
		if (o->state == TS_STATE_RUNNING || o->state == TS_STATE_RUNNABLE)
			return RANK_RUNNING;
		return RANK_OTHER;
	default:
		return RANK_OTHER;
	}
}

struct cand {
	pid_t tid;
	int rank;
	bool main;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->main != y->main)
		return x->main ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Ranks the threads of holder pp (those of s with its pid). Returns the
 * best rank, RANK_OTHER + 1 when it has no thread in s, or -ENOMEM. */
static int rank_proc(const struct ts_xp_table *t, const struct ts_snapshot *s,
		     const struct ts_thread *waiter, struct ts_peer_proc *pp,
		     uint64_t obj)
{
	size_t n = 0, i, cap = 16;
	struct cand *c = malloc(cap * sizeof(*c));

	if (!c)
		return -ENOMEM;
	for (i = 0; i < s->nthreads + s->nothers; i++) {
		const struct ts_thread *o = i < s->nthreads ? &s->threads[i]
			: &s->others[i - s->nthreads];

		if (o->pid != pp->pid || o == waiter || o->tid == waiter->tid)
			continue;
		if (n == cap) {
			struct cand *nc = realloc(c, (cap *= 2) * sizeof(*c));

			if (!nc) {
				free(c);
				return -ENOMEM;
			}
			c = nc;
		}
		c[n++] = (struct cand){ o->tid, rank_of(t, o, obj),
					o->tid == o->pid };
	}
	qsort(c, n, sizeof(*c), cmp_cand);
	free(pp->tids);
	pp->tids = malloc((n ? n : 1) * sizeof(*pp->tids));
	if (!pp->tids) {
		free(c);
		return -ENOMEM;
	}
	pp->ntids = n;
	pp->nlikely = 0;
	for (i = 0; i < n; i++) {
		pp->tids[i] = c[i].tid;
		if (c[i].rank <= RANK_LIKELY_MAX)
			pp->nlikely++;
	}
	i = n ? (size_t)c[0].rank : RANK_OTHER + 1;
	free(c);
	return (int)i;
}

struct proc_order {
	struct ts_peer_proc pp;
	int best;
	bool own;
};

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_order *x = a, *y = b;

	if (x->best != y->best)
		return x->best - y->best;
	if (x->own != y->own)
		return x->own ? 1 : -1;
	return x->pp.pid < y->pp.pid ? -1 : x->pp.pid > y->pp.pid;
}

int ts_xp_rank(const struct ts_xp_table *t, const struct ts_snapshot *s,
	       const struct ts_thread *waiter, struct ts_peer *p)
{
	struct proc_order *v;
	size_t i;
	int r;

	p->next_tid = 0;
	if (!p->nprocs)
		return 0;
	v = calloc(p->nprocs, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->nprocs; i++) {
		r = rank_proc(t, s, waiter, &p->procs[i], p->other_obj);
		if (r < 0) {
			free(v);
			return r;
		}
		v[i].pp = p->procs[i];
		v[i].best = r;
		v[i].own = p->procs[i].pid == waiter->pid;
	}
	qsort(v, p->nprocs, sizeof(*v), cmp_proc);
	for (i = 0; i < p->nprocs; i++)
		p->procs[i] = v[i].pp;
	free(v);
	if (p->procs[0].ntids)
		p->next_tid = p->procs[0].tids[0];
	return 0;
}
