/* Kernel addresses -> symbol+offset from /proc/kallsyms, for
 * --kernel-stacks. Loaded once per run. Not thread-safe. */
#ifndef TASKSCOPE_KALLSYMS_H
#define TASKSCOPE_KALLSYMS_H

#include <stdint.h>

struct ts_kallsyms;

/* Loads /proc/kallsyms. Returns NULL with errno set on failure; addresses
 * are all zero without root (kptr_restrict), which gives EPERM. */
struct ts_kallsyms *ts_kallsyms_load(void);
void ts_kallsyms_free(struct ts_kallsyms *k);

/* The symbol containing addr (owned by k) and addr's offset in it, or
 * NULL when addr is below every symbol. */
const char *ts_kallsyms_lookup(const struct ts_kallsyms *k, uint64_t addr,
			       uint64_t *offset);

#endif
