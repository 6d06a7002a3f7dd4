/* The goroutine reader's passes (see go_collect.h). The program is loaded
 * through a light skeleton, as the snapshot iterator is (the kernel makes
 * the CO-RE relocations; no vmlinux BTF parsed in user space). */
#include "taskscope/go/go_collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope_abi.h"
#include "goroutines_lskel.h"

struct ts_go_reader {
	struct goroutines_lskel *skel;
	int link_fd;
	struct ts_go_slot *out;          /* mmapped ts_go_out */
	size_t out_len;
	struct ts_go_config cfg;
	struct ts_go_read_stats st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct ts_go_reader *ts_go_reader_open(pid_t pid, const struct ts_go_binary *b)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	union bpf_iter_link_info linfo;
	struct ts_go_reader *r = calloc(1, sizeof(*r));
	const struct ts_go_layout *l = &b->lay;
	static char vlog[1 << 20];   /* verifier log, -vv only */
	int err;

	if (!r)
		return NULL;
	r->link_fd = -1;
	r->skel = goroutines_lskel__open();
	if (!r->skel)
		goto fail;
	if (log_verbose_level() >= 2) {
		r->skel->ctx.log_level = 1;
		r->skel->ctx.log_buf = (__u64)(unsigned long)vlog;
		r->skel->ctx.log_size = sizeof(vlog);
	}
	err = goroutines_lskel__load(r->skel);
	if (err) {
		if (vlog[0])
			log_debug(2, "verifier log:\n%s", vlog);
		errno = -err;
		goto fail;
	}
	r->out_len = (size_t)TS_GO_SLOTS * sizeof(struct ts_go_slot);
	r->out = mmap(NULL, r->out_len, PROT_READ, MAP_SHARED,
		      r->skel->maps.ts_go_out.map_fd, 0);
	if (r->out == MAP_FAILED) {
		r->out = NULL;
		goto fail;
	}
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = pid;
	opts.iter_info = &linfo;
	opts.iter_info_len = sizeof(linfo);
	r->link_fd = bpf_link_create(r->skel->progs.ts_goroutines.prog_fd, 0,
				     BPF_TRACE_ITER, &opts);
	if (r->link_fd < 0)
		goto fail;
	r->cfg.allgs_addr = b->allgs + b->bias;
	r->cfg.gsize = l->g_size;
	r->cfg.data_max = TS_GO_DATA_MAX;
	r->cfg.off_status = l->g_status;
	r->cfg.off_stack_lo = l->g_stack_lo;
	r->cfg.off_sched_sp = l->g_sched_sp;
	r->cfg.off_syscallsp = l->g_syscallsp;
	return r;
fail:
	err = errno;
	ts_go_reader_close(r);
	errno = err ? err : EINVAL;
	return NULL;
}

void ts_go_reader_close(struct ts_go_reader *r)
{
	if (!r)
		return;
	if (r->link_fd >= 0)
		close(r->link_fd);
	if (r->out)
		munmap(r->out, r->out_len);
	if (r->skel)
		goroutines_lskel__destroy(r->skel);
	free(r);
}

const struct ts_go_read_stats *ts_go_reader_stats(const struct ts_go_reader *r)
{
	return &r->st;
}

/* Runs one pass with r->cfg. Returns 0 and fills *res, or -errno. */
static int run_pass(struct ts_go_reader *r, struct ts_go_result *res)
{
	uint64_t t0 = mono_ns();
	__u32 zero = 0;
	char buf[64];
	int fd, err = 0;
	ssize_t n;

	r->cfg.pass = ++r->st.passes;
	if (bpf_map_update_elem(r->skel->maps.ts_go_cfg.map_fd, &zero, &r->cfg,
				BPF_ANY))
		return -errno;
	fd = bpf_iter_create(r->link_fd);
	if (fd < 0)
		return -errno;
	/* The program writes nothing to the seq_file: one read runs it over
	 * the target's threads and returns 0. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
	r->st.read_ms += (mono_ns() - t0) / 1e6;
	if (err)
		return err;
	if (bpf_map_lookup_elem(r->skel->maps.ts_go_res.map_fd, &zero, res))
		return -errno;
	if (res->pass != r->cfg.pass)
		return -ESRCH;        /* no thread with an address space ran it */
	r->st.errors += res->errors;
	return 0;
}

int ts_go_walk(struct ts_go_reader *r, ts_go_slot_fn fn, void *arg)
{
	struct ts_go_result res;
	uint64_t len = 0;
	uint32_t i;
	int err;

	r->cfg.mode = TS_GO_WALK;
	r->cfg.start = 0;
	r->st.first_mono_ns = mono_ns();
	do {
		err = run_pass(r, &res);
		if (err)
			return err;
		if (r->cfg.start == 0)
			r->st.allglen = len = res.allglen;
		/* allgs only grows (dead gs are reused, never removed): a
		 * longer slice in a later pass adds goroutines made since. */
		if (res.allglen > len)
			len = res.allglen;
		for (i = 0; i < res.done && i < TS_GO_SLOTS; i++)
			if (fn(&r->out[i], r->cfg.start + i, arg))
				return 0;
		if (res.done == 0)
			break;
		r->cfg.start += res.done;
	} while (r->cfg.start < len && len < (1u << 24));
	r->st.last_mono_ns = mono_ns();
	return 0;
}

int ts_go_gather(struct ts_go_reader *r, const struct ts_go_req *reqs,
		 size_t n, ts_go_slot_fn fn, void *arg)
{
	struct ts_go_result res;
	size_t done = 0, k, i;
	__u32 key;
	int err;

	r->cfg.mode = TS_GO_GATHER;
	while (done < n) {
		k = n - done < TS_GO_SLOTS ? n - done : TS_GO_SLOTS;
		for (i = 0; i < k; i++) {
			key = i;
			if (bpf_map_update_elem(r->skel->maps.ts_go_req.map_fd,
						&key, &reqs[done + i], BPF_ANY))
				return -errno;
		}
		r->cfg.count = k;
		err = run_pass(r, &res);
		if (err)
			return err;
		for (i = 0; i < res.done && i < k; i++) {
			if (fn(&r->out[i], done + i, arg))
				return 0;
		}
		done += k;
	}
	return 0;
}
