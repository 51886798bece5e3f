#!/usr/bin/python3
"""hf_clicks.py REC.wav START_S END_S: energy above 8 kHz (an 8th-order Butterworth high-pass,
four sections) of REC.wav in 2 ms windows between START_S and END_S, each against the tone's
own floor around it: the larger of the median levels of the 50-250 ms before and after it
(settings that add harmonics raise it legitimately), and at least -85 dBFS. Exits 1 when a
window is more than 10 dB above its floor, and prints those. Reads 32-bit float or
16/24/32-bit integer WAV with numpy alone."""
import math
import struct
import sys

import numpy as np


def read_wav(path):
    data = open(path, "rb").read()
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:
                tag = struct.unpack("<H", body[24:26])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            samples = body
        pos += 8 + size + (size & 1)
    tag, ch, rate, bits = fmt
    if tag == 3:
        x = np.frombuffer(samples, dtype="<f4")
    elif bits == 24:
        b = np.frombuffer(samples, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        x = ((b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)) << 8 >> 8) / 8388608.0
    else:
        x = np.frombuffer(samples, dtype="<i%d" % (bits // 8)) / float(2 ** (bits - 1))
    return x.reshape(-1, ch)[:, 0].astype(np.float64), rate


def highpass8(x, fs, fc=8000.0):
    y = x
    for q in (0.5098, 0.6013, 0.9000, 2.5629):
        w0 = 2 * math.pi * fc / fs
        cw, al = math.cos(w0), math.sin(w0) / (2 * q)
        b = np.array([(1 + cw) / 2, -(1 + cw), (1 + cw) / 2]) / (1 + al)
        a1, a2 = -2 * cw / (1 + al), (1 - al) / (1 + al)
        out = np.empty_like(y)
        z1 = z2 = 0.0
        for i, v in enumerate(y):
            o = b[0] * v + z1
            z1 = b[1] * v - a1 * o + z2
            z2 = b[2] * v - a2 * o
            out[i] = o
        y = out
    return y


def main():
    x, fs = read_wav(sys.argv[1])
    a, b = int(float(sys.argv[2]) * fs), int(float(sys.argv[3]) * fs)
    e = highpass8(x[:b], fs)[a:] ** 2
    win = int(0.002 * fs)
    n = len(e) // win
    levels = 10 * np.log10(e[:n * win].reshape(n, win).mean(axis=1) + 1e-30)
    bad = []
    for k in range(n):
        near = [levels[max(0, k - 125):max(0, k - 25)], levels[k + 25:k + 125]]
        floor = max([float(np.median(v)) for v in near if len(v)] + [-85.0])
        if levels[k] > floor + 10.0:
            bad.append((k, floor))
    worst = int(levels.argmax())
    print("above 8 kHz: loudest 2 ms %.1f dBFS at %.3f s; %d windows over their floor + 10 dB"
          % (levels[worst], (a + worst * win) / fs, len(bad)))
    for k, floor in bad[:20]:
        print("  %.3f s: %.1f dBFS (floor %.1f)" % ((a + k * win) / fs, levels[k], floor))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
