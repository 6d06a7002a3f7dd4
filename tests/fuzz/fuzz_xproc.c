/* libFuzzer target: the cross-process resolver in user space
 * (src/taskscope/xproc/) on the iterators' records: framing and indexing
 * (xproc_table.c), the other end of every fd (xproc_match.c), the holders'
 * threads from task records and their ranking (xproc_threads.c), the
 * wait-for graph across processes and its wording and JSON. A record's
 * comm and a unix socket's path are chosen by the processes that own them,
 * and a race can leave any identity pointing anywhere, so every byte is
 * hostile input.
 *
 * Input: the records the four iterators would have written, back to back.
 *
 * Checked: records either index completely or are refused with -EPROTO;
 * a peer's holders are files on its object; next_tid is one of the
 * holders' threads; the JSON output always parses (jansson); every
 * deadlock cycle is made of wait-for edges. */
#include <errno.h>
#include <stdbool.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "taskscope/xproc/xproc_match.h"
#include "taskscope/xproc/xproc_table.h"
#include "taskscope/xproc/xproc_threads.h"
#include "threadview/output.h"
#include "threadview/waitgraph.h"

/* The JSON of s parses. */
static void check_json(const struct ts_snapshot *s)
{
	struct ts_output_opts o = { .version = "fuzz" };
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	json_error_t err;
	json_t *j;

	FZ_ASSERT(m != NULL);
	FZ_ASSERT(ts_output_json(m, s, &o) == 0);
	FZ_ASSERT(ts_output_text(m, s, &o) == 0);
	fclose(m);
	/* Text follows the JSON document's newline: parse the first line.
	 * Counters are unsigned 64-bit, beyond jansson's integers: reals. */
	j = json_loadb(buf, strchr(buf, '\n') ? (size_t)(strchr(buf, '\n') - buf) : len,
		       JSON_DECODE_INT_AS_REAL, &err);
	if (!j) {
		fprintf(stderr, "bad JSON: %s\n", err.text);
		abort();
	}
	json_decref(j);
	free(buf);
}

static bool has_edge(const struct ts_snapshot *s, pid_t w, pid_t h)
{
	for (size_t i = 0; i < s->nedges; i++)
		if (s->edges[i].waiter == w && s->edges[i].holder == h)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_classify_clock clk = { 1000000000ull, 1700000000000000000ull };
	struct ts_snapshot s = { 0 };
	struct ts_xp_table t;
	size_t i, j, first, n;
	int err;

	/* The records are read in place: align them as the kernel's are. */
	uint8_t *buf = malloc(size ? size : 1);

	FZ_ASSERT(buf != NULL);
	memcpy(buf, data, size);
	err = ts_xp_table_build(&t, buf, size);
	if (err) {
		FZ_ASSERT(err == -EPROTO);
		free(buf);
		return 0;
	}
	/* Every task record is a thread: the first process's are the
	 * target's, the rest its context. */
	s.pid = t.ntasks ? (pid_t)t.tasks[0]->tgid : 1;
	n = ts_xp_tasks_of(&t, s.pid, &first);
	s.threads = calloc(n ? n : 1, sizeof(*s.threads));
	s.others = calloc(t.ntasks ? t.ntasks : 1, sizeof(*s.others));
	FZ_ASSERT(s.threads && s.others);
	for (i = 0; i < t.ntasks; i++) {
		if (i >= first && i < first + n)
			ts_xp_thread(&t, t.tasks[i], ts_xp_sched_offset(&t), &clk,
				     &s.threads[s.nthreads++]);
		else
			ts_xp_thread(&t, t.tasks[i], ts_xp_sched_offset(&t), &clk,
				     &s.others[s.nothers++]);
	}
	/* tids must be unique for the model: drop repeats. */
	ts_snapshot_sort(&s);
	for (i = j = 0; i < s.nthreads; i++)
		if (!j || s.threads[i].tid != s.threads[j - 1].tid)
			s.threads[j++] = s.threads[i];
	s.nthreads = j;
	for (i = j = 0; i < s.nothers; i++)
		if ((!j || s.others[i].tid != s.others[j - 1].tid) &&
		    !ts_snapshot_find(&(struct ts_snapshot){ .threads = s.threads,
			    .nthreads = s.nthreads }, s.others[i].tid))
			s.others[j++] = s.others[i];
	s.nothers = j;
	for (i = 0; i < s.nthreads + s.nothers; i++) {
		struct ts_thread *th = i < s.nthreads ? &s.threads[i]
						      : &s.others[i - s.nthreads];
		struct ts_peer *p;

		if (th->blocked.fd < 0)
			continue;
		p = ts_xp_match(&t, th->pid, th->blocked.fd,
				th->blocked.kind == TS_BLOCK_WRITE);
		if (!p)
			continue;
		th->blocked.peer = p;
		FZ_ASSERT(ts_xp_rank(&t, &s, th, p) == 0);
		for (j = 0; j < p->nprocs; j++)
			FZ_ASSERT(p->procs[j].nlikely <= p->procs[j].ntids);
		if (p->next_tid)
			FZ_ASSERT(p->nprocs && p->procs[0].ntids &&
				  p->procs[0].tids[0] == p->next_tid);
	}
	s.xproc = true;
	FZ_ASSERT(ts_waitgraph_build(&s) == 0);
	for (i = 0; i < s.ncycles; i++)
		for (j = 0; j < s.cycles[i].n; j++)
			FZ_ASSERT(has_edge(&s, s.cycles[i].tids[j],
					   s.cycles[i].tids[(j + 1) % s.cycles[i].n]));
	check_json(&s);
	ts_snapshot_free(&s);
	ts_xp_table_free(&t);
	free(buf);
	return 0;
}
