/* Preamp sound quality at its defaults and at 2/4/8x oversampling: small-signal frequency
 * response, signal to aliasing, latency against the impulse, measured by single-bin DFTs
 * over whole cycles (closed forms: a linear system's gain and phase at a frequency). */
#include <check.h>
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preamp.h"
#include "testutil.h"

#define NMAX 192000

static float in_buf[NMAX], out_buf[NMAX];
static const char *const model_names[] = {"clean", "tube", "transformer"};

static void pre_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	preamp_process(ctx, in, out, n);
}

static void setup(struct preamp *p, float fs, int model, float drive_db, int os)
{
	ck_assert_int_eq(stage_init_defaults(&pre_stage, p, fs), 0);
	preamp_set_model(p, model);
	preamp_set_drive_db(p, drive_db);
	preamp_set_oversample(p, os);
	preamp_reset(p);
}

/* Gain in dB at f (integer Hz) of a -100 dBFS sine through the preamp, over the second of
 * two half-second halves (whole cycles: fs / 2 samples hold f / 2 cycles, f even). So quiet
 * that the loudness follower's floor holds its gain at 1 (within 0.01 dB): it would
 * otherwise level a steady tone and hide the response. */
static double response_db(struct preamp *p, float fs, double f)
{
	size_t n = (size_t)fs;
	tu_sine(in_buf, n, 1e-5, f, fs, 0.0);
	tu_run_blocks(pre_fn, p, in_buf, out_buf, n, 64);
	return tu_db(tu_tone_amp(out_buf + n / 2, n / 2, f, fs) / 1e-5);
}

static const double resp_f[] = {20, 100, 1000, 5000, 10000, 14000, 16000, 18000, 20000};

/* Largest deviation from 0 dB up to fmax, for a model and oversampling at fs. */
static double worst_dev(float fs, int model, int os, double fmax)
{
	static struct preamp p;
	double worst = 0.0;
	for (size_t i = 0; i < sizeof(resp_f) / sizeof(resp_f[0]) && resp_f[i] <= fmax; i++) {
		setup(&p, fs, model, 0.0f, os);
		double db = response_db(&p, fs, resp_f[i]);
		if (fabs(db) > fabs(worst))
			worst = db;
	}
	printf("%-11s oversample %d at %.0f Hz: worst deviation to %.0f Hz %+.3f dB\n",
	       model_names[model], os, fs, fmax, worst);
	return worst;
}

START_TEST(default_curve_is_flat)
{
	for (int m = 1; m < PREAMP_MODEL_COUNT; m++) {
		ck_assert(fabs(worst_dev(48000.0f, m, 1, 20000.0)) <= 0.5);
		ck_assert(fabs(worst_dev(44100.0f, m, 1, 18000.0)) <= 1.0);
		ck_assert(fabs(worst_dev(96000.0f, m, 1, 20000.0)) <= 0.5);
	}
}
END_TEST

START_TEST(oversampled_curve_is_flat)
{
	static const float rates[] = {44100.0f, 48000.0f, 96000.0f};
	for (int os = 2; os <= 8; os *= 2)
		for (size_t r = 0; r < 3; r++)
			ck_assert(fabs(worst_dev(rates[r], PREAMP_TUBE, os, 20000.0)) <= 0.5);
}
END_TEST

/* Signal to aliasing (fs samples, integer f0): harmonics k f0 < fs/2 and DC against the
 * rest. */
static double sar_db(const float *y, size_t n, double f0, double fs)
{
	double total = 0.0, mean = tu_mean(y, n), harm = mean * mean;
	for (size_t i = 0; i < n; i++)
		total += (double)y[i] * y[i];
	total /= (double)n;
	for (int k = 1; k * f0 < fs / 2; k++) {
		double a = tu_tone_amp(y, n, k * f0, fs);
		harm += a * a / 2.0;
	}
	return 10.0 * log10(harm / (total - harm));
}

