#!/usr/bin/env python3
"""Generate the TouchOSC (Mk1 ".touchosc") layout for chanstrip from its parameter table.

    tools/make-touchosc.py --chanstrip build/src/chanstrip [--strips 2] \
        [-o touchosc/chanstrip.touchosc]
    tools/make-touchosc.py --params-tsv params.tsv --meter-fields in_rms_dbfs,... ...
        (the output of `chanstrip --list-params --format tsv` and the meter field names, for
        building without a binary)

One page per strip (--strips N) with a control for every parameter of every stage (a fader
per float, a toggle per bool, a button per value of an enum or steps parameter; strip.bypass
among them), the meters (one per dynamics stage's gain reduction), A/B compare buttons
(store A/B, recall A/B, swap, reset) and a SUBSCRIBE button; then a Presets page with a
button per preset in --presets-dir. The layout's addresses, units and ranges come from the
table, so the committed layout cannot drift from the program and a new stage appears by
itself: tests/touchosc/ regenerates it and compares. After changing this script, the
parameter table or the presets, run it again and commit touchosc/chanstrip.touchosc.

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

# Every parameter of every stage gets a control, in the table's order: floats a fader, bools
# a toggle, enums and steps one button per value. A new stage or parameter appears with no
# edit here. Only the names below are hand-picked; anything else is derived from its key.
SKIP_MODULES = {"meter"}  # meter.cal: a calibration, set once, not a session control
SHORT_NAMES = {"pre.hpf": "low cut", "threshold": "thresh", "hysteresis": "hyst",
               "sc_hpf": "sc hpf"}
TOGGLE_CAPTIONS = {"pre.phase": "PHASE \u00d8", "deess.enable": "DE-ESS ON",
                   "strip.bypass": "BYPASS",
                   "deess.listen": "DS LISTEN", "comp.auto_makeup": "AUTO MKUP"}
GROUP_NAMES = {"pre": "PREAMP", "gate": "GATE", "comp": "COMPRESSOR", "deess": "DE-ESSER",
               "out": "OUT"}
GROUP_COLORS = {"pre": "orange", "gate": "green", "comp": "red", "deess": "purple",
                "out": "blue"}
SPARE_COLORS = ["yellow", "pink", "brown", "orange", "green", "red", "purple", "blue"]


def module_of(key):
    return key.split(".")[0]


def group_color(mod, mods):
    """Its colour, or one of the spare ones by its place among the stages."""
    if mod in GROUP_COLORS:
        return GROUP_COLORS[mod]
    return SPARE_COLORS[mods.index(mod) % len(SPARE_COLORS)] if mod in mods else "gray"


def short_name(key):
    param = key.split(".", 1)[1]
    return SHORT_NAMES.get(key, SHORT_NAMES.get(param, param.replace("_", " ")))


def toggle_caption(key):
    if key in TOGGLE_CAPTIONS:
        return TOGGLE_CAPTIONS[key]
    mod, param = key.split(".", 1)
    if param == "enable":
        return "%s ON" % mod.upper()
    return "%s %s" % (mod.upper(), param.upper().replace("_", " "))


def stage_rows(table):
    """The table's rows that belong to stages, in order."""
    return [r for k, r in table.items() if module_of(k) not in SKIP_MODULES]


def choices(row):
    """(caption, value sent) per value of an enum (its index) or steps parameter."""
    vals = row["values"].split("|")
    if row["type"] == "enum":
        return [(v, float(i)) for i, v in enumerate(vals)]
    return [(short_num(v), float(v)) for v in vals]


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


# Geometry (pixels): the meters take the right of the page, the buttons (toggles and
# choices) its bottom in as many rows as they need, the faders the rest in rows of at most
# FADERS_PER_ROW_MAX.
MX0 = 700
FADERS_PER_ROW_MAX = (MX0 - 20) // 40
FADER_MIN_H = 60
LABELS_H = 70  # group, name, unit and range, value readout above each fader
BTN_W, BTN_H, BTN_PITCH, BTN_ROW_H = 72, 36, 78, 56


