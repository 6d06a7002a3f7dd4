/* Decoding the ring-buffer records of bpf/watch.bpf.c (struct ts_wev_*)
 * into one checked, NUL-terminated form. Pure: no I/O, so unit tests feed it
 * hand-made records. Any thread. */
#ifndef TASKSCOPE_WATCH_EVENT_H
#define TASKSCOPE_WATCH_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "taskscope_abi.h"

#define WEV_NAME_LEN (TS_COMM_LEN + 1)

struct wev {
	uint32_t type;               /* enum ts_wev_type */
	uint64_t ts_ns;              /* CLOCK_MONOTONIC */
	pid_t tid, pid;
	char name[WEV_NAME_LEN];     /* the thread's name (old name: rename) */
	union {
		struct {
			pid_t parent_tid;
			uint64_t clone_flags;
			uint64_t start_routine;
		} create;
		struct {
			char new_name[WEV_NAME_LEN];
			pid_t by_tid;
		} rename;
		struct {             /* TS_WEV_EXIT and TS_WEV_TOTALS */
			uint64_t start_ns, cpu_ns, run_delay_ns;
			uint64_t start_routine;
			int32_t exit_code;
			uint32_t flags;   /* TS_WEXIT_F_* */
			struct ts_thread_totals tot;
		} exit;
		struct {             /* TS_WEV_WAIT and TS_WEV_STUCK */
			struct ts_wait w;
			char waker_name[WEV_NAME_LEN];
			/* With TS_WAIT_F_STACK: point into the record, valid
			 * only as long as it is (the ring-buffer callback). */
			const struct ts_user_regs *regs;
			const struct ts_stack_window *win;
			const uint8_t *stack;
		} wait;
	};
};

/* Decodes one record of size bytes into out. Returns 0, -EPROTO (unknown
 * type or a size that does not match it: a BPF object from another build)
 * or -EINVAL (NULL or truncated). */
int wev_decode(const void *data, size_t size, struct wev *out);

/* Duration of a wait: wakeup (or, while stuck, the report) minus start. */
uint64_t wev_wait_ns(const struct ts_wait *w);

/* "futex", "read", "poll", "sleep", "other": enum ts_wait_class names. */
const char *wev_class_name(uint32_t cls);

/* "create", "rename", "exit", "wait", "stuck", "totals". */
const char *wev_type_name(uint32_t type);

#endif