START_TEST(default_curve_aliasing)
{
	/* 9973 Hz at -6 dBFS, drive 24 dB: Calf's saturator gives 30.3 dB at the same THD */
	static struct preamp p;
	const float fs = 48000.0f;
	const size_t n = (size_t)fs;
	for (int m = 1; m < PREAMP_MODEL_COUNT; m++) {
		setup(&p, fs, m, 24.0f, 1);
		tu_sine(in_buf, n + n / 2, 0.5, 9973.0, fs, 0.0);
		tu_run_blocks(pre_fn, &p, in_buf, out_buf, n + n / 2, 256);
		double sar = sar_db(out_buf + n / 2, n, 9973.0, fs);
		printf("%-11s default: signal to aliasing %.1f dB\n", model_names[m], sar);
		ck_assert(sar >= 35.0);
	}
}
END_TEST

/* Phase delay at f (samples) of an impulse response, unwrapped nearest to `near`. */
static double phase_delay(const float *h, size_t n, double f, double fs, double near)
{
	double re = 0.0, im = 0.0, w = 2.0 * M_PI * f / fs;
	for (size_t i = 0; i < n; i++) {
		re += h[i] * cos(w * (double)i);
		im -= h[i] * sin(w * (double)i);
	}
	double d = -atan2(im, re) / w, period = fs / f;
	return d + period * round((near - d) / period);
}

START_TEST(latency_is_small_and_true)
{
	static struct preamp p;
	static const float rates[] = {22050.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f};
	const size_t n = 8192;
	for (size_t r = 0; r < 5; r++) {
		float fs = rates[r];
		for (int os = 1; os <= 8; os *= 2) {
			setup(&p, fs, PREAMP_CLEAN, 0.0f, os);
			uint32_t clean_lat = preamp_latency_samples(&p);
			for (int m = 1; m < PREAMP_MODEL_COUNT; m++) {
				setup(&p, fs, m, 0.0f, os);
				uint32_t lat = preamp_latency_samples(&p);
				memset(in_buf, 0, n * sizeof(float));
				in_buf[0] = 1e-4f;
				tu_run_blocks(pre_fn, &p, in_buf, out_buf, n, 64);
				double pd = phase_delay(out_buf, n, fs / 48.0, fs, lat);
				if (r == 2)
					printf("oversample %d %s at %.0f: latency %u, phase delay "
					       "at fs/48 %.3f\n", os, model_names[m], fs, lat, pd);
				ck_assert(fabs(pd - lat) <= 0.5);
				/* a model change never changes the latency at 2/4/8x */
				if (os > 1)
					ck_assert_uint_eq(lat, clean_lat);
				if (os == 1 && fs == 48000.0f)
					ck_assert_uint_le(lat, 4);
			}
			if (os == 1)
				ck_assert_uint_eq(clean_lat, 0);
		}
	}
}
END_TEST

/* BS.1770 gated loudness (libebur128, the independent oracle) of n samples at fs. */
static double lufs(const float *x, size_t n, float fs)
{
	ebur128_state *st = ebur128_init(1, (unsigned long)fs, EBUR128_MODE_I);
	double l = 0.0;
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ebur128_add_frames_float(st, x, n), EBUR128_SUCCESS);
	ck_assert_int_eq(ebur128_loudness_global(st, &l), EBUR128_SUCCESS);
	ebur128_destroy(&st);
	return l;
}

/* Drive changes colour, not loudness: speech (the fixture: peaks near -3 dBFS, then 18 dB
 * quieter, over noise) keeps its gated loudness within 1 LU from drive 0 to 36, for both
 * curves (it fell by 15.4 LU at drive 36 when the output was only divided by the drive). */
