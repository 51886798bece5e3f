/* Compressor against its published definition (Giannoulis, Massberg and Reiss, JAES 2012):
 * the eq. 4 static curve on steady signals, the detector's time constants, and the module's
 * contract (exact bypass, block-size invariance, no subnormal state). Also fastmath.h. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"
#include "fastmath.h"
#include "testutil.h"

#define FS 48000.0f

static void comp_fn(void *ctx, const float *in, float *out, uint32_t n)
{
	comp_process(ctx, in, out, n);
}

/* Blocks of pseudo-random length 1..DSP_MAX_CHUNK. */
static void run_random_blocks(struct comp *c, const float *in, float *out, size_t n, uint32_t seed)
{
	tu_run_random_blocks(comp_fn, c, in, out, n, DSP_MAX_CHUNK, &seed);
}

static void comp_setup(struct comp *c, float thr, float ratio, float knee, float att, float rel)
{
	ck_assert_int_eq(comp_init(c, FS), 0);
	comp_set_threshold_db(c, thr);
	comp_set_ratio(c, ratio);
	comp_set_knee_db(c, knee);
	comp_set_attack_ms(c, att);
	comp_set_release_ms(c, rel);
	comp_set_enable(c, 1);
	comp_reset(c);
}

START_TEST(fastmath_accuracy)
{
	double el = 0.0, ee = 0.0;
	for (float x = 1e-37f; x < 3e38f; x *= 1.00037f)
		el = fmax(el, fabs(fm_log2(x) - log2((double)x)));
	for (float x = -126.0f; x <= 126.0f; x += 0.000731f) {
		double t = exp2((double)x);
		ee = fmax(ee, fabs(fm_exp2(x) - t) / t);
	}
	printf("fastmath: log2 max abs error %.3g, exp2 max rel error %.3g\n", el, ee);
	ck_assert(el < 4e-6);
	ck_assert(ee < 3e-7);
	ck_assert(fm_exp2(0.0f) == 1.0f);
	ck_assert(fm_exp2(-1e-8f) == 1.0f && fm_exp2(1e-8f) == 1.0f);
	ck_assert(fm_log2(1.0f) == 0.0f);
}
END_TEST

/* eq. 4 with T = -20, R = 4, W = 10 on DC and on a square wave: the published points. */
START_TEST(static_curve_matches_eq4)
{
	static const float lin_db[] = {-30, -25, -20, -15, 0};
	static const float want_db[] = {-30, -25, -20.9375f, -18.75f, -15};
	static struct comp c;
	static float in[24000], out[24000];
	for (int det = 0; det < 2; det++) {
		for (int sq = 0; sq < 2; sq++) {
			for (int k = 0; k < 5; k++) {
				comp_setup(&c, -20.0f, 4.0f, 10.0f, 1.0f, 20.0f);
				comp_set_detector(&c, det);
				float a = powf(10.0f, lin_db[k] / 20.0f);
				for (size_t i = 0; i < 24000; i++)
					in[i] = (sq && (i / 48) % 2) ? -a : a; /* 500 Hz square */
				tu_run_blocks(comp_fn, &c, in, out, 24000, 64);
				double got = tu_db(fabs(out[23999]));
				double err = got - want_db[k];
				if (det == 0 && sq == 1)
					printf("comp curve: in %6.2f dBFS -> %9.5f dBFS (want %9.5f, "
					       "error %+.5f dB)\n", lin_db[k], got, want_db[k], err);
				ck_assert_msg(fabs(err) < 0.1, "det %d sq %d in %g: out %g want %g", det,
					      sq, lin_db[k], got, want_db[k]);
				/* and the closed form itself */
				ck_assert(fabsf(lin_db[k] - comp_static_gr_db(&c, lin_db[k]) -
						want_db[k]) < 1e-4f);
			}
		}
	}
}
END_TEST

/* Attack 10 ms / release 100 ms: the gain (in dB) covers 1 - 1/e of a 20 dB step's change after
 * tau. Threshold -40, hard knee, ratio 4: DC at -30 -> -10 -> -30 dBFS moves x_L 7.5 -> 22.5. */
