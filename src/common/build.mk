# Code both programs link: logging and the JSON writer.
COMMON_SRCS := $(wildcard src/common/*.c)
COMMON_OBJS := $(call obj,$(COMMON_SRCS))
