/* JSON output: one document per snapshot (see output.h). The schema is
 * documented in docs/taskscope-snapshot.md and kept generic (tid, name,
 * state, syscall, blocked_on, stack) because uploadd's in-process
 * /debug/threads?format=json is printed by this same writer ("source":
 * "uploadd", s->in_process), so the two views diff field by field. Unknown
 * values are null, never omitted. */
#include "threadview/output.h"

#include "threadview/goroutine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/json.h"
#include "threadview/describe.h"
#include "threadview/describe_peer.h"
#include "threadview/fdinfo.h"
#include "threadview/recent.h"
#include "threadview/syscalls.h"

#define TS_SCHEMA "taskscope.snapshot/1"

static void json_frames(struct json_writer *w, const struct ts_frame *fr,
			int n, const char *strip)
{
	int i;

	json_array_begin(w);
	for (i = 0; i < n; i++) {
		const struct ts_frame *f = &fr[i];
		const char *file = ts_strip_dir(f->file, strip);
		json_object_begin(w);
		json_kv_hex(w, "pc", f->pc);
		json_key(w, "function");
		f->function ? json_string(w, f->function) : json_null(w);
		json_kv_uint(w, "offset", f->offset);
		json_key(w, "module");
		f->module ? json_string(w, f->module) : json_null(w);
		json_key(w, "file");
		file && f->line ? json_string(w, file) : json_null(w);
		json_key(w, "line");
		f->line ? json_int(w, f->line) : json_null(w);
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_fd(struct json_writer *w, const struct ts_blocked *b)
{
	const struct ts_fd_info *fi = &b->fdi;
	bool inet = fi->type == TS_FD_SOCKET &&
		    (fi->family == 2 || fi->family == 10);
	char ep[64];

	json_key(w, "fd");
	if (b->fd < 0) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_int(w, "num", b->fd);
	json_kv_string(w, "type", ts_fd_type_name(fi));
	json_key(w, "local");
	inet ? json_string(w, ts_fd_endpoint(fi, 0, ep, sizeof(ep))) : json_null(w);
	json_key(w, "peer");
	inet ? json_string(w, ts_fd_endpoint(fi, 1, ep, sizeof(ep))) : json_null(w);
	json_key(w, "local_port");
	inet ? json_uint(w, fi->lport) : json_null(w);
	json_key(w, "peer_port");
	inet ? json_uint(w, fi->rport) : json_null(w);
	json_key(w, "rx_queued");
	fi->type == TS_FD_SOCKET ? json_uint(w, fi->rx_queued) : json_null(w);
	json_key(w, "tx_queued");
	inet ? json_uint(w, fi->tx_queued) : json_null(w);
	json_key(w, "inode");
	fi->type >= TS_FD_SOCKET ? json_uint(w, fi->ino) : json_null(w);
	json_key(w, "path");
	b->fd_path ? json_string(w, b->fd_path) : json_null(w);
	json_object_end(w);
}

static void json_tid_name(struct json_writer *w, const char *ktid,
			  const char *kname, pid_t tid, const char *name)
{
	json_key(w, ktid);
	tid > 0 ? json_int(w, tid) : json_null(w);
	json_key(w, kname);
	tid > 0 && name ? json_string(w, name) : json_null(w);
}

/* A holder's threads in the order the resolver ranked them; those it
 * read as "likely" first. */
static void json_peer_threads(struct json_writer *w, const struct ts_snapshot *s,
			      const struct ts_peer_proc *pp)
{
	char doing[400];
	size_t i;

	json_key(w, "threads");
	json_array_begin(w);
	for (i = 0; i < pp->ntids; i++) {
		const struct ts_thread *o = ts_snapshot_find(s, pp->tids[i]);

		json_object_begin(w);
		json_kv_int(w, "tid", pp->tids[i]);
		json_key(w, "name");
		o ? json_string(w, o->name) : json_null(w);
		json_key(w, "state");
		o ? json_string(w, ts_state_name(o->state)) : json_null(w);
		json_key(w, "blocked_kind");
		o ? json_string(w, ts_block_kind_name(o->blocked.kind))
		  : json_null(w);
		json_key(w, "doing");
		o ? json_string(w, ts_describe_doing(o, doing, sizeof(doing)))
		  : json_null(w);
		json_key(w, "off_cpu_ns");
		o && o->off_cpu_known ? json_uint(w, o->off_cpu_ns) : json_null(w);
		json_kv_bool(w, "likely", i < pp->nlikely);
		json_object_end(w);
	}
	json_array_end(w);
}

/* blocked_on.peer: who holds the other end (docs/taskscope-snapshot.md). */
static void json_peer(struct json_writer *w, const struct ts_snapshot *s,
		      const struct ts_thread *t)
{
	const struct ts_peer *p = t->blocked.peer;
	char q[96];
	size_t i;

	json_key(w, "peer");
	if (!p) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "via", ts_peer_via_name(p->via));
	json_kv_string(w, "address", p->where);
	json_kv_bool(w, "remote", p->remote);
	json_kv_bool(w, "not_accepted", p->not_accepted);
	json_kv_bool(w, "unknown_senders", p->unknown_senders);
	json_key(w, "rx_queued");
	p->queues_known ? json_uint(w, p->rx_queued) : json_null(w);
	json_key(w, "tx_queued");
	p->queues_known ? json_uint(w, p->tx_queued) : json_null(w);
	json_key(w, "pipe_bytes");
	p->pipe ? json_uint(w, p->pipe_bytes) : json_null(w);
	json_kv_string(w, "queues", ts_describe_queues(t, q, sizeof(q)));
	json_key(w, "next_tid");
	p->next_tid > 0 ? json_int(w, p->next_tid) : json_null(w);
	json_key(w, "processes");
	json_array_begin(w);
	for (i = 0; i < p->nprocs; i++) {
		const struct ts_peer_proc *pp = &p->procs[i];

		json_object_begin(w);
		json_kv_int(w, "pid", pp->pid);
		json_kv_string(w, "comm", pp->comm);
		json_kv_int(w, "fd", pp->fd);
		json_kv_string(w, "state", ts_proc_state(s, pp));
		json_kv_int(w, "ns_pid", pp->ns_pid);
		json_kv_bool(w, "other_pid_namespace", pp->other_pidns);
		json_kv_bool(w, "other_net_namespace", pp->other_netns);
		json_kv_bool(w, "listener", pp->listener);
		json_peer_threads(w, s, pp);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

static void json_blocked(struct json_writer *w, const struct ts_snapshot *s,
			 const struct ts_thread *t)
{
	const struct ts_blocked *b = &t->blocked;

	json_key(w, "blocked_on");
	if (b->kind == TS_BLOCK_NONE) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "kind", ts_block_kind_name(b->kind));
	json_key(w, "object");
	b->has_object ? json_hex(w, b->object) : json_null(w);
	json_tid_name(w, "owner_tid", "owner_name", b->owner_tid, b->owner_name);
	json_tid_name(w, "join_tid", "join_name", b->join_tid, b->join_name);
	json_key(w, "futex_op");
	b->kind <= TS_BLOCK_FUTEX ? json_uint(w, b->futex_op) : json_null(w);
	json_key(w, "futex_value");
	b->kind <= TS_BLOCK_FUTEX ? json_uint(w, b->futex_val) : json_null(w);
	json_fd(w, b);
	json_key(w, "remaining_ns");
	b->remaining_ns >= 0 ? json_int(w, b->remaining_ns) : json_null(w);
	json_key(w, "timeout_ms");
	b->timeout_ms >= -1 ? json_int(w, b->timeout_ms) : json_null(w);
	json_peer(w, s, t);    /* null when not looked for (--no-peers) */
	json_object_end(w);
}

static const char *stack_status_name(enum ts_stack_status st)
{
	switch (st) {
	case TS_STACK_COMPLETE: return "complete";
	case TS_STACK_TRUNCATED: return "truncated";
	case TS_STACK_STALE: return "stale";
	case TS_STACK_UNAVAILABLE: return "unavailable";
	}
	return "unknown";
}

static void json_thread(struct json_writer *w, const struct ts_snapshot *s,
			const struct ts_thread *t,
			const struct ts_output_opts *o)
{
	const char *sc = ts_syscall_name(t->syscall_nr);
	int i;

	json_object_begin(w);
	json_kv_int(w, "tid", t->tid);
	json_kv_int(w, "pid", t->pid);
	json_kv_string(w, "name", t->name);
	json_kv_string(w, "state", ts_state_name(t->state));
	json_kv_int(w, "cpu", t->cpu);
	json_kv_uint(w, "cpu_ns", t->cpu_ns);
	json_key(w, "off_cpu_ns");
	t->off_cpu_known ? json_uint(w, t->off_cpu_ns) : json_null(w);
	json_key(w, "syscall");
	if (t->syscall_nr >= 0) {
		json_object_begin(w);
		json_kv_int(w, "nr", t->syscall_nr);
		json_key(w, "name");
		sc ? json_string(w, sc) : json_null(w);
		json_key(w, "args");
		json_array_begin(w);
		for (i = 0; i < 6; i++)
			json_hex(w, t->args[i]);
		json_array_end(w);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_blocked(w, s, t);
	json_key(w, "goroutine");
	t->goroutine ? json_int(w, t->goroutine) : json_null(w);
	json_key(w, "stack");
	json_frames(w, t->frames, t->nframes, o->strip_prefix);
	json_kv_bool(w, "stack_complete", t->stack_status == TS_STACK_COMPLETE);
	json_kv_string(w, "stack_status", stack_status_name(t->stack_status));
	json_key(w, "stack_note");
	t->stack_note ? json_string(w, t->stack_note) : json_null(w);
	if (o->kernel_stacks) {
		json_key(w, "kernel_stack");
		json_frames(w, t->kframes, t->nkframes, NULL);
	}
	if (t->recent)          /* exited: from watch's flight recorder */
		ts_recent_json(w, t->recent);
	json_object_end(w);
}

/* "chains": each with its threads and processes, how it ends and the
 * line the text output prints. */
static void json_chains(struct json_writer *w, const struct ts_snapshot *s)
{
	char line[2048], doing[400];
	size_t i, j;

	json_key(w, "chains");
	json_array_begin(w);
	for (i = 0; i < s->nchains; i++) {
		const struct ts_chain *c = &s->chains[i];
		const struct ts_thread *last = ts_snapshot_find(s, c->tids[c->n - 1]);

		json_object_begin(w);
		json_key(w, "tids");
		json_array_begin(w);
		for (j = 0; j < c->n; j++)
			json_int(w, c->tids[j]);
		json_array_end(w);
		json_key(w, "pids");
		json_array_begin(w);
		for (j = 0; j < c->n; j++) {
			const struct ts_thread *t = ts_snapshot_find(s, c->tids[j]);

			t ? json_int(w, t->pid) : json_null(w);
		}
		json_array_end(w);
		json_kv_bool(w, "crosses_processes", c->crosses);
		json_kv_bool(w, "into_deadlock", c->into_cycle);
		json_key(w, "end_state");
		last ? json_string(w, ts_state_name(last->state)) : json_null(w);
		json_key(w, "end");
		last ? json_string(w, ts_describe_doing(last, doing, sizeof(doing)))
		     : json_null(w);
		json_kv_string(w, "text", ts_describe_chain(s, c->tids, c->n,
			c->into_cycle ? TS_CHAIN_INTO_CYCLE : TS_CHAIN_END,
			line, sizeof(line)));
		json_object_end(w);
	}
	json_array_end(w);
}

static void json_graph(struct json_writer *w, const struct ts_snapshot *s)
{
	size_t i, j;

	json_key(w, "wait_for");
	json_array_begin(w);
	for (i = 0; i < s->nedges; i++) {
		json_object_begin(w);
		json_kv_int(w, "waiter", s->edges[i].waiter);
		json_kv_int(w, "holder", s->edges[i].holder);
		json_kv_string(w, "kind", ts_block_kind_name(s->edges[i].kind));
		json_kv_hex(w, "object", s->edges[i].object);
		json_kv_int(w, "waiter_pid", s->edges[i].waiter_pid);
		json_key(w, "holder_pid");
		s->edges[i].holder_pid ? json_int(w, s->edges[i].holder_pid)
				       : json_null(w);
		json_key(w, "via");
		s->edges[i].via ? json_string(w, ts_peer_via_name(s->edges[i].via))
				: json_null(w);
		json_object_end(w);
	}
	json_array_end(w);
	json_chains(w, s);
	json_key(w, "deadlocks");
	json_array_begin(w);
	for (i = 0; i < s->ncycles; i++) {
		json_array_begin(w);
		for (j = 0; j < s->cycles[i].n; j++)
			json_int(w, s->cycles[i].tids[j]);
		json_array_end(w);
	}
	json_array_end(w);
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* --all: "processes", one entry per process seen, with its thread count. */
static int json_processes(struct json_writer *w, const struct ts_snapshot *s)
{
	pid_t *v = malloc((s->nthreads ? s->nthreads : 1) * sizeof(*v));
	size_t i, j;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < s->nthreads; i++)
		v[i] = s->threads[i].pid;
	qsort(v, s->nthreads, sizeof(*v), cmp_pid);
	json_key(w, "processes");
	json_array_begin(w);
	for (i = 0; i < s->nthreads; i = j) {
		for (j = i; j < s->nthreads && v[j] == v[i]; j++)
			;
		json_object_begin(w);
		json_kv_int(w, "pid", v[i]);
		json_kv_string(w, "comm", ts_process_name(s, v[i]));
		json_kv_uint(w, "threads", j - i);
		json_object_end(w);
	}
	json_array_end(w);
	free(v);
	return 0;
}

void ts_kernel_json(struct json_writer *w, const char *release,
		    const struct ts_kernel_feature *f, size_t n)
{
	size_t i;

	json_key(w, "kernel");
	if (!release) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "release", release);
	json_key(w, "bpf_features");
	json_object_begin(w);
	for (i = 0; i < n; i++)
		json_kv_bool(w, f[i].name, f[i].on);
	json_object_end(w);
	json_object_end(w);
}

int ts_output_json(FILE *f, const struct ts_snapshot *s,
		   const struct ts_output_opts *o)
{
	struct json_writer w;
	time_t sec = s->taken_real_ns / 1000000000ull;
	struct tm tm;
	char when[32];
	size_t i;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "schema", TS_SCHEMA);
	json_kv_string(&w, "source", s->source ? s->source : "taskscope");
	json_key(&w, "version");
	o->version ? json_string(&w, o->version) : json_null(&w);
	json_key(&w, "pid");
	s->pid ? json_int(&w, s->pid) : json_null(&w);
	json_key(&w, "comm");
	s->pid ? json_string(&w, s->comm) : json_null(&w);
	json_kv_string(&w, "taken_at", when);
	json_kv_uint(&w, "taken_mono_ns", s->taken_mono_ns);
	json_key(&w, "load_ms");
	s->in_process ? json_null(&w) : json_double(&w, s->load_ms);
	json_kv_double(&w, "collect_ms", s->collect_ms);
	json_kv_double(&w, "unwind_ms", s->unwind_ms);
	json_kv_bool(&w, "target_exited", s->target_exited);
	ts_kernel_json(&w, s->kernel_release, s->kernel_features,
		       s->nkernel_features);
	if (!s->pid && !s->in_process && json_processes(&w, s))
		return -ENOMEM;
	json_key(&w, "go");
	if (s->go)
		ts_go_output_json(&w, s->go, o->strip_prefix);
	else
		json_null(&w);
	json_key(&w, "threads");
	json_array_begin(&w);
	for (i = 0; i < s->nthreads; i++)
		json_thread(&w, s, &s->threads[i], o);
	json_array_end(&w);
	if (s->in_process) {      /* lock owners are the kernel's to see */
		json_key(&w, "wait_for");
		json_null(&w);
		json_key(&w, "chains");
		json_null(&w);
		json_key(&w, "deadlocks");
		json_null(&w);
	} else {
		json_graph(&w, s);
	}
	json_object_end(&w);
	json_end_document(&w);
	return ferror(f) ? -EIO : 0;
}
