# uploadd: the upload server, and the unit tests of its pure modules.
UPLOADD_SRCS := $(wildcard src/uploadd/*.c)
UPLOADD_OBJS := $(call obj,$(UPLOADD_SRCS))
# /debug/threads (threaddump*.c) links the thread-dump library
# (DUMP_OBJS, src/common/build.mk): taskscope's model, symbolizer, writers.
UPLOADD_LIBS := -lmicrohttpd -lhiredis -lcrypto $(DUMP_LIBS)

BINS += $(BUILD)/uploadd

$(BUILD)/uploadd: $(UPLOADD_OBJS) $(DUMP_OBJS) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(UPLOADD_LIBS)

# Unit tests (tests/unit/test_uploadd_*.c) link only the modules they test.
uobj = $(call obj,$(patsubst %,src/uploadd/%.c,$(1)))
UNIT_test_uploadd_validate_OBJS  := $(call uobj,validate)
UNIT_test_uploadd_multipart_OBJS := $(call uobj,multipart validate)
UNIT_test_uploadd_chunkq_OBJS    := $(call uobj,chunkq sparepool)
UNIT_test_uploadd_range_OBJS     := $(call uobj,range)
UNIT_test_uploadd_routes_OBJS    := $(call uobj,routes validate)
UNIT_test_uploadd_config_OBJS    := $(call uobj,config) $(COMMON_OBJS)
UNIT_test_uploadd_meta_OBJS      := $(call uobj,meta storage access_log routes validate metrics auth) \
                                    $(COMMON_OBJS)
UNIT_test_uploadd_meta_LIBS      := -lcrypto
UNIT_test_uploadd_storage_OBJS   := $(call uobj,storage)
UNIT_test_uploadd_storage_LIBS   := -lcrypto
UNIT_test_uploadd_stackpool_OBJS := $(call uobj,stackpool sparepool)
# /debug/threads: the /proc parsers, the signal capture on the test's own
# threads (real libdw symbolizer), and its JSON beside taskscope's.
UNIT_test_views_proc_OBJS    := $(call uobj,threaddump_proc) \
                                $(call obj,src/taskscope/snapshot_model.c)
UNIT_test_views_capture_OBJS := $(call uobj,threaddump_capture) $(DUMP_OBJS) \
                                $(COMMON_OBJS)
UNIT_test_views_capture_LIBS := $(DUMP_LIBS)
UNIT_test_views_out_OBJS     := $(DUMP_OBJS) $(COMMON_OBJS)
UNIT_test_views_out_LIBS     := -ljansson $(DUMP_LIBS)
