/* Feed-forward log-domain compressor; see comp.h for the topology.
 *
 * Each chunk runs in passes so that only the detector recursion is serial:
 *   1. sidechain high-pass (serial, only when on) and level in dB (vectorised fm_log2)
 *   2. static curve x_L (vectorised, branch-free form of eq. 4)
 *   3. branching peak detector on x_L (serial, fixed point: sub, imul, cmov, sar, add),
 *      skipped when nothing is above the knee and nothing is left to release
 *   4. gain 10^(-y_L/20) (vectorised fm_exp2), makeup, mix, crossfade
 * The serial passes (high-pass, rms mean square, detector) are latency-bound, so
 * comp_process_lanes runs each of them for several channels at once, interleaved sample by
 * sample; comp_process is the same kernel with one lane. */
#include "comp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "lanes.h"

/* Floors that keep every recursion out of the subnormal range without a per-chunk flush
 * (a flush would make the output depend on where the host cuts its blocks): levels >= -200
 * dBFS, sidechain filter input carries a 1e-25 offset that the high-pass removes but that
 * keeps its state normal. The detector is integer (see comp_detect). */
#define COMP_LEVEL_FLOOR 1e-10f /* -200 dBFS */
#define COMP_MS_FLOOR 1e-20f    /* -200 dBFS as a power */
#define COMP_DC_OFFSET 1e-25f

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */

float comp_static_gr_db(const struct comp *c, float level_dbfs)
{
	/* Eq. 4 rewritten without branches: with d = x_G - T and u = clamp(d + W/2, 0, W),
	 * x_L = (1 - 1/R) * (u^2 / (2W) + max(d - W/2, 0)). Below the knee u = 0; inside it this
	 * is (1 - 1/R)(x_G - T + W/2)^2 / (2W); above it u^2/(2W) = W/2 and the sum is d. */
	float d = level_dbfs - c->thr_db;
	float u = d + c->half_knee;
	u = u < 0.0f ? 0.0f : u;
	u = u > 2.0f * c->half_knee ? 2.0f * c->half_knee : u;
	float above = d - c->half_knee;
	above = above > 0.0f ? above : 0.0f;
	return c->slope * (u * u * c->knee_k + above);
}

static void comp_update_makeup(struct comp *c)
{
	float db = c->makeup_db;
	if (c->auto_makeup)
		db += comp_static_gr_db(c, 0.0f);
	smooth_set(&c->makeup, db == 0.0f ? 1.0f : dsp_db_to_gain(db));
}

static void comp_clear_state(struct comp *c)
{
	c->hpf_s.z1 = c->hpf_s.z2 = 0.0f;
	c->y_db = 0.0;
	c->ms = COMP_MS_FLOOR;
}

int comp_init(struct comp *c, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->fs = fs;
	c->min_gain = 1.0f;
	c->link_gr.v = c->buf_g;
	c->link_gr.flat = 1;
	smooth_init(&c->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&c->wet, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&c->makeup, fs, SMOOTH_TAU_MS, 0.0f);
	c->a_rms = (float)dsp_pole_from_ms_d(COMP_RMS_TAU_MS, fs);
	c->c_rms = 1.0f - c->a_rms;
	comp_reset(c);
	return 0;
}

void comp_reset(struct comp *c)
{
	comp_clear_state(c);
	smooth_jump(&c->xfade);
	smooth_jump(&c->wet);
	smooth_jump(&c->makeup);
	c->min_gain = 1.0f;
}

void comp_set_enable(struct comp *c, int on)
{
	/* Coming back from a finished bypass: the detector was not running, start it clean. */
	if (on && comp_idle(c))
		comp_clear_state(c);
	c->enabled = on;
	smooth_set(&c->xfade, on ? 1.0f : 0.0f);
}

void comp_set_threshold_db(struct comp *c, float dbfs)
{
	c->thr_db = dbfs;
	comp_update_makeup(c);
}

void comp_set_ratio(struct comp *c, float ratio)
{
	c->ratio = ratio < 1.0f ? 1.0f : ratio;
	c->slope = 1.0f - 1.0f / c->ratio;
	comp_update_makeup(c);
}

