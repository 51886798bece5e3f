/* biquad.h against the analogue prototypes it is designed from: the closed-form magnitude
 * |H(j Omega)| at Omega = tan(pi f/fs) / tan(pi f0/fs), the bilinear transform's frequency
 * map. First the coefficients (biquad_response_db), then every step form on a sine: each must
 * pass the tone at the prototype's level. The prototypes are written out here from their
 * s-domain definitions, independently of biquad.c's cookbook formulas. */
#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "biquad.h"
#include "testutil.h"

/* Analogue prototype of type t at s = j Omega, corner or centre at Omega = 1. */
static double complex prototype(enum biquad_type t, double q, double gain_db, double omega)
{
	const double complex s = I * omega;
	const double a = pow(10.0, gain_db / 40.0), sa = sqrt(a);
	const double complex den = s * s + s / q + 1.0;
	switch (t) {
	case BQ_LOWPASS:
		return 1.0 / den;
	case BQ_HIGHPASS:
		return s * s / den;
	case BQ_BANDPASS:
		return (s / q) / den;
	case BQ_PEAK:
		return (s * s + s * a / q + 1.0) / (s * s + s / (a * q) + 1.0);
	case BQ_LOWSHELF:
		return a * (s * s + s * sa / q + a) / (a * s * s + s * sa / q + 1.0);
	case BQ_HIGHSHELF:
	default:
		return a * (a * s * s + s * sa / q + 1.0) / (s * s + s * sa / q + a);
	}
}

/* The prototype's magnitude in dB at f_hz for a section designed at f0_hz. */
static double prototype_db(enum biquad_type t, double fs, double f0_hz, double q, double gain_db,
			   double f_hz)
{
	double omega = tan(M_PI * f_hz / fs) / tan(M_PI * f0_hz / fs);
	return tu_db(cabs(prototype(t, q, gain_db, omega)));
}

static const char *const type_names[] = {"lowpass", "highpass", "bandpass",
					 "peak",    "lowshelf", "highshelf"};

/* The design is exact in double; rounding the five coefficients to float (relative error at
 * most 2^-24 each) moves |H| by at most, to first order,
 *   2^-24 ((|b0| + |b1| + |b2|) / |B(z)| + (|a1| + |a2|) / |A(z)|)   relative,
 * which is tiny at mid-band corners but grows where B or A nearly cancel: low corners (poles
 * near z = 1), e.g. about 1 dB half an octave below a 20 Hz high-pass at 96 kHz. The check is
 * the prototype within twice that bound plus 1e-3 dB, so it is as strict as float
 * coefficients allow everywhere. Deep stop bands are compared down to -60 dB. */
static double rounding_tol_db(const struct biquad_coef *k, double fs, double f_hz)
{
	const double complex z1 = cexp(-I * 2.0 * M_PI * f_hz / fs), z2 = z1 * z1;
	const double nb = cabs(k->b0 + k->b1 * z1 + k->b2 * z2);
	const double na = cabs(1.0 + k->a1 * z1 + k->a2 * z2);
	const double r = 0x1p-24 * ((fabs(k->b0) + fabs(k->b1) + fabs(k->b2)) / nb +
				    (fabs(k->a1) + fabs(k->a2)) / na);
	return 1e-3 + 2.0 * 8.686 * r;
}

/* For the step forms, run on a tone: the float recursions add rounding of their own. */
#define TOL_DB 0.01

