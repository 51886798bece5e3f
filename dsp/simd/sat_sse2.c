/* SSE2 kernels: 4 samples per vector; the scalar reference finishes each block. */
#include <emmintrin.h>

#include "sat.h"

void sat_mul_const_sse2(float *restrict out, const float *restrict in, float g, uint32_t n)
{
	__m128 vg = _mm_set1_ps(g);
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4)
		_mm_storeu_ps(out + i, _mm_mul_ps(_mm_loadu_ps(in + i), vg));
	sat_mul_const_c(out + i, in + i, g, n - i);
}

void sat_mul_sse2(float *restrict out, const float *restrict a, const float *restrict b,
		     uint32_t n)
{
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4)
		_mm_storeu_ps(out + i, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
	sat_mul_c(out + i, a + i, b + i, n - i);
}

/* m ? b : a, lane by lane (SSE2 has no blendv) */
static inline __m128 sat_sel(__m128 m, __m128 a, __m128 b)
{
	return _mm_or_ps(_mm_and_ps(m, b), _mm_andnot_ps(m, a));
}

/* The knee curve (rneg != 1): both ADAA forms per lane, the straddle one selected where v
 * and w lie on either side of 0, then one division (sat_knee_step's operations, in order). */
static void sat_adaa_knee_sse2(float *restrict y, const float *restrict u, float drive,
			       float x_prev, const struct sat_curve *c, uint32_t n)
{
	const __m128 vd = _mm_set1_ps(drive), vb = _mm_set1_ps(c->bias);
	const __m128 voff = _mm_set1_ps(c->off), vsc = _mm_set1_ps(c->scale);
	const __m128 one = _mm_set1_ps(1.0f), vr = _mm_set1_ps(c->rneg);
	const __m128 hi = _mm_set1_ps(SAT_CLAMP), lo = _mm_set1_ps(-SAT_CLAMP);
	const __m128 zero = _mm_setzero_ps();
	float w0 = sat_clamp(x_prev + c->bias);
	__m128 pv = _mm_set1_ps(w0), ps = _mm_set1_ps(sat_root_knee(w0, c->rneg));
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(u + i), vd), vb);
		v = _mm_max_ps(_mm_min_ps(v, hi), lo); /* as sat_clamp, NaN included */
		__m128 neg = _mm_cmplt_ps(v, zero);
		__m128 t = _mm_mul_ps(v, sat_sel(neg, one, vr));
		__m128 s = _mm_sqrt_ps(_mm_add_ps(one, _mm_mul_ps(t, t)));
		__m128 rv = _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 1, 0, 3));
		__m128 rs = _mm_shuffle_ps(s, s, _MM_SHUFFLE(2, 1, 0, 3));
		__m128 w = _mm_move_ss(rv, pv), sw = _mm_move_ss(rs, ps);
		__m128 cross = _mm_xor_ps(neg, _mm_cmplt_ps(w, zero));
		__m128 av = _mm_add_ps(one, s), aw = _mm_add_ps(one, sw);
		__m128 num2 = _mm_sub_ps(_mm_mul_ps(_mm_mul_ps(v, v), aw),
					 _mm_mul_ps(_mm_mul_ps(w, w), av));
		__m128 den2 = _mm_mul_ps(_mm_mul_ps(av, aw), _mm_sub_ps(v, w));
		__m128 num = sat_sel(cross, _mm_add_ps(v, w), num2);
		__m128 den = sat_sel(cross, _mm_add_ps(s, sw), den2);
		__m128 q = _mm_div_ps(num, den);
		_mm_storeu_ps(y + i, _mm_mul_ps(_mm_sub_ps(q, voff), vsc));
		pv = rv;
		ps = rs;
	}
	if (i < n)
		sat_adaa_knee_c(y + i, u + i, drive, i ? u[i - 1] * drive : x_prev, c, n - i);
}

void sat_adaa_sse2(float *restrict y, const float *restrict u, float drive, float x_prev,
			  const struct sat_curve *c, uint32_t n)
{
	if (c->rneg != 1.0f) {
		sat_adaa_knee_sse2(y, u, drive, x_prev, c, n);
		return;
	}
	const __m128 vd = _mm_set1_ps(drive), vb = _mm_set1_ps(c->bias);
	const __m128 voff = _mm_set1_ps(c->off), vsc = _mm_set1_ps(c->scale);
	const __m128 one = _mm_set1_ps(1.0f);
	float w0 = x_prev + c->bias;
	/* lane 0 of the rotated previous vectors carries the last sample across iterations */
	__m128 pv = _mm_set1_ps(w0), ps = _mm_set1_ps(sat_root(w0));
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m128 v = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(u + i), vd), vb);
		__m128 s = _mm_sqrt_ps(_mm_add_ps(one, _mm_mul_ps(v, v)));
		/* rotate right by one lane: [3 0 1 2], then lane 0 from the previous block */
		__m128 rv = _mm_shuffle_ps(v, v, _MM_SHUFFLE(2, 1, 0, 3));
		__m128 rs = _mm_shuffle_ps(s, s, _MM_SHUFFLE(2, 1, 0, 3));
		__m128 w = _mm_move_ss(rv, pv), sw = _mm_move_ss(rs, ps);
		__m128 q = _mm_div_ps(_mm_add_ps(v, w), _mm_add_ps(s, sw));
		_mm_storeu_ps(y + i, _mm_mul_ps(_mm_sub_ps(q, voff), vsc));
		pv = rv;
		ps = rs;
	}
	if (i < n)
		sat_adaa_c(y + i, u + i, drive, i ? u[i - 1] * drive : x_prev, c, n - i);
}
