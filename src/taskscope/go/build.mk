# The Go runtime reader (src/taskscope/go/README.md): its BPF program's
# light skeleton (the kernel relocates it, as for the snapshot iterator).
$(BUILD)/gen/goroutines_lskel.h: $(BUILD)/bpf/goroutines.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton -L $< name goroutines_lskel > $@.tmp
	mv $@.tmp $@
$(call obj,src/taskscope/go/go_collect.c): | $(BUILD)/gen/goroutines_lskel.h

# Pure parts unit-tested without BPF: the frame-pointer walk.
UNIT_test_go_fpwalk_OBJS := $(call obj,src/taskscope/go/go_build.c \
	src/taskscope/go/go_waits.c src/taskscope/go/go_collect.c \
	src/taskscope/go/go_symbolize.c src/taskscope/go/go_binary.c) \
	$(TV_TEST_DEPS)
UNIT_test_go_fpwalk_LIBS := -lbpf $(TV_LIBS)
