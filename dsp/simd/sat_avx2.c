/* AVX2 kernels: 8 samples per vector; the scalar reference finishes each block. No FMA, so
 * the results are bit-identical to the reference (see sat.h). */
#include <immintrin.h>

#include "sat.h"

void sat_mul_const_avx2(float *restrict out, const float *restrict in, float g, uint32_t n)
{
	__m256 vg = _mm256_set1_ps(g);
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(in + i), vg));
	sat_mul_const_c(out + i, in + i, g, n - i);
}

void sat_mul_avx2(float *restrict out, const float *restrict a, const float *restrict b,
		     uint32_t n)
{
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8)
		_mm256_storeu_ps(out + i,
				 _mm256_mul_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
	sat_mul_c(out + i, a + i, b + i, n - i);
}

/* The knee curve (rneg != 1): both ADAA forms per lane, the straddle one selected where v
 * and w lie on either side of 0, then one division (sat_knee_step's operations, in order). */
static void sat_adaa_knee_avx2(float *restrict y, const float *restrict u, float drive,
			       float x_prev, const struct sat_curve *c, uint32_t n)
{
	const __m256 vd = _mm256_set1_ps(drive), vb = _mm256_set1_ps(c->bias);
	const __m256 voff = _mm256_set1_ps(c->off), vsc = _mm256_set1_ps(c->scale);
	const __m256 one = _mm256_set1_ps(1.0f), vr = _mm256_set1_ps(c->rneg);
	const __m256 hi = _mm256_set1_ps(SAT_CLAMP), lo = _mm256_set1_ps(-SAT_CLAMP);
	const __m256 zero = _mm256_setzero_ps();
	const __m256i rot = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
	float w0 = sat_clamp(x_prev + c->bias);
	__m256 pv = _mm256_set1_ps(w0), ps = _mm256_set1_ps(sat_root_knee(w0, c->rneg));
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(u + i), vd), vb);
		v = _mm256_max_ps(_mm256_min_ps(v, hi), lo); /* as sat_clamp, NaN included */
		__m256 neg = _mm256_cmp_ps(v, zero, _CMP_LT_OQ);
		__m256 t = _mm256_mul_ps(v, _mm256_blendv_ps(one, vr, neg));
		__m256 s = _mm256_sqrt_ps(_mm256_add_ps(one, _mm256_mul_ps(t, t)));
		__m256 rv = _mm256_permutevar8x32_ps(v, rot);
		__m256 rs = _mm256_permutevar8x32_ps(s, rot);
		__m256 w = _mm256_blend_ps(rv, pv, 0x01), sw = _mm256_blend_ps(rs, ps, 0x01);
		__m256 cross = _mm256_xor_ps(neg, _mm256_cmp_ps(w, zero, _CMP_LT_OQ));
		__m256 av = _mm256_add_ps(one, s), aw = _mm256_add_ps(one, sw);
		__m256 num2 = _mm256_sub_ps(_mm256_mul_ps(_mm256_mul_ps(v, v), aw),
					    _mm256_mul_ps(_mm256_mul_ps(w, w), av));
		__m256 den2 = _mm256_mul_ps(_mm256_mul_ps(av, aw), _mm256_sub_ps(v, w));
		__m256 num = _mm256_blendv_ps(_mm256_add_ps(v, w), num2, cross);
		__m256 den = _mm256_blendv_ps(_mm256_add_ps(s, sw), den2, cross);
		__m256 q = _mm256_div_ps(num, den);
		_mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_sub_ps(q, voff), vsc));
		pv = rv;
		ps = rs;
	}
	if (i < n)
		sat_adaa_knee_c(y + i, u + i, drive, i ? u[i - 1] * drive : x_prev, c, n - i);
}

void sat_adaa_avx2(float *restrict y, const float *restrict u, float drive, float x_prev,
			  const struct sat_curve *c, uint32_t n)
{
	if (c->rneg != 1.0f) {
		sat_adaa_knee_avx2(y, u, drive, x_prev, c, n);
		return;
	}
	const __m256 vd = _mm256_set1_ps(drive), vb = _mm256_set1_ps(c->bias);
	const __m256 voff = _mm256_set1_ps(c->off), vsc = _mm256_set1_ps(c->scale);
	const __m256 one = _mm256_set1_ps(1.0f);
	const __m256i rot = _mm256_setr_epi32(7, 0, 1, 2, 3, 4, 5, 6);
	float w0 = x_prev + c->bias;
	/* lane 0 of the rotated previous vectors carries the last sample across iterations */
	__m256 pv = _mm256_set1_ps(w0), ps = _mm256_set1_ps(sat_root(w0));
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		__m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(u + i), vd), vb);
		__m256 s = _mm256_sqrt_ps(_mm256_add_ps(one, _mm256_mul_ps(v, v)));
		__m256 rv = _mm256_permutevar8x32_ps(v, rot);
		__m256 rs = _mm256_permutevar8x32_ps(s, rot);
		__m256 w = _mm256_blend_ps(rv, pv, 0x01), sw = _mm256_blend_ps(rs, ps, 0x01);
		__m256 q = _mm256_div_ps(_mm256_add_ps(v, w), _mm256_add_ps(s, sw));
		_mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_sub_ps(q, voff), vsc));
		pv = rv;
		ps = rs;
	}
	if (i < n)
		sat_adaa_c(y + i, u + i, drive, i ? u[i - 1] * drive : x_prev, c, n - i);
}
