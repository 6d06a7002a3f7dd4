# Benchmark tools (tools/bench/): the upload load generator `loadgen` and
# the reference server `sink`, built into $(BUILD)/bench/. Their headers are
# included as "bench/x.h", so their objects (and their unit tests) get
# -Itools.
BENCH_LOADGEN_SRCS := tools/bench/loadgen.c tools/bench/lg_run.c \
                      tools/bench/lg_body.c tools/bench/lg_stats.c \
                      tools/bench/httphead.c
BENCH_SINK_SRCS    := tools/bench/sink.c tools/bench/httphead.c
BENCH_OBJS := $(call obj,$(sort $(BENCH_LOADGEN_SRCS) $(BENCH_SINK_SRCS)))

BINS += $(BUILD)/bench/loadgen $(BUILD)/bench/sink

$(BENCH_OBJS) $(call obj,tests/unit/test_bench_httphead.c tests/unit/test_bench_loadgen.c): \
	CPPFLAGS += -Itools

$(BUILD)/bench/loadgen: $(call obj,$(BENCH_LOADGEN_SRCS)) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lm

$(BUILD)/bench/sink: $(call obj,$(BENCH_SINK_SRCS)) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS)

UNIT_test_bench_httphead_OBJS := $(call obj,tools/bench/httphead.c)
UNIT_test_bench_loadgen_OBJS  := $(call obj,tools/bench/lg_body.c tools/bench/lg_stats.c \
                                            tools/bench/httphead.c)
UNIT_test_bench_loadgen_LIBS  := -lm