START_TEST(drive_keeps_loudness)
{
	static struct preamp p;
	static float sp[NMAX * 4], y[NMAX * 4];
	SF_INFO info = {0};
	SNDFILE *f = sf_open(FIXTURE_DIR "/speech.wav", SFM_READ, &info);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(info.channels, 1);
	size_t n = (size_t)sf_readf_float(f, sp, NMAX * 4);
	sf_close(f);
	const float fs = (float)info.samplerate;
	double ref = lufs(sp, n, fs);
	for (int m = 1; m < PREAMP_MODEL_COUNT; m++) {
		for (float d = 0.0f; d <= 36.0f; d += 6.0f) {
			setup(&p, fs, m, d, 1);
			tu_run_blocks(pre_fn, &p, sp, y, n, 128);
			double dl = lufs(y, n, fs) - ref;
			printf("%-11s drive %2.0f dB: speech loudness %+.2f LU\n", model_names[m], d, dl);
			ck_assert(fabs(dl) <= 1.0);
		}
	}
}
END_TEST

/* The curves' harmonic profiles at -12 dBFS, 1 kHz, drive 0 to 36 dB: H2..H5 in dBc, the
 * table in the man page. The tube keeps its even character at every drive (H2 no more than
 * 12 dB below H3: with a fixed bias alone H2 fell to -34.5 dBc against H3 -9.9 at drive 36,
 * the curve's both sides clipping alike); the transformer is odd only. */
START_TEST(harmonic_profiles)
{
	static struct preamp p;
	const float fs = 48000.0f;
	const size_t n = (size_t)fs;
	for (int m = 1; m < PREAMP_MODEL_COUNT; m++) {
		for (float d = 0.0f; d <= 36.0f; d += 6.0f) {
			setup(&p, fs, m, d, 1);
			tu_sine(in_buf, 2 * n, 0.25, 1000.0, fs, 0.0);
			tu_run_blocks(pre_fn, &p, in_buf, out_buf, n, 64);
			tu_run_blocks(pre_fn, &p, in_buf + n, out_buf, n, 64);
			double h1 = tu_tone_amp(out_buf, n, 1000.0, fs), h[6];
			for (int k = 2; k <= 5; k++)
				h[k] = tu_db(tu_tone_amp(out_buf, n, 1000.0 * k, fs) / h1);
			printf("%-11s drive %2.0f dB: H2 %6.1f  H3 %6.1f  H4 %6.1f  H5 %6.1f dBc\n",
			       model_names[m], d, h[2], h[3], h[4], h[5]);
			if (m == PREAMP_TUBE) {
				ck_assert_msg(h[2] >= h[3] - 12.0, "tube drive %.0f: H2 %.1f, H3 %.1f",
					      d, h[2], h[3]);
				ck_assert(h[2] > -40.0);
			} else {
				ck_assert(h[2] < -100.0 && h[4] < -100.0); /* symmetric: odd only */
				ck_assert(h[3] > -45.0);
			}
		}
	}
}
END_TEST

/* Energy above 8 kHz (dBFS RMS, the loudest window of win samples, half overlapping) in
 * y[a..b), through an 8th-order high-pass at 8 kHz run from
 * y[0] (four Butterworth sections: a 1 kHz tone is 140 dB down). */
static double hf_db(const float *y, size_t a, size_t b, float fs, size_t win)
{
	static const double q[4] = {0.5098, 0.6013, 0.9000, 2.5629};
	struct biquad_coef c[4];
	struct biquad_state st[4] = {{0}};
	static double e[NMAX];
	double worst = 0.0;
	for (int k = 0; k < 4; k++)
		biquad_design(&c[k], BQ_HIGHPASS, fs, 8000.0, q[k], 0.0);
	for (size_t i = 0; i < b; i++) {
		float v = y[i];
		for (int k = 0; k < 4; k++)
			v = biquad_tick(&c[k], &st[k], v);
		e[i] = (double)v * v;
	}
	for (size_t w = a; w + win <= b; w += win / 2) {
		double sum = 0.0;
		for (size_t i = w; i < w + win; i++)
			sum += e[i];
		worst = fmax(worst, sum / (double)win);
	}
	return 10.0 * log10(worst + 1e-30);
}

