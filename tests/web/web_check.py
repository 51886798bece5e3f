#!/usr/bin/python3
"""The HTTP/WebSocket server of a running chanstrip (started by test-web.sh)."""
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import websocket

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import (BASE, FAILS, HTTP_PORT, OSC_PORT, WS_URL, Probe, check, get_json,  # noqa: E402
                     http_get, osc_msg, osc_parse, osc_str, osc_udp)

CS = os.environ.get("CHANSTRIP_BIN")
ORIGIN = f"http://127.0.0.1:{HTTP_PORT}"


def ws(**kw):
    w = websocket.create_connection(WS_URL, timeout=3, origin=ORIGIN, **kw)
    return w


def recv_until(w, pred, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        w.settimeout(max(0.001, end - time.monotonic()))
        try:
            op, data = w.recv_data()
        except websocket.WebSocketTimeoutException:
            return None
        if op == websocket.ABNF.OPCODE_BINARY:
            m = osc_parse(data)
            if pred(m):
                return m
        elif op == websocket.ABNF.OPCODE_TEXT:
            m = json.loads(data)
            if pred(m):
                return m
    return None


def node(ns, path):
    n = ns
    for seg in path.strip("/").split("/"):
        n = n["CONTENTS"][seg]
    return n


def check_namespace():
    ns = get_json("/")
    rows = subprocess.run([os.environ["CHANSTRIP"], "--list-params", "--format", "tsv"],
                          capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    bad = []
    for row in rows:
        key, unit, lo, hi, default = row.split("\t")[:5]
        for s in (1, 2):
            n = node(ns, f"/strip/{s}/" + key.replace(".", "/"))
            r = n["RANGE"][0]
            if (n["UNIT"] != [unit] or abs(r["MIN"] - float(lo)) > 1e-6 or
                    abs(r["MAX"] - float(hi)) > 1e-6 or n["ACCESS"] != 3 or
                    n["FULL_PATH"] != f"/strip/{s}/" + key.replace(".", "/")):
                bad.append(key)
            if "X_ENUM" in n:
                if n["X_ENUM"][int(n["X_DEFAULT"])] != default:
                    bad.append(key + " default")
            elif abs(n["X_DEFAULT"] - float(default)) > 1e-6:
                bad.append(key + " default")
    check(not bad and len(rows) > 20, f"namespace matches --list-params ({len(rows)} rows) {bad}")
    strip1 = node(ns, "/strip/1")["CONTENTS"]
    count = sum(len(m["CONTENTS"]) for k, m in strip1.items() if k != "ab" and "CONTENTS" in m)
    check(count == len(rows) + sum(1 for f in node(ns, "/strip/1/meter")["CONTENTS"].values()
                                   if f["ACCESS"] == 1),
          "no node beyond the table, the meters and the commands")
    cmds = {p: node(ns, "/strip/2/" + p) for p in ("ab/store", "ab/recall", "ab/swap", "reset")}
    check(all(n["ACCESS"] == 2 and n["FULL_PATH"] == "/strip/2/" + p for p, n in cmds.items())
          and cmds["ab/recall"]["TYPE"] == "s" and cmds["ab/swap"]["TYPE"] == "N"
          and cmds["ab/store"]["RANGE"] == [{"VALS": ["A", "B"]}] and cmds["reset"]["TYPE"] == "N"
          and set(strip1["ab"]["CONTENTS"]) == {"store", "recall", "swap"},
          "A/B and reset are write-only command nodes (TYPE s with VALS A, B; N for none)")
    check(get_json("/strip/1/ab/recall?TYPE") == {"TYPE": "s"} and
          http_get("/strip/1/reset?VALUE")[0] == 204, "a command's ?TYPE; no ?VALUE (204)")
    meters = [f for f in node(ns, "/strip/1/meter")["CONTENTS"].values() if f["ACCESS"] == 1]
    check(len(meters) >= 12 and "in_peak_dbfs" in node(ns, "/strip/1/meter")["CONTENTS"],
          f"meters are read-only nodes ({len(meters)})")
    check("3" not in node(ns, "/strip")["CONTENTS"], "two strips, no third")
    check(get_json("/strip/1/comp/threshold?VALUE") == {"VALUE": [-18.0]}, "?VALUE")
    check(get_json("/strip/2/comp/ratio?RANGE") == {"RANGE": [{"MIN": 1, "MAX": 20}]}, "?RANGE")
    check(http_get("/strip/1/comp/nothing")[0] == 404, "404 for an unknown path")
    check(http_get("/strip/9/comp/ratio")[0] == 404, "404 for a strip that is not there")
    check(http_get("/strip/1/comp/ratio?NOPE")[0] == 400, "400 for an unknown attribute")
    check(http_get("/strip/1/comp/ratio", method="POST")[0] == 405, "405 for POST")
    check(http_get("/strip/1/comp?VALUE")[0] == 204, "204: a container has no VALUE")


def check_host_info():
    hi = get_json("/?HOST_INFO")
    ok = (hi["NAME"] == "chanstrip" and hi["OSC_PORT"] == OSC_PORT and hi["OSC_IP"] == "127.0.0.1"
          and hi["OSC_TRANSPORT"] == "UDP" and hi["WS_PORT"] == HTTP_PORT
          and hi["EXTENSIONS"]["LISTEN"] and hi["EXTENSIONS"]["VALUE"])
    check(ok, f"HOST_INFO {hi}")


def check_listen():
    w = ws()
    w.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/1/comp/threshold"}))
    first = recv_until(w, lambda m: m[0] == "/strip/1/comp/threshold", 2)
    check(first is not None, "LISTEN starts with the value in force")
    worst = 0
    for v in (-30.0, -25.0, -20.0, -35.0, -18.0):
        t0 = time.monotonic()
        osc_udp("/strip/1/comp/threshold", v)
        m = recv_until(w, lambda m, v=v: m[0] == "/strip/1/comp/threshold" and abs(m[1][0] - v) < 1e-4, 1)
        dt = (time.monotonic() - t0) * 1000
        worst = max(worst, dt if m else 1e9)
    check(worst < 50, f"an OSC-side change reaches the LISTEN stream within 50 ms (worst {worst:.1f} ms)")
    w.send(json.dumps({"COMMAND": "IGNORE", "DATA": "/strip/1/comp/threshold"}))
    time.sleep(0.1)
    osc_udp("/strip/1/comp/threshold", -40.0)
    m = recv_until(w, lambda m: isinstance(m, tuple) and m[0] == "/strip/1/comp/threshold", 0.4)
    check(m is None, "IGNORE: nothing more for that path")
    osc_udp("/strip/1/comp/threshold", -18.0)
    # a set from this client is not echoed back to it, but reaches another listener
    w2 = ws()
    w2.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/2"}))
    recv_until(w2, lambda m: m[0] == "/strip/2/out/gain", 2)
    w.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/2/out/gain"}))
    recv_until(w, lambda m: m[0] == "/strip/2/out/gain", 2)
    w.send_binary(osc_msg("/strip/2/out/gain", -3.0))
    m2 = recv_until(w2, lambda m: m[0] == "/strip/2/out/gain" and abs(m[1][0] + 3) < 1e-4, 1)
    echo = recv_until(w, lambda m: m[0] == "/strip/2/out/gain", 0.3)
    check(m2 is not None and echo is None, "a set reaches other listeners, no echo to its sender")
    w.send_binary(osc_msg("/strip/2/out/gain", 0.0))
    w.close()
    w2.close()


def check_meters():
    w = ws()
    w.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/1/meter", "RATE": 500}))
    n, end = 0, time.monotonic() + 1.0
    while time.monotonic() < end:
        m = recv_until(w, lambda m: m[0] == "/strip/1/meter", end - time.monotonic())
        if m:
            n += 1
            nf = len(m[1])
    check(35 <= n <= 60, f"meters capped at 50 Hz like OSC's (RATE 500 -> {n} in 1 s)")
    check(n and nf >= 12, "a meter message holds every field")
    w.close()


def check_audio():
    p = Probe()
    try:
        before = p.db(0.5)
        w = ws()
        w.send_binary(osc_msg("/strip/1/out/gain", -12.0))
        after = p.db(0.5)
        check(abs((after - before) + 12) < 1.0,
              f"a WebSocket set reaches the audio: {before:.1f} -> {after:.1f} dB (expect -12)")
        w.send_binary(osc_msg("/strip/1/out/gain", "loud"))
        m = recv_until(w, lambda m: isinstance(m, dict), 1)
        check(m and m["COMMAND"] == "ERROR" and "expected" in m["DATA"]["MESSAGE"],
              f"a bad value is an ERROR with the reason ({m})")
        w.send_binary(osc_msg("/strip/1/out/gain", 0.0))
        w.close()
    finally:
        p.close()


def closed(w, timeout_s=3):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            w.settimeout(end - time.monotonic())
            op, _ = w.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return True
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return True
        except websocket.WebSocketTimeoutException:
            return False
    return False


def alive():
    return http_get("/strip/1/comp/ratio?VALUE")[0] == 200


def osc_nil(path):
    """An OSC message whose one argument is Nil: what the namespace's TYPE "N" says."""
    return osc_msg(path)[:-4] + osc_str(",N")


def value(path):
    return get_json(path + "?VALUE")["VALUE"][0]


def wait_value(path, want, timeout_s=2):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        v = value(path)
        if abs(v - want) < 1e-4:
            return v
        time.sleep(0.02)
    return value(path)


def check_compare():
    """A/B and reset over the WebSocket, read back over OSCQuery."""
    w = ws()
    g = "/strip/2/out/gain"
    w.send_binary(osc_msg(g, -6.0))
    w.send_binary(osc_msg("/strip/2/comp/enable", 1))
    wait_value(g, -6.0)
    w.send_binary(osc_msg("/strip/2/ab/store", "A"))
    w.send_binary(osc_msg(g, -3.0))
    w.send_binary(osc_msg("/strip/2/comp/enable", 0))
    wait_value(g, -3.0)
    w.send_binary(osc_msg("/strip/2/ab/store", "B"))
    w.send_binary(osc_msg("/strip/2/ab/recall", "A"))
    a = (wait_value(g, -6.0), wait_value("/strip/2/comp/enable", 1))
    check(a == (-6.0, 1), f"recall A brings back A's values {a}")
    w.send_binary(osc_nil("/strip/2/ab/swap"))
    b = (wait_value(g, -3.0), wait_value("/strip/2/comp/enable", 0))
    check(b == (-3.0, 0), f"swap (TYPE N) goes to B {b}")
    w.send_binary(osc_msg("/strip/2/ab/swap"))
    check(wait_value(g, -6.0) == -6.0, "swap with no argument goes back to A")
    w.send_binary(osc_msg("/strip/2/reset"))
    check(wait_value(g, 0.0) == 0.0 and value("/strip/2/comp/enable") == 0,
          "reset puts the strip at its defaults")
    for bad, why in ((osc_msg("/strip/2/ab/recall", "C"), "not a slot"),
                     (osc_msg("/strip/2/ab/store"), "expected the slot"),
                     (osc_msg("/strip/2/ab/recall", 1.0), "expected the slot"),
                     (osc_msg("/strip/2/reset", "now"), "takes no arguments")):
        w.send_binary(bad)
        m = recv_until(w, lambda m: isinstance(m, dict), 1)
        check(m and m["COMMAND"] == "ERROR" and why in m["DATA"]["MESSAGE"],
              f"a bad A/B command is an ERROR ({m and m['DATA']['MESSAGE']})")
    w.close()


def check_bad_input():
    w = ws()
    for bad in ["{", "[]", '{"COMMAND":}', '{"COMMAND":"LISTEN","DATA":{"a":1}}', "\x00",
                '{"COMMAND":"NOPE"}', '{"COMMAND":"LISTEN","DATA":"/nowhere"}']:
        w.send(bad)
        m = recv_until(w, lambda m: isinstance(m, dict), 1)
        check(m and m["COMMAND"] == "ERROR", f"bad JSON {bad!r} -> ERROR ({m and m['DATA']['MESSAGE']})")
    w.send_binary(b"\x01\x02garbage")
    m = recv_until(w, lambda m: isinstance(m, dict), 1)
    check(m and m["COMMAND"] == "ERROR", "a binary frame that is not OSC -> ERROR")
    w.send_binary(osc_msg("/strip/1/meter", 1.0))
    m = recv_until(w, lambda m: isinstance(m, dict), 1)
    check(m and "read only" in m["DATA"]["MESSAGE"], "meters are read only")
    w.close()

    w = ws()
    w.send_binary(b"/x\0\0" + b"\0" * 70000)
    check(closed(w) and alive(), "an oversized frame closes the connection, the server stays")
    w = ws()
    w.send_frame(websocket.ABNF.create_frame('{"COMMAND"', websocket.ABNF.OPCODE_TEXT, fin=0))
    check(closed(w) and alive(), "a fragmented message closes the connection")
    w = ws()
    t0 = time.monotonic()
    try:
        for _ in range(30000):
            w.send('{"COMMAND":"IGNORE","DATA":"/strip/1/comp/ratio"}')
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        pass
    check(closed(w, 5) and alive(), f"a flood is closed ({time.monotonic() - t0:.1f} s)")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def under_asan(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def dropped(s, timeout_s):
    """1 once the server has closed s: a frame sent after the drop meets a closed socket."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            s.send(json.dumps({"COMMAND": "IGNORE", "DATA": "/strip/1/comp/ratio"}))
        except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
            return True
        time.sleep(0.1)
    return False


def check_slow_client():
    pid = int(os.environ["CS_PID"])
    rss0 = rss_kb(pid)
    s = websocket.create_connection(WS_URL, timeout=3, origin=ORIGIN,
                                    sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    s.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/*/meter", "RATE": 50}))
    try:
        # each LISTEN of a container queues every value again (~2.8 kB): 5.6 MB in all, more
        # than the send queue and the kernel's socket buffers hold; this client never reads
        for _ in range(2000):
            s.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip"}))
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        pass  # dropped already: what this is about
    time.sleep(0.5)
    fast = ws()
    fast.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/1/comp/knee"}))
    recv_until(fast, lambda m: m[0] == "/strip/1/comp/knee", 2)
    t0 = time.monotonic()
    osc_udp("/strip/1/comp/knee", 3.0)
    m = recv_until(fast, lambda m: m[0] == "/strip/1/comp/knee" and m[1][0] == 3.0, 1)
    dt = (time.monotonic() - t0) * 1000
    check(m is not None and dt < 50, f"a slow reader does not delay others ({dt:.1f} ms)")
    gone = dropped(s, 15)
    if under_asan(pid) and not gone:
        # under ASan the server drains its queue into the socket too slowly to reach the
        # bound within the wait; the release run enforces the drop
        print("info the slow reader was not dropped within 15 s (ASan build: not checked)")
    else:
        check(gone, "the slow reader is dropped")
    grow = rss_kb(pid) - rss0
    if under_asan(pid):  # ASan's quarantine keeps freed memory: RSS says nothing there
        print(f"info memory with a slow reader: +{grow} kB (ASan build: not checked)")
    else:
        check(grow < 8192, f"memory stays bounded with a slow reader (+{grow} kB)")
    osc_udp("/strip/1/comp/knee", 6.0)
    try:
        s.close()
    except (ConnectionError, OSError):
        pass
    fast.close()


def raw_ws():
    """A WebSocket by hand (a socket after the handshake), to send frames no library would."""
    s = socket.create_connection(("127.0.0.1", HTTP_PORT), timeout=3)
    s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{HTTP_PORT}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        reply += s.recv(4096)
    assert reply.startswith(b"HTTP/1.1 101"), reply[:100]
    return s


def frame_header(length, opcode=2):
    """A final, masked (mask 0) frame header claiming length bytes of payload."""
    if length < 126:
        return bytes([0x80 | opcode, 0x80 | length]) + b"\0" * 4
    if length < 65536:
        return bytes([0x80 | opcode, 0x80 | 126]) + struct.pack(">H", length) + b"\0" * 4
    return bytes([0x80 | opcode, 0x80 | 127]) + struct.pack(">Q", length) + b"\0" * 4


def close_code(s, timeout_s):
    """The status code of the server's close frame, 0 for a plain end, None if still open."""
    s.settimeout(timeout_s)
    data = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        return None
    except (ConnectionError, OSError):
        pass
    # skip whatever the server sent before (replies), frame by frame
    pos = 0
    while pos + 2 <= len(data):
        op, n, hl = data[pos] & 15, data[pos + 1] & 127, 2
        if n == 126:
            n, hl = struct.unpack(">H", data[pos + 2:pos + 4])[0], 4
        elif n == 127:
            n, hl = struct.unpack(">Q", data[pos + 2:pos + 10])[0], 10
        if op == 8:
            return struct.unpack(">H", data[pos + hl:pos + hl + 2])[0] if n >= 2 else 0
        pos += hl + n
    return 0


def stream(s, n_bytes):
    """Send up to n_bytes of payload, stopping when the server has closed; the bytes sent."""
    chunk, sent = b"\0" * 65536, 0
    try:
        while sent < n_bytes:
            sent += s.send(chunk)
    except (ConnectionError, OSError):
        pass
    return sent


def meter_watch(stop):
    """Meter messages of strip 1 at 50 Hz on a client of its own: (count, longest gap s)."""
    w = ws()
    w.send(json.dumps({"COMMAND": "LISTEN", "DATA": "/strip/1/meter", "RATE": 50}))
    recv_until(w, lambda m: m[0] == "/strip/1/meter", 2)
    n, gap, last = 0, 0.0, time.monotonic()
    while not stop:
        if recv_until(w, lambda m: m[0] == "/strip/1/meter", 0.5):
            n += 1
        t = time.monotonic()
        gap, last = max(gap, t - last), t
    w.close()
    return n, gap


def check_frame_limits():
    """Oversized frames are refused by their header: the payload is never buffered."""
    pid = int(os.environ["CS_PID"])
    asan = under_asan(pid)
    probe = Probe("webframes")
    stop, result = [], []
    watcher = threading.Thread(target=lambda: result.append(meter_watch(stop)))
    try:
        before_db = probe.db(0.3)
        watcher.start()
        time.sleep(0.5)
        rss0, t0 = rss_kb(pid), time.monotonic()
        run_t0, run_c0, xruns0 = t0, probe.cycles, probe.xruns
        # seven clients (the eighth slot is the meter watcher) each claim a 1 GiB frame
        # and stream 32 MiB of it as fast as the socket takes it
        socks = [raw_ws() for _ in range(7)]
        for s in socks:
            s.sendall(frame_header(1 << 30))
        sent = [stream(s, 32 << 20) for s in socks]
        codes = [close_code(s, 2) for s in socks]
        dt = time.monotonic() - t0
        grow = rss_kb(pid) - rss0
        check(all(c == 1009 for c in codes) and dt < 3,
              f"a frame claiming 1 GiB is refused at its header: close 1009 ({codes}, "
              f"{dt:.2f} s for 7 clients)")
        check(max(sent) < (16 << 20), f"the payload is not read: at most {max(sent) >> 10} kB "
              "got into the socket before the close")
        if asan:
            print(f"info memory with 7 oversized frames: +{grow} kB (ASan build: not checked)")
        else:
            check(grow < 2048, f"memory stays bounded: +{grow} kB with 7 clients streaming "
                  "a 1 GiB frame (bound 2 MiB)")
        for s in socks:
            s.close()
        time.sleep(0.3)  # their slots are free again
        # a 1 GiB claim that then trickles: refused at once, not after a timeout
        s = raw_ws()
        t0 = time.monotonic()
        s.sendall(frame_header(1 << 30) + b"\0")
        code = close_code(s, 2)
        check(code == 1009 and time.monotonic() - t0 < 1,
              f"a trickled 1 GiB frame is closed at once ({code}, {time.monotonic() - t0:.2f} s)")
        s.close()
        # just above and just below the limit
        s = raw_ws()
        s.sendall(frame_header(65537) + b"x" * 100)
        check(close_code(s, 2) == 1009, "a frame of 65537 bytes is refused (1009)")
        s.close()
        w = ws()
        pad = 65536 - len('{"COMMAND":"IGNORE","DATA":"/strip/1/comp/ratio"}')
        w.send('{"COMMAND":"IGNORE","DATA":"/strip/1/comp/ratio"}' + " " * pad)
        w.send(json.dumps({"COMMAND": "PRESET_LIST", "DATA": ""}))
        m = recv_until(w, lambda m: isinstance(m, dict), 2)
        check(m and m["COMMAND"] == "PRESET_LIST", f"a frame of 65536 bytes is taken ({m})")
        w.close()
        # a small frame whose payload never completes is closed after the frame time limit
        s = raw_ws()
        t0 = time.monotonic()
        s.sendall(frame_header(100))
        s.sendall(b"\0")
        code = close_code(s, 8)
        dt = time.monotonic() - t0
        check(code == 1008 and 4.5 < dt < 7, f"an incomplete frame is closed after 5 s ({code}, "
              f"{dt:.1f} s)")
        s.close()
        after_db = probe.db(0.3)
        ran = (probe.cycles - run_c0) * probe.client.blocksize / probe.fs
        wall = time.monotonic() - run_t0
        stop.append(1)
        watcher.join(5)
        n, gap = result[0] if result else (0, 99)
        # xruns are counted for the record: on a loaded machine the dummy backend has some
        # with no client at all; the audio running on is the process cycles keeping time
        check(ran > 0.8 * wall and abs(after_db - before_db) < 0.5,
              f"the audio runs on: {ran:.1f} s processed in {wall:.1f} s "
              f"({probe.xruns - xruns0} xruns), out {before_db:.1f} -> {after_db:.1f} dB")
        check(gap < (0.5 if asan else 0.25) and n > 0,
              f"another client's meters keep coming ({n} messages, longest gap {gap * 1000:.0f} ms)")
    finally:
        stop.append(1)
        probe.close()


def check_origin_host():
    try:
        websocket.create_connection(WS_URL, timeout=3, origin="http://evil.example")
        refused = False
    except websocket.WebSocketBadStatusException as e:
        refused = e.status_code == 403
    check(refused, "a WebSocket from another origin is refused (403)")
    check(http_get("/", {"Origin": "http://evil.example"})[0] == 403, "cross-origin GET refused")
    check(http_get("/", {"Host": f"evil.example:{HTTP_PORT}"})[0] == 403,
          "a foreign Host (DNS rebinding) is refused")
    check(http_get("/", {"Host": f"localhost:{HTTP_PORT}"})[0] == 200, "Host localhost is fine")
    check(http_get("/", {"Host": "127.0.0.1:1"})[0] == 403, "Host with another port is refused")
    conns = [ws() for _ in range(8)]
    try:
        websocket.create_connection(WS_URL, timeout=3, origin=ORIGIN)
        refused = "accepted"
    except websocket.WebSocketBadStatusException as e:
        refused = e.status_code
    except (websocket.WebSocketConnectionClosedException, ConnectionError) as e:
        refused = type(e).__name__
    check(refused == 503, f"a ninth WebSocket client is refused at its handshake ({refused})")
    for c in conns:
        c.close()
    time.sleep(0.3)
    check_capacity_race()


def handshakes_at_once(n):
    """n WebSocket handshakes from n threads at once: (the connections told 101, how many of
    them answer a request)."""
    got, lock = [], threading.Lock()

    def one():
        try:
            c = ws()
        except websocket.WebSocketBadStatusException:
            return
        with lock:
            got.append(c)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(10)
    served = 0
    for c in got:
        try:
            c.send(json.dumps({"COMMAND": "PRESET_LIST", "DATA": ""}))
            served += bool(recv_until(c, lambda m: m.get("COMMAND") == "PRESET_LIST", 3))
        except (websocket.WebSocketException, ConnectionError, OSError):
            pass
    for c in got:
        c.close()
    return len(got), served


def check_capacity_race():
    """Nine handshakes at once: the capacity is decided at the handshake, so exactly eight
    are told 101 and each of those eight is really served (none is closed as 'too many'
    after its 101). Fewer than eight only means the last round's clients were not freed yet
    (a slow machine): that round is tried again after a pause; more than eight, or one told
    101 and not served, fails at once."""
    for rnd in range(3):
        for attempt in range(4):
            time.sleep(0.3 + attempt)
            told, served = handshakes_at_once(9)
            if told >= 8 or served < told:
                break
        check(told == 8 and served == 8,
              f"nine handshakes at once (round {rnd + 1}, attempt {attempt + 1}): {told} told "
              f"101, {served} served")
    time.sleep(0.3)


def check_presets():
    w = ws()
    w.send(json.dumps({"COMMAND": "PRESET_SAVE", "DATA": "webtest"}))
    m = recv_until(w, lambda m: isinstance(m, dict), 2)
    check(m and m["COMMAND"] == "PRESET_SAVED", f"PRESET_SAVE ({m})")
    w.send(json.dumps({"COMMAND": "PRESET_LIST", "DATA": ""}))
    m = recv_until(w, lambda m: isinstance(m, dict), 2)
    check(m and "webtest" in m["DATA"], "PRESET_LIST lists it")
    w.send(json.dumps({"COMMAND": "PRESET_LOAD", "DATA": "../etc"}))
    m = recv_until(w, lambda m: isinstance(m, dict), 2)
    check(m and m["COMMAND"] == "ERROR", "a bad preset name is an ERROR")
    w.close()


def main():
    # WEB_CHECKS=frame_limits,compare runs only those (to try one against another build)
    only = [c for c in os.environ.get("WEB_CHECKS", "").split(",") if c]
    for name in ("namespace", "host_info", "listen", "meters", "audio", "presets", "compare",
                 "origin_host", "bad_input", "frame_limits", "slow_client"):
        if not only or name in only:
            globals()["check_" + name]()
    check(alive(), "the server answers after all of it")
    if FAILS:
        print(f"{len(FAILS)} failed", file=sys.stderr)
        sys.exit(1)


main()
