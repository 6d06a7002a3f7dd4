/* Writes the fuzzers' seed corpora into tests/fuzz/corpus/<target>/: small,
 * meaningful inputs for each target (a good upload, each kind of bad one;
 * real-shaped BPF records for each wait the classifier knows). Binary
 * records are built from include/taskscope_abi.h itself, so seeds follow
 * the ABI instead of hand-counted offsets.
 *
 *   make fuzz-seeds       (builds this and rewrites the corpora)
 *
 * The output is committed; rerun after an ABI change. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "taskscope_abi.h"

static const char *root;

/* Writes len bytes as corpus/<target>/<name>. */
static void seed(const char *target, const char *name, const void *buf,
		 size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "seedgen: cannot write %s: %s\n", path,
			strerror(errno));
		exit(1);
	}
}

static void seed_str(const char *target, const char *name, const char *s)
{
	seed(target, name, s, strlen(s));
}

/* ---- uploadd ---------------------------------------------------------- */

/* multipart: calls of [field][flags: bit 0 new part][length][bytes]. */
struct calls {
	unsigned char b[2048];
	size_t n;
};

static void call(struct calls *c, int field, int newpart, const char *data,
		 size_t len)
{
	c->b[c->n++] = (unsigned char)field;
	c->b[c->n++] = (unsigned char)newpart;
	c->b[c->n++] = (unsigned char)len;
	memcpy(c->b + c->n, data, len);
	c->n += len;
}

enum { F_FILE, F_NAME, F_VER, F_SHA, F_PATH, F_EMPTY, F_UPPER, F_NULL };

static void seeds_multipart(void)
{
	static const char sha[] =
		"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824";
	struct calls c;

	memset(&c, 0, sizeof(c));
	call(&c, F_NAME, 1, "a.txt", 5);
	call(&c, F_VER, 1, "1.0", 3);
	call(&c, F_SHA, 1, sha, 64);
	call(&c, F_FILE, 1, "", 0);
	call(&c, F_FILE, 0, "hel", 3);
	call(&c, F_FILE, 0, "lo", 2);
	seed("multipart", "names-first", c.b, c.n);
	memset(&c, 0, sizeof(c));
	call(&c, F_FILE, 1, "data", 4);
	call(&c, F_VER, 1, "2", 1);
	call(&c, F_NAME, 1, "b", 1);
	call(&c, F_NAME, 0, ".bin", 4);
	seed("multipart", "file-first-split-name", c.b, c.n);
	memset(&c, 0, sizeof(c));
	call(&c, F_NAME, 1, "a", 1);
	call(&c, F_NAME, 1, "b", 1);
	seed("multipart", "duplicate", c.b, c.n);
	memset(&c, 0, sizeof(c));
	call(&c, F_PATH, 1, "/etc", 4);
	seed("multipart", "unknown-field", c.b, c.n);
	memset(&c, 0, sizeof(c));
	call(&c, F_NAME, 1, "\xc0\xae\xc0\xae", 4);
	call(&c, F_VER, 1, "1", 1);
	call(&c, F_FILE, 1, "x", 1);
	seed("multipart", "overlong-dots", c.b, c.n);
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < 5; i++)
		call(&c, F_NAME, i == 0, "0123456789012345678901234567890123456789"
		     "0123456789012345678901234567890123456789", 60);
	seed("multipart", "name-too-long", c.b, c.n);
}

