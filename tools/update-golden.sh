#!/bin/sh
# update-golden.sh [CHANSTRIP]: rewrite tests/regress/golden/ from the current build. Run it
# only for an intended change of sound, and say why in the commit.
set -e
cd "$(dirname "$0")/.."
cs=${1:-build/src/chanstrip}
in=tests/fixtures/regress-in.wav
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
grep -v '^#' tests/regress/cases.tsv | while IFS='	' read -r name args; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	"$cs" --offline "$in" "$t/$name.wav" $args
	sox -D "$t/$name.wav" -b 24 "tests/regress/golden/$name.flac"
	echo "golden: $name"
done
