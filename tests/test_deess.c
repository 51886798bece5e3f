/* De-esser against its definition (deess.h): what is below the band is left alone, what is
 * in it is reduced by at most range, split mode is complementary, listen outputs the
 * sidechain band; plus the module contract (exact bypass, block-size invariance, no
 * subnormal state). Tone levels are read with a single-bin DFT over whole cycles. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deess.h"
#include "testutil.h"

#define FS 48000.0f
#define NS 48000
#define TAIL 24000 /* measure over the last half second: 500 cycles of 1 kHz, 4000 of 8 kHz */

/* The definition's closed forms (deess.h), from the bilinear transform's frequency map alone
 * (not the coefficients): the crossover's high band |HP| = w^8 / (1 + w^8) at
 * w = tan(pi f/fs) / tan(pi fx/fs), and the band-pass at the centre fc. */
static double split_hi_mag(double f, double fc, double fs)
{
	double w = tan(M_PI * f / fs) / tan(M_PI * fc * DEESS_SPLIT_RATIO / fs);
	double w8 = pow(w, 8.0);
	return w8 / (1.0 + w8);
}

static double band_mag(double f, double fc, double fs)
{
	double v = tan(M_PI * f / fs) / tan(M_PI * fc / fs), q = DEESS_BAND_Q;
	return (v / q) / sqrt((1.0 - v * v) * (1.0 - v * v) + (v / q) * (v / q));
}

/* Listen (the sidechain) at f: the high band through the band-pass, in dB. */
static double listen_db(double f, double fc, double fs)
{
	return tu_db(split_hi_mag(f, fc, fs) * band_mag(f, fc, fs));
}

static void deess_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	deess_process(ctx, in, out, n);
}

static void deess_setup(struct deess *d, int mode)
{
	ck_assert_int_eq(stage_init_defaults(&deess_stage, d, FS), 0);
	deess_set_mode(d, mode);
	deess_set_enable(d, 1);
	deess_reset(d);
}

/* Change of the tone at f between in and out over the tail, in dB. */
static double tone_change_db(const float *in, const float *out, double f)
{
	return tu_db(tu_tone_amp(out + NS - TAIL, TAIL, f, FS) /
		     tu_tone_amp(in + NS - TAIL, TAIL, f, FS));
}

START_TEST(below_band_untouched)
{
	static struct deess d;
	static float in[NS], out[NS];
	double worst = 0.0;
	for (int mode = 0; mode < 2; mode++) {
		for (float db = -60.0f; db <= 0.0f; db += 6.0f) {
			deess_setup(&d, mode);
			tu_sine(in, NS, pow(10.0, db / 20.0), 1000.0, FS, 0.0);
			/* steady state: the sine's onset (a slope step) has its own highs */
			tu_run_blocks(deess_fn, &d, in, out, NS / 2, 64);
			d.min_gain = 1.0f;
			tu_run_blocks(deess_fn, &d, in + NS / 2, out + NS / 2, NS / 2, 64);
			double ch = tone_change_db(in, out, 1000.0);
			worst = fmax(worst, fabs(ch));
			ck_assert_msg(fabs(ch) < 0.05, "mode %d, 1 kHz at %g dBFS moved %g dB", mode,
				      db, ch);
			ck_assert(tu_db(d.min_gain) > -0.05);
		}
	}
	printf("deess: 1 kHz sine -60..0 dBFS, largest change %.6f dB\n", worst);
}
END_TEST

/* An 8 kHz sine D dB over the threshold as the sidechain hears it (the sidechain's response
 * at 8 kHz from the closed form). The band gain is about min(D, range), never more than
 * range; wide mode applies it to the whole signal, split mode to the high band, so the tone
 * itself drops by 1 - (1 - g)|HP(8 kHz)| (the bands are in phase, deess.h). */
