/* truepeak.c: BS.1770-4 Annex 2 true peak, four outputs at a time.
 *
 * The 48-tap prototype is symmetric, so phase 3 is phase 0 reversed and phase 2 is phase 1
 * reversed. With a_k = x[n-k] and b_k = x[n-11+k] (k = 0..5) and c = phase 0 or 1:
 *   S = sum (c[k] + c[11-k]) (a_k + b_k)   = y_p + y_{3-p}
 *   D = sum (c[k] - c[11-k]) (a_k - b_k)   = y_p - y_{3-p}
 *   max(|y_p|, |y_{3-p}|) = (|S| + |D|) / 2
 * which gives all four phases' peak from 12 add/sub and 24 multiplies per output instead of
 * 48 multiply-adds. Each output is computed by the same expression in every lane and in
 * every call, so the result does not depend on how the input is cut. */
#include "truepeak.h"

#include <math.h>
#include <string.h>

const float truepeak_coef[TRUEPEAK_PHASES][TRUEPEAK_TAPS] = {
	{ 0.0017089843750f, 0.0109863281250f, -0.0196533203125f, 0.0332031250000f,
	  -0.0594482421875f, 0.1373291015625f, 0.9721679687500f, -0.1022949218750f,
	  0.0476074218750f, -0.0266113281250f, 0.0148925781250f, -0.0083007812500f },
	{ -0.0291748046875f, 0.0292968750000f, -0.0517578125000f, 0.0891113281250f,
	  -0.1665039062500f, 0.4650878906250f, 0.7797851562500f, -0.2003173828125f,
	  0.1015625000000f, -0.0582275390625f, 0.0330810546875f, -0.0189208984375f },
	{ -0.0189208984375f, 0.0330810546875f, -0.0582275390625f, 0.1015625000000f,
	  -0.2003173828125f, 0.7797851562500f, 0.4650878906250f, -0.1665039062500f,
	  0.0891113281250f, -0.0517578125000f, 0.0292968750000f, -0.0291748046875f },
	{ -0.0083007812500f, 0.0148925781250f, -0.0266113281250f, 0.0476074218750f,
	  -0.1022949218750f, 0.9721679687500f, 0.1373291015625f, -0.0594482421875f,
	  0.0332031250000f, -0.0196533203125f, 0.0109863281250f, 0.0017089843750f },
};

/* c[p][k] + c[p][11-k] and c[p][k] - c[p][11-k] for p = 0, 1 and k = 0..5; exact (the
 * coefficients are multiples of 2^-16). The unit test holds truepeak_process to the
 * direct form, truepeak_process_ref, which uses truepeak_coef itself. */
static const float tp_sum[2][6] = {
	{ -0.0065917968750f, 0.0258789062500f, -0.0462646484375f, 0.0808105468750f, -0.1617431640625f, 1.1094970703125f },
	{ -0.0480957031250f, 0.0623779296875f, -0.1099853515625f, 0.1906738281250f, -0.3668212890625f, 1.2448730468750f },
};
static const float tp_dif[2][6] = {
	{ 0.0100097656250f, -0.0039062500000f, 0.0069580078125f, -0.0144042968750f, 0.0428466796875f, -0.8348388671875f },
	{ -0.0102539062500f, -0.0037841796875f, 0.0064697265625f, -0.0124511718750f, 0.0338134765625f, -0.3146972656250f },
};

/* GCC/Clang generic vectors: SSE2 on x86-64, NEON on arm64, plain scalar code elsewhere.
 * -O2 does not vectorise loops with a run-time trip count, so the lanes are spelled out. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

static inline v4f v4_load(const float *p)
{
	v4f v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline v4f v4_abs(v4f v)
{
	return (v4f)((v4i)v & (v4i){ 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff });
}

static inline v4f v4_splat(float f) { return (v4f){ f, f, f, f }; }

/* max(a, b) for non-negative, non-NaN lanes: compare and blend, which maps to maxps */
static inline v4f v4_max(v4f a, v4f b)
{
	v4i gt = a > b;
	return (v4f)((gt & (v4i)a) | (~gt & (v4i)b));
}

/* (|S|+|D|) for phases {0,3} and {1,2} at the four outputs whose newest tap is x[0..3] */
static inline v4f tp_group(const float *x)
{
	v4f s0 = v4_splat(0.0f), d0 = s0, s1 = s0, d1 = s0;
	for (int k = 0; k < 6; k++) {
		v4f a = v4_load(x - k), b = v4_load(x - 11 + k);
		v4f s = a + b, d = a - b;
		s0 += v4_splat(tp_sum[0][k]) * s;
		d0 += v4_splat(tp_dif[0][k]) * d;
		s1 += v4_splat(tp_sum[1][k]) * s;
		d1 += v4_splat(tp_dif[1][k]) * d;
	}
	return v4_max(v4_abs(s0) + v4_abs(d0), v4_abs(s1) + v4_abs(d1));
}

void truepeak_reset(struct truepeak *tp)
{
	memset(tp->buf, 0, sizeof(tp->buf));
	tp->hist_peak = 0.0f;
}

static float tp_shift_history(struct truepeak *tp, uint32_t n)
{
	float *b = tp->buf;
	float p = 0.0f;
	memmove(b, b + n, TRUEPEAK_HIST * sizeof(float));
	for (int i = 0; i < TRUEPEAK_HIST; i++)
		p = fmaxf(p, fabsf(b[i]));
	return p;
}

float truepeak_process(struct truepeak *tp, const float *x, uint32_t n, float x_peak, float known)
{
	float *cur = tp->buf + TRUEPEAK_HIST;
	float r = 0.0f;
	if (n == 0)
		return 0.0f;
	memcpy(cur, x, n * sizeof(float));
	if (fmaxf(x_peak, tp->hist_peak) * TRUEPEAK_GAIN_BOUND > known) {
		v4f m = v4_splat(0.0f);
		uint32_t i = 0;
		for (; i + 4 <= n; i += 4)
			m = v4_max(m, tp_group(cur + i));
		if (i < n) {
			/* lanes past n hold stale (finite) samples: compute, then drop them */
			v4i lane = (v4i){ 0, 1, 2, 3 } + (int32_t)i;
			v4i keep = lane < (int32_t)n;
			m = v4_max(m, (v4f)(keep & (v4i)tp_group(cur + i)));
		}
		r = 0.5f * fmaxf(fmaxf(m[0], m[1]), fmaxf(m[2], m[3]));
	}
	tp->hist_peak = tp_shift_history(tp, n);
	return r;
}

float truepeak_process_ref(struct truepeak *tp, const float *x, uint32_t n)
{
	float *cur = tp->buf + TRUEPEAK_HIST;
	float r = 0.0f;
	memcpy(cur, x, n * sizeof(float));
	for (uint32_t i = 0; i < n; i++)
		for (int p = 0; p < TRUEPEAK_PHASES; p++) {
			float y = 0.0f;
			for (int k = 0; k < TRUEPEAK_TAPS; k++)
				y += truepeak_coef[p][k] * cur[(int32_t)i - k];
			r = fmaxf(r, fabsf(y));
		}
	tp->hist_peak = tp_shift_history(tp, n);
	return r;
}
