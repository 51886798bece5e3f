#!/bin/bash
# soak.sh: chanstrip under load for a long time, with an idle JACK server as the baseline.
#
#   bench/soak.sh [-n STRIPS] [-t SECONDS] [-p PERIOD] [-r SETS_PER_S] [-s SUBSCRIBERS]
#                 [-m METER_HZ] [-b concurrent|sequential|none] [-B BUILD_DIR]
#   defaults:     -n 8 -t 600 -p 16 -r 100 -s 2 -m 50 -b concurrent -B build
#
# The soak: a dummy-backend jackd (48 kHz, PERIOD frames, its own server name) runs chanstrip
# with STRIPS strips; cs-soak-jack feeds a sine into every input and counts non-finite samples
# at every output; cs-soak-osc sends SETS_PER_S random parameter sets over OSC while
# SUBSCRIBERS clients take meters at METER_HZ. The baseline: a second dummy jackd with the
# same settings and nothing on it but an xrun counter, for the same length of time.
#
# -b concurrent (the default) runs the baseline at the same time as the soak: on a shared
# machine whose load comes and goes, the baseline then sees the same load as the soak (run
# one after the other, they would measure two different afternoons), and the whole takes
# SECONDS instead of twice that. The cost: the idle server's own wake-ups (3000/s at period
# 16) compete with the soak's; -b sequential avoids that on a quiet machine.
#
# Prints: xruns (soak vs baseline), chanstrip's CPU (share of one core, user+system, over
# the run), its RSS at the start and the end, output frames checked and non-finite samples,
# OSC sets sent and meter packets received. A benchmark, not a test: it never fails on the
# numbers; exit status is non-zero only if something did not start or died.
set -u
cd "$(dirname "$0")/.."

strips=8 seconds=600 period=16 rate=100 subs=2 meter_hz=50 baseline=concurrent build=build
while getopts "n:t:p:r:s:m:b:B:" opt; do
	case $opt in
	n) strips=$OPTARG ;;
	t) seconds=$OPTARG ;;
	p) period=$OPTARG ;;
	r) rate=$OPTARG ;;
	s) subs=$OPTARG ;;
	m) meter_hz=$OPTARG ;;
	b) baseline=$OPTARG ;;
	B) build=$OPTARG ;;
	*) sed -n '2,8p' "$0" >&2; exit 2 ;;
	esac
