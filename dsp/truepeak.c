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

/* c[p][k] + c[p][11-k] and c[p][k] - c[p][11-k] for p = 0, 1 and k = 0..5; exact (the
 * coefficients are multiples of 2^-16). The unit test holds truepeak_process to the
 * direct form, truepeak_process_ref, which uses truepeak_coef itself. */
static const float tp_sum[2][6] = {
	{ -0.0065917968750f, 0.0258789062500f, -0.0462646484375f, 0.0808105468750f,
	  -0.1617431640625f, 1.1094970703125f },
	{ -0.0480957031250f, 0.0623779296875f, -0.1099853515625f, 0.1906738281250f,
	  -0.3668212890625f, 1.2448730468750f },
};
static const float tp_dif[2][6] = {
	{ 0.0100097656250f, -0.0039062500000f, 0.0069580078125f, -0.0144042968750f,
	  0.0428466796875f, -0.8348388671875f },
	{ -0.0102539062500f, -0.0037841796875f, 0.0064697265625f, -0.0124511718750f,
	  0.0338134765625f, -0.3146972656250f },
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
#define TPK_NAME tp_kernel_v4
#define TPK_BLOCK tp_block_v4
#define TPK_MAX tp_max_v4
#define TPK_V dsp_v4f
#define TPK_VI dsp_v4i
#define TPK_W 4
#define TPK_ATTR
#include "truepeak_kernel.h"

/* AVX2 (8 lanes, three-operand forms) where the CPU has it: only this function is compiled
 * for AVX2, and it is only called after the CPU check. "avx2" does not enable FMA, so the
 * results are the same bits as tp_kernel_v4's. */
#if defined(__x86_64__) && defined(__GNUC__)
#define TP_HAVE_AVX2 1
#define TPK_NAME tp_kernel_avx2
#define TPK_BLOCK tp_block_avx2
#define TPK_MAX __builtin_ia32_maxps256 /* vmaxps: a > b ? a : b */
#define TPK_V dsp_v8f
#define TPK_VI dsp_v8i
#define TPK_W 8
#define TPK_ATTR __attribute__((target("avx2")))
#include "truepeak_kernel.h"
#endif

static float (*tp_kernel)(const float *cur, uint32_t n);
static const char *tp_kernel_name;

const char *truepeak_select(int use_simd)
{
	tp_kernel = tp_kernel_v4;
	tp_kernel_name = "generic";
#ifdef TP_HAVE_AVX2
	__builtin_cpu_init();
	if (use_simd && __builtin_cpu_supports("avx2")) {
		tp_kernel = tp_kernel_avx2;
		tp_kernel_name = "avx2";
	}
#endif
	return tp_kernel_name;
}

static inline float max2(float a, float b) { return a > b ? a : b; }

void truepeak_reset(struct truepeak *tp)
{
	if (!tp_kernel)
		truepeak_select(1);
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
			     float known)
{
	float r = 0.0f;
	if (n == 0)
		return 0.0f;
	if (max2(x_peak, tp->hist_peak) * TRUEPEAK_GAIN_BOUND > known)
		r = 0.5f * tp_kernel(truepeak_input(tp), n);
	tp->hist_peak = tp_keep_history(tp, x, n);
	return r;
}

float truepeak_process(struct truepeak *tp, const float *x, uint32_t n, float x_peak, float known)
{
	if (n == 0)
		return 0.0f;
	if (max2(x_peak, tp->hist_peak) * TRUEPEAK_GAIN_BOUND > known) {
		float *cur = truepeak_input(tp);
		for (uint32_t i = 0; i < n; i++) /* a loop, not memcpy: GCC makes that rep movsq */
			cur[i] = x[i];
	}
	return truepeak_process_input(tp, x, n, x_peak, known);
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
