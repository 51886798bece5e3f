/* Split-band / wide-band de-esser; see deess.h for the definitions.
 *
 * Passes per chunk: the seven filter sections in one serial loop (several channels run side
 * by side in float vectors; one channel runs them as a skewed pipeline, each section on its
 * own sample, see deess_filter_wave; split where a freq glide redesigns them), level and
 * target reduction (vectorised fm_log2), slew limiter (serial, integer: max and min; several
 * channels' interleaved), gain (vectorised fm_exp2) and output. deess_process is the one-lane
 * case of deess_process_lanes. */
#include "deess.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "fastmath.h"
#include "lanes.h"
#include "vec.h"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE4_1__)
#include <smmintrin.h>
#endif

#define DEESS_Q 1048576.0f       /* Q20 */
#define DEESS_LEVEL_FLOOR 1e-10f /* -200 dBFS */
/* Added to each high-pass input: removed by the filter, but keeps its state normal in
 * silence without a per-chunk flush (which would make results depend on block size). */
#define DEESS_DC_OFFSET 1e-25f

#ifndef DSP_KERNELS_ONLY /* the module itself; the kernels below are built per ISA (cpu.h) */
static void deess_clear_state(struct deess *d)
{
	memset(d->hp_s, 0, sizeof(d->hp_s));
	memset(d->ap_s, 0, sizeof(d->ap_s));
	d->sc_s.z1 = d->sc_s.z2 = 0.0f;
	d->gr_q = 0;
}

/* One section of the crossover's Butterworth pair at k = tan(pi fx/fs), quality q, from
 * the prototype s^2 / (s^2 + s/q + 1) by the bilinear transform (biquad.h): the high-pass
 * gain b0 (b1 = -2 b0, b2 = b0) and the poles; the allpass (s^2 - s/q + 1) / (s^2 + s/q + 1)
 * shares the poles and has b0 = a2, b1 = a1, b2 = 1. */
static void deess_section(struct biquad_gain_poles *c, double k, double q)
{
	double a0 = 1.0 + k / q + k * k;
	c->b0 = (float)(1.0 / a0);
	c->a1 = (float)(2.0 * (k * k - 1.0) / a0);
	c->a2 = (float)((1.0 - k / q + k * k) / a0);
}

/* Every filter at the current centre cur_oct. */
static void deess_design(struct deess *d)
{
	const double pi = 3.14159265358979323846;
	double fc = exp2((double)d->cur_oct);
	double kx = tan(pi * fc * (double)DEESS_SPLIT_RATIO / (double)d->fs);
	/* 4th-order Butterworth: Q = 1 / (2 sin((2m - 1) pi / 8)), m = 1, 2 */
	deess_section(&d->xs1, kx, 1.3065629648763766);
	deess_section(&d->xs2, kx, 0.5411961001461970);
	/* band-pass (s/Q) / (s^2 + s/Q + 1): b1 = 0, b2 = -b0, 0 dB at fc */
	double kc = tan(pi * fc / (double)d->fs), q = (double)DEESS_BAND_Q;
	double a0 = 1.0 + kc / q + kc * kc;
	d->bp.b0 = (float)(kc / q / a0);
	d->bp.a1 = (float)(2.0 * (kc * kc - 1.0) / a0);
	d->bp.a2 = (float)((1.0 - kc / q + kc * kc) / a0);
}

/* The centre lands on its target at once: no glide. */
static void deess_snap_freq(struct deess *d)
{
	d->cur_oct = d->target_oct;
	d->gliding = 0;
	d->glide_pos = 0;
	deess_design(d);
}

void deess_glide_step(struct deess *d)
{
	float diff = d->target_oct - d->cur_oct;
	if (fabsf(diff) <= DEESS_GLIDE_SNAP_OCT) {
		d->cur_oct = d->target_oct;
		d->gliding = 0;
	} else {
		d->cur_oct += d->glide_k * diff;
	}
	deess_design(d);
}

