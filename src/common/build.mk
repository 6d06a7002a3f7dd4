# Code both programs link: logging, the JSON writer, fd helpers (io.h).
COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_OBJS := $(call obj,$(COMMON_SRCS))

# The thread-dump library both programs link: taskscope's snapshot model,
# its libdw unwinder and symbolizer, and its text and JSON writers. uploadd's
# /debug/threads prints through them, so both views share one schema and
# one writer. (The sources stay in src/taskscope/, where the fuzzers and
# taskscope watch use them too.)
DUMP_SRCS := $(patsubst %,src/taskscope/%.c,snapshot_model unwind symbolize \
             debuginfo elf_inflate \
             syscalls describe fdinfo output_json output_text recorder_describe)
DUMP_OBJS := $(call obj,$(DUMP_SRCS))
DUMP_LIBS := -ldw -lelf -lz
