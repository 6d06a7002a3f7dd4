// SPDX-License-Identifier: GPL-2.0
/* taskscope watch on a Go program: goroutine lifecycles from uprobes on the
 * Go runtime (src/taskscope/go/go_watch.c attaches them, to the target's
 * pid only).
 *
 * - creation: a uprobe on the `call runtime.runqput(pp, newg, true)` that
 *   follows each `call runtime.newproc1` (the new g in BX), or on the
 *   instruction right after the call (the new g in AX, Go's register ABI
 *   result) when no runqput follows. Not a uretprobe: Go moves stacks,
 *   and a moved stack meets a patched return address. R14 holds the
 *   current g (g0, on the system stack), whose m.curg is the goroutine that
 *   ran the go statement;
 * - exit: the `call runtime.goexit1` in runtime.goexit, where a
 *   goroutine's function returns to (R14 is still its g), or goexit1's
 *   entry. Calls are probed where possible because the kernel emulates
 *   them; other instructions are single-stepped, a second trap;
 * - with --goroutine-waits: runtime.gopark (R14 parks, CX is the reason),
 *   runtime.ready (AX is woken, R14 wakes it) and runtime.execute (AX runs
 *   again: the park ends, whatever woke it, netpoller included).
 *
 * Records go through a ring buffer, the reader woken only when it is a
 * quarter full; a full ring bumps a per-CPU counter user space reports. Loads on Linux 6.1 (uprobes, ring buffers,
 * bpf_probe_read_user only).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "taskscope_abi.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct ts_gwatch_config ts_gw_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} ts_gw_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ts_gwatch_stats);
} ts_gw_stats SEC(".maps");

struct gpark {
	__u64 ts_ns;
	__s64 waker;
	__u32 reason;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18);
	__type(key, __s64);
	__type(value, struct gpark);
} ts_gw_park SEC(".maps");

static __always_inline __u64 rd(__u64 addr, __u32 off)
{
	__u64 v = 0;

	if (addr)
		bpf_probe_read_user(&v, sizeof(v), (void *)(addr + off));
	return v;
}

/* Wakes the reader only once the ring is a quarter full: a wake-up per
 * event is an irq_work (a self-IPI, a VM exit under virtualization) that
 * cost more than the probe itself; the reader polls every 50 ms anyway. */
static __always_inline void submit(struct ts_gev *e)
{
	__u64 quarter = bpf_ringbuf_query(&ts_gw_ring, BPF_RB_RING_SIZE) / 4;

	bpf_ringbuf_submit(e, bpf_ringbuf_query(&ts_gw_ring, BPF_RB_AVAIL_DATA) >=
			   quarter ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

static __always_inline struct ts_gwatch_stats *stats(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ts_gw_stats, &zero);
}

static __always_inline struct ts_gev *reserve(__u32 type)
{
	struct ts_gwatch_stats *st = stats();
	struct ts_gev *e = bpf_ringbuf_reserve(&ts_gw_ring, sizeof(*e), 0);

	if (!e) {
		if (st)
			st->lost++;
		return NULL;
	}
	if (st && type < TS_GEV_TYPE_MAX)
		st->emitted[type]++;
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	return e;
}

static __always_inline int created(__u64 newg, __u64 g0)
{
	struct ts_gev *e = reserve(TS_GEV_CREATE);
	__u64 curg;

	if (!e)
		return 0;
	e->goid = rd(newg, ts_gw_cfg.off_goid);
	e->startpc = rd(newg, ts_gw_cfg.off_startpc);
	e->gopc = rd(newg, ts_gw_cfg.off_gopc);
	if (ts_gw_cfg.off_parent_goid != ~0u) {
		e->other_goid = rd(newg, ts_gw_cfg.off_parent_goid);
	} else {
		curg = rd(rd(g0, ts_gw_cfg.off_m), ts_gw_cfg.off_curg);
		e->other_goid = curg ? rd(curg, ts_gw_cfg.off_goid) : 0;
	}
	submit(e);
	return 0;
}

/* Right after `call runtime.newproc1`: the new g is its result, in AX. */
SEC("uprobe")
int ts_go_created(struct pt_regs *ctx)
{
	return created(ctx->ax, ctx->r14);
}

/* At the `call runtime.runqput(pp, newg, next)` that follows: the new g
 * is its second argument, in BX. A call instruction, which the kernel
 * emulates: one trap, not two. */
SEC("uprobe")
int ts_go_queued(struct pt_regs *ctx)
{
	return created(ctx->bx, ctx->r14);
}

SEC("uprobe")
int ts_go_exit(struct pt_regs *ctx)
{
	__u64 g = ctx->r14;
	struct ts_gev *e = reserve(TS_GEV_EXIT);
	__s64 goid;

	if (!e)
		return 0;
	goid = rd(g, ts_gw_cfg.off_goid);
	e->goid = goid;
	e->startpc = rd(g, ts_gw_cfg.off_startpc);
	e->gopc = rd(g, ts_gw_cfg.off_gopc);
	submit(e);
	bpf_map_delete_elem(&ts_gw_park, &goid);
	return 0;
}

SEC("uprobe")
int ts_go_park(struct pt_regs *ctx)
{
	struct ts_gwatch_stats *st = stats();
	struct gpark p = {};
	__s64 goid = rd(ctx->r14, ts_gw_cfg.off_goid);

	if (st)
		st->parks++;
	p.ts_ns = bpf_ktime_get_ns();
	p.reason = ctx->cx & 0xff;
	bpf_map_update_elem(&ts_gw_park, &goid, &p, BPF_ANY);
	return 0;
}

SEC("uprobe")
int ts_go_ready(struct pt_regs *ctx)
{
	__s64 goid = rd(ctx->ax, ts_gw_cfg.off_goid);
	struct gpark *p = bpf_map_lookup_elem(&ts_gw_park, &goid);

	if (p)
		p->waker = rd(ctx->r14, ts_gw_cfg.off_goid);
	return 0;
}

SEC("uprobe")
int ts_go_execute(struct pt_regs *ctx)
{
	__u64 gp = ctx->ax;
	__s64 goid = rd(gp, ts_gw_cfg.off_goid);
	struct gpark *p = bpf_map_lookup_elem(&ts_gw_park, &goid);
	struct ts_gev *e;
	__u64 dur;

	if (!p)
		return 0;
	dur = bpf_ktime_get_ns() - p->ts_ns;
	if (dur >= ts_gw_cfg.min_block_ns) {
		e = reserve(TS_GEV_WAIT);
		if (e) {
			e->goid = goid;
			e->other_goid = p->waker;
			e->reason = p->reason;
			e->dur_ns = dur;
			e->startpc = rd(gp, ts_gw_cfg.off_startpc);
			e->gopc = rd(gp, ts_gw_cfg.off_gopc);
			e->ts_ns = p->ts_ns + dur;
			submit(e);
		}
	}
	bpf_map_delete_elem(&ts_gw_park, &goid);
	return 0;
}
