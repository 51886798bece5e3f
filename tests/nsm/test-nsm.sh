#!/bin/bash
# NSM round trip against cs-nsmserver (liblo) and a real jackd (dummy backend):
#  - announce (name, :dirty:, executable, API 1.1, pid) and no JACK client before the open
#  - the NSM socket is bound to loopback, not every interface; an open or save from another
#    address than the manager's is ignored (nothing created, nothing written), with one log
#    line for the lot
#  - a session path that cannot be created, and a corrupt state file: /error, chanstrip stays
#  - open: /reply, the JACK client is named after the client id, --set applies (new session)
#  - a change over OSC (oscsend): one is_dirty, not one per change; save: /reply, is_clean,
#    the state file holds every strip (3) and meter.cal
#  - SIGTERM: exit 0 within 1 s; restart with other --channels/--set, open the same path:
#    strips and values restored (the session wins over the command line), and no
#    connections of its own (a new session connects the physical inputs as usual)
#  - a save that cannot be written: /error, and chanstrip keeps running
#  - SIGTERM while waiting for the open; a refused announce (exit 1); a bad NSM_URL (runs
#    unmanaged)
# Environment from meson: CHANSTRIP, NSMSERVER.
. "$(dirname "$0")/../jack/lib.sh"
unset NSM_URL
command -v oscsend >/dev/null || skip "oscsend (liblo-tools) is not installed"

start_jackd 64

# ---- the NSM server, driven through a FIFO ----
SRV="$TMP/nsmserver.log"
mkfifo "$TMP/cmd"
"$NSMSERVER" <"$TMP/cmd" >"$SRV" 2>"$TMP/nsmserver-err.log" &
PIDS+=($!)
exec 3>"$TMP/cmd"
cmd() { echo "$*" >&3; }
wait_until 5 grep -q '^url ' "$SRV" || fail "cs-nsmserver did not start"
NSM_URL=$(sed -n 's/^url //p' "$SRV")
# expect PATTERN [TIMEOUT_S]: wait for a server line matching PATTERN (extended regex)
# after the mark (set by mark); sets LINE
MARK=0
mark() { MARK=$(wc -l <"$SRV"); }
since() { tail -n +$((MARK + 1)) "$SRV"; }
has() { since | grep -Eq -- "$1"; }
expect() {
	wait_until "${2:-3}" has "$1" || fail "the NSM server never saw: $1"
	LINE=$(since | grep -E -- "$1" | head -n 1)
}
count() { since | grep -Ec -- "$1"; }

OSCP=$(free_udp_port)
CS_PID=
# start_cs LOGNAME ARGS...: chanstrip under NSM in the background; waits for its announce
start_cs() {
	local name=$1
	shift
	mark
	NSM_URL="$NSM_URL" "$CHANSTRIP" "$@" >"$TMP/$name.log" 2>&1 &
	CS_PID=$!
	PIDS+=("$CS_PID")
	expect "^announce " 5
}
jack_has() { jack_lsp | grep -qx -- "$1"; }
# the connections of one port, one a line
conns_of() { jack_lsp -c "$1" | tail -n +2 | sed 's/^ *//'; }
in1_fed() { conns_of chanstrip.nTEST:in_1 | grep -qx system:capture_1; }
get() { # get OSCPATH: the value chanstrip answers (via cs-nsmserver's socket)
	mark
	cmd get "$OSCP" "$1"
	expect "^osc $1 " 3
	echo "$LINE" | awk '{ print $4 }'
}
stop_cs() {
	local t0 dt
	t0=$(now_ms)
	kill -TERM "$CS_PID"
	wait_exit "$CS_PID" 3
	dt=$(($(now_ms) - t0))
	[ "$EXIT_RC" = 0 ] || fail "SIGTERM: exit status $EXIT_RC"
	[ "$dt" -lt 1000 ] || fail "SIGTERM: took $dt ms"
	log "SIGTERM: exit 0 after $dt ms"
}

SESSION="$TMP/session/chanstrip.nTEST"
STATE="$SESSION.chanstrip"
mkdir -p "$TMP/session"

# ---- 1: announce, nothing in JACK before the open ----
start_cs cs1 -c 3 --osc-port "$OSCP" --set comp.ratio=2
read -r _ name caps exe major minor pid <<<"$LINE"
[ "$name" = chanstrip ] || fail "announce name '$name'"
[ "$caps" = ":dirty:" ] || fail "announce capabilities '$caps'"
[ "$exe" = "$CHANSTRIP" ] || fail "announce executable '$exe', want argv[0] '$CHANSTRIP'"
[ "$major.$minor" = 1.1 ] || fail "announce API $major.$minor"
[ "$pid" = "$CS_PID" ] || fail "announce pid $pid, want $CS_PID"
sleep 0.3
jack_lsp | grep -q '^chanstrip' && fail "a JACK client exists before the open"
gone "$CS_PID" && fail "chanstrip exited while waiting for the open"
log "announce ok: $name $caps $major.$minor pid $pid; no JACK client before the open"

