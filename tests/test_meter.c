/* Meters against closed forms (sines of known level, a step, known clip patterns) and
 * against an independent implementation (libebur128's true peak, a test oracle only). */
#include <check.h>
#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "meter.h"
#include "testutil.h"
#include "truepeak.h"

#define FS 48000.0f

/* Feed in[] to the meter input (and output, same signal) in chunks of `chunk` samples. */
static void feed(struct meter *m, const float *in, size_t n, uint32_t chunk)
{
	while (n > 0) {
		uint32_t k = n < chunk ? (uint32_t)n : chunk;
		meter_input(m, in, k);
		meter_output(m, in, k);
		in += k;
		n -= k;
	}
}

static void fields_of(struct meter *m, struct meter_hold *h, float cal, float f[MF_COUNT])
{
	struct meter_snapshot s;
	meter_take(m, &s);
	meter_hold_update(h, &s);
	meter_fields(&s, h, cal, f);
}

static void assert_all_finite(const float f[MF_COUNT])
{
	for (int i = 0; i < MF_COUNT; i++)
		ck_assert_msg(isfinite(f[i]), "%s = %g", meter_field_names[i], (double)f[i]);
}

/* --- calibration: AES17 dBFS, dBu, dBV ------------------------------------------------- */

static void sine_fields(double amp, float cal, float f[MF_COUNT])
{
	static float buf[48000];
	struct meter m;
	struct meter_hold h;
	ck_assert_int_eq(meter_init(&m, FS), 0);
	meter_hold_reset(&h);
	tu_sine(buf, 48000, amp, 1000.0, FS, 0.0);
	feed(&m, buf, 48000, 64); /* 1 s = 13 time constants */
	fields_of(&m, &h, cal, f);
	assert_all_finite(f);
}

START_TEST(calibration_dbu_dbv)
{
	float f[MF_COUNT];
	double a = pow(10.0, -18.0 / 20.0);
	sine_fields(a, 18.0f, f);
	printf("cal: -18 dBFS peak sine, cal 18: %.4f dBFS %.4f dBu %.4f dBV\n",
	       (double)f[MF_IN_RMS_DBFS], (double)f[MF_IN_DBU], (double)f[MF_IN_DBV]);
	ck_assert_double_eq_tol(f[MF_IN_DBU], 0.0, 0.05);
	ck_assert_double_eq_tol(f[MF_IN_DBV], -2.22, 0.05);
	ck_assert_double_eq_tol(f[MF_OUT_RMS_DBFS], -18.0, 0.05);
	sine_fields(a, 24.0f, f);
	printf("cal: -18 dBFS peak sine, cal 24: %.4f dBu\n", (double)f[MF_IN_DBU]);
	ck_assert_double_eq_tol(f[MF_IN_DBU], 6.0, 0.05);
	sine_fields(1.0, 18.0f, f);
	printf("cal: full-scale sine: %.4f dBFS RMS, peak %.4f dBFS\n", (double)f[MF_IN_RMS_DBFS],
	       (double)f[MF_IN_PEAK_DBFS]);
	ck_assert_double_eq_tol(f[MF_IN_RMS_DBFS], 0.0, 0.02);
	ck_assert_double_eq_tol(f[MF_OUT_RMS_DBFS], 0.0, 0.02);
	ck_assert_double_eq_tol(f[MF_IN_PEAK_DBFS], 0.0, 1e-4);
}
END_TEST

/* --- true peak -------------------------------------------------------------------------- */

