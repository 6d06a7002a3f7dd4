/* libFuzzer target: what `taskscope watch` does with each ring-buffer
 * record in user space: decoding (watch_event.c), resolving (watch_resolve.c:
 * unwinding the stack tail a wait record carries with the real libdw
 * unwinder, on this process's own modules; symbolizing start routines and
 * ips; classifying the wait; the thread table), printing as text and as
 * JSON Lines, and the end-of-watch summary. Stack bytes, names and futex
 * words come from the watched process: every byte is hostile input.
 *
 * Input: a stream of records, each [u16 length][that many bytes], as the
 * ring buffer would deliver them (the length is the ring buffer's, the
 * record's own size field may disagree: a record from another build).
 *
 * Checked: a record decodes (then its names are NUL-terminated and a stack
 * tail lies inside the record) or is refused with -EPROTO/-EINVAL; each
 * JSON line and the JSON summary parse (jansson). */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz_util.h"
#include "taskscope/watch/watch_event.h"
#include "taskscope/watch/watch_format.h"
#include "taskscope/watch/watch_resolve.h"
#include "taskscope/watch/watch_summary.h"

static struct wthreads threads;
static struct watch_resolver *resolver;
static FILE *devnull;   /* text output: formatted, then dropped */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	resolver = watch_resolver_new(getpid(), 0, &threads);
	devnull = fopen("/dev/null", "w");
	if (!resolver || !devnull) {
		perror("fuzz_watch_event: watch_resolver_new");
		exit(1);
	}
	return 0;
}

/* Integers past INT64_MAX are valid JSON (u64 fields); jansson takes
 * them only as reals. */
static void check_json(const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *doc = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &jerr);

	if (!doc)
		fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", jerr.text,
			jerr.position, (int)len, buf);
	FZ_ASSERT(doc != NULL);
	json_decref(doc);
}

static void check_decoded(const struct wev *ev, const uint8_t *rec, size_t len)
{
	FZ_ASSERT(memchr(ev->name, '\0', sizeof(ev->name)) != NULL);
	if (ev->type == TS_WEV_RENAME)
		FZ_ASSERT(memchr(ev->rename.new_name, '\0', WEV_NAME_LEN));
	if ((ev->type == TS_WEV_WAIT || ev->type == TS_WEV_STUCK) &&
	    ev->wait.stack) {
		FZ_ASSERT(ev->wait.stack >= rec &&
			  ev->wait.stack + ev->wait.win->len <= rec + len);
		FZ_ASSERT(ev->wait.win->len <= TS_STACK_MAX);
	}
}

/* Prints v both ways; the JSON line must parse. */
static void print(const struct wev_view *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	FZ_ASSERT(f != NULL);
	watch_print_text(devnull, v);
	watch_print_json(f, v);
	FZ_ASSERT(fclose(f) == 0);
	check_json(buf, len);
	free(buf);
}

static void summarize(uint64_t events, uint64_t bad)
{
	struct watch_summary s = {
		.pid = getpid(), .start_ns = 1, .end_ns = 2000000000ull,
		.end_reason = "duration", .events = events,
		.bad_records = bad, .threads = &threads,
		.text_max_threads = 20,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	FZ_ASSERT(f != NULL);
	watch_summary_text(devnull, &s);
	watch_summary_json(f, &s);
	FZ_ASSERT(fclose(f) == 0);
	check_json(buf, len);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	uint64_t events = 0, bad = 0;

	while (in.n > 0) {
		size_t want = fz_u16(&in), len;
		const uint8_t *p = fz_take(&in, want, &len);
		uint8_t *rec = malloc(len ? len : 1);   /* 8-byte aligned, as
							 * ring-buffer records */
		struct wev_view v;
		struct wev ev;
		int rc;

		FZ_ASSERT(rec != NULL);
		memcpy(rec, p, len);
		rc = wev_decode(rec, len, &ev);
		FZ_ASSERT(rc == 0 || rc == -EPROTO || rc == -EINVAL);
		FZ_SAY("watch_event: %zu bytes: rc %d type %s\n", len, rc,
		       rc ? "-" : wev_type_name(ev.type));
		if (rc == 0) {
			events++;
			check_decoded(&ev, rec, len);
			watch_resolve(resolver, &ev, &v);
			print(&v);
		} else {
			bad++;
		}
		free(rec);
	}
	summarize(events, bad);
	wthreads_free(&threads);
	return 0;
}
