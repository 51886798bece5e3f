/* fuzz_midi.c: the MIDI byte parser and controller decoder that run in JACK's process
 * callback, and the map spec parser (--midi-map, /midi/map, preset midi.map lines).
 * The input is one MIDI byte stream (live, the parser keeps its state across JACK events,
 * so where events are cut does not matter to it). Every
 * message that comes out must be a channel message with 7-bit data, every event in range;
 * the input's first line, as a map spec, must parse and format back to the same spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "midi.h"

static void check_events(struct midi_decoder *d, const uint8_t msg[3])
{
	struct midi_ev ev[MIDI_DECODE_MAX];
	if (msg[0] < 0x80 || msg[0] >= 0xF0 || msg[1] > 127 || msg[2] > 127)
		fuzz_die("midi: parser gave a malformed message");
	int n = midi_decode(d, msg, ev);
	if (n < 0 || n > MIDI_DECODE_MAX)
		fuzz_die("midi: decoder event count out of range");
	for (int k = 0; k < n; k++) {
		const struct midi_ev *e = &ev[k];
		if (e->kind >= MIDI_KIND_COUNT || e->ch > 15 || e->value > midi_kind_max(e->kind) ||
		    (e->kind == MIDI_CC7 && e->num > 127) || (e->kind == MIDI_CC14 && e->num > 31) ||
		    (e->kind == MIDI_NRPN && e->num > 16383))
			fuzz_die("midi: decoder event out of range");
		uint8_t fb[MIDI_FEEDBACK_MAX];
		size_t nb = midi_feedback_bytes(e->kind, e->ch, e->num, e->value, fb);
		if (nb > MIDI_FEEDBACK_MAX || nb % 3)
			fuzz_die("midi: feedback length");
	}
}

static void check_spec(const uint8_t *data, size_t size)
{
	char text[300], why[300], back[300];
	struct midi_spec s, t;
	size_t n = 0;
	while (n < size && n < sizeof(text) - 1 && data[n] != '\n' && data[n])
		n++;
	memcpy(text, data, n);
	text[n] = '\0';
	if (midi_spec_parse(text, &s, why, sizeof(why)) < 0)
		return;
	midi_spec_format(&s, back, sizeof(back));
	if (midi_spec_parse(back, &t, why, sizeof(why)) < 0 || memcmp(&s, &t, sizeof(s)))
		fuzz_die("midi: a spec does not survive format and parse");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct midi_parser p;
	struct midi_decoder d;
	midi_parser_init(&p);
	midi_decoder_init(&d);
	for (size_t i = 0; i < size; i++) {
		uint8_t msg[3];
		if (midi_parse_byte(&p, data[i], msg))
			check_events(&d, msg);
	}
	check_spec(data, size);
	return 0;
}