START_TEST(design_matches_prototype)
{
	const double fss[] = {44100.0, 48000.0, 96000.0};
	const double f0s[] = {20.0, 30.0, 120.0, 1000.0, 6000.0, 15000.0};
	const double qs[] = {0.5, 0.7071067811865476, 1.0, 4.0};
	const double gains[] = {-12.0, 6.0};
	int checked = 0;
	double worst = 0.0, loosest = 0.0;
	for (int t = BQ_LOWPASS; t <= BQ_HIGHSHELF; t++)
		for (size_t a = 0; a < sizeof(fss) / sizeof(fss[0]); a++)
			for (size_t b = 0; b < sizeof(f0s) / sizeof(f0s[0]); b++)
				for (size_t c = 0; c < sizeof(qs) / sizeof(qs[0]); c++)
					for (size_t d = 0; d < 2; d++) {
		const double fs = fss[a], f0 = f0s[b], q = qs[c], g = gains[d];
		struct biquad_coef k;
		biquad_design(&k, (enum biquad_type)t, fs, f0, q, g);
		/* 60 frequencies, log-spaced from 10 Hz to 0.45 fs, and the corner itself */
		for (int i = 0; i <= 60; i++) {
			double f = i == 60 ? f0 : 10.0 * pow(0.45 * fs / 10.0, i / 59.0);
			double want = prototype_db((enum biquad_type)t, fs, f0, q, g, f);
			if (want < -60.0)
				continue;
			double got = biquad_response_db(&k, fs, f);
			double err = fabs(got - want), tol = rounding_tol_db(&k, fs, f);
			worst = err > worst ? err : worst;
			loosest = tol > loosest ? tol : loosest;
			if (err > tol)
				ck_abort_msg("%s fs %.0f f0 %.0f Q %.3f gain %.0f: at %.1f Hz %.5f dB, "
					     "prototype %.5f dB, bound %.5f dB", type_names[t], fs, f0,
					     q, g, f, got, want, tol);
			checked++;
		}
	}
	printf("biquad design: %d points within the float-rounding bound of the prototypes "
	       "(worst error %.2e dB, loosest bound %.2e dB)\n", checked, worst, loosest);
	ck_assert_int_gt(checked, 10000);
}
END_TEST

/* Known points of the prototypes themselves: a Butterworth is -3.01 dB at its corner, a
 * peak and the shelves reach their gain, a band-pass is 0 dB at its centre. */
START_TEST(design_known_points)
{
	const double fs = 48000.0, b = 0.7071067811865476;
	struct biquad_coef k;
	biquad_design(&k, BQ_LOWPASS, fs, 1000.0, b, 0.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 1000.0) + 3.0103) < 1e-3);
	biquad_design(&k, BQ_HIGHPASS, fs, 80.0, b, 0.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 80.0) + 3.0103) < 1e-3);
	ck_assert(fabs(biquad_response_db(&k, fs, 12000.0)) < 1e-3);
	biquad_design(&k, BQ_BANDPASS, fs, 6000.0, 1.0, 0.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 6000.0)) < 1e-3);
	biquad_design(&k, BQ_PEAK, fs, 2000.0, 2.0, -9.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 2000.0) + 9.0) < 1e-3);
	biquad_design(&k, BQ_LOWSHELF, fs, 200.0, b, 6.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 15.0) - 6.0) < 0.01);
	biquad_design(&k, BQ_HIGHSHELF, fs, 8000.0, b, -6.0);
	ck_assert(fabs(biquad_response_db(&k, fs, 23000.0) + 6.0) < 0.01);
}
END_TEST

/* The zeros the fixed-zeros step forms rely on hold exactly. */
START_TEST(design_fixed_zeros_exact)
{
	for (double f0 = 20.0; f0 < 20000.0; f0 *= 1.37) {
		struct biquad_coef k;
		biquad_design(&k, BQ_HIGHPASS, 48000.0, f0, 0.7071067811865476, 0.0);
		ck_assert(k.b1 == -2.0f * k.b0 && k.b2 == k.b0);
		biquad_design(&k, BQ_BANDPASS, 48000.0, f0, 1.0, 0.0);
		ck_assert(k.b1 == 0.0f && k.b2 == -k.b0);
	}
}
END_TEST

#define FS 48000.0
#define NS 48000
#define TAIL 24000 /* the last half second: whole cycles of every test tone below */

enum form { F_TDF2, F_LANES, F_DF1, F_DF1_V4, F_FIXED, F_FIXED_V4, F_COUNT };
static const char *const form_names[] = {"tdf2", "tdf2 lanes", "df1",
					 "df1 v4", "fixed zeros", "fixed zeros v4"};

/* in -> out through section k in the given step form (lane 0 of the vector forms; the
 * others carry the same signal scaled, so a lane mix-up would show). */
