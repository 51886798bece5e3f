/* test_midi.c: the MIDI byte parser, the controller decoder, map specs and the mode
 * arithmetic (src/midi.c), against the MIDI 1.0 specification's rules written out here:
 * running status, realtime bytes anywhere, SysEx and system common ending running status,
 * 14-bit controllers (MSB 0-31, LSB 32-63), NRPN (99/98 select, 6/38 data entry). */
#include <check.h>
#include <string.h>

#include "midi.h"

/* Parse bytes; the messages found go to out (3 bytes each). Returns how many. */
static int parse_all(struct midi_parser *p, const uint8_t *b, size_t n, uint8_t out[][3])
{
	int k = 0;
	for (size_t i = 0; i < n; i++)
		if (midi_parse_byte(p, b[i], out[k]))
			k++;
	return k;
}

START_TEST(parser_running_status_and_realtime)
{
	struct midi_parser p;
	uint8_t out[8][3];
	/* CC 7 = 1, then running status 7 = 2 with a clock and active sensing in between */
	const uint8_t b[] = {0xB2, 7, 1, 0xF8, 7, 0xFE, 2, 0xC3, 5, 6};
	midi_parser_init(&p);
	ck_assert_int_eq(parse_all(&p, b, sizeof(b), out), 4);
	ck_assert(!memcmp(out[0], (uint8_t[]){0xB2, 7, 1}, 3));
	ck_assert(!memcmp(out[1], (uint8_t[]){0xB2, 7, 2}, 3));
	ck_assert(!memcmp(out[2], (uint8_t[]){0xC3, 5, 0}, 3)); /* program change: one byte */
	ck_assert(!memcmp(out[3], (uint8_t[]){0xC3, 6, 0}, 3));
}
END_TEST

START_TEST(parser_sysex_truncation_system_common)
{
	struct midi_parser p;
	uint8_t out[8][3];
	/* a CC cut short by a new status is dropped; SysEx data is not CC data; after SysEx,
	 * and after system common (song position), data bytes have no running status */
	const uint8_t b[] = {0xB0, 7, 0x90, 60, 100, 0xF0, 0x7E, 7, 9, 0xF7, 7, 9,
			     0xB0, 7, 3, 0xF2, 1, 2, 7, 9};
	midi_parser_init(&p);
	ck_assert_int_eq(parse_all(&p, b, sizeof(b), out), 2);
	ck_assert(!memcmp(out[0], (uint8_t[]){0x90, 60, 100}, 3));
	ck_assert(!memcmp(out[1], (uint8_t[]){0xB0, 7, 3}, 3));
	/* a status inside SysEx ends it */
	const uint8_t c[] = {0xF0, 1, 2, 0xB1, 8, 9};
	midi_parser_init(&p);
	ck_assert_int_eq(parse_all(&p, c, sizeof(c), out), 1);
	ck_assert(!memcmp(out[0], (uint8_t[]){0xB1, 8, 9}, 3));
}
END_TEST

START_TEST(decoder_14bit)
{
	struct midi_decoder d;
	struct midi_ev ev[MIDI_DECODE_MAX];
	midi_decoder_init(&d);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB1, 1, 64}, ev), 2);
	ck_assert_int_eq(ev[0].kind, MIDI_CC7);
	ck_assert_int_eq(ev[0].value, 64);
	ck_assert_int_eq(ev[1].kind, MIDI_CC14);
	ck_assert_int_eq(ev[1].value, 64 << 7); /* MSB alone: LSB 0 */
	ck_assert_int_eq(ev[1].ch, 1);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB1, 33, 5}, ev), 2);
	ck_assert_int_eq(ev[0].kind, MIDI_CC14);
	ck_assert_int_eq(ev[0].num, 1);
	ck_assert_int_eq(ev[0].value, (64 << 7) | 5);
	ck_assert_int_eq(ev[0].lsb, 1);
	ck_assert_int_eq(ev[1].kind, MIDI_CC7);
	ck_assert_int_eq(ev[1].num, 33);
	/* a new MSB resets the LSB */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB1, 1, 3}, ev), 2);
	ck_assert_int_eq(ev[1].value, 3 << 7);
	/* other channels keep their own MSB */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB2, 33, 5}, ev), 2);
	ck_assert_int_eq(ev[0].value, 5);
	/* pitchbend: LSB first */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xE0, 0x7F, 0x40}, ev), 1);
	ck_assert_int_eq(ev[0].kind, MIDI_PB);
	ck_assert_int_eq(ev[0].value, 0x207F);
	/* notes: nothing */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0x90, 60, 1}, ev), 0);
}
END_TEST

START_TEST(decoder_nrpn)
{
	struct midi_decoder d;
	struct midi_ev ev[MIDI_DECODE_MAX];
	midi_decoder_init(&d);
	/* 6 without a selected NRPN is a plain CC (and a 14-bit MSB) */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 6, 1}, ev), 2);
	ck_assert_int_eq(ev[0].kind, MIDI_CC7);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 99, 2}, ev), 0);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 98, 44}, ev), 0);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 6, 100}, ev), 1);
	ck_assert_int_eq(ev[0].kind, MIDI_NRPN);
	ck_assert_int_eq(ev[0].num, 2 * 128 + 44);
	ck_assert_int_eq(ev[0].value, 100 << 7);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 38, 5}, ev), 1);
	ck_assert_int_eq(ev[0].value, (100 << 7) | 5);
	ck_assert_int_eq(ev[0].lsb, 1);
	/* an RPN selection takes data entry away from the NRPN */
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 101, 0}, ev), 0);
	ck_assert_int_eq(midi_decode(&d, (uint8_t[]){0xB0, 38, 5}, ev), 2);
	ck_assert_int_eq(ev[1].kind, MIDI_CC7);
}
END_TEST