int deess_init(struct deess *d, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->fs = fs;
	d->link_gr.v = d->buf_g;
	d->link_gr.flat = 1;
	d->min_gain = 1.0f;
	d->d_att_q = (int32_t)lrint(DEESS_ATTACK_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	d->d_rel_q = (int32_t)lrint(DEESS_RELEASE_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	d->glide_k = (float)(1.0 - exp(-(double)DEESS_GLIDE_N * 1000.0 /
				       ((double)DEESS_GLIDE_TAU_MS * (double)fs)));
	d->cur_oct = -1.0f;
	smooth_init(&d->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->wide, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->listen_xf, fs, SMOOTH_TAU_MS, 0.0f);
	deess_reset(d);
	return 0;
}

void deess_reset(struct deess *d)
{
	deess_clear_state(d);
	if (d->cur_oct >= 0.0f)
		deess_snap_freq(d);
	smooth_jump(&d->xfade);
	smooth_jump(&d->wide);
	smooth_jump(&d->listen_xf);
	d->min_gain = 1.0f;
}

void deess_set_enable(struct deess *d, int on)
{
	if (on && deess_idle(d)) {
		deess_clear_state(d);
		if (d->cur_oct >= 0.0f)
			deess_snap_freq(d);
	}
	d->enabled = on;
	smooth_set(&d->xfade, on ? 1.0f : 0.0f);
}

/* While the stage is heard, the centre glides to the new value (the kernels step it); while
 * it is idle or before its first design it jumps there. */
void deess_set_freq_hz(struct deess *d, float hz)
{
	d->freq_hz = hz;
	float fmax = DEESS_FREQ_MAX_FS * d->fs;
	hz = hz < fmax ? hz : fmax;
	hz = hz > 1.0f ? hz : 1.0f;
	d->target_oct = log2f(hz);
	if (d->cur_oct < 0.0f || deess_idle(d)) {
		deess_snap_freq(d);
	} else if (!d->gliding && d->cur_oct != d->target_oct) {
		d->gliding = 1;
		d->glide_pos = 0;
	}
}

/* The quiet test's bound: the threshold in linear terms, less a margin of 1e-4 in log2 (25
 * times fm_log2's error), so that a chunk below it has every target at 0 for sure. */
void deess_set_threshold_db(struct deess *d, float dbfs)
{
	d->thr_db = dbfs;
	d->quiet_peak = fm_exp2(dbfs * FM_LOG2_PER_DB - 1e-4f);
}

void deess_set_range_db(struct deess *d, float db) { d->range_db = db < 0.0f ? 0.0f : db; }

void deess_set_mode(struct deess *d, int mode)
{
	d->mode = mode == DEESS_WIDE ? DEESS_WIDE : DEESS_SPLIT;
	smooth_set(&d->wide, d->mode == DEESS_WIDE ? 1.0f : 0.0f);
}

void deess_set_listen(struct deess *d, int on)
{
	d->listen = on != 0;
	smooth_set(&d->listen_xf, d->listen ? 1.0f : 0.0f);
}

/* ---- the stage descriptor (stage.h) ---- */

STAGE_DYNAMICS_ADAPTERS(deess)

static void deess_stage_set(void *st, unsigned idx, float v)
{
	struct deess *d = st;
	switch (P_DEESS_ENABLE + (int)idx) {
	case P_DEESS_ENABLE: deess_set_enable(d, v != 0.0f); break;
	case P_DEESS_FREQ: deess_set_freq_hz(d, v); break;
	case P_DEESS_THRESHOLD: deess_set_threshold_db(d, v); break;
	case P_DEESS_RANGE: deess_set_range_db(d, v); break;
	case P_DEESS_MODE: deess_set_mode(d, (int)v); break;
	case P_DEESS_LISTEN: deess_set_listen(d, v != 0.0f); break;
	default: break;
	}
}

STAGE_LANES_ADAPTER(deess_stage_lanes, deess, deess_process_lanes)
STAGE_LINK_ADAPTERS(deess_stage, deess, deess_gain_lanes, deess_apply_lanes)

const struct stage_desc deess_stage = {
	.name = "deess", .label = "de-esser", .first = P_DEESS_ENABLE, .last = P_DEESS_LISTEN,
	.init = deess_stage_init, .reset = deess_stage_reset, .set = deess_stage_set,
	.process_lanes = deess_stage_lanes, .idle = deess_stage_idle,
	.gr_take = deess_stage_gr_take,
	.gain_lanes = deess_stage_gain, .link_gr = deess_stage_gr, .apply_lanes = deess_stage_apply,
};
#endif /* DSP_KERNELS_ONLY */

/* Output for one sample from the mode (w: 0 split .. 1 wide), listen (l) and enable (xf)
 * crossfade positions. Every lerp is a*(1-t) + b*t, exact at both ends, so a settled path that
 * evaluates only one end gives the same bits as this general form. */
static inline float deess_mix(float x, float ap, float hi, float sc, float g, float w, float l,
			      float xf)
{
	float split = ap + (g - 1.0f) * hi;
	float wide = g * x;
	float y = (1.0f - w) * split + w * wide;
	y = (1.0f - l) * y + l * sc;
	return (1.0f - xf) * x + xf * y;
}

/* Lanes of the filter stage travel in float vectors of four, one channel per element: each
 * element sees the same IEEE operations as the scalar form, so every lane's results are the
 * single-channel results bit for bit, while the four (or, with two vectors, eight) recursions
 * run side by side instead of one after the other. A single channel uses element 0 alone. */
#define DEESS_VL 4u /* lanes per vector */

/* The crossover's allpass section in transposed direct form II with b0 = a2, b1 = a1,
 * b2 = 1 (deess_section): y = a2 x + z1, z1 = a1 (x - y) + z2, z2 = x - a2 y. */
static inline dsp_v4f deess_ap_tick_v4(const struct biquad_gain_poles_v4 *c, dsp_v4f *z1,
				       dsp_v4f *z2, dsp_v4f x)
{
	dsp_v4f y = c->a2 * x + *z1;
	*z1 = c->a1 * (x - y) + *z2;
	*z2 = x - c->a2 * y;
	return y;
}

/* Zero input for padding lanes: with zero coefficients and state they stay exactly 0. */
static const float deess_zero_in[DSP_MAX_CHUNK];

/* A vector of four lanes' filters: coefficients and state. */
struct deess_fv {
	struct biquad_gain_poles_v4 s1, s2, bp; /* s1, s2: high-pass b0 and the shared poles */
	dsp_v4f h1[4], h2[4]; /* the high-pass's four sections: z1, z2 */
	dsp_v4f p1[2], p2[2]; /* the allpass's two */
	dsp_v4f c1, c2;       /* the band-pass */
};

/* One sample of four lanes: hi, ap (offset removed) and sc from x. The offset, added to each
 * input, keeps every state normal in silence without a per-chunk flush (which would make
 * results depend on block size): the high-passes and the band-pass remove it, the allpass
 * passes it and it is taken off again. */
static inline __attribute__((always_inline)) void
deess_tick_v4(struct deess_fv *f, dsp_v4f x, dsp_v4f *hi, dsp_v4f *ap, dsp_v4f *sc)
{
	const dsp_v4f dc = {DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET};
	dsp_v4f xd = x + dc;
	dsp_v4f a = deess_ap_tick_v4(&f->s1, &f->p1[0], &f->p2[0], xd);
	*ap = deess_ap_tick_v4(&f->s2, &f->p1[1], &f->p2[1], a) - dc;
	dsp_v4f h = biquad_hp_tick_v4(&f->s1, &f->h1[0], &f->h2[0], xd);
	h = biquad_hp_tick_v4(&f->s2, &f->h1[1], &f->h2[1], h + dc);
	h = biquad_hp_tick_v4(&f->s1, &f->h1[2], &f->h2[2], h + dc);
	*hi = h = biquad_hp_tick_v4(&f->s2, &f->h1[3], &f->h2[3], h + dc);
	*sc = biquad_bp_tick_v4(&f->bp, &f->c1, &f->c2, h + dc);
}

/* A lane's coefficients into element e of f. */
static void deess_fv_coef(struct deess_fv *f, unsigned e, const struct deess *d)
{
	f->s1.b0[e] = d->xs1.b0, f->s1.a1[e] = d->xs1.a1, f->s1.a2[e] = d->xs1.a2;
	f->s2.b0[e] = d->xs2.b0, f->s2.a1[e] = d->xs2.a1, f->s2.a2[e] = d->xs2.a2;
	f->bp.b0[e] = d->bp.b0, f->bp.a1[e] = d->bp.a1, f->bp.a2[e] = d->bp.a2;
}

/* A lane's filter state into element e of f (out 0), or back from it (out 1). */
static void deess_fv_state(struct deess_fv *f, unsigned e, struct deess *d, int out)
{
#define DEESS_XFER(v, st)                                                                   	do {                                                                                		if (out)                                                                    			(st) = (v)[e];                                                      		else                                                                        			(v)[e] = (st);                                                      	} while (0)
	for (unsigned k = 0; k < 4; k++) {
		DEESS_XFER(f->h1[k], d->hp_s[k].z1);
		DEESS_XFER(f->h2[k], d->hp_s[k].z2);
	}
	for (unsigned k = 0; k < 2; k++) {
		DEESS_XFER(f->p1[k], d->ap_s[k].z1);
		DEESS_XFER(f->p2[k], d->ap_s[k].z2);
	}
	DEESS_XFER(f->c1, d->sc_s.z1);
	DEESS_XFER(f->c2, d->sc_s.z2);
#undef DEESS_XFER
}

/* Samples [i0, i1) of W lanes through the filters (see deess_filter_lanes). */
static inline __attribute__((always_inline)) void
deess_filter_run(struct deess_fv *fv, const float *const *x, float *const *hi, float *const *ap,
		 float *const *sc, uint32_t i0, uint32_t i1, const unsigned W)
{
	const unsigned nvec = (W + DEESS_VL - 1) / DEESS_VL;
	uint32_t i = i0;
	if (W >= DEESS_VL) {
		/* whole blocks of four samples: four loads per vector of lanes, transposed to
		 * four samples of the lanes, and the outputs transposed back */
		for (; i + DEESS_VL <= i1; i += DEESS_VL) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4f xs[DEESS_VL], hs[DEESS_VL], as[DEESS_VL], ss[DEESS_VL];
				for (unsigned e = 0; e < DEESS_VL; e++)
					xs[e] = dsp_load4f(x[v * DEESS_VL + e] + i);
				dsp_transpose4f(&xs[0], &xs[1], &xs[2], &xs[3]);
				for (unsigned k = 0; k < DEESS_VL; k++)
					deess_tick_v4(&fv[v], xs[k], &hs[k], &as[k], &ss[k]);
				dsp_transpose4f(&hs[0], &hs[1], &hs[2], &hs[3]);
				dsp_transpose4f(&as[0], &as[1], &as[2], &as[3]);
				dsp_transpose4f(&ss[0], &ss[1], &ss[2], &ss[3]);
				for (unsigned e = 0; e < DEESS_VL; e++) {
					dsp_store4f(hi[v * DEESS_VL + e] + i, hs[e]);
					dsp_store4f(ap[v * DEESS_VL + e] + i, as[e]);
					dsp_store4f(sc[v * DEESS_VL + e] + i, ss[e]);
				}
			}
		}
	}
	/* the rest (everything for one lane) a sample at a time */
	for (; i < i1; i++) {
		for (unsigned v = 0; v < nvec; v++) {
			dsp_v4f xv = {0}, h, a, c;
			for (unsigned e = 0; e < DEESS_VL && v * DEESS_VL + e < W; e++)
				xv[e] = x[v * DEESS_VL + e][i];
			deess_tick_v4(&fv[v], xv, &h, &a, &c);
			for (unsigned e = 0; e < DEESS_VL && v * DEESS_VL + e < W; e++) {
				hi[v * DEESS_VL + e][i] = h[e];
				ap[v * DEESS_VL + e][i] = a[e];
				sc[v * DEESS_VL + e][i] = c[e];
			}
		}
	}
}

