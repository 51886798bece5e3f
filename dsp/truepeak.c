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

#include "cpu.h"
#include "vec.h"

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

/* GCC/Clang generic vectors (vec.h): SSE2 on x86-64, NEON on arm64, plain scalar code
 * elsewhere. -O2 does not vectorise loops with a run-time trip count, so the lanes are spelled
 * out. */

/* The larger of two vectors of finite values >= 0 (compare and select). */
static inline dsp_v4f tp_max_v4(dsp_v4f a, dsp_v4f b)
{
	dsp_v4i gt = a > b;
	return (dsp_v4f)((gt & (dsp_v4i)a) | (~gt & (dsp_v4i)b));
}
#define TPK_NAME truepeak_max_c
#define TPK_BLOCK tp_block_v4
#define TPK_MAX tp_max_v4
#define TPK_V dsp_v4f
#define TPK_VI dsp_v4i
#define TPK_W 4
#include "truepeak_kernel.h"

static inline float max2(float a, float b) { return a > b ? a : b; }

void truepeak_reset(struct truepeak *tp)
{
	memset(tp->buf, 0, sizeof(tp->buf));
	tp->hist_peak = 0.0f;
}

/* The last TRUEPEAK_HIST samples of (history, x) become the history; returns their max |x|.
 * Only these few samples move, so a skipped block costs a handful of vector operations. */
static float tp_keep_history(struct truepeak *tp, const float *x, uint32_t n)
{
	float *b = tp->buf;
	float p = 0.0f;
	if (n >= TRUEPEAK_HIST) {
		/* the peak from x itself: reading b back right after storing it would wait on
		 * store forwarding. |x| as bits (finite x: ordered like |x|), the max of three
		 * overlapping vectors covering h[0..10] */
		const float *h = x + n - TRUEPEAK_HIST;
		memcpy(b, h, TRUEPEAK_HIST * sizeof(float));
		const dsp_v4i mask = (dsp_v4i){ 0 } + 0x7fffffff;
		dsp_v4i a = (dsp_v4i)dsp_load4f(h), c = (dsp_v4i)dsp_load4f(h + 4);
		dsp_v4i d = (dsp_v4i)dsp_load4f(h + TRUEPEAK_HIST - 4);
		a &= mask, c &= mask, d &= mask;
		a = dsp_max4i(dsp_max4i(a, c), d);
		int32_t r = 0;
		for (int l = 0; l < 4; l++)
			r = a[l] > r ? a[l] : r;
		memcpy(&p, &r, sizeof(p));
	} else {
		memmove(b, b + n, (TRUEPEAK_HIST - n) * sizeof(float));
		memcpy(b + TRUEPEAK_HIST - n, x, n * sizeof(float));
		for (int i = 0; i < TRUEPEAK_HIST; i++)
			p = max2(p, fabsf(b[i]));
	}
	return p;
}

float truepeak_process_input(struct truepeak *tp, const float *x, uint32_t n, float x_peak,
			     float known, const struct dsp_arch *arch)
{
	float r = 0.0f;
	if (n == 0)
		return 0.0f;
	if (max2(x_peak, tp->hist_peak) * TRUEPEAK_GAIN_BOUND > known)
		r = 0.5f * dsp_arch_or_c(arch)->truepeak_max(truepeak_input(tp), n);
	tp->hist_peak = tp_keep_history(tp, x, n);
	return r;
}

float truepeak_process(struct truepeak *tp, const float *x, uint32_t n, float x_peak, float known,
		       const struct dsp_arch *arch)
{
	if (n == 0)
		return 0.0f;
	if (max2(x_peak, tp->hist_peak) * TRUEPEAK_GAIN_BOUND > known) {
		float *cur = truepeak_input(tp);
		for (uint32_t i = 0; i < n; i++) /* a loop, not memcpy: GCC makes that rep movsq */
			cur[i] = x[i];
	}
	return truepeak_process_input(tp, x, n, x_peak, known, arch);
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
	tp->hist_peak = tp_keep_history(tp, x, n);
	return r;
}
