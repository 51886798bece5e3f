#!/usr/bin/env python3
"""assemble.py TEMPLATE PARAMS OSC CHAIN METERS VERSION PRESETDIR OUT: fill the man page's
generated parts.

@PARAMETERS@ comes from `chanstrip --list-params --format man` (the parameter table);
@OSC@ from the OSC reference fragment (if that file is empty, the section is left out);
@CHAIN@ and @METERS@ from `chanstrip-stages chain-man` and `meters-man` (the stage
descriptors: the chain diagram and the meter field list)."""
import sys

template, params, osc, chain, meters, version, presetdir, out = sys.argv[1:9]
text = open(template, encoding="utf-8").read()
parts = {"@PARAMETERS@": params, "@OSC@": osc, "@CHAIN@": chain, "@METERS@": meters}
for marker, path in parts.items():
    if marker + "\n" not in text:
        sys.exit(f"{template}: no {marker} line")
    text = text.replace(marker + "\n", open(path, encoding="utf-8").read())
text = text.replace("@VERSION@", version).replace("@PRESETDIR@", presetdir)
open(out, "w", encoding="utf-8").write(text)
