#!/bin/bash
# run-demo.sh: chanstrip's main job in one command, on a fresh Debian/Ubuntu machine.
#
#   1. installs the packages it needs when they are missing (scripts/deps.sh: apt-get, sudo
#      when not root),
#   2. builds chanstrip with meson (into build-demo/, or $BUILD_DIR),
#   3. uses the running JACK server, or, when none runs, starts `jackd -d dummy` (no sound card
#      needed) under a server name of its own, and says so,
#   4. runs chanstrip with 2 strips and a preset ($PRESET, default vocal-dynamic) and the
#      terminal meter view; its outputs go to the physical playback ports, so on a real
#      server you hear it,
#   5. plays the bundled speech fixture (8 s, 48 kHz) into both strips through JACK,
#   6. stops chanstrip (SIGTERM) and the server it started, and reports how they ended.
#
# Environment: BUILD_DIR, PRESET, JACK_DEFAULT_SERVER (which server to look for).
# Exit status: 0 when chanstrip ran the whole demo and stopped cleanly.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-demo}
PRESET=${PRESET:-vocal-dynamic}
FIXTURE=$ROOT/tests/fixtures/speech.wav
CLIENT=chanstrip-demo

say() { printf 'run-demo: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

JACKD_PID=
CS_PID=
PLAY_PID=
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/chanstrip-demo.XXXXXX")

cleanup() {
	local p
	# clients first, then the server we started (jackd can die of SIGPIPE when a client
	# closes while it shuts down)
	for p in $PLAY_PID $CS_PID; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in $PLAY_PID $CS_PID; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$JACKD_PID" ]; then
		kill -TERM "$JACKD_PID" 2>/dev/null || true
		wait "$JACKD_PID" 2>/dev/null || true
	fi
	rm -rf "$LOGDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# bounded poll: wait_until SECONDS CMD...
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -le $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# 1. packages
if command -v dpkg-query >/dev/null; then
	"$ROOT/scripts/deps.sh" || die "installing the packages failed (see above)"
else
	for c in meson ninja pkg-config jackd jack_lsp; do
		command -v $c >/dev/null || die "$c is missing; install JACK2, liblo, libsndfile, check, meson"
	done
fi

# 2. build
if [ ! -f "$BUILD/build.ninja" ]; then
	say "configuring $BUILD"
	meson setup "$BUILD" "$ROOT" >"$LOGDIR/meson.log" 2>&1 ||
		{ cat "$LOGDIR/meson.log" >&2; die "meson setup failed"; }
fi
say "building"
ninja -C "$BUILD" src/chanstrip tests/jack/cs-jplayrec >"$LOGDIR/ninja.log" 2>&1 ||
	{ tail -n 30 "$LOGDIR/ninja.log" >&2; die "the build failed"; }

# 3. a JACK server
export JACK_NO_AUDIO_RESERVATION=1
if jack_lsp >/dev/null 2>&1; then
	say "using the running JACK server '${JACK_DEFAULT_SERVER:-default}'"
else
	name="chanstrip-demo-$$"
	say "no JACK server is running: starting 'jackd -d dummy' as server '$name' (no sound card needed)"
	export JACK_DEFAULT_SERVER=$name
	for rt in "" "--no-realtime"; do
		# shellcheck disable=SC2086
		jackd $rt -n "$name" -d dummy -r 48000 -p 256 >"$LOGDIR/jackd.log" 2>&1 &
		JACKD_PID=$!
		wait_until 5 jack_lsp && break
		kill -KILL "$JACKD_PID" 2>/dev/null || true
		wait "$JACKD_PID" 2>/dev/null || true
		JACKD_PID=
	done
	[ -n "$JACKD_PID" ] || { cat "$LOGDIR/jackd.log" >&2; die "jackd -d dummy did not start"; }
fi

# 4. chanstrip (its log and meter view go straight to the terminal)
say "starting chanstrip: --preset $PRESET, 2 strips, meter view"
"$BUILD/src/chanstrip" --name "$CLIENT" -c 2 --no-connect --connect-out 'system:playback_' \
	--preset "$PRESET" --meter-view &
CS_PID=$!
# stderr stays the terminal (the meter view redraws in place there): watch for the ports
wait_until 5 sh -c "jack_lsp | grep -q '^$CLIENT:out_2\$'" ||
	die "chanstrip did not start (see above)"

# 5. the speech fixture through JACK into both strips
"$BUILD/tests/jack/cs-jplayrec" -t "$CLIENT" -p "$FIXTURE" -c 2 >"$LOGDIR/play.log" 2>&1 &
PLAY_PID=$!
wait "$PLAY_PID" || { cat "$LOGDIR/play.log" >&2; die "playing the fixture failed"; }
PLAY_PID=
sleep 1 # let the meters fall back

# 6. shut down
kill -TERM "$CS_PID"
rc=0
wait "$CS_PID" || rc=$?
CS_PID=
[ $rc = 0 ] || die "chanstrip exited with status $rc"
say "done: chanstrip stopped cleanly${JACKD_PID:+; stopping the dummy JACK server}"