void comp_set_knee_db(struct comp *c, float db)
{
	c->knee_db = db < 0.0f ? 0.0f : db;
	c->half_knee = 0.5f * c->knee_db;
	c->knee_k = c->knee_db > 0.0f ? 0.5f / c->knee_db : 0.0f;
	comp_update_makeup(c);
}

static int64_t comp_k(double alpha);

/* The detector's fixed-point steps, here rather than in every chunk. */
static void comp_update_ballistics(struct comp *c)
{
	c->k_att = comp_k(c->a_att);
	c->k_rel = comp_k(c->a_rel);
}

void comp_set_attack_ms(struct comp *c, float ms)
{
	c->attack_ms = ms;
	c->a_att = dsp_pole_from_ms_d(ms, c->fs);
	comp_update_ballistics(c);
}

void comp_set_release_ms(struct comp *c, float ms)
{
	c->release_ms = ms;
	c->a_rel = dsp_pole_from_ms_d(ms, c->fs);
	comp_update_ballistics(c);
}

void comp_set_makeup_db(struct comp *c, float db)
{
	c->makeup_db = db;
	comp_update_makeup(c);
}

void comp_set_mix_pct(struct comp *c, float pct)
{
	c->mix_pct = pct;
	smooth_set(&c->wet, pct * 0.01f);
}

void comp_set_auto_makeup(struct comp *c, int on)
{
	c->auto_makeup = on != 0;
	comp_update_makeup(c);
}

void comp_set_detector(struct comp *c, int detector)
{
	c->detector = detector == COMP_DETECT_RMS ? COMP_DETECT_RMS : COMP_DETECT_PEAK;
}

