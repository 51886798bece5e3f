#!/bin/bash
# Low sample rates live and offline: a 16 kHz WAV (a phone or VoIP recording) through
# `chanstrip --offline`, and the same audio through chanstrip on a dummy jackd at 16000 Hz,
# must agree sample for sample (within -100 dBFS) with low cut, compressor and de-esser on
# (the de-esser at its default 6 kHz, which its band clamp moves to 4.8 kHz there). The
# gate is left out: it starts open and closes over however long the server ran before the
# audio came. At 8000 Hz chanstrip must start and report the rate. Before the range went
# down to 8 kHz both rates were refused ("not supported").
. "$(dirname "$0")/lib.sh"
set -o pipefail
SETS=(--set pre.gain=6 --set pre.hpf=100 --set comp.enable=1
	--set comp.threshold=-30 --set deess.enable=1 --set deess.threshold=-40)
PAD_MS=500

"$WAVTOOL" gen "$TMP/in16.wav" 16000 1 pcm16 1.5 bursts || fail "cannot make the 16 kHz input"
"$WAVCMP" --pad "$TMP/in16.wav" "$TMP/padded.wav" $PAD_MS || fail "cannot pad the input"
"$CHANSTRIP" --offline "$TMP/padded.wav" "$TMP/offline.wav" "${SETS[@]}" \
	2>"$TMP/offline.log" || fail "offline run of a 16 kHz WAV failed: $(cat "$TMP/offline.log")"
"$WAVTOOL" info "$TMP/offline.wav" | grep -q "16000" || fail "offline output is not 16 kHz"
log "offline 16 kHz WAV processed"

JACKD_OPTS=-S start_jackd 64 16000
take_through_fresh_strip cs16 "$TMP/in16.wav" 1 -c 1 --no-connect --osc-port 0 "${SETS[@]}"
grep -q "16000 Hz" "$TMP/cs16.log" || fail "start line does not say 16000 Hz"
"$WAVCMP" "$TMP/offline.wav" 1 "$TMP/rec.wav" 1 --ref-offset $((PAD_MS * 16)) \
	--max-lag 512 --expect-lag 0 --skip-ms 0 --tol-db -100 | tee -a "$TMP/cmp.log" >&2 ||
	fail "16 kHz JACK output differs from offline"
"$WAVCMP" "$TMP/in16.wav" 1 "$TMP/rec.wav" 1 --max-lag 512 --min-change-db 1 >&2 ||
	fail "output level equals the input's: not processed?"
stop_pids TERM "$CS_PID"
stop_jackd
log "16 kHz live = offline"

start_jackd 64 8000
start_chanstrip cs8 -c 1 --no-connect --osc-port 0 "${SETS[@]}"
grep -q "8000 Hz" "$TMP/cs8.log" || fail "start line does not say 8000 Hz"
log "PASS"