/* upload_pp: the Content-Type line, then the body. */
static void seeds_upload_pp(void)
{
	static const char ct[] = "multipart/form-data; boundary=XB\n";
	char buf[2048];

	snprintf(buf, sizeof(buf), "%s--XB\r\n"
		 "Content-Disposition: form-data; name=\"filename\"\r\n\r\n"
		 "report.pdf\r\n--XB\r\n"
		 "Content-Disposition: form-data; name=\"version\"\r\n\r\n"
		 "1.2.3\r\n--XB\r\n"
		 "Content-Disposition: form-data; name=\"sha256\"\r\n\r\n"
		 "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\r\n"
		 "--XB\r\nContent-Disposition: form-data; name=\"file\"; "
		 "filename=\"../../etc/passwd\"\r\n"
		 "Content-Type: application/octet-stream\r\n\r\nhello\r\n--XB--\r\n",
		 ct);
	seed_str("upload_pp", "good", buf);
	snprintf(buf, sizeof(buf), "%s--XB\r\n"
		 "Content-Disposition: form-data; name=\"file\"\r\n\r\n"
		 "\x01\x02\xff--X\r\n--\r\r\n\r\n--XB\r\n"
		 "Content-Disposition: form-data; name=\"version\"\r\n\r\n2\r\n"
		 "--XB\r\nContent-Disposition: form-data; name=\"filename\"\r\n\r\n"
		 "b\r\n--XB--\r\n", ct);
	seed_str("upload_pp", "file-first", buf);
	snprintf(buf, sizeof(buf), "%s--XB\r\n"
		 "Content-Disposition: form-data; name=\"filename\"\r\n\r\na\r\n"
		 "--XB\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
		 "truncated", ct);
	seed_str("upload_pp", "no-closing-boundary", buf);
	seed_str("upload_pp", "quoted-boundary",
		 "multipart/form-data; boundary=\"a b\"\n--a b\r\n"
		 "Content-Disposition: form-data; name=\"version\"\r\n\r\n1\r\n--a b--\r\n");
	seed_str("upload_pp", "lf-only-preamble",
		 "multipart/form-data; charset=utf-8; boundary=XB\n"
		 "preamble\n--XB\nContent-Disposition: form-data; name=filename\n\n"
		 "x\n--XB--\nepilogue");
	seed_str("upload_pp", "urlencoded",
		 "application/x-www-form-urlencoded\nfilename=..%2f..%2fx&version=1");
	seed_str("upload_pp", "no-boundary", "multipart/form-data\nabc");
	snprintf(buf, sizeof(buf), "%s--XB\r\n"
		 "Content-Disposition: form-data; name=\"version\"\r\n\r\n1\r\n"
		 "--XB\r\nContent-Disposition: form-data; name=\"version\"\r\n\r\n2\r\n"
		 "--XB--\r\n", ct);
	seed_str("upload_pp", "duplicate-field", buf);
}