START_TEST(time_constants)
{
	static struct comp c;
	enum { NS = 96000, STEP = 48000 };
	static float in[NS], out[NS];
	const float lo = powf(10.0f, -30.0f / 20.0f), hi = powf(10.0f, -10.0f / 20.0f);
	for (int dir = 0; dir < 2; dir++) {
		comp_setup(&c, -40.0f, 4.0f, 0.0f, 10.0f, 100.0f);
		for (size_t i = 0; i < NS; i++)
			in[i] = (i < STEP) == (dir == 0) ? lo : hi;
		tu_run_blocks(comp_fn, &c, in, out, NS, 37);
		double g0 = tu_db(out[STEP - 1] / in[STEP - 1]);
		double g1 = tu_db(out[NS - 1] / in[NS - 1]);
		double want_ms = dir == 0 ? 10.0 : 100.0;
		size_t k = STEP;
		while (k < NS && fabs(tu_db(out[k] / in[k]) - g0) < (1.0 - exp(-1.0)) * fabs(g1 - g0))
			k++;
		double t_ms = (double)(k - STEP + 1) * 1000.0 / FS;
		printf("comp %s: gain %.4f -> %.4f dB, 63.2 %% after %.4f ms (tau %.0f ms, error "
		       "%+.3f %%)\n", dir ? "release" : "attack", g0, g1, t_ms, want_ms,
		       100.0 * (t_ms - want_ms) / want_ms);
		ck_assert(fabs(fabs(g1 - g0) - 15.0) < 0.01);
		ck_assert_msg(fabs(t_ms - want_ms) < 0.02 * want_ms, "tau %g ms, want %g", t_ms,
			      want_ms);
	}
}
END_TEST

START_TEST(makeup_mix_and_meter)
{
	static struct comp c;
	static float in[48000], out[48000];
	for (size_t i = 0; i < 48000; i++)
		in[i] = 1.0f; /* 0 dBFS */
	/* auto makeup puts 0 dBFS back at 0 dBFS; the meter shows the reduction, not makeup */
	comp_setup(&c, -20.0f, 4.0f, 10.0f, 1.0f, 20.0f);
	comp_set_auto_makeup(&c, 1);
	comp_reset(&c);
	comp_process(&c, in, out, 64);
	c.min_gain = 1.0f;
	tu_run_blocks(comp_fn, &c, in + 64, out + 64, 48000 - 64, 64);
	ck_assert(fabs(tu_db(out[47999])) < 0.01);
	ck_assert(fabs(tu_db(c.min_gain) + 15.0) < 0.01);
	/* fixed makeup */
	comp_setup(&c, -20.0f, 4.0f, 10.0f, 1.0f, 20.0f);
	comp_set_makeup_db(&c, 6.0f);
	comp_reset(&c);
	tu_run_blocks(comp_fn, &c, in, out, 48000, 64);
	ck_assert(fabs(tu_db(out[47999]) - (-15.0 + 6.0)) < 0.01);
	/* mix 0: dry only, to the bit */
	comp_set_mix_pct(&c, 0.0f);
	tu_run_blocks(comp_fn, &c, in, out, 48000, 64);
	ck_assert(out[47999] == 1.0f);
	/* mix 50: half of each, linear */
	comp_setup(&c, -20.0f, 4.0f, 10.0f, 1.0f, 20.0f);
	comp_set_mix_pct(&c, 50.0f);
	comp_reset(&c);
	tu_run_blocks(comp_fn, &c, in, out, 48000, 64);
	ck_assert(fabs(out[47999] - (0.5 + 0.5 * pow(10.0, -15.0 / 20.0))) < 1e-4);
}
END_TEST

