#!/usr/bin/env python3
"""Every shipped preset does what its header says, measured on fixtures.

usage: check_presets.py CHANSTRIP WAVTOOL SOURCE_ROOT

The speech fixture (tests/fixtures/speech.wav, see tools/make-fixtures.sh) is loud speech
(peaks near -3 dBFS) from 0 to 3.49 s, noise alone (-40 dBFS RMS) to 3.99 s, the same speech
18 dB quieter to 7.48 s, then noise again. Levels come from chanstrip's own --meters CSV,
whose meters are tested against closed forms and libebur128 in test_meter; harmonics are
measured here with a single-bin DFT of the output.
"""
import csv
import math
import os
import subprocess
import sys
import tempfile
import wave

cs, wt, src = sys.argv[1:4]
speech = os.path.join(src, "tests/fixtures/speech.wav")
tmp = tempfile.mkdtemp()
env = dict(os.environ, CHANSTRIP_PRESET_HOME=os.path.join(tmp, "none"))
passed = failed = 0


def check(name, cond, detail):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {name}: {detail}")
    else:
        failed += 1
        print(f"not ok - {name}: {detail}")


def run(preset, inp, extra=()):
    out = os.path.join(tmp, preset + ".wav")
    csvp = os.path.join(tmp, preset + ".csv")
    subprocess.run([cs, "--offline", inp, out, "--preset", preset, "--meters", csvp,
                    "--out-format", "pcm24", *extra], check=True, env=env)
    rows = list(csv.DictReader(open(csvp)))
    return out, rows


def span(rows, a, b):
    return [r for r in rows if a <= float(r["time_s"]) <= b]


def mx(rows, k):
    return max(float(r[k]) for r in rows)


def avg(rows, k):
    return sum(float(r[k]) for r in rows) / len(rows)


def read_pcm24(path):
    with wave.open(path) as w:
        raw = w.readframes(w.getnframes())
        fs = w.getframerate()
    x = [int.from_bytes(raw[i:i + 3], "little", signed=True) / 8388608.0
         for i in range(0, len(raw), 3)]
    return x, fs


def tone_amp(x, f, fs):
    re = im = 0.0
    w = 2 * math.pi * f / fs
    for i, v in enumerate(x):
        re += v * math.cos(w * i)
        im -= v * math.sin(w * i)
    return 2 * math.hypot(re, im) / len(x)


def gen(name, signal, seconds=1.0, rate=48000):
    p = os.path.join(tmp, name + ".wav")
    subprocess.run([wt, "gen", p, str(rate), "1", "float", str(seconds), signal], check=True)
    return p


# Vocal and voice presets: compress the loud passage by 3-8 dB, reduce the noise floor.
for preset in ("vocal-dynamic", "vocal-condenser", "podcast"):
    _, rows = run(preset, speech)
    loud, gap = span(rows, 0.3, 3.4), span(rows, 3.6, 3.95)
    gr = mx(loud, "comp_gr_db")
    check(f"{preset} compresses loud speech 3-8 dB", 3.0 <= gr <= 8.0, f"max GR {gr:.1f} dB")
    g = avg(gap, "gate_gr_db")
    check(f"{preset} reduces the noise floor", g >= 3.0, f"gate/expander GR {g:.1f} dB in the pause")
    drop = avg(gap, "in_rms_dbfs") - avg(gap, "out_rms_dbfs")
    check(f"{preset} noise comes out lower", drop >= 3.0, f"{drop:.1f} dB lower (after makeup)")
    d = mx(loud, "deess_gr_db")
    check(f"{preset} de-esses within its range", 0.5 <= d <= 10.0, f"max de-ess {d:.1f} dB")

# The voice presets and broadcast are clip safe: a hot 1 kHz note (-0.9 dBFS) plus their makeup
# would pass full scale; the limiter holds the output's true peak at -1 dBTP.
hot = gen("hot", "sine:1000:0.9")
for preset in ("vocal-dynamic", "vocal-condenser", "podcast", "broadcast"):
    _, rows = run(preset, hot)
    tp = mx(rows, "out_true_peak_dbtp")
    check(f"{preset} keeps the true peak under -1 dBTP", tp <= -0.9, f"out true peak {tp:.2f} dBTP")
    check(f"{preset} writes no full-scale sample", mx(rows, "out_clips") == 0.0, "out_clips 0")

