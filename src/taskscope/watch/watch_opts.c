/* `taskscope watch` flags and help (see watch_opts.h). */
#include "taskscope/watch/watch_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "taskscope/attach/target.h"
#include "taskscope/cli.h"
#include "taskscope/exit_codes.h"
#include "taskscope_abi.h"

void cmd_watch_help(FILE *out)
{
	fprintf(out,
"Usage: taskscope watch (-p PID | --comm NAME) [OPTIONS]\n"
"\n"
"Stream every thread of a process as it is created, renamed, blocked,\n"
"woken and exited, from kernel tracepoints (eBPF), until Ctrl-C, --duration\n"
"or the target's exit, then print a per-thread summary. Short-lived\n"
"threads a snapshot misses are all here.\n"
"\n"
"Options:\n"
"  -p, --pid PID        the process to watch\n"
"      --comm NAME      the process whose name is NAME (must be unique)\n"
"  -d, --duration D     stop after D (e.g. 500ms, 10s, 2m)\n"
"      --min-block D    report waits of at least D (default 1ms, 0: all);\n"
"                       shorter ones are filtered in the kernel and only\n"
"                       counted in the summary\n"
"      --stuck D        report a wait the moment it passes D, while it is\n"
"                       still blocked, with its stack; on a socket or pipe\n"
"                       also its wait-for chain across processes (who holds\n"
"                       the other end and what that thread is doing)\n"
"      --stacks         the user stack of each reported wait (DWARF)\n"
"      --json           JSON Lines: one object per event, a summary last\n"
"      --trace FILE     also write the timeline as Chrome trace-event JSON\n"
"                       (opens in Perfetto and chrome://tracing)\n"
"      --pprof FILE     also write an off-CPU pprof profile at the end:\n"
"                       blocked nanoseconds and waits by stack, for the\n"
"                       reported waits (implies --stacks)\n"
"      --recorder N     flight recorder: keep the last N exited threads\n"
"                       for `taskscope snapshot --recent` (default %d)\n"
"      --ring-mb N      ring buffer size in MiB, a power of 2 (default %d)\n"
"      --goroutine-waits  a Go program: also each goroutine park of at\n"
"                       least --min-block, with its wait reason and who\n"
"                       woke it (uprobes on gopark/ready/execute: costs\n"
"                       about a microsecond per goroutine switch)\n"
"      --no-goroutines  a Go program: threads only, no goroutine events\n"
"  -q, --quiet          no event lines, only the summary\n"
"      --summary-threads N  threads listed in the text summary (default %d)\n"
"  -h, --help           this help\n"
"\n"
"Events: create (parent, start routine), rename, exit (lifetime, CPU time,\n"
"status), wait (what it blocked on, for how long, who woke it and, from\n"
"another process, which; bytes for socket reads), STUCK (--stuck). A Go\n"
"program (docs/taskscope-go.md) adds gocreate (goroutine id, creator,\n"
"start function, go statement), goexit (lifetime) and, with\n"
"--goroutine-waits, gowait. Times are seconds since the start.\n"
"\n"
"Examples:\n"
"  taskscope watch -p 4242\n"
"  taskscope watch --comm uploadd --min-block 5ms --stacks\n"
"  taskscope watch -p 4242 --stuck 2s --duration 1m --json > events.jsonl\n"
"  taskscope watch -p 4242 --trace timeline.json -q\n"
"  taskscope watch -p 4242 -d 30s -q --pprof offcpu.pb.gz\n"
"  go tool pprof -top offcpu.pb.gz\n"
"\n" TS_EXIT_CODES_HELP
"Ending because the target exited is a success (0).\n",
		TS_RECENT_DEFAULT, WATCH_DEFAULT_RING_MB,
		WATCH_DEFAULT_SUMMARY_THREADS);
}

enum {
	OPT_COMM = 256, OPT_MIN_BLOCK, OPT_STUCK, OPT_STACKS, OPT_JSON,
	OPT_TRACE, OPT_RECORDER, OPT_RING_MB, OPT_SUMMARY_THREADS, OPT_PPROF,
	OPT_GO_WAITS, OPT_NO_GO,
};

