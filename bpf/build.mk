# BPF programs: bpf/<name>.bpf.c -> $(BUILD)/bpf/<name>.bpf.o -> the skeleton
# $(BUILD)/gen/<name>.skel.h that user space includes. vmlinux.h comes from
# the running kernel's BTF; VMLINUX_H=path overrides it (e.g. to build on a
# machine without /sys/kernel/btf/vmlinux).
BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/gen/%.skel.h,$(BPF_SRCS))
# taskscope objects wait for these (see src/taskscope/build.mk).

BTF_VMLINUX ?= /sys/kernel/btf/vmlinux
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
               -Iinclude -Ibpf -I$(BUILD)/gen

$(BUILD)/gen/vmlinux.h:
	@mkdir -p $(@D)
ifdef VMLINUX_H
	cp $(VMLINUX_H) $@
else
	@[ -r $(BTF_VMLINUX) ] || { echo "build: $(BTF_VMLINUX) is missing: this kernel has no BTF (build with VMLINUX_H=path/to/vmlinux.h)" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(BTF_VMLINUX) format c > $@
endif

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/gen/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -MMD -MP -MF $(BUILD)/bpf/$*.d -c -o $@ $<

$(BUILD)/gen/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@

-include $(wildcard $(BUILD)/bpf/*.d)

# Object variants: a source built again with other flags, for the light
# skeletons, which cannot leave a kfunc out at run time (bpf/features.bpf.h
# says why): snapshot_norcu is snapshot.bpf.c without bpf_rcu_read_lock.
BPF_VARIANT_OBJS := $(BUILD)/bpf/snapshot_norcu.bpf.o
$(BUILD)/bpf/snapshot_norcu.bpf.o: bpf/snapshot.bpf.c $(BUILD)/gen/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DTS_RCU_KFUNC=0 -MMD -MP -MF $(BUILD)/bpf/snapshot_norcu.d -c -o $@ $<