START_TEST(disabled_copies_exactly)
{
	static struct comp c;
	static float in[48000], out[48000];
	tu_burst_noise(in, 48000, 5, 0.003f);
	comp_setup(&c, -30.0f, 8.0f, 3.0f, 1.0f, 50.0f);
	comp_set_makeup_db(&c, 6.0f);
	comp_set_mix_pct(&c, 70.0f);
	comp_set_sc_hpf_hz(&c, 100.0f);
	tu_run_blocks(comp_fn, &c, in, out, 24000, 64);
	comp_set_enable(&c, 0); /* crossfades out within 24000 samples (50 tau) */
	tu_run_blocks(comp_fn, &c, in, out, 24000, 64);
	/* the fade itself is click-free: no step bigger than the signal's own */
	tu_run_blocks(comp_fn, &c, in + 24000, out + 24000, 24000, 64);
	ck_assert_int_eq(memcmp(in + 24000, out + 24000, 24000 * sizeof(float)), 0);
}
END_TEST

START_TEST(block_split_invariant)
{
	static struct comp c;
	static float in[96000], ref[96000], out[96000];
	tu_burst_noise(in, 96000, 9, 0.003f);
	for (int det = 0; det < 2; det++) {
		for (int slow_attack = 0; slow_attack < 2; slow_attack++) {
			comp_setup(&c, -30.0f, 6.0f, 6.0f, slow_attack ? 150.0f : 2.0f, 60.0f);
			comp_set_detector(&c, det);
			comp_set_sc_hpf_hz(&c, 80.0f);
			comp_set_auto_makeup(&c, 1);
			tu_run_blocks(comp_fn, &c, in, ref, 96000, DSP_MAX_CHUNK);
			for (uint32_t seed = 1; seed < 4; seed++) {
				comp_setup(&c, -30.0f, 6.0f, 6.0f, slow_attack ? 150.0f : 2.0f, 60.0f);
				comp_set_detector(&c, det);
				comp_set_sc_hpf_hz(&c, 80.0f);
				comp_set_auto_makeup(&c, 1);
				if (seed == 1)
					tu_run_blocks(comp_fn, &c, in, out, 96000, 1);
				else
					run_random_blocks(&c, in, out, 96000, seed);
				ck_assert_int_eq(memcmp(ref, out, sizeof(out)), 0);
			}
		}
	}
}
END_TEST

START_TEST(no_subnormal_state_after_silence)
{
	static struct comp c;
	static float in[DSP_MAX_CHUNK], out[DSP_MAX_CHUNK];
	for (int det = 0; det < 2; det++) {
		comp_setup(&c, -40.0f, 4.0f, 6.0f, 0.1f, 5.0f);
		comp_set_detector(&c, det);
		comp_set_sc_hpf_hz(&c, 20.0f);
		memset(in, 0, sizeof(in));
		in[0] = 1.0f;
		for (long i = 0; i < 10L * 48000 / DSP_MAX_CHUNK; i++) {
			comp_process(&c, in, out, DSP_MAX_CHUNK);
			in[0] = 0.0f;
			ck_assert(!tu_bad_float(out, DSP_MAX_CHUNK));
		}
		ck_assert(!tu_bad_value(c.y_db) && !tu_bad_value(c.ms));
		ck_assert(!tu_bad_value(c.hpf_s.z1) && !tu_bad_value(c.hpf_s.z2));
		ck_assert(!tu_bad_value(c.xfade.cur) && !tu_bad_value(c.wet.cur) &&
			  !tu_bad_value(c.makeup.cur));
		ck_assert(!tu_bad_float(c.buf_sc, DSP_MAX_CHUNK) &&
			  !tu_bad_float(c.buf_x, DSP_MAX_CHUNK) &&
			  !tu_bad_float(c.buf_g, DSP_MAX_CHUNK));
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("comp");
	TCase *tc = tcase_create("comp");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fastmath_accuracy);
	tcase_add_test(tc, static_curve_matches_eq4);
	tcase_add_test(tc, time_constants);
	tcase_add_test(tc, makeup_mix_and_meter);
	tcase_add_test(tc, disabled_copies_exactly);
	tcase_add_test(tc, block_split_invariant);
	tcase_add_test(tc, no_subnormal_state_after_silence);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