START_TEST(fs4_sine_at_45_degrees)
{
	/* samples at +-sqrt(1/2) while the waveform between them reaches 1.0 */
	static float buf[4800];
	struct meter m;
	struct meter_hold h;
	float f[MF_COUNT];
	ck_assert_int_eq(meter_init(&m, FS), 0);
	meter_hold_reset(&h);
	tu_sine(buf, 4800, 1.0, FS / 4.0, FS, M_PI / 4.0);
	feed(&m, buf, 4800, 64);
	fields_of(&m, &h, 18.0f, f);
	printf("fs/4 sine at 45 deg: sample peak %.4f dBFS, true peak %.4f dBTP, headroom %.4f "
	       "dB, held %.4f dB\n",
	       (double)f[MF_IN_PEAK_DBFS], (double)f[MF_IN_TRUE_PEAK_DBTP],
	       (double)f[MF_HEADROOM_DB], (double)meter_headroom_held_db(&h));
	ck_assert_double_eq_tol(f[MF_IN_PEAK_DBFS], -3.0103, 0.01);
	ck_assert_double_eq_tol(f[MF_IN_TRUE_PEAK_DBTP], 0.0, 0.2);
	ck_assert_float_eq(f[MF_HEADROOM_DB], -f[MF_IN_TRUE_PEAK_DBTP]);
	ck_assert_float_eq(meter_headroom_held_db(&h), f[MF_HEADROOM_DB]);
}
END_TEST

/* The four-phase sum/difference kernel equals the Recommendation's direct form, skipping
 * never changes the running maximum, and every kernel variant gives the same bits. */
static void tp_run(int use_simd, float *out, size_t *count)
{
	const struct dsp_arch *arch = dsp_arch_select(!use_simd);
	static float buf[48000];
	static struct truepeak a, b, c;
	float ma = 0.0f, mskip = 0.0f;
	size_t k = 0;
	printf("true-peak kernel: %s\n", arch->name);
	tu_noise(buf, 48000, 1.0, 11);
	for (size_t i = 0; i < 48000; i += 1000) /* some quiet stretches so the skip happens */
		for (size_t j = i; j < i + 400; j++)
			buf[j] *= 0.01f;
	truepeak_reset(&a);
	truepeak_reset(&b);
	truepeak_reset(&c);
	for (size_t i = 0; i < 48000;) {
		uint32_t n = 1 + (uint32_t)((i * 7919u) % DSP_MAX_CHUNK);
		if (i + n > 48000)
			n = (uint32_t)(48000 - i);
		float p = (float)tu_peak(buf + i, n);
		float ya = truepeak_process(&a, buf + i, n, p, 0.0f, arch);
		float yb = truepeak_process_ref(&b, buf + i, n);
		ck_assert_msg(fabsf(ya - yb) <= 2e-6f * (1.0f + yb), "at %zu: %g vs %g", i,
			      (double)ya, (double)yb);
		ma = fmaxf(ma, ya);
		mskip = fmaxf(mskip, truepeak_process(&c, buf + i, n, p, mskip, arch));
		out[k++] = ya;
		i += n;
	}
	ck_assert_float_eq(mskip, ma);
	ck_assert_float_eq(truepeak_process(&a, buf, 0, 0.0f, 0.0f, arch), 0.0f);
	*count = k;
}

START_TEST(truepeak_matches_direct_form)
{
	static float r0[48000], r1[48000];
	size_t n0, n1;
	tp_run(0, r0, &n0);
	tp_run(1, r1, &n1);
	ck_assert_uint_eq(n0, n1);
	ck_assert_int_eq(memcmp(r0, r1, n0 * sizeof(float)), 0);
}
END_TEST

static double oracle_true_peak(const float *x, size_t n, unsigned fs)
{
	double tp = -1.0;
	ebur128_state *st = ebur128_init(1, fs, EBUR128_MODE_TRUE_PEAK);
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(ebur128_add_frames_float(st, x, n), EBUR128_SUCCESS);
	ck_assert_int_eq(ebur128_true_peak(st, 0, &tp), EBUR128_SUCCESS);
	ebur128_destroy(&st);
	return tp;
}

/* Held true peak over the whole signal, metered in 50 ms periods. */
static double meter_true_peak(const float *x, size_t n, float fs, uint32_t chunk)
{
	struct meter m;
	struct meter_hold h;
	size_t period = (size_t)(fs * 0.05f);
	ck_assert_int_eq(meter_init(&m, fs), 0);
	meter_hold_reset(&h);
	for (size_t i = 0; i < n; i += period) {
		struct meter_snapshot s;
		feed(&m, x + i, n - i < period ? n - i : period, chunk);
		meter_take(&m, &s);
		meter_hold_update(&h, &s);
	}
	return h.tp_held;
}