# Broadcast: gentle compression on speech (R128 programme, even level).
_, rows = run("broadcast", speech)
gr = mx(span(rows, 0.3, 3.4), "comp_gr_db")
check("broadcast compresses speech gently", 1.0 <= gr <= 8.0, f"max GR {gr:.1f} dB")

# Acoustic guitar: gentle compression, no gate.
_, rows = run("acoustic-guitar", speech)
gr = mx(span(rows, 0.3, 3.4), "comp_gr_db")
check("acoustic-guitar compresses gently", 2.0 <= gr <= 8.0, f"max GR {gr:.1f} dB")
check("acoustic-guitar has no gate", mx(rows, "gate_gr_db") == 0.0, "gate GR 0 throughout")

# Bass DI: instrument level (-30 dBFS) comes up by 12 dB + 2 dB makeup; hot notes compress.
_, rows = run("bass-di", gen("bass-quiet", "sine:82.4:0.0316"))
rise = avg(span(rows, 0.5, 1.0), "out_rms_dbfs") - avg(span(rows, 0.5, 1.0), "in_rms_dbfs")
check("bass-di lifts instrument level by ~14 dB", 12.5 <= rise <= 15.5, f"+{rise:.2f} dB")
_, rows = run("bass-di", gen("bass-hot", "sine:82.4:0.25"))
gr = mx(span(rows, 0.5, 1.0), "comp_gr_db")
check("bass-di compresses hot notes", gr >= 3.0, f"GR {gr:.1f} dB")

# Ribbon: speech at ribbon level (24 dB down) comes back near the dynamic-mic level.
quiet = os.path.join(tmp, "ribbon-in.wav")
subprocess.run([cs, "--offline", speech, quiet, "--set", "out.gain=-24"], check=True, env=env)
_, rows = run("ribbon", quiet)
loud = span(rows, 0.3, 3.4)
rise = mx(loud, "out_peak_dbfs") - mx(loud, "in_peak_dbfs")
check("ribbon adds ~24 dB less gentle compression", 18.0 <= rise <= 24.5, f"+{rise:.1f} dB peak")

# Line input: +4 dBu reads +4 dBu (SMPTE RP155), and the strip is exactly transparent below
# its threshold.
line = gen("line", "sine:1000:0.1")  # -20 dBFS peak = -20 dBFS AES17 = +4 dBu at cal 24
out, rows = run("line-input", line)
dbu = avg(span(rows, 0.5, 1.0), "in_dbu")
check("line-input reads +4 dBu for +4 dBu", abs(dbu - 4.0) < 0.05, f"{dbu:.2f} dBu")
res = subprocess.run([wt, "cmp", line, out, "2e-7"], capture_output=True, text=True)
check("line-input is transparent below threshold", res.returncode == 0, res.stdout.strip())
_, rows = run("line-input", gen("line-hot", "sine:1000:0.9"))
gr = mx(span(rows, 0.5, 1.0), "comp_gr_db")
check("line-input limits hot signals", gr >= 3.0, f"GR {gr:.1f} dB at -0.9 dBFS")

# Warm tube: second harmonic from the asymmetric curve, level kept, no DC.
out, rows = run("warm-tube", gen("tube", "sine:200:0.1"))
x, fs = read_pcm24(out)
x = x[fs // 2:]  # past the smoothing and crossfades: whole cycles of 200 Hz
h1, h2 = tone_amp(x, 200, fs), tone_amp(x, 400, fs)
h2dbc = 20 * math.log10(h2 / h1)
check("warm-tube adds second harmonic", h2dbc > -50.0, f"H2 {h2dbc:.1f} dBc")
dc = abs(sum(x) / len(x))
check("warm-tube has no DC", dc < 10 ** (-80 / 20), f"DC {20 * math.log10(dc + 1e-12):.1f} dBFS")
lvl = 20 * math.log10(h1 / 0.1)
check("warm-tube keeps the level", abs(lvl) < 3.0, f"fundamental {lvl:+.2f} dB")

# Every preset in presets/ loads, and has a comment header.
names = sorted(f[:-7] for f in os.listdir(os.path.join(src, "presets")) if f.endswith(".preset"))
for n in names:
    head = open(os.path.join(src, "presets", n + ".preset")).readline()
    check(f"{n} has a header", head.startswith(f"# {n}:"), head.strip())
check("eight source presets ship", len(names) >= 9, ", ".join(names))

print(f"presets: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
