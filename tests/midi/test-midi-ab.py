#!/usr/bin/python3
"""A/B compare and reset.
- Clicks: cs-abclick recalls B, A and swaps while a -12 dBFS 1 kHz tone (with a -110 dBFS
  noise floor) plays through a running engine; in 1024-sample Hann frames, the energy above
  8 kHz of every frame must stay within 10 dB of the tone's floor (the median frame of the
  louder setting, A). The
  same measure on the recording with a hard -12 dB step put in must exceed it (the measure
  can fail).
- Over OSC on a dummy jackd: store/recall/swap values, an empty slot, bad slots,
  /strip/N/reset (every parameter at its default, meter.cal included, only strip N), and a
  preset with 'reset' and 'N:reset' lines.
A recall is bit for bit the same values set with ctl_set at the same moment (so it glides
exactly like any parameter change).
Usage: test-midi-ab.py CHANSTRIP ABCLICK"""
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cslib import Env, Osc, fail  # noqa: E402


def hf_frames_db(x, fs=48000, frame=1024, hop=512):
    w = np.hanning(frame)
    f = np.fft.rfftfreq(frame, 1 / fs)
    e = [np.sum(np.abs(np.fft.rfft(x[k:k + frame] * w)[f > 8000]) ** 2)
         for k in range(0, len(x) - frame, hop)]
    return 10 * np.log10(np.array(e) + 1e-30)


def run_abclick(abclick, tmp, how, variant):
    raw = os.path.join(tmp, "ab-%s-%s.raw" % (how, variant))
    r = subprocess.run([abclick, raw, how, variant], capture_output=True, text=True)
    if r.returncode:
        fail("cs-abclick: %s" % r.stderr)
    marks = [int(v) - 4800 for v in r.stdout.split()]
    # the first 100 ms: the compressor settling on the tone's onset
    return np.fromfile(raw, dtype=np.float32).astype(float)[4800:], marks


