#!/usr/bin/env bash
# The source tree keeps the architecture its folders show: who may include
# whom (src/*/README.md), no include cycles, no folder over 25 .c files, a
# README.md in every folder. The checker's self-test first proves that each
# rule fails on a tree that breaks it. No root needed.
source "$(dirname "$0")/lib/common.sh"
require_cmd python3 "apt-get install python3"

info "the checker catches each kind of breakage"
python3 "$TS_ROOT/tools/layout/check_layout.py" --self-test || fail "layout checker self-test"

info "the tree"
python3 "$TS_ROOT/tools/layout/check_layout.py" "$TS_ROOT" || fail "layout rules broken (see above)"

info "nothing in uploadd includes taskscope; the library includes neither program"
! grep -rn '#include "taskscope/' "$TS_ROOT/src/uploadd" || fail "uploadd includes taskscope headers"
! grep -rn '#include "\(taskscope\|uploadd\)/' "$TS_ROOT/src/threadview" || fail "threadview includes a program's headers"
echo PASS
