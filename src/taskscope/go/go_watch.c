/* Goroutine lifecycles for `taskscope watch` (see go_watch.h). */
#include "taskscope/go/go_watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope/attach/bpf_env.h"
#include "taskscope/exit_codes.h"
#include "taskscope/go/go_binary.h"
#include "taskscope/go/go_symbolize.h"
#include "gowatch.skel.h"

#define MAX_LINKS 16

/* goid -> creation time, for lifetimes: open addressing, backward-shift
 * deletion. */
struct born {
	int64_t goid;               /* 0: empty */
	uint64_t ts_ns;
};

struct ts_go_watch {
	struct gowatch_bpf *skel;
	struct bpf_link *links[MAX_LINKS];
	int nlinks;
	struct ring_buffer *rb;
	struct ts_go_binary bin;
	struct ts_gosym *sym;
	ts_go_event_fn fn;
	void *ctx;
	struct born *born;
	size_t cap, used;
	uint64_t created, exited, waits;
};

static uint64_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

static void born_put(struct ts_go_watch *w, int64_t goid, uint64_t ts);

static void born_grow(struct ts_go_watch *w)
{
	struct born *old = w->born;
	size_t oc = w->cap, i;

	w->born = calloc(oc * 2, sizeof(*w->born));
	if (!w->born) {
		w->born = old;
		return;
	}
	w->cap = oc * 2;
	w->used = 0;
	for (i = 0; i < oc; i++)
		if (old[i].goid)
			born_put(w, old[i].goid, old[i].ts_ns);
	free(old);
}

static void born_put(struct ts_go_watch *w, int64_t goid, uint64_t ts)
{
	size_t i;

	if ((w->used + 1) * 2 > w->cap)
		born_grow(w);
	if ((w->used + 1) * 2 > w->cap)
		return;              /* no memory: lifetime unknown, said so */
	i = hash64(goid) & (w->cap - 1);
	while (w->born[i].goid && w->born[i].goid != goid)
		i = (i + 1) & (w->cap - 1);
	if (!w->born[i].goid)
		w->used++;
	w->born[i] = (struct born){ goid, ts };
}

