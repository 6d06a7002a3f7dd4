/* A copy of an ELF file with its compressed sections stored uncompressed,
 * written atomically: what the debug-info cache (debuginfo.h) keeps, so
 * libdw can map DWARF instead of inflating it on every run. */
#ifndef THREADVIEW_ELF_INFLATE_H
#define THREADVIEW_ELF_INFLATE_H

/* Writes to path, atomically (temp file in the same directory + rename), a
 * copy of the ELF file open on src_fd with every SHF_COMPRESSED section
 * stored uncompressed; section order, headers and the content of every
 * other section are kept (file offsets are laid out anew, segments that
 * point into a kept section follow it). Reads src_fd, does not close it.
 * Returns 0, -ENODATA when nothing in the file is compressed (no file
 * written), -EINVAL for a file libelf cannot read, or -errno. Any thread
 * (libelf handles are local). */
int ts_elf_write_inflated(int src_fd, const char *path);

#endif