START_TEST(band_reduced_within_range)
{
	static struct deess d;
	static float in[NS], out[NS];
	static const float over[] = {3.0f, 6.0f, 10.0f, 20.0f, 40.0f};
	for (int mode = 0; mode < 2; mode++) {
		for (int fc = 0; fc < 2; fc++) {
			for (size_t k = 0; k < sizeof(over) / sizeof(over[0]); k++) {
				deess_setup(&d, mode);
				deess_set_freq_hz(&d, fc ? 8000.0f : 6000.0f);
				double resp = listen_db(8000.0, d.freq_hz, FS);
				double db = d.thr_db + over[k] - resp;
				tu_sine(in, NS, pow(10.0, db / 20.0), 8000.0, FS, 0.3);
				tu_run_blocks(deess_fn, &d, in, out, NS, 64);
				double red = -tone_change_db(in, out, 8000.0);
				double band_red = -tu_db(d.min_gain);
				double want = fmin(over[k], d.range_db);
				printf("deess %s freq %.0f: 8 kHz %4.1f dB over -> band gain -%.3f "
				       "dB, tone -%.3f dB (range %.0f)\n", mode ? "wide " : "split",
				       d.freq_hz, over[k], band_red, red, d.range_db);
				fflush(stdout);
				ck_assert(red > 0.5);
				ck_assert(band_red <= d.range_db + 1e-3);
				ck_assert(red <= d.range_db + 1e-3);
				/* the detector reads sampled peaks: up to 1.25 dB low at 8 kHz; the
				 * tone's onset rings through the steep crossover a little over */
				ck_assert(band_red > want - 1.3 && band_red < want + 0.05);
				double hi = mode == DEESS_WIDE ? 1.0 : split_hi_mag(8000.0, d.freq_hz, FS);
				double want_red = -tu_db(1.0 - (1.0 - d.min_gain) * hi);
				/* never deeper than the closed form at the deepest gain; exactly it
				 * when the gain sits at range (below, it ripples with the sampled
				 * peaks and the tone sees its mean) */
				ck_assert_msg(red < want_red + 0.01, "tone -%.3f dB, closed form -%.3f",
					      red, want_red);
				if (over[k] > d.range_db + 3.0f)
					ck_assert_msg(fabs(red - want_red) < 0.01,
						      "tone -%.3f dB, closed form -%.3f", red, want_red);
			}
		}
	}
}
END_TEST

/* Split mode reduces only the band: a 500 Hz partial under a loud 8 kHz one keeps its level. */
START_TEST(split_spares_the_low_partial)
{
	static struct deess d;
	static float in[NS], hf[NS], out[NS];
	deess_setup(&d, DEESS_SPLIT);
	tu_sine(in, NS, 0.3, 500.0, FS, 0.0);
	tu_sine(hf, NS, 0.5, 8000.0, FS, 1.0);
	for (size_t i = 0; i < NS; i++)
		in[i] += hf[i];
	tu_run_blocks(deess_fn, &d, in, out, NS, 64);
	double lo = tone_change_db(in, out, 500.0), hi = tone_change_db(in, out, 8000.0);
	printf("deess split: 500 Hz partial moved %+.4f dB while 8 kHz moved %+.3f dB\n", lo, hi);
	ck_assert(fabs(lo) < 0.1);
	ck_assert(hi < -3.0);
}
END_TEST

START_TEST(listen_outputs_the_band)
{
	static struct deess d;
	static float in[NS], out[NS];
	deess_setup(&d, DEESS_SPLIT);
	deess_set_listen(&d, 1);
	deess_reset(&d);
	tu_sine(in, NS, 0.5, 500.0, FS, 0.0);
	tu_run_blocks(deess_fn, &d, in, out, NS, 64);
	double rel = tu_db(tu_rms(out + NS - TAIL, TAIL) / tu_rms(in + NS - TAIL, TAIL));
	printf("deess listen: 500 Hz comes out %.1f dB down\n", rel);
	ck_assert(rel < -60.0);
	/* and a tone in the band comes through */
	tu_sine(in, NS, 0.5, 10000.0, FS, 0.0);
	tu_run_blocks(deess_fn, &d, in, out, NS, 64);
	ck_assert(fabs(tone_change_db(in, out, 10000.0) - listen_db(10000.0, d.freq_hz, FS)) < 0.01);
}
END_TEST

/* No reduction: the split sums to an allpass, so tones at any frequency keep their level
 * (the phase turns, by 360 degrees in all across the crossover). */
START_TEST(no_reduction_is_flat)
{
	static struct deess d;
	static float in[NS], out[NS];
	double worst = 0.0;
	for (double f = 20.0; f < 21000.0; f *= 1.5) {
		double fw = round(f / 2.0) * 2.0; /* whole cycles in the half-second tail */
		deess_setup(&d, DEESS_SPLIT);
		deess_set_threshold_db(&d, 0.0f); /* a -6 dBFS tone stays under it */
		tu_sine(in, NS, 0.5, fw, FS, 0.0);
		tu_run_blocks(deess_fn, &d, in, out, NS, 64);
		ck_assert(d.min_gain == 1.0f);
		worst = fmax(worst, fabs(tone_change_db(in, out, fw)));
	}
	printf("deess split at 0 dB reduction: 20 Hz-20 kHz within %.6f dB\n", worst);
	ck_assert(worst < 0.001);
}
END_TEST

