#!/bin/bash
# With --reconnect chanstrip survives its server: after jackd stops and a new one starts
# under the same name, it is back with the same client name, ports and connections, and
# still exits 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"
start_jackd 64
start_chanstrip cs -c 2 --osc-port 0 --reconnect --connect 'system:capture_' \
	--connect-out 'system:playback_' --set pre.gain=12
sleep 0.5 # let the connection copy settle
jack_lsp -c >"$TMP/before.log"

for sig in TERM KILL; do
	: >"$TMP/rejoin.log"
	stop_jackd $sig
	wait_until 3 grep -q "went away.*waiting for it" "$TMP/cs.log" ||
		fail "jackd SIG$sig: no 'waiting' message"
	gone "$CS_PID" && fail "jackd SIG$sig: chanstrip exited"
	n=$(grep -c "reconnected to JACK server" "$TMP/cs.log")
	start_jackd 128
	wait_until 5 sh -c "[ \$(grep -c 'reconnected to JACK server' '$TMP/cs.log') -gt $n ]" ||
		fail "jackd SIG$sig: chanstrip did not come back"
	jack_lsp -c >"$TMP/after-$sig.log"
	diff "$TMP/before.log" "$TMP/after-$sig.log" >&2 ||
		fail "jackd SIG$sig: ports/connections differ after the reconnect"
	grep "reconnected" "$TMP/cs.log" | tail -n 1 | grep -q "period 128): 4 of 4 connections" ||
		fail "jackd SIG$sig: $(tail -n 1 "$TMP/cs.log")"
	log "jackd SIG$sig: $(grep reconnected "$TMP/cs.log" | tail -n 1)"
done

kill -TERM "$CS_PID"
wait_exit "$CS_PID" 2
[ "$EXIT_RC" = 0 ] || fail "SIGTERM after reconnecting: exit status $EXIT_RC"
log "PASS"
