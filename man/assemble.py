#!/usr/bin/env python3
"""assemble.py TEMPLATE PARAMS OSC VERSION PRESETDIR OUT: fill the man page's generated parts.

@PARAMETERS@ comes from `chanstrip --list-params --format man` (the parameter table);
@OSC@ from the OSC reference fragment (if that file is empty, the section is left out)."""
import sys

template, params, osc, version, presetdir, out = sys.argv[1:7]
text = open(template, encoding="utf-8").read()
for marker in ("@PARAMETERS@", "@OSC@"):
    if marker + "\n" not in text:
        sys.exit(f"{template}: no {marker} line")
text = text.replace("@PARAMETERS@\n", open(params, encoding="utf-8").read())
text = text.replace("@OSC@\n", open(osc, encoding="utf-8").read())
text = text.replace("@VERSION@", version).replace("@PRESETDIR@", presetdir)
open(out, "w", encoding="utf-8").write(text)
