#!/bin/sh
# Offline mode against the built binary: bit-exact neutral, block-size invariance, every kind
# of bad input (one clear line, non-zero exit, nothing written), meters CSV.
# usage: offline.sh CHANSTRIP WAVTOOL SOURCE_ROOT
set -u
cs=$1 wt=$2 src=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export CHANSTRIP_PRESET_HOME="$t/user-presets"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

# expect_fail NAME SUBSTRING ARGS...: non-zero exit, one stderr line containing SUBSTRING,
# and neither $t/out.wav nor any temporary file left behind. A run that hangs is killed after
# 10 s and fails (timeout's status 124 has no such line).
expect_fail() {
	name=$1 want=$2
	shift 2
	rm -f "$t/out.wav"
	timeout 10 "$cs" "$@" >"$t/stdout" 2>"$t/stderr" </dev/null
	rc=$?
	lines=$(wc -l <"$t/stderr")
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -qF -- "$want" "$t/stderr" &&
		[ ! -e "$t/out.wav" ] && [ -z "$(ls "$t" | grep '\.tmp\.')" ]; then
		ok "$name: $(cat "$t/stderr")"
	else
		bad "$name: rc=$rc lines=$lines stderr=$(cat "$t/stderr") files=$(ls "$t" | tr '\n' ' ')"
	fi
}

# 1. neutral settings are bit-exact for every input format, rate and channel count
for spec in "44100 1 pcm16" "48000 2 pcm24" "88200 1 pcm32" "96000 3 float" "192000 2 float" \
	"22050 1 pcm16" "16000 1 pcm16" "11025 2 pcm24" "8000 1 pcm16"; do
	set -- $spec
	"$wt" gen "$t/in.wav" "$1" "$2" "$3" 0.5 noise
	if "$cs" --offline "$t/in.wav" "$t/out.wav" 2>"$t/stderr" &&
		"$wt" cmp "$t/in.wav" "$t/out.wav" 0 >/dev/null; then
		ok "neutral bit-exact $spec"
	else
		bad "neutral bit-exact $spec: $(cat "$t/stderr")"
	fi
done
"$wt" gen "$t/in.wav" 48000 2 float 1 noise
"$cs" --offline "$t/in.wav" "$t/out.wav" --preset neutral 2>/dev/null &&
	"$wt" cmp "$t/in.wav" "$t/out.wav" 0 >/dev/null && ok "preset neutral is bit-exact" ||
	bad "preset neutral is bit-exact"
set -- $("$wt" info "$t/out.wav")
[ "$1" = 48000 ] && [ "$2" = 2 ] && [ "$3" = 48000 ] && ok "output keeps length, channels, rate" ||
	bad "output shape: $*"
"$cs" --offline "$t/in.wav" "$t/out16.wav" --out-format pcm16 2>/dev/null &&
	"$wt" cmp "$t/in.wav" "$t/out16.wav" 0.0001 >/dev/null && ok "--out-format pcm16" ||
	bad "--out-format pcm16"

# 2. the result does not depend on --block, with every module switched on
all_on="--set pre.gain=12 --set pre.hpf=80 --set pre.model=tube --set pre.drive=9
  --set gate.enable=1 --set gate.threshold=-40 --set comp.enable=1 --set comp.threshold=-24
  --set deess.enable=1 --set deess.threshold=-40 --set out.gain=-3"
"$wt" gen "$t/in.wav" 48000 2 float 1 bursts
"$cs" --offline "$t/in.wav" "$t/ref.wav" --block 256 $all_on 2>/dev/null
for b in 16 64 1000 1 4096; do
	"$cs" --offline "$t/in.wav" "$t/b$b.wav" --block $b $all_on 2>/dev/null &&
		"$wt" cmp "$t/ref.wav" "$t/b$b.wav" 0 >/dev/null && ok "block $b == block 256" ||
		bad "block $b differs from block 256"
done
"$wt" cmp "$t/in.wav" "$t/ref.wav" 0 >/dev/null && bad "all-on processing changed nothing" ||
	ok "all-on processing changes the audio"
sleep 1 # a timestamp in the file would now differ
"$cs" --offline "$t/in.wav" "$t/again.wav" --block 256 $all_on 2>/dev/null
cmp -s "$t/ref.wav" "$t/again.wav" && ok "the same run gives the same file, byte for byte" ||
	bad "two identical runs wrote different files"

