# Test targets: small programs whose threads block in known ways, observed by
# the taskscope integration tests and benchmarks. Each tests/targets/<n>.c is
# built twice: $(BUILD)/targets/<n> without frame pointers (like Debian's
# libc) and $(BUILD)/targets/<n>-fp with them, so tests can show stacks are
# right either way.
TARGET_SRCS  := $(wildcard tests/targets/*.c)
TARGET_NAMES := $(notdir $(TARGET_SRCS:.c=))
TEST_TARGETS += $(TARGET_NAMES:%=$(BUILD)/targets/%) $(TARGET_NAMES:%=$(BUILD)/targets/%-fp)

# -O1 keeps each named function a real frame (noinline in the sources) while
# still omitting frame pointers.
TARGET_CFLAGS := -O1 -g -Wall -Wextra -Werror -std=gnu11 -pthread -D_GNU_SOURCE -Iinclude -Isrc

$(BUILD)/targets/%: tests/targets/%.c
	@mkdir -p $(@D)
	$(CC) $(TARGET_CFLAGS) -fomit-frame-pointer -o $@ $< -pthread

$(BUILD)/targets/%-fp: tests/targets/%.c
	@mkdir -p $(@D)
	$(CC) $(TARGET_CFLAGS) -fno-omit-frame-pointer -o $@ $< -pthread

include tests/targets/go.mk