/* Where the next segment of a chunk ends, from i: at n, or earlier at the next redesign of a
 * gliding lane. Lanes due for a redesign at i get it first (their coefficients reloaded). */
static inline uint32_t deess_glide_segment(struct deess *const *d, unsigned na,
					   struct deess_fv *fv, uint32_t i, uint32_t n)
{
	uint32_t end = n;
	for (unsigned l = 0; l < na; l++) {
		struct deess *dl = d[l];
		if (!dl->gliding)
			continue;
		if (dl->glide_pos == 0) {
			deess_glide_step(dl);
			deess_fv_coef(&fv[l / DEESS_VL], l % DEESS_VL, dl);
			if (!dl->gliding)
				continue;
		}
		uint32_t left = DEESS_GLIDE_N - dl->glide_pos;
		end = i + left < end ? i + left : end;
	}
	return end;
}

/* ---- one lane: the seven sections as a skewed pipeline ----------------------------------
 * One channel alone would use one element of deess_tick_v4's vectors, and within a sample
 * the cascade is one long serial chain. Here the sections share two vectors and each works on
 * a different sample: vector A holds the high-pass's four sections (element j: section j + 1,
 * on sample t - j at step t), vector B the allpass's two and the band-pass (AP1 on sample t,
 * AP2 on t - 1, BP on t - 4; the fourth element idles at zero). A section's input at step t
 * is the previous step's output of the section before it, or the new sample, so one step
 * advances every section by one sample and the chain per step is one section long. Each
 * section still does deess_tick_v4's operations in its order, so the bits are the same. */
#define DEESS_WAVE_FILL 4u /* steps until every section has a sample (BP's delay) */

struct deess_wave {
	struct biquad_gain_poles_v4 a; /* the high-pass sections: s1, s2, s1, s2 */
	dsp_v4f a_z1, a_z2;
	/* B: one form for the allpass and band-pass sections (deess_wave_b) */
	dsp_v4f k0, k1, k2, sgn, b_z1, b_z2;
	dsp_v4f ya, yb; /* the last step's outputs */
};

/* Element moves (bit-exact): A's input [x, ya0, ya1, ya2], B's [x, yb0, ya3, ya3], and
 * [u0, u1, v2, v3]. */
#if defined(__SSE2__)
static inline dsp_v4f deess_wave_in_a(dsp_v4f xv, dsp_v4f ya)
{
	__m128 s = _mm_castsi128_ps(_mm_slli_si128(_mm_castps_si128((__m128)ya), 4));
	return (dsp_v4f)_mm_move_ss(s, (__m128)xv);
}
static inline dsp_v4f deess_wave_in_b(dsp_v4f xv, dsp_v4f ya, dsp_v4f yb)
{
	__m128 t = _mm_unpacklo_ps((__m128)xv, (__m128)yb);
	return (dsp_v4f)_mm_shuffle_ps(t, (__m128)ya, _MM_SHUFFLE(3, 3, 1, 0));
}
static inline dsp_v4f deess_lo2_hi2(dsp_v4f u, dsp_v4f v)
{
	return (dsp_v4f)_mm_shuffle_ps((__m128)u, (__m128)v, _MM_SHUFFLE(3, 2, 1, 0));
}
#else
static inline dsp_v4f deess_wave_in_a(dsp_v4f xv, dsp_v4f ya)
{
	return DSP_SHUFFLE4(xv, ya, 0, 4, 5, 6);
}
static inline dsp_v4f deess_wave_in_b(dsp_v4f xv, dsp_v4f ya, dsp_v4f yb)
{
	return DSP_SHUFFLE4(DSP_SHUFFLE4(xv, yb, 0, 4, 1, 5), ya, 0, 1, 7, 7);
}
static inline dsp_v4f deess_lo2_hi2(dsp_v4f u, dsp_v4f v) { return DSP_SHUFFLE4(u, v, 0, 1, 6, 7); }
#endif

/* One step of B's three sections, input u. The allpass (deess_ap_tick_v4: y = a2 u + z1,
 * z1 = a1 (u - y) + z2, z2 = u - a2 y) and the band-pass (biquad_bp_tick: y = b0 u + z1,
 * z1 = z2 - a1 y, z2 = -(b0 u + a2 y)) as one: y = k0 u + z1, z1 = z2 + k1 (m - y),
 * z2 = (q - k2 y) ^ sgn, with m = u and q = u in the allpass elements, m = -0 and q = k0 u in
 * the band-pass's, k2 = -a2 there and sgn its sign bit. Exact rewrites: -0 - y is -y,
 * a1 (-y) is -(a1 y), z2 + -(t) is z2 - t, p - (-t) is p + t, and the sign flip is the
 * negation, all bit for bit. */
static inline __attribute__((always_inline)) dsp_v4f
deess_wave_b(const struct deess_wave *w, dsp_v4f u, dsp_v4f *z1, dsp_v4f *z2)
{
	const dsp_v4f nz = {-0.0f, -0.0f, -0.0f, -0.0f};
	dsp_v4f p = w->k0 * u;
	dsp_v4f y = p + *z1;
	*z1 = *z2 + w->k1 * (deess_lo2_hi2(u, nz) - y);
	*z2 = (dsp_v4f)((dsp_v4i)(deess_lo2_hi2(u, p) - w->k2 * y) ^ (dsp_v4i)w->sgn);
	return y;
}

/* Elements of `nu` where m is set, of `old` elsewhere. */
static inline dsp_v4f deess_sel(dsp_v4i m, dsp_v4f nu, dsp_v4f old)
{
	return (dsp_v4f)(((dsp_v4i)nu & m) | ((dsp_v4i)old & ~m));
}

/* One step with sample x. masked (a constant after inlining): at the chunk's ends, where the
 * sections whose sample is outside [0, n) keep their state (their outputs go nowhere a
 * section with a sample reads). */