static void seeds_names(void)
{
	static const struct { const char *name, *data; size_t len; } s[] = {
		{ "file-plain", "\0report.pdf", 11 },
		{ "file-dotdot", "\0..", 3 },
		{ "file-slash", "\0a/b", 4 },
		{ "file-overlong-slash", "\0\xc0\xaf", 3 },
		{ "file-utf8", "\0caf\xc3\xa9.txt", 10 },
		{ "file-rlo", "\0a\xe2\x80\xae.txt", 9 },
		{ "file-nul", "\0a\0b", 4 },
		{ "version-good", "\x01" "1.0.0-rc1+build_7", 18 },
		{ "version-dotdot", "\x01" "1..2", 5 },
		{ "sha256", "\x02" "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938b9824", 65 },
		{ "url-plain", "\x03/files/a.txt/1/meta", 20 },
		{ "url-encoded-traversal", "\x03/files/%2e%2e%2fetc/1", 23 },
		{ "url-double-encoded", "\x03/files/%252e%252e%252f/1", 26 },
		{ "url-overlong", "\x03/files/%c0%af%c0%ae/1", 22 },
		{ "url-dotdot-segment", "\x03/files/a/../1", 14 },
		{ "url-nul", "\x03/files/a%00b/1", 15 },
		{ "url-upload", "\x03/upload", 8 },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		seed("names", s[i].name, s[i].data, s[i].len);
}

static void seed_range(const char *name, uint64_t size, const char *h)
{
	unsigned char buf[256];

	memcpy(buf, &size, 8);    /* little-endian on x86_64 */
	memcpy(buf + 8, h, strlen(h));
	seed("range", name, buf, 8 + strlen(h));
}

static void seeds_range(void)
{
	seed_range("first-last", 1000, "bytes=0-99");
	seed_range("suffix", 1000, "bytes=-5");
	seed_range("open", 1000, "bytes=995-");
	seed_range("past-end", 10, "bytes=10-20");
	seed_range("list", 1000, "bytes=0-0,5-6");
	seed_range("spaces-case", 1000, " BYTES = 1 - 2 ");
	seed_range("overflow", 1000, "bytes=18446744073709551616-");
	seed_range("empty-file", 0, "bytes=0-");
	seed_range("reversed", 1000, "bytes=9-3");
}

/* ---- taskscope snapshot ----------------------------------------------- */

#define FUTEX_ADDR 0x7f00aa001000ull

struct recbuf {
	unsigned char *b;
	size_t n;
};

/* Appends a record: ulen stack bytes whose words name (through the
 * fuzzer's function table, index = word % 14) the given function. */
static struct ts_snap_thread *rec(struct recbuf *rb, uint32_t tid,
				  const char *comm, int32_t nr, uint32_t klen,
				  uint32_t ulen, unsigned fn_index)
{
	struct ts_snap_thread *r;
	size_t len = sizeof(*r) + klen + ulen;

	rb->b = realloc(rb->b, rb->n + len);
	r = (struct ts_snap_thread *)(rb->b + rb->n);
	memset(r, 0, len);
	r->rec_len = (uint32_t)len;
	r->abi_version = TS_ABI_VERSION;
	r->tid = tid;
	r->tgid = 4000;
	r->state = 1;
	r->syscall_nr = nr;
	r->cpu_ns = 5000000;
	r->last_arrival_ns = 1000000000;
	r->last_run_ns = 1000;
	r->now_sched_ns = 3000000000ull;
	r->now_mono_ns = 2999000000ull;
	snprintf(r->comm, sizeof(r->comm), "%s", comm);
	r->regs.r[TS_REG_IP] = 0x7f00bb012345ull;
	r->regs.r[TS_REG_SP] = 0x7ffd00001000ull;
	r->kstack_len = klen;
	for (uint32_t k = 0; k < klen / 8; k++)
		((uint64_t *)(r + 1))[k] = 0xffffffff81000000ull + 0x100 * k;
	r->ustack.addr = r->regs.r[TS_REG_SP];
	r->ustack.len = ulen;
	for (uint32_t w = 0; w < ulen / 8; w++)
		((uint64_t *)((unsigned char *)(r + 1) + klen))[w] =
			0x7f00bb000000ull / 14 * 14 + 14 * w + fn_index;
	rb->n += len;
	return r;
}

static void mutex_wait(struct ts_snap_thread *r, uint64_t futex, uint32_t owner)
{
	r->args[0] = futex;
	r->args[1] = 0x80;        /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
	r->args[2] = 2;
	r->flags = TS_SNAP_UMEM;
	r->umem_addr = futex;
	r->umem[0] = 2;
	r->umem[2] = owner;       /* __owner at +8 */
}

static void seeds_snapshot(void)
{
	struct recbuf rb = { NULL, 0 };
	struct ts_snap_thread *r;

	/* Two threads, each holding the mutex the other wants. */
	r = rec(&rb, 4001, "worker-a", 202, 32, 64, 1);
	mutex_wait(r, FUTEX_ADDR, 4002);
	r = rec(&rb, 4002, "worker-b", 202, 32, 64, 1);
	mutex_wait(r, FUTEX_ADDR + 64, 4001);
	seed("snapshot_decode", "deadlock", rb.b, rb.n);

	/* One of each: socket read, sleep, join, zombie, kernel thread,
	 * running, a name that is not UTF-8. */
	rb.n = 0;
	r = rec(&rb, 4000, "main", 0, 0, 128, 10);
	r->args[0] = 7;
	r->flags = TS_SNAP_FD;
	r->fd.type = TS_FD_SOCKET;
	r->fd.family = 2;
	r->fd.sotype = 1;
	r->fd.protocol = 6;
	r->fd.sk_state = 1;
	r->fd.lport = 41000;
	r->fd.rport = 6379;
	memcpy(r->fd.laddr, "\x7f\0\0\x01", 4);
	memcpy(r->fd.raddr, "\x7f\0\0\x01", 4);
	r = rec(&rb, 4003, "sleeper", 230, 0, 64, 10);
	r->args[0] = 1;
	r->args[1] = 1;           /* TIMER_ABSTIME, CLOCK_MONOTONIC */
	r->flags = TS_SNAP_UMEM;
	r->umem[0] = 5;           /* tv_sec */
	r = rec(&rb, 4004, "joiner", 202, 0, 64, 4);
	r->args[0] = FUTEX_ADDR + 0x2d0;
	r->flags = TS_SNAP_UMEM;
	r->umem_addr = FUTEX_ADDR + 0x2d0;
	r->umem[0] = 4003;
	r = rec(&rb, 4005, "gone", -1, 0, 0, 0);
	r->exit_state = 0x20;
	r = rec(&rb, 4006, "kworker", -1, 64, 0, 0);
	r->flags = TS_SNAP_KTHREAD | 0x100;  /* 0x100: kernel stacks shown */
	r = rec(&rb, 4007, "\xff\xfe\x80 \"\\name\x01", -1, 0, 32, 12);
	r->on_cpu = 1;
	r->state = 0;
	seed("snapshot_decode", "mixed", rb.b, rb.n);
	free(rb.b);
}

/* ---- taskscope watch -------------------------------------------------- */

struct stream {
	unsigned char b[16384];
	size_t n;
};

static void put(struct stream *s, const void *rec, size_t len)
{
	uint16_t l = (uint16_t)len;

	memcpy(s->b + s->n, &l, 2);
	memcpy(s->b + s->n + 2, rec, len);
	s->n += 2 + len;
}

static void hdr(struct ts_wev_hdr *h, uint32_t type, uint32_t size,
		uint32_t tid, const char *comm)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->ts_ns = 1000000 * tid;
	h->tid = tid;
	h->tgid = 4000;
	memcpy(h->comm, comm, strnlen(comm, TS_COMM_LEN));
}