# 2b. oversampling latency is compensated offline: OUT lines up with IN. A quiet 1 kHz sine
# through the transformer curve is nearly linear; one sample of misalignment would differ by
# 1.3e-4, ADAA's half-sample delay at 1x by 6.5e-5.
"$wt" gen "$t/sine.wav" 48000 1 float 0.5 sine:1000:0.001
for os in 1 2 4 8; do
	"$cs" --offline "$t/sine.wav" "$t/os$os.wav" --set pre.oversample=$os \
		--set pre.model=transformer 2>/dev/null &&
		res=$("$wt" cmp "$t/sine.wav" "$t/os$os.wav" 8e-5) &&
		ok "oversample $os: output aligned with input ($res)" ||
		bad "oversample $os: output not aligned ($res)"
	"$cs" --offline "$t/in.wav" "$t/osc$os.wav" --set pre.oversample=$os 2>/dev/null &&
		"$wt" cmp "$t/in.wav" "$t/osc$os.wav" 0 >/dev/null &&
		ok "oversample $os, clean: bit-exact after latency compensation" ||
		bad "oversample $os, clean: not bit-exact"
done

# 3. bad input files: one line, non-zero, nothing written
"$wt" gen "$t/ok.wav" 48000 1 pcm16 1 noise
expect_fail "missing file" "$t/nope.wav: cannot read" --offline "$t/nope.wav" "$t/out.wav"
expect_fail "directory" "is a directory" --offline "$t" "$t/out.wav"
mkfifo "$t/fifo.wav"
expect_fail "FIFO, no writer" "not a regular file" --offline "$t/fifo.wav" "$t/out.wav"
"$wt" gen "$t/ok.wav" 48000 1 pcm16 1 noise
cat "$t/ok.wav" >"$t/fifo.wav" &
expect_fail "FIFO with a writer" "not a regular file" --offline "$t/fifo.wav" "$t/out.wav"
kill $! 2>/dev/null
wait $! 2>/dev/null
rm -f "$t/fifo.wav"
expect_fail "character device" "not a regular file" --offline /dev/zero "$t/out.wav"
printf 'this is not audio\n' >"$t/text.wav"
expect_fail "not audio" "not a readable audio file" --offline "$t/text.wav" "$t/out.wav"
head -c 30000 "$t/ok.wav" >"$t/trunc.wav"
expect_fail "truncated" "truncated" --offline "$t/trunc.wav" "$t/out.wav"
"$wt" gen "$t/empty.wav" 48000 1 pcm16 0 noise
expect_fail "zero frames" "no audio" --offline "$t/empty.wav" "$t/out.wav"
"$wt" gen "$t/low.wav" 4000 1 pcm16 0.1 noise
expect_fail "unsupported rate" "4000 Hz is not supported" --offline "$t/low.wav" "$t/out.wav"
expect_fail "unwritable output" "cannot create" --offline "$t/ok.wav" "$t/no/such/dir/out.wav"
expect_fail "strip beyond channels" "strip 2 does not exist" --offline "$t/ok.wav" "$t/out.wav" \
	--set 2:pre.gain=3

# 4. bad presets and settings: rejected whole before anything is written
printf '# test\ncomp.enable 1\ncomp.ratio 300\n' >"$t/bad.preset"
expect_fail "preset bad line" "$t/bad.preset:3: comp.ratio: '300' is out of range" \
	--offline "$t/ok.wav" "$t/out.wav" --preset "$t/bad.preset"
printf 'comp.enable 1\nwhat.ever 2\n' >"$t/bad2.preset"
expect_fail "preset unknown key" "$t/bad2.preset:2: unknown parameter 'what.ever'" \
	--offline "$t/ok.wav" "$t/out.wav" --preset "$t/bad2.preset"
expect_fail "unknown preset name" "preset 'nosuch' not found" \
	--offline "$t/ok.wav" "$t/out.wav" --preset nosuch
expect_fail "bad --set" "out of range (expected -20 .. 70)" \
	--offline "$t/ok.wav" "$t/out.wav" --set pre.gain=99
expect_fail "bad --block" "--block" --offline "$t/ok.wav" "$t/out.wav" --block 0
# typos get the closest name; options for another mode and bad patterns say so
expect_fail "key typo" "did you mean comp.threshold?" \
	--offline "$t/ok.wav" "$t/out.wav" --set comp.treshold=-20
expect_fail "enum typo" "did you mean tube?" --offline "$t/ok.wav" "$t/out.wav" --set pre.model=tueb
expect_fail "preset typo" "did you mean podcast?" \
	--offline "$t/ok.wav" "$t/out.wav" --preset podcats
