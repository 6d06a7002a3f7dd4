/* Syscall name table (see syscalls.h); the entries are generated from
 * <asm/unistd_64.h> by src/taskscope/build.mk. */
#include "threadview/syscalls.h"

#include <stddef.h>

static const char *const names[] = {
#include "ts_syscall_names.h"
};

/* Syscalls newer than Debian 12's 6.1 headers, up to Linux 6.18. */
static const char *const newer_names[] = {
	"cachestat", "fchmodat2", "map_shadow_stack", "futex_wake",
	"futex_wait", "futex_requeue", "statmount", "listmount",
	"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
	"setxattrat", "getxattrat", "listxattrat", "removexattrat",
	"open_tree_attr",
};
#define NEWER_FIRST 451

const char *ts_syscall_name(int nr)
{
	size_t n = sizeof(names) / sizeof(names[0]);

	if (nr < 0)
		return NULL;
	if ((size_t)nr < n && names[nr])
		return names[nr];
	if (nr >= NEWER_FIRST &&
	    nr < NEWER_FIRST + (int)(sizeof(newer_names) / sizeof(newer_names[0])))
		return newer_names[nr - NEWER_FIRST];
	return NULL;
}
