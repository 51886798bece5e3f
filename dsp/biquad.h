/* biquad.h: second-order IIR sections, the one place for their design and their step forms:
 * the preamp's low cut, the de-esser's band split and sidechain, the gate's and the
 * compressor's sidechain filters.
 *
 * Design (biquad_design, RBJ Audio EQ Cookbook). Each type is an analogue prototype H(s),
 * normalised to a corner or centre at Omega = 1 (Q the quality, A = 10^(gain_db/40)):
 *   low-pass   1 / (s^2 + s/Q + 1)            high-pass  s^2 / (s^2 + s/Q + 1)
 *   band-pass  (s/Q) / (s^2 + s/Q + 1)        (0 dB and 0 degrees at the centre)
 *   peak       (s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1)
 *   low shelf  A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1)
 *   high shelf A (A s^2 + s sqrt(A)/Q + 1) / (s^2 + s sqrt(A)/Q + A)
 * mapped to z by the bilinear transform s = (1 - z^-1) / (1 + z^-1) / tan(w0/2), w0 = 2 pi
 * f0/fs: prewarped so that the corner lands exactly on f0. The digital response at f is
 * then the prototype's at Omega = tan(pi f/fs) / tan(pi f0/fs), exactly (up to the float
 * rounding of the coefficients): tests/test_biquad.c checks that closed form. The bilinear
 * transform keeps zeros exactly where the prototype has them: the high-pass gives
 * b1 = -2 b0, b2 = b0 and the band-pass b1 = 0, b2 = -b0, bit for bit (dividing by 2 is
 * exact), which the fixed-zeros step forms below rely on. Coefficients are designed in
 * double and run in float.
 *
 * Step forms. Each module keeps the form its bits were built on; every form does the same
 * IEEE operations in the same order per lane whether it runs on a float, a vector of four
 * lanes or (AVX2 builds) of eight, so lanes side by side give each lane's single-lane bits:
 *   transposed direct form II   biquad_tick, biquad_run_lanes (interleaved lanes)
 *   the same with fixed zeros   biquad_hp_tick*, biquad_bp_tick* (two products fewer)
 *   direct form I in halves     biquad_df1_ff*, biquad_df1_fb* (shortest feedback chain) */
#ifndef CHANSTRIP_BIQUAD_H
#define CHANSTRIP_BIQUAD_H

#include <math.h>
#include <stdint.h>

#include "dsp.h"
#include "vec.h"

struct biquad_coef {
	float b0, b1, b2, a1, a2; /* a0 normalised to 1 */
};

struct biquad_state {
	float z1, z2;
};

enum biquad_type { BQ_LOWPASS, BQ_HIGHPASS, BQ_BANDPASS, BQ_PEAK, BQ_LOWSHELF, BQ_HIGHSHELF };

/* f0_hz: corner or centre frequency (clamped below fs/2); q: quality (0.7071 = Butterworth);
 * gain_db: for PEAK and shelves only. */
void biquad_design(struct biquad_coef *c, enum biquad_type t, double fs, double f0_hz, double q,
		   double gain_db);

/* A pass-through section (b0 = 1, everything else 0). */
void biquad_identity(struct biquad_coef *c);

/* |H(e^jw)| in dB at f_hz, from the coefficients: the closed form the tests check against. */
double biquad_response_db(const struct biquad_coef *c, double fs, double f_hz);

static inline float biquad_tick(const struct biquad_coef *c, struct biquad_state *s, float x)
{
	float y = c->b0 * x + s->z1;
	s->z1 = c->b1 * x - c->a1 * y + s->z2;
	s->z2 = c->b2 * x - c->a2 * y;
	return y;
}

/* nl sections (nl a constant after inlining, at most DSP_LANES_MAX), each over its own n samples,
 * interleaved sample by sample: one section is a chain of dependent float operations per
 * sample, and independent chains overlap in the CPU. out[l][i] = section l applied to
 * in[l][i] + offset (an offset the filter removes keeps a high-pass's state out of the
 * subnormal range in silence). k[l] and s[l] are read once and s[l] written back once. */
static inline __attribute__((always_inline)) void
biquad_run_lanes(const struct biquad_coef *const *k, struct biquad_state *const *s,
		 const float *const *in, float *const *out, float offset, uint32_t n, unsigned nl)
{
	struct biquad_coef kl[DSP_LANES_MAX];
	struct biquad_state sl[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++) {
		kl[l] = *k[l];
		sl[l] = *s[l];
	}
	for (uint32_t i = 0; i < n; i++)
		for (unsigned l = 0; l < nl; l++)
			out[l][i] = biquad_tick(&kl[l], &sl[l], in[l][i] + offset);
	for (unsigned l = 0; l < nl; l++)
		*s[l] = sl[l];
}

/* biquad_tick on four lanes side by side, each with its own coefficients: the same operations
 * in the same order on every lane, so each lane gets biquad_tick's bits. */
struct biquad_coef_v4 {
	dsp_v4f b0, b1, b2, a1, a2;
};
struct biquad_state_v4 {
	dsp_v4f z1, z2;
};

static inline __attribute__((always_inline)) dsp_v4f
biquad_tick_v4(const struct biquad_coef_v4 *c, struct biquad_state_v4 *s, dsp_v4f x)
{
	dsp_v4f y = c->b0 * x + s->z1;
	s->z1 = c->b1 * x - c->a1 * y + s->z2;
	s->z2 = c->b2 * x - c->a2 * y;
	return y;
}

