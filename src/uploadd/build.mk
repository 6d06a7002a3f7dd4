# uploadd: the upload server, and the unit tests of its pure modules.
UPLOADD_SRCS := $(wildcard src/uploadd/*.c)
UPLOADD_OBJS := $(call obj,$(UPLOADD_SRCS))
UPLOADD_LIBS := -lmicrohttpd -lhiredis -lcrypto

BINS += $(BUILD)/uploadd

$(BUILD)/uploadd: $(UPLOADD_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(UPLOADD_LIBS)

# Unit tests (tests/unit/test_uploadd_*.c) link only the modules they test.
uobj = $(call obj,$(patsubst %,src/uploadd/%.c,$(1)))
UNIT_test_uploadd_validate_OBJS  := $(call uobj,validate)
UNIT_test_uploadd_multipart_OBJS := $(call uobj,multipart validate)
UNIT_test_uploadd_chunkq_OBJS    := $(call uobj,chunkq)
UNIT_test_uploadd_range_OBJS     := $(call uobj,range)
UNIT_test_uploadd_routes_OBJS    := $(call uobj,routes validate)
UNIT_test_uploadd_config_OBJS    := $(call uobj,config) $(COMMON_OBJS)
UNIT_test_uploadd_meta_OBJS      := $(call uobj,meta storage access_log routes validate metrics auth) \
                                    $(COMMON_OBJS)
UNIT_test_uploadd_meta_LIBS      := -lcrypto
