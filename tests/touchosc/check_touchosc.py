#!/usr/bin/env python3
"""The committed TouchOSC layout against the program it controls.

    check_touchosc.py CHANSTRIP SOURCE_ROOT

Opens touchosc/chanstrip.touchosc (a zip holding index.xml, TouchOSC Mk1 format), decodes
every control, and checks:
  - the file is what the editor writes: index.xml, layout version 17 with base64 names,
    texts and OSC addresses, iPad landscape, every control inside the 1024x768 page and no
    two touchable controls overlapping;
  - every OSC address against the parameter table (CHANSTRIP --list-params --format tsv) and
    the meter field names (the header of CHANSTRIP --offline --meters on a tiny WAV):
      faders           /strip/N/<module>/<param>/norm   on a float parameter, range 0..1
      toggles          /strip/N/<module>/<param>        on a bool parameter, range 0..1
      choices          /strip/N/<module>/<param>        pushes on an enum or steps parameter,
                                                        each sending one valid value on press
      value readouts   /strip/N/<module>/<param>        labels, any parameter
      meters           /strip/N/meter/<field>           faders, field a meter field, low < high
      subscribe        /subscribe/port                  a push sending the tablet's UDP port
      compare          /strip/N/ab/store, ab/recall     pushes sending the slot on press:
                                                        0 (A) or 1 (B), both slots each
                       /strip/N/ab/swap, /strip/N/reset pushes sending 1 on press (non-zero
                                                        acts; a release's 0 would not)
      presets          /preset/load/NAME                pushes on the Presets page, NAME a
                                                        shipped preset (presets/*.preset)
    with N the page's strip;
  - that each strip page has a control for every parameter of every stage (the table's rows
    but meter.*: a fader per float, a toggle per bool, a button per value of an enum or
    steps parameter), a meter per meter field the layout shows and one per dynamics stage,
    and that the Presets page has a button for every shipped preset;
  - that tools/make-touchosc.py, run now on the same table, produces the committed layout,
    and that its layouts for 1 and 5 strips (--strips) pass the same checks.
Python 3 standard library only. Exit 0 when all pass, 1 with one line per problem otherwise.
"""

import base64
import binascii
import csv
import os
import re
import subprocess
import sys
import tempfile
import wave
import xml.etree.ElementTree as ET
import zipfile

PAGE_W, PAGE_H = 1024, 768
FADER_TYPES = {"faderv", "faderh"}
LABEL_TYPES = {"labelh", "labelv"}
TOUCH_TYPES = FADER_TYPES | {"toggle", "push", "rotaryv", "rotaryh", "multitoggle",
                              "multifaderv", "multifaderh", "xy", "encoder", "multipush"}
B64_ATTRS = ("name", "text", "osc_cs")

# What the layout promises on every strip page (touchosc/README.md): every parameter of
# every stage (all but meter.*, a calibration), and these meters.
NOT_SESSION_MODULES = ("meter",)
REQUIRED_METERS = ["in_dbu", "in_true_peak_dbtp", "comp_gr_db", "gate_gr_db", "deess_gr_db",
                   "out_peak_dbfs"]
OSC_BAD_CHARS = re.compile(r"[\s#*,?\[\]{}]")

problems = []


def fail(msg):
    problems.append(msg)


def param_table(exe):
    r = subprocess.run([exe, "--list-params", "--format", "tsv"], stdout=subprocess.PIPE,
                       universal_newlines=True)
    if r.returncode != 0:
        raise SystemExit("touchosc: FAIL, %s --list-params --format tsv exited with status %d"
                         % (exe, r.returncode))
    out = r.stdout
    rows = list(csv.DictReader(out.splitlines(), delimiter="\t"))
    if not rows or "key" not in rows[0] or "type" not in rows[0]:
        raise SystemExit("touchosc: unexpected --list-params tsv output")
    return {r["key"]: r for r in rows}


