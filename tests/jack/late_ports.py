#!/usr/bin/python3
"""A JACK client that registers ports some time after it starts (a DAW started later).

usage: late_ports.py NAME NIN NOUT DELAY_S HOLD_S
Opens client NAME, waits DELAY_S, registers NIN input ports in_1.. and NOUT output ports
out_1.., holds them HOLD_S seconds, then closes. The server is $JACK_DEFAULT_SERVER.
"""
import sys
import time

import jack

name, nin, nout, delay, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])
client = jack.Client(name, no_start_server=True)
client.activate()
time.sleep(delay)
for i in range(nin):
    client.inports.register(f"in_{i + 1}")
for i in range(nout):
    client.outports.register(f"out_{i + 1}")
print("registered", flush=True)
time.sleep(hold)
client.deactivate()
client.close()
