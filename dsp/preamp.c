/* preamp.c: gain, polarity, low cut and saturation.
 *
 * Drive and level. The curves f (sat.h) have unity slope and zero output at the origin. Drive
 * d multiplies the signal into the curve and the curve's output is divided by d again:
 * y = f(d x) / d, so small signals come out at the level they went in while loud ones are
 * pushed further into the curve's bend (with drive, the level where the curve starts to
 * bend moves down by the drive in dB). Alone that makes drive a compressor: speech lost
 * 15.4 LU at drive 36. A slow loudness follower (preamp_loudness) then scales the curve's
 * output back to its input's loudness, so drive changes the colour and the short-term
 * dynamics, not the level.
 *
 * Curves: x / sqrt(1 + x^2) (algebraic sigmoid: smooth, odd; "transformer") and the same
 * shifted by a bias of PREAMP_TUBE_BIAS and renormalised, with its negative half's knee moved
 * out by c = sqrt(drive) (sat.h; "tube": asymmetric, so even harmonics, and a DC component
 * that a one-pole DC remover at PREAMP_DC_HZ takes out). A fixed asymmetry fades as drive
 * grows: driven hard, any fixed curve turns a sine into a square wave whose edges sit at the
 * zero crossings, odd harmonics only (H2 fell to -34.5 dBc against H3 -9.9 at drive 36, -12
 * dBFS). With the negative knee at sqrt(d) in driven units, the negative half clips at
 * 1 / sqrt(d) of full scale where the positive one clips at 1 / d: the asymmetry grows with
 * the drive, and H2 stays within 12 dB of H3 (above it, in fact) from drive 0 to 36. c is set
 * on the control grid from the smoothed drive, so the bits never depend on the call sizes.
 * clean bypasses the curve: it is the gain stage, bit for bit.
 *
 * Anti-aliasing: first-order ADAA in the branch-free form derived in sat.h, always at 2x or
 * more. Being the mean of f over one sample, ADAA's small-signal response is the two-tap
 * average cos(pi f / fc) at the curve's rate fc: at the base rate that is -2.0 dB at 10 kHz
 * and -11.7 dB at 20 kHz at 48 kHz, with 17.7 dB signal to aliasing for 9973 Hz at -6 dBFS,
 * drive 24. Higher-order ADAA droops more, and an inverse droop at the base rate would need
 * +11.7 dB at 20 kHz (boosting the aliases with it). So a curve at pre.oversample 1 runs at
 * 2 fs between low-latency IIR half-bands (oversample.h), and a high shelf after decimation
 * undoes ADAA's droop at 2 fs (-2.0 dB at 20 kHz at 48 kHz, to within 0.03 dB): measured
 * flat within 0.3 dB from 20 Hz (the DC remover) to 20 kHz at 44.1 to 96 kHz, 40.5 dB
 * (tube) and 42.4 dB (transformer) signal to aliasing in that test, and 2 samples of
 * latency (the group delay at low frequencies, 2.0, rounded). pre.oversample 2/4/8 runs the
 * curve at 2/4/8 fs (an 8-section IIR first stage, FIR half-bands above it, shelves for
 * their smaller droops); latency 3/8/9 samples. clean needs no oversampling at
 * pre.oversample 1 (zero latency, bit-exact), so switching between clean and a curve there
 * changes the latency and goes through the duck like a factor change; at 2/4/8 the clean
 * path is delayed by the same amount, so switching models never changes the latency.
 *
 * Low cut: 2nd-order Butterworth high-pass (12 dB/octave, -3 dB at pre.hpf; designed and
 * stepped by biquad.h, direct form I in halves). Corner changes glide the coefficients per
 * sample (every convex combination of two stable biquads is stable: the (a1, a2) stability
 * triangle is convex); on/off crossfades with the dry signal.
 *
 * Determinism: all smoothing and fades advance per sample, fast paths are taken only where
 * they give the same bits as the general path, fades end on segment boundaries, and the
 * once-in-a-while work (denormal flush, NaN containment) runs on a fixed grid of the sample
 * clock, so the output never depends on how the input was cut into calls. */
#include "preamp.h"

#include <errno.h>
#include <string.h>

#include "cpu.h"
#include "lanes.h"
#include "vec.h"

#define PRE_GRID 64u /* control grid, samples: one segment per chunk when nothing changes */
#define PRE_DRAIN 64u /* silence in a duck beyond twice the latency: the IIR's ringing */

/* The per-chunk path is built twice, for the baseline ISA and for AVX2 (see cpu.h and the end
 * of this file): everything it calls is always inlined, so it is compiled into both builds. */
#define PRE_INLINE static inline __attribute__((always_inline))

static float preamp_gain_target(const struct preamp *p)
{
	float g = p->gain_db == 0.0f ? 1.0f : dsp_db_to_gain(p->gain_db); /* exact unity */
	return p->invert ? -g : g;
}

static int model_sat(int m) { return m != PREAMP_CLEAN; }

/* The tube's negative knee moves out with the square root of the drive: see the top of this
 * file. 1 / sqrt(d), exactly 1 at drive 0 dB. */
PRE_INLINE void preamp_tube_knee(struct preamp *p)
{
	sat_curve_set_rneg(&p->curve[PREAMP_TUBE], 1.0f / sqrtf(p->drive.cur));
}

/* Index of the droop shelf for oversampling factor k > 1. */
static inline int preamp_droop_idx(uint32_t k) { return k == 2 ? 0 : k == 4 ? 1 : 2; }

/* The oversampler the settings ask for. A curve always runs oversampled: at pre.oversample 1
 * on the low-latency 2x IIR half-band (oversample.h), because first-order ADAA alone at the
 * base rate is a two-tap average (-11.7 dB at 20 kHz at 48 kHz) and leaves 17.7 dB signal to
 * aliasing (9973 Hz, -6 dBFS, drive 24); at 2x with the inverse droop shelf it is flat to
 * 20 kHz and gives about 42 dB, for 3 samples of latency. clean needs none: no latency. */
static uint32_t preamp_os_want(const struct preamp *p)
{
	if (p->os_req > 1)
		return p->os_req;
	return model_sat(p->model_req) ? (2u | OS_LOWLAT) : 1u;
}

/* Switch the oversampler (real-time safe) and set the latency: the chain's group delay at
 * DC (half-bands, ADAA's half sample at the curve's rate, the droop shelf) rounded. */
static void preamp_os_set(struct preamp *p, uint32_t mode)
{
	os_set_factor(&p->os, mode);
	uint32_t k = p->os.factor;
	double d = 0.0;
	if (k > 1)
		d = os_delay(&p->os) + 0.5 / (double)k + p->droop_delay[preamp_droop_idx(k)];
	p->lat = (uint32_t)lrint(d);
	p->droop_s.z1 = p->droop_s.z2 = 0.0f;
}

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
/* High shelves fitted (least squares over the largest error in dB, 0 .. 0.4535 fs) to
 * 1 / cos(pi f / (k fs)), the inverse of first-order ADAA's droop at the curve's rate k fs:
 * largest error 0.026 dB (2x), 0.008 dB (4x), 0.002 dB (8x). The target depends on f / fs
 * alone, so one normalised fit serves every sample rate. */
static const struct {
	double f0_fs, q, db;
} preamp_droop_fit[3] = {
	{0.43768, 0.28, 4.45},
	{0.43290, 0.28, 1.00875},
	{0.44404, 0.25, 0.264375},
};

/* Group delay at DC of a biquad: sum k b_k / sum b_k - sum k a_k / sum a_k. */
static double biquad_delay_dc(const struct biquad_coef *c)
{
	double b = (double)c->b0 + c->b1 + c->b2, a = 1.0 + c->a1 + c->a2;
	return ((double)c->b1 + 2.0 * c->b2) / b - ((double)c->a1 + 2.0 * c->a2) / a;
}

static void preamp_droop_design(struct preamp *p)
{
	for (int i = 0; i < 3; i++) {
		biquad_design(&p->droop_c[i], BQ_HIGHSHELF, p->fs, preamp_droop_fit[i].f0_fs * p->fs,
			      preamp_droop_fit[i].q, preamp_droop_fit[i].db);
		p->droop_delay[i] = biquad_delay_dc(&p->droop_c[i]);
	}
}

/* The loudness follower's weighting, one biquad: a first-order high-pass at
 * PREAMP_LOUD_HP_HZ (BS.1770's RLB filter, in spirit: the sub-audio wobble of an asymmetric
 * curve's DC, which the 5 Hz DC remover lets through, is power that nobody hears) times a
 * first-order high shelf of PREAMP_LOUD_SHELF_DB, half way up at PREAMP_LOUD_SHELF_HZ, both
 * by the bilinear transform with their corners prewarped. */
static void preamp_loud_design(struct biquad_coef *c, float fs)
{
	double g = pow(10.0, PREAMP_LOUD_SHELF_DB / 20.0);
	double kh = tan(M_PI * PREAMP_LOUD_HP_HZ / fs);
	double ks = tan(M_PI * PREAMP_LOUD_SHELF_HZ * sqrt(g) / fs);
	/* s / (s + wh) -> (1 - z^-1) / ((1 + kh) - (1 - kh) z^-1); (g s + ws) / (s + ws) ->
	 * ((g + ks) - (g - ks) z^-1) / ((1 + ks) - (1 - ks) z^-1) */
	double n0 = g + ks, n1 = -(g - ks), d0 = 1.0 + ks, d1 = -(1.0 - ks);
	double e0 = 1.0 + kh, e1 = -(1.0 - kh);
	double a0 = d0 * e0;
	c->b0 = (float)(n0 / a0);
	c->b1 = (float)((n1 - n0) / a0);
	c->b2 = (float)(-n1 / a0);
	c->a1 = (float)((d0 * e1 + d1 * e0) / a0);
	c->a2 = (float)(d1 * e1 / a0);
}

static uint32_t ms_to_samples(float fs, float ms)
{
	uint32_t n = (uint32_t)lrintf(fs * ms * 0.001f);
	return n ? n : 1;
}

int preamp_init(struct preamp *p, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->fs = fs;
	smooth_init(&p->gain, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&p->drive, fs, SMOOTH_TAU_MS, 0.0f);
	for (int i = 0; i < 5; i++)
		smooth_init(&p->hc[i], fs, SMOOTH_TAU_MS, 0.0f);
	sat_curve_init(&p->curve[PREAMP_CLEAN], 0.0f); /* unused */
	sat_curve_init(&p->curve[PREAMP_TUBE], PREAMP_TUBE_BIAS);
	sat_curve_init(&p->curve[PREAMP_TRANSFORMER], 0.0f);
	p->fade_len = ms_to_samples(fs, PREAMP_FADE_MS);
	p->fade_inv = 1.0f / (float)p->fade_len;
	p->fade_pos = p->fade_len;
	p->hpf_pos = p->fade_len;
	p->duck_len = ms_to_samples(fs, PREAMP_DUCK_MS);
	p->duck_inv = 1.0f / (float)p->duck_len;
	p->duck_end = p->duck_pos = 2 * p->duck_len;
	{
		/* dc[n] = a dc[n-1] + k q[n], k = 1 - a, unrolled four times (preamp_dc) */
		float k = (float)(1.0 - dsp_pole_from_hz_d(PREAMP_DC_HZ, fs));
		double a = 1.0f - k;
		p->dc_a4 = (float)(a * a * a * a);
		for (int j = 0; j < 4; j++)
			p->dc_c[j] = (float)(k * pow(a, j));
	}
	p->model_from = p->model_to = PREAMP_CLEAN;
	os_init(&p->os);
	hum_init(&p->hum, fs);
	air_init(&p->air, fs);
	preamp_droop_design(p);
	preamp_loud_design(&p->lw_c, fs);
	p->lw_a = (float)dsp_pole_from_ms_d(PREAMP_LOUD_TAU_MS, fs);
	return 0;
}

#endif /* DSP_KERNELS_ONLY */

static void preamp_loud_clear(struct preamp *p)
{
	p->lw_su.z1 = p->lw_su.z2 = p->lw_sy.z1 = p->lw_sy.z2 = 0.0f;
	p->lw_pu[0] = p->lw_pu[1] = p->lw_py[0] = p->lw_py[1] = 0.0f;
}

static void preamp_dc_clear(struct preamp *p)
{
	memset(p->dc_d, 0, sizeof(p->dc_d));
	memset(p->dc_q, 0, sizeof(p->dc_q));
}

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
static void preamp_clear_audio(struct preamp *p)
{
	p->hs.z1 = p->hs.z2 = p->hx1 = p->hx2 = 0.0f;
	p->x_prev = 0.0f;
	p->droop_s.z1 = p->droop_s.z2 = 0.0f;
	preamp_loud_clear(p);
	preamp_dc_clear(p);
	os_reset(&p->os);
	memset(p->clean_hist, 0, sizeof(p->clean_hist));
}

void preamp_reset(struct preamp *p)
{
	smooth_jump(&p->gain);
	smooth_jump(&p->drive);
	preamp_tube_knee(p);
	for (int i = 0; i < 5; i++)
		smooth_jump(&p->hc[i]);
	p->hpf_pos = p->fade_len;
	p->model_from = p->model_to = p->model_req;
	p->fade_pos = p->fade_len;
	if (p->os.mode != preamp_os_want(p))
		preamp_os_set(p, preamp_os_want(p));
	p->duck_end = p->duck_pos = 2 * p->duck_len;
	p->clock = 0;
	preamp_clear_audio(p);
	hum_reset(&p->hum);
	air_reset(&p->air);
}

void preamp_set_gain_db(struct preamp *p, float db)
{
	p->gain_db = db;
	smooth_set(&p->gain, preamp_gain_target(p));
}

void preamp_set_phase_invert(struct preamp *p, int invert)
{
	p->invert = invert != 0;
	smooth_set(&p->gain, preamp_gain_target(p)); /* glides through 0: a 10 ms crossfade */
}

