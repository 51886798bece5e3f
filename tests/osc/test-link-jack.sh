#!/bin/bash
# The stereo link live: chanstrip with two strips on a dummy-backend jackd, the compressor and
# the limiter (-20 dBTP, under the compressed tone) on in both, a -6 dBFS tone into strip 1
# only and -70 dBFS noise into strip 2 (cs-jplayrec). link.group and link.amount are set over
# OSC; the right strip's output level and its comp_gr_db and lim_gr_db meters (read back over
# OSC) follow: not linked it is untouched, linked at 100 % each stage turns it down by the
# left's reduction (within 0.1 dB on the meters; their sum within 0.5 dB in the audio), at
# 50 % by half of it (within 0.2 dB).
. "$(dirname "$0")/osclib.sh"
playrec() {
	for _ in 1 2 3; do
		timeout 30 "$JPLAYREC" -t chanstrip "$@" >"$TMP/jplayrec.log" 2>&1 && return 0
		log "cs-jplayrec: $(tail -1 "$TMP/jplayrec.log"); again"
	done
	return 1
}
# median_gr FROM STRIP: the median of the lim_gr_db values above 0.01 dB that STRIP reported
# from line FROM of the dump on: the steady reduction (the largest is the tone's onset, before
# the compressor has attacked)
median_gr() {
	msgs | tail -n +"$1" | awk -v a="/strip/$2/meter/lim_gr_db" '$1 == a && $3 > 0.01 { print $3 }' |
		sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}
# measure: play, then the right channel's output level, the largest comp_gr_db and the
# median lim_gr_db each strip reported over OSC while it played (meters per field, subscribed
# below): "rms compL compR limL limR"
measure() {
	local from
	from=$(wc -l <"$DUMP")
	playrec -p "$TMP/in.wav" -r "$TMP/rec.wav" -c 2 || fail "cs-jplayrec failed"
	sleep 0.3
	read -r rms _ bad < <("$OSCWAV" level "$TMP/rec.wav" 2 0.5)
	[ "$bad" = 0 ] || fail "non-finite output"
	echo "$rms $(msgs | tail -n +"$((from + 1))" | awk '
		$1 == "/strip/1/meter/comp_gr_db" && $3 > l { l = $3 }
		$1 == "/strip/2/meter/comp_gr_db" && $3 > r { r = $3 }
		END { print l + 0, r + 0 }') $(median_gr "$((from + 1))" 1) $(median_gr "$((from + 1))" 2)"
}

JACKD_OPTS=-S start_jackd 64
start_chanstrip cs -c 2 --no-connect --osc-port "$OSCP" \
	--set comp.enable=1 --set comp.threshold=-24 --set comp.ratio=4 \
	--set lim.enable=1 --set lim.ceiling=-20
oscdump -L "$DUMPP" >"$DUMP" 2>"$TMP/oscdump.log" &
PIDS+=($!)
wait_until 3 ss -Huln "sport = :$DUMPP" || sleep 0.5
send /subscribe/fields sf "$URL" 20
wait_until 3 grep -q "/strip/2/meter/comp_gr_db" "$DUMP" || fail "no meters"
"$WAVTOOL" gen "$TMP/in.wav" 48000 2 float 1.5 left:1000:0.5011872 || fail "wavtool gen"

read -r rms0 l0 r0 ll0 lr0 < <(measure)
send /strip/1/link/group f 1
send /strip/2/link/group f 1
read -r rms1 l1 r1 ll1 lr1 < <(measure)
send '/strip/*/link/amount' f 50
read -r rms5 l5 r5 ll5 lr5 < <(measure)
log "not linked: right out $rms0 dBFS, comp GR L $l0 R $r0 dB, lim GR L $ll0 R $lr0 dB"
log "linked 100 %: right out $rms1 dBFS, comp GR L $l1 R $r1 dB, lim GR L $ll1 R $lr1 dB"
log "linked 50 %: right out $rms5 dBFS, comp GR L $l5 R $r5 dB, lim GR L $ll5 R $lr5 dB"
awk -v l="$ll0" -v r="$lr0" 'BEGIN { exit !(l > 1 && r < 0.01) }' ||
	fail "not linked: lim GR L $ll0 R $lr0"
awk -v l="$ll1" -v r="$lr1" 'BEGIN { d = l - r; exit !(d < 0.1 && d > -0.1) }' ||
	fail "linked 100 %: lim GR L $ll1 R $lr1"
awk -v l="$ll5" -v r="$lr5" 'BEGIN { d = l / 2 - r; exit !(d < 0.2 && d > -0.2) }' ||
	fail "linked 50 %: lim GR L $ll5 R $lr5"
awk -v l="$l0" -v r="$r0" 'BEGIN { exit !(l > 10 && r < 0.01) }' || fail "not linked: GR L $l0 R $r0"
awk -v l="$l1" -v r="$r1" 'BEGIN { d = l - r; exit !(d < 0.1 && d > -0.1) }' ||
	fail "linked 100 %: GR L $l1 R $r1"
awk -v l="$l5" -v r="$r5" 'BEGIN { d = l / 2 - r; exit !(d < 0.2 && d > -0.2) }' ||
	fail "linked 50 %: GR L $l5 R $r5"
awk -v a="$rms0" -v b="$rms1" -v g="$l1" -v h="$ll1" \
	'BEGIN { d = a - b - g - h; exit !(d < 0.5 && d > -0.5) }' ||
	fail "linked 100 %: the right channel went from $rms0 to $rms1 dBFS, GR $l1 + $ll1 dB"
awk -v a="$rms0" -v b="$rms5" -v g="$l5" -v h="$ll5" \
	'BEGIN { d = a - b - (g + h) / 2; exit !(d < 0.5 && d > -0.5) }' ||
	fail "linked 50 %: the right channel went from $rms0 to $rms5 dBFS, GR $l5 + $ll5 dB"
kill -TERM "$CS_PID"
wait_exit "$CS_PID" 3
[ "$EXIT_RC" = 0 ] || fail "exit status $EXIT_RC"
log "PASS"
