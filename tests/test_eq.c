/* EQ: the matched bands against their analogue prototypes (computed here from the prototype
 * formulas, not from the design code), glides, idle bit-exactness, fades, block-size
 * independence, containment. */
#include <check.h>
#include <complex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eq.h"
#include "strip.h"
#include "testutil.h"
#include "tone_util.h"

#define FS 48000.0f

/* |H(j f/f0)| in dB of the analogue prototypes (RBJ's, as eq.h and biquad.h state them) */
static double analogue_db(enum eq_shape shape, double f, double f0, double q, double g_db)
{
	double complex s = I * (f / f0);
	double a = pow(10.0, g_db / 40.0), sa = sqrt(a);
	double complex h;
	if (shape == EQ_BELL)
		h = (s * s + s * a / q + 1.0) / (s * s + s / (a * q) + 1.0);
	else if (shape == EQ_LOW_SHELF)
		h = a * (s * s + s * sa / q + a) / (a * s * s + s * sa / q + 1.0);
	else
		h = a * (a * s * s + s * sa / q + 1.0) / (s * s + s * sa / q + a);
	return 20.0 * log10(cabs(h));
}

/* Largest |digital - analogue| in dB from 10 Hz to 0.4 fs. */
static double worst_error(const struct biquad_coef *c, enum eq_shape shape, double fs, double f0,
			  double q, double g)
{
	double worst = 0.0;
	for (int i = 0; i <= 600; i++) {
		double f = 10.0 * pow(0.4 * fs / 10.0, i / 600.0);
		double e = fabs(biquad_response_db(c, fs, f) - analogue_db(shape, f, f0, q, g));
		if (e > worst)
			worst = e;
	}
	return worst;
}

START_TEST(matches_analogue_prototypes)
{
	static const struct {
		enum eq_shape shape;
		double lo, hi;
		const char *name;
	} bands[] = {{EQ_LOW_SHELF, 30, 500, "low shelf"},
		     {EQ_BELL, 200, 8000, "bell"},
		     {EQ_HIGH_SHELF, 1000, 16000, "high shelf"}};
	static const double qs[] = {0.3, 0.5, 0.7071, 1.0, 2.0, 4.0, 8.0};
	static const double rates[] = {44100.0, 48000.0};
	double rbj_worst = 0.0;
	for (int r = 0; r < 2; r++)
		for (int b = 0; b < 3; b++) {
			double worst = 0.0, wf = 0, wg = 0, wq = 0;
			int nq = bands[b].shape == EQ_BELL ? 7 : 1;
			for (int fi = 0; fi <= 8; fi++) {
				double f0 = bands[b].lo * pow(bands[b].hi / bands[b].lo, fi / 8.0);
				for (int gi = -5; gi <= 5; gi++) {
					double g = 3.0 * gi;
					for (int qi = 0; qi < nq; qi++) {
						double q = nq > 1 ? qs[qi] : EQ_SHELF_Q;
						struct biquad_coef c;
						eq_design(&c, bands[b].shape, rates[r], f0, q, g);
						double e = worst_error(&c, bands[b].shape, rates[r], f0, q, g);
						if (e > worst)
							worst = e, wf = f0, wg = g, wq = q;
						/* the cookbook's bilinear design, for contrast */
						enum biquad_type t = bands[b].shape == EQ_BELL ? BQ_PEAK
							: bands[b].shape == EQ_LOW_SHELF ? BQ_LOWSHELF : BQ_HIGHSHELF;
						biquad_design(&c, t, rates[r], f0, q, g);
						e = worst_error(&c, bands[b].shape, rates[r], f0, q, g);
						if (e > rbj_worst)
							rbj_worst = e;
					}
				}
			}
			printf("eq: %s at %.0f Hz: worst %.3f dB from the analogue prototype up to 0.4 fs "
			       "(at %.0f Hz, %+.0f dB, Q %.2f)\n",
			       bands[b].name, rates[r], worst, wf, wg, wq);
			ck_assert_double_le(worst, 0.5);
		}
	printf("eq: the bilinear (RBJ) design on the same grid: worst %.2f dB\n", rbj_worst);
	ck_assert_double_gt(rbj_worst, 0.5); /* the grid does reach where cramping shows */
}
END_TEST

/* Every design on the parameters' ranges from 8 to 192 kHz is stable and finite, clamped below
 * Nyquist where it must be. */