START_TEST(specs)
{
	struct midi_spec s;
	char why[256], buf[256];
	ck_assert_int_eq(midi_spec_parse("/strip/1/comp/ratio 16 cc14:31 pickup 2 8", &s, why,
					 sizeof(why)), 0);
	ck_assert_int_eq(s.ch, 15);
	ck_assert_int_eq(s.kind, MIDI_CC14);
	ck_assert_int_eq(s.num, 31);
	ck_assert_int_eq(s.mode, MIDI_MODE_PICKUP);
	ck_assert(s.range && s.min == 2 && s.max == 8);
	midi_spec_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/strip/1/comp/ratio 16 cc14:31 pickup 2 8");
	ck_assert_int_eq(midi_spec_parse("/strip/*/out/gain 1 nrpn:16383", &s, why, sizeof(why)), 0);
	midi_spec_format(&s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "/strip/*/out/gain 1 nrpn:16383 absolute");
	const char *bad[] = {"", "/strip/1/x", "/strip/1/x 0 7", "/strip/1/x 17 7",
			     "/strip/1/x 1 128", "/strip/1/x 1 cc14:32", "/strip/1/x 1 nrpn:16384",
			     "/strip/1/x 1 -1", "/strip/1/x 1 7 up", "/strip/1/x 1 7 pickup 1",
			     "/strip/1/x 1 7 pickup 1 nan", "x 1 7", "/strip/1/x 1 7 pickup 1 2 3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(midi_spec_parse(bad[i], &s, why, sizeof(why)) < 0, "%s", bad[i]);
}
END_TEST

START_TEST(modes)
{
	/* two's complement: 1 up, 127 down one, 64 down 64; offset: 64 still */
	ck_assert_int_eq(midi_rel_delta(MIDI_CC7, MIDI_MODE_RELATIVE, 1), 1);
	ck_assert_int_eq(midi_rel_delta(MIDI_CC7, MIDI_MODE_RELATIVE, 127), -1);
	ck_assert_int_eq(midi_rel_delta(MIDI_CC7, MIDI_MODE_RELATIVE, 64), -64);
	ck_assert_int_eq(midi_rel_delta(MIDI_CC7, MIDI_MODE_OFFSET, 64), 0);
	ck_assert_int_eq(midi_rel_delta(MIDI_CC7, MIDI_MODE_OFFSET, 61), -3);
	ck_assert_int_eq(midi_rel_delta(MIDI_CC14, MIDI_MODE_RELATIVE, 16383), -1);
	/* pickup: caught within one step, or on crossing; not while staying on one side */
	ck_assert(!midi_pickup_caught(-1, 0.1f, 0.5f, 1 / 127.f));
	ck_assert(!midi_pickup_caught(0.1f, 0.3f, 0.5f, 1 / 127.f));
	ck_assert(midi_pickup_caught(0.3f, 0.7f, 0.5f, 1 / 127.f));
	ck_assert(midi_pickup_caught(0.9f, 0.2f, 0.5f, 1 / 127.f));
	ck_assert(midi_pickup_caught(-1, 0.503f, 0.5f, 1 / 127.f));
	uint8_t b[MIDI_FEEDBACK_MAX];
	ck_assert_uint_eq(midi_feedback_bytes(MIDI_CC14, 2, 5, (100 << 7) | 3, b), 6);
	ck_assert(!memcmp(b, (uint8_t[]){0xB2, 5, 100, 0xB2, 37, 3}, 6));
	ck_assert_uint_eq(midi_feedback_bytes(MIDI_NRPN, 0, 300, 16383, b), 12);
	ck_assert(!memcmp(b, (uint8_t[]){0xB0, 99, 2, 0xB0, 98, 44, 0xB0, 6, 127, 0xB0, 38, 127},
			  12));
	ck_assert_uint_eq(midi_feedback_bytes(MIDI_PB, 15, 0, 8192, b), 3);
	ck_assert(!memcmp(b, (uint8_t[]){0xEF, 0, 64}, 3));
}
END_TEST

/* Every byte sequence: no message with a data byte >= 0x80 and a status < 0x80 comes out. */
START_TEST(parser_random_bytes)
{
	struct midi_parser p;
	struct midi_decoder d;
	uint32_t x = 12345;
	midi_parser_init(&p);
	midi_decoder_init(&d);
	for (int i = 0; i < 200000; i++) {
		uint8_t msg[3];
		struct midi_ev ev[MIDI_DECODE_MAX];
		x = x * 1664525u + 1013904223u;
		if (!midi_parse_byte(&p, (uint8_t)(x >> 24), msg))
			continue;
		ck_assert(msg[0] >= 0x80 && msg[0] < 0xF0 && msg[1] < 0x80 && msg[2] < 0x80);
		int n = midi_decode(&d, msg, ev);
		for (int k = 0; k < n; k++)
			ck_assert(ev[k].value <= midi_kind_max(ev[k].kind) && ev[k].ch < 16);
	}
}
END_TEST

static Suite *midi_suite(void)
{
	Suite *s = suite_create("midi");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parser_running_status_and_realtime);
	tcase_add_test(tc, parser_sysex_truncation_system_common);
	tcase_add_test(tc, decoder_14bit);
	tcase_add_test(tc, decoder_nrpn);
	tcase_add_test(tc, specs);
	tcase_add_test(tc, modes);
	tcase_add_test(tc, parser_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(midi_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
