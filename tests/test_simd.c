/* SIMD kernels against the scalar reference, on every variant this CPU supports: random
 * data, odd lengths (253 and every length 0..80), misaligned buffers.
 *
 * Error bound: 0 ulp. The kernels use only correctly rounded IEEE operations in the
 * reference's order and no FMA (sat.h), so every variant must give the reference's bits;
 * the preamp relies on it for block-size invariance (the vector body and the scalar tail
 * must agree wherever a block happens to end). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "sat.h"
#include "strip.h"
#include "testutil.h"

#define LEN 253
#define PAD 16

/* Distance in units in the last place between two floats of the same sign, or a large
 * number when they differ in sign or class. */
static uint32_t ulp_diff(float a, float b)
{
	if (a == b)
		return 0;
	if (isnan(a) || isnan(b) || (a < 0) != (b < 0))
		return UINT32_MAX;
	uint32_t ia, ib;
	memcpy(&ia, &a, 4);
	memcpy(&ib, &b, 4);
	return ia > ib ? ia - ib : ib - ia;
}

static uint32_t max_ulp(const float *a, const float *b, size_t n)
{
	uint32_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t d = ulp_diff(a[i], b[i]);
		m = d > m ? d : m;
	}
	return m;
}

static const uint32_t bound_ulp = 0;

START_TEST(variants_match_reference)
{
	static float ua[LEN + PAD], ga[LEN + PAD], ra[LEN + PAD], ta[LEN + PAD];
	const struct dsp_simd_ops *ref = &dsp_simd_ops_c;
	int nv = dsp_simd_count();
	ck_assert_int_ge(nv, 1);
	ck_assert_str_eq(dsp_simd_variant(nv - 1)->name, "c");
	struct sat_curve curves[2];
	sat_curve_init(&curves[0], 0.0f);
	sat_curve_init(&curves[1], 0.3f);
	for (int v = 0; v < nv; v++) {
		const struct dsp_simd_ops *ops = dsp_simd_variant(v);
		uint32_t worst = 0;
		for (int mis = 0; mis < 8; mis++) {
			/* odd length 253 at every misalignment, then all short lengths */
			for (uint32_t n = 0; n <= LEN; n = (n < 80) ? n + 1 : LEN + 1) {
				uint32_t len = n <= 80 ? n : LEN;
				float *u = ua + mis + 1, *g = ga + (mis ^ 3) + 1;
				float *r = ra + ((mis + 5) & 7) + 1, *t = ta + mis + 1;
				tu_noise(ua, LEN + PAD, 4.0, 17 + (uint32_t)mis * 131 + len);
				tu_noise(ga, LEN + PAD, 2.0, 99 + (uint32_t)mis * 7 + len);
				ref->mul_const(r, u, -1.7f, len);
				ops->mul_const(t, u, -1.7f, len);
				worst = fmax(worst, max_ulp(r, t, len));
				ref->mul(r, u, g, len);
				ops->mul(t, u, g, len);
				worst = fmax(worst, max_ulp(r, t, len));
				for (int c = 0; c < 2; c++) {
					for (float d = 1.0f; d < 100.0f; d *= 7.3f) {
						ref->sat_adaa(r, u, d, u[-1] * d, &curves[c], len);
						ops->sat_adaa(t, u, d, u[-1] * d, &curves[c], len);
						worst = fmax(worst, max_ulp(r, t, len));
					}
				}
				if (n > 80)
					break;
			}
		}
		printf("simd %-5s vs c: max error %u ulp (bound %u)\n", ops->name, worst, bound_ulp);
		ck_assert_uint_le(worst, bound_ulp);
	}
}
END_TEST

START_TEST(adaa_is_exact_where_the_textbook_form_is_ill_conditioned)
{
	/* x[n] = x[n-1]: ADAA must return f(x) itself, without a branch or a 0/0 */
	struct sat_curve c;
	sat_curve_init(&c, 0.3f);
	float u[64], y[64];
	for (int i = 0; i < 64; i++)
		u[i] = 0.37f;
	for (int v = 0; v < dsp_simd_count(); v++) {
		dsp_simd_variant(v)->sat_adaa(y, u, 3.0f, 0.37f * 3.0f, &c, 64);
		for (int i = 0; i < 64; i++)
			ck_assert_float_eq_tol(y[i], sat_naive(0.37f * 3.0f, &c), 1e-6f);
	}
	/* and silence is exactly silence */
	memset(u, 0, sizeof(u));
	dsp_simd_variant(0)->sat_adaa(y, u, 10.0f, 0.0f, &c, 64);
	for (int i = 0; i < 64; i++)
		ck_assert_float_eq(y[i], 0.0f);
}
END_TEST

