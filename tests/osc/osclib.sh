# shellcheck shell=bash
# What the OSC tests under JACK share, on top of ../jack/lib.sh: liblo's tools (skip without
# them), a free UDP port for chanstrip (OSCP) and one for an oscdump listener (DUMPP, its URL,
# its log DUMP), send ARGS... (oscsend to chanstrip) and msgs (the log without the timetag
# oscdump 0.31 prints before each message).
. "$(dirname "${BASH_SOURCE[0]}")/../jack/lib.sh"
command -v oscsend >/dev/null || skip "oscsend (liblo-tools) is not installed"
command -v oscdump >/dev/null || skip "oscdump (liblo-tools) is not installed"

OSCP=$(free_udp_port)
DUMPP=$(free_udp_port)
[ "$OSCP" = "$DUMPP" ] && DUMPP=$((DUMPP + 1))
DUMP="$TMP/dump.log"
URL="osc.udp://127.0.0.1:$DUMPP/"
send() { oscsend 127.0.0.1 "$OSCP" "$@" || fail "oscsend $*"; }
msgs() { sed -E 's/^[0-9a-f]{8}\.[0-9a-f]{8} //' "$DUMP"; }
