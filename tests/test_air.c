/* Air (the preamp's high lift): its response from 44.1 to 192 kHz against the targets, in the
 * preamp (tones), glides without clicks, bit-exact at 0, block-size independent. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "air.h"
#include "preamp.h"
#include "testutil.h"

/* Targets at every setting: within 0.2 dB at 1 kHz and below, pre.air +-0.5 dB at 16 kHz
 * (and on to Nyquist at the rates where the shelf has long arrived), never above pre.air +
 * 1 dB anywhere up to Nyquist. From the section's coefficients (biquad_response_db). */
START_TEST(response_targets)
{
	static const float rates[] = {44100, 48000, 88200, 96000, 176400, 192000};
	double lo_worst = 0.0, at16_worst = 0.0, over_worst = -99.0;
	for (int r = 0; r < 6; r++)
		for (float g = 0.5f; g <= 8.0f; g += 0.5f) {
			static struct air a;
			air_init(&a, rates[r]);
			air_set_db(&a, g);
			air_reset(&a);
			const struct biquad_coef *c = &a.band.c;
			for (double f = 10.0; f <= 1000.0; f *= 1.05) {
				double d = fabs(biquad_response_db(c, rates[r], f));
				lo_worst = d > lo_worst ? d : lo_worst;
			}
			double d16 = fabs(biquad_response_db(c, rates[r], 16000.0) - g);
			at16_worst = d16 > at16_worst ? d16 : at16_worst;
			for (double f = 1000.0; f < rates[r] / 2; f *= 1.01) {
				double o = biquad_response_db(c, rates[r], f) - g;
				over_worst = o > over_worst ? o : over_worst;
			}
		}
	printf("air: 44.1-192 kHz, pre.air 0.5-8 dB: <= 1 kHz within %.3f dB, 16 kHz within %.3f dB "
	       "of pre.air, at most pre.air %+.3f dB to Nyquist\n", lo_worst, at16_worst, over_worst);
	ck_assert_double_le(lo_worst, 0.2);
	ck_assert_double_le(at16_worst, 0.5);
	ck_assert_double_le(over_worst, 1.0);
}
END_TEST

static void pre_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	preamp_process(ctx, in, out, n);
}

static void pre_set(struct preamp *p, enum param_id id, float v)
{
	pre_stage.set(p, (unsigned)(id - pre_stage.first), v);
}

/* In the preamp: a 1 kHz and a 16 kHz tone at pre.air 6. */
START_TEST(in_the_preamp)
{
	static struct preamp p;
	static float in[48000], out[48000];
	static const double fr[] = {1000.0, 16000.0}, want[] = {0.0, 6.0};
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(stage_init_defaults(&pre_stage, &p, 48000.0f), 0);
		pre_set(&p, P_PRE_AIR, 6.0f);
		tu_sine(in, 48000, 0.1, fr[i], 48000.0, 0.0);
		tu_run_blocks(pre_fn, &p, in, out, 48000, DSP_MAX_CHUNK);
		double db = tu_db(tu_tone_amp(out + 24000, 24000, fr[i], 48000.0) / 0.1);
		printf("air: pre.air 6, %.0f Hz tone: %+.3f dB\n", fr[i], db);
		ck_assert_double_le(fabs(db - want[i]), (i == 0 ? 0.2 : 0.5));
	}
}
END_TEST

/* pre.air 0 -> 8 -> 0 under a 12 kHz tone: the level glides (no step), and back at 0 the
 * preamp is an exact copy again. */
START_TEST(glides_and_returns_to_bit_exact)
{
	static struct preamp p;
	static float in[48000], out[48000];
	ck_assert_int_eq(stage_init_defaults(&pre_stage, &p, 48000.0f), 0);
	tu_sine(in, 48000, 0.1, 12000.0, 48000.0, 0.0);
	for (size_t i = 0; i < 48000; i += 64) {
		if (i == 4800)
			pre_set(&p, P_PRE_AIR, 8.0f);
		if (i == 24000)
			pre_set(&p, P_PRE_AIR, 0.0f);
		preamp_process(&p, in + i, out + i, 64);
	}
	/* the envelope, per 16-sample stretch (~4 cycles), moves by at most a few percent from
	 * one stretch to the next (a switch would jump by 2.5x) */
	double prev = 0.0, worst = 0.0;
	for (size_t i = 0; i + 16 <= 48000; i += 16) {
		double pk = tu_peak(out + i, 16);
		if (i > 0 && fabs(pk / prev - 1.0) > worst)
			worst = fabs(pk / prev - 1.0);
		prev = pk;
	}
	printf("air: 0 -> 8 -> 0 dB glide: envelope steps at most %.1f %% per 16 samples\n",
	       100.0 * worst);
	ck_assert_double_le(worst, 0.1);
	ck_assert_int_eq(memcmp(in + 40000, out + 40000, 8000 * sizeof(float)), 0);
	ck_assert(air_idle(&p.air));
}
END_TEST