def click_db(x, marks):
    """The loudest frame above 8 kHz, in dB above the floor of the louder setting (A, before
    the first recall): a transition is not expected below the floor of its louder end."""
    e = hf_frames_db(x)
    floor = np.median(e[:marks[0] // 512 - 2])
    return e.max() - floor, floor


def clicks(abclick, tmp):
    x, marks = run_abclick(abclick, tmp, "ab", "gain")
    worst, floor = click_db(x, marks)
    print("A/B clicks (B: out.gain -12, comp.makeup +6, comp.mix 50): energy above 8 kHz at "
          "most %.1f dB above the floor (%.1f dB)" % (worst, floor))
    if worst > 10:
        fail("A/B recall clicks: %.1f dB above the floor" % worst)
    # the measure catches a click: a hard -12 dB step at the first recall
    y = x.copy()
    y[marks[0]:] *= 10 ** (-12 / 20)
    if click_db(y, marks)[0] <= 10:
        fail("the click measure misses a hard step")
    # and B really sounds different from A (about 12 + 6 dB quieter, half dry)
    a = np.sqrt(np.mean(x[marks[0] - 9600:marks[0]] ** 2))
    b = np.sqrt(np.mean(x[marks[1] - 9600:marks[1]] ** 2))
    if not 20 * np.log10(a / b) > 6:
        fail("B is not quieter than A: %.1f dB" % (20 * np.log10(a / b)))
    # a recall is exactly the same values set by hand at the same moment, whatever they are
    for variant in ("gain", "comp"):
        x, marks = run_abclick(abclick, tmp, "ab", variant)
        d, _ = run_abclick(abclick, tmp, "direct", variant)
        if not np.array_equal(x, d):
            fail("%s: A/B recall differs from setting the same values (%g)"
                 % (variant, np.max(np.abs(x - d))))
    print("B with comp.threshold -30 and ratio 8 as well (the compressor's attack on an 11 dB "
          "deeper reduction, the same as setting it by hand): %.1f dB above the floor"
          % click_db(x, marks)[0])


def ab_and_reset(env):
    env.start_jackd()
    port = env.free_port()
    env.start_chanstrip(["-c", "2", "--no-connect", "-p", str(port), "--no-midi"])
    osc = Osc(port)
    g = lambda k, s=1: osc.get("/strip/%d/%s" % (s, k))  # noqa: E731
    osc.call("/strip/1/ab/recall", "B", expect_error=True)  # empty
    for bad in [("/strip/1/ab/store",), ("/strip/1/ab/store", "C"), ("/strip/1/ab/store", 2),
                ("/strip/1/ab/store", 0.5), ("/strip/1/ab/swap", "A"), ("/strip/1/reset", "x"),
                ("/strip/1/reset", 1, 1), ("/strip/3/reset",)]:
        osc.call(*bad, expect_error=True)
    osc.call("/strip/1/comp/threshold", -30.0)
    osc.call("/strip/*/ab/store", "A")
    osc.call("/strip/1/comp/threshold", -10.0)
    osc.call("/strip/1/out/gain", -6.0)
    osc.call("/strip/1/ab/store", "b")
    osc.call("/strip/1/ab/recall", "A")
    if (g("comp/threshold"), g("out/gain")) != (-30.0, 0.0):
        fail("recall A: %s %s" % (g("comp/threshold"), g("out/gain")))
    osc.call("/strip/1/comp/ratio", 3.0)  # an edit of A, kept by the swap
    osc.call("/strip/1/ab/swap")
    if (g("comp/threshold"), g("out/gain"), g("comp/ratio")) != (-10.0, -6.0, 4.0):
        fail("swap to B: %s %s %s" % (g("comp/threshold"), g("out/gain"), g("comp/ratio")))
    osc.call("/strip/1/ab/swap")
    if (g("comp/threshold"), g("comp/ratio")) != (-30.0, 3.0):
        fail("swap back to A (with its edit): %s %s" % (g("comp/threshold"), g("comp/ratio")))
    # numbers, as a TouchOSC toggle or button sends them: recall 1.0 = B, 0.0 = A; a swap
    # or reset with 0.0 (the button's release) does nothing
    osc.call("/strip/1/ab/recall", 1.0)
    if g("comp/threshold") != -10.0:
        fail("recall 1.0 is not B")
    osc.call("/strip/1/ab/swap", 0.0)
    osc.call("/strip/1/reset", 0.0)
    if g("comp/threshold") != -10.0:
        fail("swap or reset 0.0 acted")
    osc.call("/strip/1/ab/recall", 0)
    if g("comp/threshold") != -30.0:
        fail("recall 0 is not A")
    # reset: strip 1 only, every parameter
    osc.call("/strip/*/meter/cal", 12.0)
    osc.call("/strip/2/comp/ratio", 6.0)
    osc.call("/strip/1/reset")
    if (g("comp/threshold"), g("comp/ratio"), g("meter/cal"), g("out/gain")) != \
            (-18.0, 4.0, 18.0, 0.0):
        fail("reset: %s" % [g("comp/threshold"), g("comp/ratio"), g("meter/cal")])
    if (g("comp/ratio", 2), g("meter/cal", 2)) != (6.0, 12.0):
        fail("reset of strip 1 touched strip 2")
    # preset 'reset' lines
    home = os.environ["CHANSTRIP_PRESET_HOME"]
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "fresh.preset"), "w") as f:
        f.write("# from defaults\nreset\n2:comp.knee 3\n")
    osc.call("/strip/*/comp/threshold", -40.0)
    osc.call("/preset/load", "fresh", until="/preset/loaded")
    if (g("comp/threshold"), g("comp/threshold", 2), g("comp/ratio", 2), g("comp/knee", 2),
            g("comp/knee")) != (-18.0, -18.0, 4.0, 3.0, 6.0):
        fail("preset with 'reset'")
    # every load starts from the defaults; within a file, "2:reset" undoes the lines before
    # it for strip 2 only
    with open(os.path.join(home, "one.preset"), "w") as f:
        f.write("comp.ratio 8\n2:reset\n")
    osc.call("/strip/*/comp/threshold", -40.0)
    osc.call("/preset/load", "one", until="/preset/loaded")
    if (g("comp/threshold"), g("comp/threshold", 2), g("comp/ratio"), g("comp/ratio", 2)) != \
            (-18.0, -18.0, 8.0, 4.0):
        fail("preset with '2:reset'")
    with open(os.path.join(home, "badreset.preset"), "w") as f:
        f.write("0:reset\n")
    osc.call("/preset/load", "badreset", expect_error=True)


def main():
    env = Env(sys.argv[1], "ab")
    try:
        clicks(sys.argv[2], env.tmp)
        ab_and_reset(env)
    finally:
        env.close()
    print("test-midi-ab: ok")


main()