def meter_fields(exe):
    """The meter fields as the program names them: the CSV header of an offline run."""
    with tempfile.TemporaryDirectory() as d:
        inp, outp, csvp = (os.path.join(d, n) for n in ("in.wav", "out.wav", "m.csv"))
        w = wave.open(inp, "wb")
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(b"\0\0" * 4800)
        w.close()
        r = subprocess.run([exe, "--offline", inp, outp, "--meters", csvp],
                           stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            raise SystemExit("touchosc: FAIL, cannot read the meter field names: %s --offline "
                             "--meters exited with status %d" % (exe, r.returncode))
        with open(csvp, encoding="utf-8") as f:
            head = f.readline().strip().split(",")
    if head[:2] != ["time_s", "strip"] or len(head) < 3:
        raise SystemExit("touchosc: unexpected meters CSV header %r" % head)
    return head[2:]


def b64d(value, what):
    try:
        return base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        fail("%s: %r is not base64 (layout version 17 encodes it)" % (what, value))
        return value


def num(attr, c, what):
    try:
        return float(c.get(attr))
    except (TypeError, ValueError):
        fail("%s: %s=%r is not a number" % (what, attr, c.get(attr)))
        return float("nan")


def load_layout(path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if names != ["index.xml"]:
            fail("%s: holds %r, expected just index.xml" % (path, names))
        return z.read("index.xml")


def decode(xml_bytes):
    root = ET.fromstring(xml_bytes)
    if root.tag != "layout":
        raise SystemExit("touchosc: root element is <%s>, expected <layout>" % root.tag)
    if root.get("version") != "17":
        fail("layout version %r, expected 17 (base64 attributes)" % root.get("version"))
    if root.get("mode") != "1" or root.get("orientation") != "horizontal":
        fail("layout is mode %r orientation %r, expected iPad (1) horizontal" %
             (root.get("mode"), root.get("orientation")))
    pages = []
    for tp in root:
        if tp.tag != "tabpage":
            fail("unexpected <%s> under <layout>" % tp.tag)
            continue
        pname = b64d(tp.get("name", ""), "tabpage name")
        for a in ("li_t", "la_t"):
            if tp.get(a) is not None:
                b64d(tp.get(a), "tabpage %s %s" % (pname, a))
        controls = []
        for c in tp:
            if c.tag != "control":
                fail("page %s: unexpected <%s>" % (pname, c.tag))
                continue
            d = dict(c.attrib)
            for a in B64_ATTRS:
                if a in d:
                    d[a] = b64d(d[a], "page %s control %s" % (pname, a))
            controls.append(d)
        pages.append((pname, controls))
    return pages


def check_geometry(pname, controls):
    boxes = []
    names = set()
    for c in controls:
        what = "page %s control %s" % (pname, c.get("name"))
        if c.get("name") in names:
            fail("%s: duplicate name" % what)
        names.add(c.get("name"))
        try:
            x, y, w, h = (int(c[k]) for k in ("x", "y", "w", "h"))
        except (KeyError, ValueError):
            fail("%s: x/y/w/h missing or not integers" % what)
            continue
        if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > PAGE_W or y + h > PAGE_H:
            fail("%s: %dx%d at %d,%d is not inside the %dx%d page" %
                 (what, w, h, x, y, PAGE_W, PAGE_H))
        if c.get("type") in TOUCH_TYPES:
            for (n2, x2, y2, w2, h2) in boxes:
                if x < x2 + w2 and x2 < x + w and y < y2 + h2 and y2 < y + h:
                    fail("%s overlaps %s" % (what, n2))
            boxes.append((c.get("name"), x, y, w, h))


def valid_values(row):
    """What a value button may send: an enum's indices, a steps parameter's steps."""
    vals = row["values"].split("|")
    if row["type"] == "enum":
        return [float(i) for i in range(len(vals))]
    return [float(v) for v in vals]


def check_presets_page(pname, controls, presets):
    seen = set()
    for c in controls:
        t, osc = c.get("type"), c.get("osc_cs")
        what = "page %s control %s (%s)" % (pname, c.get("name"), t)
        if osc is None and t in LABEL_TYPES:
            continue
        if t != "push" or osc is None or not osc.startswith("/preset/load/"):
            fail("%s: the Presets page holds /preset/load/NAME buttons only, not %r" %
                 (what, osc))
            continue
        name = osc[len("/preset/load/"):]
        if name not in presets:
            fail("%s: %s is not a shipped preset (%s)" % (what, name, " ".join(presets)))
        if c.get("sp") != "true" or c.get("sr") != "false" or num("scalet", c, what) != 1.0:
            fail("%s: should send 1 on press only (sp=true sr=false, range ..1)" % what)
        seen.add(name)
    for n in presets:
        if n not in seen:
            fail("page %s: no button for the preset %s" % (pname, n))


# The A/B compare buttons every strip page has: (command, value sent on press).
REQUIRED_COMPARE = [("ab/store", 0.0), ("ab/store", 1.0), ("ab/recall", 0.0),
                    ("ab/recall", 1.0), ("ab/swap", 1.0), ("reset", 1.0)]


def check_compare(what, c, t, rel):
    """A compare button: (command, value) or None after a problem."""
    if t != "push":
        fail("%s: %s should be a push button" % (what, rel))
        return None
    if c.get("sp") != "true" or c.get("sr") != "false":
        fail("%s: should send on press only (sp=true sr=false)" % what)
        return None
    v = num("scalet", c, what)  # a pressed push sends its range maximum
    slots = rel in ("ab/store", "ab/recall")
    if rel not in ("ab/store", "ab/recall", "ab/swap", "reset"):
        fail("%s: %s is not a compare command" % (what, rel))
    elif slots and v not in (0.0, 1.0):
        fail("%s: %s sends %r, expected the slot 0 (A) or 1 (B)" % (what, rel, v))
    elif not slots and v == 0.0:
        fail("%s: %s sends 0, which does nothing (a button's release)" % (what, rel))
    else:
        return (rel, v)
    return None


def check_page(pname, controls, strip, table, fields):
    prefix = "/strip/%d/" % strip
    seen_faders, seen_toggles, seen_meters, subscribe = set(), set(), set(), 0
    seen_choices, seen_compare = set(), set()
    for c in controls:
        t = c.get("type")
        what = "page %s control %s (%s)" % (pname, c.get("name"), t)
        osc = c.get("osc_cs")
        if osc is None:
            if t not in LABEL_TYPES:
                fail("%s: no custom OSC address (osc_cs); the editor would make one up" % what)
            continue
        if not osc.startswith("/") or OSC_BAD_CHARS.search(osc) or "//" in osc:
            fail("%s: %r is not a plain OSC address" % (what, osc))
            continue
        if osc == "/subscribe/port":
            if t != "push":
                fail("%s: /subscribe/port must be a push button" % what)
                continue
            subscribe += 1
            port = num("scalet", c, what)  # a pressed push sends its range maximum
            if not (1.0 <= port <= 65535.0 and port == int(port)):
                fail("%s: sends port %r, expected a UDP port 1..65535" % (what, port))
            if c.get("sp") != "true" or c.get("sr") != "false":
                fail("%s: should send on press only (sp=true sr=false)" % what)
            continue
        if not osc.startswith(prefix):
            fail("%s: %s is not on strip %d" % (what, osc, strip))
            continue
        rest = osc[len(prefix):].split("/")
        if rest[0] in ("ab", "reset"):
            cmd = check_compare(what, c, t, "/".join(rest))
            if cmd:
                seen_compare.add(cmd)
            continue
        if t in LABEL_TYPES:
            lo = hi = None  # labels only display what arrives; no value range
        else:
            lo, hi = num("scalef", c, what), num("scalet", c, what)
        if rest[0] == "meter":
            if len(rest) != 2 or rest[1] not in fields:
                fail("%s: %s is not a meter field (%s)" % (what, osc, " ".join(fields)))
                continue
            if t not in FADER_TYPES and t not in LABEL_TYPES and t != "led":
                fail("%s: a meter should be a fader, led or label" % what)
            if t in FADER_TYPES | {"led"} and not lo < hi:
                fail("%s: meter range %r..%r is empty or reversed" % (what, lo, hi))
            seen_meters.add(rest[1])
            continue
        norm = rest[-1] == "norm"
        key = ".".join(rest[:-1] if norm else rest)
        if key not in table:
            fail("%s: %s: %s is not a parameter" % (what, osc, key))
            continue
        ptype = table[key]["type"]
        if t in FADER_TYPES:
            if not norm:
                fail("%s: fader on %s; faders send 0..1 to the /norm address" % (what, osc))
            elif ptype != "float":
                fail("%s: fader on %s, a %s parameter" % (what, key, ptype))
            elif (lo, hi) != (0.0, 1.0):
                fail("%s: /norm fader range %r..%r, expected 0..1" % (what, lo, hi))
            else:
                seen_faders.add(key)
        elif t == "toggle":
            if norm or ptype != "bool":
                fail("%s: toggle on %s (%s); toggles go on bool parameters' plain address"
                     % (what, osc, ptype))
            elif (lo, hi) != (0.0, 1.0):
                fail("%s: toggle range %r..%r, expected 0..1" % (what, lo, hi))
            else:
                seen_toggles.add(key)
        elif t == "push":
            if norm or ptype not in ("enum", "steps"):
                fail("%s: push on %s (%s); value buttons go on enum or steps parameters"
                     % (what, osc, ptype))
            elif c.get("sp") != "true" or c.get("sr") != "false":
                fail("%s: should send on press only (sp=true sr=false)" % what)
            elif hi not in valid_values(table[key]):
                fail("%s: sends %r to %s, not one of its values" % (what, hi, key))
            else:
                seen_choices.add((key, hi))
        elif t in LABEL_TYPES:
            pass  # a readout of the value echoed at the address
        else:
            fail("%s: unexpected control type on %s" % (what, osc))
    for k, row in table.items():
        if k.split(".")[0] in NOT_SESSION_MODULES:
            continue
        if row["type"] == "float" and k not in seen_faders:
            fail("page %s: no fader for %s" % (pname, k))
        elif row["type"] == "bool" and k not in seen_toggles:
            fail("page %s: no toggle for %s" % (pname, k))
        elif row["type"] in ("enum", "steps"):
            for v in valid_values(row):
                if (k, v) not in seen_choices:
                    fail("page %s: no button sending %g to %s" % (pname, v, k))
    for k in REQUIRED_METERS:
        if k not in seen_meters:
            fail("page %s: no meter for %s" % (pname, k))
    for cmd in REQUIRED_COMPARE:
        if cmd not in seen_compare:
            fail("page %s: no button for %s %s" % (pname, cmd[0], cmd[1]))
    if "strip.bypass" in table and "strip.bypass" not in seen_toggles:
        fail("page %s: no bypass toggle (strip.bypass)" % pname)
    if subscribe != 1:
        fail("page %s: %d subscribe buttons, expected 1" % (pname, subscribe))


def check_layout(xml_bytes, label, table, fields, presets):
    """Every check on one layout; (strip pages, controls checked)."""
    pages = decode(xml_bytes)
    strips = [(n, c) for n, c in pages if n.startswith("strip")]
    if not strips:
        fail("%s: the layout has no strip pages" % label)
    for i, (pname, controls) in enumerate(strips):
        if pname != "strip%d" % (i + 1):
            fail("%s: page %d is %s, expected strip%d" % (label, i + 1, pname, i + 1))
        check_geometry(pname, controls)
        check_page(pname, controls, i + 1, table, fields)
    rest = pages[len(strips):]
    if [n for n, _ in rest] != ["presets"]:
        fail("%s: after the strip pages %r, expected one page 'presets'" %
             (label, [n for n, _ in rest]))
    for pname, controls in rest:
        check_geometry(pname, controls)
        check_presets_page(pname, controls, presets)
    return len(strips), sum(len(c) for _, c in pages)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: check_touchosc.py CHANSTRIP SOURCE_ROOT\n")
        return 2
    exe, root = sys.argv[1], sys.argv[2]
    layout = os.path.join(root, "touchosc", "chanstrip.touchosc")
    table = param_table(exe)
    fields = meter_fields(exe)
    # and a gain-reduction meter for every dynamics stage the program has
    REQUIRED_METERS.extend(f for f in fields if f.endswith("_gr_db") and f not in REQUIRED_METERS)
    for m in REQUIRED_METERS:
        if m not in fields:
            fail("meter field %s promised by the layout is not among the program's: %s" %
                 (m, " ".join(fields)))

    presets = sorted(f[:-len(".preset")] for f in os.listdir(os.path.join(root, "presets"))
                     if f.endswith(".preset"))
    committed = load_layout(layout)
    nstrips, n_checked = check_layout(committed, "committed", table, fields, presets)

    # the committed file is the generator's output for this table; other strip counts work
    gen = os.path.join(root, "tools", "make-touchosc.py")
    with tempfile.TemporaryDirectory() as d:
        for n in (nstrips, 1, 5):
            out = os.path.join(d, "now%d.touchosc" % n)
            r = subprocess.run([sys.executable, gen, "--chanstrip", exe, "--strips", str(n),
                                "-o", out])
            now = load_layout(out) if r.returncode == 0 else None
            if now is None:
                fail("tools/make-touchosc.py --strips %d failed on the current parameter "
                     "table (see above)" % n)
            elif n == nstrips and now != committed:
                fail("touchosc/chanstrip.touchosc is stale: run tools/make-touchosc.py "
                     "--chanstrip BUILD/src/chanstrip and commit the result")
            elif n != nstrips:
                got, _ = check_layout(now, "--strips %d" % n, table, fields, presets)
                if got != n:
                    fail("--strips %d made %d strip pages" % (n, got))
    pages = nstrips + 1

    for p in problems:
        print("touchosc: " + p)
    if problems:
        print("touchosc: FAIL, %d problem(s)" % len(problems))
        return 1
    print("touchosc: ok, %d pages, %d controls checked against %d parameters and %d meter "
          "fields; layout up to date; --strips 1 and 5 checked too" %
          (pages, n_checked, len(table), len(fields)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
