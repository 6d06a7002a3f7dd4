# cmocka unit tests: tests/unit/test_<name>.c becomes $(BUILD)/tests/test_<name>.
# The module under test declares what the test links, in its own build.mk:
#   UNIT_test_<name>_OBJS := <objects>    UNIT_test_<name>_LIBS := <-l flags>
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(notdir $(UNIT_SRCS:.c=))
UNIT_TESTS += $(UNIT_NAMES:%=$(BUILD)/tests/%)
BINS       += $(UNIT_NAMES:%=$(BUILD)/tests/%)

UNIT_test_json_OBJS := $(COMMON_OBJS)

.SECONDEXPANSION:
$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $$(UNIT_test_$$*_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) -lcmocka $(UNIT_test_$*_LIBS)