static void compare_oracle(const char *what, const float *x, size_t n, float fs, double tol)
{
	double ref = tu_db(oracle_true_peak(x, n, (unsigned)fs));
	double got = tu_db(meter_true_peak(x, n, fs, 64));
	double got_odd = tu_db(meter_true_peak(x, n, fs, 37));
	printf("true peak %s: %.4f dBTP, libebur128 %.4f dBTP, diff %+.4f dB (sample peak %.4f)\n",
	       what, got, ref, got - ref, tu_db(tu_peak(x, n)));
	ck_assert_double_eq_tol(got, ref, tol);
	ck_assert_double_eq(got, got_odd);
}


START_TEST(true_peak_vs_libebur128_speech)
{
	size_t n = 0;
	unsigned fs = 0;
	float *x = tu_read_wav16(FIXTURE_DIR "/speech.wav", &n, &fs);
	ck_assert_msg(x != NULL, "cannot read " FIXTURE_DIR "/speech.wav");
	ck_assert_uint_gt(n, 48000);
	compare_oracle("speech.wav", x, n, (float)fs, 0.1);
	/* the same speech 6 dB hotter, so it has real inter-sample overs */
	for (size_t i = 0; i < n; i++)
		x[i] *= 2.0f;
	compare_oracle("speech.wav +6 dB", x, n, (float)fs, 0.1);
	free(x);
}
END_TEST

/* White noise through a Blackman-windowed sinc lowpass (127 taps), in double precision. */
static void lowpassed_noise(float *x, size_t n, double cutoff_hz, double fs, uint32_t seed)
{
	enum { TAPS = 127 };
	double h[TAPS], w = 2.0 * cutoff_hz / fs;
	float *wn = malloc((n + TAPS) * sizeof(float));
	ck_assert_ptr_nonnull(wn);
	tu_noise(wn, n + TAPS, 1.0, seed);
	for (int k = 0; k < TAPS; k++) {
		double m = k - (TAPS - 1) / 2.0, t = 2.0 * M_PI * k / (TAPS - 1);
		h[k] = (m == 0.0 ? w : sin(M_PI * w * m) / (M_PI * m)) *
		       (0.42 - 0.5 * cos(t) + 0.08 * cos(2.0 * t));
	}
	for (size_t i = 0; i < n; i++) {
		double y = 0.0;
		for (int k = 0; k < TAPS; k++)
			y += h[k] * wn[i + TAPS - 1 - k];
		x[i] = (float)(0.8 * y);
	}
	free(wn);
}

/* The two interpolators differ only near Nyquist: the Recommendation's filter is within
 * +-0.22 dB up to 20 kHz at 48 kHz, libebur128's 49-tap Hann-windowed sinc rolls off from
 * 18 kHz (-1.8 dB at 20 kHz, -6.5 dB at 22 kHz on its mid phase). On noise band-limited below
 * that they must agree within 0.1 dB. Full-band white noise puts its largest inter-sample
 * peaks where libebur128 under-reads, so it gets a wider bound. */
START_TEST(true_peak_vs_libebur128_noise)
{
	static float x[5 * 48000];
	size_t n = 5 * 48000;
	const uint32_t seeds[] = { 1234, 99, 7 };
	for (size_t i = 0; i < 3; i++) {
		char what[64];
		snprintf(what, sizeof(what), "noise below 16 kHz, seed %u", (unsigned)seeds[i]);
		lowpassed_noise(x, n, 16000.0, FS, seeds[i]);
		compare_oracle(what, x, n, FS, 0.1);
	}
	lowpassed_noise(x, n, 16000.0, 44100.0, 5);
	compare_oracle("noise below 16 kHz at 44.1 kHz", x, n, 44100.0f, 0.1);
	/* one-pole lowpassed (pink-ish) noise: more like programme material */
	tu_noise(x, n, 0.5, 1234);
	float z = 0.0f;
	for (size_t i = 0; i < n; i++)
		x[i] = z = 0.95f * z + 0.25f * x[i];
	compare_oracle("one-pole lowpassed noise", x, n, FS, 0.1);
	tu_noise(x, n, 0.5, 1234);
	compare_oracle("full-band white noise", x, n, FS, 0.5);
}
END_TEST

/* --- peaks are never lost, merge keeps maxima -------------------------------------------- */

