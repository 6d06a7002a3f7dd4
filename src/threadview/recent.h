/* An exited thread as a snapshot shows it: what taskscope watch's flight
 * recorder kept of a thread that ended (start routine, lifetime, CPU, what
 * it blocked on), and its wording in the text and JSON outputs. The model
 * only: reading the recorder is taskscope's (snapshot/recorder.h). Pure. */
#ifndef THREADVIEW_RECENT_H
#define THREADVIEW_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "taskscope_abi.h"

struct json_writer;

/* One exited thread, as a snapshot shows it (ts_thread.recent). */
struct ts_recent {
	struct ts_recent_thread rec;
	char *start_routine;         /* symbol (owned), or NULL */
	uint64_t exited_ago_ns;      /* at the time of the read */
};

/* Time r spent asleep, all waits: lifetime - CPU time - run delay. */
uint64_t ts_recent_blocked_ns(const struct ts_recent *r);

/* "exited 1.2s ago after 2ms, cpu 1ms, start hash_main, blocked 1ms
 * (futex 900us, read 100us)" into buf. Pure. Returns buf. */
char *ts_recent_describe(const struct ts_recent *r, char *buf, size_t len);

/* Writes "recent": {exited, exit_ns, exited_ago_ns, lifetime_ns,
 * exit_status, cpu_ns, run_delay_ns, blocked_ns_total, start_routine,
 * reported_blocked_ns, longest_wait} into the current JSON object. Pure. */
void ts_recent_json(struct json_writer *w, const struct ts_recent *r);

#endif
