/* `taskscope watch`: resolves the target, starts the BPF side
 * (watch_bpf.h), then streams events until Ctrl-C/SIGTERM, --duration or the
 * target's exit, and ends with the summary. Each record goes decode
 * (watch_event.h) -> resolve (watch_resolve.h) -> text or JSON line
 * (watch_format.h) and, with --trace, the trace file (trace_json.h); with
 * --pprof, waits also go into an off-CPU profile (pprof_watch.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/attach/bpf_features.h"
#include "taskscope/attach/target.h"
#include "taskscope/exit_codes.h"
#include "taskscope/go/go_watch.h"
#include "taskscope/watch/pprof_watch.h"
#include "taskscope/watch/trace_json.h"
#include "taskscope/watch/watch_bpf.h"
#include "taskscope/watch/watch_format.h"
#include "taskscope/watch/watch_chain.h"
#include "taskscope/watch/watch_opts.h"
#include "taskscope/watch/watch_resolve.h"
#include "taskscope/watch/watch_summary.h"

#define EXIT_DRAIN_MS 250            /* see drain_exits() */
#define TICK_MS 50                   /* longest sleep between checks: the
				      * BPF side does not wake us per record */

struct watch_session {
	struct watch_opts o;
	struct ts_target target;
	struct wthreads threads;
	struct watch_resolver *res;
	struct watch_chains *chains; /* --stuck: chains across processes */
	struct trace_json *trace;
	struct ts_pprof *pprof;      /* --pprof, or NULL */
	struct ts_go_watch *go;      /* a Go program's goroutines, or NULL */
	char go_exe[4096];           /* its executable, for --pprof */
	uint64_t t0_ns, events, bad;
	bool target_exited;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void trace_event(struct watch_session *s, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	struct trace_arg args[4] = { { NULL, NULL } };
	char wk[64];

	switch (ev->type) {
	case TS_WEV_CREATE:
		trace_json_thread_name(s->trace, ev->tid, ev->name);
		args[0] = (struct trace_arg){ "start_routine", v->start_routine };
		trace_json_instant(s->trace, ev->tid, "created", ev->ts_ns, args);
		break;
	case TS_WEV_RENAME:
		trace_json_thread_name(s->trace, ev->tid, ev->rename.new_name);
		break;
	case TS_WEV_EXIT:
		trace_json_instant(s->trace, ev->tid, "exited", ev->ts_ns, NULL);
		break;
	case TS_WEV_WAIT:
	case TS_WEV_STUCK:
		args[0] = (struct trace_arg){ "on", v->what };
		if (ev->wait.w.flags & TS_WAIT_F_WAKER) {
			snprintf(wk, sizeof(wk), "%u %s", ev->wait.w.waker_tid,
				 ev->wait.waker_name);
			args[1] = (struct trace_arg){ "woken_by", wk };
		}
		trace_json_slice(s->trace, ev->tid,
				 ev->type == TS_WEV_STUCK ? "STUCK" :
				 ts_block_kind_name(v->kind),
				 wev_class_name(ev->wait.w.cls),
				 ev->wait.w.start_ns, wev_wait_ns(&ev->wait.w),
				 args);
		break;
	}
}

/* Ring-buffer callback: one record. */
static int on_record(void *ctx, const void *data, size_t size)
{
	struct watch_session *s = ctx;
	struct wev_chain chain;
	struct wev_view v;
	struct wev ev;

	if (wev_decode(data, size, &ev)) {
		s->bad++;
		return 0;
	}
	s->events++;
	watch_resolve(s->res, &ev, &v);
	if (s->chains && !s->o.quiet && watch_chain_wanted(&v) &&
	    !watch_chain_of(s->chains, &v, &chain))
		v.chain = &chain;
	if (ev.type == TS_WEV_EXIT && (ev.exit.flags & TS_WEXIT_F_GROUP_DEAD))
		s->target_exited = true;
	if (s->trace)
		trace_event(s, &v);
	if (s->pprof)
		ts_pprof_watch_add(s->pprof, &v);   /* errors stick */
	if (s->o.quiet || ev.type == TS_WEV_TOTALS)
		return 0;
	if (s->o.json)
		watch_print_json(stdout, &v);
	else
		watch_print_text(stdout, &v);
	return 0;
}

/* Perfetto draws one track per goroutine: a tid no thread can have. */
#define GO_TRACK(goid) ((pid_t)(0x40000000 + ((goid) & 0x3fffffff)))

static void go_trace(struct watch_session *s, const struct ts_go_event *ev)
{
	struct trace_arg args[3] = { { NULL, NULL } };
	char name[160], by[32], at[300];
	pid_t track = GO_TRACK(ev->goid);

	switch (ev->type) {
	case TS_GEV_CREATE:
		snprintf(name, sizeof(name), "goroutine %lld %s",
			 (long long)ev->goid,
			 ev->start_function ? ev->start_function : "?");
		trace_json_thread_name(s->trace, track, name);
		snprintf(by, sizeof(by), "%lld", (long long)ev->other_goid);
		snprintf(at, sizeof(at), "%s:%d", ev->go_stmt.file ?
			 ev->go_stmt.file : "?", ev->go_stmt.line);
		args[0] = (struct trace_arg){ "created_by_goroutine", by };
		args[1] = (struct trace_arg){ "go_statement", at };
		trace_json_instant(s->trace, track, "gocreate", ev->ts_ns, args);
		break;
	case TS_GEV_EXIT:
		if (ev->lifetime_ns >= 0)
			trace_json_slice(s->trace, track, ev->start_function ?
					 ev->start_function : "goroutine",
					 "goroutine", ev->ts_ns - ev->lifetime_ns,
					 ev->lifetime_ns, NULL);
		else
			trace_json_instant(s->trace, track, "goexit", ev->ts_ns,
					   NULL);
		break;
	case TS_GEV_WAIT:
		trace_json_slice(s->trace, track, ev->reason && ev->reason[0] ?
				 ev->reason : "parked", "gowait",
				 ev->ts_ns - ev->dur_ns, ev->dur_ns, NULL);
		break;
	default:
		break;
	}
}

static void on_go_event(void *ctx, const struct ts_go_event *ev)
{
	struct watch_session *s = ctx;

	s->events++;
	if (s->trace)
		go_trace(s, ev);
	if (s->pprof)
		ts_pprof_watch_add_go(s->pprof, s->go_exe, ev);  /* errors stick */
	if (s->o.quiet)
		return;
	if (s->o.json)
		ts_go_event_json(stdout, ev, s->t0_ns);
	else
		ts_go_event_text(stdout, ev, s->t0_ns);
}

/* Names every thread alive now, for wakers and owners seen later. */
static void seed_threads(struct watch_session *s)
{
	pid_t *tids = NULL;
	size_t n = 0, i;

	if (ts_target_threads(s->target.pid, &tids, &n))
		return;
	for (i = 0; i < n; i++) {
		struct wthread *t = wthreads_get(&s->threads, tids[i], true);

		if (t && !ts_thread_comm(s->target.pid, tids[i], t->name,
					 sizeof(t->name)) && s->trace)
			trace_json_thread_name(s->trace, t->tid, t->name);
	}
	free(tids);
}

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Streams until a stop condition; returns why it stopped. */
static const char *run_loop(struct watch_session *s, struct watch_probe *p)
{
	uint64_t end = s->o.duration_ns ? s->t0_ns + s->o.duration_ns : 0;
	uint64_t stuck_every = s->o.stuck_ns / 4, next_stuck = 0, now;
	struct pollfd fds[3] = {
		{ .fd = watch_probe_fd(p), .events = POLLIN },
		{ .fd = pidfd_of(s->target.pid), .events = POLLIN },
		{ .fd = s->go ? ts_go_watch_fd(s->go) : -1, .events = POLLIN },
	};
	const char *why = NULL;
	int timeout;

	if (stuck_every < 10000000ull)
		stuck_every = 10000000ull;   /* scan at most every 10 ms */
	while (!why) {
		now = mono_ns();
		timeout = TICK_MS;
		if (end && (end - now) / 1000000 < (uint64_t)timeout)
			timeout = now >= end ? 0 : (int)((end - now) / 1000000);
		poll(fds, 3, timeout);
		watch_probe_poll(p, 0);
		if (s->go)
			ts_go_watch_poll(s->go);
		fflush(stdout);
		now = mono_ns();
		if (s->o.stuck_ns && now >= next_stuck) {
			watch_probe_iterate(p, "stuck");
			next_stuck = now + stuck_every;
		}
		if (stop_signal)
			why = "signal";
		else if (s->target_exited || (fds[1].fd >= 0 && fds[1].revents) ||
			 !ts_pid_alive(s->target.pid))
			why = "target exited";   /* or did before we attached */
		else if (end && now >= end)
			why = "duration";
	}
	if (fds[1].fd >= 0)
		close(fds[1].fd);
	return why;
}

/* A thread's exit record comes at its final switch-out, where its CPU
 * time is complete (bpf/watch.bpf.c): after the process is seen gone,
 * since the pidfd fires when the last thread is released, just before
 * that switch, and another thread's may come later still. Reads records
 * until every thread seen alive has exited, for at most EXIT_DRAIN_MS
 * (a thread whose exit record was lost, or a group leader that exited
 * before we attached, has none coming). */
static void drain_exits(struct watch_session *s, struct watch_probe *p)
{
	uint64_t end = mono_ns() + EXIT_DRAIN_MS * 1000000ull;

	watch_probe_poll(p, 0);
	while (wthreads_alive(&s->threads) && mono_ns() < end) {
		usleep(1000);
		watch_probe_poll(p, 0);
	}
}

static void finish(struct watch_session *s, struct watch_probe *p,
		   const char *why)
{
	struct watch_summary sum = { 0 };
	struct watch_cost cost;
	bool have_cost;

	/* Live threads' totals; gone with the process if it exited. */
	if (s->target_exited || !strcmp(why, "target exited"))
		drain_exits(s, p);
	else
		watch_probe_iterate(p, "totals");
	watch_probe_poll(p, 0);
	if (s->go) {
		struct ts_go_watch_stats gs;

		ts_go_watch_poll(s->go);
		ts_go_watch_stats(s->go, &gs);
		ts_go_summary(stdout, &gs, s->o.json);
		if (gs.lost)
			log_warn("%llu goroutine events were lost (ring buffer "
				 "full): raise --ring-mb",
				 (unsigned long long)gs.lost);
	}
	have_cost = !watch_probe_cost(p, &cost);
	sum.pid = s->target.pid;
	sum.kernel_release = ts_kernel_release();
	sum.nfeatures = ts_features_list(watch_probe_features_wanted(),
					 watch_probe_features(p), sum.features,
					 TS_KERNEL_FEATURES_MAX);
	sum.start_ns = s->t0_ns;
	sum.end_ns = mono_ns();
	sum.end_reason = why;
	sum.events = s->events;
	sum.bad_records = s->bad;
	sum.cost = have_cost ? &cost : NULL;
	sum.threads = &s->threads;
	sum.text_max_threads = s->o.summary_threads;
	if (s->o.json)
		watch_summary_json(stdout, &sum);
	else
		watch_summary_text(stdout, &sum);
	fflush(stdout);
	if (have_cost && cost.lost)
		log_warn("%llu events were lost (ring buffer full): raise "
			 "--ring-mb or --min-block",
			 (unsigned long long)cost.lost);
	if (have_cost)
		free(cost.lost_per_cpu);
}

static int start_trace(struct watch_session *s)
{
	if (!s->o.trace_path)
		return 0;
	s->trace = trace_json_open(s->o.trace_path, s->target.pid,
				   s->target.comm, s->t0_ns);
	if (s->trace)
		return 0;
	log_err("cannot write --trace %s: %s (choose a writable path)",
		s->o.trace_path, strerror(errno));
	return TS_EXIT_FAILURE;
}

static int run(struct watch_session *s)
{
	struct watch_probe_opts po = {
		.pid = s->target.pid,
		.min_block_ns = s->o.min_block_ns,
		.stuck_ns = s->o.stuck_ns,
		.stacks = s->o.stacks,
		.stack_max = TS_STACK_MAX,
		.recorder_slots = s->o.recorder_slots,
		.ring_bytes = s->o.ring_mb << 20,
		.state_slots = watch_state_slots(),
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct watch_probe *p = NULL;
	const char *why;
	int rc;

	s->res = watch_resolver_new(s->target.pid, 0, &s->threads);
	if (s->o.stuck_ns)
		s->chains = watch_chains_new();
	if (s->o.pprof_path)
		s->pprof = ts_pprof_watch_new(s->target.pid);
	if (!s->res || (s->o.pprof_path && !s->pprof)) {
		log_err("cannot start watch: out of memory");
		return TS_EXIT_FAILURE;
	}
	rc = watch_probe_start(&po, on_record, s, &p);
	if (rc)
		return rc;
	/* Time 0 is when the first probe was attached (not when loading
	 * began, which takes a while): no event is older. */
	s->t0_ns = watch_probe_t0(p);
	watch_resolver_set_t0(s->res, s->t0_ns);
	rc = start_trace(s);
	if (rc) {
		watch_probe_free(p);
		return rc;
	}
	seed_threads(s);
	if (!s->o.no_goroutines) {
		struct ts_go_watch_opts go = {
			.pid = s->target.pid, .waits = s->o.goroutine_waits,
			.min_block_ns = s->o.min_block_ns,
			.ring_bytes = s->o.ring_mb << 20,
		};

		char link[64];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/exe", s->target.pid);
		n = readlink(link, s->go_exe, sizeof(s->go_exe) - 1);
		s->go_exe[n > 0 ? n : 0] = '\0';
		rc = ts_go_watch_start(&go, on_go_event, s, &s->go);
		if (rc) {
			watch_probe_free(p);
			return rc;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	watch_probe_iterate(p, "adopt");
	/* On stderr, also with --json: scripts wait for it to know the
	 * probes are attached. */
	fprintf(stderr, "taskscope: watching %d \"%s\", %zu threads%s "
			"(Ctrl-C to stop)\n", s->target.pid, s->target.comm,
			s->threads.n, s->go ? " and its goroutines" : "");
	why = run_loop(s, p);
	finish(s, p, why);
	ts_go_watch_free(s->go);
	s->go = NULL;
	watch_probe_free(p);
	return TS_EXIT_OK;
}

/* The `taskscope watch` command (commands.h): argv[0] is "watch". Runs
 * until Ctrl-C/SIGTERM, --duration or the target's exit and returns an exit
 * code (exit_codes.h): 0 also when the target exited. Main thread. */
int cmd_watch(int argc, char **argv)
{
	struct watch_session s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = watch_opts_parse(argc, argv, &s.o);
	if (rc)
		return rc;
	if (s.o.help) {
		cmd_watch_help(stdout);
		return TS_EXIT_OK;
	}
	rc = ts_target_resolve(s.o.pid, s.o.comm, &s.target);
	if (rc)
		return rc;
	ts_bpf_log_init();
	rc = ts_bpf_preflight(TS_NEED_BTF | TS_NEED_TRACEFS);
	if (!rc)
		rc = run(&s);
	if (s.trace) {
		int err = rc ? (trace_json_abort(s.trace), 0) :
			  trace_json_commit(s.trace);

		if (err) {
			log_err("cannot write --trace %s: %s (choose a writable "
				"path)", s.o.trace_path, strerror(-err));
			rc = TS_EXIT_FAILURE;
		}
	}
	if (s.pprof && !rc) {
		int err = ts_pprof_watch_write(s.pprof, s.o.pprof_path,
					       s.target.pid, s.target.comm,
					       s.t0_ns, s.o.min_block_ns);

		if (err) {
			log_err("cannot write --pprof %s: %s (choose a writable "
				"path)", s.o.pprof_path, strerror(-err));
			rc = TS_EXIT_FAILURE;
		}
	}
	ts_pprof_free(s.pprof);
	watch_resolver_free(s.res);
	watch_chains_free(s.chains);
	wthreads_free(&s.threads);
	return rc;
}
