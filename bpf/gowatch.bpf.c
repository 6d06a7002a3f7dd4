// SPDX-License-Identifier: GPL-2.0
/* taskscope watch on a Go program: goroutine lifecycles from uprobes on the
 * Go runtime (src/taskscope/go/go_watch.c attaches them, to the target's
 * pid only).
 *
 * - creation: a uprobe on the instruction right after each `call
 *   runtime.newproc1` (not a uretprobe: Go moves stacks, and a moved stack
 *   meets a patched return address). The new g is in AX (Go's register
 *   ABI returns there); R14 holds the current g (g0, on the system stack),
 *   whose m.curg is the goroutine that ran the go statement;
 * - exit: runtime.goexit1's entry, where R14 is the exiting g;
 * - with --goroutine-waits: runtime.gopark (R14 parks, CX is the reason),
 *   runtime.ready (AX is woken, R14 wakes it) and runtime.execute (AX runs
 *   again: the park ends, whatever woke it, netpoller included).
 *
 * Records go through a ring buffer; a full ring bumps a per-CPU counter
 * user space reports. Loads on Linux 6.1 (uprobes, ring buffers,
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

SEC("uprobe")
int ts_go_created(struct pt_regs *ctx)
{
	__u64 newg = ctx->ax, g0 = ctx->r14, curg;
	struct ts_gev *e = reserve(TS_GEV_CREATE);

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
	bpf_ringbuf_submit(e, 0);
	return 0;
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
	bpf_ringbuf_submit(e, 0);
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
	__s64 goid = rd(ctx->ax, ts_gw_cfg.off_goid);
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
			e->ts_ns = p->ts_ns + dur;
			bpf_ringbuf_submit(e, 0);
		}
	}
	bpf_map_delete_elem(&ts_gw_park, &goid);
	return 0;
}
