#!/bin/sh
# test.sh: install what is missing, build from scratch in build-test/, run every test
# (unit, offline regression, JACK and OSC integration), and end with one summary line:
#   "N passed, N failed, N skipped"
# Exit status is non-zero if anything failed or nothing ran.
set -e
cd "$(dirname "$0")/.."
./scripts/deps.sh
# -Dwerror: "no warnings in the build" is enforced, not hoped for
meson setup --wipe -Dwerror=true build-test >/dev/null 2>&1 || meson setup -Dwerror=true build-test >/dev/null
meson compile -C build-test
set +e
meson test -C build-test --print-errorlogs --num-processes 2 "$@"
rc=$?
set -e
python3 - build-test/meson-logs/testlog.json "$rc" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
with open(sys.argv[1]) as f:
    for line in f:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif r == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
print(f'{counts["passed"]} passed, {counts["failed"]} failed, {counts["skipped"]} skipped')
sys.exit(1 if counts["failed"] or not counts["passed"] or sys.argv[2] != "0" else 0)
PY