START_TEST(disabled_copies_exactly)
{
	static struct deess d;
	static float in[NS], out[NS];
	tu_burst_noise(in, NS, 8, 0.003f);
	deess_setup(&d, DEESS_WIDE);
	deess_set_threshold_db(&d, -50.0f);
	tu_run_blocks(deess_fn, &d, in, out, NS / 2, 64);
	deess_set_enable(&d, 0);
	tu_run_blocks(deess_fn, &d, in, out, NS / 2, 64);
	tu_run_blocks(deess_fn, &d, in + NS / 2, out + NS / 2, NS / 2, 64);
	ck_assert_int_eq(memcmp(in + NS / 2, out + NS / 2, NS / 2 * sizeof(float)), 0);
}
END_TEST

START_TEST(block_split_invariant)
{
	static struct deess d;
	static float in[NS], ref[NS], out[NS];
	tu_burst_noise(in, NS, 21, 0.003f);
	for (int mode = 0; mode < 2; mode++) {
		deess_setup(&d, mode);
		deess_set_threshold_db(&d, -45.0f);
		tu_run_blocks(deess_fn, &d, in, ref, NS / 2, DSP_MAX_CHUNK);
		deess_set_mode(&d, !mode); /* and a mode crossfade and a freq glide in the middle */
		deess_set_freq_hz(&d, 9000.0f);
		tu_run_blocks(deess_fn, &d, in + NS / 2, ref + NS / 2, NS / 2, DSP_MAX_CHUNK);
		uint32_t seed = 3;
		for (int run = 0; run < 3; run++) {
			deess_setup(&d, mode);
			deess_set_threshold_db(&d, -45.0f);
			for (int half = 0; half < 2; half++) {
				size_t i = half * NS / 2, end = i + NS / 2;
				if (half) {
					deess_set_mode(&d, !mode);
					deess_set_freq_hz(&d, 9000.0f);
				}
				tu_run_random_blocks(deess_fn, &d, in + i, out + i, end - i,
						     run == 0 ? 1 : DSP_MAX_CHUNK, &seed);
			}
			ck_assert_int_eq(memcmp(ref, out, sizeof(out)), 0);
		}
	}
}
END_TEST

START_TEST(no_subnormal_state_after_silence)
{
	static struct deess d;
	static float in[DSP_MAX_CHUNK], out[DSP_MAX_CHUNK];
	deess_setup(&d, DEESS_SPLIT);
	deess_set_threshold_db(&d, -60.0f);
	memset(in, 0, sizeof(in));
	in[0] = 1.0f;
	for (long i = 0; i < 10L * 48000 / DSP_MAX_CHUNK; i++) {
		deess_process(&d, in, out, DSP_MAX_CHUNK);
		in[0] = 0.0f;
		ck_assert(!tu_bad_float(out, DSP_MAX_CHUNK));
	}
	const float *st = (const float *)d.hp_s; /* hp_s, ap_s and sc_s: floats only */
	for (size_t k = 0; k < 2 * (4 + 2 + 1); k++)
		ck_assert(!tu_bad_value(st[k]));
	ck_assert(!tu_bad_value(d.xfade.cur) && !tu_bad_value(d.wide.cur) && !tu_bad_value(d.listen_xf.cur));
	ck_assert(!tu_bad_float(d.buf_band, DSP_MAX_CHUNK) && !tu_bad_float(d.buf_sc, DSP_MAX_CHUNK) &&
		  !tu_bad_float(d.buf_ap, DSP_MAX_CHUNK) &&
		  !tu_bad_float(d.buf_g, DSP_MAX_CHUNK));
	ck_assert_int_eq(d.gr_q, 0);
}
END_TEST

/* deess_process_lanes against deess_process per lane, bit for bit, for every lane count: the
 * lanes differ in every setting, toggle enable, mode and listen between chunks (so fades and
 * crossfades are in flight, some lanes idle, some quiet, some reducing) and hear different
 * signals, in chunks of random length. Outputs and whole structs must match after every
 * chunk. */
#define LANES_NS 24000

/* A random change of one setting; enable, mode and listen are the ones that start fades. */
static void lanes_poke(struct deess *d, uint32_t *s)
{
	switch (tu_lcg(s) % 7) {
	case 0: deess_set_enable(d, (int)(tu_lcg(s) % 4 != 0)); break;
	case 1: deess_set_mode(d, (int)(tu_lcg(s) % 2)); break;
	case 2: deess_set_listen(d, (int)(tu_lcg(s) % 5 == 0)); break;
	case 3: deess_set_freq_hz(d, tu_uniform(s, 2000.0f, 12000.0f)); break;
	case 4: deess_set_threshold_db(d, tu_uniform(s, -60.0f, 0.0f)); break;
	case 5: deess_set_range_db(d, tu_uniform(s, 0.0f, 24.0f)); break;
	default: break;
	}
}