done
chanstrip=$build/src/chanstrip soak_jack=$build/bench/cs-soak-jack soak_osc=$build/bench/cs-soak-osc
for f in "$chanstrip" "$soak_jack" "$soak_osc"; do
	[ -x "$f" ] || { echo "soak.sh: $f missing: meson compile -C $build" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/chanstrip-soak.XXXXXX")
server="chanstrip-soak-$$" idle_server="chanstrip-soak-idle-$$"
export JACK_NO_AUDIO_RESERVATION=1
pids=()
cleanup() {
	local p
	# clients before servers: jackd 1.9.21 can die of SIGPIPE otherwise
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for p in "${jackd_pids[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null; done
	for p in "${jackd_pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
jackd_pids=()
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME: realtime when allowed, as the tests do; waits until it answers
start_server() {
	local name=$1 rt
	for rt in "" "--no-realtime"; do
		# shellcheck disable=SC2086
		jackd $rt -n "$name" -d dummy -r 48000 -p "$period" >>"$tmp/$name.log" 2>&1 &
		local p=$!
		for _ in $(seq 50); do
			if JACK_DEFAULT_SERVER=$name jack_lsp >/dev/null 2>&1; then
				jackd_pids+=("$p")
				return 0
			fi
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	echo "soak.sh: jackd -n $name did not start" >&2
	exit 1
}

# free_udp_port: one nobody listens on
free_udp_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
	echo 29999
}

# proc_cpu_ticks PID: utime + stime (clock ticks); proc_rss_kb PID
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proc_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

run_baseline() {
	start_server "$idle_server"
	JACK_DEFAULT_SERVER=$idle_server "$soak_jack" -d "$seconds" >"$tmp/idle.out" \
		2>"$tmp/idle.err" &
	idle_pid=$!
	pids+=("$idle_pid")
}

if [ "$baseline" = sequential ]; then
	echo "soak.sh: baseline first: an idle server for $seconds s" >&2
	run_baseline
	wait "$idle_pid" || { cat "$tmp/idle.err" >&2; exit 1; }
fi

start_server "$server"
export JACK_DEFAULT_SERVER=$server
port=$(free_udp_port)
"$chanstrip" -c "$strips" --no-connect --osc-port "$port" >"$tmp/chanstrip.log" 2>&1 &
cs_pid=$!
pids+=("$cs_pid")
for _ in $(seq 100); do
	jack_lsp 2>/dev/null | grep -q "^chanstrip:out_$strips\$" && break
	sleep 0.1
done
jack_lsp 2>/dev/null | grep -q "^chanstrip:out_$strips\$" ||
	{ echo "soak.sh: chanstrip did not start" >&2; cat "$tmp/chanstrip.log" >&2; exit 1; }
[ "$baseline" = concurrent ] && run_baseline

"$soak_jack" -t chanstrip -c "$strips" -d "$seconds" >"$tmp/soak.out" 2>"$tmp/soak.err" &
soak_pid=$!
"$soak_osc" -p "$port" -c "$strips" -r "$rate" -d "$seconds" -s "$subs" -m "$meter_hz" \
	>"$tmp/osc.out" 2>"$tmp/osc.err" &
osc_pid=$!
pids+=("$soak_pid" "$osc_pid")
echo "soak.sh: $strips strips, period $period, $rate sets/s, $subs subscribers at" \
	"$meter_hz Hz, $seconds s (baseline: $baseline)" >&2

sleep 2 # past start-up: buffers paged in, subscriptions made
rss0=$(proc_rss_kb "$cs_pid") cpu0=$(proc_cpu_ticks "$cs_pid") t0=$(date +%s.%N)
wait "$soak_pid"
soak_rc=$?
t1=$(date +%s.%N)
cs_alive=1
kill -0 "$cs_pid" 2>/dev/null || cs_alive=0
rss1=$( ((cs_alive)) && proc_rss_kb "$cs_pid" || echo "?")
cpu1=$( ((cs_alive)) && proc_cpu_ticks "$cs_pid" || echo "$cpu0")
wait "$osc_pid"
[ "$baseline" = concurrent ] && wait "$idle_pid"

hz=$(getconf CLK_TCK)
cpu_pct=$(awk -v a="$cpu0" -v b="$cpu1" -v hz="$hz" -v t0="$t0" -v t1="$t1" \
	'BEGIN { printf "%.1f", 100 * (b - a) / hz / (t1 - t0) }')
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" "$2"; }
echo "soak: $strips strips, period $period at 48 kHz, ${seconds} s," \
	"$(field sets "$tmp/osc.out") OSC sets ($rate/s), $subs meter subscribers at $meter_hz Hz"
echo "  xruns: $(field xruns "$tmp/soak.out") under load," \
	"$(field xruns "$tmp/idle.out" 2>/dev/null || echo '?') on the idle baseline server ($baseline)"
echo "  chanstrip CPU: $cpu_pct % of one core; RSS ${rss0} kB at start, ${rss1} kB at end"
echo "  output: $(field frames "$tmp/soak.out") frames x $strips channels checked," \
	"$(field nonfinite "$tmp/soak.out") non-finite samples, peak $(field peak "$tmp/soak.out")"
echo "  OSC: $(field meter_packets "$tmp/osc.out") meter/feedback packets" \
	"($(field meter_bytes "$tmp/osc.out") bytes) received, $(field errors "$tmp/osc.out") /error replies"
if [ "$soak_rc" -ne 0 ] || [ "$cs_alive" = 0 ]; then
	echo "soak.sh: FAILED (cs-soak-jack exit $soak_rc, chanstrip alive: $cs_alive)" >&2
	tail -n 20 "$tmp/soak.err" "$tmp/chanstrip.log" >&2
	exit 1
fi
