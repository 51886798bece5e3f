#!/bin/bash
# --connect and --connect-out to ports that appear after chanstrip started (a DAW started
# later): chanstrip says it waits, and connects each strip when its port is registered, for
# inputs and outputs, and logs it. A connection the user removes later is not made again.
. "$(dirname "$0")/lib.sh"
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import jack' 2>/dev/null ||
	skip "python3-jack-client is not installed"

start_jackd 256
start_chanstrip cs -c 2 --osc-port 0 --connect 'daw:out_' --connect-out 'daw:in_'
grep -q -- "--connect 'daw:out_' matches 0 of 2" "$TMP/cs.log" || fail "no waiting notice (in)"
grep -q -- "--connect-out 'daw:in_' matches 0 of 2" "$TMP/cs.log" ||
	fail "no waiting notice (out)"
/usr/bin/python3 "$(dirname "$0")/late_ports.py" daw 2 2 0.5 20 >"$TMP/daw.log" 2>&1 &
DAW=$!
PIDS+=("$DAW")
connected() {
	local lsp
	lsp=$(jack_lsp -c)
	for s in 1 2; do
		echo "$lsp" | grep -A2 -x "chanstrip:in_$s" | grep -qx "   daw:out_$s" || return 1
		echo "$lsp" | grep -A2 -x "chanstrip:out_$s" | grep -qx "   daw:in_$s" || return 1
	done
}
wait_until 10 connected || fail "the late ports were not connected: $(jack_lsp -c)"
for s in 1 2; do
	grep -q "daw:out_$s appeared: connected to in_$s" "$TMP/cs.log" || fail "no log (in_$s)"
	grep -q "daw:in_$s appeared: out_$s connected to it" "$TMP/cs.log" ||
		fail "no log (out_$s)"
done
log "ok: inputs and outputs connected when their ports appeared"
stop_pids TERM "$DAW"
