/* Split-band / wide-band de-esser; see deess.h for the definitions.
 *
 * Passes per chunk: both filters in one serial loop (their recursions overlap in the
 * CPU), level and target reduction (vectorised fm_log2), slew limiter (serial, integer:
 * sub, max, min), gain (vectorised fm_exp2) and output. */
#include "deess.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "fastmath.h"

#define DEESS_Q 1048576.0f       /* Q20 */
#define DEESS_LEVEL_FLOOR 1e-10f /* -200 dBFS */
/* Added to each high-pass input: removed by the filter, but keeps its state normal in
 * silence without a per-chunk flush (which would make results depend on block size). */
#define DEESS_DC_OFFSET 1e-25f

static void deess_clear_state(struct deess *d)
{
	d->band_s.z1 = d->band_s.z2 = 0.0f;
	d->sc_s.z1 = d->sc_s.z2 = 0.0f;
	d->gr_q = 0;
}

int deess_init(struct deess *d, float fs)
{
	if (!(fs >= DSP_FS_MIN && fs <= DSP_FS_MAX))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->fs = fs;
	d->min_gain = 1.0f;
	d->d_att_q = (int32_t)lrint(DEESS_ATTACK_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	d->d_rel_q = (int32_t)lrint(DEESS_RELEASE_DB_PER_MS * 1000.0 / fs * DEESS_Q);
	smooth_init(&d->xfade, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->wide, fs, SMOOTH_TAU_MS, 0.0f);
	smooth_init(&d->listen_xf, fs, SMOOTH_TAU_MS, 0.0f);
	deess_set_freq_hz(d, 6000.0f);
	deess_set_threshold_db(d, -30.0f);
	deess_set_range_db(d, 12.0f);
	deess_reset(d);
	return 0;
}

void deess_reset(struct deess *d)
{
	deess_clear_state(d);
	smooth_jump(&d->xfade);
	smooth_jump(&d->wide);
	smooth_jump(&d->listen_xf);
	d->min_gain = 1.0f;
}

void deess_set_enable(struct deess *d, int on)
{
	if (on && deess_idle(d))
		deess_clear_state(d);
	d->enabled = on;
	smooth_set(&d->xfade, on ? 1.0f : 0.0f);
}

void deess_set_freq_hz(struct deess *d, float hz)
{
	d->freq_hz = hz;
	biquad_design(&d->bp, BQ_BANDPASS, d->fs, hz, DEESS_BAND_Q, 0.0);
	biquad_design(&d->hp, BQ_HIGHPASS, d->fs, hz, 0.7071067811865476, 0.0);
}

void deess_set_threshold_db(struct deess *d, float dbfs) { d->thr_db = dbfs; }

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

/* Output for one sample from the mode (w: 0 split .. 1 wide), listen (l) and enable (xf)
 * crossfade positions. Every lerp is a*(1-t) + b*t, exact at both ends, so a settled path that
 * evaluates only one end gives the same bits as this general form. */
static inline float deess_mix(float x, float band, float sc, float g, float w, float l, float xf)
{
	float split = x + (g - 1.0f) * band;
	float wide = g * x;
	float y = (1.0f - w) * split + w * wide;
	y = (1.0f - l) * y + l * sc;
	return (1.0f - xf) * x + xf * y;
}

/* The two sections in transposed direct form II, with the zeros the designs give exactly
 * (biquad.c: band-pass b1 = 0, b2 = -b0; high-pass b1 = -2 b0, b2 = b0, so p = b0 x is the
 * only input product), and each state update summed as (input part + z2) - a1 y: the serial
 * chain from one output to the next is mul, sub, add (12 cycles) rather than mul, sub, add,
 * add, and the loop is short enough to run at that latency. */
static inline float deess_bp_tick(const struct biquad_coef *c, float *z1, float *z2, float x)
{
	float p = c->b0 * x;
	float y = p + *z1;
	*z1 = *z2 - c->a1 * y;
	*z2 = -(p + c->a2 * y);
	return y;
}

static inline float deess_hp_tick(const struct biquad_coef *c, float *z1, float *z2, float x)
{
	float p = c->b0 * x;
	float y = p + *z1;
	*z1 = (*z2 - (p + p)) - c->a1 * y;
	*z2 = p - c->a2 * y;
	return y;
}

void deess_process(struct deess *d, const float *restrict in, float *restrict out, uint32_t n)
{
	if (deess_idle(d)) {
		memcpy(out, in, n * sizeof(float));
		return;
	}
	if (n == 0)
		return;
	const uint32_t nv = fm_pad(n);
	float *restrict band = d->buf_band;
	float *restrict sc = d->buf_sc;
	float *restrict g = d->buf_g;
	int32_t *restrict q = d->buf_q;

	/* band split and sidechain */
	float sc_peak;
	{
		float z1a = d->band_s.z1, z2a = d->band_s.z2, z1b = d->sc_s.z1, z2b = d->sc_s.z2;
		const struct biquad_coef bp = d->bp, hp = d->hp;
		for (uint32_t i = 0; i < n; i++) {
			float b = deess_bp_tick(&bp, &z1a, &z2a, in[i] + DEESS_DC_OFFSET);
			band[i] = b;
			sc[i] = deess_hp_tick(&hp, &z1b, &z2b, b + DEESS_DC_OFFSET);
		}
		d->band_s.z1 = z1a, d->band_s.z2 = z2a;
		d->sc_s.z1 = z1b, d->sc_s.z2 = z2b;
		for (uint32_t i = n; i < nv; i++)
			sc[i] = 0.0f;
		float hi = fm_max_padded(sc, nv), lo = fm_min_padded(sc, nv);
		sc_peak = hi > -lo ? hi : -lo;
	}

	/* target reduction, Q20 dB. When even the chunk's peak is below the threshold (with a
	 * margin of 1e-4 in log2, 25 times fm_log2's error) every target is 0. */
	const float thr = d->thr_db, range = d->range_db;
	int quiet = sc_peak + DEESS_LEVEL_FLOOR <= fm_exp2(thr * FM_LOG2_PER_DB - 1e-4f);
	if (quiet) {
		if (d->gr_q == 0) {
			/* and nothing to release: the gain is exactly 1 throughout */
			for (uint32_t i = 0; i < nv; i++)
				g[i] = 1.0f;
			d->min_gain = d->min_gain < 1.0f ? d->min_gain : 1.0f;
			goto mix;
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

	/* slew limiter: linear-dB attack and release */
	{
		int32_t gr = d->gr_q;
		const int32_t da = d->d_att_q, dr = d->d_rel_q;
		for (uint32_t i = 0; i < n; i++) {
			int32_t fall = gr - dr, rise = gr + da;
			int32_t v = q[i] > fall ? q[i] : fall;
			gr = v < rise ? v : rise;
			q[i] = gr;
		}
		d->gr_q = gr;
		for (uint32_t i = n; i < nv; i++)
			q[i] = 0;
	}

	for (uint32_t i = 0; i < nv; i++)
		g[i] = fm_exp2_in_range((float)q[i] * (-FM_LOG2_PER_DB / DEESS_Q));
	float gmin = fm_min_padded(g, nv);
	d->min_gain = d->min_gain < gmin ? d->min_gain : gmin;

mix:
	if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) && smooth_settled(&d->listen_xf) &&
	    d->xfade.cur == 1.0f && d->listen_xf.cur == 0.0f) {
		if (d->wide.cur == 0.0f) {
			for (uint32_t i = 0; i < n; i++)
				out[i] = in[i] + (g[i] - 1.0f) * band[i];
		} else {
			for (uint32_t i = 0; i < n; i++)
				out[i] = g[i] * in[i];
		}
	} else if (smooth_settled(&d->xfade) && smooth_settled(&d->wide) &&
		   smooth_settled(&d->listen_xf)) {
		const float w = d->wide.cur, l = d->listen_xf.cur, xf = d->xfade.cur;
		for (uint32_t i = 0; i < n; i++)
			out[i] = deess_mix(in[i], band[i], sc[i], g[i], w, l, xf);
	} else {
		for (uint32_t i = 0; i < n; i++) {
			float w = smooth_next(&d->wide);
			float l = smooth_next(&d->listen_xf);
			float xf = smooth_next(&d->xfade);
			out[i] = deess_mix(in[i], band[i], sc[i], g[i], w, l, xf);
		}
	}
}

void deess_process_lanes(struct deess *const *d, unsigned nl, const float *const *in,
			float *const *out, uint32_t n)
{
	for (unsigned l = 0; l < nl; l++)
		deess_process(d[l], in[l], out[l], n);
}
