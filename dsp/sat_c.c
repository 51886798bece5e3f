/* Scalar reference kernels (always built; the SIMD variants must match them). */
#include "sat.h"

void sat_curve_init(struct sat_curve *c, float bias)
{
	float sb = sat_root(bias);
	c->bias = bias;
	/* the kernel's own expression at v = w = b, so silence maps to exactly 0 */
	c->off = (bias + bias) / (sb + sb);
	c->scale = bias == 0.0f ? 1.0f : (float)pow(1.0 + (double)bias * bias, 1.5);
	c->rneg = 1.0f;
}

void sat_mul_const_c(float *restrict out, const float *restrict in, float g, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = in[i] * g;
}

void sat_mul_c(float *restrict out, const float *restrict a, const float *restrict b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		out[i] = a[i] * b[i];
}

/* The knee curve (rneg != 1): the SIMD twins finish their blocks with it too. */
void sat_adaa_knee_c(float *restrict y, const float *restrict u, float drive, float x_prev,
		     const struct sat_curve *c, uint32_t n)
{
	float w = sat_clamp(x_prev + c->bias);
	float sw = sat_root_knee(w, c->rneg);
	for (uint32_t i = 0; i < n; i++) {
		float v = sat_clamp(u[i] * drive + c->bias);
		float sv = sat_root_knee(v, c->rneg);
		y[i] = sat_knee_step(v, w, sv, sw, c);
		w = v;
		sw = sv;
	}
}

void sat_adaa_c(float *restrict y, const float *restrict u, float drive, float x_prev,
		const struct sat_curve *c, uint32_t n)
{
	if (c->rneg != 1.0f) {
		sat_adaa_knee_c(y, u, drive, x_prev, c, n);
		return;
	}
	float w = x_prev + c->bias;
	float sw = sat_root(w);
	for (uint32_t i = 0; i < n; i++) {
		float v = u[i] * drive + c->bias;
		float sv = sat_root(v);
		y[i] = sat_adaa_step(v, w, sv, sw, c);
		w = v;
		sw = sv;
	}
}
