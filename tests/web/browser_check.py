#!/usr/bin/python3
"""The page at /ui in headless Chromium against a running chanstrip (test-web.sh browser):
meters move while a test signal plays, a control changes the audio, and a screenshot of the
expected layout (strip count, controls) is saved and checked."""
import os
import struct
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from webtest import BASE, FAILS, Probe, check, get_json  # noqa: E402

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
except ImportError:
    print("SKIP: python3-selenium is not installed", file=sys.stderr)
    sys.exit(77)


def start_browser(width, height):
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--hide-scrollbars"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    try:
        return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    except WebDriverException as e:
        print(f"SKIP: Chromium cannot start here: {str(e).splitlines()[0]}", file=sys.stderr)
        sys.exit(77)


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            bpp = {2: 3, 6: 4}[ctype]
            assert depth == 8
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def text(d, css):
    return d.execute_script("const e = document.querySelector(arguments[0]); "
                            "return e ? e.textContent : null;", css)


def wait(pred, timeout_s):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return None


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return None


def region_colours(d, css, rows, bpp, w, h):
    """Distinct colours inside an element's box on the screenshot (its text and borders)."""
    r = d.execute_script("const b = document.querySelector(arguments[0]).getBoundingClientRect();"
                         "return [b.left, b.top, b.right, b.bottom];", css)
    x0, y0, x1, y1 = (max(0, int(v)) for v in r)
    if x1 <= x0 or y1 <= y0 or x1 > w or y1 > h:
        return 0
    return len({rows[y][x * bpp:x * bpp + 3] for y in range(y0, y1) for x in range(x0, x1)})


def click(d, css):
    d.find_element(By.CSS_SELECTOR, css).click()


def value(path):
    return get_json(path + "?VALUE")["VALUE"][0]


def wait_value(path, want, timeout_s=3):
    return wait(lambda: abs(value(path) - want) < 1e-3, timeout_s) or False


def check_compare_clicks(d, probe, unity_db):
    """Bypass and A/B by clicks, read back over OSCQuery and heard in the audio."""
    by = "section.strip[data-strip='1'] h2 button.bypass"
    click(d, by)
    on = wait_value("/strip/1/strip/bypass", 1)
    lit = "on" in d.find_element(By.CSS_SELECTOR, by).get_attribute("class")
    click(d, by)
    off = wait_value("/strip/1/strip/bypass", 0)
    check(on and lit and off, f"the bypass button switches strip.bypass (on {on}, lit {lit}, off {off})")
    g = "/strip/1/out/gain"
    btn = "section.strip[data-strip='1'] fieldset.compare button[data-path='/strip/1/ab/{}'][data-arg='{}']"
    d.execute_script("""
        const r = document.querySelector("[data-path='/strip/1/out/gain'] input");
        r.value = Math.round((-12 + 60) / 84 * 1000);
        r.dispatchEvent(new Event('input'));""")
    wait(lambda: value(g) < -11, 3)
    a_gain = value(g)
    click(d, btn.format("store", "A"))
    d.execute_script("""document.querySelector("[data-path='/strip/1/out/gain']")
        .dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));""")
    wait_value(g, 0)
    click(d, btn.format("store", "B"))
    time.sleep(0.2)
    click(d, btn.format("recall", "A"))
    got_a = wait_value(g, a_gain)
    shown = wait(lambda: (t := text(d, "[data-path='/strip/1/out/gain'] .val")) and t.startswith("-12") and t, 3)
    level_a = probe.db(0.5)
    check(got_a and shown and abs(level_a - unity_db + 12) < 1.0,
          f"recall A: out.gain {value(g):.2f} (stored {a_gain:.2f}), the page shows {shown}, "
          f"the audio {level_a - unity_db:+.1f} dB")
    click(d, btn.format("swap", ""))
    got_b = wait_value(g, 0)
    level_b = probe.db(0.5)
    check(got_b and abs(level_b - unity_db) < 1.0,
          f"swap goes to B: out.gain {value(g):.2f}, the audio {level_b - unity_db:+.1f} dB")
    click(d, btn.format("swap", ""))
    back_a = wait_value(g, a_gain)
    d.execute_script("""const r = document.querySelector("[data-path='/strip/1/comp/enable'] input");
        r.checked = true; r.dispatchEvent(new Event('change'));""")
    wait_value("/strip/1/comp/enable", 1)
    click(d, "section.strip[data-strip='1'] fieldset.compare button[data-path='/strip/1/reset']")
    reset = wait_value(g, 0) and wait_value("/strip/1/comp/enable", 0)
    check(back_a and reset, f"swap back to A ({back_a}), reset to the defaults ({reset})")


