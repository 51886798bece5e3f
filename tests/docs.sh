#!/bin/sh
# Documentation checks: the man page renders without warnings and lists every parameter and
# meter field, and README.md's parameter table and chain diagram are exactly what the
# parameter table and the stage descriptors generate (tools/update-readme.sh fixes drift),
# the exit codes the man page documents are the ones the program returns, and what the docs
# say about presets, meters and options holds.
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

# EXIT STATUS: the codes the man page documents, and what the program returns for each case
# it names (3, the server going away, is run by the jack-server-gone test).
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export CHANSTRIP_PRESET_HOME="$t/presets"
codes=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH EXAMPLES/p' "$man" | grep -A1 '^\.TP' |
	sed -n 's/^\.B \([0-9]\)$/\1/p' | tr '\n' ' ')
[ "$codes" = "0 1 2 3 " ] && ok "EXIT STATUS documents 0 1 2 3" ||
	bad "EXIT STATUS documents '$codes'"
grep -q 'wait_exit "$CS_PID" 3' "$src/tests/jack/test-server-gone.sh" &&
	ok "exit status 3 is checked by jack-server-gone" || bad "nothing checks exit status 3"
in="$src/tests/fixtures/speech.wav"
printf 'comp.ratio 300\n' >"$t/bad.preset"
exits() { # CODE WHAT ARGS...: chanstrip ARGS exits CODE
	want=$1 what=$2
	shift 2
	timeout 20 "$cs" "$@" >/dev/null 2>&1
	got=$?
	[ "$got" = "$want" ] && ok "exit $want: $what" || bad "exit $got, documented $want: $what"
}
exits 0 "success (--help)" --help
exits 0 "success (offline)" --offline "$in" "$t/out.wav" --preset podcast
exits 1 "unreadable input" --offline "$t/none.wav" "$t/out.wav"
exits 1 "unwritable output" --offline "$in" "$t/no/such/dir/out.wav"
exits 1 "no JACK server" --server "chanstrip-docs-none-$$" --osc-port 0
exits 2 "unknown option" --frobnicate
exits 2 "bad value" --offline "$in" "$t/out.wav" --set comp.ratio=300
exits 2 "malformed preset" --offline "$in" "$t/out.wav" --preset "$t/bad.preset"
exits 2 "--set for a strip the file lacks" --offline "$in" "$t/out.wav" --set 3:comp.ratio=2
exits 2 "--set for a strip past --channels" -c 2 --set 3:comp.ratio=2
exits 2 "an option for another mode" --offline "$in" "$t/out.wav" --meter-view
exits 2 "an option for another mode" --meters "$t/m.csv"
exits 2 "a pattern that is not a regular expression" --connect 'x['

# What the docs say about the program, checked against it.
grep -A3 'with a vocal preset' "$man" | grep -q 'preset vocal' &&
	ok "the man page's vocal example uses a vocal preset" ||
	bad "the man page's vocal example does not use a vocal preset"
for f in "$src"/presets/*.preset; do
	said=$(grep '^#' "$f" | grep -o '[0-9.]*:1 \(RMS \)\?compress' | cut -d: -f1)
	set=$(sed -n 's/^comp\.ratio //p' "$f")
	[ -z "$said" ] || [ "$said" = "$set" ] && continue
	bad "$(basename "$f") says $said:1 and sets comp.ratio $set"
done
ok "preset headers' compression ratios are the ones they set"
cal=$("$cs" --list-params --format tsv | awk -F'\t' '$1 == "meter.cal" { print $5 }')
dbu=$((cal - 150))
grep -q "Silence reads \\\\-150 dBFS.*\\\\-${dbu#-} dBu" "$man" &&
	ok "the man page's silence reading is -150 dBFS = $dbu dBu at meter.cal $cal" ||
	bad "the man page does not say silence reads -150 dBFS = $dbu dBu"
grep -A1 '^\.B gate\.release$' "$man" | grep -q 'time constant' &&
	ok "gate.release is a time constant" ||
	bad "gate.release is not described as a time constant"
grep -q 'host name' "$man" && ok "--osc-bind documents host names" ||
	bad "--osc-bind does not say it takes host names"

echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
