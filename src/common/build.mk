# Code every program links: logging, the JSON writer, fd helpers (io.h),
# the atomic file writer.
COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_OBJS := $(call obj,$(COMMON_SRCS))
