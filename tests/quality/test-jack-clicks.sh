#!/bin/bash
# No clicks under JACK: a -12 dBFS 1 kHz tone plays through a strip while OSC changes the
# oversampling (1/4/8/2, and clean <-> tube at 1, which changes the latency), the drive, the
# low cut and the gain, and loads a preset; the recording's energy above 8 kHz stays within
# 10 dB of the tone's own floor (hf_clicks.py: loudest 2 ms window, floor at least -85 dBFS).
. "$(dirname "$0")/../jack/lib.sh"
OSC_PORT=$((20000 + $$ % 20000))
"$WAVTOOL" gen "$TMP/tone.wav" 48000 1 float 5 sine:1000:0.25 || fail "cannot make the tone"
JACKD_OPTS=-S start_jackd 64
start_chanstrip cs -c 1 --no-connect --osc-port $OSC_PORT --set pre.model=tube
timeout 30 "$JPLAYREC" -t chanstrip -p "$TMP/tone.wav" -r "$TMP/rec.wav" -c 1 \
	>"$TMP/jplayrec.log" 2>&1 &
PLAY=$!
PIDS+=("$PLAY")
T0=$(now_ms)
send() {
	log "$(( $(now_ms) - T0 )) ms: $*"
	oscsend localhost $OSC_PORT "$@" 2>/dev/null || fail "oscsend $*"
	sleep 0.25
}
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
send /strip/1/pre/oversample i 1
wait "$PLAY" || fail "cs-jplayrec failed ($?): $(cat "$TMP/jplayrec.log")"
# the tone's own start and end are edges: look from 0.3 s to 4.7 s of the recording
"$HF_CLICKS" "$TMP/rec.wav" 0.3 4.7 >&2 || fail "a change clicked"
log "PASS"
