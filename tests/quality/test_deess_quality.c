/* De-esser sound quality, measured as an engineer would: on a voice of harmonics with a
 * sibilant noise burst between them in frequency, what the sibilant band loses, what the
 * voice body keeps and what the meter says; where listen peaks; how flat the split sums at
 * no reduction; and whether moving deess.freq while it reduces clicks. Levels of the test
 * signals' components are read by single-bin DFTs over whole cycles of all of them, so each
 * is measured apart from the others. */
#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biquad.h"
#include "deess.h"
#include "strip.h"
#include "testutil.h"

#define NMAX (192000 + 1)

static float in_buf[NMAX], out_buf[NMAX], tmp_buf[NMAX];

static void deess_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	deess_process(ctx, in, out, n);
}

/* The voice: harmonics of 150 Hz at 0.1/n up to 3 kHz (the body). The sibilance: components
 * every 20 Hz from 5 to 10 kHz, equal and random in phase (band-limited white noise),
 * 0.005 each (-22 dBFS RMS in all). Every component has whole cycles in any multiple of
 * 100 ms. */
#define F0_HZ 150.0
#define N_HARM 20
#define SIB_LO_HZ 5000.0
#define SIB_STEP_HZ 20.0
#define N_SIB 251
#define SIB_AMP 0.005

static void voice(float *x, size_t n, double fs)
{
	for (size_t i = 0; i < n; i++)
		x[i] = 0.0f;
	for (int h = 1; h <= N_HARM; h++) {
		double w = 2.0 * M_PI * F0_HZ * h / fs, ph = 0.7 * h * h;
		for (size_t i = 0; i < n; i++)
			x[i] += (float)(0.1 / h * sin(w * (double)i + ph));
	}
}

/* The sibilance from a to b, faded in and out over 5 ms, added to x. */
static void sibilance(float *x, size_t n, double fs, size_t a, size_t b)
{
	uint32_t r = 12345;
	size_t fade = (size_t)(0.005 * fs);
	for (size_t i = 0; i < n; i++)
		tmp_buf[i] = 0.0f;
	for (int k = 0; k < N_SIB; k++) {
		double w = 2.0 * M_PI * (SIB_LO_HZ + SIB_STEP_HZ * k) / fs;
		double ph = tu_uniform(&r, 0.0f, 6.2831853f);
		for (size_t i = a; i < b; i++)
			tmp_buf[i] += (float)(SIB_AMP * sin(w * (double)i + ph));
	}
	for (size_t i = a; i < b; i++) {
		double e = fmin((double)(i - a), (double)(b - 1 - i)) / (double)fade;
		double env = e >= 1.0 ? 1.0 : 0.5 - 0.5 * cos(M_PI * e);
		x[i] += (float)(env * tmp_buf[i]);
	}
}

/* Sum of the squared amplitudes of the components at f0 + k step, k < count. */
static double comb_energy(const float *x, size_t n, double fs, double f0, double step, int count)
{
	double e = 0.0;
	for (int k = 0; k < count; k++) {
		double a = tu_tone_amp(x, n, f0 + step * k, fs);
		e += a * a;
	}
	return e;
}

/* Range 12 dB, threshold -50 dBFS (the burst is far over it, the voice's top under it),
 * freq 6 kHz: the sibilant band (5-10 kHz) falls at least 10 dB, the voice body below
 * 3 kHz moves at most 0.1 dB, the meter reads within 1 dB of the band's measured loss.
 * Measured over 0.4-0.7 s, well inside the burst (0.3-0.8 s). */
