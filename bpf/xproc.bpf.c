// SPDX-License-Identifier: GPL-2.0
/* taskscope's cross-process resolver, kernel side: who holds the other end
 * of a socket, pipe or FIFO. Three iterators, each read once per snapshot:
 *
 *   iter/task_file  every fd of every process that is a socket, pipe or
 *                   FIFO -> struct ts_xp_file (holder pid, fd, identity of
 *                   the object, open mode, pipe fill, the holder's pid in
 *                   its own pid namespace); a socket of another network
 *                   namespace also gets a struct ts_xp_sock, since the two
 *                   socket iterators walk only the reader's namespace
 *   iter/tcp        every TCP socket of this network namespace, held or
 *                   not (a connection in a listener's accept queue is held
 *                   by nobody yet) -> struct ts_xp_sock
 *   iter/unix       every unix socket of this namespace -> ts_xp_sock with
 *                   its connected peer and bound address
 *   iter/task       every user thread, without its stack -> struct
 *                   ts_xp_task (state, syscall and arguments, scheduler
 *                   times): what the holders' threads are doing
 *
 * User space joins them (src/taskscope/xproc/): the peer of a TCP socket is
 * the one with the swapped address pair, of a unix socket its peer pointer,
 * of a pipe the files on the same inode opened the other way round.
 * This replaces a walk of /proc/PID/fd and /proc/net/{tcp,unix} (what lsof
 * does): one pass in the kernel, no string parsing, no per-fd syscalls.
 *
 * Loads on Linux 6.1 (iter/task_file 5.8, iter/tcp 5.9, iter/unix 5.17):
 * no kfuncs; every kernel read goes through CO-RE; the files are held by
 * the iterator while the program runs, so no RCU section is needed.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "taskscope_abi.h"
#include "task_info.bpf.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct ts_xp_config ts_xp_cfg = {};

/* More constants beside task_info.bpf.h's (TS_S_IF*, TS_AF_INET*). */
#define XP_PIPEFS_MAGIC 0x50495045
#define XP_AF_UNIX  1
#define XP_TCP_LISTEN 10
#define XP_TCP_TIME_WAIT 6
#define XP_TCP_NEW_SYN_RECV 12

/* The identity of a kernel object: its address XOR the per-run key. The
 * verifier refuses arithmetic other than add/sub on a pointer it tracks
 * (the iterators' context pointers are such), so the address is copied as
 * plain bytes first, which makes it a number. */
static __always_inline __u64 xp_id(const void *p)
{
	__u64 v = 0;

	if (!p || bpf_probe_read_kernel(&v, sizeof(v), &p))
		return 0;
	return v ^ ts_xp_cfg.key;
}

static __always_inline __u32 xp_netns(struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

/* Bytes in the first TS_XP_UNIX_SKBS packets of a unix socket's receive
 * queue (a list of skbs headed by sk_receive_queue itself). */
static __always_inline __u32 xp_unix_rx_bytes(struct sock *sk, __u32 *flags)
{
	void *head = (void *)__builtin_preserve_access_index(&sk->sk_receive_queue);
	struct sk_buff *skb = BPF_CORE_READ(sk, sk_receive_queue.next);
	__u32 bytes = 0;
	int i;

	for (i = 0; i < TS_XP_UNIX_SKBS; i++) {
		if (!skb || (void *)skb == head)
			return bytes;
		bytes += BPF_CORE_READ(skb, len);
		skb = BPF_CORE_READ(skb, next);
	}
	if (skb && (void *)skb != head)
		*flags |= TS_XP_F_RX_CAPPED;
	return bytes;
}

static __always_inline void xp_unix_detail(struct sock *sk,
					   struct ts_xp_sock *out)
{
	struct unix_sock *u = (struct unix_sock *)sk;
	struct unix_address *addr = BPF_CORE_READ(u, addr);

	out->peer = xp_id(BPF_CORE_READ(u, peer));
	out->addr = xp_id(addr);
	out->rx_pkts = BPF_CORE_READ(sk, sk_receive_queue.qlen);
	out->rx_queued = xp_unix_rx_bytes(sk, &out->flags);
	/* sk_wmem_alloc starts at 1 and grows by the truesize of every
	 * packet sent and not yet consumed by the peer. */
	out->tx_queued = BPF_CORE_READ(sk, sk_wmem_alloc.refs.counter);
	if (out->tx_queued)
		out->tx_queued--;
	if (addr && !bpf_core_read(out->path, sizeof(out->path),
				   &addr->name[0].sun_path[0])) {
		out->flags |= TS_XP_F_PATH;
		if (!out->path[0]) {
			out->flags |= TS_XP_F_ABSTRACT;
			bpf_core_read(out->path, sizeof(out->path) - 1,
				      &addr->name[0].sun_path[1]);
		}
	}
}

static __always_inline void xp_tcp_detail(struct sock *sk,
					  struct ts_xp_sock *out)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	if (out->state == XP_TCP_LISTEN) {
		out->rx_pkts = BPF_CORE_READ(sk, sk_ack_backlog);
		return;
	}
	out->rx_queued = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
	out->tx_queued = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
}

