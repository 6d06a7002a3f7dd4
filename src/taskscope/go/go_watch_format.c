/* Text and JSON lines of goroutine events (see go_watch.h):
 *
 *   0.845383 gocreate goroutine 57 main.checksumWorker by goroutine 12 at main.go:160
 *   0.846591 goexit   goroutine 57 main.checksumWorker lived 1.2ms
 *   1.204410 gowait   goroutine 12 312ms on chan receive, woken by goroutine 57
 */
#include "taskscope/go/go_watch.h"

#include <inttypes.h>
#include <string.h>

#include "common/json.h"
#include "threadview/describe.h"

static const char *base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

void ts_go_event_text(FILE *f, const struct ts_go_event *ev, uint64_t t0_ns)
{
	double t = ev->ts_ns >= t0_ns ? (ev->ts_ns - t0_ns) / 1e9 : 0;
	const char *fn = ev->start_function ? ev->start_function : "?";
	char d[32];

	switch (ev->type) {
	case TS_GEV_CREATE:
		fprintf(f, "%.6f gocreate goroutine %" PRId64 " %s", t, ev->goid, fn);
		if (ev->other_goid)
			fprintf(f, " by goroutine %" PRId64, ev->other_goid);
		if (ev->go_stmt.file)
			fprintf(f, " at %s:%d", base(ev->go_stmt.file),
				ev->go_stmt.line);
		fputc('\n', f);
		break;
	case TS_GEV_EXIT:
		fprintf(f, "%.6f goexit   goroutine %" PRId64 " %s", t, ev->goid, fn);
		if (ev->lifetime_ns >= 0)
			fprintf(f, " lived %s", ts_format_duration(ev->lifetime_ns,
								   d, sizeof(d)));
		else
			fprintf(f, " (created before watch began)");
		fputc('\n', f);
		break;
	case TS_GEV_WAIT:
		fprintf(f, "%.6f gowait   goroutine %" PRId64 " %s on %s", t,
			ev->goid, ts_format_duration(ev->dur_ns, d, sizeof(d)),
			ev->reason && ev->reason[0] ? ev->reason : "?");
		if (ev->other_goid)
			fprintf(f, ", woken by goroutine %" PRId64, ev->other_goid);
		fputc('\n', f);
		break;
	default:
		break;
	}
}

static void json_goframe(struct json_writer *w, const char *key,
			 const struct ts_goframe *fr)
{
	json_key(w, key);
	if (!fr->function) {
		json_null(w);
		return;
	}
	json_object_begin(w);
	json_kv_string(w, "function", fr->function);
	json_key(w, "file");
	fr->file ? json_string(w, fr->file) : json_null(w);
	json_key(w, "line");
	fr->line ? json_int(w, fr->line) : json_null(w);
	json_object_end(w);
}

void ts_go_event_json(FILE *f, const struct ts_go_event *ev, uint64_t t0_ns)
{
	static const char *const names[] = {
		[TS_GEV_CREATE] = "gocreate", [TS_GEV_EXIT] = "goexit",
		[TS_GEV_WAIT] = "gowait",
	};
	struct json_writer w;

	if (ev->type <= 0 || ev->type >= TS_GEV_TYPE_MAX)
		return;
	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "type", names[ev->type]);
	json_kv_uint(&w, "ts_ns", ev->ts_ns);
	json_kv_double(&w, "t", ev->ts_ns >= t0_ns ? (ev->ts_ns - t0_ns) / 1e9 : 0);
	json_kv_int(&w, "tid", ev->tid);
	json_kv_int(&w, "goid", ev->goid);
	json_key(&w, "start_function");
	ev->start_function ? json_string(&w, ev->start_function) : json_null(&w);
	switch (ev->type) {
	case TS_GEV_CREATE:
		json_key(&w, "parent_goid");
		ev->other_goid ? json_int(&w, ev->other_goid) : json_null(&w);
		json_goframe(&w, "go_statement", &ev->go_stmt);
		break;
	case TS_GEV_EXIT:
		json_key(&w, "lifetime_ns");
		ev->lifetime_ns >= 0 ? json_int(&w, ev->lifetime_ns) : json_null(&w);
		json_goframe(&w, "go_statement", &ev->go_stmt);
		break;
	case TS_GEV_WAIT:
		json_kv_uint(&w, "dur_ns", ev->dur_ns);
		json_key(&w, "wait_reason");
		ev->reason ? json_string(&w, ev->reason) : json_null(&w);
		json_key(&w, "woken_by_goid");
		ev->other_goid ? json_int(&w, ev->other_goid) : json_null(&w);
		break;
	default:
		break;
	}
	json_object_end(&w);
	json_end_document(&w);
}

void ts_go_summary(FILE *f, const struct ts_go_watch_stats *st, bool json)
{
	struct json_writer w;

	if (!json) {
		fprintf(f, "goroutines: %" PRIu64 " created, %" PRIu64 " exited, "
			"%" PRIu64 " waits reported, %" PRIu64 " events lost",
			st->created, st->exited, st->waits, st->lost);
		if (st->have_cost && st->run_cnt)
			fprintf(f, "; probes %" PRIu64 " runs, %.0f ns each",
				st->run_cnt, (double)st->run_ns / st->run_cnt);
		fputc('\n', f);
		return;
	}
	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "type", "gosummary");
	json_kv_uint(&w, "created", st->created);
	json_kv_uint(&w, "exited", st->exited);
	json_kv_uint(&w, "waits", st->waits);
	json_kv_uint(&w, "parks", st->parks);
	json_kv_uint(&w, "lost", st->lost);
	json_kv_int(&w, "probes", st->probes);
	json_key(&w, "probe_runs");
	st->have_cost ? json_uint(&w, st->run_cnt) : json_null(&w);
	json_key(&w, "probe_ns");
	st->have_cost ? json_uint(&w, st->run_ns) : json_null(&w);
	json_object_end(&w);
	json_end_document(&w);
}