START_TEST(stable_at_every_rate)
{
	static const double rates[] = {8000,  11025, 16000, 22050,  32000,
				       44100, 48000, 96000, 176400, 192000};
	static const double lo[] = {30, 200, 1000}, hi[] = {500, 8000, 16000};
	for (int r = 0; r < 10; r++)
		for (int s = 0; s < 3; s++)
			for (double f = lo[s]; f <= hi[s] * 1.001; f *= 1.1)
				for (int gi = -5; gi <= 5; gi++)
					for (double q = 0.3; q <= 8.0; q *= s == EQ_BELL ? 1.5 : 100.0) {
						struct biquad_coef c;
						double qq = s == EQ_BELL ? q : EQ_SHELF_Q;
						eq_design(&c, (enum eq_shape)s, rates[r], f, qq, 3.0 * gi);
						ck_assert(isfinite(c.b0) && isfinite(c.b1) && isfinite(c.b2));
						ck_assert_msg(fabsf(c.a2) < 1.0f && fabsf(c.a1) < 1.0f + c.a2,
							      "unstable at %g Hz: shape %d, %g Hz, %+d dB, Q %g",
							      rates[r], s, f, 3 * gi, q);
					}
}
END_TEST

static void eq_set(struct eq *e, enum param_id id, float v)
{
	eq_stage.set(e, (unsigned)(id - eq_stage.first), v);
}

static void eq_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	eq_process(ctx, in, out, n);
}

static void run(struct eq *e, const float *in, float *out, size_t n)
{
	tu_run_blocks(eq_fn, e, in, out, n, DSP_MAX_CHUNK);
}

START_TEST(defaults_and_flat_bands_are_bit_exact)
{
	static struct eq e;
	static float in[24000], out[24000];
	ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
	ck_assert(eq_idle(&e));
	tu_noise(in, 24000, 1.0, 3);
	run(&e, in, out, 24000);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	eq_set(&e, P_EQ_ENABLE, 1.0f); /* on, every band at 0 dB: skipped */
	run(&e, in, out, 24000);
	ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
	/* a band turned off glides to 0 dB, then is skipped again */
	eq_set(&e, P_EQ_MID_GAIN, 9.0f);
	run(&e, in, out, 24000);
	ck_assert_int_ne(memcmp(in, out, sizeof(in)), 0);
	eq_set(&e, P_EQ_MID_ENABLE, 0.0f);
	run(&e, in, out, 24000);
	ck_assert_int_eq(memcmp(in + 12000, out + 12000, 12000 * sizeof(float)), 0);
}
END_TEST

START_TEST(bands_apply_their_gain)
{
	static struct eq e;
	static float in[48000], out[48000];
	static const struct {
		enum param_id gain;
		double f, expect;
	} cases[] = {{P_EQ_LOW_GAIN, 30.0, 6.0}, {P_EQ_MID_GAIN, 1000.0, 6.0},
		     {P_EQ_HIGH_GAIN, 20000.0, 6.0}};
	for (int c = 0; c < 3; c++) {
		ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
		eq_set(&e, P_EQ_ENABLE, 1.0f);
		eq_set(&e, cases[c].gain, 6.0f);
		eq_reset(&e);
		tu_sine(in, 48000, 0.1, cases[c].f, FS, 0.0);
		run(&e, in, out, 48000);
		double db = tu_db(tu_tone_amp(out + 24000, 24000, cases[c].f, FS) / 0.1);
		double want = analogue_db(cases[c].gain == P_EQ_MID_GAIN ? EQ_BELL
					  : cases[c].gain == P_EQ_LOW_GAIN ? EQ_LOW_SHELF : EQ_HIGH_SHELF,
					  cases[c].f, c == 0 ? 100.0 : (c == 1 ? 1000.0 : 8000.0),
					  c == 1 ? 1.0 : EQ_SHELF_Q, 6.0);
		printf("eq: band %d, %.0f Hz tone: %+.3f dB (prototype %+.3f dB)\n", c, cases[c].f, db,
		       want);
		ck_assert_double_eq_tol(db, want, 0.05);
	}
}
END_TEST

/* A 2 Hz triangle sweep of one control over its range (through the fader taper), set every
 * 64 samples, with a 440 Hz tone: nothing more than 150 Hz from the tone above -80 dBc. */
