/* midi.c: see midi.h. */
#include "midi.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- parser ---------------------------------------------------------------------------- */

void midi_parser_init(struct midi_parser *p) { memset(p, 0, sizeof(*p)); }

/* Data bytes a channel status takes. */
static uint8_t channel_len(uint8_t status)
{
	uint8_t hi = status & 0xF0;
	return hi == 0xC0 || hi == 0xD0 ? 1 : 2;
}

int midi_parse_byte(struct midi_parser *p, uint8_t b, uint8_t msg[3])
{
	if (b >= 0xF8) /* realtime: clock, start, stop, active sensing...: may come anywhere */
		return 0;
	if (b & 0x80) {
		/* a new status ends whatever was under way (a cut message is dropped) */
		p->n = 0;
		if (b >= 0xF0) { /* SysEx, its end, or system common: no running status after */
			p->status = 0;
			p->skip = b != 0xF7;
		} else {
			p->status = b;
			p->skip = 0;
		}
		return 0;
	}
	if (p->skip || !p->status)
		return 0;
	p->data[p->n++] = b;
	if (p->n < channel_len(p->status))
		return 0;
	msg[0] = p->status;
	msg[1] = p->data[0];
	msg[2] = p->n > 1 ? p->data[1] : 0;
	p->n = 0; /* running status: the next data bytes start the same message again */
	return 1;
}

/* ---- decoder --------------------------------------------------------------------------- */

void midi_decoder_init(struct midi_decoder *d) { memset(d, 0, sizeof(*d)); }

static struct midi_ev ev(uint8_t kind, uint8_t ch, uint16_t num, uint16_t value, uint8_t lsb)
{
	return (struct midi_ev){.kind = kind, .ch = ch, .lsb = lsb, .num = num, .value = value};
}

/* The NRPN machinery: selection (99/98, 101/100) and data entry (6/38) of a selected NRPN.
 * Returns the events written, or -1 when cc is not part of it (a plain CC). */
static int decode_nrpn(struct midi_decoder *d, uint8_t ch, uint8_t cc, uint8_t v,
		       struct midi_ev *out)
{
	switch (cc) {
	case 99: d->nrpn[ch] = (uint16_t)((v << 7) | (d->nrpn[ch] & 0x7F)); d->nrpn_on[ch] = 1; return 0;
	case 98: d->nrpn[ch] = (uint16_t)((d->nrpn[ch] & 0x3F80) | v); d->nrpn_on[ch] = 1; return 0;
	case 101: case 100: d->nrpn_on[ch] = 0; return 0; /* an RPN: not ours */
	case 96: case 97: return 0; /* data increment/decrement: not supported */
	case 6:
		if (!d->nrpn_on[ch])
			return -1;
		d->data_msb[ch] = v;
		out[0] = ev(MIDI_NRPN, ch, d->nrpn[ch], (uint16_t)(v << 7), 0);
		return 1;
	case 38:
		if (!d->nrpn_on[ch])
			return -1;
		out[0] = ev(MIDI_NRPN, ch, d->nrpn[ch], (uint16_t)((d->data_msb[ch] << 7) | v), 1);
		return 1;
	default: return -1;
	}
}

static int decode_cc(struct midi_decoder *d, uint8_t ch, uint8_t cc, uint8_t v,
		     struct midi_ev *out)
{
	int n = decode_nrpn(d, ch, cc, v, out);
	if (n >= 0)
		return n;
	if (cc < 32) {
		d->msb[ch][cc] = v;
		out[0] = ev(MIDI_CC7, ch, cc, v, 0);
		out[1] = ev(MIDI_CC14, ch, cc, (uint16_t)(v << 7), 0);
		return 2;
	}
	if (cc < 64) {
		out[0] = ev(MIDI_CC14, ch, cc - 32, (uint16_t)((d->msb[ch][cc - 32] << 7) | v), 1);
		out[1] = ev(MIDI_CC7, ch, cc, v, 0);
		return 2;
	}
	out[0] = ev(MIDI_CC7, ch, cc, v, 0);
	return 1;
}