# ---- 1b: the NSM socket listens on loopback only and obeys the manager only ----
read -r _ chost cport <<<"$(since | grep '^client ' | head -n 1)"
[ -n "$cport" ] || fail "cs-nsmserver printed no client address"
# /proc/net/udp{,6}: "sl local_address:PORT ..." in hex; 0100007F is 127.0.0.1
pport=$(printf '%04X' "$cport")
bound=$(awk -v p=":$pport" 'NR > 1 && substr($2, length($2) - 4) == p { print $2 }' \
	/proc/net/udp /proc/net/udp6)
[ "$bound" = "0100007F:$pport" ] ||
	fail "NSM socket (port $cport) bound to '$bound', want 127.0.0.1 only (0100007F:$pport)"
log "NSM socket bound to 127.0.0.1:$cport only (announce came from $chost)"
mark
cmd foreign open "$TMP/evil/deep/chanstrip.nEVIL" chanstrip chanstrip.nEVIL
cmd foreign save
cmd foreign save
sleep 0.5
[ -e "$TMP/evil" ] && fail "an open from another sender than the manager created $TMP/evil"
jack_lsp | grep -q '^chanstrip' && fail "an open from another sender started a JACK client"
has '^(reply|error) ' && fail "chanstrip answered an impostor: $(since | grep -E '^(reply|error) ')"
gone "$CS_PID" && fail "chanstrip exited after messages from an impostor"
n_ign=$(grep -c 'NSM: ignored ' "$TMP/cs1.log")
[ "$n_ign" = 1 ] || fail "$n_ign log lines for 3 impostor messages, want 1: $(cat "$TMP/cs1.log")"
log "impostor open and saves ignored: $(grep 'NSM: ignored ' "$TMP/cs1.log")"

# ---- 2: opens that must fail, without taking chanstrip down ----
: >"$TMP/afile"
mark
cmd open "$TMP/afile/sub/chanstrip.nBAD" chanstrip chanstrip.nBAD
expect '^error /nsm/client/open -10 '
log "uncreatable path: $LINE"
printf 'comp.ratio 4\ncomp.ratio banana\n' >"$TMP/session/corrupt.chanstrip"
mark
cmd open "$TMP/session/corrupt" chanstrip chanstrip.nBAD
expect '^error /nsm/client/open -9 .*corrupt\.chanstrip:2:'
log "corrupt state file: $LINE"
printf '# chanstrip: chanstrip-session strips=2 (2 strips)\n3:comp.ratio 4\n' \
	>"$TMP/session/toomany.chanstrip"
mark
cmd open "$TMP/session/toomany" chanstrip chanstrip.nBAD
expect '^error /nsm/client/open -9 .*strip 3'
gone "$CS_PID" && fail "chanstrip exited after a failed open"
jack_lsp | grep -q '^chanstrip' && fail "a JACK client exists after failed opens"

# ---- 3: open a new session ----
mark
cmd open "$SESSION" chanstrip chanstrip.nTEST
expect '^reply /nsm/client/open ' 5
log "open: $LINE"
for i in 1 2 3; do
	jack_has "chanstrip.nTEST:in_$i" || fail "no JACK port chanstrip.nTEST:in_$i"
done
# a new session connects as usual: the dummy backend's capture ports feed in_1, in_2
wait_until 2 in1_fed || fail "new session: in_1 not connected to system:capture_1"
cmd foreign save
sleep 0.3
[ -e "$STATE" ] && fail "a new session wrote its state before any save (or obeyed an impostor)"
v=$(get /strip/2/comp/ratio)
[ "$v" = 2 ] || fail "new session: comp.ratio $v, want 2 (--set)"
sleep 0.4
[ "$(count '^is_dirty')" = 0 ] || fail "is_dirty right after the open"

# ---- 4: a change over OSC makes it dirty, once ----
mark
oscsend 127.0.0.1 "$OSCP" /strip/2/comp/ratio f 7.5 || fail "oscsend"
expect '^is_dirty' 2
oscsend 127.0.0.1 "$OSCP" /strip/3/meter/cal f 24 || fail "oscsend"
oscsend 127.0.0.1 "$OSCP" /strip/1/out/gain f -3 || fail "oscsend"
sleep 0.5
[ "$(count '^is_dirty')" = 1 ] || fail "$(count '^is_dirty') is_dirty messages, want 1"
log "OSC change: one is_dirty"

