/* Compressor against its published definition (Giannoulis, Massberg and Reiss, JAES 2012):
 * the eq. 4 static curve on steady signals, the detector's time constants, and the module's
 * contract (exact bypass, block-size invariance, no subnormal state). Also fastmath.h. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"
#include "cpu.h"
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
	ck_assert_int_eq(stage_init_defaults(&comp_stage, c, FS), 0);
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

/* One random setter call (or none), the same on both copies of a lane; from case `first` on,
 * so that 3 keeps every lane on its path (enabled, detector, high-pass). */
static void lanes_poke(struct comp *a, struct comp *b, uint32_t *seed, int first)
{
	int what = first + (int)(tu_uniform(seed, 0.0f, 1.0f) * (float)(40 - first));
	float r = tu_uniform(seed, 0.0f, 1.0f);
	struct comp *both[2] = {a, b};
	for (int j = 0; j < 2; j++) {
		struct comp *c = both[j];
		switch (what) {
		case 0: comp_set_enable(c, !c->enabled); break;
		case 1: comp_set_detector(c, r < 0.5f ? COMP_DETECT_RMS : COMP_DETECT_PEAK); break;
		case 2: comp_set_sc_hpf_hz(c, r < 0.4f ? 0.0f : 20.0f + 480.0f * r); break;
		case 3: comp_set_threshold_db(c, -60.0f * r); break;
		case 4: comp_set_ratio(c, 1.0f + 19.0f * r); break;
		case 5: comp_set_knee_db(c, r < 0.3f ? 0.0f : 24.0f * r); break;
		case 6: comp_set_attack_ms(c, 0.1f + 199.9f * r * r); break;
		case 7: comp_set_release_ms(c, 5.0f + 2995.0f * r * r); break;
		case 8: comp_set_makeup_db(c, r < 0.3f ? 0.0f : 40.0f * r); break;
		case 9: comp_set_mix_pct(c, r < 0.3f ? 100.0f : 100.0f * r); break;
		case 10: comp_set_auto_makeup(c, r < 0.5f); break;
		case 11: c->min_gain = 1.0f; break; /* the meter took it */
		/* attack 0 through the API: k = 2^31, outside the vector detector's bounds */
		case 12: comp_set_attack_ms(c, r < 0.5f ? 0.0f : 0.1f); break;
		default: break;
		}
	}
}

/* comp_process_lanes against comp_process lane by lane, bit for bit: outputs, and the whole
 * struct (state, min_gain, buffers) after every chunk, for 1..8 lanes, with settings changing
 * while audio runs: all lanes on one path (peak; rms with the high-pass), so that every group
 * width runs, and different settings, signals and code paths per lane. Run with the scalar
 * reference on both sides, the best variant on both sides, and the best variant for the lanes
 * against the scalar reference for the single lanes (the AVX2 build runs the detector of five
 * to eight lanes eight wide: it must give the scalar detector's bits in every lane). */
