# taskscope: the CLI (src/taskscope/*.c) linked with libbpf and libdw, its
# BPF skeletons from bpf/, and the unit tests of its pure modules.
TS_SRCS := $(wildcard src/taskscope/*.c)
TS_OBJS := $(call obj,$(TS_SRCS))
BINS    += $(BUILD)/taskscope
TS_LIBS := -lbpf -lelf -ldw -lz

# Every taskscope object may include a skeleton (all of bpf/*.bpf.c) or a
# generated table: build them first (order-only; the real dependencies come
# from -MMD).
$(TS_OBJS): | $(BPF_SKELS) $(BUILD)/gen/ts_syscall_names.h

$(BUILD)/taskscope: $(TS_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(TS_LIBS)

# Syscall names from the installed kernel headers (linux-libc-dev).
TS_UNISTD ?= /usr/include/x86_64-linux-gnu/asm/unistd_64.h
$(BUILD)/gen/ts_syscall_names.h: $(TS_UNISTD)
	@mkdir -p $(@D)
	sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' $< > $@

# Unit tests of the pure modules (tests/unit/test_ts_*.c).
TS_PURE_OBJS := $(call obj,src/taskscope/classify.c src/taskscope/waitgraph.c \
	src/taskscope/snapshot_model.c src/taskscope/snapshot_decode.c \
	src/taskscope/describe.c src/taskscope/fdinfo.c src/taskscope/syscalls.c \
	src/taskscope/output_text.c src/taskscope/output_json.c \
	src/taskscope/output_folded.c src/taskscope/recorder_describe.c) \
	$(COMMON_OBJS)
UNIT_test_ts_classify_OBJS := $(TS_PURE_OBJS)
UNIT_test_ts_waitgraph_OBJS := $(TS_PURE_OBJS)
UNIT_test_ts_output_OBJS := $(TS_PURE_OBJS)
UNIT_test_ts_decode_OBJS := $(TS_PURE_OBJS)
UNIT_test_ts_unwind_OBJS := $(call obj,src/taskscope/unwind.c src/taskscope/symbolize.c)
UNIT_test_ts_unwind_LIBS := -ldw -lelf -lz
$(call obj,$(wildcard tests/unit/test_ts_*.c)): | $(BUILD)/gen/ts_syscall_names.h

include src/taskscope/watch.mk