static void run_form(enum form fm, enum biquad_type t, const struct biquad_coef *k,
		     const float *in, float *out, uint32_t n)
{
	static float scaled[3][NS], sink[3][NS];
	struct biquad_state s = {0.0f, 0.0f};
	if (fm == F_TDF2) {
		for (uint32_t i = 0; i < n; i++)
			out[i] = biquad_tick(k, &s, in[i]);
	} else if (fm == F_LANES) {
		struct biquad_state st[3] = {{0}};
		const struct biquad_coef *kp[3] = {k, k, k};
		struct biquad_state *sp[3] = {&st[0], &st[1], &st[2]};
		for (uint32_t i = 0; i < n; i++)
			scaled[1][i] = 0.5f * in[i], scaled[2][i] = -in[i];
		const float *ip[3] = {in, scaled[1], scaled[2]};
		float *op[3] = {out, sink[1], sink[2]};
		biquad_run_lanes(kp, sp, ip, op, 0.0f, n, 3);
	} else if (fm == F_DF1) {
		struct biquad_df1 st = {0};
		for (uint32_t i = 0; i < n; i++)
			out[i] = biquad_df1_tick(&st, k->b0, k->b1, k->b2, k->a1, k->a2, in[i]);
	} else if (fm == F_DF1_V4) {
		struct biquad_df1_v4 st = {{0}, {0}, {0}, {0}};
		const dsp_v4f b0 = {k->b0, k->b0, 0.0f, k->b0}, b1 = {k->b1, k->b1, 0.0f, k->b1};
		const dsp_v4f b2 = {k->b2, k->b2, 0.0f, k->b2}, a1 = {k->a1, k->a1, 0.0f, k->a1};
		const dsp_v4f a2 = {k->a2, k->a2, 0.0f, k->a2};
		for (uint32_t i = 0; i < n; i++) {
			dsp_v4f x = {in[i], 0.5f * in[i], 1.0f, -in[i]};
			dsp_v4f y = biquad_df1_fb_v4(&st, a1, a2, biquad_df1_ff_v4(&st, b0, b1, b2, x));
			out[i] = y[0];
			ck_assert(y[1] == 0.5f * y[0] && y[3] == -y[0] && y[2] == 0.0f);
		}
	} else {
		struct biquad_gain_poles c = {k->b0, k->a1, k->a2};
		struct biquad_gain_poles_v4 cv = {{k->b0, k->b0, k->b0, k->b0},
						  {k->a1, k->a1, k->a1, k->a1},
						  {k->a2, k->a2, k->a2, k->a2}};
		float z1 = 0.0f, z2 = 0.0f;
		dsp_v4f v1 = {0}, v2 = {0};
		for (uint32_t i = 0; i < n; i++) {
			dsp_v4f x = {in[i], 0.5f * in[i], 0.0f, -in[i]};
			if (fm == F_FIXED) {
				out[i] = t == BQ_HIGHPASS ? biquad_hp_tick(&c, &z1, &z2, in[i])
							  : biquad_bp_tick(&c, &z1, &z2, in[i]);
				continue;
			}
			dsp_v4f y = t == BQ_HIGHPASS ? biquad_hp_tick_v4(&cv, &v1, &v2, x)
						     : biquad_bp_tick_v4(&cv, &v1, &v2, x);
			out[i] = y[0];
			ck_assert(y[1] == 0.5f * y[0] && y[3] == -y[0] && y[2] == 0.0f);
		}
	}
}

/* Every step form passes a 1 kHz tone (or 6 kHz through the band-pass) at the level the
 * prototype gives, for high-passes and band-passes at corners around it. */
START_TEST(steps_match_prototype)
{
	static float in[NS], out[NS];
	const double freqs[] = {1000.0, 6000.0};
	for (int j = 0; j < 2; j++) {
		const double f = freqs[j];
		tu_sine(in, NS, 0.5, f, FS, 0.0);
		const double amp_in = tu_tone_amp(in + NS - TAIL, TAIL, f, FS);
		for (int t = BQ_HIGHPASS; t <= BQ_BANDPASS; t++) {
			for (double f0 = 300.0; f0 < 12000.0; f0 *= 2.0) {
				const double q = t == BQ_HIGHPASS ? 0.7071067811865476 : 1.0;
				struct biquad_coef k;
				biquad_design(&k, (enum biquad_type)t, FS, f0, q, 0.0);
				const double want = prototype_db((enum biquad_type)t, FS, f0, q, 0.0, f);
				for (int fm = 0; fm < F_COUNT; fm++) {
					run_form((enum form)fm, (enum biquad_type)t, &k, in, out, NS);
					double got = tu_db(tu_tone_amp(out + NS - TAIL, TAIL, f, FS) /
							   amp_in);
					if (fabs(got - want) > TOL_DB)
						ck_abort_msg("%s %s f0 %.0f: %.0f Hz at %.4f dB, "
							     "prototype %.4f dB", form_names[fm],
							     type_names[t], f0, f, got, want);
				}
			}
		}
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("biquad");
	TCase *tc = tcase_create("biquad");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, design_matches_prototype);
	tcase_add_test(tc, design_known_points);
	tcase_add_test(tc, design_fixed_zeros_exact);
	tcase_add_test(tc, steps_match_prototype);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
