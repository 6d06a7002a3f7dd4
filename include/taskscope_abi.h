/* The event ABI shared by the BPF programs (bpf/) and taskscope's user space
 * (src/taskscope/): every struct, enum and limit that crosses the kernel/user
 * boundary lives here and nowhere else.
 *
 * Rules: fixed-width types only (__u32, __u64; no long, bool or pointers),
 * explicit padding, the TS_/ts_ prefix on every name so nothing clashes with
 * vmlinux.h, and a _Static_assert on each record's size. Bump TS_ABI_VERSION
 * on any incompatible change.
 */
#ifndef TASKSCOPE_ABI_H
#define TASKSCOPE_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TS_ABI_VERSION 1

#define TS_COMM_LEN 16

/* ---- snapshot (bpf/snapshot.bpf.c) ------------------------------------ */

/* ---- watch (bpf/watch.bpf.c) ------------------------------------------ */

#endif
