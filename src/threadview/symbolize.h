/* Turns a user pc into function+offset, module and, where debug info exists
 * (the target's own -g build, libc through libc6-dbg), file:line. Results
 * are cached per pc: the threads of one process share most of their pcs, and
 * the first file:line lookup in a module loads its debug info (~0.1 s for
 * libc). Symbols lose their @GLIBC_x.y version suffix.
 *
 * Works on the modules of a ts_unwinder (unwind.h). Not thread-safe. */
#ifndef TASKSCOPE_SYMBOLIZE_H
#define TASKSCOPE_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_unwinder;
struct ts_symcache;

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

/* Creates/frees an empty cache (owned by the unwinder that made it). */
struct ts_symcache *ts_symcache_new(void);
void ts_symcache_free(struct ts_symcache *c);

/* Symbolizes pc in u's process into out. is_return_addr: pc is a return
 * address (every frame but the innermost), so the lookup uses pc - 1, which
 * lies in the call instruction and so in the right function and line even
 * when the call is the last instruction of a function. Returns 0, or
 * -ENOENT when pc is in no known module (out->pc is still set). */
int ts_symbolize(struct ts_unwinder *u, uint64_t pc, bool is_return_addr,
		 struct ts_frame *out);

/* Copies name without a trailing "@..." symbol version into buf (size
 * len). Returns buf. Pure: unit-tested. */
char *ts_strip_symver(const char *name, char *buf, size_t len);

#endif
