/* midictl.h: the JACK MIDI transport over the control layer (control.h).
 *
 * Threads and what crosses:
 * - JACK's process thread calls midictl_process(): it parses midi_in (midi.h: no allocation,
 *   lock or I/O), pushes the decoded controller events into a jack_ringbuffer, and writes
 *   the feedback bytes queued for midi_out.
 * - The MIDI control thread (started here) drains that ring every MIDICTL_POLL_MS or
 *   sooner, turns events into values through the maps and sets them with ctl_set() under
 *   its own origin per map (so the engine checks, smooths, records and tells every other
 *   transport, and the session sees the change); it also takes the control layer's change
 *   feed and queues feedback for mapped parameters, except to the map whose own move made
 *   the change.
 * - OSC calls midictl_map/unmap/learn/list from its receive thread; the maps are under one
 *   mutex taken outside the engine lock (map lock -> engine lock, never the reverse).
 * Going through ctl_set rather than setting the strips from the audio thread keeps one
 * path for every value: checked against the table, in engine->values for gets, presets and
 * sessions, and in the change feeds of OSC and MIDI feedback. */
#ifndef CHANSTRIP_MIDICTL_H
#define CHANSTRIP_MIDICTL_H

#include <jack/jack.h>
#include <stddef.h>

#include "engine.h"
#include "midi.h"
#include "preset.h"

#define MIDICTL_MAPS_MAX 128
#define MIDICTL_POLL_MS 2
/* A learn that saw CC 0-31 waits this long for its LSB (CC +32) before taking a 7-bit CC. */
#define MIDICTL_LEARN_PAIR_MS 100

struct midictl;

/* Resolve specs (--midi-map, a preset's or session's maps) and start the control thread.
 * NULL on error with a one-line reason in err. */
struct midictl *midictl_new(struct engine *e, const struct midi_spec *specs, size_t nspecs,
			    char *err, size_t errlen);
/* Stop the thread (after the audio thread has stopped calling midictl_process). */
void midictl_free(struct midictl *m);

/* REAL-TIME: in/out are the JACK port buffers of midi_in and midi_out (either may be NULL). */
void midictl_process(struct midictl *m, void *in, void *out, jack_nframes_t n);

/* Control side; every one returns 0 or -1 with the reason in why (CTL_REASON_MAX). */
int midictl_map(struct midictl *m, const struct midi_spec *s, char *why);
int midictl_unmap(struct midictl *m, const char *path, char *why);
/* The next controller that moves maps to s->path with s's mode and range (replacing any
 * learn still waiting, midictl_learn_each's too). */
int midictl_learn(struct midictl *m, const struct midi_spec *s, char *why);
/* --midi-learn: learn s[0..n) in order, each from the next controller that moves; after the
 * first, only a controller that has no map yet. Every path is checked first: 0, or -1 with
 * "PATH: reason" in why (whylen bytes). Logs the path it waits for. */
int midictl_learn_each(struct midictl *m, const struct midi_spec *s, size_t n, char *why,
		       size_t whylen);
/* fn for every map, in the order they were made. */
void midictl_list(struct midictl *m, void (*fn)(void *ctx, const struct midi_spec *s),
		  void *ctx);
/* The preset lines ("midi.map ...") of every map, for presets and sessions. */
size_t midictl_text(struct midictl *m, char *buf, size_t len);
/* Presets: check (resolve every path) and replace the maps with lines' maps. */
void midictl_preset_ext(struct midictl *m, struct preset_ext *x);

#endif
