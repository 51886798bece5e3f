/* truepeak_kernel.h: the true-peak kernel body, included once per unit that builds it:
 * truepeak.c (truepeak_max_c, 4 lanes of generic vectors) and simd/truepeak_avx2.c
 * (truepeak_max_avx2, 8 lanes, compiled with -mavx2). The includer defines TPK_NAME (the kernel),
 * TPK_BLOCK its per-vector helper, TPK_V float vector, TPK_VI int vector, TPK_W lanes,
 * TPK_MAX(a, b) the larger of two vectors of values >= 0. Every lane of every width
 * runs the same operations in the same order (no FMA), so all builds give the same bits.
 * The method is described in truepeak.c. */
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "vec.h"

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

/* |S| + |D| of phases {0,3} and {1,2}, the larger one, for the TPK_W outputs whose newest taps
 * are x[0..TPK_W-1]. Every value here is finite and >= 0 (|x| < 2^32), so TPK_MAX, where it
 * is the CPU's max instruction, gives the compare-and-select's bits. */
static inline __attribute__((always_inline)) TPK_V TPK_BLOCK(const float *x)
{
	TPK_V s0, d0, s1, d1;
#pragma GCC unroll 6
	for (int k = 0; k < 6; k++) {
		TPK_V a, b;
		memcpy(&a, x - k, sizeof(a));
		memcpy(&b, x - 11 + k, sizeof(b));
		TPK_V s = a + b, d = a - b;
		if (k == 0) {
			/* the products themselves, not 0 + them: the same values but for the sign of
			 * a zero, which the absolute values below drop */
			s0 = s * tp_sum[0][k];
			d0 = d * tp_dif[0][k];
			s1 = s * tp_sum[1][k];
			d1 = d * tp_dif[1][k];
		} else {
			s0 += s * tp_sum[0][k];
			d0 += d * tp_dif[0][k];
			s1 += s * tp_sum[1][k];
			d1 += d * tp_dif[1][k];
		}
	}
	TPK_VI abs_mask = (TPK_VI){ 0 } + 0x7fffffff;
	TPK_V e0 = (TPK_V)((TPK_VI)s0 & abs_mask) + (TPK_V)((TPK_VI)d0 & abs_mask);
	TPK_V e1 = (TPK_V)((TPK_VI)s1 & abs_mask) + (TPK_V)((TPK_VI)d1 & abs_mask);
	return TPK_MAX(e0, e1);
}

/* max over the n outputs whose newest taps are cur[0..n-1] of (|S|+|D|), phases {0,3}, {1,2}:
 * twice the largest |y| (cpu.h, truepeak_max) */
float TPK_NAME(const float *cur, uint32_t n)
{
	TPK_V m = { 0 };
	uint32_t i = 0;
	for (; i + TPK_W <= n; i += TPK_W) {
		TPK_V e = TPK_BLOCK(cur + i);
		m = TPK_MAX(m, e);
	}
	if (i < n) {
		/* lanes past n hold stale (finite) samples: computed, then dropped */
		TPK_VI lanes;
		for (int l = 0; l < TPK_W; l++)
			lanes[l] = l;
		TPK_VI keep = (lanes + (int32_t)i) < (int32_t)n;
		TPK_V e = TPK_BLOCK(cur + i);
		e = (TPK_V)(keep & (TPK_VI)e);
		m = TPK_MAX(m, e);
	}
	float r = 0.0f;
	for (int l = 0; l < TPK_W; l++)
		r = m[l] > r ? m[l] : r;
	return r;
}

#undef TPK_NAME
#undef TPK_BLOCK
#undef TPK_MAX
#undef TPK_V
#undef TPK_VI
#undef TPK_W
