# libFuzzer targets: tests/fuzz/fuzz_<name>.c becomes $(BUILD)/fuzz/fuzz_<name>,
# built with clang -fsanitize=fuzzer,address,undefined together with the
# project sources it exercises (compiled again with clang and the same
# sanitizers into $(BUILD)/fuzz/obj; the gcc objects are not reused).
#
#   make fuzz                    every target for FUZZ_SECONDS (default 60)
#                                each, from its seed corpus
#                                tests/fuzz/corpus/<name>/; fails on any
#                                crash, leak, timeout or broken invariant
#   make fuzz FUZZ_ONLY="range names" FUZZ_SECONDS=10
#   make fuzz-build              build them only
#   make fuzz-seeds              rewrite the seed corpora (seedgen.c)
#
# Not part of `all`: the fuzzers need clang's libFuzzer runtime and take a
# while to build; CI runs `make fuzz` with a short FUZZ_SECONDS.
FUZZ_CC      ?= $(CLANG)
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -std=gnu11 \
                -pthread $(WARN)
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_ONLY    ?= $(FUZZ_NAMES)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)

# What each target links, besides its own file.
FUZZ_UP      := $(patsubst %,src/uploadd/http/%.c,multipart validate)
FUZZ_TS_PURE := $(patsubst %,src/threadview/%.c,classify waitgraph \
                snapshot_model describe describe_peer fdinfo syscalls \
                output_text output_json output_folded output_go recent) \
                src/taskscope/snapshot/snapshot_decode.c $(COMMON_SRCS)
FUZZ_TS_UNW  := $(patsubst %,src/threadview/%.c,unwind symbolize debuginfo elf_inflate)
FUZZ_DW_LIBS := -ldw -lelf -lz

FUZZ_multipart_SRCS       := $(FUZZ_UP)
FUZZ_upload_pp_SRCS       := $(FUZZ_UP) src/uploadd/http/formdata.c
FUZZ_names_SRCS           := $(patsubst %,src/uploadd/http/%.c,validate routes)
FUZZ_range_SRCS           := src/uploadd/http/range.c
FUZZ_snapshot_decode_SRCS := $(FUZZ_TS_PURE)
FUZZ_snapshot_decode_LIBS := -ljansson
FUZZ_classify_SRCS        := $(FUZZ_TS_PURE)
FUZZ_unwind_SRCS          := $(FUZZ_TS_UNW) $(COMMON_SRCS)
FUZZ_unwind_LIBS          := $(FUZZ_DW_LIBS)
FUZZ_watch_event_SRCS     := $(FUZZ_TS_PURE) $(FUZZ_TS_UNW) \
                             $(patsubst %,src/taskscope/watch/%.c,watch_event \
                             watch_format watch_classify watch_threads \
                             watch_summary watch_resolve)
FUZZ_watch_event_LIBS     := -ljansson $(FUZZ_DW_LIBS)
FUZZ_xproc_SRCS           := $(FUZZ_TS_PURE) \
                             $(patsubst %,src/taskscope/xproc/%.c,xproc_table \
                             xproc_match xproc_threads)
FUZZ_xproc_LIBS           := -ljansson

fobj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-check

fuzz-build: fuzz-check $(FUZZ_BINS)

fuzz: fuzz-check $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_ONLY)

# Debian's clang only recommends its libFuzzer runtime: say so, instead of
# failing at the first link.
FUZZ_RT = $(shell $(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)
fuzz-check:
	@[ -f "$(FUZZ_RT)" ] || { echo "fuzz: clang's libFuzzer runtime is \
	missing (apt-get install libclang-rt-14-dev)" >&2; exit 1; }

$(FUZZ_DIR)/seedgen: tests/fuzz/seedgen.c include/taskscope_abi.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(OPT) $(WARN) -std=gnu11 -o $@ $<

fuzz-seeds: $(FUZZ_DIR)/seedgen
	$< tests/fuzz/corpus

$(FUZZ_DIR)/obj/%.o: %.c | $(GEN_HEADERS) $(BUILD)/gen/ts_syscall_names.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
		-c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $$(call fobj,$$(FUZZ_$$*_SRCS))
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_$*_LIBS)

-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
