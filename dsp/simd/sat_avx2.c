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

void sat_adaa_avx2(float *restrict y, const float *restrict u, float drive, float x_prev,
			  const struct sat_curve *c, uint32_t n)
{
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
