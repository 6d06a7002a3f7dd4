# taskscope (src/taskscope/README.md): the CLI, its commands' folders
# (attach/, snapshot/, watch/), linked with the thread-view library, libbpf
# and the BPF skeletons from bpf/.
TS_SRCS := $(wildcard src/taskscope/*.c src/taskscope/*/*.c)
TS_OBJS := $(call obj,$(TS_SRCS))
BINS    += $(BUILD)/taskscope
TS_LIBS := -lbpf $(TV_LIBS) $(TV_PPROF_LIBS)

# Every taskscope object may include a skeleton (all of bpf/*.bpf.c) or a
# generated header: build them first (order-only; the real dependencies
# come from -MMD).
$(TS_OBJS): | $(BPF_SKELS) $(BUILD)/gen/ts_syscall_names.h $(TV_PB_H)

$(BUILD)/taskscope: $(TS_OBJS) $(TV_LIB) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(TS_LIBS)

# The snapshot iterator's light skeletons, one per object variant
# (bpf/build.mk): the kernel relocates and resolves them, and the first
# that loads is used (src/taskscope/snapshot/snapshot_collect.c says why).
TS_LSKELS := $(BUILD)/gen/snapshot_lskel.h $(BUILD)/gen/snapshot_norcu_lskel.h
$(BUILD)/gen/%_lskel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton -L $< name $*_lskel > $@.tmp
	mv $@.tmp $@
$(call obj,src/taskscope/snapshot/snapshot_collect.c): | $(TS_LSKELS)

# Unit tests of taskscope's pure modules link them with the library.
tsobj = $(call obj,$(patsubst %,src/taskscope/%.c,$(1)))
UNIT_test_ts_decode_OBJS := $(call tsobj,snapshot/snapshot_decode) $(TV_TEST_DEPS)
UNIT_test_ts_decode_LIBS := $(TV_LIBS)

include src/taskscope/watch/build.mk

# The line that explains a BPF load failure and the facility table, on
# messages recorded on Linux 6.1.
UNIT_test_ts_bpf_cause_OBJS := $(call tsobj,attach/bpf_cause attach/bpf_features) \
	$(COMMON_OBJS)
UNIT_test_ts_bpf_cause_LIBS := -lbpf
include src/taskscope/go/build.mk
include src/taskscope/xproc/build.mk