void preamp_set_hpf_hz(struct preamp *p, float hz)
{
	int on = hz > 0.0f;
	int fading = p->hpf_pos < p->fade_len;
	p->hpf_hz = hz;
	if (on) {
		struct biquad_coef c;
		biquad_design(&c, BQ_HIGHPASS, p->fs, hz, 0.7071067811865476, 0.0);
		smooth_set(&p->hc[0], c.b0);
		smooth_set(&p->hc[1], c.b1);
		smooth_set(&p->hc[2], c.b2);
		smooth_set(&p->hc[3], c.a1);
		smooth_set(&p->hc[4], c.a2);
		if (!p->hpf_on && !fading) {
			/* from fully off: no glide, the filter fades in from zero state */
			for (int i = 0; i < 5; i++)
				smooth_jump(&p->hc[i]);
			p->hs.z1 = p->hs.z2 = p->hx1 = p->hx2 = 0.0f;
		}
	}
	if (on != p->hpf_on) {
		/* reverse a running fade from where it stands, else start one */
		p->hpf_pos = fading ? p->fade_len - p->hpf_pos : 0;
		p->hpf_on = on;
	}
}

void preamp_set_model(struct preamp *p, int model)
{
	if (model < 0 || model >= PREAMP_MODEL_COUNT)
		model = PREAMP_CLEAN;
	p->model_req = model; /* picked up by the fade engine, after a running fade */
}

void preamp_set_drive_db(struct preamp *p, float db)
{
	smooth_set(&p->drive, db == 0.0f ? 1.0f : dsp_db_to_gain(db));
}

void preamp_set_oversample(struct preamp *p, int factor)
{
	p->os_req = (factor == 2 || factor == 4 || factor == 8) ? (uint32_t)factor : 1u;
}

uint32_t preamp_latency_samples(const struct preamp *p) { return p->lat; }

/* ---- the stage descriptor (stage.h) ---- */

static int pre_stage_init(void *st, float fs) { return preamp_init(st, fs); }
static void pre_stage_reset(void *st) { preamp_reset(st); }
static uint32_t pre_stage_latency(const void *st) { return preamp_latency_samples(st); }

static void pre_stage_set(void *st, unsigned idx, float v)
{
	struct preamp *p = st;
	switch (P_PRE_GAIN + (int)idx) {
	case P_PRE_GAIN: preamp_set_gain_db(p, v); break;
	case P_PRE_PHASE: preamp_set_phase_invert(p, v != 0.0f); break;
	case P_PRE_HPF: preamp_set_hpf_hz(p, v); break;
	case P_PRE_MODEL: preamp_set_model(p, (int)v); break;
	case P_PRE_DRIVE: preamp_set_drive_db(p, v); break;
	case P_PRE_OVERSAMPLE: preamp_set_oversample(p, (int)v); break;
	case P_PRE_HUM: hum_set_mode(&p->hum, (int)v); break;
	case P_PRE_HUM_HARMONICS: hum_set_harmonics(&p->hum, (int)v); break;
	case P_PRE_AIR: air_set_db(&p->air, v); break;
	default: break;
	}
}

static void pre_stage_lanes(void *const *st, unsigned nl, const float *const *in,
			    float *const *out, const float **res, uint32_t n)
{
	struct preamp *p[DSP_LANES_MAX];
	for (unsigned l = 0; l < nl; l++)
		p[l] = st[l];
	preamp_run_lanes(p, nl, in, out, res, n);
}

const struct stage_desc pre_stage = {
	.name = "pre", .label = "preamp (gain, polarity, low cut, hum, saturation, air)",
	.first = P_PRE_GAIN, .last = P_PRE_AIR, .init = pre_stage_init,
	.reset = pre_stage_reset, .set = pre_stage_set, .process_lanes = pre_stage_lanes,
	.latency = pre_stage_latency,
};
#endif /* DSP_KERNELS_ONLY */

/* ---- audio ------------------------------------------------------------------------------ */

PRE_INLINE float flush_tiny(float x)
{
	/* zero subnormal-bound state (|x| < 1e-20) and contain NaN/Inf: one unsigned compare on
	 * the bits of |x|, no branch */
	uint32_t u;
	memcpy(&u, &x, sizeof(u));
	u &= 0x7fffffffu;
	return u - 0x1e3ce508u < 0x7f800000u - 0x1e3ce508u ? x : 0.0f; /* 1e-20f, +Inf */
}

PRE_INLINE void preamp_grid_work(struct preamp *p)
{
	preamp_tube_knee(p); /* on the grid, so the bits never depend on the call sizes */
	p->hs.z1 = flush_tiny(p->hs.z1);
	p->hs.z2 = flush_tiny(p->hs.z2);
	p->hx1 = flush_tiny(p->hx1);
	p->hx2 = flush_tiny(p->hx2);
	for (int i = 0; i < 4; i++)
		p->dc_d[i] = flush_tiny(p->dc_d[i]);
	for (int i = 0; i < 3; i++)
		p->dc_q[i] = flush_tiny(p->dc_q[i]);
	if (!isfinite(p->x_prev))
		p->x_prev = 0.0f;
	p->droop_s.z1 = flush_tiny(p->droop_s.z1);
	p->droop_s.z2 = flush_tiny(p->droop_s.z2);
	p->lw_su.z1 = flush_tiny(p->lw_su.z1);
	p->lw_su.z2 = flush_tiny(p->lw_su.z2);
	p->lw_sy.z1 = flush_tiny(p->lw_sy.z1);
	p->lw_sy.z2 = flush_tiny(p->lw_sy.z2);
	for (int i = 0; i < 2; i++) {
		p->lw_pu[i] = flush_tiny(p->lw_pu[i]);
		p->lw_py[i] = flush_tiny(p->lw_py[i]);
	}
	os_flush(&p->os);
}

/* Start pending fades and switches; called at the start of every segment. A change of the
 * oversampler (factor, or clean <-> curve at pre.oversample 1) ducks the output and switches
 * at its silent point, models included; other model changes crossfade. */
static void preamp_events(struct preamp *p)
{
	uint32_t dl = p->duck_len;
	uint32_t want = preamp_os_want(p);
	if (p->duck_pos == p->duck_end && want != p->os.mode) {
		/* the duck fades the input of the curves (and the clean path) out, holds it at
		 * zero while the old path drains (twice its latency), switches, and fades the
		 * input in: the new path starts from rest on a smooth onset, so its filters do
		 * not ring, and the old one's tail is not cut (switching the output instead left
		 * a run of zeros and then a step: -62 dBFS above 8 kHz under JACK) */
		p->duck_pos = 0;
		p->duck_end = 2 * dl + 2 * p->lat + PRE_DRAIN;
	}
	if (p->duck_pos == p->duck_end - dl && want != p->os.mode) {
		/* silent point of the duck: switch the oversampler, the model jumps. The DC
		 * remover and the loudness follower run on at the base rate (clearing them would
		 * step the output: the input is silent, not the output) */
		preamp_os_set(p, want);
		p->x_prev = 0.0f;
		memset(p->clean_hist, 0, sizeof(p->clean_hist));
		p->model_from = p->model_to = p->model_req;
		p->fade_pos = p->fade_len;
	}
	if (want != p->os.mode)
		return; /* a model change waits for the duck */
	if (p->fade_pos == p->fade_len) {
		if (p->model_from != p->model_to) {
			/* a fade just ended */
			p->model_from = p->model_to;
			if (!model_sat(p->model_to))
				preamp_dc_clear(p); /* its weight is 0: no step */
		}
		if (p->model_req != p->model_to) {
			if (!model_sat(p->model_from)) {
				/* the curve path starts from rest */
				preamp_dc_clear(p);
				preamp_loud_clear(p);
				if (p->os.factor > 1) {
					os_reset(&p->os);
					p->x_prev = 0.0f;
					p->droop_s.z1 = p->droop_s.z2 = 0.0f;
				}
			}
			p->model_to = p->model_req;
			p->fade_pos = 0;
		}
	}
}

static uint32_t preamp_segment_len(const struct preamp *p, uint32_t n)
{
	uint32_t k = PRE_GRID - (p->clock % PRE_GRID);
	if (k < n)
		n = k;
	if (p->fade_pos < p->fade_len && p->fade_len - p->fade_pos < n)
		n = p->fade_len - p->fade_pos;
	if (p->hpf_pos < p->fade_len && p->fade_len - p->hpf_pos < n)
		n = p->fade_len - p->hpf_pos;
	uint32_t dl = p->duck_len;
	uint32_t sw = p->duck_end - dl; /* the switch */
	if (p->duck_pos < sw && sw - p->duck_pos < n)
		n = sw - p->duck_pos;
	else if (p->duck_pos >= sw && p->duck_pos < p->duck_end && p->duck_end - p->duck_pos < n)
		n = p->duck_end - p->duck_pos;
	return n;
}

/* (a, b) concatenated, lanes k .. k+3 (k = 1, 2, 3): a vector shifted by 4 - k samples. GCC's
 * generic shuffles go through general registers on SSE2, so x86 gets shufps spelled out. */
#if defined(__SSE2__)
#define PRE_SHIFT1(a, b)                                                                 \
	((dsp_v4f)_mm_shuffle_ps((__m128)(a),                                             \
				 _mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(0, 0, 3, 3)), \
				 _MM_SHUFFLE(2, 0, 2, 1)))
#define PRE_SHIFT2(a, b) ((dsp_v4f)_mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(1, 0, 3, 2)))
#define PRE_SHIFT3(a, b)                                                                 \
	((dsp_v4f)_mm_shuffle_ps(                                                          \
		_mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(1, 0, 3, 3)), (__m128)(b), \
		_MM_SHUFFLE(2, 1, 2, 0)))
#else
#define PRE_SHIFT1(a, b) DSP_SHUFFLE4((a), (b), 1, 2, 3, 4)
#define PRE_SHIFT2(a, b) DSP_SHUFFLE4((a), (b), 2, 3, 4, 5)
#define PRE_SHIFT3(a, b) DSP_SHUFFLE4((a), (b), 3, 4, 5, 6)
#endif

/* Interleave two vectors of four (u0 v0 u1 v1, u2 v2 u3 v3) and back (the even and the odd
 * elements of a, b concatenated): x86 gets the SSE shuffles spelled out (see PRE_SHIFT1). */
#if defined(__SSE2__)
#define PRE_ZIPLO(a, b) ((dsp_v4f)_mm_unpacklo_ps((__m128)(a), (__m128)(b)))
#define PRE_ZIPHI(a, b) ((dsp_v4f)_mm_unpackhi_ps((__m128)(a), (__m128)(b)))
#define PRE_EVEN(a, b) ((dsp_v4f)_mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(2, 0, 2, 0)))
#define PRE_ODD(a, b) ((dsp_v4f)_mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(3, 1, 3, 1)))
#else
#define PRE_ZIPLO(a, b) DSP_SHUFFLE4((a), (b), 0, 4, 1, 5)
#define PRE_ZIPHI(a, b) DSP_SHUFFLE4((a), (b), 2, 6, 3, 7)
#define PRE_EVEN(a, b) DSP_SHUFFLE4((a), (b), 0, 2, 4, 6)
#define PRE_ODD(a, b) DSP_SHUFFLE4((a), (b), 1, 3, 5, 7)
#endif

/* The low cut is a direct form I section in halves (biquad.h), its state x1 x2 y1 y2 kept in
 * hx1/hx2 and hs.z1/z2 between calls. */

/* src -> dst, which may be the same buffer */
PRE_INLINE void preamp_hpf(struct preamp *p, const float *src, float *dst, uint32_t n)
{
	struct biquad_df1 st = {p->hx1, p->hx2, p->hs.z1, p->hs.z2};
	int moving = 0;
	for (int i = 0; i < 5; i++)
		moving |= !smooth_settled(&p->hc[i]);
	int fading = p->hpf_pos < p->fade_len;
	if (!moving && !fading) {
		const float b0 = p->hc[0].cur, b1 = p->hc[1].cur, b2 = p->hc[2].cur;
		const float a1 = p->hc[3].cur, a2 = p->hc[4].cur;
		for (uint32_t i = 0; i < n; i++)
			dst[i] = biquad_df1_tick(&st, b0, b1, b2, a1, a2, src[i]);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float b0 = p->hc[0].cur, b1 = p->hc[1].cur, b2 = p->hc[2].cur;
			float a1 = p->hc[3].cur, a2 = p->hc[4].cur;
			if (moving) {
				b0 = smooth_next(&p->hc[0]);
				b1 = smooth_next(&p->hc[1]);
				b2 = smooth_next(&p->hc[2]);
				a1 = smooth_next(&p->hc[3]);
				a2 = smooth_next(&p->hc[4]);
			}
			float x = src[i];
			float y = biquad_df1_tick(&st, b0, b1, b2, a1, a2, x);
			if (fading) {
				float ft = (float)(p->hpf_pos + i) * p->fade_inv;
				float mix = p->hpf_on ? ft : 1.0f - ft;
				y = x + mix * (y - x);
			}
			dst[i] = y;
		}
		if (fading) {
			p->hpf_pos += n;
			if (p->hpf_pos == p->fade_len && !p->hpf_on)
				st = (struct biquad_df1){0.0f, 0.0f, 0.0f, 0.0f}; /* fully off */
		}
	}
	p->hx1 = st.x1;
	p->hx2 = st.x2;
	p->hs.z1 = st.y1;
	p->hs.z2 = st.y2;
}

/* Settled low cut (no glide, no fade) of w lanes (4 or 8: ng = w / 4 groups of four), side by
 * side as vectors of four lanes. Two passes, so that the loop-carried chains do not compete for registers with the
 * rest: first each group's four input rows are transposed, four samples at a time, into one
 * vector per sample and the feed-forward part computed (throughput-bound); then the feedback
 * recursions of all groups step together (the chains overlap) and their outputs are transposed
 * back. The halves do per lane what preamp_hpf's settled loop does, so every lane gets the bits
 * it would get alone. Lanes past the last preamp are padding: zero coefficients and state,
 * output to scratch. src[l] -> dst[l], which may be the same buffer. */
