/* midi.h: MIDI without JACK: the byte parser, the controller decoder (7-bit CC, 14-bit CC,
 * NRPN, pitchbend), map specs ("PATH ch ctl [mode] [min] [max]") and the controller <-> 0..1
 * arithmetic of the modes. Nothing here allocates, locks or prints: the parser and the
 * decoder run in JACK's process callback (midictl.c), and the fuzz harness drives them. */
#ifndef CHANSTRIP_MIDI_H
#define CHANSTRIP_MIDI_H

#include <stddef.h>
#include <stdint.h>

/* ---- bytes -> channel messages --------------------------------------------------------- */

/* A MIDI byte stream: running status, realtime bytes (0xF8-0xFF) anywhere without effect,
 * SysEx and the other system common messages skipped, a message cut short by a new status
 * byte dropped. Only channel voice messages come out. */
struct midi_parser {
	uint8_t status; /* running status (0: none) */
	uint8_t n;      /* data bytes held */
	uint8_t data[2];
	uint8_t skip; /* inside SysEx or another system common message: data bytes dropped */
};

void midi_parser_init(struct midi_parser *p);
/* Feed one byte. Returns 1 with a complete message in msg (status, data1, data2; data2 is 0
 * for two-byte messages), else 0. */
int midi_parse_byte(struct midi_parser *p, uint8_t b, uint8_t msg[3]);

/* ---- channel messages -> controller events --------------------------------------------- */

enum midi_kind { MIDI_CC7, MIDI_CC14, MIDI_NRPN, MIDI_PB, MIDI_KIND_COUNT };

struct midi_ev {
	uint8_t kind;   /* enum midi_kind */
	uint8_t ch;     /* 0..15 */
	uint8_t lsb;    /* CC14/NRPN: 1 when this event completes the pair (learn uses it) */
	uint8_t pad;
	uint16_t num;   /* CC7 0..127, CC14 0..31, NRPN 0..16383, PB 0 */
	uint16_t value; /* CC7 0..127, the others 0..16383 */
};

/* Per channel: the MSBs of CC 0-31, the NRPN number and data entry MSB. */
struct midi_decoder {
	uint8_t msb[16][32];
	uint16_t nrpn[16];    /* selected parameter number */
	uint8_t nrpn_on[16];  /* 99/98 selected an NRPN (100/101 select an RPN: ignored) */
	uint8_t data_msb[16]; /* CC 6 of the selected NRPN */
};

void midi_decoder_init(struct midi_decoder *d);
/* Decode one channel message into at most MIDI_DECODE_MAX events; returns how many.
 * CC 0-31 give a CC7 event and a CC14 event (value MSB << 7: an MSB resets the LSB);
 * CC 32-63 a CC14 event (lsb 1, with the held MSB) and a CC7 event. CC 99/98 select an NRPN
 * and 6/38 then give NRPN events (otherwise 6/38 are plain CCs); 96-101 never come out as
 * CCs. Pitchbend gives a PB event. Notes and the rest give nothing. */
#define MIDI_DECODE_MAX 2
int midi_decode(struct midi_decoder *d, const uint8_t msg[3], struct midi_ev *out);

/* ---- maps ------------------------------------------------------------------------------ */

enum midi_mode {
	MIDI_MODE_ABSOLUTE,
	MIDI_MODE_PICKUP,   /* soft takeover: nothing moves until the controller crosses */
	MIDI_MODE_RELATIVE, /* two's complement encoder: 1..63 up, 127..65 down */
	MIDI_MODE_OFFSET,   /* offset encoder: 64 still, 65.. up, 63.. down */
	MIDI_MODE_COUNT
};

#define MIDI_PATH_MAX 96

struct midi_spec {
	char path[MIDI_PATH_MAX]; /* an address of the control layer: /strip/N/module/param */
	uint8_t ch;               /* 0..15 */
	uint8_t kind;             /* enum midi_kind */
	uint16_t num;
	uint8_t mode;  /* enum midi_mode */
	uint8_t range; /* min and max given (else the parameter's whole range) */
	float min, max;
};

/* Controller text: "N" (7-bit CC 0..127), "cc14:N" (N 0..31 with N+32), "nrpn:N"
 * (0..16383), "pb" (pitchbend). 0 or -1. */
int midi_ctl_parse(const char *text, uint8_t *kind, uint16_t *num);
void midi_ctl_format(uint8_t kind, uint16_t num, char *buf, size_t len);
const char *midi_mode_name(unsigned mode);
int midi_mode_parse(const char *text, uint8_t *mode);

/* "PATH ch ctl [mode] [min] [max]" (the path is checked against the parameters later: only
 * its form here). 0, or -1 with a one-line reason in why. */
int midi_spec_parse(const char *text, struct midi_spec *s, char *why, size_t whylen);
/* The same text back (what presets and /midi/list hold). */
void midi_spec_format(const struct midi_spec *s, char *buf, size_t len);

/* The largest value of a controller kind: 127 or 16383. */
unsigned midi_kind_max(unsigned kind);
/* A relative controller's step in units of its resolution (two's complement or offset). */
int midi_rel_delta(unsigned kind, unsigned mode, unsigned value);

/* Pickup: 1 when the controller has caught the parameter: it is within one step of it, or
 * moved across it since its last value (prev_x < 0: none yet). All in 0..1. */
int midi_pickup_caught(float prev_x, float x, float cur_x, float step);

/* The MIDI bytes that send a controller position value (0..midi_kind_max) on ch. At most
 * 12 bytes: CC7 3, CC14 6, NRPN 12, PB 3. Returns the byte count. */
#define MIDI_FEEDBACK_MAX 12
size_t midi_feedback_bytes(uint8_t kind, uint8_t ch, uint16_t num, unsigned value,
			   uint8_t *out);

#endif
