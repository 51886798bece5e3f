#!/bin/sh
# update-readme.sh [CHANSTRIP [STAGES]]: regenerate README.md's parameter table from the
# parameter table and its chain diagram from the stage descriptors (tests/docs.sh fails when
# they drift). STAGES is the build's man/chanstrip-stages.
set -e
cs=${1:-build/src/chanstrip}
stages=${2:-$(dirname "$cs")/../man/chanstrip-stages}
cd "$(dirname "$0")/.."
tmp=$(mktemp)
tmpc=$(mktemp)
"$cs" --list-params --format markdown >"$tmp"
"$stages" chain-markdown >"$tmpc"
python3 - "$tmp" "$tmpc" <<'PY'
import re, sys
table = open(sys.argv[1]).read()
chain = open(sys.argv[2]).read()
readme = open("README.md").read()
for name, body in (("params", table), ("chain", chain)):
    readme = re.sub(r"(<!-- %s:begin -->\n).*?(<!-- %s:end -->)" % (name, name),
                    lambda m: m.group(1) + body + m.group(2), readme, flags=re.S)
open("README.md", "w").write(readme)
PY
rm -f "$tmp" "$tmpc"
