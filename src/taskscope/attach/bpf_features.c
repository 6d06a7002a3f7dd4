/* The kernel-facility table and its BTF probes (see bpf_features.h). The
 * releases are those of mainline Linux; distribution kernels may backport
 * a facility, which is why taskscope probes instead of comparing versions.
 * docs/taskscope-kernels.md is this table for people. */
#include "taskscope/attach/bpf_features.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "common/log.h"

static const struct ts_feature table[] = {
	/* Optional: a TS_FEAT_ bit each, probed, with a fallback. */
	{ TS_FEAT_RCU_KFUNC, "rcu_kfunc", TS_PROBE_KFUNC, "bpf_rcu_read_lock",
	  NULL, 0, "the bpf_rcu_read_lock kfunc", "6.2",
	  "fds are described without RCU protection in the snapshot pass "
	  "(safe, but a close racing with it may show stale fields)", true },
	{ TS_FEAT_EXIT_GROUP_DEAD, "exit_group_dead", TS_PROBE_TP_ARGS,
	  "sched_process_exit", NULL, 2,
	  "the group_dead argument of sched_process_exit", "6.16",
	  "the last thread is told by its process's live-thread count", true },
	{ TS_FEAT_SOCK_RECV_LENGTH, "sock_recv_length", TS_PROBE_TP,
	  "sock_recv_length", NULL, 0, "the sock_recv_length tracepoint", "6.3",
	  "socket-read byte counts come from the syscall's return value "
	  "(rseq_update; none for a target that disabled rseq)", true },
	{ TS_FEAT_SWITCH_PREV_STATE, "switch_prev_state", TS_PROBE_TP_ARGS,
	  "sched_switch", NULL, 4,
	  "the prev_state argument of sched_switch", "5.18",
	  "the sleeping state is read from the task itself", true },
	{ TS_FEAT_UPROBE_MULTI, "uprobe_multi", TS_PROBE_TYPE,
	  "bpf_uprobe_multi_link", NULL, 0, "uprobe_multi links", "6.6",
	  "the pthread_create uprobe is a system-wide perf uprobe (every "
	  "process's pthread_create traps once; the program ignores all "
	  "but the target)", true },
	/* Required: named in failures and in the docs, probed on failure. */
	{ 0, "task_iterator", TS_PROBE_TYPE, "bpf_iter__task", NULL, 0,
	  "BPF task iterators", "5.8", NULL, false },
	{ 0, "task_iterator_pid", TS_PROBE_TYPE, "bpf_iter_task_type", NULL, 0,
	  "task iterators limited to one process (link_info.task.pid)", "6.1",
	  NULL, false },
	{ 0, "copy_from_user_task", TS_PROBE_HELPER, "bpf_copy_from_user_task",
	  NULL, 191, "the bpf_copy_from_user_task helper (and sleepable "
	  "iterators)", "5.18", NULL, false },
	{ 0, "find_vma", TS_PROBE_HELPER, "bpf_find_vma", NULL, 180,
	  "the bpf_find_vma helper", "5.17", NULL, false },
	{ 0, "task_pt_regs", TS_PROBE_HELPER, "bpf_task_pt_regs", NULL, 175,
	  "the bpf_task_pt_regs helper", "5.15", NULL, false },
	{ 0, "lookup_percpu_elem", TS_PROBE_HELPER,
	  "bpf_map_lookup_percpu_elem", NULL, 195,
	  "the bpf_map_lookup_percpu_elem helper", "5.19", NULL, false },
	{ 0, "get_task_stack", TS_PROBE_HELPER, "bpf_get_task_stack", NULL, 141,
	  "the bpf_get_task_stack helper", "5.9", NULL, false },
	{ 0, "ringbuf", TS_PROBE_TYPE, "bpf_ringbuf", NULL, 0,
	  "BPF ring buffers", "5.8", NULL, false },
	{ 0, "tp_btf_sched_switch", TS_PROBE_TP, "sched_switch", NULL, 0,
	  "BTF tracepoints (tp_btf)", "5.5", NULL, false },
	{ 0, "rseq_update", TS_PROBE_TP, "rseq_update", NULL, 0,
	  "the rseq_update tracepoint", "4.18", NULL, false },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

static struct btf *vmlinux;
static bool vmlinux_tried;
static uint64_t assumed;          /* what ts_features_probe said is there */

const struct ts_feature *ts_features_table(size_t *n)
{
	*n = N_TABLE;
	return table;
}

const struct ts_feature *ts_feature_of(uint64_t bit)
{
	size_t i;

	for (i = 0; i < N_TABLE; i++)
		if (table[i].bit == bit)
			return &table[i];
	return NULL;
}

/* The kernel's BTF, read on first use. NULL when unreadable. */
static struct btf *kernel_btf(void)
{
	if (!vmlinux_tried) {
		vmlinux_tried = true;
		vmlinux = btf__load_vmlinux_btf();
		if (!vmlinux)
			log_debug(1, "cannot read the kernel's BTF to probe its "
				  "features: %s", strerror(errno));
	}
	return vmlinux;
}

void ts_features_release(void)
{
	btf__free(vmlinux);
	vmlinux = NULL;
	vmlinux_tried = false;
}

/* Number of arguments of BTF tracepoint tp (its btf_trace_<tp> typedef
 * is a pointer to a prototype whose first parameter is the probe's
 * void *data), or -1 when it has no BTF tracepoint. */
static int tp_nargs(const struct btf *btf, const char *tp)
{
	const struct btf_type *t;
	char name[128];
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = t ? btf__type_by_id(btf, t->type) : NULL;     /* the pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -1;
	return btf_vlen(t) - 1;
}

static bool has_field(const struct btf *btf, const char *type,
		      const char *field)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	if (id < 0)
		id = btf__find_by_name_kind(btf, type, BTF_KIND_UNION);
	t = id < 0 ? NULL : btf__type_by_id(btf, id);
	if (!t)
		return false;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		if (n && !strcmp(n, field))
			return true;
	}
	return false;
}

bool ts_feature_present(const struct ts_feature *f)
{
	struct btf *btf;

	if (f->kind == TS_PROBE_HELPER)
		return true;          /* named only: the verifier tells */
	btf = kernel_btf();
	if (!btf)
		return false;
	switch (f->kind) {
	case TS_PROBE_KFUNC:
		return btf__find_by_name_kind(btf, f->sym, BTF_KIND_FUNC) >= 0;
	case TS_PROBE_TP:
		return tp_nargs(btf, f->sym) >= 0;
	case TS_PROBE_TP_ARGS:
		return tp_nargs(btf, f->sym) >= f->nargs;
	case TS_PROBE_TYPE:
		return btf__find_by_name(btf, f->sym) >= 0;
	case TS_PROBE_FIELD:
		return has_field(btf, f->sym, f->field);
	case TS_PROBE_HELPER:
		break;
	}
	return true;
}

void ts_features_forced(uint64_t *on, uint64_t *off)
{
	static bool parsed;
	static uint64_t f_on, f_off;
	const char *env = getenv("TASKSCOPE_BPF_FEATURES");
	char buf[256], *tok, *save = NULL;
	size_t i;

	if (!parsed && env) {
		snprintf(buf, sizeof(buf), "%s", env);
		for (tok = strtok_r(buf, " ,", &save); tok;
		     tok = strtok_r(NULL, " ,", &save)) {
			bool plus = tok[0] == '+';

			if (tok[0] == '+' || tok[0] == '-')
				tok++;
			if (!strcmp(tok, "all")) {
				for (i = 0; i < N_TABLE; i++)
					*(plus ? &f_on : &f_off) |= table[i].bit;
				continue;
			}
			for (i = 0; i < N_TABLE; i++)
				if (table[i].bit && !strcmp(table[i].name, tok))
					break;
			if (i == N_TABLE) {
				log_warn("TASKSCOPE_BPF_FEATURES: no optional "
					 "facility is called '%s'", tok);
				continue;
			}
			if (plus)
				f_on |= table[i].bit;
			else
				f_off |= table[i].bit;
		}
		if (f_on | f_off)
			log_debug(1, "TASKSCOPE_BPF_FEATURES=%s: facilities "
				  "forced on %#llx, off %#llx", env,
				  (unsigned long long)f_on,
				  (unsigned long long)f_off);
	}
	parsed = true;
	*on = f_on;
	*off = f_off;
}

uint64_t ts_features_probe(uint64_t want)
{
	uint64_t have = 0, on, off;
	size_t i;

	ts_features_forced(&on, &off);
	for (i = 0; i < N_TABLE; i++) {
		if (!(table[i].bit & want) || (table[i].bit & off))
			continue;
		if ((table[i].bit & on) || ts_feature_present(&table[i]))
			have |= table[i].bit;
	}
	assumed |= have;
	return have;
}

const struct ts_feature *ts_features_assumed_missing(void)
{
	size_t i;

	for (i = 0; i < N_TABLE; i++)
		if ((table[i].bit & assumed) && !ts_feature_present(&table[i]))
			return &table[i];
	return NULL;
}

size_t ts_features_list(uint64_t want, uint64_t have,
			struct ts_kernel_feature *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < N_TABLE && n < max; i++)
		if (table[i].bit & want) {
			out[n].name = table[i].name;
			out[n].on = (table[i].bit & have) != 0;
			n++;
		}
	return n;
}