static void seeds_watch(void)
{
	struct ts_wev_create c;
	struct ts_wev_rename rn;
	struct ts_wev_exit e;
	struct ts_wev_wait w;
	unsigned char big[sizeof(struct ts_wev_wait) + sizeof(struct ts_wev_stack) + 256];
	struct ts_wev_wait *ws = (void *)big;
	struct ts_wev_stack *st = (void *)(big + sizeof(*ws));
	struct stream s;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	hdr(&c.h, TS_WEV_CREATE, sizeof(c), 4001, "uploadd");
	c.parent_tid = 4000;
	c.start_routine = 0x401234;
	put(&s, &c, sizeof(c));
	memset(&rn, 0, sizeof(rn));
	hdr(&rn.h, TS_WEV_RENAME, sizeof(rn), 4001, "uploadd");
	memcpy(rn.new_comm, "up-hash", 7);
	rn.by_tid = 4001;
	put(&s, &rn, sizeof(rn));
	memset(&e, 0, sizeof(e));
	hdr(&e.h, TS_WEV_EXIT, sizeof(e), 4001, "up-hash");
	e.start_ns = 1000;
	e.cpu_ns = 500;
	e.flags = TS_WEXIT_F_TOTALS;
	e.tot.blocked_ns[TS_WAIT_FUTEX] = 3000000;
	e.tot.waits[TS_WAIT_FUTEX] = 2;
	put(&s, &e, sizeof(e));
	seed("watch_event", "lifecycle", s.b, s.n);

	memset(&s, 0, sizeof(s));
	memset(&w, 0, sizeof(w));
	hdr(&w.h, TS_WEV_WAIT, sizeof(w), 4002, "up-write");
	w.w.start_ns = 1000;
	w.w.wake_ns = w.w.end_ns = 90000000;
	w.w.obj = FUTEX_ADDR;
	w.w.syscall = 202;
	w.w.cls = TS_WAIT_FUTEX;
	w.w.sched_state = 1;
	w.w.flags = TS_WAIT_F_WAKER | TS_WAIT_F_WAKER_FUTEX | TS_WAIT_F_WORD;
	w.w.futex_word = 2;
	w.w.futex_owner = 4003;
	w.w.waker_tid = 4003;
	w.w.waker_tgid = 4000;
	memcpy(w.w.waker_comm, "up-hash", 7);
	put(&s, &w, sizeof(w));
	w.w.obj = 9;
	w.w.syscall = 45;
	w.w.cls = TS_WAIT_READ;
	w.w.flags = TS_WAIT_F_FD | TS_WAIT_F_BYTES | TS_WAIT_F_WAKER |
		    TS_WAIT_F_WAKER_IRQ;
	w.w.bytes = 42;
	w.w.fd.type = TS_FD_SOCKET;
	w.w.fd.family = 10;
	w.w.fd.lport = 8080;
	w.w.fd.rport = 50000;
	w.w.fd.raddr[15] = 1;
	put(&s, &w, sizeof(w));
	w.h.type = TS_WEV_STUCK;
	w.w.wake_ns = 0;
	w.w.cls = TS_WAIT_SLEEP;
	w.w.syscall = 230;
	w.w.flags = TS_WAIT_F_ADOPTED;
	put(&s, &w, sizeof(w));
	seed("watch_event", "waits", s.b, s.n);

	memset(&s, 0, sizeof(s));
	memset(big, 0, sizeof(big));
	hdr(&ws->h, TS_WEV_WAIT, sizeof(big), 4002, "up-write");
	ws->w.start_ns = 1000;
	ws->w.wake_ns = ws->w.end_ns = 2000000000ull;
	ws->w.obj = FUTEX_ADDR;
	ws->w.syscall = 202;
	ws->w.flags = TS_WAIT_F_STACK;
	st->regs.r[TS_REG_IP] = 0x7f00bb012345ull;
	st->regs.r[TS_REG_SP] = 0x7ffd00001000ull;
	st->stack.addr = 0x7ffd00001000ull;
	st->stack.len = 256;
	for (int i = 0; i < 32; i++)
		((uint64_t *)(st + 1))[i] = 0x7f00bb000000ull + 0x40 * i;
	put(&s, big, sizeof(big));
	memset(&e, 0, sizeof(e));
	hdr(&e.h, TS_WEV_TOTALS, sizeof(e), 4002, "up-write");
	e.flags = TS_WEXIT_F_TOTALS;
	e.tot.top_ns = 2000000000ull;
	e.tot.top_cls = TS_WAIT_FUTEX;
	put(&s, &e, sizeof(e));
	seed("watch_event", "stack-and-totals", s.b, s.n);
}

