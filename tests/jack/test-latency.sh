#!/bin/bash
# Latency: with pre.oversample=4 the strip's filter latency L (the start line's "latency L")
# is added to the ports' JACK latency ranges (out_1's capture latency = the dummy backend's
# 64 + L); changing pre.oversample over OSC at run time makes chanstrip recompute the graph's
# latencies (back to 64 at oversample 1, and to 64 + L again at 4); lim.enable adds the
# limiter's 64 samples and takes them away again.
. "$(dirname "$0")/lib.sh"
command -v oscsend >/dev/null || skip "oscsend (liblo-tools) is not installed"
OSC_PORT=$((20000 + $$ % 20000))
start_jackd 64
start_chanstrip cs -c 2 --connect 'system:capture_' --connect-out 'system:playback_' \
	--osc-port $OSC_PORT --set pre.oversample=4
L=$(grep -o 'latency [0-9]*' "$TMP/cs.log" | head -n 1 | tr -dc 0-9)
[ -n "$L" ] && [ "$L" -gt 0 ] || fail "pre.oversample=4 reports latency '$L'"

capture_latency() { jack_lsp -l chanstrip:out_1 | grep -o 'capture latency = \[ [0-9]* [0-9]* \]'; }
has_latency() { [ "$(capture_latency)" = "capture latency = [ $1 $1 ]" ]; }
playback_latency_in() { jack_lsp -l chanstrip:in_2 | grep -q "playback latency = \[ $1 $1 \]"; }

has_latency $((64 + L)) || fail "out_1: $(capture_latency), expected $((64 + L)) (64 + $L)"
# playback side: in_2 sees the latency of the port out_2 feeds plus L
PB=$(jack_lsp -l system:playback_2 | grep -o 'playback latency = \[ [0-9]*' | tr -dc 0-9)
playback_latency_in $((PB + L)) || fail "in_2: $(jack_lsp -l chanstrip:in_2), expected $PB + $L"
oscsend localhost $OSC_PORT /strip/*/pre/oversample i 1
wait_until 3 has_latency 64 || fail "after oversample 1: $(capture_latency), expected 64"
oscsend localhost $OSC_PORT /strip/*/pre/oversample i 4
wait_until 3 has_latency $((64 + L)) || fail "after oversample 4 again: $(capture_latency)"
# the true-peak limiter adds its lookahead (64 samples at 48 kHz) while on, nothing while off
oscsend localhost $OSC_PORT /strip/*/lim/enable i 1
wait_until 3 has_latency $((64 + L + 64)) || fail "lim.enable 1: $(capture_latency), expected $((64 + L + 64))"
oscsend localhost $OSC_PORT /strip/*/lim/enable i 0
wait_until 3 has_latency $((64 + L)) || fail "lim.enable 0: $(capture_latency), expected $((64 + L))"
log "oversample 4: latency $L samples; JACK ranges follow run-time changes; lim.enable adds 64"
log "PASS"