START_TEST(selection)
{
	dsp_simd_init(1);
	ck_assert_str_eq(dsp_simd_name(), "c");
	dsp_simd_init(0);
	const char *name = dsp_simd_name();
	ck_assert_str_eq(name, dsp_simd_variant(0)->name);
	ck_assert(!strcmp(name, "avx2") || !strcmp(name, "sse2") || !strcmp(name, "neon") ||
		  !strcmp(name, "c"));
	dsp_simd_init(0); /* idempotent */
	ck_assert_str_eq(dsp_simd_name(), name);
	printf("simd variant chosen: %s (%d supported)\n", name, dsp_simd_count());
}
END_TEST

START_TEST(strip_output_does_not_depend_on_variant)
{
	static struct strip s;
	static float in[48000], ref[48000], out[48000];
	tu_noise(in, 48000, 0.5, 77);
	for (int os = 1; os <= 4; os *= 4) {
		for (int v = 0; v < dsp_simd_count(); v++) {
			dsp_simd_init(1);
			if (v < dsp_simd_count() - 1) {
				/* select variant v: init picks the best, which is v == 0 */
				dsp_simd_init(0);
				if (v > 0)
					continue; /* only the best and the reference are selectable */
			}
			ck_assert_int_eq(strip_init(&s, 48000.0f), 0);
			strip_set_param(&s, P_PRE_GAIN, 18.0f);
			strip_set_param(&s, P_PRE_MODEL, 1.0f);
			strip_set_param(&s, P_PRE_DRIVE, 15.0f);
			strip_set_param(&s, P_PRE_OVERSAMPLE, (float)os);
			strip_reset(&s);
			strip_process(&s, in, v == 0 ? ref : out, 48000);
		}
		if (dsp_simd_count() > 1)
			ck_assert_int_eq(memcmp(ref, out, sizeof(out)), 0);
	}
	dsp_simd_init(1);
}
END_TEST

/* Every module on, random settings per channel that change while audio runs, channels in lane
 * groups: the AVX2 builds of the dynamics kernels (cpu.h) and the SIMD curves and true peak
 * give exactly the reference's bits, outputs and meters. */
#define VAR_CH 12
#define VAR_LEN 24000
START_TEST(many_strips_do_not_depend_on_variant)
{
	static struct strip s[VAR_CH];
	static float in[VAR_CH][VAR_LEN], out[2][VAR_CH][VAR_LEN];
	struct meter_snapshot snap[2][VAR_CH];
	const char *best = "c";
	for (int v = 0; v < 2; v++) {
		uint32_t r = 99;
		dsp_simd_init(v == 0);
		truepeak_select(v != 0);
		if (v == 1)
			best = dsp_simd_name();
		for (unsigned c = 0; c < VAR_CH; c++) {
			ck_assert_int_eq(strip_init(&s[c], 48000.0f), 0);
			for (int id = 0; id < P_COUNT; id++)
				strip_set_param(&s[c], (enum param_id)id,
						tu_random_param((enum param_id)id, &r));
			strip_reset(&s[c]);
			tu_lane_signal(in[c], VAR_LEN, c, &r);
		}
		for (uint32_t done = 0; done < VAR_LEN;) {
			uint32_t k = 1 + tu_lcg(&r) % 300;
			k = k < VAR_LEN - done ? k : VAR_LEN - done;
			const float *pin[VAR_CH];
			float *pout[VAR_CH];
			for (unsigned c = 0; c < VAR_CH; c++) {
				if (tu_lcg(&r) % 10 == 0) {
					enum param_id id = (enum param_id)(tu_lcg(&r) % P_COUNT);
					strip_set_param(&s[c], id, tu_random_param(id, &r));
				}
				pin[c] = in[c] + done;
				pout[c] = out[v][c] + done;
			}
			strip_process_many(s, VAR_CH, pin, pout, k);
			done += k;
		}
		for (unsigned c = 0; c < VAR_CH; c++)
			strip_meter_take(&s[c], &snap[v][c]);
	}
	dsp_simd_init(1);
	for (unsigned c = 0; c < VAR_CH; c++) {
		ck_assert_msg(memcmp(out[0][c], out[1][c], sizeof(out[0][c])) == 0,
			      "channel %u differs between c and %s", c, best);
		ck_assert_int_eq(memcmp(&snap[0][c], &snap[1][c], sizeof(snap[0][c])), 0);
	}
}
END_TEST

int main(void)
{
	Suite *su = suite_create("simd");
	TCase *tc = tcase_create("simd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, variants_match_reference);
	tcase_add_test(tc, adaa_is_exact_where_the_textbook_form_is_ill_conditioned);
	tcase_add_test(tc, selection);
	tcase_add_test(tc, strip_output_does_not_depend_on_variant);
	tcase_add_test(tc, many_strips_do_not_depend_on_variant);
	suite_add_tcase(su, tc);
	return tu_run_suite(su);
}
