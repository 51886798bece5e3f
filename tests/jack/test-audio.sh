#!/bin/bash
# Audio played into chanstrip through JACK comes out processed exactly like the offline path:
# cs-jplayrec plays the speech fixture into both strips and records both outputs; each must
# match `chanstrip --offline` with the same --set values, sample-aligned (lag 0: the strip
# reports no latency at these settings), within -100 dBFS (in practice bit-exact), and must
# differ in level from the raw input (the strip did something).
#
# The offline reference gets the same 500 ms of silence in front that the JACK strips
# process before the speech arrives (the comparison starts after it), so both start from the
# same state. jackd runs synchronous (-S) so that an overloaded machine delays cycles rather
# than skipping clients; a take with skipped cycles is repeated with a fresh chanstrip
# (take_through_fresh_strip in lib.sh).
. "$(dirname "$0")/lib.sh"
set -o pipefail
SETS=(--set pre.gain=6 --set out.gain=-3 --set comp.enable=1 --set comp.threshold=-30)
IN="$FIXTURES/speech.wav"
PAD_MS=500

"$WAVCMP" --pad "$IN" "$TMP/padded.wav" $PAD_MS || fail "cannot pad the fixture"
"$CHANSTRIP" --offline "$TMP/padded.wav" "$TMP/offline.wav" "${SETS[@]}" 2>"$TMP/offline.log" ||
	fail "offline run failed"
JACKD_OPTS=-S start_jackd 64
take_through_fresh_strip cs "$IN" 2 -c 2 --no-connect --osc-port 0 "${SETS[@]}"
for ch in 1 2; do
	"$WAVCMP" "$TMP/offline.wav" 1 "$TMP/rec.wav" $ch --ref-offset $((PAD_MS * 48)) \
		--max-lag 512 --expect-lag 0 --skip-ms 0 --tol-db -100 | tee -a "$TMP/cmp.log" >&2 ||
		fail "strip $ch differs from offline"
done
"$WAVCMP" "$IN" 1 "$TMP/rec.wav" 1 --max-lag 512 --min-change-db 1 | tee -a "$TMP/cmp.log" >&2 ||
	fail "output level equals the input's: not processed?"
log "PASS"
