/* Goroutines for `taskscope snapshot` (see go_snapshot.h). */
#include "taskscope/go/go_snapshot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/attach/target.h"
#include "taskscope/exit_codes.h"
#include "taskscope/go/go_binary.h"
#include "taskscope/go/go_build.h"
#include "taskscope/go/go_collect.h"
#include "taskscope/go/go_symbolize.h"
#include "threadview/goroutine.h"

struct ts_go_snap {
	struct ts_go_binary bin;
	struct ts_gosym *sym;
	struct ts_go_view view;
};

int ts_go_snapshot(pid_t pid, struct ts_snapshot *s, struct ts_go_snap **out)
{
	struct ts_go_snap *g = calloc(1, sizeof(*g));
	struct ts_go_build_in in = { .pid = pid, .threads = s };
	struct ts_go_reader *rd;
	enum ts_go_open o;
	char why[256] = "";
	int err;

	*out = NULL;
	if (!g)
		return TS_EXIT_FAILURE;
	o = ts_go_binary_open(pid, &g->bin, why, sizeof(why));
	switch (o) {
	case TS_GO_OK:
		break;
	case TS_GO_NOT_GO:
	case TS_GO_ERROR:
		ts_go_snap_free(g);
		return 0;
	case TS_GO_NO_DWARF:
	case TS_GO_UNSUPPORTED:
		log_warn("process %d runs a Go program (%s, %s) but its goroutines "
			 "cannot be read: %s; showing its threads only (rebuild "
			 "without -ldflags=-s/-w, or use net/http/pprof's "
			 "/debug/pprof/goroutine)", pid, g->bin.version,
			 g->bin.path, why);
		ts_go_snap_free(g);
		return 0;
	}
	g->sym = ts_gosym_new(&g->bin);
	if (!g->sym) {
		log_err("cannot index the functions of %s: %s", g->bin.path,
			strerror(errno));
		ts_go_snap_free(g);
		return TS_EXIT_FAILURE;
	}
	rd = ts_go_reader_open(pid, &g->bin);
	if (!rd) {
		err = -errno;
		ts_go_snap_free(g);
		if (!ts_pid_alive(pid))
			return 0;     /* gone: the thread part says so */
		return ts_bpf_explain("load the goroutine reader (iter.s/task)",
				      err);
	}
	in.bin = &g->bin;
	in.sym = g->sym;
	in.rd = rd;
	err = ts_go_build(&in, &g->view);
	ts_go_reader_close(rd);
	if (err) {
		ts_go_snap_free(g);
		if (err == -ESRCH || !ts_pid_alive(pid))
			return 0;
		log_err("cannot read the goroutines of process %d: %s", pid,
			strerror(-err));
		return TS_EXIT_FAILURE;
	}
	log_debug(1, "go: %zu goroutines (allglen %llu) in %d passes, %.1f ms, "
		  "%zu changed while read", g->view.n,
		  (unsigned long long)g->view.allglen, g->view.passes,
		  g->view.read_ms, g->view.nchanged);
	s->go = &g->view;
	*out = g;
	return 0;
}

void ts_go_snap_free(struct ts_go_snap *g)
{
	if (!g)
		return;
	ts_go_view_free(&g->view);
	ts_gosym_free(g->sym);
	ts_go_binary_close(&g->bin);
	free(g);
}