START_TEST(burst_between_periods)
{
	static float sil[2400], burst[240];
	struct meter m;
	struct meter_snapshot s1, s2, s3;
	ck_assert_int_eq(meter_init(&m, FS), 0);
	tu_sine(burst, 240, 0.5, 1000.0, FS, M_PI / 2.0); /* 5 ms, starts at its peak */
	feed(&m, sil, 2400, 64);
	meter_take(&m, &s1);
	feed(&m, burst, 240, 64); /* all of it after the take */
	feed(&m, sil, 100, 64);
	meter_take(&m, &s2);
	feed(&m, sil, 2400, 64);
	meter_take(&m, &s3);
	ck_assert_float_eq(s1.in_peak, 0.0f);
	ck_assert_float_eq_tol(s2.in_peak, 0.5f, 1e-6f);
	ck_assert_float_eq_tol(s2.out_peak, 0.5f, 1e-6f);
	ck_assert_float_ge(s2.in_tp, s2.in_peak);
	ck_assert_float_eq(s3.in_peak, 0.0f);
	ck_assert_float_eq(s3.in_tp, 0.0f);

	/* a burst cut by a take shows in both periods; merging them keeps the maximum */
	feed(&m, burst, 120, 64);
	meter_take(&m, &s1);
	feed(&m, burst + 120, 120, 64);
	meter_take(&m, &s2);
	ck_assert_float_eq(s1.in_peak, (float)tu_peak(burst, 120));
	ck_assert_float_eq(s2.in_peak, (float)tu_peak(burst + 120, 120));
	s2.clips = 3;
	s2.gr_gain[METER_GR_COMP] = 0.5f;
	s1.clips = 2;
	s1.gr_gain[METER_GR_GATE] = 0.25f;
	s1.gr_gain[METER_GR_COMP] = 0.75f;
	s1.gr_gain[METER_GR_DEESS] = 1.0f;
	s2.gr_gain[METER_GR_GATE] = 1.0f;
	s2.gr_gain[METER_GR_DEESS] = 0.9f;
	struct meter_snapshot mg = s2;
	meter_snapshot_merge(&mg, &s1);
	ck_assert_float_eq(mg.in_peak, s1.in_peak);
	ck_assert_float_eq(mg.in_tp, fmaxf(s1.in_tp, s2.in_tp));
	ck_assert_float_eq(mg.out_peak, fmaxf(s1.out_peak, s2.out_peak));
	ck_assert_uint_eq(mg.clips, 5);
	ck_assert_float_eq(mg.gr_gain[METER_GR_GATE], 0.25f);
	ck_assert_float_eq(mg.gr_gain[METER_GR_COMP], 0.5f);
	ck_assert_float_eq(mg.gr_gain[METER_GR_DEESS], 0.9f);
	ck_assert_float_eq(mg.in_ms, s1.in_ms); /* the later one's integrator state */
	ck_assert_uint_eq(mg.frames, s1.frames + s2.frames);
}
END_TEST

/* --- RMS ballistics ---------------------------------------------------------------------- */

/* Time for the linear RMS to reach 99 % of its final value after a sine step. */
static double rms_t99(float fs)
{
	size_t n = (size_t)(3.0f * fs);
	float *x = malloc(n * sizeof(float));
	struct meter m;
	double final, t99 = -1.0;
	uint32_t chunk = 8;
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(meter_init(&m, fs), 0);
	tu_sine(x, n, 0.3, 1000.0, fs, 0.0);
	float *ms = malloc((n / chunk + 1) * sizeof(float));
	size_t k = 0;
	float last = 0.0f;
	for (size_t i = 0; i < n; i += chunk, k++) {
		struct meter_snapshot s;
		meter_input(&m, x + i, (uint32_t)(n - i < chunk ? n - i : chunk));
		meter_take(&m, &s);
		ms[k] = last = s.in_ms;
	}
	final = sqrt(last);
	for (size_t j = 0; j < k; j++)
		if (sqrt(ms[j]) >= 0.99 * final) {
			t99 = (double)((j + 1) * chunk) / fs;
			break;
		}
	ck_assert_double_eq_tol(final, 0.3 / sqrt(2.0), 0.3 / sqrt(2.0) * 0.005);
	free(ms);
	free(x);
	return t99;
}

