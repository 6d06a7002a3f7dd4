# Top-level build for uploadd, taskscope, their BPF programs and tests.
#
# Everything is built out of tree under $(BUILD). Each module keeps its own
# fragment (src/*/build.mk, bpf/build.mk, tests/*/build.mk, tools/build.mk)
# that appends to the lists below; this file holds only the shared rules and
# the user-facing targets. `make check-sanitize` reruns the whole test suite
# with ASan+UBSan in build/sanitize.

.DELETE_ON_ERROR:
.SUFFIXES:
# Objects built through pattern chains are kept, not deleted as intermediates.
.SECONDARY:
.DEFAULT_GOAL := all
SHELL := /bin/bash

SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/sanitize
else ifeq ($(SANITIZE),thread)
BUILD ?= build/tsan
else
BUILD ?= build
endif

CC      := gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PREFIX  ?= /usr/local

OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Werror
CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/gen
CFLAGS   := $(OPT) $(WARN) -std=gnu11 -pthread -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS  := -pthread $(EXTRA_LDFLAGS)

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),thread)
CFLAGS  += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

# Lists the fragments append to.
BINS         :=
UNIT_TESTS   :=
TEST_TARGETS :=
GEN_HEADERS  :=

# obj path for a source file: build/obj/src/x/y.o
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

include src/common/build.mk
include src/threadview/build.mk
include $(wildcard bpf/build.mk)
include $(wildcard src/uploadd/build.mk)
include $(wildcard src/taskscope/build.mk)
include $(wildcard tests/unit/build.mk)
include $(wildcard tests/targets/build.mk)
include $(wildcard tools/build.mk)
include $(wildcard tests/fuzz/build.mk)
include $(wildcard tools/dist/install.mk)

.PHONY: all setup test test-unit test-integration check-sanitize check-tsan \
        chaos demo clean

all: $(BINS) $(TEST_TARGETS)

# Version from one source: git describe when available, else the VERSION file.
$(BUILD)/gen/version.h: FORCE
	@mkdir -p $(@D)
	@v=$$(git describe --tags --always --dirty 2>/dev/null || cat VERSION); \
	 line="#define TS_VERSION \"$$v\""; \
	 [ -f $@ ] && [ "$$(cat $@)" = "$$line" ] || echo "$$line" > $@
GEN_HEADERS += $(BUILD)/gen/version.h

# Phony: with .SECONDARY above, a plain missing FORCE file counts as
# up to date and the rules that use it (version.h) would never rerun.
.PHONY: FORCE
FORCE:

# GEN_HEADERS is complete here: prerequisites are expanded when a rule is read.
$(BUILD)/obj/%.o: %.c | $(GEN_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<


# Installs missing Debian packages (when root) and mounts tracefs; a no-op
# when everything is already there.
setup:
	@tools/setup.sh

test: setup all
	@tools/run-tests.sh $(BUILD) $(UNIT_TESTS)

test-unit: all
	@TS_ONLY_UNIT=1 tools/run-tests.sh $(BUILD) $(UNIT_TESTS)

test-integration: setup all
	@TS_ONLY_INTEGRATION=1 tools/run-tests.sh $(BUILD)

check-sanitize: setup
	$(MAKE) SANITIZE=1 BUILD=build/sanitize test

# ThreadSanitizer over uploadd's pipeline (chunk queues, hash and writer
# threads, draining shutdown): uploadd built with -fsanitize=thread in
# build/tsan, then the integration tests that drive it concurrently; the
# first race report stops uploadd and fails its test.
TSAN_TESTS := uploadd_concurrent uploadd_conflict uploadd_sigterm \
              uploadd_redis_down uploadd_small_durable uploadd_segments \
              chaos_uploadd
check-tsan: setup
	$(MAKE) SANITIZE=thread BUILD=build/tsan build/tsan/uploadd
	@rc=0; for t in $(TSAN_TESTS); do \
		TSAN_OPTIONS="halt_on_error=1 $$TSAN_OPTIONS" TS_ONLY_INTEGRATION=1 \
		TS_TEST_FILTER=$$t tools/run-tests.sh build/tsan || rc=1; \
	done; exit $$rc

# The uploadd chaos test at full length (CHAOS_SECONDS, default 60); the
# short version runs in `make test`.
chaos: setup all
	@CHAOS_SECONDS=$${CHAOS_SECONDS:-60} TS_ONLY_INTEGRATION=1 \
		TS_TEST_FILTER=chaos_uploadd tools/run-tests.sh $(BUILD)

demo: setup all
	@tools/demo.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
