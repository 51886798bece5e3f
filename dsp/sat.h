/* sat.h: the preamp's gain and saturation kernels, scalar reference and SIMD twins.
 *
 * Saturation curves are the algebraic sigmoid g(v) = v / sqrt(1 + v^2), shifted by a bias b
 * and normalised to unity slope and zero output at the origin:
 *
 *     f(x) = (g(x + b) - g(b)) / g'(b),   g'(b) = (1 + b^2)^(-3/2)
 *
 * b = 0 is symmetric (odd harmonics only: "transformer"); b > 0 is asymmetric (even
 * harmonics too: "tube"). First-order antiderivative anti-aliasing (Parker, Zavalishin and
 * Le Bivic, DAFx-16; Bilbao, Esqueda, Parker and Valimaki, IEEE SPL 2017) replaces f(x[n])
 * by the mean of f over the segment x[n-1]..x[n]:
 *
 *     y[n] = (F(x[n]) - F(x[n-1])) / (x[n] - x[n-1]),   F(x) = (sqrt(1 + (x+b)^2) - g(b) x) / g'(b)
 *
 * The usual form is ill-conditioned when x[n] ~ x[n-1]. Here the difference of square roots
 * is rationalised, sqrt(1+v^2) - sqrt(1+w^2) = (v - w)(v + w) / (s_v + s_w), so the division
 * by x[n] - x[n-1] cancels algebraically:
 *
 *     y[n] = ((v + w) / (s_v + s_w) - g(b)) / g'(b),   v = x[n]+b, w = x[n-1]+b, s = sqrt(1+.^2)
 *
 * which is exact (f itself) when x[n] = x[n-1], needs no branch, and costs one sqrt and one
 * division per sample (each sample's sqrt is reused by the next). Because it uses only
 * correctly rounded IEEE operations (+, *, /, sqrt) in a fixed order and no FMA, every SIMD
 * variant gives the same bits as the scalar reference: the output never depends on how a
 * block is cut, whatever mix of vector body and scalar tail processes it.
 * Valid for |x| < 1e18 (v^2 must not overflow). */
#ifndef CHANSTRIP_SAT_H
#define CHANSTRIP_SAT_H

#include <math.h>
#include <stdint.h>

/* Keep a * b + c as two roundings in every file that includes this (GCC does so in ISO C
 * mode, and -ffp-contract=off is set for the SIMD files; clang needs telling). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

struct sat_curve {
	float bias;  /* b */
	float off;   /* g(b), computed exactly as the kernel does, so f(0) is exactly 0 */
	float scale; /* 1 / g'(b) */
};

/* Fill a curve for bias b >= 0 (b = 0: symmetric, off = 0, scale = 1 exactly). */
void sat_curve_init(struct sat_curve *c, float bias);

/* One ADAA step, shared by the scalar reference and the SIMD tails (same operation order). */
static inline float sat_adaa_step(float v, float w, float sv, float sw, const struct sat_curve *c)
{
	return ((v + w) / (sv + sw) - c->off) * c->scale;
}

static inline float sat_root(float v) { return sqrtf(1.0f + v * v); }

/* Naive (aliasing) curve, for tests and documentation. */
static inline float sat_naive(float x, const struct sat_curve *c)
{
	float v = x + c->bias;
	return (v / sat_root(v) - c->off) * c->scale;
}

/* The kernels, one set per instruction set (cpu.h puts them in its tables). All pointers may
 * be unaligned; in and out must not overlap.
 *   sat_mul_const_*: out[i] = in[i] * g
 *   sat_mul_*:       out[i] = a[i] * b[i]
 *   sat_adaa_*:      y[i] = ADAA f at x[i] = u[i] * drive, with x[-1] = x_prev (already driven)
 * The _c ones are the references, and every SIMD twin finishes a block with them. */
#define SAT_DECLARE_KERNELS(isa)                                                                \
	void sat_mul_const_##isa(float *restrict out, const float *restrict in, float g,        \
				 uint32_t n);                                                   \
	void sat_mul_##isa(float *restrict out, const float *restrict a, const float *restrict b, \
			   uint32_t n);                                                         \
	void sat_adaa_##isa(float *restrict y, const float *restrict u, float drive, float x_prev, \
			    const struct sat_curve *c, uint32_t n);

SAT_DECLARE_KERNELS(c)
#if defined(CHANSTRIP_HAVE_SSE2)
SAT_DECLARE_KERNELS(sse2)
#endif
#if defined(CHANSTRIP_HAVE_AVX2)
SAT_DECLARE_KERNELS(avx2)
#endif
#if defined(CHANSTRIP_HAVE_NEON)
SAT_DECLARE_KERNELS(neon)
#endif

#endif
