/* `taskscope snapshot`: flags, help, and the pipeline target -> BPF pass ->
 * unwind/classify -> one output format, plus a pprof profile with --pprof.
 * Extensions (--recent from watch's flight recorder, --pprof) plug in after
 * ts_snapshot_build(), where the finished snapshot is at hand. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/attach/bpf_features.h"
#include "taskscope/attach/target.h"
#include "taskscope/cli.h"
#include "taskscope/exit_codes.h"
#include "taskscope/go/go_snapshot.h"
#include "taskscope/phase.h"
#include "taskscope/snapshot/recorder.h"
#include "taskscope/snapshot/snapshot_build.h"
#include "taskscope/snapshot/snapshot_collect.h"
#include "taskscope/snapshot/snapshot_prewarm.h"
#include "taskscope/xproc/xproc_resolve.h"
#include "threadview/debuginfo.h"
#include "threadview/output.h"
#include "threadview/pprof.h"
#include "threadview/unwind.h"
#include "version.h"

enum snap_format { FMT_TEXT, FMT_JSON, FMT_FOLDED };

struct snap_args {
	pid_t pid;
	const char *comm;
	bool all;
	bool kernel_stacks;
	bool no_peers;             /* --no-peers: skip the resolver */
	enum snap_format format;
	uint32_t stack_size;
	const char *output;        /* -o FILE, NULL = stdout */
	uint64_t recent_ns;        /* --recent D (recorder.h), 0 = off */
	const char *pprof;         /* --pprof FILE, NULL = none */
	bool no_goroutines;        /* --no-goroutines: a Go program's threads only */
};

void cmd_snapshot_help(FILE *out)
{
	fprintf(out,
		"Usage: taskscope snapshot (-p PID | --comm NAME | --all) [OPTIONS]\n"
		"\n"
		"Shows every thread of a process and what it is blocked on, read\n"
		"from the kernel in one pass of a BPF task iterator, without\n"
		"stopping the process: state, CPU and off-CPU time, the syscall\n"
		"and its object (mutex and its owner, condition variable, join,\n"
		"socket with its peer, pipe, file, sleep), the user stack unwound\n"
		"with DWARF, a wait-for summary and deadlock cycles. For a Go\n"
		"program, every goroutine too (read from the runtime's own\n"
		"structures, docs/taskscope-go.md), printed like Go's debug=2\n"
		"dump, and the goroutine each thread runs.\n"
		"\n"
		"Options:\n"
		"  -p, --pid PID        the process (a thread id means its process)\n"
		"      --comm NAME      the process named NAME (exact, 15 chars max)\n"
		"      --all            every user process on the machine\n"
		"      --json           one JSON document (docs/taskscope-snapshot.md)\n"
		"      --folded         folded stacks, one line per stack (flame graphs)\n"
		"      --kernel-stacks  show each thread's kernel stack too\n"
		"      --stack-size N   user stack bytes copied per thread (default\n"
		"                       and max %d)\n"
		"  -o, --output FILE    write to FILE (atomically) instead of stdout\n"
		"      --recent D       also the threads that exited within D (e.g.\n"
		"                       5s), marked exited, from the flight recorder\n"
		"                       of a running `taskscope watch` on the process\n"
		"      --no-peers       do not look for the other end of sockets and\n"
		"                       pipes (by default a thread blocked on one\n"
		"                       names the process holding the other end,\n"
		"                       what its threads do, and the wait-for chain\n"
		"                       across processes)\n"
		"      --pprof FILE     also write a goroutine-style pprof profile\n"
		"                       (gzipped protobuf, atomically): one sample\n"
		"                       per thread, labelled with its name, state\n"
		"                       and what it is blocked on (a Go program:\n"
		"                       one per goroutine, labelled with its wait)\n"
		"      --no-goroutines  a Go program's threads only\n"
		"  -h, --help           this help\n"
		"\n"
		"Examples:\n"
		"  taskscope snapshot -p 4242\n"
		"  taskscope snapshot --comm uploadd --json | jq '.threads[].blocked_on'\n"
		"  taskscope snapshot -p 4242 --folded | flamegraph.pl > threads.svg\n"
		"  taskscope snapshot -p 4242 --kernel-stacks\n"
		"  taskscope snapshot -p 4242 --pprof threads.pb.gz >/dev/null\n"
		"  go tool pprof -top threads.pb.gz\n"
		"\n"
		"Needs root (or CAP_BPF + CAP_PERFMON + CAP_SYS_PTRACE) and a kernel\n"
		"with BTF. The target keeps running; threads running on a CPU at the\n"
		"moment are marked, their stacks may be stale.\n"
		"\n" TS_EXIT_CODES_HELP, TS_STACK_MAX);
}