#define GN 65536
static double glide_sidebands_dbc(enum param_id id)
{
	static struct eq e;
	static float in[GN + 24000], out[GN + 24000];
	static double pw[GN / 2 + 1];
	const size_t n = GN + 24000;
	ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
	eq_set(&e, P_EQ_ENABLE, 1.0f);
	eq_set(&e, P_EQ_LOW_GAIN, 12.0f);
	eq_set(&e, P_EQ_MID_GAIN, 12.0f);
	eq_set(&e, P_EQ_MID_FREQ, 440.0f);
	eq_set(&e, P_EQ_HIGH_GAIN, 12.0f);
	eq_set(&e, P_EQ_HIGH_FREQ, 1000.0f);
	eq_reset(&e);
	tu_sine(in, n, 0.1, 440.0, FS, 0.0);
	for (size_t i = 0; i < n; i += 64) {
		double ph = fmod((double)i * 2.0 / FS, 1.0); /* 2 Hz */
		double tri = ph < 0.5 ? 2.0 * ph : 2.0 - 2.0 * ph;
		eq_set(&e, id, param_from_norm(id, (float)tri));
		eq_process(&e, in + i, out + i, 64);
	}
	tone_spectrum(out + 24000, GN, pw);
	double bin = FS / GN, carrier = tone_band(pw, GN, FS, 440.0 - 150.0, 440.0 + 150.0);
	double worst = 0.0;
	for (size_t k = 4; k + 4 <= GN / 2; k++) {
		double f = (double)k * bin;
		if (fabs(f - 440.0) <= 150.0 + 5 * bin)
			continue;
		double s = 0.0;
		for (size_t j = k - 4; j <= k + 4; j++)
			s += pw[j];
		if (s > worst)
			worst = s;
	}
	return 10.0 * log10(worst / carrier + 1e-30);
}

START_TEST(glides_keep_sidebands_low)
{
	static const enum param_id ids[] = {P_EQ_LOW_GAIN, P_EQ_LOW_FREQ, P_EQ_MID_GAIN,
					    P_EQ_MID_FREQ, P_EQ_MID_Q, P_EQ_HIGH_GAIN,
					    P_EQ_HIGH_FREQ, P_EQ_MID_ENABLE};
	for (int i = 0; i < 8; i++) {
		double dbc = glide_sidebands_dbc(ids[i]);
		printf("eq: 2 Hz sweep of %s: sidebands > 150 Hz away at %.1f dBc\n",
		       param_table[ids[i]].key, dbc);
		ck_assert_double_lt(dbc, -80.0);
	}
}
END_TEST

/* Largest |second difference| of y: a step or a kink in a smooth signal shows up here. */
static double max_d2(const float *y, size_t a, size_t b)
{
	double m = 0.0;
	for (size_t i = a + 2; i < b; i++) {
		double d = fabs((double)y[i] - 2.0 * y[i - 1] + y[i - 2]);
		if (d > m)
			m = d;
	}
	return m;
}

START_TEST(enable_crossfades)
{
	static struct eq e;
	static float in[48000], out[48000];
	ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
	eq_set(&e, P_EQ_MID_GAIN, 12.0f);
	eq_set(&e, P_EQ_MID_FREQ, 200.0f);
	tu_sine(in, 48000, 0.2, 200.0, FS, 0.0);
	for (size_t i = 0; i < 48000; i += 64) {
		if (i == 9984)
			eq_set(&e, P_EQ_ENABLE, 1.0f);
		if (i == 30016)
			eq_set(&e, P_EQ_ENABLE, 0.0f);
		eq_process(&e, in + i, out + i, 64);
	}
	/* steady: the tone at 0.2 and 0.8 peak. A switch without a fade would step by up to
	 * 0.6 (a second difference ~1000 times the steady one); the 10 ms ramp only bends the
	 * envelope where it starts and ends (0.6 / 480 per sample) */
	double steady = max_d2(out, 20000, 30000);
	double sw = fmax(max_d2(out, 9000, 12000), max_d2(out, 29000, 32000));
	printf("eq: enable on/off: largest second difference %.5f (steady on: %.5f)\n", sw, steady);
	ck_assert_double_le(sw, 3.0 * steady);
	ck_assert_int_eq(memcmp(in + 40000, out + 40000, 8000 * sizeof(float)), 0);
}
END_TEST