expect_fail "JACK option offline" "--meter-view does not apply to --offline: it is for JACK mode" \
	--offline "$t/ok.wav" "$t/out.wav" --meter-view
expect_fail "offline option in JACK mode" "--block does not apply to JACK mode" --block 64
expect_fail "bad --connect pattern" "--connect: 'x[' is not a valid pattern" --connect 'x['
"$cs" --offline "$t/ok.wav" "$t/out.wav" --set pre.model=Tube 2>"$t/stderr" &&
	ok "enum names in any case" || bad "enum names in any case: $(cat "$t/stderr")"
# a preset saved from two strips on a mono file: its strip-2 lines skipped with one notice
printf 'comp.enable 1\n1:comp.ratio 3\n2:comp.ratio 5\n' >"$t/two.preset"
if "$cs" --offline "$t/ok.wav" "$t/out.wav" --preset "$t/two.preset" 2>"$t/stderr" &&
	[ "$(wc -l <"$t/stderr")" -eq 1 ] && grep -q "skipped 1 line for strips" "$t/stderr"; then
	ok "preset lines for missing strips skipped: $(cat "$t/stderr")"
else
	bad "preset lines for missing strips: $(cat "$t/stderr")"
fi
printf '2:comp.ratio 5\n' >"$t/only2.preset"
expect_fail "preset with only missing strips" "every line names a strip" \
	--offline "$t/ok.wav" "$t/out.wav" --preset "$t/only2.preset"
expect_fail "missing OUT" "needs IN.wav and OUT.wav" --offline "$t/ok.wav"

# 5. a failed run leaves an existing output untouched
echo keep >"$t/keep.wav"
"$cs" --offline "$t/text.wav" "$t/keep.wav" 2>/dev/null
[ "$(cat "$t/keep.wav")" = keep ] && ok "failed run keeps the old output" ||
	bad "failed run clobbered the old output"

# 6. NaN in the input: contained, warned about, output finite
"$wt" gen "$t/nan.wav" 48000 1 float 1 nan
if "$cs" --offline "$t/nan.wav" "$t/out.wav" $all_on 2>"$t/stderr" &&
	grep -q "NaN/Inf samples replaced" "$t/stderr"; then
	set -- $("$wt" info "$t/out.wav")
	case "$4 $5" in *nan* | *inf*) bad "NaN input: output not finite ($*)" ;;
	*) ok "NaN input contained ($(cat "$t/stderr"))" ;; esac
else
	bad "NaN input: $(cat "$t/stderr")"
fi

# 7. meters CSV: exact header, one row per 50 ms per strip, finite values
"$wt" gen "$t/in.wav" 48000 2 float 1 bursts
"$cs" --offline "$t/in.wav" "$t/out.wav" --meters "$t/m.csv" 2>/dev/null
hdr="time_s,strip,in_rms_dbfs,in_dbu,in_dbv,in_peak_dbfs,in_true_peak_dbtp,headroom_db,clips,gate_gr_db,comp_gr_db,deess_gr_db,lim_gr_db,out_peak_dbfs,out_rms_dbfs,out_true_peak_dbtp,out_clips,lufs_m,lufs_s,lufs_i,lra"
[ "$(head -1 "$t/m.csv")" = "$hdr" ] && ok "meters CSV header" || bad "meters CSV header: $(head -1 "$t/m.csv")"
rows=$(($(wc -l <"$t/m.csv") - 1))
[ "$rows" -eq 40 ] && ok "meters CSV: 20 periods x 2 strips" || bad "meters CSV rows: $rows"
if awk -F, 'NR > 1 { if (NF != 21) exit 1; for (i = 1; i <= NF; i++) if ($i !~ /^-?[0-9]+(\.[0-9]+)?$/) exit 1 }' "$t/m.csv"; then
	ok "meters CSV values finite"
else
	bad "meters CSV has a non-finite or malformed value"
fi

# 7b. output that would clip: PCM refuses with the count (unless --allow-clip), float keeps
# it and counts out_clips; the limiter, latency-compensated, lands it (and is bit-exact when
# the ceiling is never reached)
"$wt" gen "$t/in.wav" 48000 1 float 1 sine:1000:0.5
expect_fail "PCM clip refused" "samples at or above full scale would clip in pcm16" \
	--offline "$t/in.wav" "$t/out.wav" --out-format pcm16 --set out.gain=12
