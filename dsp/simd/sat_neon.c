/* NEON kernels (AArch64: vsqrtq/vdivq are AArch64-only): 4 samples per vector; the scalar
 * reference finishes each block. vmul + vadd, never vfma, so results match the reference. */
#include <arm_neon.h>

#include "sat.h"

void sat_mul_const_neon(float *restrict out, const float *restrict in, float g, uint32_t n)
{
	float32x4_t vg = vdupq_n_f32(g);
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4)
		vst1q_f32(out + i, vmulq_f32(vld1q_f32(in + i), vg));
	sat_mul_const_c(out + i, in + i, g, n - i);
}

void sat_mul_neon(float *restrict out, const float *restrict a, const float *restrict b,
		     uint32_t n)
{
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4)
		vst1q_f32(out + i, vmulq_f32(vld1q_f32(a + i), vld1q_f32(b + i)));
	sat_mul_c(out + i, a + i, b + i, n - i);
}

void sat_adaa_neon(float *restrict y, const float *restrict u, float drive, float x_prev,
			  const struct sat_curve *c, uint32_t n)
{
	if (c->rneg != 1.0f) {
		/* the knee curve runs the reference here (the same bits by definition) */
		sat_adaa_knee_c(y, u, drive, x_prev, c, n);
		return;
	}
	const float32x4_t vd = vdupq_n_f32(drive), vb = vdupq_n_f32(c->bias);
	const float32x4_t voff = vdupq_n_f32(c->off), vsc = vdupq_n_f32(c->scale);
	const float32x4_t one = vdupq_n_f32(1.0f);
	float w0 = x_prev + c->bias;
	float32x4_t pv = vdupq_n_f32(w0), ps = vdupq_n_f32(sat_root(w0));
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		float32x4_t v = vaddq_f32(vmulq_f32(vld1q_f32(u + i), vd), vb);
		float32x4_t s = vsqrtq_f32(vaddq_f32(one, vmulq_f32(v, v)));
		/* [p3 v0 v1 v2]: the previous block's last sample shifted in */
		float32x4_t w = vextq_f32(pv, v, 3), sw = vextq_f32(ps, s, 3);
		float32x4_t q = vdivq_f32(vaddq_f32(v, w), vaddq_f32(s, sw));
		vst1q_f32(y + i, vmulq_f32(vsubq_f32(q, voff), vsc));
		pv = v;
		ps = s;
	}
	if (i < n)
		sat_adaa_c(y + i, u + i, drive, i ? u[i - 1] * drive : x_prev, c, n - i);
}
