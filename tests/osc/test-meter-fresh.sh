#!/bin/bash
# A new subscriber's first meter message describes the last meter period only: after a loud
# tone through a hard-working compressor, the compressor switched off and a second of
# silence, the first /strip/1/meter a new subscriber gets reads silence at the input and no
# gain reduction (no peak or reduction kept from before it subscribed).
. "$(dirname "$0")/osclib.sh"
first_meter() { msgs | grep -m1 '^/strip/1/meter '; }

JACKD_OPTS=-S start_jackd 64
start_chanstrip cs -c 1 --no-connect --osc-port "$OSCP" --set comp.enable=1 \
	--set comp.threshold=-40 --set comp.ratio=20
"$OSCWAV" gen "$TMP/loud.wav" 1 0.9 1000 || fail "gen"
timeout 30 "$JPLAYREC" -t chanstrip -p "$TMP/loud.wav" -c 1 >"$TMP/play.log" 2>&1 ||
	fail "cs-jplayrec: $(tail -1 "$TMP/play.log")"
send /strip/1/comp/enable i 0
sleep 1.5 # silence: the inputs are unconnected again

oscdump -L "$DUMPP" >"$DUMP" 2>"$TMP/oscdump.log" &
PIDS+=($!)
wait_until 3 ss -Huln "sport = :$DUMPP" || sleep 0.5
send /subscribe sf "$URL" 10
wait_until 5 first_meter || fail "no meter message"
first=$(first_meter)
log "first meter: $first"
set -- $first
# fields: in_rms in_dbu in_dbv in_peak in_true_peak headroom clips gate_gr comp_gr ...
peak=$6
comp_gr=${11}
awk -v p="$peak" 'BEGIN { exit !(p < -100) }' ||
	fail "first message's input peak is $peak dBFS: a peak from before the subscription"
awk -v g="$comp_gr" 'BEGIN { exit !(g > -0.01 && g < 0.01) }' ||
	fail "first message's comp_gr_db is $comp_gr with the compressor off"
log "ok: input peak $peak dBFS, comp_gr_db $comp_gr"