START_TEST(block_size_independent)
{
	static struct eq e;
	static float in[48000], ref[48000], out[48000];
	tu_noise(in, 48000, 0.5, 9);
	for (int pass = 0; pass < 4; pass++) {
		uint32_t seed = 77u + (uint32_t)pass;
		ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
		for (size_t at = 0; at < 48000; at += 6000) {
			switch (at / 6000) {
			case 0: eq_set(&e, P_EQ_ENABLE, 1.0f); break;
			case 1: eq_set(&e, P_EQ_MID_GAIN, -9.0f); break;
			case 2: eq_set(&e, P_EQ_HIGH_GAIN, 6.0f), eq_set(&e, P_EQ_LOW_FREQ, 300.0f); break;
			case 3: eq_set(&e, P_EQ_ENABLE, 0.0f); break;
			case 4: eq_set(&e, P_EQ_ENABLE, 1.0f), eq_set(&e, P_EQ_LOW_GAIN, 4.0f); break;
			case 5: eq_set(&e, P_EQ_MID_Q, 5.0f), eq_set(&e, P_EQ_HIGH_ENABLE, 0.0f); break;
			default: eq_set(&e, P_EQ_MID_FREQ, 3000.0f); break;
			}
			float *dst = pass == 0 ? ref : out;
			if (pass == 0)
				tu_run_blocks(eq_fn, &e, in + at, dst + at, 6000, DSP_MAX_CHUNK);
			else
				tu_run_random_blocks(eq_fn, &e, in + at, dst + at, 6000, pass == 1 ? 1 : 64,
						     &seed);
		}
		if (pass > 0)
			ck_assert_int_eq(memcmp(ref, out, sizeof(ref)), 0);
	}
}
END_TEST

START_TEST(nan_is_contained)
{
	static struct eq e;
	static float in[4800], out[4800];
	ck_assert_int_eq(stage_init_defaults(&eq_stage, &e, FS), 0);
	eq_set(&e, P_EQ_ENABLE, 1.0f);
	eq_set(&e, P_EQ_MID_GAIN, 6.0f);
	tu_sine(in, 4800, 0.5, 1000.0, FS, 0.0);
	in[1000] = NAN;
	in[1001] = INFINITY;
	run(&e, in, out, 4800);
	ck_assert(!tu_bad_float(out + 1100, 3700));
}
END_TEST

/* The fused paths against the general path, band after band: eq_process with every band
 * settled (one band alone, or two or three bands as a pipeline, band j a sample behind band
 * j - 1) and eq_process_lanes on two lanes with the same bands (two pipelines side by side), on
 * every set of active bands and every chunk length, so the pipelines fill and drain at every grid
 * position. The signals decay into the range where the grid steps clean the state, and an
 * infinite sample makes every state non-finite once: every path must clean the same bands on the
 * same samples. 0 ulp, outputs and whole states. */
static void eq_steady_setup(struct eq *e, int set)
{
	ck_assert_int_eq(stage_init_defaults(&eq_stage, e, FS), 0);
	eq_set(e, P_EQ_ENABLE, 1.0f);
	eq_set(e, P_EQ_LOW_GAIN, set & 1 ? 6.0f : 0.0f);
	eq_set(e, P_EQ_MID_GAIN, set & 2 ? -4.0f : 0.0f);
	eq_set(e, P_EQ_MID_Q, 3.0f);
	eq_set(e, P_EQ_HIGH_GAIN, set & 4 ? 3.0f : 0.0f);
	eq_reset(e);
}

