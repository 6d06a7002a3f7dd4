# The cross-process resolver (src/taskscope/xproc/README.md), included by
# src/taskscope/build.mk: its light skeleton, and the unit test of its
# pure modules (records to tables, matching, ranking, threads) linked
# without libbpf.
$(BUILD)/gen/xproc_lskel.h: $(BUILD)/bpf/xproc.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton -L $< name xproc_lskel > $@.tmp
	mv $@.tmp $@
$(call obj,src/taskscope/xproc/xproc_collect.c): | $(BUILD)/gen/xproc_lskel.h

TS_XPROC_PURE_OBJS := $(call tsobj,xproc/xproc_table xproc/xproc_match \
	xproc/xproc_threads) $(TV_TEST_DEPS)
UNIT_test_ts_xproc_OBJS := $(TS_XPROC_PURE_OBJS)
UNIT_test_ts_xproc_LIBS := $(TV_LIBS)
