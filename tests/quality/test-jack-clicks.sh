#!/bin/bash
# No clicks under JACK: a -12 dBFS 1 kHz tone plays through a strip while OSC changes the
# oversampling (1/4/8/2, and clean <-> tube at 1, which changes the latency), the drive, the
# low cut and the gain, loads a preset and moves its de-esser's frequency (the split's allpass
# carries the tone: its coefficients glide); the recording's energy above 8 kHz stays within
# 10 dB of the tone's own floor (hf_clicks.py: loudest 2 ms window, floor at least -85 dBFS).
. "$(dirname "$0")/../jack/lib.sh"
OSC_PORT=$((20000 + $$ % 20000))
"$WAVTOOL" gen "$TMP/tone.wav" 48000 1 float 5 sine:1000:0.25 || fail "cannot make the tone"
JACKD_OPTS=-S start_jackd 64
start_chanstrip cs -c 1 --no-connect --osc-port $OSC_PORT --set pre.model=tube
# attempt: play and record while the changes arrive; cs-jplayrec's exit status. A cycle the
# recorder missed (exit 3, a loaded machine) is a gap in the recording that would read as a
# click: such an attempt is run again (up to 3), from the same starting state.
attempt() {
	timeout 30 "$JPLAYREC" -t chanstrip -p "$TMP/tone.wav" -r "$TMP/rec.wav" -c 1 \
		>"$TMP/jplayrec.log" 2>&1 &
	PLAY=$!
	PIDS+=("$PLAY")
	T0=$(now_ms)
	sleep 0.8
	send /strip/1/pre/oversample i 4
	send /strip/1/pre/oversample i 1
	send /strip/1/pre/model s clean
	send /strip/1/pre/model s tube
	send /strip/1/pre/oversample i 8
	send /strip/1/pre/drive f 6
	send /strip/1/pre/hpf f 120
	send /strip/1/pre/oversample i 2
	send /strip/1/pre/gain f -6
	send /preset/load s vocal-dynamic
	send /strip/1/deess/freq f 9000
	send /strip/1/deess/freq f 3000
	send /strip/1/pre/oversample i 1
	wait "$PLAY"
}
send() {
	log "$(( $(now_ms) - T0 )) ms: $*"
	oscsend localhost $OSC_PORT "$@" 2>/dev/null || fail "oscsend $*"
	sleep 0.25
}
for try in 1 2 3; do
	rc=0
	attempt || rc=$?
	[ "$rc" -eq 3 ] || break
	log "attempt $try: $(cat "$TMP/jplayrec.log"): again"
	oscsend localhost $OSC_PORT /preset/load s neutral
	oscsend localhost $OSC_PORT /strip/1/pre/model s tube
	sleep 0.5
done
[ "$rc" -eq 0 ] || fail "cs-jplayrec failed ($rc): $(cat "$TMP/jplayrec.log")"
"$HF_CLICKS" "$TMP/rec.wav" 0.3 4.7 >&2 || fail "a change clicked"
log "PASS"