static int usage_error(const char *msg, const char *arg)
{
	log_err("snapshot: %s%s%s (see taskscope snapshot --help)", msg,
		arg ? ": " : "", arg ? arg : "");
	return TS_EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct snap_args *a, bool *help)
{
	enum { OPT_COMM = 256, OPT_ALL, OPT_JSON, OPT_FOLDED, OPT_KSTACKS,
	       OPT_STACK_SIZE, OPT_RECENT, OPT_PPROF, OPT_NO_GO,
	       OPT_NO_PEERS };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "folded", no_argument, NULL, OPT_FOLDED },
		{ "kernel-stacks", no_argument, NULL, OPT_KSTACKS },
		{ "stack-size", required_argument, NULL, OPT_STACK_SIZE },
		{ "output", required_argument, NULL, 'o' },
		{ "recent", required_argument, NULL, OPT_RECENT },
		{ "pprof", required_argument, NULL, OPT_PPROF },
		{ "no-goroutines", no_argument, NULL, OPT_NO_GO },
		{ "no-peers", no_argument, NULL, OPT_NO_PEERS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c, targets = 0;
	pid_t n;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (ts_parse_pid(optarg, &a->pid))
				return usage_error("-p needs a positive process id, got",
						   optarg);
			targets++;
			break;
		case OPT_COMM:
			if (!optarg[0])
				return usage_error("--comm needs a name", NULL);
			a->comm = optarg;
			targets++;
			break;
		case OPT_ALL:
			a->all = true;
			targets++;
			break;
		case OPT_JSON:
			a->format = FMT_JSON;
			break;
		case OPT_FOLDED:
			a->format = FMT_FOLDED;
			break;
		case OPT_KSTACKS:
			a->kernel_stacks = true;
			break;
		case OPT_STACK_SIZE:
			if (ts_parse_pid(optarg, &n) || n < 64 || n > TS_STACK_MAX)
				return usage_error("--stack-size must be 64.." "24576, got",
						   optarg);
			a->stack_size = n;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_RECENT:
			if (ts_parse_duration(optarg, &a->recent_ns) ||
			    !a->recent_ns)
				return usage_error("bad --recent duration "
						   "(e.g. 5s)", optarg);
			break;
		case OPT_NO_GO:
			a->no_goroutines = true;
			break;
		case OPT_NO_PEERS:
			a->no_peers = true;
			break;
		case OPT_PPROF:
			if (!optarg[0])
				return usage_error("--pprof needs a file name",
						   NULL);
			a->pprof = optarg;
			break;
		case 'h':
			*help = true;
			return 0;
		case ':':
			return usage_error("missing value for", argv[optind - 1]);
		default:
			return usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (targets != 1)
		return usage_error("give exactly one of -p PID, --comm NAME, --all",
				   NULL);
	return 0;
}

/* Writes buf to path atomically (atomic_file.h). Returns 0 or an exit
 * code after logging. */
static int write_atomic(const char *path, const char *buf, size_t len)
{
	int err = atomic_file_write_buf(path, buf, len);

	if (err) {
		log_err("cannot write %s: %s (check the directory exists and "
			"is writable, and free space)", path, strerror(-err));
		return TS_EXIT_FAILURE;
	}
	return 0;
}

