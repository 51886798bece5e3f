/* truepeak_kernel.h: the true-peak kernel body, included once per vector width by
 * truepeak.c (TPK_NAME, TPK_V float vector, TPK_VI int vector, TPK_W lanes, TPK_ATTR).
 * Every lane of every width runs the same operations in the same order (no FMA), so all
 * variants give the same bits. */

/* max over the n outputs whose newest taps are cur[0..n-1] of (|S|+|D|), phases {0,3}, {1,2} */
TPK_ATTR static float TPK_NAME(const float *cur, uint32_t n)
{
	TPK_VI lanes;
	TPK_V m = { 0 };
	for (int l = 0; l < TPK_W; l++)
		lanes[l] = l;
	for (uint32_t i = 0; i < n; i += TPK_W) {
		const float *x = cur + i;
		TPK_V s0 = { 0 }, d0 = { 0 }, s1 = { 0 }, d1 = { 0 };
#pragma GCC unroll 6
		for (int k = 0; k < 6; k++) {
			TPK_V a, b;
			memcpy(&a, x - k, sizeof(a));
			memcpy(&b, x - 11 + k, sizeof(b));
			TPK_V s = a + b, d = a - b;
			s0 += s * tp_sum[0][k];
			d0 += d * tp_dif[0][k];
			s1 += s * tp_sum[1][k];
			d1 += d * tp_dif[1][k];
		}
		TPK_VI abs_mask = (TPK_VI){ 0 } + 0x7fffffff;
		TPK_V e0 = (TPK_V)((TPK_VI)s0 & abs_mask) + (TPK_V)((TPK_VI)d0 & abs_mask);
		TPK_V e1 = (TPK_V)((TPK_VI)s1 & abs_mask) + (TPK_V)((TPK_VI)d1 & abs_mask);
		TPK_VI gt = e0 > e1;
		TPK_V e = (TPK_V)((gt & (TPK_VI)e0) | (~gt & (TPK_VI)e1));
		/* lanes past n hold stale (finite) samples: computed, then dropped */
		TPK_VI keep = (lanes + (int32_t)i) < (int32_t)n;
		e = (TPK_V)(keep & (TPK_VI)e);
		gt = e > m;
		m = (TPK_V)((gt & (TPK_VI)e) | (~gt & (TPK_VI)m));
	}
	float r = 0.0f;
	for (int l = 0; l < TPK_W; l++)
		r = m[l] > r ? m[l] : r;
	return r;
}

#undef TPK_NAME
#undef TPK_V
#undef TPK_VI
#undef TPK_W
#undef TPK_ATTR
