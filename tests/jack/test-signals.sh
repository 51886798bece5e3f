#!/bin/bash
# SIGTERM (with OSC and the meter view running) and SIGINT make chanstrip deactivate, close
# and exit 0 within 1 s.
. "$(dirname "$0")/lib.sh"
start_jackd 64
OSC_PORT=$((20000 + $$ % 20000))
for sig in TERM INT; do
	# SIGTERM with the OSC server and the meter view running too
	extra=(--osc-port 0)
	[ $sig = TERM ] && extra=(--osc-port "$OSC_PORT" --meter-view)
	start_chanstrip cs-$sig -c 8 "${extra[@]}" --set comp.enable=1
	sleep 0.3
	t0=$(now_ms)
	kill -$sig "$CS_PID"
	wait_exit "$CS_PID" 3
	dt=$(($(now_ms) - t0))
	[ "$EXIT_RC" = 0 ] || fail "SIG$sig: exit status $EXIT_RC"
	[ "$dt" -lt 1000 ] || fail "SIG$sig: took $dt ms"
	jack_lsp | grep -q '^chanstrip:' && fail "SIG$sig: ports still registered"
	log "SIG$sig: exit 0 after $dt ms"
done
log "PASS"
