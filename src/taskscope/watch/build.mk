# taskscope watch's unit tests (included by src/taskscope/build.mk): its
# pure modules with the thread-view library, linked without libbpf.
# jansson parses JSON output back.
TS_WATCH_PURE_OBJS := $(call tsobj,watch/watch_event watch/watch_format \
	watch/watch_classify watch/watch_threads watch/watch_summary \
	watch/watch_opts watch/trace_json attach/target cli) $(TV_TEST_DEPS)
UNIT_test_watch_event_OBJS  := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_event_LIBS  := $(TV_LIBS)
UNIT_test_watch_format_OBJS := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_format_LIBS := -ljansson $(TV_LIBS)
UNIT_test_watch_trace_OBJS  := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_trace_LIBS  := -ljansson $(TV_LIBS)
$(call obj,$(wildcard tests/unit/test_watch_*.c)): | $(BUILD)/gen/ts_syscall_names.h

# watch --pprof: the off-CPU profile from hand-made wait events.
UNIT_test_pprof_watch_OBJS := $(call tsobj,watch/pprof_watch) $(TS_WATCH_PURE_OBJS)
UNIT_test_pprof_watch_LIBS := $(TV_PPROF_LIBS) $(TV_LIBS)