void comp_set_sc_hpf_hz(struct comp *c, float hz)
{
	int on = hz > 0.0f;
	if (on && !c->hpf_on)
		c->hpf_s.z1 = c->hpf_s.z2 = 0.0f;
	c->sc_hpf_hz = hz;
	c->hpf_on = on;
	if (on)
		biquad_design(&c->hpf, BQ_HIGHPASS, c->fs, hz, 0.7071067811865476, 0.0);
	else
		biquad_identity(&c->hpf);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_DYNAMICS_ADAPTERS(comp)

static void comp_stage_set(void *st, unsigned idx, float v)
{
	struct comp *c = st;
	switch (P_COMP_ENABLE + (int)idx) {
	case P_COMP_ENABLE: comp_set_enable(c, v != 0.0f); break;
	case P_COMP_THRESHOLD: comp_set_threshold_db(c, v); break;
	case P_COMP_RATIO: comp_set_ratio(c, v); break;
	case P_COMP_KNEE: comp_set_knee_db(c, v); break;
	case P_COMP_ATTACK: comp_set_attack_ms(c, v); break;
	case P_COMP_RELEASE: comp_set_release_ms(c, v); break;
	case P_COMP_MAKEUP: comp_set_makeup_db(c, v); break;
	case P_COMP_MIX: comp_set_mix_pct(c, v); break;
	case P_COMP_AUTO_MAKEUP: comp_set_auto_makeup(c, v != 0.0f); break;
	case P_COMP_DETECTOR: comp_set_detector(c, (int)v); break;
	case P_COMP_SC_HPF: comp_set_sc_hpf_hz(c, v); break;
	default: break;
	}
}

STAGE_LANES_ADAPTER(comp_stage_lanes, comp, comp_process_lanes)
STAGE_LINK_ADAPTERS(comp_stage, comp, comp_gain_lanes, comp_apply_lanes)

const struct stage_desc comp_stage = {
	.name = "comp", .label = "compressor", .first = P_COMP_ENABLE, .last = P_COMP_SC_HPF,
	.init = comp_stage_init, .reset = comp_stage_reset, .set = comp_stage_set,
	.process_lanes = comp_stage_lanes, .idle = comp_stage_idle, .gr_take = comp_stage_gr_take,
	.gain_lanes = comp_stage_gain, .link_gr = comp_stage_gr, .apply_lanes = comp_stage_apply,
};
#endif /* DSP_KERNELS_ONLY */

/* Smooth branching peak detector (Giannoulis et al. eq. 16),
 *   y = alpha_A y + (1 - alpha_A) x   if x > y,   alpha_R y + (1 - alpha_R) x   otherwise,
 * i.e. y += (1 - alpha)(x - y), in fixed point: y and x in dB * 2^COMP_Q_BITS (int32), the
 * step (x - y) * k >> COMP_K_BITS with k = (1 - alpha) * 2^COMP_K_BITS in int64. Integer
 * arithmetic is exact, so nothing depends on how the host splits its blocks, nothing goes
 * subnormal, and a release lands exactly on its target (the shift rounds toward -inf; an
 * attack stops at most 1/(1 - alpha_A) steps of 6e-8 dB short, 3e-5 dB for 10 ms at 48 kHz).
 * A float state stalls a 3 s release 0.07 dB short; a double one costs a 12-cycle chain per
 * sample (mul, add, max), this one 7 (sub, imul, cmov, sar, add; GCC 12 branches instead of
 * the cmov for one lane alone, and for the last lane of an interleaved group). */
#define COMP_Q_BITS 24
#define COMP_Q ((float)(1 << COMP_Q_BITS))
#define COMP_K_BITS 31
/* dB over the threshold beyond which the curve is flat: x_L <= 120 dB, so x_L * 2^COMP_Q_BITS
 * fits an int32. (Capped ahead of the curve: GCC 12 does not vectorise a clamp of x_L
 * followed by the conversion.) */
#define COMP_OVER_MAX 120.0f

static int64_t comp_k(double alpha)
{
	return (int64_t)((1.0 - alpha) * (double)(1LL << COMP_K_BITS) + 0.5);
}

/* Bounds under which comp_detect_wide gives comp_detect_nl's bits (see comp_step4): x and y in
 * [0, 2^31), ka and kr in [0, 2^31). They always hold within the documented ranges: x_L is
 * >= 0 (slope and knee_k are) and <= 120 dB (COMP_OVER_MAX), i.e. < 128 * 2^COMP_Q_BITS = 2^31
 * (xmax is the chunk's largest x_L); y stays between its start and the x it followed; and
 * k = 2^31 would need alpha <= 2^-32, i.e. tau * fs <= 0.045 samples, while the shortest
 * attack at the lowest rate is 0.1 ms * 8000 Hz = 0.8 samples (k = 0.713 * 2^31). Outside
 * them (an attack of 0 ms through the API gives k = 2^31 exactly) the scalar detector runs. */
static inline int comp_wide_ok(float xmax, int32_t y0, int64_t ka, int64_t kr)
{
	return xmax < 128.0f && y0 >= 0 && ka >= 0 && ka <= INT32_MAX && kr >= 0 &&
	       kr <= INT32_MAX;
}

/* The lane count of the *_nl helpers below is a compile-time constant at every call
 * (DSP_LANES_CALL, lanes.h), so their loops over lanes unroll and each lane's state stays in
 * registers. */
#define COMP_INLINE static inline __attribute__((always_inline))


/* The detector of nl lanes, interleaved sample by sample so their 7-cycle chains overlap;
 * in place: q[l][i] holds x_L on entry and y_L on return, y[l] the state in and out. */
COMP_INLINE void comp_detect_nl(int32_t (*restrict q)[DSP_MAX_CHUNK], int32_t *restrict y,
				const int64_t *restrict ka, const int64_t *restrict kr, uint32_t n,
				unsigned nl)
{
	int32_t s[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++)
		s[l] = y[l];
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned l = 0; l < nl; l++) {
			int64_t d = (int64_t)q[l][i] - s[l];
			int64_t k = d > 0 ? ka[l] : kr[l];
			s[l] += (int32_t)((d * k) >> COMP_K_BITS);
			q[l][i] = s[l];
		}
	}
	for (unsigned l = 0; l < nl; l++)
		y[l] = s[l];
}

#ifdef DSP_TARGET_AVX2
#include <immintrin.h>

