# taskscope watch's unit tests (included by src/taskscope/build.mk): the
# pure modules, linked without libbpf. jansson parses JSON output back.
TS_WATCH_PURE_OBJS := $(call obj,src/taskscope/watch_event.c \
	src/taskscope/watch_format.c src/taskscope/watch_classify.c \
	src/taskscope/watch_threads.c src/taskscope/watch_summary.c \
	src/taskscope/watch_opts.c src/taskscope/trace_json.c \
	src/taskscope/target.c) $(TS_PURE_OBJS)
UNIT_test_watch_event_OBJS := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_format_OBJS := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_format_LIBS := -ljansson
UNIT_test_watch_trace_OBJS := $(TS_WATCH_PURE_OBJS)
UNIT_test_watch_trace_LIBS := -ljansson
$(call obj,$(wildcard tests/unit/test_watch_*.c)): | $(BUILD)/gen/ts_syscall_names.h
