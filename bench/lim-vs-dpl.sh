#!/bin/sh
# lim-vs-dpl.sh [CEILING_DB...]: true-peak overshoot of chanstrip's limiter and of x42 dpl
# (true-peak mode, the limiter Linux users ask for) on the same signals: white noise up to
# 20 kHz, a kick with clicks, 12 kHz bursts and white noise up to Nyquist, each driven 10 dB over the ceiling (default ceilings -1 and
# -6 dBTP). chanstrip releases in 50 ms, dpl at its default (10 ms; 50 ms gives the same
# peaks). Each output's true peak is measured by a 16x sinc
# interpolator and by libebur128 (build/bench/lim-overshoot). A measurement, not a CI test
# (the peers are not installed there).
# Needs: ../shared/tools/lv2bench and x42-plugins, a built tree in build/.
set -e
cd "$(dirname "$0")/.."
lv2=${LV2BENCH_DIR:-../shared/tools/lv2bench}
ceilings=${*:--1 -6}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cc -O2 -o "$t/lv2bench" "$lv2/lv2bench.c" $(pkg-config --cflags --libs lilv-0 sndfile)
for c in $ceilings; do
	mkdir -p "$t/$c"
	build/bench/lim-overshoot gen "$t/$c" "$c"
	build/bench/lim-overshoot chanstrip "$t/$c" "$c"
	for s in noise kick bursts fullband; do
		"$t/lv2bench" -b 64 -r 1 -o "$t/$c/$s.x42-dpl.wav" -p threshold="$c" -p truepeak=1 \
			http://gareus.org/oss/lv2/dpl#mono "$t/$c/$s.wav" >/dev/null
	done
	echo "ceiling $c dBTP, input 10 dB over it:"
	(cd "$t/$c" && "$OLDPWD/build/bench/lim-overshoot" tp "$c" \
		noise.chanstrip.wav kick.chanstrip.wav bursts.chanstrip.wav fullband.chanstrip.wav \
		noise.x42-dpl.wav kick.x42-dpl.wav bursts.x42-dpl.wav fullband.x42-dpl.wav)
done
