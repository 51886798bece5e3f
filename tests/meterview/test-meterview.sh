#!/bin/bash
# The full-screen meter view (--meter-view) driven like a user would, under tmux: chanstrip
# on a dummy jackd in a 100x40 pane, a full-scale sine played into both strips.
# - the screen has the status line, the keys, a labelled dBFS scale (-60 .. 0) and a GR
#   scale, and per strip a heading, an in and an out bar and one gain-reduction row per
#   dynamics stage (the stages are read from the --meters CSV header, so a new stage is
#   expected without editing this test);
# - the clipping sine shows as clips and a held peak of 0 dBFS; r resets both;
# - a log line (the period change of jack_bufsize) lands on the last line, the screen does
#   not scroll;
# - at 60x24 nothing wraps: every line starts as a line of the view does, headings once;
# - q quits with status 0 and the log lines the view held are printed afterwards.
. "$(dirname "$0")/../jack/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed"
SOCK="chanstrip-mv-$$-$RANDOM"
tmx() { tmux -L "$SOCK" "$@"; }
trap 'tmx kill-server 2>/dev/null; cleanup' EXIT
export TERM=${TERM:-xterm}
[ "$TERM" = dumb ] && export TERM=xterm

pane() { tmx capture-pane -p -t mv; }
# pane_has REGEX: the pane shows a line matching REGEX (extended)
pane_has() { pane | grep -Eq -- "$1"; }
show() { echo "---- pane:" >&2; pane >&2; }
check() { # check WHAT REGEX
	wait_until 5 pane_has "$2" || { show; fail "$1: no line matching '$2'"; }
	log "ok: $1"
}

# the dynamics stages, from the meter fields
"$WAVTOOL" gen "$TMP/short.wav" 48000 1 float 0.1 noise
"$CHANSTRIP" --offline "$TMP/short.wav" "$TMP/short-out.wav" --meters "$TMP/m.csv" ||
	fail "offline run for the meter fields failed"
mapfile -t STAGES < <(head -1 "$TMP/m.csv" | tr ',' '\n' | sed -n 's/_gr_db$//p')
[ ${#STAGES[@]} -ge 3 ] || fail "meter fields name only ${#STAGES[@]} dynamics stages"

JACKD_OPTS=-S start_jackd 256
tmx new-session -d -s mv -x 100 -y 40 \
	"'$CHANSTRIP' -c 2 --no-connect --osc-port 0 --meter-view --set comp.enable=1 \
	--set comp.threshold=-40; echo EXIT=\$? >'$TMP/exit'; sleep 60"
check "status line" "^chanstrip +48000 Hz +period 256 +DSP .*xruns [0-9]+"
check "keys" "^keys: q quit +r reset held peaks and clips"
check "level scale" "^level +-60 .* 0 dBFS$"
check "GR scale" "^GR +0 .* 24 dB$"
check "column heading" "# RMS +: peak +\| held peak +RMS +peak +held$"
for s in 1 2; do check "strip $s heading" "^strip $s "; done
check "in bars" "^  in +\[.*\] "
check "out bars" "^  out +\[.*\] "
for g in "${STAGES[@]}"; do check "GR row $g" "^  $g +\[.*\] "; done

"$WAVTOOL" gen "$TMP/sine.wav" 48000 2 float 1 sine:1000:1.0
# (its exit status 3, cycles skipped on a loaded machine, still played enough to clip)
timeout 20 "$JPLAYREC" -t chanstrip -p "$TMP/sine.wav" -c 2 >"$TMP/play.log" 2>&1
check "clips counted" "^strip 1 .*clips [1-9][0-9]*$"
check "held peak 0 dBFS" "^  in +\[.*\] +(---|-?[0-9.]+) +(---|-?[0-9.]+) +-?0\.0$"
tmx send-keys -t mv r
check "r resets clips" "^strip 1 .*clips 0$"
check "r resets held peak" "^  in +\[.*\] +--- +--- +---$"

jack_bufsize 512 >/dev/null 2>&1 || fail "jack_bufsize failed"
check "log line on the last line" "chanstrip: JACK period is now 512 frames"
pane | tail -1 | grep -q "JACK period is now 512" || { show; fail "the log line is not last"; }
pane | head -1 | grep -q "^chanstrip .*Hz" || { show; fail "the view scrolled"; }
log "ok: log line shown in place"

tmx resize-window -t mv -x 60 -y 24
check "60 columns: status" "^chanstrip +48000 Hz +period 512"
sleep 0.3
prefix="^(chanstrip|keys: |level |GR |strip [0-9]|  in +\[|  out +\[| +# RMS|strips [0-9]"
for g in "${STAGES[@]}"; do prefix+="|  $g +\["; done
# the other meter fields, "name value" pairs wrapped at the width
prefix+="| [a-z][a-z0-9_]+ +-?[0-9]+\.[0-9]( |$)"
prefix+=")"
bad=$(pane | grep -v '^$' | grep -Ev "$prefix")
[ -z "$bad" ] || { show; fail "60 columns: lines that are not the view's: $bad"; }
[ "$(pane | grep -c '^keys: ')" = 1 ] || { show; fail "60 columns: the keys line repeats"; }
pane | grep -Eq "^level +-60 .* 0 dBFS$" || { show; fail "60 columns: the scale lost its ends"; }
pane | grep -Eq "^  in +\[.*\] +(---|-?[0-9.]+) +(---|-?[0-9.]+) +(---|-?[0-9.]+)$" ||
	{ show; fail "60 columns: the in bar and its figures do not fit"; }
log "ok: 60 columns, nothing wraps"

tmx send-keys -t mv q
wait_until 5 test -s "$TMP/exit" || { show; fail "q did not quit"; }
grep -q "EXIT=0" "$TMP/exit" || fail "q: $(cat "$TMP/exit")"
check "held log replayed" "^chanstrip: JACK period is now 512 frames"
check "q logged" "^chanstrip: q pressed in the meter view: stopping"

# Not a terminal (a log file, as scripts/run-demo.sh keeps it): plain blocks. A -20 dBFS sine
# reads RMS -20.0 (AES17: a sine's RMS reads as its peak) and true-peak headroom 20.0 dB; the
# headroom once printed the RMS's text ("-20.0").
"$CHANSTRIP" -n csplain -c 1 --no-connect --osc-port 0 --http-port 0 --meter-view >"$TMP/plain.log" 2>&1 &
PIDS+=($!)
wait_until 5 grep -q "on JACK server" "$TMP/plain.log" || fail "plain view did not start"
"$WAVTOOL" gen "$TMP/sine20.wav" 48000 1 float 2 sine:1000:0.1
timeout 20 "$JPLAYREC" -t csplain -p "$TMP/sine20.wav" -c 1 >"$TMP/play2.log" 2>&1
grep -Eq "^strip 1: in rms +-20\.0 .*headroom 20\.0," "$TMP/plain.log" ||
	fail "plain view: no 'in rms -20.0 ... headroom 20.0' line: $(grep '^strip 1' "$TMP/plain.log" | tail -2)"
log "ok: plain view's figures"
log "PASS"
