#!/bin/bash
# Real-time safety: chanstrip-rtcheck (wrapped malloc/free/locks/sleeps/I/O/prints, counted
# from inside the process callback) runs 8 strips (noise suppressor on) under a dummy jackd for ~5 s while
#   - its own control thread changes parameters on every strip and reads meters at 50 Hz,
#   - the speech fixture plays into strip 1 and 2 (cs-jplayrec),
#   - OSC sets, noise-profile learning and a meter subscription arrive (when oscsend is
#     installed),
#   - a WebSocket client listens to values and meters and sets values (python3-websocket),
#   - a JACK MIDI client floods midi_in with every kind of MIDI (CC, 14-bit, NRPN,
#     pitchbend, SysEx, clock, truncated messages) for 3 s, mapped to every strip's
#     threshold, and reads the feedback on midi_out (when python3-jack-client is installed),
#   - the JACK period changes 64 -> 128 -> 32 (jack_bufsize),
#   - the meter view draws (not a terminal: plain blocks once a second),
# and must then report 0 calls from the process callback and exit 0 on SIGTERM.
. "$(dirname "$0")/../jack/lib.sh"
RTCHECK=$1
# shellcheck disable=SC2034 # start_chanstrip runs $CHANSTRIP
CHANSTRIP=$RTCHECK
OSC_PORT=$((20000 + $$ % 20000))

start_jackd 64
HTTP_PORT=$((OSC_PORT + 2))
start_chanstrip rt -c 8 --osc-port $OSC_PORT --http-port $HTTP_PORT --connect 'system:capture_' \
	--meter-view \
	--set comp.enable=1 --set gate.enable=1 --set deess.enable=1 \
	--set pre.hum=50 --set pre.air=4 --set eq.enable=1 --set eq.mid_gain=3 \
	--set enh.enable=1 --set enh.hf=50 --set enh.lf=50 --set nr.enable=1 --set lim.enable=1 --set lim.ceiling=-20 --set link.group=1 \
	--midi-map '/strip/*/comp/threshold 1 7' --midi-map '/strip/1/comp/ratio 1 nrpn:300 pickup'
MIDISEND="$(dirname "$0")/../midi/midisend.py"
if /usr/bin/python3 -c 'import jack' 2>/dev/null; then
	/usr/bin/python3 "$MIDISEND" chanstrip 3 >"$TMP/midisend.log" 2>&1 &
	PIDS+=($!)
fi
"$JPLAYREC" -t chanstrip -p "$FIXTURES/speech.wav" -c 2 >"$TMP/play.log" 2>&1 &
PIDS+=($!)
if command -v oscsend >/dev/null; then
	oscsend localhost $OSC_PORT /subscribe si "osc.udp://127.0.0.1:$((OSC_PORT + 1))/" 30
	for v in -10 -20 -30 -40 -25; do
		oscsend localhost $OSC_PORT /strip/*/comp/threshold f $v
		oscsend localhost $OSC_PORT /strip/1/pre/oversample i 2
		oscsend localhost $OSC_PORT /strip/2/pre/model s tube
		oscsend localhost $OSC_PORT /strip/*/nr/learn f 0.5
		oscsend localhost $OSC_PORT /strip/3/nr/enable i $((v == -20))
		oscsend localhost $OSC_PORT /strip/4/nr/mode s learned
		sleep 0.2
	done
fi
if /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
	/usr/bin/python3 - "$HTTP_PORT" <<'PY' || fail "WebSocket client"
import struct, sys, time, websocket
p = sys.argv[1]
w = websocket.create_connection(f"ws://127.0.0.1:{p}/", timeout=3)
w.send('{"COMMAND":"LISTEN","DATA":"/strip"}')
w.send('{"COMMAND":"LISTEN","DATA":"/strip/*/meter","RATE":50}')
for v in (-10.0, -20.0, -30.0):
    w.send_binary(b"/strip/3/comp/threshold\0,f\0\0" + struct.pack(">f", v))
    time.sleep(0.2)
w.close()
PY
fi
sleep 1
if command -v jack_bufsize >/dev/null; then
	jack_bufsize 128 >/dev/null 2>&1 || fail "jack_bufsize 128"
	sleep 1
	jack_bufsize 32 >/dev/null 2>&1 || fail "jack_bufsize 32"
	sleep 1
fi
sleep 1
kill -TERM "$CS_PID"
wait_exit "$CS_PID" 3
cat "$TMP/rt.log" | grep -E "^rtcheck:|period is now" >&2
[ -s "$TMP/midisend.log" ] && cat "$TMP/midisend.log" >&2
grep -q "rtcheck: OK" "$TMP/rt.log" || fail "calls from the process callback (see rt.log)"
if command -v jack_bufsize >/dev/null; then
	grep -q "JACK period is now 32 frames" "$TMP/rt.log" || fail "the period change was not seen"
fi
[ "$EXIT_RC" = 0 ] || fail "exit status $EXIT_RC"
log "PASS"
