/* Syscall name table (see syscalls.h); the entries are generated from
 * <asm/unistd_64.h> by src/taskscope/build.mk. */
#include "taskscope/syscalls.h"

#include <stddef.h>

static const char *const names[] = {
#include "ts_syscall_names.h"
};

const char *ts_syscall_name(int nr)
{
	if (nr == 454)   /* newer than the build's headers */
		return "futex_wait";
	if (nr < 0 || (size_t)nr >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[nr];
}
