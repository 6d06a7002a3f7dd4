// SPDX-License-Identifier: GPL-2.0
/* taskscope's Go runtime reader: copies a Go process's goroutines (each
 * runtime.g and the top of its stack) out of the running process, from a
 * sleepable task iterator, with bpf_copy_from_user_task. Nothing is stopped,
 * signalled or injected: the copies race with the program, so each g is
 * copied twice, before and after its stack, and user space shows a
 * goroutine whose fields differ as changed while read
 * (src/taskscope/go/go_build.c).
 *
 * The iterator is filtered to the target (link_info.task.pid); the work is
 * done once per pass, for the first thread that has an address space, and
 * written into the mmapable array ts_go_out rather than the seq_file,
 * whose 32 KiB per object would hold three goroutines. A pass fills at
 * most TS_GO_SLOTS slots; user space runs passes until allgs is read.
 *
 * GATHER mode copies a list of (address, length) requests the same way:
 * the Ms of running goroutines, channel waiters, poll descriptors, the
 * semaphore table.
 *
 * Loads on Linux 6.1: bpf_loop, bpf_copy_from_user_task and sleepable task
 * iterators only; no kfuncs, no CO-RE beyond task->mm.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "taskscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_go_config);
} ts_go_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_go_result);
} ts_go_res SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TS_GO_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_go_req);
} ts_go_req SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, TS_GO_SLOTS);
	__type(key, __u32);
	__type(value, struct ts_go_slot);
} ts_go_out SEC(".maps");

struct walk_ctx {
	struct task_struct *task;
	struct ts_go_config *cfg;
	struct ts_go_result *res;
	__u64 allgs_ptr;
	__u64 allglen;
};

/* Reads a field of the g copy at a DWARF offset, bounded for the
 * verifier. */
static __always_inline __u64 g_u64(const struct ts_go_slot *s, __u32 off)
{
	if (off > TS_GO_G_MAX - 8)
		return 0;
	return *(const __u64 *)(s->g + off);
}

static __always_inline __u32 g_u32(const struct ts_go_slot *s, __u32 off)
{
	if (off > TS_GO_G_MAX - 4)
		return 0;
	return *(const __u32 *)(s->g + off);
}

/* Keeps clang from testing a copy of a length and passing the original:
 * the verifier must see the bound on the register that reaches the
 * helper. */
#define clamp_len(len, max)                                                  \
	({                                                                   \
		__u64 __l = (len);                                           \
		if (__l > (max))                                             \
			__l = (max);                                         \
		asm volatile("" : "+r"(__l));                                \
		if (__l > (max))                                             \
			__l = 0;                                             \
		__l;                                                         \
	})

/* Copies len bytes (clamped to TS_GO_DATA_MAX) from addr into s->data. */
static __always_inline bool copy_data(struct task_struct *task,
				      struct ts_go_slot *s, __u64 addr,
				      __u64 len)
{
	len = clamp_len(len, TS_GO_DATA_MAX);
	if (len == 0)
		return false;
	s->data_addr = addr;
	if (bpf_copy_from_user_task(s->data, len, (void *)addr, task, 0)) {
		s->flags |= TS_GO_F_DATA_FAIL;
		return false;
	}
	s->len = len;
	s->flags |= TS_GO_F_DATA;
	return true;
}

#define GO_STATUS_SYSCALL 3
#define GO_STATUS_DEAD 6
#define GO_STATUS_SCAN 0x1000