START_TEST(rms_step_response)
{
	const float rates[] = { 44100.0f, 48000.0f, 96000.0f, 192000.0f };
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		double t = rms_t99(rates[i]);
		printf("RMS step: 99 %% at %.1f ms (fs %.0f)\n", t * 1e3, (double)rates[i]);
		ck_assert_double_eq_tol(t, 0.300, 0.030);
	}
}
END_TEST

/* --- clips, silence, bad input ------------------------------------------------------------ */

START_TEST(clip_counting)
{
	static float x[4000];
	struct meter m;
	struct meter_hold h;
	struct meter_snapshot s1, s2;
	float f[MF_COUNT];
	ck_assert_int_eq(meter_init(&m, FS), 0);
	meter_hold_reset(&h);
	x[10] = x[11] = x[12] = 1.0f;                  /* one run of three: 1 */
	x[100] = -1.0f;                                /* negative rail: 1 */
	x[200] = 32767.0f / 32768.0f;                  /* 16-bit positive rail: 1 */
	x[300] = 1.0f - 1.0f / 8388608.0f;             /* 24-bit positive rail: 1 */
	x[400] = 32766.0f / 32768.0f;                  /* below the rail: 0 */
	x[500] = 1.0f, x[501] = -1.0f;                 /* consecutive, either sign: 1 */
	x[600] = 2.0f, x[602] = 2.0f;                  /* two runs: 2 */
	x[700] = NAN;                                  /* invalid: 1 */
	x[800] = INFINITY, x[801] = 1.5f;              /* one run: 1 */
	for (int i = 1000; i < 1200; i++)              /* a long run across chunks: 1 */
		x[i] = 1.2f;
	feed(&m, x, 4000, 13);
	fields_of(&m, &h, 18.0f, f);
	ck_assert_float_eq(f[MF_CLIPS], 10.0f);
	ck_assert_float_eq(f[MF_IN_PEAK_DBFS], dsp_gain_to_db(2.0f)); /* Inf and NaN read as 0 */
	assert_all_finite(f);

	/* a run across a take counts once, in the period where it starts; the total holds */
	memset(x, 0, sizeof(x));
	for (int i = 90; i < 110; i++)
		x[i] = -1.0f;
	feed(&m, x, 100, 64);
	meter_take(&m, &s1);
	feed(&m, x + 100, 200, 64);
	meter_take(&m, &s2);
	ck_assert_uint_eq(s1.clips, 1);
	ck_assert_uint_eq(s2.clips, 0);
	meter_hold_update(&h, &s1);
	meter_hold_update(&h, &s2);
	meter_fields(&s2, &h, 18.0f, f);
	ck_assert_float_eq(f[MF_CLIPS], 11.0f);
	meter_hold_reset(&h);
	meter_fields(&s2, &h, 18.0f, f);
	ck_assert_float_eq(f[MF_CLIPS], 0.0f);
	ck_assert_float_eq(meter_headroom_held_db(&h), -DSP_DB_FLOOR);
}
END_TEST

START_TEST(silence_reads_floor)
{
	static float x[4800];
	struct meter m;
	struct meter_hold h;
	struct meter_snapshot s;
	float f[MF_COUNT];
	ck_assert_int_eq(meter_init(&m, FS), 0);
	meter_hold_reset(&h);
	feed(&m, x, 4800, 64);
	meter_take(&m, &s);
	for (int k = 0; k < METER_GR_COUNT; k++)
		s.gr_gain[k] = 1.0f;
	meter_hold_update(&h, &s);
	meter_fields(&s, &h, 18.0f, f);
	assert_all_finite(f);
	ck_assert_float_eq(f[MF_IN_RMS_DBFS], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_IN_DBU], DSP_DB_FLOOR + 18.0f);
	ck_assert_float_eq(f[MF_IN_PEAK_DBFS], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_IN_TRUE_PEAK_DBTP], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_HEADROOM_DB], -DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_OUT_PEAK_DBFS], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_OUT_RMS_DBFS], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_CLIPS], 0.0f);
	for (int i = MF_GATE_GR_DB; i <= MF_DEESS_GR_DB; i++) {
		ck_assert_float_eq(f[i], 0.0f);
		ck_assert_msg(!signbit(f[i]), "%s is -0.0", meter_field_names[i]);
	}
	/* a signal that fades out decays to the floor and stays there */
	tu_noise(x, 4800, 0.5, 3);
	feed(&m, x, 4800, 64);
	memset(x, 0, sizeof(x));
	for (int i = 0; i < 100; i++)
		feed(&m, x, 4800, 64); /* 10 s */
	meter_take(&m, &s);
	meter_fields(&s, &h, 18.0f, f);
	ck_assert_float_eq(f[MF_IN_RMS_DBFS], DSP_DB_FLOOR);
	ck_assert_float_eq(f[MF_OUT_RMS_DBFS], DSP_DB_FLOOR);
}
END_TEST

