#!/usr/bin/env bash
# The backend interface's unit tests (tests/unit/test_uploadd_store.c)
# against both backends: the local directory (twice: small files as
# segment records, and every file its own) and a real single-node Ceph
# cluster (mon + memstore OSD) started here. The RADOS group must run, not
# skip.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/ceph.sh"
bin=$TS_BUILD/tests/test_uploadd_store
[ -x "$bin" ] || fail "$bin is not built"
start_ceph
UPLOADD_TEST_CEPH_CONF=$CEPH_CONF UPLOADD_TEST_CEPH_POOL=$CEPH_POOL "$bin" >"$TEST_TMP/out" 2>&1 ||
	{ cat "$TEST_TMP/out"; fail "the backend tests failed"; }
cat "$TEST_TMP/out"
! grep -q SKIP "$TEST_TMP/out" || fail "a backend group was skipped"
[ "$(grep -c '^\[  PASSED  \] 5 test(s)' "$TEST_TMP/out")" = 3 ] || fail "expected the three groups to pass 5 tests"
[ -z "$(ceph_objects)" ] || fail "the tests left objects in the pool: $(ceph_objects | head -3)"
