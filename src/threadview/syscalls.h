/* x86_64 syscall numbers -> names, from the kernel headers at build time. */
#ifndef THREADVIEW_SYSCALLS_H
#define THREADVIEW_SYSCALLS_H

/* Returns the name of syscall nr ("futex"), or NULL when unknown. */
const char *ts_syscall_name(int nr);

#endif