START_TEST(gain_reduction_fields)
{
	struct meter_snapshot s = { 0 };
	struct meter_hold h;
	float f[MF_COUNT];
	meter_hold_reset(&h);
	s.gr_gain[METER_GR_GATE] = 0.01f;
	s.gr_gain[METER_GR_COMP] = 0.5f;
	s.gr_gain[METER_GR_DEESS] = 1.0f;
	meter_fields(&s, &h, 18.0f, f);
	ck_assert_double_eq_tol(f[MF_GATE_GR_DB], 40.0, 1e-4);
	ck_assert_double_eq_tol(f[MF_COMP_GR_DB], 6.0206, 1e-4);
	ck_assert_float_eq(f[MF_DEESS_GR_DB], 0.0f);
	ck_assert(!signbit(f[MF_DEESS_GR_DB]));
	s.in_tp = 1.0f; /* exactly 0 dBTP: headroom +0.0 */
	meter_fields(&s, &h, 18.0f, f);
	ck_assert_float_eq(f[MF_HEADROOM_DB], 0.0f);
	ck_assert(!signbit(f[MF_HEADROOM_DB]));
}
END_TEST

/* NaN and Inf count as clips and read as 0: the levels equal those of the same signal with
 * zeros in their place, before and after, and everything stays finite. */
START_TEST(bad_input_is_contained)
{
	static float x[24000], z[24000];
	struct meter a, b;
	struct meter_hold h;
	float f[MF_COUNT];
	ck_assert_int_eq(meter_init(&a, FS), 0);
	ck_assert_int_eq(meter_init(&b, FS), 0);
	meter_hold_reset(&h);
	tu_noise(x, 24000, 0.3, 5);
	memcpy(z, x, sizeof(x));
	x[1000] = NAN, x[5000] = INFINITY, x[5001] = -INFINITY, x[9000] = 1e30f;
	z[1000] = z[5000] = z[5001] = z[9000] = 0.0f;
	for (size_t i = 0; i < 24000; i += 2400) {
		struct meter_snapshot sa, sb;
		feed(&a, x + i, 2400, 64);
		feed(&b, z + i, 2400, 64);
		meter_take(&a, &sa);
		meter_take(&b, &sb);
		ck_assert_float_eq(sa.in_ms, sb.in_ms);
		ck_assert_float_eq(sa.out_ms, sb.out_ms);
		ck_assert_float_eq(sa.in_peak, sb.in_peak);
		ck_assert_float_eq(sa.in_tp, sb.in_tp);
		ck_assert_float_eq(sa.out_peak, sb.out_peak);
		meter_hold_update(&h, &sa);
		meter_fields(&sa, &h, 18.0f, f);
		assert_all_finite(f);
	}
	ck_assert_uint_eq(h.clips_total, 3);
}
END_TEST

