#!/bin/sh
# test-nr-profile.sh CHANSTRIP WAVTOOL: the nr.profile preset line (learned noise profile)
# is read and applied (offline, learned mode): a profile far above the input's noise takes it
# down by nr.amount, one far below leaves it; a malformed line is refused with one line
# naming the file, the line and what was expected, and nothing is written. And the offline
# engine compensates the suppressor's latency (no reduction: output = input, in time).
set -eu
cs=$1 wt=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$wt" gen "$tmp/in.wav" 48000 1 float 2 noise

profile() { # profile DB: 64 equal points
	printf 'nr.profile'
	i=0
	while [ $i -lt 64 ]; do printf ' %s' "$1"; i=$((i + 1)); done
	printf '\n'
}
preset() { # preset FILE DB
	{ printf 'nr.enable 1\nnr.mode learned\nnr.amount 12\n'; profile "$2"; } >"$1"
}
rms_db() { # rms_db WAV (after the first 0.5 s)
	/usr/bin/python3 - "$1" <<'PY'
import math, sys, wave
w = wave.open(sys.argv[1]); fs = w.getframerate(); raw = w.readframes(w.getnframes())
x = [int.from_bytes(raw[i:i + 3], "little", signed=True) / 8388608.0 for i in range(0, len(raw), 3)]
x = x[fs // 2:]
print("%.2f" % (10 * math.log10(sum(v * v for v in x) / len(x) + 1e-30)))
PY
}
preset "$tmp/high.preset" -20
preset "$tmp/low.preset" -200
"$cs" --offline "$tmp/in.wav" "$tmp/high.wav" --preset "$tmp/high.preset" --out-format pcm24
"$cs" --offline "$tmp/in.wav" "$tmp/low.wav" --preset "$tmp/low.preset" --out-format pcm24
"$cs" --offline "$tmp/in.wav" "$tmp/dry.wav" --out-format pcm24
dry=$(rms_db "$tmp/dry.wav") high=$(rms_db "$tmp/high.wav") low=$(rms_db "$tmp/low.wav")
if /usr/bin/python3 -c "import sys; d,h,l=map(float,sys.argv[1:]); sys.exit(not (11 <= d-h <= 12.5 and abs(d-l) < 1))" "$dry" "$high" "$low"; then
	echo "ok - profile applied: dry $dry dB, profile above the noise $high dB, below $low dB"
else
	echo "not ok - profile applied: dry $dry dB, profile above the noise $high dB, below $low dB"
	fail=1
fi

# latency compensated offline: with no reduction the output is the input, in time
"$cs" --offline "$tmp/in.wav" "$tmp/zero.wav" --set nr.enable=1 --set nr.amount=0
if res=$("$wt" cmp "$tmp/in.wav" "$tmp/zero.wav" 2e-6); then
	echo "ok - offline compensates the frame of latency: $res"
else
	echo "not ok - offline latency compensation: $res"
	fail=1
fi

{ printf 'nr.enable 1\n'; profile -50 | cut -d' ' -f1-64; } >"$tmp/short.preset"
if "$cs" --offline "$tmp/in.wav" "$tmp/short.wav" --preset "$tmp/short.preset" 2>"$tmp/err"; then
	echo "not ok - a 63-value profile was accepted"
	fail=1
elif [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "short.preset:2: nr.profile: value 64 missing" "$tmp/err" &&
	[ ! -e "$tmp/short.wav" ]; then
	echo "ok - malformed profile refused: $(cat "$tmp/err")"
else
	echo "not ok - malformed profile: $(cat "$tmp/err")"
	fail=1
fi
exit $fail