static inline __attribute__((always_inline)) void
deess_wave_step(struct deess_wave *w, float x, int masked, dsp_v4i ma, dsp_v4i mb)
{
	const dsp_v4f dc_a = {DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET};
	/* AP2's input takes no offset: adding -0 leaves every value as it is */
	const dsp_v4f dc_b = {DEESS_DC_OFFSET, -0.0f, DEESS_DC_OFFSET, 0.0f};
	const dsp_v4f xv = {x, 0.0f, 0.0f, 0.0f};
	dsp_v4f ua = deess_wave_in_a(xv, w->ya) + dc_a;
	dsp_v4f ub = deess_wave_in_b(xv, w->ya, w->yb) + dc_b;
	dsp_v4f a1 = w->a_z1, a2 = w->a_z2, b1 = w->b_z1, b2 = w->b_z2;
	w->ya = biquad_hp_tick_v4(&w->a, &a1, &a2, ua);
	w->yb = deess_wave_b(w, ub, &b1, &b2);
	if (masked) {
		a1 = deess_sel(ma, a1, w->a_z1), a2 = deess_sel(ma, a2, w->a_z2);
		b1 = deess_sel(mb, b1, w->b_z1), b2 = deess_sel(mb, b2, w->b_z2);
	}
	w->a_z1 = a1, w->a_z2 = a2, w->b_z1 = b1, w->b_z2 = b2;
}

/* The lane's coefficients and state into the pipeline, and the state back. */
static void deess_wave_load(struct deess_wave *w, const struct deess *d)
{
	const struct biquad_gain_poles *s1 = &d->xs1, *s2 = &d->xs2, *bp = &d->bp;
	w->a.b0 = (dsp_v4f){s1->b0, s2->b0, s1->b0, s2->b0};
	w->a.a1 = (dsp_v4f){s1->a1, s2->a1, s1->a1, s2->a1};
	w->a.a2 = (dsp_v4f){s1->a2, s2->a2, s1->a2, s2->a2};
	w->k0 = (dsp_v4f){s1->a2, s2->a2, bp->b0, 0.0f};
	w->k1 = (dsp_v4f){s1->a1, s2->a1, bp->a1, 0.0f};
	w->k2 = (dsp_v4f){s1->a2, s2->a2, -bp->a2, 0.0f};
	w->sgn = (dsp_v4f){0.0f, 0.0f, -0.0f, 0.0f};
	for (unsigned k = 0; k < 4; k++)
		w->a_z1[k] = d->hp_s[k].z1, w->a_z2[k] = d->hp_s[k].z2;
	w->b_z1 = (dsp_v4f){d->ap_s[0].z1, d->ap_s[1].z1, d->sc_s.z1, 0.0f};
	w->b_z2 = (dsp_v4f){d->ap_s[0].z2, d->ap_s[1].z2, d->sc_s.z2, 0.0f};
	w->ya = w->yb = (dsp_v4f){0.0f, 0.0f, 0.0f, 0.0f};
}

static void deess_wave_store(const struct deess_wave *w, struct deess *d)
{
	for (unsigned k = 0; k < 4; k++)
		d->hp_s[k].z1 = w->a_z1[k], d->hp_s[k].z2 = w->a_z2[k];
	for (unsigned k = 0; k < 2; k++)
		d->ap_s[k].z1 = w->b_z1[k], d->ap_s[k].z2 = w->b_z2[k];
	d->sc_s.z1 = w->b_z1[2], d->sc_s.z2 = w->b_z2[2];
}

/* Where step t's outputs go: the high band from HP4 (A's element 3, sample t - 3), the allpass
 * from AP2 (B's 1, sample t - 1, the offset taken off), the sidechain from BP (B's 2, sample
 * t - 4); the flags say which of those samples are in the chunk. */
static inline __attribute__((always_inline)) void
deess_wave_put(struct deess *d, const struct deess_wave *w, uint32_t t, int hi, int ap, int sc)
{
	if (hi)
		d->buf_band[t - 3] = w->ya[3];
	if (ap)
		d->buf_ap[t - 1] = w->yb[1] - DEESS_DC_OFFSET;
	if (sc)
		d->buf_sc[t - DEESS_WAVE_FILL] = w->yb[2];
}

/* Element masks, all set where c is (c a constant after inlining in the unrolled ends). */
#define DEESS_M(c) ((c) ? -1 : 0)

/* Steps 0..3 (k) and n..n+3 (n + k) of a chunk of n >= 4: the sections without a sample
 * there (element e runs sample t - delay, delays 0 1 2 3 and 0 1 4) are held. */
static inline __attribute__((always_inline)) void
deess_wave_fill(struct deess_wave *w, struct deess *d, const float *x, unsigned k)
{
	const dsp_v4i ma = {-1, DEESS_M(k >= 1), DEESS_M(k >= 2), DEESS_M(k >= 3)};
	const dsp_v4i mb = {-1, DEESS_M(k >= 1), 0, 0};
	deess_wave_step(w, x[k], 1, ma, mb);
	deess_wave_put(d, w, k, k >= 3, k >= 1, 0);
}

static inline __attribute__((always_inline)) void
deess_wave_drain(struct deess_wave *w, struct deess *d, uint32_t n, unsigned k)
{
	const dsp_v4i ma = {0, DEESS_M(k < 1), DEESS_M(k < 2), DEESS_M(k < 3)};
	const dsp_v4i mb = {0, DEESS_M(k < 1), -1, 0};
	deess_wave_step(w, 0.0f, 1, ma, mb);
	deess_wave_put(d, w, n + k, k < 3, k < 1, 1);
}

/* Every step of a chunk of n < 4, the masks worked out at run time. */
static void deess_wave_short(struct deess_wave *w, struct deess *d, const float *x, uint32_t n)
{
	const dsp_v4i delay_a = {0, 1, 2, 3}, delay_b = {0, 1, (int32_t)DEESS_WAVE_FILL, 1 << 30};
	const dsp_v4i nv = {(int32_t)n, (int32_t)n, (int32_t)n, (int32_t)n};
	for (uint32_t t = 0; t < n + DEESS_WAVE_FILL; t++) {
		const dsp_v4i tv = {(int32_t)t, (int32_t)t, (int32_t)t, (int32_t)t};
		dsp_v4i ma = (tv >= delay_a) & (tv < delay_a + nv);
		dsp_v4i mb = (tv >= delay_b) & (tv < delay_b + nv);
		deess_wave_step(w, t < n ? x[t] : 0.0f, 1, ma, mb);
		deess_wave_put(d, w, t, t >= 3 && t - 3 < n, t >= 1 && t - 1 < n,
			       t >= DEESS_WAVE_FILL);
	}
}

/* One lane, coefficients fixed over the chunk: buf_band, buf_ap and buf_sc for i < n. */
static void deess_filter_wave(struct deess *d, const float *restrict x, uint32_t n)
{
	struct deess_wave w;
	const dsp_v4i none = {0, 0, 0, 0};
	deess_wave_load(&w, d);
	if (n < DEESS_WAVE_FILL) {
		deess_wave_short(&w, d, x, n);
	} else {
		for (unsigned k = 0; k < DEESS_WAVE_FILL; k++)
			deess_wave_fill(&w, d, x, k);
		for (uint32_t t = DEESS_WAVE_FILL; t < n; t++) {
			deess_wave_step(&w, x[t], 0, none, none);
			deess_wave_put(d, &w, t, 1, 1, 1);
		}
		for (unsigned k = 0; k < DEESS_WAVE_FILL; k++)
			deess_wave_drain(&w, d, n, k);
	}
	deess_wave_store(&w, d);
}