/* Transposes the 8x8 int32 block r[0..8) (row j becomes column j). */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) void comp_transpose8(__m256i *r)
{
	__m256i t[8], u[8];
	for (int j = 0; j < 8; j += 2) {
		t[j] = _mm256_unpacklo_epi32(r[j], r[j + 1]);
		t[j + 1] = _mm256_unpackhi_epi32(r[j], r[j + 1]);
	}
	for (int j = 0; j < 8; j += 4) {
		u[j] = _mm256_unpacklo_epi64(t[j], t[j + 2]);
		u[j + 1] = _mm256_unpackhi_epi64(t[j], t[j + 2]);
		u[j + 2] = _mm256_unpacklo_epi64(t[j + 1], t[j + 3]);
		u[j + 3] = _mm256_unpackhi_epi64(t[j + 1], t[j + 3]);
	}
	for (int j = 0; j < 4; j++) {
		r[j] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x20);
		r[j + 4] = _mm256_permute2x128_si256(u[j], u[j + 4], 0x31);
	}
}

/* One detector step for four lanes, each in the low dword of a qword (the high dwords are
 * don't-care throughout): comp_detect_nl's y += (int32)((d * k) >> 31), exactly, given
 * 0 <= x, y < 2^31 and 0 <= ka, kr < 2^31 (comp_wide_ok), with kd = ka - kr:
 *  - d = x - y lies in (-2^31, 2^31), so the 32-bit subtraction is d itself, and so is
 *    max(d, 0); kd lies in (-2^31, 2^31) too;
 *  - _mm256_mul_epi32 multiplies the signed low dwords into exact 64-bit products, and
 *    d * k = d * kr + max(d, 0) * kd exactly (k = ka when d > 0, else kr; both terms and the
 *    sum are below 2^62 in magnitude, no wrap);
 *  - the step's int32 is bits 31..62 of d * k, and a logical shift by 31 puts exactly those
 *    bits in the low dword (an arithmetic one would differ only above them).
 * The choice of k costs one max beside the multiply, not a compare and blend ahead of it. */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) __m256i
comp_step4(__m256i y, __m256i x, __m256i kr, __m256i kd)
{
	const __m256i d = _mm256_sub_epi32(x, y);
	const __m256i up = _mm256_max_epi32(d, _mm256_setzero_si256());
	const __m256i p = _mm256_add_epi64(_mm256_mul_epi32(d, kr), _mm256_mul_epi32(up, kd));
	return _mm256_add_epi32(y, _mm256_srli_epi64(p, COMP_K_BITS));
}

/* Samples i .. i + m - 1 (m <= 8) of the eight rows of q through the detector, in place. */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) void
comp_detect_block8(int32_t (*restrict q)[DSP_MAX_CHUNK], uint32_t i, uint32_t m, __m256i *ye,
		   __m256i *yo, __m256i kre, __m256i kro, __m256i kde, __m256i kdo)
{
	__m256i r[8];
	for (int l = 0; l < 8; l++)
		r[l] = _mm256_loadu_si256((const __m256i *)(q[l] + i));
	comp_transpose8(r); /* r[j]: sample i + j of lanes 0..7 */
	for (uint32_t j = 0; j < 8; j++) {
		if (j < m) {
			*ye = comp_step4(*ye, r[j], kre, kde);
			*yo = comp_step4(*yo, _mm256_srli_epi64(r[j], 32), kro, kdo);
		}
		r[j] = _mm256_blend_epi32(*ye, _mm256_slli_epi64(*yo, 32), 0xaa);
	}
	comp_transpose8(r);
	for (int l = 0; l < 8; l++)
		_mm256_storeu_si256((__m256i *)(q[l] + i), r[l]);
}

/* comp_detect_nl for five to eight lanes as two chains of four (even and odd lanes) in
 * 64-bit elements (AVX2 build only); rows nd..7 of q are scratch. The caller has checked
 * comp_detect_wide_ok, under which every lane's y sequence is comp_detect_nl's, bit for
 * bit. */
