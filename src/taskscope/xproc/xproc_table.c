/* Indexing the xproc records (see xproc_table.h). Every index is a sorted
 * array of pointers into the records; lookups are binary searches. */
#include "taskscope/xproc/xproc_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define AF_INET_ 2
#define AF_INET6_ 10
#define AF_UNIX_ 1
#define TCP_LISTEN_ 10

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_file_pid_fd(const void *a, const void *b)
{
	const struct ts_xp_file *x = *(const struct ts_xp_file *const *)a;
	const struct ts_xp_file *y = *(const struct ts_xp_file *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return cmp_u64(x->fd, y->fd);
}

static int cmp_file_obj(const void *a, const void *b)
{
	const struct ts_xp_file *x = *(const struct ts_xp_file *const *)a;
	const struct ts_xp_file *y = *(const struct ts_xp_file *const *)b;

	if (x->obj != y->obj)
		return cmp_u64(x->obj, y->obj);
	return cmp_file_pid_fd(a, b);
}

static int cmp_sock_obj(const void *a, const void *b)
{
	const struct ts_xp_sock *x = *(const struct ts_xp_sock *const *)a;
	const struct ts_xp_sock *y = *(const struct ts_xp_sock *const *)b;

	return cmp_u64(x->obj, y->obj);
}

static int cmp_sock_peer(const void *a, const void *b)
{
	const struct ts_xp_sock *x = *(const struct ts_xp_sock *const *)a;
	const struct ts_xp_sock *y = *(const struct ts_xp_sock *const *)b;

	return cmp_u64(x->peer, y->peer);
}

/* TCP sockets by (local address, local port, remote address, remote port,
 * namespace): a peer lookup searches the swapped pair. */
static int cmp_tuple(const uint8_t *la, uint16_t lp, const uint8_t *ra,
		     uint16_t rp, const struct ts_xp_sock *y)
{
	int c = memcmp(la, y->laddr, 16);

	if (c)
		return c;
	if (lp != y->lport)
		return lp < y->lport ? -1 : 1;
	c = memcmp(ra, y->raddr, 16);
	if (c)
		return c;
	return rp < y->rport ? -1 : rp > y->rport;
}

static int cmp_sock_tuple(const void *a, const void *b)
{
	const struct ts_xp_sock *x = *(const struct ts_xp_sock *const *)a;
	const struct ts_xp_sock *y = *(const struct ts_xp_sock *const *)b;
	int c = cmp_tuple(x->laddr, x->lport, x->raddr, x->rport, y);

	return c ? c : (x->netns < y->netns ? -1 : x->netns > y->netns);
}

static int cmp_task(const void *a, const void *b)
{
	const struct ts_xp_task *x = *(const struct ts_xp_task *const *)a;
	const struct ts_xp_task *y = *(const struct ts_xp_task *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

void ts_xp_table_free(struct ts_xp_table *t)
{
	free(t->files);
	free(t->by_obj);
	free(t->socks);
	free(t->tcp);
	free(t->by_peer);
	free(t->tasks);
	memset(t, 0, sizeof(*t));
}

/* Counts the records of each type, checking the framing. */
static int count(const unsigned char *buf, size_t len, size_t n[4])
{
	size_t off = 0;

	memset(n, 0, 4 * sizeof(*n));
	while (off < len) {
		const struct ts_xp_file *h = (const void *)(buf + off);
		size_t want;

		if (len - off < 8)
			return -EPROTO;
		switch (h->rec_type) {
		case TS_XP_REC_FILE: want = sizeof(struct ts_xp_file); break;
		case TS_XP_REC_SOCK: want = sizeof(struct ts_xp_sock); break;
		case TS_XP_REC_TASK: want = sizeof(struct ts_xp_task); break;
		default: return -EPROTO;
		}
		if (h->rec_len != want || len - off < want)
			return -EPROTO;
		n[h->rec_type]++;
		off += want;
	}
	return 0;
}

static void *alloc_index(size_t n)
{
	return malloc((n ? n : 1) * sizeof(void *));
}

int ts_xp_table_build(struct ts_xp_table *t, const unsigned char *buf,
		      size_t len)
{
	size_t n[4], off, i, j;
	int err;

	memset(t, 0, sizeof(*t));
	err = count(buf, len, n);
	if (err)
		return err;
	t->files = alloc_index(n[TS_XP_REC_FILE]);
	t->by_obj = alloc_index(n[TS_XP_REC_FILE]);
	t->socks = alloc_index(n[TS_XP_REC_SOCK]);
	t->tcp = alloc_index(n[TS_XP_REC_SOCK]);
	t->by_peer = alloc_index(n[TS_XP_REC_SOCK]);
	t->tasks = alloc_index(n[TS_XP_REC_TASK]);
	if (!t->files || !t->by_obj || !t->socks || !t->tcp || !t->by_peer ||
	    !t->tasks) {
		ts_xp_table_free(t);
		return -ENOMEM;
	}
	for (off = 0; off < len;) {
		const struct ts_xp_file *h = (const void *)(buf + off);

		if (h->rec_type == TS_XP_REC_FILE) {
			t->files[t->nfiles] = h;
			t->by_obj[t->nfiles++] = h;
		} else if (h->rec_type == TS_XP_REC_SOCK) {
			t->socks[t->nsocks++] = (const void *)h;
		} else {
			t->tasks[t->ntasks++] = (const void *)h;
		}
		off += h->rec_len;
	}
	qsort(t->files, t->nfiles, sizeof(*t->files), cmp_file_pid_fd);
	qsort(t->by_obj, t->nfiles, sizeof(*t->by_obj), cmp_file_obj);
	qsort(t->tasks, t->ntasks, sizeof(*t->tasks), cmp_task);
	qsort(t->socks, t->nsocks, sizeof(*t->socks), cmp_sock_obj);
	/* A socket of another namespace held by several processes came once
	 * per holder. */
	for (i = j = 0; i < t->nsocks; i++)
		if (!j || t->socks[i]->obj != t->socks[j - 1]->obj)
			t->socks[j++] = t->socks[i];
	t->nsocks = j;
	for (i = 0; i < t->nsocks; i++) {
		const struct ts_xp_sock *s = t->socks[i];

		if ((s->family == AF_INET_ || s->family == AF_INET6_) &&
		    s->state != TCP_LISTEN_)
			t->tcp[t->ntcp++] = s;
		if (s->family == AF_UNIX_ && s->peer)
			t->by_peer[t->nby_peer++] = s;
	}
	qsort(t->tcp, t->ntcp, sizeof(*t->tcp), cmp_sock_tuple);
	qsort(t->by_peer, t->nby_peer, sizeof(*t->by_peer), cmp_sock_peer);
	return 0;
}

int ts_xp_table_add_tasks(struct ts_xp_table *t, const unsigned char *buf,
			  size_t len)
{
	const struct ts_xp_task **nt;
	size_t n[4], off;
	int err = count(buf, len, n);

	if (err)
		return err;
	if (n[TS_XP_REC_FILE] || n[TS_XP_REC_SOCK])
		return -EPROTO;
	nt = realloc(t->tasks, (t->ntasks + n[TS_XP_REC_TASK] + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	t->tasks = nt;
	for (off = 0; off < len; off += sizeof(struct ts_xp_task))
		t->tasks[t->ntasks++] = (const void *)(buf + off);
	qsort(t->tasks, t->ntasks, sizeof(*t->tasks), cmp_task);
	return 0;
}

const struct ts_xp_file *ts_xp_file_of(const struct ts_xp_table *t, pid_t pid,
				       int fd)
{
	struct ts_xp_file key = { .tgid = (uint32_t)pid, .fd = (uint32_t)fd };
	const struct ts_xp_file *kp = &key, **r;

	if (!t->nfiles || fd < 0)
		return NULL;
	r = bsearch(&kp, t->files, t->nfiles, sizeof(*t->files),
		    cmp_file_pid_fd);
	return r ? *r : NULL;
}

/* First index in v (n sorted pointers) whose key is not below k, with
 * key(i) the 64-bit key of element i. */
#define LOWER_BOUND(v, n, keyexpr, k) ({                              \
	size_t lo_ = 0, hi_ = (n);                                      \
	while (lo_ < hi_) {                                             \
		size_t i = lo_ + (hi_ - lo_) / 2;                       \
		if ((keyexpr) < (k))                                    \
			lo_ = i + 1;                                    \
		else                                                    \
			hi_ = i;                                        \
	}                                                               \
	lo_; })

size_t ts_xp_holders(const struct ts_xp_table *t, uint64_t obj, size_t *first)
{
	size_t lo = LOWER_BOUND(t->by_obj, t->nfiles, t->by_obj[i]->obj, obj);
	size_t hi = lo;

	while (hi < t->nfiles && t->by_obj[hi]->obj == obj)
		hi++;
	*first = lo;
	return hi - lo;
}

const struct ts_xp_sock *ts_xp_sock_of(const struct ts_xp_table *t,
				       uint64_t obj)
{
	size_t i = LOWER_BOUND(t->socks, t->nsocks, t->socks[i]->obj, obj);

	return i < t->nsocks && t->socks[i]->obj == obj ? t->socks[i] : NULL;
}

size_t ts_xp_connected_to(const struct ts_xp_table *t, uint64_t obj,
			  size_t *first)
{
	size_t lo = LOWER_BOUND(t->by_peer, t->nby_peer, t->by_peer[i]->peer, obj);
	size_t hi = lo;

	while (hi < t->nby_peer && t->by_peer[hi]->peer == obj)
		hi++;
	*first = lo;
	return hi - lo;
}

size_t ts_xp_tasks_of(const struct ts_xp_table *t, pid_t pid, size_t *first)
{
	size_t lo = LOWER_BOUND(t->tasks, t->ntasks, t->tasks[i]->tgid,
				(uint32_t)pid);
	size_t hi = lo;

	while (hi < t->ntasks && t->tasks[hi]->tgid == (uint32_t)pid)
		hi++;
	*first = lo;
	return hi - lo;
}

int ts_xp_is_loopback(uint16_t family, const uint8_t a[16])
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (family == AF_INET_)
		return a[0] == 127;
	return !memcmp(a, v6_loop, 16) ||
	       (!memcmp(a, v4_mapped, 12) && a[12] == 127);
}

const struct ts_xp_sock *ts_xp_tcp_peer(const struct ts_xp_table *t,
					const struct ts_xp_sock *s)
{
	const struct ts_xp_sock *any = NULL;
	size_t lo = 0, hi = t->ntcp, i;

	/* Lower bound of the swapped pair, any namespace. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_tuple(s->raddr, s->rport, s->laddr, s->lport,
			      t->tcp[mid]) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < t->ntcp &&
	     !cmp_tuple(s->raddr, s->rport, s->laddr, s->lport, t->tcp[i]); i++) {
		if (t->tcp[i] == s)
			continue;
		if (t->tcp[i]->netns == s->netns)
			return t->tcp[i];
		if (!any)
			any = t->tcp[i];
	}
	/* The same loopback pair in another namespace is another
	 * connection altogether. */
	if (any && !ts_xp_is_loopback(s->family, s->raddr))
		return any;
	return NULL;
}

static int wildcard(const uint8_t a[16])
{
	static const uint8_t zero[16];

	return !memcmp(a, zero, 16);
}

const struct ts_xp_sock *ts_xp_tcp_listener(const struct ts_xp_table *t,
					    const struct ts_xp_sock *s)
{
	const struct ts_xp_sock *wild = NULL;
	size_t i;

	/* Listeners are few: a scan is fine. */
	for (i = 0; i < t->nsocks; i++) {
		const struct ts_xp_sock *l = t->socks[i];

		if (l->state != TCP_LISTEN_ || l->lport != s->lport ||
		    l->netns != s->netns ||
		    (l->family != AF_INET_ && l->family != AF_INET6_))
			continue;
		if (!memcmp(l->laddr, s->laddr, 16))
			return l;
		if (wildcard(l->laddr))
			wild = l;
	}
	return wild;
}

const struct ts_xp_sock *ts_xp_unix_listener(const struct ts_xp_table *t,
					     uint64_t addr)
{
	size_t i;

	for (i = 0; addr && i < t->nsocks; i++)
		if (t->socks[i]->family == AF_UNIX_ &&
		    t->socks[i]->state == TCP_LISTEN_ && t->socks[i]->addr == addr)
			return t->socks[i];
	return NULL;
}
