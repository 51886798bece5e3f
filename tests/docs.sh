#!/bin/sh
# Documentation checks: the man page renders without warnings and lists every parameter and
# meter field, and README.md's parameter table and chain diagram are exactly what the
# parameter table and the stage descriptors generate (tools/update-readme.sh fixes drift).
# usage: docs.sh CHANSTRIP MANPAGE SOURCE_ROOT STAGES (the build's man/chanstrip-stages)
set -u
cs=$1 man=$2 src=$3 stages=$4
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

out=$(mandoc -Tlint -Wwarning "$man" 2>&1)
[ -z "$out" ] && ok "mandoc -Tlint clean" || bad "mandoc -Tlint: $out"
out=$(groff -ww -man -z "$man" 2>&1)
[ -z "$out" ] && ok "groff -ww clean" || bad "groff -ww: $out"
for key in $("$cs" --list-params --format tsv | tail -n +2 | cut -f1); do
	grep -q "^\.B $(echo "$key" | sed 's/-/\\\\-/g')\$" "$man" || bad "man page lacks $key"
done
ok "man page lists every parameter"
for field in $("$stages" meters); do
	grep -q "^\.B .*\b$field\b" "$man" || bad "man page lacks meter field $field"
done
ok "man page lists every meter field"

want=$("$cs" --list-params --format markdown)
have=$(sed -n '/<!-- params:begin -->/,/<!-- params:end -->/p' "$src/README.md" | sed '1d;$d')
[ "$want" = "$have" ] && ok "README parameter table matches --list-params" ||
	bad "README parameter table drifted: run tools/update-readme.sh"
want=$("$stages" chain-markdown)
have=$(sed -n '/<!-- chain:begin -->/,/<!-- chain:end -->/p' "$src/README.md" | sed '1d;$d')
[ "$want" = "$have" ] && ok "README chain diagram matches the stages" ||
	bad "README chain diagram drifted: run tools/update-readme.sh"
head -30 "$src/README.md" | grep -q '^\./scripts/test.sh' && ok "README opens with the test command" ||
	bad "README does not open with ./scripts/test.sh"

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
