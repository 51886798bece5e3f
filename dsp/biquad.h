/* biquad.h: second-order IIR sections (RBJ Audio EQ Cookbook designs, transposed direct
 * form II), shared by the preamp low cut, the de-esser band split and the sidechain filters.
 *
 * Coefficients are designed in double precision (prewarped bilinear transform) and run in
 * float; the analytic magnitude response is available so tests can compare against it. */
#ifndef CHANSTRIP_BIQUAD_H
#define CHANSTRIP_BIQUAD_H

#include <math.h>

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

/* Zero state that has decayed into the subnormal range (cheap, once per block). */
static inline void biquad_flush(struct biquad_state *s)
{
	if (fabsf(s->z1) < 1e-30f)
		s->z1 = 0.0f;
	if (fabsf(s->z2) < 1e-30f)
		s->z2 = 0.0f;
}

#endif
