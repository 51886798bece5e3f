#!/bin/sh
# make-fixtures.sh [DIR]: regenerate the bundled WAV fixtures (needs espeak-ng and sox).
# The committed files are what the tests use; this script documents how they were made.
#   speech.wav: 48 kHz mono 16-bit, ~6 s: speech peaking near -3 dBFS, a pause, the same
#   speech 18 dB quieter, all over white noise at -40 dBFS RMS (uniform, peak 0.0173).
set -e
dir=${1:-$(dirname "$0")/../tests/fixtures}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
espeak-ng -w "$t/raw.wav" -s 160 "She sells sea shells. Sixty sizzling sausages."
sox "$t/raw.wav" -r 48000 -c 1 -b 32 -e floating-point "$t/loud.wav" rate -v norm -3
sox "$t/loud.wav" "$t/quiet.wav" vol -18dB
sox -n -r 48000 -c 1 -b 32 -e floating-point "$t/gap.wav" trim 0 0.5
sox "$t/loud.wav" "$t/gap.wav" "$t/quiet.wav" "$t/gap.wav" "$t/cat.wav"
len=$(soxi -D "$t/cat.wav")
sox -n -r 48000 -c 1 -b 32 -e floating-point "$t/noise.wav" synth "$len" whitenoise vol 0.0173
sox -m -v 1 "$t/cat.wav" -v 1 "$t/noise.wav" -b 16 -e signed-integer "$dir/speech.wav" dither -s
soxi "$dir/speech.wav"
