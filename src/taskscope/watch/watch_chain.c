/* Stuck waits' chains across processes (see watch_chain.h). */
#include "taskscope/watch/watch_chain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "taskscope/xproc/xproc_resolve.h"
#include "threadview/describe_peer.h"
#include "threadview/waitgraph.h"

struct watch_chains {
	struct ts_xp_session *x;
	bool failed;                 /* loading failed: said once, not again */
};

struct watch_chains *watch_chains_new(void)
{
	return calloc(1, sizeof(struct watch_chains));
}

void watch_chains_free(struct watch_chains *wc)
{
	if (!wc)
		return;
	ts_xp_close(wc->x);
	free(wc);
}

bool watch_chain_wanted(const struct wev_view *v)
{
	const struct ts_wait *w = &v->ev->wait.w;

	if (v->ev->type != TS_WEV_STUCK || !(w->flags & TS_WAIT_F_FD))
		return false;
	if (v->kind != TS_BLOCK_READ && v->kind != TS_BLOCK_WRITE &&
	    v->kind != TS_BLOCK_CONNECT)
		return false;
	return w->fd.type == TS_FD_SOCKET || w->fd.type == TS_FD_PIPE;
}

static int session(struct watch_chains *wc)
{
	if (wc->x)
		return 0;
	if (wc->failed)
		return -EPERM;
	wc->x = ts_xp_open();
	if (!wc->x) {
		int err = errno;

		wc->failed = true;
		log_warn("stuck waits are reported without their chain: cannot "
			 "load the xproc iterators (bpf/xproc.bpf.c): %s",
			 strerror(err));
		return -err;
	}
	return 0;
}

int watch_chain_of(struct watch_chains *wc, const struct wev_view *v,
		   struct wev_chain *out)
{
	struct ts_snapshot s;
	const struct ts_thread *t, *last;
	enum ts_chain_end end = TS_CHAIN_END;
	long cycle_at;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	err = session(wc);
	if (err)
		return err;
	err = ts_xproc_snapshot(wc->x, v->ev->pid, &s);
	if (err) {
		ts_snapshot_free(&s);
		return err;
	}
	t = ts_snapshot_find(&s, v->ev->tid);
	if (!t || !t->blocked.peer) {
		ts_snapshot_free(&s);
		return -ENOENT;
	}
	out->n = ts_waitgraph_path(&s, v->ev->tid, out->tids, WEV_CHAIN_MAX,
				   &cycle_at);
	for (i = 0; i < out->n; i++) {
		const struct ts_thread *o = ts_snapshot_find(&s, out->tids[i]);

		out->pids[i] = o ? o->pid : 0;
	}
	if (cycle_at == 0) {
		end = TS_CHAIN_CYCLE;
		out->deadlock = true;
	} else if (cycle_at > 0) {
		end = TS_CHAIN_INTO_CYCLE;
		out->deadlock = true;
	}
	last = ts_snapshot_find(&s, out->tids[out->n - 1]);
	if (last) {
		snprintf(out->end_state, sizeof(out->end_state), "%s",
			 ts_state_name(last->state));
		ts_describe_doing(last, out->end, sizeof(out->end));
	}
	ts_describe_chain(&s, out->tids, out->n, end, out->text,
			  sizeof(out->text));
	ts_snapshot_free(&s);
	return 0;
}