def shots(outdir):
    """The README's screenshots: a tablet and a phone, with a signal on strips 1 and 3."""
    probe = Probe("webshot")
    probe.client.connect(probe.out, "chanstrip:in_3")
    try:
        for name, (w, h) in (("web-ui.png", (1280, 800)), ("web-ui-phone.png", (390, 844))):
            d = start_browser(w, h)
            try:
                d.get(BASE + "/ui/")
                wait(lambda: text(d, "#status") == "connected", 10)
                d.execute_script("""
                    const set = (p, v) => { const r = document.querySelector(`[data-path='${p}'] input`);
                      if (r.type === 'checkbox') { r.checked = v; r.dispatchEvent(new Event('change')); }
                      else { r.value = v; r.dispatchEvent(new Event('input')); } };
                    set('/strip/1/comp/enable', true); set('/strip/1/comp/threshold', 300);
                    set('/strip/3/gate/enable', true);""")
                time.sleep(1.5)
                d.save_screenshot(os.path.join(outdir, name))
            finally:
                d.quit()
    finally:
        probe.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--shots":
        shots(sys.argv[2])
        return
    modules = get_json("/")["CONTENTS"]["strip"]["CONTENTS"]["1"]["CONTENTS"]
    nparams = sum(len([p for p in m.get("CONTENTS", {}).values() if p.get("ACCESS") == 3])
                  for m in modules.values())
    # the A/B commands first, then the modules that have writable parameters, in the
    # namespace's (the table's) order
    want_stages = ["compare"] + [k for k, m in modules.items()
                                 if any(p.get("ACCESS") == 3 for p in m.get("CONTENTS", {}).values())]
    # one button per slot of a string command, one for a command without arguments
    cmds = list(modules["ab"]["CONTENTS"].values()) + [m for m in modules.values()
                                                       if m.get("ACCESS") == 2]
    n_buttons = sum(len(c["RANGE"][0]["VALS"]) if c["TYPE"] == "s" else 1 for c in cmds)
    probe = Probe("webbrowser")
    d = start_browser(1280, 900)
    try:
        t0 = time.monotonic()
        d.get(BASE + "/ui/")
        ok = wait(lambda: text(d, "#status") == "connected", 10)
        check(ok, f"the page connects ({time.monotonic() - t0:.1f} s)")
        strips = d.find_elements(By.CSS_SELECTOR, "section.strip")
        check(len(strips) == 2, f"one column per strip ({len(strips)})")
        ctl1 = d.find_elements(By.CSS_SELECTOR, "section.strip[data-strip='1'] .ctl")
        check(len(ctl1) == nparams, f"every parameter is a control ({len(ctl1)} of {nparams})")
        stages = [e.get_attribute("data-stage") for e in
                  d.find_elements(By.CSS_SELECTOR, "section.strip[data-strip='1'] fieldset")]
        check(stages == want_stages, f"grouped by stage {stages} (namespace: {want_stages})")
        has_ag = any("autogain" in k for k in
                     get_json("/strip/1")["CONTENTS"].keys())
        n_ag = len(d.find_elements(By.CSS_SELECTOR, "button.autogain"))
        check(n_ag == (2 if has_ag else 0), f"auto-gain button only with an autogain stage ({n_ag})")
        ab = d.find_elements(By.CSS_SELECTOR, "section.strip[data-strip='2'] fieldset.compare button")
        labels = [b.text for b in ab]
        check(len(ab) == n_buttons == 6 and "recall A" in labels and "swap" in labels
              and "reset" in labels, f"A/B buttons from the namespace {labels}")
        n_by = len(d.find_elements(By.CSS_SELECTOR, "section.strip h2 button.bypass"))
        check(n_by == 2, f"a bypass button in each strip's title ({n_by})")
        pk = "section.strip[data-strip='1'] b[data-field='in_peak_dbfs']"
        level = wait(lambda: (v := num(text(d, pk))) is not None and v > -25 and v, 5)
        check(level and abs(level + 20) < 1.5, f"the input meter moves with the signal ({level} dBFS, expect -20)")
        dbu = num(text(d, "section.strip[data-strip='1'] b[data-field='in_dbu']"))
        check(dbu is not None and abs(dbu - (-20 + 18)) < 1.5, f"input in dBu: -20 dBFS at meter.cal 18 ({dbu})")
        f0 = d.execute_script("return window.chanstrip.frames")
        time.sleep(1.0)
        fps = d.execute_script("return window.chanstrip.frames") - f0
        check(fps >= 30, f"meters drawn at {fps} frames/s (30-60 wanted)")
        quiet = text(d, "section.strip[data-strip='2'] b[data-field='in_peak_dbfs']")
        check(quiet == "-inf", f"the silent strip reads -inf ({quiet})")
        before = probe.db(0.2)
        d.execute_script("""
            const r = document.querySelector("[data-path='/strip/1/out/gain'] input");
            r.value = Math.round((-12 + 60) / 84 * 1000);
            r.dispatchEvent(new Event('input'));""")
        after = probe.db(0.5)
        check(abs(after - before + 12) < 1.0,
              f"moving out/gain changes the audio: {before:.1f} -> {after:.1f} dB (expect -12)")
        out = wait(lambda: (v := num(text(d, "section.strip[data-strip='1'] b[data-field='out_peak_dbfs']")))
                   is not None and v < -30 and v, 3)
        check(out is not None, f"the output meter follows ({out})")
        time.sleep(0.3)
        shot = os.path.join(os.environ.get("SCREENSHOT_DIR", "."), "web-ui.png")
        d.save_screenshot(shot)
        w, h, bpp, rows = png_pixels(shot)
        colours = {r[i:i + 3] for r in rows[::7] for i in range(0, len(r), 11 * bpp)}
        check(w >= 1000 and h >= 700, f"screenshot size {w}x{h}")
        check(len(colours) > 50, f"screenshot is not blank ({len(colours)} colours sampled)")
        for css in ("section.strip[data-strip='1'] fieldset.compare",
                    "section.strip[data-strip='2'] h2 button.bypass"):
            n = region_colours(d, css, rows, bpp, w, h)
            check(n >= 3, f"the screenshot shows {css} ({n} colours in its box)")
        d.execute_script("""
            const r = document.querySelector("[data-path='/strip/1/out/gain']");
            r.dispatchEvent(new MouseEvent('dblclick', {bubbles: true}));""")
        back = probe.db(0.5)
        check(abs(back - before) < 1.0, f"double-click resets to the default ({back:.1f} dB)")
        check_compare_clicks(d, probe, before)
        errors = [e["message"] for e in d.get_log("browser") if e["level"] == "SEVERE"]
        check(not errors, f"no errors in the page's console {errors}")
        check(time.monotonic() - t0 < 30, f"browser test time {time.monotonic() - t0:.1f} s")
    finally:
        d.quit()
        probe.close()
    if FAILS:
        sys.exit(1)


main()
