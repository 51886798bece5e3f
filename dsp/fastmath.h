/* fastmath.h: cheap log2 / exp2 for per-sample level work in the dynamics modules.
 *
 * Both are branch-free and written so that GCC and Clang vectorise loops that call them.
 * Accuracy (measured over the whole normal float range by tests/test_comp.c):
 *   fm_log2(x): |error| < 4e-6 (absolute, log2 units; 2.4e-5 dB) for normal x > 0, set by the
 *               float rounding of results up to |128|; below 1e-6 of that for |log2 x| < 1.
 *   fm_exp2(x): relative error < 3e-7 (3e-6 dB) for x in [-126, 127]; fm_exp2(0) == 1 exactly,
 *               and fm_exp2(x) == 1.0f exactly for |x| < 2^-26, so a gain of "almost 0 dB"
 *               is exactly unity (the gate's "exactly 1.0 while open" relies on this).
 * Arguments outside the stated domains give finite but meaningless results: callers clamp. */
#ifndef CHANSTRIP_FASTMATH_H
#define CHANSTRIP_FASTMATH_H

#include <stdint.h>
#include <string.h>

#include "dsp.h"

/* 20*log10(x) = FM_DB_PER_LOG2 * log2(x); 10^(db/20) = exp2(db * FM_LOG2_PER_DB). */
#define FM_DB_PER_LOG2 6.0205999132796239f
#define FM_LOG2_PER_DB 0.16609640474436813f

static inline int32_t fm_f2i_bits(float x)
{
	int32_t i;
	memcpy(&i, &x, sizeof(i));
	return i;
}

static inline float fm_i2f_bits(int32_t i)
{
	float x;
	memcpy(&x, &i, sizeof(x));
	return x;
}

/* log2(x) for normal x > 0. The mantissa is folded into [sqrt(1/2), sqrt(2)) by an integer
 * offset, then log2(m) = 2/ln2 * atanh(t) with t = (m-1)/(m+1), |t| <= 0.1716, summed to t^7:
 * the first omitted term is 2/ln2 * t^9/9 < 5e-8. */
static inline float fm_log2(float x)
{
	int32_t bits = fm_f2i_bits(x);
	int32_t e = (bits - 0x3f3504f3) >> 23; /* exponent relative to sqrt(1/2) */
	float m = fm_i2f_bits(bits - (int32_t)((uint32_t)e << 23));
	float t = (m - 1.0f) / (m + 1.0f);
	float t2 = t * t;
	float p = 2.8853900817779268f +
		  t2 * (0.96179669392597561f + t2 * (0.57707801635558534f + t2 * 0.41219858311113241f));
	return (float)e + t * p;
}

/* 2^x for |x| < 2^22; the result's exponent is clamped to [-126, 127], so very negative x give
 * a tiny normal number rather than 0 or a subnormal. x = i + f with i = round(x), |f| <= 0.5;
 * 2^f by its Taylor series to f^6 (remainder < (0.5 ln2)^7 / 7! = 1.3e-7), 2^i built in the
 * exponent. The clamp is on the integer: a float clamp ahead of the rounding stops GCC 12
 * from vectorising the loop ("control flow in loop"). */
/* 2^f for |f| <= 0.5: the Taylor series to f^6 (see fm_exp2). */
static inline float fm_exp2_frac(float f)
{
	return 1.0f +
	       f * (0.69314718055994531f +
		    f * (0.24022650695910071f +
			 f * (0.055504108664821580f +
			      f * (0.0096181291076284772f +
				   f * (0.0013333558146428443f + f * 0.00015403530393381609f)))));
}

static inline float fm_exp2(float x)
{
	/* Round to nearest integer: adding 1.5*2^23 pushes the fraction out of the mantissa. */
	float r = (x + 12582912.0f) - 12582912.0f;
	float f = x - r;
	float p = fm_exp2_frac(f);
	int32_t i = (int32_t)r;
	i = i > -126 ? i : -126;
	i = i < 127 ? i : 127;
	return p * fm_i2f_bits((i + 127) << 23);
}

/* fm_exp2 without the exponent clamp, for callers that keep x in [-126, 127] (a gain
 * between -758 and +764 dB): the same result as fm_exp2 there, without the two integer
 * min/max that SSE2 has to emulate with compare-and-blend. */