const char *ts_kernel_release(void)
{
	static struct utsname u;

	if (!u.release[0] && uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	return u.release;
}

void ts_features_report(uint64_t want, uint64_t have)
{
	uint64_t on, off;
	size_t i;

	ts_features_forced(&on, &off);
	for (i = 0; i < N_TABLE; i++) {
		const struct ts_feature *f = &table[i];

		if (!(f->bit & want) || (f->bit & have))
			continue;
		if (f->bit & off)
			log_debug(1, "doing without %s (TASKSCOPE_BPF_FEATURES): "
				  "%s", f->what, f->without);
		else if (f->same_output)
			log_debug(1, "kernel %s lacks %s (Linux %s+): %s",
				  ts_kernel_release(), f->what, f->since,
				  f->without);
		else
			log_warn("kernel %s lacks %s (Linux %s+): %s",
				 ts_kernel_release(), f->what, f->since,
				 f->without);
	}
}

/* True when word occurs in text as a whole identifier. */
static bool names(const char *text, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = strstr(text, word); p; p = strstr(p + 1, word)) {
		bool start = p == text || !(isalnum((unsigned char)p[-1]) ||
					    p[-1] == '_');
		bool end = !(isalnum((unsigned char)p[n]) || p[n] == '_');

		if (start && end)
			return true;
	}
	return false;
}

const struct ts_feature *ts_feature_named_in(const char *text)
{
	char unknown[32];
	size_t i;

	for (i = 0; i < N_TABLE; i++) {
		if (names(text, table[i].sym))
			return &table[i];
		/* A kernel without the helper cannot name it either. */
		snprintf(unknown, sizeof(unknown), "unknown#%d", table[i].nargs);
		if (table[i].kind == TS_PROBE_HELPER && strstr(text, unknown))
			return &table[i];
	}
	return NULL;
}
