/* libFuzzer target: the futex/socket classifier (classify.c) and what is
 * built on it: the one-line description (describe.c), fd naming (fdinfo.c)
 * and the wait-for graph with deadlock cycles (waitgraph.c). A small
 * process of up to 8 threads is made from the input: syscall numbers
 * (mostly the blocking ones classify.c knows), arguments, the user memory
 * BPF copied around the futex word (owner tids land on other threads of
 * the process, so edges and cycles happen), stack function names and fd
 * info with socket addresses.
 *
 * Checked: kinds stay in their enum; the holder of an edge is the owner or
 * joined thread the classifier found (it may be outside the process);
 * cycles follow edges; descriptions are terminated and fit their
 * buffers. */
#include <stdbool.h>

#include "fuzz_util.h"
#include "threadview/classify.h"
#include "threadview/describe.h"
#include "threadview/fdinfo.h"
#include "threadview/waitgraph.h"

#define MAX_THREADS 8
#define TID_BASE 1000

/* Syscalls classify.c treats specially, and a few it does not. */
static const int nrs[] = {
	202, 454, 449, 0, 17, 19, 45, 47, 295, 299, 327, 1, 18, 20, 44, 46, 307,
	43, 288, 42, 7, 271, 23, 270, 232, 281, 441, 35, 230, 61, 247, 34, 130,
	128, 60, -1,
};
static const char *const fn_names[] = {
	"__pthread_mutex_lock_full", "__pthread_mutex_cond_lock",
	"___pthread_mutex_lock", "pthread_mutex_timedlock",
	"__pthread_cond_wait_common", "pthread_cond_timedwait",
	"__pthread_rwlock_rdlock_full64", "__pthread_rwlock_wrlock_full64",
	"pthread_rwlock_wrlock", "__pthread_clockjoin_ex", "pthread_join",
	"__new_sem_wait_slow64.constprop.0", "sem_clockwait", "sem_wait.isra.1",
	"__lll_lock_wait", "pthread_mutex_lockx", "main", "", NULL,
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void make_thread(struct fz *in, struct ts_thread *t, pid_t tid,
			struct ts_frame *frames)
{
	unsigned sel = fz_u8(in), nf;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = TID_BASE;
	fz_fill(in, t->name, sizeof(t->name) - 1);
	t->state = (enum ts_sched_state)(fz_u8(in) % (TS_STATE_UNKNOWN + 1));
	t->exited = sel & 0x80;
	t->syscall_nr = (sel & 0x40) ? (int)fz_u32(in) : nrs[sel % NELEM(nrs)];
	for (int i = 0; i < 6; i++)
		t->args[i] = fz_u64(in);
	if (fz_u8(in) & 1)   /* futex address near the copied memory */
		t->args[0] = 0x7f0000001000ull + (fz_u8(in) & 0x3f);
	t->has_umem = sel & 0x20;
	t->umem_low = sel & 0x10;
	t->umem_addr = 0x7f0000001000ull - (t->umem_low ? 16 : 0);
	for (int i = 0; i < 12; i++) {
		uint8_t b = fz_u8(in);
		/* Owner words usually name another thread of the process. */
		t->umem[i] = (b & 0x80) ? TID_BASE + (b & 7) : fz_u32(in);
	}
	t->off_cpu_known = sel & 0x08;
	t->off_cpu_ns = fz_u64(in);
	t->blocked.fd = -1;
	t->blocked.remaining_ns = -1;
	t->blocked.timeout_ms = -2;
	if (sel & 0x04) {
		t->blocked.fd = (int)t->args[0];
		fz_fill(in, &t->blocked.fdi, sizeof(t->blocked.fdi));
		t->blocked.fdi.type %= TS_FD_OTHER + 2;
		t->blocked.fdi.family = (fz_u8(in) & 1) ? 10 : 2;
	}
	nf = fz_u8(in) % 9;
	for (unsigned i = 0; i < nf; i++) {
		memset(&frames[i], 0, sizeof(frames[i]));
		frames[i].pc = fz_u64(in);
		frames[i].function = fn_names[fz_u8(in) % NELEM(fn_names)];
	}
	t->frames = frames;
	t->nframes = (int)nf;
}

static void check_thread(const struct ts_thread *t)
{
	char buf[256], small[8], ep[64];

	FZ_ASSERT(t->blocked.kind <= TS_BLOCK_SYSCALL);
	FZ_ASSERT(ts_block_kind_name(t->blocked.kind) != NULL);
	FZ_ASSERT(ts_state_name(t->state) != NULL);
	ts_describe_blocked(t, buf, sizeof(buf));
	FZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	ts_describe_blocked(t, small, sizeof(small));
	FZ_ASSERT(memchr(small, '\0', sizeof(small)) != NULL);
	FZ_ASSERT(ts_futex_kind_from_stack(t->frames, t->nframes) <= TS_BLOCK_FUTEX);
	if (t->blocked.fdi.type == TS_FD_SOCKET) {
		ts_fd_endpoint(&t->blocked.fdi, 0, ep, sizeof(ep));
		FZ_ASSERT(memchr(ep, '\0', sizeof(ep)) != NULL);
		ts_fd_endpoint(&t->blocked.fdi, 1, ep, sizeof(ep));
		FZ_ASSERT(memchr(ep, '\0', sizeof(ep)) != NULL);
	}
	FZ_ASSERT(ts_fd_type_name(&t->blocked.fdi) != NULL);
}

static void check_graph(const struct ts_snapshot *s)
{
	for (size_t e = 0; e < s->nedges; e++) {
		const struct ts_thread *w = ts_snapshot_find(s, s->edges[e].waiter);

		/* The holder may be outside the process: still an edge. */
		FZ_ASSERT(w != NULL && s->edges[e].holder > 0);
		FZ_ASSERT(s->edges[e].holder == w->blocked.owner_tid ||
			  s->edges[e].holder == w->blocked.join_tid);
	}
	for (size_t c = 0; c < s->ncycles; c++)
		for (size_t i = 0; i < s->cycles[c].n; i++) {
			bool found = false;
			pid_t a = s->cycles[c].tids[i];
			pid_t b = s->cycles[c].tids[(i + 1) % s->cycles[c].n];

			for (size_t e = 0; e < s->nedges; e++)
				found |= s->edges[e].waiter == a &&
					 s->edges[e].holder == b;
			FZ_ASSERT(found);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ts_frame frames[MAX_THREADS][8];
	struct fz in = { data, size };
	struct ts_classify_clock clk;
	struct ts_thread threads[MAX_THREADS];
	struct ts_snapshot s = { .pid = TID_BASE };
	size_t n = 1 + fz_u8(&in) % MAX_THREADS;

	clk.mono_ns = fz_u64(&in);
	clk.real_ns = fz_u64(&in);
	for (size_t i = 0; i < n; i++) {
		make_thread(&in, &threads[i], TID_BASE + (pid_t)i, frames[i]);
		ts_classify(&threads[i], &clk);
		check_thread(&threads[i]);
	}
	s.threads = threads;
	s.nthreads = n;
	ts_snapshot_sort(&s);
	FZ_ASSERT(ts_waitgraph_build(&s) == 0);
	check_graph(&s);
	for (size_t i = 0; i < n; i++)
		check_thread(&threads[i]);   /* with owner names filled in */
	ts_snapshot_free_graph(&s);
	return 0;
}
