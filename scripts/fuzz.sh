#!/bin/sh
# fuzz.sh [SECONDS] [HARNESS...]: run the libFuzzer harnesses of tests/fuzz (osc, preset,
# nsm; default all) for SECONDS each (default 300), one after the other, under ASan+UBSan,
# in build-fuzz/ (clang; configured here). New corpus inputs are kept in
# build-fuzz/tests/fuzz/fuzz-work/HARNESS/ between runs; a crash leaves its input in
# build-fuzz/tests/fuzz/fuzz-artifacts/HARNESS/: fix the bug, then add the input to
# tests/fuzz/regress-HARNESS/, which the normal suite replays.
set -e
cd "$(dirname "$0")/.."
seconds=300
case "${1:-}" in
[0-9]*) seconds=$1; shift ;;
esac
[ $# -gt 0 ] || set -- $(ls tests/fuzz/fuzz_*.c | sed 's|.*/fuzz_||; s|\.c$||' | grep -v common)
if [ ! -f build-fuzz/build.ninja ]; then
	# coverage for the whole program (fuzzer-no-link), the fuzzer runtime for the targets
	CC=clang meson setup -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link build-fuzz >/dev/null
fi
meson compile -C build-fuzz >/dev/null
rc=0
for h in "$@"; do
	FUZZ_SECONDS=$seconds tests/fuzz/run-fuzz.sh build-fuzz/tests/fuzz/fuzz_"$h" "$h" \
		tests/fuzz || rc=1
done
exit $rc
