/* sat.h: the preamp's gain and saturation kernels, scalar reference and SIMD twins.
 *
 * Saturation curves are built on the algebraic sigmoid g(v) = v / sqrt(1 + v^2), whose
 * negative half may have its knee moved out by a factor c >= 1,
 *
 *     k(v) = v / sqrt(1 + v^2) (v >= 0),   k(v) = v / sqrt(1 + (v / c)^2) (v < 0)
 *
 * (unity slope at 0 from both sides, saturating at +1 and -c), shifted by a bias b >= 0 and
 * normalised to unity slope and zero output at the origin:
 *
 *     f(x) = (k(x + b) - k(b)) / k'(b),   k'(b) = (1 + b^2)^(-3/2)
 *
 * b = 0 and c = 1 is symmetric (odd harmonics only: "transformer"); b > 0 or c > 1 is
 * asymmetric (even harmonics too: "tube"). First-order antiderivative anti-aliasing (Parker,
 * Zavalishin and Le Bivic, DAFx-16; Bilbao, Esqueda, Parker and Valimaki, IEEE SPL 2017)
 * replaces f(x[n]) by the mean of f over the segment x[n-1]..x[n]:
 *
 *     y[n] = (F(x[n]) - F(x[n-1])) / (x[n] - x[n-1]),   F(x) = (K(x + b) - k(b) x) / k'(b)
 *
 * with K(v) = v^2 / (1 + s_v), s_v = sqrt(1 + (v / c_v)^2) (c_v = 1 for v >= 0, c for v < 0),
 * the antiderivative of k that is 0 at 0 (it equals c_v^2 (s_v - 1)). The usual form is
 * ill-conditioned when x[n] ~ x[n-1]. When v = x[n] + b and w = x[n-1] + b lie on the same
 * side of 0 (one c), the difference of square roots is rationalised,
 * c^2 (s_v - s_w) = (v - w)(v + w) / (s_v + s_w), so the division by v - w cancels:
 *
 *     y[n] = ((v + w) / (s_v + s_w) - k(b)) / k'(b)
 *
 * which is exact (f itself) when x[n] = x[n-1] and needs no branch. When they straddle 0
 * (only then do the two c differ), |v - w| = |v| + |w| is no small difference and the
 * antiderivative is used as it stands, over one denominator:
 *
 *     (K(v) - K(w)) / (v - w) = (v^2 (1 + s_w) - w^2 (1 + s_v)) / ((1 + s_v)(1 + s_w)(v - w))
 *
 * So one sqrt and one division per sample (each sample's root is reused by the next). Because
 * it uses only correctly rounded IEEE operations (+, *, /, sqrt, compare, select) in a fixed
 * order and no FMA, every SIMD variant gives the same bits as the scalar reference: the
 * output never depends on how a block is cut, whatever mix of vector body and scalar tail
 * processes it. With c = 1 the straddle form is never taken (the rationalised one is exact
 * across 0 then). Valid for |x| < 1e18 (v^2 must not overflow); with c > 1, v is clamped to
 * +-1e12 first (the straddle form's products stay finite; the curve is flat there to 1e-24). */
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
	float off;   /* k(b), computed exactly as the kernel does, so f(0) is exactly 0 */
	float scale; /* 1 / k'(b) */
	float rneg;  /* 1 / c: the negative half's knee (1: the plain sigmoid) */
};

/* Values beyond this are clamped when rneg != 1 (see above). */
#define SAT_CLAMP 1e12f

/* Fill a curve for bias b >= 0 (b = 0: symmetric, off = 0, scale = 1 exactly), rneg 1. */
void sat_curve_init(struct sat_curve *c, float bias);
/* Set the negative half's knee c >= 1 (as 1 / c; b stays on the positive half, so off and
 * scale do not change). Real-time safe. */
static inline void sat_curve_set_rneg(struct sat_curve *c, float rneg) { c->rneg = rneg; }

/* One ADAA step, shared by the scalar reference and the SIMD tails (same operation order). */
static inline float sat_adaa_step(float v, float w, float sv, float sw, const struct sat_curve *c)
{
	return ((v + w) / (sv + sw) - c->off) * c->scale;
}

static inline float sat_root(float v) { return sqrtf(1.0f + v * v); }

/* The knee curve's pieces (rneg != 1): the clamped shifted value, its root s_v, and one ADAA
 * step with the straddle form where v and w lie on either side of 0 (same operation order in
 * every SIMD twin). */
static inline float sat_clamp(float v)
{
	v = v < SAT_CLAMP ? v : SAT_CLAMP;
	return v > -SAT_CLAMP ? v : -SAT_CLAMP;
}

static inline float sat_root_knee(float v, float rneg)
{
	float t = v * (v < 0.0f ? rneg : 1.0f);
	return sqrtf(1.0f + t * t);
}

static inline float sat_knee_step(float v, float w, float sv, float sw, const struct sat_curve *c)
{
	float num, den;
	if ((v < 0.0f) != (w < 0.0f)) {
		float av = 1.0f + sv, aw = 1.0f + sw;
		num = v * v * aw - w * w * av;
		den = av * aw * (v - w);
	} else {
		num = v + w;
		den = sv + sw;
	}
	return (num / den - c->off) * c->scale;
}

/* Naive (aliasing) curve, for tests and documentation. */
static inline float sat_naive(float x, const struct sat_curve *c)
{
	float v = x + c->bias;
	if (c->rneg != 1.0f) {
		v = sat_clamp(v);
		return (v / sat_root_knee(v, c->rneg) - c->off) * c->scale;
	}
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
/* sat_adaa_c's knee-curve loop (rneg != 1), which the SIMD twins finish their blocks with */
void sat_adaa_knee_c(float *restrict y, const float *restrict u, float drive, float x_prev,
		     const struct sat_curve *c, uint32_t n);
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
