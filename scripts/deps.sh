#!/bin/sh
# deps.sh [--bench]: install what chanstrip needs to build and test, from Debian's packages
# (Debian 12 / Ubuntu 22.04+). Installs only what is missing; uses sudo when not root.
set -e
pkgs="meson ninja-build pkg-config gcc libc6-dev python3
  jackd2 libjack-jackd2-dev liblo-dev liblo-tools libsndfile1-dev
  check libebur128-dev mandoc groff-base
  libfftw3-dev libspeexdsp-dev libncurses-dev libcivetweb-dev tmux
  python3-numpy python3-websocket python3-jack-client
  chromium chromium-driver python3-selenium"
[ "${1:-}" = --bench ] && pkgs="$pkgs lsp-plugins-lv2 x42-plugins calf-plugins liblilv-dev lv2-dev espeak-ng sox bc"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps.sh: installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
# jackd2 asks about real-time priority; the default answer (no) is fine for tests
$sudo apt-get install -y -q --no-install-recommends $missing