static long walk_one(__u32 i, void *data)
{
	struct walk_ctx *c = data;
	struct ts_go_config *cfg = c->cfg;
	struct ts_go_slot *s;
	__u32 idx = cfg->start + i, st;
	__u64 gp = 0, lo, hi, sp, from, max, gsize = cfg->gsize;

	if (idx >= c->allglen)
		return 1;
	s = bpf_map_lookup_elem(&ts_go_out, &i);
	if (!s)
		return 1;
	s->addr = 0;
	s->data_addr = 0;
	s->flags = 0;
	s->len = 0;
	s->index = idx;
	c->res->done = i + 1;
	if (bpf_copy_from_user_task(&gp, sizeof(gp),
				    (void *)(c->allgs_ptr + (__u64)idx * 8),
				    c->task, 0) || !gp) {
		s->flags |= TS_GO_F_PTR_FAIL;
		c->res->errors++;
		return 0;
	}
	s->addr = gp;
	gsize = clamp_len(gsize, TS_GO_G_MAX);
	if (gsize == 0)
		return 1;
	if (bpf_copy_from_user_task(s->g, gsize, (void *)gp, c->task, 0)) {
		c->res->errors++;
		return 0;
	}
	s->flags |= TS_GO_F_G;
	st = g_u32(s, cfg->off_status) & ~GO_STATUS_SCAN;
	if (st == GO_STATUS_DEAD) {
		s->flags |= TS_GO_F_NO_STACK;
		return 0;
	}
	lo = g_u64(s, cfg->off_stack_lo);
	hi = g_u64(s, cfg->off_stack_lo + 8);
	sp = g_u64(s, st == GO_STATUS_SYSCALL ? cfg->off_syscallsp
					      : cfg->off_sched_sp);
	/* 16 bytes below sp: the saved frame pointer of the frame that
	 * entered the syscall (user space needs it to start the walk). */
	from = sp - 16;
	if (!sp || from < lo || sp >= hi || hi - lo > (1ull << 30)) {
		s->flags |= TS_GO_F_NO_STACK;
	} else {
		max = cfg->data_max;
		if (hi - from > max)
			s->flags |= TS_GO_F_CUT;
		else
			max = hi - from;
		copy_data(c->task, s, from, max);
	}
	if (!bpf_copy_from_user_task(s->g2, gsize, (void *)gp, c->task, 0))
		s->flags |= TS_GO_F_G2;
	return 0;
}

static long gather_one(__u32 i, void *data)
{
	struct walk_ctx *c = data;
	struct ts_go_slot *s;
	struct ts_go_req *r;

	if (i >= c->cfg->count)
		return 1;
	r = bpf_map_lookup_elem(&ts_go_req, &i);
	s = bpf_map_lookup_elem(&ts_go_out, &i);
	if (!r || !s)
		return 1;
	s->addr = r->addr;
	s->flags = 0;
	s->len = 0;
	s->index = i;
	c->res->done = i + 1;
	if (!copy_data(c->task, s, r->addr, r->len))
		c->res->errors++;
	return 0;
}

SEC("iter.s/task")
int ts_goroutines(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct walk_ctx c = {};
	__u64 hdr[2];
	__u32 zero = 0, n;

	if (!task || !task->mm)
		return 0;
	c.cfg = bpf_map_lookup_elem(&ts_go_cfg, &zero);
	c.res = bpf_map_lookup_elem(&ts_go_res, &zero);
	if (!c.cfg || !c.res || c.res->pass == c.cfg->pass)
		return 0;             /* done by an earlier thread this pass */
	c.res->pass = c.cfg->pass;
	c.res->done = 0;
	c.res->errors = 0;
	c.res->tid = task->pid;
	c.task = task;
	if (c.cfg->mode == TS_GO_WALK) {
		/* The slice header: pointer and length. */
		if (bpf_copy_from_user_task(hdr, sizeof(hdr),
					    (void *)c.cfg->allgs_addr, task, 0)) {
			c.res->errors++;
			return 0;
		}
		c.allgs_ptr = hdr[0];
		c.allglen = hdr[1];
		c.res->allgs_ptr = hdr[0];
		c.res->allglen = hdr[1];
		n = c.allglen > c.cfg->start ? c.allglen - c.cfg->start : 0;
		if (n > TS_GO_SLOTS)
			n = TS_GO_SLOTS;
		bpf_loop(n, walk_one, &c, 0);
	} else {
		n = c.cfg->count < TS_GO_SLOTS ? c.cfg->count : TS_GO_SLOTS;
		bpf_loop(n, gather_one, &c, 0);
	}
	c.res->now_mono_ns = bpf_ktime_get_ns();
	return 0;
}
