/* Low sample rates (8, 11.025 and 16 kHz: telephone, VoIP and field recorders) against closed
 * forms: every rate is accepted down to DSP_FS_MIN, the low cut's response is the bilinear
 * Butterworth's, the de-esser's band stays below Nyquist, the compressor's and gate's time
 * constants and the RMS meter's integration time hold in milliseconds, the true peak of an
 * fs/4 sine is found between its samples, and oversampled saturation leaves no aliases. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "deess.h"
#include "meter.h"
#include "strip.h"
#include "testutil.h"

static const float low_rates[] = {8000.0f, 11025.0f, 16000.0f};
#define NRATES (sizeof(low_rates) / sizeof(low_rates[0]))

static struct strip *strip_new(float fs)
{
	struct strip *s = NULL;
	ck_assert_int_eq(posix_memalign((void **)&s, 64, sizeof(*s)), 0);
	ck_assert_int_eq(strip_init(s, fs, NULL), 0);
	return s;
}

/* Settings take effect from the first sample (no glides), as engine_apply does. */
static void strip_setup(struct strip *s, const enum param_id *id, const float *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		strip_set_param(s, id[i], v[i]);
	strip_reset(s);
}

/* Amplitude of a sine of amp at f through the strip: 2 s in, the last second measured
 * (a whole number of cycles for an integer f). */
static double strip_sine_gain(struct strip *s, double f, double amp)
{
	float fs = s->fs;
	size_t n = (size_t)(2.0f * fs), m = (size_t)fs;
	float *x = malloc(n * sizeof(float));
	ck_assert_ptr_nonnull(x);
	tu_sine(x, n, amp, f, fs, 0.0);
	strip_process(s, x, x, (uint32_t)n);
	double a = tu_tone_amp(x + n - m, m, f, fs) / amp;
	free(x);
	return a;
}

START_TEST(rates_accepted_down_to_8k)
{
	struct strip *s = NULL;
	struct meter m;
	ck_assert_int_eq(posix_memalign((void **)&s, 64, sizeof(*s)), 0);
	ck_assert_float_eq(DSP_FS_MIN, 8000.0f);
	for (unsigned r = 0; r < NRATES; r++) {
		ck_assert_int_eq(strip_init(s, low_rates[r], NULL), 0);
		ck_assert_int_eq(meter_init(&m, low_rates[r]), 0);
	}
	ck_assert_int_lt(strip_init(s, 7999.0f, NULL), 0);
	ck_assert_int_lt(meter_init(&m, 4000.0f), 0);
	free(s);
}
END_TEST

/* The low cut is RBJ's Butterworth high-pass through the bilinear transform, so at f its gain
 * is r^2 / sqrt(1 + r^4) with r = tan(pi f / fs) / tan(pi fc / fs): -3.01 dB at fc exactly. */
START_TEST(low_cut_is_bilinear_butterworth)
{
	static const float corners[] = {100.0f, 500.0f};
	static const double ratios[] = {0.5, 1.0, 2.0};
	for (unsigned r = 0; r < NRATES; r++)
		for (unsigned c = 0; c < 2; c++)
			for (unsigned k = 0; k < 3; k++) {
				float fs = low_rates[r], fc = corners[c];
				double f = fc * ratios[k];
				struct strip *s = strip_new(fs);
				enum param_id id = P_PRE_HPF;
				strip_setup(s, &id, &fc, 1);
				double g = strip_sine_gain(s, f, 0.25);
				double q = tan(M_PI * f / fs) / tan(M_PI * fc / fs);
				double want = q * q / sqrt(1.0 + q * q * q * q);
				printf("fs %5.0f low cut %3.0f Hz at %6.1f Hz: %+.4f dB "
				       "(closed form %+.4f)\n",
				       (double)fs, (double)fc, f, tu_db(g), tu_db(want));
				ck_assert_double_eq_tol(tu_db(g), tu_db(want), 0.02);
				free(s);
			}
}
END_TEST

/* Listen outputs sc = BP2(HP8(in)) (deess.h): at the band centre the band-pass is 0 dB and
 * the crossover's high band w^8 / (1 + w^8), w = tan(pi fc/fs) / tan(pi fx/fs). deess.freq 6 kHz (the default) and 12 kHz (the top) at
 * low rates put the centre at DEESS_FREQ_MAX_FS * fs, where the band still fits below
 * Nyquist; at 44.1 kHz 12 kHz stays 12 kHz. */
