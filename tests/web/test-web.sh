#!/bin/bash
# The HTTP/WebSocket transport against a running chanstrip on a dummy-backend jackd:
# OSCQuery namespace and HOST_INFO, LISTEN/IGNORE, sets over the WebSocket reaching the
# audio, and every bad-input case (web_check.py). With "browser": the page in headless
# Chromium (browser_check.py). With "shot": the screenshots of doc/ (CS_CHANNELS=4
# tests/web/test-web.sh shot, with CHANSTRIP set; written to $SHOT_DIR).
. "$(dirname "$0")/../jack/lib.sh"
PY=/usr/bin/python3
KIND=${1:-server}
"$PY" -c 'import websocket, jack, numpy' 2>/dev/null ||
	skip "python3-websocket, python3-jack-client or python3-numpy is missing for $PY"
HTTPP=$(free_udp_port)
OSCP=$(free_udp_port)
export CHANSTRIP_PRESET_HOME="$TMP/presets"
start_jackd 256
"$CHANSTRIP" --no-connect -c "${CS_CHANNELS:-2}" --osc-port "$OSCP" --http-port "$HTTPP" >"$TMP/cs.log" 2>&1 &
CS_PID=$!
PIDS+=("$CS_PID")
wait_until 5 grep -q "http http://127.0.0.1:$HTTPP/" "$TMP/cs.log" || fail "chanstrip did not start"
export HTTP_PORT=$HTTPP OSC_PORT=$OSCP CS_PID CS_LOG="$TMP/cs.log" TMPDIR_WEB="$TMP"
if [ "$KIND" = browser ]; then
	"$PY" "$(dirname "$0")/browser_check.py"
elif [ "$KIND" = shot ]; then
	"$PY" "$(dirname "$0")/browser_check.py" --shots "${SHOT_DIR:-.}"
else
	"$PY" "$(dirname "$0")/web_check.py"
fi
rc=$?
[ $rc = 0 ] || [ $rc = 77 ] || fail "checks failed (rc $rc)"
gone "$CS_PID" && fail "chanstrip died"
exit $rc
