#!/bin/sh
# test.sh: install what is missing, build from scratch and run every test three ways, and end
# with one summary line over all of them:
#   "N passed, N failed, N skipped"
#  1. build-test/: the release build with -Dwerror; every test (unit, offline regression,
#     JACK and OSC integration, fuzz corpus replay).
#  2. build-test-asan/: the same suite again (but the docs suite), built with
#     -Db_sanitize=address,undefined (gcc): any memory error, leak at exit or undefined
#     behaviour fails the test it happens in.
#  3. build-test-fuzz/: when clang can link libFuzzer, each fuzz harness (tests/fuzz) runs for
#     $FUZZ_SECONDS (default 12) under ASan+UBSan, one counted test each; without clang they
#     count as skipped.
# Arguments (test names) go to the first two runs. Exit status is non-zero if anything
# failed or nothing ran.
set -e
cd "$(dirname "$0")/.."
./scripts/deps.sh
start=$(date +%s)
logs=""
rc=0

# setup DIR ARGS...: a fresh configuration (wiped when the folder exists)
setup()
{
	dir=$1
	shift
	meson setup --wipe "$@" "$dir" >/dev/null 2>&1 || meson setup "$@" "$dir" >/dev/null
}

# suite TITLE DIR MESON-TEST-ARGS...: run, remember the log, keep the worst exit status
suite()
{
	echo "== $1 ($(($(date +%s) - start)) s in) =="
	dir=$2
	shift 2
	set +e
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
	r=$?
	set -e
	[ "$r" -eq 0 ] || rc=$r
	logs="$logs $dir/meson-logs/testlog.json"
}

# -Dwerror: "no warnings in the build" is enforced, not hoped for
setup build-test -Dwerror=true
meson compile -C build-test
suite "release build" build-test "$@"

# Not -Dwerror here: with -fsanitize=address gcc 12 reports array bounds it cannot prove
# (-Warray-bounds on memsets the release build compiles cleanly).
setup build-test-asan -Db_sanitize=address,undefined
meson compile -C build-test-asan
# halt_on_error: a UBSan report is a failure, not a line in a log nobody reads.
# The suppressions cover third-party libraries only (see the file).
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
# The docs suite (README/man page against the program, the add-a-stage proof that builds a
# tree of its own) tests text, not memory: once, in the release run, is enough.
suite "ASan+UBSan build" build-test-asan --no-suite docs "$@"

fuzz_skipped=0
if [ $# -gt 0 ]; then
	: # named tests only: no fuzzing
elif command -v clang >/dev/null 2>&1 &&
	echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
	clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
	# coverage for the whole program (fuzzer-no-link), the fuzzer runtime for the targets
	fuzz_args="-Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false"
	CC=clang meson setup --wipe $fuzz_args -Dc_args=-fsanitize=fuzzer-no-link \
		build-test-fuzz >/dev/null 2>&1 ||
		CC=clang meson setup $fuzz_args -Dc_args=-fsanitize=fuzzer-no-link \
			build-test-fuzz >/dev/null
	meson compile -C build-test-fuzz
	export FUZZ_SECONDS=${FUZZ_SECONDS:-12}
	suite "fuzzing, $FUZZ_SECONDS s per harness" build-test-fuzz --suite fuzz
else
	echo "== fuzzing skipped: no clang that links -fsanitize=fuzzer (libclang-rt-dev) =="
	fuzz_skipped=$(ls tests/fuzz/fuzz_*.c | grep -vc fuzz_common)
fi
echo "test.sh: $(($(date +%s) - start)) s"

python3 - "$rc" "$fuzz_skipped" $logs <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": int(sys.argv[2])}
for path in sys.argv[3:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                counts["passed"] += 1
            elif r == "SKIP":
                counts["skipped"] += 1
            else:
                counts["failed"] += 1
print(f'{counts["passed"]} passed, {counts["failed"]} failed, {counts["skipped"]} skipped')
sys.exit(1 if counts["failed"] or not counts["passed"] or sys.argv[1] != "0" else 0)
PY
