#!/bin/sh
# Offline regression: every case in cases.tsv against its golden output. The DSP itself is
# tested against closed forms in the unit tests; this pins down the whole program's output
# so an unintended change anywhere shows. Tolerance: 3e-5 (-90 dBFS) absolute per sample,
# covering the goldens' 24-bit storage (6e-8) and cross-CPU float differences (SIMD variants
# and libm builds), far below anything audible.
# usage: regress.sh CHANSTRIP WAVTOOL SOURCE_ROOT
set -u
cs=$1 wt=$2 src=$3
tol=3e-5
in="$src/tests/fixtures/regress-in.wav"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
while IFS='	' read -r name args; do
	case "$name" in '#'* | '') continue ;; esac
	golden="$src/tests/regress/golden/$name.flac"
	if [ ! -f "$golden" ]; then
		echo "not ok - $name: no golden (run tools/update-golden.sh)"
		fail=$((fail + 1))
		continue
	fi
	# shellcheck disable=SC2086 # args are words by design
	if "$cs" --offline "$in" "$t/$name.wav" $args 2>"$t/err" &&
		res=$("$wt" cmp "$golden" "$t/$name.wav" $tol); then
		echo "ok - $name: $res"
		pass=$((pass + 1))
	else
		echo "not ok - $name: ${res:-} $(cat "$t/err")"
		fail=$((fail + 1))
	fi
done <"$src/tests/regress/cases.tsv"
echo "regress: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