static int parse_u32(const char *flag, const char *s, uint32_t min,
		     uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		log_err("bad %s '%s': expected a number from %u to %u "
			"(see taskscope help watch)", flag, s, min, max);
		return TS_EXIT_USAGE;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_dur(const char *flag, const char *s, uint64_t *out)
{
	if (!ts_parse_duration(s, out))
		return 0;
	log_err("bad %s '%s': expected a duration like 500ms, 10s or 2m "
		"(see taskscope help watch)", flag, s);
	return TS_EXIT_USAGE;
}

static int check(struct watch_opts *o)
{
	if (o->help)
		return 0;
	if (!o->pid == !o->comm) {
		log_err("%s (see taskscope help watch)", o->pid ?
			"-p and --comm exclude each other: give one" :
			"no target: give -p PID or --comm NAME");
		return TS_EXIT_USAGE;
	}
	if (o->ring_mb & (o->ring_mb - 1)) {
		log_err("bad --ring-mb %u: must be a power of 2 (e.g. 8, 16, 64)",
			o->ring_mb);
		return TS_EXIT_USAGE;
	}
	return 0;
}

int watch_opts_parse(int argc, char **argv, struct watch_opts *o)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "duration", required_argument, NULL, 'd' },
		{ "min-block", required_argument, NULL, OPT_MIN_BLOCK },
		{ "stuck", required_argument, NULL, OPT_STUCK },
		{ "stacks", no_argument, NULL, OPT_STACKS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "pprof", required_argument, NULL, OPT_PPROF },
		{ "recorder", required_argument, NULL, OPT_RECORDER },
		{ "ring-mb", required_argument, NULL, OPT_RING_MB },
		{ "quiet", no_argument, NULL, 'q' },
		{ "goroutine-waits", no_argument, NULL, OPT_GO_WAITS },
		{ "no-goroutines", no_argument, NULL, OPT_NO_GO },
		{ "summary-threads", required_argument, NULL, OPT_SUMMARY_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = 0;

	memset(o, 0, sizeof(*o));
	o->min_block_ns = WATCH_DEFAULT_MIN_BLOCK_NS;
	o->recorder_slots = TS_RECENT_DEFAULT;
	o->ring_mb = WATCH_DEFAULT_RING_MB;
	o->summary_threads = WATCH_DEFAULT_SUMMARY_THREADS;
	optind = 1;
	opterr = 0;
	while (!rc && (c = getopt_long(argc, argv, "+p:d:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (ts_parse_pid(optarg, &o->pid)) {
				log_err("bad -p '%s': expected a process id "
					"(see taskscope help watch)", optarg);
				rc = TS_EXIT_USAGE;
			}
			break;
		case OPT_COMM: o->comm = optarg; break;
		case 'd': rc = parse_dur("--duration", optarg, &o->duration_ns); break;
		case OPT_MIN_BLOCK: rc = parse_dur("--min-block", optarg, &o->min_block_ns); break;
		case OPT_STUCK: rc = parse_dur("--stuck", optarg, &o->stuck_ns); break;
		case OPT_STACKS: o->stacks = true; break;
		case OPT_JSON: o->json = true; break;
		case OPT_TRACE: o->trace_path = optarg; break;
		case OPT_PPROF:
			/* A profile is stacks: they are what it is made of. */
			o->pprof_path = optarg;
			o->stacks = true;
			if (!optarg[0]) {
				log_err("--pprof needs a file name (see "
					"taskscope help watch)");
				rc = TS_EXIT_USAGE;
			}
			break;
		case OPT_RECORDER:
			rc = parse_u32("--recorder", optarg, 1, 1 << 20, &o->recorder_slots);
			break;
		case OPT_RING_MB:
			rc = parse_u32("--ring-mb", optarg, 1, 1024, &o->ring_mb);
			break;
		case 'q': o->quiet = true; break;
		case OPT_GO_WAITS: o->goroutine_waits = true; break;
		case OPT_NO_GO: o->no_goroutines = true; break;
		case OPT_SUMMARY_THREADS:
			rc = parse_u32("--summary-threads", optarg, 0, 1 << 30,
				       &o->summary_threads);
			break;
		case 'h': o->help = true; break;
		default:
			log_err("unknown or incomplete option '%s' (see taskscope "
				"help watch)", argv[optind - 1]);
			rc = TS_EXIT_USAGE;
		}
	}
	if (!rc && optind < argc) {
		log_err("unexpected argument '%s' (see taskscope help watch)",
			argv[optind]);
		rc = TS_EXIT_USAGE;
	}
	return rc ? rc : check(o);
}