DSP_TARGET_AVX2 static void comp_detect_wide(int32_t (*restrict q)[DSP_MAX_CHUNK],
					     int32_t *restrict y, const int64_t *restrict ka,
					     const int64_t *restrict kr, uint32_t n, unsigned nd)
{
	int32_t yv[8], krv[8], kdv[8];
	for (unsigned l = 0; l < 8; l++) {
		const int used = l < nd;
		yv[l] = used ? y[l] : 0;
		krv[l] = used ? (int32_t)kr[l] : 0;
		kdv[l] = used ? (int32_t)(ka[l] - kr[l]) : 0;
		if (!used) /* zero rows: x = y = 0, k = 0, the padding lanes stay at 0 */
			memset(q[l], 0, sizeof(q[l]));
	}
	const __m256i yl = _mm256_loadu_si256((const __m256i *)yv);
	const __m256i krl = _mm256_loadu_si256((const __m256i *)krv);
	const __m256i kdl = _mm256_loadu_si256((const __m256i *)kdv);
	/* even lanes 0, 2, 4, 6 in the low dwords as they are, odd ones shifted down */
	__m256i ye = yl, yo = _mm256_srli_epi64(yl, 32);
	const __m256i kre = krl, kro = _mm256_srli_epi64(krl, 32);
	const __m256i kde = kdl, kdo = _mm256_srli_epi64(kdl, 32);
	/* Blocks of eight samples; the last one may be partial (q is padded to a multiple of
	 * eight, and the detector's output beyond n is never read: comp_apply overwrites it). */
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8)
		comp_detect_block8(q, i, 8, &ye, &yo, kre, kro, kde, kdo);
	if (i < n)
		comp_detect_block8(q, i, n - i, &ye, &yo, kre, kro, kde, kdo);
	_mm256_storeu_si256((__m256i *)yv, _mm256_blend_epi32(ye, _mm256_slli_epi64(yo, 32), 0xaa));
	for (unsigned l = 0; l < nd; l++)
		y[l] = yv[l];
}
#endif

/* Sidechain high-pass of nl lanes into their buf_sc, interleaved. */
COMP_INLINE void comp_hpf_nl(struct comp *const *c, const float *const *in, uint32_t n, unsigned nl)
{
	const struct biquad_coef *k[DSP_LANES_MAX];
	struct biquad_state *s[DSP_LANES_MAX];
	float *o[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++) {
		k[l] = &c[l]->hpf;
		s[l] = &c[l]->hpf_s;
		o[l] = c[l]->buf_sc;
	}
	biquad_run_lanes(k, s, in, o, COMP_DC_OFFSET, n, nl);
}

/* RMS detector's mean square of nl lanes into their buf_sc, interleaved; src[l] may be that
 * buf_sc itself (the high-passed sidechain). */
COMP_INLINE void comp_rms_nl(struct comp *const *c, const float *const *src, uint32_t n,
			     unsigned nl)
{
	float ms[DSP_LANES_MAX], a[DSP_LANES_MAX], b[DSP_LANES_MAX];
	float *o[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++) {
		ms[l] = c[l]->ms;
		a[l] = c[l]->a_rms;
		b[l] = c[l]->c_rms;
		o[l] = c[l]->buf_sc;
	}
	for (uint32_t i = 0; i < n; i++) {
		for (unsigned l = 0; l < nl; l++) {
			ms[l] = a[l] * ms[l] + b[l] * (src[l][i] * src[l][i] + COMP_MS_FLOOR);
			o[l][i] = ms[l];
		}
	}
	for (unsigned l = 0; l < nl; l++)
		c[l]->ms = ms[l];
}

/* Linear gain of the whole module for one sample: the same expression on every path, so the
 * settled fast path and the smoothing path give identical bits. */
static inline float comp_total_gain(float dry, float wet_mk, float xf, float gr)
{
	float g = dry + wet_mk * gr;
	return xf * g + (1.0f - xf);
}

/* Level in dB -> wanted gain reduction x_L (eq. 4, branch-free form of comp_static_gr_db),
 * in dB * 2^COMP_Q_BITS. Returns the largest. nv is a multiple of FM_VEC. */