START_TEST(lanes_match_single)
{
	/* variant of the lanes, of the single lanes: force_c arguments of dsp_arch_select() */
	static const int variants[][2] = {{1, 1}, {0, 0}, {0, 1}};
	const struct dsp_arch *al = dsp_arch_select(variants[_i][0]);
	const struct dsp_arch *as = dsp_arch_select(variants[_i][1]);
	enum { NCHUNK = 400, LEN = NCHUNK * DSP_MAX_CHUNK };
	static struct comp ref[DSP_LANES_MAX], tst[DSP_LANES_MAX];
	static float sig[DSP_LANES_MAX][LEN], want[DSP_MAX_CHUNK];
	static float got[DSP_LANES_MAX][DSP_MAX_CHUNK];
	uint32_t seed = 12345;
	long diverse = 0, resting = 0, fades = 0, all_run = 0;
	for (unsigned run = 0; run < 3 * DSP_LANES_MAX; run++) {
		const unsigned nl = 1 + run / 3;
		const int mixed = run % 3 == 0, rms = run % 3 == 2;
		for (unsigned l = 0; l < nl; l++) {
			/* burst noise, with silence, quiet and full-scale stretches per lane */
			tu_burst_noise(sig[l], LEN, 100 * nl + l, l % 2 ? 0.003f : 0.0f);
			uint32_t kind = (nl + l) % 4, a = (uint32_t)(tu_uniform(&seed, 0.0f, 1.0f) * LEN);
			for (uint32_t i = a; i < LEN && i < a + LEN / 4; i++)
				sig[l][i] = kind == 0 ? 0.0f : kind == 1 ? 2.0f * sig[l][i] :
					    kind == 2 ? 1e-3f * sig[l][i] : sig[l][i];
			struct comp *c = &ref[l];
			comp_setup(c, -40.0f * tu_uniform(&seed, 0.0f, 1.0f), 1.0f + 10.0f * tu_uniform(&seed, 0.0f, 1.0f),
				   12.0f * tu_uniform(&seed, 0.0f, 1.0f), 0.1f + 30.0f * tu_uniform(&seed, 0.0f, 1.0f),
				   5.0f + 300.0f * tu_uniform(&seed, 0.0f, 1.0f));
			int det = mixed ? (int)(l / 2) % 2 : rms;
			comp_set_detector(c, det ? COMP_DETECT_RMS : COMP_DETECT_PEAK);
			float hpf_hz = 30.0f + 200.0f * tu_uniform(&seed, 0.0f, 1.0f);
			comp_set_sc_hpf_hz(c, (mixed ? l % 3 == 1 : rms) ? hpf_hz : 0.0f);
			comp_set_mix_pct(c, l % 4 == 3 ? 60.0f : 100.0f);
			comp_set_makeup_db(c, l % 5 == 2 ? 6.0f : 0.0f);
			if (mixed && l % 3 == 2)
				comp_set_enable(c, 0);
			comp_reset(c);
			memcpy(&tst[l], c, sizeof(*c));
		}
		uint32_t pos = 0;
		for (int k = 0; k < NCHUNK; k++) {
			uint32_t n = (uint32_t)(tu_uniform(&seed, 0.0f, 1.0f) * (DSP_MAX_CHUNK + 1));
			struct comp *cl[DSP_LANES_MAX];
			const float *in[DSP_LANES_MAX];
			float *out[DSP_LANES_MAX];
			int paths = 0;
			for (unsigned l = 0; l < nl; l++) {
				if (tu_uniform(&seed, 0.0f, 1.0f) < 0.03f)
					lanes_poke(&ref[l], &tst[l], &seed, mixed ? 0 : 3);
				cl[l] = &tst[l];
				in[l] = sig[l] + pos;
				out[l] = got[l];
				paths |= 1 << (comp_idle(&tst[l]) + 2 * ref[l].hpf_on +
					       4 * ref[l].detector);
			}
			diverse += __builtin_popcount((unsigned)paths) > 1;
			for (unsigned l = 0; l < nl; l++)
				tst[l].arch = al;
			comp_process_lanes(cl, nl, in, out, n);
			for (unsigned l = 0; l < nl; l++)
				tst[l].arch = ref[l].arch = as; /* compared with the state below */
			/* a lane whose detector rests (y = 0) beside one that runs; fades */
			int dq = 0, fading = 0;
			unsigned running = 0;
			for (unsigned l = 0; l < nl; l++) {
				const struct comp *c = &tst[l];
				dq |= 1 << (!comp_idle(c) && c->y_db == 0.0);
				running += c->y_db != 0.0;
				fading |= !smooth_settled(&c->xfade) || !smooth_settled(&c->wet) ||
					  !smooth_settled(&c->makeup);
			}
			resting += dq == 3;
			all_run += nl == DSP_LANES_MAX && running == nl;
			fades += fading;
			for (unsigned l = 0; l < nl; l++) {
				comp_process(&ref[l], in[l], want, n);
				ck_assert_msg(memcmp(want, got[l], n * sizeof(float)) == 0,
					      "%u lanes, chunk %d (n %u): lane %u output differs",
					      nl, k, n, l);
				ck_assert_msg(memcmp(&ref[l], &tst[l], sizeof(ref[l])) == 0,
					      "%u lanes, chunk %d (n %u): lane %u state differs",
					      nl, k, n, l);
			}
			pos += n;
		}
	}
	printf("comp lanes (%s lanes vs %s single): %ld calls with mixed paths, %ld with a resting detector beside a "
	       "running one, %ld with fades, %ld with all 8 detectors running\n",
	       al->name, as->name, diverse,
	       resting, fades, all_run);
	/* the lanes did take different paths within one call, and all the same one */
	ck_assert(diverse > 1000 && resting > 100 && fades > 100 && all_run > 100);
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
	tcase_add_loop_test(tc, lanes_match_single, 0, 3);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
