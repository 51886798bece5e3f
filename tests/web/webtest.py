"""Shared pieces of the web tests: HTTP, OSC encoding, and a JACK client that plays a sine
into chanstrip and measures what comes out."""
import json
import os
import socket
import struct
import threading
import time
import urllib.error
import urllib.request

import jack
import numpy as np

HTTP_PORT = int(os.environ["HTTP_PORT"])
OSC_PORT = int(os.environ["OSC_PORT"])
BASE = f"http://127.0.0.1:{HTTP_PORT}"
WS_URL = f"ws://127.0.0.1:{HTTP_PORT}/"
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


def http_get(path, headers=None, method="GET"):
    """(status, body bytes) of a request, errors included."""
    req = urllib.request.Request(BASE + path, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(path):
    st, body = http_get(path)
    assert st == 200, (path, st, body[:200])
    return json.loads(body)


def osc_str(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def osc_msg(path, *args):
    tags, data = ",", b""
    for a in args:
        if isinstance(a, float):
            tags += "f"
            data += struct.pack(">f", a)
        elif isinstance(a, int):
            tags += "i"
            data += struct.pack(">i", a)
        else:
            tags += "s"
            data += osc_str(a)
    return osc_str(path) + osc_str(tags) + data


def osc_parse(b):
    end = b.index(b"\0")
    path = b[:end].decode()
    pos = (end + 4) & ~3
    tend = b.index(b"\0", pos)
    tags = b[pos + 1:tend].decode()
    pos = (tend + 4) & ~3
    args = []
    for t in tags:
        if t == "f":
            args.append(struct.unpack(">f", b[pos:pos + 4])[0])
            pos += 4
        elif t == "s":
            e = b.index(b"\0", pos)
            args.append(b[pos:e].decode())
            pos = (e + 4) & ~3
    return path, args


def osc_udp(path, *args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(osc_msg(path, *args), ("127.0.0.1", OSC_PORT))
    s.close()


class Probe:
    """Plays a 1 kHz sine at -20 dBFS into chanstrip:in_1 and keeps the RMS of out_1."""

    def __init__(self, name="webprobe"):
        self.client = jack.Client(name, no_start_server=True)
        self.out = self.client.outports.register("sig")
        self.inp = self.client.inports.register("ret")
        self.phase = 0
        self.level = []
        self.lock = threading.Lock()
        self.fs = self.client.samplerate
        amp = 10 ** (-20 / 20)

        @self.client.set_process_callback
        def process(n):
            t = (self.phase + np.arange(n)) / self.fs
            self.out.get_array()[:] = amp * np.sin(2 * np.pi * 1000 * t)
            self.phase += n
            self.cycles += 1
            x = self.inp.get_array()
            with self.lock:
                self.level.append(float(np.sqrt(np.mean(x * x)) + 1e-12))
                del self.level[:-64]

        self.xruns = 0
        self.cycles = 0

        @self.client.set_xrun_callback
        def xrun(delay_us):
            self.xruns += 1

        self.client.activate()
        self.client.connect(self.out, "chanstrip:in_1")
        self.client.connect("chanstrip:out_1", self.inp)

    def db(self, settle_s=0.3, blocks=16):
        time.sleep(settle_s)
        with self.lock:
            v = self.level[-blocks:]
        return 20 * np.log10(np.mean(v)) if v else -300.0

    def close(self):
        self.client.deactivate()
        self.client.close()