#if defined(__AVX2__)
/* ---- AVX2: the seven sections in one vector of eight ------------------------------------
 * Elements HP1 HP2 HP3 HP4 | BP AP1 AP2 (unused), every one in deess_wave_b's common form
 * extended by the high-pass's term: y = k0 u + z1, z1 = (z2 - ((p + p) & m2)) + k1 (m - y),
 * z2 = (q - k2 y) ^ sgn, with m = -0 and q = p in the high-pass and band-pass elements (the
 * high-pass's z1 = (z2 - 2p) - a1 y, exactly). One vector does a step's arithmetic once
 * instead of twice. An input moves one element up within its 128-bit half (one cycle); only
 * HP4 -> BP crosses the halves (a three-cycle permute), so BP takes HP4's output of two steps
 * before, computed a step ahead and off the chain: BP runs sample t - 5. */
#define DEESS_W8_FILL 5u /* BP's delay */

struct deess_w8 {
	dsp_v8f k0, k1, k2, z1, z2, y;
	dsp_v8f bp_in; /* HP4's last output in BP's element, for the next step */
};

static inline __attribute__((always_inline)) __m256 deess_w8_c(float a, float b, float c,
								float d, float e, float f,
								float g, float h)
{
	return _mm256_setr_ps(a, b, c, d, e, f, g, h);
}

/* Elements of nu where bit e of keep is set, of old elsewhere: a blend with an immediate
 * (one cycle), one case for each pattern the unrolled ends of a chunk use; DEESS_W8_VAR
 * takes mask at run time instead. */
#define DEESS_W8_ALL (-1)
#define DEESS_W8_VAR (-2)
#define DEESS_W8_KEEP_CASE(c)                                                                 \
	case c: return _mm256_blend_ps(old, nu, c)
static inline __attribute__((always_inline)) __m256 deess_w8_keep(__m256 old, __m256 nu,
								  int keep, __m256 mask)
{
	switch (keep) {
	DEESS_W8_KEEP_CASE(0x21);
	DEESS_W8_KEEP_CASE(0x63);
	DEESS_W8_KEEP_CASE(0x67);
	DEESS_W8_KEEP_CASE(0x6f);
	DEESS_W8_KEEP_CASE(0x5e);
	DEESS_W8_KEEP_CASE(0x1c);
	DEESS_W8_KEEP_CASE(0x18);
	DEESS_W8_KEEP_CASE(0x10);
	case DEESS_W8_ALL: return nu;
	default: return _mm256_blendv_ps(old, nu, mask);
	}
}

/* One step with sample x; the elements outside keep (or mask) hold their state. */
static inline __attribute__((always_inline)) void
deess_w8_step(struct deess_w8 *w, float x, int keep, __m256 mask)
{
	const __m256 dc = deess_w8_c(DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET,
				     DEESS_DC_OFFSET, DEESS_DC_OFFSET, DEESS_DC_OFFSET, -0.0f, 0.0f);
	const __m256 nz = _mm256_set1_ps(-0.0f);
	const __m256 m2 = _mm256_castsi256_ps(_mm256_setr_epi32(-1, -1, -1, -1, 0, 0, 0, 0));
	const __m256 sgn = deess_w8_c(0.0f, 0.0f, 0.0f, 0.0f, -0.0f, 0.0f, 0.0f, 0.0f);
	const __m256i to_bp = _mm256_setr_epi32(0, 1, 2, 3, 3, 5, 6, 7);
	__m256 yv = (__m256)w->y;
	/* inputs: HP(j) <- HP(j-1), AP2 <- AP1 one element up; x into HP1 and AP1; BP's from
	 * the step before */
	__m256 up = _mm256_castsi256_ps(_mm256_slli_si256(_mm256_castps_si256(yv), 4));
	__m256 side = _mm256_blend_ps((__m256)w->bp_in, _mm256_set1_ps(x), 0x21);
	__m256 u = _mm256_add_ps(_mm256_blend_ps(up, side, 0x31), dc);
	w->bp_in = (dsp_v8f)_mm256_permutevar8x32_ps(yv, to_bp);

	__m256 p = _mm256_mul_ps((__m256)w->k0, u);
	__m256 y = _mm256_add_ps(p, (__m256)w->z1);
	__m256 mm = _mm256_blend_ps(nz, u, 0x60);
	__m256 l = _mm256_sub_ps((__m256)w->z2, _mm256_and_ps(_mm256_add_ps(p, p), m2));
	__m256 z1 = _mm256_add_ps(l, _mm256_mul_ps((__m256)w->k1, _mm256_sub_ps(mm, y)));
	__m256 q = _mm256_blend_ps(p, u, 0x60);
	__m256 z2 = _mm256_xor_ps(_mm256_sub_ps(q, _mm256_mul_ps((__m256)w->k2, y)), sgn);
	z1 = deess_w8_keep((__m256)w->z1, z1, keep, mask);
	z2 = deess_w8_keep((__m256)w->z2, z2, keep, mask);
	w->z1 = (dsp_v8f)z1, w->z2 = (dsp_v8f)z2, w->y = (dsp_v8f)y;
}

static void deess_w8_load(struct deess_w8 *w, const struct deess *d)
{
	const struct biquad_gain_poles *s1 = &d->xs1, *s2 = &d->xs2, *bp = &d->bp;
	w->k0 = (dsp_v8f)deess_w8_c(s1->b0, s2->b0, s1->b0, s2->b0, bp->b0, s1->a2, s2->a2, 0.0f);
	w->k1 = (dsp_v8f)deess_w8_c(s1->a1, s2->a1, s1->a1, s2->a1, bp->a1, s1->a1, s2->a1, 0.0f);
	w->k2 = (dsp_v8f)deess_w8_c(s1->a2, s2->a2, s1->a2, s2->a2, -bp->a2, s1->a2, s2->a2,
				    0.0f);
	w->z1 = (dsp_v8f)deess_w8_c(d->hp_s[0].z1, d->hp_s[1].z1, d->hp_s[2].z1, d->hp_s[3].z1,
				    d->sc_s.z1, d->ap_s[0].z1, d->ap_s[1].z1, 0.0f);
	w->z2 = (dsp_v8f)deess_w8_c(d->hp_s[0].z2, d->hp_s[1].z2, d->hp_s[2].z2, d->hp_s[3].z2,
				    d->sc_s.z2, d->ap_s[0].z2, d->ap_s[1].z2, 0.0f);
	w->y = w->bp_in = (dsp_v8f)_mm256_setzero_ps();
}

static void deess_w8_store(const struct deess_w8 *w, struct deess *d)
{
	for (unsigned k = 0; k < 4; k++)
		d->hp_s[k].z1 = w->z1[k], d->hp_s[k].z2 = w->z2[k];
	d->sc_s.z1 = w->z1[4], d->sc_s.z2 = w->z2[4];
	for (unsigned k = 0; k < 2; k++)
		d->ap_s[k].z1 = w->z1[5 + k], d->ap_s[k].z2 = w->z2[5 + k];
}

/* Step t's outputs: HP4 has sample t - 3, BP t - 5, AP2 t - 1 (the offset taken off). */
static inline __attribute__((always_inline)) void
deess_w8_put(struct deess *d, const struct deess_w8 *w, uint32_t t, int hi, int ap, int sc)
{
	if (hi)
		d->buf_band[t - 3] = w->y[3];
	if (sc)
		d->buf_sc[t - DEESS_W8_FILL] = w->y[4];
	if (ap)
		d->buf_ap[t - 1] = w->y[6] - DEESS_DC_OFFSET;
}

