#!/bin/bash
# No clicks from compare and bypass under JACK: a -12 dBFS 1 kHz tone plays through a strip
# on a dummy jackd while OSC recalls A and B (they differ in the compressor on/off and its
# threshold, the EQ's mid and high gains and the output gain), swaps them, and switches
# strip.bypass on and off (a recall while bypassed too); the recording's energy above 8 kHz
# stays within 10 dB of the tone's own floor (hf_clicks.py: 2 ms windows, floor at least
# -85 dBFS). A take with skipped cycles (cs-jplayrec exit 3, a loaded machine) leaves a gap
# that would read as a click: it is taken again with a new chanstrip set up afresh.
. "$(dirname "$0")/../jack/lib.sh"
OSC_PORT=$((20000 + ($$ + 7919) % 20000))
"$WAVTOOL" gen "$TMP/tone.wav" 48000 1 float 5 sine:1000:0.25 || fail "cannot make the tone"
JACKD_OPTS=-S start_jackd 64

osc() { oscsend localhost $OSC_PORT "$@" 2>/dev/null || fail "oscsend $*"; }
# slot A: compressor on at -30 dB, EQ mid +6 dB at 2 kHz; slot B: compressor off, EQ mid
# -6 dB and high +4 dB, output +4 dB (about 12 dB louder than A). The take starts at A.
setup() {
	start_chanstrip cs -c 1 --no-connect --osc-port $OSC_PORT --set eq.enable=1 \
		--set eq.mid_freq=2000
	osc /strip/1/comp/enable i 1
	osc /strip/1/comp/threshold f -30
	osc /strip/1/eq/mid_gain f 6
	osc /strip/1/ab/store s A
	osc /strip/1/comp/enable i 0
	osc /strip/1/eq/mid_gain f -6
	osc /strip/1/eq/high_gain f 4
	osc /strip/1/out/gain f 4
	osc /strip/1/ab/store s B
	osc /strip/1/ab/recall s A
	sleep 0.3
}
send() {
	log "$(($(now_ms) - T0)) ms: $*"
	osc "$@"
	sleep 0.3
}
attempt() {
	timeout 30 "$JPLAYREC" -t chanstrip -p "$TMP/tone.wav" -r "$TMP/rec.wav" -c 1 \
		>"$TMP/jplayrec.log" 2>&1 &
	PLAY=$!
	PIDS+=("$PLAY")
	# the changes start 0.8 s into the recording, however long the recorder takes to start
	wait_until 10 eval 'jack_lsp -c 2>/dev/null | grep -q "^ *csrec:in_1"' ||
		fail "cs-jplayrec did not connect: $(cat "$TMP/jplayrec.log")"
	T0=$(now_ms)
	sleep 0.8
	send /strip/1/ab/recall s B
	send /strip/1/ab/recall s A
	send /strip/1/ab/swap
	send /strip/1/ab/swap
	send /strip/1/strip/bypass i 1
	send /strip/1/strip/bypass i 0
	send /strip/1/ab/recall s B
	send /strip/1/strip/bypass i 1
	send /strip/1/ab/recall s A
	send /strip/1/strip/bypass i 0
	send /strip/1/ab/swap
	wait "$PLAY"
}
for try in 1 2 3; do
	setup
	rc=0
	attempt || rc=$?
	[ "$rc" -eq 3 ] || break
	log "attempt $try: $(cat "$TMP/jplayrec.log"): again with a new chanstrip"
	stop_pids TERM "$CS_PID"
done
[ "$rc" -eq 0 ] || fail "cs-jplayrec failed ($rc): $(cat "$TMP/jplayrec.log")"
"$HF_CLICKS" "$TMP/rec.wav" 0.3 4.7 >&2 || fail "a recall, swap or bypass clicked"
# The changes took (the output's level steps through A, B and the bypassed tone in the
# order sent), and the measure can fail: the recording with a hard 8 dB step put in clicks.
/usr/bin/python3 - "$TMP/rec.wav" "$TMP/step.wav" "$HF_CLICKS" <<'PY' || fail "the check above"
import os, subprocess, sys, wave
import numpy as np
sys.path.insert(0, os.path.dirname(sys.argv[3]))
from hf_clicks import read_wav
x, fs = read_wav(sys.argv[1])
# RMS of 50 ms windows while the tone plays, merged into plateaus (runs of 3 or more
# within 0.5 dB): the states the strip went through, in order, whatever the timing
w = fs // 20
env = [10 * np.log10(np.mean(x[i:i + w] ** 2) + 1e-30) for i in range(0, 5 * fs - w, w)]
plateaus = []
for v in env:
    if plateaus and abs(v - plateaus[-1][0]) < 0.5:
        plateaus[-1][1] += 1
    else:
        plateaus.append([v, 1])
lv = [v for v, n in plateaus if n >= 3]
lv = [v for k, v in enumerate(lv) if k == 0 or abs(v - lv[k - 1]) >= 0.5]
# A, B (recall B), A, B (swap), A (swap), bypassed, A, B, bypassed (recall A meanwhile),
# A (bypass off), B (swap)
want = ["A", "B", "A", "B", "A", "byp", "A", "B", "byp", "A", "B"]
print("plateaus: " + " ".join("%.1f" % v for v in lv))
ok = len(lv) == len(want)
if ok:
    lev = {s: [v for t, v in zip(want, lv) if t == s] for s in ("A", "B", "byp")}
    ok = (all(max(v) - min(v) < 0.5 for v in lev.values())
          and abs(np.mean(lev["A"]) - np.mean(lev["B"])) > 3
          and abs(np.mean(lev["byp"]) + 15.05) < 0.3)  # bypassed: the tone, -15.05 dB RMS
    print("A %.1f dB, B %.1f dB, bypassed %.1f dB (the tone: -15.05 dB RMS)"
          % (np.mean(lev["A"]), np.mean(lev["B"]), np.mean(lev["byp"])))
print("the states " + ("follow A B A B A bypass A B bypass A B" if ok else
                       "do NOT follow A B A B A bypass A B bypass A B"))
y = x.copy()
y[int(2.5 * fs):] *= 10 ** (-8 / 20)
with wave.open(sys.argv[2], "wb") as f:
    f.setnchannels(1)
    f.setsampwidth(4)
    f.setframerate(fs)
    f.writeframes((np.clip(y, -1, 1) * 2147483647).astype("<i4").tobytes())
r = subprocess.run([sys.argv[3], sys.argv[2], "0.3", "4.7"], capture_output=True, text=True)
print("with a hard 8 dB step put in: " + r.stdout.splitlines()[0])
sys.exit(0 if ok and r.returncode == 1 else 1)
PY
log "PASS"