/* --pprof FILE. Returns 0 or an exit code after logging. */
static int write_pprof(const char *path, const struct ts_snapshot *s)
{
	int err = ts_pprof_snapshot(s, path);

	if (err) {
		log_err("cannot write the pprof profile %s: %s (check the "
			"directory exists and is writable)", path,
			strerror(-err));
		return TS_EXIT_FAILURE;
	}
	return 0;
}

static int render(const struct snap_args *a, const struct ts_snapshot *s)
{
	struct ts_output_opts o = {
		.kernel_stacks = a->kernel_stacks, .version = TS_VERSION,
	};
	char cwd[4096], *buf = NULL;
	size_t len = 0;
	FILE *m;
	int err, rc = 0;

	if (getcwd(cwd, sizeof(cwd)))
		o.strip_prefix = cwd;
	/* Render in memory first: an output error never leaves half a
	 * document behind. */
	m = open_memstream(&buf, &len);
	if (!m)
		return TS_EXIT_FAILURE;
	/* Only this thread writes m: skip stdio's per-call lock (the JSON
	 * writer makes ~100 calls per thread; locked, that was a third of
	 * the output time). */
	__fsetlocking(m, FSETLOCKING_BYCALLER);
	if (a->format == FMT_JSON)
		err = ts_output_json(m, s, &o);
	else if (a->format == FMT_FOLDED)
		err = ts_output_folded(m, s, &o);
	else
		err = ts_output_text(m, s, &o);
	fclose(m);
	if (err) {
		log_err("cannot format the snapshot: %s", strerror(-err));
		rc = TS_EXIT_FAILURE;
	} else if (a->output) {
		rc = write_atomic(a->output, buf, len);
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
		log_err("cannot write the snapshot to stdout: %s", strerror(errno));
		rc = TS_EXIT_FAILURE;
	}
	free(buf);
	return rc;
}

/* Names the other end of every socket and pipe a thread waits on (the
 * cross-process resolver, taskscope/xproc/). Its iterators load only when
 * some thread waits on one: loading them beside the pass, as before,
 * doubled a 1,000-thread snapshot's CPU and took the target's second CPU
 * on this 2-vCPU machine (docs/BENCHMARKS.md, snapshot). A failure costs
 * the peers, never the snapshot: it is said on stderr. */
static void resolve_peers(struct ts_snapshot *s)
{
	struct ts_xp_session *x;
	struct ts_xp_stats st;
	int err;

	if (!ts_xproc_needed(s)) {
		log_debug(1, "xproc: not loaded: no thread waits on a socket, "
			  "pipe or FIFO");
		return;
	}
	x = ts_xp_open();
	if (!x) {
		log_warn("cross-process peers not resolved: cannot load the "
			 "xproc iterators (bpf/xproc.bpf.c): %s (taskscope -vv "
			 "shows the verifier log)", strerror(errno));
		return;
	}
	err = ts_xproc_resolve(x, s, &st);
	if (err)
		log_warn("cross-process peers not resolved: %s", strerror(-err));
	log_debug(1, "xproc: load %.1f ms, pass %.1f ms, match %.1f ms; %zu "
		  "files, %zu sockets, %zu tasks; %zu peers, %zu other "
		  "processes", st.load_ms, st.pass_ms, st.match_ms, st.files,
		  st.socks, st.tasks, st.peers, st.procs);
	ts_xp_close(x);
}

/* Keeps inflated copies of compressed debug files (debuginfo.h): libc's
 * DWARF alone takes ~60 ms of CPU to inflate, on every run without it. */
static void use_debug_cache(void)
{
	char *dir = ts_debugcache_default_dir();
	int err;

	if (!dir)
		return;
	err = ts_debugcache_set_dir(dir);
	if (err)
		log_debug(1, "no debug info cache: cannot use %s: %s", dir,
			  strerror(-err));
	free(dir);
}