START_TEST(sibilant_band_takes_the_range)
{
	static const float rates[] = {44100.0f, 48000.0f, 96000.0f};
	static struct deess d;
	const float fs = rates[_i];
	const size_t n = (size_t)(0.9 * fs), a = (size_t)(0.4 * fs), m = (size_t)(0.3 * fs);
	voice(in_buf, n, fs);
	sibilance(in_buf, n, fs, (size_t)(0.3 * fs), (size_t)(0.8 * fs));
	ck_assert_int_eq(stage_init_defaults(&deess_stage, &d, fs), 0);
	deess_set_enable(&d, 1);
	deess_set_threshold_db(&d, -50.0f);
	deess_set_range_db(&d, 12.0f);
	deess_set_freq_hz(&d, 6000.0f);
	deess_reset(&d);
	tu_run_blocks(deess_fn, &d, in_buf, out_buf, a, 64);
	d.min_gain = 1.0f; /* the meter's reading from here */
	tu_run_blocks(deess_fn, &d, in_buf + a, out_buf + a, n - a, 64);
	double meter = -tu_db(d.min_gain);
	float *x = in_buf + a, *y = out_buf + a;
	double band = 10.0 * log10(comb_energy(y, m, fs, SIB_LO_HZ, SIB_STEP_HZ, N_SIB) /
				   comb_energy(x, m, fs, SIB_LO_HZ, SIB_STEP_HZ, N_SIB));
	double body = 10.0 * log10(comb_energy(y, m, fs, F0_HZ, F0_HZ, N_HARM) /
				   comb_energy(x, m, fs, F0_HZ, F0_HZ, N_HARM));
	double top = tu_db(tu_tone_amp(y, m, 3000.0, fs) / tu_tone_amp(x, m, 3000.0, fs));
	printf("deess fs %.0f, freq 6 kHz, range 12: sibilant band 5-10 kHz %+.2f dB, voice body "
	       "< 3 kHz %+.4f dB (3 kHz harmonic %+.3f dB), meter %.2f dB\n", (double)fs, band,
	       body, top, meter);
	ck_assert(band <= -10.0);
	ck_assert(fabs(body) <= 0.1);
	ck_assert(fabs(meter + band) <= 1.0);
}
END_TEST

/* |H| at f of an impulse response h[0..n). */
static double ir_mag(const float *h, size_t n, double f, double fs)
{
	double complex acc = 0.0;
	double w = -2.0 * M_PI * f / fs;
	for (size_t i = 0; i < n; i++)
		acc += h[i] * cexp(I * w * (double)i);
	return cabs(acc);
}

/* The impulse response of the de-esser (range 0: no reduction) with listen on or off. */
static size_t impulse(struct deess *d, float fs, float freq, int listen)
{
	size_t n = (size_t)(0.1 * fs);
	ck_assert_int_eq(stage_init_defaults(&deess_stage, d, fs), 0);
	deess_set_enable(d, 1);
	deess_set_range_db(d, 0.0f);
	deess_set_freq_hz(d, freq);
	deess_set_listen(d, listen);
	deess_reset(d);
	memset(in_buf, 0, n * sizeof(float));
	in_buf[0] = 1.0f;
	tu_run_blocks(deess_fn, d, in_buf, out_buf, n, 64);
	return n;
}

/* Listen peaks within 5 % of deess.freq (as clamped below Nyquist, DEESS_FREQ_MAX_FS), from
 * 8 to 192 kHz: its response read off the impulse response in 0.25 % steps. */
START_TEST(listen_peaks_at_freq)
{
	static const float rates[] = {8000.0f, 16000.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f};
	static const float freqs[] = {2000.0f, 4000.0f, 6000.0f, 9000.0f, 12000.0f};
	static struct deess d;
	double worst = 0.0;
	for (unsigned r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		for (unsigned k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++) {
			float fs = rates[r], fc = fminf(freqs[k], DEESS_FREQ_MAX_FS * fs);
			size_t n = impulse(&d, fs, freqs[k], 1);
			double best = 0.0, best_f = 0.0;
			for (double t = 0.7; t <= 1.4; t += 0.0025) {
				double g = ir_mag(out_buf, n, fc * t, fs);
				if (g > best)
					best = g, best_f = fc * t;
			}
			double off = best_f / fc - 1.0;
			worst = fmax(worst, fabs(off));
			ck_assert_msg(fabs(off) <= 0.05, "fs %.0f freq %.0f: listen peaks at %.0f Hz",
				      (double)fs, (double)freqs[k], best_f);
		}
	}
	printf("deess listen: peak within %.2f %% of the centre, 8-192 kHz, freq 2-12 kHz\n",
	       100.0 * worst);
}
END_TEST

