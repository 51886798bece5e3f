#!/bin/sh
# bench-ratio.sh [BLOCK] [ROUNDS] [CHANNELS]: chanstrip's full strip against the cheapest chain
# of peer plugins that does the same job (softclip saturation + gate + compressor + de-esser +
# true-peak meter + exciter + bass enhancer + EQ, from ../shared/tools/lv2bench/peers.tsv), interleaved round by round on
# the same signal so machine drift hits both alike. Prints the medians and the ratio.
# CHANNELS (1, 2, 8, 32 or 64; default 1) runs that many chanstrip channels the way the JACK
# client does (lane groups) and reports per channel; a peer plugin instance serves one
# channel, so the peer chain's per-channel cost is its one-instance figure.
# Needs: ../shared/tools/lv2bench and its packages (scripts/deps.sh --bench), a built tree
# in build/ (meson setup build && meson compile -C build).
set -e
cd "$(dirname "$0")/.."
block=${1:-64}
rounds=${2:-5}
channels=${3:-1}
lv2=${LV2BENCH_DIR:-../shared/tools/lv2bench}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
wav=$t/testsig.wav
"$lv2/make-testsig.sh" "$wav" 2>/dev/null
cc -O2 -o "$t/lv2bench" "$lv2/lv2bench.c" $(pkg-config --cflags --libs lilv-0 sndfile)
# the cheapest peer of each kind, as measured by bench-peers.sh here (2026-11-22)
peers="http://calf.sourceforge.net/plugins/MonoInput|level_in=2 softclip=1
http://lsp-plug.in/plugins/lv2/gate_mono|gt=0.0178 gr=0.0631 at=1 rt=100
http://gareus.org/oss/lv2/darc#mono|threshold=-24 Ratio=0.75 attack=0.01 release=0.1
http://lsp-plug.in/plugins/lv2/compressor_mono|shpm=2 shpf=5000 al=0.0316 cr=4 at=1 rt=50
http://gareus.org/oss/lv2/meters#dBTPmono|
http://calf.sourceforge.net/plugins/Exciter|amount=2 freq=4000
http://calf.sourceforge.net/plugins/BassEnhancer|amount=2
http://gareus.org/oss/lv2/fil4#mono|"
for r in $(seq "$rounds"); do
	sum=0
	echo "$peers" | { while IFS='|' read -r uri settings; do
		args=""
		for s in $settings; do args="$args -p $s"; done
		ns=$("$t/lv2bench" -b "$block" -r 4 $args "$uri" "$wav" 2>/dev/null |
			sed -n 's/.*ns_per_sample=\([0-9.]*\).*/\1/p')
		sum=$(echo "$sum + ${ns:-0}" | bc -l)
	done; echo "$sum" >>"$t/peers"; }
	build/bench/chanstrip-bench --wav "$wav" --simd auto --only full --period "$block" \
		--channels "$channels" |
		awk '$1 == "full" { for (i = 3; i <= NF; i++) if ($i != "-") { print $i; exit } }' >>"$t/cs"
done
med() { sort -g "$1" | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
p=$(med "$t/peers")
c=$(med "$t/cs")
printf 'block %s, %s rounds, %s channel(s): peer chain %.1f ns/sample/channel, chanstrip full strip %.1f ns/sample/channel: %.1fx cheaper\n' \
	"$block" "$rounds" "$channels" "$p" "$c" "$(echo "$p / $c" | bc -l)"