START_TEST(lanes_match_single)
{
	static struct deess lane[DSP_LANES_MAX], ref[DSP_LANES_MAX];
	static float sig[DSP_LANES_MAX][LANES_NS], yl[DSP_LANES_MAX][DSP_MAX_CHUNK],
		yr[DSP_LANES_MAX][DSP_MAX_CHUNK];
	uint32_t s = 77;
	for (unsigned l = 0; l < DSP_LANES_MAX; l++) {
		/* bursts at different levels, one lane silent for a stretch, one loud */
		tu_burst_noise(sig[l], LANES_NS, 100 + l, l % 3 == 0 ? 0.0f : 0.003f * (float)l);
		float gain = l == 5 ? 2.0f : 0.1f + 0.12f * (float)l;
		for (size_t i = 0; i < LANES_NS; i++)
			sig[l][i] *= gain;
		if (l == 2)
			memset(sig[l] + 2000, 0, 4000 * sizeof(float));
	}
	long chunks = 0, active = 0, reducing = 0, fading = 0, settled = 0;
	for (unsigned nl = 1; nl <= DSP_LANES_MAX; nl++) {
		struct deess *pl[DSP_LANES_MAX];
		const float *in[DSP_LANES_MAX];
		float *out[DSP_LANES_MAX];
		for (unsigned l = 0; l < nl; l++) {
			const float fs[] = {44100.0f, 48000.0f, 96000.0f};
			ck_assert_int_eq(
				stage_init_defaults(&deess_stage, &lane[l], fs[(l + nl) % 3]), 0);
			deess_set_freq_hz(&lane[l], tu_uniform(&s, 2000.0f, 12000.0f));
			deess_set_threshold_db(&lane[l], tu_uniform(&s, -55.0f, -10.0f));
			deess_set_range_db(&lane[l], tu_uniform(&s, 0.0f, 24.0f));
			deess_set_mode(&lane[l], (int)(tu_lcg(&s) % 2));
			deess_set_enable(&lane[l], (int)(tu_lcg(&s) % 5 != 0));
			deess_reset(&lane[l]);
			pl[l] = &lane[l];
			out[l] = yl[l];
		}
		memcpy(ref, lane, sizeof(ref));
		for (size_t pos = 0; pos + DSP_MAX_CHUNK <= LANES_NS;) {
			uint32_t n = tu_lcg(&s) % (DSP_MAX_CHUNK + 1); /* 0..64 */
			for (unsigned l = 0; l < nl; l++) {
				/* settings change now and then, in both copies alike */
				if (tu_lcg(&s) % 64 == 0) {
					uint32_t s2 = s;
					lanes_poke(&lane[l], &s);
					lanes_poke(&ref[l], &s2);
				}
				in[l] = sig[(l + nl) % DSP_LANES_MAX] + pos;
				active += !deess_idle(&lane[l]);
			}
			for (unsigned l = 0; l < nl; l++)
				deess_process(&ref[l], in[l], yr[l], n);
			deess_process_lanes(pl, nl, in, out, n);
			for (unsigned l = 0; l < nl; l++) {
				ck_assert_msg(memcmp(yl[l], yr[l], n * sizeof(float)) == 0,
					      "nl %u lane %u: output differs at %zu", nl, l, pos);
				ck_assert_msg(memcmp(&lane[l], &ref[l], sizeof(lane[l])) == 0,
					      "nl %u lane %u: state differs at %zu", nl, l, pos);
				reducing += lane[l].gr_q != 0;
				int fade = !smooth_settled(&lane[l].xfade) ||
					   !smooth_settled(&lane[l].wide) ||
					   !smooth_settled(&lane[l].listen_xf);
				fading += fade;
				settled += !fade && lane[l].enabled;
			}
			pos += n;
			chunks++;
		}
	}
	printf("deess lanes: %ld chunks over 1..%u lanes; lane-chunks: %ld active, %ld reducing, "
	       "%ld fading, %ld settled; bit-identical\n", chunks, DSP_LANES_MAX, active,
	       reducing, fading, settled);
	/* the paths the test is for were taken */
	ck_assert(reducing > 0 && fading > 0 && settled > 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("deess");
	TCase *tc = tcase_create("deess");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, below_band_untouched);
	tcase_add_test(tc, band_reduced_within_range);
	tcase_add_test(tc, split_spares_the_low_partial);
	tcase_add_test(tc, listen_outputs_the_band);
	tcase_add_test(tc, no_reduction_is_flat);
	tcase_add_test(tc, disabled_copies_exactly);
	tcase_add_test(tc, block_split_invariant);
	tcase_add_test(tc, no_subnormal_state_after_silence);
	tcase_add_test(tc, lanes_match_single);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