START_TEST(steady_paths_match_the_general_path)
{
	enum { LEN = 7000 };
	enum { EACH, ONE, LANES, PATHS }; /* eq_process_each, eq_process, eq_process_lanes */
	static struct eq e[PATHS][2];     /* two lanes each */
	static float in[2][LEN], out[PATHS][2][LEN];
	for (int l = 0; l < 2; l++) {
		tu_noise(in[l], 1500, 0.5, 3 + (uint32_t)l);
		memset(in[l] + 1500, 0, (LEN - 1500) * sizeof(float));
		in[l][700 + 333 * l] = INFINITY;
	}
	for (int set = 1; set < 8; set++) {
		for (uint32_t k = 1; k <= DSP_MAX_CHUNK; k++) {
			for (int v = 0; v < PATHS; v++) {
				eq_steady_setup(&e[v][0], set);
				eq_steady_setup(&e[v][1], set);
				for (uint32_t at = 0; at < LEN; at += k) {
					uint32_t n = LEN - at < k ? LEN - at : k;
					struct eq *pe[2] = {&e[v][0], &e[v][1]};
					const float *pi[2] = {in[0] + at, in[1] + at};
					float *po[2] = {out[v][0] + at, out[v][1] + at};
					if (v == LANES)
						eq_process_lanes(pe, 2, pi, po, n);
					for (int l = 0; l < 2 && v != LANES; l++)
						(v == EACH ? eq_process_each : eq_process)(pe[l], pi[l],
											   po[l], n);
				}
			}
			for (int v = ONE; v < PATHS; v++)
				for (int l = 0; l < 2; l++) {
					ck_assert_msg(memcmp(out[EACH][l], out[v][l], sizeof(out[v][l])) == 0,
						      "bands %d, chunks of %u, %s: lane %d differs from the "
						      "general path", set, k, v == ONE ? "one lane" : "lanes",
						      l);
					ck_assert_int_eq(memcmp(&e[EACH][l], &e[v][l], sizeof(e[v][l])), 0);
				}
			/* the decay did reach the clean range: the tails are exactly zero */
			ck_assert_float_eq(out[LANES][0][LEN - 1], 0.0f);
			ck_assert_float_eq(out[LANES][1][LEN - 1], 0.0f);
		}
	}
}
END_TEST

static void strip_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	strip_process(ctx, in, out, n);
}

/* The tone stages in the strip (hum removal and air in the preamp, EQ, enhancer): no latency,
 * the same bits whatever the host block, and once they are all switched off again (fades and
 * glides done) the strip is an exact copy, as at its defaults. */
START_TEST(tone_stages_in_the_strip)
{
	static struct strip s;
	static float in[96000], ref[96000], out[96000];
	static const struct {
		enum param_id id;
		float on, off;
	} sets[] = {{P_PRE_HUM, 2, 0},      {P_PRE_HUM_HARMONICS, 8, 5}, {P_PRE_AIR, 5, 0},
		    {P_EQ_ENABLE, 1, 0},    {P_EQ_LOW_GAIN, 4, 0},       {P_EQ_MID_GAIN, -6, 0},
		    {P_EQ_HIGH_GAIN, 3, 0}, {P_ENH_ENABLE, 1, 0},        {P_ENH_HF, 60, 0},
		    {P_ENH_LF, 40, 0}};
	tu_burst_noise(in, 96000, 21, 0.05f);
	for (int pass = 0; pass < 3; pass++) {
		uint32_t seed = 31u + (uint32_t)pass;
		float *dst = pass == 0 ? ref : out;
		ck_assert_int_eq(strip_init(&s, 48000.0f, strip_simd_select(0)), 0);
		for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
			strip_set_param(&s, sets[i].id, sets[i].on);
		ck_assert_uint_eq(strip_latency_samples(&s), 0);
		tu_run_random_blocks(strip_fn, &s, in, dst, 48000, pass == 0 ? 64 : 1000, &seed);
		for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
			strip_set_param(&s, sets[i].id, sets[i].off);
		tu_run_random_blocks(strip_fn, &s, in + 48000, dst + 48000, 48000, pass == 2 ? 1 : 256,
				     &seed);
		if (pass > 0)
			ck_assert_int_eq(memcmp(ref, out, sizeof(ref)), 0);
	}
	ck_assert_int_ne(memcmp(in, ref, 48000 * sizeof(float)), 0);
	ck_assert_int_eq(memcmp(in + 72000, ref + 72000, 24000 * sizeof(float)), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("eq");
	TCase *tc = tcase_create("eq");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, matches_analogue_prototypes);
	tcase_add_test(tc, stable_at_every_rate);
	tcase_add_test(tc, defaults_and_flat_bands_are_bit_exact);
	tcase_add_test(tc, bands_apply_their_gain);
	tcase_add_test(tc, glides_keep_sidebands_low);
	tcase_add_test(tc, enable_crossfades);
	tcase_add_test(tc, block_size_independent);
	tcase_add_test(tc, nan_is_contained);
	tcase_add_test(tc, steady_paths_match_the_general_path);
	tcase_add_test(tc, tone_stages_in_the_strip);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