/* ---- classify and unwind: structured random bytes ---------------------- */

static void seeds_random(const char *target, int count, size_t len,
			 uint32_t salt)
{
	unsigned char buf[1024];
	uint32_t x = 2463534242u ^ salt;
	char name[32];

	for (int i = 0; i < count; i++) {
		for (size_t k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[k] = (unsigned char)x;
		}
		snprintf(name, sizeof(name), "random-%d", i);
		seed(target, name, buf, len);
	}
}

static void seeds_unwind(void)
{
	/* mode 0: the captured state as it is (a full, deep unwind);
	 * mode 1: window cut to 64 bytes; mode 4: a window of zeros;
	 * mode 0 with the ip nudged back by one. */
	static const unsigned char intact[] = { 0xe0, 0 };
	static const unsigned char short_window[] = { 0xe1, 0, 64, 0 };
	static const unsigned char zeros[64] = { 0xe4, 0 };
	static const unsigned char nudged[] = { 0xe0, 1, TS_REG_IP, 1,
						0xff, 0xff, 0, 0, 0, 0, 0, 0 };

	seed("unwind", "intact", intact, sizeof(intact));
	seed("unwind", "short-window", short_window, sizeof(short_window));
	seed("unwind", "zero-window", zeros, sizeof(zeros));
	seed("unwind", "ip-nudged", nudged, sizeof(nudged));
	seeds_random("unwind", 4, 200, 7);
}

/* ---- the cross-process resolver ------------------------------------- */

struct xrecs {
	unsigned char b[8192];
	size_t n;
};

static void xfile(struct xrecs *x, uint32_t pid, uint32_t fd, uint32_t kind,
		  uint64_t obj, uint32_t mode, const char *comm)
{
	struct ts_xp_file f = { .rec_type = TS_XP_REC_FILE, .rec_len = sizeof(f),
		.tgid = pid, .fd = fd, .obj = obj, .ino = obj & 0xffff,
		.kind = kind, .f_mode = mode, .ns_tgid = pid, .pidns = 7 };

	snprintf(f.comm, sizeof(f.comm), "%s", comm);
	memcpy(x->b + x->n, &f, sizeof(f));
	x->n += sizeof(f);
}

