/* Turns a user pc into function+offset, module and, where debug info exists
 * (the target's own -g build, libc through libc6-dbg), file:line. Results
 * are cached per pc: the threads of one process share most of their pcs, and
 * the first file:line lookup in a module loads its debug info (~0.1 s for
 * libc). Symbols lose their @GLIBC_x.y version suffix.
 *
 * A ts_symbolizer holds one process's modules (reported from
 * /proc/PID/maps once, in a libdw session) and the pc cache; the unwinder
 * (unwind.h) builds on it for the modules' CFI. Not thread-safe. */
#ifndef THREADVIEW_SYMBOLIZE_H
#define THREADVIEW_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct ts_symbolizer;
struct Dwfl;

/* One symbolized frame. The strings belong to the symbol cache (they live
 * as long as the unwinder) or are static; NULL means unknown. */
struct ts_frame {
	uint64_t pc;
	const char *function;
	uint64_t offset;          /* pc - start of function */
	const char *module;       /* path of the mapped file */
	const char *file;         /* source file, when debug info has it */
	int line;                 /* 0 when unknown */
};

/* Creates a symbolizer for process pid: reads /proc/PID/maps and reports
 * the ELF files it maps (and the vdso) to a libdw session. Returns NULL
 * with errno set on failure (ESRCH or ENOEXEC: process gone). The caller
 * owns the result: ts_symbolizer_free(). */
struct ts_symbolizer *ts_symbolizer_new(pid_t pid);

/* Loads every module's symbol table, unwind tables and debug info now
 * (libc's separate debug info alone takes ~0.1 s to decompress), so later
 * lookups are fast. May run on another thread while nothing else uses s.
 * Returns 0 (modules without debug info are not an error). */
int ts_symbolizer_prewarm(struct ts_symbolizer *s);

/* Opens every module's ELF file now (mapped, not read: cheap), so that
 * lookups still work after the process loses the right to open them, e.g.
 * once uploadd has dropped to --user NAME and its binary lies in a
 * directory NAME cannot read. Debug info inside an opened file is read
 * from it later; separate debug files are still looked up by path. Returns
 * how many modules could not be opened (0: all). */
int ts_symbolizer_open(struct ts_symbolizer *s);

/* Frees s, its modules and its cache (every string a ts_frame got from
 * ts_symbolize goes with it). NULL is a no-op. */
void ts_symbolizer_free(struct ts_symbolizer *s);

/* The libdw session behind s (for the unwinder's CFI lookups). */
struct Dwfl *ts_symbolizer_dwfl(struct ts_symbolizer *s);

/* Symbolizes pc in s's process into out. is_return_addr: pc is a return
 * address (every frame but the innermost), so the lookup uses pc - 1, which
 * lies in the call instruction and so in the right function and line even
 * when the call is the last instruction of a function. Returns 0, or
 * -ENOENT when pc is in no known module (out->pc is still set). */
int ts_symbolize(struct ts_symbolizer *s, uint64_t pc, bool is_return_addr,
		 struct ts_frame *out);

/* Copies name without a trailing "@..." symbol version into buf (size
 * len). Returns buf. Pure: unit-tested. */
char *ts_strip_symver(const char *name, char *buf, size_t len);

#endif
