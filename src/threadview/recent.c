/* Wording of flight-recorder threads in snapshot outputs (see recent.h):
 * pure formatting, linked with the output modules and their unit tests. */
#include "threadview/recent.h"

#include <stdio.h>

#include "common/json.h"
#include "threadview/describe.h"

static const char *const cls_names[TS_WAIT_NCLASS] = {
	"futex", "read", "poll", "sleep", "other",
};

uint64_t ts_recent_blocked_ns(const struct ts_recent *r)
{
	uint64_t life = r->rec.exit_ns > r->rec.start_ns ?
			r->rec.exit_ns - r->rec.start_ns : 0;
	uint64_t busy = r->rec.cpu_ns + r->rec.run_delay_ns;

	return life > busy ? life - busy : 0;
}

char *ts_recent_describe(const struct ts_recent *r, char *buf, size_t len)
{
	const struct ts_thread_totals *tot = &r->rec.tot;
	char d1[32], d2[32], d3[32];
	uint64_t blocked = 0;
	size_t off;
	int c, n;

	blocked = ts_recent_blocked_ns(r);
	n = snprintf(buf, len, "exited %s ago after %s, cpu %s",
		     ts_format_duration(r->exited_ago_ns, d1, sizeof(d1)),
		     ts_format_duration(r->rec.exit_ns > r->rec.start_ns ?
					r->rec.exit_ns - r->rec.start_ns : 0,
					d2, sizeof(d2)),
		     ts_format_duration(r->rec.cpu_ns, d3, sizeof(d3)));
	off = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
	if (r->start_routine && off < len)
		off += snprintf(buf + off, len - off, ", start %s",
				r->start_routine);
	if (blocked && off < len) {
		off += snprintf(buf + off, len - off, ", blocked %s (long waits: ",
				ts_format_duration(blocked, d1, sizeof(d1)));
		for (c = 0, n = 0; c < TS_WAIT_NCLASS && off < len; c++)
			if (tot->waits[c])
				off += snprintf(buf + off, len - off, "%s%s %s",
						n++ ? ", " : "", cls_names[c],
						ts_format_duration(tot->blocked_ns[c],
								   d1, sizeof(d1)));
		if (off < len)
			snprintf(buf + off, len - off, "%s)", n ? "" : "none");
	}
	return buf;
}

void ts_recent_json(struct json_writer *w, const struct ts_recent *r)
{
	const struct ts_thread_totals *tot = &r->rec.tot;
	int c;

	json_key(w, "recent");
	json_object_begin(w);
	json_kv_bool(w, "exited", true);
	json_kv_uint(w, "exit_ns", r->rec.exit_ns);
	json_kv_uint(w, "exited_ago_ns", r->exited_ago_ns);
	json_kv_uint(w, "lifetime_ns", r->rec.exit_ns > r->rec.start_ns ?
		     r->rec.exit_ns - r->rec.start_ns : 0);
	json_kv_int(w, "exit_status", r->rec.exit_code);
	json_kv_uint(w, "cpu_ns", r->rec.cpu_ns);
	json_kv_uint(w, "run_delay_ns", r->rec.run_delay_ns);
	json_kv_uint(w, "blocked_ns_total", ts_recent_blocked_ns(r));
	if (r->start_routine)
		json_kv_string(w, "start_routine", r->start_routine);
	if (r->rec.start_routine)
		json_kv_hex(w, "start_routine_addr", r->rec.start_routine);
	json_key(w, "reported_blocked_ns");
	json_object_begin(w);
	for (c = 0; c < TS_WAIT_NCLASS; c++)
		json_kv_uint(w, cls_names[c], tot->blocked_ns[c]);
	json_object_end(w);
	if (tot->top_ns) {
		json_key(w, "longest_wait");
		json_object_begin(w);
		json_kv_string(w, "class", tot->top_cls < TS_WAIT_NCLASS ?
			       cls_names[tot->top_cls] : "other");
		json_kv_uint(w, "dur_ns", tot->top_ns);
		json_kv_int(w, "syscall_nr", tot->top_syscall);
		json_kv_hex(w, "object", tot->top_obj);
		json_object_end(w);
	}
	json_object_end(w);
}
