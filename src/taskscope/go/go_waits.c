/* What goroutines wait on (see go_waits.h). */
#include "taskscope/go/go_waits.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_NODES (1u << 20)
#define MAX_ROUNDS 64

static uint64_t rd64(const unsigned char *p, uint32_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static bool is(const char *reason, const char *what)
{
	return reason && !strcmp(reason, what);
}

/* Index of the goroutine whose g is addr, by binary search over a sorted
 * copy of (addr, index) pairs. */
struct gidx {
	uint64_t addr;
	size_t i;
};

static int cmp_gidx(const void *a, const void *b)
{
	const struct gidx *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static long find_g(const struct gidx *ix, size_t n, uint64_t addr)
{
	struct gidx k = { addr, 0 }, *f;

	f = n ? bsearch(&k, ix, n, sizeof(*ix), cmp_gidx) : NULL;
	return f ? (long)f->i : -1;
}

/* ---- channels: g.waiting -> sudog.c (select: the waitlink chain) ---- */

struct chan_walk {
	const struct ts_go_layout *l;
	struct ts_goroutine *gs;
	size_t *who;                  /* request -> goroutine */
	uint64_t *next;               /* request -> next sudog in the chain */
};

static int on_sudog(const struct ts_go_slot *s, size_t idx, void *arg)
{
	struct chan_walk *c = arg;
	struct ts_goroutine *g = &c->gs[c->who[idx]];
	uint64_t ch;

	c->next[idx] = 0;
	if (!(s->flags & TS_GO_F_DATA))
		return 0;
	ch = rd64(s->data, c->l->sudog_c);
	if (ch && !g->wait.object)
		g->wait.object = ch;
	if (ch)
		g->wait.nobjects++;
	if (g->wait.kind == TS_GOWAIT_SELECT)
		c->next[idx] = rd64(s->data, c->l->sudog_waitlink);
	return 0;
}

static uint32_t sudog_len(const struct ts_go_layout *l)
{
	uint32_t m = l->sudog_c;

	if (l->sudog_waitlink > m)
		m = l->sudog_waitlink;
	if (l->sudog_elem > m)
		m = l->sudog_elem;
	if (l->sudog_next > m)
		m = l->sudog_next;
	if (l->sudog_prev > m)
		m = l->sudog_prev;
	return m + 8;
}

static void chan_waits(const struct ts_go_binary *bin, struct ts_go_reader *rd,
		       struct ts_goroutine *gs, const uint64_t *waiting, size_t n)
{
	struct chan_walk c = { .l = &bin->lay, .gs = gs };
	struct ts_go_req *reqs = calloc(n + 1, sizeof(*reqs));
	uint32_t len = sudog_len(&bin->lay);
	size_t i, k = 0, round;

	c.who = calloc(n + 1, sizeof(*c.who));
	c.next = calloc(n + 1, sizeof(*c.next));
	if (!reqs || !c.who || !c.next || bin->lay.sudog_c == TS_GO_NO_OFF)
		goto out;
	for (i = 0; i < n; i++) {
		const char *r = gs[i].reason;

		if (gs[i].status != 4 || !waiting[i])
			continue;
		if (is(r, "chan receive") || is(r, "chan send"))
			gs[i].wait.kind = TS_GOWAIT_CHAN;
		else if (is(r, "select"))
			gs[i].wait.kind = TS_GOWAIT_SELECT;
		else
			continue;
		reqs[k] = ts_go_req_of(waiting[i], len);
		c.who[k++] = i;
	}
	for (round = 0; k && round < MAX_ROUNDS; round++) {
		size_t nk = 0;

		if (ts_go_gather(rd, reqs, k, on_sudog, &c))
			break;
		for (i = 0; i < k; i++) {
			if (!c.next[i])
				continue;
			reqs[nk] = ts_go_req_of(c.next[i], len);
			c.who[nk++] = c.who[i];
		}
		k = nk;
	}
out:
	free(reqs);
	free(c.who);
	free(c.next);
}

/* ---- semaphores: the semtable's treaps of sudogs ---- */

struct sema_walk {
	const struct ts_go_layout *l;
	struct ts_goroutine *gs;
	const struct gidx *ix;
	size_t nix;
	uint64_t *found;              /* pointers to visit next round */
	size_t nfound, capfound;
	size_t visited;
};

static void push(struct sema_walk *w, uint64_t p)
{
	uint64_t *nf;

	if (!p || w->visited + w->nfound >= MAX_NODES)
		return;
	if (w->nfound == w->capfound) {
		size_t nc = w->capfound ? w->capfound * 2 : 256;

		nf = realloc(w->found, nc * sizeof(*nf));
		if (!nf)
			return;
		w->found = nf;
		w->capfound = nc;
	}
	w->found[w->nfound++] = p;
}

static int on_root(const struct ts_go_slot *s, size_t idx, void *arg)
{
	(void)idx;
	if (s->flags & TS_GO_F_DATA)
		push(arg, rd64(s->data, 0));
	return 0;
}

static int on_node(const struct ts_go_slot *s, size_t idx, void *arg)
{
	struct sema_walk *w = arg;
	long gi;

	(void)idx;
	if (!(s->flags & TS_GO_F_DATA))
		return 0;
	w->visited++;
	gi = find_g(w->ix, w->nix, rd64(s->data, w->l->sudog_g));
	if (gi >= 0 && w->gs[gi].wait.kind == TS_GOWAIT_NONE) {
		w->gs[gi].wait.kind = TS_GOWAIT_SEMA;
		w->gs[gi].wait.object = rd64(s->data, w->l->sudog_elem);
	}
	push(w, rd64(s->data, w->l->sudog_prev));
	push(w, rd64(s->data, w->l->sudog_next));
	push(w, rd64(s->data, w->l->sudog_waitlink));
	return 0;
}

static bool sema_reason(const char *r)
{
	/* Go 1.19 says "semacquire" for every sync wait but Cond's; newer
	 * versions name the primitive ("sync.Mutex.Lock", ...). */
	return r && (!strcmp(r, "semacquire") ||
		     (!strncmp(r, "sync.", 5) && strcmp(r, "sync.Cond.Wait")));
}

static void sema_waits(const struct ts_go_binary *bin, struct ts_go_reader *rd,
		       struct ts_goroutine *gs, const struct gidx *ix, size_t n)
{
	const struct ts_go_layout *l = &bin->lay;
	struct sema_walk w = { .l = l, .gs = gs, .ix = ix, .nix = n };
	struct ts_go_req *reqs;
	uint32_t len = sudog_len(l);
	size_t i, k, round;
	bool any = false;

	for (i = 0; i < n && !any; i++)
		any = gs[i].status == 4 && sema_reason(gs[i].reason);
	if (!any || !l->semtable_n || l->semroot_treap == TS_GO_NO_OFF ||
	    l->sudog_g == TS_GO_NO_OFF)
		return;
	reqs = calloc(l->semtable_n, sizeof(*reqs));
	if (!reqs)
		return;
	for (i = 0; i < l->semtable_n; i++)
		reqs[i] = ts_go_req_of(bin->semtable + bin->bias +
			(uint64_t)i * l->semtable_stride + l->semroot_treap, 8);
	if (ts_go_gather(rd, reqs, l->semtable_n, on_root, &w))
		goto out;
	for (round = 0; w.nfound && round < MAX_ROUNDS; round++) {
		struct ts_go_req *nr = realloc(reqs, w.nfound * sizeof(*nr));

		if (!nr)
			break;
		reqs = nr;
		for (k = 0; k < w.nfound; k++)
			reqs[k] = ts_go_req_of(w.found[k], len);
		k = w.nfound;
		w.nfound = 0;
		if (ts_go_gather(rd, reqs, k, on_node, &w))
			break;
	}
out:
	free(reqs);
	free(w.found);
}

/* ---- IO wait: epoll's registered poll descriptors ---- */

/* Appends the poll descriptor addresses registered with every epoll fd
 * of pid (the "data:" of each target in /proc/PID/fdinfo/EPFD). */
static size_t epoll_pds(pid_t pid, uint64_t **out)
{
	char path[320], link[64], line[256];
	struct dirent *de;
	size_t n = 0, cap = 0;
	DIR *d;

	*out = NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		ssize_t m;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd/%s", pid, de->d_name);
		m = readlink(path, link, sizeof(link) - 1);
		if (m <= 0)
			continue;
		link[m] = '\0';
		if (strcmp(link, "anon_inode:[eventpoll]"))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			const char *p = strstr(line, " data: ");
			uint64_t v, *nv;

			if (strncmp(line, "tfd:", 4) || !p)
				continue;
			v = strtoull(p + 7, NULL, 16);
			/* Go 1.20+ tags the pointer: (ptr << 16) | tag on
			 * amd64; 1.19 stores it plain. */
			if (v >> 47)
				v = (v >> 19) << 3;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				nv = realloc(*out, cap * sizeof(*nv));
				if (!nv)
					break;
				*out = nv;
			}
			(*out)[n++] = v;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

struct pd_walk {
	const struct ts_go_layout *l;
	struct ts_goroutine *gs;
	const struct gidx *ix;
	size_t nix;
	pid_t pid;
};

static int on_pd(const struct ts_go_slot *s, size_t idx, void *arg)
{
	struct pd_walk *w = arg;
	const uint64_t ptrs[2] = { rd64(s->data, w->l->pd_rg),
				   rd64(s->data, w->l->pd_wg) };
	int i;

	(void)idx;
	if (!(s->flags & TS_GO_F_DATA))
		return 0;
	for (i = 0; i < 2; i++) {
		long gi = ptrs[i] > 4096 ? find_g(w->ix, w->nix, ptrs[i]) : -1;
		struct ts_goroutine *g;

		if (gi < 0)
			continue;
		g = &w->gs[gi];
		g->wait.kind = TS_GOWAIT_FD;
		g->wait.fd = (int)(int64_t)rd64(s->data, w->l->pd_fd);
		free(g->wait.fd_desc);
		g->wait.fd_desc = ts_go_fd_desc(w->pid, g->wait.fd);
	}
	return 0;
}

static void io_waits(pid_t pid, const struct ts_go_binary *bin,
		     struct ts_go_reader *rd, struct ts_goroutine *gs,
		     const struct gidx *ix, size_t n)
{
	const struct ts_go_layout *l = &bin->lay;
	struct pd_walk w = { l, gs, ix, n, pid };
	struct ts_go_req *reqs;
	uint64_t *pds;
	size_t i, k;
	bool any = false;

	for (i = 0; i < n && !any; i++)
		any = gs[i].status == 4 && is(gs[i].reason, "IO wait");
	if (!any || l->pd_wg == TS_GO_NO_OFF)
		return;
	k = epoll_pds(pid, &pds);
	reqs = calloc(k + 1, sizeof(*reqs));
	if (reqs) {
		for (i = 0; i < k; i++)
			reqs[i] = ts_go_req_of(pds[i], l->pd_wg + 8);
		ts_go_gather(rd, reqs, k, on_pd, &w);
	}
	free(reqs);
	free(pds);
}

void ts_go_waits(pid_t pid, const struct ts_go_binary *bin,
		 struct ts_go_reader *rd, struct ts_goroutine *gs,
		 const uint64_t *waiting, size_t n)
{
	struct gidx *ix = calloc(n + 1, sizeof(*ix));
	size_t i;

	if (!ix)
		return;
	for (i = 0; i < n; i++)
		ix[i] = (struct gidx){ gs[i].addr, i };
	qsort(ix, n, sizeof(*ix), cmp_gidx);
	chan_waits(bin, rd, gs, waiting, n);
	sema_waits(bin, rd, gs, ix, n);
	io_waits(pid, bin, rd, gs, ix, n);
	free(ix);
}

/* ---- fd descriptions from /proc ---- */

static const char *tcp_state(unsigned int st)
{
	static const char *const names[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
		"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
		"LISTEN", "CLOSING",
	};

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* Formats /proc/net/tcp's "0100007F:1F90" (IPv4) as 127.0.0.1:8080. */
static void v4(const char *hex, char *buf, size_t len)
{
	unsigned int a, port;

	if (sscanf(hex, "%8X:%X", &a, &port) != 2) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%u.%u.%u.%u:%u", a & 0xff, (a >> 8) & 0xff,
		 (a >> 16) & 0xff, a >> 24, port);
}

static char *tcp_desc(pid_t pid, const char *proto, unsigned long ino)
{
	char path[64], line[512], la[64], ra[64], l[80], r[80], *out = NULL;
	unsigned long inode;
	unsigned int st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, proto);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %63s %63s %X %*s %*s %*s %*s %*s %lu",
			   la, ra, &st, &inode) != 4 || inode != ino)
			continue;
		if (!strcmp(proto, "tcp")) {
			v4(la, l, sizeof(l));
			v4(ra, r, sizeof(r));
		} else {
			snprintf(l, sizeof(l), "[%.64s]", la);
			snprintf(r, sizeof(r), "[%.64s]", ra);
		}
		if (asprintf(&out, "%s %s -> %s (%s)", proto, l, r,
			     tcp_state(st)) < 0)
			out = NULL;
		break;
	}
	fclose(f);
	return out;
}

char *ts_go_fd_desc(pid_t pid, int fd)
{
	char path[64], link[4096], *out;
	unsigned long ino;
	ssize_t n;

	if (fd < 0)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return NULL;
	link[n] = '\0';
	if (sscanf(link, "socket:[%lu]", &ino) == 1) {
		out = tcp_desc(pid, "tcp", ino);
		if (!out)
			out = tcp_desc(pid, "tcp6", ino);
		return out ? out : strdup(link);
	}
	if (!strncmp(link, "pipe:", 5))
		return strdup("pipe");
	return strdup(link);
}