PRE_INLINE void
preamp_hpf_groups(struct preamp *const *p, unsigned nl, const float *const *src,
		  float *const *dst, uint32_t n, const unsigned w)
{
	const unsigned ng = w / 4;
	struct biquad_df1_v4 st[2];
	dsp_v4f c[2][5];
	dsp_v4f f[2][DSP_MAX_CHUNK]; /* feed-forward part, one vector per sample */
	const float *s[8];
	float *d[8];
	float pad[DSP_MAX_CHUNK]; /* padding lanes' output */
	for (unsigned g = 0; g < ng; g++) {
		for (unsigned k = 0; k < 4; k++) {
			unsigned l = 4 * g + k;
			const struct preamp *q = l < nl ? p[l] : NULL;
			st[g].x1[k] = q ? q->hx1 : 0.0f;
			st[g].x2[k] = q ? q->hx2 : 0.0f;
			st[g].y1[k] = q ? q->hs.z1 : 0.0f;
			st[g].y2[k] = q ? q->hs.z2 : 0.0f;
			for (int j = 0; j < 5; j++)
				c[g][j][k] = q ? q->hc[j].cur : 0.0f;
			s[l] = q ? src[l] : src[0];
			d[l] = q ? dst[l] : pad;
		}
	}
	const uint32_t n4 = n & ~3u;
	for (unsigned g = 0; g < ng; g++) {
		const float *const *sg = s + 4 * g;
		const dsp_v4f b0 = c[g][0], b1 = c[g][1], b2 = c[g][2];
		uint32_t i = 0;
		for (; i < n4; i += 4) {
			dsp_v4f x0 = dsp_load4f(sg[0] + i), x1 = dsp_load4f(sg[1] + i);
			dsp_v4f x2 = dsp_load4f(sg[2] + i), x3 = dsp_load4f(sg[3] + i);
			dsp_transpose4f(&x0, &x1, &x2, &x3);
			f[g][i] = biquad_df1_ff_v4(&st[g], b0, b1, b2, x0);
			f[g][i + 1] = biquad_df1_ff_v4(&st[g], b0, b1, b2, x1);
			f[g][i + 2] = biquad_df1_ff_v4(&st[g], b0, b1, b2, x2);
			f[g][i + 3] = biquad_df1_ff_v4(&st[g], b0, b1, b2, x3);
		}
		for (; i < n; i++) {
			dsp_v4f x = { sg[0][i], sg[1][i], sg[2][i], sg[3][i] };
			f[g][i] = biquad_df1_ff_v4(&st[g], b0, b1, b2, x);
		}
	}
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		for (unsigned g = 0; g < ng; g++) {
			float *const *dg = d + 4 * g;
			const dsp_v4f a1 = c[g][3], a2 = c[g][4];
			dsp_v4f y0 = biquad_df1_fb_v4(&st[g], a1, a2, f[g][i]);
			dsp_v4f y1 = biquad_df1_fb_v4(&st[g], a1, a2, f[g][i + 1]);
			dsp_v4f y2 = biquad_df1_fb_v4(&st[g], a1, a2, f[g][i + 2]);
			dsp_v4f y3 = biquad_df1_fb_v4(&st[g], a1, a2, f[g][i + 3]);
			dsp_transpose4f(&y0, &y1, &y2, &y3);
			dsp_store4f(dg[0] + i, y0);
			dsp_store4f(dg[1] + i, y1);
			dsp_store4f(dg[2] + i, y2);
			dsp_store4f(dg[3] + i, y3);
		}
	}
	for (; i < n; i++) {
		for (unsigned g = 0; g < ng; g++) {
			float *const *dg = d + 4 * g;
			dsp_v4f y = biquad_df1_fb_v4(&st[g], c[g][3], c[g][4], f[g][i]);
			for (unsigned k = 0; k < 4; k++)
				dg[k][i] = y[k];
		}
	}
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *q = p[l];
		unsigned g = l / 4, k = l % 4;
		q->hx1 = st[g].x1[k];
		q->hx2 = st[g].x2[k];
		q->hs.z1 = st[g].y1[k];
		q->hs.z2 = st[g].y2[k];
	}
}

/* Settled low cut of 2 to DSP_LANES_MAX lanes, padded to one group of four or two (lanes.h). */
PRE_INLINE void preamp_hpf_lanes(struct preamp *const *p, unsigned nl, const float *const *src,
				 float *const *dst, uint32_t n)
{
	DSP_LANES_CALL(dsp_lanes_pad(nl, 4), DSP_LANES_W(4) | DSP_LANES_W(8), preamp_hpf_groups, p,
		       nl, src, dst, n);
}

#ifdef DSP_TARGET_AVX2
#include <immintrin.h>

/* The same two halves for eight lanes (AVX2 build only). */
struct biquad_df1_v8 {
	__m256 x1, x2, y1, y2;
};
BIQUAD_DEF_DF1(_v8, struct biquad_df1_v8, __m256, DSP_TARGET_AVX2)

/* A 4x4 transpose in each 128-bit half: rows r0..r3 of lanes k and k + 4 side by side become
 * their columns, side by side. */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) void
pre_transpose8x4(__m256 *r0, __m256 *r1, __m256 *r2, __m256 *r3)
{
	__m256 t0 = _mm256_unpacklo_ps(*r0, *r1), t1 = _mm256_unpackhi_ps(*r0, *r1);
	__m256 t2 = _mm256_unpacklo_ps(*r2, *r3), t3 = _mm256_unpackhi_ps(*r2, *r3);
	*r0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
	*r1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
	*r2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
	*r3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
}

/* Lane k's four samples from i in the low half, lane k + 4's in the high half. */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) __m256
pre_load2(const float *lo, const float *hi)
{
	return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(lo)), _mm_loadu_ps(hi), 1);
}

/* pre_load2()'s inverse: the low half to lane k's four samples, the high half to lane k + 4's. */
DSP_TARGET_AVX2 static inline __attribute__((always_inline)) void
pre_store2(float *lo, float *hi, __m256 v)
{
	_mm_storeu_ps(lo, _mm256_castps256_ps128(v));
	_mm_storeu_ps(hi, _mm256_extractf128_ps(v, 1));
}

/* preamp_hpf_groups() for five to eight lanes in one vector of eight (AVX2 build only): the
 * same two passes and, per lane, the same IEEE operations in the same order as biquad_df1_ff
 * and biquad_df1_fb, so the same bits. */
DSP_TARGET_AVX2 static void preamp_hpf_lanes8(struct preamp *const *p, unsigned nl,
					      const float *const *src, float *const *dst,
					      uint32_t n)
{
	float sv[4][8], cv[5][8];
	const float *s[8];
	float *d[8];
	float pad[DSP_MAX_CHUNK]; /* padding lanes' output */
	__m256 f[DSP_MAX_CHUNK];  /* feed-forward part, one vector per sample */
	for (unsigned l = 0; l < 8; l++) {
		const struct preamp *q = l < nl ? p[l] : NULL;
		sv[0][l] = q ? q->hx1 : 0.0f;
		sv[1][l] = q ? q->hx2 : 0.0f;
		sv[2][l] = q ? q->hs.z1 : 0.0f;
		sv[3][l] = q ? q->hs.z2 : 0.0f;
		for (int j = 0; j < 5; j++)
			cv[j][l] = q ? q->hc[j].cur : 0.0f;
		s[l] = q ? src[l] : src[0];
		d[l] = q ? dst[l] : pad;
	}
	struct biquad_df1_v8 st = {_mm256_loadu_ps(sv[0]), _mm256_loadu_ps(sv[1]),
				_mm256_loadu_ps(sv[2]), _mm256_loadu_ps(sv[3])};
	const __m256 b0 = _mm256_loadu_ps(cv[0]), b1 = _mm256_loadu_ps(cv[1]);
	const __m256 b2 = _mm256_loadu_ps(cv[2]), a1 = _mm256_loadu_ps(cv[3]);
	const __m256 a2 = _mm256_loadu_ps(cv[4]);
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		__m256 r[4];
		for (unsigned k = 0; k < 4; k++)
			r[k] = pre_load2(s[k] + i, s[k + 4] + i);
		pre_transpose8x4(&r[0], &r[1], &r[2], &r[3]);
		for (unsigned k = 0; k < 4; k++)
			f[i + k] = biquad_df1_ff_v8(&st, b0, b1, b2, r[k]);
	}
	for (; i < n; i++) {
		__m256 x = _mm256_setr_ps(s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i],
					  s[6][i], s[7][i]);
		f[i] = biquad_df1_ff_v8(&st, b0, b1, b2, x);
	}
	for (i = 0; i < n4; i += 4) {
		__m256 y[4];
		for (unsigned k = 0; k < 4; k++)
			y[k] = biquad_df1_fb_v8(&st, a1, a2, f[i + k]);
		pre_transpose8x4(&y[0], &y[1], &y[2], &y[3]);
		for (unsigned k = 0; k < 4; k++)
			pre_store2(d[k] + i, d[k + 4] + i, y[k]);
	}
	for (; i < n; i++) {
		float yv[8];
		_mm256_storeu_ps(yv, biquad_df1_fb_v8(&st, a1, a2, f[i]));
		for (unsigned l = 0; l < 8; l++)
			d[l][i] = yv[l];
	}
	_mm256_storeu_ps(sv[0], st.x1);
	_mm256_storeu_ps(sv[1], st.x2);
	_mm256_storeu_ps(sv[2], st.y1);
	_mm256_storeu_ps(sv[3], st.y2);
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *q = p[l];
		q->hx1 = sv[0][l];
		q->hx2 = sv[1][l];
		q->hs.z1 = sv[2][l];
		q->hs.z2 = sv[3][l];
	}
}
#endif

/* The clean path when oversampling: u delayed by the chain's latency. */
PRE_INLINE const float *preamp_clean_delay(struct preamp *p, const float *u, uint32_t n)
{
	uint32_t l = p->lat;
	if (l == 0)
		return u;
	float *h = p->clean_hist;
	memcpy(h + l, u, n * sizeof(float));
	memcpy(p->cl, h, n * sizeof(float));
	memmove(h, h + n, l * sizeof(float));
	return p->cl;
}

/* Clean with no fade and no oversampling: the gain stage is the output. Only the ADAA state is
 * kept ready for a fade, with the drive advanced as preamp_models() would. */
PRE_INLINE void preamp_clean_state(struct preamp *p, const float *u, uint32_t n)
{
	float d = p->drive.cur;
	if (!smooth_settled(&p->drive))
		for (uint32_t i = 0; i < n; i++)
			d = smooth_next(&p->drive);
	p->x_prev = u[n - 1] * d;
}

/* DC removal: a one pole tracks the mean of the curve's output q,
 *     y[n] = q[n] - dc[n-1],   dc[n] = a dc[n-1] + k q[n],
 * and the output is y * 1/drive (id[i], or idc when id is NULL). Written directly the
 * recursion is a multiply and an add per sample back to back; unrolled four times,
 *     dc[n] = a^4 dc[n-4] + (k q[n] + k a q[n-1]) + (k a^2 q[n-2] + k a^3 q[n-3]),
 * it is four independent chains, and four consecutive samples are one vector operation.
 * Every sample is computed by this same expression (vector lane or scalar), so the result
 * does not depend on how the input is cut (pre_dc1_step, pre_dc1_step4; preamp_dc runs them
 * over a block, preamp_tail inside its own loop). In preamp_dc, with clean != NULL (a curve
 * <-> clean fade), the output is w (y / drive) + (1 - w) clean, w rising (fade_in) or falling
 * over the fade. */
struct pre_dc1 {
	float a4, c0, c1, c2, c3;
	float d1, d2, d3, d4; /* dc[n-1] .. dc[n-4] */
	float q1, q2, q3;     /* q[n-1] .. q[n-3] */
};

PRE_INLINE void pre_dc1_load(struct pre_dc1 *f, const struct preamp *p)
{
	f->a4 = p->dc_a4, f->c0 = p->dc_c[0], f->c1 = p->dc_c[1], f->c2 = p->dc_c[2];
	f->c3 = p->dc_c[3];
	f->d1 = p->dc_d[0], f->d2 = p->dc_d[1], f->d3 = p->dc_d[2], f->d4 = p->dc_d[3];
	f->q1 = p->dc_q[0], f->q2 = p->dc_q[1], f->q3 = p->dc_q[2];
}

PRE_INLINE void pre_dc1_store(const struct pre_dc1 *f, struct preamp *p)
{
	p->dc_d[0] = f->d1, p->dc_d[1] = f->d2, p->dc_d[2] = f->d3, p->dc_d[3] = f->d4;
	p->dc_q[0] = f->q1, p->dc_q[1] = f->q2, p->dc_q[2] = f->q3;
}

/* One sample: q[n] -> y[n] (before 1/drive). */
PRE_INLINE float pre_dc1_step(struct pre_dc1 *f, float qn)
{
	float dn = f->a4 * f->d4 + ((f->c0 * qn + f->c1 * f->q1) + (f->c2 * f->q2 + f->c3 * f->q3));
	float y = qn - f->d1;
	f->d4 = f->d3, f->d3 = f->d2, f->d2 = f->d1, f->d1 = dn;
	f->q3 = f->q2, f->q2 = f->q1, f->q1 = qn;
	return y;
}

/* Four samples at once: q0v = q[i .. i+3], qp = q[i-4 .. i-1] (lane 0 unused) and
 * dp = dc[i-4 .. i-1] advanced by four; returns (q - dc[n-1]) * g. The taps q[i-1..i-3] are
 * shuffled out of this vector and the previous one rather than loaded from memory: loads
 * that straddle the curve's fresh stores would stall on store forwarding. */