# ---- 5: save ----
mark
cmd save
expect '^reply /nsm/client/save ' 3
expect '^is_clean' 2
[ -f "$STATE" ] || fail "no state file $STATE"
head -n 1 "$STATE" | grep -q 'chanstrip-session strips=3' || fail "state header: $(head -n 1 "$STATE")"
grep -qx '2:comp.ratio 7.5' "$STATE" || fail "state lacks 2:comp.ratio 7.5"
grep -qx '3:meter.cal 24' "$STATE" || fail "state lacks 3:meter.cal 24"
grep -qx '1:out.gain -3' "$STATE" || fail "state lacks 1:out.gain -3"
grep -qx 'gate.threshold -50' "$STATE" || fail "state lacks the unchanged parameters"
ls "$TMP/session" | grep -q '\.tmp\.' && fail "temporary files left in the session folder"
log "save: reply, is_clean, $(grep -vc '^#' "$STATE") parameter lines"

# ---- 6: SIGTERM, restart with another command line, same session ----
stop_cs
jack_lsp | grep -q '^chanstrip' && fail "JACK ports still registered after SIGTERM"
start_cs cs2 -c 1 --osc-port "$OSCP" --set comp.ratio=3
mark
cmd open "$SESSION" chanstrip chanstrip.nTEST
expect '^reply /nsm/client/open .*restored' 5
jack_has "chanstrip.nTEST:out_3" || fail "3 strips not restored (-c 1 on the command line)"
[ "$(get /strip/2/comp/ratio)" = 7.5 ] || fail "2:comp.ratio not restored"
[ "$(get /strip/1/comp/ratio)" = 2 ] || fail "1:comp.ratio: the session must win over --set"
[ "$(get /strip/3/meter/cal)" = 24 ] || fail "3:meter.cal not restored"
[ "$(get /strip/1/out/gain)" = -3 ] || fail "1:out.gain not restored"
[ "$(get /strip/1/meter/cal)" = 18 ] || fail "1:meter.cal changed"
log "restart: 3 strips and every value restored over -c 1 --set comp.ratio=3"
# a restored session leaves connections to the session (jackpatch): none of its own
for p in in_1 in_2 in_3 out_1; do
	[ -z "$(conns_of "chanstrip.nTEST:$p")" ] || fail "restored session connected $p"
done

# ---- 7: a save that cannot be written ----
mv "$TMP/session" "$TMP/session.moved"
: >"$TMP/session" # the session folder is now a file
mark
oscsend 127.0.0.1 "$OSCP" /strip/1/comp/ratio f 5 || fail "oscsend"
expect '^is_dirty' 2
cmd save
expect '^error /nsm/client/save -1 ' 3
log "unwritable save: $LINE"
gone "$CS_PID" && fail "chanstrip exited after a failed save"
[ "$(count '^is_clean')" = 0 ] || fail "is_clean after a failed save"
rm "$TMP/session"
mv "$TMP/session.moved" "$TMP/session"
mark
cmd save
expect '^reply /nsm/client/save ' 3
expect '^is_clean' 2
grep -qx '1:comp.ratio 5' "$STATE" || fail "the retried save lacks 1:comp.ratio 5"
stop_cs

# ---- 8: SIGTERM while waiting for the open ----
start_cs cs3 -c 2 --no-connect
stop_cs

# ---- 9: a refused announce ----
cmd refuse
start_cs cs4 -c 2 --no-connect
wait_exit "$CS_PID" 3
[ "$EXIT_RC" = 1 ] || fail "refused announce: exit status $EXIT_RC, want 1"
grep -q 'refused chanstrip' "$TMP/cs4.log" || fail "refused announce: no clear message"
log "refused announce: exit 1: $(grep refused "$TMP/cs4.log")"

# ---- 10: an invalid NSM_URL runs unmanaged ----
NSM_URL="not-a-url" "$CHANSTRIP" -c 1 --no-connect >"$TMP/cs5.log" 2>&1 &
CS_PID=$!
PIDS+=("$CS_PID")
wait_until 5 jack_has "chanstrip:in_1" || fail "invalid NSM_URL: not running as 'chanstrip'"
stop_cs

foreign=$(grep -c '^foreign' "$SRV")
[ "$foreign" = 0 ] || fail "$foreign NSM messages came from another address than the announce"
log "PASS"
