#!/usr/bin/env bash
# Replaces one benchmark's section of docs/BENCHMARKS.md with the markdown on
# stdin, so each benchmark owns its own part of the file. The section sits
# between "<!-- bench:NAME -->" and "<!-- /bench:NAME -->"; it is appended if
# missing. The file is replaced atomically (write to temp, rename).
#   usage: some-bench | tools/bench/update-section.sh NAME
set -euo pipefail
name=${1:?usage: update-section.sh NAME < section.md}
root=$(cd "$(dirname "$0")/../.." && pwd)
doc="$root/docs/BENCHMARKS.md"
body=$(cat)
mkdir -p "$(dirname "$doc")"
[ -f "$doc" ] || printf '# Benchmarks\n\nEvery table below is written by the command shown with it; numbers are medians of repeated runs on the machine described.\n' > "$doc"
tmp=$(mktemp "$doc.XXXXXX")
BODY="$body" NAME="$name" python3 - "$doc" > "$tmp" <<'PY'
import os, sys
doc = open(sys.argv[1]).read()
name, body = os.environ["NAME"], os.environ["BODY"].rstrip("\n")
begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
block = f"{begin}\n{body}\n{end}"
if begin in doc and end in doc:
    pre, rest = doc.split(begin, 1)
    _, post = rest.split(end, 1)
    doc = pre + block + post
else:
    doc = doc.rstrip("\n") + "\n\n" + block + "\n"
sys.stdout.write(doc)
PY
mv "$tmp" "$doc"