if "$cs" --offline "$t/in.wav" "$t/out.wav" --out-format pcm16 --set out.gain=12 --allow-clip \
	2>"$t/stderr" && grep -q "warning: [0-9]* samples clipped at full scale in pcm16" "$t/stderr" &&
	[ "$(wc -l <"$t/stderr")" -eq 1 ]; then
	ok "--allow-clip writes it: $(cat "$t/stderr")"
else
	bad "--allow-clip: $(cat "$t/stderr")"
fi
if "$cs" --offline "$t/in.wav" "$t/out.wav" --set out.gain=12 --meters "$t/m.csv" 2>"$t/stderr" &&
	[ ! -s "$t/stderr" ] &&
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "out_clips") k = i }
		END { exit !(k && $k > 1000) }' "$t/m.csv"; then
	ok "float output over full scale: exit 0, out_clips $(tail -1 "$t/m.csv" | cut -d, -f17)"
else
	bad "float output over full scale: $(cat "$t/stderr")"
fi
if "$cs" --offline "$t/in.wav" "$t/out.wav" --out-format pcm16 --set out.gain=12 \
	--set lim.enable=1 2>"$t/stderr" && [ ! -s "$t/stderr" ]; then
	ok "lim.enable=1 lands +6 dBFS in pcm16 without a clip"
else
	bad "lim.enable=1 in pcm16: $(cat "$t/stderr")"
fi
if "$cs" --offline "$t/in.wav" "$t/out.wav" --set lim.enable=1 2>"$t/stderr" &&
	"$wt" cmp "$t/in.wav" "$t/out.wav" 0 >/dev/null; then
	ok "lim.enable=1 under the ceiling: offline output is the input, latency compensated"
else
	bad "lim.enable=1 under the ceiling is not bit-exact offline: $(cat "$t/stderr")"
fi
expect_fail "--allow-clip in JACK mode" "--allow-clip does not apply to JACK mode" --allow-clip

# 7c. --loudness-target -16 with the limiter at -1 dBTP lands both targets (integrated within
# 0.5 LU, true peak at most -0.9 dBTP, as the program measures them; the loudness test holds
# that measurement to libebur128), on speech and on music-like material
"$wt" gen "$t/music.wav" 44100 2 float 20 music
for f in "$src/tests/fixtures/speech.wav" "$t/music.wav"; do
	if "$cs" --offline "$f" "$t/out.wav" --loudness-target -16 --set lim.enable=1 \
		--set lim.ceiling=-1 >"$t/stdout" 2>"$t/stderr" &&
		awk '/: before: / { b = 1 } /: after: / { a = 1; i = $5; tp = $9 }
			END { exit !(b && a && i + 16 <= 0.5 && i + 16 >= -0.5 && tp <= -0.9) }' \
			"$t/stdout"; then
		ok "--loudness-target -16 $(basename "$f"): $(tail -1 "$t/stdout" | cut -d: -f3-)"
	else
		bad "--loudness-target -16 $(basename "$f"): $(cat "$t/stdout" "$t/stderr")"
	fi
done
expect_fail "--loudness-target out of range" "--loudness-target: '5' is not a loudness" \
	--offline "$t/music.wav" "$t/out.wav" --loudness-target 5
expect_fail "--loudness-target in JACK mode" "--loudness-target does not apply to JACK mode" \
	--loudness-target -16

# 7d. --autogain offline: speech peaking at -40 dBFS comes out with its peaks within 1 dB of
# -12 dBFS (pre.gain +28 dB); silence ends no_signal and a clipped converter ends clipped, both
# leaving the gain alone
pk=$("$wt" info "$src/tests/fixtures/speech.wav" | awk '{ print $4 }')
g=$(awk -v p="$pk" 'BEGIN { printf "%.4f", -40 - 20 * log(p) / log(10) }')
"$cs" --offline "$src/tests/fixtures/speech.wav" "$t/in40.wav" --set out.gain="$g" 2>/dev/null
if "$cs" --offline "$t/in40.wav" "$t/out.wav" --autogain 2>"$t/stderr" &&
	grep -q "strip 1: auto gain done: pre.gain set to +28.0 dB" "$t/stderr" &&
	out=$("$wt" info "$t/out.wav" | awk '{ print 20 * log($4) / log(10) }') &&
	awk -v o="$out" 'BEGIN { exit !(o > -13 && o < -11) }'; then
	ok "--autogain: speech at -40 dBFS peaks at $out dBFS after ($(cat "$t/stderr"))"
else
	bad "--autogain on -40 dBFS speech: ${out:-} $(cat "$t/stderr")"