PRE_INLINE dsp_v4f pre_dc1_step4(const struct pre_dc1 *f, dsp_v4f *qp, dsp_v4f *dp, dsp_v4f q0v,
				 dsp_v4f g)
{
	dsp_v4f q1v = PRE_SHIFT3(*qp, q0v);
	dsp_v4f q2v = PRE_SHIFT2(*qp, q0v);
	dsp_v4f q3v = PRE_SHIFT1(*qp, q0v);
	dsp_v4f d = f->a4 * *dp + ((f->c0 * q0v + f->c1 * q1v) + (f->c2 * q2v + f->c3 * q3v));
	dsp_v4f dm1 = PRE_SHIFT3(*dp, d); /* dc[i-1 .. i+2] */
	*dp = d;
	*qp = q0v;
	return (q0v - dm1) * g;
}

/* The scalar state in the vectors pre_dc1_step4() steps, and back. */
PRE_INLINE void pre_dc1_to_v4(const struct pre_dc1 *f, dsp_v4f *qp, dsp_v4f *dp)
{
	*qp = (dsp_v4f){0.0f, f->q3, f->q2, f->q1};
	*dp = (dsp_v4f){f->d4, f->d3, f->d2, f->d1};
}

PRE_INLINE void pre_dc1_from_v4(struct pre_dc1 *f, dsp_v4f qp, dsp_v4f dp)
{
	f->d4 = dp[0], f->d3 = dp[1], f->d2 = dp[2], f->d1 = dp[3];
	f->q3 = qp[1], f->q2 = qp[2], f->q1 = qp[3];
}

PRE_INLINE void preamp_dc(struct preamp *p, const float *q, float *out, const float *id, float idc,
			  const float *clean, int fade_in, uint32_t n)
{
	struct pre_dc1 f;
	pre_dc1_load(&f, p);
	uint32_t i = 0;
	if (!clean && n >= 4) {
		dsp_v4f qp, dp;
		pre_dc1_to_v4(&f, &qp, &dp);
		for (; i + 4 <= n; i += 4) {
			dsp_v4f g = id ? dsp_load4f(id + i) : (dsp_v4f){idc, idc, idc, idc};
			dsp_store4f(out + i, pre_dc1_step4(&f, &qp, &dp, dsp_load4f(q + i), g));
		}
		pre_dc1_from_v4(&f, qp, dp);
	}
	for (; i < n; i++) {
		float y = pre_dc1_step(&f, q[i]) * (id ? id[i] : idc);
		if (clean) {
			float t = (float)(p->fade_pos + i) * p->fade_inv;
			float w = fade_in ? t : 1.0f - t;
			y = w * y + (1.0f - w) * clean[i];
		}
		out[i] = y;
	}
	pre_dc1_store(&f, p);
}

/* A biquad_tick() with its sums reassociated so that y[n-1] reaches y[n] through one multiply
 * and two adds (the feed-forward terms are summed first, off the recursion): the loops below
 * are bound by that chain's latency, 12 cycles a sample instead of 16. */
PRE_INLINE float preamp_tick(const struct biquad_coef *c, struct biquad_state *s, float x)
{
	float y = c->b0 * x + s->z1;
	s->z1 = (c->b1 * x + s->z2) - c->a1 * y;
	s->z2 = c->b2 * x - c->a2 * y;
	return y;
}

/* out[i] *= sqrt(pu[i] / py[i]), four at a time where SSE is there (the same correctly
 * rounded operations as the scalar loop, so the same bits): sqrt and division throughput,
 * not the followers' chains, bounded the per-sample loop. */
PRE_INLINE void preamp_loud_gain(float *out, const float *pu, const float *py, uint32_t n)
{
	uint32_t i = 0;
#if defined(__SSE2__)
	for (; i + 4 <= n; i += 4) {
		__m128 g = _mm_sqrt_ps(_mm_div_ps(_mm_loadu_ps(pu + i), _mm_loadu_ps(py + i)));
		_mm_storeu_ps(out + i, _mm_mul_ps(_mm_loadu_ps(out + i), g));
	}
#endif
	for (; i < n; i++)
		out[i] *= sqrtf(pu[i] / py[i]);
}

/* The same with the powers in pairs: pp[2i] = pu[i], pp[2i + 1] = py[i]. */
PRE_INLINE void preamp_loud_gain_pairs(float *out, const float *pp, uint32_t n)
{
	uint32_t i = 0;
#if defined(__SSE2__)
	for (; i + 4 <= n; i += 4) {
		dsp_v4f a = dsp_load4f(pp + 2 * i), b = dsp_load4f(pp + 2 * i + 4);
		__m128 g = _mm_sqrt_ps(_mm_div_ps((__m128)PRE_EVEN(a, b), (__m128)PRE_ODD(a, b)));
		_mm_storeu_ps(out + i, _mm_mul_ps(_mm_loadu_ps(out + i), g));
	}
#endif
	for (; i < n; i++)
		out[i] *= sqrtf(pp[2 * i] / pp[2 * i + 1]);
}

/* x where |x| < 1e18, else 0 (NaN too): preamp_loudness's guard, four lanes at once. */
PRE_INLINE dsp_v4f pre_loud_guard(dsp_v4f x)
{
	const dsp_v4i absm = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
	const dsp_v4f lim = {1e18f, 1e18f, 1e18f, 1e18f};
	dsp_v4i ok = (dsp_v4f)((dsp_v4i)x & absm) < lim;
	return (dsp_v4f)((dsp_v4i)x & ok);
}

/* Loudness follower: the curves compress, so their output y is scaled by
 * sqrt(P_u / P_y), the ratio of the slowly followed powers of the curve's input u and of y,
 * both through a gentle high shelf (+2 dB above 1.7 kHz: half of BS.1770's K-weighting
 * shelf, since added harmonics sound louder than their power says) and two cascaded
 * 50 ms one-poles (ripple at twice a 50 Hz bass note -66 dB, so no audible modulation).
 * Drive then changes colour, not loudness: on the speech fixture, BS.1770 gated loudness
 * stays within 1 LU from drive 0 to 36 for both curves (tests/quality), where it fell by
 * 15.4 LU. Small signals (ratio 1) are untouched; below -80 dBFS the 1e-8 floor holds the gain
 * at 1 (nothing is compressed there), which also keeps the followers' start from acting.
 * The two followers (u's and y's) do the same operations, so they run as the two lanes of one
 * vector: half the instructions of two scalar chains, the same bits per lane. */
struct pre_loud1 {
	dsp_v4f b0, b1, b2, a1, a2, a, b;
	dsp_v4f z1, z2, p0, p1; /* lane 0: u's follower, lane 1: y's (lanes 2 and 3 idle at 0) */
};

PRE_INLINE void pre_loud1_load(struct pre_loud1 *f, const struct preamp *p)
{
	const float a = p->lw_a, b = 1.0f - a;
	const struct biquad_coef c = p->lw_c;
	f->a = (dsp_v4f){a, a, a, a}, f->b = (dsp_v4f){b, b, b, b};
	f->b0 = (dsp_v4f){c.b0, c.b0, c.b0, c.b0}, f->b1 = (dsp_v4f){c.b1, c.b1, c.b1, c.b1};
	f->b2 = (dsp_v4f){c.b2, c.b2, c.b2, c.b2}, f->a1 = (dsp_v4f){c.a1, c.a1, c.a1, c.a1};
	f->a2 = (dsp_v4f){c.a2, c.a2, c.a2, c.a2};
	f->z1 = (dsp_v4f){p->lw_su.z1, p->lw_sy.z1, 0.0f, 0.0f};
	f->z2 = (dsp_v4f){p->lw_su.z2, p->lw_sy.z2, 0.0f, 0.0f};
	f->p0 = (dsp_v4f){p->lw_pu[0], p->lw_py[0], 0.0f, 0.0f};
	f->p1 = (dsp_v4f){p->lw_pu[1], p->lw_py[1], 0.0f, 0.0f};
}

PRE_INLINE void pre_loud1_store(const struct pre_loud1 *f, struct preamp *p)
{
	p->lw_su.z1 = f->z1[0], p->lw_sy.z1 = f->z1[1], p->lw_su.z2 = f->z2[0], p->lw_sy.z2 = f->z2[1];
	p->lw_pu[0] = f->p0[0], p->lw_py[0] = f->p0[1], p->lw_pu[1] = f->p1[0], p->lw_py[1] = f->p1[1];
}

/* One sample of both followers: u (the clean reference) and y (the curve path's output) ->
 * their powers (plus the floor) as the pair pp[0], pp[1]. */
PRE_INLINE void pre_loud1_step(struct pre_loud1 *f, float u, float y, float *pp)
{
	const dsp_v4f eps = {1e-8f, 1e-8f, 1e-8f, 1e-8f};
	/* NaN and Inf stay out of the followers (the curve path contains them itself) */
	dsp_v4f x = pre_loud_guard((dsp_v4f){u, y, 0.0f, 0.0f});
	dsp_v4f w = f->b0 * x + f->z1;
	f->z1 = (f->b1 * x + f->z2) - f->a1 * w;
	f->z2 = f->b2 * x - f->a2 * w;
	f->p0 = f->a * f->p0 + f->b * (w * w);
	f->p1 = f->a * f->p1 + f->b * f->p0;
	dsp_v4f r = f->p1 + eps;
	memcpy(pp, &r, 2 * sizeof(float));
}

PRE_INLINE void preamp_loudness(struct preamp *p, const float *u, float *out, uint32_t n)
{
	struct pre_loud1 f;
	pre_loud1_load(&f, p);
	float *pp = p->st[1]; /* free here: the curves' second buffer serves fades only */
	for (uint32_t i = 0; i < n; i++)
		pre_loud1_step(&f, u[i], out[i], pp + 2 * i);
	preamp_loud_gain_pairs(out, pp, n);
	pre_loud1_store(&f, p);
}

/* The curve path's tail at one lane after decimation: the droop shelf, the DC remover with
 * 1/drive and the loudness follower, y (the decimator's n outputs) -> out, in one loop. Their
 * recursions are serial chains of several cycles a sample each: in separate loops every loop
 * waits on its own chain; here they overlap. The droop shelf and the followers' weighting are
 * the same reassociated biquad (oversample.c's post filter, pre_loud1_step), so they share one
 * vector (lanes 0 and 1 the followers of the clean reference c and of the output, lane 2 the
 * shelf; lane 3 idle, its coefficients 0) as a skewed pipeline: at step t the shelf takes
 * sample t, the followers sample t - PRE_TAIL_SKEW, whose output the DC remover (four samples
 * at a time) finished at least one group of four before (from the group just before, the
 * remover's latency would join the vector's loop-carried chain). The first steps of a block
 * leave the followers' lanes as they were, the last ones run the followers alone. Each lane
 * does the separate loops' operations in their order (the post filter, pre_dc1_step4 and
 * pre_dc1_step at the same samples, pre_loud1_step), so the bits are theirs. id is the
 * per-sample 1/drive, NULL for idc. */
#define PRE_TAIL_SKEW 8u

struct pre_tail {
	dsp_v4f b0, b1, b2, a1, a2, z1, z2; /* the shared biquad */
	dsp_v4f a, b, p0, p1;               /* the followers' one-poles (lanes 0 and 1) */
	struct pre_dc1 dc;
	dsp_v4f qp, dp; /* the DC remover's state as pre_dc1_step4() steps it */
};

PRE_INLINE void pre_tail_load(struct pre_tail *t, const struct preamp *p)
{
	const struct biquad_coef d = p->droop_c[preamp_droop_idx(p->os.factor)];
	const struct biquad_coef w = p->lw_c;
	struct pre_loud1 lf;
	pre_loud1_load(&lf, p);
	t->a = lf.a, t->b = lf.b, t->p0 = lf.p0, t->p1 = lf.p1;
	t->b0 = (dsp_v4f){w.b0, w.b0, d.b0, 0.0f}, t->b1 = (dsp_v4f){w.b1, w.b1, d.b1, 0.0f};
	t->b2 = (dsp_v4f){w.b2, w.b2, d.b2, 0.0f}, t->a1 = (dsp_v4f){w.a1, w.a1, d.a1, 0.0f};
	t->a2 = (dsp_v4f){w.a2, w.a2, d.a2, 0.0f};
	t->z1 = (dsp_v4f){lf.z1[0], lf.z1[1], p->droop_s.z1, 0.0f};
	t->z2 = (dsp_v4f){lf.z2[0], lf.z2[1], p->droop_s.z2, 0.0f};
	pre_dc1_load(&t->dc, p);
	pre_dc1_to_v4(&t->dc, &t->qp, &t->dp);
}

PRE_INLINE void pre_tail_store(const struct pre_tail *t, struct preamp *p)
{
	struct pre_loud1 lf;
	lf.z1 = t->z1, lf.z2 = t->z2, lf.p0 = t->p0, lf.p1 = t->p1;
	pre_loud1_store(&lf, p);
	pre_dc1_store(&t->dc, p);
}

/* One step of the shared biquad on x (lane 2 the shelf's input), and with fol the followers'
 * one-poles, their powers to pp[0], pp[1]. Returns the biquad's outputs (lane 2: the shelf's). */
PRE_INLINE dsp_v4f pre_tail_step(struct pre_tail *t, dsp_v4f x, float *pp, const int fol)
{
	const dsp_v4f eps = {1e-8f, 1e-8f, 1e-8f, 1e-8f};
	dsp_v4f w = t->b0 * x + t->z1;
	t->z1 = (t->b1 * x + t->z2) - t->a1 * w;
	t->z2 = t->b2 * x - t->a2 * w;
	if (fol) {
		t->p0 = t->a * t->p0 + t->b * (w * w);
		t->p1 = t->a * t->p1 + t->b * t->p0;
		dsp_v4f r = t->p1 + eps;
		memcpy(pp, &r, 2 * sizeof(float));
	}
	return w;
}

/* Lanes i, j of a and lanes k, k of b; the low halves of a and b. */
#if defined(__SSE2__)
#define PRE_LOHALVES(a, b) ((dsp_v4f)_mm_movelh_ps((__m128)(a), (__m128)(b)))
#define PRE_PICK(a, b, i, j, k) \
	((dsp_v4f)_mm_shuffle_ps((__m128)(a), (__m128)(b), _MM_SHUFFLE(k, k, j, i)))
