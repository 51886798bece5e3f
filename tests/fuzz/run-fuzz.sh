#!/bin/sh
# run-fuzz.sh TARGET NAME SRCDIR: run one libFuzzer target for $FUZZ_SECONDS (default 30)
# under the sanitizers it was built with, starting from the seed corpus and the regression
# inputs in SRCDIR (read only: new inputs go to a work folder beside the target, kept between
# runs). Prints the executions, coverage and corpus at the end; exits non-zero on a crash,
# leak, timeout or sanitizer report, with the input saved under fuzz-artifacts/NAME/.
set -eu
target=$1 name=$2 srcdir=$3
seconds=${FUZZ_SECONDS:-30}
dir=$(cd "$(dirname "$target")" && pwd)
work=$dir/fuzz-work/$name
art=$dir/fuzz-artifacts/$name/
mkdir -p "$work" "$art"
# beside the corpus folder, not in it: libFuzzer reads every file there as an input
log=$dir/fuzz-work/$name.log
# halt_on_error: UBSan findings are failures, not warnings
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
set +e
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$art" "$work" "$srcdir/corpus-$name" "$srcdir/regress-$name" >"$log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1)
echo "fuzz-$name: ${runs:-?} executions in ${seconds} s, ${cov:-cov: ?}, ${ft:-ft: ?}," \
  "corpus $(ls "$work" | wc -l) new + $(ls "$srcdir/corpus-$name" | wc -l) seed inputs, exit $rc"
if [ "$rc" -ne 0 ]; then
  tail -n 60 "$log"
  echo "fuzz-$name: FAILED. The input is in $art; add it to $srcdir/regress-$name/" \
    "(the suite replays it) once the bug is fixed."
  exit 1
fi