fi
"$wt" gen "$t/quiet.wav" 48000 1 float 1 sine:1000:0
"$wt" gen "$t/rails.wav" 48000 1 float 1 sine:1000:1
for c in "quiet no_signal" "rails clipped"; do
	set -- $c
	if "$cs" --offline "$t/$1.wav" "$t/out.wav" --autogain 2>"$t/stderr" &&
		grep -q "auto gain $2: " "$t/stderr" && "$wt" cmp "$t/$1.wav" "$t/out.wav" 0 >/dev/null; then
		ok "--autogain on $1: $(cat "$t/stderr")"
	else
		bad "--autogain on $1: $(cat "$t/stderr")"
	fi
done
expect_fail "bad --autogain" "--autogain: '0' is not SECONDS" --offline "$t/quiet.wav" \
	"$t/out.wav" --autogain=0

# 8. --list-params and --help
"$cs" --list-params | grep -q '^comp.ratio' && ok "--list-params" || bad "--list-params"
n=$("$cs" --list-params --format tsv | tail -n +2 | wc -l)
[ "$n" -ge 29 ] && ok "--list-params tsv: $n rows" || bad "--list-params tsv: $n rows"
"$cs" --help | grep -q -- '--offline' && ok "--help" || bad "--help"
expect_fail "unknown option" "unknown option '--bogus'" --bogus
expect_fail "bad --osc-bind" "--osc-bind: '999.1.1.1' is not an IPv4 or IPv6 address" \
	--osc-bind 999.1.1.1
expect_fail "bad bool" "not a boolean" --set gate.enable=maybe

# 9. stereo link (gate, compressor, de-esser, limiter at -12 dBTP): a -6 dBFS tone in the
# left channel only, -70 dBFS noise in the right;
# `--set link.group=1` puts both strips in group 1. From the last meter row of each strip:
# not linked the right strip's stage does what its own input asks; linked it applies the
# left's reduction (within 0.1 dB), at link.amount=50 half of the way (within 0.2 dB, in dB);
# and the right channel's audio is turned down by that much (out_rms - in_rms; the de-esser
# in wide mode, so the reduction is the whole channel's).
# link_row CSV STRIP: "gate comp deess lim in_rms out_rms" of the strip's last row
# (columns found by name in the header, so new meter fields do not move them)
link_row() {
	awk -F, -v s="$2" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$2 == s { r = $c["gate_gr_db"] " " $c["comp_gr_db"] " " $c["deess_gr_db"] " " \
			$c["lim_gr_db"] " " $c["in_rms_dbfs"] " " $c["out_rms_dbfs"] } END { print r }' "$1"
}
for spec in "comp 2 1000 --set comp.enable=1 --set comp.threshold=-24 --set comp.ratio=4" \
	"gate 1 1000 --set gate.enable=1 --set gate.threshold=-40 --set gate.range=40" \
	"deess 3 6000 --set deess.enable=1 --set deess.threshold=-30 --set deess.mode=wide" \
	"lim 4 1000 --set lim.enable=1 --set lim.ceiling=-12"; do
	set -- $spec
	name=$1 col=$2 hz=$3
	shift 3
	"$wt" gen "$t/in.wav" 48000 2 float 1 "left:$hz:0.5011872"
	res=""
	for link in "--set link.group=0" "--set link.group=1" "--set link.group=1 --set link.amount=50"; do
		"$cs" --offline "$t/in.wav" "$t/out.wav" --meters "$t/m.csv" "$@" $link 2>/dev/null
		res="$res $(link_row "$t/m.csv" 1 | cut -d' ' -f$col) $(link_row "$t/m.csv" 2)"
	done
	# res: L0 g c d l in out L100 g c d l in out L50 g c d l in out (right strip's fields)
	if echo "$res" | awk -v c="$col" '{
		l0 = $1; r0 = $(1 + c); l1 = $8; r1 = $(8 + c); a1 = $13 - $14; r5 = $(15 + c)
		ok = (l0 == l1) && (r1 - l1 < 0.1 && l1 - r1 < 0.1) &&
		     ((r0 + (l0 - r0) / 2) - r5 < 0.2 && r5 - (r0 + (l0 - r0) / 2) < 0.2) &&
		     (a1 - r1 < 0.5 && r1 - a1 < 0.5) && (l0 - r0 > 3 || r0 - l0 > 3)
		exit !ok }'; then
		ok "link $name: left/right GR dB and right in-out dB (0, 100, 50 %):$res"
	else
		bad "link $name: left/right GR dB and right in-out dB (0, 100, 50 %):$res"
	fi
done

echo "offline: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
