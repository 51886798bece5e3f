#!/usr/bin/env python3
"""Generate the TouchOSC (Mk1 ".touchosc") layout for chanstrip from its parameter table.

    tools/make-touchosc.py --chanstrip build/src/chanstrip [--strips 2] \
        [-o touchosc/chanstrip.touchosc]
    tools/make-touchosc.py --params-tsv params.tsv --meter-fields in_rms_dbfs,... ...
        (the output of `chanstrip --list-params --format tsv` and the meter field names, for
        building without a binary)

The layout's addresses, units and ranges come from the table, so the committed layout cannot
drift from the program: tests/touchosc/ regenerates it and compares. After changing this
script or the parameter table, run it again and commit touchosc/chanstrip.touchosc.

Format: a zip holding index.xml, as written by the TouchOSC Mk1 editor (layout version 17):
control names, label texts, tab labels and custom OSC addresses (osc_cs) are base64-encoded.
TouchOSC Mk2 imports the file. Page size: iPad (mode 1), landscape ("horizontal"), 1024x768.

Python 3 standard library only.
"""

import argparse
import base64
import io
import os
import subprocess
import sys
import tempfile
import wave
import zipfile

LAYOUT_VERSION = "17"
LAYOUT_MODE = "1"  # iPad
ORIENTATION = "horizontal"  # landscape
PAGE_W, PAGE_H = 1024, 768

# (key, short name shown above the fader); module groups are drawn from the key prefixes.
FADERS = [
    ("pre.gain", "gain"),
    ("pre.drive", "drive"),
    ("pre.hpf", "low cut"),
    ("gate.threshold", "thresh"),
    ("comp.threshold", "thresh"),
    ("comp.ratio", "ratio"),
    ("comp.makeup", "makeup"),
    ("deess.threshold", "thresh"),
    ("out.gain", "gain"),
]
GROUP_NAMES = {"pre": "PREAMP", "gate": "GATE", "comp": "COMPRESSOR", "deess": "DE-ESSER",
               "out": "OUT"}
GROUP_COLORS = {"pre": "orange", "gate": "green", "comp": "red", "deess": "purple",
                "out": "blue"}

TOGGLES = [
    ("pre.phase", "PHASE \u00d8"),
    ("gate.enable", "GATE ON"),
    ("comp.enable", "COMP ON"),
    ("deess.enable", "DE-ESS ON"),
    ("deess.listen", "DS LISTEN"),
]

# Meters: (field of /strip/N/meter, two-line caption, low, high, grows down).
# Fields are the OSC meter message's (design.md, "Levels and meters"); chanstrip also sends
# each one alone as /strip/N/meter/<field> f, which is what a TouchOSC fader can follow.
# Between the input and output meters comes one gain-reduction meter for every
# "<stage>_gr_db" field the program has, in its order: a new dynamics stage gets one with no
# edit here (captioned with its name in capitals, 0..20 dB, unless named below).
IN_METERS = [
    ("in_dbu", ("IN", "dBu"), -40.0, 20.0, False),
    ("in_true_peak_dbtp", ("IN TP", "dBTP"), -60.0, 0.0, False),
]
OUT_METERS = [
    ("out_peak_dbfs", ("OUT PK", "dBFS"), -60.0, 0.0, False),
]
GR_CAPTIONS = {"deess": "DE-ESS"}
GR_RANGE_DB = {"gate": 40.0}
GR_DEFAULT_RANGE_DB = 20.0
GR_SUFFIX = "_gr_db"


def meter_list(fields):
    """The page's meters for the program's meter fields (names, in order)."""
    gr = []
    for f in fields:
        if f.endswith(GR_SUFFIX):
            stage = f[:-len(GR_SUFFIX)]
            gr.append((f, (GR_CAPTIONS.get(stage, stage.upper()), "GR dB"), 0.0,
                       GR_RANGE_DB.get(stage, GR_DEFAULT_RANGE_DB), True))
    return IN_METERS + gr + OUT_METERS


