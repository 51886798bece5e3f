#!/usr/bin/python3
"""midisend.py CLIENT SECONDS: a JACK MIDI client that floods CLIENT:midi_in for SECONDS with
every kind of traffic each period (CC with running status, 14-bit pairs, NRPN, pitchbend,
SysEx, notes, clock bytes, truncated messages) and reads CLIENT:midi_out. The real-time
check (tests/rtcheck) runs it while it counts the process callback's calls."""
import sys
import time

import jack

target, seconds = sys.argv[1], float(sys.argv[2])
c = jack.Client("cs-midisend", no_start_server=True)
out = c.midi_outports.register("out")
inp = c.midi_inports.register("in")
got = [0]
n = [0]
PATTERN = [bytes([0xB0, 7, 1, 7, 2]), bytes([0xB0, 1, 64]), bytes([0xB0, 33, 5]),
           bytes([0xB0, 99, 2, 98, 44, 6, 100, 38, 5]), bytes([0xE0, 0x10, 0x40]),
           bytes([0xF0, 0x7E, 1, 2, 3, 0xF7]), bytes([0x90, 60, 100]), bytes([0xF8] * 16),
           bytes([0xB0, 7]), bytes([7, 9])]


@c.set_process_callback
def process(frames):
    out.clear_buffer()
    n[0] += 1
    for k, ev in enumerate(PATTERN):
        out.write_midi_event(min(k, frames - 1), bytes([ev[0], (ev[1] + n[0]) % 128]) + ev[2:]
                             if ev[0] == 0xB0 and len(ev) == 3 and ev[1] == 7 else ev)
    for _ in inp.incoming_midi_events():
        got[0] += 1


c.activate()
c.connect(out, target + ":midi_in")
c.connect(target + ":midi_out", inp)
time.sleep(seconds)
c.deactivate()
c.close()
print("midisend: %d periods sent, %d feedback events received" % (n[0], got[0]))