def button_items(rows):
    """Toggles and choice groups in the table's order: (key, kind, caption, values)."""
    items = []
    for r in rows:
        if r["type"] == "bool":
            items.append((r["key"], "toggle", toggle_caption(r["key"]), None))
        elif r["type"] in ("enum", "steps"):
            items.append((r["key"], "choice", short_name(r["key"]), choices(r)))
    return items


def flow_buttons(items):
    """Rows of (item, first slot), an item never split between rows."""
    per_row = (PAGE_W - 20) // BTN_PITCH
    rows, cur, used = [], [], 0
    for it in items:
        # a choice of more values than fit a row takes a row of narrower buttons
        n = 1 if it[1] == "toggle" else min(len(it[3]), per_row)
        if used + n > per_row:
            rows.append(cur)
            cur, used = [], 0
        cur.append((it, used))
        used += n
    if cur:
        rows.append(cur)
    return rows


def add_buttons(p, s, strip, brows, y0, mods):
    for r, row in enumerate(brows):
        y = y0 + r * BTN_ROW_H
        for (key, kind, cap, vals), slot in row:
            x = 10 + slot * BTN_PITCH
            tag = key.replace(".", "_")
            color = group_color(module_of(key), mods)
            if kind == "toggle":
                p.toggle(s + tag, x, y + 14, BTN_W, BTN_H, color, osc_path(strip, key))
                p.label(s + tag + "_l", x, y + 14, BTN_W, BTN_H, cap, "gray", 11)
                continue
            pitch = min(BTN_PITCH, (PAGE_W - 20) // len(vals))
            p.label(s + tag + "_name", x, y, len(vals) * pitch - 6, 14,
                    "%s %s" % (module_of(key), cap), "gray", 10)
            for i, (vcap, v) in enumerate(vals):
                bx = x + i * pitch
                name = "%s%s_%d" % (s, tag, i)
                p.push(name, bx, y + 14, pitch - 6, BTN_H, color, osc_path(strip, key), v, v)
                p.label(name + "_l", bx, y + 14, pitch - 6, BTN_H, vcap, "gray", 11)


def fader_rows(frows):
    """The faders in rows of at most FADERS_PER_ROW_MAX, a stage's run kept in one row
    where it fits."""
    runs = []
    for r in frows:
        if runs and module_of(runs[-1][-1]["key"]) == module_of(r["key"]):
            runs[-1].append(r)
        else:
            runs.append([r])
    rows = [[]]
    for run in runs:
        while run:
            if rows[-1] and len(rows[-1]) + len(run) > FADERS_PER_ROW_MAX:
                rows.append([])
            room = FADERS_PER_ROW_MAX - len(rows[-1])
            rows[-1].extend(run[:room])
            run = run[room:]
    return rows


def add_faders(p, s, strip, frows, y_top, y_bottom, mods):
    rows = fader_rows(frows)
    row_h = (y_bottom - y_top) // len(rows)
    fader_h = row_h - LABELS_H - 6
    if fader_h < FADER_MIN_H:
        raise SystemExit("make-touchosc: %d faders do not fit a page" % len(frows))
    pitch = min(76, (MX0 - 20) // max(len(r) for r in rows))
    fw, small = max(26, pitch - 20), pitch < 60
    for rr, row in enumerate(rows):
        y = y_top + rr * row_h
        for i, r in enumerate(row):
            key, x = r["key"], 10 + i * pitch
            tag, mod = key.replace(".", "_"), module_of(key)
            color = group_color(mod, mods)
            if i == 0 or module_of(row[i - 1]["key"]) != mod:
                # the stage's caption over its run of faders in this row
                n = 1
                while i + n < len(row) and module_of(row[i + n]["key"]) == mod:
                    n += 1
                p.label(s + "group_%s_%d" % (mod, rr), x, y, n * pitch - 4, 18,
                        GROUP_NAMES.get(mod, mod.upper()), color, 12, True)
            p.label(s + tag + "_name", x, y + 20, pitch - 4, 16, short_name(key), "gray",
                    10 if small else 12)
            p.label(s + tag + "_unit", x, y + 36, pitch - 4, 14,
                    "%s %s" % (r["unit"], range_caption(r)), "gray", 8 if small else 10)
            # readout: chanstrip echoes every change at the plain address in the unit above
            p.label(s + tag + "_value", x, y + 50, pitch - 4, 18, "-", color,
                    10 if small else 12, True, osc=osc_path(strip, key))
            p.fader(s + tag, x + (pitch - 4 - fw) // 2, y + LABELS_H, fw, fader_h, color,
                    osc_path(strip, key, norm=True))


def add_meters(p, s, strip, meters, y_top, y_bottom):
    mpitch, mw = 52, 36
    if len(meters) > 6:  # more than the six of the standard strip: narrower, to fit the page
        mpitch = (PAGE_W - 10 - MX0 - mw) // (len(meters) - 1)
    p.label(s + "meters", MX0 - 6, y_top, (len(meters) - 1) * mpitch + mw + 12, 18,
            "METERS", "yellow", 12, True)
    for i, (field, (l1, l2), lo, hi, down) in enumerate(meters):
        x = MX0 + i * mpitch
        lx, lw = x - 7, mpitch - 2
        p.label(s + "m_" + field + "_name", lx, y_top + 20, lw, 16, l1, "gray", 11)
        p.label(s + "m_" + field + "_unit", lx, y_top + 36, lw, 14, l2, "gray", 10)
        p.label(s + "m_" + field + "_range", lx, y_top + 50, lw, 18,
                "%s..%s" % (short_num(lo), short_num(hi)), "gray", 10)
        color = "red" if down else ("yellow" if field.startswith("in_") else "blue")
        p.fader(s + "m_" + field, x, y_top + LABELS_H, mw, y_bottom - y_top - LABELS_H - 6,
                color, "/strip/%d/meter/%s" % (strip, field), lo, hi, inverted=down)


# A/B compare and reset (/strip/N/ab/store A|B, ab/recall A|B, ab/swap, /strip/N/reset): a
# Mk1 push sends a number, so the slot is 0 (A) or 1 (B), which chanstrip takes as the
# slot; swap and reset act on a non-zero value and ignore 0. (caption, address, value sent)
COMPARE_BUTTONS = [("STORE A", "ab/store", 0.0), ("STORE B", "ab/store", 1.0),
                   ("RECALL A", "ab/recall", 0.0), ("RECALL B", "ab/recall", 1.0),
                   ("SWAP A/B", "ab/swap", 1.0), ("RESET", "reset", 1.0)]
COMPARE_PITCH = 80


def add_compare(p, s, strip, x0):
    for i, (cap, rel, v) in enumerate(COMPARE_BUTTONS):
        x, tag = x0 + i * COMPARE_PITCH, "%scmp_%d" % (s, i)
        color = "red" if rel == "reset" else "yellow"
        p.push(tag, x, 8, COMPARE_PITCH - 6, 40, color, "/strip/%d/%s" % (strip, rel), v, v)
        p.label(tag + "_l", x, 8, COMPARE_PITCH - 6, 40, cap, "gray", 11)


def strip_page(strip, table, meters):
    p = Page("strip%d" % strip, "Strip %d" % strip)
    s = "s%d_" % strip
    rows = stage_rows(table)
    mods = []
    for r in rows:
        if module_of(r["key"]) not in mods:
            mods.append(module_of(r["key"]))

    p.label(s + "title", 10, 8, 190, 40, "chanstrip \u00b7 strip %d" % strip, "gray", 16)
    add_compare(p, s, strip, 205)
    p.label(s + "subhint", 688, 8, 148, 40, "feedback: press, renew < 1 min", "gray", 9)
    p.push(s + "subscribe", 840, 8, 174, 40, "green", "/subscribe/port", 0.0, float(TABLET_PORT))
    p.label(s + "subscribe_l", 840, 8, 174, 40, "SUBSCRIBE", "gray", 14)

    brows = flow_buttons(button_items(rows))
    y_buttons = PAGE_H - 8 - len(brows) * BTN_ROW_H
    add_faders(p, s, strip, [r for r in rows if r["type"] == "float"], 56, y_buttons - 4, mods)
    add_meters(p, s, strip, meters, 56, y_buttons - 4)
    add_buttons(p, s, strip, brows, y_buttons, mods)
    return p


def presets_page(presets):
    """One button per preset: /preset/load/NAME (the name in the address: a Mk1 push can
    only send a number). Loading applies to every strip; subscribers hear every value it
    changes, so the strip pages follow."""
    p = Page("presets", "Presets")
    p.label("p_title", 10, 8, 600, 40, "chanstrip \u00b7 presets (every strip)", "gray", 20)
    p.label("p_hint", 620, 8, 394, 40, "the strip pages' controls follow (SUBSCRIBE)",
            "gray", 12)
    cols, w, x_pitch = 4, 240, 251
    avail = PAGE_H - 8 - 64
    nrows = max(1, (len(presets) + cols - 1) // cols)
    y_pitch = min(84, avail // nrows)
    if y_pitch < 30:
        raise SystemExit("make-touchosc: %d presets do not fit a page" % len(presets))
    for i, name in enumerate(presets):
        x, y = 10 + (i % cols) * x_pitch, 64 + (i // cols) * y_pitch
        tag = "p_" + "".join(c if c.isalnum() else "_" for c in name) + "_%d" % i
        p.push(tag, x, y, w, y_pitch - 12, "orange", "/preset/load/" + name, 0.0, 1.0)
        p.label(tag + "_l", x, y, w, y_pitch - 12, name, "gray", 14)
    return p


def build_xml(table, strips, fields, presets):
    meters = meter_list(fields)
    pages = [strip_page(n, table, meters) for n in range(1, strips + 1)]
    pages.append(presets_page(presets))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<layout version="%s" mode="%s" orientation="%s">\n%s\n</layout>\n' %
            (LAYOUT_VERSION, LAYOUT_MODE, ORIENTATION, "\n".join(p.xml() for p in pages)))


def preset_names(folder):
    """The shipped presets: NAME of every NAME.preset in the folder, sorted."""
    try:
        names = sorted(f[:-len(".preset")] for f in os.listdir(folder) if f.endswith(".preset"))
    except OSError as e:
        raise SystemExit("make-touchosc: cannot list presets in %s: %s" % (folder, e))
    return names


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
    ap.add_argument("--strips", type=int, default=2,
                    help="strip pages, one per strip, 1..256 (default 2)")
    ap.add_argument("--presets-dir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", "presets"),
                    help="the presets the Presets page loads, by name (default: the "
                    "repository's presets/)")
    ap.add_argument("--tablet-port", type=int, default=TABLET_PORT,
                    help="the tablet's incoming OSC port, sent by SUBSCRIBE (default 9000)")
    ap.add_argument("-o", "--output", default="touchosc/chanstrip.touchosc",
                    help="the .touchosc file to write (default touchosc/chanstrip.touchosc)")
    ap.add_argument("--xml", action="store_true", help="print index.xml instead of writing")
    a = ap.parse_args(argv)
    if not 1 <= a.strips <= 256:
        ap.error("--strips must be 1..256 (chanstrip's most strips)")
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
    xml = build_xml(table, a.strips, fields, preset_names(a.presets_dir))
    if a.xml:
        sys.stdout.write(xml)
        return 0
    with open(a.output, "wb") as f:
        f.write(zip_bytes(xml))
    return 0


if __name__ == "__main__":
    sys.exit(main())
