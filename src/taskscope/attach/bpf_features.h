/* What the running kernel offers taskscope's BPF programs, probed at start.
 *
 * One table (bpf_features.c) lists every kernel facility the programs use:
 * the optional ones, each a TS_FEAT_* bit of taskscope_abi.h that the
 * programs test (bpf/features.bpf.h), and the required ones, listed so a
 * load failure that names one can say from which Linux release on it
 * exists. Each entry says how to probe it (a kfunc, a BTF tracepoint, a
 * tracepoint argument, a kernel type or field, all read from the kernel's
 * BTF, loaded once per process), from which release on it exists and what
 * taskscope does without it.
 *
 * To make a new program optional: add a TS_FEAT_ bit, an entry here, and
 * in user space probe it (ts_features_probe), set the object's ts_features
 * (or leave the program out with bpf_program__set_autoload), then report
 * (ts_features_report). Main thread only. */
#ifndef TASKSCOPE_ATTACH_BPF_FEATURES_H
#define TASKSCOPE_ATTACH_BPF_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "taskscope_abi.h"
#include "threadview/snapshot_model.h"

enum ts_probe_kind {
	TS_PROBE_KFUNC,      /* kernel function BPF may call: BTF FUNC sym */
	TS_PROBE_TP,         /* BTF tracepoint: typedef btf_trace_<sym> */
	TS_PROBE_TP_ARGS,    /* tracepoint sym has at least nargs arguments */
	TS_PROBE_TYPE,       /* struct or union sym exists */
	TS_PROBE_FIELD,      /* struct or union sym has member field */
	TS_PROBE_HELPER,     /* BPF helper: named only, never probed */
};

struct ts_feature {
	uint64_t bit;            /* TS_FEAT_*, 0 for a required facility */
	const char *name;        /* short name: JSON key, -v lines */
	enum ts_probe_kind kind;
	const char *sym;         /* what to look for (see the kinds) */
	const char *field;       /* TS_PROBE_FIELD: the member */
	int nargs;               /* TS_PROBE_TP_ARGS: arguments wanted */
	const char *what;        /* "the bpf_rcu_read_lock kfunc" */
	const char *since;       /* first Linux release with it: "6.2" */
	const char *without;     /* what taskscope does without it; NULL for
				  * a required facility */
	bool same_output;        /* without it the output is the same (told
				  * at -v only) */
};

/* Every entry, optional then required; *n gets the count. Static. */
const struct ts_feature *ts_features_table(size_t *n);

/* The entry of one TS_FEAT_* bit, or NULL. */
const struct ts_feature *ts_feature_of(uint64_t bit);

/* Probes the TS_FEAT_* bits in want against the kernel's BTF (read once
 * per process, ~20 ms of CPU the first time) and returns those the kernel
 * has, as TASKSCOPE_BPF_FEATURES amends it. Without readable BTF returns 0
 * (preflight has said why). */
uint64_t ts_features_probe(uint64_t want);

/* The facilities forced on and off by the environment variable
 * TASKSCOPE_BPF_FEATURES ("-name" pretends the kernel lacks it, "+name"
 * that it has it, "-all" and "+all" every optional one; space- or
 * comma-separated; for tests and for
 * reproducing a report: a fallback runs on a kernel that has the facility,
 * a failure shows on one that lacks it). ts_features_probe applies them;
 * loaders that choose without probing (the snapshot's variants) ask. */
void ts_features_forced(uint64_t *on, uint64_t *off);

/* The first facility ts_features_probe reported present that the kernel
 * lacks (only TASKSCOPE_BPF_FEATURES=+name makes one), or NULL: what to
 * blame for a failure whose messages name nothing. */
const struct ts_feature *ts_features_assumed_missing(void);

/* Probes one table entry, optional or not. */
bool ts_feature_present(const struct ts_feature *f);

/* Says what of want the kernel lacks, one line each, on stderr: a warning
 * when the output loses something, a -v line when it does not. */
void ts_features_report(uint64_t want, uint64_t have);

/* The table entry whose symbol text names (a libbpf or verifier message),
 * or NULL: lets a failure say from which release on the thing exists. */
const struct ts_feature *ts_feature_named_in(const char *text);

/* Lists the bits of want as name/in-use pairs (in use: in have) into out,
 * at most max; returns how many. The names are static. */
size_t ts_features_list(uint64_t want, uint64_t have,
			struct ts_kernel_feature *out, size_t max);

/* The running kernel's release (uname -r), static storage. */
const char *ts_kernel_release(void);

/* Frees the BTF read by the probes (idempotent). */
void ts_features_release(void);

#endif
