/* The snapshot BPF object's CO-RE types, cut at build time from the build
 * kernel's BTF (src/taskscope/gen_core_btf.sh), for libbpf to relocate
 * against when taskscope runs on that same kernel.
 *
 * Why: libbpf 1.1 finds each CO-RE candidate by scanning all ~127,000 types
 * of vmlinux BTF (~15 ms of CPU for the snapshot object); against the
 * minimal BTF it takes microseconds. The vmlinux BTF is still loaded (the
 * iterator's attach point and the kfuncs need it), so nothing else changes.
 * On any other kernel (release, version, build-id notes or BTF size differ)
 * the minimal BTF is not used and libbpf relocates as before. */
#ifndef TASKSCOPE_CORE_BTF_H
#define TASKSCOPE_CORE_BTF_H

#include <stddef.h>

/* When the running kernel is the build kernel: puts the minimal BTF in a
 * memfd, writes a path that opens it ("/proc/self/fd/N") to path and
 * returns the fd (the caller closes it once libbpf has loaded the object).
 * Otherwise, or on error, returns -1. Any thread. */
int ts_core_btf_open(char *path, size_t len);

#endif