int midi_decode(struct midi_decoder *d, const uint8_t msg[3], struct midi_ev *out)
{
	uint8_t ch = msg[0] & 0x0F;
	if (msg[1] > 127 || msg[2] > 127)
		return 0;
	switch (msg[0] & 0xF0) {
	case 0xB0: return decode_cc(d, ch, msg[1], msg[2], out);
	case 0xE0: out[0] = ev(MIDI_PB, ch, 0, (uint16_t)(msg[1] | (msg[2] << 7)), 1); return 1;
	default: return 0;
	}
}

/* ---- specs ----------------------------------------------------------------------------- */

static const char *const mode_names[MIDI_MODE_COUNT] = {"absolute", "pickup", "relative",
							  "offset"};

const char *midi_mode_name(unsigned mode)
{
	return mode < MIDI_MODE_COUNT ? mode_names[mode] : "?";
}

int midi_mode_parse(const char *text, uint8_t *mode)
{
	for (unsigned i = 0; i < MIDI_MODE_COUNT; i++)
		if (!strcmp(text, mode_names[i])) {
			*mode = (uint8_t)i;
			return 0;
		}
	return -1;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!*s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno || v > max)
		return -1;
	*out = v;
	return 0;
}

int midi_ctl_parse(const char *text, uint8_t *kind, uint16_t *num)
{
	unsigned long v;
	if (!strcmp(text, "pb")) {
		*kind = MIDI_PB;
		*num = 0;
		return 0;
	}
	if (!strncmp(text, "cc14:", 5) && parse_ulong(text + 5, 31, &v) == 0)
		*kind = MIDI_CC14;
	else if (!strncmp(text, "nrpn:", 5) && parse_ulong(text + 5, 16383, &v) == 0)
		*kind = MIDI_NRPN;
	else if (parse_ulong(text, 127, &v) == 0)
		*kind = MIDI_CC7;
	else
		return -1;
	*num = (uint16_t)v;
	return 0;
}

void midi_ctl_format(uint8_t kind, uint16_t num, char *buf, size_t len)
{
	switch (kind) {
	case MIDI_CC14: snprintf(buf, len, "cc14:%u", num); break;
	case MIDI_NRPN: snprintf(buf, len, "nrpn:%u", num); break;
	case MIDI_PB: snprintf(buf, len, "pb"); break;
	default: snprintf(buf, len, "%u", num); break;
	}
}

static int parse_float(const char *s, float *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || fabs(v) > 1e9)
		return -1;
	*out = (float)v;
	return 0;
}

#define MIDI_SPEC_WORDS 6

/* Split text at blanks into at most max words (in buf). Returns the count, or max + 1. */
static int split_words(char *buf, char **w, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return max + 1;
		w[n++] = tok;
	}
	return n;
}

static int spec_fields(struct midi_spec *s, char **w, int n, char *why, size_t whylen)
{
	unsigned long ch;
	if (parse_ulong(w[1], 16, &ch) < 0 || ch < 1) {
		snprintf(why, whylen, "MIDI channel '%.20s' is not 1..16", w[1]);
		return -1;
	}
	s->ch = (uint8_t)(ch - 1);
	if (midi_ctl_parse(w[2], &s->kind, &s->num) < 0) {
		snprintf(why, whylen, "controller '%.20s' is not N (CC 0..127), cc14:N (0..31), "
				      "nrpn:N (0..16383) or pb", w[2]);
		return -1;
	}
	if (n > 3 && midi_mode_parse(w[3], &s->mode) < 0) {
		snprintf(why, whylen, "mode '%.20s' is not absolute, pickup, relative or offset",
			 w[3]);
		return -1;
	}
	if (n == 5) {
		snprintf(why, whylen, "min without max (expected PATH ch ctl [mode] [min max])");
		return -1;
	}
	if (n == 6) {
		if (parse_float(w[4], &s->min) < 0 || parse_float(w[5], &s->max) < 0) {
			snprintf(why, whylen, "min/max '%.20s %.20s' are not numbers", w[4], w[5]);
			return -1;
		}
		s->range = 1;
	}
	return 0;
}

