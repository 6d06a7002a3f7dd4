/* Other processes' threads from task records (see xproc_threads.h). */
#include "taskscope/xproc/xproc_threads.h"

#include <string.h>
#include <sys/socket.h>

int64_t ts_xp_sched_offset(const struct ts_xp_table *t)
{
	int64_t best = 0, d;
	bool any = false;
	size_t i;

	for (i = 0; i < t->ntasks; i++) {
		if (!t->tasks[i]->now_sched_ns)
			continue;
		d = (int64_t)(t->tasks[i]->now_sched_ns - t->tasks[i]->now_mono_ns);
		if (!any || d > best)
			best = d;
		any = true;
	}
	return best;
}

void ts_xp_fd_info(const struct ts_xp_table *t, pid_t pid, int fd,
		   struct ts_fd_info *fi)
{
	const struct ts_xp_file *f = ts_xp_file_of(t, pid, fd);
	const struct ts_xp_sock *s;

	memset(fi, 0, sizeof(*fi));
	fi->type = TS_FD_NONE;
	if (!f)
		return;
	fi->ino = f->ino;
	if (f->kind != TS_XP_SOCKET) {
		fi->type = TS_FD_PIPE;
		return;
	}
	fi->type = TS_FD_SOCKET;
	s = ts_xp_sock_of(t, f->obj);
	if (!s)
		return;
	fi->family = (s->flags & TS_XP_F_V4MAPPED) ? AF_INET : s->family;
	fi->sotype = s->sotype;
	fi->protocol = s->protocol;
	fi->sk_state = s->state;
	fi->lport = s->lport;
	fi->rport = s->rport;
	memcpy(fi->laddr, s->laddr, sizeof(fi->laddr));
	memcpy(fi->raddr, s->raddr, sizeof(fi->raddr));
	fi->rx_queued = s->rx_queued;
	fi->tx_queued = s->tx_queued;
}

/* The syscalls whose first argument is the fd they may block on: the
 * list bpf/task_info.bpf.h's ts_syscall_fd_arg0 keeps for snapshot. */
static bool fd_arg0(int nr)
{
	switch (nr) {
	case TS_NR_READ: case TS_NR_WRITE: case TS_NR_PREAD64:
	case TS_NR_PWRITE64: case TS_NR_READV: case TS_NR_WRITEV:
	case TS_NR_CONNECT: case TS_NR_ACCEPT: case TS_NR_SENDTO:
	case TS_NR_RECVFROM: case TS_NR_SENDMSG: case TS_NR_RECVMSG:
	case 72: /* fcntl */ case 73: /* flock */ case 74: /* fsync */
	case TS_NR_EPOLL_WAIT: case TS_NR_EPOLL_PWAIT: case TS_NR_ACCEPT4:
	case TS_NR_PREADV: case TS_NR_RECVMMSG: case TS_NR_SENDMMSG:
	case TS_NR_PREADV2: case TS_NR_EPOLL_PWAIT2:
		return true;
	}
	return false;
}

void ts_xp_thread(const struct ts_xp_table *t, const struct ts_xp_task *r,
		  int64_t sched_offset, const struct ts_classify_clock *clk,
		  struct ts_thread *out)
{
	uint64_t left, now;

	memset(out, 0, sizeof(*out));
	out->tid = (pid_t)r->tid;
	out->pid = (pid_t)r->tgid;
	memcpy(out->name, r->comm, sizeof(out->name));
	out->name[sizeof(out->name) - 1] = '\0';
	out->state = ts_task_state(r->state, r->exit_state, r->on_cpu);
	out->exited = out->state == TS_STATE_ZOMBIE ||
		      out->state == TS_STATE_DEAD;
	out->cpu = (int)r->cpu;
	out->cpu_ns = r->cpu_ns;
	/* Off-CPU time as snapshot_decode.c computes it: from when it last
	 * left the CPU to this record's read, in the scheduler clock. */
	if (out->state == TS_STATE_RUNNING) {
		out->off_cpu_known = true;
	} else if (r->last_arrival_ns) {
		left = r->last_arrival_ns + r->last_run_ns;
		now = r->now_mono_ns + sched_offset;
		out->off_cpu_known = true;
		out->off_cpu_ns = now > left ? now - left : 0;
	}
	out->syscall_nr = r->syscall_nr;
	memcpy(out->args, r->args, sizeof(out->args));
	out->stack_status = TS_STACK_UNAVAILABLE;
	out->stack_note = "another process's thread: read without its stack";
	out->blocked.fd = -1;
	out->blocked.remaining_ns = -1;
	out->blocked.timeout_ms = -2;
	if (r->syscall_nr >= 0 && fd_arg0(r->syscall_nr)) {
		out->blocked.fd = (int)r->args[0];
		ts_xp_fd_info(t, out->pid, out->blocked.fd, &out->blocked.fdi);
	}
	ts_classify(out, clk);
}