/* Cutting the input into calls of 1..64 samples changes nothing, to the bit. */
START_TEST(independent_of_call_size)
{
	static float x[48000];
	struct meter a, b;
	uint32_t seed = 77;
	ck_assert_int_eq(meter_init(&a, FS), 0);
	ck_assert_int_eq(meter_init(&b, FS), 0);
	tu_noise(x, 48000, 0.9, 21);
	for (size_t i = 3000; i < 48000; i += 5000) /* clips, quiet stretches and bad values */
		for (size_t j = 0; j < 300; j++)
			x[i + j] = j < 40 ? 1.1f : x[i + j] * 0.001f;
	x[17] = NAN;
	for (size_t i = 0; i < 48000; i += 2400) {
		struct meter_snapshot sa, sb;
		feed(&a, x + i, 2400, 64);
		for (size_t j = i; j < i + 2400;) {
			uint32_t n = 1 + tu_lcg(&seed) % DSP_MAX_CHUNK;
			if (j + n > i + 2400)
				n = (uint32_t)(i + 2400 - j);
			meter_input(&b, x + j, n);
			meter_output(&b, x + j, n);
			j += n;
		}
		meter_take(&a, &sa);
		meter_take(&b, &sb);
		ck_assert_int_eq(memcmp(&sa, &sb, sizeof(sa)), 0);
	}
}
END_TEST

/* A hostile signal in runs of random length: silence (+-0), tiny and subnormal values, quiet
 * and loud noise, values at, just below and above the clip level of either sign, and values
 * that are not audio (NaN, +-Inf, +-2^32 and just below, 1e38). */
static void hostile_signal(float *x, size_t n, uint32_t *r)
{
	static const float edge[] = { METER_CLIP_LEVEL, -METER_CLIP_LEVEL, 0x1.fffdfep-1f,
				      -0x1.fffdfep-1f, 1.0f, -1.0f, 1.5f, 0x1.fffffep-1f };
	static const float bad[] = { NAN, -NAN, INFINITY, -INFINITY, 0x1p32f, -0x1p32f,
				     0x1.fffffep31f, 1e38f };
	for (size_t i = 0; i < n;) {
		/* mostly audio, so the mean squares are not always ruled by a loud run */
		static const uint8_t modes[16] = { 0, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 5, 6 };
		uint32_t mode = modes[tu_lcg(r) % 16];
		uint32_t len = 1 + tu_lcg(r) % (mode >= 4 ? 24 : 400);
		float amp = (float)(tu_lcg(r) % 1000) / 1000.0f;
		for (uint32_t k = 0; k < len && i < n; k++, i++) {
			float u = (float)tu_lcg(r) / 8388608.0f - 1.0f; /* [-1, 1) */
			switch (mode) {
			case 0: x[i] = tu_lcg(r) & 1 ? 0.0f : -0.0f; break;
			case 1: x[i] = u * 1e-20f * (tu_lcg(r) & 1 ? 1e-18f : 1.0f); break;
			case 2: x[i] = u * 1e-3f * amp; break;
			case 3: x[i] = u * amp; break;
			case 4: x[i] = tu_lcg(r) % 3 ? edge[tu_lcg(r) % 8] : u; break;
			case 5: x[i] = tu_lcg(r) % 4 ? u * 0.5f : bad[tu_lcg(r) % 8]; break;
			default: x[i] = u * 3e5f * amp; break;
			}
		}
	}
}

#define HOSTILE_N 40000
#define HOSTILE_TAKES 400

struct hostile_run {
	struct meter_snapshot snap[HOSTILE_TAKES];
	float out[HOSTILE_N];
	int bad[HOSTILE_N];
	unsigned takes;
};

/* Input meter, output meter with a gain (1, other, huge: Inf out of finite in; in place or
 * not) or without, calls of random length 1..64 (half of them 64 or a multiple of 16), takes
 * at random points. */
static void hostile_run(const float *x, const float *y, struct hostile_run *res,
			const struct dsp_arch *arch)
{
	static float tmp[HOSTILE_N];
	struct meter m;
	uint32_t r = 4242;
	ck_assert_int_eq(meter_init(&m, FS), 0);
	m.arch = arch;
	memcpy(tmp, y, sizeof(tmp));
	res->takes = 0;
	for (size_t i = 0; i < HOSTILE_N;) {
		uint32_t n = 1 + tu_lcg(&r) % DSP_MAX_CHUNK;
		if (tu_lcg(&r) & 1)
			n = tu_lcg(&r) & 1 ? DSP_MAX_CHUNK : 16 * (1 + tu_lcg(&r) % 4);
		if (n > HOSTILE_N - i)
			n = (uint32_t)(HOSTILE_N - i);
		res->bad[i] = meter_input(&m, x + i, n);
		static const float gains[] = { 1.0f, 0.5f, -1.25f, 3e33f, 0.0f, 1.0f };
		uint32_t how = tu_lcg(&r) % 8;
		if (how < 6)
			meter_output_gain(&m, y + i, gains[how], res->out + i, n);
		else if (how == 6) {
			meter_output_gain(&m, tmp + i, 0.75f, tmp + i, n); /* in place */
			memcpy(res->out + i, tmp + i, n * sizeof(float));
		} else {
			memcpy(res->out + i, y + i, n * sizeof(float));
			meter_output(&m, res->out + i, n);
		}
		i += n;
		if (tu_lcg(&r) % 8 == 0 || i == HOSTILE_N) {
			ck_assert_uint_lt(res->takes, HOSTILE_TAKES);
			meter_take(&m, &res->snap[res->takes++]);
		}
	}
}