#else
#define PRE_LOHALVES(a, b) DSP_SHUFFLE4((a), (b), 0, 1, 4, 5)
#define PRE_PICK(a, b, i, j, k) DSP_SHUFFLE4((a), (b), i, j, 4 + k, 4 + k)
#endif

/* Steps i .. i + 3 (the followers' samples i - PRE_TAIL_SKEW ..), the shelf's four outputs
 * through the DC remover to out. Lane 3 gets a copy of the shelf's input: its coefficients
 * are 0. */
PRE_INLINE void pre_tail_step4(struct pre_tail *t, const float *y, const float *c, float *out,
			       float *pp, const float *id, float idc, uint32_t i, const int fol)
{
	const uint32_t s = PRE_TAIL_SKEW;
	dsp_v4f lo = {0.0f}, hi = {0.0f};
	dsp_v4f yv = dsp_load4f(y + i);
	if (fol) {
		/* the followers' inputs in pairs, NaN and Inf kept out of them (the curve path
		 * contains them itself) */
		dsp_v4f cv = dsp_load4f(c + i - s), ov = dsp_load4f(out + i - s);
		lo = pre_loud_guard(PRE_ZIPLO(cv, ov));
		hi = pre_loud_guard(PRE_ZIPHI(cv, ov));
	}
	dsp_v4f w0 = pre_tail_step(t, PRE_PICK(lo, yv, 0, 1, 0), pp + 2 * (i - s), fol);
	dsp_v4f w1 = pre_tail_step(t, PRE_PICK(lo, yv, 2, 3, 1), pp + 2 * (i + 1 - s), fol);
	dsp_v4f w2 = pre_tail_step(t, PRE_PICK(hi, yv, 0, 1, 2), pp + 2 * (i + 2 - s), fol);
	dsp_v4f w3 = pre_tail_step(t, PRE_PICK(hi, yv, 2, 3, 3), pp + 2 * (i + 3 - s), fol);
	/* the shelf's outputs, lanes 2 of w0 .. w3 */
	dsp_v4f q = PRE_LOHALVES(PRE_ZIPHI(w0, w1), PRE_ZIPHI(w2, w3));
	dsp_v4f g = id ? dsp_load4f(id + i) : (dsp_v4f){idc, idc, idc, idc};
	dsp_store4f(out + i, pre_dc1_step4(&t->dc, &t->qp, &t->dp, q, g));
}

/* Step i, one sample through the DC remover (after the groups of four); sho: the shelf has
 * sample i, fol: the followers have sample i - PRE_TAIL_SKEW (i - fol_back in general). */
PRE_INLINE void pre_tail_step1(struct pre_tail *t, const float *y, const float *c, float *out,
			       float *pp, const float *id, float idc, uint32_t i, uint32_t f,
			       const int sho, const int fol)
{
	dsp_v4f x = fol ? pre_loud_guard((dsp_v4f){c[f], out[f], 0.0f, 0.0f}) : (dsp_v4f){0.0f};
	x[2] = sho ? y[i] : 0.0f;
	dsp_v4f w = pre_tail_step(t, x, pp + 2 * f, fol);
	if (sho)
		out[i] = pre_dc1_step(&t->dc, w[2]) * (id ? id[i] : idc);
}

PRE_INLINE void preamp_tail(struct preamp *p, const float *y, const float *c, float *out,
			    const float *id, float idc, uint32_t n)
{
	const uint32_t s = PRE_TAIL_SKEW;
	struct pre_tail t;
	float *pp = p->st[1]; /* free: the curves' second buffer serves fades only */
	pre_tail_load(&t, p);
	const dsp_v4f z1 = t.z1, z2 = t.z2;
	uint32_t i = 0;
	/* the first steps: the shelf alone, the followers' lanes put back after them */
	for (; i + 4 <= n && i < s; i += 4)
		pre_tail_step4(&t, y, c, out, pp, id, idc, i, 0);
	if (i < s) { /* n < s + 4: the rest are first steps too */
		pre_dc1_from_v4(&t.dc, t.qp, t.dp);
		for (; i < n; i++)
			pre_tail_step1(&t, y, c, out, pp, id, idc, i, 0, 1, 0);
		pre_dc1_to_v4(&t.dc, &t.qp, &t.dp);
	}
	t.z1 = DSP_SHUFFLE4(z1, t.z1, 0, 1, 6, 7);
	t.z2 = DSP_SHUFFLE4(z2, t.z2, 0, 1, 6, 7);
	for (; i + 4 <= n; i += 4)
		pre_tail_step4(&t, y, c, out, pp, id, idc, i, 1);
	pre_dc1_from_v4(&t.dc, t.qp, t.dp);
	for (; i < n; i++)
		pre_tail_step1(&t, y, c, out, pp, id, idc, i, i - s, 1, 1);
	p->droop_s.z1 = t.z1[2], p->droop_s.z2 = t.z2[2];
	/* the last steps: the followers alone */
	for (i = n > s ? n - s : 0; i < n; i++)
		pre_tail_step1(&t, y, c, out, pp, id, idc, i, i, 0, 1);
	pre_tail_store(&t, p);
	preamp_loud_gain_pairs(out, pp, n);
}

/* The oversampler's IIR half-band at one lane, built here (per ISA, cpu.h) rather than in
 * oversample.c's baseline build: the same os_iir_tick() steps. Going up, the drive multiplies
 * each input as ops->mul/mul_const would (u * d), and both chains' inputs come from one
 * broadcast: lanes 2 and 3 (coefficients 0) carry copies that nobody reads. Going down, y[i]
 * is the two chains' mean (the droop shelf follows in preamp_tail). */
PRE_INLINE void pre_iir_up_n(struct preamp *p, const float *u, const float *d, float dc,
			     uint32_t n, const uint32_t N, const int hpf)
{
	struct os_iir_regs r;
	float *out = os_up_buf(&p->os);
	const float *src = p->hpf_src;
	float *hu = p->u;
	struct biquad_df1 st = {p->hx1, p->hx2, p->hs.z1, p->hs.z2};
	const float b0 = p->hc[0].cur, b1 = p->hc[1].cur, b2 = p->hc[2].cur;
	const float a1 = p->hc[3].cur, a2 = p->hc[4].cur;
	os_iir_regs_load(&r, &p->os.iir[p->os.hb], &p->os.up, N);
	for (uint32_t i = 0; i < n; i++) {
		float y = u[i];
		if (hpf) /* preamp_hpf's settled loop */
			hu[i] = y = biquad_df1_tick(&st, b0, b1, b2, a1, a2, src[i]);
		float x = y * (d ? d[i] : dc);
		float a, b;
		os_iir_tick(&r, (dsp_v4f){x, x, x, x}, &a, &b, N);
		out[2 * i] = a;
		out[2 * i + 1] = b;
	}
	os_iir_regs_store(&r, &p->os.up, N);
	if (hpf) {
		p->hx1 = st.x1, p->hx2 = st.x2, p->hs.z1 = st.y1, p->hs.z2 = st.y2;
		p->hpf_src = NULL;
	}
}

/* u is p->u when p->hpf_src holds the low cut's input: the low cut runs in this loop too (its
 * chain overlaps the half-band's) and leaves its output in p->u for the clean path. */
PRE_INLINE void pre_iir_up(struct preamp *p, const float *u, const float *d, float dc, uint32_t n)
{
	const int hpf = p->hpf_src != NULL;
	if (p->os.iir[p->os.hb].n == 5 && hpf)
		pre_iir_up_n(p, u, d, dc, n, 5, 1);
	else if (p->os.iir[p->os.hb].n == 5)
		pre_iir_up_n(p, u, d, dc, n, 5, 0);
	else if (hpf)
		pre_iir_up_n(p, u, d, dc, n, 8, 1);
	else
		pre_iir_up_n(p, u, d, dc, n, 8, 0);
}

/* x2[1], x2[0] in lanes 0, 1, zeros above: one 8-byte load and a shuffle on x86. */
PRE_INLINE dsp_v4f pre_pair_swapped(const float *x2)
{
#if defined(__SSE2__)
	__m128 v = _mm_castpd_ps(_mm_load_sd((const double *)(const void *)x2));
	return (dsp_v4f)_mm_shuffle_ps(v, v, _MM_SHUFFLE(3, 2, 0, 1));
#else
	return (dsp_v4f){x2[1], x2[0], 0.0f, 0.0f};
#endif
}

PRE_INLINE void pre_iir_down_n(struct preamp *p, const float *x2, float *y, uint32_t n,
			       const uint32_t N)
{
	struct os_iir_regs r;
	os_iir_regs_load(&r, &p->os.iir[p->os.hb], &p->os.dn, N);
	for (uint32_t i = 0; i < n; i++) {
		float a, b;
		os_iir_tick(&r, pre_pair_swapped(x2 + 2 * i), &a, &b, N);
		y[i] = 0.5f * (a + b);
	}
	os_iir_regs_store(&r, &p->os.dn, N);
}

PRE_INLINE void pre_iir_down(struct preamp *p, const float *x2, float *y, uint32_t n)
{
	if (p->os.iir[p->os.hb].n == 5)
		pre_iir_down_n(p, x2, y, n, 5);
	else
		pre_iir_down_n(p, x2, y, n, 8);
}

/* The tube (xt driven, x_prev too, k samples per base sample). While the drive glides its
 * knee follows it sample by sample: one scalar pass of sat_adaa_c's steps with the knee set
 * per base sample (updating it only on the 64-sample grid stepped the curve: -71 dBFS above
 * 8 kHz while a 100 Hz tone's drive went from 6 to 30 dB, -81 every 8 samples, -90 per
 * sample; the transformer, which has no knee to move, -99). Each sample takes the form the
 * kernel would take for its knee (rneg 1: the plain one), so a settled drive continues in the
 * kernel with the same bits whether or not a call ended there. */
PRE_INLINE void preamp_tube_curve(struct preamp *p, const struct dsp_arch *ops, float *st,
				  const float *xt, float kd, uint32_t nt, uint32_t k, int dmove)
{
	struct sat_curve *c = &p->curve[PREAMP_TUBE];
	if (!dmove) {
		ops->sat_adaa(st, xt, kd, p->x_prev, c, nt);
		return;
	}
	int plain = c->rneg == 1.0f;
	float w = p->x_prev + c->bias;
	w = plain ? w : sat_clamp(w);
	float sw = plain ? sat_root(w) : sat_root_knee(w, c->rneg);
	for (uint32_t j = 0; j < nt; j++) {
		if (j % k == 0) {
			sat_curve_set_rneg(c, 1.0f / sqrtf(p->darr[j / k]));
			plain = c->rneg == 1.0f;
		}
		float v = xt[j] * kd + c->bias, sv;
		if (plain) {
			sv = sat_root(v);
			st[j] = sat_adaa_step(v, w, sv, sw, c);
		} else {
			v = sat_clamp(v);
			sv = sat_root_knee(v, c->rneg);
			st[j] = sat_knee_step(v, w, sv, sw, c);
		}
		w = v;
		sw = sv;
	}
}

/* Curves, fades, DC removal and drive compensation: u (after gain and low cut) -> out. */
PRE_INLINE void preamp_models(struct preamp *p, const float *u, float *out, uint32_t n)
{
	const struct dsp_arch *ops = dsp_arch_or_c(p->arch);
	const int from = p->model_from, to = p->model_to;
	const int fading = p->fade_pos < p->fade_len;
	const uint32_t k = p->os.factor;

	/* drive, per sample while it glides */
	int dmove = !smooth_settled(&p->drive);
	float dconst = p->drive.cur, idconst = 1.0f / dconst;
	if (dmove) {
		for (uint32_t i = 0; i < n; i++) {
			float d = smooth_next(&p->drive);
			p->darr[i] = d;
			p->idarr[i] = 1.0f / d;
		}
	}
	float dlast = dmove ? p->darr[n - 1] : dconst;

	if (!model_sat(from) && !model_sat(to)) {
		/* clean, no fade: the gain stage itself (delayed to the reported latency) */
		const float *c = k > 1 ? preamp_clean_delay(p, u, n) : u;
		memcpy(out, c, n * sizeof(float));
		if (k == 1)
			p->x_prev = u[n - 1] * dlast; /* keep ADAA ready for a fade */
		return;
	}

	/* driven signal at the curve's rate */
	const float *xt = u;
	float kd = dconst;
	if (k > 1) {
		/* the drive and the first interpolator stage in one loop */
		pre_iir_up(p, u, dmove ? p->darr : NULL, dconst, n);
		xt = os_up_fir(&p->os, n);
		kd = 1.0f;
	} else if (dmove) {
		ops->mul(p->xb, u, p->darr, n);
		xt = p->xb;
		kd = 1.0f;
	}
	uint32_t nt = n * k;

	/* the curve(s); while two curves fade, mix them at the curve's rate */
	float *st = p->st[0];
	if (model_sat(from) && model_sat(to) && fading) {
		float *s2 = p->st[1];
		ops->sat_adaa(st, xt, kd, p->x_prev, &p->curve[from], nt);
		ops->sat_adaa(s2, xt, kd, p->x_prev, &p->curve[to], nt);
		for (uint32_t j = 0; j < nt; j++) {
			float wn = (float)(p->fade_pos + j / k) * p->fade_inv;
			st[j] = (1.0f - wn) * st[j] + wn * s2[j];
		}
	} else {
		int m = model_sat(to) ? to : from;
		if (m == PREAMP_TUBE)
			preamp_tube_curve(p, ops, st, xt, kd, nt, k, dmove);
		else
			ops->sat_adaa(st, xt, kd, p->x_prev, &p->curve[m], nt);
	}
	p->x_prev = xt[nt - 1] * kd;

	if (k > 1 && (!fading || (model_sat(from) && model_sat(to)))) {
		/* no fade against clean: the fused tail */
		pre_iir_down(p, os_down_fir(&p->os, st, n), p->q, n);
		const float *c = preamp_clean_delay(p, u, n);
		preamp_tail(p, p->q, c, out, dmove ? p->idarr : NULL, idconst, n);
		if (fading)
			p->fade_pos += n;
		return;
	}
	const float *q = st;
	if (k > 1) {
		/* decimation and the droop shelf in one loop (oversample.h) */
		os_down_filter(&p->os, st, p->q, n, &p->droop_c[preamp_droop_idx(k)], &p->droop_s);
		q = p->q;
	}

	/* DC removal and 1/drive; while a curve fades against clean, the curve path's weight is
	 * w and the clean one's 1 - w */
	/* the clean path, u delayed by the latency (the delay line advances once per call):
	 * the fade's other side, and the loudness follower's reference, aligned with out */
	const float *c = k > 1 ? preamp_clean_delay(p, u, n) : u;
	if (!fading || (model_sat(from) && model_sat(to)))
		preamp_dc(p, q, out, dmove ? p->idarr : NULL, idconst, NULL, 0, n);
	else
		preamp_dc(p, q, out, dmove ? p->idarr : NULL, idconst, c, model_sat(to), n);
	preamp_loudness(p, c, out, n);
	if (fading)
		p->fade_pos += n;
}