/* Element e runs sample t - delay[e]: active where that is in [0, n). */
static inline __attribute__((always_inline)) __m256 deess_w8_mask(int32_t t, int32_t n)
{
	const __m256i delay = _mm256_setr_epi32(0, 1, 2, 3, (int32_t)DEESS_W8_FILL, 0, 1, 1 << 30);
	__m256i s = _mm256_sub_epi32(_mm256_set1_epi32(t), delay);
	__m256i lo = _mm256_cmpgt_epi32(_mm256_setzero_si256(), s);
	__m256i hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), s);
	return _mm256_castsi256_ps(_mm256_andnot_si256(lo, hi));
}

/* Steps 0..4 (k) and n..n+4 (n + k) of a chunk of n >= 5, unrolled: element e is active
 * (bit e of the pattern) where its sample t - delay (delays 0 1 2 3 5 0 1) is in [0, n). */
static inline __attribute__((always_inline)) void
deess_w8_fill(struct deess_w8 *w, struct deess *d, const float *x, unsigned k)
{
	static const int keep[DEESS_W8_FILL] = {0x21, 0x63, 0x67, 0x6f, 0x6f};
	deess_w8_step(w, x[k], keep[k], _mm256_setzero_ps());
	deess_w8_put(d, w, k, k >= 3, k >= 1, 0);
}

static inline __attribute__((always_inline)) void
deess_w8_drain(struct deess_w8 *w, struct deess *d, uint32_t n, unsigned k)
{
	static const int keep[DEESS_W8_FILL] = {0x5e, 0x1c, 0x18, 0x10, 0x10};
	deess_w8_step(w, 0.0f, keep[k], _mm256_setzero_ps());
	deess_w8_put(d, w, n + k, k < 3, k < 1, 1);
}

/* One lane, coefficients fixed over the chunk: buf_band, buf_ap and buf_sc for i < n. The
 * first and last DEESS_W8_FILL steps hold the sections without a sample. */
static void deess_filter_w8(struct deess *d, const float *restrict x, uint32_t n)
{
	struct deess_w8 w;
	deess_w8_load(&w, d);
	if (n < DEESS_W8_FILL) {
		for (uint32_t t = 0; t < n + DEESS_W8_FILL; t++) {
			deess_w8_step(&w, t < n ? x[t] : 0.0f, DEESS_W8_VAR,
				      deess_w8_mask((int32_t)t, (int32_t)n));
			deess_w8_put(d, &w, t, t >= 3 && t - 3 < n, t >= 1 && t - 1 < n,
				     t >= DEESS_W8_FILL);
		}
	} else {
		for (unsigned k = 0; k < DEESS_W8_FILL; k++)
			deess_w8_fill(&w, d, x, k);
		for (uint32_t t = DEESS_W8_FILL; t < n; t++) {
			deess_w8_step(&w, x[t], DEESS_W8_ALL, _mm256_setzero_ps());
			deess_w8_put(d, &w, t, 1, 1, 1);
		}
		for (unsigned k = 0; k < DEESS_W8_FILL; k++)
			deess_w8_drain(&w, d, n, k);
	}
	deess_w8_store(&w, d);
}
#endif

/* The filters for W lanes (W = 1, 4 or 8, a constant after inlining), the first na of them
 * real: buf_band (hi), buf_ap and buf_sc for i < n. A chunk runs in segments split where a
 * gliding lane is redesigned; a lane's bits depend on its own samples alone, so neither the
 * chunk nor its neighbours' glides change them. Padding lanes read zeros and write to
 * scratch buffers nobody reads. */
static inline __attribute__((always_inline)) void
deess_filter_lanes(struct deess *const *d, unsigned na, const float *const *in, uint32_t n,
		   const unsigned W)
{
	enum { NV_MAX = DSP_LANES_MAX / DEESS_VL };
	const unsigned nvec = (W + DEESS_VL - 1) / DEESS_VL;
	float pad_hi[DSP_MAX_CHUNK], pad_ap[DSP_MAX_CHUNK], pad_sc[DSP_MAX_CHUNK];
	const float *x[NV_MAX * DEESS_VL];
	float *hi[NV_MAX * DEESS_VL], *ap[NV_MAX * DEESS_VL], *sc[NV_MAX * DEESS_VL];
	struct deess_fv fv[NV_MAX];
	int gliding = 0;
	if (W == 1 && !d[0]->gliding) {
#if defined(__AVX2__)
		deess_filter_w8(d[0], in[0], n);
#else
		deess_filter_wave(d[0], in[0], n);
#endif
		return;
	}
	if (W == 1)
		na = 1; /* one lane is never padding (and GCC then sees every pointer set) */

	memset(fv, 0, nvec * sizeof(fv[0]));
	for (unsigned l = 0; l < W; l++) {
		unsigned v = l / DEESS_VL, e = l % DEESS_VL;
		if (l < na) {
			x[l] = in[l];
			hi[l] = d[l]->buf_band, ap[l] = d[l]->buf_ap, sc[l] = d[l]->buf_sc;
			deess_fv_coef(&fv[v], e, d[l]);
			deess_fv_state(&fv[v], e, d[l], 0);
			gliding |= d[l]->gliding;
		} else {
			x[l] = deess_zero_in;
			hi[l] = pad_hi, ap[l] = pad_ap, sc[l] = pad_sc;
		}
	}

	if (!gliding) {
		deess_filter_run(fv, x, hi, ap, sc, 0, n, W);
	} else {
		for (uint32_t i = 0, end; i < n; i = end) {
			end = deess_glide_segment(d, na, fv, i, n);
			deess_filter_run(fv, x, hi, ap, sc, i, end, W);
			for (unsigned l = 0; l < na; l++)
				if (d[l]->gliding)
					d[l]->glide_pos = (d[l]->glide_pos + (end - i)) %
							  DEESS_GLIDE_N;
		}
	}

	for (unsigned l = 0; l < na; l++)
		deess_fv_state(&fv[l / DEESS_VL], l % DEESS_VL, d[l], 1);
}

/* Target reduction of one lane into buf_q, Q20 dB; 0 when the whole chunk is quiet and there
 * is nothing to release either, and then buf_g is exactly 1 and the slew limiter is skipped. */
static inline int deess_targets(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float *restrict sc = d->buf_sc;
	float *restrict g = d->buf_g;
	int32_t *restrict q = d->buf_q;

	for (uint32_t i = n; i < nv; i++)
		sc[i] = 0.0f;
	float hi = fm_max_padded(sc, nv), lo = fm_min_padded(sc, nv);
	float sc_peak = hi > -lo ? hi : -lo;

	/* When even the chunk's peak is below the threshold every target is 0. */
	const float thr = d->thr_db, range = d->range_db;
	int quiet = sc_peak + DEESS_LEVEL_FLOOR <= d->quiet_peak;
	if (quiet) {
		if (d->gr_q == 0) {
			/* and nothing to release: the gain is exactly 1 throughout */
			for (uint32_t i = 0; i < nv; i++)
				g[i] = 1.0f;
			d->min_gain = d->min_gain < 1.0f ? d->min_gain : 1.0f;
			return 0;
		}
		for (uint32_t i = 0; i < nv; i++)
			q[i] = 0;
	} else {
		for (uint32_t i = 0; i < nv; i++) {
			float r = FM_DB_PER_LOG2 * fm_log2(fabsf(sc[i]) + DEESS_LEVEL_FLOOR) - thr;
			r = r > 0.0f ? r : 0.0f;
			r = r < range ? r : range;
			q[i] = (int32_t)(r * DEESS_Q);
		}
	}
	return 1;
}

