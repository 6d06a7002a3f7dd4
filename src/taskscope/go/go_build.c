/* The goroutine view of a Go process (see go_build.h).
 *
 * Race handling: each g is copied twice, before and after its stack. When
 * the fields that place its stack (sched.sp/pc/bp, syscallsp, stack
 * bounds) differ, the goroutine ran in between: it is shown with its
 * first state and "changed while read", without a stack. Other fields
 * that differ (status, wait reason) only set the flag. A frame-pointer
 * chain that leaves the stack, goes down, or returns outside Go code ends
 * the stack with a note instead of printing what the bytes would say. */
#include "taskscope/go/go_build.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taskscope/go/go_waits.h"
#include "threadview/describe.h"

#define MAX_PCS 128
#define MAX_FRAMES 256

#define G_RUNNABLE 1
#define G_RUNNING 2
#define G_SYSCALL 3
#define G_WAITING 4
#define G_DEAD 6
#define G_COPYSTACK 8
#define G_SCAN 0x1000

struct rawg {                       /* what the walk keeps of one g */
	struct ts_goroutine g;
	uint64_t m, lockedm, waiting, gopc, startpc, waitsince;
	uint64_t pcs[MAX_PCS];
	int npcs;
	bool pc0_exact;             /* pcs[0] is not a return address */
	bool deferred;              /* stack from its thread (running/syscall) */
};

/* The Ms read for match_threads, by request index. */
struct ts_go_mthread {
	const struct ts_go_layout *lay;
	pid_t *tid;
	uint64_t *curg;
};

struct build {
	const struct ts_go_build_in *in;
	struct rawg *gs;
	size_t n, cap;
	struct ts_fpwalk w;         /* text and goexit bounds, per g the rest */
	uint64_t now_ns;
};

