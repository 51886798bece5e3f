#!/bin/bash
# --autogain under JACK without OSC: every strip listens at start-up and logs how it ended.
# With nothing connected (silence) it ends no_signal; with the speech fixture played in it
# ends done with pre.gain set for peaks at -12 dBFS (the level landing within 1 dB is tested
# over OSC with a tone and offline with speech).
. "$(dirname "$0")/lib.sh"
IN="$FIXTURES/speech.wav"
JACKD_OPTS=-S start_jackd 64

start_chanstrip quiet -c 1 --no-connect --osc-port 0 --autogain=1
wait_until 5 grep -q "strip 1: auto gain no_signal" "$TMP/quiet.log" ||
	fail "silence: $(cat "$TMP/quiet.log")"
log "silence: $(grep 'auto gain' "$TMP/quiet.log")"
kill "$CS_PID"
wait_exit "$CS_PID" 5

start_chanstrip cs -c 1 --no-connect --osc-port 0 --autogain=6
timeout 30 "$JPLAYREC" -t chanstrip -p "$IN" -c 1 >"$TMP/jplayrec.log" 2>&1 ||
	fail "cs-jplayrec failed: $(cat "$TMP/jplayrec.log")"
wait_until 5 grep -q "strip 1: auto gain done: pre.gain set to" "$TMP/cs.log" ||
	fail "speech: $(cat "$TMP/cs.log")"
g=$(grep -o 'pre.gain set to [-+0-9.]*' "$TMP/cs.log" | grep -o '[-+][0-9.]*')
log "speech: pre.gain $g dB"
awk -v g="$g" 'BEGIN { exit !(g > -20 && g < 30) }' || fail "pre.gain $g dB for speech"
log "PASS"
