"""cslib.py: what the MIDI tests share: a dummy jackd, chanstrip, a JACK MIDI/audio client
(python3-jack-client), an OSC client over a plain UDP socket, and a tiny NSM server.

Every process started here is stopped by its own PID at the end (Env.close)."""
import math
import os
import queue
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import jack


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    raise SystemExit(1)


# ---- OSC (just what the tests need: s, i, f, T, F; bundles when decoding) ----

def _pad(b):
    return b + b"\0" * (4 - len(b) % 4)


def osc_encode(path, *args):
    types, data = ",", b""
    for a in args:
        if isinstance(a, bool):
            types += "T" if a else "F"
        elif isinstance(a, int):
            types += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            types += "f"
            data += struct.pack(">f", a)
        else:
            types += "s"
            data += _pad(str(a).encode())
    return _pad(path.encode()) + _pad(types.encode()) + data


def _str(b, i):
    j = b.index(b"\0", i)
    return b[i:j].decode(errors="replace"), (j // 4 + 1) * 4


def osc_decode(b):
    """A list of (path, args) from one datagram."""
    if b.startswith(b"#bundle\0"):
        out, i = [], 16
        while i + 4 <= len(b):
            n = struct.unpack(">i", b[i:i + 4])[0]
            out += osc_decode(b[i + 4:i + 4 + n])
            i += 4 + n
        return out
    path, i = _str(b, 0)
    types, i = _str(b, i)
    args = []
    for t in types[1:]:
        if t == "i":
            args.append(struct.unpack(">i", b[i:i + 4])[0])
            i += 4
        elif t == "f":
            args.append(struct.unpack(">f", b[i:i + 4])[0])
            i += 4
        elif t in "sS":
            s, i = _str(b, i)
            args.append(s)
        elif t == "T":
            args.append(True)
        elif t == "F":
            args.append(False)
        elif t == "h":
            args.append(struct.unpack(">q", b[i:i + 8])[0])
            i += 8
        elif t == "d":
            args.append(struct.unpack(">d", b[i:i + 8])[0])
            i += 8
    return [(path, args)]


class Osc:
    def __init__(self, port):
        self.dest = ("127.0.0.1", port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, path, *args):
        self.sock.sendto(osc_encode(path, *args), self.dest)

    def recv_all(self, until_path=None, timeout=2.0):
        """Messages until one with until_path arrives (or the timeout)."""
        out, end = [], time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                break
            msgs = osc_decode(data)
            out += msgs
            if until_path and any(p == until_path for p, _ in msgs):
                break
        return out

    def drain(self):
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recvfrom(65536)
        except BlockingIOError:
            pass
        self.sock.setblocking(True)

    def get(self, path):
        self.drain()
        self.send(path)
        for p, a in self.recv_all(path):
            if p == path:
                return a[0]
            if p == "/error":
                fail("get %s: %s" % (path, a))
        fail("no reply to %s" % path)

    def call(self, path, *args, until=None, expect_error=False):
        """Send; return the replies (until `until`, else until a /ping sent after it is
        answered). Fails on an unexpected
        /error, or when expect_error and none came."""
        self.drain()
        self.send(path, *args)
        if not until:  # requests are answered in order: /pong means it was handled
            self.send("/ping")
        msgs = self.recv_all(until or "/pong", 2.0)
        errs = [a for p, a in msgs if p == "/error"]
        if errs and not expect_error:
            fail("%s %s: %s" % (path, args, errs))
        if expect_error and not errs:
            fail("%s %s: expected an /error" % (path, args))
        return msgs

    def midi_list(self):
        msgs = self.call("/midi/list", until="/midi/list/end")
        return [tuple(a) for p, a in msgs if p == "/midi/list/map"]


# ---- the taper, written from the table's definition (log: geometric, linear) ----

def from_norm(info, x):
    lo, hi = info["min"], info["max"]
    if info["taper"] == "log":
        return lo * (hi / lo) ** x
    return lo + x * (hi - lo)


# ---- processes ----

class Env:
    def __init__(self, chanstrip, name="midi"):
        self.chanstrip = chanstrip
        self.tmp = tempfile.mkdtemp(prefix="chanstrip-%s." % name)
        self.server = "cs-midi-%d-%d" % (os.getpid(), random.randrange(1 << 30))
        self.procs = []
        self.client = None
        os.environ["JACK_DEFAULT_SERVER"] = self.server
        os.environ["JACK_NO_AUDIO_RESERVATION"] = "1"
        os.environ["CHANSTRIP_PRESET_HOME"] = os.path.join(self.tmp, "presets")
        os.environ.pop("NSM_URL", None)

    def start_jackd(self, period=256):
        for rt in ([], ["--no-realtime"]):
            log = open(os.path.join(self.tmp, "jackd.log"), "a")
            p = subprocess.Popen(["jackd"] + rt + ["-n", self.server, "-d", "dummy", "-r",
                                 "48000", "-p", str(period)], stdout=log, stderr=log)
            self.procs.append(p)
            end = time.monotonic() + 5
            while time.monotonic() < end:
                if subprocess.run(["jack_lsp"], capture_output=True).returncode == 0:
                    self.jackd = p
                    return
                time.sleep(0.05)
            p.kill()
            p.wait()
        fail("jackd did not start")

    def free_port(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    def start_chanstrip(self, args, logname="chanstrip", env=None, wait=True):
        log = os.path.join(self.tmp, logname + ".log")
        p = subprocess.Popen([self.chanstrip] + args, stdout=open(log, "w"),
                             stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        if wait:
            self.wait_log(log, "on JACK server")
        p.logpath = log
        return p

    def wait_log(self, log, text, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in open(log).read():
                return
            time.sleep(0.05)
        fail("%s never said %r:\n%s" % (log, text, open(log).read()[-2000:]))

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def close(self):
        if self.client:
            self.client.close()
        for p in reversed(self.procs):
            self.stop(p)
            log = getattr(p, "logpath", None)
            if log and sys.exc_info()[0] is not None:
                sys.stderr.write("---- %s (last lines)\n%s" % (log, open(log).read()[-1500:]))
        shutil.rmtree(self.tmp, ignore_errors=True)


class MidiClient:
    """A JACK client with a MIDI out (to chanstrip:midi_in), a MIDI in (from midi_out), and
    optionally an audio out/in pair for a tone through strip 1 and its recording."""

    def __init__(self, target="chanstrip", audio=False):
        self.c = jack.Client("cs-midi-test", no_start_server=True)
        self.out = self.c.midi_outports.register("out")
        self.inp = self.c.midi_inports.register("in")
        self.q = queue.Queue()
        self.got = queue.Queue()
        self.audio = audio
        self.rec, self.recording, self.phase = [], False, 0.0
        if audio:
            self.aout = self.c.outports.register("tone")
            self.ain = self.c.inports.register("rec")
        self.c.set_process_callback(self._process)
        self.c.activate()
        self.c.connect(self.out, target + ":midi_in")
        self.c.connect(target + ":midi_out", self.inp)
        if audio:
            self.c.connect(self.aout, target + ":in_1")
            self.c.connect(target + ":out_1", self.ain)
        self.fs = self.c.samplerate

    def _process(self, n):
        self.out.clear_buffer()
        while True:
            try:
                ev = self.q.get_nowait()
            except queue.Empty:
                break
            self.out.write_midi_event(0, ev)
        for _, data in self.inp.incoming_midi_events():
            self.got.put(bytes(data))
        if self.audio:
            import numpy as np
            w = 2 * math.pi * 1000.0 / self.fs
            t = self.phase + w * np.arange(n)
            self.aout.get_array()[:] = (10 ** (-12 / 20)) * np.sin(t)
            self.phase = float((self.phase + w * n) % (2 * math.pi))
            if self.recording:
                self.rec.append(self.ain.get_array().copy())

    def send(self, *events):
        """Each argument is one JACK MIDI event (bytes)."""
        for e in events:
            self.q.put(bytes(e))

    def received(self, wait=0.3):
        time.sleep(wait)
        out = []
        while True:
            try:
                out.append(self.got.get_nowait())
            except queue.Empty:
                return out

    def close(self):
        self.c.deactivate()
        self.c.close()


# ---- a tiny NSM server (announce, open, save) ----

class Nsm:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = "osc.udp://127.0.0.1:%d/" % self.sock.getsockname()[1]
        self.client = None

    def wait(self, path, timeout=5):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                data, addr = self.sock.recvfrom(65536)
            except socket.timeout:
                break
            for p, a in osc_decode(data):
                if p == path or (p in ("/reply", "/error") and a and a[0] == path):
                    self.client = addr
                    return p, a
        fail("the NSM server never got %s" % path)

    def send(self, path, *args):
        self.sock.sendto(osc_encode(path, *args), self.client)

    def open(self, path, client_id):
        self.wait("/nsm/server/announce")
        self.send("/reply", "/nsm/server/announce", "welcome", "cs-test", ":dirty:")
        self.send("/nsm/client/open", path, "chanstrip", client_id)
        p, a = self.wait("/nsm/client/open")
        if p != "/reply":
            fail("open: %s" % a)

    def save(self):
        self.send("/nsm/client/save")
        p, a = self.wait("/nsm/client/save")
        if p != "/reply":
            fail("save: %s" % a)
