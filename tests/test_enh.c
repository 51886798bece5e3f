/* Enhancer: HF detail restores what a dull source lacks and leaves a bright one alone, its
 * harmonics do not fold back, LF detail lifts the bass and cuts the low mids less at high
 * level; idle bit-exactness, fades, block-size independence, containment. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enh.h"
#include "testutil.h"
#include "tone_util.h"

#define FS 48000.0f

static void enh_set(struct enh *e, enum param_id id, float v)
{
	enh_stage.set(e, (unsigned)(id - enh_stage.first), v);
}

static void enh_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	enh_process(ctx, in, out, n);
}

static void run(struct enh *e, const float *in, float *out, size_t n)
{
	tu_run_blocks(enh_fn, e, in, out, n, DSP_MAX_CHUNK);
}

static void setup(struct enh *e, float fs, float hf, float lf)
{
	ck_assert_int_eq(stage_init_defaults(&enh_stage, e, fs), 0);
	enh_set(e, P_ENH_ENABLE, 1.0f);
	enh_set(e, P_ENH_HF, hf);
	enh_set(e, P_ENH_LF, lf);
	enh_reset(e);
}

/* Filter x in place through a section. */
static void filter(float *x, size_t n, enum biquad_type t, double fs, double f, double q, double g)
{
	struct biquad_coef c;
	struct biquad_state s = {0, 0};
	biquad_design(&c, t, fs, f, q, g);
	for (size_t i = 0; i < n; i++)
		x[i] = biquad_tick(&c, &s, x[i]);
}

#define PN (3 * 48000)
/* Rise of the 4-16 kHz band (dB) for pink noise shaped by `shape` at enh.hf 100. */
static double hf_rise(int shape)
{
	static struct enh e;
	static float in[PN], out[PN];
	tone_pink(in, PN, 0.1, 21);
	if (shape == 0) { /* dull: low-passed at 5 kHz, 24 dB/octave */
		filter(in, PN, BQ_LOWPASS, FS, 5000, 0.5411961, 0);
		filter(in, PN, BQ_LOWPASS, FS, 5000, 1.3065630, 0);
	} else { /* bright: tilted up 6 dB from 2 kHz */
		filter(in, PN, BQ_HIGHSHELF, FS, 2000, 0.7071, 6.0);
	}
	setup(&e, FS, 100.0f, 0.0f);
	run(&e, in, out, PN);
	double pi = tone_welch_band(in + 48000, PN - 48000, 4096, FS, 4000, 16000);
	double po = tone_welch_band(out + 48000, PN - 48000, 4096, FS, 4000, 16000);
	return 10.0 * log10(po / pi);
}

START_TEST(hf_detail_is_program_dependent)
{
	double dull = hf_rise(0), bright = hf_rise(1);
	printf("enh: enh.hf 100, 4-16 kHz band: pink low-passed at 5 kHz %+.2f dB, pink tilted "
	       "+6 dB %+.2f dB\n", dull, bright);
	ck_assert_double_ge(dull, 6.0);
	ck_assert_double_le(bright, 1.0);
}
END_TEST

/* Signal to aliasing for a -6 dBFS sine with the lift pinned at its most (the detector is
 * told the source is dull whatever it hears): everything but the tone, its harmonics and DC
 * is aliasing (the squarer makes only the 2nd harmonic; any fold-back lands elsewhere). */