/* Switching the oversampling (and clean <-> curve at oversample 1, which changes the latency
 * too) while a -12 dBFS 1 kHz tone plays: the 20 ms after each switch keep their energy above
 * 8 kHz (in 2 ms windows) within 10 dB of the tone's own (its harmonics, or -85 dBFS, a
 * 24-bit tone's floor). The base's FIR oversampler (38 samples of silence, then the signal
 * 16 % into the duck's ramp) reached -73.9 dBFS switching to 4x. */
START_TEST(switches_do_not_click)
{
	static struct preamp p;
	const float fs = 48000.0f;
	const size_t seg = 24000, n = 7 * seg;
	static const struct {
		int model, os;
	} steps[] = {{PREAMP_CLEAN, 1}, {PREAMP_CLEAN, 4}, {PREAMP_CLEAN, 1}, {PREAMP_TUBE, 1},
		     {PREAMP_TUBE, 8}, {PREAMP_TUBE, 2}, {PREAMP_CLEAN, 1}};
	setup(&p, fs, PREAMP_CLEAN, 0.0f, 1);
	tu_sine(in_buf, n, 0.25, 1000.0, fs, 0.0);
	for (size_t k = 0; k < 7; k++) {
		preamp_set_model(&p, steps[k].model);
		preamp_set_oversample(&p, steps[k].os);
		tu_run_blocks(pre_fn, &p, in_buf + k * seg, out_buf + k * seg, seg, 64);
	}
	for (size_t k = 1; k < 7; k++) {
		double before = hf_db(out_buf, k * seg - 4800, k * seg - 960, fs, 96);
		double after = hf_db(out_buf, (k + 1) * seg - 4800, (k + 1) * seg - 960, fs, 96);
		double at = hf_db(out_buf, k * seg, k * seg + 960, fs, 96);
		double floor = before > after ? before : after;
		floor = floor > -85.0 ? floor : -85.0; /* a 24-bit tone's own floor */
		printf("switch to model %d oversample %d: above 8 kHz %.1f dBFS (steady %.1f / "
		       "%.1f)\n", steps[k].model, steps[k].os, at, before, after);
		ck_assert(at <= floor + 10.0);
	}
}
END_TEST

/* The tube's knee follows the drive: a drive glide from 6 to 30 dB under a -12 dBFS 100 Hz
 * tone keeps its energy above 8 kHz within 10 dB of the steady tone's on either side (or of
 * -85 dBFS). A knee that moved once per 64-sample grid step reached -71.3 dBFS here. */
START_TEST(drive_glide_does_not_click)
{
	static struct preamp p;
	const float fs = 48000.0f;
	const size_t n = 96000;
	setup(&p, fs, PREAMP_TUBE, 6.0f, 1);
	tu_sine(in_buf, n, 0.25, 100.0, fs, 0.0);
	tu_run_blocks(pre_fn, &p, in_buf, out_buf, n / 2, 64);
	preamp_set_drive_db(&p, 30.0f);
	tu_run_blocks(pre_fn, &p, in_buf + n / 2, out_buf + n / 2, n / 2, 64);
	double before = hf_db(out_buf, 38000, 47000, fs, 96);
	double glide = hf_db(out_buf, 48000, 50000, fs, 96);
	double after = hf_db(out_buf, 86000, 95000, fs, 96);
	double floor = fmax(fmax(before, after), -85.0);
	printf("tube drive 6 -> 30 dB at 100 Hz: above 8 kHz %.1f dBFS (steady %.1f / %.1f)\n", glide,
	       before, after);
	ck_assert(glide <= floor + 10.0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quality-pre");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, default_curve_is_flat);
	tcase_add_test(tc, oversampled_curve_is_flat);
	tcase_add_test(tc, default_curve_aliasing);
	tcase_add_test(tc, latency_is_small_and_true);
	tcase_add_test(tc, drive_keeps_loudness);
	tcase_add_test(tc, harmonic_profiles);
	tcase_add_test(tc, switches_do_not_click);
	tcase_add_test(tc, drive_glide_does_not_click);
	suite_add_tcase(s, tc);
	return tu_run_suite(s);
}