/* At no reduction the split sums flat (an allpass): the magnitude of its impulse response
 * from 20 Hz to 20 kHz (or 0.45 fs) on a 1/12-octave grid. */
START_TEST(split_sums_flat)
{
	static const float rates[] = {8000.0f, 44100.0f, 48000.0f, 96000.0f, 192000.0f};
	static struct deess d;
	double worst = 0.0;
	for (unsigned r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
		float fs = rates[r];
		size_t n = impulse(&d, fs, 6000.0f, 0);
		for (double f = 20.0; f <= fmin(20000.0, 0.45 * fs); f *= pow(2.0, 1.0 / 12.0))
			worst = fmax(worst, fabs(tu_db(ir_mag(out_buf, n, f, fs))));
	}
	printf("deess split at 0 dB reduction: 20 Hz-20 kHz flat within %.6f dB (8-192 kHz)\n",
	       worst);
	ck_assert(worst < 0.01);
}
END_TEST

/* deess.freq moved while reducing: a -12 dBFS 1 kHz tone plus the sibilance (0.2-1.2 s),
 * threshold -50 dBFS, through the strip; freq goes 4, 5, 6, 7, 8, 9 kHz by strip_set_param
 * every 100 ms from 0.4 s. Neither input has anything above 10 kHz, and a steady de-esser
 * adds little there; a coefficient jump is a step in the filters' state, a broadband
 * transient. So the click is the energy above 14 kHz (a 16th-order Butterworth high-pass
 * of the output) in 2 ms windows: each change's loudest window against the floor, the
 * median of the windows of the reducing stretch before the first change (0.25-0.4 s). The
 * criterion: within 10 dB of that floor, or under -100 dBFS. Run once more with the glide
 * cut to one step (the coefficients jump, as before the glide): that run must fail the
 * criterion, so the test can tell. */
#define CLICK_HZ 14000.0

static double click_excess_db(int jump, double *floor_db, double *worst_db)
{
	static struct strip s;
	const float fs = 48000.0f;
	const size_t n = (size_t)(1.05 * fs), win = (size_t)(0.002 * fs);
	tu_sine(in_buf, n, pow(10.0, -12.0 / 20.0), 1000.0, fs, 0.0);
	sibilance(in_buf, n, fs, (size_t)(0.2 * fs), (size_t)(1.2 * fs));
	ck_assert_int_eq(strip_init(&s, fs, strip_simd_select(0)), 0);
	strip_set_param(&s, P_DEESS_ENABLE, 1.0f);
	strip_set_param(&s, P_DEESS_THRESHOLD, -50.0f);
	strip_set_param(&s, P_DEESS_FREQ, 4000.0f);
	if (jump)
		s.st.deess.glide_k = 1.0f;
	for (size_t i = 0; i < n; i += 64) {
		size_t k = i / (size_t)(0.1 * fs);
		if (i % (size_t)(0.1 * fs) < 64 && k >= 4 && k <= 8)
			strip_set_param(&s, P_DEESS_FREQ, 1000.0f * (float)(k + 1));
		strip_process(&s, in_buf + i, out_buf + i, (uint32_t)(n - i < 64 ? n - i : 64));
	}
	/* 16th-order Butterworth: the sibilance's top (10 kHz) 73 dB down */
	struct biquad_coef hp[8];
	struct biquad_state st[8] = {{0}};
	for (int k = 0; k < 8; k++)
		biquad_design(&hp[k], BQ_HIGHPASS, fs, CLICK_HZ,
			      1.0 / (2.0 * sin((2 * k + 1) * M_PI / 32.0)), 0.0);
	for (size_t i = 0; i < n; i++) {
		float v = out_buf[i];
		for (int k = 0; k < 8; k++)
			v = biquad_tick(&hp[k], &st[k], v);
		tmp_buf[i] = v;
	}
	size_t nw = n / win;
	double *lv = malloc(nw * sizeof(double));
	ck_assert(lv != NULL);
	for (size_t w = 0; w < nw; w++) {
		double e = 0.0;
		for (size_t i = w * win; i < (w + 1) * win; i++)
			e += (double)tmp_buf[i] * tmp_buf[i];
		lv[w] = 10.0 * log10(e / (double)win + 1e-30);
	}
	/* the floor: median of 0.25-0.4 s (a small sort) */
	size_t f0 = (size_t)(0.25 * fs) / win, f1 = (size_t)(0.4 * fs) / win;
	double fl[128];
	size_t nf = 0;
	for (size_t w = f0; w < f1 && nf < 128; w++)
		fl[nf++] = lv[w];
	for (size_t i = 1; i < nf; i++)
		for (size_t j = i; j > 0 && fl[j - 1] > fl[j]; j--) {
			double t = fl[j];
			fl[j] = fl[j - 1], fl[j - 1] = t;
		}
	*floor_db = fl[nf / 2];
	*worst_db = -400.0;
	for (size_t w = f1; w < nw; w++)
		*worst_db = fmax(*worst_db, lv[w]);
	free(lv);
	double limit = fmax(*floor_db + 10.0, -100.0);
	return *worst_db - limit;
}

