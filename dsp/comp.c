/* Feed-forward log-domain compressor; see comp.h for the topology.
 *
 * Each chunk runs in passes so that only the detector recursion is serial:
 *   1. sidechain high-pass (serial, only when on) and level in dB (vectorised fm_log2)
 *   2. static curve x_L (vectorised, branch-free form of eq. 4)
 *   3. branching peak detector on x_L (serial: mul, add, max per sample)
 *   4. gain 10^(-y_L/20) (vectorised fm_exp2), makeup, mix, crossfade */
#include "comp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "fastmath.h"

/* Floors that keep every recursion out of the subnormal range without a per-chunk flush
 * (a flush would make the output depend on where the host cuts its blocks):
 * x_L >= 1e-20 dB (a gain of exactly 1.0f), levels >= -200 dBFS, sidechain filter input
 * carries a 1e-25 offset that the high-pass removes but that keeps its state normal. */
#define COMP_XL_FLOOR 1e-20f
#define COMP_LEVEL_FLOOR 1e-10f /* -200 dBFS */
#define COMP_MS_FLOOR 1e-20f    /* -200 dBFS as a power */
#define COMP_DC_OFFSET 1e-25f

static double tau_alpha(float ms, float fs)
{
	return exp(-1.0 / ((double)ms * 1e-3 * (double)fs));
}

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
	c->y_db = COMP_XL_FLOOR;
	c->ms = COMP_MS_FLOOR;
}