static double alias_db(float fs, double f)
{
	enum { AN = 32768, SKIP = 16384 };
	static struct enh e;
	static float in[AN + SKIP], out[AN + SKIP];
	static double pw[AN / 2 + 1];
	setup(&e, fs, 100.0f, 0.0f);
	e.hf_target = 1e6f;
	tu_sine(in, AN + SKIP, 0.5, f, fs, 0.0);
	run(&e, in, out, AN + SKIP);
	tone_spectrum(out + SKIP, AN, pw);
	double sig = 0.0, rest = 0.0, h2 = 0.0, bin = fs / (double)AN;
	for (size_t k = 0; k <= AN / 2; k++) {
		double fk = (double)k * bin, near = 1e9;
		int harm = 0;
		for (int m = 1; m * f < fs / 2; m++)
			if (fabs(fk - m * f) < near)
				near = fabs(fk - m * f), harm = m;
		if (fk < 6 * bin || near < 6 * bin) {
			if (harm == 1 && near < 6 * bin)
				sig += pw[k];
			if (harm == 2 && near < 6 * bin)
				h2 += pw[k];
			continue;
		}
		rest += pw[k];
	}
	printf("enh: %.0f Hz sine at %.1f kHz, lift pinned: 2nd harmonic %.1f dB, aliasing %.1f dB "
	       "below the tone\n", f, fs / 1000, 10 * log10(h2 / sig), 10 * log10(sig / rest));
	ck_assert_double_gt(h2 / sig, 1e-3); /* it does make harmonics */
	return 10.0 * log10(sig / rest);
}

START_TEST(hf_harmonics_do_not_alias)
{
	ck_assert_double_ge(alias_db(44100.0f, 7000.0), 40.0);
	ck_assert_double_ge(alias_db(48000.0f, 7000.0), 40.0);
}
END_TEST

/* Gain (dB) of a tone of level dbfs after 1 s at enh.lf 100. */
static double lf_gain(double f, double dbfs)
{
	static struct enh e;
	static float in[72000], out[72000];
	double a = pow(10.0, dbfs / 20.0);
	setup(&e, FS, 0.0f, 100.0f);
	tu_sine(in, 72000, a, f, FS, 0.0);
	run(&e, in, out, 72000);
	return tu_db(tu_tone_amp(out + 24000, 48000, f, FS) / a);
}

START_TEST(lf_detail_targets)
{
	double b30 = lf_gain(80, -30), m300 = lf_gain(300, -30), b6 = lf_gain(80, -6);
	printf("enh: enh.lf 100: 80 Hz at -30 dBFS %+.2f dB, 300 Hz %+.2f dB, 80 Hz at -6 dBFS "
	       "%+.2f dB\n", b30, m300, b6);
	ck_assert_double_ge(b30, 4.0);
	ck_assert_double_le(m300, -2.0);
	ck_assert_double_le(b6, 2.0);
	double worst = 0.0;
	for (double f = 1000; f <= 20000; f *= 1.25) {
		double g = lf_gain(f, -30);
		if (fabs(g) > fabs(worst))
			worst = g;
	}
	printf("enh: enh.lf 100: 1-20 kHz moves at most %+.3f dB\n", worst);
	ck_assert_double_le(fabs(worst), 0.2);
}
END_TEST

START_TEST(idle_and_zero_amounts_are_bit_exact)
{
	static struct enh e;
	static float in[24000], out[24000];
	ck_assert_int_eq(stage_init_defaults(&enh_stage, &e, FS), 0);
	ck_assert(enh_idle(&e));
	tu_noise(in, 24000, 1.0, 4);
	run(&e, in, out, 24000);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	enh_set(&e, P_ENH_ENABLE, 1.0f); /* on at 0 %: still the input, bit for bit */
	run(&e, in, out, 24000);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
}
END_TEST

START_TEST(enable_crossfades)
{
	static struct enh e;
	static float in[48000], out[48000];
	ck_assert_int_eq(stage_init_defaults(&enh_stage, &e, FS), 0);
	enh_set(&e, P_ENH_LF, 100.0f);
	tu_sine(in, 48000, 0.03, 80.0, FS, 0.0);
	for (size_t i = 0; i < 48000; i += 64) {
		if (i == 9984)
			enh_set(&e, P_ENH_ENABLE, 1.0f);
		if (i == 30016)
			enh_set(&e, P_ENH_ENABLE, 0.0f);
		enh_process(&e, in + i, out + i, 64);
	}
	/* a click is broadband: what a 4th-order high-pass at 2 kHz leaves of the 80 Hz tone
	 * (0.03 -> 0.06 and back) is its trace. A hard switch would leave a step of up to 0.03
	 * there; the linear 10 ms fade only bends the envelope. */
	filter(out, 48000, BQ_HIGHPASS, FS, 2000, 0.5411961, 0);
	filter(out, 48000, BQ_HIGHPASS, FS, 2000, 1.3065630, 0);
	double steady = tu_peak(out + 20000, 10000);
	double sw = fmax(tu_peak(out + 9000, 3000), tu_peak(out + 29000, 3000));
	printf("enh: enable on/off: above 2 kHz %.1f dBFS at the switches (steady %.1f dBFS)\n",
	       tu_db(sw), tu_db(steady));
	ck_assert_double_le(sw, 3e-4);
}
END_TEST