/* The low cut runs in this segment (on, or fading either way). */
PRE_INLINE int preamp_seg_hpf(const struct preamp *p)
{
	return p->hpf_on || p->hpf_pos < p->fade_len;
}

/* Clean, no model fade, no oversampling, no low cut: the gain stage writes out directly.
 * Decided once at the start of a segment (a low-cut fade that ends in it changes hpf). */
PRE_INLINE int preamp_seg_direct(const struct preamp *p, int hpf)
{
	return !hpf && p->os.factor == 1 && !model_sat(p->model_from) && !model_sat(p->model_to) &&
	       hum_idle(&p->hum);
}

/* A segment's first part: grid work and the gain stage. Returns the gain stage's output: out
 * when direct, else p->u or, at unity gain, in itself. Inlined, like the last part, into both
 * preamp_segment() and the lanes path: as calls they cost the single lane ~1% more work. */
PRE_INLINE const float *
preamp_seg_gain(struct preamp *p, const float *in, float *out, int direct, uint32_t n)
{
	const struct dsp_arch *ops = dsp_arch_or_c(p->arch);
	float *g_out = direct ? out : p->u;
	const float *u = g_out;

	if (p->clock % PRE_GRID == 0)
		preamp_grid_work(p);

	if (smooth_settled(&p->gain)) {
		float g = p->gain.cur;
		if (g != 1.0f)
			ops->mul_const(g_out, in, g, n);
		else if (direct)
			for (uint32_t i = 0; i < n; i++) /* a loop: GCC makes memcpy rep movsq */
				out[i] = in[i];
		else
			u = in; /* unity: later stages read the input itself */
	} else {
		for (uint32_t i = 0; i < n; i++)
			p->garr[i] = smooth_next(&p->gain);
		ops->mul(g_out, in, p->garr, n);
	}
	return u;
}

/* A segment's last part, after the low cut (u): curves, DC removal, duck, clock. */
PRE_INLINE void
preamp_seg_tail(struct preamp *p, const float *u, float *out, int direct, uint32_t n)
{
	const int ducking = p->duck_pos < p->duck_end;
	if (ducking) {
		/* the duck scales the input of the curves (direct: u is out itself) and their
		 * output: the input so that the new path starts on a smooth onset, the output so
		 * that the old path's tail and the DC remover's offset never step */
		const uint32_t dl = p->duck_len, sw = p->duck_end - dl;
		float *ud = direct ? out : p->garr;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t pos = p->duck_pos + i;
			float g = pos < dl   ? 1.0f - (float)pos * p->duck_inv
				  : pos < sw ? 0.0f
					     : (float)(pos - sw) * p->duck_inv;
			p->duck_g[i] = g;
			ud[i] = u[i] * g;
		}
		u = ud;
		p->duck_pos += n;
	}
	if (direct)
		preamp_clean_state(p, u, n);
	else
		preamp_models(p, u, out, n);
	if (ducking)
		for (uint32_t i = 0; i < n; i++)
			out[i] *= p->duck_g[i];
	p->clock += n;
}

/* The settled low cut can run in the curve path's first loop (pre_iir_up) when nothing else
 * reads its output before that loop: no hum notches, no duck, a curve oversampled. */
PRE_INLINE int preamp_hpf_defer(const struct preamp *p)
{
	int moving = 0;
	for (int i = 0; i < 5; i++)
		moving |= !smooth_settled(&p->hc[i]);
	return !moving && p->hpf_pos == p->fade_len && p->os.factor > 1 &&
	       p->duck_pos == p->duck_end && hum_idle(&p->hum) &&
	       (model_sat(p->model_from) || model_sat(p->model_to));
}

PRE_INLINE void preamp_segment(struct preamp *p, const float *in, float *out, uint32_t n)
{
	const int hpf = preamp_seg_hpf(p);
	const int direct = preamp_seg_direct(p, hpf);
	const float *u = preamp_seg_gain(p, in, out, direct, n);
	if (hpf) {
		if (preamp_hpf_defer(p))
			p->hpf_src = u;
		else
			preamp_hpf(p, u, p->u, n);
		u = p->u;
	}
	u = hum_run(&p->hum, u, p->hb, n);
	preamp_seg_tail(p, u, out, direct, n);
	air_run(&p->air, out, n);
}

PRE_INLINE void preamp_process_kernel(struct preamp *p, const float *in, float *out, uint32_t n,
				      enum dsp_isa isa)
{
	while (n > 0) {
		preamp_events(p);
		uint32_t k = preamp_segment_len(p, n);
		preamp_segment(p, in, out, k);
		in += k;
		out += k;
		n -= k;
	}
}

void DSP_KERNEL(preamp_run_1)(struct preamp *p, const float *in, float *out, uint32_t n)
{
	preamp_process_kernel(p, in, out, n, DSP_ISA);
}

#ifndef DSP_KERNELS_ONLY
void preamp_process(struct preamp *p, const float *restrict in, float *restrict out, uint32_t n)
{
	dsp_arch_or_c(p->arch)->preamp_run_1(p, in, out, n);
}

/* An exact copy at the current settings: clean with no fade due, unity gain at rest, low cut
 * fully off, no oversampling and no duck due. Only a setter changes that, so it holds for a
 * whole call. The state the general path would leave is then: the clock advanced and the
 * ADAA sample set (the grid work finds the low cut's and the DC remover's state at zero,
 * where a fade to clean or an oversampling switch left it). */
static int preamp_identity(const struct preamp *p)
{
	return p->model_req == PREAMP_CLEAN && p->model_from == PREAMP_CLEAN &&
	       p->model_to == PREAMP_CLEAN && p->fade_pos == p->fade_len && !p->hpf_on &&
	       p->hpf_pos == p->fade_len && p->os.factor == 1 && p->os_req == 1 &&
	       p->duck_pos == p->duck_end && smooth_settled(&p->gain) &&
	       p->gain.cur == 1.0f && smooth_settled(&p->drive) && hum_idle(&p->hum) &&
	       air_idle(&p->air);
}

const float *preamp_run(struct preamp *p, const float *in, float *out, uint32_t n)
{
	if (n > 0 && preamp_identity(p)) {
		p->x_prev = in[n - 1] * p->drive.cur;
		p->clock += n;
		return in;
	}
	preamp_process(p, in, out, n);
	return out;
}

/* Nothing to start and nothing running but the gain and drive glides and the low cut's corner
 * glide: every segment is one grid step of the gain stage, the low cut and the curve with its
 * DC remover (or the clean state), whatever the cut points. Only a setter changes that, so it
 * holds for a whole call. */
#endif /* DSP_KERNELS_ONLY */

static int preamp_steady(const struct preamp *p)
{
	return p->os.mode == preamp_os_want(p) && p->duck_pos == p->duck_end &&
	       p->fade_pos == p->fade_len && p->model_from == p->model_to &&
	       p->model_req == p->model_to && p->hpf_pos == p->fade_len;
}

/* ---- the curve path of steady lanes side by side ---------------------------------------- */


/* One allpass section of the half-band, as oversample.c's OS_AP: (c x + x1) - c y1. */
#define PRE_AP(c, x, x1, y1) (((c) * (x) + (x1)) - (c) * (y1))

/* The low-latency 2x half-band (5 sections: oversample.h) of w lanes (4 or 8, ng = w / 4
 * groups of four; lanes past nl are padding), one vector of four lanes per sample, the same
 * operations per lane as oversample.c's block loop, so the same bits. A section's previous
 * input is the previous output of the section before it in its chain (x1[k] == y1[k - 2] for
 * k >= 2, as the block loop leaves them), and both chains' first sections see the same input
 * going up: so the state is the last input and the five outputs. up: src[l] (n samples) ->
 * dst[l] (2n); down: src[l] (2n) -> dst[l] (n) with the droop shelf after it. */
struct pre_hb_v4 {
	dsp_v4f c[5], xu, xv, y[5];
	dsp_v4f b0, b1, b2, a1, a2, z1, z2; /* the droop shelf (down) */
};

PRE_INLINE void pre_hb_load(struct pre_hb_v4 *h, struct preamp *const *p, unsigned nl,
			    unsigned g, int down)
{
	for (unsigned k = 0; k < 4; k++) {
		const struct preamp *q = 4 * g + k < nl ? p[4 * g + k] : NULL;
		const struct os_iir_state *s = q ? (down ? &q->os.dn : &q->os.up) : NULL;
		const struct biquad_coef *dc = q ? &q->droop_c[0] : NULL;
		for (int j = 0; j < 5; j++) {
			h->c[j][k] = q ? q->os.iir[0].c[j] : 0.0f;
			h->y[j][k] = q ? s->y1[j] : 0.0f;
		}
		h->xu[k] = q ? s->x1[0] : 0.0f;
		h->xv[k] = q ? s->x1[1] : 0.0f;
		h->b0[k] = dc ? dc->b0 : 0.0f, h->b1[k] = dc ? dc->b1 : 0.0f;
		h->b2[k] = dc ? dc->b2 : 0.0f, h->a1[k] = dc ? dc->a1 : 0.0f;
		h->a2[k] = dc ? dc->a2 : 0.0f;
		h->z1[k] = q ? q->droop_s.z1 : 0.0f, h->z2[k] = q ? q->droop_s.z2 : 0.0f;
	}
}

PRE_INLINE void pre_hb_store(const struct pre_hb_v4 *h, struct preamp *const *p, unsigned nl,
			     unsigned g, int down)
{
	for (unsigned k = 0; k < 4 && 4 * g + k < nl; k++) {
		struct preamp *q = p[4 * g + k];
		struct os_iir_state *s = down ? &q->os.dn : &q->os.up;
		s->x1[0] = h->xu[k];
		s->x1[1] = h->xv[k];
		for (int j = 0; j < 5; j++) {
			s->y1[j] = h->y[j][k];
			if (j >= 2)
				s->x1[j] = h->y[j - 2][k];
		}
		if (down)
			q->droop_s.z1 = h->z1[k], q->droop_s.z2 = h->z2[k];
	}
}

/* One sample of the five sections: u into chain 0 (sections 0, 2, 4), v into chain 1. */
PRE_INLINE void pre_hb_tick(struct pre_hb_v4 *h, dsp_v4f *u, dsp_v4f *v)
{
	dsp_v4f y0 = PRE_AP(h->c[0], *u, h->xu, h->y[0]);
	dsp_v4f y1 = PRE_AP(h->c[1], *v, h->xv, h->y[1]);
	dsp_v4f y2 = PRE_AP(h->c[2], y0, h->y[0], h->y[2]);
	dsp_v4f y3 = PRE_AP(h->c[3], y1, h->y[1], h->y[3]);
	dsp_v4f y4 = PRE_AP(h->c[4], y2, h->y[2], h->y[4]);
	h->xu = *u, h->xv = *v;
	h->y[0] = y0, h->y[1] = y1, h->y[2] = y2, h->y[3] = y3, h->y[4] = y4;
	*u = y4, *v = y3;
}

/* The droop shelf after decimation, reassociated as oversample.c's post filter. */
PRE_INLINE dsp_v4f pre_hb_droop(struct pre_hb_v4 *h, dsp_v4f y)
{
	dsp_v4f yb = h->b0 * y + h->z1;
	h->z1 = (h->b1 * y + h->z2) - h->a1 * yb;
	h->z2 = h->b2 * y - h->a2 * yb;
	return yb;
}

PRE_INLINE void pre_hb_up_groups(struct preamp *const *p, unsigned nl, const float *const *src,
				 float *const *dst, uint32_t n, const unsigned w)
{
	const unsigned ng = w / 4;
	struct pre_hb_v4 h[2];
	const float *s[8];
	float *d[8];
	float pad[2 * DSP_MAX_CHUNK];
	for (unsigned g = 0; g < ng; g++)
		pre_hb_load(&h[g], p, nl, g, 0);
	for (unsigned l = 0; l < w; l++)
		s[l] = l < nl ? src[l] : src[0], d[l] = l < nl ? dst[l] : pad;
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		for (unsigned g = 0; g < ng; g++) {
			const float *const *sg = s + 4 * g;
			float *const *dg = d + 4 * g;
			dsp_v4f x[4], y[4];
			for (unsigned k = 0; k < 4; k++)
				x[k] = dsp_load4f(sg[k] + i);
			dsp_transpose4f(&x[0], &x[1], &x[2], &x[3]);
			for (unsigned k = 0; k < 4; k++) {
				y[k] = x[k];
				pre_hb_tick(&h[g], &x[k], &y[k]);
			}
			dsp_transpose4f(&x[0], &x[1], &x[2], &x[3]);
			dsp_transpose4f(&y[0], &y[1], &y[2], &y[3]);
			for (unsigned k = 0; k < 4; k++) {
				dsp_store4f(dg[k] + 2 * i, PRE_ZIPLO(x[k], y[k]));
				dsp_store4f(dg[k] + 2 * i + 4, PRE_ZIPHI(x[k], y[k]));
			}
		}
	}
	for (; i < n; i++) {
		for (unsigned g = 0; g < ng; g++) {
			const float *const *sg = s + 4 * g;
			float *const *dg = d + 4 * g;
			dsp_v4f x = {sg[0][i], sg[1][i], sg[2][i], sg[3][i]}, y = x;
			pre_hb_tick(&h[g], &x, &y);
			for (unsigned k = 0; k < 4; k++)
				dg[k][2 * i] = x[k], dg[k][2 * i + 1] = y[k];
		}
	}
	for (unsigned g = 0; g < ng; g++)
		pre_hb_store(&h[g], p, nl, g, 0);
}