START_TEST(freq_change_does_not_click)
{
	double floor_g, worst_g, floor_j, worst_j;
	double glide = click_excess_db(0, &floor_g, &worst_g);
	double jump = click_excess_db(1, &floor_j, &worst_j);
	printf("deess.freq 4 -> 9 kHz while reducing, energy above 14 kHz: glide loudest 2 ms "
	       "%.1f dBFS (floor %.1f), coefficient jumps %.1f dBFS (floor %.1f)\n", worst_g,
	       floor_g, worst_j, floor_j);
	fflush(stdout);
	ck_assert_msg(glide <= 0.0, "the glide clicks: %.1f dB over the limit", glide);
	ck_assert_msg(jump > 0.0, "the jump run passes too: the criterion cannot tell");
}
END_TEST

/* Gliding from end to end of deess.freq at the lowest and highest rates while reducing hard:
 * every output finite and bounded (the filters stay stable at every step). */
START_TEST(glide_stable_at_every_rate)
{
	static const float rates[] = {8000.0f, 11025.0f, 192000.0f};
	static struct deess d;
	float fs = rates[_i];
	size_t n = (size_t)(0.6 * fs);
	tu_noise(in_buf, n, 0.5, 9);
	ck_assert_int_eq(stage_init_defaults(&deess_stage, &d, fs), 0);
	deess_set_enable(&d, 1);
	deess_set_threshold_db(&d, -60.0f);
	deess_set_range_db(&d, 24.0f);
	deess_reset(&d);
	for (size_t i = 0; i < n; i += 64) {
		if (i % (size_t)(0.05 * fs) < 64)
			deess_set_freq_hz(&d, (i / (size_t)(0.05 * fs)) % 2 ? 12000.0f : 2000.0f);
		deess_process(&d, in_buf + i, out_buf + i, (uint32_t)(n - i < 64 ? n - i : 64));
	}
	ck_assert(!tu_bad_float(out_buf, n));
	ck_assert(tu_peak(out_buf, n) < 2.0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("deess-quality");
	TCase *tc = tcase_create("deess-quality");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, sibilant_band_takes_the_range, 0, 3);
	tcase_add_test(tc, listen_peaks_at_freq);
	tcase_add_test(tc, split_sums_flat);
	tcase_add_test(tc, freq_change_does_not_click);
	tcase_add_loop_test(tc, glide_stable_at_every_rate, 0, 3);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