START_TEST(block_size_independent)
{
	static struct enh e;
	static float in[48000], ref[48000], out[48000];
	tone_pink(in, 48000, 0.1, 5);
	for (int pass = 0; pass < 3; pass++) {
		uint32_t seed = 7u + (uint32_t)pass;
		ck_assert_int_eq(stage_init_defaults(&enh_stage, &e, FS), 0);
		for (size_t at = 0; at < 48000; at += 8000) {
			switch (at / 8000) {
			case 0: enh_set(&e, P_ENH_ENABLE, 1.0f), enh_set(&e, P_ENH_HF, 80.0f); break;
			case 1: enh_set(&e, P_ENH_LF, 70.0f); break;
			case 2: enh_set(&e, P_ENH_HF_FREQ, 7000.0f); break;
			case 3: enh_set(&e, P_ENH_ENABLE, 0.0f); break;
			case 4: enh_set(&e, P_ENH_ENABLE, 1.0f), enh_set(&e, P_ENH_LF_FREQ, 150.0f); break;
			default: enh_set(&e, P_ENH_HF, 20.0f); break;
			}
			float *dst = pass == 0 ? ref : out;
			if (pass == 0)
				tu_run_blocks(enh_fn, &e, in + at, dst + at, 8000, DSP_MAX_CHUNK);
			else
				tu_run_random_blocks(enh_fn, &e, in + at, dst + at, 8000,
						     pass == 1 ? 1 : 64, &seed);
		}
		if (pass > 0)
			ck_assert_int_eq(memcmp(ref, out, sizeof(ref)), 0);
	}
}
END_TEST

START_TEST(nan_is_contained)
{
	static struct enh e;
	static float in[4800], out[4800];
	setup(&e, FS, 100.0f, 100.0f);
	tu_sine(in, 4800, 0.5, 1000.0, FS, 0.0);
	in[1000] = NAN;
	in[1001] = INFINITY;
	run(&e, in, out, 4800);
	ck_assert(!tu_bad_float(out + 1100, 3700));
}
END_TEST

/* From 8 to 192 kHz: finite, and the HF lift still restores a dull source at 96 kHz. */
START_TEST(every_rate)
{
	static const float rates[] = {8000, 11025, 16000, 22050, 44100, 96000, 192000};
	static struct enh e;
	static float in[19200], out[19200];
	for (int r = 0; r < 7; r++) {
		if (rates[r] < DSP_FS_MIN)
			continue;
		setup(&e, rates[r], 100.0f, 100.0f);
		tone_pink(in, 19200, 0.1, 3);
		run(&e, in, out, 19200);
		ck_assert(!tu_bad_float(out, 19200));
		ck_assert_double_lt(tu_peak(out, 19200), 4.0 * tu_peak(in, 19200));
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("enh");
	TCase *tc = tcase_create("enh");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, hf_detail_is_program_dependent);
	tcase_add_test(tc, hf_harmonics_do_not_alias);
	tcase_add_test(tc, lf_detail_targets);
	tcase_add_test(tc, idle_and_zero_amounts_are_bit_exact);
	tcase_add_test(tc, enable_crossfades);
	tcase_add_test(tc, block_size_independent);
	tcase_add_test(tc, nan_is_contained);
	tcase_add_test(tc, every_rate);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