int cmd_snapshot(int argc, char **argv)
{
	struct ts_prewarm *pw;
	struct snap_args a = { 0 };
	struct ts_target target = { 0 };
	struct ts_collect_opts co = { 0 };
	struct ts_collect_result raw;
	struct ts_snapshot s = { 0 };
	struct ts_snapshot_builder *b;
	struct ts_unwinder *warm;
	struct ts_recorder_result recent = { 0 };
	struct ts_go_snap *gosnap = NULL;
	struct ts_phase ph;
	bool help = false;
	int rc;

	ts_phase_start(&ph);
	rc = parse_args(argc, argv, &a, &help);
	if (rc || help) {
		if (help)
			cmd_snapshot_help(stdout);
		return rc;
	}
	if (!a.all) {
		rc = ts_target_resolve(a.pid, a.comm, &target);
		if (rc)
			return rc;
	}
	ts_bpf_log_init();
	rc = ts_bpf_preflight(TS_NEED_BTF);
	if (rc)
		return rc;
	use_debug_cache();
	ts_phase_mark(&ph, "start");
	co.pid = target.pid;
	co.kernel_stacks = a.kernel_stacks;
	co.stack_max = a.stack_size;
	pw = ts_prewarm_start(target.pid);
	rc = ts_snapshot_collect(&co, &raw);
	if (rc) {
		ts_unwinder_free(ts_prewarm_finish(pw));
		return rc;
	}
	s.pid = target.pid;
	memcpy(s.comm, target.comm, sizeof(s.comm));
	s.kernel_release = ts_kernel_release();
	s.nkernel_features = ts_features_list(raw.features_wanted, raw.features,
					      s.kernel_features,
					      TS_KERNEL_FEATURES_MAX);
	if (!a.all && raw.len == 0) {
		ts_collect_result_free(&raw);
		ts_unwinder_free(ts_prewarm_finish(pw));
		if (ts_pid_alive(target.pid)) {
			log_err("the task iterator saw no thread of process %d "
				"although it exists (is it in another pid "
				"namespace than taskscope?)", target.pid);
			return TS_EXIT_FAILURE;
		}
		log_err("process %d exited before the snapshot saw any thread",
			target.pid);
		return TS_EXIT_NO_TARGET;
	}
	warm = ts_prewarm_finish(pw);
	ts_phase_start(&ph);
	b = ts_snapshot_build(&raw, a.kernel_stacks, warm, &s);
	if (!b) {
		log_err("cannot decode the snapshot: %s", errno == EPROTO ?
			"malformed BPF records (taskscope and its BPF object "
			"disagree; rebuild)" : strerror(errno));
		rc = TS_EXIT_FAILURE;
		goto free_raw;
	}
	ts_phase_mark(&ph, "build");
	if (!a.no_peers) {
		resolve_peers(&s);
		ts_phase_mark(&ph, "xproc");
	}
	log_debug(1, "snapshot: %zu threads, %zu bytes of records, load %.1f "
		  "ms, pass %.1f ms, unwind %.1f ms", s.nthreads, raw.len,
		  raw.load_ms, raw.pass_ms, s.unwind_ms);
	if (a.recent_ns && !a.all)
		ts_recorder_snapshot(&s, target.pid, a.recent_ns, &recent);
	/* A Go program: its goroutines too, read after the threads so each
	 * thread learns the goroutine it runs. */
	if (!a.all && !a.no_goroutines) {
		rc = ts_go_snapshot(target.pid, &s, &gosnap);
		ts_phase_mark(&ph, "goroutines");
		if (rc)
			goto free_go;
	}
	rc = render(&a, &s);
	ts_phase_mark(&ph, "output");
	if (!rc && a.pprof)
		rc = write_pprof(a.pprof, &s);
free_go:
	ts_go_snap_free(gosnap);
	ts_recorder_free(&recent);
	ts_snapshot_builder_free(b);
free_raw:
	ts_snapshot_free(&s);
	ts_collect_result_free(&raw);
	if (b)
		ts_phase_mark(&ph, "free");
	return rc;
}