int midi_spec_parse(const char *text, struct midi_spec *s, char *why, size_t whylen)
{
	char buf[256], *w[MIDI_SPEC_WORDS];
	memset(s, 0, sizeof(*s));
	if (snprintf(buf, sizeof(buf), "%s", text) >= (int)sizeof(buf)) {
		snprintf(why, whylen, "MIDI map too long");
		return -1;
	}
	int n = split_words(buf, w, MIDI_SPEC_WORDS);
	if (n < 3 || n > MIDI_SPEC_WORDS) {
		snprintf(why, whylen, "expected PATH ch ctl [mode] [min max]");
		return -1;
	}
	if (strncmp(w[0], "/strip/", 7) || strlen(w[0]) >= MIDI_PATH_MAX) {
		snprintf(why, whylen, "'%.40s' is not a parameter address (/strip/N/module/param)",
			 w[0]);
		return -1;
	}
	snprintf(s->path, sizeof(s->path), "%s", w[0]);
	return spec_fields(s, w, n, why, whylen);
}

void midi_spec_format(const struct midi_spec *s, char *buf, size_t len)
{
	char ctl[16];
	midi_ctl_format(s->kind, s->num, ctl, sizeof(ctl));
	if (s->range)
		snprintf(buf, len, "%s %u %s %s %.9g %.9g", s->path, s->ch + 1, ctl,
			 midi_mode_name(s->mode), (double)s->min, (double)s->max);
	else
		snprintf(buf, len, "%s %u %s %s", s->path, s->ch + 1, ctl, midi_mode_name(s->mode));
}

/* ---- arithmetic ------------------------------------------------------------------------ */

unsigned midi_kind_max(unsigned kind) { return kind == MIDI_CC7 ? 127 : 16383; }

int midi_rel_delta(unsigned kind, unsigned mode, unsigned value)
{
	int full = kind == MIDI_CC7 ? 128 : 16384;
	int v = (int)value;
	if (mode == MIDI_MODE_OFFSET)
		return v - full / 2;
	return v < full / 2 ? v : v - full; /* two's complement */
}

int midi_pickup_caught(float prev_x, float x, float cur_x, float step)
{
	if (fabsf(x - cur_x) <= step)
		return 1;
	return prev_x >= 0 && (prev_x - cur_x) * (x - cur_x) <= 0;
}

static size_t cc_bytes(uint8_t ch, unsigned cc, unsigned v, uint8_t *out)
{
	out[0] = (uint8_t)(0xB0 | ch);
	out[1] = (uint8_t)cc;
	out[2] = (uint8_t)(v & 0x7F);
	return 3;
}

size_t midi_feedback_bytes(uint8_t kind, uint8_t ch, uint16_t num, unsigned value,
			   uint8_t *out)
{
	size_t n = 0;
	ch &= 0x0F;
	switch (kind) {
	case MIDI_CC7: return cc_bytes(ch, num & 0x7F, value, out);
	case MIDI_CC14:
		n = cc_bytes(ch, num & 0x1F, value >> 7, out);
		return n + cc_bytes(ch, (num & 0x1F) + 32, value, out + n);
	case MIDI_NRPN:
		n = cc_bytes(ch, 99, num >> 7, out);
		n += cc_bytes(ch, 98, num, out + n);
		n += cc_bytes(ch, 6, value >> 7, out + n);
		return n + cc_bytes(ch, 38, value, out + n);
	default:
		out[0] = (uint8_t)(0xE0 | ch);
		out[1] = (uint8_t)(value & 0x7F);
		out[2] = (uint8_t)((value >> 7) & 0x7F);
		return 3;
	}
}
