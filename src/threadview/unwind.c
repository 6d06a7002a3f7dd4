/* libdw unwinding of copied registers + stack bytes (see unwind.h).
 *
 * libdw drives the unwind through Dwfl_Thread_Callbacks. We attach our own
 * callbacks instead of dwfl_linux_proc_attach (which would ptrace and stop
 * the thread): the initial registers and all stack memory come from the
 * copy BPF made. memory_read has no thread argument, so the thread being
 * unwound is kept in the unwinder (u->cur). A read outside the copied
 * window makes libdw end the unwind as if it were complete, so memory_read
 * records it and ts_unwind reports truncation. */
#include "threadview/unwind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <elfutils/libdwfl.h>

#include "threadview/symbolize.h"

struct ts_cur_thread {
	pid_t tid;
	const struct ts_user_regs *regs;
	uint64_t stack_addr;
	const unsigned char *stack;
	size_t len;
	bool read_outside;        /* memory_read was asked beyond the window */
};

struct ts_unwinder {
	struct ts_symbolizer *sym;  /* owned: the process's modules */
	Dwfl *dwfl;                 /* sym's libdw session */
	pid_t pid;
	bool attached;
	struct ts_cur_thread cur;
};

struct ts_walk {
	uint64_t *pcs;
	int max, n;
};

static pid_t cb_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct ts_unwinder *u = arg;

	(void)dwfl;
	/* Only the current thread exists for libdw: one call yields it. */
	if (*thread_argp)
		return 0;
	*thread_argp = &u->cur;
	return u->cur.tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct ts_unwinder *u = arg;

	(void)dwfl;
	if (tid != u->cur.tid)
		return false;
	*thread_argp = &u->cur;
	return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			   void *arg)
{
	struct ts_unwinder *u = arg;
	struct ts_cur_thread *t = &u->cur;

	(void)dwfl;
	/* Written so no sum can wrap: a window near the top of the address
	 * space would otherwise let addr - stack_addr + 8 come out small. */
	if (addr < t->stack_addr || t->len < sizeof(*result) ||
	    addr - t->stack_addr > t->len - sizeof(*result)) {
		t->read_outside = true;
		return false;
	}
	memcpy(result, t->stack + (addr - t->stack_addr), sizeof(*result));
	return true;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct ts_cur_thread *t = thread_arg;
	Dwarf_Word regs[TS_REG_COUNT];
	int i;

	for (i = 0; i < TS_REG_COUNT; i++)
		regs[i] = t->regs->r[i];
	/* DWARF registers 0-16 on x86_64; 16 is the return address column,
	 * which libdw takes as the pc. */
	if (!dwfl_thread_state_registers(thread, 0, TS_REG_COUNT, regs))
		return false;
	dwfl_thread_state_register_pc(thread, t->regs->r[TS_REG_IP]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = cb_next_thread,
	.get_thread = cb_get_thread,
	.memory_read = cb_memory_read,
	.set_initial_registers = cb_set_initial_registers,
};

struct ts_unwinder *ts_unwinder_new(pid_t pid)
{
	struct ts_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->pid = pid;
	u->sym = ts_symbolizer_new(pid);
	if (!u->sym) {
		int err = errno;

		free(u);
		errno = err;
		return NULL;
	}
	u->dwfl = ts_symbolizer_dwfl(u->sym);
	return u;
}

int ts_unwinder_prewarm(struct ts_unwinder *u)
{
	return ts_symbolizer_prewarm(u->sym);
}

void ts_unwinder_free(struct ts_unwinder *u)
{
	if (!u)
		return;
	ts_symbolizer_free(u->sym);
	free(u);
}

struct ts_symbolizer *ts_unwinder_symbolizer(struct ts_unwinder *u)
{
	return u->sym;
}

static int frame_cb(Dwfl_Frame *frame, void *arg)
{
	struct ts_walk *w = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(frame, &pc, NULL))
		return DWARF_CB_ABORT;
	if (w->n >= w->max)
		return DWARF_CB_ABORT;
	w->pcs[w->n++] = pc;
	return DWARF_CB_OK;
}

int ts_unwind(struct ts_unwinder *u, pid_t tid, const struct ts_user_regs *regs,
	      uint64_t stack_addr, const void *stack, size_t len, uint64_t *pcs,
	      int max, bool *truncated, enum ts_unwind_stop *why)
{
	struct ts_walk w = { .pcs = pcs, .max = max };
	enum ts_unwind_stop stop = TS_UNWIND_COMPLETE;
	int rc;

	if (!u || !regs || !pcs || max < 1 || tid <= 0)
		return -EINVAL;
	if (!u->attached) {
		/* Once per process: the Dwfl keeps our callbacks for good. */
		if (!dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks, u)) {
			pcs[0] = regs->r[TS_REG_IP];
			*truncated = true;
			if (why)
				*why = TS_UNWIND_ERROR;
			return 1;
		}
		u->attached = true;
	}
	u->cur = (struct ts_cur_thread){
		.tid = tid, .regs = regs, .stack_addr = stack_addr,
		.stack = stack, .len = stack ? len : 0,
	};
	rc = dwfl_getthread_frames(u->dwfl, tid, frame_cb, &w);
	if (w.n == 0)
		pcs[w.n++] = regs->r[TS_REG_IP];
	if (w.n >= max)
		stop = TS_UNWIND_MAX_FRAMES;
	else if (u->cur.read_outside)
		stop = TS_UNWIND_WINDOW;
	else if (rc != 0) {
		/* libdw ends at the outermost frame without error; any error
		 * left means a frame it could not step over. */
		const char *msg = dwfl_errmsg(-1);

		stop = msg && (strstr(msg, "DWARF") || strstr(msg, "address")) ?
			TS_UNWIND_NO_CFI : TS_UNWIND_ERROR;
	}
	*truncated = stop != TS_UNWIND_COMPLETE;
	if (why)
		*why = stop;
	return w.n;
}

const char *ts_unwind_stop_str(enum ts_unwind_stop why)
{
	switch (why) {
	case TS_UNWIND_COMPLETE: return "complete";
	case TS_UNWIND_WINDOW: return "stack window too small";
	case TS_UNWIND_MAX_FRAMES: return "too many frames";
	case TS_UNWIND_NO_CFI: return "no unwind info for a frame";
	case TS_UNWIND_ERROR: return "unwind error";
	}
	return "unknown";
}