/* Elementwise integer max and min, for one lane or a vector of four (vec.h), and one
 * slew-limiter step written once for both: the reduction moves towards the target q by at
 * most da up and dr down. */
static inline int32_t deess_max_i(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t deess_min_i(int32_t a, int32_t b) { return a < b ? a : b; }
#define DEESS_MAX(a, b) _Generic((a), dsp_v4i: dsp_max4i, default: deess_max_i)(a, b)
#define DEESS_MIN(a, b) _Generic((a), dsp_v4i: dsp_min4i, default: deess_min_i)(a, b)
#define DEESS_SLEW_STEP(gr, q, da, dr) DEESS_MIN(DEESS_MAX((q), (gr) - (dr)), (gr) + (da))

/* One lane's slew limiter, the release folded into a running offset: with g = gr + c,
 * c = dr (i + 1), the step gr = min(max(q, gr - dr), gr + da) becomes
 * g = min(max(q + c, g), g + da + dr), two operations deep from one sample to the next
 * instead of three. Exact: integers, and c < 2^21 within a chunk. With SSE4.1 (the AVX2
 * build) the max and min are single instructions; a scalar compare and move would take two
 * each. Returns the last reduction (gr unchanged when n is 0). */
static inline int32_t deess_slew_1(int32_t *restrict q, int32_t gr, int32_t da, int32_t dr,
				   uint32_t n)
{
	const int32_t dd = da + dr;
	int32_t c = 0;
#if defined(__SSE4_1__)
	/* g in every element; four samples' a loaded at once, each broadcast in turn, the four
	 * results blended into one vector (no trip through general registers) */
	__m128i g = _mm_set1_epi32(gr), ddv = _mm_set1_epi32(dd);
	const __m128i c4 = _mm_set1_epi32(4 * dr);
	__m128i cv = _mm_setr_epi32(dr, 2 * dr, 3 * dr, 4 * dr);
	uint32_t i = 0;
	for (; i + 4 <= n; i += 4) {
		__m128i a = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(q + i)), cv);
		__m128i o;
		g = _mm_min_epi32(_mm_max_epi32(_mm_shuffle_epi32(a, 0x00), g), _mm_add_epi32(g, ddv));
		o = g;
		g = _mm_min_epi32(_mm_max_epi32(_mm_shuffle_epi32(a, 0x55), g), _mm_add_epi32(g, ddv));
		o = _mm_blend_epi16(o, g, 0x0c);
		g = _mm_min_epi32(_mm_max_epi32(_mm_shuffle_epi32(a, 0xaa), g), _mm_add_epi32(g, ddv));
		o = _mm_blend_epi16(o, g, 0x30);
		g = _mm_min_epi32(_mm_max_epi32(_mm_shuffle_epi32(a, 0xff), g), _mm_add_epi32(g, ddv));
		o = _mm_blend_epi16(o, g, 0xc0);
		_mm_storeu_si128((__m128i *)(q + i), _mm_sub_epi32(o, cv));
		cv = _mm_add_epi32(cv, c4);
	}
	c = (int32_t)i * dr;
	for (; i < n; i++) {
		c += dr;
		__m128i qc = _mm_set1_epi32(q[i] + c);
		g = _mm_min_epi32(_mm_max_epi32(qc, g), _mm_add_epi32(g, ddv));
		q[i] = _mm_cvtsi128_si32(g) - c;
	}
#else
	int32_t g = gr;
	for (uint32_t i = 0; i < n; i++) {
		c += dr;
		g = deess_min_i(deess_max_i(q[i] + c, g), g + dd);
		q[i] = g - c;
	}
#endif
	return n ? q[n - 1] : gr;
}

/* Slew limiter, linear-dB attack and release, for W lanes (a constant after inlining) side
 * by side: one lane steps in scalar registers (its chain is sub, max, min: a compare and
 * blend in SSE2 would be longer), four or eight in integer vectors, transposed in blocks of
 * four samples like the filters. The first na lanes are real; padding lanes step a zero
 * target with zero slew. */
static inline __attribute__((always_inline)) void
deess_slew_lanes(struct deess *const *d, unsigned na, uint32_t n, const unsigned W)
{
	if (W == 1) {
		d[0]->gr_q = deess_slew_1(d[0]->buf_q, d[0]->gr_q, d[0]->d_att_q, d[0]->d_rel_q, n);
	} else {
		enum { NV_MAX = DSP_LANES_MAX / DEESS_VL };
		const unsigned nvec = (W + DEESS_VL - 1) / DEESS_VL;
		int32_t pad_q[DSP_MAX_CHUNK];
		int32_t *q[NV_MAX * DEESS_VL];
		dsp_v4i gr[NV_MAX], da[NV_MAX], dr[NV_MAX];
		if (na < W)
			memset(pad_q, 0, n * sizeof(pad_q[0]));
		for (unsigned v = 0; v < nvec; v++)
			gr[v] = da[v] = dr[v] = (dsp_v4i){0};
		for (unsigned l = 0; l < W; l++) {
			unsigned v = l / DEESS_VL, e = l % DEESS_VL;
			q[l] = l < na ? d[l]->buf_q : pad_q;
			if (l < na)
				gr[v][e] = d[l]->gr_q, da[v][e] = d[l]->d_att_q, dr[v][e] = d[l]->d_rel_q;
		}
		uint32_t i = 0;
		for (; i + DEESS_VL <= n; i += DEESS_VL) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4i qs[DEESS_VL];
				for (unsigned e = 0; e < DEESS_VL; e++)
					qs[e] = dsp_load4i(q[v * DEESS_VL + e] + i);
				dsp_transpose4i(&qs[0], &qs[1], &qs[2], &qs[3]);
				for (unsigned k = 0; k < DEESS_VL; k++)
					qs[k] = gr[v] = DEESS_SLEW_STEP(gr[v], qs[k], da[v], dr[v]);
				dsp_transpose4i(&qs[0], &qs[1], &qs[2], &qs[3]);
				for (unsigned e = 0; e < DEESS_VL; e++)
					dsp_store4i(q[v * DEESS_VL + e] + i, qs[e]);
			}
		}
		for (; i < n; i++) {
			for (unsigned v = 0; v < nvec; v++) {
				dsp_v4i qv;
				for (unsigned e = 0; e < DEESS_VL; e++)
					qv[e] = q[v * DEESS_VL + e][i];
				gr[v] = DEESS_SLEW_STEP(gr[v], qv, da[v], dr[v]);
				for (unsigned e = 0; e < DEESS_VL; e++)
					q[v * DEESS_VL + e][i] = gr[v][e];
			}
		}
		for (unsigned l = 0; l < na; l++)
			d[l]->gr_q = gr[l / DEESS_VL][l % DEESS_VL];
	}
	for (unsigned l = 0; l < na; l++)
		for (uint32_t i = n; i < fm_pad(n); i++)
			d[l]->buf_q[i] = 0;
}

/* Gain from the slewed reduction, and the meter's minimum. */
static inline void deess_gain(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	const int32_t *restrict q = d->buf_q;
	float *restrict g = d->buf_g;
	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2_in_range((float)q[i] * (-FM_LOG2_PER_DB / DEESS_Q));
	float gmin = fm_min_padded(g, nv);
	d->min_gain = d->min_gain < gmin ? d->min_gain : gmin;
}

