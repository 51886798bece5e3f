/* Noise suppressor (nr.h): the frame size keeps the latency within 12 ms at every rate;
 * with no reduction the STFT gives back its input delayed by exactly the reported latency
 * (sqrt-Hann squared overlap-adds to one); off is an exact copy with no latency; block-size
 * invariance; non-audio input contained; a learned profile of white noise matches its
 * closed-form density; on/off without a click; and the quality targets on speech-like
 * material in pink and fan noise at 10 and 20 dB SNR (tests/nr/nr_quality.h), at 48 kHz and
 * (10 dB SNR) at 8, 16 and 96 kHz. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nr.h"
#include "nr_quality.h"
#include "testutil.h"

static struct nr R, R2; /* large: kept out of the stack */

static void nr_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	nr_process(ctx, in, out, n);
}

static void nr_setup(struct nr *r, float fs, float amount_db, int mode)
{
	ck_assert_int_eq(nr_init(r, fs), 0);
	ck_assert_int_eq(stage_init_defaults(&nr_stage, r, fs), 0);
	nr_stage.set(r, P_NR_AMOUNT - P_NR_ENABLE, amount_db);
	nr_stage.set(r, P_NR_MODE - P_NR_ENABLE, (float)mode);
	nr_stage.set(r, 0, 1.0f);
	nr_reset(r);
}

START_TEST(latency_within_12ms_at_every_rate)
{
	static const float rates[] = {8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200,
				      96000, 176400, 192000, 384000};
	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		uint32_t n = nr_frame_size(rates[i]);
		ck_assert_msg(n <= 0.012f * rates[i] && n >= 0.005f * rates[i], "fs %g: frame %u",
			      rates[i], n);
		nr_setup(&R, rates[i], 12, NR_ADAPTIVE);
		ck_assert_uint_eq(nr_stage.latency(&R), n);
	}
	ck_assert_uint_eq(nr_frame_size(48000), 512);
	ck_assert_uint_eq(nr_frame_size(8000), 96);
}
END_TEST

/* amount 0: unit gain in every bin, so the output is the input n_fft samples later */
START_TEST(no_reduction_is_a_pure_delay)
{
	static const float rates[] = {8000, 48000, 192000};
	for (unsigned r = 0; r < 3; r++) {
		size_t n = (size_t)(0.5f * rates[r]);
		float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
		tu_noise(x, n, 0.5, 7);
		nr_setup(&R, rates[r], 0, NR_ADAPTIVE);
		nr_process(&R, x, y, (uint32_t)n);
		uint32_t lat = nr_stage.latency(&R);
		double err = 0.0;
		for (size_t i = lat; i < n; i++)
			err = fmax(err, fabs(y[i] - x[i - lat]));
		for (size_t i = 0; i < lat; i++) /* zeros, up to FFT round-off */
			ck_assert_msg(fabsf(y[i]) < 1e-6f, "fs %g: y[%zu] = %g", rates[r], i, y[i]);
		ck_assert_msg(err < 2e-6, "fs %g: max error %g", rates[r], err);
		free(x), free(y);
	}
}
END_TEST

START_TEST(off_is_an_exact_copy_without_latency)
{
	float x[3000], y[3000];
	tu_noise(x, 3000, 0.9, 3);
	ck_assert_int_eq(stage_init_defaults(&nr_stage, &R, 48000), 0);
	ck_assert(nr_stage.idle(&R));
	ck_assert_uint_eq(nr_stage.latency(&R), 0);
	nr_process(&R, x, y, 3000);
	ck_assert_mem_eq(x, y, sizeof(x));
	/* on, then off again: once the fade is over, exact again and idle */
	nr_stage.set(&R, 0, 1.0f);
	nr_process(&R, x, y, 3000);
	nr_stage.set(&R, 0, 0.0f);
	nr_process(&R, x, y, 3000);
	ck_assert(nr_stage.idle(&R));
	nr_process(&R, x, y, 3000);
	ck_assert_mem_eq(x, y, sizeof(x));
}
END_TEST