/* Lane q of a four-lane section from one lane's, and back. */
static inline void biquad_coef_put_v4(struct biquad_coef_v4 *v, unsigned q,
				      const struct biquad_coef *c)
{
	v->b0[q] = c->b0, v->b1[q] = c->b1, v->b2[q] = c->b2, v->a1[q] = c->a1, v->a2[q] = c->a2;
}
static inline void biquad_state_put_v4(struct biquad_state_v4 *v, unsigned q,
				       const struct biquad_state *s)
{
	v->z1[q] = s->z1, v->z2[q] = s->z2;
}
static inline void biquad_state_get_v4(struct biquad_state *s, const struct biquad_state_v4 *v,
				       unsigned q)
{
	s->z1 = v->z1[q], s->z2 = v->z2[q];
}

/* Zero state that has decayed into the subnormal range (cheap, once per block). */
static inline void biquad_flush(struct biquad_state *s)
{
	if (fabsf(s->z1) < 1e-30f)
		s->z1 = 0.0f;
	if (fabsf(s->z2) < 1e-30f)
		s->z2 = 0.0f;
}

/* ---- transposed direct form II with the zeros a design fixes --------------------------------
 * Only b0, a1 and a2 vary; p = b0 x is the only input product, and each state update is
 * summed as (input part + z2) - a1 y: the serial chain from one output to the next is mul,
 * sub, add rather than mul, sub, add, add. Spelled once for a float and a vector of four
 * lanes (BIQUAD_DEF_FIXED_ZEROS); the state is (z1, z2) as in biquad_tick, the results
 * differ from it in rounding only. */
struct biquad_gain_poles {
	float b0, a1, a2;
};
struct biquad_gain_poles_v4 {
	dsp_v4f b0, a1, a2;
};

#define BIQUAD_DEF_FIXED_ZEROS(sfx, C, T)                                                    \
	/* high-pass: b1 = -2 b0, b2 = b0 */                                                  \
	static inline T biquad_hp_tick##sfx(const C *c, T *z1, T *z2, T x)                    \
	{                                                                                     \
		T p = c->b0 * x;                                                              \
		T y = p + *z1;                                                                \
		*z1 = (*z2 - (p + p)) - c->a1 * y;                                            \
		*z2 = p - c->a2 * y;                                                          \
		return y;                                                                     \
	}                                                                                     \
	/* band-pass: b1 = 0, b2 = -b0 */                                                     \
	static inline T biquad_bp_tick##sfx(const C *c, T *z1, T *z2, T x)                    \
	{                                                                                     \
		T p = c->b0 * x;                                                              \
		T y = p + *z1;                                                                \
		*z1 = *z2 - c->a1 * y;                                                        \
		*z2 = -(p + c->a2 * y);                                                       \
		return y;                                                                     \
	}
BIQUAD_DEF_FIXED_ZEROS(, struct biquad_gain_poles, float)
BIQUAD_DEF_FIXED_ZEROS(_v4, struct biquad_gain_poles_v4, dsp_v4f)
#undef BIQUAD_DEF_FIXED_ZEROS

/* ---- direct form I in two halves ------------------------------------------------------------
 * The feed-forward part f = b0 x + b1 x1 + b2 x2 needs no earlier output, so it can run
 * ahead (a whole block of it, vectorised across lanes); the feedback y = (f - a2 y2) - a1 y1
 * leaves the loop-carried chain at y = t - a1 y1 (t is ready a sample early), shorter than
 * transposed form II's. State: x1 x2 y1 y2. BIQUAD_DEF_DF1 spells both halves for a lane type
 * T with state S (fields x1 x2 y1 y2 of type T) and function attributes ATTR; they are
 * defined here for a float and a vector of four lanes, and a module built for AVX2 defines
 * its eight-lane pair with the same macro. */
struct biquad_df1 {
	float x1, x2, y1, y2;
};
struct biquad_df1_v4 {
	dsp_v4f x1, x2, y1, y2;
};

#define BIQUAD_DEF_DF1(sfx, S, T, ATTR)                                                      \
	ATTR static inline __attribute__((always_inline)) T biquad_df1_ff##sfx(S *st, T b0,   \
									       T b1, T b2, T x) \
	{                                                                                     \
		T f = b0 * x + b1 * st->x1 + b2 * st->x2;                                     \
		st->x2 = st->x1;                                                              \
		st->x1 = x;                                                                   \
		return f;                                                                     \
	}                                                                                     \
	ATTR static inline __attribute__((always_inline)) T biquad_df1_fb##sfx(S *st, T a1,   \
									       T a2, T f)       \
	{                                                                                     \
		T t = f - a2 * st->y2;                                                        \
		T y = t - a1 * st->y1;                                                        \
		st->y2 = st->y1;                                                              \
		st->y1 = y;                                                                   \
		return y;                                                                     \
	}
BIQUAD_DEF_DF1(, struct biquad_df1, float, )
BIQUAD_DEF_DF1(_v4, struct biquad_df1_v4, dsp_v4f, )

/* One whole direct form I step on a float. */
static inline __attribute__((always_inline)) float
biquad_df1_tick(struct biquad_df1 *st, float b0, float b1, float b2, float a1, float a2, float x)
{
	return biquad_df1_fb(st, a1, a2, biquad_df1_ff(st, b0, b1, b2, x));
}

#endif
