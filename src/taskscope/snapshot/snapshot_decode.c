/* Snapshot record decoding (see snapshot_decode.h). */
#include "taskscope/snapshot/snapshot_decode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ts_decode_records(const unsigned char *buf, size_t len,
		      const struct ts_snap_thread ***recs, size_t *n)
{
	const struct ts_snap_thread **v = NULL, **nv;
	const struct ts_snap_thread *r;
	size_t off = 0, cap = 0, cnt = 0;

	while (off < len) {
		if (len - off < sizeof(*r))
			goto malformed;
		r = (const struct ts_snap_thread *)(buf + off);
		if (r->abi_version != TS_ABI_VERSION || r->rec_len < sizeof(*r) ||
		    r->rec_len > len - off ||
		    r->rec_len != sizeof(*r) + r->kstack_len + r->ustack.len ||
		    r->rec_len % 8 || r->ustack.len > TS_STACK_MAX)
			goto malformed;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[cnt++] = r;
		off += r->rec_len;
	}
	*recs = v;
	*n = cnt;
	return 0;
malformed:
	free(v);
	return -EPROTO;
}

const uint64_t *ts_rec_kstack(const struct ts_snap_thread *r, int *n)
{
	*n = r->kstack_len / 8;
	return (const uint64_t *)((const unsigned char *)r + sizeof(*r));
}

const void *ts_rec_ustack(const struct ts_snap_thread *r)
{
	return (const unsigned char *)r + sizeof(*r) + r->kstack_len;
}

int64_t ts_sched_clock_offset(const struct ts_snap_thread *const *recs,
			      size_t n)
{
	int64_t best = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!recs[i]->now_sched_ns)
			continue;
		d = (int64_t)(recs[i]->now_sched_ns - recs[i]->now_mono_ns);
		if (i == 0 || d > best)
			best = d;
	}
	return best;
}

enum ts_sched_state ts_decode_state(uint32_t state, uint32_t exit_state,
				    bool on_cpu)
{
	return ts_task_state(state, exit_state, on_cpu);
}

/* Off-CPU time: from when the thread last left the CPU (it arrived at
 * last_arrival and ran last_run_ns) to now, both in the scheduler clock.
 * "now" is this record's bpf_ktime_get_ns() moved into the scheduler
 * clock with the offset estimated over the whole pass. */
static void decode_off_cpu(const struct ts_snap_thread *r, int64_t offset,
			   struct ts_thread *t)
{
	uint64_t left, now;

	t->off_cpu_known = false;
	t->off_cpu_ns = 0;
	if (t->state == TS_STATE_RUNNING) {
		t->off_cpu_known = true;
		return;
	}
	if (!r->last_arrival_ns)
		return;
	left = r->last_arrival_ns + r->last_run_ns;
	now = r->now_mono_ns + offset;
	t->off_cpu_known = true;
	t->off_cpu_ns = now > left ? now - left : 0;
}

/* CPU time: se.sum_exec_runtime, plus for a thread on a CPU during the
 * pass the part of its current stint the scheduler has not accounted yet
 * (up to a tick's worth, or all its life if it has run since its first
 * wakeup; ts_cpu_time_now in taskscope_abi.h), up to this record's "now"
 * in the scheduler clock. */
static uint64_t decode_cpu_time(const struct ts_snap_thread *r,
				int64_t offset)
{
	return ts_cpu_time_now(r->cpu_ns, r->cpu_ns - r->last_run_ns,
			       r->last_arrival_ns, r->now_mono_ns + offset,
			       r->on_cpu);
}

void ts_decode_thread(const struct ts_snap_thread *r, int64_t sched_offset,
		      struct ts_thread *t)
{
	memset(t, 0, sizeof(*t));
	t->tid = r->tid;
	t->pid = r->tgid;
	memcpy(t->name, r->comm, sizeof(t->name));
	t->name[sizeof(t->name) - 1] = '\0';
	t->state = ts_decode_state(r->state, r->exit_state, r->on_cpu);
	t->exited = t->state == TS_STATE_ZOMBIE || t->state == TS_STATE_DEAD;
	t->cpu = r->cpu;
	t->cpu_ns = decode_cpu_time(r, sched_offset);
	decode_off_cpu(r, sched_offset, t);
	t->syscall_nr = r->syscall_nr;
	memcpy(t->args, r->args, sizeof(t->args));
	t->fsbase = r->regs.fsbase;
	t->has_umem = r->flags & TS_SNAP_UMEM;
	t->umem_low = r->flags & TS_SNAP_UMEM_LOW;
	t->umem_addr = r->umem_addr;
	memcpy(t->umem, r->umem, sizeof(t->umem));
	t->blocked.fd = -1;
	t->blocked.remaining_ns = -1;
	t->blocked.timeout_ms = -2;
	if (r->flags & TS_SNAP_FD) {
		t->blocked.fdi = r->fd;
		t->blocked.fd = (int)r->args[0];
	}
}
