/* End-of-watch summary, text and JSON (see watch_summary.h). */
#include "taskscope/watch/watch_summary.h"

#include <inttypes.h>
#include <stdlib.h>

#include "common/json.h"
#include "taskscope/watch/watch_format.h"
#include "threadview/describe.h"
#include "threadview/output.h"

uint64_t watch_thread_lifetime(const struct wthread *t, uint64_t end_ns)
{
	uint64_t end = t->exited ? t->end_ns : end_ns;

	return t->start_ns && end > t->start_ns ? end - t->start_ns : 0;
}

static void text_thread(FILE *f, const struct wthread *t, uint64_t end_ns)
{
	char d1[32], d2[32], st[48];
	int c, i;

	fprintf(f, "thread %d \"%s\"", t->tid, t->name);
	if (t->start_routine)
		fprintf(f, " (start %s)", t->start_routine);
	if (t->start_ns)
		fprintf(f, " lived %s",
			ts_format_duration(watch_thread_lifetime(t, end_ns),
					   d1, sizeof(d1)));
	if (t->has_totals || t->exited)
		fprintf(f, ", cpu %s", ts_format_duration(t->cpu_ns, d2, sizeof(d2)));
	if (t->exited)
		fprintf(f, ", %s", watch_exit_status(t->exit_code, st, sizeof(st)));
	fputc('\n', f);
	if (wthread_blocked_ns(t, end_ns)) {
		fprintf(f, "    blocked %s in all",
			ts_format_duration(wthread_blocked_ns(t, end_ns), d1,
					   sizeof(d1)));
		if (wthread_reported_ns(t))
			fprintf(f, "; reported waits:");
		for (c = 0; c < TS_WAIT_NCLASS; c++)
			if (t->tot.waits[c])
				fprintf(f, " %s %s (%u)", wev_class_name(c),
					ts_format_duration(t->tot.blocked_ns[c],
							   d1, sizeof(d1)),
					t->tot.waits[c]);
		fputc('\n', f);
	}
	for (i = 0; i < WTHREAD_TOP && t->top[i].dur_ns; i++)
		fprintf(f, "    %s %s on %s\n", i ? "        " : "longest:",
			ts_format_duration(t->top[i].dur_ns, d1, sizeof(d1)),
			t->top[i].what);
}

static void text_cost(FILE *f, const struct watch_summary *s)
{
	const struct watch_cost *c = s->cost;
	int i;

	if (!c) {
		fprintf(f, "self-cost: %" PRIu64 " events (BPF counters unreadable)\n",
			s->events);
		return;
	}
	fprintf(f, "self-cost: %" PRIu64 " events, %" PRIu64 " lost (per CPU:",
		s->events, c->lost);
	for (i = 0; i < c->ncpus; i++)
		fprintf(f, " %" PRIu64, c->lost_per_cpu[i]);
	fprintf(f, ")");
	if (c->lost_stack)
		fprintf(f, ", %" PRIu64 " stacks dropped", c->lost_stack);
	if (c->collisions)
		fprintf(f, ", %" PRIu64 " state slot collisions", c->collisions);
	fprintf(f, "\nBPF time per run (%s):\n",
		c->kernel_stats ? "kernel.bpf_stats_enabled, every run" :
		"sampled 1 in 16 runs of the target's threads");
	for (i = 0; i < c->nprogs; i++)
		if (c->progs[i].attached)
			fprintf(f, "  %-22s %8.0f ns x %" PRIu64 "\n",
				c->progs[i].name, c->progs[i].avg_ns,
				c->progs[i].runs);
}

void watch_summary_text(FILE *f, const struct watch_summary *s)
{
	struct wthread **ts;
	size_t n, i, shown;
	char d[32];

	ts = wthreads_sorted(s->threads, s->end_ns, &n);
	fprintf(f, "--- summary: watched %d for %s (%s), %zu threads seen ---\n",
		s->pid, ts_format_duration(s->end_ns - s->start_ns, d, sizeof(d)),
		s->end_reason, n);
	shown = n < s->text_max_threads ? n : s->text_max_threads;
	for (i = 0; i < shown; i++)
		text_thread(f, ts[i], s->end_ns);
	if (shown < n)
		fprintf(f, "(%zu more threads, blocked less; --json lists all)\n",
			n - shown);
	if (s->bad_records)
		fprintf(f, "warning: %" PRIu64 " records did not decode "
			"(mismatched BPF object?)\n", s->bad_records);
	text_cost(f, s);
	free(ts);
}