START_TEST(block_size_independent)
{
	static struct preamp p;
	static float in[48000], ref[48000], out[48000];
	tu_noise(in, 48000, 0.3, 8);
	for (int pass = 0; pass < 3; pass++) {
		uint32_t seed = 3u + (uint32_t)pass;
		ck_assert_int_eq(stage_init_defaults(&pre_stage, &p, 48000.0f), 0);
		for (size_t at = 0; at < 48000; at += 8000) {
			static const float v[] = {4.0f, 8.0f, 0.0f, 2.5f, 0.0f, 6.0f};
			pre_set(&p, P_PRE_AIR, v[at / 8000]);
			if (at == 16000)
				pre_set(&p, P_PRE_MODEL, 1.0f);
			float *dst = pass == 0 ? ref : out;
			if (pass == 0)
				tu_run_blocks(pre_fn, &p, in + at, dst + at, 8000, DSP_MAX_CHUNK);
			else
				tu_run_random_blocks(pre_fn, &p, in + at, dst + at, 8000,
						     pass == 1 ? 1 : 64, &seed);
		}
		if (pass > 0)
			ck_assert_int_eq(memcmp(ref, out, sizeof(ref)), 0);
	}
}
END_TEST

/* A NaN or Inf reaching the shelf is flushed from its state within one grid period. */
START_TEST(nan_is_contained)
{
	static struct air a;
	static float x[4800];
	air_init(&a, 48000.0f);
	air_set_db(&a, 6.0f);
	air_reset(&a);
	tu_sine(x, 4800, 0.5, 1000.0, 48000.0, 0.0);
	x[1000] = NAN;
	x[1001] = -INFINITY;
	for (size_t i = 0; i < 4800; i += 48)
		air_run(&a, x + i, 48);
	ck_assert(!tu_bad_float(x + 1100, 3700));
}
END_TEST

/* air_run (settled: one loop over the call) against the general path a grid period at a time:
 * settings changed now and then (glides, 0 dB and idle), every chunk length; the signal decays
 * into the range the grid steps clean and carries an infinite sample. 0 ulp, samples and state. */
START_TEST(settled_path_matches_the_general_path)
{
	static struct air a[2];
	enum { LEN = 9000 };
	static float x[2][LEN];
	for (uint32_t k = 1; k <= DSP_MAX_CHUNK; k++) {
		for (int v = 0; v < 2; v++) {
			air_init(&a[v], 48000.0f);
			air_set_db(&a[v], 5.0f);
			air_reset(&a[v]);
			tu_noise(x[v], 2500, 0.5, 5);
			memset(x[v] + 2500, 0, (LEN - 2500) * sizeof(float));
			x[v][300] = INFINITY;
			for (uint32_t at = 0; at < LEN; at += k) {
				if (at / 1000 != (at + k) / 1000 && (at + k) / 1000 < 3) {
					static const float db[] = {8.0f, 0.0f, 3.0f};
					air_set_db(&a[v], db[(at + k) / 1000]);
				}
				uint32_t n = LEN - at < k ? LEN - at : k;
				(v ? air_run : air_run_each)(&a[v], x[v] + at, n);
			}
		}
		ck_assert_msg(memcmp(x[0], x[1], sizeof(x[0])) == 0,
			      "chunks of %u: differs from the general path", k);
		ck_assert_int_eq(memcmp(&a[0], &a[1], sizeof(a[0])), 0);
		ck_assert_float_eq(x[1][LEN - 1], 0.0f); /* the decay reached the clean range */
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("air");
	TCase *tc = tcase_create("air");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, response_targets);
	tcase_add_test(tc, in_the_preamp);
	tcase_add_test(tc, glides_and_returns_to_bit_exact);
	tcase_add_test(tc, block_size_independent);
	tcase_add_test(tc, nan_is_contained);
	tcase_add_test(tc, settled_path_matches_the_general_path);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