static struct ts_xp_sock *xsock(struct xrecs *x, uint64_t obj, uint64_t peer,
				uint16_t family, uint16_t lport, uint16_t rport,
				uint16_t state)
{
	struct ts_xp_sock s = { .rec_type = TS_XP_REC_SOCK, .rec_len = sizeof(s),
		.obj = obj, .peer = peer, .ino = obj & 0xffff, .netns = 9,
		.family = family, .sotype = 1, .protocol = family == 2 ? 6 : 0,
		.state = state, .lport = lport, .rport = rport,
		.laddr = { 127, 0, 0, 1 }, .raddr = { 127, 0, 0, 1 } };
	struct ts_xp_sock *p = (struct ts_xp_sock *)(x->b + x->n);

	memcpy(p, &s, sizeof(s));
	x->n += sizeof(s);
	return p;
}

static void xtask(struct xrecs *x, uint32_t pid, uint32_t tid, uint32_t state,
		  int32_t nr, uint64_t fd, const char *comm)
{
	struct ts_xp_task t = { .rec_type = TS_XP_REC_TASK, .rec_len = sizeof(t),
		.tid = tid, .tgid = pid, .state = state, .syscall_nr = nr,
		.args = { fd }, .last_arrival_ns = 1000, .now_sched_ns = 9000,
		.now_mono_ns = 8000 };

	snprintf(t.comm, sizeof(t.comm), "%s", comm);
	memcpy(x->b + x->n, &t, sizeof(t));
	x->n += sizeof(t);
}

static void seeds_xproc(void)
{
	struct xrecs x = { .n = 0 };
	struct ts_xp_sock *u;

	/* A reader of a pipe whose writer sleeps; a TCP client of a stopped
	 * server; a unix socket pair read from both ends (a cycle). */
	xtask(&x, 100, 100, 1, 0, 3, "reader");
	xtask(&x, 100, 101, 1, 45, 4, "client");
	xtask(&x, 100, 102, 1, 0, 5, "pair-a");
	xtask(&x, 200, 200, 1, 230, 0, "writer");
	xtask(&x, 300, 300, 4, 232, 6, "server");
	xtask(&x, 400, 400, 1, 0, 7, "pair-b");
	xfile(&x, 100, 3, TS_XP_PIPE, 0x100, TS_XP_FMODE_READ, "reader");
	xfile(&x, 200, 4, TS_XP_PIPE, 0x100, TS_XP_FMODE_WRITE, "writer");
	xfile(&x, 100, 4, TS_XP_SOCKET, 0xa0, 3, "reader");
	xfile(&x, 300, 8, TS_XP_SOCKET, 0xb0, 3, "server");
	xfile(&x, 100, 5, TS_XP_SOCKET, 0xc0, 3, "reader");
	xfile(&x, 400, 7, TS_XP_SOCKET, 0xd0, 3, "pair-b");
	xsock(&x, 0xa0, 0, 2, 40000, 6379, 1);
	xsock(&x, 0xb0, 0, 2, 6379, 40000, 1)->rx_queued = 27;
	xsock(&x, 0xc0, 0xd0, 1, 0, 0, 1);
	u = xsock(&x, 0xd0, 0xc0, 1, 0, 0, 1);
	u->flags = TS_XP_F_PATH;
	snprintf(u->path, sizeof(u->path), "/run/\xff\"x\".sock");
	seed("xproc", "peers", x.b, x.n);
	/* A connection still in a listener's queue. */
	x.n = 0;
	xtask(&x, 100, 100, 1, 0, 3, "client");
	xtask(&x, 300, 300, 1, 43, 6, "server");
	xfile(&x, 100, 3, TS_XP_SOCKET, 0xa0, 3, "client");
	xfile(&x, 300, 6, TS_XP_SOCKET, 0xe0, 3, "server");
	xsock(&x, 0xa0, 0, 2, 40000, 7000, 1);
	xsock(&x, 0xb0, 0, 2, 7000, 40000, 1);
	xsock(&x, 0xe0, 0, 2, 7000, 0, 10);
	seed("xproc", "backlog", x.b, x.n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seedgen CORPUS_DIR\n");
		return 2;
	}
	root = argv[1];
	mkdir(root, 0755);
	seeds_multipart();
	seeds_upload_pp();
	seeds_names();
	seeds_range();
	seeds_snapshot();
	seeds_watch();
	seeds_random("classify", 8, 512, 1);
	seeds_unwind();
	seeds_xproc();
	return 0;
}
