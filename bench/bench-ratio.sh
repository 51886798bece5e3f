#!/bin/sh
# bench-ratio.sh [BLOCK] [ROUNDS] [CHANNELS]: chanstrip's strip against the cheapest chains of
# peer plugins that do the same job (from ../shared/tools/lv2bench/peers.tsv), interleaved round
# by round on the same signal so machine drift hits both alike. Prints the medians and the
# ratios, one line each:
#   full      every stage on, against softclip saturation + gate + compressor + de-esser +
#             true-peak meter + exciter + bass enhancer + EQ;
#   full.lim  the same with the true-peak limiter (and the loudness meters, which always run),
#             against that chain + x42 dpl (true-peak mode) + x42's EBU R128 meter.
# CHANNELS (1, 2, 8, 32 or 64; default 1) runs that many chanstrip channels the way the JACK
# client does (lane groups) and reports per channel; a peer plugin instance serves one
# channel, so the peer chain's per-channel cost is its one-instance figure. Three peers exist
# only as stereo plugins (Calf Exciter, Calf Bass Enhancer, x42 EBU R128 meter); lv2bench feeds
# the same mono signal to both inputs and they count at one instance per channel too: a mono
# channel has to run the whole stereo instance, and the R128 meter gives one reading for its
# pair, so a per-channel loudness (what chanstrip meters) takes one instance per channel.
# Needs: ../shared/tools/lv2bench and its packages (scripts/deps.sh --bench), a built tree
# in build/ (meson setup build && meson compile -C build).
set -e
cd "$(dirname "$0")/.."
block=${1:-64}
rounds=${2:-5}
channels=${3:-1}
lv2=${LV2BENCH_DIR:-../shared/tools/lv2bench}
bench=${CHANSTRIP_BENCH:-build/bench/chanstrip-bench} # another build to compare
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
wav=$t/testsig.wav
"$lv2/make-testsig.sh" "$wav" 2>/dev/null
cc -O2 -o "$t/lv2bench" "$lv2/lv2bench.c" $(pkg-config --cflags --libs lilv-0 sndfile)
# the cheapest peer of each kind, as measured by bench-peers.sh here (2026-11-22, 2026-12-03);
# the first column says which chains it belongs to: f = both, l = the full.lim chain only
peers="f|http://calf.sourceforge.net/plugins/MonoInput|level_in=2 softclip=1
f|http://lsp-plug.in/plugins/lv2/gate_mono|gt=0.0178 gr=0.0631 at=1 rt=100
f|http://gareus.org/oss/lv2/darc#mono|threshold=-24 Ratio=0.75 attack=0.01 release=0.1
f|http://lsp-plug.in/plugins/lv2/compressor_mono|shpm=2 shpf=5000 al=0.0316 cr=4 at=1 rt=50
f|http://gareus.org/oss/lv2/meters#dBTPmono|
f|http://calf.sourceforge.net/plugins/Exciter|amount=2 freq=4000
f|http://calf.sourceforge.net/plugins/BassEnhancer|amount=2
f|http://gareus.org/oss/lv2/fil4#mono|
l|http://gareus.org/oss/lv2/dpl#mono|threshold=-6 truepeak=1
l|http://gareus.org/oss/lv2/meters#EBUr128|"
cs_run() {
	"$bench" --wav "$wav" --simd auto --only "$1" --period "$block" \
		--channels "$channels" |
		awk -v c="$1" '$1 == c { for (i = 3; i <= NF; i++) if ($i != "-") { print $i; exit } }'
}
for r in $(seq "$rounds"); do
	full=0
	lim=0
	echo "$peers" | { while IFS='|' read -r chains uri settings; do
		args=""
		for s in $settings; do args="$args -p $s"; done
		ns=$("$t/lv2bench" -b "$block" -r 4 $args "$uri" "$wav" 2>/dev/null |
			sed -n 's/.*ns_per_sample=\([0-9.]*\).*/\1/p')
		[ -n "$ns" ] || { echo "bench-ratio.sh: peer $uri did not run" >&2; exit 1; }
		[ "$chains" = f ] && full=$(echo "$full + $ns" | bc -l)
		lim=$(echo "$lim + $ns" | bc -l)
	done; echo "$full" >>"$t/peers"; echo "$lim" >>"$t/peers.lim"; }
	cs_run full >>"$t/cs"
	cs_run full.lim >>"$t/cs.lim"
done
med() { sort -g "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
line() {
	p=$(med "$t/$1")
	c=$(med "$t/$2")
	printf 'block %s, %s rounds, %s channel(s): %s: peer chain %.1f ns/sample/channel, chanstrip %s %.1f ns/sample/channel: %.1fx cheaper\n' \
		"$block" "$rounds" "$channels" "$3" "$p" "$4" "$c" "$(echo "$p / $c" | bc -l)"
}
line peers cs "full" "full strip"
line peers.lim cs.lim "full + x42 dpl + x42 EBU R128" "full.lim"
