#!/bin/bash
# Without a server chanstrip exits 1 with one clear line; when jackd is killed (SIGKILL) or
# shut down (SIGTERM) under it, it exits 3 with a clear message (and none of libjack's
# broken-socket lines), within 3 s.
. "$(dirname "$0")/lib.sh"

"$CHANSTRIP" -c 2 --osc-port 0 >"$TMP/noserver.log" 2>&1
rc=$?
[ $rc = 1 ] || fail "no server: exit status $rc"
[ "$(wc -l <"$TMP/noserver.log")" = 1 ] || fail "no server: not one line: $(cat "$TMP/noserver.log")"
grep -q "cannot connect to JACK server '$JACK_SERVER_NAME'" "$TMP/noserver.log" ||
	fail "no server: $(cat "$TMP/noserver.log")"

for sig in KILL TERM; do
	start_jackd 64
	start_chanstrip cs-$sig -c 2 --osc-port 0
	sleep 0.3
	kill -$sig "$JACKD_PID"
	wait_exit "$CS_PID" 3
	[ "$EXIT_RC" = 3 ] || fail "jackd SIG$sig: exit status $EXIT_RC"
	grep -q "the JACK server '$JACK_SERVER_NAME' went away" "$TMP/cs-$sig.log" ||
		fail "jackd SIG$sig: no clear message"
	grep -q "^chanstrip: jack:" "$TMP/cs-$sig.log" &&
		fail "jackd SIG$sig: libjack's socket errors were printed: $(cat "$TMP/cs-$sig.log")"
	# shellcheck disable=SC2034 # read by lib.sh's cleanup
	wait "$JACKD_PID" 2>/dev/null || NEED_RECLAIM=1
	log "jackd SIG$sig: $(tail -n 1 "$TMP/cs-$sig.log")"
done
log "PASS"
