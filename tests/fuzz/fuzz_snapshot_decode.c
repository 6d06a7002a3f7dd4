/* libFuzzer target: everything `taskscope snapshot` does in user space with
 * the iterator's records, short of DWARF unwinding (fuzz_unwind.c covers
 * that): record framing and validation (snapshot_decode.c), per-thread
 * decoding, classification (classify.c), the wait-for graph and deadlock
 * cycles (waitgraph.c), and all three output formats. A record's comm,
 * futex words, syscall arguments and stack bytes come from the target
 * process, so every byte of it is hostile input.
 *
 * Input: the raw bytes the iterator would have written. Frames are made up
 * from the copied stack bytes (function names from a table of the glibc
 * primitives classify.c recognises, and junk), so the stack-based
 * classification runs too.
 *
 * Checked: records either decode completely inside the buffer (their
 * lengths add up to it) or are refused with -EPROTO; the JSON output
 * always parses (jansson), whatever bytes the names held; every deadlock
 * cycle is made of wait-for edges. */
#include <errno.h>
#include <stdbool.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "taskscope/snapshot/snapshot_decode.h"
#include "threadview/classify.h"
#include "threadview/output.h"
#include "threadview/waitgraph.h"

static const char *const fn_names[] = {
	"__lll_lock_wait", "___pthread_mutex_lock", "__pthread_mutex_lock_full",
	"__pthread_cond_wait_common", "__pthread_clockjoin_ex",
	"__pthread_rwlock_wrlock_full64", "__pthread_rwlock_rdlock_full64",
	"__new_sem_wait_slow64.constprop.0", "sem_wait", "read", "main",
	"pthread_mutex_lockx", "", NULL,
};
#define NNAMES (sizeof(fn_names) / sizeof(fn_names[0]))

/* Up to 8 frames from the copied stack bytes, NULL when there are none. */
static struct ts_frame *fake_frames(const uint8_t *stack, size_t len, int *n)
{
	struct ts_frame *f;
	size_t k = len / 8 < 8 ? len / 8 : 8;

	*n = 0;
	if (!k)
		return NULL;
	f = calloc(k, sizeof(*f));
	FZ_ASSERT(f != NULL);
	for (size_t i = 0; i < k; i++) {
		uint64_t pc;

		memcpy(&pc, stack + 8 * i, 8);
		f[i].pc = pc;
		f[i].function = fn_names[pc % NNAMES];
		f[i].offset = pc & 0xff;
		f[i].module = (pc & 0x100) ? "/lib/x86_64-linux-gnu/libc.so.6" : NULL;
		f[i].file = (pc & 0x200) ? "/usr/src/x/y.c" : NULL;
		f[i].line = (int)(pc >> 40);
	}
	*n = (int)k;
	return f;
}

static void check_cycles(const struct ts_snapshot *s)
{
	for (size_t c = 0; c < s->ncycles; c++) {
		FZ_ASSERT(s->cycles[c].n >= 1);
		for (size_t i = 0; i < s->cycles[c].n; i++) {
			pid_t w = s->cycles[c].tids[i];
			pid_t h = s->cycles[c].tids[(i + 1) % s->cycles[c].n];
			bool found = false;

			for (size_t e = 0; e < s->nedges && !found; e++)
				found = s->edges[e].waiter == w &&
					s->edges[e].holder == h;
			FZ_ASSERT(found);
		}
	}
}

/* Runs one output format into memory; returns what it wrote (malloc'd). */
static char *render(int (*out)(FILE *, const struct ts_snapshot *,
			       const struct ts_output_opts *),
		    const struct ts_snapshot *s, const struct ts_output_opts *o,
		    size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FZ_ASSERT(f != NULL);
	FZ_ASSERT(out(f, s, o) == 0);
	FZ_ASSERT(fclose(f) == 0);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ts_snap_thread **recs = NULL;
	struct ts_classify_clock clk = { 1000000000ull, 1700000000000000000ull };
	struct ts_output_opts o = { .strip_prefix = "/usr/src", .version = "fuzz" };
	struct ts_snapshot s = { 0 };
	unsigned char *buf = malloc(size ? size : 1);  /* 16-byte aligned */
	size_t n = 0, total = 0, len;
	json_error_t jerr;
	json_t *doc;
	char *text;
	int64_t off;
	int rc;

	FZ_ASSERT(buf != NULL);
	memcpy(buf, data, size);
	rc = ts_decode_records(buf, size, &recs, &n);
	FZ_ASSERT(rc == 0 || rc == -EPROTO || rc == -ENOMEM);
	FZ_SAY("snapshot_decode: rc %d, %zu records\n", rc, n);
	if (rc) {
		free(buf);
		return 0;
	}
	s.threads = calloc(n ? n : 1, sizeof(*s.threads));
	FZ_ASSERT(s.threads != NULL);
	s.nthreads = n;
	s.pid = n ? (pid_t)recs[0]->tgid : 1;
	off = ts_sched_clock_offset(recs, n);
	for (size_t i = 0; i < n; i++) {
		const struct ts_snap_thread *r = recs[i];
		struct ts_thread *t = &s.threads[i];
		const uint64_t *ks;
		int nk;

		FZ_ASSERT((const unsigned char *)r >= buf &&
			  (const unsigned char *)r + r->rec_len <= buf + size);
		total += r->rec_len;
		ts_decode_thread(r, off, t);
		FZ_ASSERT(memchr(t->name, '\0', sizeof(t->name)) != NULL);
		ks = ts_rec_kstack(r, &nk);
		t->kframes = calloc(nk ? (size_t)nk : 1, sizeof(*t->kframes));
		FZ_ASSERT(t->kframes != NULL);
		for (int k = 0; k < nk; k++)
			t->kframes[k].pc = ks[k];   /* ASan checks the bounds */
		t->nkframes = nk;
		t->frames = fake_frames(ts_rec_ustack(r), r->ustack.len,
					&t->nframes);
		t->stack_status = (enum ts_stack_status)(r->ustack.flags % 4);
		ts_classify(t, &clk);
		FZ_ASSERT(t->blocked.kind <= TS_BLOCK_SYSCALL);
		FZ_SAY("  %d %s: %s\n", t->tid, t->name,
		       ts_block_kind_name(t->blocked.kind));
	}
	FZ_ASSERT(total == size);
	ts_snapshot_sort(&s);
	FZ_ASSERT(ts_waitgraph_build(&s) == 0);
	check_cycles(&s);
	FZ_SAY("  %zu edges, %zu cycles\n", s.nedges, s.ncycles);
	o.kernel_stacks = n && (recs[0]->flags & 0x100);
	free(render(ts_output_text, &s, &o, &len));
	free(render(ts_output_folded, &s, &o, &len));
	text = render(ts_output_json, &s, &o, &len);
	/* u64 fields past INT64_MAX are valid JSON; jansson takes them
	 * only as reals. */
	doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!doc)
		fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", jerr.text,
			jerr.position, (int)len, text);
	FZ_ASSERT(doc != NULL);
	json_decref(doc);
	free(text);
	ts_snapshot_free(&s);
	free(recs);
	free(buf);
	return 0;
}
