/* Classification of watched waits (see watch_classify.h). */
#include "taskscope/watch/watch_classify.h"

#include <string.h>

#include "threadview/classify.h"
#include "threadview/describe.h"
#include "threadview/fdinfo.h"
#include "threadview/syscalls.h"

#define NR_EXIT 60
#define TASK_UNINTERRUPTIBLE 2

/* The struct ts_thread snapshot's classifier reads, from a wait record. */
static void to_thread(const struct wev *ev, const struct ts_frame *frames,
		      int n, struct ts_thread *t)
{
	const struct ts_wait *w = &ev->wait.w;

	memset(t, 0, sizeof(*t));
	t->tid = ev->tid;
	t->pid = ev->pid;
	memcpy(t->name, ev->name, sizeof(t->name) - 1);
	t->state = w->sched_state & TASK_UNINTERRUPTIBLE ?
		   TS_STATE_UNINTERRUPTIBLE : TS_STATE_SLEEPING;
	t->syscall_nr = w->syscall;
	t->args[0] = w->obj;
	t->args[1] = w->futex_op;
	t->frames = (struct ts_frame *)frames;
	t->nframes = n;
	t->blocked.fd = -1;
	t->blocked.remaining_ns = -1;
	t->blocked.timeout_ms = -2;
	if (w->flags & TS_WAIT_F_FD) {
		t->blocked.fd = (int)w->obj;
		t->blocked.fdi = w->fd;
	}
	if (w->flags & TS_WAIT_F_WORD) {
		t->has_umem = true;
		t->umem_addr = w->obj;
		t->umem[0] = w->futex_word;
		t->umem[2] = w->futex_owner;
	}
}

/* With only the syscall's ip for a stack, glibc's low-level lock wait
 * (pthread_mutex_lock's slow path) still says "mutex". */
static bool ip_is_lock_wait(const struct ts_frame *frames, int n)
{
	return n > 0 && frames[0].function &&
	       strstr(frames[0].function, "lll_lock_wait");
}

/* Refines the kind with the waker: a futex wake on the same address from
 * the mutex's previous holder, or the exit of a joined thread. */
static void use_waker(struct ts_thread *t, const struct ts_wait *w,
		      const struct ts_frame *frames, int n)
{
	struct ts_blocked *b = &t->blocked;
	bool by_futex = w->flags & TS_WAIT_F_WAKER_FUTEX;
	bool same_proc = (pid_t)w->waker_tgid == t->pid;

	if (b->kind == TS_BLOCK_FUTEX && ip_is_lock_wait(frames, n))
		b->kind = TS_BLOCK_MUTEX;
	if (!(w->flags & TS_WAIT_F_WAKER) || !same_proc)
		return;
	if (b->kind == TS_BLOCK_MUTEX && !b->owner_tid && by_futex)
		b->owner_tid = (pid_t)w->waker_tid;
	if ((b->kind == TS_BLOCK_FUTEX || b->kind == TS_BLOCK_JOIN) &&
	    w->waker_syscall == NR_EXIT) {
		b->kind = TS_BLOCK_JOIN;
		b->join_tid = (pid_t)w->waker_tid;
	}
}

void watch_classify_wait(struct wev_view *v, const struct ts_frame *frames,
			 int n, struct wthreads *threads)
{
	const struct wev *ev = v->ev;
	const struct ts_wait *w = &ev->wait.w;
	struct ts_classify_clock clk = { 0, 0 };
	struct ts_blocked *b;
	struct ts_thread t;

	to_thread(ev, frames, n, &t);
	ts_classify(&t, &clk);
	use_waker(&t, w, frames, n);
	b = &t.blocked;
	if (threads) {
		b->owner_name = b->owner_tid ?
				wthreads_name(threads, b->owner_tid) : NULL;
		b->join_name = b->join_tid ?
			       wthreads_name(threads, b->join_tid) : NULL;
	}
	v->kind = b->kind;
	v->object = b->has_object ? b->object : w->obj;
	v->owner_tid = b->kind == TS_BLOCK_JOIN ? b->join_tid : b->owner_tid;
	v->owner_name = b->kind == TS_BLOCK_JOIN ? b->join_name : b->owner_name;
	v->syscall = ts_syscall_name(w->syscall);
	ts_describe_blocked(&t, v->what, sizeof(v->what));
	v->fd_type = NULL;
	v->fd_local[0] = v->fd_peer[0] = '\0';
	if ((w->flags & TS_WAIT_F_FD) && w->fd.type != TS_FD_NONE) {
		v->fd_type = ts_fd_type_name(&w->fd);
		if (w->fd.type == TS_FD_SOCKET &&
		    (w->fd.family == 2 || w->fd.family == 10)) {  /* INET, INET6 */
			ts_fd_endpoint(&w->fd, 0, v->fd_local, sizeof(v->fd_local));
			ts_fd_endpoint(&w->fd, 1, v->fd_peer, sizeof(v->fd_peer));
		}
	}
}