PRE_INLINE void pre_hb_down_groups(struct preamp *const *p, unsigned nl,
				   const float *const *src, float *const *dst, uint32_t n,
				   const unsigned w)
{
	const unsigned ng = w / 4;
	struct pre_hb_v4 h[2];
	const float *s[8];
	float *d[8];
	float pad[DSP_MAX_CHUNK];
	for (unsigned g = 0; g < ng; g++)
		pre_hb_load(&h[g], p, nl, g, 1);
	for (unsigned l = 0; l < w; l++)
		s[l] = l < nl ? src[l] : src[0], d[l] = l < nl ? dst[l] : pad;
	const dsp_v4f half = {0.5f, 0.5f, 0.5f, 0.5f};
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		for (unsigned g = 0; g < ng; g++) {
			const float *const *sg = s + 4 * g;
			float *const *dg = d + 4 * g;
			dsp_v4f u[4], v[4];
			for (unsigned k = 0; k < 4; k++) {
				dsp_v4f a = dsp_load4f(sg[k] + 2 * i), b = dsp_load4f(sg[k] + 2 * i + 4);
				v[k] = PRE_EVEN(a, b);
				u[k] = PRE_ODD(a, b);
			}
			dsp_transpose4f(&u[0], &u[1], &u[2], &u[3]);
			dsp_transpose4f(&v[0], &v[1], &v[2], &v[3]);
			for (unsigned k = 0; k < 4; k++) {
				pre_hb_tick(&h[g], &u[k], &v[k]);
				u[k] = pre_hb_droop(&h[g], half * (u[k] + v[k]));
			}
			dsp_transpose4f(&u[0], &u[1], &u[2], &u[3]);
			for (unsigned k = 0; k < 4; k++)
				dsp_store4f(dg[k] + i, u[k]);
		}
	}
	for (; i < n; i++) {
		for (unsigned g = 0; g < ng; g++) {
			const float *const *sg = s + 4 * g;
			float *const *dg = d + 4 * g;
			dsp_v4f u = {sg[0][2 * i + 1], sg[1][2 * i + 1], sg[2][2 * i + 1],
				     sg[3][2 * i + 1]};
			dsp_v4f v = {sg[0][2 * i], sg[1][2 * i], sg[2][2 * i], sg[3][2 * i]};
			pre_hb_tick(&h[g], &u, &v);
			u = pre_hb_droop(&h[g], half * (u + v));
			for (unsigned k = 0; k < 4; k++)
				dg[k][i] = u[k];
		}
	}
	for (unsigned g = 0; g < ng; g++)
		pre_hb_store(&h[g], p, nl, g, 1);
}


#ifdef DSP_TARGET_AVX2
/* The half-bands of five to eight lanes in one vector of eight (AVX2 build only): lanes 0..3
 * in the low half, 4..7 in the high one, loaded and stored as preamp_hpf_lanes8() does, the
 * same operations per lane as pre_hb_tick() and pre_hb_droop() (GCC's vector operators on
 * __m256), so the same bits. */
struct pre_hb_v8 {
	__m256 c[5], xu, xv, y[5];
	__m256 b0, b1, b2, a1, a2, z1, z2;
};

#define PRE_V8(lo, hi) _mm256_set_m128((__m128)(hi), (__m128)(lo))

DSP_TARGET_AVX2 static void pre_hb_load8(struct pre_hb_v8 *h, struct preamp *const *p,
					 unsigned nl, int down)
{
	struct pre_hb_v4 a, b;
	pre_hb_load(&a, p, nl, 0, down);
	pre_hb_load(&b, p, nl, 1, down);
	for (int j = 0; j < 5; j++)
		h->c[j] = PRE_V8(a.c[j], b.c[j]), h->y[j] = PRE_V8(a.y[j], b.y[j]);
	h->xu = PRE_V8(a.xu, b.xu), h->xv = PRE_V8(a.xv, b.xv);
	h->b0 = PRE_V8(a.b0, b.b0), h->b1 = PRE_V8(a.b1, b.b1), h->b2 = PRE_V8(a.b2, b.b2);
	h->a1 = PRE_V8(a.a1, b.a1), h->a2 = PRE_V8(a.a2, b.a2);
	h->z1 = PRE_V8(a.z1, b.z1), h->z2 = PRE_V8(a.z2, b.z2);
}

#define PRE_LO(v) ((dsp_v4f)_mm256_castps256_ps128(v))
#define PRE_HI(v) ((dsp_v4f)_mm256_extractf128_ps((v), 1))

DSP_TARGET_AVX2 static void pre_hb_store8(const struct pre_hb_v8 *h, struct preamp *const *p,
					  unsigned nl, int down)
{
	struct pre_hb_v4 a, b;
	for (int j = 0; j < 5; j++) {
		a.y[j] = PRE_LO(h->y[j]), b.y[j] = PRE_HI(h->y[j]);
		a.c[j] = PRE_LO(h->c[j]), b.c[j] = PRE_HI(h->c[j]);
	}
	a.xu = PRE_LO(h->xu), b.xu = PRE_HI(h->xu), a.xv = PRE_LO(h->xv), b.xv = PRE_HI(h->xv);
	a.z1 = PRE_LO(h->z1), b.z1 = PRE_HI(h->z1), a.z2 = PRE_LO(h->z2), b.z2 = PRE_HI(h->z2);
	pre_hb_store(&a, p, nl, 0, down);
	pre_hb_store(&b, p, nl, 1, down);
}

DSP_TARGET_AVX2 static inline __attribute__((always_inline)) void
pre_hb_tick8(struct pre_hb_v8 *h, __m256 *u, __m256 *v)
{
	__m256 y0 = PRE_AP(h->c[0], *u, h->xu, h->y[0]);
	__m256 y1 = PRE_AP(h->c[1], *v, h->xv, h->y[1]);
	__m256 y2 = PRE_AP(h->c[2], y0, h->y[0], h->y[2]);
	__m256 y3 = PRE_AP(h->c[3], y1, h->y[1], h->y[3]);
	__m256 y4 = PRE_AP(h->c[4], y2, h->y[2], h->y[4]);
	h->xu = *u, h->xv = *v;
	h->y[0] = y0, h->y[1] = y1, h->y[2] = y2, h->y[3] = y3, h->y[4] = y4;
	*u = y4, *v = y3;
}

DSP_TARGET_AVX2 static void pre_hb_up8(struct preamp *const *p, unsigned nl,
				       const float *const *src, float *const *dst, uint32_t n)
{
	struct pre_hb_v8 h;
	const float *s[8];
	float *d[8];
	float pad[2 * DSP_MAX_CHUNK];
	pre_hb_load8(&h, p, nl, 0);
	for (unsigned l = 0; l < 8; l++)
		s[l] = l < nl ? src[l] : src[0], d[l] = l < nl ? dst[l] : pad;
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		__m256 x[4], y[4];
		for (unsigned k = 0; k < 4; k++)
			x[k] = pre_load2(s[k] + i, s[k + 4] + i);
		pre_transpose8x4(&x[0], &x[1], &x[2], &x[3]);
		for (unsigned k = 0; k < 4; k++) {
			y[k] = x[k];
			pre_hb_tick8(&h, &x[k], &y[k]);
		}
		pre_transpose8x4(&x[0], &x[1], &x[2], &x[3]);
		pre_transpose8x4(&y[0], &y[1], &y[2], &y[3]);
		for (unsigned k = 0; k < 4; k++) {
			__m256 lo = _mm256_unpacklo_ps(x[k], y[k]), hi = _mm256_unpackhi_ps(x[k], y[k]);
			_mm_storeu_ps(d[k] + 2 * i, _mm256_castps256_ps128(lo));
			_mm_storeu_ps(d[k] + 2 * i + 4, _mm256_castps256_ps128(hi));
			_mm_storeu_ps(d[k + 4] + 2 * i, _mm256_extractf128_ps(lo, 1));
			_mm_storeu_ps(d[k + 4] + 2 * i + 4, _mm256_extractf128_ps(hi, 1));
		}
	}
	for (; i < n; i++) {
		float xv[8], yv[8];
		__m256 x = _mm256_setr_ps(s[0][i], s[1][i], s[2][i], s[3][i], s[4][i], s[5][i],
					  s[6][i], s[7][i]), y = x;
		pre_hb_tick8(&h, &x, &y);
		_mm256_storeu_ps(xv, x);
		_mm256_storeu_ps(yv, y);
		for (unsigned l = 0; l < 8; l++)
			d[l][2 * i] = xv[l], d[l][2 * i + 1] = yv[l];
	}
	pre_hb_store8(&h, p, nl, 0);
}

DSP_TARGET_AVX2 static void pre_hb_down8(struct preamp *const *p, unsigned nl,
					 const float *const *src, float *const *dst, uint32_t n)
{
	struct pre_hb_v8 h;
	const float *s[8];
	float *d[8];
	float pad[DSP_MAX_CHUNK];
	pre_hb_load8(&h, p, nl, 1);
	for (unsigned l = 0; l < 8; l++)
		s[l] = l < nl ? src[l] : src[0], d[l] = l < nl ? dst[l] : pad;
	const __m256 half = _mm256_set1_ps(0.5f);
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		__m256 u[4], v[4];
		for (unsigned k = 0; k < 4; k++) {
			__m256 a = pre_load2(s[k] + 2 * i, s[k + 4] + 2 * i);
			__m256 b = pre_load2(s[k] + 2 * i + 4, s[k + 4] + 2 * i + 4);
			v[k] = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
			u[k] = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
		}
		pre_transpose8x4(&u[0], &u[1], &u[2], &u[3]);
		pre_transpose8x4(&v[0], &v[1], &v[2], &v[3]);
		for (unsigned k = 0; k < 4; k++) {
			pre_hb_tick8(&h, &u[k], &v[k]);
			__m256 y = half * (u[k] + v[k]);
			__m256 yb = h.b0 * y + h.z1;
			h.z1 = (h.b1 * y + h.z2) - h.a1 * yb;
			h.z2 = h.b2 * y - h.a2 * yb;
			u[k] = yb;
		}
		pre_transpose8x4(&u[0], &u[1], &u[2], &u[3]);
		for (unsigned k = 0; k < 4; k++)
			pre_store2(d[k] + i, d[k + 4] + i, u[k]);
	}
	for (; i < n; i++) {
		float yv[8];
		__m256 u = _mm256_setr_ps(s[0][2 * i + 1], s[1][2 * i + 1], s[2][2 * i + 1],
					  s[3][2 * i + 1], s[4][2 * i + 1], s[5][2 * i + 1],
					  s[6][2 * i + 1], s[7][2 * i + 1]);
		__m256 v = _mm256_setr_ps(s[0][2 * i], s[1][2 * i], s[2][2 * i], s[3][2 * i],
					  s[4][2 * i], s[5][2 * i], s[6][2 * i], s[7][2 * i]);
		pre_hb_tick8(&h, &u, &v);
		__m256 y = half * (u + v);
		__m256 yb = h.b0 * y + h.z1;
		h.z1 = (h.b1 * y + h.z2) - h.a1 * yb;
		h.z2 = h.b2 * y - h.a2 * yb;
		_mm256_storeu_ps(yv, yb);
		for (unsigned l = 0; l < 8; l++)
			d[l][i] = yv[l];
	}
	pre_hb_store8(&h, p, nl, 1);
}
#endif

/* preamp_loudness()'s followers of w lanes (4 or 8) side by side, the same operations per
 * lane: u[l] (the clean reference) and y[l] (the curve path's output) -> the lanes' lpu and
 * lpy; the caller applies the gains. */
struct pre_loud_v4 {
	dsp_v4f b0, b1, b2, a1, a2, a, b;
	dsp_v4f su1, su2, sy1, sy2, pu0, pu1, py0, py1;
};

PRE_INLINE dsp_v4f pre_loud_tick(const struct pre_loud_v4 *f, dsp_v4f *z1, dsp_v4f *z2, dsp_v4f x)
{
	dsp_v4f y = f->b0 * x + *z1;
	*z1 = (f->b1 * x + *z2) - f->a1 * y;
	*z2 = f->b2 * x - f->a2 * y;
	return y;
}

PRE_INLINE void pre_loud_step(struct pre_loud_v4 *f, dsp_v4f uu, dsp_v4f yy, dsp_v4f *pu,
			      dsp_v4f *py)
{
	const dsp_v4f eps = {1e-8f, 1e-8f, 1e-8f, 1e-8f};
	dsp_v4f wu = pre_loud_tick(f, &f->su1, &f->su2, pre_loud_guard(uu));
	dsp_v4f wy = pre_loud_tick(f, &f->sy1, &f->sy2, pre_loud_guard(yy));
	f->pu0 = f->a * f->pu0 + f->b * (wu * wu);
	f->py0 = f->a * f->py0 + f->b * (wy * wy);
	f->pu1 = f->a * f->pu1 + f->b * f->pu0;
	f->py1 = f->a * f->py1 + f->b * f->py0;
	*pu = f->pu1 + eps;
	*py = f->py1 + eps;
}

