/* Pre-flight checks before loading BPF programs and translation of libbpf
 * failures into one-line messages that say what to do, with the matching
 * exit code. Also routes libbpf's own log: hidden unless -vv. Used by every
 * taskscope command that loads BPF. Main thread only. */
#ifndef TASKSCOPE_BPF_ENV_H
#define TASKSCOPE_BPF_ENV_H

#include <stdbool.h>

/* What a command needs from the kernel (ts_bpf_preflight flags). */
#define TS_NEED_BTF     0x1   /* CO-RE: /sys/kernel/btf/vmlinux */
#define TS_NEED_TRACEFS 0x2   /* tracepoints: mounts tracefs when root */

/* Installs the libbpf print callback (libbpf's messages show only at
 * verbose level 2, warnings at 1). Call once before any libbpf call. */
void ts_bpf_log_init(void);

/* Checks privileges and the kernel features in needs (TS_NEED_*). Prints a
 * one-line error and returns its exit code (exit_codes.h) on the first
 * problem; returns 0 when everything is there. Mounts tracefs itself when
 * it is missing and we are allowed to. */
int ts_bpf_preflight(unsigned int needs);

/* True when this process may load tracing BPF programs: effective uid 0,
 * or CAP_BPF and CAP_PERFMON both effective. */
bool ts_bpf_privileged(void);

/* Explains a libbpf failure: prints "cannot <what>: <why> (<what to do>)"
 * for err (a negative errno from libbpf) and returns the exit code that
 * fits it. */
int ts_bpf_explain(const char *what, int err);

#endif
