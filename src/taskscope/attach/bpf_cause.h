/* Finding, in what libbpf and the verifier print while a load fails, the
 * one line that explains it: the verifier's reason when a program was
 * refused ("R2 min value is negative, ..."), else libbpf's first warning
 * that is not a generic follow-up ("extern (func ksym) 'bpf_rcu_read_lock':
 * not found in kernel or module BTFs", "failed to find kernel BTF type ID
 * of 'sock_recv_length'"). Pure string work, unit-tested on messages
 * recorded on Linux 6.1; bpf_env.c feeds it. */
#ifndef TASKSCOPE_ATTACH_BPF_CAUSE_H
#define TASKSCOPE_ATTACH_BPF_CAUSE_H

#include <stdbool.h>
#include <stddef.h>

struct ts_bpf_cause {
	char line[512];          /* "" until something explains a failure */
	bool verifier;           /* line is the verifier's reason */
};

/* Forgets the cause of an earlier attempt. */
void ts_bpf_cause_reset(struct ts_bpf_cause *c);

/* One libbpf warning, without libbpf's "libbpf: " prefix; may span lines
 * (a program's load log comes as one message). */
void ts_bpf_cause_warning(struct ts_bpf_cause *c, const char *msg);

/* A verifier log of program prog (a light skeleton's, which does not come
 * through libbpf): its reason becomes the cause. */
void ts_bpf_cause_verifier_log(struct ts_bpf_cause *c, const char *prog,
			       const char *log);

/* Copies the last line of a verifier log that says why it refused (the
 * lines after it are statistics) into out. Returns false when none. */
bool ts_bpf_verifier_reason(const char *log, char *out, size_t len);

#endif
