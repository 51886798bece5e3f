#!/bin/bash
# chanstrip -c 2 --connect to the dummy capture ports: jack_lsp -c shows its ports and the
# connections; the default (physical capture ports) and --connect-out work too; latency is
# reported per port; the MIDI ports exist; a taken --osc-port is fatal.
. "$(dirname "$0")/lib.sh"
start_jackd 64

start_chanstrip a -c 2 --connect 'system:capture_' --osc-port 0
lsp=$(jack_lsp -c)
echo "$lsp" >"$TMP/lsp-a.log"
for i in 1 2; do
	echo "$lsp" | grep -qx "chanstrip:in_$i" || fail "no port chanstrip:in_$i"
	echo "$lsp" | grep -qx "chanstrip:out_$i" || fail "no port chanstrip:out_$i"
	# the port's connection is listed indented under it
	echo "$lsp" | grep -A1 -x "chanstrip:in_$i" | grep -qx "   system:capture_$i" ||
		fail "chanstrip:in_$i is not connected to system:capture_$i"
done
# 2 audio pairs and the MIDI pair (on by default; --no-midi is checked in tests/midi)
[ "$(echo "$lsp" | grep -c '^chanstrip:')" = 6 ] || fail "expected exactly 6 chanstrip ports"
echo "$lsp" | grep -qx "chanstrip:midi_in" || fail "no port chanstrip:midi_in"
echo "$lsp" | grep -qx "chanstrip:midi_out" || fail "no port chanstrip:midi_out"
grep -q "'chanstrip' on JACK server '$JACK_SERVER_NAME': 48000 Hz, period 64, 2 channels" \
	"$TMP/a.log" || fail "start line: $(cat "$TMP/a.log")"
grep -q "inputs 2/2 connected" "$TMP/a.log" || fail "start line does not say inputs 2/2"
# capture latency of the dummy backend (one period) passes through a strip with no latency
jack_lsp -l chanstrip:out_1 | grep -q "capture latency = \[ 64 64 \]" ||
	fail "out_1 capture latency: $(jack_lsp -l chanstrip:out_1)"

# defaults: physical capture ports, in order; outputs to the playback ports by pattern
start_chanstrip b -c 3 --name cs-b --connect-out 'system:playback_' --osc-port 0
lsp=$(jack_lsp -c)
echo "$lsp" >"$TMP/lsp-b.log"
for i in 1 2; do
	echo "$lsp" | grep -A1 -x "cs-b:in_$i" | grep -qx "   system:capture_$i" ||
		fail "cs-b:in_$i is not on system:capture_$i"
	echo "$lsp" | grep -A1 -x "cs-b:out_$i" | grep -qx "   system:playback_$i" ||
		fail "cs-b:out_$i is not on system:playback_$i"
done
grep -q "inputs 2/3 connected, outputs 2/3" "$TMP/b.log" || fail "cs-b start line"

# --no-connect; a --connect pattern that matches nothing yet says it waits for its ports
start_chanstrip c -c 1 --name cs-c --no-connect --osc-port 0
start_chanstrip d -c 1 --name cs-d --connect 'nosuchclient:' --osc-port 0
grep -q -- "--connect 'nosuchclient:' matches 0 of 1" "$TMP/d.log" ||
	fail "no notice for an unmatched pattern"
lsp=$(jack_lsp -c)
echo "$lsp" | grep -A1 -x "cs-c:in_1" | grep -q '^   ' && fail "cs-c:in_1 is connected"
echo "$lsp" | grep -A1 -x "cs-d:in_1" | grep -q '^   ' && fail "cs-d:in_1 is connected"

# --server NAME selects the server without JACK_DEFAULT_SERVER
(
	unset JACK_DEFAULT_SERVER
	start_chanstrip g -c 1 --name cs-g --no-connect --osc-port 0 --server "$JACK_SERVER_NAME"
	echo "$CS_PID" >"$TMP/g.pid"
)
grep -q "'cs-g' on JACK server '$JACK_SERVER_NAME'" "$TMP/g.log" || fail "--server: $(cat "$TMP/g.log")"
jack_lsp | grep -qx "cs-g:in_1" || fail "--server: no cs-g:in_1"
PIDS+=("$(cat "$TMP/g.pid")")

# an OSC port asked for explicitly that is taken is fatal (exit 1, one line)
OSC_PORT=$((20000 + $$ % 20000))
start_chanstrip e -c 1 --name cs-e --no-connect --osc-port $OSC_PORT
grep -q "osc osc.udp://127.0.0.1:$OSC_PORT/" "$TMP/e.log" || fail "cs-e start line: $(cat "$TMP/e.log")"
timeout 5 "$CHANSTRIP" -c 1 --name cs-f --no-connect --osc-port $OSC_PORT >"$TMP/f.log" 2>&1
rc=$?
[ $rc = 1 ] || fail "taken --osc-port: exit status $rc"
grep -q "port $OSC_PORT" "$TMP/f.log" || fail "taken --osc-port: $(cat "$TMP/f.log")"
jack_lsp | grep -q '^cs-f:' && fail "cs-f left ports behind"
log "PASS"
