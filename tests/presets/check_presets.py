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
import re
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


def run_off(preset, inp):
    """The preset with nr.enable 0 (its --set comes after the preset)."""
    out = os.path.join(tmp, preset + "-off.wav")
    csvp = os.path.join(tmp, preset + "-off.csv")
    subprocess.run([cs, "--offline", inp, out, "--preset", preset, "--set", "nr.enable=0",
                    "--meters", csvp, "--out-format", "pcm24"], check=True, env=env)
    return out, list(csv.DictReader(open(csvp)))


def gen(name, signal, seconds=1.0, rate=48000):
    p = os.path.join(tmp, name + ".wav")
    subprocess.run([wt, "gen", p, str(rate), "1", "float", str(seconds), signal], check=True)
    return p


# Vocal and voice presets: compress the loud passage by 3-8 dB, reduce the noise floor.
for preset in ("vocal-dynamic", "vocal-condenser", "podcast", "radio-voice"):
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

# Noise suppression (podcast, noisy-room): the steady noise floor comes down under the voice
# too, not only between phrases. Speech fixture mixed with steady noise at -45 dBFS RMS: the
# quiet passage (4.3-7.2 s, speech 18 dB down) compared with the strip without nr, which
# leaves the gate and compressor alike (measured after them, so the difference is nr's).
def mix_noise(path_in, path_out, rms_dbfs):
    """path_in (16-bit mono) plus steady low-passed noise (a room's fan and hiss) of the
    given RMS, written as 24-bit."""
    import random
    with wave.open(path_in) as w:
        fs, raw = w.getframerate(), w.readframes(w.getnframes())
    x = [int.from_bytes(raw[i:i + 2], "little", signed=True) / 32768.0
         for i in range(0, len(raw), 2)]
    rnd, lp, a, n = random.Random(5), 0.0, math.exp(-2 * math.pi * 1500 / fs), []
    for _ in x:
        lp = a * lp + (1 - a) * rnd.gauss(0, 1)
        n.append(lp)
    g = 10 ** (rms_dbfs / 20) / math.sqrt(sum(v * v for v in n) / len(n))
    out = bytearray()
    for v, m in zip(x, n):
        out += max(-8388608, min(8388607, round((v + g * m) * 8388608))).to_bytes(
            3, "little", signed=True)
    with wave.open(path_out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(3), w.setframerate(fs)
        w.writeframes(bytes(out))


noisy = os.path.join(tmp, "noisy-speech.wav")
mix_noise(speech, noisy, -45.0)
for preset, least in (("podcast", 6.0), ("noisy-room", 9.0)):
    _, on = run(preset, noisy)
    _, off = run_off(preset, noisy)
    gap_on, gap_off = span(on, 3.6, 3.95), span(off, 3.6, 3.95)
    d = avg(gap_off, "out_rms_dbfs") - avg(gap_on, "out_rms_dbfs")
    check(f"{preset} suppresses steady noise", d >= least, f"pause {d:.1f} dB lower with nr")
    loud_on, loud_off = span(on, 0.3, 3.4), span(off, 0.3, 3.4)
    dl = avg(loud_on, "out_rms_dbfs") - avg(loud_off, "out_rms_dbfs")
    check(f"{preset} keeps the voice", abs(dl) <= 1.5, f"loud speech {dl:+.2f} dB with nr")

_, rows = run("noisy-room", speech)
gr = mx(span(rows, 0.3, 3.4), "comp_gr_db")
check("noisy-room compresses loud speech 3-8 dB", 3.0 <= gr <= 8.0, f"max GR {gr:.1f} dB")
d = mx(span(rows, 0.3, 3.4), "deess_gr_db")
check("noisy-room de-esses within its range", 0.5 <= d <= 10.0, f"max de-ess {d:.1f} dB")

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

# Speech presets say the input level they expect (header and README's table), and the figures
# hold: at both ends of the range the loud speech comes out within 5 dB of the same take
# without the preset (the gate/expander opens); at -40 dBFS peaks it comes out the stated
# number of dB quieter (+-2 dB), and the stated pre.gain fix brings it back within 5 dB.
def power_db(rows, k):
    return 10 * math.log10(sum(10 ** (float(r[k]) / 10) for r in rows) / len(rows))


def speech_at(peak_dbfs):
    _, rows = run("neutral", speech)
    have = mx(span(rows, 0.3, 3.49), "in_peak_dbfs")
    p = os.path.join(tmp, f"speech{peak_dbfs}.wav")
    subprocess.run([cs, "--offline", speech, p, "--set", f"out.gain={peak_dbfs - have:.3f}"],
                   check=True, env=env)
    return p


def vs_neutral(preset, inp, extra=()):
    _, a = run(preset, inp, extra)
    _, b = run("neutral", inp, extra)
    return power_db(span(a, 0.3, 3.49), "out_rms_dbfs") - \
        power_db(span(b, 0.3, 3.49), "out_rms_dbfs")


readme = open(os.path.join(src, "README.md")).read()
for preset in ("vocal-dynamic", "vocal-condenser", "podcast"):
    text = open(os.path.join(src, "presets", preset + ".preset")).read()
    rng = re.search(r"^# Input: speech peaking (-\d+) to (-\d+) dBFS", text, re.M)
    quiet = re.search(r"peaking -40 dBFS comes out (\d+) dB quieter", text)
    fix = re.search(r"--set pre\.gain=(\d+)", text)
    check(f"{preset} header says its input level", rng and quiet and fix,
          rng.group(0) if rng else "no '# Input: speech peaking LO to HI dBFS' line")
    if not (rng and quiet and fix):
        continue
    lo, hi = int(rng.group(1)), int(rng.group(2))
    row = re.search(rf"^\| `{preset}` \|.*\|$", readme, re.M)
    check(f"README says {preset}'s input level", row and f"{lo} to {hi} dBFS" in row.group(0),
          row.group(0) if row else "no row")
    for lvl in (lo, hi):
        g = vs_neutral(preset, speech_at(lvl))
        check(f"{preset} at {lvl} dBFS peaks keeps the voice", abs(g) <= 5.0, f"{g:+.1f} dB")
    g = vs_neutral(preset, speech_at(-40))
    want = -int(quiet.group(1))
    check(f"{preset} at -40 dBFS peaks: {want} dB as stated", abs(g - want) <= 2.0,
          f"{g:+.1f} dB")
    g = vs_neutral(preset, speech_at(-40), ("--set", f"pre.gain={fix.group(1)}"))
    check(f"{preset} at -40 dBFS with pre.gain={fix.group(1)} keeps the voice", abs(g) <= 5.0,
          f"{g:+.1f} dB")


# Radio voice (enhancer and air): the top comes up 3-10 dB against the whole on loud speech,
# and the peaks stay below full scale.
def hp2(x, fs, f):
    """2nd-order Butterworth high-pass (bilinear), for band shares"""
    w0 = 2 * math.pi * f / fs
    al, c = math.sin(w0) / (2 * 0.7071067811865476), math.cos(w0)
    b0, b1 = (1 + c) / 2 / (1 + al), -(1 + c) / (1 + al)
    a1, a2 = -2 * c / (1 + al), (1 - al) / (1 + al)
    y, x1, x2, y1, y2 = [], 0.0, 0.0, 0.0, 0.0
    for v in x:
        o = b0 * v + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2
        x2, x1, y2, y1 = x1, v, y1, o
        y.append(o)
    return y


def top_share(x, fs):
    return sum(v * v for v in hp2(x, fs, 4000)) / sum(v * v for v in x)


out, rows = run("radio-voice", speech)
y, fs = read_pcm24(out)
with wave.open(speech) as w:
    raw = w.readframes(w.getnframes())
xs = [int.from_bytes(raw[i:i + 2], "little", signed=True) / 32768.0 for i in range(0, len(raw), 2)]
a, b = int(0.3 * fs), int(3.4 * fs)
rise = 10 * math.log10(top_share(y[a:b], fs) / top_share(xs[a:b], fs))
check("radio-voice brings the top up 3-10 dB", 3.0 <= rise <= 10.0, f"above 4 kHz {rise:+.2f} dB")
pk = mx(rows, "out_peak_dbfs")
check("radio-voice stays below full scale", pk < 0.0, f"peak {pk:.2f} dBFS")

# Podcast hum removal: speech with 50, 100 and 150 Hz hum at -30 dBFS each; each comes out at
# least 20 dB lower than with pre.hum off (same preset otherwise).
hummy = os.path.join(tmp, "hummy.wav")
with wave.open(hummy, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(48000)
    frames = bytearray()
    for i, v in enumerate(xs):
        h = sum(0.0316 * math.sin(2 * math.pi * f * i / 48000 + f) for f in (50, 100, 150))
        q = int(max(-32768, min(32767, round((v + h) * 32768))))
        frames += q.to_bytes(2, "little", signed=True)
    w.writeframes(bytes(frames))
yon = read_pcm24(run("podcast", hummy)[0])[0]
yoff = read_pcm24(run("podcast", hummy, ("--set", "pre.hum=off"))[0])[0]
n = 7 * 48000  # whole cycles of 50 Hz
for f in (50, 100, 150):
    d = 20 * math.log10(tone_amp(yon[:n], f, 48000) / tone_amp(yoff[:n], f, 48000))
    check(f"podcast notches {f} Hz hum", d <= -20.0, f"{d:+.1f} dB against pre.hum off")

# Every preset in presets/ loads, and has a comment header.
names = sorted(f[:-7] for f in os.listdir(os.path.join(src, "presets")) if f.endswith(".preset"))
for n in names:
    head = open(os.path.join(src, "presets", n + ".preset")).readline()
    check(f"{n} has a header", head.startswith(f"# {n}:"), head.strip())
check("eight source presets ship", len(names) >= 9, ", ".join(names))

print(f"presets: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
