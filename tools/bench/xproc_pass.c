/* Benchmark helper: the cross-process resolver's kernel pass alone. Loads
 * bpf/xproc.bpf.c's iterators once (timed), then RUNS times reads every
 * socket/pipe/FIFO fd of every process and every TCP and unix socket, and
 * indexes the records (xproc_table.h) the way the resolver does; prints
 * one JSON object: load_ms, pass_ms[] (read + index per run), and what a
 * pass saw. The /proc walk it is compared with is procwalk.c.
 *   usage: xproc_pass [RUNS]          (root)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taskscope/xproc/xproc_collect.h"
#include "taskscope/xproc/xproc_table.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 9, i;
	struct ts_xp_raw raw = { 0 };
	struct ts_xp_session *x;
	struct ts_xp_table t;
	double t0 = now_ms(), load;

	if (runs <= 0) {
		fprintf(stderr, "usage: xproc_pass [RUNS]\n");
		return 2;
	}
	x = ts_xp_open();
	if (!x) {
		fprintf(stderr, "xproc_pass: cannot load the xproc iterators: %s "
			"(run as root)\n", strerror(errno));
		return 1;
	}
	load = now_ms() - t0;
	printf("{\"load_ms\": %.2f, \"pass_ms\": [", load);
	for (i = 0; i < runs; i++) {
		t0 = now_ms();
		if (ts_xp_read(x, &raw) || ts_xp_table_build(&t, raw.buf, raw.len)) {
			fprintf(stderr, "xproc_pass: the pass failed\n");
			return 1;
		}
		printf("%s%.3f", i ? ", " : "", now_ms() - t0);
		if (i + 1 < runs)
			ts_xp_table_free(&t);
	}
	printf("], \"files\": %zu, \"sockets\": %zu, \"bytes\": %zu}\n",
	       t.nfiles, t.nsocks, raw.len);
	ts_xp_table_free(&t);
	ts_xp_raw_free(&raw);
	ts_xp_close(x);
	return 0;
}
