#!/usr/bin/python3
"""--midi-learn against a real jackd (dummy backend) and a JACK MIDI client: chanstrip starts
with learns armed for two paths; the first controller that moves (CC 7 on channel 1) maps to
the first, is logged, and then sets its value (read back over OSC); the same knob still moving
does not take the second path, which the next new controller (a 14-bit pair) takes with the
mode and range given; both maps are in /midi/list and in a saved preset. The command line's
mistakes are one line and exit 2; a path that names no strip stops the start (exit 1).
Usage: test-midi-learn.py CHANSTRIP"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cslib import Env, MidiClient, Osc, fail, from_norm  # noqa: E402


def cc(ch, n, v):
    return bytes([0xB0 | (ch - 1), n, v])


def params(osc):
    out = {}
    for p, a in osc.call("/params", until="/params/end"):
        if p == "/param":
            out[a[0].replace("/strip/*/", "").replace("/", ".")] = {
                "min": a[3], "max": a[4], "taper": a[6]}
    return out


def near(got, want, what, tol=1e-4):
    if abs(got - want) > tol * max(1.0, abs(want)):
        fail("%s: got %.7g, expected %.7g" % (what, got, want))


def wait_until(what, cond, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    fail("timed out waiting for " + what)


def command_line(env):
    for args, words in [(["--midi-learn", ""], "expected PATH"),
                        (["--midi-learn", "/strip/1/out/gain sideways"], "mode"),
                        (["--midi-learn", "out.gain"], "address"),
                        (["--midi-learn", "/strip/1/out/gain absolute -30"], "expected PATH"),
                        (["--offline", "a.wav", "b.wav", "--midi-learn", "/strip/1/out/gain"],
                         "JACK mode"),
                        (["--no-midi", "--midi-learn", "/strip/1/out/gain"], "--no-midi")]:
        r = subprocess.run([env.chanstrip] + args, capture_output=True, text=True)
        if r.returncode != 2 or words not in r.stderr or r.stderr.count("\n") != 1:
            fail("%s: rc %d, %r" % (args, r.returncode, r.stderr))


def main():
    env = Env(sys.argv[1], "midi-learn")
    try:
        command_line(env)
        env.start_jackd()
        bad = env.start_chanstrip(["-c", "2", "--no-connect", "-p", "0", "--name", "bad",
                                   "--midi-learn", "/strip/3/out/gain"], logname="bad",
                                  wait=False)
        try:
            rc = bad.wait(20)
        except subprocess.TimeoutExpired:
            fail("--midi-learn /strip/3/out/gain with 2 strips did not stop the start")
        text = open(bad.logpath).read()
        if rc != 1 or "--midi-learn /strip/3/out/gain" not in text:
            fail("--midi-learn on a strip that is not there: rc %d, %r" % (rc, text))
        port = env.free_port()
        cs = env.start_chanstrip(["-c", "2", "--no-connect", "-p", str(port),
                                  "--midi-learn", "/strip/1/out/gain",
                                  "--midi-learn", "/strip/2/comp/threshold absolute -40 0"])
        env.wait_log(cs.logpath, "move a controller for /strip/1/out/gain")
        osc = Osc(port)
        info = params(osc)
        midi = MidiClient()
        env.client = midi.c
        if osc.midi_list():
            fail("maps before anything moved: %s" % osc.midi_list())
        midi.send(cc(1, 7, 20))  # CC 7 >= 32: no LSB to wait for
        got = wait_until("the first learn", osc.midi_list)
        if got != [("/strip/1/out/gain", 1, "7", "absolute")]:
            fail("learnt %s" % got)
        env.wait_log(cs.logpath, "midi learn: /strip/1/out/gain <- channel 1 7")
        env.wait_log(cs.logpath, "move a controller for /strip/2/comp/threshold")
        for v in (127, 90, 100):  # the learnt knob keeps moving: it is not learnt again
            midi.send(cc(1, 7, v))
        time.sleep(0.3)
        near(osc.get("/strip/1/out/gain"), from_norm(info["out.gain"], 100 / 127),
             "out.gain after CC 7 = 100")
        if len(osc.midi_list()) != 1:
            fail("the learnt knob took the second learn too: %s" % osc.midi_list())
        midi.send(cc(2, 1, 64), cc(2, 33, 0))  # a new controller: a 14-bit pair
        got = wait_until("the second learn", lambda: len(osc.midi_list()) == 2 and
                         osc.midi_list())
        want = ("/strip/2/comp/threshold", 2, "cc14:1", "absolute", -40.0, 0.0)
        if want not in got:
            fail("second learn: %s" % got)
        midi.send(cc(2, 1, 127), cc(2, 33, 127))
        time.sleep(0.3)
        near(osc.get("/strip/2/comp/threshold"), 0.0, "threshold at the range's top")
        osc.call("/preset/save", "learnt", until="/preset/saved")
        text = open(os.path.join(os.environ["CHANSTRIP_PRESET_HOME"], "learnt.preset")).read()
        for line in ("midi.map /strip/1/out/gain 1 7 absolute",
                     "midi.map /strip/2/comp/threshold 2 cc14:1 absolute -40 0"):
            if line not in text:
                fail("the saved preset lacks %r:\n%s" % (line, text))
        if cs.poll() is not None or env.stop(cs) != 0:
            fail("chanstrip did not run and stop cleanly:\n" + open(cs.logpath).read())
    finally:
        env.close()
    print("test-midi-learn: ok")


main()