/* The references (dsp_arch_c: baseline meters, generic true-peak kernel) and the best variant (AVX2
 * meters and true peak where the CPU has them) give the same bits in every snapshot field, in
 * the output and in meter_input's verdict, for hostile input cut into calls at random. */
START_TEST(variants_match_on_hostile_input)
{
	static float x[HOSTILE_N], y[HOSTILE_N];
	static struct hostile_run ref, best;
	uint32_t r = 99u + (uint32_t)_i;
	hostile_signal(x, HOSTILE_N, &r);
	hostile_signal(y, HOSTILE_N, &r);
	const struct dsp_arch *arch = dsp_arch_select(0);
	hostile_run(x, y, &ref, dsp_arch_select(1));
	printf("meters and true-peak kernel: %s vs c\n", arch->name);
	hostile_run(x, y, &best, arch);
	ck_assert_uint_eq(ref.takes, best.takes);
	for (unsigned t = 0; t < ref.takes; t++)
		ck_assert_msg(!memcmp(&ref.snap[t], &best.snap[t], sizeof(ref.snap[t])),
			      "snapshot %u: in_ms %a/%a peak %a/%a tp %a/%a clips %u/%u out %a/%a "
			      "%a/%a",
			      t, (double)ref.snap[t].in_ms, (double)best.snap[t].in_ms,
			      (double)ref.snap[t].in_peak, (double)best.snap[t].in_peak,
			      (double)ref.snap[t].in_tp, (double)best.snap[t].in_tp,
			      ref.snap[t].clips, best.snap[t].clips, (double)ref.snap[t].out_peak,
			      (double)best.snap[t].out_peak, (double)ref.snap[t].out_ms,
			      (double)best.snap[t].out_ms);
	ck_assert_int_eq(memcmp(ref.out, best.out, sizeof(ref.out)), 0);
	ck_assert_int_eq(memcmp(ref.bad, best.bad, sizeof(ref.bad)), 0);
}
END_TEST

START_TEST(init_rejects_bad_rate)
{
	struct meter m;
	ck_assert_int_lt(meter_init(&m, 1000.0f), 0);
	ck_assert_int_lt(meter_init(&m, NAN), 0);
	ck_assert_int_eq(meter_init(&m, 44100.0f), 0);
}
END_TEST

static Suite *meter_suite(void)
{
	Suite *s = suite_create("meter");
	TCase *tc = tcase_create("meter");
	tcase_add_test(tc, calibration_dbu_dbv);
	tcase_add_test(tc, fs4_sine_at_45_degrees);
	tcase_add_test(tc, truepeak_matches_direct_form);
	tcase_add_test(tc, true_peak_vs_libebur128_speech);
	tcase_add_test(tc, true_peak_vs_libebur128_noise);
	tcase_add_test(tc, burst_between_periods);
	tcase_add_test(tc, rms_step_response);
	tcase_add_test(tc, clip_counting);
	tcase_add_test(tc, silence_reads_floor);
	tcase_add_test(tc, gain_reduction_fields);
	tcase_add_test(tc, bad_input_is_contained);
	tcase_add_test(tc, independent_of_call_size);
	tcase_add_loop_test(tc, variants_match_on_hostile_input, 0, 4);
	tcase_add_test(tc, init_rejects_bad_rate);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_run_suite(meter_suite());
}