START_TEST(deess_band_below_nyquist)
{
	static const float rates[] = {8000.0f, 11025.0f, 16000.0f, 44100.0f};
	static const float freqs[] = {6000.0f, 12000.0f};
	const enum param_id id[] = {P_DEESS_ENABLE, P_DEESS_LISTEN, P_DEESS_FREQ};
	for (unsigned r = 0; r < 4; r++)
		for (unsigned k = 0; k < 2; k++) {
			float fs = rates[r], want_hz = fminf(freqs[k], DEESS_FREQ_MAX_FS * fs);
			float v[] = {1.0f, 1.0f, freqs[k]};
			struct strip *s = strip_new(fs);
			strip_setup(s, id, v, 3);
			/* a whole number of cycles in fs samples */
			double f = round(want_hz);
			double g = tu_db(strip_sine_gain(s, f, 0.1));
			printf("fs %5.0f deess.freq %5.0f: band centre %6.0f Hz, listen gain "
			       "%+.3f dB there\n",
			       (double)fs, (double)freqs[k], f, g);
			ck_assert(want_hz < 0.5f * fs / 1.618f || fs > 40000.0f);
			double w = tan(M_PI * f / fs) / tan(M_PI * f * DEESS_SPLIT_RATIO / fs);
			double want_db = tu_db(pow(w, 8.0) / (1.0 + pow(w, 8.0)));
			ck_assert_double_eq_tol(g, want_db, 0.05);
			free(s);
		}
}
END_TEST

/* DC steps through the strip (clean preamp: unity), so out/in is the stage's gain. The gain in
 * dB covers 1 - 1/e of its change after tau (a one-pole in dB, alpha = exp(-1 / (tau fs))).
 * Returns the measured tau in ms. */
static double step_tau_ms(struct strip *s, float lo, float hi, double *change_db)
{
	float fs = s->fs;
	size_t n = (size_t)(2.0f * fs), step = n / 2;
	float *in = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
	ck_assert(in && out);
	for (size_t i = 0; i < n; i++)
		in[i] = i < step ? lo : hi;
	strip_process(s, in, out, (uint32_t)n);
	double g0 = tu_db(out[step - 1] / in[step - 1]), g1 = tu_db(out[n - 1] / in[n - 1]);
	size_t k = step;
	while (k < n && fabs(tu_db(out[k] / in[k]) - g0) < (1.0 - exp(-1.0)) * fabs(g1 - g0))
		k++;
	*change_db = fabs(g1 - g0);
	free(in);
	free(out);
	return (double)(k - step + 1) * 1000.0 / fs;
}

/* Compressor: threshold -40, ratio 4, hard knee; -30 -> -10 -> -30 dBFS moves the gain by
 * 15 dB with tau = attack (10 ms), then release (100 ms). Gate: closed by -50 dBFS, opened by
 * -20 dBFS with tau = attack (5 ms) over its 40 dB range. One sample of resolution. */
START_TEST(time_constants_in_ms)
{
	const float lo = powf(10.0f, -30.0f / 20.0f), hi = powf(10.0f, -10.0f / 20.0f);
	const enum param_id cid[] = {P_COMP_ENABLE, P_COMP_THRESHOLD, P_COMP_RATIO, P_COMP_KNEE,
				     P_COMP_ATTACK, P_COMP_RELEASE};
	const float cv[] = {1, -40, 4, 0, 10, 100};
	const enum param_id gid[] = {P_GATE_ENABLE, P_GATE_THRESHOLD, P_GATE_RANGE, P_GATE_ATTACK,
				     P_GATE_HOLD};
	const float gv[] = {1, -40, 40, 5, 0};
	for (unsigned r = 0; r < NRATES; r++) {
		float fs = low_rates[r];
		double tol_ms = 1000.0 / fs, change;
		for (int dir = 0; dir < 2; dir++) {
			struct strip *s = strip_new(fs);
			strip_setup(s, cid, cv, 6);
			double t = dir ? step_tau_ms(s, hi, lo, &change)
				       : step_tau_ms(s, lo, hi, &change);
			double want = dir ? 100.0 : 10.0;
			printf("fs %5.0f comp %s: %.2f dB, tau %.3f ms (want %.0f)\n", (double)fs,
			       dir ? "release" : "attack", change, t, want);
			ck_assert_double_eq_tol(change, 15.0, 0.02);
			ck_assert_double_eq_tol(t, want, 0.01 * want + tol_ms);
			free(s);
		}
		struct strip *s = strip_new(fs);
		strip_setup(s, gid, gv, 5);
		double t = step_tau_ms(s, powf(10.0f, -2.5f), powf(10.0f, -1.0f), &change);
		printf("fs %5.0f gate attack: %.2f dB, tau %.3f ms (want 5)\n", (double)fs, change,
		       t);
		ck_assert_double_eq_tol(change, 40.0, 0.05);
		ck_assert_double_eq_tol(t, 5.0, 0.05 + tol_ms);
		free(s);
	}
}
END_TEST

/* The RMS meter: a 1 kHz sine of amplitude 0.3 reads 0.3/sqrt(2) and reaches 99 % of it
 * after 300 ms (the VU integration time); an fs/4 sine at 45 degrees has its samples at -3.01
 * dBFS and its true peak at 0 dBTP. */
