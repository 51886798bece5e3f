#!/usr/bin/env python3
"""assemble.py TEMPLATE PARAMS OUT: put the generated parameter section into the man page."""
import sys

template, params, out = sys.argv[1:4]
text = open(template, encoding="utf-8").read()
gen = open(params, encoding="utf-8").read()
if "@PARAMETERS@" not in text:
    sys.exit(f"{template}: no @PARAMETERS@ marker")
open(out, "w", encoding="utf-8").write(text.replace("@PARAMETERS@\n", gen))