COMP_INLINE float comp_curve(const float *restrict lv, float *restrict x, int32_t *restrict xq,
			uint32_t nv, float thr, float hk, float kk, float sl)
{
	const float w = 2.0f * hk;
	for (uint32_t i = 0; i < nv; i++) {
		float d = lv[i] - thr;
		d = d < COMP_OVER_MAX ? d : COMP_OVER_MAX;
		float u = d + hk;
		u = u > 0.0f ? u : 0.0f;
		u = u < w ? u : w;
		float above = d - hk;
		above = above > 0.0f ? above : 0.0f;
		float xl = sl * (u * u * kk + above);
		x[i] = xl;
		xq[i] = (int32_t)(xl * COMP_Q);
	}
	return fm_max_padded(x, nv);
}

/* The rest of pass 1 for one lane, after the recursions: level in dBFS into buf_sc, padded to
 * nv. src is the input, or buf_sc when it already holds the high-passed sidechain or (rms)
 * the mean square. */
COMP_INLINE void comp_level(struct comp *c, const float *src, uint32_t n, uint32_t nv)
{
	float *restrict sc = c->buf_sc;
	if (c->detector == COMP_DETECT_RMS) {
		for (uint32_t i = n; i < nv; i++)
			sc[i] = COMP_MS_FLOOR;
		for (uint32_t i = 0; i < nv; i++)
			sc[i] = 0.5f * FM_DB_PER_LOG2 * fm_log2(sc[i]);
		return;
	}
	if (src != sc && n != nv) {
		memcpy(sc, src, n * sizeof(float));
		src = sc;
	}
	if (src == sc)
		for (uint32_t i = n; i < nv; i++)
			sc[i] = 0.0f;
	/* the floor is added, not max()ed: a float clamp ahead of fm_log2's bit tricks stops
	 * GCC 12 vectorising; 1e-10 moves a -120 dBFS level by 1e-3 dB */
	for (uint32_t i = 0; i < nv; i++)
		sc[i] = FM_DB_PER_LOG2 * fm_log2(fabsf(src[i]) + COMP_LEVEL_FLOOR);
}

/* Passes 4 and 5 for one lane: yq is its detector output (padded here to nv) and y the final
 * state, or yq is NULL when the detector was idle (the gain reduction is exactly 1). */
COMP_INLINE void comp_mix(struct comp *c, const float *restrict in, float *restrict out,
			  uint32_t n, uint32_t nv, int idle);

COMP_INLINE void comp_apply(struct comp *c, const float *restrict in, float *restrict out,
		       uint32_t n, uint32_t nv, int32_t *restrict yq, int32_t y)
{
	float *restrict g = c->buf_g;
	const int idle = yq == NULL;
	if (!idle) {
		c->y_db = (double)y / (double)COMP_Q;
		for (uint32_t i = n; i < nv; i++)
			yq[i] = 0;
		/* 4. gain reduction 10^(-y/20) */
		for (uint32_t i = 0; i < nv; i++)
			g[i] = fm_exp2_in_range((float)yq[i] * (-FM_LOG2_PER_DB / COMP_Q));
		float gmin = fm_min_padded(g, nv);
		c->min_gain = c->min_gain < gmin ? c->min_gain : gmin;
	} else {
		c->min_gain = c->min_gain < 1.0f ? c->min_gain : 1.0f;
	}
	comp_mix(c, in, out, n, nv, idle);
}

/* Pass 4 for one lane from link_gr (comp_apply's, on the same values: buf_g holds (float)yq,
 * or nothing when flat), then pass 5. */
COMP_INLINE void comp_apply_linked(struct comp *c, const float *restrict in,
				   float *restrict out, uint32_t n, uint32_t nv)
{
	float *restrict g = c->buf_g;
	const int idle = c->link_gr.flat;
	if (!idle) {
		float gmin = fm_gain_of_reduction_q(g, n, nv, COMP_Q);
		c->min_gain = c->min_gain < gmin ? c->min_gain : gmin;
	} else {
		c->min_gain = c->min_gain < 1.0f ? c->min_gain : 1.0f;
	}
	comp_mix(c, in, out, n, nv, idle);
}

