#!/bin/bash
# With --reconnect chanstrip survives its server: after jackd stops (SIGTERM) or dies
# (SIGKILL) and a new one starts under the same name, it is back with the same client name,
# ports and connections, at the new server's period and sample rate (the strips are rebuilt
# for 44.1 kHz, the values kept), and still exits 0 on SIGTERM. Started before any server,
# it waits for one.
. "$(dirname "$0")/lib.sh"

"$CHANSTRIP" -c 2 --osc-port 0 --reconnect --connect 'system:capture_' \
	--connect-out 'system:playback_' --set pre.gain=12 >"$TMP/cs.log" 2>&1 &
CS_PID=$!
PIDS+=("$CS_PID")
wait_until 3 grep -q "waiting for JACK server '$JACK_SERVER_NAME' (--reconnect)" "$TMP/cs.log" ||
	fail "no 'waiting for JACK server' line: $(cat "$TMP/cs.log")"
start_jackd 64
wait_until 5 grep -q "on JACK server" "$TMP/cs.log" || fail "did not start once the server came"
sleep 0.5 # let the connection copy settle
jack_lsp -c >"$TMP/before.log"
grep -q "inputs 2/2 connected, outputs 2/2" "$TMP/cs.log" || fail "start line: $(cat "$TMP/cs.log")"

rate=48000
for sig in TERM KILL; do
	stop_jackd $sig
	wait_until 3 grep -q "went away.*waiting for it" "$TMP/cs.log" ||
		fail "jackd SIG$sig: no 'waiting' message"
	gone "$CS_PID" && fail "jackd SIG$sig: chanstrip exited"
	n=$(grep -c "reconnected to JACK server" "$TMP/cs.log")
	[ $sig = KILL ] && rate=44100
	start_jackd 128 $rate
	wait_until 5 sh -c "[ \$(grep -c 'reconnected to JACK server' '$TMP/cs.log') -gt $n ]" ||
		fail "jackd SIG$sig: chanstrip did not come back"
	jack_lsp -c >"$TMP/after-$sig.log"
	diff "$TMP/before.log" "$TMP/after-$sig.log" >&2 ||
		fail "jackd SIG$sig: ports/connections differ after the reconnect"
	grep "reconnected" "$TMP/cs.log" | tail -n 1 |
		grep -q "($rate Hz, period 128): 4 of 4 connections" ||
		fail "jackd SIG$sig: $(tail -n 1 "$TMP/cs.log")"
	log "jackd SIG$sig: $(grep reconnected "$TMP/cs.log" | tail -n 1)"
done

kill -TERM "$CS_PID"
wait_exit "$CS_PID" 2
[ "$EXIT_RC" = 0 ] || fail "SIGTERM after reconnecting: exit status $EXIT_RC"
log "PASS"