START_TEST(meters_at_low_rates)
{
	for (unsigned r = 0; r < NRATES; r++) {
		float fs = low_rates[r];
		size_t n = (size_t)(1.5f * fs), chunk = 16;
		float *x = malloc(n * sizeof(float));
		struct meter m;
		struct meter_snapshot snap;
		double t99 = -1.0, last = 0.0;
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(meter_init(&m, fs), 0);
		tu_sine(x, n, 0.3, 1000.0, fs, 0.0);
		/* the time to 99 % of the final RMS, read after the whole run */
		float *rms = malloc((n / chunk + 1) * sizeof(float));
		size_t k = 0;
		for (size_t i = 0; i + chunk <= n; i += chunk, k++) {
			meter_input(&m, x + i, (uint32_t)chunk);
			meter_take(&m, &snap);
			rms[k] = sqrtf(snap.in_ms);
		}
		last = rms[k - 1];
		for (size_t j = 0; j < k && t99 < 0.0; j++)
			if (rms[j] >= 0.99 * last)
				t99 = (double)((j + 1) * chunk) / fs;
		free(rms);
		printf("fs %5.0f RMS %.5f (want %.5f), 99 %% after %.1f ms\n", (double)fs, last,
		       0.3 / sqrt(2.0), t99 * 1e3);
		ck_assert_double_eq_tol(last, 0.3 / sqrt(2.0), 0.3 / sqrt(2.0) * 0.005);
		ck_assert_double_eq_tol(t99, 0.300, 0.030);

		struct meter_hold h;
		float f[MF_COUNT];
		meter_hold_reset(&h);
		meter_reset(&m);
		tu_sine(x, n, 1.0, fs / 4.0, fs, M_PI / 4.0);
		for (size_t i = 0; i + 64 <= n; i += 64)
			meter_input(&m, x + i, 64);
		meter_take(&m, &snap);
		meter_hold_update(&h, &snap);
		meter_fields(&snap, &h, 18.0f, f);
		printf("fs %5.0f fs/4 sine at 45 deg: peak %.3f dBFS, true peak %.3f dBTP\n",
		       (double)fs, (double)f[MF_IN_PEAK_DBFS], (double)f[MF_IN_TRUE_PEAK_DBTP]);
		ck_assert_double_eq_tol(f[MF_IN_PEAK_DBFS], -3.0103, 0.01);
		ck_assert_double_eq_tol(f[MF_IN_TRUE_PEAK_DBTP], 0.0, 0.2);
		free(x);
	}
}
END_TEST

/* Saturation at 16 kHz: the odd harmonics of a 3 kHz sine (9, 15, 21 ... kHz) all lie above
 * Nyquist, so a correct oversampler removes them and nothing may appear at their aliases
 * (7, 1, 5 kHz). Small signals keep their level and the latency is the rate-free figure. */
START_TEST(oversampled_saturation_without_aliases)
{
	const float fs = 16000.0f;
	const enum param_id id[] = {P_PRE_MODEL, P_PRE_DRIVE, P_PRE_OVERSAMPLE};
	static const double aliases[] = {1000.0, 5000.0, 7000.0};
	for (int os = 1; os <= 8; os *= 2) {
		struct strip *s = strip_new(fs);
		const float v[] = {2.0f /* transformer */, 18.0f, (float)os};
		strip_setup(s, id, v, 3);
		size_t n = 2 * (size_t)fs, m = (size_t)fs;
		float *x = malloc(n * sizeof(float));
		ck_assert_ptr_nonnull(x);
		tu_sine(x, n, 0.5, 3000.0, fs, 0.0);
		strip_process(s, x, x, (uint32_t)n);
		double fund = tu_tone_amp(x + n - m, m, 3000.0, fs), worst = 0.0;
		for (int a = 0; a < 3; a++)
			worst = fmax(worst, tu_tone_amp(x + n - m, m, aliases[a], fs));
		fflush(stdout);
		printf("fs 16000 oversample %d: worst alias %.1f dB below the fundamental, "
		       "latency %u\n",
		       os, tu_db(fund / worst), strip_latency_samples(s));
		if (os == 8)
			ck_assert_msg(tu_db(fund / worst) > 60.0, "aliases at %.1f dB",
				      -tu_db(fund / worst));
		free(x);
		free(s);
		/* a quiet sine (-40 dBFS) is inside the curve's linear part: level kept, but for
		 * ADAA's roll-off at the curve's rate (cos(pi f / (os fs)): -0.17 dB at os 1) */
		if (os == 1)
			continue;
		s = strip_new(fs);
		strip_setup(s, id, (const float[]){2.0f, 0.0f, (float)os}, 3);
		double g = tu_db(strip_sine_gain(s, 1000.0, 0.01));
		ck_assert_msg(fabs(g) < 0.1, "oversample %d: 1 kHz at %+.3f dB", os, g);
		free(s);
	}
}
END_TEST

static Suite *lowrate_suite(void)
{
	Suite *s = suite_create("lowrate");
	TCase *tc = tcase_create("lowrate");
	tcase_add_test(tc, rates_accepted_down_to_8k);
	tcase_add_test(tc, low_cut_is_bilinear_butterworth);
	tcase_add_test(tc, deess_band_below_nyquist);
	tcase_add_test(tc, time_constants_in_ms);
	tcase_add_test(tc, meters_at_low_rates);
	tcase_add_test(tc, oversampled_saturation_without_aliases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return tu_run_suite(lowrate_suite()); }
