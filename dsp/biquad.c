#include "biquad.h"

#include <complex.h>

void biquad_identity(struct biquad_coef *c)
{
	c->b0 = 1.0f;
	c->b1 = c->b2 = c->a1 = c->a2 = 0.0f;
}

void biquad_design(struct biquad_coef *c, enum biquad_type t, double fs, double f0_hz, double q,
		   double gain_db)
{
	double f0 = f0_hz;
	if (f0 > 0.49 * fs)
		f0 = 0.49 * fs;
	if (f0 < 1.0)
		f0 = 1.0;
	if (q <= 0.0)
		q = 0.7071067811865476;
	double w0 = 2.0 * M_PI * f0 / fs;
	double cw = cos(w0), sw = sin(w0);
	double alpha = sw / (2.0 * q);
	double A = pow(10.0, gain_db / 40.0);
	double b0, b1, b2, a0, a1, a2;

	switch (t) {
	case BQ_LOWPASS:
		b0 = (1.0 - cw) / 2.0; b1 = 1.0 - cw; b2 = b0;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case BQ_HIGHPASS:
		b0 = (1.0 + cw) / 2.0; b1 = -(1.0 + cw); b2 = b0;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case BQ_BANDPASS: /* constant 0 dB peak gain */
		b0 = alpha; b1 = 0.0; b2 = -alpha;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case BQ_PEAK:
		b0 = 1.0 + alpha * A; b1 = -2.0 * cw; b2 = 1.0 - alpha * A;
		a0 = 1.0 + alpha / A; a1 = -2.0 * cw; a2 = 1.0 - alpha / A;
		break;
	case BQ_LOWSHELF: {
		double sa = 2.0 * sqrt(A) * alpha;
		b0 = A * ((A + 1.0) - (A - 1.0) * cw + sa);
		b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
		b2 = A * ((A + 1.0) - (A - 1.0) * cw - sa);
		a0 = (A + 1.0) + (A - 1.0) * cw + sa;
		a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
		a2 = (A + 1.0) + (A - 1.0) * cw - sa;
		break;
	}
	case BQ_HIGHSHELF:
	default: {
		double sa = 2.0 * sqrt(A) * alpha;
		b0 = A * ((A + 1.0) + (A - 1.0) * cw + sa);
		b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
		b2 = A * ((A + 1.0) + (A - 1.0) * cw - sa);
		a0 = (A + 1.0) - (A - 1.0) * cw + sa;
		a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
		a2 = (A + 1.0) - (A - 1.0) * cw - sa;
		break;
	}
	}
	c->b0 = (float)(b0 / a0);
	c->b1 = (float)(b1 / a0);
	c->b2 = (float)(b2 / a0);
	c->a1 = (float)(a1 / a0);
	c->a2 = (float)(a2 / a0);
}

double biquad_response_db(const struct biquad_coef *c, double fs, double f_hz)
{
	double w = 2.0 * M_PI * f_hz / fs;
	double complex z1 = cexp(-I * w), z2 = z1 * z1;
	double complex h = (c->b0 + c->b1 * z1 + c->b2 * z2) / (1.0 + c->a1 * z1 + c->a2 * z2);
	return 20.0 * log10(cabs(h));
}