static inline void deess_output(struct deess *d, const float *restrict in, float *restrict out,
				uint32_t n)
{
	const float *restrict hi = d->buf_band;
	const float *restrict ap = d->buf_ap;
	const float *restrict sc = d->buf_sc;
	const float *restrict g = d->buf_g;
	if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) && smooth_settled(&d->listen_xf) &&
	    d->xfade.cur == 1.0f && d->listen_xf.cur == 0.0f) {
		if (d->wide.cur == 0.0f) {
			for (uint32_t i = 0; i < n; i++)
				out[i] = ap[i] + (g[i] - 1.0f) * hi[i];
		} else {
			for (uint32_t i = 0; i < n; i++)
				out[i] = g[i] * in[i];
		}
	} else if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) &&
		   smooth_settled(&d->listen_xf)) {
		const float w = d->wide.cur, l = d->listen_xf.cur, xf = d->xfade.cur;
		for (uint32_t i = 0; i < n; i++)
			out[i] = deess_mix(in[i], ap[i], hi[i], sc[i], g[i], w, l, xf);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float w = smooth_next(&d->wide);
			float l = smooth_next(&d->listen_xf);
			float xf = smooth_next(&d->xfade);
			out[i] = deess_mix(in[i], ap[i], hi[i], sc[i], g[i], w, l, xf);
		}
	}
}

/* deess_gain from link_gr: buf_g holds (float)buf_q, the same values deess_gain converts. */
static inline void deess_gain_linked(struct deess *d, uint32_t n)
{
	const uint32_t nv = fm_pad(n);
	float gmin = fm_gain_of_reduction_q(d->buf_g, n, nv, DEESS_Q);
	d->min_gain = d->min_gain < gmin ? d->min_gain : gmin;
}

/* What the kernels run (a constant after inlining): the whole chunk, or one of its halves for
 * the stereo link: filters, targets and slew limiter with the reduction into buf_g
 * (link_gr; flat when the slew limiter was skipped and buf_g is already exactly 1), then gain
 * and mix. */
enum deess_phase { DEESS_WHOLE, DEESS_GAIN, DEESS_APPLY };

/* The slewed reduction of the ns lanes sl that ran the slew limiter into link_gr; the other
 * active lanes are flat. */
static inline void deess_gain_out(struct deess *const *d, unsigned na, struct deess *const *sl,
				  unsigned ns, uint32_t n)
{
	for (unsigned l = 0; l < na; l++)
		d[l]->link_gr.flat = 1;
	for (unsigned l = 0; l < ns; l++) {
		sl[l]->link_gr.flat = 0;
		for (uint32_t i = 0; i < n; i++)
			sl[l]->buf_g[i] = (float)sl[l]->buf_q[i];
	}
}

/* After the filters, for na active lanes: levels and targets per lane, the slew limiter
 * across the lanes that need it (padded to whole vectors), then gain and mix per lane. */
static inline __attribute__((always_inline)) void
deess_finish(struct deess *const *d, unsigned na, const float *const *in, float *const *out,
	     uint32_t n, enum deess_phase ph)
{
	if (ph == DEESS_APPLY) {
		for (unsigned l = 0; l < na; l++) {
			if (!d[l]->link_gr.flat)
				deess_gain_linked(d[l], n);
			deess_output(d[l], in[l], out[l], n);
		}
		return;
	}
	struct deess *sl[DSP_LANES_MAX];
	unsigned ns = 0;
	for (unsigned l = 0; l < na; l++)
		if (deess_targets(d[l], n))
			sl[ns++] = d[l];
	DSP_LANES_CALL(dsp_lanes_pad(ns, DEESS_VL), DSP_LANES_W_1_4_8, deess_slew_lanes, sl, ns, n);
	if (ph == DEESS_GAIN) {
		deess_gain_out(d, na, sl, ns, n);
		return;
	}
	for (unsigned l = 0; l < ns; l++)
		deess_gain(sl[l], n);
	for (unsigned l = 0; l < na; l++)
		deess_output(d[l], in[l], out[l], n);
}

#define DEESS_INLINE static inline __attribute__((always_inline))

DEESS_INLINE void deess_kernel_1(struct deess *d, const float *in, float *out, uint32_t n,
				 enum dsp_isa isa, enum deess_phase ph)
{
	if (deess_idle(d)) {
		if (ph != DEESS_GAIN)
			memcpy(out, in, n * sizeof(float));
		return;
	}
	if (n == 0)
		return;
	if (ph != DEESS_APPLY)
		deess_filter_lanes(&d, 1, &in, n, 1);
	deess_finish(&d, 1, &in, &out, n, ph);
}

DEESS_INLINE void deess_kernel_n(struct deess *const *d, unsigned nl, const float *const *in,
				 float *const *out, uint32_t n, enum dsp_isa isa,
				 enum deess_phase ph)
{
	struct deess *act[DSP_LANES_MAX];
	const float *ain[DSP_LANES_MAX];
	float *aout[DSP_LANES_MAX];
	unsigned na = 0;
	for (unsigned l = 0; l < nl; l++) {
		if (deess_idle(d[l])) {
			if (ph != DEESS_GAIN)
				memcpy(out[l], in[l], n * sizeof(float));
		} else {
			act[na] = d[l], ain[na] = in[l], aout[na] = ph == DEESS_GAIN ? NULL : out[l];
			na++;
		}
	}
	if (n == 0)
		return;
	/* every active lane takes the same filter path, padded to whole vectors */
	if (ph != DEESS_APPLY)
		DSP_LANES_CALL(dsp_lanes_pad(na, DEESS_VL), DSP_LANES_W_1_4_8, deess_filter_lanes,
			       act, na, ain, n);
	deess_finish(act, na, ain, aout, n, ph);
}

/* The kernel for the baseline ISA and for AVX2 (same bits, see cpu.h); one and many lanes
 * separately, so the one-lane loops unroll for one. */
void DSP_KERNEL(deess_run_1)(struct deess *d, const float *in, float *out, uint32_t n)
{
	deess_kernel_1(d, in, out, n, DSP_ISA, DEESS_WHOLE);
}

void DSP_KERNEL(deess_run_n)(struct deess *const *d, unsigned nl, const float *const *in,
			     float *const *out, uint32_t n)
{
	deess_kernel_n(d, nl, in, out, n, DSP_ISA, DEESS_WHOLE);
}

/* The stereo link's two halves (stage.h), one lane separately so its loops unroll for one. */
void DSP_KERNEL(deess_gain_n)(struct deess *const *d, unsigned nl, const float *const *in,
			      uint32_t n)
{
	if (nl == 1)
		deess_kernel_1(d[0], in[0], NULL, n, DSP_ISA, DEESS_GAIN);
	else
		deess_kernel_n(d, nl, in, NULL, n, DSP_ISA, DEESS_GAIN);
}

void DSP_KERNEL(deess_apply_n)(struct deess *const *d, unsigned nl, const float *const *in,
			      float *const *out, uint32_t n)
{
	if (nl == 1)
		deess_kernel_1(d[0], in[0], out[0], n, DSP_ISA, DEESS_APPLY);
	else
		deess_kernel_n(d, nl, in, out, n, DSP_ISA, DEESS_APPLY);
}

#ifndef DSP_KERNELS_ONLY
DSP_DEFINE_MODULE_ENTRIES(deess)
DSP_DEFINE_LINK_ENTRIES(deess)
#endif