int comp_init(struct comp *c, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->fs = fs;
	c->min_gain = 1.0f;
	smooth_init(&c->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&c->wet, fs, SMOOTH_TAU_MS, 1.0f);
	smooth_init(&c->makeup, fs, SMOOTH_TAU_MS, 1.0f);
	c->a_rms = (float)tau_alpha(COMP_RMS_TAU_MS, fs);
	c->c_rms = 1.0f - c->a_rms;
	comp_set_threshold_db(c, -18.0f);
	comp_set_ratio(c, 4.0f);
	comp_set_knee_db(c, 6.0f);
	comp_set_attack_ms(c, 10.0f);
	comp_set_release_ms(c, 100.0f);
	comp_set_makeup_db(c, 0.0f);
	comp_set_mix_pct(c, 100.0f);
	comp_set_sc_hpf_hz(c, 0.0f);
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
	if (on && !c->enabled && c->xfade.cur == 0.0f)
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

static void comp_update_ballistics(struct comp *c)
{
	c->att_fast = c->a_att <= c->a_rel;
}

void comp_set_attack_ms(struct comp *c, float ms)
{
	c->attack_ms = ms;
	c->a_att = tau_alpha(ms, c->fs);
	comp_update_ballistics(c);
}

void comp_set_release_ms(struct comp *c, float ms)
{
	c->release_ms = ms;
	c->a_rel = tau_alpha(ms, c->fs);
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

/* Smooth branching peak detector (Giannoulis et al. eq. 16):
 *   y = alpha_A y + (1 - alpha_A) x   if x > y,   alpha_R y + (1 - alpha_R) x   otherwise.
 * When attack is the faster (alpha_A <= alpha_R), the attack candidate is the larger one
 * exactly when x > y, so the branch is max() of both candidates (min() when attack is
 * slower): no compare feeds the multiply, and the serial chain is mul, add, max. The state
 * is double: in float a step (1 - alpha)(x - y) smaller than half an ulp of y is lost, which
 * stalls a 3 s release up to 0.07 dB short; the chain costs the same in double. */
static double detect_max(double y, const float *restrict x, float *restrict yo, uint32_t n,
			 double aa, double ar)
{
	for (uint32_t i = 0; i < n; i++) {
		double u = aa * y + (1.0 - aa) * x[i], v = ar * y + (1.0 - ar) * x[i];
		y = u > v ? u : v;
		yo[i] = (float)y;
	}
	return y;
}

static double detect_min(double y, const float *restrict x, float *restrict yo, uint32_t n,
			 double aa, double ar)
{
	for (uint32_t i = 0; i < n; i++) {
		double u = aa * y + (1.0 - aa) * x[i], v = ar * y + (1.0 - ar) * x[i];
		y = u < v ? u : v;
		yo[i] = (float)y;
	}
	return y;
}

static inline double comp_step(const struct comp *c, double y, double x)
{
	double u = c->a_att * y + (1.0 - c->a_att) * x, v = c->a_rel * y + (1.0 - c->a_rel) * x;
	return c->att_fast ? (u > v ? u : v) : (u < v ? u : v);
}

/* Linear gain of the whole module for one sample: the same expression on every path, so the
 * settled fast path and the smoothing path give identical bits. */
static inline float comp_total_gain(float dry, float wet_mk, float xf, float gr)
{
	float g = dry + wet_mk * gr;
	return xf * g + (1.0f - xf);
}

/* Level in dB -> wanted gain reduction x_L (eq. 4, branch-free form of comp_static_gr_db).
 * Returns the largest x_L. nv is a multiple of FM_VEC. */
static float comp_curve(float *restrict x, uint32_t nv, float thr, float hk, float kk, float sl)
{
	const float w = 2.0f * hk;
	for (uint32_t i = 0; i < nv; i++) {
		float d = x[i] - thr;
		float u = d + hk;
		u = u > 0.0f ? u : 0.0f;
		u = u < w ? u : w;
		float above = d - hk;
		above = above > 0.0f ? above : 0.0f;
		float xl = sl * (u * u * kk + above);
		x[i] = xl > COMP_XL_FLOOR ? xl : COMP_XL_FLOOR;
	}
	return fm_max_padded(x, nv);
}

void comp_process(struct comp *c, const float *restrict in, float *restrict out, uint32_t n)
{
	if (!c->enabled && c->xfade.cur == 0.0f) {
		memcpy(out, in, n * sizeof(float));
		return;
	}
	const uint32_t nv = fm_pad(n);
	float *restrict sc = c->buf_sc;
	float *restrict x = c->buf_x;
	float *restrict g = c->buf_g;

	/* 1. sidechain and level (dBFS) */
	if (c->hpf_on) {
		struct biquad_state s = c->hpf_s;
		const struct biquad_coef k = c->hpf;
		for (uint32_t i = 0; i < n; i++)
			sc[i] = biquad_tick(&k, &s, in[i] + COMP_DC_OFFSET);
		c->hpf_s = s;
	} else {
		memcpy(sc, in, n * sizeof(float));
	}
	for (uint32_t i = n; i < nv; i++)
		sc[i] = 0.0f;
	if (c->detector == COMP_DETECT_RMS) {
		float ms = c->ms;
		const float a = c->a_rms, b = c->c_rms;
		for (uint32_t i = 0; i < n; i++) {
			ms = a * ms + b * (sc[i] * sc[i] + COMP_MS_FLOOR);
			x[i] = ms;
		}
		c->ms = ms;
		for (uint32_t i = n; i < nv; i++)
			x[i] = COMP_MS_FLOOR;
		for (uint32_t i = 0; i < nv; i++)
			x[i] = 0.5f * FM_DB_PER_LOG2 * fm_log2(x[i]);
	} else {
		/* the floor is added, not max()ed: a float clamp ahead of fm_log2's bit tricks
		 * stops GCC 12 vectorising; 1e-10 moves a -120 dBFS level by 1e-3 dB */
		for (uint32_t i = 0; i < nv; i++)
			x[i] = FM_DB_PER_LOG2 * fm_log2(fabsf(sc[i]) + COMP_LEVEL_FLOOR);
	}

	/* 2. static curve: x[i] becomes the wanted gain reduction x_L (dB) */
	float xmax = comp_curve(x, nv, c->thr_db, c->half_knee, c->knee_k, c->slope);

	/* 3. detector. Idle fast path: nothing above the knee (padding lanes sit on the floor
	 * too) and the detector resting on a fixed point of its own recursion, so every sample
	 * would give the same y. */
	double y = c->y_db;
	if (xmax == COMP_XL_FLOOR && comp_step(c, y, COMP_XL_FLOOR) == y) {
		for (uint32_t i = 0; i < n; i++)
			g[i] = (float)y;
	} else if (c->att_fast) {
		y = detect_max(y, x, g, n, c->a_att, c->a_rel);
	} else {
		y = detect_min(y, x, g, n, c->a_att, c->a_rel);
	}
	c->y_db = y;
	for (uint32_t i = n; i < nv; i++)
		g[i] = 0.0f;

	/* 4. gain */
	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2(-FM_LOG2_PER_DB * g[i]);
	float gmin = fm_min_padded(g, nv);
	c->min_gain = c->min_gain < gmin ? c->min_gain : gmin;

	if (smooth_settled(&c->xfade) && smooth_settled(&c->wet) && smooth_settled(&c->makeup)) {
		const float wet = c->wet.cur, dry = 1.0f - wet, wm = wet * c->makeup.cur;
		const float xf = c->xfade.cur;
		for (uint32_t i = 0; i < nv; i++)
			g[i] = comp_total_gain(dry, wm, xf, g[i]);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float wet = smooth_next(&c->wet);
			float wm = wet * smooth_next(&c->makeup);
			float xf = smooth_next(&c->xfade);
			g[i] = comp_total_gain(1.0f - wet, wm, xf, g[i]);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = in[i] * g[i];
}
