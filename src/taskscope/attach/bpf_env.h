/* Pre-flight checks before loading BPF programs and translation of libbpf
 * failures into one-line messages that say what to do, with the matching
 * exit code. Also routes libbpf's own log: warnings at -v, the rest at -vv
 * and -vvv, and keeps the line that explains a failure. Used by every
 * taskscope command that loads BPF. Main thread only. */
#ifndef TASKSCOPE_BPF_ENV_H
#define TASKSCOPE_BPF_ENV_H

#include <stdbool.h>

/* What a command needs from the kernel (ts_bpf_preflight flags). */
#define TS_NEED_BTF     0x1   /* CO-RE: /sys/kernel/btf/vmlinux */
#define TS_NEED_TRACEFS 0x2   /* tracepoints: mounts tracefs when root */

/* Installs the libbpf print callback (libbpf's warnings show at verbose
 * level 1, its info lines at 2, debug at 3; warnings are kept for
 * ts_bpf_explain at any level). Call once before any libbpf call. */
void ts_bpf_log_init(void);

/* Checks privileges and the kernel features in needs (TS_NEED_*). Prints a
 * one-line error and returns its exit code (exit_codes.h) on the first
 * problem; returns 0 when everything is there. Mounts tracefs itself when
 * it is missing and we are allowed to. */
int ts_bpf_preflight(unsigned int needs);

/* True when this process may load tracing BPF programs: effective uid 0,
 * or CAP_BPF and CAP_PERFMON both effective. */
bool ts_bpf_privileged(void);

/* Starts a load attempt: forgets the cause of an earlier failure. */
void ts_bpf_log_mark(void);
/* Takes the reason out of a verifier log that did not come through
 * libbpf's print callback (a light skeleton's), as the cause of the
 * failure ts_bpf_explain reports next. prog: the program's name. */
void ts_bpf_note_verifier_log(const char *prog, const char *log);

/* Explains a failure to load or attach BPF: prints one line, "cannot
 * <what>: <why> (<what to do>)", and returns the exit code that fits. why
 * is the line that names the cause, without flags: the verifier's reason
 * when a program was refused, else libbpf's first warning since
 * ts_bpf_log_mark() (a missing kfunc or tracepoint), else strerror(err);
 * when it names a kernel facility this kernel lacks (bpf_features.h), the
 * line says from which Linux release on it exists. err: a negative errno. */
int ts_bpf_explain(const char *what, int err);

#endif