static void json_thread(struct json_writer *w, const struct wthread *t,
			uint64_t end_ns)
{
	int c, i;

	json_object_begin(w);
	json_kv_int(w, "tid", t->tid);
	json_kv_string(w, "name", t->name);
	if (t->start_routine)
		json_kv_string(w, "start_routine", t->start_routine);
	if (t->parent_tid)
		json_kv_int(w, "parent_tid", t->parent_tid);
	json_kv_bool(w, "created_during_watch", t->created_ns != 0);
	json_kv_bool(w, "exited", t->exited);
	if (t->start_ns)
		json_kv_uint(w, "lifetime_ns", watch_thread_lifetime(t, end_ns));
	json_kv_uint(w, "cpu_ns", t->cpu_ns);
	if (t->exited)
		json_kv_int(w, "exit_status", t->exit_code);
	json_kv_uint(w, "run_delay_ns", t->run_delay_ns);
	json_kv_uint(w, "blocked_ns_total", wthread_blocked_ns(t, end_ns));
	json_key(w, "reported_blocked_ns");
	json_object_begin(w);
	for (c = 0; c < TS_WAIT_NCLASS; c++)
		json_kv_uint(w, wev_class_name(c), t->tot.blocked_ns[c]);
	json_object_end(w);
	json_key(w, "reported_waits_by_class");
	json_object_begin(w);
	for (c = 0; c < TS_WAIT_NCLASS; c++)
		json_kv_uint(w, wev_class_name(c), t->tot.waits[c]);
	json_object_end(w);
	json_kv_uint(w, "reported_waits", t->reported);
	json_key(w, "top_waits");
	json_array_begin(w);
	for (i = 0; i < WTHREAD_TOP && t->top[i].dur_ns; i++) {
		json_object_begin(w);
		json_kv_uint(w, "dur_ns", t->top[i].dur_ns);
		json_kv_string(w, "on", t->top[i].what);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

static void json_cost(struct json_writer *w, const struct watch_cost *c)
{
	int i;

	json_kv_uint(w, "lost", c->lost);
	json_key(w, "lost_per_cpu");
	json_array_begin(w);
	for (i = 0; i < c->ncpus; i++)
		json_uint(w, c->lost_per_cpu[i]);
	json_array_end(w);
	json_kv_uint(w, "stacks_dropped", c->lost_stack);
	json_kv_uint(w, "state_collisions", c->collisions);
	json_key(w, "bpf");
	json_object_begin(w);
	json_kv_string(w, "source", c->kernel_stats ? "kernel_stats" : "sampled");
	json_key(w, "programs");
	json_array_begin(w);
	for (i = 0; i < c->nprogs; i++) {
		if (!c->progs[i].attached)
			continue;
		json_object_begin(w);
		json_kv_string(w, "name", c->progs[i].name);
		json_kv_uint(w, "runs", c->progs[i].runs);
		json_kv_double(w, "avg_ns", c->progs[i].avg_ns);
		json_object_end(w);
	}
	json_array_end(w);
	json_object_end(w);
}

void watch_summary_json(FILE *f, const struct watch_summary *s)
{
	struct json_writer w;
	struct wthread **ts;
	size_t n, i;

	ts = wthreads_sorted(s->threads, s->end_ns, &n);
	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "type", "summary");
	json_kv_int(&w, "pid", s->pid);
	json_kv_uint(&w, "duration_ns", s->end_ns - s->start_ns);
	json_kv_string(&w, "end_reason", s->end_reason);
	json_kv_uint(&w, "events", s->events);
	json_kv_uint(&w, "bad_records", s->bad_records);
	if (s->cost) {
		json_cost(&w, s->cost);
	} else {                /* counters unreadable: say so, never 0 */
		json_key(&w, "lost");
		json_null(&w);
	}
	ts_kernel_json(&w, s->kernel_release, s->features, s->nfeatures);
	json_kv_uint(&w, "threads_seen", n);
	json_key(&w, "threads");
	json_array_begin(&w);
	for (i = 0; i < n; i++)
		json_thread(&w, ts[i], s->end_ns);
	json_array_end(&w);
	json_object_end(&w);
	json_end_document(&w);
	free(ts);
}