static inline float fm_exp2_in_range(float x)
{
	float r = (x + 12582912.0f) - 12582912.0f;
	float f = x - r;
	float p = fm_exp2_frac(f);
	return p * fm_i2f_bits(((int32_t)r + 127) << 23);
}

/* Loops over a chunk's internal buffers run to n rounded up to this (the buffers are padded),
 * so that GCC's -O2 cost model, which refuses loops that need a scalar epilogue, vectorises
 * them. Padding lanes are filled with neutral values and never reach the output. */
#define FM_VEC 8u
static inline uint32_t fm_pad(uint32_t n) { return (n + FM_VEC - 1u) & ~(FM_VEC - 1u); }

/* fm_min_padded / fm_max_padded: minimum / maximum of g[0..nv), nv a multiple of FM_VEC (and
 * > 0), with eight independent chains, not one. FM_REDUCE_PADDED(name, keep, mm_op) writes
 * the reduction "m = m keep x ? m : x"; on SSE with minps/maxps (mm_op), which mean exactly
 * that (second operand on unordered or equal), so both forms give the same result. */
#if defined(__SSE__)
#include <xmmintrin.h>
#define FM_REDUCE_PADDED(name, keep, mm_op)                                                \
	static inline float name(const float *g, uint32_t nv)                              \
	{                                                                                  \
		__m128 a = _mm_loadu_ps(g), b = _mm_loadu_ps(g + 4);                       \
		for (uint32_t i = FM_VEC; i < nv; i += FM_VEC) {                           \
			a = mm_op(a, _mm_loadu_ps(g + i));                                 \
			b = mm_op(b, _mm_loadu_ps(g + i + 4));                             \
		}                                                                          \
		float m[FM_VEC];                                                           \
		_mm_storeu_ps(m, a);                                                       \
		_mm_storeu_ps(m + 4, b);                                                   \
		for (uint32_t j = 1; j < FM_VEC; j++)                                      \
			m[0] = m[0] keep m[j] ? m[0] : m[j];                               \
		return m[0];                                                               \
	}
#else
#define FM_REDUCE_PADDED(name, keep, mm_op)                                                \
	static inline float name(const float *g, uint32_t nv)                              \
	{                                                                                  \
		float m[FM_VEC];                                                           \
		for (uint32_t j = 0; j < FM_VEC; j++)                                      \
			m[j] = g[j];                                                       \
		for (uint32_t i = FM_VEC; i < nv; i += FM_VEC)                             \
			for (uint32_t j = 0; j < FM_VEC; j++)                              \
				m[j] = m[j] keep g[i + j] ? m[j] : g[i + j];               \
		for (uint32_t j = 1; j < FM_VEC; j++)                                      \
			m[0] = m[0] keep m[j] ? m[0] : m[j];                               \
		return m[0];                                                               \
	}
#endif
FM_REDUCE_PADDED(fm_min_padded, <, _mm_min_ps)
FM_REDUCE_PADDED(fm_max_padded, >, _mm_max_ps)

/* In place, for the stereo link's apply halves: g[0..n) holds reductions in dB times q; each
 * becomes its gain 10^(-g / (20 q)), the padding up to nv (fm_pad(n)) gain 1. Returns the
 * smallest gain (the meter's). */
static inline float fm_gain_of_reduction_q(float *restrict g, uint32_t n, uint32_t nv, float q)
{
	for (uint32_t i = n; i < nv; i++)
		g[i] = 0.0f;
	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2_in_range(g[i] * (-FM_LOG2_PER_DB / q));
	return fm_min_padded(g, nv);
}

/* 0, 1, 2, ... as floats: a load instead of an int-to-float conversion per lane. */
static const float fm_index[DSP_MAX_CHUNK] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
	22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
	44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};

/* 20*log10(x) for x >= 1e-30 (callers floor it), and its inverse. */
static inline float fm_lin_to_db(float x) { return FM_DB_PER_LOG2 * fm_log2(x); }
static inline float fm_db_to_lin(float db) { return fm_exp2(db * FM_LOG2_PER_DB); }

#endif
