/* Finds where a function lives in an ELF file, as the file offset a uprobe
 * is attached at. libbpf 1.1 can resolve a name itself but refuses one that
 * several versioned symbols share (Debian's libc has pthread_create@@
 * GLIBC_2.34 and pthread_create@GLIBC_2.2.5), so taskscope resolves it with
 * libelf. Also finds which file a process maps its libc from. Any thread. */
#ifndef TASKSCOPE_ELF_SYM_H
#define TASKSCOPE_ELF_SYM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Looks name up in path's dynamic and static symbol tables (an exact match
 * or "name@..."; versions that share one address are the same function)
 * and stores its file offset in *off. Returns 0, -ENOENT (no such function),
 * -ENOTUNIQ (several different addresses), or -errno/-EINVAL for a file
 * that cannot be read as ELF. */
int elf_sym_file_offset(const char *path, const char *name, uint64_t *off);

/* Writes into buf (len bytes) the path of the first file mapped by pid whose
 * name starts with prefix (e.g. "libc.so"), as seen from this process
 * (through /proc/PID/root). Returns 0, -ENOENT (not mapped), -ENAMETOOLONG,
 * or -errno reading /proc/PID/maps. */
int elf_sym_find_mapping(pid_t pid, const char *prefix, char *buf, size_t len);

#endif