START_TEST(block_split_invariant)
{
	size_t n = 48000;
	float *x = malloc(sizeof(float) * n), *a = malloc(sizeof(float) * n),
	      *b = malloc(sizeof(float) * n);
	tu_burst_noise(x, n, 5, 0.05f);
	nr_setup(&R, 48000, 20, NR_ADAPTIVE);
	nr_process(&R, x, a, (uint32_t)n);
	nr_setup(&R, 48000, 20, NR_ADAPTIVE);
	uint32_t seed = 11;
	tu_run_random_blocks(nr_fn, &R, x, b, n, 700, &seed);
	ck_assert_mem_eq(a, b, sizeof(float) * n);
	free(x), free(a), free(b);
}
END_TEST

/* a NaN, an Inf and a huge value: the output stays finite, and a frame after them it is what
 * it would have been with silence in their place (the estimators did not take them) */
START_TEST(non_audio_is_contained)
{
	size_t n = 48000;
	float *x = malloc(sizeof(float) * n), *a = malloc(sizeof(float) * n),
	      *b = malloc(sizeof(float) * n);
	tu_burst_noise(x, n, 9, 0.1f);
	x[20000] = x[20001] = 0.0f, x[20002] = 0.0f;
	nr_setup(&R, 48000, 12, NR_ADAPTIVE);
	nr_process(&R, x, a, (uint32_t)n);
	x[20000] = NAN, x[20001] = INFINITY, x[20002] = 1e30f;
	nr_setup(&R, 48000, 12, NR_ADAPTIVE);
	nr_process(&R, x, b, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(isfinite(b[i]), "sample %zu", i);
	ck_assert_mem_eq(a, b, sizeof(float) * n);
	free(x), free(a), free(b);
}
END_TEST

/* white noise of variance s2: one-sided density 2 s2 / fs per Hz at every profile point */
START_TEST(learned_profile_matches_white_noise_density)
{
	static const float rates[] = {16000, 48000};
	for (unsigned r = 0; r < 2; r++) {
		float fs = rates[r];
		size_t n = (size_t)(3.0f * fs);
		float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
		tu_noise(x, n, 0.1, 21); /* uniform: variance a^2/3 */
		nr_setup(&R, fs, 12, NR_LEARNED);
		nr_learn_start(&R, 2.0f);
		nr_process(&R, x, y, (uint32_t)n);
		float db[NR_PROFILE_POINTS];
		ck_assert(!nr_learning(&R));
		ck_assert(nr_profile_get(&R, db));
		double want = 10.0 * log10(2.0 * 0.01 / 3.0 / fs);
		for (unsigned i = 0; i < NR_PROFILE_POINTS; i++) {
			if (nr_profile_hz(i) > 0.45f * fs)
				break;
			/* a few bins per point at low frequencies: a chi-square mean of few
			 * degrees of freedom over 2 s, within 1.5 dB */
			ck_assert_msg(fabs(db[i] - want) < 1.5, "fs %g point %u (%g Hz): %g dB, want %g",
				      fs, i, nr_profile_hz(i), db[i], want);
		}
		free(x), free(y);
	}
}
END_TEST

/* switching on and off in a 1 kHz sine: no step larger than the sine's own largest step
 * times the equal-power crossfade's sqrt 2, plus the fade's own slope */
START_TEST(switching_does_not_click)
{
	size_t n = 48000;
	float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
	tu_sine(x, n, 0.5, 1000, 48000, 0);
	ck_assert_int_eq(stage_init_defaults(&nr_stage, &R, 48000), 0);
	nr_stage.set(&R, P_NR_AMOUNT - P_NR_ENABLE, 0.0f);
	nr_process(&R, x, y, 10000);
	nr_stage.set(&R, 0, 1.0f);
	nr_process(&R, x + 10000, y + 10000, 20000);
	nr_stage.set(&R, 0, 0.0f);
	nr_process(&R, x + 30000, y + 30000, 18000);
	double step = 0.5 * 2 * M_PI * 1000 / 48000, worst = 0.0;
	for (size_t i = 1; i < n; i++)
		worst = fmax(worst, fabs(y[i] - y[i - 1]));
	ck_assert_msg(worst < step * 1.42 + 0.5 * 1.6 / (0.02 * 48000), "step %g (sine %g)", worst,
		      step);
	free(x), free(y);
}
END_TEST

static void quality_run_at(double fs, enum nrq_noise kind, double snr, int learned,
			   struct nrq_result *q)
{
	struct nrq_signal s;
	double lead = learned ? 2.0 : 0.5;
	ck_assert_int_eq(nrq_make(&s, fs, lead + 6.0, lead, kind, snr, 3), 0);
	float *out = malloc(sizeof(float) * s.n);
	nr_setup(&R2, (float)fs, 12, learned ? NR_LEARNED : NR_ADAPTIVE);
	if (learned)
		nr_learn_start(&R2, 2.0f);
	nr_process(&R2, s.noisy, out, (uint32_t)s.n);
	size_t from = learned ? s.onset : (size_t)(0.25 * s.fs);
	size_t to = learned ? s.onset + (size_t)s.fs : s.n;
	ck_assert_int_eq(nrq_measure(&s, out, nr_stage.latency(&R2), from, to, q), 0);
	printf("nr %6.0f Hz %s %s %2.0f dB SNR: pauses -%.2f dB (%u frames), voiced %+.2f dB (%u), "
	       "loudness %+.2f LU, musical %.2f dB (input %.2f dB)\n",
	       fs, learned ? "learned " : "adaptive", nrq_noise_name(kind), snr, q->pause_drop_db,
	       q->n_pause, q->voiced_change_db, q->n_voiced, q->loud_change_lu, q->mus_out_db,
	       q->mus_in_db);
	free(out);
	nrq_free(&s);
}

static void quality_run(enum nrq_noise kind, double snr, int learned, struct nrq_result *q)
{
	quality_run_at(48000, kind, snr, learned, q);
}

/* The targets: pauses fall 10 dB or more, the voiced 200 Hz-4 kHz band changes 1 dB at most
 * and the loudness 0.5 LU at most, the musical-noise spread is within 2 dB of the input
 * noise's. */
#define NR_VOICED_MAX_DB 1.0
#define NR_LOUD_MAX_LU 0.5

static void quality_check(const struct nrq_result *q)
{
	ck_assert_msg(q->n_pause >= 10 && q->n_voiced >= 10, "frames %u %u", q->n_pause,
		      q->n_voiced);
	ck_assert_msg(q->pause_drop_db >= 10.0, "pauses fall %.2f dB", q->pause_drop_db);
	ck_assert_msg(fabs(q->voiced_change_db) <= NR_VOICED_MAX_DB, "voiced %.2f dB",
		      q->voiced_change_db);
	ck_assert_msg(fabs(q->loud_change_lu) <= NR_LOUD_MAX_LU, "loudness %.2f LU",
		      q->loud_change_lu);
	ck_assert_msg(q->mus_out_db <= q->mus_in_db + 2.0, "musical %.2f dB, input %.2f dB",
		      q->mus_out_db, q->mus_in_db);
}

START_TEST(quality_adaptive)
{
	struct nrq_result q;
	quality_run((enum nrq_noise)(_i / 2), _i % 2 ? 20.0 : 10.0, 0, &q);
	quality_check(&q);
}
END_TEST

START_TEST(quality_learned_first_second)
{
	struct nrq_result q;
	quality_run((enum nrq_noise)(_i / 2), _i % 2 ? 20.0 : 10.0, 1, &q);
	quality_check(&q);
}
END_TEST

/* the same targets at the lowest, a low and a high rate (the frame and the gate's band
 * change with the rate), adaptive, 10 dB SNR */
START_TEST(quality_other_rates)
{
	static const double rates[] = {8000, 16000, 96000};
	struct nrq_result q;
	quality_run_at(rates[_i / 2], (enum nrq_noise)(_i % 2), 10.0, 0, &q);
	quality_check(&q);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("nr");
	TCase *tc = tcase_create("nr");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, latency_within_12ms_at_every_rate);
	tcase_add_test(tc, no_reduction_is_a_pure_delay);
	tcase_add_test(tc, off_is_an_exact_copy_without_latency);
	tcase_add_test(tc, block_split_invariant);
	tcase_add_test(tc, non_audio_is_contained);
	tcase_add_test(tc, learned_profile_matches_white_noise_density);
	tcase_add_test(tc, switching_does_not_click);
	tcase_add_loop_test(tc, quality_adaptive, 0, 4);
	tcase_add_loop_test(tc, quality_learned_first_second, 0, 4);
	tcase_add_loop_test(tc, quality_other_rates, 0, 6);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