/* 5. makeup, mix, crossfade: buf_g holds the gain reduction (not read when idle) */
COMP_INLINE void comp_mix(struct comp *c, const float *restrict in, float *restrict out,
			  uint32_t n, uint32_t nv, int idle)
{
	float *restrict g = c->buf_g;
	if (smooth_settled(&c->xfade) && smooth_settled(&c->wet) && smooth_settled(&c->makeup)) {
		const float wet = c->wet.cur, dry = 1.0f - wet, wm = wet * c->makeup.cur;
		const float xf = c->xfade.cur;
		if (idle) {
			const float t = comp_total_gain(dry, wm, xf, 1.0f);
			if (t == 1.0f) {
				memcpy(out, in, n * sizeof(float));
			} else {
				for (uint32_t i = 0; i < n; i++)
					out[i] = in[i] * t;
			}
			return;
		}
		for (uint32_t i = 0; i < nv; i++)
			g[i] = comp_total_gain(dry, wm, xf, g[i]);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float wet = smooth_next(&c->wet);
			float wm = wet * smooth_next(&c->makeup);
			float xf = smooth_next(&c->xfade);
			g[i] = comp_total_gain(1.0f - wet, wm, xf, idle ? 1.0f : g[i]);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = in[i] * g[i];
}

/* comp_process for nl lanes (comp_process itself is nl = 1). Lanes are grouped per pass: the
 * high-pass runs for the lanes that have it on, the mean square for the rms ones, the detector
 * for those that are not idle this chunk, each group interleaved; the passes that are
 * vectorised across time run lane by lane. */
/* What comp_kernel runs (a constant after inlining): the whole chunk, or one of its halves
 * for the stereo link. */
enum comp_phase { COMP_WHOLE, COMP_GAIN, COMP_APPLY };

/* The detector's output of the running lanes into their link_gr (COMP_GAIN's end). */
COMP_INLINE void comp_gain_out(struct comp *const *run, unsigned nr, const int *row,
			       int32_t (*q)[DSP_MAX_CHUNK], const int32_t *y, uint32_t n)
{
	for (unsigned r = 0; r < nr; r++) {
		struct comp *cr = run[r];
		cr->link_gr.flat = row[r] < 0;
		if (row[r] < 0)
			continue;
		cr->y_db = (double)y[row[r]] / (double)COMP_Q;
		for (uint32_t i = 0; i < n; i++)
			cr->buf_g[i] = (float)q[row[r]][i];
	}
}

COMP_INLINE void comp_kernel(struct comp *const *c, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n, enum dsp_isa isa, enum comp_phase ph)
{
	struct comp *run[DSP_LANES_MAX];
	const float *rin[DSP_LANES_MAX], *src[DSP_LANES_MAX];
	float *rout[DSP_LANES_MAX];
	unsigned nr = 0;
	for (unsigned l = 0; l < nl; l++) {
		if (comp_idle(c[l])) {
			if (ph != COMP_GAIN)
				memcpy(out[l], in[l], n * sizeof(float));
		} else if (n != 0) {
			run[nr] = c[l];
			rin[nr] = in[l];
			rout[nr] = ph == COMP_GAIN ? NULL : out[l];
			nr++;
		}
	}
	if (nr == 0)
		return;
	const uint32_t nv = fm_pad(n);
	if (ph == COMP_APPLY) {
		for (unsigned r = 0; r < nr; r++)
			comp_apply_linked(run[r], rin[r], rout[r], n, nv);
		return;
	}

	/* 1. sidechain and level (dBFS), into buf_sc */
	struct comp *grp[DSP_LANES_MAX];
	const float *gsrc[DSP_LANES_MAX];
	unsigned m = 0;
	for (unsigned r = 0; r < nr; r++) {
		src[r] = rin[r];
		if (run[r]->hpf_on) {
			grp[m] = run[r];
			gsrc[m++] = rin[r];
			src[r] = run[r]->buf_sc;
		}
	}
	DSP_LANES_CALL(m, DSP_LANES_W_ALL, comp_hpf_nl, grp, gsrc, n);
	m = 0;
	for (unsigned r = 0; r < nr; r++) {
		if (run[r]->detector == COMP_DETECT_RMS) {
			grp[m] = run[r];
			gsrc[m++] = src[r];
			src[r] = run[r]->buf_sc;
		}
	}
	DSP_LANES_CALL(m, DSP_LANES_W_ALL, comp_rms_nl, grp, gsrc, n);

	/* 2. static curve: the wanted gain reduction x_L (dB, and fixed point in q) */
	int32_t q[DSP_LANES_MAX][DSP_MAX_CHUNK]; /* one row per lane whose detector runs */
	int32_t y[DSP_LANES_MAX];
	int64_t ka[DSP_LANES_MAX], kr[DSP_LANES_MAX];
	int row[DSP_LANES_MAX];
	unsigned nd = 0;
	int in_range = 1; /* every running lane within the vector detector's bounds */
	for (unsigned r = 0; r < nr; r++) {
		struct comp *cr = run[r];
		comp_level(cr, src[r], n, nv);
		float xmax = comp_curve(cr->buf_sc, cr->buf_x, q[nd], nv, cr->thr_db,
					cr->half_knee, cr->knee_k, cr->slope);
		/* 3. detector. Idle: nothing above the knee and nothing left to release, so y
		 * stays 0 and the gain is exactly 1 (the row is left for the next lane). */
		int32_t y0 = (int32_t)(cr->y_db * (double)COMP_Q);
		if (!(xmax > 0.0f) && y0 == 0) {
			row[r] = -1;
			continue;
		}
		y[nd] = y0;
		ka[nd] = cr->k_att;
		kr[nd] = cr->k_rel;
		row[r] = (int)nd++;
		in_range &= comp_wide_ok(xmax, y0, ka[nd - 1], kr[nd - 1]);
	}
#ifdef DSP_TARGET_AVX2
	if (isa == DSP_ISA_AVX2 && nd > 4 && in_range)
		comp_detect_wide(q, y, ka, kr, n, nd);
	else
#endif
		DSP_LANES_CALL(nd, DSP_LANES_W_ALL, comp_detect_nl, q, y, ka, kr, n);
	(void)in_range;
	if (ph == COMP_GAIN) {
		comp_gain_out(run, nr, row, q, y, n);
		return;
	}

	for (unsigned r = 0; r < nr; r++) {
		if (row[r] < 0)
			comp_apply(run[r], rin[r], rout[r], n, nv, NULL, 0);
		else
			comp_apply(run[r], rin[r], rout[r], n, nv, q[row[r]], y[row[r]]);
	}
}

/* The kernel for the baseline ISA and for AVX2 (same bits, see cpu.h); one and many lanes
 * separately, so the one-lane loops unroll for one. Many lanes in the AVX2 build run the
 * detector of five to eight lanes eight wide (comp_detect_wide). */
COMP_INLINE void comp_kernel_1(struct comp *c, const float *in, float *out, uint32_t n,
			       enum dsp_isa isa)
{
	comp_kernel(&c, 1, &in, &out, n, isa, COMP_WHOLE);
}
void DSP_KERNEL(comp_run_1)(struct comp *c, const float *in, float *out, uint32_t n)
{
	comp_kernel_1(c, in, out, n, DSP_ISA);
}

void DSP_KERNEL(comp_run_n)(struct comp *const *c, unsigned nl, const float *const *in,
			    float *const *out, uint32_t n)
{
	comp_kernel(c, nl, in, out, n, DSP_ISA, COMP_WHOLE);
}

/* The stereo link's two halves (stage.h), one lane separately so its loops unroll for one. */
void DSP_KERNEL(comp_gain_n)(struct comp *const *c, unsigned nl, const float *const *in,
			     uint32_t n)
{
	if (nl == 1)
		comp_kernel(c, 1, in, NULL, n, DSP_ISA, COMP_GAIN);
	else
		comp_kernel(c, nl, in, NULL, n, DSP_ISA, COMP_GAIN);
}

void DSP_KERNEL(comp_apply_n)(struct comp *const *c, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	if (nl == 1)
		comp_kernel(c, 1, in, out, n, DSP_ISA, COMP_APPLY);
	else
		comp_kernel(c, nl, in, out, n, DSP_ISA, COMP_APPLY);
}

#ifndef DSP_KERNELS_ONLY
DSP_DEFINE_MODULE_ENTRIES(comp)
DSP_DEFINE_LINK_ENTRIES(comp)
#endif

