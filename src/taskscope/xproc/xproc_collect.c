/* Loading and reading the xproc iterators (see xproc_collect.h). */
#include "taskscope/xproc/xproc_collect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope_abi.h"      /* before the skeleton: it names our structs */
#include "xproc_lskel.h"        /* after errno.h, which skel_internal.h uses */

struct ts_xp_session {
	struct xproc_lskel *skel;
	double load_ms;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The key XORed into every object identity: random per run, so the
 * records carry no kernel address. */
static uint64_t random_key(void)
{
	uint64_t k = 0;

	if (getrandom(&k, sizeof(k), GRND_NONBLOCK) != sizeof(k))
		k = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ull;
	return k | 1;
}

struct ts_xp_session *ts_xp_open(void)
{
	struct ts_xp_session *x = calloc(1, sizeof(*x));
	double t0 = now_ms();
	struct stat st;
	int err;

	if (!x)
		return NULL;
	x->skel = xproc_lskel__open();
	if (!x->skel) {
		err = errno;
		free(x);
		errno = err;
		return NULL;
	}
	x->skel->rodata->ts_xp_cfg.key = random_key();
	/* The socket iterators walk the namespace of whoever reads them:
	 * ours. The file iterator describes sockets of the others. */
	if (!stat("/proc/self/ns/net", &st))
		x->skel->rodata->ts_xp_cfg.self_netns = (uint32_t)st.st_ino;
	err = xproc_lskel__load(x->skel);
	if (err) {
		xproc_lskel__destroy(x->skel);
		free(x);
		errno = -err;
		return NULL;
	}
	x->load_ms = now_ms() - t0;
	return x;
}

double ts_xp_load_ms(const struct ts_xp_session *x)
{
	return x ? x->load_ms : 0;
}

void ts_xp_close(struct ts_xp_session *x)
{
	if (!x)
		return;
	xproc_lskel__destroy(x->skel);
	free(x);
}

void ts_xp_raw_free(struct ts_xp_raw *out)
{
	free(out->buf);
	memset(out, 0, sizeof(*out));
}

/* Appends one full pass of iterator program prog_fd to out; a task
 * iterator only over process pid when pid > 0. Returns 0 or -errno. */
static int read_iter(int prog_fd, pid_t pid, struct ts_xp_raw *out)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	union bpf_iter_link_info linfo;
	int link_fd, iter_fd, err = 0;
	ssize_t n;

	if (pid > 0) {
		memset(&linfo, 0, sizeof(linfo));
		linfo.task.pid = pid;
		opts.iter_info = &linfo;
		opts.iter_info_len = sizeof(linfo);
	}
	link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);
	if (link_fd < 0)
		return -errno;
	iter_fd = bpf_iter_create(link_fd);
	if (iter_fd < 0) {
		err = -errno;
		close(link_fd);
		return err;
	}
	for (;;) {
		if (out->cap - out->len < 64 * 1024) {
			size_t cap = out->cap ? out->cap * 2 : 1 << 20;
			unsigned char *nb = realloc(out->buf, cap);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			out->buf = nb;
			out->cap = cap;
		}
		n = read(iter_fd, out->buf + out->len, out->cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		out->len += n;
	}
	close(iter_fd);
	close(link_fd);
	return err;
}

int ts_xp_read(struct ts_xp_session *x, struct ts_xp_raw *out)
{
	double t0 = now_ms();
	int err;

	out->len = 0;
	err = read_iter(x->skel->progs.ts_xp_files.prog_fd, 0, out);
	if (!err)
		err = read_iter(x->skel->progs.ts_xp_tcp.prog_fd, 0, out);
	if (!err)
		err = read_iter(x->skel->progs.ts_xp_unix.prog_fd, 0, out);
	out->pass_ms += now_ms() - t0;
	if (err)
		log_debug(1, "xproc: reading the iterators failed: %s",
			  strerror(-err));
	return err;
}

int ts_xp_read_tasks(struct ts_xp_session *x, pid_t pid, struct ts_xp_raw *out)
{
	double t0 = now_ms();
	int err = read_iter(x->skel->progs.ts_xp_tasks.prog_fd, pid, out);

	out->pass_ms += now_ms() - t0;
	return err;
}
