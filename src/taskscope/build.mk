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

# The snapshot iterator's light skeleton: the kernel relocates and resolves
# it (src/taskscope/snapshot/snapshot_collect.c says why).
$(BUILD)/gen/snapshot_lskel.h: $(BUILD)/bpf/snapshot.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton -L $< name snapshot_lskel > $@.tmp
	mv $@.tmp $@
$(call obj,src/taskscope/snapshot/snapshot_collect.c): | $(BUILD)/gen/snapshot_lskel.h

# Unit tests of taskscope's pure modules link them with the library.
tsobj = $(call obj,$(patsubst %,src/taskscope/%.c,$(1)))
UNIT_test_ts_decode_OBJS := $(call tsobj,snapshot/snapshot_decode) $(TV_TEST_DEPS)
UNIT_test_ts_decode_LIBS := $(TV_LIBS)

include src/taskscope/watch/build.mk
include src/taskscope/go/build.mk
include src/taskscope/xproc/build.mk
