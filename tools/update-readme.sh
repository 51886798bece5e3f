#!/bin/sh
# update-readme.sh CHANSTRIP: regenerate README.md's parameter table from the parameter table
# (tests/docs.sh fails when they drift).
set -e
cs=${1:-build/src/chanstrip}
cd "$(dirname "$0")/.."
tmp=$(mktemp)
"$cs" --list-params --format markdown >"$tmp"
python3 - "$tmp" <<'PY'
import re, sys
table = open(sys.argv[1]).read()
readme = open("README.md").read()
new = re.sub(r"(<!-- params:begin -->\n).*?(<!-- params:end -->)",
             lambda m: m.group(1) + table + m.group(2), readme, flags=re.S)
open("README.md", "w").write(new)
PY
rm -f "$tmp"