PRE_INLINE void pre_loud_groups(struct preamp *const *p, unsigned nl, const float *const *u,
				const float *const *y, uint32_t n, const unsigned w)
{
	const unsigned ng = w / 4;
	struct pre_loud_v4 f[2];
	const float *su[8], *sy[8];
	float *dpu[8], *dpy[8];
	float pad[2][DSP_MAX_CHUNK];
	for (unsigned l = 0; l < w; l++) {
		struct preamp *q = l < nl ? p[l] : NULL;
		struct pre_loud_v4 *g = &f[l / 4];
		unsigned k = l % 4;
		g->b0[k] = q ? q->lw_c.b0 : 0.0f, g->b1[k] = q ? q->lw_c.b1 : 0.0f;
		g->b2[k] = q ? q->lw_c.b2 : 0.0f, g->a1[k] = q ? q->lw_c.a1 : 0.0f;
		g->a2[k] = q ? q->lw_c.a2 : 0.0f;
		g->a[k] = q ? q->lw_a : 0.0f, g->b[k] = q ? 1.0f - q->lw_a : 0.0f;
		g->su1[k] = q ? q->lw_su.z1 : 0.0f, g->su2[k] = q ? q->lw_su.z2 : 0.0f;
		g->sy1[k] = q ? q->lw_sy.z1 : 0.0f, g->sy2[k] = q ? q->lw_sy.z2 : 0.0f;
		g->pu0[k] = q ? q->lw_pu[0] : 0.0f, g->pu1[k] = q ? q->lw_pu[1] : 0.0f;
		g->py0[k] = q ? q->lw_py[0] : 0.0f, g->py1[k] = q ? q->lw_py[1] : 0.0f;
		su[l] = q ? u[l] : u[0], sy[l] = q ? y[l] : y[0];
		dpu[l] = q ? q->lpu : pad[0], dpy[l] = q ? q->lpy : pad[1];
	}
	const uint32_t n4 = n & ~3u;
	uint32_t i = 0;
	for (; i < n4; i += 4) {
		for (unsigned g = 0; g < ng; g++) {
			dsp_v4f xu[4], xy[4];
			for (unsigned k = 0; k < 4; k++) {
				xu[k] = dsp_load4f(su[4 * g + k] + i);
				xy[k] = dsp_load4f(sy[4 * g + k] + i);
			}
			dsp_transpose4f(&xu[0], &xu[1], &xu[2], &xu[3]);
			dsp_transpose4f(&xy[0], &xy[1], &xy[2], &xy[3]);
			for (unsigned k = 0; k < 4; k++)
				pre_loud_step(&f[g], xu[k], xy[k], &xu[k], &xy[k]);
			dsp_transpose4f(&xu[0], &xu[1], &xu[2], &xu[3]);
			dsp_transpose4f(&xy[0], &xy[1], &xy[2], &xy[3]);
			for (unsigned k = 0; k < 4; k++) {
				dsp_store4f(dpu[4 * g + k] + i, xu[k]);
				dsp_store4f(dpy[4 * g + k] + i, xy[k]);
			}
		}
	}
	for (; i < n; i++) {
		for (unsigned g = 0; g < ng; g++) {
			const unsigned o = 4 * g;
			dsp_v4f xu = {su[o][i], su[o + 1][i], su[o + 2][i], su[o + 3][i]};
			dsp_v4f xy = {sy[o][i], sy[o + 1][i], sy[o + 2][i], sy[o + 3][i]};
			pre_loud_step(&f[g], xu, xy, &xu, &xy);
			for (unsigned k = 0; k < 4; k++)
				dpu[o + k][i] = xu[k], dpy[o + k][i] = xy[k];
		}
	}
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *q = p[l];
		const struct pre_loud_v4 *g = &f[l / 4];
		unsigned k = l % 4;
		q->lw_su.z1 = g->su1[k], q->lw_su.z2 = g->su2[k];
		q->lw_sy.z1 = g->sy1[k], q->lw_sy.z2 = g->sy2[k];
		q->lw_pu[0] = g->pu0[k], q->lw_pu[1] = g->pu1[k];
		q->lw_py[0] = g->py0[k], q->lw_py[1] = g->py1[k];
	}
}

/* A half-band step (pre_hb_up/pre_hb_down) of nl lanes: five to eight in one vector of eight
 * on the AVX2 build (NAME##8), else in groups of four (NAME##_groups). */
#ifdef DSP_TARGET_AVX2
#define PRE_HB_LANES(name, p, nl, src, dst, n)                                                  \
	do {                                                                                    \
		if ((nl) > 4)                                                                   \
			name##8(p, nl, src, dst, n);                                            \
		else                                                                            \
			DSP_LANES_CALL(dsp_lanes_pad(nl, 4), DSP_LANES_W(4) | DSP_LANES_W(8),   \
				       name##_groups, p, nl, src, dst, n);                      \
	} while (0)
#else
#define PRE_HB_LANES(name, p, nl, src, dst, n)                                                  \
	DSP_LANES_CALL(dsp_lanes_pad(nl, 4), DSP_LANES_W(4) | DSP_LANES_W(8), name##_groups, p, \
		       nl, src, dst, n)
#endif

/* The curve path at the default 2x (low-latency half-band, OS_LOWLAT) of 2..DSP_LANES_MAX
 * steady lanes, none fading or ducking: what preamp_models() does per lane, with the half-bands
 * and the loudness followers (its serial recursions) of the lanes side by side; the drive, the
 * curves (vectorised along time already) and the DC removers per lane. u[l] -> out[l]. */
PRE_INLINE void preamp_models_lanes(struct preamp *const *p, unsigned nl, const float *const *u,
				    float *const *out, uint32_t n)
{
	const float *xb[DSP_LANES_MAX], *st[DSP_LANES_MAX], *cl[DSP_LANES_MAX];
	float *up[DSP_LANES_MAX], *q[DSP_LANES_MAX];
	int dmove[DSP_LANES_MAX];
	float idconst[DSP_LANES_MAX];
	const unsigned w = dsp_lanes_pad(nl, 4);
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *r = p[l];
		const struct dsp_arch *ops = dsp_arch_or_c(r->arch);
		float dconst = r->drive.cur;
		idconst[l] = 1.0f / dconst;
		dmove[l] = !smooth_settled(&r->drive);
		if (dmove[l]) {
			for (uint32_t i = 0; i < n; i++) {
				float d = smooth_next(&r->drive);
				r->darr[i] = d;
				r->idarr[i] = 1.0f / d;
			}
			ops->mul(r->xb, u[l], r->darr, n);
		} else {
			ops->mul_const(r->xb, u[l], dconst, n);
		}
		xb[l] = r->xb, up[l] = r->os.tmp[0];
	}
	PRE_HB_LANES(pre_hb_up, p, nl, xb, up, n);
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *r = p[l];
		const struct dsp_arch *ops = dsp_arch_or_c(r->arch);
		const float *xt = r->os.tmp[0];
		const uint32_t nt = 2 * n;
		if (r->model_to == PREAMP_TUBE)
			preamp_tube_curve(r, ops, r->st[0], xt, 1.0f, nt, 2, dmove[l]);
		else
			ops->sat_adaa(r->st[0], xt, 1.0f, r->x_prev, &r->curve[r->model_to], nt);
		r->x_prev = xt[nt - 1] * 1.0f;
		st[l] = r->st[0], q[l] = r->q;
	}
	PRE_HB_LANES(pre_hb_down, p, nl, st, q, n);
	for (unsigned l = 0; l < nl; l++) {
		struct preamp *r = p[l];
		cl[l] = preamp_clean_delay(r, u[l], n);
		preamp_dc(r, r->q, out[l], dmove[l] ? r->idarr : NULL, idconst[l], NULL, 0, n);
	}
	DSP_LANES_CALL(w, DSP_LANES_W(4) | DSP_LANES_W(8), pre_loud_groups, p, nl, cl,
		       (const float *const *)out, n);
	for (unsigned l = 0; l < nl; l++)
		preamp_loud_gain(out[l], p[l]->lpu, p[l]->lpy, n);
}

/* A steady lane whose segment preamp_models_lanes() can take: a curve at the default 2x. */
PRE_INLINE int preamp_curve_lane(const struct preamp *p, int direct)
{
	return !direct && p->os.mode == (2u | OS_LOWLAT) && model_sat(p->model_to) &&
	       p->duck_pos == p->duck_end;
}

/* Steady lanes that stand at the same point of the grid, so they share their segments: the
 * gain stages per lane, the settled low cuts, the hum notches and the air shelves of all lanes
 * side by side, and the curves at the default 2x through preamp_models_lanes() (other
 * oversampling and clean per lane). Each lane is cut where
 * preamp_process() would cut it (the bits never depend on that, save a NaN's sign and payload,
 * which SIMD and scalar tails may pick differently). */
PRE_INLINE void preamp_steady_kernel(struct preamp *const *p, unsigned nl, const float *const *in,
				     float *const *out, uint32_t n, enum dsp_isa isa)
{
	for (uint32_t off = 0; off < n;) {
		uint32_t m = PRE_GRID - (p[0]->clock % PRE_GRID);
		if (m > n - off)
			m = n - off;
		const float *u[DSP_LANES_MAX];
		int direct[DSP_LANES_MAX];
		struct preamp *hp[DSP_LANES_MAX];
		const float *hsrc[DSP_LANES_MAX];
		float *hdst[DSP_LANES_MAX];
		unsigned nh = 0;
		for (unsigned l = 0; l < nl; l++) {
			struct preamp *q = p[l];
			const int hpf = preamp_seg_hpf(q);
			direct[l] = preamp_seg_direct(q, hpf);
			u[l] = preamp_seg_gain(q, in[l] + off, out[l] + off, direct[l], m);
			if (!hpf)
				continue;
			int moving = 0;
			for (int j = 0; j < 5; j++)
				moving |= !smooth_settled(&q->hc[j]);
			if (moving) {
				preamp_hpf(q, u[l], q->u, m);
			} else {
				hp[nh] = q;
				hsrc[nh] = u[l];
				hdst[nh++] = q->u;
			}
			u[l] = q->u;
		}
		if (nh == 1 && nl == 1 && preamp_hpf_defer(hp[0]))
			hp[0]->hpf_src = hsrc[0];
		else if (nh == 1)
			preamp_hpf(hp[0], hsrc[0], hdst[0], m);
#ifdef DSP_TARGET_AVX2
		else if (isa == DSP_ISA_AVX2 && nh > 4)
			preamp_hpf_lanes8(hp, nh, hsrc, hdst, m);
#endif
		else if (nh > 1)
			preamp_hpf_lanes(hp, nh, hsrc, hdst, m);
		struct hum *hum[DSP_LANES_MAX];
		float *hb[DSP_LANES_MAX];
		for (unsigned l = 0; l < nl; l++)
			hum[l] = &p[l]->hum, hb[l] = p[l]->hb;
		hum_run_lanes(hum, nl, u, hb, m); /* the hum notches of all lanes side by side */
		struct air *air[DSP_LANES_MAX];
		float *ao[DSP_LANES_MAX];
		struct preamp *cp[DSP_LANES_MAX];
		const float *cu[DSP_LANES_MAX];
		float *co[DSP_LANES_MAX];
		unsigned nc = 0; /* lanes of preamp_models_lanes() */
		for (unsigned l = 0; l < nl; l++) {
			air[l] = &p[l]->air, ao[l] = out[l] + off;
			if (nl > 1 && preamp_curve_lane(p[l], direct[l])) {
				cp[nc] = p[l], cu[nc] = u[l], co[nc++] = out[l] + off;
				p[l]->clock += m;
			} else {
				preamp_seg_tail(p[l], u[l], out[l] + off, direct[l], m);
			}
		}
		if (nc == 1)
			preamp_models(cp[0], cu[0], co[0], m);
		else if (nc > 1)
			preamp_models_lanes(cp, nc, cu, co, m);
		air_run_lanes(air, nl, ao, m); /* and their air shelves */
		off += m;
	}
}

/* The AVX2 build runs the settled low cuts of five to eight lanes eight wide. */
void DSP_KERNEL(preamp_steady_n)(struct preamp *const *p, unsigned nl, const float *const *in,
				 float *const *out, uint32_t n)
{
	preamp_steady_kernel(p, nl, in, out, n, DSP_ISA);
}

#ifndef DSP_KERNELS_ONLY

void preamp_run_lanes(struct preamp *const *p, unsigned nl, const float *const *in,
		      float *const *out, const float **res, uint32_t n)
{
	struct preamp *sp[DSP_LANES_MAX];
	const float *sin[DSP_LANES_MAX];
	float *sout[DSP_LANES_MAX];
	unsigned ns = 0;
	for (unsigned l = 0; l < nl; l++) {
		if (n == 0 || preamp_identity(p[l]) || !preamp_steady(p[l])) {
			res[l] = preamp_run(p[l], in[l], out[l], n);
			continue;
		}
		sp[ns] = p[l];
		sin[ns] = in[l];
		sout[ns++] = out[l];
		res[l] = out[l];
	}
	/* the steady lanes, by grid phase (one phase unless some were reset mid-stream) */
	while (ns > 0) {
		struct preamp *gp[DSP_LANES_MAX];
		const float *gin[DSP_LANES_MAX];
		float *gout[DSP_LANES_MAX];
		unsigned ng = 0, rest = 0;
		const uint32_t phase = sp[0]->clock % PRE_GRID;
		for (unsigned l = 0; l < ns; l++) {
			if (sp[l]->clock % PRE_GRID == phase) {
				gp[ng] = sp[l], gin[ng] = sin[l], gout[ng++] = sout[l];
			} else {
				sp[rest] = sp[l], sin[rest] = sin[l], sout[rest++] = sout[l];
			}
		}
		dsp_arch_or_c(gp[0]->arch)->preamp_steady_n(gp, ng, gin, gout, n);
		ns = rest;
	}
}
#endif