static uint64_t rd64(const unsigned char *p, uint32_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t rd32(const unsigned char *p, uint32_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

int ts_go_fpwalk(const struct ts_fpwalk *w, uint64_t pc0, uint64_t bp,
		 uint64_t *pcs, int max, const char **note)
{
	int n = 0;

	*note = NULL;
	if (max <= 0)
		return 0;
	pcs[n++] = pc0;
	if (pc0 >= w->goexit_lo && pc0 < w->goexit_hi)
		return n;
	while (n < max) {
		uint64_t ret, next;

		if (bp == 0)
			return n;     /* the chain's end: a goroutine's first frame */
		if (bp < w->lo || bp + 16 > w->hi || (bp & 7)) {
			*note = "frame pointer outside the goroutine's stack "
				"(it changed while read)";
			return n;
		}
		if (bp < w->addr || bp + 16 > w->addr + w->len) {
			*note = "stack deeper than the copied window";
			return n;
		}
		next = rd64(w->data, bp - w->addr);
		ret = rd64(w->data, bp + 8 - w->addr);
		if (ret >= w->goexit_lo && ret < w->goexit_hi)
			return n;     /* complete */
		if (ret < w->text_lo || ret >= w->text_hi) {
			*note = "return address outside Go code (the stack "
				"changed while read)";
			return n;
		}
		pcs[n++] = ret;
		if (next != 0 && next <= bp) {
			*note = "frame pointers not increasing (the stack "
				"changed while read)";
			return n;
		}
		bp = next;
	}
	*note = "more frames than taskscope keeps";
	return n;
}

/* The fields that place the stack, compared between the two copies. */
static bool stack_fields_changed(const struct ts_go_layout *l,
				 const struct ts_go_slot *s)
{
	const uint32_t offs[] = { l->g_sched_sp, l->g_sched_pc, l->g_sched_bp,
				  l->g_syscallsp, l->g_syscallpc, l->g_stack_lo,
				  l->g_stack_hi, l->g_goid };
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (rd64(s->g, offs[i]) != rd64(s->g2, offs[i]))
			return true;
	return false;
}

static bool other_fields_changed(const struct ts_go_layout *l,
				 const struct ts_go_slot *s)
{
	return rd32(s->g, l->g_status) != rd32(s->g2, l->g_status) ||
	       s->g[l->g_waitreason] != s->g2[l->g_waitreason] ||
	       rd64(s->g, l->g_m) != rd64(s->g2, l->g_m) ||
	       rd64(s->g, l->g_waiting) != rd64(s->g2, l->g_waiting);
}

/* A syscall goroutine without its thread: the frame that called
 * entersyscall is found from .debug_frame (its CFA at syscallpc), since
 * the leaf that made the syscall has overwritten the saved bp below
 * syscallsp. */
static int syscall_walk(struct build *b, struct rawg *r,
			const struct ts_go_slot *s, const char **note)
{
	const struct ts_go_layout *l = &b->in->bin->lay;
	uint64_t pc = rd64(s->g, l->g_syscallpc), sp = rd64(s->g, l->g_syscallsp);
	int64_t cfa_off;
	uint64_t cfa;

	if (ts_go_cfa_offset(b->in->bin, pc - b->in->bin->bias, &cfa_off)) {
		*note = "no unwind information for the syscall's caller";
		r->pcs[0] = pc;
		return 1;
	}
	cfa = sp + cfa_off;
	if (cfa - 16 < s->data_addr || cfa > s->data_addr + s->len) {
		*note = "stack deeper than the copied window";
		r->pcs[0] = pc;
		return 1;
	}
	r->pcs[0] = pc;
	return 1 + ts_go_fpwalk(&b->w, rd64(s->data, cfa - 8 - s->data_addr),
				rd64(s->data, cfa - 16 - s->data_addr),
				r->pcs + 1, MAX_PCS - 1, note);
}

static void walk_stack(struct build *b, struct rawg *r, const struct ts_go_slot *s)
{
	const struct ts_go_layout *l = &b->in->bin->lay;
	struct ts_goroutine *g = &r->g;
	const char *note = NULL;

	g->stack_status = TS_STACK_UNAVAILABLE;
	if (g->status == G_COPYSTACK) {
		g->stack_note = "its stack is being moved";
		return;
	}
	if (!(s->flags & TS_GO_F_DATA)) {
		g->stack_note = (s->flags & TS_GO_F_DATA_FAIL) ?
			"its stack could not be copied" :
			"no stack to copy (sp outside its stack)";
		return;
	}
	b->w.lo = rd64(s->g, l->g_stack_lo);
	b->w.hi = rd64(s->g, l->g_stack_hi);
	b->w.data = s->data;
	b->w.addr = s->data_addr;
	b->w.len = s->len;
	if (g->status == G_SYSCALL) {
		r->npcs = syscall_walk(b, r, s, &note);
	} else {
		uint64_t pc = rd64(s->g, l->g_sched_pc);

		/* A goroutine that never ran starts at its function's entry:
		 * not a return address. */
		r->pc0_exact = pc == r->startpc;
		r->npcs = ts_go_fpwalk(&b->w, pc, rd64(s->g, l->g_sched_bp),
				       r->pcs, MAX_PCS, &note);
	}
	g->stack_status = note ? TS_STACK_TRUNCATED : TS_STACK_COMPLETE;
	g->stack_note = note;
}

static int on_slot(const struct ts_go_slot *s, size_t idx, void *arg)
{
	struct build *b = arg;
	const struct ts_go_binary *bin = b->in->bin;
	const struct ts_go_layout *l = &bin->lay;
	struct rawg *r;
	unsigned int st;

	(void)idx;
	if (!(s->flags & TS_GO_F_G))
		return 0;
	st = rd32(s->g, l->g_status) & ~G_SCAN;
	if (st == G_DEAD || st == 0)
		return 0;
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 256;
		struct rawg *ng = realloc(b->gs, nc * sizeof(*ng));

		if (!ng)
			return -ENOMEM;
		b->gs = ng;
		b->cap = nc;
	}
	r = &b->gs[b->n++];
	memset(r, 0, sizeof(*r));
	r->g.goid = (int64_t)rd64(s->g, l->g_goid);
	r->g.addr = s->addr;
	r->g.status = st;
	r->g.state = ts_go_state_name(st);
	r->g.wait.fd = -1;
	r->g.wait.syscall_nr = -1;
	if (st == G_WAITING)
		r->g.reason = ts_go_reason(bin, s->g[l->g_waitreason]);
	r->waitsince = rd64(s->g, l->g_waitsince);
	r->g.wait_ns = -1;
	if ((st == G_WAITING || st == G_SYSCALL) && r->waitsince &&
	    (int64_t)r->waitsince > 0 && b->now_ns > r->waitsince)
		r->g.wait_ns = b->now_ns - r->waitsince;
	r->m = rd64(s->g, l->g_m);
	r->lockedm = rd64(s->g, l->g_lockedm);
	r->g.locked = r->lockedm != 0;
	r->waiting = rd64(s->g, l->g_waiting);
	r->gopc = rd64(s->g, l->g_gopc);
	r->startpc = rd64(s->g, l->g_startpc);
	if (l->g_parent_goid != TS_GO_NO_OFF)
		r->g.parent_goid = (int64_t)rd64(s->g, l->g_parent_goid);
	if (s->flags & TS_GO_F_G2) {
		bool moved = stack_fields_changed(l, s);

		r->g.changed = moved || other_fields_changed(l, s);
		if (moved) {
			r->g.stack_status = TS_STACK_UNAVAILABLE;
			r->g.stack_note = "it ran while read: stack not shown";
			return 0;
		}
	}
	r->deferred = st == G_RUNNING || st == G_SYSCALL;
	if (st == G_RUNNING) {
		r->g.stack_status = TS_STACK_UNAVAILABLE;
		r->g.stack_note = "running on another thread; stack unavailable";
		return 0;
	}
	walk_stack(b, r, s);
	return 0;
}

/* The Ms of running, syscall and locked goroutines: which thread. */
static int on_m(const struct ts_go_slot *s, size_t idx, void *arg)
{
	struct ts_go_mthread *mt = arg;

	if ((s->flags & TS_GO_F_DATA) && s->len >= mt->lay->m_curg + 8 &&
	    s->len >= mt->lay->m_procid + 8) {
		mt->tid[idx] = (pid_t)rd64(s->data, mt->lay->m_procid);
		mt->curg[idx] = rd64(s->data, mt->lay->m_curg);
	}
	return 0;
}

static bool has_goexit(const struct build *b, const struct ts_thread *t)
{
	int i;

	for (i = 0; i < t->nframes; i++)
		if (t->frames[i].pc >= b->w.goexit_lo &&
		    t->frames[i].pc < b->w.goexit_hi)
			return true;
	return false;
}

/* Gives running and syscall goroutines their thread, its stack and (in a
 * syscall) what the thread waits on; tells each thread its goroutine. */
static void match_threads(struct build *b)
{
	struct ts_go_req *reqs = calloc(b->n * 2 + 1, sizeof(*reqs));
	struct ts_go_mthread mt = { .lay = &b->in->bin->lay };
	size_t i, nreq = 0;

	mt.tid = calloc(b->n * 2 + 1, sizeof(*mt.tid));
	mt.curg = calloc(b->n * 2 + 1, sizeof(*mt.curg));
	if (!reqs || !mt.tid || !mt.curg)
		goto out;
	for (i = 0; i < b->n; i++) {
		if (b->gs[i].deferred && b->gs[i].m)
			reqs[nreq++] = ts_go_req_of(b->gs[i].m, mt.lay->m_size);
		if (b->gs[i].lockedm)
			reqs[nreq++] = ts_go_req_of(b->gs[i].lockedm,
						    mt.lay->m_size);
	}
	if (nreq && ts_go_gather(b->in->rd, reqs, nreq, on_m, &mt))
		goto out;
	nreq = 0;
	for (i = 0; i < b->n; i++) {
		struct rawg *r = &b->gs[i];
		struct ts_thread *t;
		pid_t tid = 0;

		if (r->deferred && r->m) {
			if (mt.curg[nreq] == r->g.addr)
				tid = mt.tid[nreq];
			nreq++;
		}
		if (r->lockedm)
			r->g.locked_thread = mt.tid[nreq++];
		if (!tid)
			continue;
		r->g.thread = tid;
		t = b->in->threads ? ts_snapshot_find(b->in->threads, tid) : NULL;
		if (!t)
			continue;
		if (r->g.status == G_SYSCALL) {
			char what[320];

			r->g.wait.kind = TS_GOWAIT_SYSCALL;
			r->g.wait.syscall_nr = t->syscall_nr;
			r->g.wait.syscall_desc = strdup(ts_describe_blocked(
				t, what, sizeof(what)));
		}
		/* The thread's own (CFI) unwind is this goroutine's stack when
		 * it reaches goexit; else the thread is on its system stack. */
		if (t->nframes && has_goexit(b, t)) {
			int k, n = t->nframes < MAX_PCS ? t->nframes : MAX_PCS;

			/* Only now: the thread pass, a moment earlier, found
			 * it on this goroutine's stack. */
			t->goroutine = r->g.goid;

			for (k = 0; k < n; k++)
				r->pcs[k] = t->frames[k].pc;
			r->npcs = n;
			r->pc0_exact = true;
			r->g.stack_status = t->stack_status == TS_STACK_STALE ?
				TS_STACK_STALE : TS_STACK_COMPLETE;
			r->g.stack_note = t->stack_status == TS_STACK_STALE ?
				"running on a CPU: stack from its thread's last "
				"kernel entry, may be stale" : NULL;
		} else if (r->g.status == G_RUNNING) {
			r->g.stack_note = "running; its thread was in the "
				"scheduler when taskscope read it a moment "
				"before: stack unavailable";
		}
	}
out:
	free(reqs);
	free(mt.tid);
	free(mt.curg);
}

static void symbolize(struct build *b, struct rawg *r)
{
	struct ts_goframe tmp[MAX_FRAMES];
	struct ts_gosym *sym = b->in->sym;
	uint64_t entry;
	int i, n = 0;

	for (i = 0; i < r->npcs && n < MAX_FRAMES; i++)
		n += ts_gosym_frames(sym, r->pcs[i], i > 0 || !r->pc0_exact,
				     tmp + n, MAX_FRAMES - n);
	if (n) {
		r->g.frames = malloc(n * sizeof(*tmp));
		if (r->g.frames) {
			memcpy(r->g.frames, tmp, n * sizeof(*tmp));
			r->g.nframes = n;
		}
	}
	if (r->gopc) {
		/* The go statement: Go prints the function containing it and
		 * the line of gopc - 1, with offset gopc - entry. */
		n = ts_gosym_frames(sym, r->gopc, true, tmp, MAX_FRAMES);
		if (n > 0)
			r->g.created_by = tmp[n - 1];
	}
	if (r->startpc) {
		const char *raw = ts_gosym_func(sym, r->startpc, &entry);

		r->g.start_function = ts_gosym_start_func(sym, r->startpc,
							  &r->g.start_wrapper);
		/* Go's rule (isSystemGoroutine): started in the runtime, but
		 * not runtime.main. */
		r->g.system = raw && !strncmp(raw, "runtime.", 8) &&
			      strcmp(raw, "runtime.main");
	}
}

static int cmp_goid(const void *x, const void *y)
{
	const struct ts_goroutine *a = x, *b = y;

	return a->goid < b->goid ? -1 : a->goid > b->goid;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int ts_go_build(const struct ts_go_build_in *in, struct ts_go_view *out)
{
	const struct ts_go_binary *bin = in->bin;
	const struct ts_go_read_stats *st;
	struct build b = { .in = in };
	uint64_t entry = 0, *waiting;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->version, sizeof(out->version), "%s", bin->version);
	out->binary = bin->path;
	b.w.text_lo = bin->text_lo + bin->bias;
	b.w.text_hi = bin->text_hi + bin->bias;
	if (bin->goexit && ts_gosym_func(in->sym, bin->goexit + bin->bias, &entry)) {
		b.w.goexit_lo = entry;
		b.w.goexit_hi = bin->goexit + bin->bias + 16;
	}
	/* nanotime is CLOCK_MONOTONIC: waitsince compares with it. */
	b.now_ns = mono_now();
	err = ts_go_walk(in->rd, on_slot, &b);
	if (err) {
		free(b.gs);
		return err;
	}
	match_threads(&b);
	out->gs = calloc(b.n ? b.n : 1, sizeof(*out->gs));
	if (!out->gs) {
		free(b.gs);
		return -ENOMEM;
	}
	waiting = calloc(b.n ? b.n : 1, sizeof(*waiting));
	for (i = 0; i < b.n; i++) {
		symbolize(&b, &b.gs[i]);
		out->gs[i] = b.gs[i].g;
		out->nchanged += b.gs[i].g.changed;
		if (waiting)
			waiting[i] = b.gs[i].waiting;
	}
	out->n = b.n;
	if (waiting)
		ts_go_waits(in->pid, bin, in->rd, out->gs, waiting, out->n);
	free(waiting);
	qsort(out->gs, out->n, sizeof(*out->gs), cmp_goid);
	st = ts_go_reader_stats(in->rd);
	out->allglen = st->allglen;
	out->passes = st->passes;
	out->read_ms = st->read_ms;
	out->how = "bpf_copy_from_user_task in a task iterator";
	free(b.gs);
	return 0;
}