/* Removes goid; returns its creation time or 0. */
static uint64_t born_take(struct ts_go_watch *w, int64_t goid)
{
	size_t i = hash64(goid) & (w->cap - 1), j, k;
	uint64_t ts;

	while (w->born[i].goid && w->born[i].goid != goid)
		i = (i + 1) & (w->cap - 1);
	if (!w->born[i].goid)
		return 0;
	ts = w->born[i].ts_ns;
	/* Backward-shift: move later entries of the probe run into the gap. */
	for (j = i;;) {
		w->born[i].goid = 0;
		for (;;) {
			j = (j + 1) & (w->cap - 1);
			if (!w->born[j].goid)
				goto done;
			k = hash64(w->born[j].goid) & (w->cap - 1);
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		w->born[i] = w->born[j];
		i = j;
	}
done:
	w->used--;
	return ts;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct ts_go_watch *w = ctx;
	const struct ts_gev *r = data;
	struct ts_goframe fr[16];
	struct ts_go_event ev;
	uint64_t born;
	int n;

	if (size < sizeof(*r) || r->type == 0 || r->type >= TS_GEV_TYPE_MAX)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.type = r->type;
	ev.tid = r->tid;
	ev.ts_ns = r->ts_ns;
	ev.goid = r->goid;
	ev.other_goid = r->other_goid;
	ev.lifetime_ns = -1;
	ev.startpc = r->startpc;
	ev.gopc = r->gopc;
	if (r->startpc)
		ev.start_function = ts_gosym_start_func(w->sym, r->startpc, NULL);
	if (r->gopc) {
		n = ts_gosym_frames(w->sym, r->gopc, true, fr, 16);
		if (n > 0)
			ev.go_stmt = fr[n - 1];
	}
	switch (r->type) {
	case TS_GEV_CREATE:
		w->created++;
		born_put(w, r->goid, r->ts_ns);
		break;
	case TS_GEV_EXIT:
		w->exited++;
		born = born_take(w, r->goid);
		if (born && r->ts_ns >= born)
			ev.lifetime_ns = r->ts_ns - born;
		break;
	case TS_GEV_WAIT:
		w->waits++;
		ev.dur_ns = r->dur_ns;
		ev.reason = ts_go_reason(&w->bin, r->reason);
		break;
	default:
		break;
	}
	w->fn(w->ctx, &ev);
	return 0;
}

static int attach(struct ts_go_watch *w, struct bpf_program *prog, pid_t pid,
		  uint64_t off, const char *what)
{
	struct bpf_link *l;
	char path[64];

	if (w->nlinks == MAX_LINKS)
		return -E2BIG;
	/* The binary as the process maps it, in whatever namespace. */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	l = bpf_program__attach_uprobe(prog, false, pid, path, off);
	if (!l) {
		int err = -errno;

		log_err("cannot attach a uprobe to %s in %s: %s", what,
			w->bin.path, strerror(-err));
		return err;
	}
	w->links[w->nlinks++] = l;
	return 0;
}

static int attach_func(struct ts_go_watch *w, struct bpf_program *prog,
		       pid_t pid, const char *name)
{
	uint64_t addr = ts_go_symbol(&w->bin, name);

	if (!addr) {
		log_err("cannot find %s in %s (a Go version taskscope does not "
			"know?)", name, w->bin.path);
		return -ENOENT;
	}
	return attach(w, prog, pid, ts_go_file_offset(&w->bin, addr), name);
}

static bool stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

int ts_go_watch_start(const struct ts_go_watch_opts *o, ts_go_event_fn fn,
		      void *ctx, struct ts_go_watch **out)
{
	struct ts_go_watch *w = calloc(1, sizeof(*w));
	const struct ts_go_layout *l;
	struct ts_go_site sites[MAX_LINKS];
	uint64_t exit_off;
	char why[256] = "";
	int i, n, err = 0;

	*out = NULL;
	if (!w)
		return TS_EXIT_FAILURE;
	w->fn = fn;
	w->ctx = ctx;
	switch (ts_go_binary_open(o->pid, &w->bin, why, sizeof(why))) {
	case TS_GO_OK:
		break;
	case TS_GO_NO_DWARF:
	case TS_GO_UNSUPPORTED:
		log_warn("process %d runs a Go program (%s) but its goroutines "
			 "cannot be watched: %s; watching its threads only",
			 o->pid, w->bin.version, why);
		/* fall through */
	default:
		ts_go_watch_free(w);
		return 0;
	}
	l = &w->bin.lay;
	w->cap = 1024;
	w->born = calloc(w->cap, sizeof(*w->born));
	w->sym = ts_gosym_new(&w->bin);
	n = ts_go_create_sites(&w->bin, sites, MAX_LINKS - 4);
	exit_off = ts_go_exit_site(&w->bin);
	if (!w->born || !w->sym || n <= 0 || !exit_off) {
		log_warn("process %d runs a Go program (%s) but taskscope finds "
			 "no runtime.newproc1 call or runtime.goexit1 to probe; "
			 "watching its threads only", o->pid, w->bin.version);
		ts_go_watch_free(w);
		return 0;
	}
	w->skel = gowatch_bpf__open();
	if (!w->skel) {
		err = -errno;
		goto bpf_fail;
	}
	w->skel->rodata->ts_gw_cfg.off_goid = l->g_goid;
	w->skel->rodata->ts_gw_cfg.off_startpc = l->g_startpc;
	w->skel->rodata->ts_gw_cfg.off_gopc = l->g_gopc;
	w->skel->rodata->ts_gw_cfg.off_parent_goid = l->g_parent_goid;
	w->skel->rodata->ts_gw_cfg.off_m = l->g_m;
	w->skel->rodata->ts_gw_cfg.off_curg = l->m_curg;
	w->skel->rodata->ts_gw_cfg.min_block_ns = o->min_block_ns;
	if (o->ring_bytes)
		bpf_map__set_max_entries(w->skel->maps.ts_gw_ring, o->ring_bytes);
	if (!o->waits)
		bpf_map__set_max_entries(w->skel->maps.ts_gw_park, 1);
	err = gowatch_bpf__load(w->skel);
	if (err)
		goto bpf_fail;
	for (i = 0; i < n && !err; i++)
		err = attach(w, sites[i].newg_in_bx ? w->skel->progs.ts_go_queued :
			     w->skel->progs.ts_go_created, o->pid, sites[i].off,
			     "runtime.newproc1's caller");
	if (!err)
		err = attach(w, w->skel->progs.ts_go_exit, o->pid, exit_off,
			     "runtime.goexit");
	if (!err && o->waits) {
		err = attach_func(w, w->skel->progs.ts_go_park, o->pid,
				  "runtime.gopark");
		if (!err)
			err = attach_func(w, w->skel->progs.ts_go_ready, o->pid,
					  "runtime.ready");
		if (!err)
			err = attach_func(w, w->skel->progs.ts_go_execute, o->pid,
					  "runtime.execute");
	}
	if (err) {
		ts_go_watch_free(w);
		return TS_EXIT_FAILURE;
	}
	w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.ts_gw_ring), on_event,
				 w, NULL);
	if (!w->rb) {
		err = -errno;
		goto bpf_fail;
	}
	*out = w;
	return 0;
bpf_fail:
	ts_go_watch_free(w);
	return ts_bpf_explain("load the goroutine probes (uprobes)", err);
}

int ts_go_watch_fd(const struct ts_go_watch *w)
{
	return ring_buffer__epoll_fd(w->rb);
}

int ts_go_watch_poll(struct ts_go_watch *w)
{
	return ring_buffer__consume(w->rb);
}

void ts_go_watch_stats(struct ts_go_watch *w, struct ts_go_watch_stats *out)
{
	int ncpu = libbpf_num_possible_cpus(), c, i;
	struct ts_gwatch_stats *per;
	__u32 zero = 0;

	memset(out, 0, sizeof(*out));
	out->created = w->created;
	out->exited = w->exited;
	out->waits = w->waits;
	out->probes = w->nlinks;
	per = ncpu > 0 ? calloc(ncpu, sizeof(*per)) : NULL;
	if (per && !bpf_map_lookup_elem(bpf_map__fd(w->skel->maps.ts_gw_stats),
					&zero, per)) {
		for (c = 0; c < ncpu; c++) {
			out->lost += per[c].lost;
			out->parks += per[c].parks;
			for (i = 0; i < TS_GEV_TYPE_MAX; i++)
				out->emitted[i] += per[c].emitted[i];
		}
	}
	free(per);
	out->have_cost = stats_enabled();
	if (out->have_cost) {
		struct bpf_program *p;

		bpf_object__for_each_program(p, w->skel->obj) {
			struct bpf_prog_info info;
			__u32 len = sizeof(info);

			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
				continue;
			out->run_cnt += info.run_cnt;
			out->run_ns += info.run_time_ns;
		}
	}
}

void ts_go_watch_free(struct ts_go_watch *w)
{
	int i;

	if (!w)
		return;
	ring_buffer__free(w->rb);
	for (i = 0; i < w->nlinks; i++)
		bpf_link__destroy(w->links[i]);
	gowatch_bpf__destroy(w->skel);
	ts_gosym_free(w->sym);
	ts_go_binary_close(&w->bin);
	free(w->born);
	free(w);
}
