/* biquad.h: second-order IIR sections (RBJ Audio EQ Cookbook designs, transposed direct
 * form II), shared by the preamp low cut, the de-esser band split and the sidechain filters.
 *
 * Coefficients are designed in double precision (prewarped bilinear transform) and run in
 * float; the analytic magnitude response is available so tests can compare against it. */
#ifndef CHANSTRIP_BIQUAD_H
#define CHANSTRIP_BIQUAD_H

#include <math.h>
#include <stdint.h>

#include "dsp.h"

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

/* Zero state that has decayed into the subnormal range (cheap, once per block). */
static inline void biquad_flush(struct biquad_state *s)
{
	if (fabsf(s->z1) < 1e-30f)
		s->z1 = 0.0f;
	if (fabsf(s->z2) < 1e-30f)
		s->z2 = 0.0f;
}

#endif
