# uploadd (src/uploadd/README.md): the upload server, its folders along the
# path of one upload (http/, pipeline/, store/, debug/), and the unit tests
# of its pure modules. /debug/threads links the thread-view library.
UPLOADD_SRCS := $(wildcard src/uploadd/*.c src/uploadd/*/*.c)
UPLOADD_OBJS := $(call obj,$(UPLOADD_SRCS))
UPLOADD_LIBS := -lmicrohttpd -lhiredis -lcrypto -lrados $(TV_LIBS)

BINS += $(BUILD)/uploadd

$(BUILD)/uploadd: $(UPLOADD_OBJS) $(TV_LIB) $(COMMON_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(LDFLAGS) $(UPLOADD_LIBS)

# Unit tests (tests/unit/test_uploadd_*.c) link only the modules they test.
uobj = $(call obj,$(patsubst %,src/uploadd/%.c,$(1)))
UNIT_test_uploadd_validate_OBJS  := $(call uobj,http/validate)
UNIT_test_uploadd_multipart_OBJS := $(call uobj,http/multipart http/validate)
UNIT_test_uploadd_formdata_OBJS  := $(call uobj,http/formdata)
UNIT_test_uploadd_chunkq_OBJS    := $(call uobj,pipeline/chunkq pipeline/sparepool)
UNIT_test_uploadd_range_OBJS     := $(call uobj,http/range)
UNIT_test_uploadd_routes_OBJS    := $(call uobj,http/routes http/validate)
UNIT_test_uploadd_config_OBJS    := $(call uobj,config) $(COMMON_OBJS)
UNIT_test_uploadd_meta_OBJS      := $(call uobj,store/meta store/storage \
                                    http/access_log http/routes http/validate \
                                    debug/metrics http/auth) $(COMMON_OBJS)
UNIT_test_uploadd_meta_LIBS      := -lcrypto
UNIT_test_uploadd_storage_OBJS   := $(call uobj,store/storage)
UNIT_test_uploadd_storage_LIBS   := -lcrypto
UNIT_test_uploadd_stackpool_OBJS := $(call uobj,pipeline/stackpool pipeline/sparepool)
# /debug/threads: the /proc parsers, the signal capture on the test's own
# threads (real libdw symbolizer), and its JSON beside taskscope's.
UNIT_test_views_proc_OBJS    := $(call uobj,debug/threaddump_proc) $(TV_LIB)
UNIT_test_views_capture_OBJS := $(call uobj,debug/threaddump_capture) $(TV_TEST_DEPS)
UNIT_test_views_capture_LIBS := $(TV_LIBS)
UNIT_test_views_out_OBJS     := $(TV_TEST_DEPS)
UNIT_test_views_out_LIBS     := -ljansson $(TV_LIBS)
# The backend interface against both backends (RADOS when a cluster is
# named in the environment: tests/integration/uploadd_store_backends.sh).
UNIT_test_uploadd_store_OBJS := $(call uobj,store/backend store/local \
                                store/rados store/storage store/segstore \
                                store/groupcommit) $(COMMON_OBJS)
UNIT_test_uploadd_store_LIBS := -lcrypto -lrados -lz
# The small-object store and its group commit (segstore.h, groupcommit.h).
UNIT_test_uploadd_groupcommit_OBJS := $(call uobj,store/groupcommit)
UNIT_test_uploadd_segstore_OBJS := $(call uobj,store/segstore \
                                   store/groupcommit) $(COMMON_OBJS)
UNIT_test_uploadd_segstore_LIBS := -lz