static __always_inline bool xp_v4mapped(const __u8 a[16])
{
	for (int i = 0; i < 10; i++)
		if (a[i])
			return false;
	return a[10] == 0xff && a[11] == 0xff;
}

/* Describes a full socket (not a request or time-wait one) into out. */
static __always_inline void xp_sock_detail(struct sock *sk,
					   struct ts_xp_sock *out)
{
	struct socket *sock;
	struct file *f;

	out->rec_type = TS_XP_REC_SOCK;
	out->rec_len = sizeof(*out);
	out->obj = xp_id(sk);
	out->netns = xp_netns(sk);
	out->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	out->sotype = BPF_CORE_READ(sk, sk_type);
	out->protocol = BPF_CORE_READ(sk, sk_protocol);
	out->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	sock = BPF_CORE_READ(sk, sk_socket);
	f = sock ? BPF_CORE_READ(sock, file) : NULL;
	if (f)
		out->ino = BPF_CORE_READ(f, f_inode, i_ino);
	if (out->family == XP_AF_UNIX) {
		xp_unix_detail(sk, out);
		return;
	}
	ts_sock_addrs(sk, out->family, &out->lport, &out->rport, out->laddr,
		      out->raddr);
	if (out->family == TS_AF_INET6) {
		/* An IPv4 client of a dual-stack listener: its peer is an
		 * AF_INET socket, so keep the IPv4 form to match it. */
		if (xp_v4mapped(out->raddr)) {
			__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);

			__builtin_memset(out->laddr, 0, sizeof(out->laddr));
			__builtin_memset(out->raddr, 0, sizeof(out->raddr));
			__builtin_memcpy(out->laddr, &l, 4);
			__builtin_memcpy(out->raddr, &r, 4);
			out->flags |= TS_XP_F_V4MAPPED;
		}
	}
	if ((out->family == TS_AF_INET || out->family == TS_AF_INET6) &&
	    out->protocol == TS_IPPROTO_TCP)
		xp_tcp_detail(sk, out);
}

/* The process's pid in its own (innermost) pid namespace and that
 * namespace's inode number: struct pid keeps one upid per level. */
static __always_inline void xp_ns_pid(struct task_struct *leader,
				      struct ts_xp_file *r)
{
	struct pid *pid = BPF_CORE_READ(leader, thread_pid);
	struct pid_namespace *ns = NULL;
	unsigned int level;
	void *up;
	int nr = 0;

