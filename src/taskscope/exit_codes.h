/* taskscope's exit codes, shared by every command and printed by --help.
 * Scripts rely on them: keep the numbers stable and documented in
 * docs/taskscope-snapshot.md and in each command's --help. */
#ifndef TASKSCOPE_EXIT_CODES_H
#define TASKSCOPE_EXIT_CODES_H

enum ts_exit {
	TS_EXIT_OK = 0,          /* done */
	TS_EXIT_FAILURE = 1,     /* anything else that went wrong */
	TS_EXIT_USAGE = 2,       /* bad flags or arguments */
	TS_EXIT_NO_TARGET = 3,   /* target process not found, gone or ambiguous */
	TS_EXIT_PRIVILEGE = 4,   /* not root / missing CAP_BPF + CAP_PERFMON */
	TS_EXIT_KERNEL = 5,      /* kernel lacks a feature (BTF, tracefs, ...) */
	TS_EXIT_KTHREAD = 6,     /* target is a kernel thread */
};

/* The block every command's --help ends with. */
#define TS_EXIT_CODES_HELP \
	"Exit codes:\n" \
	"  0  success\n" \
	"  1  failure (anything not listed below)\n" \
	"  2  usage error (bad flag or argument)\n" \
	"  3  target process not found, gone, or --comm is ambiguous\n" \
	"  4  insufficient privileges (needs root or CAP_BPF + CAP_PERFMON)\n" \
	"  5  the kernel lacks a needed feature (BTF, tracefs, BPF iterators)\n" \
	"  6  target is a kernel thread\n"

#endif
