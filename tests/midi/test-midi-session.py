#!/usr/bin/python3
"""MIDI maps in an NSM session: a new session starts from --midi-map; a map made over OSC
marks the session dirty; a save writes every map into the state file; a restart that opens
the same session gets the session's maps back (not the command line's), and they work.
Usage: test-midi-session.py CHANSTRIP [ABCLICK]"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cslib import Env, MidiClient, Nsm, Osc, fail, osc_decode  # noqa: E402


def start(env, nsm, port, maparg, logname):
    e = dict(os.environ, NSM_URL=nsm.url)
    cs = env.start_chanstrip(["-c", "2", "-p", str(port), "--midi-map", maparg], logname=logname,
                             env=e, wait=False)
    return cs


def dirty_seen(nsm, timeout=2.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        nsm.sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            data, _ = nsm.sock.recvfrom(65536)
        except OSError:
            return False
        if any(p == "/nsm/client/is_dirty" for p, _ in osc_decode(data)):
            return True
    return False


def main():
    env = Env(sys.argv[1], "session")
    try:
        env.start_jackd()
        port = env.free_port()
        path = os.path.join(env.tmp, "session", "chanstrip.nTEST")
        nsm = Nsm()
        cs = start(env, nsm, port, "/strip/1/comp/ratio 1 7", "first")
        nsm.open(path, "nTEST")
        env.wait_log(cs.logpath, "on JACK server")
        osc = Osc(port)
        if osc.midi_list() != [("/strip/1/comp/ratio", 1, "7", "absolute")]:
            fail("a new session starts from --midi-map: %s" % osc.midi_list())
        osc.call("/midi/map", "/strip/*/comp/threshold", 2, "cc14:3", "pickup")
        osc.call("/midi/map", "/strip/2/out/gain", 16, "nrpn:1000", "relative", -20.0, 6.0)
        if not dirty_seen(nsm):
            fail("a new map did not mark the session dirty")
        want = sorted(osc.midi_list())
        nsm.save()
        text = open(path + ".chanstrip").read()
        for line in ["midi.map /strip/1/comp/ratio 1 7 absolute",
                     "midi.map /strip/*/comp/threshold 2 cc14:3 pickup",
                     "midi.map /strip/2/out/gain 16 nrpn:1000 relative -20 6"]:
            if line not in text:
                fail("the state file lacks %r:\n%s" % (line, text))
        if env.stop(cs) != 0:
            fail("chanstrip did not stop cleanly")
        nsm = Nsm()
        cs = start(env, nsm, port, "/strip/1/out/gain 1 1", "second")
        nsm.open(path, "nTEST")
        env.wait_log(cs.logpath, "on JACK server")
        got = sorted(osc.midi_list())
        if got != want:
            fail("maps after a session restore:\n%s\nsaved:\n%s" % (got, want))
        midi = MidiClient(target="nTEST")
        env.client = midi.c
        midi.send(bytes([0xB0, 7, 127]))
        time.sleep(0.15)
        if osc.get("/strip/1/comp/ratio") != 20.0:
            fail("a restored map does not work: comp.ratio %s" % osc.get("/strip/1/comp/ratio"))
    finally:
        env.close()
    print("test-midi-session: ok")


main()
