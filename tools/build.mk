# Benchmark tools (tools/bench/): the upload load generator `loadgen`, the
# reference server `sink` and the file-system reference `durable_floor`,
# built into $(BUILD)/bench/. Their headers are
# included as "bench/x.h", so their objects (and their unit tests) get
# -Itools.
# Sizes are parsed as uploadd parses them (config_parse_size).
BENCH_LOADGEN_SRCS := tools/bench/loadgen.c tools/bench/lg_run.c \
                      tools/bench/lg_body.c tools/bench/lg_stats.c \
                      tools/bench/httphead.c src/uploadd/config.c
BENCH_SINK_SRCS    := tools/bench/sink.c tools/bench/httphead.c
BENCH_FLOOR_SRCS   := tools/bench/durable_floor.c tools/bench/lg_stats.c \
                      src/uploadd/config.c src/uploadd/store/groupcommit.c
BENCH_OBJS := $(call obj,$(filter tools/%,$(sort $(BENCH_LOADGEN_SRCS) \
                                $(BENCH_SINK_SRCS) $(BENCH_FLOOR_SRCS))))

BINS += $(BUILD)/bench/loadgen $(BUILD)/bench/sink $(BUILD)/bench/durable_floor

$(BENCH_OBJS) $(call obj,tests/unit/test_bench_httphead.c tests/unit/test_bench_loadgen.c): \
	CPPFLAGS += -Itools

$(BUILD)/bench/loadgen: $(call obj,$(BENCH_LOADGEN_SRCS)) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(BUILD)/bench/sink: $(call obj,$(BENCH_SINK_SRCS)) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS)

$(BUILD)/bench/durable_floor: $(call obj,$(BENCH_FLOOR_SRCS)) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lm

UNIT_test_bench_httphead_OBJS := $(call obj,tools/bench/httphead.c)
UNIT_test_bench_loadgen_OBJS  := $(call obj,tools/bench/lg_body.c tools/bench/lg_stats.c \
                                            tools/bench/httphead.c)
UNIT_test_bench_loadgen_LIBS  := -lm

# The cross-process resolver's benchmark (tools/bench/xproc_bench.sh): its
# kernel pass alone (xproc_pass, with libbpf) and the lsof-style /proc walk
# it is measured against (procwalk).
BENCH_XPASS_OBJS := $(call obj,tools/bench/xproc_pass.c \
	src/taskscope/xproc/xproc_collect.c src/taskscope/xproc/xproc_table.c)
BINS += $(BUILD)/bench/xproc_pass $(BUILD)/bench/procwalk
$(call obj,tools/bench/xproc_pass.c): | $(BUILD)/gen/xproc_lskel.h

$(BUILD)/bench/xproc_pass: $(BENCH_XPASS_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lbpf -lelf -lz

$(BUILD)/bench/procwalk: $(call obj,tools/bench/procwalk.c)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS)

include tools/kernels/kernels.mk