	if (!pid)
		return;
	level = BPF_CORE_READ(pid, level);
	if (level > 32)
		return;
	up = (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	     level * bpf_core_type_size(struct upid);
	if (bpf_probe_read_kernel(&nr, sizeof(nr),
				  up + bpf_core_field_offset(struct upid, nr)) ||
	    bpf_probe_read_kernel(&ns, sizeof(ns),
				  up + bpf_core_field_offset(struct upid, ns)))
		return;
	r->ns_tgid = nr;
	r->pidns = ns ? BPF_CORE_READ(ns, ns.inum) : 0;
}

/* Bytes in a pipe: the buffers from tail to head of its ring. */
static __always_inline void xp_pipe(struct inode *inode, struct ts_xp_file *r)
{
	struct pipe_inode_info *p = BPF_CORE_READ(inode, i_pipe);
	struct pipe_buffer *bufs;
	__u32 head, tail, mask, i, n, bytes = 0;
	__u32 bsz = bpf_core_type_size(struct pipe_buffer);
	__u32 boff = bpf_core_field_offset(struct pipe_buffer, len);

	if (!p)
		return;
	r->pipe_readers = BPF_CORE_READ(p, readers);
	r->pipe_writers = BPF_CORE_READ(p, writers);
	/* head and tail are 16 or 32 bits wide by kernel and word size. */
	head = BPF_CORE_READ_BITFIELD_PROBED(p, head);
	tail = BPF_CORE_READ_BITFIELD_PROBED(p, tail);
	mask = BPF_CORE_READ(p, ring_size) - 1;
	bufs = BPF_CORE_READ(p, bufs);
	n = head - tail;
	if (!bufs || n > 1024)
		return;
	for (i = 0; i < TS_XP_PIPE_BUFS && i < n; i++) {
		__u32 len = 0;

		bpf_probe_read_kernel(&len, sizeof(len),
				      (void *)bufs + ((tail + i) & mask) * bsz + boff);
		bytes += len;
	}
	r->pipe_bytes = bytes;
}

SEC("iter/task_file")
int ts_xp_files(struct bpf_iter__task_file *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct ts_xp_file r = {};
	struct ts_xp_sock s = {};
	struct task_struct *leader;
	struct inode *inode;
	struct sock *sk = NULL;
	__u32 mode;

	if (!task || !file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	mode = BPF_CORE_READ(inode, i_mode) & TS_S_IFMT;
	if (mode == TS_S_IFSOCK) {
		struct socket *sock = BPF_CORE_READ(file, private_data);

		sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
		if (!sk)
			return 0;
		r.kind = TS_XP_SOCKET;
		r.obj = xp_id(sk);
	} else if (mode == TS_S_IFIFO) {
		r.kind = BPF_CORE_READ(inode, i_sb, s_magic) == XP_PIPEFS_MAGIC ?
			 TS_XP_PIPE : TS_XP_FIFO;
		r.obj = xp_id(inode);
		xp_pipe(inode, &r);
	} else {
		return 0;
	}
	r.rec_type = TS_XP_REC_FILE;
	r.rec_len = sizeof(r);
	r.tgid = task->tgid;
	r.fd = ctx->fd;
	r.ino = BPF_CORE_READ(inode, i_ino);
	r.f_mode = BPF_CORE_READ(file, f_mode) & (TS_XP_FMODE_READ | TS_XP_FMODE_WRITE);
	leader = task->group_leader;
	BPF_CORE_READ_STR_INTO(&r.comm, leader, comm);
	xp_ns_pid(leader, &r);
	bpf_seq_write(seq, &r, sizeof(r));
	/* The socket iterators see only our own namespace's sockets. */
	if (sk && xp_netns(sk) != ts_xp_cfg.self_netns) {
		__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);

		if (fam == XP_AF_UNIX ||
		    ((fam == TS_AF_INET || fam == TS_AF_INET6) &&
		     BPF_CORE_READ(sk, sk_protocol) == TS_IPPROTO_TCP)) {
			xp_sock_detail(sk, &s);
			bpf_seq_write(seq, &s, sizeof(s));
		}
	}
	return 0;
}

SEC("iter/tcp")
int ts_xp_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct ts_xp_sock s = {};
	__u8 state;

	if (!skc)
		return 0;
	/* Request and time-wait sockets are not full sockets; nobody holds
	 * them and nobody waits on them. */
	state = BPF_CORE_READ(skc, skc_state);
	if (state == XP_TCP_TIME_WAIT || state == XP_TCP_NEW_SYN_RECV)
		return 0;
	xp_sock_detail((struct sock *)skc, &s);
	bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
	return 0;
}

SEC("iter/unix")
int ts_xp_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	struct ts_xp_sock s = {};

	if (!u)
		return 0;
	xp_sock_detail((struct sock *)u, &s);
	bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
	return 0;
}

SEC("iter/task")
int ts_xp_tasks(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct ts_user_regs regs;
	struct ts_xp_task h = {};
	__u64 queued;

	if (!task || (task->flags & TS_PF_KTHREAD))
		return 0;
	h.rec_type = TS_XP_REC_TASK;
	h.rec_len = sizeof(h);
	h.tid = task->pid;
	h.tgid = task->tgid;
	h.state = task->__state;
	h.exit_state = task->exit_state;
	h.on_cpu = task->on_cpu;
	h.cpu = task->thread_info.cpu;
	BPF_CORE_READ_STR_INTO(&h.comm, task, comm);
	ts_task_sched_times(task, &h.cpu_ns, &h.last_arrival_ns,
			    &h.last_run_ns, &queued);
	/* The clock pair right after the scheduler times it dates, as
	 * bpf/snapshot.bpf.c reads it. */
	h.now_sched_ns = ts_sched_clock_ref();
	h.now_mono_ns = bpf_ktime_get_ns();
	h.syscall_nr = -1;
	if (h.exit_state || !ts_task_user_regs(task, &regs, &h.syscall_nr))
		h.flags |= TS_XP_T_NO_REGS;
	else
		ts_syscall_args(&regs, h.args);
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}