# The SUBSCRIBE button: a Mk1 push sends its range maximum as a float when pressed, so a
# range of 0..TABLET_PORT makes it send "/subscribe/port f TABLET_PORT", and chanstrip
# subscribes the tablet's address at that port (its incoming port: Mk1 sends from another),
# with meters at the default 20 Hz. --tablet-port changes it.
TABLET_PORT = 9000


def b64(s):
    return base64.b64encode(s.encode("utf-8")).decode("ascii")


def xml_attr(v):
    return (str(v).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def fnum(x):
    """Float as the editor writes it: 0.0, 1.0, -40.0, 0.5."""
    r = repr(float(x))
    return r


def osc_path(strip, key, norm=False):
    return "/strip/%d/%s%s" % (strip, key.replace(".", "/"), "/norm" if norm else "")


def read_table(tsv_text):
    lines = [l for l in tsv_text.splitlines() if l.strip()]
    if not lines:
        raise SystemExit("make-touchosc: empty parameter table")
    head = lines[0].split("\t")
    need = ["key", "unit", "min", "max", "default", "type", "values", "taper"]
    for n in need:
        if n not in head:
            raise SystemExit("make-touchosc: parameter table has no '%s' column" % n)
    table = {}
    for l in lines[1:]:
        f = l.split("\t")
        if len(f) != len(head):
            raise SystemExit("make-touchosc: bad parameter table line: %r" % l)
        row = dict(zip(head, f))
        table[row["key"]] = row
    return table


def fields_from_binary(exe):
    """The meter field names as the program writes them: the CSV header of an offline run
    over a tenth of a second of silence."""
    with tempfile.TemporaryDirectory() as d:
        inp, outp, csvp = (os.path.join(d, n) for n in ("in.wav", "out.wav", "m.csv"))
        with wave.open(inp, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(48000)
            w.writeframes(b"\0\0" * 4800)
        try:
            subprocess.run([exe, "--offline", inp, outp, "--meters", csvp], check=True,
                           stdout=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError) as e:
            raise SystemExit("make-touchosc: cannot run %s --offline --meters: %s" % (exe, e))
        with open(csvp, encoding="utf-8") as f:
            head = f.readline().strip().split(",")
    if head[:2] != ["time_s", "strip"] or len(head) < 3:
        raise SystemExit("make-touchosc: unexpected meters CSV header %r" % head)
    return head[2:]


def table_from_binary(exe):
    try:
        out = subprocess.run([exe, "--list-params", "--format", "tsv"], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("make-touchosc: cannot run %s --list-params: %s" % (exe, e))
    return read_table(out)


def short_num(s):
    x = float(s)
    return ("%d" % x) if x == int(x) else ("%g" % x)


def range_caption(row):
    lo, hi = short_num(row["min"]), short_num(row["max"])
    cap = "%s..%s" % (lo, hi)
    if "0 = off" in row["values"]:
        cap = "off," + cap
    return cap


class Page:
    def __init__(self, name, tab_label):
        self.name = name
        self.tab_label = tab_label
        self.controls = []
        self.used = set()

    def add(self, name, x, y, w, h, color, attrs):
        if name in self.used:
            raise SystemExit("make-touchosc: duplicate control name %s" % name)
        self.used.add(name)
        if x < 0 or y < 0 or x + w > PAGE_W or y + h > PAGE_H:
            raise SystemExit("make-touchosc: %s lies outside the page" % name)
        a = [("name", b64(name)), ("x", x), ("y", y), ("w", w), ("h", h), ("color", color)]
        a += attrs
        self.controls.append(a)

    def label(self, name, x, y, w, h, text, color="gray", size=12, background=False,
              osc=None):
        attrs = []
        if osc is not None:
            attrs.append(("osc_cs", b64(osc)))
        attrs += [("type", "labelh"), ("text", b64(text)), ("size", size),
                  ("background", "true" if background else "false"), ("outline", "false")]
        self.add(name, x, y, w, h, color, attrs)

    def fader(self, name, x, y, w, h, color, osc, lo=0.0, hi=1.0, inverted=False):
        self.add(name, x, y, w, h, color,
                 [("scalef", fnum(lo)), ("scalet", fnum(hi)), ("osc_cs", b64(osc)),
                  ("type", "faderv"), ("response", "absolute"),
                  ("inverted", "true" if inverted else "false"), ("centered", "false")])

    def toggle(self, name, x, y, w, h, color, osc):
        self.add(name, x, y, w, h, color,
                 [("scalef", "0.0"), ("scalet", "1.0"), ("osc_cs", b64(osc)),
                  ("type", "toggle"), ("local_off", "false")])

    def push(self, name, x, y, w, h, color, osc, lo, hi):
        self.add(name, x, y, w, h, color,
                 [("scalef", fnum(lo)), ("scalet", fnum(hi)), ("osc_cs", b64(osc)),
                  ("type", "push"), ("local_off", "false"), ("sp", "true"), ("sr", "false")])

    def xml(self):
        out = ['<tabpage name="%s" scalef="0.0" scalet="1.0" li_t="%s" li_c="gray" li_s="14" '
               'li_o="false" li_b="false" la_t="%s" la_c="gray" la_s="14" la_o="false" '
               'la_b="false" >' % (b64(self.name), b64(self.tab_label), b64(self.tab_label))]
        for a in self.controls:
            out.append("<control %s ></control>" %
                       " ".join('%s="%s"' % (k, xml_attr(v)) for k, v in a))
        out.append("</tabpage>")
        return "\n".join(out)


def strip_page(strip, table, meters):
    p = Page("strip%d" % strip, "Strip %d" % strip)
    s = "s%d_" % strip

    # header
    p.label(s + "title", 10, 8, 420, 40, "chanstrip \u00b7 strip %d" % strip, "gray", 20)
    p.label(s + "subhint", 560, 8, 270, 40, "meters + feedback: press, renew < 1 min",
            "gray", 11)
    p.push(s + "subscribe", 840, 8, 174, 40, "green", "/subscribe/port", 0.0, float(TABLET_PORT))
    p.label(s + "subscribe_l", 840, 8, 174, 40, "SUBSCRIBE", "gray", 14)

    # fader columns, grouped by module
    col0, pitch, fw = 10, 76, 56
    y_group, y_name, y_unit, y_val, y_fader, h_fader = 56, 80, 98, 116, 140, 430
    groups = []
    for i, (key, short) in enumerate(FADERS):
        if key not in table:
            raise SystemExit("make-touchosc: %s is not in the parameter table" % key)
        row = table[key]
        if row["type"] != "float":
            raise SystemExit("make-touchosc: %s is not a float parameter" % key)
        mod = key.split(".")[0]
        if not groups or groups[-1][0] != mod:
            groups.append([mod, i, i])
        groups[-1][2] = i
        x = col0 + i * pitch
        lx, lw = x - 8, pitch - 4
        tag = key.replace(".", "_")
        color = GROUP_COLORS.get(mod, "gray")
        p.label(s + tag + "_name", lx, y_name, lw, 18, short, "gray", 13)
        p.label(s + tag + "_unit", lx, y_unit, lw, 18,
                "%s %s" % (row["unit"], range_caption(row)), "gray", 10)
        # readout: chanstrip echoes every change at the plain address in the unit above
        p.label(s + tag + "_value", lx, y_val, lw, 20, "-", color, 12, True,
                osc=osc_path(strip, key))
        p.fader(s + tag, x, y_fader, fw, h_fader, color, osc_path(strip, key, norm=True))
    for mod, a, b in groups:
        x = col0 + a * pitch - 8
        w = (b - a) * pitch + pitch - 4
        p.label(s + "group_" + mod, x, y_group, w, 20, GROUP_NAMES.get(mod, mod.upper()),
                GROUP_COLORS.get(mod, "gray"), 13, True)

    # toggles, in signal order, under the faders
    tx0, tpitch, tw, th, ty = 10, 134, 110, 56, 596
    for i, (key, cap) in enumerate(TOGGLES):
        if key not in table:
            raise SystemExit("make-touchosc: %s is not in the parameter table" % key)
        if table[key]["type"] != "bool":
            raise SystemExit("make-touchosc: %s is not a bool parameter" % key)
        tag = key.replace(".", "_")
        x = tx0 + i * tpitch
        color = GROUP_COLORS.get(key.split(".")[0], "gray")
        p.toggle(s + tag, x, ty, tw, th, color, osc_path(strip, key))
        p.label(s + tag + "_l", x - 6, ty + th + 4, tw + 12, 20, cap, "gray", 12)

    # meters on the right
    mx0, mpitch, mw = 700, 52, 36
    if len(meters) > 6:  # more than the six of the standard strip: narrower, to fit the page
        mpitch = (PAGE_W - 10 - mx0 - mw) // (len(meters) - 1)
    p.label(s + "meters", mx0 - 6, y_group, (len(meters) - 1) * mpitch + mw + 12, 20,
            "METERS", "yellow", 13, True)
    for i, (field, (l1, l2), lo, hi, down) in enumerate(meters):
        x = mx0 + i * mpitch
        lx, lw = x - 7, mpitch - 2
        p.label(s + "m_" + field + "_name", lx, y_name, lw, 18, l1, "gray", 11)
        p.label(s + "m_" + field + "_unit", lx, y_unit, lw, 18, l2, "gray", 10)
        p.label(s + "m_" + field + "_range", lx, y_val, lw, 20,
                "%s..%s" % (short_num(lo), short_num(hi)), "gray", 10)
        color = "red" if down else ("yellow" if field.startswith("in_") else "blue")
        p.fader(s + "m_" + field, x, y_fader, mw, h_fader, color,
                "/strip/%d/meter/%s" % (strip, field), lo, hi, inverted=down)

    p.label(s + "footer", 10, 690, 1004, 40,
            "faders send 0..1 to /strip/%d/<module>/<param>/norm (log taper for Hz and ms); "
            "low cut at the bottom = off" % strip, "gray", 11)
    return p


def build_xml(table, strips, fields):
    meters = meter_list(fields)
    pages = [strip_page(n, table, meters) for n in range(1, strips + 1)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<layout version="%s" mode="%s" orientation="%s">\n%s\n</layout>\n' %
            (LAYOUT_VERSION, LAYOUT_MODE, ORIENTATION, "\n".join(p.xml() for p in pages)))


def zip_bytes(xml):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("index.xml", date_time=(1980, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, xml.encode("utf-8"))
    return buf.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--chanstrip", help="the chanstrip executable (reads --list-params)")
    src.add_argument("--params-tsv", help="saved output of chanstrip --list-params --format tsv")
    ap.add_argument("--meter-fields",
                    help="with --params-tsv: the meter field names, comma-separated (the "
                    "header of a --meters CSV after time_s,strip)")
    ap.add_argument("--strips", type=int, default=2, help="pages, one per strip (default 2)")
    ap.add_argument("--tablet-port", type=int, default=TABLET_PORT,
                    help="the tablet's incoming OSC port, sent by SUBSCRIBE (default 9000)")
    ap.add_argument("-o", "--output", default="touchosc/chanstrip.touchosc",
                    help="the .touchosc file to write (default touchosc/chanstrip.touchosc)")
    ap.add_argument("--xml", action="store_true", help="print index.xml instead of writing")
    a = ap.parse_args(argv)
    if not 1 <= a.strips <= 64:
        ap.error("--strips must be 1..64")
    if not 1 <= a.tablet_port <= 65535:
        ap.error("--tablet-port must be 1..65535")
    globals()["TABLET_PORT"] = a.tablet_port
    if a.chanstrip:
        table = table_from_binary(a.chanstrip)
        fields = fields_from_binary(a.chanstrip)
    else:
        if not a.meter_fields:
            ap.error("--params-tsv needs --meter-fields")
        with open(a.params_tsv, encoding="utf-8") as f:
            table = read_table(f.read())
        fields = a.meter_fields.split(",")
    xml = build_xml(table, a.strips, fields)
    if a.xml:
        sys.stdout.write(xml)
        return 0
    with open(a.output, "wb") as f:
        f.write(zip_bytes(xml))
    return 0


if __name__ == "__main__":
    sys.exit(main())
