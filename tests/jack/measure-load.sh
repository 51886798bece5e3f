#!/bin/bash
# measure-load.sh [CHANNELS...]: JACK DSP load of chanstrip (jack_cpu_load: the server's own
# figure, the share of each period the whole graph takes) under a dummy jackd at 48 kHz,
# periods 64, 32 and 16 ($LOAD_PERIODS), for 2, 16 and 64 channels (or those given). Every strip runs the
# vocal-dynamic preset (low cut, transformer model, expander, compressor, de-esser) on the
# speech fixture, played in by cs-jplayrec. "idle" is the same server with no client.
# A meson benchmark (meson test --benchmark); $LOAD_SECONDS per figure (default 6).
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2206
CHANNELS=(${*:-2 16 64})
SECS=${LOAD_SECONDS:-6}

# median of the per-second `jack DSP load X` lines, the first one skipped: JACK's figure is
# the worst of a window of cycles, so one late timer wake-up (common in VMs: an idle dummy
# jackd there logs late wake-ups of milliseconds) would dominate a mean
load() {
	timeout $((SECS + 1)) jack_cpu_load 2>/dev/null | awk '/DSP load/ {if (++n > 1) print $4}' |
		sort -g | awk '{v[NR] = $1} END {if (NR) printf "%.1f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2; else print "?"}'
}

printf '%-7s %-9s %-8s %-15s %s\n' period channels idle "with chanstrip" "xruns (chanstrip's log)"
for period in ${LOAD_PERIODS:-64 32 16}; do
	start_jackd $period
	idle=$(load)
	for ch in "${CHANNELS[@]}"; do
		start_chanstrip load-$period-$ch -c "$ch" --no-connect --osc-port 0 --preset vocal-dynamic
		"$JPLAYREC" -t chanstrip -p "$FIXTURES/speech.wav" -c "$ch" >/dev/null 2>&1 &
		play_pid=$!
		PIDS+=("$play_pid")
		sleep 0.5
		with=$(load)
		kill -TERM "$play_pid" 2>/dev/null
		wait "$play_pid" 2>/dev/null
		kill -TERM "$CS_PID"
		wait_exit "$CS_PID" 3
		xr=$(grep -o '([0-9]* since start)' "$TMP/load-$period-$ch.log" | tail -n 1 | tr -dc 0-9)
		printf '%-7s %-9s %-8s %-15s %s\n' "$period" "$ch" "$idle %" "$with %" "${xr:-0}"
	done
	stop_pids TERM "$JACKD_PID"
	# shellcheck disable=SC2034 # read by lib.sh's cleanup
	wait "$JACKD_PID" 2>/dev/null || NEED_RECLAIM=1
	JACKD_PID=
done
